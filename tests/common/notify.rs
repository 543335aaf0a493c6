//! sd_notify from the test's side: a datagram listener of the test's own
//! (a path or an `@abstract` name) that vigil's `NOTIFY_SOCKET` points at,
//! each datagram kept with the time it came; and the static sd_notify app
//! (tests/helpers/notify_app.c, built with `musl-gcc -static`).
#![allow(dead_code)]

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A datagram and when it came.
#[derive(Clone, Debug)]
pub struct Datagram {
    pub at: Instant,
    pub text: String,
}

/// A listening datagram socket, read by a thread of its own until dropped.
pub struct Listener {
    /// What `NOTIFY_SOCKET` says: a path, or `@name`.
    pub address: String,
    rx: Receiver<Datagram>,
    /// Everything received so far, in order.
    pub got: Vec<Datagram>,
    stop: Arc<AtomicBool>,
    path: Option<PathBuf>,
}

impl Listener {
    /// Bound at `dir/notify.sock`, mode 0777 (a container's non-root user
    /// may send to it).
    pub fn at_path(dir: &Path) -> Listener {
        let path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let socket =
            UnixDatagram::bind(&path).unwrap_or_else(|e| panic!("bind {}: {e}", path.display()));
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777))
            .expect("chmod the listener");
        let address = path.to_str().expect("utf-8 path").to_string();
        Listener::reading(socket, address, Some(path))
    }

    /// Bound at an abstract name of its own.
    pub fn abstract_named(what: &str) -> Listener {
        let name = format!("vigil-test-{what}-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).expect("abstract address");
        let socket = UnixDatagram::bind_addr(&addr).expect("bind an abstract name");
        Listener::reading(socket, format!("@{name}"), None)
    }

    fn reading(socket: UnixDatagram, address: String, path: Option<PathBuf>) -> Listener {
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("read timeout");
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while !stopped.load(Ordering::Relaxed) {
                if let Ok(n) = socket.recv(&mut buf) {
                    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                    if tx
                        .send(Datagram {
                            at: Instant::now(),
                            text,
                        })
                        .is_err()
                    {
                        break;
                    }
                }
            }
        });
        Listener {
            address,
            rx,
            got: Vec::new(),
            stop,
            path,
        }
    }

    /// Takes what has come so far into `got`.
    pub fn drain(&mut self) -> &[Datagram] {
        while let Ok(d) = self.rx.try_recv() {
            self.got.push(d);
        }
        &self.got
    }

    /// Waits for a datagram holding the line `line` (as `KEY=VALUE` or a
    /// prefix of one ending in `*`), within `limit`; returns it. Panics
    /// with everything received otherwise.
    pub fn expect(&mut self, line: &str, limit: Duration) -> Datagram {
        let deadline = Instant::now() + limit;
        let start = self.got.len();
        loop {
            if let Some(d) = self.got[start..].iter().find(|d| has_line(&d.text, line)) {
                return d.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(d) => self.got.push(d),
                Err(_) => panic!(
                    "no datagram with {line:?} within {limit:?}; got {:?}",
                    self.texts()
                ),
            }
        }
    }

    /// Waits `quiet` and returns what came meanwhile.
    pub fn during(&mut self, quiet: Duration) -> Vec<Datagram> {
        let start = self.got.len();
        let deadline = Instant::now() + quiet;
        while let Ok(d) = self
            .rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.got.push(d);
        }
        self.got[start..].to_vec()
    }

    /// Every datagram received so far, as text.
    pub fn texts(&mut self) -> Vec<String> {
        self.drain();
        self.got.iter().map(|d| d.text.clone()).collect()
    }

    /// How many datagrams so far hold the line `line`.
    pub fn count(&mut self, line: &str) -> usize {
        self.drain();
        self.got.iter().filter(|d| has_line(&d.text, line)).count()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Whether `text` has the line `line`, or a line starting with `line`
/// without its final `*`.
pub fn has_line(text: &str, line: &str) -> bool {
    match line.strip_suffix('*') {
        Some(prefix) => text.lines().any(|l| l.starts_with(prefix)),
        None => text.lines().any(|l| l == line),
    }
}

/// The sd_notify app (tests/helpers/notify_app.c), static, built once per
/// test binary.
pub fn notify_app() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helpers/notify_app.c");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("vigil-notify-app");
        std::fs::create_dir_all(&dir).expect("make the notify_app directory");
        let out = dir.join("notify_app");
        // Built under a name of our own, then renamed: test binaries that
        // build it at once never run a half-written file.
        let tmp = dir.join(format!("notify_app.{}", std::process::id()));
        let built = Command::new("musl-gcc")
            .args(["-static", "-Os", "-o"])
            .arg(&tmp)
            .arg(&src)
            .status();
        assert!(
            matches!(built, Ok(s) if s.success()),
            "musl-gcc -static {} failed ({built:?}): install musl-tools (scripts/test does)",
            src.display()
        );
        std::fs::rename(&tmp, &out).expect("rename notify_app into place");
        out
    })
}
