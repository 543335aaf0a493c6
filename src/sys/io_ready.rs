//! File descriptors that wake vigil: signal-driven I/O (the kernel queues
//! SIGIO when one is ready), and poll(2) to see which are. The wait itself,
//! and the signalfd that watches signals beside an fd that cannot raise
//! SIGIO, are in `sigwait.rs`.

use super::errno::{Result, check};

/// SIGIO's `si_code` for "input ready" .. "hung up" (POLL_IN = 1 to POLL_HUP
/// = 6 in asm-generic/siginfo.h): what the kernel sets when it queues the
/// F_SETSIG signal for an fd in signal-driven mode (fcntl(2), F_SETSIG).
pub const POLL_IN: i32 = 1;
pub const POLL_HUP: i32 = 6;

/// fcntl's F_SETSIG (asm-generic/fcntl.h; the libc crate lacks it on musl).
const F_SETSIG: i32 = 10;

/// Puts `fd` in signal-driven mode: non-blocking, and the kernel queues SIGIO
/// to vigil (F_SETOWN) with `si_code` POLL_IN..POLL_HUP and `si_fd` (F_SETSIG)
/// whenever it becomes ready (fcntl(2), "Signal-driven I/O").
///
/// Only file types with a `fasync` operation raise it: sockets (a listening
/// stream socket when a connection comes, a datagram socket when one
/// arrives), pipes and FIFOs, inotify, terminals. An eventfd (the cgroup v1
/// OOM notification) takes O_ASYNC without an error and never raises SIGIO:
/// such an fd needs `sigwait::wait_polling`.
pub fn set_signal_driven(fd: i32) -> Result<()> {
    // SAFETY: getpid takes nothing and cannot fail.
    let me = unsafe { libc::getpid() };
    // The owner and the signal first, so the first SIGIO carries si_fd.
    fcntl(fd, libc::F_SETOWN, me)?;
    fcntl(fd, F_SETSIG, libc::SIGIO)?;
    let flags = fcntl(fd, libc::F_GETFL, 0)?;
    fcntl(fd, libc::F_SETFL, flags | libc::O_ASYNC | libc::O_NONBLOCK).map(drop)
}

fn fcntl(fd: i32, cmd: i32, arg: i32) -> Result<i32> {
    // SAFETY: F_SETOWN, F_SETSIG, F_GETFL and F_SETFL take an integer
    // argument and touch no memory of ours.
    check(unsafe { libc::fcntl(fd, cmd, arg) })
}

/// One fd to poll for input, and what poll(2) found: `struct pollfd`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

impl PollFd {
    /// Watch `fd` for input (a hang-up and an error are always reported).
    pub fn input(fd: i32) -> PollFd {
        PollFd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        }
    }

    pub fn fd(&self) -> i32 {
        self.fd
    }

    /// Input, a hang-up or an error is there: a read will not block.
    pub fn ready(&self) -> bool {
        self.revents != 0
    }
}

/// poll(2) with a zero timeout: marks which of `fds` are ready now; returns
/// how many are. Never blocks.
pub fn poll_now(fds: &mut [PollFd]) -> Result<usize> {
    poll(fds, 0)
}

fn poll(fds: &mut [PollFd], timeout_ms: i32) -> Result<usize> {
    // SAFETY: PollFd is #[repr(C)] with struct pollfd's fields in its order
    // (int fd; short events; short revents); the kernel reads and writes
    // `fds.len()` of them in our slice, which lives until it returns.
    let n = unsafe {
        libc::poll(
            fds.as_mut_ptr().cast::<libc::pollfd>(),
            fds.len() as libc::nfds_t,
            timeout_ms,
        )
    };
    check(n).map(|n| n as usize)
}
