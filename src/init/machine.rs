//! The supervisor's decisions as a pure state machine: `on(event, now)` moves
//! the phase and returns the actions (forward, signal the tree, start, exit).
//!
//! Where the README's rules live: how a signal is forwarded (`on_signal`), when
//! shutdown starts and the grace period is enforced (`start_stopping`,
//! `on_clock`), what happens when the main child exits (`on_reaped_all`).
//! `--wait-for` and the `--watch` watchdog are sub-machines beside it
//! (`wait_for.rs`, `watchdog.rs`). No I/O, no clock of its own, only `core` and
//! `alloc`: the loop in `main_loop.rs` does the waiting, reaping and killing.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::wait_for::{Progress, WaitFor};
use super::watchdog::{WatchRules, Watchdog};
use crate::exit_status;
use crate::human::Shown;
use crate::log::Level;
use crate::sys::signal::Signal;
use crate::sys::wait::{ExitStatus, Pid};

/// Time since an arbitrary monotonic origin, supplied by the loop.
pub type Mono = Duration;

/// How often SIGKILL is repeated once the grace period is over, in case
/// something forked between the kill and its death.
pub const REKILL_INTERVAL: Duration = Duration::from_millis(100);

/// How often vigil as PID 1 looks whether processes it did not start are gone.
pub const LOOK_INTERVAL: Duration = Duration::from_millis(100);

/// What the machine needs to know of the options, as plain values.
#[derive(Clone, Debug)]
pub struct Rules {
    /// PROGRAM as the user wrote it, for messages.
    pub program: String,
    /// `--user` as written, for the privilege-drop failure message.
    pub user: Option<String>,
    /// `-g`: forward to the child's process group.
    pub group: bool,
    /// The main child has a process group of its own: with `-g`, and always
    /// on a terminal vigil owns (it then has the terminal's foreground).
    pub own_group: bool,
    /// `--rewrite FROM:TO`; `None` drops FROM.
    pub rewrites: Vec<(Signal, Option<Signal>)>,
    /// `-e CODE`: child statuses that count as 0.
    pub success_exits: Vec<u8>,
    pub grace: Duration,
    /// As PID 1 the tree is the whole PID namespace.
    pub is_pid1: bool,
    /// vigil can see its whole tree: as PID 1 (kill(-1)), or with a /proc of
    /// its own PID namespace to walk. Otherwise only the main child (and its
    /// own group) can be named safely at shutdown.
    pub tree_visible: bool,
    /// vigil's own pid as the kernel reports senders: never a forwarding source.
    pub own_pid: u32,
    /// How many `--wait-for` targets, probed in order before PROGRAM starts.
    pub wait_for: usize,
    pub wait_timeout: Duration,
    pub watch: Option<WatchRules>,
}

/// Which supervised process: an index into the machine's process table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ProcId(pub usize);

impl ProcId {
    /// PROGRAM: its exit ends vigil, and vigil's status is its status.
    pub const MAIN: ProcId = ProcId(0);
}

/// What a supervised process is to vigil.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// PROGRAM.
    Main,
    /// Started beside PROGRAM (the lifecycle issue's `--with`).
    Sidecar,
}

/// What happens when a supervised process exits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Restart {
    /// Never restarted (today's only policy).
    No,
}

/// Where one supervised process is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProcState {
    /// Not started yet (`--wait-for` still running).
    NotStarted,
    /// A `Start` action went out; the loop reports `Started` or `StartFailed`.
    Starting,
    Running(Pid),
    /// Reaped, with how it ended. Only the first reap counts: a later process
    /// that reuses the pid is an orphan like any other.
    Exited(ExitStatus),
}

/// One process vigil starts and supervises.
#[derive(Clone, Debug)]
pub struct Supervised {
    /// For messages: PROGRAM (or the sidecar's command) as written.
    pub name: String,
    pub role: Role,
    pub restart: Restart,
    pub state: ProcState,
}

impl Supervised {
    fn pid(&self) -> Option<Pid> {
        match self.state {
            ProcState::Running(pid) => Some(pid),
            _ => None,
        }
    }
}

/// Where vigil as a whole is. Each phase holds the deadlines it needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Before `start`.
    New,
    /// Probing `--wait-for` targets; nothing is started.
    WaitingFor(WaitFor),
    /// The main child is being started.
    Starting,
    /// The main child runs; nothing asked for a stop. The watchdog, if any, runs.
    Running,
    /// A stop signal was forwarded; the main child still runs; SIGKILL at `kill_at`.
    Stopping { kill_at: Mono },
    /// The main child has exited and the rest of the tree got SIGTERM; SIGKILL
    /// at `kill_at` to whatever is left.
    Draining { kill_at: Mono },
    /// As `Draining`, but only processes vigil did not start remain (as PID
    /// 1): no SIGCHLD tells of their end, so vigil looks again at `look_at`.
    Lingering { kill_at: Mono, look_at: Mono },
    /// The grace period is over: SIGKILL to everything, again at `next_kill`.
    Killing { next_kill: Mono },
    /// vigil exits with this status.
    Done(i32),
}

/// Which probe: a `--wait-for` target (by index) or the `--watch` watchdog's.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProbeId {
    WaitFor(usize),
    Watch,
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
}

/// What the loop tells the machine.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A signal read from the signalfd: its sender's pid (0 from the kernel),
    /// and whether `si_code` says the kernel (a terminal) generated it.
    Signal {
        signal: Signal,
        sender: u32,
        from_kernel: bool,
    },
    /// waitpid returned this pid (not a probe's: those come as `ProbeDone`).
    Reaped {
        pid: Pid,
        status: ExitStatus,
    },
    /// waitpid has nothing more for now; what is left.
    ReapedAll {
        left: Left,
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
    /// The process group whose id is this pid (`-g`).
    Group(Pid),
}

/// What the machine asks the loop to do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Start a supervised process (fork, exec); answer `Started`/`StartFailed`.
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
    /// Send `signal` to the process group `group`, ignoring failure (it may be empty).
    KillGroup {
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
    Log(Level, String),
    /// vigil is done: exit with this status.
    Exit(i32),
}

/// The supervisor's state: the phase, the supervised processes, the watchdog.
#[derive(Clone, Debug)]
pub struct Machine {
    rules: Rules,
    phase: Phase,
    procs: Vec<Supervised>,
    /// Present once the main child runs, when `--watch` is set.
    watchdog: Option<Watchdog>,
    /// The main child's own process group (`Rules::own_group`), kept after
    /// it exits: without a visible tree, the only way to reach its leftovers.
    main_group: Option<Pid>,
}

/// Shorthand for a log action.
pub(super) fn log(out: &mut Vec<Action>, level: Level, text: String) {
    out.push(Action::Log(level, text));
}

impl Machine {
    pub fn new(rules: Rules) -> Machine {
        let main = Supervised {
            name: rules.program.clone(),
            role: Role::Main,
            restart: Restart::No,
            state: ProcState::NotStarted,
        };
        Machine {
            rules,
            phase: Phase::New,
            procs: alloc::vec![main],
            watchdog: None,
            main_group: None,
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn procs(&self) -> &[Supervised] {
        &self.procs
    }

    pub fn watchdog(&self) -> Option<&Watchdog> {
        self.watchdog.as_ref()
    }

    /// The first step: wait for `--wait-for` targets, or start PROGRAM.
    pub fn start(&mut self, now: Mono) -> Vec<Action> {
        let mut out = Vec::new();
        if self.rules.wait_for > 0 {
            let ends = now.saturating_add(self.rules.wait_timeout);
            let (wait, progress) = WaitFor::begin(
                self.rules.wait_for,
                ends,
                self.rules.wait_timeout,
                now,
                &mut out,
            );
            self.phase = Phase::WaitingFor(wait);
            self.after_wait(progress, &mut out);
        } else {
            self.start_main(&mut out);
        }
        out
    }

    /// When the loop must wake up even if nothing happens: the earliest
    /// deadline of the phase, or `None` (an idle vigil never wakes).
    pub fn deadline(&self) -> Option<Mono> {
        match &self.phase {
            Phase::WaitingFor(wait) => Some(wait.deadline()),
            Phase::Running => self.watchdog.as_ref().and_then(Watchdog::deadline),
            Phase::Stopping { kill_at } | Phase::Draining { kill_at } => Some(*kill_at),
            Phase::Lingering { kill_at, look_at } => Some(*kill_at.min(look_at)),
            Phase::Killing { next_kill } => Some(*next_kill),
            Phase::New | Phase::Starting | Phase::Done(_) => None,
        }
    }

    /// Takes one event at `now` and returns what to do, in order.
    pub fn on(&mut self, event: Event, now: Mono) -> Vec<Action> {
        let mut out = Vec::new();
        if matches!(self.phase, Phase::Done(_)) {
            return out;
        }
        match event {
            Event::Signal {
                signal,
                sender,
                from_kernel,
            } => self.on_signal(signal, sender, from_kernel, now, &mut out),
            Event::Reaped { pid, status } => self.on_reaped(pid, status, &mut out),
            Event::ReapedAll { left } => self.on_reaped_all(left, now, &mut out),
            Event::Clock => self.on_clock(now, &mut out),
            Event::Started { id, pid } => self.on_started(id, pid, now, &mut out),
            Event::StartFailed { id, error } => self.on_start_failed(id, error, &mut out),
            Event::ProbeDone {
                probe,
                passed,
                report,
            } => self.on_probe_done(probe, passed, report, now, &mut out),
            Event::ProbeStartFailed { probe, error } => {
                self.on_probe_start_failed(probe, error, now, &mut out)
            }
        }
        out
    }

    fn main(&self) -> &Supervised {
        &self.procs[ProcId::MAIN.0]
    }

    fn main_mut(&mut self) -> &mut Supervised {
        &mut self.procs[ProcId::MAIN.0]
    }

    fn exit(&mut self, code: i32, out: &mut Vec<Action>) {
        self.phase = Phase::Done(code);
        out.push(Action::Exit(code));
    }

    fn start_main(&mut self, out: &mut Vec<Action>) {
        self.phase = Phase::Starting;
        self.main_mut().state = ProcState::Starting;
        out.push(Action::Start(ProcId::MAIN));
    }

    fn after_wait(&mut self, progress: Progress, out: &mut Vec<Action>) {
        match progress {
            Progress::Waiting => {}
            Progress::Ready => self.start_main(out),
            Progress::GaveUp => self.exit(exit_status::FAILURE, out),
        }
    }

    fn on_started(&mut self, id: ProcId, pid: Pid, now: Mono, out: &mut Vec<Action>) {
        let Some(proc) = self.procs.get_mut(id.0) else {
            return;
        };
        proc.state = ProcState::Running(pid);
        let pid1 = if self.rules.is_pid1 {
            " (vigil is PID 1)"
        } else {
            ""
        };
        log(
            out,
            Level::Debug,
            format!("started '{}' as pid {pid}{pid1}", proc.name),
        );
        if id == ProcId::MAIN {
            self.main_group = Some(pid).filter(|_| self.rules.own_group);
            self.phase = Phase::Running;
            self.watchdog = self.rules.watch.clone().map(|w| Watchdog::new(w, now));
        }
    }

    fn on_start_failed(&mut self, id: ProcId, error: StartError, out: &mut Vec<Action>) {
        let Some(proc) = self.procs.get(id.0) else {
            return;
        };
        let name = &proc.name;
        let (code, line) = match error {
            StartError::NotFound(e) => {
                (exit_status::NOT_FOUND, format!("cannot run '{name}': {e}"))
            }
            StartError::NotExecutable(e) => (
                exit_status::NOT_EXECUTABLE,
                format!("cannot run '{name}': {e}"),
            ),
            StartError::Creds { step, error } => {
                let user = self.rules.user.as_deref().unwrap_or("root");
                (
                    exit_status::FAILURE,
                    format!("cannot run '{name}' as user '{user}': {step}: {error}"),
                )
            }
            StartError::Fork(e) => (exit_status::FAILURE, format!("cannot start '{name}': {e}")),
        };
        log(out, Level::Error, line);
        self.exit(code, out);
    }

    /// A signal vigil received (README "Signals").
    fn on_signal(
        &mut self,
        sig: Signal,
        sender: u32,
        from_kernel: bool,
        now: Mono,
        out: &mut Vec<Action>,
    ) {
        if let Phase::WaitingFor(wait) = &self.phase {
            // Nothing runs yet: a stop signal ends vigil at once, unless
            // --rewrite drops it, as it would once PROGRAM runs. Others have
            // no one to go to.
            if is_stop_signal(sig) && self.rewritten(sig).is_none() {
                log(
                    out,
                    Level::Debug,
                    format!("{sig} from pid {sender} dropped by --rewrite"),
                );
            } else if is_stop_signal(sig) {
                log(out, Level::Info, format!("{sig}: not waiting"));
                if let Some(probe) = wait.running_probe() {
                    out.push(Action::CancelProbe(probe));
                }
                self.exit(exit_status::signaled(sig), out);
            }
            return;
        }
        if sig == Signal::CHLD {
            return; // the loop reaps after every wake-up
        }
        if sender == self.rules.own_pid {
            // vigil's own SIGPIPE (stderr's reader gone) or SIGXFSZ: ours, not the app's.
            log(
                out,
                Level::Debug,
                format!("{sig} raised by vigil itself: not forwarded"),
            );
            return;
        }
        let Some(child) = self.main().pid() else {
            if matches!(self.main().state, ProcState::Exited(_)) {
                log(
                    out,
                    Level::Debug,
                    format!(
                        "{sig} from pid {} after the child exited: not forwarded",
                        sender
                    ),
                );
            }
            return;
        };
        if from_kernel && !self.rules.own_group && is_terminal_signal(sig) {
            // The terminal sent it to the whole foreground group, and the child
            // shares ours: it has it already. Forwarding would deliver it twice,
            // and a ^C at an interactive shell is no reason to shut down. (A
            // child in a group of its own did not get what went to ours.)
            log(
                out,
                Level::Debug,
                format!("{sig} from the terminal: the child has it already"),
            );
            return;
        }
        if sig.is_synchronous_fault() {
            log(
                out,
                Level::Debug,
                format!(
                    "{sig} from pid {} ignored: a fault signal is not forwarded",
                    sender
                ),
            );
            return;
        }
        let Some(to) = self.rewritten(sig) else {
            log(
                out,
                Level::Debug,
                format!("{sig} from pid {} dropped by --rewrite", sender),
            );
            return;
        };
        out.push(self.forward_to(child, to));
        if is_stop_signal(sig) {
            self.start_stopping(sig, now, out);
        }
    }

    /// How a signal goes to the main child: to it, or to its group with `-g`.
    fn forward_to(&self, child: Pid, signal: Signal) -> Action {
        let to = if self.rules.group {
            To::Group(child)
        } else {
            To::Process(child)
        };
        Action::Forward { signal, to }
    }

    /// The watchdog fired: stop the child as if SIGTERM had come. `--rewrite`
    /// picks the signal sent, but a rewrite to 0 drops only the signals vigil
    /// receives; it cannot cancel vigil's own decision, so SIGTERM goes then.
    fn stop_for_watchdog(&mut self, now: Mono, out: &mut Vec<Action>) {
        let Some(child) = self.main().pid() else {
            return;
        };
        let signal = self.rewritten(Signal::TERM).unwrap_or(Signal::TERM);
        out.push(self.forward_to(child, signal));
        self.start_stopping(Signal::TERM, now, out);
    }

    fn rewritten(&self, sig: Signal) -> Option<Signal> {
        match self.rules.rewrites.iter().find(|(from, _)| *from == sig) {
            Some((_, to)) => *to,
            None => Some(sig),
        }
    }

    /// The first stop signal starts the grace clock (README "Shutdown", 1).
    fn start_stopping(&mut self, why: Signal, now: Mono, out: &mut Vec<Action>) {
        if self.phase != Phase::Running {
            return;
        }
        log(
            out,
            Level::Info,
            format!(
                "{why}: shutting down, grace period {}",
                Shown(self.rules.grace)
            ),
        );
        self.phase = Phase::Stopping {
            kill_at: now.saturating_add(self.rules.grace),
        };
    }

    fn on_reaped(&mut self, pid: Pid, status: ExitStatus, out: &mut Vec<Action>) {
        if matches!(self.phase, Phase::WaitingFor(_)) {
            return; // an orphan while nothing runs: reaped, nothing to decide
        }
        let code = exit_status::of(status);
        if self.main().pid() == Some(pid) {
            log(
                out,
                Level::Debug,
                format!("child {pid} exited with status {code}"),
            );
            self.main_mut().state = ProcState::Exited(status);
        } else {
            log(
                out,
                Level::Debug,
                format!("reaped pid {pid} (status {code})"),
            );
        }
    }

    /// After each round of reaping (README "Shutdown", 2 and 4).
    fn on_reaped_all(&mut self, left: Left, now: Mono, out: &mut Vec<Action>) {
        let ProcState::Exited(status) = self.main().state else {
            return;
        };
        // Past the grace period, what vigil did not start is left to the
        // namespace's teardown: SIGKILL has gone to it already.
        // Without a visible tree, what is left past the grace period cannot
        // be named: vigil has sent its last SIGKILL and leaves it be.
        let past_grace = matches!(self.phase, Phase::Killing { .. });
        if left == Left::Nothing
            || (left == Left::OthersOnly && past_grace)
            || (!self.rules.tree_visible && past_grace)
        {
            self.exit_with_main(status, out);
            return;
        }
        let (kill_at, tell) = match self.phase {
            Phase::Running => (now.saturating_add(self.rules.grace), true),
            Phase::Stopping { kill_at } => (kill_at, true),
            Phase::Draining { kill_at } | Phase::Lingering { kill_at, .. } => (kill_at, false),
            // Past telling: SIGKILL is on its way.
            _ => return,
        };
        self.phase = match left {
            Left::OthersOnly => Phase::Lingering {
                kill_at,
                look_at: now.saturating_add(LOOK_INTERVAL),
            },
            _ => Phase::Draining { kill_at },
        };
        if tell {
            // Others remain: let them clean up before the grace clock runs
            // out. A stopped leftover could not act on SIGTERM until the SIGKILL.
            let text = if self.rules.tree_visible {
                out.push(Action::SignalTree(Signal::TERM));
                out.push(Action::SignalTree(Signal::CONT));
                "child exited; sent SIGTERM to the remaining processes, waiting for them"
            } else if let Some(group) = self.main_group {
                for signal in [Signal::TERM, Signal::CONT] {
                    out.push(Action::KillGroup { signal, group });
                }
                "child exited; sent SIGTERM to its process group, waiting for the remaining processes (the rest cannot be seen)"
            } else {
                "child exited; the remaining processes cannot be seen, so none got SIGTERM: waiting for them until the grace period ends"
            };
            log(out, Level::Info, text.into());
        }
    }

    /// vigil's status once the main child has exited with `status`.
    fn exit_with_main(&mut self, status: ExitStatus, out: &mut Vec<Action>) {
        let code = match self.watchdog.as_ref() {
            Some(w) if w.fired() => exit_status::WATCHDOG,
            _ => exit_status::of_main_child(status, &self.rules.success_exits),
        };
        self.exit(code, out);
    }

    /// Whom the grace period's SIGKILL reaches, for the log; `None` when no
    /// process can be named (no visible tree, the main child gone, no group).
    fn kill_reach(&self) -> Option<&'static str> {
        let running = self.main().pid().is_some();
        match (self.rules.tree_visible, running, self.main_group.is_some()) {
            (true, _, _) => Some("every remaining process"),
            (false, true, true) => Some("the child and its process group"),
            (false, true, false) => Some("the child"),
            (false, false, true) => Some("the child's process group"),
            (false, false, false) => None,
        }
    }

    fn on_clock(&mut self, now: Mono, out: &mut Vec<Action>) {
        match &mut self.phase {
            Phase::WaitingFor(wait) => {
                let progress = wait.on_clock(now, out);
                self.after_wait(progress, out);
            }
            Phase::Running => {
                if let Some(w) = self.watchdog.as_mut() {
                    w.on_clock(now, out);
                }
            }
            Phase::Stopping { kill_at }
            | Phase::Draining { kill_at }
            | Phase::Lingering { kill_at, .. } => {
                if now >= *kill_at {
                    let grace = Shown(self.rules.grace);
                    let text = match self.kill_reach() {
                        Some(whom) => {
                            format!("grace period of {grace} is over: sending SIGKILL to {whom}")
                        }
                        // Never claim a kill that is not sent.
                        None => format!(
                            "grace period of {grace} is over: the remaining processes cannot be seen and get no SIGKILL; exiting"
                        ),
                    };
                    log(out, Level::Warn, text);
                    self.kill_everything(now, out);
                }
            }
            Phase::Killing { next_kill } => {
                if now >= *next_kill {
                    self.kill_everything(now, out);
                }
            }
            Phase::New | Phase::Starting | Phase::Done(_) => {}
        }
    }

    /// README "Shutdown", 3: SIGKILL to the tree, repeated every 100 ms.
    fn kill_everything(&mut self, now: Mono, out: &mut Vec<Action>) {
        self.phase = Phase::Killing {
            next_kill: now.saturating_add(REKILL_INTERVAL),
        };
        if self.rules.tree_visible {
            out.push(Action::SignalTree(Signal::KILL));
        } else if let Some(group) = self.main_group {
            out.push(Action::KillGroup {
                signal: Signal::KILL,
                group,
            });
        }
        if let Some(pid) = self.main().pid().filter(|_| !self.rules.is_pid1) {
            // The main child is a descendant too, but make sure of it even if
            // /proc is missing.
            out.push(Action::Kill {
                signal: Signal::KILL,
                pid,
            });
        }
        if let (false, ProcState::Exited(status)) = (self.rules.tree_visible, self.main().state) {
            // Nothing more can be named: vigil's part is done (README "Shutdown").
            self.exit_with_main(status, out);
        }
    }

    fn on_probe_done(
        &mut self,
        probe: ProbeId,
        passed: bool,
        report: String,
        now: Mono,
        out: &mut Vec<Action>,
    ) {
        match (&mut self.phase, probe) {
            (Phase::WaitingFor(wait), ProbeId::WaitFor(_)) => {
                let progress = wait.on_done(passed, report, now, out);
                self.after_wait(progress, out);
            }
            // Watching ends once shutdown starts, or the main child is gone.
            (Phase::Running, ProbeId::Watch) if self.procs[ProcId::MAIN.0].pid().is_some() => {
                let Some(w) = self.watchdog.as_mut() else {
                    return;
                };
                if w.on_done(passed, report, now, out) {
                    self.stop_for_watchdog(now, out);
                }
            }
            // A probe that ends after its reason is gone (shutdown started).
            _ => {}
        }
    }

    fn on_probe_start_failed(
        &mut self,
        probe: ProbeId,
        error: String,
        now: Mono,
        out: &mut Vec<Action>,
    ) {
        log(out, Level::Error, format!("cannot start a probe: {error}"));
        match (&mut self.phase, probe) {
            (Phase::WaitingFor(_), _) => self.exit(exit_status::FAILURE, out),
            (Phase::Running, ProbeId::Watch) => {
                if let Some(w) = self.watchdog.as_mut() {
                    w.on_start_failed(now);
                }
            }
            _ => {}
        }
    }
}

/// SIGTERM, SIGINT and SIGQUIT: the signals that start a shutdown.
fn is_stop_signal(sig: Signal) -> bool {
    [Signal::TERM, Signal::INT, Signal::QUIT].contains(&sig)
}

/// Signals a terminal driver sends to its foreground process group.
fn is_terminal_signal(sig: Signal) -> bool {
    [Signal::INT, Signal::QUIT, Signal::TSTP, Signal::WINCH].contains(&sig)
}

#[cfg(test)]
mod tests;
