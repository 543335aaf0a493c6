//! The machine's words: its time (`Mono`), whom it names (`ProcId`, `ProbeId`),
//! what the loop tells it (`Event`) and what it asks for (`Action`); and
//! what an I/O source's turn left (`Work`), which the sources import.
//!
//! They sit below `machine.rs` and its sub-machines (`wait_for.rs`,
//! `watchdog.rs`, `restart_policy.rs`), which import only this file, so
//! nothing in `init/` imports upward (h2's `frame/` below `proto/`).

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::{Add, Sub};
use core::time::Duration;

use super::notify_message::Notice;
use crate::health::State;
use crate::log::Level;
use crate::sys::signal::Signal;
use crate::sys::wait::{ExitStatus, Pid};

/// A point in time: how long after an arbitrary monotonic origin (vigil's
/// start), supplied by the loop. A deadline is a `Mono`, a length is a
/// `Duration` (smoltcp's `Instant`), so one cannot be passed for the other.
/// Held as nanoseconds in a `u64` (584 years), so comparing and moving one is
/// integer arithmetic, not `Duration`'s seconds-and-nanoseconds pairs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Mono(u64);

impl Mono {
    /// The origin: when the machine started.
    pub const ZERO: Mono = Mono(0);

    /// The point `elapsed` after the origin (the loop's clock reading).
    pub const fn after_origin(elapsed: Duration) -> Mono {
        Mono(nanos(elapsed))
    }
}

/// `d` in nanoseconds, at most `u64::MAX` (584 years).
const fn nanos(d: Duration) -> u64 {
    let whole = d.as_secs().saturating_mul(1_000_000_000);
    whole.saturating_add(d.subsec_nanos() as u64)
}

/// A deadline `d` after `self`. It saturates: a grace of `u64::MAX` seconds
/// is a deadline that never comes (584 years away), never an overflow.
impl Add<Duration> for Mono {
    type Output = Mono;

    // One copy, called: inlined, the saturating arithmetic was about 50 B
    // at each of its uses.
    #[inline(never)]
    fn add(self, d: Duration) -> Mono {
        Mono(self.0.saturating_add(nanos(d)))
    }
}

/// How long from `earlier` to `self`; zero when `earlier` is later (a
/// deadline already passed is due now).
impl Sub for Mono {
    type Output = Duration;

    #[inline(never)]
    fn sub(self, earlier: Mono) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

/// The earlier of two deadlines, if any.
pub fn earliest(a: Option<Mono>, b: Option<Mono>) -> Option<Mono> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Which supervised process: an index into the machine's process table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ProcId(pub usize);

impl ProcId {
    /// PROGRAM: its exit ends vigil, and vigil's status is its status.
    pub const MAIN: ProcId = ProcId(0);

    /// The `n`th `--with` sidecar, counted from 0.
    pub const fn sidecar(n: usize) -> ProcId {
        ProcId(n + 1)
    }
}

/// Which probe: a `--wait-for` target (by index), the `--watch` watchdog's,
/// or a `--ready` target's (by index).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProbeId {
    WaitFor(usize),
    Watch,
    Ready(usize),
}

/// Why a process could not be started; the texts are the system's error.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum StartError {
    /// exec failed: no such file (ENOENT, ENOTDIR).
    NotFound(String),
    /// exec failed for another reason (EACCES, ENOEXEC, ...).
    NotExecutable(String),
    /// A step of the privilege drop failed (setgroups, setgid, ...).
    Creds { step: &'static str, error: String },
    /// fork failed.
    Fork(String),
    /// The start's environment or argv could not be made: a file it reads
    /// (`--env-file`, `--secret`, `FILE__`) or a `${VAR}` of a `--with` line.
    Env(String),
}

/// What the loop tells the machine: everything it saw, as data (the machine
/// reads no clock and no file).
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A signal taken by rt_sigtimedwait: its sender's pid (0 from the kernel),
    /// and whether `si_code` says the kernel (a terminal) generated it.
    Signal {
        signal: Signal,
        sender: u32,
        from_kernel: bool,
    },
    /// waitpid returned this pid (not a probe's: those come as `ProbeDone`):
    /// how it ended, whether it dumped core (WCOREDUMP), and the memory
    /// cgroup read right after, when `Machine::may_be_oom` said so.
    Reaped {
        pid: Pid,
        status: ExitStatus,
        core_dumped: bool,
        memory: Option<MemoryReading>,
    },
    /// waitpid has nothing more for now; what is left.
    ReapedAll {
        left: Left,
    },
    /// After `ReapedAll`: no process is left in this group, one of
    /// `Machine::clearing_groups` (kill(-group, 0) failed with ESRCH).
    GroupGone {
        group: Pid,
    },
    /// A wake-up: a deadline may have passed (the loop sends it after every wait).
    Clock,
    /// A `Start` succeeded: the process has exec'd.
    Started {
        id: ProcId,
        pid: Pid,
    },
    StartFailed {
        id: ProcId,
        error: StartError,
    },
    /// A probe child was reaped: passed (exit 0) or not, and its one-line report.
    ProbeDone {
        probe: ProbeId,
        passed: bool,
        report: String,
    },
    /// A probe child could not be forked.
    ProbeStartFailed {
        probe: ProbeId,
        error: String,
    },
    /// The kernel's OOM killer acted in vigil's memory cgroup (its
    /// notification fd was ready), perhaps on a process vigil does not reap.
    OomNotice,
    /// The memory cgroup read for `Action::ReadMemory`.
    Memory(MemoryReading),
    /// An sd_notify datagram from PROGRAM's tree on vigil's own socket
    /// (`--ready notify`, `--watch notify`), with something to act on.
    Notified(Notice),
}

/// What vigil's memory cgroup said at one moment (`memory_cgroup.rs`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MemoryReading {
    /// Processes the OOM killer has killed in it: `oom_kill` (v2 counts each
    /// member of a `memory.oom.group` kill too).
    pub oom_kills: u64,
    /// The limit in bytes; `None`: no limit ("max", v1's "unlimited").
    pub limit: Option<u64>,
    /// The most it ever used, in bytes, where the kernel keeps it.
    pub peak: Option<u64>,
}

/// What is left once waitpid has nothing more.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Left {
    /// vigil still has children (waitpid returned 0).
    Children,
    /// No children (ECHILD), but as PID 1 other processes of the namespace
    /// remain: ones vigil did not start (`docker exec`, `nsenter`).
    OthersOnly,
    /// No process but vigil.
    Nothing,
}

/// Whom a forwarded signal goes to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum To {
    Process(Pid),
    /// The process group whose id is this pid (`-g`, and every sidecar's own).
    Group(Pid),
}

/// What the machine asks the loop to do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Start a supervised process (fork, exec; a sidecar in its own process
    /// group); answer `Started`/`StartFailed`.
    Start(ProcId),
    /// Forward a signal vigil received; a failure is logged, never fatal.
    Forward {
        signal: Signal,
        to: To,
    },
    /// Send `signal` to one process, ignoring failure (it may be gone).
    Kill {
        signal: Signal,
        pid: Pid,
    },
    /// Send `signal` to a process group, ignoring failure (it may be empty).
    SignalGroup {
        signal: Signal,
        group: Pid,
    },
    /// Send `signal` to every process vigil is responsible for: the whole PID
    /// namespace as PID 1, else its descendants.
    SignalTree(Signal),
    /// Fork a probe child with this deadline; its reap comes back as `ProbeDone`.
    StartProbe {
        probe: ProbeId,
        timeout: Duration,
    },
    /// SIGKILL an overrunning probe; its reap still comes back as `ProbeDone`.
    KillProbe(ProbeId),
    /// SIGKILL a probe and reap it now; no result comes back.
    CancelProbe(ProbeId),
    /// Read the memory cgroup; answer `Memory` (nothing when it cannot).
    ReadMemory,
    Log(Level, String),
    /// The health state changed (README "Health"): its one log line, at this
    /// level; the place a change is announced elsewhere too.
    Health(State, Level, String),
    /// `--notify`: send this sd_notify message (newline-separated
    /// `KEY=VALUE` lines) on the `NOTIFY_SOCKET` vigil was given.
    Notify(String),
    /// vigil is done: exit with this status.
    Exit(i32),
}

/// Shorthand for a log action.
pub(crate) fn log(out: &mut Vec<Action>, level: Level, text: String) {
    out.push(Action::Log(level, text));
}

// ==== The loop's I/O sources (`io_source.rs`): what a turn left ====

/// What a source's turn left.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Work {
    /// Nothing until its fd is ready again: it read until EAGAIN. (Input
    /// left behind would wait for the next SIGIO, which only new input
    /// raises, or make the ppoll wait spin: say `More` instead.)
    Done,
    /// Its bound was reached with work left: it gets another turn before the
    /// loop sleeps (the next wait has a zero timeout, so signals still come
    /// between turns).
    More,
    /// Finished (end of file, a peer gone for good): the loop drops it, which
    /// closes its fd.
    Closed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_moves_by_durations_to_the_nanosecond_and_saturates() {
        let t = Mono::after_origin(Duration::new(3, 999_999_999));
        assert_eq!(
            t + Duration::from_nanos(1),
            Mono::after_origin(Duration::from_secs(4))
        );
        assert_eq!(
            (t + Duration::from_millis(1500)) - t,
            Duration::from_millis(1500)
        );
        assert_eq!(t - (t + Duration::from_secs(1)), Duration::ZERO);
        assert!(t < t + Duration::from_nanos(1));
        // A grace of u64::MAX seconds is a deadline that never comes.
        let never = t + Duration::MAX;
        assert_eq!(never, Mono::ZERO + Duration::from_secs(u64::MAX));
        assert!(never > t + Duration::from_secs(500 * 365 * 86_400));
        assert_eq!(never + Duration::from_secs(1), never);
        assert!(never - t > Duration::from_secs(500 * 365 * 86_400));
    }
}
