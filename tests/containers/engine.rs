//! One container engine's command line (podman, or Docker's CLI against a
//! private dockerd), so that a scenario is written once and run under each.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::{output_limit, text};

/// How one engine is driven: its CLI, the flags every `run` needs, and how
/// it runs an init of its own (`run --init`).
#[derive(Clone)]
pub struct Engine {
    /// "podman" or "docker", for messages and MEASURED lines.
    pub name: &'static str,
    program: PathBuf,
    /// Words before the subcommand (`--runtime runc` for podman).
    pre: Vec<String>,
    /// Environment of every call (DOCKER_HOST for the private dockerd).
    env: Vec<(String, String)>,
    /// Flags every `run` gets, after `--network none`.
    run_flags: Vec<String>,
    /// Flags every `build` gets.
    build_flags: Vec<String>,
    /// `run` flags that make vigil the runtime's own init.
    pub init_flags: Vec<String>,
    /// Where the runtime puts its init inside the container: PID 1's argv[0].
    pub init_in_container: &'static str,
    /// Prefix of the image tags a test makes (podman qualifies local names).
    pub tag_prefix: &'static str,
}

impl Engine {
    /// podman 4.3 with runc, on the machine's shared store.
    pub fn podman(vigil: &Path) -> Engine {
        let found = Command::new("podman").arg("--version").output();
        if !matches!(found, Ok(ref o) if o.status.success()) {
            panic!("podman is not usable ({found:?}): install podman and runc (scripts/test does)");
        }
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Engine {
            name: "podman",
            program: PathBuf::from("podman"),
            pre: owned(&["--runtime", "runc"]),
            env: Vec::new(),
            // --replace: a leftover of a crashed run with a recycled pid is no
            // error. The ulimits: podman's defaults are above the hard limits
            // of these machines.
            run_flags: owned(&[
                "--replace",
                "--ulimit",
                "nofile=1024:1024",
                "--ulimit",
                "nproc=4096:4096",
            ]),
            build_flags: owned(&["--pull=never", "--format", "docker"]),
            init_flags: vec![
                "--init".into(),
                "--init-path".into(),
                vigil.to_str().expect("utf-8 path").into(),
            ],
            init_in_container: "/run/podman-init",
            tag_prefix: "localhost/",
        }
    }

    /// podman with runc on a private store in `dir` (vfs: plain directories,
    /// removed with `dir`): for images whose names the machine's store must
    /// not see, such as a release's.
    pub fn podman_private(vigil: &Path, dir: &Path) -> Engine {
        let mut e = Engine::podman(vigil);
        let d = |sub: &str| dir.join(sub).to_str().expect("utf-8 path").to_string();
        let store = [
            "--root".into(),
            d("storage"),
            "--runroot".into(),
            d("run"),
            "--storage-driver".into(),
            "vfs".into(),
        ];
        e.pre.splice(0..0, store);
        e
    }

    /// Debian's Docker CLI (`/usr/bin/docker`, BuildKit built in) talking to
    /// the daemon at `socket`, whose `init-path` is vigil.
    pub fn docker(socket: &Path) -> Engine {
        Engine {
            name: "docker",
            program: PathBuf::from("/usr/bin/docker"),
            pre: Vec::new(),
            env: vec![
                ("DOCKER_HOST".into(), format!("unix://{}", socket.display())),
                ("DOCKER_BUILDKIT".into(), "1".into()),
                // No user config (auth, contexts) from the machine's ~/.docker.
                (
                    "DOCKER_CONFIG".into(),
                    socket
                        .parent()
                        .expect("socket dir")
                        .join("cli")
                        .display()
                        .to_string(),
                ),
            ],
            run_flags: Vec::new(),
            build_flags: vec!["--quiet".into()],
            init_flags: vec!["--init".into()],
            init_in_container: "/sbin/docker-init",
            tag_prefix: "",
        }
    }

    /// The environment of every call, for tools beside the CLI (compose).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// A `Command` for `ENGINE ARGS`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.pre).args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `ENGINE ARGS` within `limit`.
    pub fn run(&self, args: &[&str], limit: Duration) -> Output {
        output_limit(&mut self.command(args), limit)
    }

    /// Like [`Engine::run`], but panics with the engine's stderr unless it
    /// succeeded; returns stdout, trimmed.
    pub fn ok(&self, args: &[&str], limit: Duration) -> String {
        let out = self.run(args, limit);
        assert!(
            out.status.success(),
            "{} {args:?} failed: {}\nstdout: {}\nstderr: {}",
            self.name,
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout).trim().to_string()
    }

    /// `inspect --format FORMAT NAME`.
    pub fn inspect(&self, name: &str, format: &str) -> String {
        self.ok(
            &["inspect", "--format", format, name],
            Duration::from_secs(20),
        )
    }

    /// `build -f DOCKERFILE -t TAG EXTRA... CTX`.
    pub fn build(&self, tag: &str, dockerfile: &Path, ctx: &Path, extra: &[&str]) {
        let mut args: Vec<&str> = vec!["build"];
        args.extend(self.build_flags.iter().map(String::as_str));
        args.extend_from_slice(&["-f", dockerfile.to_str().expect("utf-8 path"), "-t", tag]);
        args.extend_from_slice(extra);
        args.push(ctx.to_str().expect("utf-8 path"));
        self.ok(&args, Duration::from_secs(120));
    }

    /// `run -d --name NAME --network none` with the engine's own flags and
    /// `extra` before the image, `cmd` after it.
    pub fn run_detached(&self, name: &str, extra: &[&str], image: &str, cmd: &[&str]) {
        let mut args = vec!["run", "-d", "--name", name, "--network", "none"];
        args.extend(self.run_flags.iter().map(String::as_str));
        args.extend_from_slice(extra);
        args.push(image);
        args.extend_from_slice(cmd);
        self.ok(&args, Duration::from_secs(60));
    }

    /// `run --name NAME --network none` in the foreground: the container's
    /// exit status and its output.
    pub fn run_attached(&self, name: &str, extra: &[&str], image: &str, cmd: &[&str]) -> Output {
        let mut args = vec!["run", "--name", name, "--network", "none"];
        args.extend(self.run_flags.iter().map(String::as_str));
        args.extend_from_slice(extra);
        args.push(image);
        args.extend_from_slice(cmd);
        self.run(&args, Duration::from_secs(60))
    }

    /// Like [`Engine::run_detached`], with `argv` replacing the image's
    /// ENTRYPOINT and CMD (`--entrypoint ARGV0 IMAGE ARGV1...`: Docker's
    /// `--entrypoint` takes one word, not podman's JSON array).
    pub fn run_program(&self, name: &str, extra: &[&str], image: &str, argv: &[&str]) {
        let mut flags = extra.to_vec();
        flags.extend_from_slice(&["--entrypoint", argv[0]]);
        self.run_detached(name, &flags, image, &argv[1..]);
    }

    /// Like [`Engine::run_attached`], with `argv` replacing ENTRYPOINT and CMD.
    pub fn run_program_attached(
        &self,
        name: &str,
        extra: &[&str],
        image: &str,
        argv: &[&str],
    ) -> Output {
        let mut flags = extra.to_vec();
        flags.extend_from_slice(&["--entrypoint", argv[0]]);
        self.run_attached(name, &flags, image, &argv[1..])
    }

    /// `exec NAME ARGV...` within 20 s.
    pub fn exec(&self, name: &str, argv: &[&str]) -> Output {
        let mut args = vec!["exec", name];
        args.extend_from_slice(argv);
        self.run(&args, Duration::from_secs(20))
    }

    /// `stop -t SECS NAME`, and how long it took.
    pub fn timed_stop(&self, name: &str, secs: u32) -> Duration {
        let t = secs.to_string();
        let start = Instant::now();
        self.ok(
            &["stop", "-t", &t, name],
            Duration::from_secs(u64::from(secs) + 30),
        );
        start.elapsed()
    }

    /// The exit code the engine recorded for a stopped container.
    pub fn exit_code(&self, name: &str) -> i32 {
        let code = self.inspect(name, "{{.State.ExitCode}}");
        code.parse()
            .unwrap_or_else(|_| panic!("exit code of {name}: {code:?}"))
    }

    /// The container's output, stderr and stdout together.
    pub fn logs(&self, name: &str) -> String {
        let out = self.run(&["logs", name], Duration::from_secs(20));
        text(&out.stdout) + &text(&out.stderr)
    }

    /// The health log: `EXIT OUTPUT|` per kept probe result.
    pub fn health_log(&self, name: &str) -> String {
        self.inspect(
            name,
            "{{range .State.Health.Log}}{{.ExitCode}} {{.Output}}|{{end}}",
        )
    }

    /// Waits until the health status is `want`, within `limit`, and returns
    /// the last status. Docker probes on its own timer; podman runs no
    /// timer without systemd, so the test runs each probe
    /// (`podman healthcheck run`).
    pub fn health_until(&self, name: &str, want: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            if self.name == "podman" {
                let _ = self.run(&["healthcheck", "run", name], Duration::from_secs(20));
            }
            let status = self.inspect(name, "{{.State.Health.Status}}");
            if status == want || start.elapsed() > limit {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Removes a container, whatever its state.
    pub fn remove(&self, name: &str) {
        // podman's `rm -f` would wait out the stop timeout first.
        let args: &[&str] = if self.name == "podman" {
            &["rm", "-f", "-t", "0", name]
        } else {
            &["rm", "-f", name]
        };
        let _ = self.run(args, Duration::from_secs(30));
    }

    /// Removes an image tag.
    pub fn remove_image(&self, tag: &str) {
        let _ = self.run(&["rmi", "-f", tag], Duration::from_secs(30));
    }
}
