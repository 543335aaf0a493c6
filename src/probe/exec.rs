//! `exec:` targets: a command line, split as `--with` splits it (no shell),
//! that must exit 0 within the probe's deadline; at the deadline it is killed
//! with its process group. Its output goes to /dev/null.

use alloc::ffi::CString;
use alloc::vec::Vec;

use super::report::{Failure, Passed};
use super::target::Target;
use super::{CheckOptions, Deadline};
use crate::sys::Errno;
use crate::sys::command;
use crate::sys::wait::ExitStatus;

pub fn run(target: &Target, opts: &CheckOptions, deadline: Deadline) -> Result<Passed, Failure> {
    let mut argv = Vec::with_capacity(target.words.len());
    for word in &target.words {
        argv.push(CString::new(word.as_bytes()).map_err(|_| Failure::Spawn(Errno::INVALID))?);
    }
    let left = deadline
        .remaining()
        .ok_or(Failure::TimedOut(deadline.total()))?;
    let ran = command::run(&argv, opts.exec_mask, left).map_err(|e| Failure::Spawn(e.errno()))?;
    match ran {
        Some(ExitStatus::Exited(0)) => Ok(Passed::Exited),
        Some(ExitStatus::Exited(code)) => Err(Failure::Exit(code)),
        Some(ExitStatus::Signaled(sig)) => Err(Failure::Killed(sig)),
        None => Err(Failure::TimedOut(deadline.total())),
    }
}
