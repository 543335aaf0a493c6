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
pub mod human;
pub mod init;
pub mod log;
pub mod probe;
pub mod sys;

use alloc::format;
use alloc::vec::Vec;

use cli::check::Parsed as CheckParsed;
use cli::init::Parsed as InitParsed;
use sys::signalfd::{Mask, set_mask};

/// Runs vigil with its full argv and the signal mask it was started with (the
/// entry point blocked every signal before anything else). Returns the exit status.
pub fn run(argv: Vec<Vec<u8>>, started_mask: Mask) -> i32 {
    let args: Vec<Vec<u8>> = argv.into_iter().skip(1).collect();
    let env = |name: &str| sys::env::var(name).map(<[u8]>::to_vec);
    if args.first().is_some_and(|a| a == b"check") {
        // A probe is an ordinary process: it takes signals the ordinary way,
        // except SIGPIPE: a peer that closes while we write must not kill
        // it (unix sockets and stdout use write(2)); blocked, the write
        // fails with EPIPE instead (signal(7)).
        set_mask(Mask(started_mask.0 | 1u64 << (libc::SIGPIPE - 1)));
        return match cli::check::parse(args.into_iter().skip(1).collect(), &env) {
            Ok(CheckParsed::Run(opts)) => probe::main(&opts),
            Ok(CheckParsed::Help) => {
                let _ = sys::stdio::stdout(cli::check::CHECK_HELP.as_bytes());
                probe::EXIT_HEALTHY
            }
            Err(e) => {
                error!("{e}");
                probe::EXIT_UNHEALTHY
            }
        };
    }
    match cli::init::parse(args, &env) {
        Ok(InitParsed::Run(opts)) => init::main(&opts, started_mask),
        Ok(InitParsed::Help) => print_stdout(cli::HELP.as_bytes()),
        Ok(InitParsed::Version) => print_stdout(format!("{}\n", cli::VERSION).as_bytes()),
        Err(e) => {
            error!("{e}");
            exit_status::USAGE
        }
    }
}

fn print_stdout(text: &[u8]) -> i32 {
    match sys::stdio::stdout(text) {
        Ok(()) => 0,
        Err(_) => exit_status::FAILURE,
    }
}
