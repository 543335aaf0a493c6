//! `vigil check` against hostile peers: silent, dripping, flooding, garbage,
//! closing. Each must end within `--timeout` + 0.5 s, exit 1, and stay small
//! in memory (peak RSS measured by GNU time: Debian package `time`).

mod common;
#[path = "common/http_server.rs"]
mod http_server;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{output_limit, text, vigil_cmd};
use http_server::{Handler, drip, fixed, flood};

const TIMEOUT: Duration = Duration::from_secs(1);
const SLACK: Duration = Duration::from_millis(500);
/// vigil's peak RSS must stay under this whatever the peer sends (the static
/// build peaks far lower; a debug build with glibc needs a few MiB).
const PEAK_KIB: u64 = 16 * 1024;
const FIFTY_MB: usize = 50 * 1024 * 1024;

struct Run {
    code: i32,
    stdout: String,
    took: Duration,
    peak_kib: u64,
}

/// Runs `vigil check -t 1s ARGS` under /usr/bin/time for its peak RSS.
fn run_measured(args: &[&str]) -> Run {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "/usr/bin/time is needed to measure peak RSS: apt-get install time"
    );
    let rss_file = std::env::temp_dir().join(format!(
        "vigil-rss-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::SeqCst)
    ));
    let mut cmd = Command::new(time);
    cmd.args(["-f", "%M", "-o"])
        .arg(&rss_file)
        .arg(common::vigil())
        .args(["check", "-t", "1s"])
        .args(args);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("VIGIL_") && k != "VIGIL_BIN" {
            cmd.env_remove(k);
        }
    }
    let start = Instant::now();
    let out = common::output_limit(&mut cmd, Duration::from_secs(10));
    let took = start.elapsed();
    let rss = std::fs::read_to_string(&rss_file).unwrap_or_default();
    let _ = std::fs::remove_file(&rss_file);
    let peak_kib = rss
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RSS from time: {rss:?}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: common::text(&out.stdout),
        took,
        peak_kib,
    }
}

/// Probes a peer served by `handler` and checks the three promises.
fn hostile(handler: Handler, extra: &[&str], expect: &str) {
    let (addr, _) = http_server::tcp("127.0.0.1", handler);
    let target = format!("http://{addr}/");
    let mut args = extra.to_vec();
    args.push(&target);
    let run = run_measured(&args);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.took < TIMEOUT + SLACK,
        "took {:?}: {}",
        run.took,
        run.stdout
    );
    assert!(run.peak_kib < PEAK_KIB, "peak RSS {} KiB", run.peak_kib);
    assert!(
        run.stdout.starts_with(&format!("fail {target} ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(expect),
        "want {expect:?}: {}",
        run.stdout
    );
    assert!(run.stdout.len() < 512, "{}", run.stdout);
    eprintln!("{} KiB {:?} {}", run.peak_kib, run.took, run.stdout.trim());
}

#[test]
fn accepts_and_never_answers() {
    hostile(
        Arc::new(|_, conn| http_server::wait_for_close(conn)),
        &[],
        "timed out after 1s",
    );
}

#[test]
fn drips_headers() {
    let handler: Handler = Arc::new(|_, conn| {
        let head = b"HTTP/1.1 200 OK\r\nX-Drip: ".iter().copied();
        drip(
            conn,
            head.chain(std::iter::repeat(b'a')),
            Duration::from_millis(100),
        );
    });
    hostile(handler, &[], "timed out after 1s");
}

#[test]
fn drips_a_body() {
    let handler: Handler = Arc::new(|_, conn| {
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
        drip(conn, std::iter::repeat(b'x'), Duration::from_millis(100));
    });
    hostile(handler, &["--body-contains", "ready"], "timed out after 1s");
}

#[test]
fn a_body_that_drips_past_the_deadline_fails() {
    // With nothing to search, the body was never read: this passed as healthy.
    let handler: Handler = Arc::new(|_, conn| {
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
        drip(conn, std::iter::repeat(b'x'), Duration::from_millis(200));
    });
    hostile(handler, &[], "timed out after 1s reading the body");
    let handler: Handler = Arc::new(|_, conn| {
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        let chunks = b"1\r\nx\r\n".iter().copied().cycle();
        drip(conn, chunks, Duration::from_millis(50));
    });
    hostile(handler, &[], "timed out after 1s reading the body");
}

#[test]
fn drips_a_chunked_body() {
    let handler: Handler = Arc::new(|_, conn| {
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        let chunks = b"1\r\nx\r\n".iter().copied().cycle();
        drip(conn, chunks, Duration::from_millis(50));
    });
    hostile(handler, &["--body-contains", "ready"], "timed out after 1s");
}

#[test]
fn sends_fifty_megabytes_of_header() {
    let handler: Handler = Arc::new(|_, conn| {
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nX-Big: ");
        flood(conn, FIFTY_MB, b'a');
    });
    hostile(handler, &[], "bad response");
}

#[test]
fn sends_fifty_megabytes_of_headers_lines() {
    let handler: Handler = Arc::new(|_, conn| {
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\n");
        let line = b"X-Many: yes\r\n".repeat(5000);
        for _ in 0..800 {
            if conn.write_all(&line).is_err() {
                return;
            }
        }
    });
    hostile(handler, &[], "bad response");
}

#[test]
fn sends_an_endless_body_fast() {
    let handler: Handler = Arc::new(|_, conn| {
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\n\r\n");
        flood(conn, FIFTY_MB, b'x');
    });
    hostile(handler, &["--body-contains", "ready"], "body lacks");
}

#[test]
fn sends_endless_interim_responses() {
    let handler: Handler = Arc::new(|_, conn| {
        let hint = b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n".repeat(1000);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) && conn.write_all(&hint).is_ok() {}
    });
    hostile(handler, &[], "timed out after 1s");
}

#[test]
fn sends_garbage() {
    let mut noise = Vec::with_capacity(1 << 20);
    let mut x: u32 = 0x1234_5678;
    for _ in 0..(1 << 20) {
        // xorshift: reproducible bytes that are not HTTP
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.push(x as u8);
    }
    hostile(fixed(noise), &[], "bad response");
    hostile(fixed("SSH-2.0-OpenSSH_9.2\r\n"), &[], "bad response");
}

#[test]
fn sends_a_bad_chunk_size() {
    hostile(
        fixed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n"),
        &["--body-contains", "ready"],
        "bad response",
    );
}

#[test]
fn closes_at_once() {
    // After reading the request.
    hostile(Arc::new(|_, _| {}), &[], "closed without a response");

    // Before reading anything: the request may still be in flight.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            drop(conn);
        }
    });
    let target = format!("http://{addr}/");
    let run = run_measured(&[&target]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.took < TIMEOUT + SLACK);
    assert!(
        run.stdout.contains("closed without a response") || run.stdout.contains("reset"),
        "{}",
        run.stdout
    );
}

#[test]
fn truncated_head_is_a_bad_response() {
    hostile(fixed("HTTP/1.1 200 OK\r\nContent-Le"), &[], "bad response");
}

// Fixed in eb14fa8: a unix-socket connect was not bounded by the deadline.
#[test]
fn check_unix_socket_whose_backlog_is_full_ends_at_the_deadline() {
    let path = std::env::temp_dir().join(format!("vigil-full-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let server = r#"
import socket, sys, time
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(0)
held = []
for _ in range(8):
    c = socket.socket(socket.AF_UNIX); c.setblocking(False)
    try:
        c.connect(p)
    except BlockingIOError:
        pass
    held.append(c)
print("full", flush=True)
time.sleep(30)
"#;
    let mut srv = Command::new("python3")
        .args(["-c", server])
        .arg(&path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(srv.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "full");
    let started = Instant::now();
    let out = output_limit(
        vigil_cmd()
            .args(["check", "-t", "1s", "--unix-socket"])
            .arg(&path)
            .arg("http://localhost/health"),
        Duration::from_secs(10),
    );
    let took = started.elapsed();
    let _ = srv.kill();
    let _ = srv.wait();
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("timed out"),
        "{}",
        text(&out.stdout)
    );
    assert!(took < Duration::from_millis(1500), "{took:?}");
}
