//! vigil as PID 1 of containerd tasks (Debian's containerd 1.6 with runc,
//! driven by `ctr run --rootfs DIR`, no image): exit codes pass through,
//! SIGTERM is forwarded, a TERM-ignoring app ends at the grace with 137, and
//! `ctr task exec … /vigil check` probes the app. Each test runs its own
//! containerd from a temp directory (tests/containers/containerd.rs); each
//! task has a network namespace of its own with only loopback.

mod common;
#[path = "containers/containerd.rs"]
mod containerd;
#[path = "containers/engine.rs"]
mod engine;
#[path = "containers/leftovers.rs"]
mod leftovers;
#[path = "containers/podman.rs"]
mod podman;
#[path = "containers/scenarios.rs"]
mod scenarios;

use std::io::Read;
use std::process::Child;
use std::time::{Duration, Instant};

use common::{text, wait_limit};
use containerd::Containerd;
use podman::serial;
use scenarios::report;

/// The task's exit status (ctr run's own) and what it printed.
fn finish(mut child: Child, limit: Duration) -> (Option<i32>, String) {
    let status = wait_limit(&mut child, limit);
    let mut said = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut said);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut said);
    }
    (status.code(), said)
}

#[test]
fn ctr_run_passes_every_exit_code_through_vigil_as_pid_1() {
    let _serial = serial();
    let d = Containerd::start("codes");
    let rootfs = d.rootfs();
    for (id, argv, want) in [
        ("x0", &["/bin/busybox", "sh", "-c", "exit 0"][..], 0),
        ("x3", &["/bin/busybox", "sh", "-c", "exit 3"][..], 3),
        ("x255", &["/bin/busybox", "sh", "-c", "exit 255"][..], 255),
        (
            "kill9",
            &["/bin/busybox", "sh", "-c", "kill -9 $$"][..],
            137,
        ),
        ("missing", &["/no/such/program"][..], 127),
    ] {
        let mut full = vec!["/vigil", "--"];
        full.extend_from_slice(argv);
        let (code, said) = finish(d.spawn_run(&rootfs, id, &full), Duration::from_secs(60));
        assert_eq!(code, Some(want), "{id}: {said}");
    }
}

#[test]
fn ctr_task_kill_term_is_forwarded_and_a_term_ignoring_app_ends_at_the_grace_with_137() {
    let _serial = serial();
    let d = Containerd::start("term");
    let rootfs = d.rootfs();

    let run = d.spawn_run(
        &rootfs,
        "web",
        &[
            "/vigil",
            "--",
            "/bin/busybox",
            "httpd",
            "-f",
            "-p",
            "127.0.0.1:8080",
            "-h",
            "/www",
        ],
    );
    d.wait_app("web");
    let cmdline = d.ctr_ok(&[
        "task",
        "exec",
        "--exec-id",
        "cmdline",
        "web",
        "/bin/busybox",
        "cat",
        "/proc/1/cmdline",
    ]);
    assert!(
        cmdline.starts_with("/vigil\0--\0/bin/busybox\0httpd"),
        "PID 1 is {cmdline:?}"
    );
    let start = Instant::now();
    d.ctr_ok(&["task", "kill", "-s", "SIGTERM", "web"]);
    let (code, said) = finish(run, Duration::from_secs(30));
    let term_took = start.elapsed();
    assert_eq!(code, Some(143), "httpd dies of the forwarded TERM: {said}");
    assert!(term_took < scenarios::FAST_STOP, "TERM took {term_took:?}");

    let run = d.spawn_run(
        &rootfs,
        "stubborn",
        &[
            "/vigil",
            "--grace",
            "1s",
            "--",
            "/bin/busybox",
            "sh",
            "-c",
            "trap '' TERM; exec /bin/busybox sleep 1000",
        ],
    );
    d.wait_app("stubborn");
    let start = Instant::now();
    d.ctr_ok(&["task", "kill", "-s", "SIGTERM", "stubborn"]);
    let (code, said) = finish(run, Duration::from_secs(30));
    let grace_took = start.elapsed();
    report(&format!(
        "containerd (ctr task kill -s SIGTERM): vigil + httpd exit 143 after {:.3} s; \
         TERM-ignoring app, --grace 1s: exit {code:?} after {:.3} s",
        term_took.as_secs_f64(),
        grace_took.as_secs_f64()
    ));
    assert_eq!(code, Some(137), "vigil's SIGKILL at the grace: {said}");
    assert!(
        grace_took >= Duration::from_millis(900) && grace_took < Duration::from_secs(4),
        "grace path took {grace_took:?}"
    );
    assert!(
        said.lines()
            .any(|l| l.starts_with("vigil: grace period") && l.contains("SIGKILL")),
        "no grace line from vigil: {said}"
    );
}

#[test]
fn ctr_task_exec_vigil_check_probes_the_app_in_the_task() {
    let _serial = serial();
    let d = Containerd::start("check");
    let rootfs = d.rootfs();
    let run = d.spawn_run(
        &rootfs,
        "web",
        &[
            "/vigil",
            "--",
            "/bin/busybox",
            "httpd",
            "-f",
            "-p",
            "127.0.0.1:8080",
            "-h",
            "/www",
        ],
    );
    d.wait_app("web");
    let probe = |id: &str, target: &str| {
        d.ctr(
            &[
                "task",
                "exec",
                "--exec-id",
                id,
                "web",
                "/vigil",
                "check",
                "--timeout",
                "2s",
                "--retries",
                "20",
                "--retry-delay",
                "50ms",
                target,
            ],
            Duration::from_secs(30),
        )
    };
    let ok = probe("ok", "http://127.0.0.1:8080/");
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}{}",
        text(&ok.stdout),
        text(&ok.stderr)
    );
    assert!(
        text(&ok.stdout).starts_with("ok http://127.0.0.1:8080/ 200"),
        "{}",
        text(&ok.stdout)
    );
    let bad = probe("bad", "tcp://127.0.0.1:8081");
    assert_eq!(
        bad.status.code(),
        Some(1),
        "{}{}",
        text(&bad.stdout),
        text(&bad.stderr)
    );
    assert!(
        text(&bad.stdout).starts_with("fail tcp://127.0.0.1:8081"),
        "{}",
        text(&bad.stdout)
    );
    d.ctr_ok(&["task", "kill", "-s", "SIGTERM", "web"]);
    let (code, said) = finish(run, Duration::from_secs(30));
    assert_eq!(code, Some(143), "{said}");
}
