//! README "Health": a flood of `vigil health` calls (1,000 at once, entered
//! as `docker exec` enters) while signals are sent to vigil as PID 1: every
//! signal still reaches the app, each probe gets its answer. (The TERM
//! latency under such a flood is a benchmark: benches/run.)

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CALLS: usize = 1000;
const SIGNALS: usize = 500;
const T: Duration = Duration::from_secs(120);

#[test]
fn a_thousand_probes_at_once_lose_no_signal() {
    let v = common::vigil().display().to_string();
    let app = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/helpers/sigcount.py");
    let mut un = Command::new("unshare");
    un.args(["--pid", "--fork", "--mount-proc", &v, "--", "python3"])
        .arg(&app)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let mut child = un.spawn().expect("spawn vigil");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("ready"));
    let unshare = child.id();
    let pid: i32 = std::fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children"))
        .expect("children")
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("vigil's pid");

    let started = Instant::now();
    // SIGRTMIN+1 is queued, one by one: a lost one would show in the count.
    // Sent while the probes are being started and answered.
    let mut sender = Command::new("sh")
        .args([
            "-c",
            &format!(
                "i=0; while [ $i -lt {SIGNALS} ]; do kill -35 {pid}; i=$((i+1)); sleep 0.002; done"
            ),
        ])
        .spawn()
        .expect("send signals");
    let probes: Vec<_> = (0..CALLS)
        .map(|_| {
            Command::new("nsenter")
                .args(["-a", "-t", &pid.to_string(), &v, "health", "-q", "--live"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn a probe")
        })
        .collect();
    assert!(common::wait_limit(&mut sender, T).success());
    let mut failed = Vec::new();
    for mut p in probes {
        let status = common::wait_limit(&mut p, T);
        if !status.success() {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut p.stderr.take().expect("stderr"), &mut err);
            failed.push(err);
        }
    }
    let took = started.elapsed();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill")
            .success()
    );
    let counted = lines.next().and_then(Result::ok);
    assert_eq!(common::wait_limit(&mut child, T).code(), Some(0));
    assert_eq!(
        counted,
        Some(format!("counted {SIGNALS}")),
        "signals lost under the flood"
    );
    assert!(
        failed.is_empty(),
        "{} of {CALLS} probes failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(3)]
    );
    eprintln!("{CALLS} probes and {SIGNALS} signals in {took:?}");
}

// Fixed in the commit that polls the sources after a SIGIO sent with kill:
// a probe's connection that came while such a SIGIO was pending raised no
// SIGIO of its own (merged into the pending one), and vigil, forwarding that
// SIGIO, never looked at its listener: the probe failed at its 2 s deadline.
#[test]
fn a_probe_arriving_while_a_sent_sigio_is_pending_is_answered() {
    let v = common::vigil().display().to_string();
    // vigil's one wait is rt_sigtimedwait only while no source lacks SIGIO:
    // the cgroup v1 OOM eventfd would add a ppoll on the fds, which hides
    // the loss. Docker's read-only cgroup files are what this mount makes.
    let script = format!(
        "mount -o remount,bind,ro /sys/fs/cgroup/memory 2>/dev/null; \
         exec {v} -- sh -c 'trap \"\" IO; exec sleep 60'"
    );
    let mut child = Command::new("unshare")
        .args([
            "--pid",
            "--fork",
            "--mount-proc",
            "--propagation",
            "private",
        ])
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn vigil");
    let pid = common::run::namespace_init(child.id() as i32).to_string();
    let fds: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("vigil's fds")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|l| l.display().to_string())
        .collect();
    let ask = || {
        Command::new("nsenter")
            .args(["-a", "-t", &pid, &v, "health", "-q"])
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn vigil health")
    };
    let signal = |sig: &str| {
        let sent = Command::new("kill").args([sig, &pid]).status();
        assert!(sent.expect("kill").success(), "kill {sig}");
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !common::wait_limit(&mut ask(), T).success() {
        assert!(Instant::now() < deadline, "vigil never ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !fds.iter()
            .any(|l| l.contains("eventfd") || l.contains("signalfd")),
        "vigil waits in ppoll here, not the path under test: {fds:?}"
    );
    // Stopped, vigil takes nothing: the sent SIGIO is pending when the
    // probe connects.
    signal("-STOP");
    signal("-IO");
    let started = Instant::now();
    let mut probe = ask();
    std::thread::sleep(Duration::from_millis(300));
    signal("-CONT");
    let status = common::wait_limit(&mut probe, T);
    let took = started.elapsed();
    signal("-TERM");
    assert!(common::wait_limit(&mut child, T).code().is_some());
    assert!(status.success(), "the probe failed after {took:?}");
    assert!(
        took < Duration::from_millis(1500),
        "answered after {took:?}"
    );
}
