//! Init mode's options, `vigil [OPTIONS] [--] PROGRAM [ARG...]`: the table that
//! defines each one and its `VIGIL_*` twin (all a runtime's `--init` lets a
//! user set), the help made from it, and the parse into `InitOptions`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::argv::{Arg, Lexer};
use super::opt::{self, Given, Opt, Parsing, Stop, Takes, switch};
use super::{Command, Env, Mode, check, help, names, values};
use crate::human::number;
use crate::init::InitOptions;
use crate::init::config::{TINI_VARIABLES, Written};
use crate::init::restart_policy::{OnUnhealthy, Restart};
use crate::log::Level;

/// What parsing fills in: the options, and `-v`/`-q` counted (`-vvq` is one
/// step louder than the default, whatever the order).
pub struct Init {
    opts: InitOptions,
    louder: Option<i32>,
}

/// Every init option, in help order.
pub const OPTIONS: &[Opt<Init>] = &[
    Opt {
        long: "group",
        short: Some('g'),
        env: Some("VIGIL_GROUP"),
        repeats: false,
        takes: Takes::Flag(|s| &mut s.opts.group),
        help: "run the child in its own process group and\nsignal the whole group",
    },
    Opt {
        long: "success-exit",
        short: Some('e'),
        env: Some("VIGIL_SUCCESS_EXIT"),
        repeats: true,
        takes: Takes::Text("CODE", |s, v, _| {
            s.opts.success_exits.push(values::exit_code(v)?);
            Ok(())
        }),
        help: "treat child exit CODE as 0",
    },
    Opt {
        long: "pdeathsig",
        short: Some('p'),
        env: Some("VIGIL_PDEATHSIG"),
        repeats: false,
        takes: Takes::Text("SIG", |s, v, _| {
            s.opts.pdeathsig = Some(values::signal(v)?);
            Ok(())
        }),
        help: "signal vigil gets when its parent dies",
    },
    Opt {
        long: "subreaper",
        short: Some('s'),
        env: Some("VIGIL_SUBREAPER"),
        repeats: false,
        // Accepted for tini; its twin must still be a boolean.
        takes: Takes::Switch(|_, v| switch(v).map(drop)),
        help: "accepted for tini; vigil is always a subreaper",
    },
    Opt {
        long: "rewrite",
        short: Some('r'),
        env: Some("VIGIL_REWRITE"),
        repeats: true,
        takes: Takes::Text("FROM:TO", |s, v, _| {
            s.opts.rewrites.push(values::rewrite(v)?);
            Ok(())
        }),
        help: "deliver TO instead of FROM; TO 0 drops FROM",
    },
    Opt {
        long: "grace",
        short: Some('t'),
        env: Some("VIGIL_GRACE"),
        repeats: false,
        takes: Takes::Duration {
            positive: false,
            field: |s| &mut s.opts.grace,
        },
        help: "shutdown grace before SIGKILL [10s]",
    },
    Opt {
        long: "wait-for",
        short: None,
        env: Some("VIGIL_WAIT_FOR"),
        repeats: true,
        takes: Takes::Text("TARGET", |s, v, given| {
            s.opts.wait_for.push(written(v, given));
            Ok(())
        }),
        help: "first wait until TARGET passes",
    },
    Opt {
        long: "wait-timeout",
        short: None,
        env: Some("VIGIL_WAIT_TIMEOUT"),
        repeats: false,
        takes: Takes::Duration {
            positive: false,
            field: |s| &mut s.opts.wait_timeout,
        },
        help: "or give up: exit 1 [60s]",
    },
    Opt {
        long: "watch",
        short: None,
        env: Some("VIGIL_WATCH"),
        repeats: false,
        takes: Takes::Text("TARGET|notify", |s, v, given| {
            s.opts.watch_notify = v.trim() == "notify";
            s.opts.watch = Some(written(v, given)).filter(|_| !s.opts.watch_notify);
            Ok(())
        }),
        help: "stop PROGRAM, exit 75, when TARGET fails",
    },
    Opt {
        long: "watch-interval",
        short: None,
        env: Some("VIGIL_WATCH_INTERVAL"),
        repeats: false,
        takes: Takes::Duration {
            positive: false,
            field: |s| &mut s.opts.watch_interval,
        },
        help: "from one probe's end to the next [10s]",
    },
    Opt {
        long: "watch-timeout",
        short: None,
        env: Some("VIGIL_WATCH_TIMEOUT"),
        repeats: false,
        takes: Takes::Duration {
            positive: true,
            field: |s| &mut s.opts.watch_timeout,
        },
        help: "one probe's deadline [5s]",
    },
    Opt {
        long: "watch-retries",
        short: None,
        env: Some("VIGIL_WATCH_RETRIES"),
        repeats: false,
        takes: Takes::Text("N", |s, v, _| {
            s.opts.watch_retries = values::retries(v)?;
            Ok(())
        }),
        help: "failures in a row that fire it [3]",
    },
    Opt {
        long: "watch-start-period",
        short: None,
        env: Some("VIGIL_WATCH_START_PERIOD"),
        repeats: false,
        takes: Takes::Duration {
            positive: false,
            field: |s| &mut s.opts.watch_start_period,
        },
        help: "failures this early do not count [0s]",
    },
    Opt {
        long: "ready",
        short: None,
        env: Some("VIGIL_READY"),
        repeats: true,
        takes: Takes::Text("TARGET|notify", |s, v, given| {
            match v.trim() {
                "notify" => s.opts.ready_notify = true,
                _ => s.opts.ready.push(written(v, given)),
            }
            Ok(())
        }),
        help: "ready while TARGET passes (vigil health)",
    },
    Opt {
        long: "ready-interval",
        short: None,
        env: Some("VIGIL_READY_INTERVAL"),
        repeats: false,
        takes: Takes::Duration {
            positive: false,
            field: |s| &mut s.opts.ready_interval,
        },
        help: "from one probe's end to the next [10s]",
    },
    Opt {
        long: "ready-timeout",
        short: None,
        env: Some("VIGIL_READY_TIMEOUT"),
        repeats: false,
        takes: Takes::Duration {
            positive: true,
            field: |s| &mut s.opts.ready_timeout,
        },
        help: "one probe's deadline [5s]",
    },
    Opt {
        long: "ready-retries",
        short: None,
        env: Some("VIGIL_READY_RETRIES"),
        repeats: false,
        takes: Takes::Text("N", |s, v, _| {
            s.opts.ready_retries = values::retries(v)?;
            Ok(())
        }),
        help: "failures in a row: unready [3]",
    },
    Opt {
        long: "user",
        short: Some('u'),
        env: Some("VIGIL_USER"),
        repeats: false,
        takes: Takes::Text("USER[:GROUP]", |s, v, _| {
            s.opts.user = Some(values::user(v)?);
            Ok(())
        }),
        help: "run PROGRAM as USER",
    },
    Opt {
        long: "no-new-privs",
        short: None,
        env: Some("VIGIL_NO_NEW_PRIVS"),
        repeats: false,
        takes: Takes::Flag(|s| &mut s.opts.no_new_privs),
        help: "set no_new_privs for PROGRAM",
    },
    Opt {
        long: "env-file",
        short: None,
        env: Some("VIGIL_ENV_FILE"),
        repeats: true,
        takes: Takes::Text("PATH", |s, v, _| {
            s.opts.env_files.push(values::path(v)?);
            Ok(())
        }),
        help: "the children get PATH's KEY=VALUE lines",
    },
    Opt {
        long: "secret",
        short: None,
        env: Some("VIGIL_SECRET"),
        repeats: true,
        takes: Takes::Text("NAME=PATH", |s, v, _| {
            s.opts.secrets.push(values::secret(v)?);
            Ok(())
        }),
        help: "set NAME to PATH's contents for the children",
    },
    Opt {
        long: "file-env",
        short: None,
        env: Some("VIGIL_FILE_ENV"),
        repeats: false,
        takes: Takes::Flag(|s| &mut s.opts.file_env),
        help: "FILE__NAME=PATH sets NAME for the children",
    },
    Opt {
        long: "stop-delay",
        short: None,
        env: Some("VIGIL_STOP_DELAY"),
        repeats: false,
        takes: Takes::Duration {
            positive: false,
            field: |s| &mut s.opts.stop_delay,
        },
        help: "hold the first SIGTERM this long, then\nforward it [0]",
    },
    Opt {
        long: "name",
        short: None,
        env: Some("VIGIL_NAME"),
        repeats: false,
        takes: Takes::Text("NAME", |s, v, _| {
            s.opts.name = names::name(v.trim())?;
            Ok(())
        }),
        help: "PROGRAM's name [its file name]",
    },
    Opt {
        long: "with",
        short: None,
        env: Some("VIGIL_WITH"),
        repeats: true,
        takes: Takes::Lines("'[NAME:] CMD ARG...'", |s, v, given| {
            s.opts.sidecars.push(names::command(v, given.from)?);
            Ok(())
        }),
        help: "a sidecar, started before PROGRAM in its own\ngroup (VIGIL_WITH: one per line)",
    },
    Opt {
        long: "pre-start",
        short: None,
        env: Some("VIGIL_PRE_START"),
        repeats: true,
        takes: Takes::Lines("'CMD ARG...'", |s, v, given| {
            s.opts.pre_start.push(names::command(v, given.from)?);
            Ok(())
        }),
        help: "run CMD to its end before PROGRAM starts, as\nvigil's user (VIGIL_PRE_START: one per line)",
    },
    Opt {
        long: "pre-stop",
        short: None,
        env: Some("VIGIL_PRE_STOP"),
        repeats: false,
        takes: Takes::Text("'CMD ARG...'", |s, v, given| {
            s.opts.pre_stop = Some(names::command(v, given.from)?);
            Ok(())
        }),
        help: "run CMD at the first stop signal; PROGRAM\ngets the signal once it has exited",
    },
    Opt {
        long: "log-prefix",
        short: None,
        env: Some("VIGIL_LOG_PREFIX"),
        repeats: false,
        takes: Takes::Flag(|s| &mut s.opts.log_prefix),
        help: "write each process's output as 'NAME | line'",
    },
    Opt {
        long: "restart",
        short: None,
        env: Some("VIGIL_RESTART"),
        repeats: false,
        takes: Takes::Text("POLICY", |s, v, _| {
            s.opts.restart = restart_policy(v)?;
            Ok(())
        }),
        help: "no|on-failure|always [no]",
    },
    Opt {
        long: "max-restarts",
        short: None,
        env: Some("VIGIL_MAX_RESTARTS"),
        repeats: false,
        takes: Takes::Text("N", |s, v, _| {
            s.opts.max_restarts = count(v)?;
            Ok(())
        }),
        help: "per process, within --restart-window [5]",
    },
    Opt {
        long: "restart-window",
        short: None,
        env: Some("VIGIL_RESTART_WINDOW"),
        repeats: false,
        takes: Takes::Duration {
            positive: true,
            field: |s| &mut s.opts.restart_window,
        },
        help: "the window --max-restarts counts in [5m]",
    },
    Opt {
        long: "on-unhealthy",
        short: None,
        env: Some("VIGIL_ON_UNHEALTHY"),
        repeats: false,
        takes: Takes::Text("ACTION", |s, v, _| {
            s.opts.on_unhealthy = unhealthy(v)?;
            Ok(())
        }),
        help: "exit|restart: what --watch does [exit]",
    },
    Opt {
        long: "restart-signal",
        short: None,
        env: Some("VIGIL_RESTART_SIGNAL"),
        repeats: false,
        takes: Takes::Text("SIG", |s, v, _| {
            s.opts.restart_signal = Some(values::restart_signal(v)?);
            Ok(())
        }),
        help: "on SIG, restart PROGRAM in place instead of\nforwarding SIG",
    },
    Opt {
        long: "notify",
        short: None,
        env: Some("VIGIL_NOTIFY"),
        repeats: false,
        takes: Takes::Flag(|s| &mut s.opts.notify),
        help: "tell NOTIFY_SOCKET (sd_notify) when ready,\nthe state, stopping; WATCHDOG=1 while live",
    },
    Opt {
        long: "verbose",
        short: Some('v'),
        env: Some("VIGIL_LOG"),
        repeats: true,
        takes: Takes::Switch(|s, v| louder(s, v, 1)),
        help: "say more on stderr; VIGIL_LOG sets the level:\ndebug, info, warn (default), error or off",
    },
    Opt {
        long: "quiet",
        short: Some('q'),
        env: Some("VIGIL_LOG"),
        repeats: true,
        takes: Takes::Switch(|s, v| louder(s, v, -1)),
        help: "say less on stderr",
    },
    Opt {
        long: "help",
        short: Some('h'),
        env: None,
        repeats: false,
        takes: Takes::Help,
        help: "this help",
    },
    Opt {
        long: "version",
        short: Some('V'),
        env: None,
        repeats: false,
        takes: Takes::Version,
        help: "the version",
    },
];

/// A target kept as written: init expands and checks it once the
/// environment files are read.
fn written(text: &str, given: &Given) -> Written {
    Written {
        from: given.from,
        text: text.into(),
    }
}

/// The variables init mode reads, which vigil keeps from its children (a
/// vigil among them would apply them again): every twin of `OPTIONS` but
/// those `vigil check` reads too, which a child may run, and tini's.
pub fn consumed() -> Vec<&'static str> {
    // The parsing tables: `OPTIONS` itself, with its help lines, is only
    // laid out at compile time.
    let mut twins: Vec<&'static str> = Vec::new();
    for twin in PARSING.iter().filter_map(|o| o.env) {
        if !check::PARSING.iter().any(|c| c.env == Some(twin)) {
            twins.push(twin);
        }
    }
    twins.dedup(); // -v and -q share VIGIL_LOG
    twins.extend(TINI_VARIABLES.map(|(tini, _)| tini));
    twins
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
    number(text.trim())
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("invalid count '{text}'"))
}

/// `-v` / `-q` from argv, or their shared twin `VIGIL_LOG`, a level name.
fn louder(s: &mut Init, twin: Option<&str>, step: i32) -> Result<(), String> {
    match twin {
        None => *s.louder.get_or_insert(0) += step,
        Some(text) => {
            s.opts.log_level = Level::parse(text).ok_or_else(|| {
                format!("unknown level '{text}' (use debug, info, warn, error or off)")
            })?;
        }
    }
    Ok(())
}

const HEAD: &str = "\
vigil: a tiny PID 1 for containers, and a health probe with a hard deadline.

Usage:
  vigil [OPTIONS] [--] PROGRAM [ARG...]  run PROGRAM as the child of an init
  vigil check [OPTIONS] [TARGET...]      probe http(s)://, tcp://, grpc(s)://
  vigil health [--live|--started] [-q]   ask this container's vigil its state

Init options. Each is also set by the VIGIL_* variable on its right; a flag
beats its variable, and a repeatable option's variable is a comma-separated
list. Switches' variables take 1/true/yes or 0/false/no.
";

const TAIL: &str = "
Check: vigil check --help. Exit status: the child's, 128+N if signal N ended
it, 127 program not found, 126 not executable, 2 bad usage, 75 --watch
fired, 1 vigil failed (--wait-for, --user, ...).
";

const COLUMN: usize = 29;
const HELP_LEN: usize = help::render(&mut [], HEAD, OPTIONS, COLUMN, TAIL);
const HELP_BYTES: [u8; HELP_LEN] = {
    let mut bytes = [0; HELP_LEN];
    help::render(&mut bytes, HEAD, OPTIONS, COLUMN, TAIL);
    bytes
};
/// `OPTIONS` as parsing reads it (`opt::for_parsing`).
const PARSING: [Parsing<Init>; OPTIONS.len()] = opt::for_parsing(OPTIONS);
/// `vigil --help`, made from `OPTIONS` when the crate is compiled.
pub const HELP: help::Help = help::text(&HELP_BYTES);

/// The modes a first word selects (`vigil check ...`).
const MODES: [&str; 2] = ["check", "health"];

/// How the error for options given before a mode word begins: `cli::parse`
/// reports it as that mode's usage error (exit 1, as `vigil check` exits).
pub const MODE_AFTER_OPTIONS: &str = "options go after the mode word: vigil ";

/// tini's variables (`TINI_VARIABLES`) as defaults, before argv and the
/// twins, which replace them; each one set is marked for a notice.
fn tini_variables(s: &mut Init, env: Env) {
    let mut bit = 1;
    for (tini, _) in TINI_VARIABLES {
        let value = env(tini);
        bit <<= 1;
        let Some(value) = value else { continue };
        s.opts.tini_variables |= bit >> 1;
        // TINI_SUBREAPER (bit 1): vigil is always a subreaper.
        if bit == 4 {
            s.opts.group = true;
        }
        if bit == 8 {
            // tini: 0 fatal errors only, 1 (its default) warnings, 2 info,
            // 3 and up debug; atoi(3) reads anything else as 0.
            let mut digits = value.trim_ascii_start();
            while let [b'+' | b'0', rest @ ..] = digits {
                digits = rest;
            }
            let verbosity = match digits {
                [a, b, ..] if a.is_ascii_digit() && b.is_ascii_digit() => 3,
                [a, ..] if a.is_ascii_digit() => a - b'0',
                _ => 0,
            };
            s.opts.log_level = [Level::Error, Level::Warn, Level::Info, Level::Debug]
                [usize::from(verbosity.min(3))];
        }
    }
}

/// Parses the arguments after `argv[0]`. Option parsing stops at `--` or at
/// the first word that is not an option, so `vigil sh -c 'exit 4'` runs sh.
/// The twins fill in what argv did not set.
pub fn parse(args: Vec<Vec<u8>>, env: Env) -> Result<Command, String> {
    let mut s = Init {
        opts: InitOptions::new(Vec::new()),
        louder: None,
    };
    tini_variables(&mut s, env);
    let mut seen = [false; PARSING.len()];
    let mut lexer = Lexer::new(args);
    while let Some(arg) = lexer.next_arg()? {
        if let Arg::Operand(program) = arg {
            // `vigil -q check URL`: the habit of putting options first.
            let mode = MODES.iter().find(|m| m.as_bytes() == program);
            if let Some(mode) = mode.filter(|_| seen.contains(&true) && !lexer.after_double_dash())
            {
                return Err(format!(
                    "{MODE_AFTER_OPTIONS}{mode} [OPTIONS] ... (a program named {mode}: vigil [OPTIONS] -- {mode})"
                ));
            }
            s.opts.command.push(program);
            s.opts.command.extend(lexer.rest());
            break;
        }
        match opt::apply(
            &PARSING,
            &mut seen,
            &mut lexer,
            arg,
            &mut s,
            env,
            "vigil --help",
        )? {
            Some(Stop::Help) => return Ok(Command::Help(Mode::Init, HELP)),
            Some(Stop::Version) => return Ok(Command::Version),
            None => {}
        }
    }
    if s.opts.command.is_empty() {
        return Err(
            "no program to run (usage: vigil [OPTIONS] [--] PROGRAM [ARG...]; see vigil --help)"
                .into(),
        );
    }
    opt::apply_twins(&PARSING, &seen, &mut s, env)?;
    names::unique_names(&mut s.opts)?;
    s.opts.consumed = consumed();
    if s.opts.notify || s.opts.ready_notify || s.opts.watch_notify {
        // vigil's own: PROGRAM gets vigil's socket (`--ready notify`,
        // `--watch notify`) or none.
        (s.opts.consumed).extend(["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]);
    }
    if let Some(steps) = s.louder {
        s.opts.log_level = Level::DEFAULT.shifted(steps);
    }
    Ok(Command::Init(s.opts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::test_env;
    use crate::init::config::*;
    use crate::sys::signal::Signal;
    use alloc::vec;
    use core::time::Duration;

    fn args(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    fn parse_with(list: &[&str], vars: &[(&str, &str)]) -> Result<Command, String> {
        parse(args(list), &test_env(vars))
    }

    fn run(list: &[&str]) -> InitOptions {
        run_with(list, &[])
    }

    fn run_with(list: &[&str], vars: &[(&str, &str)]) -> InitOptions {
        match parse_with(list, vars) {
            Ok(Command::Init(o)) => o,
            Ok(_) => panic!("{list:?}: not a run"),
            Err(e) => panic!("{list:?}: {e}"),
        }
    }

    fn error(list: &[&str], vars: &[(&str, &str)]) -> String {
        match parse_with(list, vars) {
            Err(e) => e,
            Ok(_) => panic!("{list:?} {vars:?} was accepted"),
        }
    }

    #[test]
    fn stops_at_first_word_and_at_double_dash() {
        let o = run(&["sh", "-c", "exit 4"]);
        assert_eq!(o.command, args(&["sh", "-c", "exit 4"]));
        let o = run(&["-g", "--", "-weird", "-g"]);
        assert!(o.group);
        assert_eq!(o.command, args(&["-weird", "-g"]));
        let o = run(&["-t", "1s", "-", "--", "x"]);
        assert_eq!(o.command, args(&["-", "--", "x"]));
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
    fn clustered_shorts_and_attached_values() {
        let o = run(&["-gt5s", "-vq", "-q", "true"]);
        assert!(o.group);
        assert_eq!(o.grace, Duration::from_secs(5));
        assert_eq!(o.log_level, Level::Error);
        assert_eq!(run(&["-t=2s", "true"]).grace, Duration::from_secs(2));
        assert_eq!(run(&["--grace=3s", "true"]).grace, Duration::from_secs(3));
        // Saturates only once counted: five steps down and one up is Off.
        assert_eq!(run(&["-qqqqqv", "true"]).log_level, Level::Off);
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
        assert_eq!(o.wait_for[1].text, "http://api/health");
        assert_eq!(o.wait_for[1].from.to_string(), "--wait-for");
        assert_eq!(o.wait_timeout, Duration::from_secs(120));
        assert_eq!(
            o.watch.as_ref().map(|t| t.text.as_str()),
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
        // Targets are checked by init, once it has read the env files.
        for bad in [
            &["--watch-retries", "0", "true"][..],
            &["--watch-retries", "x", "true"],
            &["--user", "", "true"],
            &["--user", "app:", "true"],
            &["--wait-timeout", "soon", "true"],
        ] {
            let e = error(bad, &[]);
            assert!(e.starts_with(&format!("{}: ", bad[0])), "{e}");
        }
    }

    #[test]
    fn messages_are_lexopts() {
        for (list, want) in [
            (
                &["--nope", "true"][..],
                "invalid option '--nope' (see vigil --help)",
            ),
            (
                &["--nope=1", "true"],
                "invalid option '--nope' (see vigil --help)",
            ),
            (&["-Z"], "invalid option '-Z'"),
            (&["-gZ"], "invalid option '-Z'"),
            (&["--grace"], "--grace needs a value"),
            (&["-t"], "--grace needs a value"),
            (&["-gt"], "--grace needs a value"),
            (
                &["--group=1", "true"],
                "unexpected argument for option '--group': \"1\"",
            ),
            (
                &["-g=yes", "true"],
                "unexpected argument for option '-g': \"yes\"",
            ),
            (
                &["--grace", "soon", "true"],
                "--grace: invalid duration 'soon' (use e.g. 500ms, 10s, 2m, 1h)",
            ),
            (
                &["-e", "300", "true"],
                "--success-exit: invalid exit code '300' (use 0-255)",
            ),
            (
                &["-g"],
                "no program to run (usage: vigil [OPTIONS] [--] PROGRAM [ARG...]; see vigil --help)",
            ),
        ] {
            assert_eq!(error(list, &[]), want, "{list:?}");
        }
        let e = parse(
            vec![b"--grace".to_vec(), b"5\xffs".to_vec()],
            &test_env(&[]),
        );
        assert_eq!(
            e.err().as_deref(),
            Some("--grace: value is not UTF-8: 5\u{FFFD}s")
        );
    }

    #[test]
    fn help_and_version_stop_parsing() {
        for list in [&["-h", "--nope"][..], &["--help"], &["-gh"], &["--help=x"]] {
            assert!(
                matches!(parse_with(list, &[]), Ok(Command::Help(Mode::Init, HELP))),
                "{list:?}"
            );
        }
        assert!(matches!(parse_with(&["-V"], &[]), Ok(Command::Version)));
        assert!(matches!(
            parse_with(&["--version", "-Z"], &[]),
            Ok(Command::Version)
        ));
    }

    #[test]
    fn twins_fill_in_what_argv_did_not_set() {
        let vars = [
            ("VIGIL_GROUP", "yes"),
            ("VIGIL_SUCCESS_EXIT", "143,,130, "),
            ("VIGIL_PDEATHSIG", "TERM"),
            ("VIGIL_SUBREAPER", "0"),
            ("VIGIL_REWRITE", "TERM:QUIT,WINCH:0"),
            ("VIGIL_GRACE", "30s"),
            ("VIGIL_WAIT_FOR", "tcp://db:5432,http://api/"),
            ("VIGIL_WAIT_TIMEOUT", "2m"),
            ("VIGIL_WATCH", "http://127.0.0.1/"),
            ("VIGIL_WATCH_INTERVAL", "1s"),
            ("VIGIL_WATCH_TIMEOUT", "2s"),
            ("VIGIL_WATCH_RETRIES", "4"),
            ("VIGIL_WATCH_START_PERIOD", "5s"),
            ("VIGIL_USER", "app"),
            ("VIGIL_NO_NEW_PRIVS", "TRUE"),
            ("VIGIL_LOG", "info"),
        ];
        let o = run_with(&["true"], &vars);
        assert!(o.group && o.no_new_privs);
        assert_eq!(o.success_exits, vec![143, 130]);
        assert_eq!(o.pdeathsig, Some(Signal::TERM));
        assert_eq!(o.rewrites.len(), 2);
        assert_eq!(o.grace, Duration::from_secs(30));
        assert_eq!(o.wait_for.len(), 2);
        assert_eq!(o.wait_timeout, Duration::from_secs(120));
        assert!(o.watch.is_some());
        assert_eq!(o.watch_interval, Duration::from_secs(1));
        assert_eq!(o.watch_timeout, Duration::from_secs(2));
        assert_eq!(o.watch_retries, 4);
        assert_eq!(o.watch_start_period, Duration::from_secs(5));
        assert_eq!(o.user.as_deref(), Some("app"));
        assert_eq!(o.log_level, Level::Info);

        // A flag beats its twin, which is then never read; a repeatable
        // option's flags replace the twin's whole list.
        let o = run_with(
            &["-e", "1", "-t", "1s", "-q", "true"],
            &[
                ("VIGIL_SUCCESS_EXIT", "2,3"),
                ("VIGIL_GRACE", "bogus"),
                ("VIGIL_LOG", "bogus"),
            ],
        );
        assert_eq!(o.success_exits, vec![1]);
        assert_eq!(o.grace, Duration::from_secs(1));
        assert_eq!(o.log_level, Level::Error);
        // Empty counts as unset.
        assert_eq!(
            run_with(&["true"], &[("VIGIL_GRACE", "")]).grace,
            DEFAULT_GRACE
        );
        assert!(!run_with(&["true"], &[("VIGIL_GROUP", "0")]).group);
    }

    #[test]
    fn bad_twins_name_the_variable_and_value() {
        for (var, value, want) in [
            (
                "VIGIL_GRACE",
                "forever",
                "VIGIL_GRACE: invalid duration 'forever' (use e.g. 500ms, 10s, 2m, 1h)",
            ),
            (
                "VIGIL_GROUP",
                "on",
                "VIGIL_GROUP: invalid boolean 'on' (use 1/true/yes or 0/false/no)",
            ),
            (
                "VIGIL_SUBREAPER",
                "maybe",
                "VIGIL_SUBREAPER: invalid boolean 'maybe' (use 1/true/yes or 0/false/no)",
            ),
            (
                "VIGIL_SUCCESS_EXIT",
                "143,abc",
                "VIGIL_SUCCESS_EXIT: invalid exit code 'abc' (use 0-255)",
            ),
            (
                "VIGIL_LOG",
                "loud",
                "VIGIL_LOG: unknown level 'loud' (use debug, info, warn, error or off)",
            ),
        ] {
            assert_eq!(error(&["true"], &[(var, value)]), want);
        }
        let bytes = |name: &str| (name == "VIGIL_USER").then(|| b"a\xffb".to_vec());
        assert_eq!(
            parse(args(&["true"]), &bytes).err().as_deref(),
            Some("VIGIL_USER: value is not UTF-8: a\u{FFFD}b")
        );
    }

    #[test]
    fn lifecycle_flags() {
        use crate::init::restart_policy::{OnUnhealthy, Restart};
        let o = run(&["true"]);
        assert_eq!(o.stop_delay, Duration::ZERO);
        assert!(o.sidecars.is_empty());
        assert!(!o.log_prefix);
        assert!(run(&["--log-prefix", "true"]).log_prefix);
        assert!(run_with(&["true"], &[("VIGIL_LOG_PREFIX", "1")]).log_prefix);
        assert!(!run_with(&["true"], &[("VIGIL_LOG_PREFIX", "no")]).log_prefix);
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
        assert_eq!(o.sidecars[0].name, "nginx");
        assert_eq!(o.sidecars[0].words, ["nginx", "-g", "daemon off;"]);
        assert_eq!(o.sidecars[1].words, ["worker"]);
        assert_eq!(o.restart, Restart::OnFailure);
        assert_eq!(o.max_restarts, 0);
        assert_eq!(o.restart_window, Duration::from_secs(60));
        assert_eq!(o.on_unhealthy, OnUnhealthy::Restart);
        for bad in [
            &["--stop-delay", "soon", "true"][..],
            &["--with", "a 'b", "true"],
            &["--with", "a ${1X}", "true"],
            &["--with", " ", "true"],
            &["--restart", "sometimes", "true"],
            &["--max-restarts", "-1", "true"],
            &["--restart-window", "x", "true"],
            &["--restart-window", "0", "true"],
            &["--on-unhealthy", "ignore", "true"],
        ] {
            let e = error(bad, &[]);
            assert!(e.contains(bad[0]) && e.contains(bad[1].trim()), "{e}");
        }
    }

    #[test]
    fn environment_flags_and_twins() {
        let o = run(&["app"]);
        assert!(o.env_files.is_empty() && o.secrets.is_empty() && !o.file_env);
        let o = run(&[
            "--env-file",
            "/etc/app.env",
            "--env-file=local.env",
            "--secret",
            "DB_PASSWORD=/run/secrets/db",
            "--file-env",
            "app",
        ]);
        assert_eq!(o.env_files, ["/etc/app.env", "local.env"]);
        assert_eq!(
            o.secrets,
            [("DB_PASSWORD".into(), "/run/secrets/db".into())]
        );
        assert!(o.file_env);
        let o = run_with(
            &["app"],
            &[
                ("VIGIL_ENV_FILE", "/a.env, /b.env"),
                ("VIGIL_SECRET", "A=/s/a,B=/s/b"),
                ("VIGIL_FILE_ENV", "yes"),
            ],
        );
        assert_eq!(o.env_files, ["/a.env", "/b.env"]);
        assert_eq!(o.secrets.len(), 2);
        assert!(o.file_env);
        for (list, vars, want) in [
            (
                &["--secret", "nope", "app"][..],
                &[][..],
                "--secret: invalid 'nope' (use NAME=PATH, e.g. DB_PASSWORD=/run/secrets/db)",
            ),
            (
                &["app"],
                &[("VIGIL_SECRET", "A=/a,9B=/b")],
                "VIGIL_SECRET: invalid '9B=/b' (use NAME=PATH, e.g. DB_PASSWORD=/run/secrets/db)",
            ),
            (&["--env-file", " ", "app"], &[], "--env-file: empty path"),
            (
                &["app"],
                &[("VIGIL_FILE_ENV", "on")],
                "VIGIL_FILE_ENV: invalid boolean 'on' (use 1/true/yes or 0/false/no)",
            ),
        ] {
            assert_eq!(error(list, vars), want);
        }
    }

    /// A vigil among the children would apply them again (two of each
    /// sidecar, two stop delays); `vigil check`'s own stay for a child that
    /// runs it.
    #[test]
    fn every_init_twin_is_consumed_and_none_of_checks() {
        let o = run(&["app"]);
        for twin in OPTIONS.iter().filter_map(|o| o.env) {
            assert!(o.consumed.contains(&twin), "{twin}");
        }
        assert_eq!(o.consumed.iter().filter(|&&t| t == "VIGIL_LOG").count(), 1);
        for twin in check::OPTIONS.iter().filter_map(|o| o.env) {
            assert!(!o.consumed.contains(&twin), "{twin}");
        }
        assert!(!o.consumed.contains(&"VIGIL_CHECK"));
        for (tini, _) in TINI_VARIABLES {
            assert!(o.consumed.contains(&tini), "{tini}");
        }
    }

    #[test]
    fn an_unknown_long_option_names_the_closest_one() {
        for (typed, want) in [
            (
                "--grase",
                "invalid option '--grase' (did you mean --grace? see vigil --help)",
            ),
            (
                "--Grace",
                "invalid option '--Grace' (did you mean --grace? see vigil --help)",
            ),
            (
                "--stop-dealy",
                "invalid option '--stop-dealy' (did you mean --stop-delay? see vigil --help)",
            ),
            (
                "--wait",
                "invalid option '--wait' (did you mean --wait-for? see vigil --help)",
            ),
            (
                "--subreap",
                "invalid option '--subreap' (did you mean --subreaper? see vigil --help)",
            ),
            ("--timeout", "invalid option '--timeout' (see vigil --help)"),
            ("--xy", "invalid option '--xy' (see vigil --help)"),
        ] {
            assert_eq!(error(&[typed, "1s", "true"], &[]), want);
        }
    }

    #[test]
    fn options_before_a_mode_word_say_they_go_after_it() {
        for list in [
            &["-q", "check", "http://a/"][..],
            &["-t", "2s", "check", "http://a/"],
            &["--grace=1s", "health"],
        ] {
            let e = error(list, &[]);
            assert!(e.starts_with(MODE_AFTER_OPTIONS), "{e}");
            let mode = list.iter().find(|w| MODES.contains(w)).expect("a mode");
            assert_eq!(
                e,
                format!(
                    "{MODE_AFTER_OPTIONS}{mode} [OPTIONS] ... (a program named {mode}: vigil [OPTIONS] -- {mode})"
                )
            );
        }
        // After `--`, or with no option before it, it is a program's name.
        let o = run(&["-q", "--", "check", "-x"]);
        assert_eq!(o.command, args(&["check", "-x"]));
        assert_eq!(run(&["health", "-q"]).command, args(&["health", "-q"]));
        assert_eq!(run(&["-q", "checker"]).command, args(&["checker"]));
    }

    /// tini's variables: set (even empty or "0") is on, as `getenv() !=
    /// NULL` is for tini; an option or its VIGIL_* twin wins.
    #[test]
    fn tini_variables_are_read_as_tini_reads_them() {
        let o = run_with(&["true"], &[("TINI_KILL_PROCESS_GROUP", "0")]);
        // Bit 1: TINI_VARIABLES[1], named in a notice.
        assert!(o.group);
        assert_eq!(o.tini_variables, 0b010);
        assert_eq!(
            TINI_VARIABLES[1],
            ("TINI_KILL_PROCESS_GROUP", "VIGIL_GROUP")
        );
        assert!(run_with(&["true"], &[("TINI_KILL_PROCESS_GROUP", "")]).group);
        let o = run_with(
            &["true"],
            &[("TINI_KILL_PROCESS_GROUP", "1"), ("VIGIL_GROUP", "no")],
        );
        assert!(!o.group, "the twin wins");
        let o = run_with(&["-g", "true"], &[("TINI_KILL_PROCESS_GROUP", "1")]);
        assert!(o.group);

        for (verbosity, level) in [
            ("0", Level::Error),
            ("1", Level::Warn),
            ("2", Level::Info),
            ("3", Level::Debug),
            ("007", Level::Debug),
            (" +2x", Level::Info),
            ("10", Level::Debug),
            ("-1", Level::Error),
            ("loud", Level::Error),
            ("", Level::Error),
            ("99999999999999999999", Level::Debug),
        ] {
            let o = run_with(&["true"], &[("TINI_VERBOSITY", verbosity)]);
            assert_eq!(o.log_level, level, "TINI_VERBOSITY={verbosity:?}");
            assert_eq!(o.tini_variables, 0b100);
        }
        // An option counts from the default, as without the variable.
        let o = run_with(&["-v", "true"], &[("TINI_VERBOSITY", "0")]);
        assert_eq!(o.log_level, Level::Info);
        let o = run_with(
            &["true"],
            &[("TINI_VERBOSITY", "3"), ("VIGIL_LOG", "error")],
        );
        assert_eq!(o.log_level, Level::Error);

        // vigil is a subreaper anyway: only the notice.
        let o = run_with(&["true"], &[("TINI_SUBREAPER", "")]);
        assert_eq!((o.tini_variables, o.group), (0b001, false));
        assert_eq!(run(&["true"]).tini_variables, 0);
    }

    #[test]
    fn vigil_with_holds_one_sidecar_per_line() {
        let o = run_with(
            &["app"],
            &[(
                "VIGIL_WITH",
                "nginx -g 'daemon off;', x\n\n  worker --id=${ID:-1}\n",
            )],
        );
        assert_eq!(o.sidecars.len(), 2);
        assert_eq!(o.sidecars[0].words, ["nginx", "-g", "daemon off;,", "x"]);
        // Kept for init to expand at each start.
        assert_eq!(o.sidecars[1].words, ["worker", "--id=${ID:-1}"]);
        assert_eq!(o.sidecars[1].from.to_string(), "VIGIL_WITH");
        let e = error(&["app"], &[("VIGIL_WITH", "ok\nbad 'quote")]);
        assert!(e.starts_with("VIGIL_WITH: 'bad 'quote'"), "{e}");
        // Lines take the same `NAME:` prefix as --with.
        let o = run_with(&["app"], &[("VIGIL_WITH", "proxy: nginx\nworker")]);
        assert_eq!(
            (o.sidecars[0].name.as_str(), &o.sidecars[0].words[..]),
            ("proxy", &["nginx".into()][..])
        );
        assert_eq!(o.sidecars[1].name, "worker");
        let e = error(&["app"], &[("VIGIL_WITH", "a b: nginx\nc/d: x")]);
        assert_eq!(
            e,
            "VIGIL_WITH: invalid name 'c/d' (use 1 to 32 of A-Z a-z 0-9 _ . -)"
        );
        // CRLF line ends, as a file written on Windows has them.
        let o = run_with(&["app"], &[("VIGIL_WITH", "a x\r\n\r\nb\r")]);
        assert_eq!(o.sidecars.len(), 2);
        assert_eq!(
            (o.sidecars[0].line.as_str(), &o.sidecars[0].words[..]),
            ("a x", &["a".into(), "x".into()][..])
        );
        assert_eq!(
            (o.sidecars[1].line.as_str(), &o.sidecars[1].words[..]),
            ("b", &["b".into()][..])
        );
        // A flag replaces the variable's whole list.
        let o = run_with(&["--with", "one", "app"], &[("VIGIL_WITH", "two")]);
        assert_eq!(o.sidecars.len(), 1);
        assert_eq!(o.sidecars[0].words, ["one"]);
    }

    #[test]
    fn names_and_hooks() {
        let o = run(&["/usr/bin/app"]);
        assert_eq!(o.name, "app");
        assert!(o.pre_start.is_empty() && o.pre_stop.is_none());
        let o = run(&[
            "--name",
            "web",
            "--with",
            "proxy: nginx",
            "--with=nginx -c x",
            "--pre-start",
            "migrate --up",
            "--pre-start",
            "chown -R app /data",
            "--pre-stop",
            "drain: app --drain",
            "/usr/bin/app",
        ]);
        assert_eq!(o.name, "web");
        let names: Vec<&str> = o.sidecars.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["proxy", "nginx"]);
        assert_eq!(o.pre_start[0].words, ["migrate", "--up"]);
        assert_eq!(o.pre_start[1].name, "chown");
        let stop = o
            .pre_stop
            .as_ref()
            .map(|c| (c.name.as_str(), c.words.len()));
        assert_eq!(stop, Some(("drain", 2)));
        let o = run_with(
            &["app"],
            &[
                ("VIGIL_NAME", "web"),
                ("VIGIL_PRE_START", "one a,b\n\ntwo"),
                ("VIGIL_PRE_STOP", "sleep 5"),
            ],
        );
        assert_eq!(o.name, "web");
        assert_eq!(o.pre_start[0].words, ["one", "a,b"]);
        assert_eq!(o.pre_start[1].words, ["two"]);
        assert_eq!(
            o.pre_stop.map(|c| c.words),
            Some(vec!["sleep".into(), "5".into()])
        );
    }

    #[test]
    fn bad_names_and_hooks_are_usage_errors() {
        for (list, want) in [
            (
                &["--name", "my app", "app"][..],
                "--name: invalid name 'my app' (use 1 to 32 of A-Z a-z 0-9 _ . -)",
            ),
            (
                &["--with", "pr@xy: nginx", "app"],
                "--with: invalid name 'pr@xy' (use 1 to 32 of A-Z a-z 0-9 _ . -)",
            ),
            (
                &["--name", "web", "--with", "web: nginx", "app"],
                "--with: name 'web' is used twice",
            ),
            (
                &["--pre-start", "a 'b", "app"],
                "--pre-start: 'a 'b': unclosed single quote",
            ),
            (&["--pre-stop", " ", "app"], "--pre-stop: '': empty command"),
        ] {
            assert_eq!(error(list, &[]), want, "{list:?}");
        }
    }

    #[test]
    fn the_restart_signal() {
        assert_eq!(run(&["app"]).restart_signal, None);
        let o = run(&["--restart-signal", "hup", "app"]);
        assert_eq!(o.restart_signal, Some(Signal::HUP));
        let o = run_with(&["app"], &[("VIGIL_RESTART_SIGNAL", "USR2")]);
        assert_eq!(o.restart_signal, Some(Signal(libc::SIGUSR2)));
        assert_eq!(
            error(&["--restart-signal", "nope", "app"], &[]),
            "--restart-signal: unknown signal 'nope' (use e.g. TERM, SIGUSR1, 10, RTMIN+2)"
        );
        // What already means something to vigil, or cannot be caught.
        for sig in ["TERM", "int", "SIGQUIT", "9", "STOP", "CHLD"] {
            let e = error(&["--restart-signal", sig, "app"], &[]);
            assert!(
                e.starts_with("--restart-signal: SIG")
                    && e.ends_with(" cannot restart: TERM, INT, QUIT, KILL, STOP and CHLD keep their meaning (use e.g. HUP or USR1)"),
                "{e}"
            );
        }
        assert_eq!(
            error(&["app"], &[("VIGIL_RESTART_SIGNAL", "TERM")]),
            "VIGIL_RESTART_SIGNAL: SIGTERM cannot restart: TERM, INT, QUIT, KILL, STOP and CHLD keep their meaning (use e.g. HUP or USR1)"
        );
    }
}
