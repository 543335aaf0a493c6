//! The command line, in one place: which mode runs, every option and its
//! `VIGIL_*` twin (defined once, in `init::OPTIONS` and `check::OPTIONS`), the
//! help made from them, and how they become `InitOptions` or `CheckOptions`.
//!
//! The entry is `parse(args, env)`: argv after `argv[0]` as bytes, and a getter
//! for environment variables, so parsing reads no process state. It uses only
//! `core` and `alloc`. `lib` runs the `Command` it returns, and picks the exit
//! status of a `UsageError` from its `Mode`.
//!
//! - `argv`: splits argv into options and operands (our lexopt);
//! - `opt`: what an option is, and applying a table to argv and the twins;
//! - `help`: lays out a table as `--help` text, at compile time;
//! - `init`, `check`: each mode's table, help and parse;
//! - `values`: parsers for durations, signals, exit codes and the rest.

pub mod argv;
pub mod check;
pub mod health;
pub mod help;
pub mod init;
pub mod names;
pub mod opt;
pub mod values;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::init::InitOptions;
use crate::probe::CheckOptions;

/// Reads an environment variable: `None` when unset.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

/// `vigil --version`. Shaped like tini's `tini version 0.19.0 - git.de40ad0`,
/// the one form dockerd's init-version parser accepts when vigil is its
/// `init-path` (`docker run --init`): text, then " - git." and one word with no
/// dot, which `docker info` shows as the init version. So that word is the
/// version again, its dots turned into underscores.
pub const VERSION: &str = concat!(
    "vigil ",
    env!("CARGO_PKG_VERSION"),
    " - git.vigil-",
    env!("CARGO_PKG_VERSION_MAJOR"),
    "_",
    env!("CARGO_PKG_VERSION_MINOR"),
    "_",
    env!("CARGO_PKG_VERSION_PATCH")
);

/// Which mode argv asked for: `vigil check ...`, `vigil health ...` or init.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Init,
    Check,
    Health,
}

/// What to run.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // built once per run; boxing buys nothing
pub enum Command {
    Init(InitOptions),
    Check(CheckOptions),
    Health(health::HealthOptions),
    /// Print this mode's help on stdout.
    Help(Mode, help::Help),
    /// Print `VERSION` on stdout.
    Version,
}

/// A bad option or value: printed as `vigil: <message>`; nothing starts.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError {
    pub mode: Mode,
    pub message: String,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses the arguments after `argv[0]`: `check` first means probe mode,
/// `health` the health client, and anything else init mode (`vigil -- check`
/// runs a program named check).
pub fn parse(mut args: Vec<Vec<u8>>, env: Env) -> Result<Command, UsageError> {
    let mode = match args.first().map(Vec::as_slice) {
        Some(b"check") => Mode::Check,
        Some(b"health") => Mode::Health,
        _ => Mode::Init,
    };
    if mode != Mode::Init {
        args.remove(0);
    }
    let parsed = match mode {
        Mode::Check => check::parse(args, env),
        Mode::Health => health::parse(args, env),
        Mode::Init => init::parse(args, env),
    };
    parsed.map_err(|message| UsageError {
        // `vigil -q check URL` is a probe's usage error: exit 1, never 2.
        mode: match message.starts_with(init::MODE_AFTER_OPTIONS) {
            true => Mode::Check,
            false => mode,
        },
        message,
    })
}

/// An environment made of `vars`, for tests.
#[cfg(test)]
pub fn test_env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<Vec<u8>> + 'a {
    move |name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec;
    use opt::Opt;

    #[test]
    fn check_first_picks_probe_mode_and_errors_carry_the_mode() {
        let env = test_env(&[]);
        let parsed = parse(vec![b"check".to_vec(), b"tcp://h:1".to_vec()], &env);
        assert!(matches!(parsed, Ok(Command::Check(_))));
        let parsed = parse(vec![b"--".to_vec(), b"check".to_vec()], &env);
        assert!(matches!(parsed, Ok(Command::Init(o)) if o.command == vec![b"check".to_vec()]));
        let parsed = parse(vec![b"health".to_vec(), b"--live".to_vec()], &env);
        assert!(matches!(parsed, Ok(Command::Health(_))));
        let parsed = parse(vec![b"--".to_vec(), b"health".to_vec()], &env);
        assert!(matches!(parsed, Ok(Command::Init(o)) if o.command == vec![b"health".to_vec()]));
        let e = parse(vec![b"health".to_vec(), b"-x".to_vec()], &env).unwrap_err();
        assert_eq!(e.mode, Mode::Health);
        let e = parse(vec![b"check".to_vec()], &env).unwrap_err();
        assert_eq!(e.mode, Mode::Check);
        // Options before `check`: check's usage error (exit 1).
        let e = parse(vec![b"-q".to_vec(), b"check".to_vec()], &env).unwrap_err();
        assert_eq!(e.mode, Mode::Check);
        let e = parse(vec![b"-Z".to_vec()], &env).unwrap_err();
        assert_eq!(
            (e.mode, format!("{e}")),
            (Mode::Init, "invalid option '-Z'".into())
        );
    }

    /// The README section that documents a mode: from its heading to the next
    /// heading of the same level.
    fn readme_section(heading: &str) -> &'static str {
        let readme = include_str!("../../README.md");
        let start = readme.find(heading).expect("README section");
        let body = &readme[start + heading.len()..];
        &body[..body.find("\n## ").unwrap_or(body.len())]
    }

    /// Both the help and the README name every option of `table`: its long and
    /// short names and its twin.
    fn documents_every_option<S>(table: &[Opt<S>], help: &str, readme: &str) {
        for opt in table {
            let long = format!("--{}", opt.long);
            // `name` followed by one of `ends` (so `--watch` is not found
            // inside `--watch-interval`).
            let has = |text: &str, name: &str, ends: &[u8]| {
                text.match_indices(name).any(|(at, _)| {
                    text.as_bytes()
                        .get(at + name.len())
                        .is_some_and(|b| ends.contains(b))
                })
            };
            let in_help = match opt.short {
                Some(c) => format!("\n  -{c}, {long}"),
                None => format!("\n      {long}"),
            };
            assert!(has(help, &in_help, b" \n"), "help lacks {in_help:?}");
            assert!(
                has(readme, &format!("`{long}"), b" `"),
                "README lacks `{long}`"
            );
            if let Some(c) = opt.short {
                assert!(readme.contains(&format!("`-{c}`")), "README lacks `-{c}`");
            }
            if let Some(twin) = opt.env {
                assert!(help.contains(twin), "help lacks {twin}");
                assert!(
                    readme.contains(&format!("`{twin}")),
                    "README lacks `{twin}`"
                );
            }
        }
    }

    #[test]
    fn help_and_readme_list_every_init_option() {
        documents_every_option(
            init::OPTIONS,
            &init::HELP.to_text(),
            readme_section("\n## Init mode\n"),
        );
    }

    #[test]
    fn help_and_readme_list_every_check_option() {
        let readme = readme_section("\n## Probe mode: `vigil check`\n");
        let help = check::HELP.to_text();
        documents_every_option(check::OPTIONS, &help, readme);
        // The targets' variable, which belongs to no option.
        assert!(help.contains("VIGIL_CHECK.") && readme.contains("`VIGIL_CHECK`"));
    }

    #[test]
    fn help_and_readme_list_every_health_option() {
        let readme = readme_section("\n## Health\n");
        documents_every_option(health::OPTIONS, &health::HELP.to_text(), readme);
    }

    /// The README's rule: `VIGIL_` plus the long name in upper case, dashes
    /// as underscores; `-v` and `-q` share `VIGIL_LOG`; help and version have none.
    #[test]
    fn init_twins_are_named_after_their_options() {
        for opt in init::OPTIONS {
            let want = match opt.long {
                "verbose" | "quiet" => Some("VIGIL_LOG".into()),
                "help" | "version" => None,
                long => Some(format!("VIGIL_{}", long.to_uppercase().replace('-', "_"))),
            };
            assert_eq!(opt.env.map(String::from), want, "--{}", opt.long);
        }
    }

    #[test]
    fn help_fits_in_80_columns() {
        for help in [init::HELP, check::HELP, health::HELP] {
            for line in help.to_text().lines() {
                assert!(line.len() <= 80, "{line:?}");
                assert_eq!(line.trim_end(), line, "trailing blanks: {line:?}");
            }
        }
    }

    #[test]
    fn no_option_is_defined_twice() {
        fn unique<S>(table: &[Opt<S>]) {
            for (i, a) in table.iter().enumerate() {
                for b in &table[i + 1..] {
                    assert_ne!(a.long, b.long);
                    assert!(a.short.is_none() || a.short != b.short, "-{:?}", a.short);
                }
            }
        }
        unique(init::OPTIONS);
        unique(check::OPTIONS);
        unique(health::OPTIONS);
    }
}
