//! Signal dispositions (sigaction(2)): what vigil does with a signal when it
//! is delivered, as opposed to the mask (blocked or not, in sigwait.rs).

use super::errno::{Result, check};
use super::signal::Signal;

/// Sets `sig`'s action to the default; returns whether it was ignored.
/// A launcher may leave SIGCHLD ignored across exec, and then the kernel
/// reaps vigil's children itself and waitpid never reports them (wait(2)).
pub fn reset_to_default(sig: Signal) -> Result<bool> {
    // SAFETY: sigaction only reads `new` and writes `old`, two sigaction
    // structs on our stack; all-zero is a valid value for both (SIG_DFL,
    // empty mask, no flags).
    let old = unsafe {
        let mut new: libc::sigaction = core::mem::zeroed();
        new.sa_sigaction = libc::SIG_DFL;
        let mut old: libc::sigaction = core::mem::zeroed();
        check(libc::sigaction(sig.0, &new, &mut old))?;
        old
    };
    Ok(old.sa_sigaction == libc::SIG_IGN)
}
