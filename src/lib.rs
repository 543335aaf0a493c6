//! vigil: a tiny PID 1 for containers (`vigil [OPTIONS] -- PROGRAM`) and a
//! health probe with a hard deadline (`vigil check TARGET`), in one static binary.

extern crate alloc;

pub mod cli;
pub mod exit_status;
pub mod human;
pub mod init;
pub mod log;
pub mod probe;
pub mod sys;

use std::ffi::OsString;

use sys::signals::{Mask, set_mask};

/// Runs vigil with its full argv and the signal mask it was started with (the
/// entry point blocked every signal before anything else). Returns the exit status.
pub fn run(argv: Vec<OsString>, started_mask: Mask) -> i32 {
    let args: Vec<OsString> = argv.into_iter().skip(1).collect();
    if args.first().is_some_and(|a| a == "check") {
        // A probe is an ordinary process: it takes signals the ordinary way.
        set_mask(started_mask);
        return probe::main(args.into_iter().skip(1).collect());
    }
    init::main(args, started_mask)
}
