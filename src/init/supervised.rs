//! One process vigil starts and supervises (PROGRAM or a `--with` sidecar):
//! its role, its restart policy and history, and where it is in its life.

use alloc::string::String;
use core::fmt;

use super::event::Mono;
use super::restart_policy::{History, Restart};
use crate::sys::wait::{ExitStatus, Pid};

/// What a supervised process is to vigil.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// PROGRAM.
    Main,
    /// Started before PROGRAM in its own process group (`--with`).
    Sidecar,
    /// Run to its end before PROGRAM starts, once (`--pre-start`).
    PreStart,
    /// Run at the first stop signal, before it is forwarded (`--pre-stop`).
    PreStop,
}

/// Where one supervised process is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProcState {
    /// Not started yet (`--wait-for` still running, or an earlier sidecar starting).
    NotStarted,
    /// A `Start` action went out; the loop reports `Started` or `StartFailed`.
    Starting,
    Running(Pid),
    /// A sidecar that got SIGTERM during shutdown; it still runs.
    Stopping(Pid),
    /// The watchdog stopped PROGRAM to restart it (`--on-unhealthy restart`):
    /// the stop signal went out; SIGKILL at `kill_at`.
    Replacing {
        pid: Pid,
        kill_at: Mono,
    },
    /// Exited, to be restarted: what is left of its process group got SIGTERM.
    /// It restarts once the group is gone (SIGKILL at `kill_at`), not before `restart_at`.
    Clearing {
        last: ExitStatus,
        group: Pid,
        kill_at: Mono,
        restart_at: Mono,
    },
    /// Exited; restarts at `restart_at` (the backoff).
    Backoff {
        last: ExitStatus,
        restart_at: Mono,
    },
    /// Reaped, with how it ended, and stays down. Only the first reap counts: a
    /// later process that reuses the pid is an orphan like any other.
    Exited(ExitStatus),
}

/// One process vigil starts and supervises.
#[derive(Clone, Debug)]
pub struct Supervised {
    /// Its name (`--name`, `--with 'NAME: ...'`, or its file name made
    /// unique): messages say it through `named`.
    pub name: String,
    pub role: Role,
    pub restart: Restart,
    pub state: ProcState,
    /// When it last started, for the backoff reset.
    pub started_at: Mono,
    pub history: History,
}

/// How every message names a process: `'proxy' (pid 12)`, a hook as
/// `--pre-stop 'drain' (pid 13)`, without the pid before it has one.
pub struct Named<'a>(pub Option<&'a Supervised>, pub Option<Pid>);

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if let Some(p) = self.0 {
            let hook = match p.role {
                Role::PreStart => "--pre-start ",
                Role::PreStop => "--pre-stop ",
                _ => "",
            };
            write!(f, "{hook}'{}'", p.name)?;
        }
        match self.1 {
            Some(pid) if self.0.is_some() => write!(f, " (pid {pid})"),
            Some(pid) => write!(f, "pid {pid}"),
            None => Ok(()),
        }
    }
}

impl Supervised {
    /// Its name for a message, with `pid` (the one it ran as, or runs as).
    pub fn named(&self, pid: Option<Pid>) -> Named<'_> {
        Named(Some(self), pid)
    }

    /// Its pid while it runs.
    pub fn pid(&self) -> Option<Pid> {
        match self.state {
            ProcState::Running(pid) | ProcState::Stopping(pid) => Some(pid),
            ProcState::Replacing { pid, .. } => Some(pid),
            _ => None,
        }
    }

    /// The last status of a process that exited (and may be restarted).
    pub fn last_status(&self) -> Option<ExitStatus> {
        match self.state {
            ProcState::Clearing { last, .. } | ProcState::Backoff { last, .. } => Some(last),
            ProcState::Exited(last) => Some(last),
            _ => None,
        }
    }

    /// The deadline of a pending restart: the SIGKILL to what is left of it,
    /// or the end of its backoff.
    pub fn restart_deadline(&self) -> Option<Mono> {
        match self.state {
            ProcState::Replacing { kill_at, .. } | ProcState::Clearing { kill_at, .. } => {
                Some(kill_at)
            }
            ProcState::Backoff { restart_at, .. } => Some(restart_at),
            _ => None,
        }
    }
}
