//! Starting vigil the two ways it runs in production: as PID 1 of a fresh PID
//! namespace (`unshare --pid --fork --mount-proc`) and as a plain process, with
//! its stdout read line by line and every wait bounded.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use super::{vigil_cmd, vigil_exe, wait_limit};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// A plain process: vigil is a child subreaper.
    Plain,
    /// PID 1 of a new PID namespace.
    Pid1,
}

/// The modes `$VIGIL_TEST_MODES` selects (`plain,pid1`; both when unset).
/// The aarch64 run sets `pid1`: under qemu-user a plain process cannot become
/// a child subreaper (qemu 7.2 refuses that prctl). An unknown name fails.
pub fn modes() -> Vec<Mode> {
    let Some(list) = std::env::var_os("VIGIL_TEST_MODES").filter(|v| !v.is_empty()) else {
        return vec![Mode::Plain, Mode::Pid1];
    };
    list.to_string_lossy()
        .split(',')
        .map(|m| match m {
            "plain" => Mode::Plain,
            "pid1" => Mode::Pid1,
            other => panic!("VIGIL_TEST_MODES: unknown mode '{other}' (use plain,pid1)"),
        })
        .collect()
}

/// `Some(mode)` when `$VIGIL_TEST_MODES` selects it. Otherwise `None`, after
/// a note on the test's output: scripts/test sets the variable on purpose for
/// a binary that cannot run that mode (docs/testing.md), so the test of the
/// mode left out passes without running its body.
pub fn selected(mode: Mode) -> Option<Mode> {
    if modes().contains(&mode) {
        return Some(mode);
    }
    let list = std::env::var("VIGIL_TEST_MODES").unwrap_or_default();
    println!("VIGIL_TEST_MODES={list} leaves out {mode:?}: body not run");
    None
}

/// One test body, two tests: `NAME::plain` runs it with vigil as a plain
/// process and `NAME::pid1` as PID 1 of a fresh PID namespace, `mode` bound
/// to each (a test for a mode `$VIGIL_TEST_MODES` leaves out does not run it):
///
/// ```ignore
/// modes_test!(passes_the_childs_exit_code, |mode| {
///     let out = output_limit(&mut command(mode, &["sh", "-c", "exit 3"]), T);
///     assert_eq!(out.status.code(), Some(3), "{mode:?}");
/// });
/// ```
#[allow(unused_macros)]
macro_rules! modes_test {
    ($name:ident, |$mode:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn plain() {
                let Some($mode) = $crate::common::run::selected($crate::common::run::Mode::Plain)
                else {
                    return;
                };
                $body
            }

            #[test]
            fn pid1() {
                let Some($mode) = $crate::common::run::selected($crate::common::run::Mode::Pid1)
                else {
                    return;
                };
                $body
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use modes_test;

/// The signal-recording stand-in application.
pub fn sigrecord() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/helpers/sigrecord.py")
}

/// Whether `pid` sleeps in rt_sigtimedwait(2) (/proc/PID/syscall, native
/// x86_64 or aarch64 numbers): vigil's idle wait, where SigBlk reads 0.
pub fn in_sigtimedwait(pid: i32) -> bool {
    let nr = if cfg!(target_arch = "aarch64") {
        "137"
    } else {
        "128"
    };
    std::fs::read_to_string(format!("/proc/{pid}/syscall"))
        .is_ok_and(|s| s.split_whitespace().next() == Some(nr))
}

/// A command that runs vigil with `args` in `mode`.
pub fn command(mode: Mode, args: &[&str]) -> Command {
    match mode {
        Mode::Plain => {
            let mut cmd = vigil_cmd();
            cmd.args(args);
            cmd
        }
        Mode::Pid1 => {
            let cmd = vigil_cmd();
            let mut un = Command::new("unshare");
            un.args(["--pid", "--fork", "--mount-proc"])
                .arg(cmd.get_program())
                .args(cmd.get_args())
                .args(args);
            for (k, v) in cmd.get_envs() {
                match v {
                    Some(v) => un.env(k, v),
                    None => un.env_remove(k),
                };
            }
            un
        }
    }
}

/// A running vigil: the process we spawned, vigil's own pid (as this test sees
/// it), and its stdout lines.
pub struct Running {
    pub child: Child,
    pub pid: i32,
    pub lines: Receiver<String>,
    pub seen: Vec<String>,
}

pub fn start(mode: Mode, args: &[&str], envs: &[(&str, &str)]) -> Running {
    let mut cmd = command(mode, args);
    cmd.envs(envs.iter().copied());
    start_cmd(mode, cmd)
}

pub fn start_cmd(mode: Mode, mut cmd: Command) -> Running {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let pid = match mode {
        Mode::Plain => child.id() as i32,
        Mode::Pid1 => namespace_init(child.id() as i32),
    };
    Running {
        child,
        pid,
        lines: rx,
        seen: Vec::new(),
    }
}

/// The pid of the process `unshare --fork` started, once it runs vigil.
pub fn namespace_init(unshare: i32) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    let exe = vigil_exe();
    loop {
        let children = std::fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children"))
            .unwrap_or_default();
        if let Some(pid) = children
            .split_whitespace()
            .next()
            .and_then(|p| p.parse::<i32>().ok())
        {
            if std::fs::read_link(format!("/proc/{pid}/exe")).ok().as_ref() == Some(&exe) {
                return pid;
            }
        }
        assert!(
            Instant::now() < deadline,
            "unshare {unshare} never started vigil: is unshare --pid allowed here?"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

impl Running {
    /// Waits for a stdout line satisfying `pred`, returning it.
    pub fn expect(&mut self, what: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(what) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line starting {what:?} within {limit:?}; saw {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Waits for one stdout line starting with each of `whats`, in any order
    /// (processes started together get ready in no fixed order); returns
    /// them in the order of `whats`.
    pub fn expect_each(&mut self, whats: &[&str], limit: Duration) -> Vec<String> {
        let deadline = Instant::now() + limit;
        let mut found: Vec<Option<String>> = vec![None; whats.len()];
        while found.iter().any(Option::is_none) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if let Some(i) =
                        (0..whats.len()).find(|&i| found[i].is_none() && line.starts_with(whats[i]))
                    {
                        found[i] = Some(line);
                    }
                }
                Err(_) => panic!(
                    "no line starting with each of {whats:?} within {limit:?}; saw {:?}",
                    self.seen
                ),
            }
        }
        found.into_iter().flatten().collect()
    }

    /// Every further stdout line until vigil's stdout closes (bounded).
    pub fn rest(&mut self, limit: Duration) -> Vec<String> {
        let deadline = Instant::now() + limit;
        let mut out = Vec::new();
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.seen.push(line.clone());
            out.push(line);
        }
        out
    }

    pub fn signal(&self, sig: i32) {
        let rc = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid.to_string())
            .status()
            .expect("run kill");
        assert!(rc.success(), "kill -{sig} {} failed", self.pid);
    }

    /// Waits for exit within `limit`; returns the exit code.
    pub fn wait(&mut self, limit: Duration) -> i32 {
        let status = wait_limit(&mut self.child, limit);
        status
            .code()
            .unwrap_or_else(|| panic!("vigil ended by a signal: {status:?}"))
    }

    /// Reads a `/proc/PID/status` field of vigil.
    pub fn status_field(&self, field: &str) -> u64 {
        proc_status_field(self.pid, field)
    }
}

pub fn proc_status_field(pid: i32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .arg("-9")
                .arg(self.pid.to_string())
                .status();
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
