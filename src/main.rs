//! The executable: libc's C `main`, the allocator, and what a `no_std`
//! program must bring itself (the panic handler, two stub symbols).
//!
//! Signals are already blocked here: the ELF entry point, `vigil_start`
//! (src/sys/entry.rs), blocked them before libc's start-up ran and kept the
//! mask vigil was started with, which the child gets. `no_main` also skips
//! Rust's runtime start-up, which would set SIGPIPE to ignored (the child
//! would inherit that).
//!
//! `clippy --all-targets` also builds this file as a std test harness
//! (`cfg(test)`), which brings its own `main` and panic handler.
#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]
#![allow(unsafe_code)]

// musl's libc.a: std would link it; without std, nothing else names it. With
// `+crt-static` the linker takes the static archive from the toolchain's
// self-contained musl.
#[cfg(not(test))]
#[link(name = "c")]
unsafe extern "C" {}

// SAFETY: libc's start-up code calls `main(argc, argv, envp)` exactly once; no
// other `main` symbol exists because of `no_main`.
#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(
    argc: core::ffi::c_int,
    argv: *const *const core::ffi::c_char,
) -> core::ffi::c_int {
    // Entered some other way (a link without build.rs's entry point): block now.
    let started_mask =
        vigil::sys::entry::started_mask().unwrap_or_else(vigil::sys::sigwait::block_all);
    // SAFETY: libc passes argv[0..argc] as NUL-terminated strings that live
    // for the whole process.
    let args = unsafe { vigil::sys::env::args(argc, argv) };
    vigil::run(args, started_mask)
}

/// vigil's own small heap instead of musl's malloc (see `sys::heap`).
#[global_allocator]
static HEAP: vigil::sys::heap::Heap = vigil::sys::heap::Heap::new();

/// A panic is a bug: one line on stderr, then SIGABRT (exit status 134 as
/// PID 1). PID 1 never panics on input; this is the last resort, never a bare
/// SIGILL. With `tls`, rustls links std, whose own handler prints the
/// message and aborts.
#[cfg(not(any(test, feature = "tls")))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let place = info.location().map(|l| (l.file(), l.line()));
    let line = vigil::log::internal_error(&info.message(), place);
    let _ = vigil::sys::stdio::stderr(line.as_bytes());
    if vigil::sys::process::getpid() == 1 {
        // A PID-namespace init cannot die of its own SIGABRT: the kernel
        // drops it (pid_namespaces(7)), and musl's abort would end in a
        // SIGSEGV. Exit as a shell reports a SIGABRT death instead.
        vigil::sys::process::exit_now(vigil::exit_status::signaled(
            vigil::sys::signal::Signal::ABRT,
        ))
    }
    vigil::sys::process::abort()
}

/// Stable-Rust workaround: the prebuilt `core` and `alloc` are compiled with
/// `panic = "unwind"`, so their cleanup paths name the unwinder's personality
/// routine. vigil is built with `panic = "abort"`: nothing ever unwinds, and
/// this is never called. std (with `tls`) brings the real one.
#[cfg(not(any(test, feature = "tls")))]
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

/// Stable-Rust workaround, as `rust_eh_personality`: named by the prebuilt
/// `core`'s landing pads, never called with `panic = "abort"`.
#[cfg(not(any(test, feature = "tls")))]
#[unsafe(no_mangle)]
extern "C" fn _Unwind_Resume() -> ! {
    vigil::sys::process::abort()
}
