//! `vigil health` usage and the `--ready` options' bad values: help on stdout
//! with 0; a usage error is 1 (never 2, which Docker reserves) with one line
//! naming the option; in init mode a bad `--ready*` value is 2 and nothing
//! starts.

mod common;

use std::process::Output;
use std::time::Duration;

const T: Duration = Duration::from_secs(10);

fn vigil(args: &[&str]) -> Output {
    let mut cmd = common::vigil_cmd();
    cmd.args(args);
    common::output_limit(&mut cmd, T)
}

#[test]
fn health_help_and_usage_errors() {
    for flag in ["-h", "--help"] {
        let out = vigil(&["health", flag]);
        assert_eq!(out.status.code(), Some(0));
        let text = common::text(&out.stdout);
        assert!(
            text.contains("vigil health [--live | --ready | --started] [-q]"),
            "{text}"
        );
        for option in ["--live", "--ready", "--started", "--quiet"] {
            assert!(text.contains(option), "help lacks {option}");
        }
    }
    for (args, needle) in [
        (
            &["health", "--bogus"][..],
            "vigil: invalid option \"--bogus\"\n",
        ),
        (
            &["health", "--live", "--ready"][..],
            "vigil: --ready: give one of --live, --ready and --started\n",
        ),
        (&["health", "now"][..], "vigil: invalid option \"now\"\n"),
        (
            &["health", "-t", "1s"][..],
            "vigil: invalid option \"-t\"\n",
        ),
    ] {
        let out = vigil(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(common::text(&out.stderr), needle, "{args:?}");
        assert!(out.stdout.is_empty());
    }
    // A program named health runs after `--`.
    let out = vigil(&["--", "health"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(
        common::text(&out.stderr).contains("cannot run 'health'"),
        "{out:?}"
    );
}

#[test]
fn bad_ready_values_are_usage_errors_naming_the_option() {
    for (args, needle) in [
        (
            &["--ready-retries", "0"][..],
            "--ready-retries: invalid count '0'",
        ),
        (&["--ready-timeout", "0"][..], "--ready-timeout: "),
        (
            &["--ready-interval", "soon"][..],
            "--ready-interval: invalid duration 'soon'",
        ),
        (&["--ready", "ftp://x/"][..], "--ready: target 'ftp://x/'"),
    ] {
        let mut all = args.to_vec();
        all.extend(["echo", "started"]);
        let out = vigil(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = common::text(&out.stderr);
        assert!(
            err.starts_with(&format!("vigil: {needle}")),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1);
        assert!(out.stdout.is_empty(), "nothing started");
    }
    let mut cmd = common::vigil_cmd();
    cmd.args(["echo", "started"])
        .env("VIGIL_READY_RETRIES", "x");
    let out = common::output_limit(&mut cmd, T);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::text(&out.stderr).starts_with("vigil: VIGIL_READY_RETRIES: invalid count 'x'"));
}
