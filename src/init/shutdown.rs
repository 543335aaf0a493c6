//! Signalling the whole process tree at shutdown: SIGTERM to leftovers once the
//! main child has gone, SIGKILL to whatever outlives the grace period.

use super::descendants;
use crate::sys::process::getpid;
use crate::sys::signal::Signal;
use crate::sys::signals::kill;

/// Sends `sig` to every process vigil is responsible for. As PID 1 that is
/// the whole PID namespace: kill(-1) reaches every process but ourselves
/// (kill(2)). Otherwise it is only vigil's own descendants, found in /proc, so
/// a subreaper never signals a process outside its tree. Failures (ESRCH for
/// a process that just exited) are expected and ignored.
pub fn signal_all(sig: Signal, is_pid1: bool) {
    if is_pid1 {
        let _ = kill(-1, sig);
        return;
    }
    for pid in descendants::of(getpid()) {
        let _ = kill(pid, sig);
    }
}
