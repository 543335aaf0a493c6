//! Signalling the whole process tree at shutdown: SIGTERM to leftovers once the
//! main child has gone, SIGKILL to whatever outlives the grace period.

use super::descendants;
use crate::sys::process::getpid;
use crate::sys::signal::Signal;
use crate::sys::signals::kill;

/// Sends `sig` to every process vigil is responsible for. As PID 1 that is
/// the whole PID namespace: kill(-1) reaches every process but ourselves
/// (kill(2)). Otherwise it is only vigil's own descendants, found in /proc, so
/// a subreaper never signals a process outside its tree. Returns how many
/// processes were signalled (as PID 1: 1 when any was, else 0).
pub fn signal_all(sig: Signal, is_pid1: bool) -> usize {
    if is_pid1 {
        return usize::from(kill(-1, sig).is_ok());
    }
    descendants::of(getpid())
        .into_iter()
        .filter(|&pid| kill(pid, sig).is_ok())
        .count()
}
