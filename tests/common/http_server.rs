//! Loopback servers for the `vigil check` tests, well-behaved and hostile: each
//! connection's request head is recorded, then a handler writes whatever it likes.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A connection as the handler sees it, TCP or unix.
pub trait Conn: Read + Write + Send {}
impl<T: Read + Write + Send> Conn for T {}

/// Writes a response on a connection; gets the request head it answers.
pub type Handler = Arc<dyn Fn(&str, &mut dyn Conn) + Send + Sync>;

/// Request heads received so far, in order.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn requests(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// No server thread may outlive a test run by much: every loop is bounded.
const IO_LIMIT: Duration = Duration::from_secs(10);

/// Serves `handler` on a fresh TCP port at `ip` ("127.0.0.1" or "::1").
pub fn tcp(ip: &str, handler: Handler) -> (SocketAddr, Log) {
    let listener = TcpListener::bind((ip, 0)).expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    let log = Log::default();
    let log2 = log.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let _ = conn.set_read_timeout(Some(IO_LIMIT));
            let _ = conn.set_write_timeout(Some(IO_LIMIT));
            let (handler, log) = (handler.clone(), log2.clone());
            std::thread::spawn(move || serve(conn, &handler, &log));
        }
    });
    (addr, log)
}

/// Serves `handler` on a unix socket at `path`.
pub fn unix(path: &Path, handler: Handler) -> Log {
    let listener = UnixListener::bind(path).expect("bind unix socket");
    let log = Log::default();
    let log2 = log.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let _ = conn.set_read_timeout(Some(IO_LIMIT));
            let _ = conn.set_write_timeout(Some(IO_LIMIT));
            let (handler, log) = (handler.clone(), log2.clone());
            std::thread::spawn(move || serve(conn, &handler, &log));
        }
    });
    log
}

fn serve<C: Conn>(mut conn: C, handler: &Handler, log: &Log) {
    let head = read_head(&mut conn);
    log.0.lock().unwrap().push(head.clone());
    handler(&head, &mut conn);
}

/// Reads up to the blank line ending a request head (or 64 KiB, or EOF).
pub fn read_head(conn: &mut dyn Conn) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Waits until the peer closes (or IO_LIMIT): a server that never answers.
pub fn wait_for_close(conn: &mut dyn Conn) {
    let start = Instant::now();
    let mut buf = [0u8; 256];
    while start.elapsed() < IO_LIMIT {
        match conn.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// A handler that sends `response` as is.
pub fn fixed(response: impl Into<Vec<u8>>) -> Handler {
    let response = response.into();
    Arc::new(move |_, conn| {
        let _ = conn.write_all(&response);
    })
}

/// A complete response with a Content-Length body.
pub fn response(status: &str, body: &str) -> Handler {
    fixed(format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ))
}

/// Writes `bytes` one at a time, `gap` apart, for at most IO_LIMIT.
pub fn drip(conn: &mut dyn Conn, bytes: impl IntoIterator<Item = u8>, gap: Duration) {
    let start = Instant::now();
    for b in bytes {
        if start.elapsed() > IO_LIMIT || conn.write_all(&[b]).is_err() {
            return;
        }
        std::thread::sleep(gap);
    }
}

/// Writes `total` bytes of `fill` in 64 KiB writes until done or the peer is gone.
pub fn flood(conn: &mut dyn Conn, total: usize, fill: u8) -> usize {
    let block = vec![fill; 65536];
    let start = Instant::now();
    let mut sent = 0;
    while sent < total && start.elapsed() < IO_LIMIT {
        match conn.write(&block[..block.len().min(total - sent)]) {
            Ok(n) if n > 0 => sent += n,
            _ => break,
        }
    }
    sent
}
