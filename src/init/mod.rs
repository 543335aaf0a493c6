//! Init mode: validate options, become a subreaper, create the signalfd,
//! resolve `--user`, then run the supervisor (`main_loop.rs` around `machine.rs`).

pub mod config;
pub mod machine;
mod main_loop;
pub mod restart_policy;
mod tree;
pub(crate) mod user;
pub mod wait_for;
pub mod watchdog;

use alloc::ffi::CString;
use alloc::string::String;
use alloc::vec::Vec;

use alloc::borrow::ToOwned;

pub use config::InitOptions;

use crate::exit_status::{FAILURE, USAGE};
use crate::sys::disposition;
use crate::sys::process::{self, Spawn};
use crate::sys::signal::Signal;
use crate::sys::signalfd::{Mask, SignalFd};
use crate::{error, log, warn};
use machine::{Machine, Rules};
use restart_policy::RestartRules;
use watchdog::WatchRules;

/// Runs init mode with its parsed options and the signal mask vigil was
/// started with; returns vigil's exit status.
pub fn main(opts: InitOptions, started_mask: Mask) -> i32 {
    let opts = &opts;
    log::set_level(opts.log_level);
    let argv = match to_cstrings(&opts.command) {
        Ok(argv) => argv,
        Err(arg) => {
            error!("argument contains a NUL byte: {arg}");
            return USAGE;
        }
    };
    match start(opts, &argv, started_mask) {
        Ok(code) => code,
        Err(code) => code,
    }
}

/// Sets vigil up, then runs the supervisor; `Err` carries the exit status of
/// a set-up that failed before anything was started.
fn start(opts: &InitOptions, argv: &[CString], started_mask: Mask) -> Result<i32, i32> {
    let is_pid1 = process::getpid() == 1;
    // A launcher may leave SIGCHLD ignored across exec; the kernel would then
    // reap vigil's children itself and vigil would wait forever (wait(2)).
    // Reset for vigil; the child gets it ignored again, as it would have.
    let ignore_chld = disposition::reset_to_default(Signal::CHLD).unwrap_or(false);
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
            return Err(FAILURE);
        }
    }
    // Created before the child so a failure starts nothing; close-on-exec.
    let sigfd = SignalFd::new(Mask::all_blockable()).map_err(|e| {
        error!("cannot create a signalfd: {e}");
        FAILURE
    })?;
    // Resolved before anything waits or forks: an unknown user fails at once.
    let creds = match &opts.user {
        Some(spec) => Some(user::resolve(spec).map_err(|e| {
            error!("--user {spec}: {e}");
            FAILURE
        })?),
        None => None,
    };
    let mut sidecars = Vec::with_capacity(opts.sidecars.len());
    for sidecar in &opts.sidecars {
        sidecars.push(strings_to_cstrings(&sidecar.words).map_err(|arg| {
            error!("--with: argument contains a NUL byte: {arg}");
            USAGE
        })?);
    }
    let io = main_loop::Io {
        sigfd,
        spawn: Spawn {
            argv,
            new_group: opts.group,
            take_terminal: opts.group && process::stdin_terminal_is_ours(),
            mask: started_mask,
            creds: creds.as_ref(),
            no_new_privs: opts.no_new_privs,
            ignore_chld,
        },
        sidecars: &sidecars,
        wait_for: &opts.wait_for,
        watch: opts.watch.as_ref(),
        started_mask,
        is_pid1,
    };
    Ok(main_loop::run(io, Machine::new(rules(opts, is_pid1))))
}

/// The options the machine decides by, as plain values.
fn rules(opts: &InitOptions, is_pid1: bool) -> Rules {
    Rules {
        program: String::from_utf8_lossy(&opts.command[0]).into_owned(),
        user: opts.user.clone(),
        group: opts.group,
        rewrites: opts.rewrites.clone(),
        success_exits: opts.success_exits.clone(),
        grace: opts.grace,
        is_pid1,
        own_pid: process::getpid() as u32,
        wait_for: opts.wait_for.len(),
        wait_timeout: opts.wait_timeout,
        watch: opts.watch.as_ref().map(|target| WatchRules {
            target: target.as_str().to_owned(),
            interval: opts.watch_interval,
            timeout: opts.watch_timeout,
            retries: opts.watch_retries,
            start_period: opts.watch_start_period,
        }),
        stop_delay: opts.stop_delay,
        sidecars: opts.sidecars.iter().map(|s| s.line.clone()).collect(),
        restart: RestartRules {
            policy: opts.restart,
            max: opts.max_restarts,
            window: opts.restart_window,
        },
        on_unhealthy: opts.on_unhealthy,
    }
}

fn to_cstrings(command: &[Vec<u8>]) -> Result<Vec<CString>, String> {
    command
        .iter()
        .map(|a| CString::new(a.clone()).map_err(|_| String::from_utf8_lossy(a).into_owned()))
        .collect()
}

fn strings_to_cstrings(words: &[String]) -> Result<Vec<CString>, String> {
    words
        .iter()
        .map(|w| CString::new(w.as_bytes()).map_err(|_| w.clone()))
        .collect()
}
