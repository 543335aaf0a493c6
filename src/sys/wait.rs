//! Typed process ids and exit statuses, and reaping with waitpid(2): the sys
//! layer reports what the kernel said; folding a status into 128+N is policy.

use core::fmt;

use super::errno::Errno;
use super::signal::Signal;

/// A process id, always positive: the kernel's pid of one process. Signalling
/// a group or "everything" is spelled out by the caller, never by a sign.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub struct Pid(i32);

impl Pid {
    /// `None` for 0 and negative numbers, which name no single process.
    pub const fn new(raw: i32) -> Option<Pid> {
        if raw > 0 { Some(Pid(raw)) } else { None }
    }

    pub const fn get(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How a process ended, as waitpid(2) reports it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExitStatus {
    /// It called exit(N) or returned N from main.
    Exited(u8),
    /// Signal N ended it.
    Signaled(Signal),
}

impl ExitStatus {
    /// Decodes a raw wait status (wait(2): WIFSIGNALED, WTERMSIG, WEXITSTATUS).
    pub fn from_raw(raw: i32) -> ExitStatus {
        if libc::WIFSIGNALED(raw) {
            ExitStatus::Signaled(Signal(libc::WTERMSIG(raw)))
        } else {
            ExitStatus::Exited(libc::WEXITSTATUS(raw) as u8)
        }
    }
}

/// One result of waitpid(-1, WNOHANG).
#[derive(Debug, PartialEq, Eq)]
pub enum Reaped {
    /// A child ended; `core_dumped`: it dumped core (WCOREDUMP).
    Child {
        pid: Pid,
        status: ExitStatus,
        core_dumped: bool,
    },
    /// Children exist but none has ended.
    Nothing,
    /// No children at all (ECHILD).
    NoChildren,
}

/// Reaps one ended child, if any, without blocking.
pub fn reap_one() -> Reaped {
    let mut raw: i32 = 0;
    loop {
        // SAFETY: waitpid writes the status into a local i32 and reads nothing else.
        let pid = unsafe { libc::waitpid(-1, &mut raw, libc::WNOHANG) };
        if let Some(pid) = Pid::new(pid) {
            return Reaped::Child {
                pid,
                status: ExitStatus::from_raw(raw),
                core_dumped: libc::WIFSIGNALED(raw) && libc::WCOREDUMP(raw),
            };
        }
        if pid == 0 {
            return Reaped::Nothing;
        }
        if !Errno::last().interrupted() {
            return Reaped::NoChildren;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_is_positive_only() {
        assert_eq!(Pid::new(0), None);
        assert_eq!(Pid::new(-1), None);
        assert_eq!(Pid::new(42).map(Pid::get), Some(42));
    }

    #[test]
    fn decodes_exit_and_signal() {
        // wait(2) layout: exit code in bits 8-15; terminating signal in bits 0-6.
        assert_eq!(ExitStatus::from_raw(3 << 8), ExitStatus::Exited(3));
        assert_eq!(ExitStatus::from_raw(255 << 8), ExitStatus::Exited(255));
        assert_eq!(ExitStatus::from_raw(15), ExitStatus::Signaled(Signal::TERM));
        // A core dump sets bit 7; the signal is still the low bits.
        assert_eq!(
            ExitStatus::from_raw(0x80 | 9),
            ExitStatus::Signaled(Signal::KILL)
        );
    }
}
