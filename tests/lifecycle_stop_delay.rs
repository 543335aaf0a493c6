//! `--stop-delay`: the first SIGTERM is held while the app keeps serving, then
//! forwarded on time; a second TERM and the app's own exit cut it short.

mod common;
#[path = "common/lifecycle.rs"]
mod lifecycle;

use std::time::{Duration, Instant};

use common::run::{modes_test, start};
use lifecycle::{Leftovers, app, free_port, get, tag};

const T: Duration = Duration::from_secs(20);

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
            let mut args = vec![];
            let mut envs = vec![];
            if via_env {
                envs.push(("VIGIL_STOP_DELAY", "1500ms"));
            } else {
                args.extend(["--stop-delay", "1500ms"]);
            }
            args.extend(["--", "python3", &a, &tag, &p]);
            let mut v = start(mode, &args, &envs);
            v.expect("app ready", T);
            assert_eq!(get(port, "/"), Some(200), "{mode:?}: serving before");
            let sent = Instant::now();
            v.signal(libc::SIGTERM);
            // Served all through the delay.
            let mut served = 0;
            while sent.elapsed() < Duration::from_millis(1300) {
                assert_eq!(
                    get(port, "/"),
                    Some(200),
                    "{mode:?} at {:?}",
                    sent.elapsed()
                );
                served += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            assert!(served >= 5, "{mode:?}: only {served} requests");
            v.expect("app got 15", T);
            let took = sent.elapsed();
            eprintln!("{mode:?} env={via_env}: TERM reached the app after {took:?} (delay 1500ms)");
            assert!(
                took >= Duration::from_millis(1400) && took <= Duration::from_millis(1600),
                "{mode:?}: TERM after {took:?}, not 1500ms +-100ms"
            );
            assert_eq!(v.wait(T), 0, "{mode:?}");
        }
    }
);

modes_test!(second_term_during_the_delay_forwards_at_once, |mode| {
    let tag = tag(&format!(
        "second_term_during_the_delay_forwards_at_once-{mode:?}"
    ));
    let _leftovers = Leftovers(tag.clone());
    let a = app();
    let mut v = start(mode, &["--stop-delay", "10s", "python3", &a, &tag], &[]);
    v.expect("app ready", T);
    v.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    let second = Instant::now();
    v.signal(libc::SIGTERM);
    v.expect("app got 15", T);
    let took = second.elapsed();
    assert!(took < Duration::from_millis(100), "{mode:?}: {took:?}");
    assert_eq!(v.wait(T), 0, "{mode:?}");
});

modes_test!(int_during_the_delay_forwards_at_once, |mode| {
    let tag = tag(&format!("int_during_the_delay_forwards_at_once-{mode:?}"));
    let _leftovers = Leftovers(tag.clone());
    let a = app();
    let mut v = start(mode, &["--stop-delay", "10s", "python3", &a, &tag], &[]);
    v.expect("app ready", T);
    v.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    let int = Instant::now();
    v.signal(libc::SIGINT);
    v.expect("app got 2", T);
    assert!(int.elapsed() < Duration::from_millis(100), "{mode:?}");
    // The app does not exit on INT: the grace period (10s) would end it;
    // a TERM now goes through at once too.
    v.signal(libc::SIGTERM);
    v.expect("app got 15", T);
    assert_eq!(v.wait(T), 0, "{mode:?}");
});

modes_test!(the_apps_own_exit_ends_the_delay_with_its_status, |mode| {
    let tag = tag(&format!(
        "the_apps_own_exit_ends_the_delay_with_its_status-{mode:?}"
    ));
    let _leftovers = Leftovers(tag.clone());
    let a = app();
    let mut v = start(
        mode,
        &[
            "--stop-delay",
            "30s",
            "python3",
            &a,
            "--exit=3",
            "--after=1",
        ],
        &[],
    );
    v.expect("app ready", T);
    let sent = Instant::now();
    v.signal(libc::SIGTERM);
    assert_eq!(v.wait(T), 3, "{mode:?}");
    let took = sent.elapsed();
    assert!(took < Duration::from_secs(2), "{mode:?}: {took:?}");
    assert!(
        !v.rest(Duration::from_millis(100))
            .iter()
            .any(|l| l.contains("got 15")),
        "{mode:?}: the held TERM was never sent"
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
