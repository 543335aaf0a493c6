//! The process entry point: blocks every signal before anything else runs, then
//! hands argv to `vigil::run`. `no_main` skips Rust's runtime start-up, which
//! would set SIGPIPE to ignored (the child would inherit that) and run before
//! the mask is set.
//!
//! A PID-namespace init drops a signal whose action is SIG_DFL unless it is
//! blocked (pid_namespaces(7)), so the mask is set first thing. What remains is
//! the kernel's own exec tail, before any user-space instruction: measured here,
//! an ELF entry point that blocked signals before libc's start-up lost as many
//! early SIGTERMs as blocking in `main` (35/200 vs 31/200), so vigil keeps the
//! plain `main`.
#![no_main]
#![allow(unsafe_code)]

use std::ffi::{CStr, OsString, c_char, c_int};
use std::os::unix::ffi::OsStrExt;

use vigil::sys::signals::block_all;

// SAFETY: libc's start-up code calls `main(argc, argv, envp)` exactly once; no
// other `main` symbol exists because of `no_main`.
#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    let started_mask = block_all();
    let args = (0..argc.max(0) as usize)
        .map(|i| {
            // SAFETY: the C runtime guarantees argv[0..argc] are valid
            // NUL-terminated strings that live for the whole process.
            let arg = unsafe { CStr::from_ptr(*argv.add(i)) };
            OsString::from(std::ffi::OsStr::from_bytes(arg.to_bytes()))
        })
        .collect();
    vigil::run(args, started_mask)
}

/// vigil's own small heap instead of musl's malloc (see `sys::heap`).
#[global_allocator]
static HEAP: vigil::sys::heap::Heap = vigil::sys::heap::Heap::new();
