//! Shared test helpers: where the vigil binary under test is, and running
//! processes with a hard time limit so no test can hang the suite.
#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test: `$VIGIL_BIN` (the static musl builds, set by the
/// test script) or the one cargo built for this test run.
pub fn vigil() -> PathBuf {
    match std::env::var_os("VIGIL_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_vigil")),
    }
}

/// `$VIGIL_TEST_RUNNER`: an emulator that runs the binary under test, as
/// cargo's target runner does (`qemu-aarch64-static` for the aarch64 builds).
/// A bare name is looked up in this process's PATH, so a test that starts
/// vigil with another PATH still finds the emulator.
pub fn runner() -> Option<PathBuf> {
    let runner = PathBuf::from(std::env::var_os("VIGIL_TEST_RUNNER").filter(|p| !p.is_empty())?);
    if runner.components().count() > 1 {
        return Some(runner);
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(&runner))
        .find(|p| p.is_file())
        .or(Some(runner))
}

/// The words that start vigil: the runner, if any, then the binary.
pub fn vigil_argv() -> Vec<PathBuf> {
    runner().into_iter().chain([vigil()]).collect()
}

/// What `/proc/PID/exe` shows for a running vigil: the runner, if any.
pub fn vigil_exe() -> PathBuf {
    let exe = runner().unwrap_or_else(vigil);
    let found = if exe.components().count() > 1 {
        Some(exe.clone())
    } else {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|dir| dir.join(&exe))
            .find(|p| p.is_file())
    };
    found
        .and_then(|p| std::fs::canonicalize(p).ok())
        .unwrap_or_else(|| panic!("cannot find {}", exe.display()))
}

/// A `Command` for vigil with a clean slate of VIGIL_* variables.
pub fn vigil_cmd() -> Command {
    let argv = vigil_argv();
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("VIGIL_") && k != "VIGIL_BIN" {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Waits for `child` at most `limit`; kills it and panics past that.
pub fn wait_limit(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process {} still running after {limit:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `cmd` to completion within `limit`, capturing stdout and stderr.
pub fn output_limit(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = wait_limit(&mut child, limit);
    Output {
        status,
        stdout: out_reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// vigil's text with the number of every `(pid 123)` it names written `N`,
/// so a test compares whole lines: `'sh' (pid N) exited with status 3`.
#[allow(dead_code)]
pub fn pids_as_n(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("(pid ") {
        let (head, tail) = rest.split_at(at + 5);
        out.push_str(head);
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && tail[digits..].starts_with(')') {
            out.push('N');
        } else {
            out.push_str(&tail[..digits]);
        }
        rest = &tail[digits..];
    }
    out + rest
}
pub mod memory_cgroup;
pub mod notify;
pub mod run;

/// Whether `line` is one of vigil's health-state lines (README "Health"):
/// `vigil: ready after 0.31s`, `vigil: unready: ...`, `vigil: stopping`. Tests
/// of other rules read the log without them.
pub fn is_health_line(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("vigil: ") else {
        return false;
    };
    [
        "ready",
        "unready",
        "unhealthy",
        "restarting",
        "draining",
        "stopping",
    ]
    .iter()
    .any(|state| {
        rest.strip_prefix(state).is_some_and(|after| {
            after.is_empty()
                || [": ", " after ", " again after ", " for "]
                    .iter()
                    .any(|s| after.starts_with(s))
        })
    })
}

/// vigil's log without its health-state lines.
pub fn without_health_lines(log: &str) -> String {
    log.lines()
        .filter(|l| !is_health_line(l))
        .map(|l| format!("{l}\n"))
        .collect()
}
