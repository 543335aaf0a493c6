//! `vigil check` against well-behaved loopback servers: statuses, headers sent,
//! body matching, interim responses, unix sockets, IPv6, env expansion, retries.

mod common;
#[path = "common/http_server.rs"]
mod http_server;

use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_server::{Handler, fixed, response};

const LIMIT: Duration = Duration::from_secs(10);

fn check(args: &[&str]) -> Output {
    check_env(args, &[])
}

fn check_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = common::vigil_cmd();
    cmd.arg("check").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    common::output_limit(&mut cmd, LIMIT)
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

fn stdout(out: &Output) -> String {
    common::text(&out.stdout)
}

fn serve(handler: Handler) -> (String, http_server::Log) {
    let (addr, log) = http_server::tcp("127.0.0.1", handler);
    (format!("http://{addr}"), log)
}

#[test]
fn ok_line_names_target_status_and_time() {
    let (base, _) = serve(response("200 OK", "fine"));
    let target = format!("{base}/healthz");
    let out = check(&[&target]);
    assert_eq!(code(&out), 0, "{out:?}");
    let line = stdout(&out);
    let prefix = format!("ok {target} 200 OK ");
    assert!(
        line.starts_with(&prefix) && line.ends_with("ms\n"),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1);
    assert!(out.stderr.is_empty());
}

#[test]
fn error_statuses_fail_and_say_which() {
    for (status, word) in [("503 Service Unavailable", "503"), ("404 Not Found", "404")] {
        let (base, _) = serve(response(status, "no"));
        let out = check(&[&format!("{base}/")]);
        assert_eq!(code(&out), 1, "{out:?}");
        let line = stdout(&out);
        assert!(
            line.starts_with("fail ") && line.contains(status),
            "{word}: {line}"
        );
    }
}

#[test]
fn redirect_passes_by_default_and_is_not_followed() {
    let redirect =
        fixed("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n");
    let (base, log) = serve(redirect);
    let out = check(&[&base]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert!(stdout(&out).contains(" 302 Found "));
    assert_eq!(log.requests().len(), 1);
    let out = check(&["-s", "200", &base]);
    assert_eq!(code(&out), 1, "{out:?}");
    let out = check(&["--status", "200-299,302", &base]);
    assert_eq!(code(&out), 0, "{out:?}");
}

#[test]
fn request_carries_method_path_and_headers() {
    let (addr, log) = http_server::tcp("127.0.0.1", response("200 OK", ""));
    let target = format!("http://{addr}/healthz?deep=1");
    let out = check(&[
        "-X",
        "HEAD",
        "-H",
        "X-Probe: yes",
        "--header=Host: app.test",
        &target,
    ]);
    assert_eq!(code(&out), 0, "{out:?}");
    let head = &log.requests()[0];
    assert!(
        head.starts_with("HEAD /healthz?deep=1 HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\nX-Probe: yes\r\n"), "{head}");
    assert!(head.contains("\r\nHost: app.test\r\n"), "{head}");
    assert_eq!(
        head.to_ascii_lowercase().matches("\r\nhost:").count(),
        1,
        "{head}"
    );

    let out = check(&[&format!("http://{addr}")]);
    assert_eq!(code(&out), 0);
    let head = &log.requests()[1];
    assert!(head.starts_with("GET / HTTP/1.1\r\n"), "{head}");
    assert!(head.contains(&format!("\r\nHost: {addr}\r\n")), "{head}");
}

#[test]
fn body_contains_plain_chunked_and_until_close() {
    let plain = response("200 OK", "status: ready\n");
    let chunked = fixed(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
         7;ext=1\r\nstatus:\r\n4\r\n rea\r\n3\r\ndy\n\r\n0\r\n\r\n",
    );
    let until_close = fixed("HTTP/1.0 200 OK\r\n\r\nall is ready");
    for handler in [plain, chunked, until_close] {
        let (base, _) = serve(handler);
        let out = check(&["--body-contains", "ready", &base]);
        assert_eq!(code(&out), 0, "{out:?}");
        let out = check(&["--body-contains", "broken", &base]);
        assert_eq!(code(&out), 1, "{out:?}");
        assert!(stdout(&out).contains("body lacks"), "{}", stdout(&out));
    }
}

#[test]
fn early_hints_then_200_passes() {
    let (base, _) = serve(fixed(
        "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n\
         HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nready",
    ));
    let out = check(&["--body-contains", "ready", &base]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert!(stdout(&out).contains(" 200 OK "));

    let (base, _) = serve(fixed(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
    ));
    let out = check(&[&base]);
    assert_eq!(code(&out), 1, "{out:?}");
    assert!(stdout(&out).contains(" 503 "));
}

#[test]
fn unix_socket() {
    let dir = std::env::temp_dir().join(format!("vigil-check-unix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("app.sock");
    let log = http_server::unix(&path, response("200 OK", "ready"));
    let out = check(&[
        "--unix-socket",
        path.to_str().unwrap(),
        "--body-contains",
        "ready",
        "http://app.internal/healthz",
    ]);
    assert_eq!(code(&out), 0, "{out:?}");
    let head = &log.requests()[0];
    assert!(head.starts_with("GET /healthz HTTP/1.1\r\n"), "{head}");
    assert!(head.contains("\r\nHost: app.internal\r\n"), "{head}");

    let missing = dir.join("missing.sock");
    let out = check(&["--unix-socket", missing.to_str().unwrap(), "http://x/"]);
    assert_eq!(code(&out), 1, "{out:?}");
    assert!(stdout(&out).contains("no such socket"), "{}", stdout(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ipv6_literal() {
    let (addr, _) = http_server::tcp("::1", response("200 OK", ""));
    let target = format!("http://[::1]:{}/", addr.port());
    let out = check(&[&target]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert!(stdout(&out).starts_with(&format!("ok {target} 200")));
}

#[test]
fn tcp_targets() {
    let (addr, _) = http_server::tcp("127.0.0.1", fixed(""));
    let out = check(&[&format!("tcp://{addr}")]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert!(stdout(&out).contains(" connected "));

    let closed = closed_port();
    let out = check(&[&format!("tcp://127.0.0.1:{closed}")]);
    assert_eq!(code(&out), 1, "{out:?}");
    assert!(stdout(&out).contains(" refused "), "{}", stdout(&out));
}

/// `:PORT` with no host is 127.0.0.1, as grpc_health_probe's `-addr=:PORT`.
#[test]
fn a_port_without_a_host_is_loopback() {
    let (addr, log) = http_server::tcp("127.0.0.1", response("200 OK", ""));
    let port = addr.port();
    let (web, tcp) = (format!("http://:{port}/ready"), format!("tcp://:{port}"));
    let out = check(&[&web, &tcp]);
    assert_eq!(code(&out), 0, "{out:?}");
    let text = stdout(&out);
    assert!(text.starts_with(&format!("ok {web} 200 OK ")), "{text}");
    assert!(text.contains(&format!("ok {tcp} connected ")), "{text}");
    let head = &log.requests()[0];
    assert!(head.starts_with("GET /ready HTTP/1.1\r\n"), "{head}");
    assert!(
        head.contains(&format!("\r\nHost: 127.0.0.1:{port}\r\n")),
        "{head}"
    );
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn every_target_must_pass() {
    let (good, _) = serve(response("200 OK", ""));
    let (bad, _) = serve(response("500 Internal Server Error", ""));
    let out = check(&[&good, &bad]);
    assert_eq!(code(&out), 1, "{out:?}");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("ok ") && lines[1].starts_with("fail "),
        "{text}"
    );

    let out = check(&["-q", &good, &bad]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("fail "));
    let out = check(&["--quiet", &good, &good]);
    assert_eq!(code(&out), 0);
    assert!(out.stdout.is_empty());
}

#[test]
fn env_expansion_in_targets_and_headers() {
    let (addr, log) = http_server::tcp("127.0.0.1", response("200 OK", ""));
    let port = addr.port().to_string();
    let out = check_env(&["http://127.0.0.1:${PORT}/"], &[("PORT", &port)]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert!(stdout(&out).starts_with(&format!("ok http://127.0.0.1:{port}/ ")));

    let with_default = format!("http://127.0.0.1:${{VIGIL_TEST_UNSET_PORT:-{port}}}/");
    let out = check(&[&with_default]);
    assert_eq!(code(&out), 0, "{out:?}");

    let out = check_env(
        &["-H", "X-Price: $$5 ${CUR}", "http://127.0.0.1:${PORT}/"],
        &[("PORT", &port), ("CUR", "EUR")],
    );
    assert_eq!(code(&out), 0, "{out:?}");
    assert!(
        log.requests()
            .last()
            .unwrap()
            .contains("\r\nX-Price: $5 EUR\r\n")
    );

    let out = check(&["http://127.0.0.1:${VIGIL_TEST_UNSET_PORT}/"]);
    assert_eq!(code(&out), 1, "{out:?}");
    let err = common::text(&out.stderr);
    assert!(
        err.starts_with("vigil: ") && err.contains("VIGIL_TEST_UNSET_PORT"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

#[test]
fn targets_from_vigil_check() {
    let (a, _) = serve(response("200 OK", ""));
    let (b, _) = serve(response("204 No Content", ""));
    let list = format!(" {a}/one\n\t{b}/two  ");
    let out = check_env(&[], &[("VIGIL_CHECK", &list)]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stdout(&out));

    // Arguments win over VIGIL_CHECK.
    let out = check_env(&[&a], &[("VIGIL_CHECK", "http://127.0.0.1:1/")]);
    assert_eq!(code(&out), 0, "{out:?}");

    let (c, _) = serve(response("503 Service Unavailable", ""));
    let out = check_env(&[], &[("VIGIL_CHECK", &format!("{a} {c}"))]);
    assert_eq!(code(&out), 1, "{out:?}");
}

#[test]
fn proxy_variables_are_ignored() {
    let (base, _) = serve(response("200 OK", ""));
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let out = check_env(
        &[&base],
        &[
            ("http_proxy", &dead),
            ("HTTP_PROXY", &dead),
            ("https_proxy", &dead),
            ("HTTPS_PROXY", &dead),
            ("ALL_PROXY", &dead),
            ("all_proxy", &dead),
            ("NO_PROXY", ""),
        ],
    );
    assert_eq!(code(&out), 0, "{out:?}");
}

/// Fails `failures` times with 503, then answers 200.
fn flaky(failures: usize) -> Handler {
    let calls = AtomicUsize::new(0);
    Arc::new(move |_, conn| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let status = if n < failures {
            "503 Service Unavailable"
        } else {
            "200 OK"
        };
        let _ = write!(conn, "HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
    })
}

#[test]
fn retries_reach_a_recovering_server() {
    let (base, log) = serve(flaky(2));
    let start = Instant::now();
    let out = check(&["--retries", "3", "--retry-delay", "50ms", "-t", "3s", &base]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert_eq!(log.requests().len(), 3);
    assert!(start.elapsed() < Duration::from_secs(3));

    let (base, log) = serve(flaky(2));
    let out = check(&[&base]);
    assert_eq!(code(&out), 1, "{out:?}");
    assert_eq!(log.requests().len(), 1, "no retries by default");
}

#[test]
fn retry_storm_never_outlives_the_deadline() {
    let target = format!("http://127.0.0.1:{}/", closed_port());
    let start = Instant::now();
    let out = check(&[
        "--retries",
        "1000",
        "--retry-delay",
        "1ms",
        "-t",
        "1s",
        &target,
    ]);
    let took = start.elapsed();
    assert_eq!(code(&out), 1, "{out:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert!(stdout(&out).contains("refused"), "{}", stdout(&out));

    // A retry delay longer than what is left ends the run with the last failure.
    let start = Instant::now();
    let out = check(&[
        "--retries",
        "5",
        "--retry-delay",
        "10s",
        "-t",
        "1s",
        &target,
    ]);
    assert_eq!(code(&out), 1, "{out:?}");
    assert!(start.elapsed() < Duration::from_millis(1500));
}

#[test]
fn timeout_from_env() {
    let (addr, _) = http_server::tcp(
        "127.0.0.1",
        Arc::new(|_, conn| http_server::wait_for_close(conn)),
    );
    let start = Instant::now();
    let out = check_env(
        &[&format!("http://{addr}/")],
        &[("VIGIL_CHECK_TIMEOUT", "300ms")],
    );
    assert_eq!(code(&out), 1, "{out:?}");
    assert!(
        stdout(&out).contains("timed out after 300ms"),
        "{}",
        stdout(&out)
    );
    assert!(start.elapsed() < Duration::from_millis(800));
}

/// Runs `script` (sh) in a private mount namespace where `hosts` replaces
/// /etc/hosts (and `resolv` /etc/resolv.conf when given). Needs root and
/// unshare(1); without them the test fails, it never skips.
fn in_mount_namespace(hosts: impl AsRef<[u8]>, resolv: Option<&str>, args: &[&str]) -> Output {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "vigil-ns-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hosts"), hosts).unwrap();
    let mut script = format!("mount --bind '{}' /etc/hosts", dir.join("hosts").display());
    if let Some(resolv) = resolv {
        std::fs::write(dir.join("resolv.conf"), resolv).unwrap();
        script += &format!(
            " && mount --bind '{}' /etc/resolv.conf",
            dir.join("resolv.conf").display()
        );
    }
    script += " && exec \"$@\"";
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "sh", "-c", &script, "sh"])
        .args(common::vigil_argv())
        .arg("check")
        .args(args);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("VIGIL_") && k != "VIGIL_BIN" {
            cmd.env_remove(k);
        }
    }
    let out = common::output_limit(&mut cmd, LIMIT);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn name_resolving_to_v6_first_reaches_v4_only_app() {
    let (addr, _) = http_server::tcp("127.0.0.1", response("200 OK", ""));
    let hosts = "::1 dualhost\n127.0.0.1 dualhost\n";
    let target = format!("http://dualhost:{}/", addr.port());
    let out = in_mount_namespace(hosts, None, &[&target]);
    assert_eq!(
        code(&out),
        0,
        "unshare --mount needs root; stdout {} stderr {}",
        stdout(&out),
        common::text(&out.stderr)
    );
    assert!(stdout(&out).starts_with(&format!("ok {target} 200 OK")));
}

#[test]
fn a_hosts_line_that_is_not_utf8_spoils_only_itself() {
    // /etc/hosts was once read as text: one Latin-1 byte hid every line.
    let (addr, _) = http_server::tcp("127.0.0.1", response("200 OK", ""));
    let hosts: &[u8] = b"127.0.0.9 caf\xe9\n127.0.0.1 web.test\n";
    let target = format!("http://web.test:{}/", addr.port());
    let out = in_mount_namespace(hosts, None, &[&target]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert!(stdout(&out).starts_with(&format!("ok {target} 200 OK")));
}

#[test]
fn a_latin1_comment_after_a_hosts_name_hid_the_name() {
    // Fixed in 0bbbdd6: /etc lines split as bytes.
    let (addr, _) = http_server::tcp("127.0.0.1", response("200 OK", ""));
    let hosts: &[u8] = b"127.0.0.1 db.test # caf\xe9 du coin\n";
    let target = format!("http://db.test:{}/", addr.port());
    // Never the host's resolver: a loopback name server nobody runs.
    let resolv = Some("nameserver 127.0.0.154\n");
    let out = in_mount_namespace(hosts, resolv, &["-t", "2s", &target]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert!(stdout(&out).starts_with(&format!("ok {target} 200 OK")));
}

/// A DNS server on 127.0.0.153:53 answering A for `app.test.` (only via the
/// search domain `svc.test`) with 127.0.0.1, and NXDOMAIN for everything else.
fn dns_server() -> std::net::UdpSocket {
    let sock = std::net::UdpSocket::bind("127.0.0.153:53").expect("bind 127.0.0.153:53");
    let server = sock.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        let start = Instant::now();
        let _ = server.set_read_timeout(Some(Duration::from_millis(200)));
        while start.elapsed() < Duration::from_secs(20) {
            let Ok((n, from)) = server.recv_from(&mut buf) else {
                continue;
            };
            let q = &buf[..n];
            // The question name ends at the first zero byte after the header.
            let end = 12 + q[12..].iter().position(|&b| b == 0).unwrap() + 1;
            let qtype = u16::from_be_bytes([q[end], q[end + 1]]);
            let name = &q[12..end];
            let wanted = b"\x03app\x03svc\x04test\x00";
            let mut r = q[..end + 4].to_vec();
            r[2] = 0x81; // QR, RD
            r[3] = 0x80; // RA, NOERROR
            if name == wanted && qtype == 1 {
                r[7] = 1;
                r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 127, 0, 0, 1]);
            } else if name != wanted {
                r[3] |= 3; // NXDOMAIN
            }
            let _ = server.send_to(&r, from);
        }
    });
    sock
}

#[test]
fn names_resolve_through_dns_with_search_domains() {
    let _dns = dns_server();
    let (addr, _) = http_server::tcp("127.0.0.1", response("200 OK", ""));
    let resolv = "nameserver 127.0.0.153\nsearch svc.test\noptions ndots:2\n";
    let target = format!("http://app:{}/", addr.port());
    let out = in_mount_namespace("127.0.0.1 localhost\n", Some(resolv), &[&target]);
    assert_eq!(code(&out), 0, "{out:?}");
    let out = in_mount_namespace(
        "127.0.0.1 localhost\n",
        Some(resolv),
        &[&format!("http://nothere:{}/", addr.port())],
    );
    assert_eq!(code(&out), 1, "{out:?}");
    assert!(
        stdout(&out).contains("name not resolved"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn dead_name_server_times_out_within_the_deadline() {
    // A loopback address where nothing answers DNS.
    let resolv = "nameserver 127.0.0.154\n";
    let start = Instant::now();
    let out = in_mount_namespace("", Some(resolv), &["-t", "1s", "http://app.test/"]);
    assert_eq!(code(&out), 1, "{out:?}");
    assert!(start.elapsed() < Duration::from_millis(1500));
    assert!(
        stdout(&out).contains("timed out after 1s"),
        "{}",
        stdout(&out)
    );
}

/// Runs `vigil check ARGS` in a network namespace of its own (only `lo`) and
/// a private mount namespace where /etc/resolv.conf names 127.0.0.1, served by
/// tests/helpers/fake_dns.py (started with `dns_args`; it answers `app.test`
/// and serves HTTP on 127.0.0.1:8080). `setup` is sh run first inside, such as
/// a per-namespace sysctl. No packet leaves the namespace. Returns the output
/// and the questions the fake server saw. Needs root, unshare(1), ip(8) and
/// python3; without them the test fails, it never skips.
fn in_net_namespace(setup: &str, dns_args: &str, args: &[&str]) -> (Output, String) {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "vigil-netns-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hosts"), "127.0.0.1 localhost\n").unwrap();
    std::fs::write(dir.join("resolv.conf"), "nameserver 127.0.0.1\n").unwrap();
    let helper = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/helpers/fake_dns.py");
    let d = dir.display();
    let script = format!(
        "set -e; ip link set lo up; {setup}
         mount --bind '{d}/hosts' /etc/hosts; mount --bind '{d}/resolv.conf' /etc/resolv.conf
         python3 '{helper}' '{d}/ready' {dns_args} & dns=$!
         i=0; while [ ! -e '{d}/ready' ]; do
           i=$((i+1)); [ $i -lt 200 ] || {{ echo 'fake name server never started' >&2; exit 97; }}
           sleep 0.05
         done
         set +e; \"$@\"; rc=$?; kill $dns; exit $rc"
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["--net", "--mount", "sh", "-c", &script, "sh"])
        .args(common::vigil_argv())
        .arg("check")
        .args(args);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("VIGIL_") && k != "VIGIL_BIN" {
            cmd.env_remove(k);
        }
    }
    let out = common::output_limit(&mut cmd, LIMIT);
    let asked = std::fs::read_to_string(dir.join("ready.log")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert_ne!(
        code(&out),
        97,
        "needs root, unshare, ip and python3: {}",
        common::text(&out.stderr)
    );
    (out, asked)
}

#[test]
fn a_name_server_that_drops_aaaa_still_resolves() {
    // The A answer was in hand, yet the probe waited for AAAA until the deadline.
    let start = Instant::now();
    let (out, asked) = in_net_namespace("", "--drop-aaaa", &["-t", "3s", "http://app.test:8080/"]);
    assert_eq!(code(&out), 0, "{out:?}\nasked: {asked}");
    assert!(
        stdout(&out).starts_with("ok http://app.test:8080/ 200 OK"),
        "{}",
        stdout(&out)
    );
    // vigil's own time: the AAAA wait is bounded (150 ms), well under 1 s.
    assert!(stdout(&out).ends_with("ms\n"), "{}", stdout(&out));
    assert!(asked.contains("AAAA"), "AAAA was never asked: {asked}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn resolver_works_with_bindv6only() {
    // An [::] socket with bindv6only=1 cannot send to IPv4 name servers: every
    // lookup timed out. The sysctl is per network namespace: the host's stays.
    let (out, asked) = in_net_namespace(
        "echo 1 > /proc/sys/net/ipv6/bindv6only",
        "",
        &["-t", "3s", "http://app.test:8080/"],
    );
    assert_eq!(code(&out), 0, "{out:?}\nasked: {asked}");
    assert!(
        stdout(&out).starts_with("ok http://app.test:8080/ 200 OK"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn folded_header_lines_are_accepted_as_curl_does() {
    // obs-fold (RFC 9112 section 5.2) was reported as "not HTTP/1.x".
    let (base, _) = serve(fixed(
        "HTTP/1.1 200 OK\r\nX-Long: part one\r\n\tpart two\r\nContent-Length: 5\r\n\r\nready",
    ));
    let out = check(&["--body-contains", "ready", &base]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert!(stdout(&out).contains(" 200 OK "), "{}", stdout(&out));
}

#[test]
fn more_than_64_response_headers_pass() {
    // A 65th header once failed the probe ("too many headers").
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    for i in 0..300 {
        head += &format!("X-Header-{i}: {i}\r\n");
    }
    head += "Content-Length: 5\r\n\r\nready";
    let (base, _) = serve(fixed(head));
    let out = check(&["--body-contains", "ready", &base]);
    assert_eq!(code(&out), 0, "{out:?}");
}

#[test]
fn a_content_length_with_a_plus_sign_fails() {
    // `Content-Length: +5` was read as 5; RFC 9110 allows digits only.
    let (base, _) = serve(fixed("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nready"));
    let out = check(&[&base]);
    assert_eq!(code(&out), 1, "{out:?}");
    assert!(
        stdout(&out).contains("bad response (bad Content-Length)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_port_with_a_plus_sign_is_a_usage_error() {
    // `:+80` was taken as port 80.
    let (addr, _) = http_server::tcp("127.0.0.1", response("200 OK", ""));
    for target in [
        format!("http://127.0.0.1:+{}/", addr.port()),
        format!("tcp://127.0.0.1:+{}", addr.port()),
    ] {
        let out = check(&[&target]);
        assert_eq!(code(&out), 1, "{out:?}");
        let err = common::text(&out.stderr);
        assert!(
            err.contains(&target) && err.contains("port must be 1-65535"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty(), "{out:?}");
    }
}

#[test]
fn an_empty_reason_phrase_prints_one_space() {
    // "200  1.2ms": the empty reason left two spaces.
    let (base, _) = serve(fixed("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"));
    let out = check(&[&base]);
    assert_eq!(code(&out), 0, "{out:?}");
    let line = stdout(&out);
    assert!(line.starts_with(&format!("ok {base} 200 ")), "{line}");
    assert!(!line.contains("  "), "{line:?}");
    let (base, _) = serve(fixed("HTTP/1.1 503 \r\nContent-Length: 0\r\n\r\n"));
    let line = stdout(&check(&[&base]));
    assert!(line.starts_with(&format!("fail {base} 503 ")), "{line}");
    assert!(!line.contains("  "), "{line:?}");
}

#[test]
fn head_204_and_304_are_not_waited_for_a_body() {
    // Their Content-Length announces no body (RFC 9110 sections 6.4.1, 9.3.2):
    // the server keeps the connection open and sends nothing more.
    let stall = |status: &'static str| -> Handler {
        Arc::new(move |_, conn| {
            let _ = conn
                .write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 1000\r\n\r\n").as_bytes());
            http_server::wait_for_close(conn);
        })
    };
    for (status, method) in [
        ("200 OK", "HEAD"),
        ("204 No Content", "GET"),
        ("304 Not Modified", "GET"),
    ] {
        let (base, _) = serve(stall(status));
        let start = Instant::now();
        let out = check(&["-t", "2s", "-X", method, &base]);
        assert_eq!(code(&out), 0, "{status} {method}: {out:?}");
        assert!(start.elapsed() < Duration::from_secs(1), "{status}");
    }
}

#[test]
fn a_body_cut_short_fails() {
    // The peer closes after 2 of the 10 bytes it announced (curl -f: exit 18).
    let (base, _) = serve(fixed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok"));
    let out = check(&[&base]);
    assert_eq!(code(&out), 1, "{out:?}");
    assert!(stdout(&out).contains("body cut short"), "{}", stdout(&out));
    let (base, _) = serve(fixed(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nready\r\n",
    ));
    let out = check(&[&base]);
    assert_eq!(code(&out), 1, "{out:?}");
    assert!(stdout(&out).contains("body cut short"), "{}", stdout(&out));
}

#[test]
fn a_body_is_read_to_64_kib_and_no_further() {
    // 64 KiB arrive at once, then nothing: the rest is not waited for.
    let (base, _) = serve(Arc::new(|_, conn| {
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
        let _ = conn.write_all(&vec![b'x'; 64 * 1024]);
        http_server::wait_for_close(conn);
    }));
    let start = Instant::now();
    let out = check(&["-t", "2s", &base]);
    assert_eq!(code(&out), 0, "{out:?}");
    assert!(start.elapsed() < Duration::from_secs(1));
}
