//! `--wait-for`: the child starts only once every target passes; a timeout
//! names the target; a SIGTERM during the wait ends vigil at once.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::run::{command, modes_test, start};
use common::{output_limit, text};

const T: Duration = Duration::from_secs(15);

/// A loopback port nothing listens on (bound, then released).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.local_addr().expect("local addr").port()
}

modes_test!(waits_for_a_port_that_opens_after_one_second, |mode| {
    for via_env in [false, true] {
        let port = free_port();
        let target = format!("tcp://127.0.0.1:{port}");
        let opener = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            let l = TcpListener::bind(("127.0.0.1", port)).expect("rebind the port");
            // Accept for a while, then let the listener go.
            l.set_nonblocking(true).expect("nonblocking");
            let end = Instant::now() + Duration::from_secs(5);
            while Instant::now() < end {
                let _ = l.accept();
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        let begun = Instant::now();
        let mut v = if via_env {
            start(
                mode,
                &["sh", "-c", "echo started"],
                &[("VIGIL_WAIT_FOR", &target)],
            )
        } else {
            start(
                mode,
                &["--wait-for", &target, "sh", "-c", "echo started"],
                &[],
            )
        };
        v.expect("started", T);
        let took = begun.elapsed();
        assert!(
            took >= Duration::from_millis(900),
            "{mode:?}: started after {took:?}"
        );
        assert!(
            took < Duration::from_secs(5),
            "{mode:?}: started only after {took:?}"
        );
        assert_eq!(v.wait(T), 0, "{mode:?}");
        opener.join().expect("opener");
    }
});

modes_test!(a_timeout_exits_1_naming_the_target_and_its_error, |mode| {
    let target = format!("tcp://127.0.0.1:{}", free_port());
    let begun = Instant::now();
    let out = output_limit(
        &mut command(
            mode,
            &[
                "--wait-for",
                &target,
                "--wait-timeout",
                "1s",
                "sh",
                "-c",
                "echo started",
            ],
        ),
        T,
    );
    let took = begun.elapsed();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{mode:?}: {err}");
    assert!(
        !text(&out.stdout).contains("started"),
        "{mode:?}: the child ran"
    );
    assert_eq!(err.lines().count(), 1, "{mode:?}: {err}");
    assert!(err.starts_with("vigil: "), "{err}");
    assert!(
        err.contains(&target) && err.contains("refused"),
        "{mode:?}: {err}"
    );
    assert!(
        took >= Duration::from_millis(900),
        "{mode:?}: gave up after {took:?}"
    );
    assert!(
        took < Duration::from_secs(5),
        "{mode:?}: gave up only after {took:?}"
    );
});

#[test]
fn the_env_twin_of_wait_timeout_applies() {
    let target = format!("tcp://127.0.0.1:{}", free_port());
    let mut cmd = command(common::run::Mode::Plain, &["--wait-for", &target, "true"]);
    cmd.env("VIGIL_WAIT_TIMEOUT", "300ms");
    let begun = Instant::now();
    let out = output_limit(&mut cmd, T);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        begun.elapsed() < Duration::from_secs(3),
        "{:?}",
        begun.elapsed()
    );
}

modes_test!(
    sigterm_during_the_wait_exits_143_and_the_child_never_starts,
    |mode| {
        for sig in [15, 2] {
            let target = format!("tcp://127.0.0.1:{}", free_port());
            let mut v = start(
                mode,
                &[
                    "--wait-for",
                    &target,
                    "--wait-timeout",
                    "60s",
                    "sh",
                    "-c",
                    "echo started",
                ],
                &[],
            );
            std::thread::sleep(Duration::from_millis(700));
            let sent = Instant::now();
            v.signal(sig);
            assert_eq!(v.wait(T), 128 + sig, "{mode:?}");
            let took = sent.elapsed();
            assert!(
                took < Duration::from_secs(2),
                "{mode:?}: exited {took:?} after the signal"
            );
            let rest = v.rest(Duration::from_secs(2));
            assert!(
                !rest.iter().any(|l| l == "started"),
                "{mode:?}: the child ran: {rest:?}"
            );
        }
    }
);

// Fixed in 6841483: a SIGTERM rewritten to 0 still ended --wait-for.
modes_test!(
    a_sigterm_rewritten_to_zero_does_not_end_the_wait_for,
    |mode| {
        // --rewrite was not honoured during --wait-for; a dropped SIGTERM ended
        // vigil with 143. Now it is dropped there too, and the wait goes on
        // until --wait-timeout (exit 1).
        let target = format!("tcp://127.0.0.1:{}", free_port());
        let mut v = start(
            mode,
            &[
                "-r",
                "TERM:0",
                "--wait-for",
                &target,
                "--wait-timeout",
                "2s",
                "sh",
                "-c",
                "echo started",
            ],
            &[],
        );
        std::thread::sleep(Duration::from_millis(700));
        v.signal(15);
        assert_eq!(v.wait(T), 1, "{mode:?}");
    }
);
