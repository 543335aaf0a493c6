//! `--stop-delay`: the first SIGTERM is held while the app keeps serving, then
//! forwarded on time; a second TERM and the app's own exit cut it short.

mod common;
#[path = "common/lifecycle.rs"]
mod lifecycle;

use std::time::{Duration, Instant};

use common::run::{modes, start};
use lifecycle::{Leftovers, app, free_port, get, tag};

const T: Duration = Duration::from_secs(20);

#[test]
fn the_app_keeps_answering_during_the_delay_and_gets_term_on_time() {
    let tag = tag("the_app_keeps_answering_during_the_delay_and_gets_term_on_time");
    let _leftovers = Leftovers(tag.clone());
    for mode in modes() {
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
}

#[test]
fn second_term_during_the_delay_forwards_at_once() {
    let tag = tag("second_term_during_the_delay_forwards_at_once");
    let _leftovers = Leftovers(tag.clone());
    for mode in modes() {
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
    }
}

#[test]
fn int_during_the_delay_forwards_at_once() {
    let tag = tag("int_during_the_delay_forwards_at_once");
    let _leftovers = Leftovers(tag.clone());
    for mode in modes() {
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
    }
}

#[test]
fn the_apps_own_exit_ends_the_delay_with_its_status() {
    let tag = tag("the_apps_own_exit_ends_the_delay_with_its_status");
    let _leftovers = Leftovers(tag.clone());
    for mode in modes() {
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
    }
}
