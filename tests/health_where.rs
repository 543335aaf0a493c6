//! README "Health", where `vigil health` must work, each in namespaces this
//! test makes: vigil as PID 1 and as the runtime's `--init` under another
//! vigil, the probe entered as `docker exec` enters (`nsenter -a`); a probe as
//! a non-root user, with vigil as root and as that user; a read-only root
//! with nothing writable; two containers of one pod (shared network and IPC
//! namespaces) and a pod sharing one PID namespace, with a squatter on the
//! other's socket name; a stopped vigil, and no vigil at all.

mod common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(20);

fn vigil_path() -> String {
    common::vigil().display().to_string()
}

/// A process this test started, killed (with what it started) when dropped.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let pid = self.0.id();
        // The namespace's init first: its whole PID namespace goes with it.
        for child in children(pid as i32) {
            let _ = Command::new("kill")
                .args(["-9", &child.to_string()])
                .status();
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// The first child of `pid`, once it runs `exe` (its /proc/PID/exe).
fn child_running(pid: i32, exe: &str) -> i32 {
    let deadline = Instant::now() + T;
    loop {
        if let Some(&c) = children(pid).first() {
            let now = std::fs::read_link(format!("/proc/{c}/exe")).unwrap_or_default();
            if now.display().to_string() == exe {
                return c;
            }
        }
        assert!(Instant::now() < deadline, "{pid} never ran {exe}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn spawn(argv: &[&str]) -> Started {
    Started(
        Command::new(argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {argv:?}: {e}")),
    )
}

/// `nsenter -a -t PID [-S UID -G GID] vigil health ARGS` (docker exec's way).
fn ask(pid: i32, user: Option<u32>, args: &[&str]) -> Output {
    let mut cmd = Command::new("nsenter");
    cmd.args(["-a", "-t", &pid.to_string()]);
    if let Some(uid) = user {
        cmd.args(["-S", &uid.to_string(), "-G", &uid.to_string()]);
    }
    cmd.arg(vigil_path()).arg("health").args(args);
    common::output_limit(&mut cmd, T)
}

/// Asks until the status is `rc`; returns the last answer.
fn until(pid: i32, user: Option<u32>, args: &[&str], rc: i32) -> Output {
    let deadline = Instant::now() + T;
    loop {
        let out = ask(pid, user, args);
        if out.status.code() == Some(rc) {
            return out;
        }
        assert!(Instant::now() < deadline, "never {rc}: {out:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn said(out: &Output) -> String {
    common::text(&out.stdout)
}

/// A file of this test's that exists (a `--ready file://` target).
fn present() -> String {
    format!("file://{}/Cargo.toml", env!("CARGO_MANIFEST_DIR"))
}

fn absent() -> String {
    format!(
        "file://{}/no-such-file-{}",
        env!("CARGO_MANIFEST_DIR"),
        std::process::id()
    )
}

/// vigil as PID 1 of a new PID and mount namespace, `--ready` on `target`;
/// `prefix`: words that run before vigil (e.g. `setpriv ...`).
fn pid1(prefix: &[&str], target: &str) -> (Started, i32) {
    let v = vigil_path();
    let mut argv = vec!["unshare", "--pid", "--fork", "--mount-proc"];
    argv.extend_from_slice(prefix);
    argv.extend([v.as_str(), "--ready", target, "--", "sleep", "60"]);
    let started = spawn(&argv);
    let pid = child_running(started.0.id() as i32, &v);
    (started, pid)
}

#[test]
fn as_pid_1_the_probe_entered_as_docker_exec_reads_every_level() {
    let (_v, pid) = pid1(&[], &present());
    let out = until(pid, None, &[], 0);
    assert!(said(&out).starts_with("ready "), "{out:?}");
    assert!(said(&out).contains("Cargo.toml age "), "{out:?}");
    assert_eq!(ask(pid, None, &["--live"]).status.code(), Some(0));
    assert_eq!(ask(pid, None, &["--started"]).status.code(), Some(0));
    let (_w, waiting) = pid1(&[], &absent());
    // Asked before the first probe has ended, the line says so instead.
    let deadline = Instant::now() + T;
    let out = loop {
        let out = ask(waiting, None, &["--ready"]);
        if !said(&out).contains("no --ready probe ended yet") || Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        said(&out).starts_with("starting ") && said(&out).contains(" missing"),
        "{out:?}"
    );
    assert_eq!(ask(waiting, None, &["--live"]).status.code(), Some(0));
    assert_eq!(ask(waiting, None, &["--started"]).status.code(), Some(1));
}

#[test]
fn under_vigil_as_the_runtimes_init_the_level_must_hold_for_both() {
    // docker run --init with an image whose ENTRYPOINT is vigil.
    let (_v, pid) = pid1(&[&vigil_path(), "--"], &present());
    // Until the inner vigil listens (its first milliseconds), the outer one,
    // the only one there, answers; then both do, and the newest's line shows.
    let deadline = Instant::now() + T;
    loop {
        let out = ask(pid, None, &[]);
        if said(&out).contains("Cargo.toml age ") {
            assert_eq!(out.status.code(), Some(0), "{out:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the inner vigil never answered: {out:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..10 {
        assert!(said(&ask(pid, None, &[])).contains("Cargo.toml age "));
    }
    // The outer one not ready (its VIGIL_* variables would be its own):
    // the level fails, and its line shows.
    let absent = absent();
    let (_w, pid) = pid1(&[&vigil_path(), "--ready", &absent, "--"], &present());
    let deadline = Instant::now() + T;
    loop {
        let out = ask(pid, None, &[]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(said(&out).starts_with("starting "), "{out:?}");
        if said(&out).contains(&format!("fail {absent} missing")) {
            break;
        }
        assert!(Instant::now() < deadline, "{out:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(ask(pid, None, &["--live"]).status.code(), Some(0));
}

#[test]
fn a_non_root_probe_reads_vigil_running_as_root_and_as_itself() {
    let (_root, pid) = pid1(&[], &present());
    let out = until(pid, Some(65534), &[], 0);
    assert!(said(&out).starts_with("ready "), "{out:?}");
    let drop_to_nobody = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
    ];
    let (_nobody, pid) = pid1(&drop_to_nobody, &present());
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    assert!(
        status.contains("\nUid:\t65534\t"),
        "vigil runs as 65534: {status}"
    );
    assert_eq!(until(pid, Some(65534), &[], 0).status.code(), Some(0));
    assert_eq!(until(pid, None, &[], 0).status.code(), Some(0));
}

#[test]
fn with_a_read_only_root_and_nothing_writable() {
    // Every mount of the container's copy read-only, /tmp, /run and /dev/shm too.
    let v = vigil_path();
    let script = format!(
        "findmnt -rno TARGET | while read -r m; do mount -o remount,bind,ro \"$m\" 2>/dev/null; done; \
         exec {v} --ready {} -- sleep 60",
        present()
    );
    let started = spawn(&[
        "unshare",
        "--pid",
        "--fork",
        "--mount-proc",
        "--propagation",
        "private",
        "sh",
        "-c",
        &script,
    ]);
    let pid = child_running(started.0.id() as i32, &v);
    for dir in ["/", "/tmp", "/run", "/dev/shm"] {
        let mut touch = Command::new("nsenter");
        touch.args([
            "-a",
            "-t",
            &pid.to_string(),
            "sh",
            "-c",
            &format!("touch {dir}/vigil-probe-{}", std::process::id()),
        ]);
        let out = common::output_limit(&mut touch, T);
        assert!(
            !out.status.success(),
            "{dir} is writable in the test's container"
        );
    }
    let out = until(pid, Some(65534), &[], 0);
    assert!(said(&out).starts_with("ready "), "{out:?}");
}

/// Holds a network and IPC namespace for a pod: `unshare --net --ipc sleep`.
fn pod(pid_too: bool) -> (Started, i32) {
    let mut argv = vec!["unshare", "--net", "--ipc"];
    if pid_too {
        argv.extend(["--pid", "--fork", "--mount-proc"]);
    }
    argv.extend(["sleep", "60"]);
    let s = spawn(&argv);
    let holder = s.0.id() as i32;
    let pid = if pid_too {
        child_running(holder, "/usr/bin/sleep")
    } else {
        // Wait until it has left our network namespace.
        let ours = std::fs::read_link("/proc/self/ns/net").expect("ns");
        let deadline = Instant::now() + T;
        while std::fs::read_link(format!("/proc/{holder}/ns/net")).ok() == Some(ours.clone())
            || std::fs::read_link(format!("/proc/{holder}/exe")).unwrap_or_default()
                != std::path::Path::new("/usr/bin/sleep")
        {
            assert!(Instant::now() < deadline, "the pod holder never unshared");
            std::thread::sleep(Duration::from_millis(5));
        }
        holder
    };
    (s, pid)
}

#[test]
fn two_containers_of_a_pod_each_read_their_own_vigil() {
    let (_pod, holder) = pod(false);
    let v = vigil_path();
    let h = holder.to_string();
    // Each container: the pod's network and IPC, its own PID and mount
    // namespaces; vigil is PID 1 in both, so only the mount tells them apart.
    let container = |target: String| {
        let s = spawn(&[
            "nsenter",
            "-t",
            &h,
            "-n",
            "-i",
            "unshare",
            "--pid",
            "--fork",
            "--mount-proc",
            &v,
            "--ready",
            &target,
            "--",
            "sleep",
            "60",
        ]);
        // nsenter without -p execs unshare in place; unshare forks vigil.
        let pid = child_running(s.0.id() as i32, &v);
        (s, pid)
    };
    let (_a, a) = container(present());
    let (_b, b) = container(absent());
    let out = until(a, None, &[], 0);
    assert!(said(&out).starts_with("ready "), "{out:?}");
    let out = ask(b, None, &[]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(said(&out).starts_with("starting "), "{out:?}");
    // Both names are in the pod's one table.
    let mut unix = Command::new("nsenter");
    unix.args(["-t", &h, "-n", "cat", "/proc/net/unix"]);
    let table = common::text(&common::output_limit(&mut unix, T).stdout);
    assert_eq!(table.matches("@vigil-health-").count(), 2, "{table}");
    assert_eq!(table.matches("-1\n").count(), 2, "both are pid 1: {table}");
}

#[test]
fn in_a_pod_sharing_one_pid_namespace_each_reads_its_own_and_a_squatter_is_refused() {
    let (_pod, init) = pod(true);
    let v = vigil_path();
    let i = init.to_string();
    // PID 1 is the pod's `sleep`; each container has its own mount namespace.
    let container = |target: String| {
        let s = spawn(&[
            "nsenter",
            "-t",
            &i,
            "-p",
            "-n",
            "-i",
            "unshare",
            "--mount",
            "--mount-proc",
            "--propagation",
            "private",
            &v,
            "--ready",
            &target,
            "--",
            "sleep",
            "60",
        ]);
        let nsenter = s.0.id() as i32;
        let pid = child_running(nsenter, &v);
        (s, pid)
    };
    let (_a, a) = container(present());
    let (_b, b) = container(absent());
    assert!(said(&until(a, None, &[], 0)).starts_with("ready "));
    let out = ask(b, None, &[]);
    assert!(said(&out).starts_with("starting "), "{out:?}");
    // A squatter in the pod, in a third mount namespace, takes a name made
    // from container A's first mount and its own pid: A's probe still reads A.
    let mountinfo = {
        let mut cat = Command::new("nsenter");
        cat.args(["-a", "-t", &a.to_string(), "cat", "/proc/self/mountinfo"]);
        common::text(&common::output_limit(&mut cat, T).stdout)
    };
    let first = mountinfo.split(' ').next().expect("a mount id").to_string();
    let squat = format!(
        "import os,socket,time; s=socket.socket(socket.AF_UNIX); \
         s.bind('\\0vigil-health-{first}-%d' % os.getpid()); s.listen(); \
         [ (c.send(b'+ready 0.00s: squatter\\n'), c.close()) for c,_ in iter(s.accept, None) ]"
    );
    let _squatter = spawn(&[
        "nsenter", "-t", &i, "-p", "-n", "-i", "unshare", "--mount", "python3", "-c", &squat,
    ]);
    let deadline = Instant::now() + T;
    loop {
        let mut unix = Command::new("nsenter");
        unix.args(["-t", &i, "-n", "cat", "/proc/net/unix"]);
        let table = common::text(&common::output_limit(&mut unix, T).stdout);
        if table.matches(&format!("@vigil-health-{first}-")).count() == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the squatter never listened: {table}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for user in [None, Some(65534)] {
        let out = until(a, user, &[], 0);
        assert!(
            said(&out).contains("Cargo.toml age "),
            "A's own line: {out:?}"
        );
    }
}

#[test]
fn a_stopped_vigil_fails_every_level_and_no_vigil_fails_with_a_reason() {
    let (_v, pid) = pid1(&[], &present());
    until(pid, None, &[], 0);
    let kill = |sig: &str| {
        assert!(
            Command::new("kill")
                .args([sig, &pid.to_string()])
                .status()
                .expect("kill")
                .success()
        );
    };
    kill("-STOP");
    for level in ["--ready", "--live", "--started"] {
        let started = Instant::now();
        let out = ask(pid, None, &[level]);
        assert_eq!(out.status.code(), Some(1), "{level}: {out:?}");
        assert_eq!(
            common::text(&out.stderr),
            "vigil: health: vigil did not answer within 2s\n"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }
    kill("-CONT");
    assert_eq!(until(pid, None, &["--live"], 0).status.code(), Some(0));

    // A container whose init is not vigil.
    let lone = spawn(&["unshare", "--pid", "--fork", "--mount-proc", "sleep", "60"]);
    let sleeper = child_running(lone.0.id() as i32, "/usr/bin/sleep");
    let out = ask(sleeper, None, &["--live"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        common::text(&out.stderr).starts_with("vigil: health: no vigil listens in this container"),
        "{out:?}"
    );
    assert!(out.stdout.is_empty());
}

// Fixed in the commit that reads /proc/net/unix line by line (sys::fs::
// each_line): `vigil health` kept its first 4 MiB, and in a network namespace
// with many unix sockets (a proxy's connections: each an unnamed line,
// listed before every abstract name) vigil's line came after them, so it
// said "no vigil listens in this container".
#[test]
fn a_listener_past_the_first_4_mib_of_proc_net_unix_is_found() {
    let (_pod, holder) = pod(false);
    let h = holder.to_string();
    let dir = std::env::temp_dir().join(format!("vigil-unix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    struct Gone(std::path::PathBuf);
    impl Drop for Gone {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _gone = Gone(dir.clone());
    // 8 processes of 4,000 sockets bound to 100-byte paths: about 5 MiB of
    // table, each process under the usual 4,096 open files.
    let fill = "import os, resource, socket, sys, time\n\
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n\
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4100, hard), hard))\n\
        d, k = sys.argv[1], int(sys.argv[2])\n\
        keep = []\n\
        for i in range(4000):\n\
        \x20   s = socket.socket(socket.AF_UNIX)\n\
        \x20   s.bind(os.path.join(d, ('%d-%05d-' % (k, i)).ljust(100 - len(d), 'x')))\n\
        \x20   keep.append(s)\n\
        open(os.path.join(d, 'done-%d' % k), 'w').close()\n\
        time.sleep(60)\n";
    let d = dir.display().to_string();
    let _fillers: Vec<Started> = (0..8)
        .map(|k| {
            spawn(&[
                "nsenter",
                "-t",
                &h,
                "-n",
                "python3",
                "-c",
                fill,
                &d,
                &k.to_string(),
            ])
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while (0..8).any(|k| !dir.join(format!("done-{k}")).exists()) {
        assert!(Instant::now() < deadline, "the sockets were never bound");
        std::thread::sleep(Duration::from_millis(50));
    }
    let v = vigil_path();
    let s = spawn(&[
        "nsenter",
        "-t",
        &h,
        "-n",
        "unshare",
        "--pid",
        "--fork",
        "--mount-proc",
        &v,
        "--",
        "sleep",
        "60",
    ]);
    let pid = child_running(s.0.id() as i32, &v);
    let at = loop {
        let mut unix = Command::new("nsenter");
        unix.args(["-t", &h, "-n", "cat", "/proc/net/unix"]);
        let table = common::output_limit(&mut unix, T).stdout;
        if let Some(at) = table.windows(14).position(|w| w == b"@vigil-health-") {
            break at;
        }
        assert!(Instant::now() < deadline, "vigil never listened");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(at > 4 << 20, "vigil's line is at byte {at}, not past 4 MiB");
    let out = until(pid, None, &[], 0);
    assert!(said(&out).starts_with("ready "), "{out:?}");
}
