//! The lifecycle options in a real container (podman with runc), in an image
//! built FROM scratch that holds vigil and a static busybox but no /bin/sh:
//! two servers run as PROGRAM and `--with` sidecar, `podman stop` waits out
//! the stop delay while the app serves, and a failing sidecar's status is
//! the container's. Fails, never skips, without podman.

mod common;
#[path = "containers/engine.rs"]
mod engine;
#[path = "containers/podman.rs"]
mod podman;

use std::time::{Duration, Instant};

use common::text;
use podman::*;

/// `podman stop`'s own overhead beyond what vigil waits (0.2-0.5 s measured
/// in tests/containers.rs), with room for a loaded machine.
const STOP_OVERHEAD: Duration = Duration::from_secs(2);

fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "MEASURED {line}");
}

/// FROM scratch: /vigil, /bin/busybox (no applet links, so no /bin/sh) and an
/// empty /www, with vigil's ENTRYPOINT taking `entrypoint` options.
fn scratch_image(s: &mut Scratch, entrypoint: &[&str]) -> String {
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
    std::fs::write(ctx.join("Containerfile"), containerfile).expect("write Containerfile");
    let tag = s.image("lifecycle");
    build_dir(&tag, &ctx);
    tag
}

fn check(name: &str, url: &str) -> bool {
    let out = exec(name, &["/vigil", "check", "--timeout", "2s", url]);
    if !out.status.success() {
        eprintln!("check {url}: {}{}", text(&out.stdout), text(&out.stderr));
    }
    out.status.success()
}

#[test]
fn sidecar_and_stop_delay_in_a_scratch_image_without_a_shell() {
    let _serial = serial();
    let mut s = Scratch::new("lifecycle");
    let image = scratch_image(
        &mut s,
        &[
            "--stop-delay",
            "2s",
            "--with",
            "/bin/busybox httpd -f -p 8081 -h '/www'",
        ],
    );
    let name = s.container("two");
    run_detached(&name, &[], &image, &[]);
    wait_serving(&name);
    assert!(check(&name, "http://127.0.0.1:8081/"), "the sidecar serves");
    // No shell in the image.
    assert!(!exec(&name, &["/bin/sh", "-c", "true"]).status.success());
    // vigil's children: the sidecar first, with exactly its words.
    let out = exec(&name, &["/bin/busybox", "cat", "/proc/1/task/1/children"]);
    let children = text(&out.stdout);
    let first = children.split_whitespace().next().expect("a child");
    let out = exec(
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
    // `podman kill`, which is what `podman stop` sends first.)
    let waiter = {
        let name = name.clone();
        std::thread::spawn(move || podman_ok(&["wait", &name], Duration::from_secs(30)))
    };
    let sent = Instant::now();
    podman_ok(
        &["kill", "--signal", "TERM", &name],
        Duration::from_secs(20),
    );
    let mut served = 0;
    while sent.elapsed() < Duration::from_millis(1600) {
        assert!(
            check(&name, "http://127.0.0.1:8080/"),
            "at {:?}",
            sent.elapsed()
        );
        assert!(
            check(&name, "http://127.0.0.1:8081/"),
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

    // podman stop itself waits out the delay, well within its timeout.
    let name2 = s.container("stop");
    run_detached(&name2, &[], &image, &[]);
    wait_serving(&name2);
    let stop = timed_stop(&name2, 20);
    let code = exit_code(&name2);
    report(&format!(
        "--stop-delay 2s in podman: exit {:.3} s after SIGTERM ({served} rounds of probes answered \
         during the delay); podman stop -t 20 took {:.3} s (exit {code})",
        took.as_secs_f64(),
        stop.as_secs_f64()
    ));
    assert!(
        stop >= Duration::from_secs(2) && stop < Duration::from_secs(2) + STOP_OVERHEAD,
        "podman stop took {stop:?}"
    );
    assert_eq!(code, 143);
}

#[test]
fn a_failing_sidecars_status_is_the_containers() {
    let _serial = serial();
    let mut s = Scratch::new("lifecycle-fail");
    let image = scratch_image(
        &mut s,
        &[
            "--with",
            "/bin/busybox sleep 1",
            "--with",
            "/bin/busybox false",
        ],
    );
    let name = s.container("fail");
    run_detached(&name, &[], &image, &[]);
    let start = Instant::now();
    loop {
        let state = inspect(&name, "{{.State.Status}}");
        if state == "exited" || start.elapsed() > Duration::from_secs(20) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(exit_code(&name), 1, "busybox false's status");
    let logs = podman_ok(&["logs", &name], Duration::from_secs(20));
    let out = podman(&["logs", &name], Duration::from_secs(20));
    let all = format!("{logs}{}", text(&out.stderr));
    assert!(
        all.contains("sidecar '/bin/busybox false' exited with status 1: stopping everything"),
        "{all}"
    );
}
