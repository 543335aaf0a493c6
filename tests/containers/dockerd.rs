//! A private Docker engine for one test: dockerd from the test's own temp
//! directory (data root, exec root, pidfile, socket), no bridge, no iptables,
//! vigil as its init-path; stopped by its pid and removed on drop.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{output_limit, text};
use crate::engine::Engine;
use crate::podman::{busybox, distroless_standin, static_vigil};

/// The registry images docker/examples name, replaced by FROM-scratch
/// stand-ins under the same tags (nothing can be pulled here).
pub const VIGIL_TAG: &str = "vigil:0.1.0";
pub const BUSYBOX_TAG: &str = "busybox:1.36.1-musl";
pub const DISTROLESS_TAG: &str = "gcr.io/distroless/static-debian12:nonroot";

pub struct Dockerd {
    pub dir: PathBuf,
    pub engine: Engine,
    child: Child,
}

impl Dockerd {
    /// Starts dockerd for test `test` and waits until it answers.
    pub fn start(test: &str) -> Dockerd {
        for tool in ["/usr/sbin/dockerd", "/usr/bin/docker"] {
            assert!(
                Path::new(tool).is_file(),
                "{tool} missing: install docker.io (scripts/test does)"
            );
        }
        crate::leftovers::sweep("vigil-dk");
        let dir = std::env::temp_dir().join(format!("vigil-dk-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("cli")).expect("mkdir dockerd dir");
        let d = dir.display();
        // No bridge and no iptables: containers run with --network none, and
        // the daemon touches nothing of the host's network.
        let config = format!(
            r#"{{
  "data-root": "{d}/data",
  "exec-root": "{d}/exec",
  "pidfile": "{d}/docker.pid",
  "hosts": ["unix://{d}/docker.sock"],
  "bridge": "none",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "storage-driver": "overlay2",
  "init-path": "{}"
}}
"#,
            static_vigil().display()
        );
        std::fs::write(dir.join("daemon.json"), config).expect("daemon.json");
        let log = std::fs::File::create(dir.join("dockerd.log")).expect("dockerd.log");
        let child = Command::new("/usr/sbin/dockerd")
            .arg("--config-file")
            .arg(dir.join("daemon.json"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log fd"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start dockerd: {e}"));
        let engine = Engine::docker(&dir.join("docker.sock"));
        let daemon = Dockerd { dir, engine, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = daemon.engine.run(
                &["version", "--format", "{{.Server.Version}}"],
                Duration::from_secs(10),
            );
            if v.status.success() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "dockerd never answered: {}\nlog:\n{}",
                text(&v.stderr),
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        daemon
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dockerd.log")).unwrap_or_default()
    }

    /// A fresh directory inside the daemon's, removed with it.
    pub fn subdir(&self, what: &str) -> PathBuf {
        let d = self.dir.join(what);
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
        d
    }

    /// Builds the FROM-scratch stand-ins for the registry images the
    /// examples name: vigil:0.1.0 (docker/Dockerfile's final stage: /vigil,
    /// nobody, ENTRYPOINT), busybox:1.36.1-musl (Debian's static busybox)
    /// and distroless static (passwd and group).
    pub fn standins(&self) {
        let ctx = self.subdir("standins");
        std::fs::create_dir_all(ctx.join("bin")).expect("mkdir bin");
        std::fs::copy(static_vigil(), ctx.join("vigil")).expect("copy vigil");
        std::fs::copy(busybox(), ctx.join("bin/busybox")).expect("copy busybox");
        distroless_standin(&ctx);
        let files = [
            (
                VIGIL_TAG,
                "FROM scratch\nCOPY vigil /vigil\nUSER 65534:65534\n\
                 ENTRYPOINT [\"/vigil\"]\nCMD [\"--help\"]\n",
            ),
            (BUSYBOX_TAG, "FROM scratch\nCOPY bin/busybox /bin/busybox\n"),
            (
                DISTROLESS_TAG,
                "FROM scratch\nCOPY etc /etc\nUSER 65532:65532\n",
            ),
        ];
        for (i, (tag, dockerfile)) in files.iter().enumerate() {
            let file = ctx.join(format!("standin{i}.Dockerfile"));
            std::fs::write(&file, dockerfile).expect("write Dockerfile");
            self.engine.build(tag, &file, &ctx, &[]);
        }
    }

    /// Builds docker/examples/FILE unchanged, tagged `tag`.
    pub fn build_example(&self, file: &str, tag: &str) {
        let examples = crate::podman::root().join("docker/examples");
        self.engine.build(tag, &examples.join(file), &examples, &[]);
    }

    /// Sends `sig` to the daemon by its pid.
    fn signal(&self, sig: &str) {
        let _ = output_limit(
            Command::new("kill")
                .arg(format!("-{sig}"))
                .arg(self.child.id().to_string()),
            Duration::from_secs(5),
        );
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        // Containers first (a stop at shutdown would wait their timeouts).
        let ps = self.engine.run(&["ps", "-aq"], Duration::from_secs(20));
        for id in text(&ps.stdout).split_whitespace() {
            self.engine.remove(id);
        }
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            eprintln!(
                "dockerd {} ignored TERM for 30 s: killing it",
                self.child.id()
            );
            self.signal("KILL");
            let _ = self.child.wait();
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            eprintln!("cannot remove {}: {e}", self.dir.display());
        }
    }
}
