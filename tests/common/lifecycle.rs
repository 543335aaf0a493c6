//! Helpers for the lifecycle tests (`--stop-delay`, `--with`, `--restart`):
//! the stand-in app, a free loopback port, and a plain HTTP GET.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

/// The lifecycle stand-in app (`tests/helpers/lifecycle_app.py`).
pub fn app() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/helpers/lifecycle_app.py")
        .display()
        .to_string()
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.local_addr().expect("local addr").port()
}

/// GET `path` on 127.0.0.1:`port`: the status code, or `None` if nothing answers.
pub fn get(port: u16, path: &str) -> Option<u16> {
    let mut s =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
    let mut head = String::new();
    s.read_to_string(&mut head).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

/// The words of /proc/PID/cmdline.
pub fn cmdline(pid: i32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).expect("read cmdline");
    raw.split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

/// Whether process `pid` exists (and is not a zombie).
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

/// The real python interpreter (not a pyenv shim, which re-execs with another
/// argv[0]), so a sidecar's cmdline is exactly the words it was given.
pub fn python() -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("run python3");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A word unique to one test, put on every app's command line, so that
/// `Leftovers` can find the apps a failed test leaves behind.
pub fn tag(test: &str) -> String {
    format!("--tag={test}-{}", std::process::id())
}

/// Kills, when dropped, every process whose command line holds the tag: a
/// failing assertion must not leave apps running (vigil itself is killed by
/// `Running`'s drop, and as a plain process its children outlive it).
pub struct Leftovers(pub String);

impl Drop for Leftovers {
    fn drop(&mut self) {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return;
        };
        for pid in dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()) {
            let words = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&words).contains(&self.0) {
                let _ = std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status();
            }
        }
    }
}
