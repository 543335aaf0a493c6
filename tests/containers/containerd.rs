//! A private containerd for one test, driven by `ctr`: root, state and
//! sockets in the test's own temp directory, the CRI plugin off; tasks run
//! from an unpacked rootfs directory (no image, no registry). Stopped by its
//! pid and removed on drop.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{output_limit, text};
use crate::podman::{busybox, root, static_vigil};

pub struct Containerd {
    pub dir: PathBuf,
    child: Child,
}

impl Containerd {
    /// Starts containerd for test `test` and waits until `ctr` reaches it.
    pub fn start(test: &str) -> Containerd {
        for tool in ["/usr/bin/containerd", "/usr/bin/ctr"] {
            assert!(
                Path::new(tool).is_file(),
                "{tool} missing: install containerd (scripts/test does)"
            );
        }
        crate::leftovers::sweep("vigil-cd");
        let dir = std::env::temp_dir().join(format!("vigil-cd-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir containerd dir");
        let d = dir.display();
        // disabled_plugins must come before the first [table].
        let config = format!(
            "version = 2\nroot = \"{d}/root\"\nstate = \"{d}/state\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = \"{d}/containerd.sock\"\n\
             [ttrpc]\n  address = \"{d}/containerd.sock.ttrpc\"\n"
        );
        std::fs::write(dir.join("config.toml"), config).expect("config.toml");
        let log = std::fs::File::create(dir.join("containerd.log")).expect("containerd.log");
        let child = Command::new("/usr/bin/containerd")
            .arg("--config")
            .arg(dir.join("config.toml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log fd"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start containerd: {e}"));
        let daemon = Containerd { dir, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = daemon.ctr(&["version"], Duration::from_secs(10));
            if v.status.success() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "containerd never answered: {}\nlog:\n{}",
                text(&v.stderr),
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        daemon
    }

    /// The daemon's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("containerd.log")).unwrap_or_default()
    }

    /// A `Command` for `ctr --address SOCK -n vigil ARGS`.
    pub fn ctr_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("/usr/bin/ctr");
        cmd.arg("--address")
            .arg(self.dir.join("containerd.sock"))
            .args(["-n", "vigil"])
            .args(args);
        cmd
    }

    /// Runs `ctr ARGS` within `limit`.
    pub fn ctr(&self, args: &[&str], limit: Duration) -> Output {
        output_limit(&mut self.ctr_command(args), limit)
    }

    /// Like [`Containerd::ctr`], but panics unless it succeeded.
    pub fn ctr_ok(&self, args: &[&str]) -> String {
        let out = self.ctr(args, Duration::from_secs(30));
        assert!(
            out.status.success(),
            "ctr {args:?} failed: {}\n{}{}",
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// An unpacked root filesystem: /vigil, /bin/busybox and /www, as the
    /// scratch example has them.
    pub fn rootfs(&self) -> PathBuf {
        let r = self.dir.join("rootfs");
        std::fs::create_dir_all(r.join("bin")).expect("mkdir rootfs/bin");
        std::fs::create_dir_all(r.join("www")).expect("mkdir rootfs/www");
        std::fs::copy(static_vigil(), r.join("vigil")).expect("copy vigil");
        std::fs::copy(busybox(), r.join("bin/busybox")).expect("copy busybox");
        std::fs::copy(
            root().join("docker/examples/www/index.html"),
            r.join("www/index.html"),
        )
        .expect("copy index.html");
        r
    }

    /// Starts `ctr run --rm --rootfs ROOTFS ID ARGV...` in the foreground
    /// (its exit status is the task's); each task gets a network namespace
    /// of its own holding only loopback.
    pub fn spawn_run(&self, rootfs: &Path, id: &str, argv: &[&str]) -> Child {
        let mut cmd = self.ctr_command(&["run", "--rm", "--rootfs"]);
        cmd.arg(rootfs)
            .arg(id)
            .args(argv)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn()
            .unwrap_or_else(|e| panic!("cannot start ctr run: {e}"))
    }

    /// Waits until task `id` is RUNNING and PID 1 has a child (the app).
    pub fn wait_app(&self, id: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = self.ctr(
                &[
                    "task",
                    "exec",
                    "--exec-id",
                    "ready",
                    id,
                    "/bin/busybox",
                    "cat",
                    "/proc/1/task/1/children",
                ],
                Duration::from_secs(10),
            );
            if out.status.success() && !text(&out.stdout).trim().is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "task {id} never ran its app: {}{}",
                text(&out.stderr),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&self, sig: &str) {
        let _ = output_limit(
            Command::new("kill")
                .arg(format!("-{sig}"))
                .arg(self.child.id().to_string()),
            Duration::from_secs(5),
        );
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        // Tasks first: their shims would outlive the daemon.
        let tasks = self.ctr(&["task", "ls", "-q"], Duration::from_secs(10));
        for id in text(&tasks.stdout).split_whitespace() {
            let _ = self.ctr(
                &["task", "kill", "-s", "SIGKILL", id],
                Duration::from_secs(10),
            );
            let _ = self.ctr(&["task", "rm", "-f", id], Duration::from_secs(10));
        }
        let containers = self.ctr(&["containers", "ls", "-q"], Duration::from_secs(10));
        for id in text(&containers.stdout).split_whitespace() {
            let _ = self.ctr(&["containers", "rm", id], Duration::from_secs(10));
        }
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            eprintln!("containerd {} ignored TERM: killing it", self.child.id());
            self.signal("KILL");
            let _ = self.child.wait();
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            eprintln!("cannot remove {}: {e}", self.dir.display());
        }
    }
}
