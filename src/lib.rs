//! vigil: a tiny PID 1 for containers (`vigil [OPTIONS] -- PROGRAM`) and a
//! health probe with a hard deadline (`vigil check TARGET`), in one static binary.

extern crate alloc;

pub mod cli;
pub mod human;
pub mod init;
pub mod log;
pub mod probe;
pub mod sys;

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStringExt;

use cli::{Command, Mode};
use sys::signals::{Mask, set_mask};

/// Runs vigil with its full argv and the signal mask it was started with (the
/// entry point blocked every signal before anything else): parses, runs the
/// mode, and returns the exit status.
pub fn run(argv: Vec<OsString>, started_mask: Mask) -> i32 {
    let args: Vec<Vec<u8>> = argv.into_iter().skip(1).map(OsString::into_vec).collect();
    let env = |name: &str| std::env::var_os(name).map(OsString::into_vec);
    match cli::parse(args, &env) {
        Ok(Command::Init(opts)) => init::main(opts, started_mask),
        Ok(Command::Check(opts)) => {
            // A probe is an ordinary process: it takes signals the ordinary way.
            set_mask(started_mask);
            probe::main(&opts)
        }
        Ok(Command::Help(Mode::Init, text)) => print_stdout(text),
        // A probe's help is never a failure, even to a closed stdout.
        Ok(Command::Help(Mode::Check, text)) => {
            print_stdout(text);
            probe::EXIT_HEALTHY
        }
        Ok(Command::Version) => print_stdout(&format!("{}\n", cli::VERSION)),
        Err(e) => {
            error!("{e}");
            match e.mode {
                Mode::Init => init::EXIT_USAGE,
                // Docker reserves 2: a probe's bad usage is "unhealthy".
                Mode::Check => probe::EXIT_UNHEALTHY,
            }
        }
    }
}

/// Writes `text` to stdout: 0, or 1 if it could not be written.
fn print_stdout(text: &str) -> i32 {
    match std::io::stdout().write_all(text.as_bytes()) {
        Ok(()) => 0,
        Err(_) => init::EXIT_INTERNAL,
    }
}
