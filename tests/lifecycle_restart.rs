//! `--restart`, `--max-restarts`, `--on-unhealthy restart`: the backoff
//! measured from vigil's log lines, the budget and its exit status, the
//! policies, a TERM during a backoff, and a real HTTP app that turns unhealthy.

mod common;
#[path = "common/lifecycle.rs"]
mod lifecycle;

use std::time::{Duration, Instant};

use common::run::{command, modes_test};
use lifecycle::{Leftovers, Line, T, app, count, free_port, get, logged, python, run, tag};

modes_test!(
    backoff_is_500ms_1s_2s_and_the_spent_budget_exits_with_the_last_status,
    |mode| {
        // Each run stamps its first and its last moment (bash's
        // $EPOCHREALTIME, no extra process): the gap between one run's last
        // stamp and the next run's first holds the exit, the backoff and the
        // spawn, and nothing of how late this test reads the pipes.
        let mut v = run(
            mode,
            &[
                "--restart",
                "on-failure",
                "--max-restarts",
                "3",
                "--",
                "bash",
                "-c",
                "echo \"start $EPOCHREALTIME\"; echo \"end $EPOCHREALTIME\"; exit 3",
            ],
        );
        let (code, lines) = v.exit();
        assert_eq!(code, 3, "{mode:?}: the last status");
        let stamps = |word: &str| -> Vec<Duration> {
            lines
                .iter()
                .filter_map(|l| l.text.strip_prefix(word).filter(|_| !l.err))
                .map(|s| Duration::from_secs_f64(s.trim().parse().expect("a stamp")))
                .collect()
        };
        let (starts, ends) = (stamps("start "), stamps("end "));
        assert_eq!((starts.len(), ends.len()), (4, 4), "{mode:?}: {lines:?}");
        let warns: Vec<&Line> = lines
            .iter()
            .filter(|l| l.err && !common::is_health_line(&l.text))
            .collect();
        let mut measured = Vec::new();
        for (n, want) in [(1, 500), (2, 1000), (3, 2000)] {
            let shown = if want < 1000 {
                format!("{want}ms")
            } else {
                format!("{}s", want / 1000)
            };
            let warn = warns[n - 1];
            assert!(
                common::pids_as_n(&warn.text).ends_with(&format!(
                    "'bash' (pid N) exited with status 3; restart {n}/3 in {shown}"
                )),
                "{mode:?}: {warn:?}"
            );
            let gap = starts[n].saturating_sub(ends[n - 1]);
            measured.push(gap);
            // Never sooner: vigil's timer starts at the reap, after the last
            // stamp, and the next run stamps after its spawn. The slack above
            // is the exit, the reap and the spawn on a loaded machine, which
            // add to every step alike and are not vigil's backoff: one
            // slack, as long as the first step, still tells each step from
            // the next.
            let want = Duration::from_millis(want);
            let slack = Duration::from_millis(500);
            assert!(
                gap >= want && gap < want + slack,
                "{mode:?}: restart {n} after {gap:?}, want {want:?} (+ less than {slack:?})"
            );
        }
        eprintln!("{mode:?}: backoff measured {measured:?}");
        assert!(
            warns[3]
                .text
                .contains("3 restarts within 300s spent (--max-restarts)"),
            "{mode:?}: {:?}",
            warns[3]
        );
    }
);

modes_test!(on_failure_leaves_an_exit_0_down_and_vigil_exits_0, |mode| {
    let mut v = run(
        mode,
        &["--restart", "on-failure", "sh", "-c", "echo start; exit 0"],
    );
    let (code, lines) = v.exit();
    assert_eq!(code, 0, "{mode:?}");
    assert_eq!(count(&lines, "start"), 1, "{mode:?}: {lines:?}");
    assert_eq!(
        logged(&lines, "not restarted (--restart on-failure)"),
        0,
        "info, not warn"
    );
});

modes_test!(always_restarts_an_exit_0_and_no_never_restarts, |mode| {
    let mut v = run(
        mode,
        &[
            "--restart",
            "always",
            "--max-restarts",
            "1",
            "sh",
            "-c",
            "echo start; exit 0",
        ],
    );
    let (code, lines) = v.exit();
    assert_eq!(
        (code, count(&lines, "start")),
        (0, 2),
        "{mode:?}: {lines:?}"
    );
    let mut v = run(mode, &["sh", "-c", "echo start; exit 4"]);
    let (code, lines) = v.exit();
    assert_eq!(
        (code, count(&lines, "start")),
        (4, 1),
        "{mode:?}: {lines:?}"
    );
    // The twins.
    let mut cmd = command(mode, &["sh", "-c", "echo start; exit 0"]);
    cmd.envs([("VIGIL_RESTART", "always"), ("VIGIL_MAX_RESTARTS", "2")]);
    let out = common::output_limit(&mut cmd, T);
    assert_eq!(out.status.code(), Some(0), "{mode:?}");
    assert_eq!(
        common::text(&out.stdout).matches("start").count(),
        3,
        "{mode:?}"
    );
});

modes_test!(term_during_backoff_shuts_down_at_once, |mode| {
    let mut v = run(
        mode,
        &[
            "--restart",
            "always",
            "--stop-delay",
            "5s",
            "sh",
            "-c",
            "echo start; exit 1",
        ],
    );
    v.expect("restart 1/5 in 500ms");
    let sent = Instant::now();
    v.signal(libc::SIGTERM);
    let (code, lines) = v.exit();
    assert!(
        sent.elapsed() < Duration::from_millis(400),
        "{mode:?}: {:?}",
        sent.elapsed()
    );
    assert_eq!(code, 143, "{mode:?}");
    assert_eq!(count(&lines, "start"), 1, "{mode:?}: no restart: {lines:?}");
});

modes_test!(
    a_sidecar_restarts_on_its_own_counter_and_its_spent_budget_stops_everything,
    |mode| {
        let tag = tag(&format!("a_sidecar_restarts-{mode:?}"));
        let _leftovers = Leftovers(tag.clone());
        // Each run of the sidecar fails once the app is ready (the app then
        // reports the stop's SIGTERM), when the test makes this file: the
        // second run at once.
        let go = std::env::temp_dir().join(format!(
            "vigil-sidecar-restarts-{}-{mode:?}",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&go);
        let side = format!(
            "sh -c 'echo side; until [ -e {0} ]; do sleep 0.01; done; exit 5'",
            go.display()
        );
        let (a, py) = (app(), python());
        let mut v = run(
            mode,
            &[
                "--restart",
                "on-failure",
                "--max-restarts",
                "1",
                "--with",
                &side,
                &py,
                &a,
                &tag,
            ],
        );
        v.expect("app ready");
        std::fs::write(&go, "").unwrap();
        v.expect("app got 15");
        std::fs::remove_file(&go).unwrap();
        let (code, lines) = v.exit();
        assert_eq!(code, 5, "{mode:?}: the sidecar's last status");
        assert_eq!(count(&lines, "side"), 2, "{mode:?}: two runs: {lines:?}");
        let warn = "'sh' (pid N) exited with status 5;";
        assert_eq!(
            logged(&lines, &format!("{warn} restart 1/1 in 500ms")),
            1,
            "{mode:?}"
        );
        assert_eq!(
            logged(&lines, &format!("{warn} 1 restarts within")),
            1,
            "{mode:?}"
        );
        assert_eq!(
            count(&lines, "app ready"),
            1,
            "{mode:?}: PROGRAM never restarted"
        );
    }
);

modes_test!(
    on_unhealthy_restart_restarts_a_real_http_app_that_turns_unhealthy_then_healthy,
    |mode| {
        let tag = tag(&format!("on_unhealthy_restart-{mode:?}"));
        let _leftovers = Leftovers(tag.clone());
        let port = free_port();
        let flag =
            std::env::temp_dir().join(format!("vigil-unhealthy-{}-{mode:?}", std::process::id()));
        let _ = std::fs::remove_file(&flag);
        let (a, url) = (app(), format!("http://127.0.0.1:{port}/health"));
        // The interpreter itself, not a pyenv shim.
        let py = python();
        let (p, u) = (
            format!("--port={port}"),
            format!("--unhealthy-if={}", flag.display()),
        );
        let mut v = run(
            mode,
            &[
                "--watch",
                &url,
                "--watch-interval",
                "200ms",
                "--watch-retries",
                "2",
                // Each start's probes are refused until python listens, which
                // takes longer than two rounds on a loaded machine: those
                // failures do not count, the 503s after a pass do.
                "--watch-start-period",
                "20s",
                "--on-unhealthy",
                "restart",
                "-t",
                "2s",
                &py,
                &a,
                &tag,
                &p,
                &u,
                "--say-health",
            ],
        );
        v.expect("app ready");
        // A watch probe passed: from now on each failure counts.
        v.expect("app health 200");
        assert_eq!(get(port, "/health"), Some(200), "{mode:?}");
        std::fs::write(&flag, "").unwrap();
        // The two streams interleave in any order: wait on vigil's own line.
        let line = v.expect("restarting 'python3' (pid ");
        assert!(
            common::pids_as_n(&line.text)
                .ends_with("restarting 'python3' (pid N): --on-unhealthy restart, grace period 2s"),
            "{mode:?}: {line:?}"
        );
        std::fs::remove_file(&flag).unwrap();
        let restarted = Instant::now();
        loop {
            let line = v.expect("app ");
            if line.text.starts_with("app ready")
                && !line.err
                && v.seen
                    .iter()
                    .filter(|l| l.text.starts_with("app ready"))
                    .count()
                    == 2
            {
                break;
            }
            assert!(restarted.elapsed() < T, "{mode:?}");
        }
        // Healthy again: it stays up through several watch rounds.
        for _ in 0..5 {
            v.expect("app health 200");
        }
        assert_eq!(get(port, "/health"), Some(200), "{mode:?}");
        assert!(
            v.child.try_wait().unwrap().is_none(),
            "{mode:?}: vigil still runs"
        );
        v.signal(libc::SIGTERM);
        let (code, lines) = v.exit();
        assert_eq!(code, 0, "{mode:?}: {lines:?}");
        assert_eq!(count(&lines, "app got 15"), 2, "{mode:?}: {lines:?}");
        assert_eq!(count(&lines, "app ready"), 2, "{mode:?}: {lines:?}");
        assert_eq!(
            logged(&lines, "2 failures, last:"),
            1,
            "{mode:?}: {lines:?}"
        );
        assert_eq!(
            logged(
                &lines,
                "'python3' (pid N) exited with status 0; restart 1/5 in 500ms"
            ),
            1,
            "{mode:?}: {lines:?}"
        );
    }
);

modes_test!(a_success_exit_code_was_restarted_by_on_failure, |mode| {
    // Fixed in f52a704: -e CODE counts as success for the restart rules and the final status.
    // on-failure: exit 3 under -e 3 is a success, never restarted.
    let mut v = run(
        mode,
        &[
            "-e",
            "3",
            "--restart",
            "on-failure",
            "--max-restarts",
            "1",
            "sh",
            "-c",
            "echo start; exit 3",
        ],
    );
    let (code, lines) = v.exit();
    assert_eq!(
        (code, count(&lines, "start")),
        (0, 1),
        "{mode:?}: {lines:?}"
    );
    // always: restarted, and the spent budget's last status is folded too.
    let mut v = run(
        mode,
        &[
            "-e",
            "3",
            "--restart",
            "always",
            "--max-restarts",
            "1",
            "sh",
            "-c",
            "echo start; exit 3",
        ],
    );
    let (code, lines) = v.exit();
    assert_eq!(
        (code, count(&lines, "start")),
        (0, 2),
        "{mode:?}: {lines:?}"
    );
    // Any other status still fails.
    let mut v = run(
        mode,
        &[
            "-e",
            "3",
            "--restart",
            "on-failure",
            "--max-restarts",
            "1",
            "sh",
            "-c",
            "echo start; exit 4",
        ],
    );
    let (code, lines) = v.exit();
    assert_eq!(
        (code, count(&lines, "start")),
        (4, 2),
        "{mode:?}: {lines:?}"
    );
});

modes_test!(
    restart_signal_restarts_program_in_place_uncounted_and_the_sidecar_runs_on,
    |mode| {
        let tag = tag(&format!("restart_signal_{mode:?}"));
        let _leftovers = Leftovers(tag.clone());
        let (a, py) = (app(), python());
        let side = format!("side: {py} {a} {tag} --name=side");
        // PROGRAM ignores SIGTERM: each restart takes the grace period and
        // SIGKILL, and so does the final stop, whose status is PROGRAM's.
        let mut v = run(
            mode,
            &[
                "-v",
                "-t",
                "1s",
                "--restart",
                "on-failure",
                "--max-restarts",
                "0",
                "--restart-signal",
                "HUP",
                "--with",
                &side,
                "--name",
                "main",
                "python3",
                &a,
                &tag,
                "--name=main",
                "--ignore-term",
            ],
        );
        let mut pids = vec![v.expect("main ready").text];
        for _ in 0..2 {
            v.signal(libc::SIGHUP);
            pids.push(v.expect("main ready").text);
        }
        pids.sort();
        pids.dedup();
        assert_eq!(pids.len(), 3, "{mode:?}: PROGRAM's pid changes: {pids:?}");
        v.signal(libc::SIGTERM);
        let (code, lines) = v.exit();
        assert_eq!(code, 137, "{mode:?}: PROGRAM's status: {lines:?}");
        // The sidecar ran all along: one start, one SIGTERM, at the end.
        assert_eq!(count(&lines, "side ready"), 1, "{mode:?}: {lines:?}");
        assert_eq!(count(&lines, "side got 15"), 1, "{mode:?}: {lines:?}");
        // Not forwarded, and not counted: --max-restarts 0 is not spent.
        assert_eq!(count(&lines, "main got 1"), 0, "{mode:?}: {lines:?}");
        assert_eq!(
            logged(
                &lines,
                "restarting 'main' (pid N): --restart-signal, grace period 1s"
            ),
            2,
            "{mode:?}: {lines:?}"
        );
        assert_eq!(logged(&lines, "spent"), 0, "{mode:?}: {lines:?}");
    }
);
