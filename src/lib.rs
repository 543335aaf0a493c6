//! vigil: a tiny PID 1 for containers (`vigil [OPTIONS] -- PROGRAM`) and a
//! health probe with a hard deadline (`vigil check TARGET`), in one static binary.
//!
//! `no_std` with `alloc`: every OS call goes through `sys`. The binary
//! (src/main.rs) brings the allocator and the panic handler, so a std
//! program (the unit tests, a fuzz target) can link this library too.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod cli;
pub mod exit_status;
#[doc(hidden)]
pub mod fuzzing;
pub mod health;
pub mod human;
pub mod init;
pub mod log;
pub mod output_queue;
pub mod probe;
pub mod sys;
pub mod variables;

use alloc::format;
use alloc::vec::Vec;

use cli::{Command, Mode};
use log::error;
use sys::signal::Signal;
use sys::sigwait::{Mask, set_mask};

/// Runs vigil with its full argv and the signal mask it was started with (the
/// entry point blocked every signal before anything else): parses, runs the
/// mode, and returns the exit status.
pub fn run(mut argv: Vec<Vec<u8>>, started_mask: Mask) -> i32 {
    // The words after vigil's own name.
    if !argv.is_empty() {
        argv.remove(0);
    }
    let args = argv;
    let env = |name: &str| sys::env::var(name).map(<[u8]>::to_vec);
    match cli::parse(args, &env) {
        Ok(Command::Init(opts)) => init::main(opts, started_mask),
        Ok(Command::Check(mut opts)) => {
            opts.exec_mask = started_mask;
            // A probe is an ordinary process: it takes signals the ordinary way,
            // except SIGPIPE: a peer that closes while we write must not kill
            // it (unix sockets and stdout use write(2)); blocked, the write
            // fails with EPIPE instead (signal(7)).
            set_mask(started_mask.with(Signal::PIPE));
            if probe::main(&opts) {
                exit_status::HEALTHY
            } else {
                exit_status::UNHEALTHY
            }
        }
        Ok(Command::Health(opts)) => {
            set_mask(started_mask.with(Signal::PIPE));
            health::client::main(opts.level, opts.quiet)
        }
        Ok(Command::Help(Mode::Init, help)) => print_stdout(&help.expanded()),
        // A probe's help is never a failure, even to a closed stdout.
        Ok(Command::Help(_, help)) => {
            print_stdout(&help.expanded());
            exit_status::HEALTHY
        }
        Ok(Command::Version) => print_stdout(format!("{}\n", cli::VERSION).as_bytes()),
        Err(e) => {
            error!("{e}");
            match e.mode {
                Mode::Init => exit_status::USAGE,
                // Docker reserves 2: a probe's bad usage is "unhealthy".
                Mode::Check | Mode::Health => exit_status::UNHEALTHY,
            }
        }
    }
}

/// Writes `text` to stdout: 0, or 1 if it could not be written.
fn print_stdout(text: &[u8]) -> i32 {
    match sys::stdio::stdout(text) {
        Ok(()) => 0,
        Err(_) => exit_status::FAILURE,
    }
}
