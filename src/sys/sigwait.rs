//! Signal masks, waiting for a signal, and kill: how vigil takes every
//! signal synchronously.
//!
//! Masks are raw 64-bit kernel masks passed to `rt_sigprocmask`/`rt_sigtimedwait`
//! directly: libc's `sigset_t` helpers refuse signals 32-34 (reserved by glibc
//! and musl threads), yet an init must block and forward every catchable signal.

use core::time::Duration;

use super::errno::{Errno, Result, check};
use super::fd::Fd;
use super::io_ready::{POLL_HUP, POLL_IN, PollFd};
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

    /// This mask with `sig` added.
    pub fn with(self, sig: Signal) -> Mask {
        Mask(self.0 | bit(sig))
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
    /// ^C, ^\, ^Z and window changes to the whole foreground process group.
    pub from_kernel: bool,
}

/// What a wait brought.
#[derive(Clone, Copy, Debug)]
pub enum Woken {
    /// A signal to act on, as it was sent.
    Signal(Received),
    /// An fd of vigil's is ready: the kernel's SIGIO for an fd in
    /// signal-driven mode (`io_ready::set_signal_driven`, `si_code` POLL_IN..
    /// POLL_HUP), or one that `wait_polling` watches. Others may be ready too:
    /// SIGIO is a standard signal, queued once however many fds raise it.
    /// And `fd` may be gone: a SIGIO queued before its fd was closed (a
    /// writer's close raises POLL_HUP) is taken after. (A SIGIO sent with
    /// kill(2) has SI_USER: it is a `Signal`.)
    IoReady { fd: i32 },
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
pub fn wait(mask: Mask, timeout: Option<Duration>) -> Result<Option<Woken>> {
    let limit = timeout.map(|d| libc::timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as _,
        tv_nsec: d.subsec_nanos() as _,
    });
    take(mask, limit.as_ref())
}

/// As `wait`, and also until one of `fds` is ready: for fds that cannot raise
/// SIGIO (an eventfd). `fds[0]` is `signal_fd(mask)`, readable
/// while a signal of `mask` is pending: after ppoll(2) on all of them, a
/// pending signal is taken by rt_sigtimedwait with a zero timeout, so it is
/// decoded as `wait` decodes it, and a signal comes before an fd.
pub fn wait_polling(
    mask: Mask,
    fds: &mut [PollFd],
    timeout: Option<Duration>,
) -> Result<Option<Woken>> {
    let limit = timeout.map(|d| libc::timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as _,
        tv_nsec: d.subsec_nanos() as _,
    });
    let limit_ptr = match &limit {
        Some(ts) => ts as *const libc::timespec,
        None => core::ptr::null(),
    };
    // SAFETY: PollFd has struct pollfd's layout (see io_ready::poll); the
    // kernel reads and writes `fds.len()` of them and reads the timespec
    // (null: no limit), both alive until it returns. A null sigmask keeps
    // vigil's mask: every signal stays blocked.
    let n = unsafe {
        libc::ppoll(
            fds.as_mut_ptr().cast::<libc::pollfd>(),
            fds.len() as libc::nfds_t,
            limit_ptr,
            core::ptr::null(),
        )
    };
    if n < 0 {
        let err = Errno::last();
        return if err.interrupted() {
            Ok(None)
        } else {
            Err(err)
        };
    }
    let Some((signals, rest)) = fds.split_first() else {
        return Ok(None);
    };
    if signals.ready() {
        let now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        if let Some(woken) = take(mask, Some(&now))? {
            return Ok(Some(woken));
        }
    }
    Ok(rest
        .iter()
        .find(|p| p.ready())
        .map(|p| Woken::IoReady { fd: p.fd() }))
}

/// One rt_sigtimedwait(2) with this limit (`None`: none), decoded.
fn take(mask: Mask, limit: Option<&libc::timespec>) -> Result<Option<Woken>> {
    let limit_ptr = match limit {
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
    // Only the kernel queues SIGIO with a POLL_* code: since Linux 2.6.39 a
    // process cannot send another one a non-negative si_code (rt_sigqueueinfo(2)).
    if n as i32 == libc::SIGIO && (POLL_IN..=POLL_HUP).contains(&info.si_code) {
        return Ok(Some(Woken::IoReady { fd: si_fd(&info) }));
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
    Ok(Some(Woken::Signal(Received {
        signal: Signal(n as i32),
        pid: pid as u32,
        from_kernel: info.si_code == libc::SI_KERNEL,
    })))
}

/// `si_fd` of a SIGIO queued for signal-driven I/O. The libc crate has no
/// accessor: on 64-bit Linux the union follows si_signo, si_errno, si_code at
/// offset 16, and its `_sigpoll` member is `{ long si_band; int si_fd; }`
/// (asm-generic/siginfo.h), so si_fd is the int at offset 24.
fn si_fd(info: &libc::siginfo_t) -> i32 {
    const _: () = assert!(core::mem::size_of::<libc::siginfo_t>() == 128);
    // SAFETY: siginfo_t is 128 bytes (checked above), so offset 24 holds an
    // aligned i32 inside `info`, which the kernel filled for a SIGIO with a
    // POLL_* code: the `_sigpoll` layout.
    unsafe {
        (info as *const libc::siginfo_t)
            .cast::<u8>()
            .add(24)
            .cast::<i32>()
            .read()
    }
}

/// A signalfd for the signals in `mask`, close-on-exec and non-blocking: it
/// polls readable while one of them is pending (signalfd(2)). vigil never
/// reads it; `wait_polling` takes the signal. The signals stay blocked.
pub fn signal_fd(mask: Mask) -> Result<Fd> {
    // SAFETY: signalfd4 reads an 8-byte mask (sigsetsize 8, as in
    // `sigwait::set_mask`) from a live u64 and returns a new fd or -1.
    let raw = unsafe {
        libc::syscall(
            libc::SYS_signalfd4,
            -1,
            &mask.0 as *const u64,
            8usize,
            libc::SFD_CLOEXEC | libc::SFD_NONBLOCK,
        )
    };
    check(raw).map(|raw| Fd::own(raw as i32))
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
