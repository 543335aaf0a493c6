//! Signal masks, signalfd and kill: how vigil takes every signal synchronously.
//!
//! Masks are raw 64-bit kernel masks passed to `rt_sigprocmask`/`signalfd4`
//! directly: libc's `sigset_t` helpers refuse signals 32-34 (reserved by glibc
//! and musl threads), yet an init must block and forward every catchable signal.

use alloc::vec::Vec;
use core::time::Duration;

use super::errno::{Errno, Result, check};
use super::fd::Fd;
use super::signal::{MAX, Signal};

/// A kernel signal mask: bit `n - 1` stands for signal `n`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mask(pub u64);

impl Mask {
    /// Every signal the kernel lets a process block (all but KILL and STOP).
    pub fn all_blockable() -> Mask {
        let all = if MAX == 64 {
            u64::MAX
        } else {
            (1u64 << MAX) - 1
        };
        Mask(all & !bit(Signal::KILL) & !bit(Signal::STOP))
    }

    pub fn contains(self, sig: Signal) -> bool {
        self.0 & bit(sig) != 0
    }
}

fn bit(sig: Signal) -> u64 {
    1u64 << (sig.0 - 1)
}

/// Replaces the calling thread's signal mask, returning the one it had.
pub fn set_mask(mask: Mask) -> Mask {
    let mut old: u64 = 0;
    // SAFETY: rt_sigprocmask reads 8 bytes from `&mask.0` and writes 8 bytes to
    // `&mut old`, both valid u64s on our stack; sigsetsize 8 is the kernel's
    // _NSIG/8 on every 64-signal architecture. It cannot fail with these arguments.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &mask.0 as *const u64,
            &mut old as *mut u64,
            8usize,
        );
    }
    Mask(old)
}

/// The signals pending for the process or this thread (sigpending(2)):
/// blocked ones that arrived and were not read yet.
pub fn pending() -> Mask {
    let mut set: u64 = 0;
    // SAFETY: rt_sigpending writes 8 bytes (sigsetsize, as in `set_mask`) into
    // a local u64. It cannot fail with these arguments.
    unsafe {
        libc::syscall(libc::SYS_rt_sigpending, &mut set as *mut u64, 8usize);
    }
    Mask(set)
}

/// Blocks every blockable signal and returns the mask the process started with.
/// A PID-namespace init drops signals whose action is SIG_DFL unless they are
/// blocked (pid_namespaces(7)); blocked ones queue until the signalfd reads them.
pub fn block_all() -> Mask {
    set_mask(Mask::all_blockable())
}

/// What vigil needs to know about one received signal.
#[derive(Clone, Copy, Debug)]
pub struct Received {
    pub signal: Signal,
    /// Sender's pid (0 when the kernel sent it, e.g. a terminal's ^C).
    pub pid: u32,
    /// True when the kernel generated it (SI_KERNEL): the terminal driver sends
    /// ^C, ^Z, ^\ and window changes to the whole foreground process group.
    pub from_kernel: bool,
}

/// A signalfd for a mask; reading it dequeues pending signals. It blocks:
/// with nothing due, vigil sleeps in read(2) itself (see `wait_and_read`).
pub struct SignalFd(Fd);

impl SignalFd {
    pub fn new(mask: Mask) -> Result<SignalFd> {
        // SAFETY: signalfd4 reads 8 bytes from `&mask.0`; fd -1 asks for a new
        // descriptor, which we own from here on (wrapped in Fd below).
        let fd = unsafe {
            libc::syscall(
                libc::SYS_signalfd4,
                -1,
                &mask.0 as *const u64,
                8usize,
                libc::SFD_CLOEXEC,
            )
        };
        Ok(SignalFd(Fd::own(check(fd)? as i32)))
    }

    pub fn raw(&self) -> i32 {
        self.0.raw()
    }

    /// Waits until a signal is pending or `timeout` passes (`None`: forever),
    /// then dequeues up to 4 into `out` (empty when the time ran out).
    /// Without a timeout this is one blocking read(2), with no poll(2)
    /// before it: one syscall fewer between a signal and its forwarding.
    /// Blocking here costs no wake-ups.
    pub fn wait_and_read(&self, timeout: Option<Duration>, out: &mut Vec<Received>) -> Result<()> {
        if timeout.is_some() && !self.wait(timeout)? {
            out.clear();
            return Ok(());
        }
        self.read(out)
    }

    /// Waits until a signal is pending or `timeout` passes (`None`: forever).
    /// Returns whether a signal is ready.
    fn wait(&self, timeout: Option<Duration>) -> Result<bool> {
        let timeout_ms: i32 = match timeout {
            None => -1,
            // Round up, so we never wake just before a deadline and spin.
            Some(d) => d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32,
        };
        let mut pfd = libc::pollfd {
            fd: self.0.raw(),
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: one valid pollfd on our stack, count 1.
            let n = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
            if n >= 0 {
                return Ok(n > 0);
            }
            let err = Errno::last();
            if !err.interrupted() {
                return Err(err);
            }
        }
    }

    /// Dequeues up to 4 pending signals into `out` (cleared first), blocking
    /// until one is pending; the rest wait for the next call. A small buffer:
    /// every stack page vigil ever touches counts in its peak RSS.
    fn read(&self, out: &mut Vec<Received>) -> Result<()> {
        out.clear();
        const N: usize = 4;
        let size = core::mem::size_of::<libc::signalfd_siginfo>();
        // SAFETY: signalfd_siginfo is plain old data (integers only): all-zero is valid.
        let mut buf: [libc::signalfd_siginfo; N] = unsafe { core::mem::zeroed() };
        // SAFETY: we pass the buffer's own address and exact byte length.
        let n = unsafe { libc::read(self.0.raw(), buf.as_mut_ptr().cast(), N * size) };
        if n < 0 {
            let err = Errno::last();
            return match err.0 {
                libc::EAGAIN | libc::EINTR => Ok(()),
                _ => Err(err),
            };
        }
        for info in &buf[..n as usize / size] {
            out.push(Received {
                signal: Signal(info.ssi_signo as i32),
                pid: info.ssi_pid,
                from_kernel: info.ssi_code == libc::SI_KERNEL,
            });
        }
        Ok(())
    }
}

/// kill(2): `pid > 0` one process, `pid < -1` a process group, `-1` everything we may signal.
pub fn kill(pid: i32, sig: Signal) -> Result<()> {
    // SAFETY: kill takes plain integers and has no memory effects.
    check(unsafe { libc::kill(pid, sig.0) }).map(drop)
}

/// Whether process group `pgid` still has a member: kill(-pgid, 0) fails with
/// ESRCH once it has none (kill(2)); EPERM means someone is still there.
pub fn group_exists(pgid: i32) -> bool {
    match kill(-pgid, Signal(0)) {
        Ok(()) => true,
        Err(e) => e.0 != libc::ESRCH,
    }
}
