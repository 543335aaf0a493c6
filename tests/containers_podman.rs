//! vigil in a real container runtime (podman with runc): the images users
//! copy from docker/ become healthy, stop at once, reap, run as nobody, and
//! vigil works as podman's own `--init`. Fails, never skips, without podman.
//! The scenarios shared with the Docker engine are in containers/scenarios.rs
//! (run under Docker by tests/containers_docker.rs).

mod common;
#[path = "containers/engine.rs"]
mod engine;
#[path = "containers/podman.rs"]
mod podman;
#[path = "containers/scenarios.rs"]
mod scenarios;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{output_limit, text};
use podman::*;
use scenarios::{FAST_STOP, report};

/// Probes with `podman healthcheck run` (no systemd timers here) until the
/// status is `want`, within `limit`; returns the last status.
fn health_until(name: &str, want: &str, limit: Duration) -> String {
    engine().health_until(name, want, limit)
}

fn health_log(name: &str) -> String {
    engine().health_log(name)
}

#[test]
fn dockerfile_final_stage_holds_only_vigil_and_its_sbom_with_oci_labels() {
    let _serial = serial();
    let mut s = Scratch::new("dockerfile");
    let image = build_vigil_image(&mut s);

    let label = |k: &str| {
        inspect(
            &image,
            &format!("{{{{index .Labels \"org.opencontainers.image.{k}\"}}}}"),
        )
    };
    assert_eq!(label("version"), env!("CARGO_PKG_VERSION"), "version label");
    assert_eq!(
        label("licenses"),
        env!("CARGO_PKG_LICENSE"),
        "licence label"
    );
    assert_eq!(
        label("source"),
        env!("CARGO_PKG_REPOSITORY"),
        "source label"
    );
    assert_eq!(label("revision"), revision(), "revision label");
    assert_eq!(inspect(&image, "{{.Config.User}}"), "65534:65534");
    assert_eq!(
        inspect(&image, "{{json .Config.Entrypoint}}"),
        r#"["/vigil"]"#
    );
    assert_holds_vigil_and_its_sbom(&mut s, &image, "x86_64-unknown-linux-musl", "default");

    assert_runs_version(&mut s, &image, "version");

    // The recipe stays a recipe: pinned builder, exec-form entrypoint.
    let df = std::fs::read_to_string(root().join("docker/Dockerfile")).expect("docker/Dockerfile");
    assert!(
        !df.contains(":latest"),
        "unpinned base image in docker/Dockerfile"
    );
    assert!(
        df.contains("ARG RUST_IMAGE=rust:1."),
        "builder base not pinned to a Rust version"
    );
    assert!(
        df.contains("ENTRYPOINT [\"/vigil\"]"),
        "entrypoint not in exec form"
    );
}

#[test]
fn dockerfile_builds_an_arm64_image() {
    let _serial = serial();
    let mut s = Scratch::new("platforms");
    // linux/arm64: the final stage takes the aarch64 build as it is and says
    // so in the image's platform. It cannot run here (no binfmt_misc), so the
    // binary is copied out and run under qemu-user.
    let a64 = built(
        "target/aarch64-unknown-linux-musl/release/vigil",
        "scripts/release aarch64-unknown-linux-musl",
    );
    let image = build_dockerfile_stage(&mut s, &a64, DockerfileStage::Platform("linux/arm64"));
    assert_eq!(inspect(&image, "{{.Architecture}}"), "arm64");
    assert_holds_vigil_and_its_sbom(&mut s, &image, "aarch64-unknown-linux-musl", "arm64");
    assert_eq!(
        inspect(&image, "{{json .Config.Entrypoint}}"),
        r#"["/vigil"]"#
    );
    let ctr = s.container("arm64");
    podman_ok(&["create", "--name", &ctr, &image], Duration::from_secs(30));
    let out = s.dir("out");
    let copied = out.join("vigil");
    podman_ok(
        &[
            "cp",
            &format!("{ctr}:/vigil"),
            copied.to_str().expect("utf-8 path"),
        ],
        Duration::from_secs(30),
    );
    assert!(
        std::fs::read(&copied).ok() == std::fs::read(&a64).ok(),
        "the arm64 image holds the aarch64 build"
    );
    let version = output_limit(
        Command::new("qemu-aarch64-static")
            .arg(&copied)
            .arg("--version"),
        Duration::from_secs(30),
    );
    assert!(
        text(&version.stdout).contains(env!("CARGO_PKG_VERSION")),
        "qemu-aarch64-static {}: {version:?}",
        copied.display()
    );
}

/// The image holds two files in two layers, /vigil and its SBOM beside it,
/// and the SBOM names exactly the crates of the dependency list embedded in
/// the binary, which names exactly what Cargo.lock resolves for `target`
/// (scripts/audit-check).
fn assert_holds_vigil_and_its_sbom(s: &mut Scratch, image: &str, target: &str, what: &str) {
    assert_eq!(inspect(image, "{{len .RootFS.Layers}}"), "2", "{what}");
    let (dir, fs) = exported_files(s, image, what);
    let names: Vec<&str> = fs.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["vigil", "vigil.cdx.json"],
        "files in the {what} image"
    );
    report(&format!("{what} image files: {fs:?}"));
    let out = output_limit(
        Command::new(root().join("scripts/audit-check"))
            .arg(dir.join("vigil"))
            .arg(target)
            .arg("--sbom")
            .arg(dir.join("vigil.cdx.json")),
        Duration::from_secs(120),
    );
    assert!(
        out.status.success(),
        "scripts/audit-check on the {what} image's files: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The image's whole file system (`podman export` of a container made from
/// it), unpacked into a directory of the test's: that directory, and each
/// regular file's path and size, sorted. Directories are left out.
fn exported_files(s: &mut Scratch, image: &str, what: &str) -> (PathBuf, Vec<(String, u64)>) {
    let ctr = s.container(&format!("export-{what}"));
    podman_ok(&["create", "--name", &ctr, image], Duration::from_secs(30));
    let dir = s.dir(&format!("export-{what}"));
    let tar = std::env::temp_dir().join(format!("{}-export-{what}.tar", s.id));
    let tar_arg = tar.to_str().expect("utf-8 path");
    podman_ok(&["export", "-o", tar_arg, &ctr], Duration::from_secs(30));
    let out = output_limit(
        Command::new("tar").arg("-xf").arg(&tar).arg("-C").arg(&dir),
        Duration::from_secs(30),
    );
    let _ = std::fs::remove_file(&tar);
    assert!(out.status.success(), "tar -xf {tar_arg}: {out:?}");
    let mut files = Vec::new();
    let mut todo = vec![dir.clone()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("dir entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(&dir).expect("under the export");
                files.push((rel.display().to_string(), meta.len()));
            }
        }
    }
    files.sort();
    (dir, files)
}

/// `podman run IMAGE --version` (the entrypoint is /vigil) prints our version.
fn assert_runs_version(s: &mut Scratch, image: &str, what: &str) {
    let name = s.container(what);
    let mut args = vec!["run", "--name", name.as_str(), "--network", "none"];
    args.extend_from_slice(&ULIMITS);
    args.extend_from_slice(&[image, "--version"]);
    let out = podman_ok(&args, Duration::from_secs(60));
    assert!(
        out.contains(env!("CARGO_PKG_VERSION")),
        "vigil --version in the {what} image: {out:?}"
    );
}

#[test]
fn healthcheck_with_vigil_check_turns_healthy_and_a_failing_one_unhealthy() {
    let _serial = serial();
    let mut s = Scratch::new("health");
    let img = images(&mut s);
    assert!(
        inspect(&img.scratch, "{{json .HealthCheck.Test}}").contains("\"/vigil\",\"check\""),
        "HEALTHCHECK kept by --format docker"
    );

    let good = s.container("good");
    run_detached(&good, &[], &img.scratch, &[]);
    let status = health_until(&good, "healthy", Duration::from_secs(20));
    assert_eq!(status, "healthy", "health log: {}", health_log(&good));

    // The same image with nothing listening where its probe looks.
    let bad_img = s.image("bad");
    let ctx = s.dir("bad");
    std::fs::write(
        ctx.join("Containerfile"),
        format!(
            "FROM {}\nHEALTHCHECK --interval=10s --timeout=3s --retries=1 \
             CMD [\"/vigil\", \"check\", \"--timeout\", \"1s\", \"http://127.0.0.1:8081/health\"]\n",
            img.scratch
        ),
    )
    .expect("write Containerfile");
    build_dir(&bad_img, &ctx);
    let bad = s.container("bad");
    run_detached(&bad, &[], &bad_img, &[]);
    let run = podman(&["healthcheck", "run", &bad], Duration::from_secs(20));
    assert!(
        !run.status.success(),
        "healthcheck run passed with nothing listening"
    );
    let status = health_until(&bad, "unhealthy", Duration::from_secs(10));
    let log = health_log(&bad);
    eprintln!("unhealthy probe log: {log}");
    assert_eq!(status, "unhealthy", "health log: {log}");
    // vigil's report names the target, so `podman inspect` says what failed.
    assert!(
        log.contains("127.0.0.1:8081"),
        "probe output lacks the target: {log}"
    );
}

#[test]
fn distroless_example_turns_healthy_and_its_probe_reads_vigil_check() {
    let _serial = serial();
    let mut s = Scratch::new("distroless");
    let vigil = build_vigil_image(&mut s);

    // gcr.io/distroless/static cannot be pulled here: a stand-in base with
    // what the example relies on from it (passwd and group naming nobody).
    let base = s.image("base");
    let ctx = s.dir("base");
    distroless_standin(&ctx);
    std::fs::write(
        ctx.join("Containerfile"),
        "FROM scratch\nCOPY etc /etc\nUSER 65532:65532\n",
    )
    .expect("Containerfile");
    build_dir(&base, &ctx);

    let image = s.image("dl");
    let (a, b) = (format!("VIGIL_IMAGE={vigil}"), format!("BASE_IMAGE={base}"));
    build_example(
        &mut s,
        "distroless.Dockerfile",
        &image,
        &["--build-arg", &a, "--build-arg", &b],
    );
    scenarios::distroless_probe_reads_vigil_check(&engine(), &mut s, &image, &[]);
}

#[test]
fn stop_returns_at_once_with_vigil_and_waits_the_timeout_without_it() {
    let _serial = serial();
    let mut s = Scratch::new("stop");
    let img = images(&mut s);
    scenarios::stop_is_fast_with_vigil_and_waits_the_timeout_without(
        &engine(),
        &mut s,
        &img.scratch,
    );
}

#[test]
fn grace_shorter_than_the_runtime_timeout_kills_a_term_ignoring_app_with_137() {
    let _serial = serial();
    let mut s = Scratch::new("grace");
    let img = images(&mut s);
    scenarios::grace_below_the_stop_timeout_wins_and_above_it_the_runtime_kill_wins(
        &engine(),
        &mut s,
        &img.scratch,
    );
}

#[test]
fn thirty_health_probes_in_a_row_leave_no_zombie() {
    let _serial = serial();
    let mut s = Scratch::new("zombie");
    let img = images(&mut s);
    let e = engine();
    let probes = |name: &str| {
        for i in 0..30 {
            let run = podman(&["healthcheck", "run", name], Duration::from_secs(20));
            assert!(
                run.status.success(),
                "probe {i} failed: {}",
                e.health_log(name)
            );
        }
    };
    scenarios::thirty_probes_leave_no_zombie(&e, &mut s, &img.scratch, "probes", &[], &[], &probes);
    scenarios::a_non_reaping_pid_1_keeps_the_zombie(&e, &mut s, &img.scratch);
}

#[test]
fn image_runs_as_nobody_with_vigil_as_pid_1() {
    let _serial = serial();
    let mut s = Scratch::new("uid");
    let img = images(&mut s);
    assert_eq!(inspect(&img.scratch, "{{.Config.User}}"), "65534:65534");
    let name = s.container("uid");
    run_detached(&name, &[], &img.scratch, &[]);
    wait_serving(&name);
    let status = exec(&name, &["/bin/busybox", "cat", "/proc/1/status"]);
    let status = text(&status.stdout);
    let uid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .unwrap_or_default();
    assert_eq!(
        uid.split_whitespace().skip(1).collect::<Vec<_>>(),
        ["65534"; 4],
        "{status}"
    );
    let cmdline = text(&exec(&name, &["/bin/busybox", "cat", "/proc/1/cmdline"]).stdout);
    assert!(
        cmdline.starts_with("/vigil\0--\0/bin/busybox\0httpd"),
        "PID 1 is {cmdline:?}"
    );
    let ps = text(&exec(&name, &["/bin/busybox", "ps", "-o", "pid,user,comm"]).stdout);
    eprintln!("{ps}");
    for line in ps.lines().skip(1) {
        assert!(
            line.contains("65534"),
            "a process not running as nobody: {line}"
        );
    }
}

#[test]
fn podman_init_path_runs_vigil_as_the_runtime_init() {
    let _serial = serial();
    let mut s = Scratch::new("init");
    let img = images(&mut s);
    scenarios::runtime_init_is_vigil(&engine(), &mut s, &img.scratch);
}

/// The vigil command lines in a YAML example, parsed by PyYAML.
fn yaml_lines(kind: &str, file: &str) -> Vec<Vec<String>> {
    let script = root().join("tests/helpers/yaml_argv.py");
    let path = root().join("docker/examples").join(file);
    let out = output_limit(
        Command::new("/usr/bin/python3")
            .arg(script)
            .arg(kind)
            .arg(&path),
        Duration::from_secs(20),
    );
    assert!(
        out.status.success(),
        "{file} does not parse (needs python3-yaml): {}",
        text(&out.stderr)
    );
    text(&out.stdout)
        .lines()
        .map(|l| l.split('\0').map(str::to_string).collect())
        .collect()
}

fn seconds(v: &str) -> u64 {
    v.strip_suffix('s')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a whole number of seconds: {v:?}"))
}

/// Runs a probe argv from a YAML file with the host's static vigil in a new
/// network namespace where busybox httpd serves on 127.0.0.1:8080 (or
/// nothing listens, with `serve` false). Returns vigil's exit code.
fn probe_in_netns(argv: &[String], serve: bool) -> (i32, String) {
    assert_eq!(argv[0], "/vigil", "probe is not vigil: {argv:?}");
    let www = root().join("docker/examples/www");
    let script = if serve {
        "/bin/busybox ip link set lo up && /bin/busybox httpd -p 127.0.0.1:8080 -h \"$0\" && exec \"$@\""
    } else {
        "/bin/busybox ip link set lo up && exec \"$@\""
    };
    let mut cmd = Command::new("unshare");
    cmd.args(["--net", "--pid", "--fork", "--kill-child", "--"])
        .arg(busybox())
        .args(["sh", "-c", script])
        .arg(&www)
        .arg(static_vigil())
        .args(&argv[1..]);
    let out = output_limit(&mut cmd, Duration::from_secs(20));
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout) + &text(&out.stderr),
    )
}

#[test]
fn compose_and_kubernetes_examples_parse_and_their_probes_match_the_cli() {
    let _serial = serial();
    let compose = yaml_lines("compose", "compose.yaml");
    let k8s = yaml_lines("kubernetes", "kubernetes.yaml");
    let probes: Vec<&Vec<String>> = compose
        .iter()
        .chain(&k8s)
        .filter(|l| ["healthcheck", "liveness", "readiness"].contains(&l[0].as_str()))
        .collect();
    assert_eq!(
        probes.len(),
        3,
        "healthcheck, liveness and readiness: {compose:?} {k8s:?}"
    );
    for p in &probes {
        let (code, out) = probe_in_netns(&p[1..], true);
        eprintln!("{} probe {:?}: exit {code} {out}", p[0], &p[1..]);
        assert_eq!(
            code,
            0,
            "{} probe {:?} against a serving app: {out}",
            p[0],
            &p[1..]
        );
        let (code, out) = probe_in_netns(&p[1..], false);
        assert_eq!(
            code,
            1,
            "{} probe {:?} with nothing listening: {out}",
            p[0],
            &p[1..]
        );
    }

    // The grace rule of each file: vigil's grace ends first.
    let grace: Vec<&Vec<String>> = compose
        .iter()
        .chain(&k8s)
        .filter(|l| l[0] == "grace")
        .collect();
    assert_eq!(grace.len(), 2, "VIGIL_GRACE in both files");
    for g in grace {
        let (vigil, runtime) = (seconds(&g[1]), seconds(&g[2]));
        assert!(
            vigil < runtime,
            "VIGIL_GRACE {vigil}s not below the runtime's {runtime}s"
        );
    }
    let k8s_grace = k8s.iter().find(|l| l[0] == "grace").expect("k8s grace");
    assert!(
        seconds(&k8s_grace[1]) + 5 <= seconds(&k8s_grace[2]),
        "kubernetes.yaml breaks its own rule: VIGIL_GRACE + 5s <= terminationGracePeriodSeconds"
    );
}

#[test]
fn kubernetes_container_command_runs_in_the_example_image() {
    let _serial = serial();
    let k8s = yaml_lines("kubernetes", "kubernetes.yaml");
    let container = k8s
        .iter()
        .find(|l| l[0] == "container")
        .expect("container command");
    let grace = k8s.iter().find(|l| l[0] == "grace").expect("VIGIL_GRACE");
    let mut s = Scratch::new("k8s");
    let img = images(&mut s);
    let argv: Vec<&str> = container[1..].iter().map(String::as_str).collect();
    let (command, args) = argv.split_at(2);
    assert_eq!(command, ["/vigil", "--"]);
    let name = s.container("k8s");
    let entry = json_argv(command);
    let env = format!("VIGIL_GRACE={}", grace[1]);
    run_detached(
        &name,
        &["--entrypoint", &entry, "-e", &env],
        &img.scratch,
        args,
    );
    for probe in k8s
        .iter()
        .filter(|l| l[0] == "liveness" || l[0] == "readiness")
    {
        let argv: Vec<&str> = probe[1..].iter().map(String::as_str).collect();
        let mut ok = false;
        for _ in 0..50 {
            if exec(&name, &argv).status.success() {
                ok = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            ok,
            "{} probe {argv:?} never passed in the container",
            probe[0]
        );
    }
    let took = timed_stop(&name, 10);
    assert_eq!(exit_code(&name), 143);
    assert!(took < FAST_STOP, "stop took {took:?}");
}

#[test]
fn watchdog_stops_an_unhealthy_app_and_restart_on_failure_restarts_it() {
    // The autoheal replacement: the runtime's ordinary restart policy restarts
    // what vigil's watchdog stopped (exit 75), no Docker socket involved.
    let _serial = serial();
    let mut s = Scratch::new("restart");
    let img = images(&mut s);
    let name = s.container("watched");
    run_detached(
        &name,
        &[
            "--restart",
            "on-failure",
            "-u",
            "0",
            "-e",
            "VIGIL_WATCH=http://127.0.0.1:8080/index.html",
            "-e",
            "VIGIL_WATCH_INTERVAL=300ms",
            "-e",
            "VIGIL_WATCH_RETRIES=2",
            "-e",
            "VIGIL_GRACE=1s",
        ],
        &img.scratch,
        &[],
    );
    wait_serving(&name);
    assert_eq!(
        inspect(&name, "{{.RestartCount}}"),
        "0",
        "restarted while healthy"
    );
    // The app turns unhealthy: its health page is gone (404).
    let rm = exec(&name, &["/bin/busybox", "rm", "/www/index.html"]);
    assert!(rm.status.success(), "{}", text(&rm.stderr));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let count: u32 = inspect(&name, "{{.RestartCount}}").parse().unwrap_or(0);
        if count >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never restarted: {}",
            podman_ok(&["logs", &name], Duration::from_secs(20))
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let logs = podman(&["logs", &name], Duration::from_secs(20));
    let logs = text(&logs.stderr) + &text(&logs.stdout);
    assert!(
        logs.lines().any(|l| l
            .starts_with("vigil: --watch http://127.0.0.1:8080/index.html: 2 failures")
            && l.contains("404")
            && l.ends_with("stopping the child")),
        "{logs}"
    );
    report(&format!(
        "watchdog + --restart on-failure: restarted, log: {}",
        logs.lines().next().unwrap_or("")
    ));
}

/// kubernetes-validate (PyPI) in a virtualenv: `$KUBERNETES_VALIDATE` (set by
/// scripts/test), else target/kubernetes-validate, made here if missing.
fn kubernetes_validate() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("KUBERNETES_VALIDATE").filter(|p| !p.is_empty()) {
        return p.into();
    }
    let venv = root().join("target/kubernetes-validate");
    let bin = venv.join("bin/kubernetes-validate");
    if !bin.is_file() {
        let made = output_limit(
            Command::new("/usr/bin/python3")
                .arg("-m")
                .arg("venv")
                .arg(&venv),
            Duration::from_secs(120),
        );
        assert!(
            made.status.success(),
            "python3 -m venv (needs python3-venv): {}",
            text(&made.stderr)
        );
        let pip = output_limit(
            Command::new(venv.join("bin/pip")).args(["install", "-q", "kubernetes-validate"]),
            Duration::from_secs(300),
        );
        assert!(
            pip.status.success(),
            "pip install kubernetes-validate: {}",
            text(&pip.stderr)
        );
    }
    bin
}

/// `kubernetes-validate --strict FILE` with no network at all (a new, empty
/// network namespace): exit code and output.
fn validate_offline(file: &std::path::Path) -> (i32, String) {
    let out = output_limit(
        Command::new("unshare")
            .args(["--net", "--"])
            .arg(kubernetes_validate())
            .arg("--strict")
            .arg(file),
        Duration::from_secs(120),
    );
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout) + &text(&out.stderr),
    )
}

#[test]
fn kubernetes_manifest_validates_strictly_offline() {
    let _serial = serial();
    let manifest = root().join("docker/examples/kubernetes.yaml");
    let (code, out) = validate_offline(&manifest);
    eprintln!("{}", out.trim());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("passed"), "{out}");

    // The validator is strict for real: one unknown field fails it.
    let mut s = Scratch::new("k8svalidate");
    let dir = s.dir("k8s");
    let yaml = std::fs::read_to_string(&manifest).expect("kubernetes.yaml");
    let broken = yaml.replacen(
        "          command: [",
        "          restartAfter: 5s\n          command: [",
        1,
    );
    assert_ne!(broken, yaml, "the manifest's container has no command line");
    let file = dir.join("broken.yaml");
    std::fs::write(&file, broken).expect("write broken.yaml");
    let (code, out) = validate_offline(&file);
    assert_eq!(code, 1, "an unknown field passed --strict: {out}");
    assert!(out.contains("restartAfter"), "{out}");
}
