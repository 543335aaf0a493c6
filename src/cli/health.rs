//! `vigil health` options: the level asked (`--ready`, `--live`, `--started`)
//! and `-q`, defined once in the table its help is made from.

use alloc::vec::Vec;

use alloc::format;
use alloc::string::String;

use super::opt::{self, Opt, Parsing, Takes};
use super::{Command, Env, Mode, help};
use crate::health::Level;

/// What `vigil health` was asked.
#[derive(Debug, PartialEq, Eq)]
pub struct HealthOptions {
    pub level: Level,
    pub quiet: bool,
    /// A level was given (a second one is an error).
    chosen: bool,
}

fn level(o: &mut HealthOptions, level: Level) -> Result<(), String> {
    if core::mem::replace(&mut o.chosen, true) {
        return Err("give one of --live, --ready and --started".into());
    }
    o.level = level;
    Ok(())
}

/// Every health option, in help order.
pub const OPTIONS: &[Opt<HealthOptions>] = &[
    Opt {
        long: "ready",
        short: None,
        env: None,
        repeats: false,
        takes: Takes::Switch(|o, _| level(o, Level::Ready)),
        help: "pass when ready (the default)",
    },
    Opt {
        long: "live",
        short: None,
        env: None,
        repeats: false,
        takes: Takes::Switch(|o, _| level(o, Level::Live)),
        help: "fail only when unhealthy or stopping",
    },
    Opt {
        long: "started",
        short: None,
        env: None,
        repeats: false,
        takes: Takes::Switch(|o, _| level(o, Level::Started)),
        help: "pass once it has been ready",
    },
    Opt {
        long: "quiet",
        short: Some('q'),
        env: None,
        repeats: false,
        takes: Takes::Switch(|o, _| {
            o.quiet = true;
            Ok(())
        }),
        help: "print nothing",
    },
    Opt {
        long: "help",
        short: Some('h'),
        env: None,
        repeats: false,
        takes: Takes::Help,
        help: "this help",
    },
];

const HEAD: &str = "\
vigil health: ask this container's vigil for its state (README, Health).

Usage: vigil health [--live | --ready | --started] [-q]

";

const TAIL: &str = "
Prints vigil's line. Exit status: 0 the level holds, else 1.
";

const COLUMN: usize = 20;
const HELP_LEN: usize = help::render(&mut [], HEAD, OPTIONS, COLUMN, TAIL);
const HELP_BYTES: [u8; HELP_LEN] = {
    let mut bytes = [0; HELP_LEN];
    help::render(&mut bytes, HEAD, OPTIONS, COLUMN, TAIL);
    bytes
};
/// `vigil health --help`, made from `OPTIONS` when the crate is compiled.
pub const HELP: help::Help = help::text(&HELP_BYTES);

/// `OPTIONS` as parsing reads it (`opt::for_parsing`): the help lines are in
/// the binary once, in `HELP`.
const PARSING: [Parsing<HealthOptions>; OPTIONS.len()] = opt::for_parsing(OPTIONS);

/// Parses the arguments after `health`: each word one option of `OPTIONS`,
/// as written there (`--live`, `-q`); no values, no clusters, no operands.
/// Not `opt::apply`: a third copy of that generic code costs 2.5 KiB.
pub fn parse(args: Vec<Vec<u8>>, _env: Env) -> Result<Command, String> {
    let mut opts = HealthOptions {
        level: Level::Ready,
        quiet: false,
        chosen: false,
    };
    for arg in &args {
        let named = |o: &&Parsing<HealthOptions>| match arg.strip_prefix(b"--") {
            Some(long) => long == o.long.as_bytes(),
            None => o.short.is_some_and(|c| arg[..] == [b'-', c as u8]),
        };
        match PARSING.iter().find(named) {
            Some(Opt {
                takes: Takes::Switch(set),
                long,
                ..
            }) => set(&mut opts, None).map_err(|e| format!("--{long}: {e}"))?,
            Some(_) => return Ok(Command::Help(Mode::Health, HELP)),
            None => return Err(format!("invalid option {}", super::argv::quoted(arg))),
        }
    }
    Ok(Command::Health(opts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::test_env;

    fn parse_args(list: &[&str]) -> Result<Command, String> {
        parse(
            list.iter().map(|a| a.as_bytes().to_vec()).collect(),
            &test_env(&[]),
        )
    }

    fn level_of(list: &[&str]) -> (Level, bool) {
        match parse_args(list) {
            Ok(Command::Health(o)) => (o.level, o.quiet),
            other => panic!("{list:?}: {other:?}"),
        }
    }

    #[test]
    fn ready_is_the_default_and_one_level_may_be_given() {
        assert_eq!(level_of(&[]), (Level::Ready, false));
        assert_eq!(level_of(&["--live", "-q"]), (Level::Live, true));
        assert_eq!(level_of(&["-q", "--started"]), (Level::Started, true));
        assert_eq!(level_of(&["--ready"]), (Level::Ready, false));
        assert_eq!(
            parse_args(&["--live", "--ready"]).err().as_deref(),
            Some("--ready: give one of --live, --ready and --started")
        );
        assert_eq!(
            parse_args(&["extra"]).err().as_deref(),
            Some("invalid option \"extra\"")
        );
        assert_eq!(
            parse_args(&["--live=1"]).err().as_deref(),
            Some("invalid option \"--live=1\"")
        );
        assert_eq!(
            parse_args(&["-lq"]).err().as_deref(),
            Some("invalid option \"-lq\"")
        );
        assert!(matches!(
            parse_args(&["-h", "--bogus"]),
            Ok(Command::Help(Mode::Health, HELP))
        ));
    }
}
