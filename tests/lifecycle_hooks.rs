//! `--pre-start` and `--pre-stop`: one-shot commands before PROGRAM (after
//! the sidecars and `--wait-for`, each to its end, as vigil's own user, a
//! failure's status is vigil's) and a command before the stop signal reaches
//! PROGRAM (Kubernetes' preStop: its time counts against the grace period).

mod common;
#[path = "common/lifecycle.rs"]
mod lifecycle;

use std::time::{Duration, Instant};

use common::run::modes_test;
use lifecycle::{Leftovers, Line, Vigil, app, logged, python, run, tag};

/// The child's lines (stdout), in the order vigil's stdout carried them.
fn said(lines: &[Line]) -> Vec<&str> {
    lines
        .iter()
        .filter(|l| !l.err)
        .map(|l| l.text.as_str())
        .collect()
}

/// A hook that says it started, sleeps `secs`, says it ended: a python3
/// script (the stand-in app), so that `Leftovers` finds it by `tag`.
fn hook(secs: f64, tag: &str) -> String {
    let py = python();
    format!(
        "{py} -c 'import sys, time; print(\"hook start\", flush=True); \
         time.sleep({secs}); print(\"hook end\", flush=True)' {tag}"
    )
}

/// vigil until the app (`--name=main`) says it is ready.
fn started(mode: common::run::Mode, args: &[&str]) -> Vigil {
    let mut v = run(mode, args);
    v.expect("main ready");
    v
}

// ---- --pre-stop ----

modes_test!(pre_stop_ends_before_term_reaches_program, |mode| {
    let tag = tag(&format!("pre_stop_order_{mode:?}"));
    let _leftovers = Leftovers(tag.clone());
    let (a, h) = (app(), hook(0.5, &tag));
    let mut v = started(
        mode,
        &["--pre-stop", &h, "python3", &a, &tag, "--name=main"],
    );
    v.signal(libc::SIGTERM);
    let (code, lines) = v.exit();
    assert_eq!(code, 0, "{mode:?}: {lines:?}");
    let order: Vec<&str> = said(&lines)
        .into_iter()
        .filter(|l| !l.starts_with("main ready"))
        .collect();
    assert_eq!(
        order,
        ["hook start", "hook end", "main got 15"],
        "{mode:?}: {lines:?}"
    );
});

modes_test!(a_pre_stop_slower_than_the_grace_period_is_killed, |mode| {
    let tag = tag(&format!("pre_stop_slow_{mode:?}"));
    let _leftovers = Leftovers(tag.clone());
    let (a, h) = (app(), hook(30.0, &tag));
    let mut v = started(
        mode,
        &[
            "-t",
            "1s",
            "--pre-stop",
            &h,
            "python3",
            &a,
            &tag,
            "--name=main",
        ],
    );
    let sent = Instant::now();
    v.signal(libc::SIGTERM);
    v.expect("hook start");
    let (code, lines) = v.exit();
    let took = sent.elapsed();
    // PROGRAM never got the stop signal: SIGKILL ended it with the hook.
    assert_eq!(code, 137, "{mode:?}: {lines:?}");
    let said = said(&lines);
    assert!(
        !said.contains(&"hook end") && !said.contains(&"main got 15"),
        "{mode:?}: {lines:?}"
    );
    assert_eq!(
        logged(&lines, "grace period of 1s is over: sending SIGKILL"),
        1,
        "{mode:?}: {lines:?}"
    );
    assert!(took < Duration::from_secs(10), "{mode:?}: {took:?}");
    // Nothing of the hook is left.
    assert!(
        !lifecycle::any_process_with(&tag),
        "{mode:?}: the hook outlived vigil"
    );
});

modes_test!(a_failing_pre_stop_does_not_block_the_stop, |mode| {
    let tag = tag(&format!("pre_stop_fails_{mode:?}"));
    let _leftovers = Leftovers(tag.clone());
    let a = app();
    for (hook, warning) in [
        (
            "sh -c 'exit 3'",
            "vigil: --pre-stop 'sh' (pid N) exited with status 3",
        ),
        (
            "/nonexistent/drain",
            "vigil: cannot run --pre-stop 'drain': /nonexistent/drain: No such file or directory",
        ),
    ] {
        let mut v = started(
            mode,
            &["--pre-stop", hook, "python3", &a, &tag, "--name=main"],
        );
        v.signal(libc::SIGTERM);
        let (code, lines) = v.exit();
        assert_eq!(code, 0, "{mode:?}: {lines:?}");
        assert!(said(&lines).contains(&"main got 15"), "{mode:?}: {lines:?}");
        assert_eq!(logged(&lines, warning), 1, "{mode:?}: {lines:?}");
    }
});

modes_test!(a_second_term_during_the_pre_stop_forwards_at_once, |mode| {
    let tag = tag(&format!("pre_stop_second_{mode:?}"));
    let _leftovers = Leftovers(tag.clone());
    let (a, h) = (app(), hook(30.0, &tag));
    let mut v = started(
        mode,
        &["--pre-stop", &h, "python3", &a, &tag, "--name=main"],
    );
    v.signal(libc::SIGTERM);
    v.expect("hook start");
    v.signal(libc::SIGTERM);
    v.expect("main got 15");
    // PROGRAM exits on it; the hook, still running, is stopped with the rest.
    let (code, lines) = v.exit();
    assert_eq!(code, 0, "{mode:?}: {lines:?}");
    assert!(!said(&lines).contains(&"hook end"), "{mode:?}: {lines:?}");
});

// ---- --pre-start ----

modes_test!(
    pre_start_runs_after_the_sidecars_and_wait_for_each_to_its_end_then_program,
    |mode| {
        let tag = tag(&format!("pre_start_order_{mode:?}"));
        let _leftovers = Leftovers(tag.clone());
        let gate = std::env::temp_dir().join(format!("vigil-pre-start-gate-{}", tag));
        let _ = std::fs::remove_file(&gate);
        let (a, py) = (app(), python());
        let side = format!("side: {py} {a} {tag} --name=side");
        let wait = format!("file://{}", gate.display());
        let mut v = run(
            mode,
            &[
                "--with",
                &side,
                "--wait-for",
                &wait,
                "--pre-start",
                "sh -c 'echo one start; sleep 0.3; echo one end'",
                "--pre-start",
                "sh -c 'echo two start; echo two end'",
                "python3",
                &a,
                &tag,
                "--name=main",
            ],
        );
        v.expect("side ready");
        // --wait-for holds the commands back until its target passes.
        std::thread::sleep(Duration::from_millis(500));
        std::fs::write(&gate, "").unwrap();
        v.expect("main ready");
        v.signal(libc::SIGTERM);
        let (code, lines) = v.exit();
        let _ = std::fs::remove_file(&gate);
        assert_eq!(code, 0, "{mode:?}: {lines:?}");
        let order: Vec<&str> = said(&lines)
            .into_iter()
            .filter(|l| !l.contains(" got "))
            .map(|l| l.split(" ready").next().unwrap())
            .collect();
        assert_eq!(
            order,
            [
                "side",
                "one start",
                "one end",
                "two start",
                "two end",
                "main"
            ],
            "{mode:?}: {lines:?}"
        );
        let gate_seen = lines.iter().find(|l| l.text == "one start").unwrap().at;
        let side_seen = lines
            .iter()
            .find(|l| l.text.starts_with("side"))
            .unwrap()
            .at;
        assert!(
            gate_seen - side_seen >= Duration::from_millis(400),
            "{mode:?}: the first command ran before --wait-for passed"
        );
    }
);

modes_test!(
    a_failing_pre_start_stops_vigil_with_its_status_and_program_never_starts,
    |mode| {
        let tag = tag(&format!("pre_start_fails_{mode:?}"));
        let _leftovers = Leftovers(tag.clone());
        let (a, py) = (app(), python());
        let side = format!("side: {py} {a} {tag} --name=side");
        // The first fails once the sidecar is ready (when the test makes this
        // file), which then gets SIGTERM as at any shutdown; the second
        // cannot run at all.
        let go =
            std::env::temp_dir().join(format!("vigil-pre-start-{}-{mode:?}", std::process::id()));
        let _ = std::fs::remove_file(&go);
        let fails = format!(
            "migrate: sh -c 'until [ -e {} ]; do sleep 0.01; done; exit 7'",
            go.display()
        );
        for (command, code, line) in [
            (
                fails.as_str(),
                7,
                "vigil: --pre-start 'migrate' (pid N) exited with status 7: stopping everything",
            ),
            (
                "/nonexistent/migrate --up",
                127,
                "vigil: cannot run --pre-start 'migrate': /nonexistent/migrate: No such file or directory",
            ),
        ] {
            let mut v = run(
                mode,
                &[
                    "--with",
                    &side,
                    "--pre-start",
                    command,
                    "python3",
                    &a,
                    &tag,
                    "--name=main",
                ],
            );
            if code == 7 {
                v.expect("side ready");
                std::fs::write(&go, "").unwrap();
            }
            let (got, lines) = v.exit();
            let _ = std::fs::remove_file(&go);
            assert_eq!(got, code, "{mode:?}: {lines:?}");
            assert_eq!(logged(&lines, line), 1, "{mode:?}: {lines:?}");
            let said = said(&lines);
            if code == 7 {
                assert!(said.contains(&"side got 15"), "{mode:?}: {lines:?}");
            }
            assert!(
                !said.iter().any(|l| l.starts_with("main")),
                "{mode:?}: PROGRAM started: {lines:?}"
            );
        }
    }
);

modes_test!(
    a_term_during_a_pre_start_is_forwarded_to_it_and_vigil_exits_143,
    |mode| {
        let tag = tag(&format!("pre_start_term_{mode:?}"));
        let _leftovers = Leftovers(tag.clone());
        let (a, py) = (app(), python());
        let pre = format!("{py} {a} {tag} --name=pre");
        let mut v = run(
            mode,
            &["--pre-start", &pre, "python3", &a, &tag, "--name=main"],
        );
        v.expect("pre ready");
        v.signal(libc::SIGTERM);
        let (code, lines) = v.exit();
        assert_eq!(code, 143, "{mode:?}: {lines:?}");
        assert!(said(&lines).contains(&"pre got 15"), "{mode:?}: {lines:?}");
        assert!(
            !said(&lines).iter().any(|l| l.starts_with("main")),
            "{mode:?}: PROGRAM started: {lines:?}"
        );
    }
);

modes_test!(
    pre_start_runs_as_vigils_user_while_program_runs_as_user,
    |mode| {
        let mut v = run(
            mode,
            &[
                "--user",
                "65534:65534",
                "--pre-start",
                "sh -c 'echo pre uid $(id -u) gid $(id -g)'",
                "--",
                "sh",
                "-c",
                "echo main uid $(id -u) gid $(id -g)",
            ],
        );
        let (code, lines) = v.exit();
        assert_eq!(code, 0, "{mode:?}: {lines:?}");
        assert_eq!(
            said(&lines),
            ["pre uid 0 gid 0", "main uid 65534 gid 65534"],
            "{mode:?}: {lines:?}"
        );
    }
);

modes_test!(
    pre_start_commands_run_once_a_restart_of_program_skips_them,
    |mode| {
        let mut v = run(
            mode,
            &[
                "--restart",
                "on-failure",
                "--max-restarts",
                "1",
                "--pre-start",
                "echo pre",
                "--",
                "sh",
                "-c",
                "echo main; exit 4",
            ],
        );
        let (code, lines) = v.exit();
        assert_eq!(code, 4, "{mode:?}: {lines:?}");
        assert_eq!(said(&lines), ["pre", "main", "main"], "{mode:?}: {lines:?}");
    }
);
