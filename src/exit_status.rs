//! Every exit status vigil decides, in one place: init mode's table (README
//! "Exit status"), `vigil check`'s two, and how a child's status is folded
//! into one byte.

use crate::sys::signal::Signal;
use crate::sys::wait::ExitStatus;

/// Success; also what `-e CODE` turns CODE into.
pub const SUCCESS: i32 = 0;
/// Nothing was started: `--wait-for` timed out, `--user` failed, or vigil
/// itself could not work (fork or `--pdeathsig` failed). Also a restart that
/// could not enter the working directory (everything stopped).
pub const FAILURE: i32 = 1;
/// Bad usage: unknown option, bad value, no PROGRAM. Nothing was started.
pub const USAGE: i32 = 2;
/// The `--watch` watchdog stopped the child, whatever status it then exited
/// with: EX_TEMPFAIL in sysexits(3), "try again later".
pub const WATCHDOG: i32 = 75;
/// PROGRAM was found but could not be executed (as a shell reports it).
pub const NOT_EXECUTABLE: i32 = 126;
/// PROGRAM was not found (as a shell reports it).
pub const NOT_FOUND: i32 = 127;
/// `vigil check`: every target is healthy.
pub const HEALTHY: i32 = 0;
/// `vigil check`: a target is unhealthy, or the usage is bad. Never 2, which
/// Docker reserves for HEALTHCHECKs.
pub const UNHEALTHY: i32 = 1;
/// A death by signal N is reported as 128+N, as a shell does.
const SIGNAL_BASE: i32 = 128;

/// 128+N for signal N: how vigil reports a signal that ended it or its child.
pub fn signaled(sig: Signal) -> i32 {
    SIGNAL_BASE + sig.0
}

/// A process's status as one number: its exit code, or 128+N.
pub fn of(status: ExitStatus) -> i32 {
    match status {
        ExitStatus::Exited(code) => i32::from(code),
        ExitStatus::Signaled(sig) => signaled(sig),
    }
}

/// vigil's status for the main child's `status`: folded as above, then 0 if
/// the result is one of the `-e` codes.
pub fn of_main_child(status: ExitStatus, success_exits: &[u8]) -> i32 {
    let code = of(status);
    if u8::try_from(code).is_ok_and(|c| success_exits.contains(&c)) {
        SUCCESS
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_death_is_128_plus_n() {
        assert_eq!(of(ExitStatus::Signaled(Signal::TERM)), 143);
        assert_eq!(of(ExitStatus::Signaled(Signal::KILL)), 137);
        assert_eq!(of(ExitStatus::Exited(3)), 3);
    }

    #[test]
    fn success_exit_remaps_codes_and_signal_deaths_to_zero() {
        assert_eq!(of_main_child(ExitStatus::Exited(3), &[3]), 0);
        assert_eq!(of_main_child(ExitStatus::Signaled(Signal::TERM), &[143]), 0);
        assert_eq!(of_main_child(ExitStatus::Exited(4), &[3]), 4);
    }
}
