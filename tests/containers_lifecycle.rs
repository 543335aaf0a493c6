//! The lifecycle options in a real container, under podman (runc) and under
//! the real Docker engine (a private dockerd, tests/containers/dockerd.rs),
//! in an image built FROM scratch that holds vigil and a static busybox but
//! no /bin/sh: two servers run as PROGRAM and `--with` sidecar, `stop` waits
//! out the stop delay while the app serves, a failing sidecar's status is
//! the container's, and with `--log-prefix` the engine's logs name each
//! server's lines. Each scenario is written once and takes the engine.
//! Fails, never skips, without podman or dockerd.

mod common;
#[path = "containers/dockerd.rs"]
mod dockerd;
#[path = "containers/engine.rs"]
mod engine;
#[path = "containers/leftovers.rs"]
mod leftovers;
#[path = "containers/podman.rs"]
mod podman;
#[path = "containers/scenarios.rs"]
mod scenarios;

use std::time::{Duration, Instant};

use common::text;
use dockerd::Dockerd;
use engine::Engine;
use podman::{Scratch, busybox, json_argv, serial, static_vigil};
use scenarios::{report, wait_serving};

/// The engine CLI's own `stop` overhead beyond what vigil waits (0.2-0.5 s
/// measured in tests/containers_podman.rs), with room for a loaded machine.
const STOP_OVERHEAD: Duration = Duration::from_secs(2);

/// FROM scratch: /vigil, /bin/busybox (no applet links, so no /bin/sh) and an
/// empty /www, with vigil's ENTRYPOINT taking `entrypoint` options.
fn scratch_image(e: &Engine, s: &mut Scratch, entrypoint: &[&str]) -> String {
    let ctx = s.dir("ctx");
    std::fs::copy(static_vigil(), ctx.join("vigil")).expect("copy vigil");
    std::fs::copy(busybox(), ctx.join("busybox")).expect("copy busybox");
    std::fs::create_dir_all(ctx.join("www")).expect("mkdir www");
    std::fs::write(ctx.join("www/index.html"), "ok\n").expect("write index");
    let mut argv = vec!["/vigil"];
    argv.extend_from_slice(entrypoint);
    argv.push("--");
    let containerfile = format!(
        "FROM scratch\nCOPY vigil /vigil\nCOPY busybox /bin/busybox\nCOPY www /www\n\
         ENTRYPOINT {}\nCMD [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n",
        json_argv(&argv)
    );
    let file = ctx.join("Containerfile");
    std::fs::write(&file, containerfile).expect("write Containerfile");
    let tag = s.image("lifecycle");
    e.build(&tag, &file, &ctx, &[]);
    tag
}

/// `vigil check URL` inside the container, on its own loopback.
fn check(e: &Engine, name: &str, url: &str) -> bool {
    let out = e.exec(name, &["/vigil", "check", "--timeout", "2s", url]);
    if !out.status.success() {
        eprintln!("check {url}: {}{}", text(&out.stdout), text(&out.stderr));
    }
    out.status.success()
}

/// `--with` sidecar and `--stop-delay 2s`: both servers run with the
/// sidecar's exact words, no shell exists, the app and the sidecar answer
/// throughout the delay after SIGTERM, and `stop` waits out the delay.
fn sidecar_and_stop_delay(e: &Engine, s: &mut Scratch) {
    let image = scratch_image(
        e,
        s,
        &[
            "--stop-delay",
            "2s",
            "--with",
            "/bin/busybox httpd -f -p 8081 -h '/www'",
        ],
    );
    let name = s.container("two");
    e.run_detached(&name, &[], &image, &[]);
    wait_serving(e, &name);
    assert!(
        check(e, &name, "http://127.0.0.1:8081/"),
        "the sidecar serves"
    );
    // No shell in the image.
    assert!(!e.exec(&name, &["/bin/sh", "-c", "true"]).status.success());
    // vigil's children: the sidecar first, with exactly its words.
    let out = e.exec(&name, &["/bin/busybox", "cat", "/proc/1/task/1/children"]);
    let children = text(&out.stdout);
    let first = children.split_whitespace().next().expect("a child");
    let out = e.exec(
        &name,
        &["/bin/busybox", "cat", &format!("/proc/{first}/cmdline")],
    );
    assert_eq!(
        text(&out.stdout),
        "/bin/busybox\0httpd\0-f\0-p\08081\0-h\0/www\0",
        "children {children}: {}",
        text(&out.stderr)
    );

    // The runtime's stop signal: the app keeps answering during the delay.
    // (podman refuses `exec` once `podman stop` runs, so SIGTERM is sent with
    // `kill`, which is what `stop` sends first, under both engines.)
    let waiter = {
        let (e, name) = (e.clone(), name.clone());
        std::thread::spawn(move || e.ok(&["wait", &name], Duration::from_secs(30)))
    };
    let sent = Instant::now();
    e.ok(
        &["kill", "--signal", "TERM", &name],
        Duration::from_secs(20),
    );
    let mut served = 0;
    while sent.elapsed() < Duration::from_millis(1600) {
        assert!(
            check(e, &name, "http://127.0.0.1:8080/"),
            "at {:?}",
            sent.elapsed()
        );
        assert!(
            check(e, &name, "http://127.0.0.1:8081/"),
            "at {:?}",
            sent.elapsed()
        );
        served += 1;
    }
    let waited = waiter.join().expect("wait thread");
    let took = sent.elapsed();
    assert_eq!(waited, "143", "httpd dies of the forwarded TERM");
    assert!(served >= 1);
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(2) + STOP_OVERHEAD,
        "exit {took:?} after TERM"
    );

    // `stop` itself waits out the delay, well within its timeout.
    let name2 = s.container("stop");
    e.run_detached(&name2, &[], &image, &[]);
    wait_serving(e, &name2);
    let stop = e.timed_stop(&name2, 20);
    let code = e.exit_code(&name2);
    report(&format!(
        "--stop-delay 2s in {}: exit {:.3} s after SIGTERM ({served} rounds of probes answered \
         during the delay); {} stop -t 20 took {:.3} s (exit {code})",
        e.name,
        took.as_secs_f64(),
        e.name,
        stop.as_secs_f64()
    ));
    assert!(
        stop >= Duration::from_secs(2) && stop < Duration::from_secs(2) + STOP_OVERHEAD,
        "{} stop took {stop:?}",
        e.name
    );
    assert_eq!(code, 143);
}

/// Two sidecars, one failing at once: the container's exit status is the
/// failing sidecar's, and vigil names it.
fn failing_sidecars_status(e: &Engine, s: &mut Scratch) {
    let image = scratch_image(
        e,
        s,
        &[
            "--with",
            "/bin/busybox sleep 1",
            "--with",
            "/bin/busybox false",
        ],
    );
    let name = s.container("fail");
    e.run_detached(&name, &[], &image, &[]);
    let start = Instant::now();
    loop {
        let state = e.inspect(&name, "{{.State.Status}}");
        if state == "exited" || start.elapsed() > Duration::from_secs(20) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(e.exit_code(&name), 1, "busybox false's status");
    let all = e.logs(&name);
    assert!(
        common::pids_as_n(&all)
            .contains("'busybox.3' (pid N) exited with status 1: stopping everything"),
        "{all}"
    );
}

/// `--log-prefix`: two busybox httpd servers that log each request (`-v`,
/// on stderr); the engine's logs hold each server's lines after its name,
/// on stderr, beside vigil's own.
fn log_prefix_names_both_servers(e: &Engine, s: &mut Scratch) {
    let image = scratch_image(
        e,
        s,
        &[
            "--log-prefix",
            "--name",
            "app",
            "--with",
            "proxy: /bin/busybox httpd -f -v -p 8081 -h /www",
        ],
    );
    let name = s.container("prefix");
    let app = [
        "/bin/busybox",
        "httpd",
        "-f",
        "-v",
        "-p",
        "8080",
        "-h",
        "/www",
    ];
    e.run_detached(&name, &[], &image, &app);
    wait_serving(e, &name);
    assert!(
        check(e, &name, "http://127.0.0.1:8081/"),
        "the proxy serves"
    );
    assert!(!check(e, &name, "http://127.0.0.1:8081/nope"), "a 404");
    let start = Instant::now();
    let (stdout, stderr) = loop {
        let out = e.run(&["logs", &name], Duration::from_secs(20));
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        let seen = ["app | ", "proxy | "].iter().all(|p| stderr.contains(p))
            && stderr.contains("response:404");
        if seen || start.elapsed() > Duration::from_secs(10) {
            break (stdout, stderr);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(stdout, "", "{}: nothing on stdout", e.name);
    // Every line but vigil's own (its health lines: ready, ...) is a server's.
    for line in stderr.lines().filter(|l| !l.starts_with("vigil: ")) {
        let (who, rest) = line.split_once(" | ").unwrap_or(("", line));
        assert!(
            (who == "app" || who == "proxy") && rest.contains("127.0.0.1"),
            "{}: {line:?} in {stderr}",
            e.name
        );
    }
    let proxy: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("proxy | "))
        .collect();
    assert!(
        proxy.iter().any(|l| l.ends_with(": response:200"))
            && proxy.iter().any(|l| l.ends_with(": response:404")),
        "{}: {stderr}",
        e.name
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("app | ") && l.ends_with(": response:200")),
        "{}: {stderr}",
        e.name
    );
    report(&format!(
        "--log-prefix in {}: logs on stderr {stderr:?}",
        e.name
    ));
}

#[test]
fn sidecar_and_stop_delay_in_a_scratch_image_without_a_shell() {
    let _serial = serial();
    let mut s = Scratch::new("lifecycle");
    sidecar_and_stop_delay(&podman::engine(), &mut s);
}

#[test]
fn a_failing_sidecars_status_is_the_containers() {
    let _serial = serial();
    let mut s = Scratch::new("lifecycle-fail");
    failing_sidecars_status(&podman::engine(), &mut s);
}

#[test]
fn docker_sidecar_and_stop_delay_in_a_scratch_image_without_a_shell() {
    let _serial = serial();
    let d = Dockerd::start("lifecycle");
    let mut s = Scratch::with(d.engine.clone(), "lifecycle");
    sidecar_and_stop_delay(&d.engine, &mut s);
}

/// Two scenarios on one daemon start (they are the slow part).
#[test]
fn docker_a_failing_sidecars_status_is_the_containers_and_log_prefix_names_both_servers() {
    let _serial = serial();
    let d = Dockerd::start("lifecycle-fail");
    let mut s = Scratch::with(d.engine.clone(), "lifecycle-fail");
    failing_sidecars_status(&d.engine, &mut s);
    log_prefix_names_both_servers(&d.engine, &mut s);
}
