//! README "Health" under the real Docker engine (one private dockerd for
//! every case): a FROM-scratch image whose HEALTHCHECK is
//! `["/vigil", "health"]` goes starting -> healthy -> unhealthy while the app
//! answers 503 -> healthy; `docker run --read-only --user 65534`; `docker run
//! --init` (vigil as the daemon's init) with vigil as the ENTRYPOINT too; and
//! docker-compose's `service_healthy` waiting on it.

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

use std::process::Command;
use std::time::{Duration, Instant};

use common::{output_limit, text};
use dockerd::Dockerd;
use engine::Engine;
use podman::{Scratch, busybox, serial, static_vigil};
use scenarios::report;

const IMAGE: &str = "vigil-health:test";

/// The app: busybox httpd, 2 s late; /cgi-bin/health answers 503 while
/// /sick exists. vigil's `--ready` probes it; Docker's HEALTHCHECK asks vigil.
const DOCKERFILE: &str = r#"FROM scratch
COPY vigil /vigil
COPY busybox /bin/busybox
COPY www /www
USER 65534:65534
ENV VIGIL_READY=http://127.0.0.1:8080/cgi-bin/health VIGIL_READY_INTERVAL=300ms VIGIL_READY_RETRIES=1
ENTRYPOINT ["/vigil", "--"]
CMD ["/bin/busybox", "sh", "-c", "/bin/busybox sleep 2; exec /bin/busybox httpd -f -p 8080 -h /www"]
HEALTHCHECK --interval=1s --timeout=3s --start-period=30s --retries=1 CMD ["/vigil", "health"]
"#;

const CGI: &str = "#!/bin/busybox sh\n\
if [ -e /sick ]; then printf 'Status: 503 Service Unavailable\\r\\n\\r\\nsick\\n'; \
else printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'; fi\n";

fn build(d: &Dockerd) {
    let ctx = d.subdir("health-image");
    std::fs::copy(static_vigil(), ctx.join("vigil")).expect("copy vigil");
    std::fs::copy(busybox(), ctx.join("busybox")).expect("copy busybox");
    std::fs::create_dir_all(ctx.join("www/cgi-bin")).expect("mkdir www");
    std::fs::write(ctx.join("www/index.html"), "hello from under vigil\n").expect("index");
    let cgi = ctx.join("www/cgi-bin/health");
    std::fs::write(&cgi, CGI).expect("cgi");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cgi, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(ctx.join("Dockerfile"), DOCKERFILE).expect("Dockerfile");
    d.engine.build(IMAGE, &ctx.join("Dockerfile"), &ctx, &[]);
}

/// Polls the health status until `want`, recording every status seen.
fn watch(e: &Engine, name: &str, want: &str, seen: &mut Vec<String>) -> Duration {
    let start = Instant::now();
    loop {
        let status = e.inspect(name, "{{.State.Health.Status}}");
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never {want} (seen {seen:?}): {}",
            e.health_log(name)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn docker_healthcheck_compose_read_only_and_init_read_vigils_state() {
    let _serial = serial();
    let d = Dockerd::start("health");
    let e = &d.engine;
    build(&d);
    let mut s = Scratch::with(e.clone(), "health");

    // starting -> healthy -> unhealthy (503) -> healthy, on Docker's timer.
    let web = s.container("web");
    e.run_detached(&web, &[], IMAGE, &[]);
    let mut seen = Vec::new();
    let to_healthy = watch(e, &web, "healthy", &mut seen);
    assert_eq!(seen, ["starting", "healthy"], "{}", e.health_log(&web));
    let sick = e.run(
        &["exec", "-u", "0", &web, "/bin/busybox", "touch", "/sick"],
        Duration::from_secs(20),
    );
    assert!(sick.status.success(), "{}", text(&sick.stderr));
    watch(e, &web, "unhealthy", &mut seen);
    let log = e.health_log(&web);
    assert!(
        log.contains("1 unready ")
            && log.contains("fail http://127.0.0.1:8080/cgi-bin/health 503 Service Unavailable"),
        "vigil health's line is in Health.Log: {log}"
    );
    let well = e.run(
        &["exec", "-u", "0", &web, "/bin/busybox", "rm", "/sick"],
        Duration::from_secs(20),
    );
    assert!(well.status.success(), "{}", text(&well.stderr));
    watch(e, &web, "healthy", &mut seen);
    assert_eq!(seen, ["starting", "healthy", "unhealthy", "healthy"]);
    let logs = e.logs(&web);
    for line in [
        "vigil: ready after ",
        "vigil: unready: fail http://127.0.0.1:8080/cgi-bin/health 503",
        "vigil: ready again after ",
    ] {
        assert!(logs.contains(line), "docker logs lacks {line:?}: {logs}");
    }
    let asked = e.exec(&web, &["/vigil", "health", "--live"]);
    assert_eq!(asked.status.code(), Some(0), "{}", text(&asked.stderr));

    // A read-only root, no writable /run or /tmp, as nobody.
    let ro = s.container("ro");
    e.run_detached(&ro, &["--read-only", "--user", "65534"], IMAGE, &[]);
    watch(e, &ro, "healthy", &mut Vec::new());
    let asked = e.exec(&ro, &["/vigil", "health"]);
    assert!(text(&asked.stdout).starts_with("ready "), "{asked:?}");

    // docker run --init: the daemon's vigil is PID 1, the image's below it.
    // The outer one takes the VIGIL_* variables (VIGIL_READY), the inner one
    // its arguments: vigil health holds when it holds for both, and shows
    // the one that fails.
    let init = s.container("init");
    e.run_detached(&init, &["--init"], IMAGE, &[]);
    watch(e, &init, "healthy", &mut Vec::new());
    let comm = e.exec(&init, &["/bin/busybox", "cat", "/proc/1/cmdline"]);
    assert!(
        text(&comm.stdout).starts_with("/sbin/docker-init"),
        "{comm:?}"
    );
    assert_eq!(e.exec(&init, &["/vigil", "health"]).status.code(), Some(0));
    let sick = e.run(
        &["exec", "-u", "0", &init, "/bin/busybox", "touch", "/sick"],
        Duration::from_secs(20),
    );
    assert!(sick.status.success(), "{}", text(&sick.stderr));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let asked = e.exec(&init, &["/vigil", "health"]);
        if asked.status.code() == Some(1) {
            let line = text(&asked.stdout);
            assert!(
                line.starts_with("unready ") && line.contains("cgi-bin/health 503"),
                "the outer vigil's failure: {asked:?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "never unready: {asked:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        e.exec(&init, &["/vigil", "health", "--live"]).status.code(),
        Some(0)
    );

    // compose: the client starts only once web is service_healthy.
    let p = format!("vigilhealth{}", std::process::id());
    let file = d.dir.join("health-compose.yaml");
    std::fs::write(
        &file,
        format!(
            "services:\n  web:\n    image: {IMAGE}\n    network_mode: none\n    healthcheck:\n      interval: 300ms\n      start_period: 0s\n  \
             client:\n    image: {IMAGE}\n    network_mode: \"service:web\"\n    entrypoint: [\"/bin/busybox\", \"wget\", \"-q\", \"-O\", \"-\", \"http://127.0.0.1:8080/\"]\n    \
             healthcheck:\n      disable: true\n    depends_on:\n      web:\n        condition: service_healthy\n"
        ),
    )
    .expect("compose file");
    let mut up = Command::new("/usr/bin/docker-compose");
    up.arg("--no-ansi")
        .args(["-p", &p, "-f"])
        .arg(&file)
        .args(["up", "-d"]);
    for (k, v) in e.env() {
        up.env(k, v);
    }
    up.env(
        "PATH",
        format!("/usr/bin:{}", std::env::var("PATH").unwrap_or_default()),
    );
    let started = Instant::now();
    let out = output_limit(&mut up, Duration::from_secs(180));
    let up_took = started.elapsed();
    assert!(
        out.status.success(),
        "compose up: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let (cweb, client) = (format!("{p}_web_1"), format!("{p}_client_1"));
    assert_eq!(e.inspect(&cweb, "{{.State.Health.Status}}"), "healthy");
    assert_eq!(e.ok(&["wait", &client], Duration::from_secs(30)), "0");
    assert!(
        e.logs(&client).contains("hello from under vigil"),
        "{}",
        e.logs(&client)
    );
    for name in [&cweb, &client] {
        e.remove(name);
    }
    report(&format!(
        "docker: /vigil health as HEALTHCHECK (interval 1s), starting -> healthy {:.2} s after \
         docker run -d returned (the app listens 2 s in); compose up -d with service_healthy {:.2} s",
        to_healthy.as_secs_f64(),
        up_took.as_secs_f64()
    ));
}
