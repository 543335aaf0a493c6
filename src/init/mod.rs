//! Init mode: validate options, become a subreaper, start the child with the
//! state vigil was started with, then hand over to the supervisor loop.

pub mod config;
mod descendants;
mod probes;
mod shutdown;
mod supervisor;
pub(crate) mod user;

use alloc::ffi::CString;
use alloc::string::String;
use alloc::vec::Vec;

use crate::sys::process::{self, Spawn, SpawnError};
use crate::sys::signals::{Mask, SignalFd};
use crate::{error, log, warn};
pub use config::InitOptions;

/// Exit status for bad usage: nothing was started.
pub const EXIT_USAGE: i32 = 2;
/// Exit status when vigil itself cannot work (fork or signalfd failed), a
/// `--wait-for` target never passed, or `--user` failed.
pub const EXIT_INTERNAL: i32 = 1;
pub use probes::EXIT_WATCHDOG;
pub const EXIT_NOT_FOUND: i32 = 127;
pub const EXIT_NOT_EXECUTABLE: i32 = 126;

/// Runs init mode with its parsed options and the signal mask vigil was
/// started with; returns vigil's exit status.
pub fn main(opts: InitOptions, started_mask: Mask) -> i32 {
    let opts = &opts;
    log::set_level(opts.log_level);
    let argv = match to_cstrings(&opts.command) {
        Ok(argv) => argv,
        Err(arg) => {
            error!("argument contains a NUL byte: {arg}");
            return EXIT_USAGE;
        }
    };
    match start(opts, &argv, started_mask) {
        Ok(code) => code,
        Err(code) => code,
    }
}

/// Sets vigil up, starts the child and supervises it; `Err` carries the exit
/// status of a start that failed before any child ran.
fn start(opts: &InitOptions, argv: &[CString], started_mask: Mask) -> Result<i32, i32> {
    let is_pid1 = process::getpid() == 1;
    if !is_pid1 {
        // Without this, orphans go to the real init and are never reaped by us.
        if let Err(e) = process::set_child_subreaper() {
            warn!(
                "cannot become a child subreaper ({e}); orphans will be reaped by the system's init"
            );
        }
    }
    if let Some(sig) = opts.pdeathsig {
        if let Err(e) = process::set_parent_death_signal(sig.0) {
            error!("--pdeathsig {sig}: {e}");
            return Err(EXIT_INTERNAL);
        }
    }
    // Created before the child so a failure starts nothing; close-on-exec.
    let sigfd = SignalFd::new(Mask::all_blockable()).map_err(|e| {
        error!("cannot create a signalfd: {e}");
        EXIT_INTERNAL
    })?;
    // Resolved before anything waits or forks: an unknown user fails at once.
    let creds = match &opts.user {
        Some(spec) => Some(user::resolve(spec).map_err(|e| {
            error!("--user {spec}: {e}");
            EXIT_INTERNAL
        })?),
        None => None,
    };
    probes::wait_for(opts, &sigfd, started_mask)?;
    let spawn = Spawn {
        argv,
        new_group: opts.group,
        take_terminal: opts.group && process::stdin_terminal_is_ours(),
        mask: started_mask,
        creds: creds.as_ref(),
        no_new_privs: opts.no_new_privs,
    };
    let program = String::from_utf8_lossy(&opts.command[0]);
    let child = match process::spawn(&spawn) {
        Ok(pid) => pid,
        Err(SpawnError::Exec(e)) => {
            let not_found = matches!(e.0, libc::ENOENT | libc::ENOTDIR);
            if e.0 == libc::ENOEXEC {
                // A script without `#!` runs with /bin/sh when there is one
                // (sys::process); here there is none, or it is no program.
                error!(
                    "cannot run '{program}': {e}: not a program for this machine, or a script without a '#!' line and no /bin/sh to run it"
                );
            } else {
                error!("cannot run '{program}': {e}");
            }
            return Err(if not_found {
                EXIT_NOT_FOUND
            } else {
                EXIT_NOT_EXECUTABLE
            });
        }
        Err(SpawnError::Creds(step, e)) => {
            let user = opts.user.as_deref().unwrap_or("root");
            error!("cannot run '{program}' as user '{user}': {step}: {e}");
            return Err(EXIT_INTERNAL);
        }
        Err(SpawnError::Fork(e)) => {
            error!("cannot start '{program}': {e}");
            return Err(EXIT_INTERNAL);
        }
    };
    crate::debug!(
        "started '{program}' as pid {child}{}",
        if is_pid1 { " (vigil is PID 1)" } else { "" }
    );
    // The child has its own copies now; vigil pins no fd and no mount.
    process::close_fds_from_3_except(sigfd.raw());
    if let Err(e) = crate::sys::env::chdir_root() {
        crate::debug!("cannot chdir to /: {e}");
    }
    Ok(supervisor::Supervisor::new(opts, sigfd, child, is_pid1, started_mask).run())
}

fn to_cstrings(command: &[Vec<u8>]) -> Result<Vec<CString>, String> {
    command
        .iter()
        .map(|a| CString::new(a.clone()).map_err(|_| String::from_utf8_lossy(a).into_owned()))
        .collect()
}
