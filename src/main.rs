//! The process entry point: blocks every signal before anything else runs, then
//! hands argv to `vigil::run`. `no_main` skips Rust's runtime start-up, which
//! would set SIGPIPE to ignored (and the child would inherit that) and widen the
//! window in which a signal sent to a new PID 1 is dropped.
#![no_main]
#![allow(unsafe_code)]

use std::ffi::{CStr, OsString, c_char, c_int};
use std::os::unix::ffi::OsStrExt;

// SAFETY: libc's start-up code calls `main(argc, argv, envp)` exactly once; no
// other `main` symbol exists because of `no_main`.
#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    let started_mask = vigil::sys::signals::block_all();
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
