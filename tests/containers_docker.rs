//! vigil under the real Docker engine (Debian's moby 20.10) and
//! docker-compose v1: HEALTHCHECK transitions on Docker's own timer, stop
//! times and statuses, signals, `docker run --init` with vigil as the
//! daemon's init, reaping, and compose's `service_healthy`. Each test runs
//! its own dockerd from a temp directory (tests/containers/dockerd.rs);
//! images are built FROM scratch, and every container runs with
//! `--network none` or in another test container's namespace.

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
use podman::{Scratch, root, serial, static_vigil};
use scenarios::report;

/// The scratch example, built unchanged from docker/examples.
const EXAMPLE: &str = "vigil-example:test";

/// Docker's health timer made fast for a test: a probe every 300 ms, and no
/// start period (0 would mean "the image's", 5 s).
const FAST_HEALTH: [&str; 4] = [
    "--health-interval",
    "300ms",
    "--health-start-period",
    "10ms",
];

/// A daemon with the stand-ins and the scratch example built.
fn daemon(test: &str) -> Dockerd {
    let d = Dockerd::start(test);
    d.standins();
    d.build_example("scratch.Dockerfile", EXAMPLE);
    d
}

/// What `--version` must look like for dockerd's init-version parser
/// (tini's form, "NAME VERSION - git.COMMIT"), and the commit word that
/// `docker info` then shows.
fn expected_init_commit() -> String {
    format!("vigil-{}", env!("CARGO_PKG_VERSION").replace('.', "_"))
}

#[test]
fn docker_info_shows_vigils_version_and_the_daemon_log_has_no_parse_warning() {
    let _serial = serial();
    let out = output_limit(
        Command::new(static_vigil()).arg("--version"),
        Duration::from_secs(10),
    );
    let version = text(&out.stdout);
    assert_eq!(
        version,
        format!(
            "vigil {} - git.{}\n",
            env!("CARGO_PKG_VERSION"),
            expected_init_commit()
        )
    );

    let d = Dockerd::start("info");
    let e = &d.engine;
    let info = e.ok(
        &["info", "--format", "{{.InitBinary}}|{{.InitCommit.ID}}"],
        Duration::from_secs(20),
    );
    assert_eq!(
        info,
        format!("{}|{}", static_vigil().display(), expected_init_commit()),
        "docker info's init binary and version"
    );
    let components = e.ok(
        &["version", "--format", "{{json .Server.Components}}"],
        Duration::from_secs(20),
    );
    assert!(
        components.contains(&format!("\"GitCommit\":\"{}\"", expected_init_commit())),
        "docker version: {components}"
    );
    let log = d.log();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("version")
                && (l.contains("failed to") || l.contains("unknown output format"))
        })
        .collect();
    assert!(warnings.is_empty(), "dockerd warned: {warnings:?}");
    report(&format!(
        "docker info: init version {}",
        expected_init_commit()
    ));
}

/// Polls the health status until `want`, recording every status seen.
fn watch_health(
    e: &Engine,
    name: &str,
    want: &str,
    seen: &mut Vec<String>,
    limit: Duration,
) -> Duration {
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
            start.elapsed() < limit,
            "never {want} (seen {seen:?}): {}",
            e.health_log(name)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn healthcheck_goes_starting_healthy_then_unhealthy_when_frozen_and_healthy_after_sigcont() {
    let _serial = serial();
    let d = daemon("health");
    let e = &d.engine;
    let mut s = Scratch::with(e.clone(), "health");
    let name = s.container("web");
    // A 1 s interval: the first probe comes 1 s after the start, so the
    // `starting` status is seen even on a loaded machine.
    let flags = [
        "--health-interval",
        "1s",
        "--health-start-period",
        "10ms",
        "--health-retries",
        "1",
    ];
    let started = Instant::now();
    e.run_detached(&name, &flags, EXAMPLE, &[]);
    let run_took = started.elapsed();
    let mut seen = Vec::new();
    let to_healthy = watch_health(e, &name, "healthy", &mut seen, Duration::from_secs(20));
    assert_eq!(seen, ["starting", "healthy"], "{}", e.health_log(&name));

    // Freeze the app: connections queue in the kernel, nothing answers, and
    // vigil's own deadline (2 s, inside HEALTHCHECK's 3 s) reports it.
    let pid = scenarios::app_pid(e, &name);
    let stop = e.exec(&name, &["/bin/busybox", "kill", "-STOP", &pid]);
    assert!(stop.status.success(), "{}", text(&stop.stderr));
    let to_unhealthy = watch_health(e, &name, "unhealthy", &mut seen, Duration::from_secs(20));
    let log = e.health_log(&name);
    assert!(
        log.contains("fail http://127.0.0.1:8080/ timed out after 2s"),
        "vigil's line is not in Health.Log: {log}"
    );

    let cont = e.exec(&name, &["/bin/busybox", "kill", "-CONT", &pid]);
    assert!(cont.status.success(), "{}", text(&cont.stderr));
    let to_healthy_again = watch_health(e, &name, "healthy", &mut seen, Duration::from_secs(20));
    assert_eq!(seen, ["starting", "healthy", "unhealthy", "healthy"]);
    report(&format!(
        "docker health, interval 1s, retries 1: starting -> healthy {:.2} s after \
         `docker run -d` returned (it took {:.2} s); SIGSTOP -> unhealthy {:.2} s; \
         SIGCONT -> healthy {:.2} s; log: {}",
        to_healthy.as_secs_f64(),
        run_took.as_secs_f64(),
        to_unhealthy.as_secs_f64(),
        to_healthy_again.as_secs_f64(),
        log.split('|')
            .find(|l| l.contains("timed out"))
            .unwrap_or("")
            .trim()
    ));
}

#[test]
fn docker_stop_takes_well_under_a_second_with_vigil_and_the_grace_rule_holds() {
    let _serial = serial();
    let d = daemon("stop");
    let e = &d.engine;
    let mut s = Scratch::with(e.clone(), "stop");
    scenarios::stop_is_fast_with_vigil_and_waits_the_timeout_without(e, &mut s, EXAMPLE);
    scenarios::grace_below_the_stop_timeout_wins_and_above_it_the_runtime_kill_wins(
        e, &mut s, EXAMPLE,
    );
}

#[test]
fn docker_kill_signals_reach_the_app_and_exit_codes_pass_through() {
    let _serial = serial();
    let d = daemon("signals");
    let e = &d.engine;
    let mut s = Scratch::with(e.clone(), "signals");

    let name = s.container("traps");
    let script = "trap 'echo got HUP' HUP; trap 'echo got USR1' USR1; \
                  trap 'echo got TERM; exit 3' TERM; echo ready; \
                  while :; do /bin/busybox sleep 1 & wait $!; done";
    e.run_detached(&name, &[], EXAMPLE, &["/bin/busybox", "sh", "-c", script]);
    let wait_log = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let logs = e.logs(&name);
            if logs.contains(needle) {
                return;
            }
            assert!(Instant::now() < deadline, "no {needle:?} in: {logs}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_log("ready");
    for sig in ["HUP", "USR1", "TERM"] {
        e.ok(&["kill", "-s", sig, &name], Duration::from_secs(20));
        wait_log(&format!("got {sig}"));
    }
    let code = e.ok(&["wait", &name], Duration::from_secs(20));
    assert_eq!(code, "3", "the app's own status after its TERM trap");

    // Exit statuses and deaths by signal pass through vigil unchanged.
    for (what, script, want) in [
        ("x0", "exit 0", 0),
        ("x1", "exit 1", 1),
        ("x42", "exit 42", 42),
        ("x255", "exit 255", 255),
        ("kill9", "kill -9 $$", 137),
        ("segv", "kill -SEGV $$", 139),
    ] {
        let name = s.container(what);
        let out = e.run_attached(&name, &[], EXAMPLE, &["/bin/busybox", "sh", "-c", script]);
        assert_eq!(
            out.status.code(),
            Some(want),
            "{what}: {}",
            text(&out.stderr)
        );
        assert_eq!(e.exit_code(&name), want, "{what}");
    }
}

#[test]
fn docker_run_init_runs_vigil_as_pid_1_and_passes_statuses_through() {
    let _serial = serial();
    let d = daemon("init");
    let e = &d.engine;
    let mut s = Scratch::with(e.clone(), "init");
    scenarios::runtime_init_is_vigil(e, &mut s, EXAMPLE);
    let info = e.ok(
        &["info", "--format", "{{.InitCommit.ID}}"],
        Duration::from_secs(20),
    );
    assert_eq!(info, expected_init_commit());
}

/// The scratch example's HEALTHCHECK command, as Docker names its execs.
const PROBE: &str = "/vigil check --timeout 2s --quiet http://127.0.0.1:8080/";

/// Waits until Docker's timer has run `n` probes in container `name`, each
/// of them passing. Counted from the daemon's events: the (n+1)th probe's
/// `exec_create` means the nth has ended (Docker runs them one at a time),
/// and every `exec_die` so far has exit code 0.
fn docker_probes(e: &Engine, name: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let events = e.ok(
            &[
                "events",
                "--since",
                "10m",
                "--until",
                "0s",
                "--filter",
                &format!("container={name}"),
                "--format",
                "{{.Action}}|{{index .Actor.Attributes \"exitCode\"}}",
            ],
            Duration::from_secs(20),
        );
        let created = events
            .lines()
            .filter(|l| {
                l.strip_prefix("exec_create: ")
                    .and_then(|c| c.strip_suffix('|'))
                    == Some(PROBE)
            })
            .count();
        let failed: Vec<&str> = events
            .lines()
            .filter(|l| l.starts_with("exec_die|") && *l != "exec_die|0")
            .collect();
        assert!(
            failed.is_empty(),
            "a probe failed: {failed:?} {}",
            e.health_log(name)
        );
        if created > n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {created} probes started in {name}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn thirty_healthchecks_leave_no_zombie_under_init_and_as_entrypoint() {
    let _serial = serial();
    let d = daemon("zombie");
    let e = &d.engine;
    let mut s = Scratch::with(e.clone(), "zombie");
    let probes = |name: &str| {
        let start = Instant::now();
        docker_probes(e, name, 30);
        report(&format!(
            "docker: 30 HEALTHCHECK runs (interval 100ms) in {name} took {:.2} s",
            start.elapsed().as_secs_f64()
        ));
    };
    let fast = ["--health-interval", "100ms"];
    scenarios::thirty_probes_leave_no_zombie(e, &mut s, EXAMPLE, "entrypoint", &fast, &[], &probes);
    // Under --init: docker-init (vigil) is PID 1, httpd its child, and the
    // probes are reparented to it.
    let init = ["--health-interval", "100ms", "--init"];
    let name = scenarios::thirty_probes_leave_no_zombie(
        e,
        &mut s,
        EXAMPLE,
        "init",
        &init,
        &scenarios::HTTPD,
        &probes,
    );
    let cmdline = text(
        &e.exec(&name, &["/bin/busybox", "cat", "/proc/1/cmdline"])
            .stdout,
    );
    assert!(
        cmdline.starts_with("/sbin/docker-init\0--\0/bin/busybox\0httpd"),
        "{cmdline:?}"
    );
    scenarios::a_non_reaping_pid_1_keeps_the_zombie(e, &mut s, EXAMPLE);
}

#[test]
fn distroless_example_builds_unchanged_and_its_probe_reads_vigil_check() {
    let _serial = serial();
    let d = daemon("distroless");
    let e = &d.engine;
    let mut s = Scratch::with(e.clone(), "distroless");
    let image = "vigil-example-dl:test";
    d.build_example("distroless.Dockerfile", image);
    assert_eq!(e.inspect(image, "{{.Config.User}}"), "65534:65534");
    scenarios::distroless_probe_reads_vigil_check(e, &mut s, image, &FAST_HEALTH);
}

/// A value no output may show.
const SECRET: &str = "s3cr3t-D0cker-7e2a";

#[test]
fn a_docker_secret_mode_0400_reaches_a_dropped_user_by_secret_and_file_env_and_a_nested_vigil_applies_the_twins_once()
 {
    let _serial = serial();
    let started = Instant::now();
    let d = Dockerd::start("secrets");
    let e = &d.engine;
    let mut s = Scratch::with(e.clone(), "secrets");
    // FROM scratch, vigil as root ENTRYPOINT (it must read the 0400 secret),
    // busybox for the app.
    let ctx = s.dir("ctx");
    std::fs::copy(static_vigil(), ctx.join("vigil")).expect("copy vigil");
    std::fs::copy(podman::busybox(), ctx.join("busybox")).expect("copy busybox");
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM scratch\nCOPY vigil /vigil\nCOPY busybox /bin/busybox\nENTRYPOINT [\"/vigil\", \"--\"]\n",
    )
    .expect("Dockerfile");
    let image = s.image("secrets");
    e.build(&image, &ctx.join("Dockerfile"), &ctx, &[]);
    // A Docker secret as swarm and compose mount it: read-only, here 0400 root.
    let secrets = s.dir("run-secrets");
    let file = secrets.join("db_password");
    std::fs::write(&file, format!("{SECRET}\n")).expect("write the secret");
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o400))
        .expect("chmod 0400");
    let mount = format!("{}:/run/secrets/db_password:ro", file.display());
    let bb = "/bin/busybox";
    let show = "/bin/busybox id -u; echo \"pw=$DB_PASSWORD file=${FILE__DB_PASSWORD-unset}\"; \
                /bin/busybox cat /run/secrets/db_password 2>/dev/null || echo denied";
    for (what, env) in [
        (
            "secret",
            "VIGIL_SECRET=DB_PASSWORD=/run/secrets/db_password",
        ),
        ("file-env", "FILE__DB_PASSWORD=/run/secrets/db_password"),
    ] {
        let name = s.container(what);
        let out = e.run_attached(
            &name,
            &[
                "-v",
                &mount,
                "-e",
                env,
                "-e",
                "VIGIL_FILE_ENV=1",
                "-e",
                "VIGIL_USER=65534:65534",
                "-e",
                "VIGIL_LOG=debug",
            ],
            &image,
            &[bb, "sh", "-c", show],
        );
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{what}: {stderr}");
        assert_eq!(
            stdout,
            format!("65534\npw={SECRET} file=unset\ndenied\n"),
            "{what}: {stderr}"
        );
        assert!(
            !stderr.contains(SECRET),
            "{what}: vigil printed the secret: {stderr}"
        );
        assert!(
            !e.logs(&name).contains(&format!("vigil: {SECRET}")),
            "{what}"
        );
    }

    // Running: vigil (PID 1, as docker exec sees it) holds no value in its own
    // environment; the app, as 65534, has it in its.
    let name = s.container("environ");
    e.run_detached(
        &name,
        &[
            "-v",
            &mount,
            "-e",
            "VIGIL_SECRET=DB_PASSWORD=/run/secrets/db_password",
            "-e",
            "VIGIL_USER=65534:65534",
        ],
        &image,
        &[bb, "sleep", "30"],
    );
    let app = scenarios::app_pid(e, &name);
    // Each read as the process's own user (docker exec has no CAP_SYS_PTRACE).
    let environ = |user: &str, pid: &str| {
        let file = format!("/proc/{pid}/environ");
        e.ok(
            &["exec", "--user", user, &name, bb, "cat", &file],
            Duration::from_secs(20),
        )
    };
    let own = environ("0", "1");
    assert!(
        own.contains("VIGIL_SECRET=DB_PASSWORD=/run/secrets/db_password"),
        "{own:?}"
    );
    assert!(
        !own.contains(SECRET),
        "vigil's own environ holds the secret"
    );
    let theirs = environ("65534:65534", &app);
    assert!(
        theirs.contains(&format!("DB_PASSWORD={SECRET}\0")),
        "the app's: {theirs:?}"
    );
    e.remove(&name);

    // docker run --init with an image whose ENTRYPOINT is vigil: docker-init
    // (vigil) applies the twins, the ENTRYPOINT's vigil gets none of them.
    let name = s.container("nested");
    let out = e.run_attached(
        &name,
        &[
            "--init",
            "-e",
            "VIGIL_WITH=side: /bin/busybox sleep 7777",
            "-e",
            "VIGIL_LOG=debug",
        ],
        &image,
        &[bb, "sleep", "1"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let sidecars = stderr
        .lines()
        .filter(|l| l.starts_with("vigil: started 'side' (pid "))
        .count();
    assert_eq!(sidecars, 1, "{stderr}");
    report(&format!(
        "docker: a 0400 root secret for --user 65534 (--secret, --file-env), vigil's own environ, \
         --init over a vigil ENTRYPOINT: {:.1} s with the daemon's start",
        started.elapsed().as_secs_f64()
    ));
}

// ---- docker-compose v1 ------------------------------------------------------

/// `docker-compose -p PROJECT -f compose.yaml -f OVERRIDE ARGS` against the
/// private daemon, with its time taken.
fn compose(
    d: &Dockerd,
    project: &str,
    overlay: &str,
    args: &[&str],
) -> (std::process::Output, Duration) {
    let file = root().join("docker/examples/compose.yaml");
    let over = d.dir.join(format!("{project}.override.yaml"));
    std::fs::write(&over, overlay).expect("write override");
    let mut cmd = Command::new("/usr/bin/docker-compose");
    cmd.arg("--no-ansi")
        .args(["-p", project, "-f"])
        .arg(&file)
        .arg("-f")
        .arg(&over)
        .args(args);
    for (k, v) in d.engine.env() {
        cmd.env(k, v);
    }
    // compose v1 builds through the API (the classic builder): no BuildKit,
    // and Debian's docker CLI first on PATH.
    cmd.env_remove("DOCKER_BUILDKIT").env(
        "PATH",
        format!("/usr/bin:{}", std::env::var("PATH").unwrap_or_default()),
    );
    let start = Instant::now();
    let out = output_limit(&mut cmd, Duration::from_secs(180));
    (out, start.elapsed())
}

/// The test-only override the network rules need: web in no network at all
/// (its published port is then ignored), the client in web's namespace,
/// fetching from 127.0.0.1 instead of resolving `web`, and a fast health
/// timer.
const COMPOSE_OVERRIDE: &str = r#"services:
  web:
    network_mode: none
    healthcheck:
      interval: 300ms
      start_period: 0s
  client:
    network_mode: "service:web"
    command: ["/bin/busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/"]
"#;

/// Only Docker's built-in `host` and `none` networks exist: compose made none.
fn assert_no_network_created(e: &Engine) {
    let nets = e.ok(
        &["network", "ls", "--format", "{{.Name}}"],
        Duration::from_secs(20),
    );
    let mut nets: Vec<&str> = nets.lines().collect();
    nets.sort_unstable();
    assert_eq!(nets, ["host", "none"], "a network was created");
}

fn said(out: &std::process::Output) -> String {
    text(&out.stdout) + &text(&out.stderr)
}

#[test]
fn compose_up_waits_for_service_healthy_and_the_client_gets_the_page() {
    let _serial = serial();
    let d = daemon("compose");
    let e = &d.engine;
    let p = format!("vigilct{}", std::process::id());
    let (build, built) = compose(&d, &p, COMPOSE_OVERRIDE, &["build"]);
    assert!(build.status.success(), "compose build: {}", said(&build));

    let (up, up_took) = compose(&d, &p, COMPOSE_OVERRIDE, &["up", "-d"]);
    assert!(up.status.success(), "compose up: {}", said(&up));
    let web = format!("{p}_web_1");
    let client = format!("{p}_client_1");
    assert_eq!(e.inspect(&web, "{{.State.Health.Status}}"), "healthy");
    // The client started only after web turned healthy, in the daemon's
    // own order of events (read once the client has run: events arrive
    // asynchronously).
    assert_eq!(e.ok(&["wait", &client], Duration::from_secs(30)), "0");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let events = e.ok(
            &[
                "events",
                "--since",
                "10m",
                "--until",
                "0s",
                "--format",
                "{{.Actor.Attributes.name}} {{.Action}}",
            ],
            Duration::from_secs(20),
        );
        let at = |line: &str| events.lines().position(|l| l == line);
        let healthy = at(&format!("{web} health_status: healthy"));
        let started = at(&format!("{client} start"));
        if let (Some(h), Some(st)) = (healthy, started) {
            assert!(h < st, "client started before web was healthy: {events}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "web healthy at {healthy:?}, client started at {started:?}: {events}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let page = e.logs(&client);
    assert!(
        page.contains("served by busybox httpd under vigil"),
        "{page}"
    );
    assert_no_network_created(e);

    let (stop, stop_took) = compose(&d, &p, COMPOSE_OVERRIDE, &["stop"]);
    assert!(stop.status.success(), "compose stop: {}", said(&stop));
    let web_code = e.exit_code(&web);
    let (up2, _) = compose(&d, &p, COMPOSE_OVERRIDE, &["up", "-d"]);
    assert!(up2.status.success(), "compose up again: {}", said(&up2));
    let (ps, ps_took) = compose(&d, &p, COMPOSE_OVERRIDE, &["ps"]);
    assert!(ps.status.success(), "compose ps: {}", said(&ps));
    let (down, down_took) = compose(&d, &p, COMPOSE_OVERRIDE, &["down"]);
    assert!(down.status.success(), "compose down: {}", said(&down));
    let left = e.ok(&["ps", "-aq"], Duration::from_secs(20));
    assert!(left.is_empty(), "down left containers: {left}");
    report(&format!(
        "docker-compose 1.29 (build {:.2} s): up -d until web healthy and client started {:.2} s; \
         stop {:.2} s (web exit {web_code}); down of the running stack {:.2} s; \
         for scale, `ps` (compose's own start-up) {:.2} s",
        built.as_secs_f64(),
        up_took.as_secs_f64(),
        stop_took.as_secs_f64(),
        down_took.as_secs_f64(),
        ps_took.as_secs_f64()
    ));
    assert_eq!(web_code, 143, "web ends with the forwarded TERM");
    assert!(
        stop_took < Duration::from_secs(5),
        "compose stop took {stop_took:?}"
    );
}

#[test]
fn compose_up_fails_on_an_unhealthy_web_and_never_starts_the_client() {
    let _serial = serial();
    let d = daemon("compose-bad");
    let e = &d.engine;
    let p = format!("vigilctbad{}", std::process::id());
    // Web's probe looks where nothing listens.
    let overlay = COMPOSE_OVERRIDE.replace(
        "      start_period: 0s\n",
        "      start_period: 0s\n      retries: 1\n      test: [\"CMD\", \"/vigil\", \"check\", \"--timeout\", \"2s\", \"http://127.0.0.1:8081/\"]\n",
    );
    let (up, took) = compose(&d, &p, &overlay, &["up", "-d"]);
    let out = said(&up);
    assert!(
        !up.status.success(),
        "compose up passed with an unhealthy web: {out}"
    );
    assert!(out.contains("unhealthy"), "{out}");
    let web = format!("{p}_web_1");
    assert_eq!(e.inspect(&web, "{{.State.Health.Status}}"), "unhealthy");
    let log = e.health_log(&web);
    assert!(log.contains("fail http://127.0.0.1:8081/"), "{log}");
    let clients = e.ok(
        &[
            "ps",
            "-a",
            "--filter",
            &format!("name={p}_client"),
            "--format",
            "{{.Names}}",
        ],
        Duration::from_secs(20),
    );
    assert!(clients.is_empty(), "the client was created: {clients}");
    assert_no_network_created(e);
    report(&format!(
        "docker-compose up with an unhealthy web: failed after {:.2} s, client never created",
        took.as_secs_f64()
    ));
}

/// The OOM line vigil writes for `name`, whatever its pid and peak: checks
/// the limit, and that the peak is at most the limit and near it.
fn assert_oom_line(logs: &str, name: &str, what: &str) -> String {
    let prefix = format!("vigil: '{name}' (pid ");
    let tail = ") was killed by the kernel's OOM killer (memory limit 64 MiB, peak ";
    let line = logs
        .lines()
        .find(|l| l.starts_with(&prefix) && l.contains(tail))
        .unwrap_or_else(|| panic!("{what}: no OOM line in docker logs:\n{logs}"));
    let peak: u64 = line
        .rsplit("peak ")
        .next()
        .and_then(|p| p.strip_suffix(" MiB)"))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{what}: {line}"));
    assert!((56..=64).contains(&peak), "{what}: {line}");
    let deaths = logs.lines().filter(|l| l.contains("OOM killer")).count();
    assert_eq!(deaths, 1, "{what}: one line for the one kill:\n{logs}");
    line.to_string()
}

#[test]
fn an_oom_kill_under_memory_64m_is_named_in_docker_logs_as_entrypoint_and_through_init() {
    let _serial = serial();
    let started = Instant::now();
    // One daemon for every case: vigil as ENTRYPOINT, vigil as `--init`, and
    // a worker its parent reaps (not reported under cgroup v1: Docker mounts
    // cgroup.event_control read-only).
    let d = Dockerd::start("oom");
    let e = &d.engine;
    let mut s = Scratch::with(e.clone(), "oom");
    let ctx = s.dir("ctx");
    std::fs::copy(static_vigil(), ctx.join("vigil")).expect("copy vigil");
    std::fs::copy(common::memory_cgroup::die(), ctx.join("die")).expect("copy die");
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM scratch\nCOPY vigil /vigil\nCOPY die /die\nENTRYPOINT [\"/vigil\", \"--\"]\nCMD [\"/die\", \"hog\", \"200\"]\n",
    )
    .expect("Dockerfile");
    let image = s.image("oom");
    e.build(&image, &ctx.join("Dockerfile"), &ctx, &[]);
    let memory = ["--memory", "64m"];

    let entrypoint = s.container("entrypoint");
    e.run_attached(&entrypoint, &memory, &image, &[]);
    assert_eq!(e.exit_code(&entrypoint), 137, "137 stays 137");
    let line = assert_oom_line(&e.logs(&entrypoint), "die", "ENTRYPOINT");
    report(&format!(
        "docker run --memory 64m, vigil as ENTRYPOINT: {line}"
    ));

    let init = s.container("init");
    let mut flags = vec!["--init"];
    flags.extend_from_slice(&memory);
    e.run_program_attached(&init, &flags, &image, &["/die", "hog", "200"]);
    assert_eq!(e.exit_code(&init), 137, "137 stays 137");
    let line = assert_oom_line(&e.logs(&init), "die", "--init");
    report(&format!("docker run --init --memory 64m: {line}"));

    let worker = s.container("worker");
    e.run_program_attached(&worker, &flags, &image, &["/die", "master", "200", "1"]);
    let logs = e.logs(&worker);
    assert_eq!(e.exit_code(&worker), 0, "{logs}");
    assert!(
        logs.contains("ended by signal 9"),
        "the worker was OOM-killed:\n{logs}"
    );
    assert!(
        !logs.contains("OOM killer") && !logs.contains("was killed"),
        "not reported under Docker with cgroup v1:\n{logs}"
    );
    report(&format!(
        "docker OOM cases: {:.1}s",
        started.elapsed().as_secs_f64()
    ));
}
