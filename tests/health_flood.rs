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
