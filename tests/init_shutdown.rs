//! Shutdown and reaping: the grace period, SIGTERM to leftovers once the main
//! child exits, SIGKILL at the end of the grace, and thousands of orphans reaped.

mod common;

use std::fs::File;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::run::{Mode, command, modes, sigrecord, start, start_cmd};

const T: Duration = Duration::from_secs(15);

fn helper() -> String {
    sigrecord().display().to_string()
}

#[test]
fn a_child_ignoring_sigterm_is_killed_at_the_end_of_grace() {
    for mode in modes() {
        for (args, env) in [
            (vec!["-t", "1s"], vec![]),
            (vec!["--grace=1s"], vec![]),
            (vec![], vec![("VIGIL_GRACE", "1s")]),
        ] {
            let h = helper();
            let mut all = args.clone();
            all.extend(["python3", &h, "--ignore-term"]);
            let mut v = start(mode, &all, &env);
            v.expect("ready", T);
            let sent = Instant::now();
            v.signal(15);
            let code = v.wait(T);
            let took = sent.elapsed();
            assert_eq!(code, 137, "{mode:?} {args:?} {env:?}");
            // The kill comes at the grace, not before (and not at some later timeout).
            assert!(
                took >= Duration::from_millis(950),
                "{mode:?}: killed after {took:?}"
            );
            assert!(
                took < Duration::from_secs(4),
                "{mode:?}: killed only after {took:?}"
            );
        }
    }
}

#[test]
fn vigil_exits_as_soon_as_everything_is_gone_not_at_the_grace() {
    for mode in modes() {
        let h = helper();
        let mut v = start(mode, &["-t", "60s", "python3", &h], &[]);
        v.expect("ready", T);
        v.signal(15);
        v.expect("got 15", T);
        assert_eq!(v.wait(T), 0, "{mode:?}");
    }
}

#[test]
fn leftovers_get_sigterm_and_vigil_waits_for_them() {
    for mode in modes() {
        let script = format!(
            "python3 {} --exit-after-term=0.7 & sleep 1; exit 7",
            helper()
        );
        let mut v = start(mode, &["sh", "-c", &script], &[]);
        v.expect("ready", T);
        // The main child (sh) exits 7 after 1 s; the helper then gets SIGTERM...
        v.expect("got 15", T);
        // ...and vigil is still there while the helper cleans up for 0.7 s.
        assert!(
            v.child.try_wait().expect("try_wait").is_none(),
            "{mode:?}: vigil left before its leftovers"
        );
        assert_eq!(v.wait(T), 7, "{mode:?}: the main child's status");
        assert!(
            v.seen.iter().any(|l| l == "bye") || v.rest(T).iter().any(|l| l == "bye"),
            "{mode:?}"
        );
    }
}

#[test]
fn leftovers_ignoring_sigterm_are_killed_at_the_grace() {
    for mode in modes() {
        let script = format!("python3 {} --ignore-term & sleep 1; exit 5", helper());
        let mut v = start(mode, &["-t", "1s", "sh", "-c", &script], &[]);
        let ready = v.expect("ready", T);
        let pid: i32 = ready["ready ".len()..].parse().unwrap();
        let started = Instant::now();
        assert_eq!(v.wait(T), 5, "{mode:?}");
        // sh exits about 1 s after starting (a little less after the helper's
        // "ready"), then the grace of 1 s runs before the leftover is killed.
        assert!(
            started.elapsed() >= Duration::from_millis(1500),
            "{mode:?}: {:?}",
            started.elapsed()
        );
        if mode == Mode::Plain {
            assert!(
                !std::path::Path::new(&format!("/proc/{pid}")).exists(),
                "leftover {pid} survived"
            );
        }
    }
}

#[test]
fn two_thousand_orphans_are_reaped() {
    for mode in modes() {
        let log =
            std::env::temp_dir().join(format!("vigil-orphans-{}-{mode:?}.log", std::process::id()));
        let h = helper();
        let mut cmd = command(mode, &["-vv", "python3", &h, "--spawn-orphans=2000"]);
        cmd.stderr(Stdio::from(File::create(&log).unwrap()));
        let mut v = start_cmd(mode, cmd);
        v.expect("orphaned 2000", Duration::from_secs(60));
        v.expect("ready", T);
        // No zombie child of vigil survives more than a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let zombies = zombie_children(v.pid);
            if zombies == 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{mode:?}: {zombies} zombies left"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        v.signal(15);
        assert_eq!(v.wait(T), 0);
        let reaped = std::fs::read_to_string(&log)
            .unwrap()
            .matches("reaped pid")
            .count();
        assert_eq!(
            reaped, 2000,
            "{mode:?}: every orphan was reparented to vigil and reaped"
        );
        std::fs::remove_file(&log).unwrap();
    }
}

fn zombie_children(parent: i32) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            let Some(close) = stat.rfind(')') else {
                return false;
            };
            let mut f = stat[close + 1..].split_whitespace();
            let state = f.next();
            let ppid = f.next().and_then(|p| p.parse::<i32>().ok());
            state == Some("Z") && ppid == Some(parent)
        })
        .count()
}
