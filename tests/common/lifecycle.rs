//! Helpers for the lifecycle tests (`--stop-delay`, `--with`, `--restart`,
//! the hooks): the stand-in app, a free loopback port, a plain HTTP GET, and
//! vigil run with both of its outputs read line by line (`run`, `Vigil`).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use crate::common::run::{Mode, command};

/// Every wait of a lifecycle test is bounded by this.
pub const T: Duration = Duration::from_secs(20);

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

/// Whether a process (not a zombie) has `tag` on its command line.
pub fn any_process_with(tag: &str) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .any(|pid| {
            let words = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&words).contains(tag) && alive(pid)
        })
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

/// A line from vigil's stdout (the child's) or stderr (vigil's log), and when
/// the test read it.
#[derive(Debug, Clone)]
pub struct Line {
    pub at: Instant,
    pub err: bool,
    pub text: String,
}

/// vigil with both of its outputs read line by line, each line timed.
pub struct Vigil {
    pub child: Child,
    pub mode: Mode,
    pub lines: Receiver<Line>,
    pub seen: Vec<Line>,
}

fn read_lines(from: impl Read + Send + 'static, err: bool, tx: Sender<Line>) {
    std::thread::spawn(move || {
        for text in BufReader::new(from).lines() {
            let Ok(text) = text else { break };
            let line = Line {
                at: Instant::now(),
                err,
                text,
            };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
}

pub fn run(mode: Mode, args: &[&str]) -> Vigil {
    run_env(mode, args, &[])
}

/// `run`, with these variables set for vigil.
pub fn run_env(mode: Mode, args: &[&str], envs: &[(&str, &str)]) -> Vigil {
    let mut cmd = command(mode, args);
    cmd.envs(envs.iter().copied());
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vigil");
    let (tx, rx) = channel();
    read_lines(child.stdout.take().unwrap(), false, tx.clone());
    read_lines(child.stderr.take().unwrap(), true, tx);
    Vigil {
        child,
        mode,
        lines: rx,
        seen: Vec::new(),
    }
}

impl Vigil {
    /// The next line containing `what`.
    pub fn expect(&mut self, what: &str) -> Line {
        let deadline = Instant::now() + T;
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.text.contains(what) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "{:?}: no line with {what:?}; saw {:?}",
                    self.mode, self.seen
                ),
            }
        }
    }

    /// Waits for vigil's exit, then returns its status and every line it left.
    pub fn exit(&mut self) -> (i32, Vec<Line>) {
        let status = crate::common::wait_limit(&mut self.child, T);
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        (status.code().expect("vigil exited"), self.seen.clone())
    }

    /// SIGTERM (or `sig`) to vigil: `unshare`'s child in PID 1 mode.
    pub fn signal(&self, sig: i32) {
        let pid = match self.mode {
            Mode::Plain => self.child.id() as i32,
            Mode::Pid1 => {
                std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", self.child.id()))
                    .unwrap()
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            }
        };
        let rc = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .status()
            .expect("run kill");
        assert!(rc.success(), "kill -{sig} {pid}");
    }
}

impl Drop for Vigil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How many of the child's lines (stdout) start with `what`.
pub fn count(lines: &[Line], what: &str) -> usize {
    lines
        .iter()
        .filter(|l| !l.err && l.text.starts_with(what))
        .count()
}

/// How many of vigil's log lines (stderr) contain `what`.
pub fn logged(lines: &[Line], what: &str) -> usize {
    lines
        .iter()
        .filter(|l| l.err && crate::common::pids_as_n(&l.text).contains(what))
        .count()
}
