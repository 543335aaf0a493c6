//! Bad input: every bad option or value exits 2 with one line naming the option
//! and the value, and never starts the child. Also -h, -V and env booleans.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::run::{Mode, command, modes_test};
use common::{output_limit, text, wait_limit};

const LIMIT: Duration = Duration::from_secs(20);

/// Runs vigil with `args` + a child that would leave a marker file; asserts
/// exit 2, a one-line message containing every `needles`, and no marker.
fn rejected(args: &[&str], envs: &[(&str, &str)], needles: &[&str]) {
    let marker = std::env::temp_dir().join(format!(
        "vigil-started-{}-{}",
        std::process::id(),
        needles.join("_").replace('/', "")
    ));
    let _ = std::fs::remove_file(&marker);
    let touch = format!("touch {}", marker.display());
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["sh", "-c", &touch]);
    let mut cmd = command(Mode::Plain, &all);
    cmd.envs(envs.iter().copied());
    let out = output_limit(&mut cmd, LIMIT);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?} {envs:?}: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("vigil: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{args:?} {envs:?}: {err:?} lacks {n:?}");
    }
    assert!(
        !marker.exists(),
        "the child started despite {args:?} {envs:?}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_flags_name_the_option_and_value() {
    rejected(&["--grace", "soon"], &[], &["--grace", "soon"]);
    rejected(&["-t", "10x"], &[], &["--grace", "10x"]);
    rejected(&["-e", "256"], &[], &["--success-exit", "256"]);
    rejected(&["--success-exit", "-1"], &[], &["--success-exit", "-1"]);
    rejected(&["-p", "SIGNOPE"], &[], &["--pdeathsig", "SIGNOPE"]);
    rejected(&["-r", "TERM"], &[], &["--rewrite", "TERM"]);
    rejected(&["-r", "TERM:BOGUS"], &[], &["--rewrite", "BOGUS"]);
    rejected(&["-r", "KILL:TERM"], &[], &["--rewrite", "SIGKILL"]);
    rejected(
        &["--no-such-option"],
        &[],
        &["--no-such-option", "see vigil --help"],
    );
    rejected(
        &["--grase", "1s"],
        &[],
        &["'--grase'", "did you mean --grace?"],
    );
    rejected(&["-Z"], &[], &["-Z"]);
}

/// The value in an "unexpected argument" line: other scripts print as they
/// are, what could hide text or break the line is escaped (argv::quoted).
#[test]
fn an_unexpected_value_is_one_line_with_hidden_characters_escaped() {
    rejected(
        &["--group=名前\u{200B}\n\x1b[2J\u{2028}é"],
        &[],
        &["unexpected argument for option '--group': \"名前\\u{200b}\\n\\u{1b}[2J\\u{2028}é\""],
    );
}

// Fixed in the commit that made log::write escape what hides text: a value
// or an unknown option holding a line break or an escape sequence was printed
// as it was, over two lines or into the terminal's state.
#[test]
fn a_value_with_a_line_break_or_an_escape_is_still_one_line() {
    rejected(&["--grace", "1\n2"], &[], &["--grace", "'1\\n2'"]);
    rejected(&["--gr\nace", "1s"], &[], &["'--gr\\nace'", "--grace?"]);
    rejected(&["-\u{1b}"], &[], &["'-\\u{1b}'"]);
    rejected(&["--name", "a\u{200B}b"], &[], &["--name", "'a\\u{200b}b'"]);
    rejected(
        &[],
        &[("VIGIL_RESTART_SIGNAL", "HUP\r\n\x1b[2J")],
        &["VIGIL_RESTART_SIGNAL", "'HUP\\r\\n\\u{1b}[2J'"],
    );
}

#[test]
fn bad_env_values_name_the_variable_and_value() {
    rejected(
        &[],
        &[("VIGIL_GRACE", "forever")],
        &["VIGIL_GRACE", "forever"],
    );
    rejected(&[], &[("VIGIL_GROUP", "on")], &["VIGIL_GROUP", "on"]);
    // tini turns group mode on for TINI_KILL_PROCESS_GROUP=0; vigil wants a real boolean.
    rejected(&[], &[("VIGIL_GROUP", "2")], &["VIGIL_GROUP", "2"]);
    rejected(
        &[],
        &[("VIGIL_SUBREAPER", "maybe")],
        &["VIGIL_SUBREAPER", "maybe"],
    );
    rejected(
        &[],
        &[("VIGIL_SUCCESS_EXIT", "143,abc")],
        &["VIGIL_SUCCESS_EXIT", "abc"],
    );
    rejected(
        &[],
        &[("VIGIL_REWRITE", "TERM:QUIT,USR9:0")],
        &["VIGIL_REWRITE", "USR9"],
    );
    rejected(&[], &[("VIGIL_PDEATHSIG", "0")], &["VIGIL_PDEATHSIG", "0"]);
    rejected(&[], &[("VIGIL_LOG", "loud")], &["VIGIL_LOG", "loud"]);
}

#[test]
fn a_flag_beats_its_env_var() {
    // A bad VIGIL_GRACE is never consulted when --grace is given.
    let out = output_limit(
        command(Mode::Plain, &["--grace", "1s", "true"]).env("VIGIL_GRACE", "bogus"),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = output_limit(
        command(Mode::Plain, &["-q", "true"]).env("VIGIL_LOG", "bogus"),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// `docker run --init` images that set tini's variables keep their behaviour:
/// set (even empty) is on, as for tini; a VIGIL_* twin wins; vigil names the
/// twin to use at info level, which TINI_VERBOSITY=2 itself turns on.
#[test]
fn tini_variables_work_as_for_tini_and_vigil_names_the_twin_to_set() {
    let pid_and_group = ["sh", "-c", "echo $$ $(cut -d' ' -f5 /proc/$$/stat)"];
    let run = |envs: &[(&str, &str)]| {
        let out = output_limit(
            command(Mode::Plain, &pid_and_group).envs(envs.iter().copied()),
            LIMIT,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{envs:?}: {}",
            text(&out.stderr)
        );
        let words: Vec<String> = text(&out.stdout)
            .split_whitespace()
            .map(String::from)
            .collect();
        assert_eq!(words.len(), 2, "{envs:?}: {words:?}");
        (words[0] == words[1], text(&out.stderr))
    };
    let (own_group, err) = run(&[]);
    let err = common::without_health_lines(&err);
    assert!(!own_group && err.is_empty(), "{err}");
    let (own_group, err) = run(&[("TINI_KILL_PROCESS_GROUP", ""), ("TINI_VERBOSITY", "2")]);
    assert!(
        own_group,
        "TINI_KILL_PROCESS_GROUP= did not turn group mode on"
    );
    for line in [
        "vigil: TINI_KILL_PROCESS_GROUP is tini's variable: use VIGIL_GROUP instead\n",
        "vigil: TINI_VERBOSITY is tini's variable: use VIGIL_LOG instead\n",
    ] {
        assert!(err.contains(line), "{err}");
    }
    assert!(
        !err.contains("started"),
        "TINI_VERBOSITY=2 is info, not debug: {err}"
    );
    let (own_group, err) = run(&[("TINI_KILL_PROCESS_GROUP", "1"), ("VIGIL_GROUP", "0")]);
    let err = common::without_health_lines(&err);
    assert!(
        !own_group && err.is_empty(),
        "VIGIL_GROUP=0 must win: {err}"
    );
    // TINI_VERBOSITY=3 is debug: vigil reports PROGRAM's start.
    let (_, err) = run(&[("TINI_VERBOSITY", "3")]);
    assert!(err.contains("vigil: started 'sh' (pid "), "{err}");
    let (_, err) = run(&[("TINI_VERBOSITY", "3"), ("VIGIL_LOG", "warn")]);
    let err = common::without_health_lines(&err);
    assert!(err.is_empty(), "VIGIL_LOG must win: {err}");
    // Consumed: a vigil among the children would apply them again.
    let show = [
        "sh",
        "-c",
        "echo ${TINI_KILL_PROCESS_GROUP-unset} ${TINI_SUBREAPER-unset}",
    ];
    let mut cmd = command(Mode::Plain, &show);
    cmd.envs([("TINI_KILL_PROCESS_GROUP", "1"), ("TINI_SUBREAPER", "")]);
    let out = output_limit(&mut cmd, LIMIT);
    assert_eq!(text(&out.stdout), "unset unset\n", "{}", text(&out.stderr));
}

#[test]
fn env_booleans_accept_words() {
    for v in ["1", "true", "YES", "0", "false", "no", ""] {
        let out = output_limit(command(Mode::Plain, &["true"]).env("VIGIL_GROUP", v), LIMIT);
        assert_eq!(
            out.status.code(),
            Some(0),
            "VIGIL_GROUP={v}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn missing_program_is_a_usage_error() {
    for args in [&[][..], &["--"], &["-g", "-t", "1s"]] {
        let out = output_limit(&mut command(Mode::Plain, args), LIMIT);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains("no program"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn help_and_version() {
    let out = output_limit(&mut command(Mode::Plain, &["--help"]), LIMIT);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for needle in [
        "vigil [OPTIONS] [--] PROGRAM",
        "vigil check",
        "--grace",
        "VIGIL_REWRITE",
        "--pdeathsig",
    ] {
        assert!(help.contains(needle), "help lacks {needle}");
    }
    let out = output_limit(&mut command(Mode::Plain, &["-V"]), LIMIT);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).starts_with("vigil "),
        "{}",
        text(&out.stdout)
    );
}

// ---- settings that can never pass (issue 11, item 9) ------------------------

#[test]
fn watch_timeout_zero_is_a_usage_error_not_a_watchdog_that_always_fires() {
    rejected(
        &["--watch", "tcp://127.0.0.1:9", "--watch-timeout", "0"],
        &[],
        &["--watch-timeout", "'0'"],
    );
    rejected(
        &["--watch", "tcp://127.0.0.1:9"],
        &[("VIGIL_WATCH_TIMEOUT", "0s")],
        &["VIGIL_WATCH_TIMEOUT", "'0s'"],
    );
}

#[test]
fn restart_window_zero_turned_the_restart_budget_off() {
    // Fixed in 4274cc2: --restart-window 0 and a fault signal as --rewrite FROM are usage errors.
    for window in ["0", "0s", "0ms"] {
        rejected(
            &[
                "--restart",
                "always",
                "--max-restarts",
                "1",
                "--restart-window",
                window,
            ],
            &[],
            &["--restart-window", &format!("'{window}'")],
        );
    }
    rejected(
        &["--restart", "always"],
        &[("VIGIL_RESTART_WINDOW", "0")],
        &["VIGIL_RESTART_WINDOW", "'0'"],
    );
}

#[test]
fn a_fault_signal_rewrite_was_accepted_but_never_applied() {
    // Fixed in 4274cc2: --restart-window 0 and a fault signal as --rewrite FROM are usage errors.
    for fault in ["SEGV", "BUS", "FPE", "ILL", "TRAP", "SYS", "11", "SIGSEGV"] {
        let spec = format!("{fault}:TERM");
        rejected(&["-r", &spec], &[], &["--rewrite", "never forwards"]);
    }
    rejected(
        &[],
        &[("VIGIL_REWRITE", "TERM:QUIT,SEGV:0")],
        &["VIGIL_REWRITE", "SIGSEGV", "never forwards"],
    );
}

#[cfg(not(feature = "tls"))]
#[test]
fn https_and_grpcs_probes_without_tls_are_usage_errors_not_endless_failures() {
    for (flag, target) in [
        ("--watch", "https://127.0.0.1:9/healthz"),
        ("--wait-for", "https://127.0.0.1:9/"),
        ("--wait-for", "grpcs://127.0.0.1:9"),
        ("--watch", "grpcs://127.0.0.1:9/my.pkg.Svc"),
    ] {
        rejected(&[flag, target], &[], &[flag, target, "TLS"]);
    }
    for (var, value, shown) in [
        (
            "VIGIL_WATCH",
            "https://127.0.0.1:9/",
            "https://127.0.0.1:9/",
        ),
        (
            "VIGIL_WAIT_FOR",
            "tcp://127.0.0.1:9,grpcs://127.0.0.1:9",
            "grpcs://127.0.0.1:9",
        ),
    ] {
        rejected(&[], &[(var, value)], &[var, shown, "TLS"]);
    }
}

/// With TLS the same targets are accepted: the wait runs (and fails: nothing
/// listens on port 9) instead of being refused.
#[cfg(feature = "tls")]
#[test]
fn https_and_grpcs_probes_with_tls_are_accepted() {
    for target in ["https://127.0.0.1:9/", "grpcs://127.0.0.1:9"] {
        let out = output_limit(
            &mut command(
                Mode::Plain,
                &["--wait-for", target, "--wait-timeout", "1s", "true"],
            ),
            LIMIT,
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    }
}

// ---- ${VAR} in --watch and --wait-for, as in vigil check (item 12) ----------

#[test]
fn watch_and_wait_for_expand_variables_as_check_does() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port().to_string();
    // Flags, then the twins; a default, and a set variable.
    for (args, envs) in [
        (
            vec![
                "--wait-for",
                "tcp://127.0.0.1:${PORT}",
                "--watch",
                "tcp://${HOST:-127.0.0.1}:${PORT}/",
            ],
            vec![("PORT", port.as_str())],
        ),
        (
            vec![],
            vec![
                ("PORT", port.as_str()),
                ("VIGIL_WAIT_FOR", "tcp://127.0.0.1:${PORT}"),
                ("VIGIL_WATCH", "tcp://${HOST:-127.0.0.1}:${PORT}"),
            ],
        ),
    ] {
        let mut all = args.clone();
        all.extend([
            "--wait-timeout",
            "5s",
            "--watch-interval",
            "100ms",
            "sh",
            "-c",
            "sleep 0.5; echo ran",
        ]);
        let mut cmd = command(Mode::Plain, &all);
        cmd.envs(envs.iter().copied());
        let out = output_limit(&mut cmd, LIMIT);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?} {envs:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "ran\n");
    }
}

#[test]
fn an_unset_variable_in_watch_or_wait_for_is_a_usage_error_as_in_check() {
    let unset =
        "variable VIGIL_TEST_NOPE is not set (use ${VIGIL_TEST_NOPE:-default} for a default)";
    for flag in ["--watch", "--wait-for"] {
        rejected(
            &[flag, "tcp://127.0.0.1:${VIGIL_TEST_NOPE}"],
            &[],
            &[flag, "tcp://127.0.0.1:${VIGIL_TEST_NOPE}", unset],
        );
    }
    rejected(
        &[],
        &[("VIGIL_WAIT_FOR", "tcp://${VIGIL_TEST_NOPE}:1")],
        &["VIGIL_WAIT_FOR", unset],
    );
    // The same words as vigil check's.
    let out = output_limit(
        &mut command(
            Mode::Plain,
            &["check", "tcp://127.0.0.1:${VIGIL_TEST_NOPE}"],
        ),
        LIMIT,
    );
    assert!(text(&out.stderr).contains(unset), "{}", text(&out.stderr));
}

// ---- a vigil under vigil: the twins apply once ------------------------------

/// vigil as `docker run --init` and as the image's ENTRYPOINT: `vigil -vvv --
/// vigil -vvv -- ARGS` with `envs`; vigil's stderr comes back line by line.
fn nested(
    mode: Mode,
    args: &[&str],
    envs: &[(&str, &str)],
) -> (std::process::Child, Receiver<String>) {
    let mut all = vec!["-vvv", "--"];
    let inner = common::vigil_argv();
    let inner: Vec<&str> = inner
        .iter()
        .map(|p| p.to_str().expect("utf-8 path"))
        .collect();
    all.extend(inner);
    all.extend(["-vvv", "--"]);
    all.extend(args);
    let mut cmd = command(mode, &all);
    cmd.envs(envs.iter().copied());
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vigil");
    let (tx, rx) = channel();
    let err = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Every line until stderr closes (bounded).
fn all_lines(rx: &Receiver<String>) -> Vec<String> {
    let deadline = Instant::now() + LIMIT;
    let mut out = Vec::new();
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        out.push(line);
    }
    out
}

// Regression (fixed in the commit that keeps the init twins from the
// children): the inner vigil read VIGIL_WITH again and started a second sidecar.
modes_test!(a_vigil_under_vigil_started_each_sidecar_twice, |mode| {
    let (mut child, rx) = nested(
        mode,
        &["sleep", "1.5"],
        &[("VIGIL_WITH", "side: sleep 7777")],
    );
    let lines = all_lines(&rx);
    let status = wait_limit(&mut child, LIMIT);
    assert_eq!(status.code(), Some(0), "{mode:?}: {lines:#?}");
    let started = lines
        .iter()
        .filter(|l| l.starts_with("vigil: started 'side' (pid "))
        .count();
    assert_eq!(started, 1, "{mode:?}: {lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l
                .starts_with("vigil: VIGIL_WITH is vigil's own: not passed on to the children")),
        "{mode:?}: {lines:#?}"
    );
});

// Regression (same fix): the inner vigil held SIGTERM for its own
// VIGIL_STOP_DELAY too, so the app got it after twice the delay.
modes_test!(a_vigil_under_vigil_held_sigterm_twice, |mode| {
    let (mut child, rx) = nested(mode, &["sleep", "30"], &[("VIGIL_STOP_DELAY", "1s")]);
    // The inner vigil has started sleep: everything runs.
    let deadline = Instant::now() + LIMIT;
    let mut before = Vec::new();
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("{mode:?}: sleep never started: {before:#?}"));
        let done = line.starts_with("vigil: started 'sleep' (pid ");
        before.push(line);
        if done {
            break;
        }
    }
    let outer = match mode {
        Mode::Plain => child.id() as i32,
        Mode::Pid1 => common::run::namespace_init(child.id() as i32),
    };
    let sent = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &outer.to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success());
    let lines = all_lines(&rx);
    let status = wait_limit(&mut child, LIMIT);
    let took = sent.elapsed();
    let held: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("(--stop-delay)") && !common::is_health_line(l))
        .collect();
    assert_eq!(held.len(), 1, "{mode:?}: {lines:#?}");
    assert_eq!(status.code(), Some(143), "{mode:?}: {lines:#?}");
    eprintln!("{mode:?}: TERM to exit {took:?} with a 1s stop delay");
    assert!(
        took < Duration::from_millis(1900),
        "{mode:?}: {took:?}: held twice?"
    );
});

// Fixed in eb14fa8: a huge duration panicked at Instant + grace.
#[test]
fn a_huge_grace_is_a_usage_error_not_a_panic() {
    let out = output_limit(
        &mut command(Mode::Plain, &["-t", "18446744073709551615", "true"]),
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--grace"),
        "{}",
        text(&out.stderr)
    );
}
