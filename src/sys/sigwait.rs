//! Signal masks, waiting for a signal, and kill: how vigil takes every
//! signal synchronously.
//!
//! Masks are raw 64-bit kernel masks passed to `rt_sigprocmask`/`rt_sigtimedwait`
//! directly: libc's `sigset_t` helpers refuse signals 32-34 (reserved by glibc
//! and musl threads), yet an init must block and forward every catchable signal.

use core::time::Duration;

use super::errno::{Errno, Result, check};
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
/// blocked (pid_namespaces(7)); blocked ones queue until `wait` takes them.
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

/// Waits until a signal in `mask` is pending or `timeout` passes (`None`:
/// forever), then dequeues one (`None` when the time ran out, or the wait
/// was interrupted without a signal: a stopped vigil was continued).
///
/// While vigil waits, the kernel lifts the waited-for signals from its mask
/// (`SigBlk` in /proc reads 0) and keeps them as `real_blocked`, which still
/// counts as blocked: a PID-namespace init drops none, and none kills it.
///
/// One rt_sigtimedwait(2), as tini does: the same wake-up as a signalfd's
/// read(2), without a descriptor. The signals must be blocked (`block_all`),
/// so any that arrive between two calls wait in the queue for the next one.
/// Sleeping here costs no wake-ups.
pub fn wait(mask: Mask, timeout: Option<Duration>) -> Result<Option<Received>> {
    let limit = timeout.map(|d| libc::timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as _,
        tv_nsec: d.subsec_nanos() as _,
    });
    let limit_ptr = match &limit {
        Some(ts) => ts as *const libc::timespec,
        None => core::ptr::null(),
    };
    // SAFETY: siginfo_t is plain old data (integers and unions of them):
    // all-zero is a valid value.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    // SAFETY: rt_sigtimedwait reads 8 bytes (sigsetsize, as in `set_mask`)
    // from `&mask.0` and the timespec behind `limit_ptr` (null: no limit),
    // both alive until it returns, and writes one siginfo_t into `info`.
    let n = unsafe {
        libc::syscall(
            libc::SYS_rt_sigtimedwait,
            &mask.0 as *const u64,
            &mut info as *mut libc::siginfo_t,
            limit_ptr,
            8usize,
        )
    };
    if n < 0 {
        let err = Errno::last();
        return match err.0 {
            // EAGAIN: the time ran out; EINTR: a stopped vigil was continued.
            libc::EAGAIN | libc::EINTR => Ok(None),
            _ => Err(err),
        };
    }
    // Only kill(2)-like senders and SIGCHLD carry a pid in siginfo; a timer,
    // SIGIO or a fault keeps other data there (a signalfd reported 0 then).
    let sent = matches!(
        info.si_code,
        libc::SI_USER | libc::SI_QUEUE | libc::SI_TKILL | libc::SI_MESGQ
    ) || (n as i32 == libc::SIGCHLD && info.si_code > 0);
    let pid = if sent {
        // SAFETY: the kernel filled `info` for signal `n` with a layout that
        // holds the sender's (or the child's) pid, which si_pid reads.
        unsafe { info.si_pid() }
    } else {
        0
    };
    Ok(Some(Received {
        signal: Signal(n as i32),
        pid: pid as u32,
        from_kernel: info.si_code == libc::SI_KERNEL,
    }))
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
