//! The OOM notification source: wakes the loop when the kernel's OOM killer
//! acts in vigil's memory cgroup, so that the kill of a process vigil does
//! not reap (a worker its parent reaps) is reported too, when it happens.
//!
//! cgroup v2: inotify on `memory.events`, which the kernel marks modified when
//! a counter moves (cgroup-v2.rst); inotify raises SIGIO, so vigil still
//! sleeps in its one rt_sigtimedwait. cgroup v1: an eventfd registered for
//! `memory.oom_control` through `cgroup.event_control` (cgroup-v1/memory.rst,
//! "OOM Control"), where vigil may write that file; an eventfd raises no
//! SIGIO, so the loop then waits in ppoll. Either way nothing is polled on a
//! timer: an idle vigil never wakes.

use alloc::format;

use super::memory_cgroup::{MemoryCgroup, Version};
use crate::sys::errno::{Errno, Result};
use crate::sys::fd::Fd;
use crate::sys::{eventfd, fs, inotify};

/// The notification fd of vigil's memory cgroup.
pub struct OomWatch {
    fd: Fd,
    version: Version,
}

impl OomWatch {
    /// Watches `cgroup`. v1 fails where `cgroup.event_control` is read-only
    /// (Docker mounts the cgroup files so): EROFS.
    #[inline(never)] // Called once; not inlined: smaller (see `MemoryCgroup::find`).
    pub fn new(cgroup: &MemoryCgroup) -> Result<OomWatch> {
        let path = |file| cgroup.path(file).ok_or(Errno(libc::EINVAL));
        let fd = match cgroup.version {
            Version::V2 => inotify::watch_modify(&path("memory.events")?)?,
            Version::V1 => {
                let events = eventfd::new()?;
                let control = fs::open(&path("memory.oom_control")?, libc::O_RDONLY)?;
                let register = fs::open(&path("cgroup.event_control")?, libc::O_WRONLY)?;
                // "<event_fd> <fd of memory.oom_control>"; the registration
                // lasts while the eventfd is open, not the other two.
                register.write_all(format!("{} {}", events.raw(), control.raw()).as_bytes())?;
                events
            }
        };
        Ok(OomWatch {
            fd,
            version: cgroup.version,
        })
    }

    pub fn fd(&self) -> i32 {
        self.fd.raw()
    }

    /// inotify raises SIGIO; an eventfd does not.
    pub fn raises_sigio(&self) -> bool {
        self.version == Version::V2
    }

    /// Takes what the fd holds (until EAGAIN); whether a notification came.
    pub fn take(&self) -> bool {
        match self.version {
            Version::V2 => inotify::drain(&self.fd),
            Version::V1 => eventfd::take(&self.fd) > 0,
        }
    }
}
