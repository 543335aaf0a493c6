//! Podman plumbing for tests/containers.rs: the static vigil binary, every
//! podman call bounded by a time limit, unique names, and a guard that removes
//! the test's containers, images and directories even when the test fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::common::{output_limit, text};

/// Flags `podman run` needs on these machines (the default nofile/nproc
/// limits are above the hard limits the sandbox allows).
pub const ULIMITS: [&str; 4] = [
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=4096:4096",
];

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One test at a time: the stop timings must not compete for the two cores.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// True if the ELF file at `path` has no PT_INTERP program header, i.e. runs
/// without a dynamic loader (static or static-pie).
fn is_static_elf(path: &Path) -> Result<bool, String> {
    let b = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if b.len() < 64 || &b[..4] != b"\x7fELF" || b[4] != 2 || b[5] != 1 {
        return Err(format!(
            "{} is not a 64-bit little-endian ELF",
            path.display()
        ));
    }
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(b[0x20..0x28].try_into().unwrap_or_default()) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    for i in 0..phnum {
        let o = phoff + i * phentsize;
        let Some(t) = b.get(o..o + 4) else {
            return Err(format!("{}: truncated program headers", path.display()));
        };
        if t == 3u32.to_le_bytes() {
            return Ok(false); // PT_INTERP
        }
    }
    Ok(true)
}

/// The static vigil that goes into images: `$VIGIL_BIN` if it is static, else
/// the musl release build. Panics (never skips) when there is none.
pub fn static_vigil() -> PathBuf {
    if let Some(p) = std::env::var_os("VIGIL_BIN").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if is_static_elf(&p) == Ok(true) {
            return p;
        }
    }
    let p = root().join("target/x86_64-unknown-linux-musl/release/vigil");
    match is_static_elf(&p) {
        Ok(true) => p,
        Ok(false) => panic!(
            "{} is dynamically linked; containers need the static build",
            p.display()
        ),
        Err(e) => panic!(
            "no static vigil for the container tests ({e}): run \
             `cargo build --release --target x86_64-unknown-linux-musl` first (scripts/test does)"
        ),
    }
}

/// Debian's busybox-static: the stand-in app (httpd, sh, ps).
pub fn busybox() -> PathBuf {
    let p = PathBuf::from("/bin/busybox");
    match is_static_elf(&p) {
        Ok(true) => p,
        _ => {
            panic!("/bin/busybox missing or not static: install busybox-static (scripts/test does)")
        }
    }
}

/// Runs `podman --runtime runc ARGS` within `limit`.
pub fn podman(args: &[&str], limit: Duration) -> Output {
    let found = Command::new("podman").arg("--version").output();
    if !matches!(found, Ok(ref o) if o.status.success()) {
        panic!("podman is not usable ({found:?}): install podman and runc (scripts/test does)");
    }
    let mut cmd = Command::new("podman");
    cmd.args(["--runtime", "runc"]).args(args);
    output_limit(&mut cmd, limit)
}

/// Like [`podman`], but panics with podman's stderr unless it succeeded;
/// returns stdout, trimmed.
pub fn podman_ok(args: &[&str], limit: Duration) -> String {
    let out = podman(args, limit);
    assert!(
        out.status.success(),
        "podman {args:?} failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout).trim().to_string()
}

/// `podman inspect --format FORMAT NAME`.
pub fn inspect(name: &str, format: &str) -> String {
    podman_ok(
        &["inspect", "--format", format, name],
        Duration::from_secs(20),
    )
}

/// Everything one test made, removed on drop (pass or fail).
pub struct Scratch {
    pub id: String,
    containers: Vec<String>,
    images: Vec<String>,
    dirs: Vec<PathBuf>,
}

impl Scratch {
    pub fn new(test: &str) -> Self {
        Scratch {
            id: format!("vigil-ct-{}-{test}", std::process::id()),
            containers: Vec::new(),
            images: Vec::new(),
            dirs: Vec::new(),
        }
    }

    /// A container name this guard removes.
    pub fn container(&mut self, what: &str) -> String {
        let name = format!("{}-{what}", self.id);
        self.containers.push(name.clone());
        name
    }

    /// An image tag this guard removes.
    pub fn image(&mut self, what: &str) -> String {
        let tag = format!("localhost/{}-{what}:test", self.id);
        self.images.push(tag.clone());
        tag
    }

    /// A fresh directory this guard removes.
    pub fn dir(&mut self, what: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("{}-{what}", self.id));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
        self.dirs.push(d.clone());
        d
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let limit = Duration::from_secs(30);
        for c in self.containers.iter().rev() {
            let _ = podman(&["rm", "-f", "-t", "0", c], limit);
        }
        for i in self.images.iter().rev() {
            let _ = podman(&["rmi", "-f", i], limit);
        }
        for d in &self.dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// The images a test works with, built from the files users copy: the
/// scratch example on top of docker/Dockerfile's final stage.
pub struct Images {
    /// docker/examples/scratch.Dockerfile on top of it.
    pub scratch: String,
}

/// Builds docker/Dockerfile's final stage with the builder stage replaced by
/// a directory holding the static binary (the builder's base image cannot be
/// pulled here).
pub fn build_vigil_image(s: &mut Scratch) -> String {
    build_dockerfile_stage(s, &static_vigil(), DockerfileStage::Default)
}

/// Which image of docker/Dockerfile to build.
pub enum DockerfileStage<'a> {
    /// The last stage (the stable build) for the host's platform.
    Default,
    /// The last stage for another platform, e.g. `linux/arm64`.
    Platform(&'a str),
}

/// Builds an image of docker/Dockerfile with its builder stage (`builder`)
/// replaced by a directory holding `bin`.
pub fn build_dockerfile_stage(s: &mut Scratch, bin: &Path, stage: DockerfileStage) -> String {
    let dir = s.dir("bin");
    std::fs::copy(bin, dir.join("vigil")).unwrap_or_else(|e| panic!("copy {}: {e}", bin.display()));
    let tag = s.image("vigil");
    let ctx = format!("builder={}", dir.display());
    let ignore = root().join("docker/Dockerfile.dockerignore");
    let dockerfile = root().join("docker/Dockerfile");
    let mut args = vec![
        "build",
        "--pull=never",
        "--format",
        "docker",
        "--ignorefile",
        ignore.to_str().expect("utf-8 path"),
        "-f",
        dockerfile.to_str().expect("utf-8 path"),
        "--build-context",
        &ctx,
        "-t",
        &tag,
    ];
    match stage {
        DockerfileStage::Default => {}
        DockerfileStage::Platform(p) => args.extend(["--platform", p]),
    }
    let context = root();
    args.push(context.to_str().expect("utf-8 path"));
    podman_ok(&args, Duration::from_secs(120));
    tag
}

/// A build of vigil other than the default x86_64 one, at its cargo path
/// (`what` names the command that makes it). Panics, never skips, if missing.
pub fn built(path: &str, what: &str) -> PathBuf {
    let p = root().join(path);
    match is_static_elf(&p) {
        Ok(true) => p,
        Ok(false) => panic!("{} is dynamically linked", p.display()),
        Err(e) => panic!("no {path} ({e}): run `{what}` first (scripts/test does)"),
    }
}

/// `podman build` of the Containerfile in `ctx`, tagged `tag`.
pub fn build_dir(tag: &str, ctx: &Path) {
    podman_ok(
        &[
            "build",
            "--pull=never",
            "--format",
            "docker",
            "-t",
            tag,
            ctx.to_str().expect("utf-8"),
        ],
        Duration::from_secs(60),
    );
}

/// A build-context directory holding Debian's static busybox, standing in
/// for the examples' `app` stage.
pub fn app_context(s: &mut Scratch) -> String {
    let app = s.dir("app");
    std::fs::create_dir_all(app.join("bin")).expect("mkdir bin");
    std::fs::copy(busybox(), app.join("bin/busybox")).expect("copy busybox");
    format!("app={}", app.display())
}

/// Builds docker/examples/FILE with the given extra build arguments.
pub fn build_example(s: &mut Scratch, file: &str, tag: &str, extra: &[&str]) {
    let app = app_context(s);
    let examples = root().join("docker/examples");
    let dockerfile = examples.join(file);
    let mut args = vec![
        "build",
        "--pull=never",
        "--format",
        "docker",
        "-f",
        dockerfile.to_str().expect("utf-8 path"),
        "--build-context",
        &app,
        "-t",
        tag,
    ];
    args.extend_from_slice(extra);
    args.push(examples.to_str().expect("utf-8 path"));
    podman_ok(&args, Duration::from_secs(120));
}

/// The vigil image and the scratch example on top of it.
pub fn images(s: &mut Scratch) -> Images {
    let vigil = build_vigil_image(s);
    let scratch = s.image("scratch");
    let arg = format!("VIGIL_IMAGE={vigil}");
    build_example(s, "scratch.Dockerfile", &scratch, &["--build-arg", &arg]);
    Images { scratch }
}

/// `podman run -d --network none` with the sandbox's ulimits and `extra`
/// flags before the image, `cmd` after it.
pub fn run_detached(name: &str, extra: &[&str], image: &str, cmd: &[&str]) {
    // --replace: a leftover of a crashed run with a recycled pid is no error.
    let mut args = vec![
        "run",
        "-d",
        "--replace",
        "--name",
        name,
        "--network",
        "none",
    ];
    args.extend_from_slice(&ULIMITS);
    args.extend_from_slice(extra);
    args.push(image);
    args.extend_from_slice(cmd);
    podman_ok(&args, Duration::from_secs(60));
}

/// `podman exec NAME ARGV...` within 20 s.
pub fn exec(name: &str, argv: &[&str]) -> Output {
    let mut args = vec!["exec", name];
    args.extend_from_slice(argv);
    podman(&args, Duration::from_secs(20))
}

/// Waits until the server inside answers on 127.0.0.1:8080 (probed with the
/// image's own vigil, retrying inside its deadline).
pub fn wait_serving(name: &str) {
    let out = exec(
        name,
        &[
            "/vigil",
            "check",
            "--timeout",
            "10s",
            "--retries",
            "100",
            "--retry-delay",
            "50ms",
            "http://127.0.0.1:8080/",
        ],
    );
    assert!(
        out.status.success(),
        "server in {name} never answered: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Runs `podman stop -t SECS NAME` and returns how long it took.
pub fn timed_stop(name: &str, secs: u32) -> Duration {
    let t = secs.to_string();
    let start = Instant::now();
    podman_ok(
        &["stop", "-t", &t, name],
        Duration::from_secs(u64::from(secs) + 30),
    );
    start.elapsed()
}

/// The exit code podman recorded for a stopped container.
pub fn exit_code(name: &str) -> i32 {
    let code = inspect(name, "{{.State.ExitCode}}");
    code.parse()
        .unwrap_or_else(|_| panic!("exit code of {name}: {code:?}"))
}

/// A JSON array of strings, for `--entrypoint` in exec form.
pub fn json_argv(argv: &[&str]) -> String {
    let quoted: Vec<String> = argv
        .iter()
        .map(|a| format!("\"{}\"", a.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("[{}]", quoted.join(","))
}
