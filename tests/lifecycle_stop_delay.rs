//! `--stop-delay`: the first SIGTERM is held while the app keeps serving, then
//! forwarded on time; a second TERM and the app's own exit cut it short.

mod common;
#[path = "common/lifecycle.rs"]
mod lifecycle;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::run::modes_test;
use lifecycle::{Leftovers, app, count, free_port, get, run, run_env, tag};

const T: Duration = Duration::from_secs(20);

/// The moment in an app's "got N at SECONDS" line (`--stamp`).
fn stamp(line: &str) -> SystemTime {
    let secs: f64 = line
        .rsplit(" at ")
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no stamp in {line:?}"));
    UNIX_EPOCH + Duration::from_secs_f64(secs)
}

modes_test!(
    the_app_keeps_answering_during_the_delay_and_gets_term_on_time,
    |mode| {
        let tag = tag(&format!(
            "the_app_keeps_answering_during_the_delay_and_gets_term_on_time-{mode:?}"
        ));
        let _leftovers = Leftovers(tag.clone());
        for via_env in [false, true] {
            let port = free_port();
            let (a, p) = (app(), format!("--port={port}"));
            let mut args = vec!["-v"];
            let mut envs = vec![];
            if via_env {
                envs.push(("VIGIL_STOP_DELAY", "1500ms"));
            } else {
                args.extend(["--stop-delay", "1500ms"]);
            }
            args.extend(["--", "python3", &a, &tag, &p, "--stamp"]);
            let mut v = run_env(mode, &args, &envs);
            v.expect("app ready");
            assert_eq!(get(port, "/"), Some(200), "{mode:?}: serving before");
            // The delay is measured on one clock (the realtime clock: this
            // test's SystemTime, the app's time.time()), from just before the
            // TERM leaves this test to the moment the app takes it: never
            // shorter than vigil holds it, longer by the `kill` that sends it
            // and the app's wake-up on a loaded machine, which are not vigil's.
            let sent = SystemTime::now();
            v.signal(libc::SIGTERM);
            v.expect("SIGTERM held 1500ms (--stop-delay), then forwarded");
            // Held: every request until 1 s after the TERM is answered (the
            // last one has half a second to be answered before the delay ends).
            let mut served = 0;
            loop {
                let at = sent.elapsed().unwrap_or_default();
                assert_eq!(get(port, "/"), Some(200), "{mode:?} at {at:?}");
                served += 1;
                if sent.elapsed().unwrap_or_default() >= Duration::from_secs(1) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let got = v.expect("app got 15");
            let took = stamp(&got.text).duration_since(sent).unwrap_or_default();
            eprintln!(
                "{mode:?} env={via_env}: TERM reached the app {took:?} after it was sent \
                 (delay 1500ms, {served} requests answered during it)"
            );
            let (delay, slack) = (Duration::from_millis(1500), Duration::from_millis(300));
            assert!(
                took >= delay && took < delay + slack,
                "{mode:?}: TERM after {took:?}, want {delay:?} (+ less than {slack:?})"
            );
            assert_eq!(v.exit().0, 0, "{mode:?}");
        }
    }
);

// "At once" below is against a delay longer than every wait of the test
// (60 s, T is 20 s): the signal reaching the app at all shows it was not held.

modes_test!(second_term_during_the_delay_forwards_at_once, |mode| {
    let tag = tag(&format!(
        "second_term_during_the_delay_forwards_at_once-{mode:?}"
    ));
    let _leftovers = Leftovers(tag.clone());
    let a = app();
    let mut v = run(mode, &["-v", "--stop-delay", "60s", "python3", &a, &tag]);
    v.expect("app ready");
    v.signal(libc::SIGTERM);
    v.expect("SIGTERM held 60s (--stop-delay)");
    v.signal(libc::SIGTERM);
    v.expect("app got 15");
    assert_eq!(v.exit().0, 0, "{mode:?}");
});

modes_test!(int_during_the_delay_forwards_at_once, |mode| {
    let tag = tag(&format!("int_during_the_delay_forwards_at_once-{mode:?}"));
    let _leftovers = Leftovers(tag.clone());
    let a = app();
    let mut v = run(mode, &["-v", "--stop-delay", "60s", "python3", &a, &tag]);
    v.expect("app ready");
    v.signal(libc::SIGTERM);
    v.expect("SIGTERM held 60s (--stop-delay)");
    v.signal(libc::SIGINT);
    v.expect("app got 2");
    // The app does not exit on INT: the grace period (10s) would end it;
    // a TERM now goes through at once too.
    v.signal(libc::SIGTERM);
    v.expect("app got 15");
    let (code, lines) = v.exit();
    assert_eq!(code, 0, "{mode:?}");
    assert_eq!(count(&lines, "app got 15"), 1, "{mode:?}: {lines:?}");
});

modes_test!(the_apps_own_exit_ends_the_delay_with_its_status, |mode| {
    let tag = tag(&format!(
        "the_apps_own_exit_ends_the_delay_with_its_status-{mode:?}"
    ));
    let _leftovers = Leftovers(tag.clone());
    // The app exits 3 once the TERM is held, when the test makes this file.
    let go = std::env::temp_dir().join(format!("vigil-own-exit-{}-{mode:?}", std::process::id()));
    let _ = std::fs::remove_file(&go);
    let (a, after) = (app(), format!("--after-file={}", go.display()));
    let mut v = run(
        mode,
        &[
            "-v",
            "--stop-delay",
            "60s",
            "python3",
            &a,
            &tag,
            "--exit=3",
            &after,
        ],
    );
    v.expect("app ready");
    v.signal(libc::SIGTERM);
    v.expect("SIGTERM held 60s (--stop-delay)");
    std::fs::write(&go, "").unwrap();
    let (code, lines) = v.exit();
    std::fs::remove_file(&go).unwrap();
    assert_eq!(code, 3, "{mode:?}: {lines:?}");
    assert_eq!(
        count(&lines, "app got 15"),
        0,
        "{mode:?}: the held TERM was never sent: {lines:?}"
    );
});

/// vigil -v with `args`, its log (stderr) in a file of its own; returns the
/// running vigil and the log's path.
fn start_logged(
    mode: common::run::Mode,
    args: &[&str],
    name: &str,
) -> (common::run::Running, std::path::PathBuf) {
    let log =
        std::env::temp_dir().join(format!("vigil-{name}-{mode:?}-{}.log", std::process::id()));
    let mut cmd = common::run::command(mode, args);
    cmd.stderr(std::fs::File::create(&log).expect("create the log file"));
    (common::run::start_cmd(mode, cmd), log)
}

modes_test!(
    an_on_failure_sidecar_exiting_3_during_the_delay_was_ignored,
    |mode| {
        // Fixed in 532e2d9: during --stop-delay an on-failure sidecar's failure stops everything.
        let tag = tag(&format!("an_on_failure_sidecar_exiting_3-{mode:?}"));
        let _leftovers = Leftovers(tag.clone());
        for (code, extra) in [(3, vec![]), (0, vec![]), (3, vec!["-e", "3"])] {
            let go =
                std::env::temp_dir().join(format!("vigil-side-go-{mode:?}-{}", std::process::id()));
            let _ = std::fs::remove_file(&go);
            let side = format!(
                "sh -c 'while [ ! -e {} ]; do sleep 0.02; done; exit {code}'",
                go.display()
            );
            let a = app();
            let mut args = vec!["-v", "--stop-delay", "1500ms", "--restart", "on-failure"];
            args.extend(extra.iter().copied());
            args.extend(["--with", &side, "python3", &a, &tag]);
            let (mut v, log) = start_logged(mode, &args, "side-delay");
            v.expect("app ready", T);
            let sent = Instant::now();
            v.signal(libc::SIGTERM);
            std::thread::sleep(Duration::from_millis(300));
            std::fs::write(&go, "").expect("write the go file");
            v.expect("app got 15", T);
            let took = sent.elapsed();
            let status = v.wait(T);
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let _ = (std::fs::remove_file(&log), std::fs::remove_file(&go));
            let what = format!("{mode:?} exit {code} {extra:?}: {text}");
            if code == 0 || !extra.is_empty() {
                // A success under on-failure stays down quietly; the delay
                // runs its course, and the log line has the real status.
                assert!(took >= Duration::from_millis(1400), "{what}: {took:?}");
                assert_eq!(status, 0, "{what}");
                assert!(
                    text.contains(&format!(
                        "exited with status {code}; not restarted (--restart on-failure)"
                    )),
                    "{what}"
                );
            } else {
                // A failure stops everything at once, with its status.
                assert!(took < Duration::from_millis(1000), "{what}: {took:?}");
                assert_eq!(status, 3, "{what}");
                assert!(
                    text.contains("exited with status 3: stopping everything"),
                    "{what}"
                );
                assert!(!text.contains("not restarted"), "{what}");
            }
        }
    }
);
