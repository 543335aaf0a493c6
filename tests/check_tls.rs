//! `vigil check` over HTTPS (feature `tls`) against a real rustls loopback
//! server with a self-signed certificate made here: no verification, SNI from
//! the host name (none for an IP literal), the deadline through the handshake.
#![cfg(feature = "tls")]

mod common;
#[path = "common/http_server.rs"]
mod http_server;

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

fn check(args: &[&str]) -> Output {
    let mut cmd = common::vigil_cmd();
    cmd.arg("check").args(args);
    common::output_limit(&mut cmd, Duration::from_secs(10))
}

/// (SNI, request head) of each connection.
type Seen = Arc<Mutex<Vec<(Option<String>, String)>>>;

/// An HTTPS server with a fresh self-signed certificate for "localhost".
fn tls_server(response: &'static str) -> (SocketAddr, Seen) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Seen::default();
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
            let (config, seen) = (config.clone(), seen2.clone());
            std::thread::spawn(move || {
                let conn = ServerConnection::new(config).unwrap();
                let mut tls = StreamOwned::new(conn, tcp);
                let head = http_server::read_head(&mut tls);
                let sni = tls.conn.server_name().map(str::to_owned);
                seen.lock().unwrap().push((sni, head));
                let _ = tls.write_all(response.as_bytes());
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    (addr, seen)
}

const READY: &str = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nready\r\n0\r\n\r\n";

#[test]
fn https_to_an_ip_literal_sends_no_sni() {
    let (addr, seen) = tls_server(READY);
    let target = format!("https://{addr}/healthz");
    let out = check(&["--body-contains", "ready", &target]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(common::text(&out.stdout).starts_with(&format!("ok {target} 200 OK ")));
    let (sni, head) = seen.lock().unwrap()[0].clone();
    assert_eq!(sni, None);
    assert!(head.starts_with("GET /healthz HTTP/1.1\r\n"), "{head}");
    assert!(head.contains(&format!("\r\nHost: {addr}\r\n")), "{head}");
}

#[test]
fn https_to_a_name_sends_it_as_sni_and_never_verifies() {
    let (addr, seen) = tls_server("HTTP/1.1 204 No Content\r\n\r\n");
    let target = format!("https://localhost:{}/", addr.port());
    // The certificate is self-signed: -k is accepted, and not needed.
    for args in [vec![target.as_str()], vec!["-k", target.as_str()]] {
        let out = check(&args);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
    let (sni, _) = seen.lock().unwrap()[0].clone();
    assert_eq!(sni.as_deref(), Some("localhost"));
}

#[test]
fn https_status_rules_apply_as_for_http() {
    let (addr, _) = tls_server("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
    let out = check(&[&format!("https://{addr}/")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(common::text(&out.stdout).contains(" 503 Service Unavailable "));
}

#[test]
fn https_to_a_plain_http_server_fails_with_a_tls_error() {
    // Answers in plain HTTP at once, as a server without TLS does to a ClientHello.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut tcp in listener.incoming().flatten() {
            let _ = tcp.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let start = Instant::now();
    let out = check(&["-t", "1s", &format!("https://{addr}/")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(start.elapsed() < Duration::from_millis(1500));
    let text = common::text(&out.stdout);
    assert!(text.starts_with("fail ") && text.contains("TLS"), "{text}");
}

#[test]
fn a_silent_peer_cannot_stall_the_handshake_past_the_deadline() {
    let (addr, _) = http_server::tcp(
        "127.0.0.1",
        Arc::new(|_, conn| http_server::wait_for_close(conn)),
    );
    // read_head waits for a blank line that a ClientHello never has, so the
    // server stays silent for the whole handshake.
    let start = Instant::now();
    let out = check(&["-t", "1s", &format!("https://{addr}/")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(start.elapsed() < Duration::from_millis(1500));
    assert!(common::text(&out.stdout).contains("timed out after 1s"));
}
