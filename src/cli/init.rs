//! Init-mode options: `vigil [OPTIONS] [--] PROGRAM [ARG...]` plus the `VIGIL_*`
//! twins, which are all a runtime's `--init` lets a user set.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::{Arg, Env, Parser, UsageError, bad, command_words, env_text, text_value, values};
use crate::init::restart_policy::{
    DEFAULT_MAX_RESTARTS, DEFAULT_RESTART_WINDOW, OnUnhealthy, Restart,
};
use crate::log::Level;
use crate::probe::Target;
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
    /// Targets that must pass before the child starts, and for how long to try.
    pub wait_for: Vec<Target>,
    pub wait_timeout: Duration,
    /// The liveness watchdog's target and its Docker-style schedule.
    pub watch: Option<Target>,
    pub watch_interval: Duration,
    pub watch_timeout: Duration,
    pub watch_retries: u32,
    pub watch_start_period: Duration,
    /// `USER[:GROUP]` to run the child as, resolved later against /etc/passwd.
    pub user: Option<String>,
    pub no_new_privs: bool,
    /// `--stop-delay`: how long the first SIGTERM is held; zero is off.
    pub stop_delay: Duration,
    /// `--with`: the sidecars, in start order.
    pub sidecars: Vec<SidecarCommand>,
    pub restart: Restart,
    pub max_restarts: u32,
    pub restart_window: Duration,
    pub on_unhealthy: OnUnhealthy,
    /// PROGRAM and its arguments; never empty.
    pub command: Vec<Vec<u8>>,
}

/// One `--with` sidecar: the line as written (for messages) and its words.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct SidecarCommand {
    pub line: String,
    pub words: Vec<String>,
}

#[derive(Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // built once per run; boxing buys nothing
pub enum Parsed {
    Run(InitOptions),
    Help,
    Version,
}

pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_WATCH_INTERVAL: Duration = Duration::from_secs(10);
pub const DEFAULT_WATCH_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_WATCH_RETRIES: u32 = 3;

/// Parses the arguments after `argv[0]`. Option parsing stops at `--` or at the
/// first word that is not an option, so `vigil sh -c 'exit 4'` runs sh.
pub fn parse(args: Vec<Vec<u8>>, env: Env) -> Result<Parsed, UsageError> {
    use Arg::{Long, Short, Value};

    let mut group = None;
    let mut success_exits: Option<Vec<u8>> = None;
    let mut pdeathsig = None;
    let mut rewrites: Option<Vec<(Signal, Option<Signal>)>> = None;
    let mut grace = None;
    let mut verbosity: Option<i32> = None;
    let mut wait_for: Option<Vec<Target>> = None;
    let mut wait_timeout = None;
    let mut watch = None;
    let mut watch_interval = None;
    let mut watch_timeout = None;
    let mut watch_retries = None;
    let mut watch_start_period = None;
    let mut user = None;
    let mut no_new_privs = None;
    let mut stop_delay = None;
    let mut sidecars: Option<Vec<SidecarCommand>> = None;
    let mut restart = None;
    let mut max_restarts = None;
    let mut restart_window = None;
    let mut on_unhealthy = None;
    let mut command = Vec::new();

    let mut parser = Parser::new(args);
    while let Some(arg) = parser.next_arg()? {
        let long = match &arg {
            Long(name) => name.as_str(),
            _ => "",
        };
        match (&arg, long) {
            (Short(b'g'), _) | (_, "group") => group = Some(true),
            (Short(b'e'), _) | (_, "success-exit") => {
                let v = text_value(&mut parser, "--success-exit")?;
                let code = values::exit_code(&v).map_err(|e| bad("--success-exit", e))?;
                success_exits.get_or_insert_with(Vec::new).push(code);
            }
            (Short(b'p'), _) | (_, "pdeathsig") => {
                let v = text_value(&mut parser, "--pdeathsig")?;
                pdeathsig = Some(values::signal(&v).map_err(|e| bad("--pdeathsig", e))?);
            }
            (Short(b's'), _) | (_, "subreaper") => {}
            (Short(b'r'), _) | (_, "rewrite") => {
                let v = text_value(&mut parser, "--rewrite")?;
                let r = values::rewrite(&v).map_err(|e| bad("--rewrite", e))?;
                rewrites.get_or_insert_with(Vec::new).push(r);
            }
            (Short(b't'), _) | (_, "grace") => {
                let v = text_value(&mut parser, "--grace")?;
                grace = Some(values::duration(&v).map_err(|e| bad("--grace", e))?);
            }
            (_, "wait-for") => {
                let v = text_value(&mut parser, "--wait-for")?;
                let t = target(&v).map_err(|e| bad("--wait-for", e))?;
                wait_for.get_or_insert_with(Vec::new).push(t);
            }
            (_, "wait-timeout") => wait_timeout = Some(dur(&mut parser, "--wait-timeout")?),
            (_, "watch") => {
                let v = text_value(&mut parser, "--watch")?;
                watch = Some(target(&v).map_err(|e| bad("--watch", e))?);
            }
            (_, "watch-interval") => watch_interval = Some(dur(&mut parser, "--watch-interval")?),
            (_, "watch-timeout") => watch_timeout = Some(dur(&mut parser, "--watch-timeout")?),
            (_, "watch-retries") => {
                let v = text_value(&mut parser, "--watch-retries")?;
                watch_retries = Some(retries(&v).map_err(|e| bad("--watch-retries", e))?);
            }
            (_, "watch-start-period") => {
                watch_start_period = Some(dur(&mut parser, "--watch-start-period")?)
            }
            (Short(b'u'), _) | (_, "user") => {
                let v = text_value(&mut parser, "--user")?;
                user = Some(values::user(&v).map_err(|e| bad("--user", e))?);
            }
            (_, "no-new-privs") => no_new_privs = Some(true),
            (_, "stop-delay") => stop_delay = Some(dur(&mut parser, "--stop-delay")?),
            (_, "with") => {
                let v = text_value(&mut parser, "--with")?;
                let s = sidecar(env, &v).map_err(|e| bad("--with", e))?;
                sidecars.get_or_insert_with(Vec::new).push(s);
            }
            (_, "restart") => {
                let v = text_value(&mut parser, "--restart")?;
                restart = Some(restart_policy(&v).map_err(|e| bad("--restart", e))?);
            }
            (_, "max-restarts") => {
                let v = text_value(&mut parser, "--max-restarts")?;
                max_restarts = Some(count(&v).map_err(|e| bad("--max-restarts", e))?);
            }
            (_, "restart-window") => restart_window = Some(dur(&mut parser, "--restart-window")?),
            (_, "on-unhealthy") => {
                let v = text_value(&mut parser, "--on-unhealthy")?;
                on_unhealthy = Some(unhealthy(&v).map_err(|e| bad("--on-unhealthy", e))?);
            }
            (Short(b'v'), _) | (_, "verbose") => *verbosity.get_or_insert(0) += 1,
            (Short(b'q'), _) | (_, "quiet") => *verbosity.get_or_insert(0) -= 1,
            (Short(b'h'), _) | (_, "help") => return Ok(Parsed::Help),
            (Short(b'V'), _) | (_, "version") => return Ok(Parsed::Version),
            (Value(program), _) => {
                command.push(program.clone());
                command.extend(parser.rest());
                break;
            }
            _ => return Err(parser.unexpected(&arg)),
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
        None => env_parsed(env, "VIGIL_GROUP", values::boolean)?.unwrap_or(false),
    };
    // VIGIL_SUBREAPER is accepted like -s, but still validated.
    env_parsed(env, "VIGIL_SUBREAPER", values::boolean)?;
    let success_exits = match success_exits {
        Some(list) => list,
        None => env_list(env, "VIGIL_SUCCESS_EXIT", values::exit_code)?,
    };
    let pdeathsig = match pdeathsig {
        Some(s) => Some(s),
        None => env_parsed(env, "VIGIL_PDEATHSIG", values::signal)?,
    };
    let rewrites = match rewrites {
        Some(list) => list,
        None => env_list(env, "VIGIL_REWRITE", values::rewrite)?,
    };
    let grace = match grace {
        Some(g) => g,
        None => env_parsed(env, "VIGIL_GRACE", values::duration)?.unwrap_or(DEFAULT_GRACE),
    };
    let log_level = match verbosity {
        Some(v) => Level::DEFAULT.shifted(v),
        None => match env_text(env, "VIGIL_LOG")? {
            Some(text) => Level::parse(&text).ok_or_else(|| {
                UsageError(format!(
                    "VIGIL_LOG: unknown level '{text}' (use debug, info, warn, error or off)"
                ))
            })?,
            None => Level::DEFAULT,
        },
    };
    let wait_for = match wait_for {
        Some(list) => list,
        None => env_list(env, "VIGIL_WAIT_FOR", target)?,
    };
    let watch = match watch {
        Some(t) => Some(t),
        None => env_parsed(env, "VIGIL_WATCH", target)?,
    };
    let user = match user {
        Some(u) => Some(u),
        None => env_parsed(env, "VIGIL_USER", values::user)?,
    };
    let no_new_privs = match no_new_privs {
        Some(b) => b,
        None => env_parsed(env, "VIGIL_NO_NEW_PRIVS", values::boolean)?.unwrap_or(false),
    };
    let sidecars = match sidecars {
        Some(list) => list,
        // One sidecar per line: command lines contain commas.
        None => {
            let mut list = Vec::new();
            let text = env_text(env, "VIGIL_WITH")?.unwrap_or_default();
            for line in text.lines().filter(|line| !line.trim().is_empty()) {
                list.push(sidecar(env, line).map_err(|e| bad("VIGIL_WITH", e))?);
            }
            list
        }
    };
    let restart = match restart {
        Some(r) => r,
        None => env_parsed(env, "VIGIL_RESTART", restart_policy)?.unwrap_or(Restart::No),
    };
    let max_restarts = match max_restarts {
        Some(n) => n,
        None => env_parsed(env, "VIGIL_MAX_RESTARTS", count)?.unwrap_or(DEFAULT_MAX_RESTARTS),
    };
    let on_unhealthy = match on_unhealthy {
        Some(o) => o,
        None => env_parsed(env, "VIGIL_ON_UNHEALTHY", unhealthy)?.unwrap_or(OnUnhealthy::Exit),
    };
    Ok(Parsed::Run(InitOptions {
        stop_delay: or_env(env, stop_delay, "VIGIL_STOP_DELAY", Duration::ZERO)?,
        sidecars,
        restart,
        max_restarts,
        restart_window: or_env(
            env,
            restart_window,
            "VIGIL_RESTART_WINDOW",
            DEFAULT_RESTART_WINDOW,
        )?,
        on_unhealthy,
        wait_for,
        wait_timeout: or_env(
            env,
            wait_timeout,
            "VIGIL_WAIT_TIMEOUT",
            DEFAULT_WAIT_TIMEOUT,
        )?,
        watch,
        watch_interval: or_env(
            env,
            watch_interval,
            "VIGIL_WATCH_INTERVAL",
            DEFAULT_WATCH_INTERVAL,
        )?,
        watch_timeout: or_env(
            env,
            watch_timeout,
            "VIGIL_WATCH_TIMEOUT",
            DEFAULT_WATCH_TIMEOUT,
        )?,
        watch_retries: match watch_retries {
            Some(n) => n,
            None => {
                env_parsed(env, "VIGIL_WATCH_RETRIES", retries)?.unwrap_or(DEFAULT_WATCH_RETRIES)
            }
        },
        watch_start_period: or_env(
            env,
            watch_start_period,
            "VIGIL_WATCH_START_PERIOD",
            Duration::ZERO,
        )?,
        user,
        no_new_privs,
        group,
        success_exits,
        pdeathsig,
        rewrites,
        grace,
        log_level,
        command,
    }))
}

fn dur(parser: &mut Parser, option: &str) -> Result<Duration, UsageError> {
    let v = text_value(parser, option)?;
    values::duration(&v).map_err(|e| bad(option, e))
}

/// A flag's duration, else its variable's, else the default.
fn or_env(
    env: Env,
    flag: Option<Duration>,
    name: &str,
    default: Duration,
) -> Result<Duration, UsageError> {
    match flag {
        Some(d) => Ok(d),
        None => Ok(env_parsed(env, name, values::duration)?.unwrap_or(default)),
    }
}

/// `--with`: the words of a sidecar's command line (`command_words.rs`).
fn sidecar(env: Env, line: &str) -> Result<SidecarCommand, String> {
    let words = command_words::split(line, &|name| super::check::lookup(env, name))
        .map_err(|e| format!("'{}': {e}", line.trim()))?;
    Ok(SidecarCommand {
        line: line.trim().into(),
        words,
    })
}

fn restart_policy(text: &str) -> Result<Restart, String> {
    match text.trim() {
        "no" => Ok(Restart::No),
        "on-failure" => Ok(Restart::OnFailure),
        "always" => Ok(Restart::Always),
        _ => Err(format!(
            "unknown policy '{text}' (use no, on-failure or always)"
        )),
    }
}

fn unhealthy(text: &str) -> Result<OnUnhealthy, String> {
    match text.trim() {
        "exit" => Ok(OnUnhealthy::Exit),
        "restart" => Ok(OnUnhealthy::Restart),
        _ => Err(format!("unknown action '{text}' (use exit or restart)")),
    }
}

/// `--max-restarts`: 0 or more.
fn count(text: &str) -> Result<u32, String> {
    text.trim()
        .parse::<u32>()
        .map_err(|_| format!("invalid count '{text}'"))
}

fn target(text: &str) -> Result<Target, String> {
    Target::parse(text).map_err(|e| e.0)
}

/// `--watch-retries`: at least 1, as Docker's `--health-retries`.
fn retries(text: &str) -> Result<u32, String> {
    match text
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| u32::try_from(n).ok())
    {
        Some(n) if n > 0 => Ok(n),
        _ => Err(format!("invalid count '{text}'")),
    }
}

fn env_parsed<T>(
    env: Env,
    name: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Option<T>, UsageError> {
    env_text(env, name)?
        .map(|text| parse(&text).map_err(|e| bad(name, e)))
        .transpose()
}

fn env_list<T>(
    env: Env,
    name: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, UsageError> {
    let Some(text) = env_text(env, name)? else {
        return Ok(Vec::new());
    };
    values::list(&text)
        .map(|item| parse(item).map_err(|e| bad(name, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    fn no_env(_: &str) -> Option<Vec<u8>> {
        None
    }

    fn parse(args: Vec<Vec<u8>>) -> Result<Parsed, UsageError> {
        super::parse(args, &no_env)
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
    fn wait_watch_and_user_flags() {
        let o = run(&["true"]);
        assert_eq!(
            (o.wait_for.len(), o.watch.is_none(), o.user.is_none()),
            (0, true, true)
        );
        assert_eq!(o.wait_timeout, DEFAULT_WAIT_TIMEOUT);
        assert_eq!(o.watch_interval, DEFAULT_WATCH_INTERVAL);
        assert_eq!(o.watch_timeout, DEFAULT_WATCH_TIMEOUT);
        assert_eq!((o.watch_retries, o.watch_start_period), (3, Duration::ZERO));
        assert!(!o.no_new_privs);
        let o = run(&[
            "--wait-for",
            "tcp://db:5432",
            "--wait-for=http://api/health",
            "--wait-timeout",
            "2m",
            "--watch",
            "http://127.0.0.1:8080/",
            "--watch-interval=1s",
            "--watch-timeout",
            "500ms",
            "--watch-retries",
            "5",
            "--watch-start-period",
            "30s",
            "-u",
            "app:staff",
            "--no-new-privs",
            "true",
        ]);
        assert_eq!(o.wait_for.len(), 2);
        assert_eq!(o.wait_for[1].as_str(), "http://api/health");
        assert_eq!(o.wait_timeout, Duration::from_secs(120));
        assert_eq!(
            o.watch.as_ref().map(|t| t.as_str()),
            Some("http://127.0.0.1:8080/")
        );
        assert_eq!(o.watch_interval, Duration::from_secs(1));
        assert_eq!(o.watch_timeout, Duration::from_millis(500));
        assert_eq!(
            (o.watch_retries, o.watch_start_period),
            (5, Duration::from_secs(30))
        );
        assert_eq!(o.user.as_deref(), Some("app:staff"));
        assert!(o.no_new_privs);
        for bad in [
            &["--wait-for", "db:5432", "true"][..],
            &["--watch", "ftp://x", "true"],
            &["--watch-retries", "0", "true"],
            &["--watch-retries", "x", "true"],
            &["--user", "", "true"],
            &["--user", "app:", "true"],
            &["--wait-timeout", "soon", "true"],
        ] {
            let e = parse(args(bad)).unwrap_err();
            assert!(e.0.contains(bad[0]), "{e}");
        }
    }

    #[test]
    fn lifecycle_flags() {
        let o = run(&["true"]);
        assert_eq!(o.stop_delay, Duration::ZERO);
        assert!(o.sidecars.is_empty());
        assert_eq!(o.restart, Restart::No);
        assert_eq!(o.max_restarts, 5);
        assert_eq!(o.restart_window, Duration::from_secs(300));
        assert_eq!(o.on_unhealthy, OnUnhealthy::Exit);
        let o = run(&[
            "--stop-delay",
            "5s",
            "--with",
            "nginx -g 'daemon off;'",
            "--with=worker",
            "--restart",
            "on-failure",
            "--max-restarts",
            "0",
            "--restart-window=1m",
            "--on-unhealthy",
            "restart",
            "app",
        ]);
        assert_eq!(o.stop_delay, Duration::from_secs(5));
        assert_eq!(o.sidecars[0].line, "nginx -g 'daemon off;'");
        assert_eq!(o.sidecars[0].words, ["nginx", "-g", "daemon off;"]);
        assert_eq!(o.sidecars[1].words, ["worker"]);
        assert_eq!(o.restart, Restart::OnFailure);
        assert_eq!(o.max_restarts, 0);
        assert_eq!(o.restart_window, Duration::from_secs(60));
        assert_eq!(o.on_unhealthy, OnUnhealthy::Restart);
        for bad in [
            &["--stop-delay", "soon", "true"][..],
            &["--with", "a 'b", "true"],
            &["--with", "a ${VIGIL_TEST_SURELY_UNSET}", "true"],
            &["--with", " ", "true"],
            &["--restart", "sometimes", "true"],
            &["--max-restarts", "-1", "true"],
            &["--restart-window", "x", "true"],
            &["--on-unhealthy", "ignore", "true"],
        ] {
            let e = parse(args(bad)).unwrap_err();
            assert!(e.0.contains(bad[0]) && e.0.contains(bad[1].trim()), "{e}");
        }
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
