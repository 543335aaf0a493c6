//! README "Health", sd_notify: vigil as PID 1 and as a plain process, with a
//! datagram listener of the test's own (a path, and an `@abstract` name) as
//! the `NOTIFY_SOCKET` vigil was given (`--notify`: READY=1 once, STATUS= on
//! each change, STOPPING=1, WATCHDOG=1 while live, nothing without it), and
//! the static sd_notify app (tests/helpers/notify_app.c) on vigil's own
//! socket (`--ready notify`, `--watch notify`): who counts, a flood of
//! garbage, a restart. `vigil health` is asked as `docker exec` asks.

mod common;

use std::io::{BufRead, BufReader};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::notify::{Listener, notify_app};
use common::run::{Mode, command, modes_test, namespace_init};

const T: Duration = Duration::from_secs(20);

fn helper(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/helpers")
        .join(name)
        .display()
        .to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A directory of the test's own, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(what: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("vigil-notify-{what}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("mkdir");
        Dir(d)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn lines_of(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A running vigil with its stdout (PROGRAM's) and stderr read line by line.
struct Vigil {
    child: Child,
    /// vigil's pid as this test sees it.
    pid: i32,
    out: Receiver<String>,
    err: Receiver<String>,
    said: Vec<String>,
    log: Vec<String>,
}

impl Vigil {
    /// As a plain process, vigil gets a mount namespace of its own (`unshare
    /// --mount`, which execs it): `vigil health` finds the vigils of its
    /// mount namespace, and the suites' other plain vigils share the host's.
    fn start(mode: Mode, args: &[&str], env: &[(&str, &str)]) -> Vigil {
        let mut cmd = command(mode, args);
        if mode == Mode::Plain {
            let mut un = Command::new("unshare");
            un.arg("--mount")
                .arg(cmd.get_program())
                .args(cmd.get_args());
            for (k, v) in cmd.get_envs() {
                match v {
                    Some(v) => un.env(k, v),
                    None => un.env_remove(k),
                };
            }
            cmd = un;
        }
        cmd.env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        let out = lines_of(child.stdout.take().expect("stdout"));
        let err = lines_of(child.stderr.take().expect("stderr"));
        let pid = match mode {
            Mode::Plain => child.id() as i32,
            Mode::Pid1 => namespace_init(child.id() as i32),
        };
        Vigil {
            child,
            pid,
            out,
            err,
            said: Vec::new(),
            log: Vec::new(),
        }
    }

    /// Waits for PROGRAM's stdout line starting with `what`; returns it.
    fn expect(&mut self, what: &str) -> String {
        let deadline = Instant::now() + T;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.out.recv_timeout(left) {
                Ok(line) => {
                    self.said.push(line.clone());
                    if line.starts_with(what) {
                        return line;
                    }
                }
                Err(_) => {
                    let log = self.log();
                    panic!("no line {what:?}; stdout {:?}; stderr {log:?}", self.said)
                }
            }
        }
    }

    /// vigil's stderr so far.
    fn log(&mut self) -> Vec<String> {
        while let Ok(line) = self.err.try_recv() {
            self.log.push(line);
        }
        self.log.clone()
    }

    /// `vigil health` asked from vigil's namespaces (`nsenter -a`, as
    /// `docker exec` enters): its status and line.
    fn health(&self) -> (i32, String) {
        let mut cmd = Command::new("nsenter");
        cmd.args(["-a", "-t", &self.pid.to_string()])
            .arg(common::vigil())
            .arg("health");
        let out = common::output_limit(&mut cmd, T);
        (out.status.code().unwrap_or(-1), common::text(&out.stdout))
    }

    /// Asks until `vigil health` exits `rc`; returns the line.
    fn health_until(&mut self, rc: i32) -> String {
        let deadline = Instant::now() + T;
        loop {
            let (got, line) = self.health();
            if got == rc {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "vigil health never {rc}: {line}; {:?}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid.to_string()])
            .status()
            .expect("kill");
        assert!(ok.success(), "kill -{sig} {}", self.pid);
    }

    /// Waits for vigil's exit; its status and stderr.
    fn wait(&mut self) -> (Option<i32>, Vec<String>) {
        let status = common::wait_limit(&mut self.child, T);
        let deadline = Instant::now() + Duration::from_secs(2);
        while let Ok(line) = self
            .err
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.log.push(line);
        }
        (status.code(), self.log.clone())
    }
}

/// A failed test stops vigil with SIGTERM, so it stops its tree (a SIGKILLed
/// plain vigil would leave PROGRAM behind, and killing `unshare` leaves the
/// PID namespace running); SIGKILL only if it does not exit.
impl Drop for Vigil {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill")
            .args(["-KILL", &self.pid.to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- --notify: what vigil tells the NOTIFY_SOCKET it was given ----

modes_test!(
    ready_1_once_only_when_readiness_holds_status_on_each_change_stopping_1_at_term,
    |mode| {
        let dir = Dir::new(&format!("send-{mode:?}"));
        let mut listener = Listener::at_path(&dir.0);
        let port = free_port();
        let sick = dir.file("sick");
        let target = format!("http://127.0.0.1:{port}/health");
        let app = helper("health_app.py");
        let (port_arg, sick_arg) = (format!("--port={port}"), format!("--sick-if={sick}"));
        let mut v = Vigil::start(
            mode,
            &[
                "--notify",
                "--ready",
                &target,
                "--ready-interval",
                "200ms",
                "--ready-retries",
                "1",
                "--",
                "python3",
                &app,
                &port_arg,
                "--after=1.5",
                &sick_arg,
            ],
            &[("NOTIFY_SOCKET", &listener.address)],
        );
        v.expect("app serving");
        let serving = Instant::now();
        let ready = listener.expect("READY=1", T);
        assert!(
            ready.at >= serving,
            "READY=1 before the app served: {:?}",
            listener.texts()
        );
        assert!(
            ready.text.starts_with("READY=1\nSTATUS=ready after "),
            "{:?}",
            ready.text
        );
        // Unready and ready again: a STATUS= each, no second READY=1.
        std::fs::write(&sick, "").expect("make the app sick");
        let unready = listener.expect("STATUS=unready: *", T);
        let want = format!("STATUS=unready: fail {target} 503 Service Unavailable ");
        assert!(unready.text.starts_with(&want), "{:?}", unready.text);
        std::fs::remove_file(&sick).expect("make the app well");
        listener.expect("STATUS=ready again after *", T);
        v.signal("TERM");
        let stopping = listener.expect("STOPPING=1", T);
        assert_eq!(stopping.text, "STOPPING=1\nSTATUS=stopping");
        let (code, log) = v.wait();
        assert_eq!(code, Some(0), "{log:?}");
        listener.during(Duration::from_millis(200));
        assert_eq!(listener.count("READY=1"), 1, "{:?}", listener.texts());
        assert_eq!(listener.count("STOPPING=1"), 1, "{:?}", listener.texts());
        assert_eq!(
            listener
                .texts()
                .iter()
                .filter_map(|t| t.lines().find_map(|l| l.strip_prefix("STATUS=")))
                .map(|s| s.split([' ', ':']).next().unwrap_or_default().to_string())
                .collect::<Vec<_>>(),
            ["ready", "unready", "ready", "stopping"]
        );
    }
);

modes_test!(
    an_abstract_notify_socket_gets_the_same_and_the_child_sees_no_notify_socket,
    |mode| {
        let mut listener = Listener::abstract_named(&format!("abs-{mode:?}"));
        let mut v = Vigil::start(
            mode,
            &[
                "--notify",
                "--",
                notify_app().to_str().expect("utf-8"),
                "env",
                "wait",
            ],
            &[
                ("NOTIFY_SOCKET", &listener.address),
                ("WATCHDOG_USEC", "2000000"),
            ],
        );
        assert_eq!(v.expect("NOTIFY_SOCKET="), "NOTIFY_SOCKET=(unset)");
        assert_eq!(v.expect("WATCHDOG_USEC="), "WATCHDOG_USEC=(unset)");
        let ready = listener.expect("READY=1", T);
        assert_eq!(ready.text, "READY=1\nSTATUS=ready after 0.00s");
        v.signal("TERM");
        listener.expect("STOPPING=1", T);
        assert_eq!(v.wait().0, Some(0));
    }
);

/// vigil's WATCHDOG=1 times among `got`.
fn keepalives(got: &[common::notify::Datagram]) -> Vec<Instant> {
    got.iter()
        .filter(|d| d.text == "WATCHDOG=1")
        .map(|d| d.at)
        .collect()
}

modes_test!(
    watchdog_1_every_half_watchdog_usec_and_none_while_unhealthy,
    |mode| {
        let mut listener = Listener::abstract_named(&format!("wd-{mode:?}"));
        let dead = format!("tcp://127.0.0.1:{}", free_port());
        // PROGRAM ignores SIGTERM: vigil stays unhealthy for the grace period.
        let mut v = Vigil::start(
            mode,
            &[
                "--notify",
                "--watch",
                &dead,
                "--watch-interval",
                "3s",
                "--watch-retries",
                "1",
                "--grace",
                "2s",
                "--",
                "sh",
                "-c",
                "trap '' TERM; echo up; while :; do sleep 1; done",
            ],
            &[
                ("NOTIFY_SOCKET", &listener.address),
                ("WATCHDOG_USEC", "400000"),
            ],
        );
        v.expect("up");
        let fired = listener.expect("STATUS=unhealthy: --watch failed", Duration::from_secs(10));
        let (code, log) = v.wait();
        assert_eq!(code, Some(75), "{log:?}");
        listener.during(Duration::from_millis(100));
        let got = listener.got.clone();
        let live: Vec<Instant> = keepalives(&got)
            .into_iter()
            .filter(|&at| at < fired.at)
            .collect();
        let late: Vec<Instant> = keepalives(&got)
            .into_iter()
            .filter(|&at| at > fired.at)
            .collect();
        assert!(late.is_empty(), "{} WATCHDOG=1 while unhealthy", late.len());
        let gaps: Vec<f64> = live
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64() * 1000.0)
            .collect();
        assert!(
            gaps.len() >= 10,
            "only {} keep-alives in 3s: {gaps:?}",
            live.len()
        );
        let mut sorted = gaps.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        println!(
            "MEASURED {mode:?} WATCHDOG_USEC=400000: {} keep-alives, gaps min {:.1} ms, median {median:.1} ms, max {:.1} ms",
            live.len(),
            sorted[0],
            sorted[sorted.len() - 1]
        );
        assert!(
            (160.0..=240.0).contains(&median),
            "median gap {median:.1} ms, not 200 ms ±20%: {gaps:?}"
        );
    }
);

modes_test!(
    without_notify_nothing_is_sent_and_the_child_sees_notify_socket,
    |mode| {
        let mut listener = Listener::abstract_named(&format!("off-{mode:?}"));
        let mut v = Vigil::start(
            mode,
            &["--", notify_app().to_str().expect("utf-8"), "env", "wait"],
            &[
                ("NOTIFY_SOCKET", &listener.address),
                ("WATCHDOG_USEC", "200000"),
            ],
        );
        assert_eq!(
            v.expect("NOTIFY_SOCKET="),
            format!("NOTIFY_SOCKET={}", listener.address)
        );
        assert_eq!(v.expect("WATCHDOG_USEC="), "WATCHDOG_USEC=200000");
        let quiet = listener.during(Duration::from_millis(800));
        v.signal("TERM");
        assert_eq!(v.wait().0, Some(0));
        assert!(
            quiet.is_empty() && listener.texts().is_empty(),
            "{:?}",
            listener.texts()
        );
    }
);

#[test]
fn notify_without_a_socket_is_a_debug_line_and_a_missing_one_one_warning() {
    let argv = ["--notify", "--", "sh", "-c", "sleep 1.5"];
    let mut v = Vigil::start(Mode::Plain, &argv, &[("VIGIL_LOG", "debug")]);
    let (code, log) = v.wait();
    assert_eq!(code, Some(0));
    let notify: Vec<&String> = log.iter().filter(|l| l.contains("NOTIFY_SOCKET")).collect();
    assert_eq!(
        notify,
        ["vigil: --notify: no NOTIFY_SOCKET, so no sd_notify messages"],
        "{log:?}"
    );
    // A receiver that is not there: one warning for READY=1, every
    // WATCHDOG=1 (each 50 ms) and STOPPING=1, and vigil goes on.
    let gone = "/nonexistent/vigil-notify.sock";
    let mut v = Vigil::start(
        Mode::Plain,
        &argv,
        &[("NOTIFY_SOCKET", gone), ("WATCHDOG_USEC", "100000")],
    );
    let (code, log) = v.wait();
    assert_eq!(code, Some(0));
    assert_eq!(
        common::without_health_lines(&log.join("\n"))
            .lines()
            .collect::<Vec<_>>(),
        [format!(
            "vigil: --notify: NOTIFY_SOCKET={gone}: No such file or directory (os error 2)"
        )]
    );
    // Not an address: one warning, nothing sent.
    let mut v = Vigil::start(Mode::Plain, &argv, &[("NOTIFY_SOCKET", "notify.sock")]);
    let (code, log) = v.wait();
    assert_eq!(code, Some(0));
    assert_eq!(
        common::without_health_lines(&log.join("\n"))
            .lines()
            .collect::<Vec<_>>(),
        ["vigil: --notify: NOTIFY_SOCKET=notify.sock: Invalid argument (os error 22)"]
    );
}

// ---- --ready notify: the app's own sd_notify makes the container ready ----

modes_test!(ready_notify_fails_health_until_the_apps_ready_1, |mode| {
    let dir = Dir::new(&format!("ready-{mode:?}"));
    let go = dir.file("go");
    let (await_go, app) = (format!("await:{go}"), notify_app().to_str().expect("utf-8"));
    let mut v = Vigil::start(
        mode,
        &[
            "--ready",
            "notify",
            "--",
            app,
            "env",
            "send:STATUS=loading",
            &await_go,
            "send:READY=1\\nSTATUS=serving",
            "wait",
        ],
        &[],
    );
    let socket = v.expect("NOTIFY_SOCKET=");
    assert!(
        socket.starts_with("NOTIFY_SOCKET=@vigil-notify-"),
        "{socket}"
    );
    assert_eq!(socket.len(), "NOTIFY_SOCKET=@vigil-notify-".len() + 32);
    assert!(
        socket[28..].bytes().all(|b| (b'a'..=b'p').contains(&b)),
        "{socket}"
    );
    v.expect("sent STATUS=loading");
    // The datagram is sent; vigil takes it at once, or very soon.
    let line = v.health_until(1);
    let deadline = Instant::now() + T;
    while !v.health().1.contains(": notify: loading;") {
        assert!(Instant::now() < deadline, "{line}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (rc, line) = v.health();
    assert_eq!(rc, 1, "{line}");
    assert!(line.starts_with("starting "), "{line}");
    std::fs::write(&go, "").expect("touch go");
    v.expect("sent READY=1");
    let line = v.health_until(0);
    assert!(
        line.starts_with("ready ") && line.contains(": notify: serving;"),
        "{line}"
    );
    v.signal("TERM");
    assert_eq!(v.wait().0, Some(0));
});

/// Sends `text` to the abstract `@name` of `socket` (a NOTIFY_SOCKET line).
fn send_to(socket: &str, text: &[u8]) {
    let name = socket
        .strip_prefix("NOTIFY_SOCKET=@")
        .expect("an abstract name");
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).expect("address");
    let s = UnixDatagram::unbound().expect("socket");
    s.send_to_addr(text, &addr).expect("send");
}

modes_test!(only_programs_tree_counts_a_stranger_is_ignored, |mode| {
    let dir = Dir::new(&format!("tree-{mode:?}"));
    let go = dir.file("go");
    let await_go = format!("await:{go}");
    let mut v = Vigil::start(
        mode,
        &[
            "--ready",
            "notify",
            "--",
            notify_app().to_str().expect("utf-8"),
            "env",
            &await_go,
            "child",
            "send:READY=1",
            "wait",
        ],
        &[("VIGIL_LOG", "debug")],
    );
    let socket = v.expect("NOTIFY_SOCKET=");
    // This test's process is outside PROGRAM's tree (and, for vigil as PID 1,
    // outside its PID namespace: pid 0).
    send_to(&socket, b"READY=1");
    let stranger = if mode == Mode::Pid1 {
        0
    } else {
        std::process::id()
    };
    let dropped = format!(
        "vigil: sd_notify message from pid {stranger} dropped: not from PROGRAM or below it"
    );
    let deadline = Instant::now() + T;
    while !v.log().contains(&dropped) {
        assert!(Instant::now() < deadline, "no {dropped:?} in {:?}", v.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(v.health().0, 1, "a stranger's READY=1 made it ready");
    // PROGRAM's child sends it: that counts.
    std::fs::write(&go, "").expect("touch go");
    v.expect("child ");
    v.expect("sent READY=1");
    v.health_until(0);
    v.signal("TERM");
    assert_eq!(v.wait().0, Some(0));
});

fn vm_rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .expect("VmRSS")
}

fn open_fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fds")
        .count()
}

/// How long vigil takes from SIGTERM to its exit, PROGRAM exiting at once.
fn term_latency(v: &mut Vigil) -> Duration {
    let sent = Instant::now();
    v.signal("TERM");
    assert_eq!(v.wait().0, Some(0));
    sent.elapsed()
}

/// Sends argv[2] datagrams of garbage of every kind to NOTIFY_SOCKET=@NAME
/// (argv[1]): bytes, keys, 4 KiB and 64 KiB datagrams, fds passed along
/// (SCM_RIGHTS); waits when vigil's queue is full.
const FLOOD: &str = r#"
import array, os, select, socket, sys
addr = "\0" + sys.argv[1].split("=@", 1)[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setblocking(False)
r = os.open("/dev/null", os.O_RDONLY)
fds = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r, r, r]))]
kinds = [os.urandom(64), b"READY=1", b"STATUS=" + b"x" * 4000, b"y" * 65536, b"\0\n\0"]
sent = 0
while sent < int(sys.argv[2]):
    try:
        if sent % 7 == 0:
            s.sendmsg([b"FDSTORE=1"], fds, 0, addr)
        else:
            s.sendto(kinds[sent % len(kinds)], addr)
        sent += 1
    except BlockingIOError:
        select.select([], [s], [], 0.01)
print(sent)
"#;

#[test]
fn ten_thousand_garbage_datagrams_leave_rss_and_term_latency_unchanged() {
    let app = notify_app().to_str().expect("utf-8");
    let argv = [
        "--ready",
        "notify",
        "--",
        app,
        "env",
        "send:READY=1",
        "wait",
    ];
    // The latency without a flood, for comparison.
    let mut calm = Vigil::start(Mode::Pid1, &argv, &[]);
    calm.expect("sent READY=1");
    let calm_latency = term_latency(&mut calm);

    let mut v = Vigil::start(Mode::Pid1, &argv, &[]);
    let socket = v.expect("NOTIFY_SOCKET=");
    v.expect("sent READY=1");
    v.health_until(0);
    let (rss, fds) = (vm_rss_kib(v.pid), open_fds(v.pid));
    let started = Instant::now();
    let out: Output = common::output_limit(
        Command::new("python3").args(["-c", FLOOD, &socket, "10000"]),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let took = started.elapsed();
    std::thread::sleep(Duration::from_millis(200));
    let (rss_after, fds_after) = (vm_rss_kib(v.pid), open_fds(v.pid));
    assert_eq!(v.health().0, 0, "the flood changed vigil's state");
    let after_latency = term_latency(&mut v);
    // And a SIGTERM in the middle of a flood.
    let mut v = Vigil::start(Mode::Pid1, &argv, &[]);
    let socket = v.expect("NOTIFY_SOCKET=");
    v.expect("sent READY=1");
    let mut flooding = Command::new("python3")
        .args(["-c", FLOOD, &socket, "1000000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("flood");
    std::thread::sleep(Duration::from_millis(300));
    let during_latency = term_latency(&mut v);
    let _ = flooding.kill();
    let _ = flooding.wait();
    println!(
        "MEASURED 10,000 garbage datagrams in {took:?}: VmRSS {rss} -> {rss_after} KiB, fds {fds} -> {fds_after}; SIGTERM to exit {calm_latency:?} calm, {after_latency:?} after the flood, {during_latency:?} during one"
    );
    assert!(rss_after <= rss + 64, "VmRSS grew {rss} -> {rss_after} KiB");
    assert_eq!(fds_after, fds, "passed fds were installed");
}

modes_test!(after_a_restart_readiness_waits_for_a_new_ready_1, |mode| {
    let dir = Dir::new(&format!("restart-{mode:?}"));
    let (once, app) = (dir.file("once"), notify_app().to_str().expect("utf-8"));
    // The first run is ready at once and exits 1; the second is ready 1.5 s
    // after its start.
    let script = format!(
        "if [ -e {once} ]; then exec {app} sleep:1.5 send:READY=1 wait; else touch {once}; exec {app} send:READY=1 sleep:0.5 exit:1; fi"
    );
    let mut v = Vigil::start(
        mode,
        &[
            "--ready",
            "notify",
            "--restart",
            "always",
            "--",
            "sh",
            "-c",
            &script,
        ],
        &[],
    );
    v.expect("sent READY=1");
    v.health_until(0);
    // Until the second run's READY=1, vigil is not ready.
    let mut seen = Vec::new();
    loop {
        let (rc, line) = v.health();
        if let Ok(said) = v.out.try_recv() {
            v.said.push(said);
            break;
        }
        if rc == 0 && seen.len() > 2 {
            panic!("ready before the restarted app's READY=1: {seen:?}");
        }
        if rc != 0 {
            seen.push(line);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        seen.iter()
            .any(|l| l.starts_with("unready ") && l.contains("notify: no READY yet")),
        "{seen:?}"
    );
    assert_eq!(v.said.last().map(String::as_str), Some("sent READY=1"));
    let line = v.health_until(0);
    assert!(line.contains("1 restarts"), "{line}");
    v.signal("TERM");
    assert_eq!(v.wait().0, Some(0));
});

// ---- --watch notify: the app's keep-alives ----

modes_test!(watch_notify_fires_when_the_apps_watchdog_1_stop, |mode| {
    let dir = Dir::new(&format!("watch-{mode:?}"));
    let quiet = dir.file("quiet");
    let (quiet_arg, app) = (
        format!("quiet:{quiet}"),
        notify_app().to_str().expect("utf-8"),
    );
    let mut v = Vigil::start(
        mode,
        &[
            "--watch",
            "notify",
            "--watch-interval",
            "1s",
            "--watch-retries",
            "2",
            "--",
            app,
            "env",
            &quiet_arg,
            "keepalive:300",
            "wait",
        ],
        &[],
    );
    assert_eq!(v.expect("WATCHDOG_USEC="), "WATCHDOG_USEC=1000000");
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        v.child.try_wait().expect("try_wait").is_none(),
        "{:?}",
        v.log()
    );
    std::fs::write(&quiet, "").expect("silence the app");
    let (code, log) = v.wait();
    assert_eq!(code, Some(75), "{log:?}");
    assert!(
        log.contains(&"vigil: --watch notify: 2 failures, last: no WATCHDOG=1 within --watch-interval; stopping the child".to_string()),
        "{log:?}"
    );
});
