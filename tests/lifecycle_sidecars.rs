//! `--with`: sidecars start before PROGRAM with exactly their words, stop after
//! it (SIGKILL at the grace limit), and a failing sidecar's status is vigil's.

mod common;
#[path = "common/lifecycle.rs"]
mod lifecycle;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::run::{Mode, modes_test, start};
use lifecycle::{Leftovers, alive, app, cmdline, free_port, get, python, tag};

const T: Duration = Duration::from_secs(20);

/// The pid in a "NAME ready PID" line, as this test sees it: in PID 1 mode the
/// app reports its pid inside the namespace, so look it up by its cmdline
/// (this test's tag too: other tests' namespaces run the same names).
fn host_pid(mode: Mode, line: &str, tag: &str, marker: &str) -> i32 {
    let inside: i32 = line.rsplit(' ').next().unwrap().parse().unwrap();
    if mode == Mode::Plain {
        return inside;
    }
    let found: Vec<i32> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|pid: &i32| {
            let words = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let words = String::from_utf8_lossy(&words);
            words.contains(tag)
                && words.contains(marker)
                && std::fs::read_to_string(format!("/proc/{pid}/status"))
                    .unwrap_or_default()
                    .lines()
                    .any(|l| l.starts_with("NSpid:") && l.ends_with(&format!("\t{inside}")))
        })
        .collect();
    assert_eq!(found.len(), 1, "{marker}: {found:?}");
    found[0]
}

modes_test!(
    two_servers_run_and_the_sidecars_cmdline_is_exactly_its_words,
    |mode| {
        let tag = tag(&format!(
            "two_servers_run_and_the_sidecars_cmdline_is_exactly_its_words-{mode:?}"
        ));
        let _leftovers = Leftovers(tag.clone());
        let (main_port, side_port) = (free_port(), free_port());
        let (a, py) = (app(), python());
        let with = format!(
            "{py} {a} {tag} --name=side --port={side_port} 'quoted arg' \"two  spaces\" x\\ y"
        );
        let p = format!("--port={main_port}");
        let mut v = start(
            mode,
            &["--with", &with, "python3", &a, &tag, "--name=main", &p],
            &[],
        );
        let side = v.expect_each(&["side ready", "main ready"], T).remove(0);
        assert_eq!(get(main_port, "/"), Some(200), "{mode:?}");
        assert_eq!(get(side_port, "/"), Some(200), "{mode:?}");
        let pid = host_pid(mode, &side, &tag, "--name=side");
        let side_port_arg = format!("--port={side_port}");
        assert_eq!(
            cmdline(pid),
            [
                py.as_str(),
                a.as_str(),
                tag.as_str(),
                "--name=side",
                side_port_arg.as_str(),
                "quoted arg",
                "two  spaces",
                "x y"
            ],
            "{mode:?}"
        );
        // Its own process group.
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        let pgid: i32 = fields[2].parse().unwrap();
        assert_eq!(pgid, pid, "{mode:?}: a sidecar leads its own process group");
        v.signal(libc::SIGTERM);
        assert_eq!(v.wait(T), 0, "{mode:?}");
    }
);

modes_test!(program_gets_term_before_the_sidecar, |mode| {
    let tag = tag(&format!("program_gets_term_before_the_sidecar-{mode:?}"));
    let _leftovers = Leftovers(tag.clone());
    let (a, py) = (app(), python());
    let with = format!("{py} {a} {tag} --name=side");
    let mut v = start(
        mode,
        &["--with", &with, "python3", &a, &tag, "--name=main"],
        &[],
    );
    v.expect_each(&["side ready", "main ready"], T);
    v.signal(libc::SIGTERM);
    v.expect("main got 15", T);
    v.expect("side got 15", T);
    assert_eq!(v.wait(T), 0, "{mode:?}");
});

modes_test!(
    the_sidecars_get_term_at_half_grace_when_program_outlives_it,
    |mode| {
        let tag = tag(&format!(
            "the_sidecars_get_term_at_half_grace_when_program_outlives_it-{mode:?}"
        ));
        let _leftovers = Leftovers(tag.clone());
        let (a, py) = (app(), python());
        let with = format!("{py} {a} {tag} --name=side --stamp");
        let mut v = start(
            mode,
            &[
                "-t",
                "2s",
                "--with",
                &with,
                "python3",
                &a,
                &tag,
                "--name=main",
                "--ignore-term",
            ],
            &[],
        );
        v.expect_each(&["side ready", "main ready"], T);
        // One clock (realtime: this test's SystemTime, the app's time.time()),
        // from just before the TERM leaves this test to the moment the
        // sidecar takes it: never shorter than vigil waits, longer by the
        // `kill` and the sidecar's wake-up on a loaded machine.
        let sent = SystemTime::now();
        v.signal(libc::SIGTERM);
        let got = v.expect("side got 15", T);
        let secs: f64 = got.rsplit(" at ").next().unwrap().parse().unwrap();
        let took = (UNIX_EPOCH + Duration::from_secs_f64(secs))
            .duration_since(sent)
            .unwrap_or_default();
        let (half, slack) = (Duration::from_secs(1), Duration::from_millis(300));
        assert!(
            took >= half && took < half + slack,
            "{mode:?}: sidecar TERM after {took:?}, want half of 2s (+ less than {slack:?})"
        );
        // PROGRAM ignores TERM: SIGKILL at the grace limit.
        assert_eq!(v.wait(T), 137, "{mode:?}");
    }
);

modes_test!(
    a_sidecar_that_ignores_term_is_killed_at_the_grace_limit,
    |mode| {
        let tag = tag(&format!(
            "a_sidecar_that_ignores_term_is_killed_at_the_grace_limit-{mode:?}"
        ));
        let _leftovers = Leftovers(tag.clone());
        let (a, py) = (app(), python());
        let with = format!("{py} {a} {tag} --name=side --ignore-term");
        let mut v = start(
            mode,
            &[
                "-t",
                "2s",
                "--with",
                &with,
                "python3",
                &a,
                &tag,
                "--name=main",
            ],
            &[],
        );
        let side = v.expect_each(&["side ready", "main ready"], T).remove(0);
        let pid = host_pid(mode, &side, &tag, "--name=side");
        let sent = Instant::now();
        v.signal(libc::SIGTERM);
        v.expect("main got 15", T);
        assert_eq!(v.wait(T), 0, "{mode:?}: PROGRAM's status");
        let took = sent.elapsed();
        assert!(
            took >= Duration::from_millis(1900) && took < Duration::from_millis(2600),
            "{mode:?}: vigil exited {took:?} after TERM, not at the 2s grace limit"
        );
        assert!(!alive(pid), "{mode:?}: the sidecar survived");
    }
);

modes_test!(a_failing_sidecars_status_is_vigils, |mode| {
    let tag = tag(&format!("a_failing_sidecars_status_is_vigils-{mode:?}"));
    let _leftovers = Leftovers(tag.clone());
    for via_env in [false, true] {
        let (a, py) = (app(), python());
        // The sidecar exits once main is ready (main then reports the stop's
        // SIGTERM), when the test makes this file.
        let go = std::env::temp_dir().join(format!(
            "vigil-failing-sidecar-{}-{mode:?}-{via_env}",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&go);
        let with = format!(
            "{py} {a} {tag} --name=side --exit=7 --after-file={}",
            go.display()
        );
        let mut args = vec![];
        let mut envs = vec![];
        let lines = format!("\n{with}\n");
        if via_env {
            envs.push(("VIGIL_WITH", lines.as_str()));
        } else {
            args.extend(["--with", &with]);
        }
        args.extend([py.as_str(), &a, &tag, "--name=main"]);
        let mut v = start(mode, &args, &envs);
        v.expect_each(&["side ready", "main ready"], T);
        std::fs::write(&go, "").unwrap();
        v.expect("main got 15", T);
        assert_eq!(v.wait(T), 7, "{mode:?} env={via_env}");
        std::fs::remove_file(&go).unwrap();
    }
});

modes_test!(
    a_sidecar_that_cannot_run_is_a_start_up_failure_naming_it,
    |mode| {
        let tag = tag(&format!(
            "a_sidecar_that_cannot_run_is_a_start_up_failure_naming_it-{mode:?}"
        ));
        let _leftovers = Leftovers(tag.clone());
        let (a, py) = (app(), python());
        let with = format!("{py} {a} {tag} --name=first");
        let mut cmd = common::run::command(
            mode,
            &[
                "--with",
                &with,
                "--with",
                "/nonexistent/sidecar --flag",
                "python3",
                &a,
                &tag,
            ],
        );
        let out = common::output_limit(&mut cmd, T);
        let err = common::text(&out.stderr);
        assert_eq!(out.status.code(), Some(127), "{mode:?}: {err}");
        assert!(
            err.contains("cannot run 'sidecar': /nonexistent/sidecar: No such file or directory"),
            "{mode:?}: {err}"
        );
        let stdout = common::text(&out.stdout);
        assert!(
            !stdout.contains("app ready"),
            "{mode:?}: PROGRAM started: {stdout}"
        );
    }
);

#[test]
fn a_bad_with_is_a_usage_error_naming_option_and_value() {
    for (with, says) in [
        ("python3 'open", "unclosed single quote"),
        (
            "run ${VIGIL_TEST_UNSET_VARIABLE}",
            "VIGIL_TEST_UNSET_VARIABLE is not set",
        ),
    ] {
        let mut cmd = common::run::command(Mode::Plain, &["--with", with, "true"]);
        let out = common::output_limit(&mut cmd, T);
        let err = common::text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--with") && err.contains(with) && err.contains(says),
            "{err}"
        );
    }
    // Names: one that breaks the rule, or one used twice, nothing started.
    for (args, says) in [
        (
            &["--with", "pr@xy: nginx", "true"][..],
            "vigil: --with: invalid name 'pr@xy' (use 1 to 32 of A-Z a-z 0-9 _ . -)\n",
        ),
        (
            &["--name", "web", "--with", "web: nginx", "true"],
            "vigil: --with: name 'web' is used twice\n",
        ),
    ] {
        let out = common::output_limit(&mut common::run::command(Mode::Plain, args), T);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(common::text(&out.stderr), says, "{args:?}");
    }
}

modes_test!(every_line_about_a_process_names_it, |mode| {
    let tag = tag(&format!("every_line_names_{mode:?}"));
    let _leftovers = Leftovers(tag.clone());
    let (a, py) = (app(), python());
    // The sidecar exits once main is ready (main then takes the stop's
    // SIGTERM and exits 0), when the test makes this file.
    let go = std::env::temp_dir().join(format!("vigil-every-line-{}-{mode:?}", std::process::id()));
    let with = format!(
        "proxy: {py} {a} {tag} --name=side --exit=3 --after-file={}",
        go.display()
    );
    for via_env in [false, true] {
        let _ = std::fs::remove_file(&go);
        let mut args = vec!["-vv"];
        let mut envs = vec![];
        if via_env {
            envs.extend([("VIGIL_WITH", with.as_str()), ("VIGIL_NAME", "web")]);
        } else {
            args.extend(["--with", &with, "--name", "web"]);
        }
        args.extend(["python3", &a, &tag, "--name=main"]);
        let mut v = lifecycle::run_env(mode, &args, &envs);
        v.expect("main ready");
        std::fs::write(&go, "").unwrap();
        let (code, lines) = v.exit();
        std::fs::remove_file(&go).unwrap();
        assert_eq!(code, 3, "{mode:?} env={via_env}: {lines:?}");
        for line in [
            "vigil: started 'proxy' (pid N)",
            "vigil: started 'web' (pid N)",
            "vigil: 'proxy' (pid N) exited with status 3: stopping everything",
            "vigil: forwarded SIGTERM to 'web' (pid N)",
            "vigil: 'web' (pid N) exited with status 0",
        ] {
            assert_eq!(
                lifecycle::logged(&lines, line),
                1,
                "{mode:?} env={via_env}: {line}: {lines:?}"
            );
        }
    }
});

#[test]
fn with_expands_variables_like_vigil_check() {
    let tag = tag("with_expands_variables_like_vigil_check");
    let _leftovers = Leftovers(tag.clone());
    let (a, py) = (app(), python());
    let with = format!("{py} {a} {tag} --name=${{SIDE_NAME}} --port=${{SIDE_PORT:-0}}");
    let mut v = start(
        Mode::Plain,
        &["--with", &with, "python3", &a, &tag, "--name=main"],
        &[("SIDE_NAME", "expanded")],
    );
    v.expect_each(&["expanded ready", "main ready"], T);
    v.signal(libc::SIGTERM);
    assert_eq!(v.wait(T), 0);
}
