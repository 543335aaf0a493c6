//! Why a process died, as vigil tells it (README "Shutdown", "Why a process
//! died"): the signals vigil sent, so that a death by one of them is never
//! reported nor counted as OOM; the OOM kills of its memory cgroup, named
//! when vigil reaps the victim and counted when it does not.
//!
//! A sub-machine of `machine.rs`: it sees every action the machine takes,
//! every death the loop reaps, and the cgroup readings the loop makes, and
//! returns lines. The memory cgroup's counter is per cgroup, not per
//! process: a SIGKILL death while the counter rose is taken for an OOM kill.

use alloc::format;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::event::{Action, MemoryReading, Mono, To, log};
use crate::exit_status;
use crate::human::Mib;
use crate::log::Level;
use crate::sys::signal::Signal;
use crate::sys::wait::{ExitStatus, Pid};

/// How long after an OOM notification vigil reads the counter. cgroup v1
/// notifies before the kill, and a victim vigil reaps must be reaped first,
/// so that its named line is the only one for its kill (an OOM victim is
/// quick to exit: the kernel's oom_reaper frees its memory meanwhile). Half
/// the first restart backoff, so a restarted victim is not killed again
/// before the read.
pub const OOM_SETTLE: Duration = Duration::from_millis(250);

/// How many processes' sent signals are kept: far more than run at once.
const SENT_KEPT: usize = 32;

/// A set of signals: bit N-1 for signal N.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
struct Signals(u64);

impl Signals {
    fn bit(sig: Signal) -> u64 {
        1u64.checked_shl((sig.0 as u32).wrapping_sub(1))
            .unwrap_or(0)
    }

    fn add(&mut self, sig: Signal) {
        self.0 |= Signals::bit(sig);
    }

    fn has(self, sig: Signal) -> bool {
        self.0 & Signals::bit(sig) != 0
    }

    fn with(self, other: Signals) -> Signals {
        Signals(self.0 | other.0)
    }
}

/// How a process ended, in the words of vigil's lines.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cause {
    /// exit(N), or a signal vigil sent: its status, 128+N, says it all.
    Status(i32),
    /// A signal vigil did not send.
    Signal(Signal),
    /// The kernel's OOM killer.
    Oom,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Cause::Status(code) => write!(f, "exited with status {code}"),
            Cause::Signal(sig) => write!(f, "was killed by {sig}"),
            Cause::Oom => f.write_str("was killed by the kernel's OOM killer"),
        }
    }
}

/// The OOM kills vigil knows of since it started.
#[derive(Clone, Copy, Debug)]
struct OomBook {
    /// The counter when vigil started.
    start: u64,
    /// Kills of processes vigil reaped, each named in its line.
    named: u64,
    /// Kills of processes vigil did not reap, reported from the counter.
    unnamed: u64,
}

impl OomBook {
    fn seen(&self) -> u64 {
        self.start + self.named + self.unnamed
    }
}

/// What the machine keeps to say why a process died.
#[derive(Clone, Debug)]
pub struct DeathCause {
    /// Signals vigil sent to a process or its process group (named by its
    /// leader's pid), until it is reaped; 0 for a free entry.
    sent: [(i32, Signals); SENT_KEPT],
    /// The entry written last.
    next: usize,
    /// Signals vigil sent to the whole tree (at shutdown): every process
    /// reaped since may have died of one.
    tree: Signals,
    /// Signals vigil ever sent to a process group, and the probes' SIGKILL:
    /// an orphan (it may have been in one) that dies of one died of vigil's.
    groups: Signals,
    /// `None`: no memory cgroup could be read at start; OOM is never named.
    oom: Option<OomBook>,
    /// When to read the counter after an OOM notification.
    read_at: Option<Mono>,
}

impl DeathCause {
    /// `oom_kills`: the memory cgroup's counter read at start, where vigil
    /// begins counting (`None`: no cgroup to read).
    pub fn new(oom_kills: Option<u64>) -> DeathCause {
        DeathCause {
            sent: [(0, Signals::default()); SENT_KEPT],
            next: 0,
            tree: Signals::default(),
            groups: Signals::default(),
            oom: oom_kills.map(|start| OomBook {
                start,
                named: 0,
                unnamed: 0,
            }),
            read_at: None,
        }
    }

    /// OOM kills seen since vigil started (the health state counts them).
    pub fn oom_kills(&self) -> u64 {
        self.oom.map_or(0, |b| b.named + b.unnamed)
    }

    /// Remembers every signal in `actions` (forwards, rewrites, the grace
    /// period's, a restart's, the watchdog's): a death by one is vigil's.
    #[inline(never)] // Called once; kept out of `Machine::on`: 192 B smaller (x86_64).
    pub fn saw(&mut self, actions: &[Action]) {
        for action in actions {
            let (signal, pid) = match *action {
                Action::Forward {
                    signal,
                    to: To::Process(pid),
                }
                | Action::Kill { signal, pid } => (signal, pid),
                Action::Forward {
                    signal,
                    to: To::Group(pid),
                }
                | Action::SignalGroup { signal, group: pid } => {
                    self.groups.add(signal);
                    (signal, pid)
                }
                Action::SignalTree(signal) => {
                    self.tree.add(signal);
                    continue;
                }
                Action::KillProbe(_) | Action::CancelProbe(_) => {
                    self.probe_gave_up();
                    continue;
                }
                _ => continue,
            };
            self.known(pid, signal);
        }
    }

    /// A probe failed or was killed: an `exec:` probe kills its command's
    /// group at its deadline, and what was left of it, reparented to vigil,
    /// dies of that SIGKILL, vigil's own.
    pub fn probe_gave_up(&mut self) {
        self.groups.add(Signal::KILL);
    }

    /// Process `pid` (or its group) got `sig` from vigil, or without vigil
    /// but in its sight (a terminal's ^C to the group vigil shares with it).
    pub fn known(&mut self, pid: Pid, sig: Signal) {
        let slot = match self.sent.iter().position(|(p, _)| *p == pid.get()) {
            Some(i) => i,
            None => {
                // The oldest entry goes: a group whose leader was reaped
                // already (a restart clears it) leaves its entry behind.
                self.next = (self.next + 1) % SENT_KEPT;
                self.sent[self.next] = (pid.get(), Signals::default());
                self.next
            }
        };
        self.sent[slot].1.add(sig);
    }

    /// Process `pid` was reaped, or a new one started with its pid: what was
    /// sent to it is forgotten.
    pub fn forget(&mut self, pid: Pid) {
        for entry in &mut self.sent {
            if entry.0 == pid.get() {
                *entry = (0, Signals::default());
            }
        }
    }

    /// The signals a death of `pid` would be vigil's by.
    fn sent_for(&self, pid: Pid, supervised: bool) -> Signals {
        let own = self.sent.iter().find(|(p, _)| *p == pid.get());
        let mut set = own.map_or(self.tree, |(_, s)| s.with(self.tree));
        if !supervised {
            set = set.with(self.groups);
        }
        set
    }

    /// Whether a death of `pid` (`supervised` or not) with `status` may be an
    /// OOM kill: a SIGKILL vigil did not send, with a cgroup to read.
    pub fn may_be_oom(&self, pid: Pid, supervised: bool, status: ExitStatus) -> bool {
        self.oom.is_some()
            && status == ExitStatus::Signaled(Signal::KILL)
            && !self.sent_for(pid, supervised).has(Signal::KILL)
    }

    /// Process `pid`, said as `who` (`'worker' (pid 42)`, or `pid 42` for
    /// one vigil did not start), died with `status`: why, and the line at
    /// error level when a signal vigil did not send killed it.
    #[allow(clippy::too_many_arguments)] // a death's facts, as the loop reaped them
    #[inline(never)]
    pub fn on_death(
        &mut self,
        who: &dyn fmt::Display,
        supervised: bool,
        pid: Pid,
        status: ExitStatus,
        core_dumped: bool,
        memory: Option<MemoryReading>,
        out: &mut Vec<Action>,
    ) -> Cause {
        let sent = self.sent_for(pid, supervised);
        self.forget(pid);
        let sig = match status {
            ExitStatus::Signaled(sig) if !sent.has(sig) => sig,
            _ => return Cause::Status(exit_status::of(status)),
        };
        let oom = match (&mut self.oom, memory) {
            (Some(book), Some(m)) if sig == Signal::KILL && m.oom_kills > book.seen() => {
                book.named += 1;
                Some(m)
            }
            _ => None,
        };
        let (cause, line) = match oom {
            Some(m) => (Cause::Oom, format!("{who} {} ({})", Cause::Oom, Shown(m))),
            None => {
                let core = if core_dumped { " (core dumped)" } else { "" };
                let cause = Cause::Signal(sig);
                (cause, format!("{who} {cause}{core}"))
            }
        };
        log(out, Level::Error, line);
        cause
    }

    /// The cgroup's notification came: read the counter a little later.
    pub fn on_notice(&mut self, now: Mono) {
        if self.oom.is_some() && self.read_at.is_none() {
            self.read_at = Some(now + OOM_SETTLE);
        }
    }

    /// When the loop must wake up for a read.
    pub fn deadline(&self) -> Option<Mono> {
        self.read_at
    }

    pub fn on_clock(&mut self, now: Mono, out: &mut Vec<Action>) {
        if self.read_at.is_some_and(|at| now >= at) {
            self.read_at = None;
            out.push(Action::ReadMemory);
        }
    }

    /// The counter read after a notification: one line for each kill that
    /// no reaped death claimed (the victim was a process vigil does not reap).
    #[inline(never)]
    pub fn on_memory(&mut self, m: MemoryReading, out: &mut Vec<Action>) {
        let Some(book) = &mut self.oom else {
            return;
        };
        while m.oom_kills > book.seen() {
            book.unnamed += 1;
            let total = book.named + book.unnamed;
            let s = if total == 1 { "" } else { "s" };
            log(
                out,
                Level::Error,
                format!(
                    "the kernel's OOM killer killed a process in this container ({}; {total} OOM kill{s} so far)",
                    Shown(m)
                ),
            );
        }
    }
}

/// `memory limit 64 MiB, peak 64 MiB`, `no memory limit`, without the peak
/// where the kernel keeps none.
struct Shown(MemoryReading);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.0.limit {
            Some(limit) => write!(f, "memory limit {}", Mib(limit))?,
            None => f.write_str("no memory limit")?,
        }
        match self.0.peak {
            Some(peak) => write!(f, ", peak {}", Mib(peak)),
            None => Ok(()),
        }
    }
}
