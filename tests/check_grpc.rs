//! `vigil check grpc://` and `grpcs://` against real gRPC servers (grpcio with
//! grpcio-health-checking, grpclib: from PyPI into target/grpc-venv, installed
//! by scripts/test), hostile HTTP/2 peers written here on raw sockets, and
//! grpc_health_probe 1.0.1 (crates.io) as a differential peer. Loopback only.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use common::run::{command, modes_test, start, start_cmd};
use common::{output_limit, text, vigil_cmd};

const T: Duration = Duration::from_secs(20);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv's python: `$VIGIL_GRPC_PYTHON`, else target/grpc-venv.
/// Missing is a failure, never a skip.
fn python() -> PathBuf {
    let p = std::env::var_os("VIGIL_GRPC_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/grpc-venv/bin/python"));
    assert!(
        p.exists(),
        "{} missing: run scripts/test, or python3 -m venv target/grpc-venv && \
         target/grpc-venv/bin/pip install grpcio grpcio-health-checking grpclib",
        p.display()
    );
    p
}

/// A gRPC server from tests/helpers/grpc_server.py, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(python())
            .arg(root().join("tests/helpers/grpc_server.py"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the gRPC server helper");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(out).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(T).unwrap_or_default();
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("gRPC server {args:?} did not start: {line:?}")
        });
        Server { child, port }
    }

    fn url(&self, service: &str) -> String {
        format!("grpc://127.0.0.1:{}{service}", self.port)
    }
}

fn check(args: &[&str]) -> Output {
    let mut cmd = vigil_cmd();
    cmd.arg("check").args(args);
    output_limit(&mut cmd, T)
}

/// Runs `vigil check ARGS` and returns (exit code, stdout).
fn verdict(args: &[&str]) -> (i32, String) {
    let out = check(args);
    (out.status.code().unwrap_or(-1), text(&out.stdout))
}

fn assert_line(args: &[&str], code: i32, start: &str) {
    let (got, out) = verdict(args);
    assert_eq!(got, code, "{args:?}: {out}");
    assert!(out.starts_with(start), "{args:?}: {out:?} lacks {start:?}");
    assert!(out.trim_end().ends_with("ms"), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
}

/// SERVING, NOT_SERVING, an unknown service and dotted names, as the issue lists.
fn serving_statuses(server: &Server) {
    let u = |s| server.url(s);
    assert_line(&[&u("")], 0, &format!("ok {} SERVING ", u("")));
    assert_line(&[&u("/")], 0, &format!("ok {} SERVING ", u("/")));
    let orders = u("/my.pkg.Orders");
    assert_line(&[&orders], 0, &format!("ok {orders} SERVING "));
    let down = u("/my.pkg.Down");
    assert_line(&[&down], 1, &format!("fail {down} NOT_SERVING "));
    let nope = u("/my.pkg.Nope");
    assert_line(&[&nope], 1, &format!("fail {nope} grpc-status 5 NOT_FOUND"));
}

#[test]
fn grpcio_serving_not_serving_and_unknown_services() {
    serving_statuses(&Server::start(&["grpcio"]));
}

#[test]
fn grpclib_serving_not_serving_and_unknown_services() {
    // grpclib Huffman-codes its headers and answers Trailers-Only for NOT_FOUND.
    serving_statuses(&Server::start(&["grpclib"]));
}

#[test]
fn a_server_without_the_health_service_is_unimplemented() {
    let s = Server::start(&["grpcio-bare"]);
    let url = s.url("");
    assert_line(
        &[&url],
        1,
        &format!("fail {url} grpc-status 12 UNIMPLEMENTED"),
    );
}

#[test]
fn grpc_mixes_with_other_targets_under_one_deadline() {
    let s = Server::start(&["grpcio"]);
    let tcp = format!("tcp://127.0.0.1:{}", s.port);
    let (code, out) = verdict(&["-t", "3s", &s.url(""), &tcp, &s.url("/my.pkg.Down")]);
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("ok grpc://") && lines[0].contains(" SERVING "),
        "{out}"
    );
    assert!(lines[1].starts_with("ok tcp://"), "{out}");
    assert!(lines[2].contains(" NOT_SERVING "), "{out}");
}

#[test]
fn variables_expand_in_grpc_targets() {
    let s = Server::start(&["grpcio"]);
    let mut cmd = vigil_cmd();
    cmd.args([
        "check",
        "grpc://127.0.0.1:${GRPC_PORT}/${SVC:-my.pkg.Orders}",
    ])
    .env("GRPC_PORT", s.port.to_string())
    .env_remove("SVC");
    let out = output_limit(&mut cmd, T);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let line = text(&out.stdout);
    assert!(
        line.starts_with(&format!("ok {} SERVING", s.url("/my.pkg.Orders"))),
        "{line}"
    );
}

#[test]
fn unix_socket_with_grpcio() {
    let dir = std::env::temp_dir().join(format!("vigil-grpc-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("grpc.sock");
    let _s = Server::start(&["grpcio-unix", sock.to_str().unwrap()]);
    let sock_arg = sock.to_str().unwrap();
    assert_line(
        &[
            "--unix-socket",
            sock_arg,
            "grpc://app.internal:50051/my.pkg.Orders",
        ],
        0,
        "ok grpc://app.internal:50051/my.pkg.Orders SERVING ",
    );
    assert_line(
        &[
            "--unix-socket",
            sock_arg,
            "grpc://app.internal:50051/my.pkg.Down",
        ],
        1,
        "fail grpc://app.internal:50051/my.pkg.Down NOT_SERVING ",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_grpc_targets_are_usage_errors() {
    for bad in ["grpc://127.0.0.1", "grpc://h:1/a/b", "grpc://h:1/svc?x"] {
        let out = check(&[bad]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        let err = text(&out.stderr);
        assert!(
            err.contains(bad) && err.lines().count() == 1,
            "{bad}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
}

// ---- raw HTTP/2 peers ------------------------------------------------------

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    f.extend([kind, flags]);
    f.extend(stream.to_be_bytes());
    f.extend(payload);
    f
}

fn settings() -> Vec<u8> {
    frame(4, 0, 0, &[0, 3, 0, 0, 0, 100])
}

/// A plain literal header field with a new name.
fn lit(name: &str, value: &str) -> Vec<u8> {
    let mut b = vec![0, name.len() as u8];
    b.extend(name.as_bytes());
    b.push(value.len() as u8);
    b.extend(value.as_bytes());
    b
}

/// A well-formed SERVING answer on stream 1.
fn serving_answer() -> Vec<u8> {
    let mut b = settings();
    let mut h = vec![0x88];
    h.extend(lit("content-type", "application/grpc"));
    b.extend(frame(1, 4, 1, &h));
    b.extend(frame(0, 0, 1, &[0, 0, 0, 0, 2, 8, 1]));
    b.extend(frame(1, 5, 1, &lit("grpc-status", "0")));
    b
}

type Peer = Arc<dyn Fn(&mut TcpStream) + Send + Sync>;

/// A loopback server running `peer` on every connection (after reading the
/// client's first bytes); returns its address and the bytes each client sent first.
fn raw_server(peer: Peer) -> (SocketAddr, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let (peer, seen) = (peer.clone(), seen2.clone());
            std::thread::spawn(move || {
                let _ = conn.set_read_timeout(Some(Duration::from_millis(300)));
                let mut first = vec![0; 64 * 1024];
                let n = conn.read(&mut first).unwrap_or(0);
                first.truncate(n);
                seen.lock().unwrap().push(first);
                let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
                peer(&mut conn);
                // Keep the connection open until the client goes.
                let mut sink = [0; 4096];
                while matches!(conn.read(&mut sink), Ok(n) if n > 0) {}
            });
        }
    });
    (addr, seen)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `grpc://:PORT` is 127.0.0.1, as grpc_health_probe's `-addr=:PORT`.
#[test]
fn a_port_without_a_host_is_loopback() {
    let (addr, seen) = raw_server(Arc::new(|c: &mut TcpStream| {
        let _ = c.write_all(&serving_answer());
    }));
    let url = format!("grpc://:{}", addr.port());
    let out = output_limit(vigil_cmd().args(["check", "-t", "2s", &url]), T);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).starts_with(&format!("ok {url} ")));
    let first = seen.lock().unwrap()[0].clone();
    assert!(contains(
        &first,
        format!("127.0.0.1:{}", addr.port()).as_bytes()
    ));
}

#[test]
fn the_request_carries_metadata_timeout_and_authority_in_one_write() {
    let (addr, seen) = raw_server(Arc::new(|c: &mut TcpStream| {
        let _ = c.write_all(&serving_answer());
    }));
    let url = format!("grpc://{addr}/my.pkg.Orders");
    let mut cmd = vigil_cmd();
    cmd.args([
        "check",
        "-t",
        "2s",
        "-H",
        "Authorization: Bearer ${TOKEN}",
        &url,
    ])
    .env("TOKEN", "s3cret");
    let out = output_limit(&mut cmd, T);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let first = seen.lock().unwrap()[0].clone();
    assert!(first.starts_with(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    let authority = lit(":authority", &addr.to_string());
    for part in [
        &b"\x0dauthorization\x0dBearer s3cret"[..],
        &authority,
        b"\x02te\x08trailers",
        b"/grpc.health.v1.Health/Check",
        b"\x0a\x0dmy.pkg.Orders",
    ] {
        assert!(
            contains(&first, part),
            "{:?} lacks {:?}",
            text(&first),
            text(part)
        );
    }
    // grpc-timeout is what is left of the 2 s deadline, in milliseconds.
    let at = first
        .windows(12)
        .position(|w| w == b"grpc-timeout")
        .unwrap();
    let len = usize::from(first[at + 12]);
    let value = text(&first[at + 13..at + 13 + len]);
    let ms: u64 = value.strip_suffix('m').unwrap().parse().unwrap();
    assert!((1000..=2000).contains(&ms), "{value}");
    assert!(first.len() < 320, "{}", first.len());
}

struct Run {
    code: i32,
    stdout: String,
    took: Duration,
    peak_kib: u64,
}

const TIMEOUT: Duration = Duration::from_secs(1);
const SLACK: Duration = Duration::from_millis(500);
/// As in check_hostile.rs: the static build peaks far lower.
const PEAK_KIB: u64 = 16 * 1024;

/// Runs `vigil check -t 1s ARGS` under GNU time for its peak RSS (VmHWM).
fn run_measured(args: &[&str]) -> Run {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "/usr/bin/time is needed: apt-get install time"
    );
    let rss_file = std::env::temp_dir().join(format!(
        "vigil-grpc-rss-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::SeqCst)
    ));
    let mut cmd = Command::new(time);
    cmd.args(["-f", "%M", "-o"])
        .arg(&rss_file)
        .arg(common::vigil())
        .args(["check", "-t", "1s"])
        .args(args);
    let start = Instant::now();
    let out = output_limit(&mut cmd, Duration::from_secs(10));
    let took = start.elapsed();
    let rss = std::fs::read_to_string(&rss_file).unwrap_or_default();
    let _ = std::fs::remove_file(&rss_file);
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: text(&out.stdout),
        took,
        peak_kib: rss
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("no RSS from time: {rss:?}")),
    }
}

/// Probes a raw peer and checks the three promises: exit 1 with `expect` in
/// the line, within the timeout and half a second, in bounded memory.
fn hostile(peer: Peer, expect: &str) {
    let (addr, _) = raw_server(peer);
    let run = run_measured(&[&format!("grpc://{addr}")]);
    eprintln!("{expect}: {:?}, peak RSS {} KiB", run.took, run.peak_kib);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(expect),
        "{:?} lacks {expect:?}",
        run.stdout
    );
    assert!(run.took < TIMEOUT + SLACK, "took {:?}", run.took);
    assert!(run.peak_kib < PEAK_KIB, "peak RSS {} KiB", run.peak_kib);
}

#[test]
fn hostile_never_sends_settings() {
    hostile(
        Arc::new(|_: &mut TcpStream| std::thread::sleep(Duration::from_secs(3))),
        "timed out",
    );
}

#[test]
fn hostile_drips_a_byte_a_second() {
    hostile(
        Arc::new(|c: &mut TcpStream| {
            for b in serving_answer() {
                if c.write_all(&[b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }),
        "timed out",
    );
}

#[test]
fn hostile_endless_pings() {
    hostile(
        Arc::new(|c: &mut TcpStream| {
            let _ = c.write_all(&settings());
            let mut pings = Vec::new();
            for _ in 0..1000 {
                pings.extend(frame(6, 0, 0, b"pingping"));
            }
            let end = Instant::now() + Duration::from_secs(3);
            while Instant::now() < end && c.write_all(&pings).is_ok() {}
        }),
        "timed out",
    );
}

#[test]
fn hostile_16_mb_frame() {
    hostile(
        Arc::new(|c: &mut TcpStream| {
            let mut b = settings();
            b.extend(frame(0, 0, 1, &vec![0; 16 * 1024 * 1024 - 1]));
            let _ = c.write_all(&b);
        }),
        "protocol error (frame over 16 KiB)",
    );
}

#[test]
fn hostile_dynamic_table_reference() {
    hostile(
        Arc::new(|c: &mut TcpStream| {
            let mut b = settings();
            b.extend(frame(1, 4, 1, &[0x88, 0xbe]));
            let _ = c.write_all(&b);
        }),
        "protocol error (dynamic table reference)",
    );
}

#[test]
fn hostile_goaway() {
    hostile(
        Arc::new(|c: &mut TcpStream| {
            let mut b = settings();
            b.extend(frame(7, 0, 0, &[0, 0, 0, 0, 0, 0, 0, 2]));
            let _ = c.write_all(&b);
        }),
        "GOAWAY (INTERNAL_ERROR)",
    );
}

/// GOAWAY(NO_ERROR) with this last-stream-id, as a drain sends it.
fn goaway_no_error(last: u32) -> Vec<u8> {
    let mut payload = last.to_be_bytes().to_vec();
    payload.extend([0, 0, 0, 0]);
    frame(7, 0, 0, &payload)
}

#[test]
fn a_goaway_no_error_covering_stream_1_failed_a_serving_answer() {
    // Fixed in 7f3a973: a GOAWAY whose last-stream-id covers stream 1 lets the answer come.
    // A graceful shutdown's two GOAWAYs (2^31-1, then 1: Go's Server.Shutdown,
    // grpc core), or one with last-stream-id 1 (Envoy's
    // max_requests_per_connection: 1, nginx http2_max_requests), then SERVING.
    for goaways in [vec![0x7fff_ffff, 1], vec![1], vec![0x7fff_ffff]] {
        let peer_goaways = goaways.clone();
        let (addr, _) = raw_server(Arc::new(move |c: &mut TcpStream| {
            let mut b = settings();
            for last in &peer_goaways {
                b.extend(goaway_no_error(*last));
            }
            b.extend(&serving_answer()[15..]);
            let _ = c.write_all(&b);
            let _ = c.shutdown(std::net::Shutdown::Both);
        }));
        let url = format!("grpc://{addr}");
        let (code, out) = verdict(&["-t", "5s", &url]);
        assert_eq!(code, 0, "GOAWAYs {goaways:x?}: {out}");
        assert!(out.starts_with(&format!("ok {url} SERVING ")), "{out}");
    }
    // A close before the answer reports the GOAWAY, at once (not a timeout).
    let (addr, _) = raw_server(Arc::new(|c: &mut TcpStream| {
        let mut b = settings();
        b.extend(goaway_no_error(1));
        let _ = c.write_all(&b);
        let _ = c.shutdown(std::net::Shutdown::Both);
    }));
    let url = format!("grpc://{addr}");
    assert_line(
        &["-t", "5s", &url],
        1,
        &format!("fail {url} GOAWAY (NO_ERROR) "),
    );
}

#[test]
fn grpcios_graceful_shutdown_failed_a_serving_probe() {
    // Fixed in 7f3a973: a GOAWAY whose last-stream-id covers stream 1 lets the answer come.
    // The Check starts server.stop(grace): both GOAWAYs arrive before the
    // answer. grpc_health_probe, the differential peer, says SERVING too.
    let s = Server::start(&["grpcio-drain"]);
    let url = s.url("");
    assert_line(&["-t", "5s", &url], 0, &format!("ok {url} SERVING "));
    let s = Server::start(&["grpcio-drain"]);
    let mut theirs = Command::new(grpc_health_probe())
        .args(["--addr", &format!("http://127.0.0.1:{}", s.port)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run grpc_health_probe");
    assert_eq!(common::wait_limit(&mut theirs, T).code(), Some(0));
}

#[test]
fn hostile_stream_reset() {
    hostile(
        Arc::new(|c: &mut TcpStream| {
            let mut b = settings();
            b.extend(frame(3, 0, 1, &[0, 0, 0, 7]));
            let _ = c.write_all(&b);
        }),
        "stream reset (REFUSED_STREAM)",
    );
}

#[test]
fn hostile_http_1_answer() {
    hostile(
        Arc::new(|c: &mut TcpStream| {
            let _ = c.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }),
        "not a gRPC endpoint (HTTP/1 answer)",
    );
}

#[test]
fn hostile_garbage_hpack() {
    hostile(
        Arc::new(|c: &mut TcpStream| {
            let mut b = settings();
            b.extend(frame(
                1,
                4,
                1,
                &[0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x41],
            ));
            let _ = c.write_all(&b);
        }),
        "protocol error (integer too large)",
    );
}

#[test]
fn hostile_bad_huffman_string() {
    hostile(
        Arc::new(|c: &mut TcpStream| {
            let mut b = settings();
            // A Huffman name "0" whose padding is zeros, not EOS's ones.
            b.extend(frame(1, 4, 1, &[0x88, 0x00, 0x81, 0x00, 0x81, 0x00]));
            let _ = c.write_all(&b);
        }),
        "protocol error (bad Huffman string)",
    );
}

#[test]
fn hostile_oversized_header_list() {
    hostile(
        Arc::new(|c: &mut TcpStream| {
            let mut b = settings();
            let field = lit("x-filler", &"v".repeat(100));
            let block: Vec<u8> = field.iter().copied().cycle().take(16 * 1024).collect();
            b.extend(frame(1, 0, 1, &block));
            for _ in 0..64 {
                b.extend(frame(9, 0, 1, &block));
            }
            let _ = c.write_all(&b);
        }),
        "protocol error (header block over 16 KiB)",
    );
}

// ---- TLS --------------------------------------------------------------------

/// A fresh self-signed certificate and key for "localhost", as PEM files.
#[cfg(feature = "tls")]
fn cert_files(dir: &Path) -> (PathBuf, PathBuf) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert.cert.pem()).unwrap();
    std::fs::write(&k, cert.key_pair.serialize_pem()).unwrap();
    (c, k)
}

#[cfg(feature = "tls")]
#[test]
fn grpcs_with_alpn_h2_against_grpcio() {
    let dir = std::env::temp_dir().join(format!("vigil-grpcs-{}", std::process::id()));
    let (c, k) = cert_files(&dir);
    let s = Server::start(&["grpcio-tls", c.to_str().unwrap(), k.to_str().unwrap()]);
    let url = |svc: &str| format!("grpcs://localhost:{}{svc}", s.port);
    assert_line(&[&url("")], 0, &format!("ok {} SERVING ", url("")));
    let down = url("/my.pkg.Down");
    assert_line(&[&down], 1, &format!("fail {down} NOT_SERVING "));
    // The same server refuses a client that offers no ALPN: https:// offers none.
    let (code, out) = verdict(&["-t", "2s", &format!("https://127.0.0.1:{}/", s.port)]);
    assert_eq!(code, 1, "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "tls")]
#[test]
fn grpcs_fails_clearly_when_the_server_does_not_select_h2() {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let _ = tls.conn.complete_io(&mut tls.sock);
            let _ = tls.write_all(b"HTTP/1.1 200 OK\r\n\r\n");
            let _ = tls.flush();
        }
    });
    let (code, out) = verdict(&["-t", "2s", &format!("grpcs://{addr}")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("server did not select ALPN h2"), "{out}");
}

#[cfg(not(feature = "tls"))]
#[test]
fn grpcs_without_tls_says_so() {
    let (code, out) = verdict(&["grpcs://127.0.0.1:1"]);
    assert_eq!(code, 1);
    assert!(out.contains("built without TLS"), "{out}");
}

// ---- grpc_health_probe 1.0.1 (crates.io) as a differential peer ------------

/// `$GRPC_HEALTH_PROBE`, else `grpc_health_probe` in cargo's bin directory
/// (scripts/test installs it there). Missing is a failure.
fn grpc_health_probe() -> PathBuf {
    let p = std::env::var_os("GRPC_HEALTH_PROBE")
        .map(PathBuf::from)
        .or_else(|| {
            let home = std::env::var_os("CARGO_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
            Some(home.join("bin/grpc_health_probe"))
        })
        .expect("neither GRPC_HEALTH_PROBE, CARGO_HOME nor HOME is set");
    assert!(
        p.exists(),
        "{} missing: cargo install grpc_health_probe --version 1.0.1 --locked \
         (scripts/test does)",
        p.display()
    );
    p
}

#[test]
fn same_verdicts_as_grpc_health_probe() {
    let peer = grpc_health_probe();
    let servers = [
        Server::start(&["grpcio"]),
        Server::start(&["grpclib"]),
        Server::start(&["grpcio-bare"]),
    ];
    let mut compared = 0;
    for s in &servers {
        for service in ["", "my.pkg.Orders", "my.pkg.Down", "my.pkg.Nope"] {
            let theirs = Command::new(&peer)
                .args(["--addr", &format!("http://127.0.0.1:{}", s.port)])
                .args(["--service", service])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("run grpc_health_probe");
            let theirs = {
                let mut child = theirs;
                common::wait_limit(&mut child, T).code()
            };
            let url = if service.is_empty() {
                s.url("")
            } else {
                s.url(&format!("/{service}"))
            };
            let (ours, out) = verdict(&[&url]);
            assert_eq!(
                ours == 0,
                theirs == Some(0),
                "{url}: vigil {ours} ({out}), grpc_health_probe {theirs:?}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 12);
}

// ---- --wait-for and --watch -------------------------------------------------

/// A grpcio server whose overall status is SERVING while `flag` exists.
fn flip_server(flag: &Path) -> Server {
    Server::start(&["flip", flag.to_str().unwrap()])
}

fn flag_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("vigil-grpc-{name}-{}", std::process::id()))
}

modes_test!(wait_for_grpc_starts_the_child_once_serving, |mode| {
    let flag = flag_path(&format!("wait-{mode:?}"));
    let _ = std::fs::remove_file(&flag);
    let s = flip_server(&flag);
    let url = s.url("");
    let begun = Instant::now();
    let mut v = start(mode, &["--wait-for", &url, "sh", "-c", "echo started"], &[]);
    std::thread::sleep(Duration::from_secs(1));
    std::fs::write(&flag, "").unwrap();
    v.expect("started", T);
    let took = begun.elapsed();
    assert!(took >= Duration::from_millis(900), "{mode:?}: {took:?}");
    assert_eq!(v.wait(T), 0, "{mode:?}");
    let _ = std::fs::remove_file(&flag);
});

modes_test!(watch_grpc_stops_the_app_once_not_serving, |mode| {
    let flag = flag_path(&format!("watch-{mode:?}"));
    std::fs::write(&flag, "").unwrap();
    let s = flip_server(&flag);
    let url = s.url("");
    let mut cmd = command(
        mode,
        &[
            "--watch",
            &url,
            "--watch-interval",
            "200ms",
            "--watch-timeout",
            "1s",
            "--watch-retries",
            "2",
            "sh",
            "-c",
            "echo ready; sleep 30",
        ],
    );
    cmd.stderr(Stdio::piped());
    let mut v = start_cmd(mode, cmd);
    v.expect("ready", T);
    std::thread::sleep(Duration::from_millis(800));
    std::fs::remove_file(&flag).unwrap();
    assert_eq!(v.wait(T), 75, "{mode:?}");
});
