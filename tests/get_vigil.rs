//! Getting vigil the ways the README's "Get vigil" says: scripts/dist's
//! release files (static binaries, checksums, SBOMs, the image archive); the
//! archive loaded into podman (and copied by skopeo, as the release workflow
//! publishes it) and into the Docker engine, `COPY --from` of the loaded
//! image downstream, and the README's FROM-scratch Dockerfile on top of it
//! turning healthy under Docker (a newcomer's path); `cargo install
//! --path .` and the README's static `cargo install` line (from a `file://`
//! clone). Fails, never skips, when a tool is missing.
//!
//! scripts/dist runs once for the whole suite: in the repository itself when
//! its tree is clean (CI, after scripts/test built the binaries: nothing is
//! compiled again), else in a clone of HEAD with its own target directory
//! (target/dist-test), since scripts/dist refuses a dirty tree.

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

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{output_limit, text};
use dockerd::{BUSYBOX_TAG, Dockerd};
use engine::Engine;
use podman::{busybox, root, serial, static_vigil};
use scenarios::report;

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// scripts/dist's default image name, which the README's lines pull.
const IMAGE: &str = "ghcr.io/vigil-init/vigil";
/// Docker's health timer made fast (the image's own interval is 10 s).
const FAST_HEALTH: [&str; 4] = [
    "--health-interval",
    "300ms",
    "--health-start-period",
    "10ms",
];

fn image() -> String {
    format!("{IMAGE}:{VERSION}")
}

/// What `vigil --version` prints (tini's form, see src/cli/mod.rs).
fn version_line() -> String {
    format!(
        "vigil {VERSION} - git.vigil-{}\n",
        VERSION.replace('.', "_")
    )
}

/// Runs `cmd` within `limit` and panics with its output unless it succeeded.
fn ok(cmd: &mut Command, limit: Duration) -> Output {
    let what = format!("{cmd:?}");
    let out = output_limit(cmd, limit);
    assert!(
        out.status.success(),
        "{what}: {}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = ok(
        Command::new("git").arg("-C").arg(dir).args(args),
        Duration::from_secs(60),
    );
    text(&out.stdout).trim().to_string()
}

/// The file(1) description of `path`.
fn file_kind(path: &Path) -> String {
    let out = ok(
        Command::new("file").arg("-b").arg(path),
        Duration::from_secs(10),
    );
    text(&out.stdout).trim().to_string()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A directory under target/ that survives the run (cargo's incremental
/// state), with `sub` emptied.
fn kept_dir(what: &str, sub: &str) -> (PathBuf, PathBuf) {
    let base = root().join("target").join(what);
    let fresh = base.join(sub);
    let _ = std::fs::remove_dir_all(&fresh);
    std::fs::create_dir_all(&fresh).unwrap_or_else(|e| panic!("{}: {e}", fresh.display()));
    (base, fresh)
}

/// The dist/ directory scripts/dist filled, and how long it took.
struct Dist {
    dir: PathBuf,
    took: Duration,
}

fn dist() -> &'static Dist {
    static DIST: OnceLock<Result<Dist, String>> = OnceLock::new();
    let made = DIST.get_or_init(|| {
        std::panic::catch_unwind(run_dist).map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        })
    });
    match made {
        Ok(d) => d,
        Err(e) => panic!("scripts/dist failed: {e}"),
    }
}

fn run_dist() -> Dist {
    let root = root();
    let dirty = git(&root, &["status", "--porcelain"]);
    let mut cmd;
    let tree = if dirty.is_empty() {
        cmd = Command::new(root.join("scripts/dist"));
        root.clone()
    } else {
        // scripts/dist refuses a dirty tree: build HEAD in a clone, with a
        // target directory of its own (the repository's keeps the work
        // tree's builds, which the other suites test).
        let (base, src) = kept_dir("dist-test", "src");
        let head = git(&root, &["rev-parse", "HEAD"]);
        let src_arg = src.to_str().expect("utf-8 path");
        git(&root, &["clone", "-q", "--no-checkout", ".", src_arg]);
        git(&src, &["checkout", "-q", &head]);
        cmd = Command::new(src.join("scripts/dist"));
        cmd.env("CARGO_TARGET_DIR", base.join("target"));
        src
    };
    eprintln!(
        "scripts/dist {VERSION} in {} ({})",
        tree.display(),
        if dirty.is_empty() {
            "clean tree"
        } else {
            "the tree is dirty: a clone of HEAD"
        }
    );
    let start = Instant::now();
    // A clone compiles all four builds (ring twice): minutes on 2 cores.
    ok(
        cmd.arg(VERSION).current_dir(&tree),
        Duration::from_secs(40 * 60),
    );
    let took = start.elapsed();
    report(&format!(
        "scripts/dist {VERSION}: {:.1} s",
        took.as_secs_f64()
    ));
    Dist {
        dir: tree.join("dist"),
        took,
    }
}

/// The release binaries: (file suffix, file(1)'s architecture word).
const BUILDS: [(&str, &str); 4] = [
    ("x86_64", "x86-64"),
    ("x86_64-tls", "x86-64"),
    ("aarch64", "aarch64"),
    ("aarch64-tls", "aarch64"),
];

#[test]
fn dist_makes_static_binaries_checksums_sboms_and_an_image_archive() {
    let _serial = serial();
    let d = dist();
    let mut want = vec!["SHA256SUMS".to_string()];
    for (build, _) in BUILDS {
        let name = format!("vigil-{VERSION}-{build}");
        want.extend([format!("{name}.cdx.json"), format!("{name}.sha256"), name]);
    }
    want.extend([
        format!("vigil-{VERSION}-image.tar"),
        format!("vigil-{VERSION}-image.tar.sha256"),
    ]);
    want.sort();
    let mut got: Vec<String> = std::fs::read_dir(&d.dir)
        .unwrap_or_else(|e| panic!("{}: {e}", d.dir.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    got.sort();
    assert_eq!(got, want, "dist/");

    // Every checksum file verifies with sha256sum -c, as the README says.
    for sums in got
        .iter()
        .filter(|f| f.ends_with(".sha256") || *f == "SHA256SUMS")
    {
        ok(
            Command::new("sha256sum")
                .args(["-c", "--strict", sums])
                .current_dir(&d.dir),
            Duration::from_secs(30),
        );
    }
    let listed = std::fs::read_to_string(d.dir.join("SHA256SUMS")).expect("SHA256SUMS");
    assert_eq!(
        listed.lines().count(),
        want.len() - 6,
        "SHA256SUMS: {listed}"
    );

    for (build, arch) in BUILDS {
        let bin = d.dir.join(format!("vigil-{VERSION}-{build}"));
        let kind = file_kind(&bin);
        assert!(
            kind.contains(arch)
                && (kind.contains("statically linked") || kind.contains("static-pie linked")),
            "{build}: {kind}"
        );
        assert!(!kind.contains("dynamically"), "{build}: {kind}");
        let sbom = String::from_utf8(read(
            &bin.with_file_name(format!("vigil-{VERSION}-{build}.cdx.json")),
        ))
        .expect("utf-8 SBOM");
        assert!(sbom.contains("\"bomFormat\": \"CycloneDX\""), "{build}");
        for krate in ["libc", "httparse"] {
            assert!(
                sbom.contains(&format!("\"name\": \"{krate}\"")),
                "{build} lacks {krate}"
            );
        }
        assert_eq!(
            sbom.contains("\"name\": \"rustls\""),
            build.ends_with("tls"),
            "{build}: rustls only in the tls SBOM"
        );
        report(&format!(
            "dist/vigil-{VERSION}-{build}: {} B",
            read(&bin).len()
        ));
    }
    // The README's download lines name files of this release.
    let url = format!("/releases/download/v{VERSION}/vigil-{VERSION}-x86_64");
    for line in [
        format!("curl -fLO https://github.com/vigil-init/vigil{url}\n"),
        format!("{url}.sha256 | sha256sum -c\n"),
    ] {
        assert!(readme().contains(&line), "README lacks {line:?}");
    }
    let out = ok(
        Command::new(d.dir.join(format!("vigil-{VERSION}-x86_64"))).arg("--version"),
        Duration::from_secs(10),
    );
    assert_eq!(text(&out.stdout), version_line());
    report(&format!(
        "dist/vigil-{VERSION}-image.tar: {} B; scripts/dist took {:.1} s",
        read(&d.dir.join(format!("vigil-{VERSION}-image.tar"))).len(),
        d.took.as_secs_f64()
    ));
}

/// A fresh directory for one test, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("vigil-get-{}-{what}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes `DIR/Dockerfile` holding `text` and returns its path.
fn dockerfile(dir: &Path, text: &str) -> PathBuf {
    let file = dir.join("Dockerfile");
    std::fs::write(&file, text).expect("write Dockerfile");
    file
}

/// The README's `COPY --from` line for the release image, in `FROM
/// scratch`: the smallest downstream image.
fn copy_from_dockerfile() -> String {
    let line = format!("COPY --from={} /vigil /vigil", image());
    assert!(
        readme().contains(&format!("`{line}`")),
        "README: no `{line}` (Get vigil)"
    );
    format!("FROM scratch\n{line}\nENTRYPOINT [\"/vigil\"]\n")
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// `CREATE`s a container of `image` and copies its `path` out to `dest`.
fn copy_out(e: &Engine, name: &str, image: &str, path: &str, dest: &Path) -> Vec<u8> {
    e.ok(&["create", "--name", name, image], Duration::from_secs(30));
    let from = format!("{name}:{path}");
    e.ok(
        &["cp", &from, dest.to_str().expect("utf-8 path")],
        Duration::from_secs(30),
    );
    e.remove(name);
    read(dest)
}

#[test]
fn image_archive_loads_into_podman_with_both_platforms_and_copy_from_works_downstream() {
    let _serial = serial();
    let d = dist();
    let tar = d.dir.join(format!("vigil-{VERSION}-image.tar"));
    let tmp = TempDir::new("podman");
    // A private store: the release's name never reaches the machine's.
    let e = Engine::podman_private(&static_vigil(), &tmp.0.join("store"));
    let tar_arg = tar.to_str().expect("utf-8 path");
    let loaded = e.ok(&["load", "-i", tar_arg], Duration::from_secs(60));
    assert!(
        loaded.contains(&format!("Loaded image: {}", image())),
        "podman load: {loaded}"
    );
    assert_eq!(e.inspect(&image(), "{{.Architecture}}"), "amd64");
    assert_eq!(e.inspect(&image(), "{{.Config.User}}"), "65534:65534");
    assert_eq!(
        e.inspect(
            &image(),
            "{{index .Labels \"org.opencontainers.image.version\"}}"
        ),
        VERSION
    );
    let copied = copy_out(
        &e,
        "vigil-get-amd64",
        &image(),
        "/vigil",
        &tmp.0.join("amd64"),
    );
    assert!(
        copied == read(&d.dir.join(format!("vigil-{VERSION}-x86_64"))),
        "the amd64 image's /vigil is not dist's x86_64 binary"
    );
    let sbom = copy_out(
        &e,
        "vigil-get-sbom",
        &image(),
        "/vigil.cdx.json",
        &tmp.0.join("sbom"),
    );
    assert!(sbom == read(&d.dir.join(format!("vigil-{VERSION}-x86_64.cdx.json"))));

    // Downstream: COPY --from the loaded image, nothing pulled.
    let ctx = tmp.0.join("downstream");
    std::fs::create_dir_all(&ctx).expect("mkdir");
    let file = dockerfile(&ctx, &copy_from_dockerfile());
    let tag = "localhost/vigil-get-downstream:test";
    e.build(tag, &file, &ctx, &[]);
    let out = e.run_attached("vigil-get-downstream", &["--rm"], tag, &["--version"]);
    assert!(out.status.success(), "downstream run: {out:?}");
    assert_eq!(text(&out.stdout), version_line());

    // What the release workflow publishes: skopeo copies both platforms.
    let dest = format!("oci:{}:{VERSION}", tmp.0.join("layout").display());
    let from = format!("oci-archive:{tar_arg}");
    ok(
        Command::new("skopeo").args(["copy", "-q", "--all", &from, &dest]),
        Duration::from_secs(60),
    );
    let raw = ok(
        Command::new("skopeo").args(["inspect", "--raw", &dest]),
        Duration::from_secs(30),
    );
    let index = text(&raw.stdout);
    for arch in ["\"amd64\"", "\"arm64\""] {
        assert!(index.contains(arch), "skopeo inspect: {index}");
    }

    // The other platform of the index: arm64, with dist's aarch64 binary.
    e.ok(
        &["pull", "-q", "--platform", "linux/arm64", &from],
        Duration::from_secs(60),
    );
    assert_eq!(e.inspect(&image(), "{{.Architecture}}"), "arm64");
    let copied = copy_out(
        &e,
        "vigil-get-arm64",
        &image(),
        "/vigil",
        &tmp.0.join("arm64"),
    );
    assert!(
        copied == read(&d.dir.join(format!("vigil-{VERSION}-aarch64"))),
        "the arm64 image's /vigil is not dist's aarch64 binary"
    );
}

/// The README's complete FROM-scratch Dockerfile (In containers), and the
/// build argument the README gives it for the release image.
fn readme_dockerfile() -> (String, String) {
    let readme = readme();
    let blocks: Vec<&str> = readme
        .split("```dockerfile\n")
        .skip(1)
        .filter_map(|b| b.split("\n```").next())
        .filter(|b| b.contains("FROM ${VIGIL_IMAGE} AS vigil") && b.contains("HEALTHCHECK"))
        .collect();
    assert_eq!(
        blocks.len(),
        1,
        "README: one complete ```dockerfile with `FROM ${{VIGIL_IMAGE}} AS vigil` and a HEALTHCHECK"
    );
    let arg = format!("VIGIL_IMAGE={}", image());
    assert!(
        readme.contains(&format!("`--build-arg {arg}`")),
        "README: no `--build-arg {arg}` for the release image"
    );
    (format!("{}\n", blocks[0]), arg)
}

#[test]
fn image_archive_loads_into_docker_and_the_readmes_scratch_dockerfile_turns_healthy() {
    let _serial = serial();
    let d = dist();
    let tar = d.dir.join(format!("vigil-{VERSION}-image.tar"));
    let daemon = Dockerd::start("get");
    let e = &daemon.engine;
    let loaded = e.ok(
        &["load", "-i", tar.to_str().expect("utf-8 path")],
        Duration::from_secs(60),
    );
    for (tag, arch) in [
        (image(), "amd64"),
        (format!("{}-amd64", image()), "amd64"),
        (format!("{}-arm64", image()), "arm64"),
    ] {
        assert!(
            loaded.contains(&format!("Loaded image: {tag}\n"))
                || loaded.ends_with(&format!("Loaded image: {tag}")),
            "docker load: {loaded}"
        );
        assert_eq!(e.inspect(&tag, "{{.Architecture}}"), arch, "{tag}");
    }

    // The smallest downstream: COPY --from, and the binary is dist's.
    let ctx = daemon.subdir("downstream");
    let file = dockerfile(&ctx, &copy_from_dockerfile());
    e.build("vigil-get-downstream:test", &file, &ctx, &[]);
    let copied = copy_out(
        e,
        "vigil-get-downstream",
        "vigil-get-downstream:test",
        "/vigil",
        &ctx.join("vigil.out"),
    );
    assert!(copied == read(&d.dir.join(format!("vigil-{VERSION}-x86_64"))));

    // The newcomer's path: the README's Dockerfile on the release image,
    // with busybox as its app (a FROM-scratch stand-in under the tag it
    // names) and a page.
    let (readme, arg) = readme_dockerfile();
    assert!(readme.contains(BUSYBOX_TAG), "README Dockerfile: {readme}");
    let standin = daemon.subdir("busybox");
    std::fs::create_dir_all(standin.join("bin")).expect("mkdir bin");
    std::fs::copy(busybox(), standin.join("bin/busybox")).expect("copy busybox");
    let file = dockerfile(&standin, "FROM scratch\nCOPY bin/busybox /bin/busybox\n");
    e.build(BUSYBOX_TAG, &file, &standin, &[]);
    let app = daemon.subdir("app");
    std::fs::create_dir_all(app.join("www")).expect("mkdir www");
    std::fs::write(
        app.join("www/index.html"),
        "hello from the README's image\n",
    )
    .expect("page");
    let file = dockerfile(&app, &readme);
    e.build("vigil-get-readme:test", &file, &app, &["--build-arg", &arg]);
    let name = "vigil-get-readme";
    e.run_detached(name, &FAST_HEALTH, "vigil-get-readme:test", &[]);
    let start = Instant::now();
    let status = e.health_until(name, "healthy", Duration::from_secs(30));
    assert_eq!(
        status,
        "healthy",
        "health log: {}\nlogs: {}",
        e.health_log(name),
        e.logs(name)
    );
    report(&format!(
        "README image healthy under Docker {:.2} s after start",
        start.elapsed().as_secs_f64()
    ));
    let version = e.ok(
        &["exec", name, "/vigil", "--version"],
        Duration::from_secs(20),
    );
    assert_eq!(
        format!("{version}\n"),
        version_line(),
        "the release's vigil"
    );
    let out = e.exec(
        name,
        &[
            "/vigil",
            "check",
            "--body-contains",
            "README",
            "http://:8080/",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    e.remove(name);
}

/// The version line and exit status pass-through of an installed vigil.
fn assert_installed_works(bin: &Path, chroot: bool) {
    let mut version = if chroot {
        // Alone in an empty root: no loader, no libc, no /proc.
        let jail = bin.parent().expect("bin dir").join("jail");
        std::fs::create_dir_all(&jail).expect("mkdir jail");
        std::fs::copy(bin, jail.join("vigil")).expect("copy into jail");
        let mut c = Command::new("chroot");
        c.arg(&jail).arg("/vigil");
        c
    } else {
        Command::new(bin)
    };
    let out = ok(version.arg("--version"), Duration::from_secs(10));
    assert_eq!(text(&out.stdout), version_line());
    let out = output_limit(
        Command::new(bin).args(["--", "sh", "-c", "exit 3"]),
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
}

/// `cargo` as the test's own (the toolchain that built it).
fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.env_remove("CARGO_TARGET_DIR");
    c
}

#[test]
fn cargo_install_path_gives_a_working_binary() {
    let _serial = serial();
    let (base, dest) = kept_dir("install-test", "path-root");
    let start = Instant::now();
    ok(
        cargo()
            .args(["install", "--locked", "--quiet", "--path", "."])
            .arg("--root")
            .arg(&dest)
            .env("CARGO_TARGET_DIR", base.join("path-target"))
            .current_dir(root()),
        Duration::from_secs(20 * 60),
    );
    let bin = dest.join("bin/vigil");
    let installed: Vec<_> = std::fs::read_dir(dest.join("bin"))
        .expect("bin/")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(installed, ["vigil"], "installed binaries");
    assert!(
        file_kind(&bin).contains("dynamically linked"),
        "a host build"
    );
    assert_installed_works(&bin, false);
    report(&format!(
        "cargo install --path .: {:.1} s, {} B (host libc)",
        start.elapsed().as_secs_f64(),
        read(&bin).len()
    ));
    let _ = std::fs::remove_dir_all(&dest);
}

#[test]
fn the_readmes_static_cargo_install_line_from_a_git_clone_runs_alone_in_an_empty_root() {
    let _serial = serial();
    let readme = readme();
    let lines: Vec<&str> = readme
        .lines()
        .filter(|l| l.contains("cargo install vigil-init") && l.contains("linux-musl"))
        .collect();
    assert_eq!(lines.len(), 1, "README: one static cargo install line");
    let line = lines[0];
    // The same line, from a file:// clone of HEAD instead of crates.io.
    let (base, dest) = kept_dir("install-test", "static-root");
    // A fresh target directory: cargo takes a git package's build as fresh
    // whatever its commit (its fingerprint is the version), so a kept one
    // would hand back the last run's binary.
    let (_, target) = kept_dir("install-test", "static-target");
    let repo = base.join("repo.git");
    let _ = std::fs::remove_dir_all(&repo);
    let repo_arg = repo.to_str().expect("utf-8 path");
    git(&root(), &["clone", "-q", "--bare", ".", repo_arg]);
    let head = git(&root(), &["rev-parse", "HEAD"]);
    let source = format!("cargo install --git file://{repo_arg} --rev {head} vigil-init");
    let script = format!(
        "{} --quiet --root '{}'",
        line.replace("cargo install vigil-init", &source),
        dest.display()
    );
    let start = Instant::now();
    ok(
        Command::new("sh")
            .args(["-c", &script])
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(&dest),
        Duration::from_secs(20 * 60),
    );
    let bin = dest.join("bin/vigil");
    let kind = file_kind(&bin);
    assert!(kind.contains("static-pie linked"), "{kind}");
    assert_installed_works(&bin, true);
    // HEAD's code, not an older build: a habit only HEAD forgives.
    let out = output_limit(
        Command::new(&bin).args(["-q", "check", "http://127.0.0.1:1/"]),
        Duration::from_secs(10),
    );
    assert!(
        text(&out.stderr).contains("options go after the mode word"),
        "{out:?}"
    );
    let size = read(&bin).len();
    let release = read(&static_vigil()).len();
    report(&format!(
        "README static cargo install: {:.1} s, {size} B (release build {release} B)",
        start.elapsed().as_secs_f64()
    ));
    let _ = std::fs::remove_dir_all(&dest);
}
