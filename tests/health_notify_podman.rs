//! README "Health", sd_notify in real podman (runc): `podman run
//! --sdnotify=container` with podman's own `NOTIFY_SOCKET` pointing at a
//! datagram listener of the test's own, as podman's 260-sdnotify tests do.
//! conmon forwards READY=1 (and WATCHDOG=1) from the container to it, and
//! drops every other key. FROM-scratch images: vigil, Debian's static
//! busybox, the static sd_notify app. Fails, never skips, without podman.

mod common;
#[path = "containers/engine.rs"]
mod engine;
#[path = "containers/podman.rs"]
mod podman;

use std::path::Path;
use std::time::{Duration, Instant};

use common::notify::{Listener, notify_app};
use podman::*;

const T: Duration = Duration::from_secs(20);

/// An image FROM scratch: /vigil, /bin/busybox, /notify_app and a page for
/// busybox httpd at /www/index.html.
fn image(s: &mut Scratch) -> String {
    let ctx = s.dir("ctx");
    let copy = |from: &Path, to: &str| {
        std::fs::copy(from, ctx.join(to))
            .unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    };
    copy(&static_vigil(), "vigil");
    copy(&busybox(), "busybox");
    copy(notify_app(), "notify_app");
    std::fs::write(ctx.join("index.html"), "ok\n").expect("index.html");
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM scratch\nCOPY vigil /vigil\nCOPY busybox /bin/busybox\n\
         COPY notify_app /notify_app\nCOPY index.html /www/index.html\n",
    )
    .expect("Containerfile");
    let tag = s.image("notify");
    build_dir(&tag, &ctx);
    tag
}

/// `podman run -d --sdnotify=container` with `NOTIFY_SOCKET` (podman's own)
/// at `listener`; returns when podman does.
fn run_notified(listener: &Listener, name: &str, flags: &[&str], image: &str, argv: &[&str]) {
    let mut args = vec![
        "run",
        "-d",
        "--name",
        name,
        "--network",
        "none",
        "--replace",
        "--sdnotify=container",
    ];
    args.extend(ULIMITS);
    args.extend_from_slice(flags);
    args.push(image);
    args.extend_from_slice(argv);
    let mut cmd = engine().command(&args);
    cmd.env("NOTIFY_SOCKET", &listener.address);
    let out = common::output_limit(&mut cmd, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "podman {args:?}: {}",
        common::text(&out.stderr)
    );
}

/// The container's log: its output and vigil's lines.
fn logs(name: &str) -> String {
    engine().logs(name)
}

/// The seconds in vigil's `ready after 2.03s ...` line.
fn ready_after(log: &str) -> f64 {
    log.lines()
        .find_map(|l| l.strip_prefix("vigil: ready after "))
        .and_then(|rest| rest.split('s').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no 'ready after' line in {log:?}"))
}

#[test]
fn vigil_as_entrypoint_with_notify_tells_podman_ready_only_once_the_app_is() {
    let _serial = serial();
    let mut s = Scratch::new("notify-entry");
    let image = image(&mut s);
    let dir = s.dir("listen");
    let mut listener = Listener::at_path(&dir);
    let name = s.container("entry");
    let entry = json_argv(&[
        "/vigil",
        "--notify",
        "--ready",
        "http://127.0.0.1:8080/",
        "--",
    ]);
    let started = Instant::now();
    run_notified(
        &listener,
        &name,
        &["--entrypoint", &entry],
        &image,
        &[
            "/bin/busybox",
            "sh",
            "-c",
            "sleep 2; exec /bin/busybox httpd -f -p 127.0.0.1:8080 -h /www",
        ],
    );
    let ready = listener.expect("READY=1", T);
    let took = ready.at - started;
    let log = logs(&name);
    // vigil said ready once its probe passed, 2 s after the app's start;
    // conmon forwarded the READY=1 vigil sent then.
    assert!(ready_after(&log) >= 2.0, "{log}");
    assert!(
        took >= Duration::from_secs(2),
        "READY=1 after {took:?}: {log}"
    );
    let conmon = inspect(&name, "{{.State.ConmonPid}}");
    // conmon's MAINPID=, then READY=1 (its text, whatever vigil's datagram
    // held besides), then nothing: STATUS= and STOPPING=1 stop at conmon.
    engine().ok(&["stop", "-t", "5", &name], T);
    listener.during(Duration::from_millis(300));
    let mut got = listener.texts();
    got.sort();
    assert_eq!(
        got,
        [format!("MAINPID={conmon}"), "READY=1".into()],
        "{log}"
    );
    assert_eq!(exit_code(&name), 143, "{log}");
    println!(
        "MEASURED podman --sdnotify=container, vigil --notify --ready http://...: READY=1 at the listener {took:?} after podman run began; vigil: ready after {}s",
        ready_after(&log)
    );
}

#[test]
fn vigil_as_init_turns_the_apps_own_ready_1_into_health_and_passes_it_on() {
    let _serial = serial();
    let mut s = Scratch::new("notify-init");
    let image = image(&mut s);
    let dir = s.dir("listen");
    let vigil = static_vigil();
    let init = ["--init", "--init-path", vigil.to_str().expect("utf-8 path")];
    let app = ["/notify_app", "env", "sleep:1.5", "send:READY=1", "wait"];

    // --ready notify and --notify through their twins, on a read-only root
    // as nobody: the app's READY=1 goes to vigil's own socket, and vigil's
    // to podman.
    let mut listener = Listener::at_path(&dir);
    let name = s.container("init");
    let mut flags = init.to_vec();
    flags.extend([
        "-e",
        "VIGIL_READY=notify",
        "-e",
        "VIGIL_NOTIFY=1",
        "--read-only",
        "--user",
        "65534:65534",
    ]);
    let started = Instant::now();
    run_notified(&listener, &name, &flags, &image, &app);
    let ready = listener.expect("READY=1", T);
    let took = ready.at - started;
    let log = logs(&name);
    assert!(
        log.lines()
            .any(|l| l.starts_with("NOTIFY_SOCKET=@vigil-notify-")),
        "the app did not get vigil's socket: {log}"
    );
    assert!(log.contains("sent READY=1"), "{log}");
    assert!(ready_after(&log) >= 1.5, "{log}");
    assert!(
        took >= Duration::from_millis(1500),
        "READY=1 after {took:?}: {log}"
    );
    let health = exec(&name, &["/vigil", "health"]);
    assert!(health.status.success(), "{health:?}");
    assert!(
        common::text(&health.stdout).starts_with("ready "),
        "{health:?}"
    );
    engine().remove(&name);
    println!(
        "MEASURED podman --init, VIGIL_READY=notify VIGIL_NOTIFY=1, read-only, nobody: READY=1 at the listener {took:?} after podman run began"
    );

    // Without them, podman's NOTIFY_SOCKET passes to the app unchanged, as
    // under tini, and the app's READY=1 reaches the listener itself.
    let mut listener = Listener::at_path(&dir);
    let name = s.container("pass");
    run_notified(&listener, &name, &init, &image, &app);
    listener.expect("READY=1", T);
    let log = logs(&name);
    assert!(
        log.lines()
            .any(|l| l == "NOTIFY_SOCKET=/run/notify/notify.sock"),
        "{log}"
    );
    engine().remove(&name);
}
