//! A command run to its end under a deadline: the `exec:` probe. It runs in
//! a process group of its own, killed whole at the deadline.

use alloc::ffi::CString;
use core::time::Duration;

use super::env::Envp;
use super::errno::Errno;
use super::process::{Spawn, SpawnError, spawn};
use super::signal::Signal;
use super::sigwait::{Mask, set_mask, wait};
use super::time::Instant;
use super::wait::ExitStatus;

/// Runs `argv` (looked up in PATH) with stdin, stdout and stderr on
/// /dev/null and the signal mask `mask`, until it exits (`Some`) or
/// `timeout` passes (`None`: its group got SIGKILL). The caller's mask is
/// as it was when this returns; an ignored SIGCHLD is reset to the default,
/// else the kernel would reap the command itself (wait(2)).
pub fn run(
    argv: &[CString],
    mask: Mask,
    timeout: Duration,
) -> Result<Option<ExitStatus>, SpawnError> {
    let end = Instant::now() + timeout;
    let chld = Mask(1u64 << (libc::SIGCHLD - 1));
    let _ = super::disposition::reset_to_default(Signal::CHLD);
    let old = set_mask(Mask::all_blockable());
    set_mask(Mask(old.0 | chld.0));
    let ran = spawn(&Spawn {
        argv,
        new_group: true,
        take_terminal: false,
        mask,
        creds: None,
        no_new_privs: false,
        ignore_chld: false,
        env: &Envp::inherited(),
        cwd: None,
        quiet: true,
        output: [-1, -1],
    })
    .map(|pid| {
        loop {
            if let Some(status) = reaped(pid, false) {
                break Some(status);
            }
            match end.checked_duration_since(Instant::now()) {
                Some(left) => drop(wait(chld, Some(left))),
                None => {
                    // SAFETY: plain integers: the command's group, then the command.
                    unsafe {
                        libc::kill(-pid, libc::SIGKILL);
                        libc::kill(pid, libc::SIGKILL);
                    }
                    // It may have exited on its own just now: then that counts.
                    match reaped(pid, true) {
                        Some(ExitStatus::Signaled(Signal::KILL)) | None => break None,
                        status => break status,
                    }
                }
            }
        }
    });
    set_mask(old);
    ran
}

/// waitpid(pid), blocking or not; `None` while it runs.
fn reaped(pid: i32, block: bool) -> Option<ExitStatus> {
    let mut raw = 0;
    let options = if block { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: waitpid writes the status into a local i32.
        let rc = unsafe { libc::waitpid(pid, &mut raw, options) };
        if rc == pid {
            return Some(ExitStatus::from_raw(raw));
        }
        if rc == 0 || !Errno::last().interrupted() {
            return None;
        }
    }
}
