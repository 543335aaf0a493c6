//! Init-mode options: `vigil [OPTIONS] [--] PROGRAM [ARG...]` plus the `VIGIL_*`
//! twins, which are all a runtime's `--init` lets a user set.

use std::ffi::OsString;
use std::time::Duration;

use super::{UsageError, bad, env, text_value, values};
use crate::log::Level;
use crate::sys::signal::Signal;

/// Everything init mode needs, validated.
#[derive(Debug, PartialEq)]
pub struct InitOptions {
    pub group: bool,
    pub success_exits: Vec<u8>,
    pub pdeathsig: Option<Signal>,
    /// FROM -> TO; `None` drops FROM.
    pub rewrites: Vec<(Signal, Option<Signal>)>,
    pub grace: Duration,
    pub log_level: Level,
    /// PROGRAM and its arguments; never empty.
    pub command: Vec<OsString>,
}

#[derive(Debug, PartialEq)]
pub enum Parsed {
    Run(InitOptions),
    Help,
    Version,
}

pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// Parses the arguments after `argv[0]`. Option parsing stops at `--` or at the
/// first word that is not an option, so `vigil sh -c 'exit 4'` runs sh.
pub fn parse(args: Vec<OsString>) -> Result<Parsed, UsageError> {
    use lexopt::prelude::*;

    let mut group = None;
    let mut success_exits: Option<Vec<u8>> = None;
    let mut pdeathsig = None;
    let mut rewrites: Option<Vec<(Signal, Option<Signal>)>> = None;
    let mut grace = None;
    let mut verbosity: Option<i32> = None;
    let mut command = Vec::new();

    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next()? {
        match arg {
            Short('g') | Long("group") => group = Some(true),
            Short('e') | Long("success-exit") => {
                let v = text_value(&mut parser, "--success-exit")?;
                let code = values::exit_code(&v).map_err(|e| bad("--success-exit", e))?;
                success_exits.get_or_insert_with(Vec::new).push(code);
            }
            Short('p') | Long("pdeathsig") => {
                let v = text_value(&mut parser, "--pdeathsig")?;
                pdeathsig = Some(values::signal(&v).map_err(|e| bad("--pdeathsig", e))?);
            }
            Short('s') | Long("subreaper") => {}
            Short('r') | Long("rewrite") => {
                let v = text_value(&mut parser, "--rewrite")?;
                let r = values::rewrite(&v).map_err(|e| bad("--rewrite", e))?;
                rewrites.get_or_insert_with(Vec::new).push(r);
            }
            Short('t') | Long("grace") => {
                let v = text_value(&mut parser, "--grace")?;
                grace = Some(values::duration(&v).map_err(|e| bad("--grace", e))?);
            }
            Short('v') | Long("verbose") => *verbosity.get_or_insert(0) += 1,
            Short('q') | Long("quiet") => *verbosity.get_or_insert(0) -= 1,
            Short('h') | Long("help") => return Ok(Parsed::Help),
            Short('V') | Long("version") => return Ok(Parsed::Version),
            Value(program) => {
                command.push(program);
                command.extend(parser.raw_args()?);
                break;
            }
            other => return Err(other.unexpected().into()),
        }
    }
    if command.is_empty() {
        return Err(UsageError(
            "no program to run (usage: vigil [OPTIONS] [--] PROGRAM [ARG...]; see vigil --help)"
                .into(),
        ));
    }

    // Environment twins fill in whatever no flag set.
    let group = match group {
        Some(g) => g,
        None => env_parsed("VIGIL_GROUP", values::boolean)?.unwrap_or(false),
    };
    // VIGIL_SUBREAPER is accepted like -s, but still validated.
    env_parsed("VIGIL_SUBREAPER", values::boolean)?;
    let success_exits = match success_exits {
        Some(list) => list,
        None => env_list("VIGIL_SUCCESS_EXIT", values::exit_code)?,
    };
    let pdeathsig = match pdeathsig {
        Some(s) => Some(s),
        None => env_parsed("VIGIL_PDEATHSIG", values::signal)?,
    };
    let rewrites = match rewrites {
        Some(list) => list,
        None => env_list("VIGIL_REWRITE", values::rewrite)?,
    };
    let grace = match grace {
        Some(g) => g,
        None => env_parsed("VIGIL_GRACE", values::duration)?.unwrap_or(DEFAULT_GRACE),
    };
    let log_level = match verbosity {
        Some(v) => Level::DEFAULT.shifted(v),
        None => match env("VIGIL_LOG")? {
            Some(text) => Level::parse(&text).ok_or_else(|| {
                UsageError(format!(
                    "VIGIL_LOG: unknown level '{text}' (use debug, info, warn, error or off)"
                ))
            })?,
            None => Level::DEFAULT,
        },
    };
    Ok(Parsed::Run(InitOptions {
        group,
        success_exits,
        pdeathsig,
        rewrites,
        grace,
        log_level,
        command,
    }))
}

fn env_parsed<T>(
    name: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Option<T>, UsageError> {
    env(name)?
        .map(|text| parse(&text).map_err(|e| bad(name, e)))
        .transpose()
}

fn env_list<T>(name: &str, parse: fn(&str) -> Result<T, String>) -> Result<Vec<T>, UsageError> {
    let Some(text) = env(name)? else {
        return Ok(Vec::new());
    };
    values::list(&text)
        .map(|item| parse(item).map_err(|e| bad(name, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn run(list: &[&str]) -> InitOptions {
        match parse(args(list)) {
            Ok(Parsed::Run(o)) => o,
            other => panic!("{list:?}: {other:?}"),
        }
    }

    #[test]
    fn stops_at_first_word_and_at_double_dash() {
        let o = run(&["sh", "-c", "exit 4"]);
        assert_eq!(o.command, args(&["sh", "-c", "exit 4"]));
        let o = run(&["-g", "--", "-weird", "-g"]);
        assert!(o.group);
        assert_eq!(o.command, args(&["-weird", "-g"]));
    }

    #[test]
    fn flags() {
        let o = run(&[
            "-g",
            "-e",
            "143",
            "--success-exit=130",
            "-p",
            "KILL",
            "-s",
            "-r",
            "TERM:QUIT",
            "--rewrite",
            "winch:0",
            "-t",
            "500ms",
            "-vv",
            "--",
            "true",
        ]);
        assert!(o.group);
        assert_eq!(o.success_exits, vec![143, 130]);
        assert_eq!(o.pdeathsig, Some(Signal::KILL));
        assert_eq!(
            o.rewrites,
            vec![(Signal::TERM, Some(Signal::QUIT)), (Signal::WINCH, None)]
        );
        assert_eq!(o.grace, Duration::from_millis(500));
        assert_eq!(o.log_level, Level::Debug);
    }

    #[test]
    fn errors_name_option_and_value() {
        let e = parse(args(&["--grace", "soon", "true"])).unwrap_err();
        assert!(e.0.contains("--grace") && e.0.contains("soon"), "{e}");
        let e = parse(args(&["-e", "300", "true"])).unwrap_err();
        assert!(e.0.contains("--success-exit") && e.0.contains("300"), "{e}");
        assert!(parse(args(&["-g"])).is_err());
        assert!(parse(args(&["--nope", "true"])).is_err());
        assert!(parse(args(&["--grace"])).is_err());
    }
}
