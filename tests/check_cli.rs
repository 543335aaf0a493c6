//! `vigil check` usage: help, usage errors (exit 1, never 2, one line on stderr
//! naming the option), output size, and what a build without TLS says.

mod common;

use std::process::Output;
use std::time::Duration;

fn check(args: &[&str]) -> Output {
    let mut cmd = common::vigil_cmd();
    cmd.arg("check").args(args);
    common::output_limit(&mut cmd, Duration::from_secs(10))
}

#[test]
fn help_goes_to_stdout_and_exits_0() {
    for flag in ["-h", "--help"] {
        let out = check(&[flag]);
        assert_eq!(out.status.code(), Some(0));
        let text = common::text(&out.stdout);
        assert!(text.contains("vigil check [OPTIONS] [TARGET...]"), "{text}");
        for option in [
            "--timeout",
            "--status",
            "--header",
            "--method",
            "--body-contains",
            "--unix-socket",
            "--insecure",
            "--retries",
            "--retry-delay",
            "--quiet",
            "VIGIL_CHECK",
        ] {
            assert!(text.contains(option), "help lacks {option}");
        }
        assert!(out.stderr.is_empty());
    }
}

#[test]
fn usage_errors_exit_1_with_one_line_naming_option_and_value() {
    let t = "http://127.0.0.1:1/";
    for (args, needles) in [
        (vec!["-t", "soon", t], vec!["--timeout", "soon"]),
        (vec!["--timeout=0", t], vec!["--timeout", "0"]),
        (vec!["-s", "2xx", t], vec!["--status", "2xx"]),
        (vec!["-s", "300-200", t], vec!["--status", "300-200"]),
        (vec!["-H", "NoColon", t], vec!["--header", "NoColon"]),
        (vec!["-X", "GET /x", t], vec!["--method", "GET /x"]),
        (vec!["--retries", "many", t], vec!["--retries", "many"]),
        (vec!["--retry-delay", "1y", t], vec!["--retry-delay", "1y"]),
        (vec!["--frobnicate", t], vec!["--frobnicate"]),
        (vec!["-t"], vec!["--timeout"]),
        (vec![], vec!["no target"]),
        (
            vec!["127.0.0.1:8080"],
            vec!["'127.0.0.1:8080': no scheme; did you mean http://127.0.0.1:8080/?"],
        ),
        (vec!["ftp://h/"], vec!["ftp://h/", "scheme"]),
        (vec!["http://h:99999/"], vec!["http://h:99999/", "port"]),
        (vec!["tcp://h"], vec!["tcp://h", "port"]),
        (vec!["http://[::1/"], vec!["http://[::1/"]),
        // Escaped since the commit that made log::write escape what hides
        // text: these were two lines.
        (vec!["--x\ny", t], vec!["'--x\\ny'"]),
        (vec!["http://a\nb/"], vec!["'http://a\\nb/'"]),
    ] {
        let out = check(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = common::text(&out.stderr);
        assert!(err.starts_with("vigil: "), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        for needle in needles {
            assert!(err.contains(needle), "{args:?}: want {needle:?} in {err}");
        }
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// Habits from other tools: options before the mode word, curl's `-f`, a
/// mistyped option.
#[test]
fn options_before_check_exit_1_saying_they_go_after_it() {
    for args in [
        &["-q", "check", "http://127.0.0.1:1/"][..],
        &["-t", "2s", "check", "http://127.0.0.1:1/"],
        &["--grace=2s", "health"],
    ] {
        let out = common::output_limit(common::vigil_cmd().args(args), Duration::from_secs(10));
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = common::text(&out.stderr);
        let mode = args
            .iter()
            .find(|w| ["check", "health"].contains(w))
            .expect("mode");
        assert_eq!(
            err,
            format!(
                "vigil: options go after the mode word: vigil {mode} [OPTIONS] ... \
                 (a program named {mode}: vigil [OPTIONS] -- {mode})\n"
            )
        );
    }
    // After `--` it is a program: not found, 127.
    let out = common::output_limit(
        common::vigil_cmd()
            .args(["-q", "--", "check"])
            .env("PATH", "/nonexistent"),
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(127), "{out:?}");
}

#[test]
fn curls_fail_flag_is_accepted_and_a_mistyped_option_names_the_right_one() {
    let out = check(&["-f", "--fail", "-fq", "tcp://127.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", common::text(&out.stderr));
    assert!(common::text(&out.stdout).starts_with("fail tcp://127.0.0.1:1 "));
    let out = check(&["--timout", "2s", "http://127.0.0.1:1/"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        common::text(&out.stderr),
        "vigil: invalid option '--timout' (did you mean --timeout? see vigil check --help)\n"
    );
}

#[test]
fn bad_environment_values_are_usage_errors() {
    let mut cmd = common::vigil_cmd();
    cmd.args(["check", "http://127.0.0.1:1/"])
        .env("VIGIL_CHECK_TIMEOUT", "forever");
    let out = common::output_limit(&mut cmd, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("VIGIL_CHECK_TIMEOUT") && err.contains("forever"),
        "{err}"
    );

    let mut cmd = common::vigil_cmd();
    cmd.args(["check"])
        .env("VIGIL_CHECK", "http://h:${VIGIL_TEST_NOT_SET}/");
    let out = common::output_limit(&mut cmd, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1));
    assert!(common::text(&out.stderr).contains("VIGIL_TEST_NOT_SET"));
}

#[test]
fn output_stays_far_below_dockers_4096_bytes() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let long = format!("http://127.0.0.1:{closed}/{}", "p".repeat(3000));
    let targets: Vec<String> = (0..60).map(|_| long.clone()).collect();
    let args: Vec<&str> = targets.iter().map(String::as_str).collect();
    let out = check(&args);
    assert_eq!(out.status.code(), Some(1));
    let text = common::text(&out.stdout);
    assert!(text.len() < 3500, "{} bytes", text.len());
    assert!(text.lines().next().unwrap().len() < 300);
    assert!(text.contains("more not shown"), "{text}");
}

#[cfg(not(feature = "tls"))]
#[test]
fn https_without_tls_says_so() {
    let out = check(&["https://127.0.0.1:1/"]);
    assert_eq!(out.status.code(), Some(1));
    let text = common::text(&out.stdout);
    assert!(text.starts_with("fail https://127.0.0.1:1/ "), "{text}");
    assert!(text.contains("built without TLS"), "{text}");
}

// Fixed in eb14fa8: --body-contains '' panicked.
#[test]
fn check_rejects_an_empty_body_contains_instead_of_panicking() {
    let out = check(&["--body-contains", "", "http://127.0.0.1:9/"]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::text(&out.stderr);
    assert!(err.contains("--body-contains"), "{err}");
}
