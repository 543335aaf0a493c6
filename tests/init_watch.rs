//! `--watch`: the liveness watchdog stops an app whose health endpoint keeps
//! failing (as a SIGTERM would) and exits 75; it respects the start period and
//! never fires on a healthy app.

mod common;
#[path = "common/http_server.rs"]
mod http_server;

use std::fs::File;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::run::{Mode, command, modes_test, sigrecord, start_cmd};
use common::{output_limit, text, vigil};
use http_server::Conn;

const T: Duration = Duration::from_secs(20);

/// A health endpoint answering 200, or 503 once `failing` is set; counts probes.
fn health(failing: Arc<AtomicBool>, probes: Arc<AtomicUsize>) -> String {
    let handler = Arc::new(move |_head: &str, conn: &mut dyn Conn| {
        probes.fetch_add(1, Ordering::SeqCst);
        let status = if failing.load(Ordering::SeqCst) {
            "503 Service Unavailable"
        } else {
            "200 OK"
        };
        let _ = write!(
            conn,
            "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    });
    let (addr, _log) = http_server::tcp("127.0.0.1", handler);
    format!("http://{addr}/health")
}

fn log_path(name: &str, mode: Mode) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("vigil-{name}-{}-{mode:?}.log", std::process::id()))
}

fn helper() -> String {
    sigrecord().display().to_string()
}

modes_test!(
    the_watchdog_stops_an_app_whose_health_endpoint_starts_failing,
    |mode| {
        for via_env in [false, true] {
            let failing = Arc::new(AtomicBool::new(false));
            let probes = Arc::new(AtomicUsize::new(0));
            let url = health(failing.clone(), probes.clone());
            let log = log_path("watch", mode);
            let h = helper();
            let mut cmd = if via_env {
                let mut c = command(mode, &["python3", &h]);
                c.envs([
                    ("VIGIL_WATCH", url.as_str()),
                    ("VIGIL_WATCH_INTERVAL", "200ms"),
                    ("VIGIL_WATCH_TIMEOUT", "1s"),
                    ("VIGIL_WATCH_RETRIES", "3"),
                    ("VIGIL_GRACE", "2s"),
                ]);
                c
            } else {
                command(
                    mode,
                    &[
                        "--watch",
                        &url,
                        "--watch-interval",
                        "200ms",
                        "--watch-timeout",
                        "1s",
                        "--watch-retries",
                        "3",
                        "-t",
                        "2s",
                        "python3",
                        &h,
                    ],
                )
            };
            cmd.stderr(Stdio::from(File::create(&log).expect("log file")));
            let mut v = start_cmd(mode, cmd);
            v.expect("ready", T);
            std::thread::sleep(Duration::from_millis(1000));
            assert!(
                probes.load(Ordering::SeqCst) >= 2,
                "{mode:?}: no probes while healthy"
            );
            let flipped = Instant::now();
            failing.store(true, Ordering::SeqCst);
            // The app gets SIGTERM, exits 0, and vigil still says 75.
            v.expect("got 15", T);
            assert_eq!(v.wait(T), 75, "{mode:?} env={via_env}");
            let took = flipped.elapsed();
            // Three failures 200 ms apart, then the app exits at once: well
            // within interval x retries + grace, and not before two intervals.
            assert!(
                took >= Duration::from_millis(400),
                "{mode:?}: fired after {took:?}"
            );
            assert!(
                took < Duration::from_secs(5),
                "{mode:?}: fired only after {took:?}"
            );
            let err = std::fs::read_to_string(&log).expect("read log");
            let _ = std::fs::remove_file(&log);
            let err = common::without_health_lines(&err);
            let lines: Vec<&str> = err.lines().collect();
            assert_eq!(lines.len(), 1, "{mode:?}: {err}");
            let line = lines[0];
            assert!(line.starts_with("vigil: --watch "), "{line}");
            assert!(
                line.contains(&url) && line.contains("3 failures") && line.contains("503"),
                "{line}"
            );
        }
    }
);

modes_test!(failures_during_the_start_period_do_not_count, |mode| {
    let failing = Arc::new(AtomicBool::new(true));
    let probes = Arc::new(AtomicUsize::new(0));
    let url = health(failing, probes.clone());
    let h = helper();
    let cmd = command(
        mode,
        &[
            "--watch",
            &url,
            "--watch-interval",
            "200ms",
            "--watch-retries",
            "2",
            "--watch-start-period",
            "2s",
            "python3",
            &h,
        ],
    );
    let begun = Instant::now();
    let mut v = start_cmd(mode, cmd);
    v.expect("ready", T);
    assert_eq!(v.wait(T), 75, "{mode:?}");
    let took = begun.elapsed();
    assert!(
        took >= Duration::from_secs(2),
        "{mode:?}: fired after {took:?}, in the start period"
    );
    assert!(
        took < Duration::from_secs(8),
        "{mode:?}: fired only after {took:?}"
    );
    assert!(
        probes.load(Ordering::SeqCst) >= 6,
        "{mode:?}: probes in the start period"
    );
});

modes_test!(the_watchdog_never_fires_on_a_healthy_app, |mode| {
    let probes = Arc::new(AtomicUsize::new(0));
    let url = health(Arc::new(AtomicBool::new(false)), probes.clone());
    let log = log_path("healthy", mode);
    let h = helper();
    let mut cmd = command(
        mode,
        &[
            "--watch",
            &url,
            "--watch-interval",
            "200ms",
            "--watch-retries",
            "1",
            "python3",
            &h,
        ],
    );
    cmd.stderr(Stdio::from(File::create(&log).expect("log file")));
    let mut v = start_cmd(mode, cmd);
    v.expect("ready", T);
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        v.child.try_wait().expect("try_wait").is_none(),
        "{mode:?}: vigil ended"
    );
    let n = probes.load(Ordering::SeqCst);
    assert!(n >= 8, "{mode:?}: only {n} probes in 3 s");
    // No zombie probe children pile up.
    v.signal(15);
    v.expect("got 15", T);
    assert_eq!(v.wait(T), 0, "{mode:?}");
    let err = std::fs::read_to_string(&log).expect("read log");
    let _ = std::fs::remove_file(&log);
    let err = common::without_health_lines(&err);
    assert!(err.is_empty(), "{mode:?}: {err}");
});

#[test]
fn rewrite_applies_to_the_watchdog_stop() {
    // Healthy until the helper is ready: a stop that came before Python had
    // installed its handlers would kill it with USR1's default action.
    let failing = Arc::new(AtomicBool::new(false));
    let url = health(failing.clone(), Arc::new(AtomicUsize::new(0)));
    let h = helper();
    let cmd = command(
        Mode::Plain,
        &[
            "--watch",
            &url,
            "--watch-interval",
            "200ms",
            "--watch-retries",
            "1",
            "-r",
            "TERM:USR1",
            "-t",
            "1s",
            "python3",
            &h,
            "--stay",
        ],
    );
    let mut v = start_cmd(Mode::Plain, cmd);
    v.expect("ready", T);
    failing.store(true, Ordering::SeqCst);
    v.expect("got 10", T);
    // --stay ignores USR1's request: the grace period's SIGKILL ends it.
    assert_eq!(v.wait(T), 75);
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.local_addr().expect("local addr").port()
}

// Fixed in 6841483: -r TERM:0 cancelled the watchdog's own stop.
modes_test!(
    a_watchdog_stop_is_not_cancelled_by_rewriting_term_to_zero,
    |mode| {
        // With -r TERM:0 the watchdog fired, logged "stopping the child",
        // stopped nothing, and vigil exited 75 only when the app ended by
        // itself. The rewrite drops the SIGTERMs vigil receives; the watchdog's
        // own stop still sends SIGTERM.
        let target = format!("tcp://127.0.0.1:{}", closed_port());
        let started = Instant::now();
        let out = output_limit(
            &mut command(
                mode,
                &[
                    "-r",
                    "TERM:0",
                    "--watch",
                    &target,
                    "--watch-interval",
                    "200ms",
                    "--watch-retries",
                    "1",
                    "-t",
                    "5s",
                    "sleep",
                    "60",
                ],
            ),
            T,
        );
        assert_eq!(
            out.status.code(),
            Some(75),
            "{mode:?}: {}",
            text(&out.stderr)
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{mode:?}: the child was not stopped by SIGTERM ({:?})",
            started.elapsed()
        );
    }
);

/// A loopback HTTP server that answers 200 to every request after `delay`.
fn slow_health(delay: Duration) -> String {
    use std::io::Write;
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = l.local_addr().expect("local addr");
    std::thread::spawn(move || {
        for mut conn in l.incoming().flatten() {
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            });
        }
    });
    format!("http://{addr}/health")
}

// Fixed in 09115a9: a terminal's ^C killed a running probe, which shared its group.
modes_test!(
    a_terminal_ctrl_c_does_not_kill_a_running_watch_probe,
    |mode| {
        // Without -g, a probe child shared the terminal's foreground process
        // group, so a ^C killed the running probe; the watchdog counted that as
        // a failure and stopped a healthy app (75). Probe children now have a
        // process group of their own.
        let driver =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/helpers/pty_drive.py");
        let helper = common::run::sigrecord().display().to_string();
        let url = slow_health(Duration::from_secs(3));
        let mut cmd = Command::new("python3");
        cmd.arg(&driver).args(["ready", "\\x03", "--"]);
        if mode == Mode::Pid1 {
            // PID 1 owns the terminal, as under `docker run -it`.
            cmd.args([
                "unshare",
                "--pid",
                "--fork",
                "--mount-proc",
                "setsid",
                "--ctty",
            ]);
        }
        // -q: vigil's own `vigil: ready after ...` line would match the
        // helper's `ready` the driver waits for, and the ^C would come early.
        cmd.arg(vigil()).args([
            "-q",
            "--watch",
            &url,
            "--watch-interval",
            "100ms",
            "--watch-timeout",
            "10s",
            "--watch-retries",
            "1",
            "--",
            "sh",
            "-c",
            // "ready" (and so the ^C) only once the first probe runs.
            &format!("sleep 1; exec python3 {helper} --lifetime=5"),
        ]);
        let out = output_limit(&mut cmd, Duration::from_secs(30));
        let screen = text(&out.stdout);
        assert!(
            screen.contains("got 2"),
            "{mode:?}: no ^C reached the app: {screen:?}"
        );
        assert_eq!(out.status.code(), Some(0), "{mode:?}: {screen:?}");
    }
);
