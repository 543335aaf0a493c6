//! The supervisor's decisions as a pure state machine: `on(event, now)` moves
//! the phase and returns the actions. No I/O and no clock of its own, only
//! `core` and `alloc`: the loop (`main_loop.rs`) waits, reaps, kills and spawns.
//!
//! The whole machine, one row per transition (`=`: the phase stays). The
//! handlers below follow the README's order, one banner per section; the test
//! `every_row_of_the_transition_table` (machine/tests.rs) drives each row.
//!
//! ```text
//! phase       event             when                                next          actions
//! ----------  ----------------  ----------------------------------  ------------  -----------------------------
//! New         start()           --with sidecars                     Starting      Start(the first sidecar)
//!                               no sidecar                          start PROGRAM
//! Starting    Started           a sidecar, another one to start     =             Start(the next sidecar)
//!                               the last sidecar                    start PROGRAM
//!                               PROGRAM                             Running       (--watch's, --ready's schedules)
//! WaitingFor  stop signal                                           stop_all      CancelProbe (exit 128+N)
//!             Clock             a failed attempt's retry is due     =             StartProbe
//!                               --wait-timeout passed               stop_all      CancelProbe (exit 1)
//!             ProbeDone         passed, another target to probe     =             StartProbe(the next target)
//!                               failed                              =             StartProbe, now or at the retry
//!                               the last target passed              run PROGRAM
//!             ProbeStartFailed  a --wait-for probe                  stop_all      (exit 1)
//! Running     stop signal       with --pre-stop                     PreStop       Start(the hook)
//!                               SIGTERM, with --stop-delay          StopDelay     (held)
//!                               PROGRAM runs                        Stopping      Forward(to PROGRAM)
//!                               PROGRAM awaits its restart          stop_all      (exit 128+N)
//!             Clock             a --watch probe is due / overran    =             StartProbe / KillProbe
//!             ProbeDone         --watch fired, --on-unhealthy exit  Stopping      Forward(SIGTERM to PROGRAM)
//!                               ... --on-unhealthy restart          =             Forward(SIGTERM to PROGRAM)
//!             ProbeStartFailed  the --watch probe                   =             (the next one an interval later)
//!             Clock             a --watch notify look is due        =             (no WATCHDOG=1 since the last: fails as a probe)
//!             Clock             a --ready probe is due / overran    =             StartProbe / KillProbe
//!             ProbeDone         a --ready probe                     =             (readiness: the health state)
//!             ProbeStartFailed  a --ready probe                     =             (as a failed probe)
//! StopDelay   stop signal                                           Stopping      Forward(to PROGRAM)
//!             Clock             the delay is over                   Stopping      Forward(the held SIGTERM)
//!             Reaped            a sidecar                           stop_all      (exit: its status)
//!                               ... on-failure, exit 0 or -e CODE   =             (it stays down)
//! Stopping    Clock             half the grace period passed        =             TERM to the sidecars' groups
//!                               the grace period is over            Killing       KILL
//! Running,    ReapedAll         PROGRAM exited, children left       Draining      TERM (KILL at the grace's end)
//! StopDelay,                    ... as PID 1, only others left      Lingering     TERM
//! Stopping                      ... nothing left                    Done          Exit(PROGRAM's status)
//! Stopping,   stop signal       PROGRAM runs                        =             Forward(to PROGRAM), again
//! Killing
//! Draining,   ReapedAll         children left / only others left    Draining / Lingering
//! Lingering                     nothing left                        Done          Exit
//!             Clock             the grace period is over            Killing       KILL
//! Killing     Clock             100 ms after the last KILL          =             KILL
//!             ReapedAll         no child left (blind: none ours)    Done          Exit
//! Running,    Reaped            --restart restarts it               =             TERM to its group, or none
//! WaitingFor                    PROGRAM's restart budget is spent   =             (ReapedAll decides: its status)
//!                               a sidecar's budget is spent         stop_all      (exit: its status)
//!                               a sidecar that stays down (exit 0)  =             (on-failure; or -e CODE)
//!                               a sidecar that is not restarted     stop_all      (exit: its status)
//!             Clock, GroupGone  a sidecar's restart is due          =             KILL what is left, Start
//!                               PROGRAM's restart is due            start PROGRAM
//!             Started           a restarted sidecar                 =             (it runs)
//! PreStart    Reaped            the command exited 0                run PROGRAM
//!                               the command failed                  stop_all      (exit: its status)
//!             stop signal                                           stop_all      Forward(to it) (exit 128+N)
//!             Clock, GroupGone  a restart of a sidecar is due       =             KILL what is left, Start
//! PreStop     Reaped            the hook, after --stop-delay        Stopping      Forward(to PROGRAM)
//!                               the hook, during --stop-delay       StopDelay     (held)
//!                               a sidecar                           stop_all      (exit: its status)
//!             StartFailed       the hook                            Stopping      Forward(to PROGRAM)
//!             stop signal       the hook runs on                    Stopping      Forward(to PROGRAM)
//!             ReapedAll         PROGRAM exited, as in Running       Draining      TERM
//!             Clock             grace over (from the delay's end)   Killing       KILL
//! Running     restart signal    PROGRAM runs                        =             Forward(SIGTERM to PROGRAM)
//!                               not running, or restarting          =             (a debug line)
//!             Reaped            PROGRAM, after the restart signal   Starting / =  Start(PROGRAM) / TERM its group
//! any         Signal            route(): Drop                       =             (a debug line)
//!                               route(): ToAll                      =             Forward(to every process)
//!             Reaped            PROGRAM, a sidecar (not above)      =             (ReapedAll decides)
//!                               an orphan                           =             (a debug line)
//!                               by a signal vigil did not send      =             (its death line, or the OOM line)
//!             StartFailed                                           stop_all      (exit 127, 126 or 1)
//!             OomNotice                                             =             (ReadMemory in 250 ms)
//!             Clock             250 ms after an OomNotice           =             ReadMemory
//!             Memory            OOM kills no reaped death claimed   =             (one line for each)
//!             any other                                             =             none
//!             Notified          from PROGRAM's tree                 =             (--ready notify's readiness, --watch notify's keep-alive)
//!             Clock             --notify: a keep-alive is due       =             Notify(WATCHDOG=1), unless unhealthy or stopping
//!             (after each)      the health state changed            =             (Health: its one line)
//!                               ... with --notify                   =             Notify(READY=1 the first time ready; STATUS=its line)
//!                               the shutdown began, with --notify   stop_all      Notify(STOPPING=1, STATUS=)
//! Done        any                                                   =             none
//! ```
//! - start PROGRAM: with `--wait-for`, WaitingFor and StartProbe(the first
//!   target); else run PROGRAM.
//! - run PROGRAM: PreStart and Start(the next `--pre-start` command that never
//!   ran); once they all have, Starting and Start(PROGRAM).
//! - stop_all: while PROGRAM runs, Stopping and Forward(SIGTERM to PROGRAM);
//!   else, while a process runs, Draining and TERM; else Lingering and TERM,
//!   looking at once (ReapedAll: Exit when nothing is left).
//! - stop signal: SIGTERM, SIGINT or SIGQUIT, after `--rewrite` (`route()`).
//! - restart signal: `--restart-signal`, `route()`'s Restart: from Starting
//!   to Running (before PROGRAM runs: "not running"); later, a Drop.
//! - TERM is SIGTERM then SIGCONT. TERM and KILL go to the tree; without a
//!   visible tree ("blind"), to what vigil can name: its processes and groups.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::death_cause::{Cause, DeathCause};
use super::event::{
    Action, Event, Left, MemoryReading, Mono, ProbeId, ProcId, StartError, To, earliest, log,
};
use super::readiness::{Readiness, ReadyRules};
use super::restart_policy::{History, OnUnhealthy, Restart, RestartRules, Verdict};
use super::supervised::{Named, ProcState, Role, Supervised};
use super::wait_for::{Progress, Wait};
use super::watchdog::{WatchRules, WatchState, Watchdog};
use crate::exit_status;
use crate::human::Shown;
use crate::log::Level;
use crate::sys::signal::Signal;
use crate::sys::wait::{ExitStatus, Pid};

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
    /// `--ready` and its schedule; `None` without a `--ready` target.
    pub ready: Option<ReadyRules>,
    /// `--notify`: vigil's own sd_notify messages; WATCHDOG=1 this often
    /// (half of `WATCHDOG_USEC`) when asked.
    pub notify: bool,
    pub keepalive: Option<Duration>,
    /// `--stop-delay`: the first SIGTERM is held this long (zero: not at all).
    pub stop_delay: Duration,
    /// `--with`: the sidecars' command lines as written, started in this order.
    pub sidecars: Vec<String>,
    /// `--restart`, `--max-restarts`, `--restart-window`.
    pub restart: RestartRules,
    pub on_unhealthy: OnUnhealthy,
    /// `--pre-start`: the commands' names, run in this order.
    pub pre_start: Vec<String>,
    /// `--pre-stop`: the hook's name.
    pub pre_stop: Option<String>,
    /// `--restart-signal`: restarts PROGRAM in place.
    pub restart_signal: Option<Signal>,
    /// The OOM-kill counter of vigil's memory cgroup read at start; `None`:
    /// none could be read, and no death is called an OOM kill.
    pub oom_kills_at_start: Option<u64>,
}

/// Where vigil as a whole is. Each phase holds the deadlines it needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Before `start`.
    New,
    /// The sidecars are being started in order, then PROGRAM.
    Starting,
    /// Probing `--wait-for` targets; PROGRAM is not running (sidecars may be).
    WaitingFor(Wait),
    /// Supervising; nothing asked for a stop. The watchdog, if any, runs, and
    /// processes that exit are restarted as `--restart` says.
    Running,
    /// The first SIGTERM is held (`--stop-delay`): its rewrite, `signal`, goes
    /// to PROGRAM at `forward_at`.
    StopDelay { forward_at: Mono, signal: Signal },
    /// The `--pre-start` commands run, one after the other, before PROGRAM.
    PreStart,
    /// The first stop signal came and the `--pre-stop` hook runs: its
    /// rewrite, `signal`, goes to PROGRAM once the hook has exited, not
    /// before `forward_at` (`--stop-delay`); the grace clock starts then.
    PreStop { forward_at: Mono, signal: Signal },
    /// A stop signal was forwarded to PROGRAM, which still runs; the sidecars
    /// get SIGTERM at `sidecars_at` (half the grace period), SIGKILL at `kill_at`.
    Stopping { kill_at: Mono, sidecars_at: Mono },
    /// PROGRAM has exited (or never ran) and the rest of the tree got SIGTERM;
    /// SIGKILL at `kill_at` to whatever is left.
    Draining { kill_at: Mono },
    /// As `Draining`, but no SIGCHLD may tell vigil when it is over: only
    /// processes it did not start remain (as PID 1), or the drain began while
    /// no supervised process ran. vigil looks again at `look_at`.
    Lingering { kill_at: Mono, look_at: Mono },
    /// The grace period is over: SIGKILL to everything, again at `next_kill`.
    Killing { next_kill: Mono },
    /// vigil exits with this status.
    Done(i32),
}

/// What happens to a signal vigil received (README "Signals", "What gets
/// forwarded"): `Machine::route`'s answer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Route {
    /// Not forwarded, for this reason (one debug line).
    Drop(Dropped),
    /// SIGTERM, SIGINT or SIGQUIT: a shutdown starts, or hurries; this
    /// signal (the rewrite) goes to PROGRAM (README "Shutdown", 1).
    Stop(Signal),
    /// Any other signal: this one (the rewrite) goes to PROGRAM and to every
    /// sidecar, each to its group with `-g`.
    ToAll(Signal),
    /// `--restart-signal`: PROGRAM restarts in place.
    Restart,
}

/// Why a received signal is not forwarded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dropped {
    /// SIGCHLD: the loop reaps after every wake-up (no line).
    Chld,
    /// vigil raised it itself (SIGPIPE once stderr's reader is gone, SIGXFSZ):
    /// it is vigil's, not the app's.
    Raised,
    /// PROGRAM has exited and the rest is being stopped.
    AfterExit,
    /// A terminal's ^C, ^\, ^Z or resize (`si_code == SI_KERNEL`) when the
    /// child shares vigil's group: the child has it already.
    FromTerminal,
    /// SEGV, BUS, FPE, ILL, TRAP, SYS: a fault is the faulting thread's own.
    Fault,
    /// `--rewrite SIG:0`.
    Rewrite,
    /// `--restart-signal` once a shutdown has begun.
    Stopping,
    /// `--restart-signal` while PROGRAM is not running or restarting already.
    NotRunning,
}

impl Dropped {
    /// The end of the debug line, and whether the line names the sender.
    fn why(self) -> (bool, &'static str) {
        match self {
            Dropped::Chld => (false, ""),
            Dropped::Raised => (false, " raised by vigil itself: not forwarded"),
            Dropped::AfterExit => (true, " after the child exited: not forwarded"),
            Dropped::FromTerminal => (false, " from the terminal: the child has it already"),
            Dropped::Fault => (true, " ignored: a fault signal is not forwarded"),
            Dropped::Rewrite => (true, " dropped by --rewrite"),
            Dropped::Stopping => (true, " ignored: vigil is shutting down, no restart"),
            Dropped::NotRunning => (true, " ignored: PROGRAM is not running or restarts already"),
        }
    }
}

/// What a drain's SIGTERM reached, for the log.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Reach {
    /// The whole tree (`Rules::tree_visible`).
    Tree,
    /// Only the groups vigil can name: PROGRAM's own, the sidecars'.
    Groups { main: bool, sidecars: bool },
}

/// Whose status vigil exits with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ExitWith {
    /// PROGRAM's (README "Exit status"), or 75 once the watchdog fired.
    Program,
    /// Decided by what stopped everything: a sidecar's status, a spent restart
    /// budget, a start-up failure.
    Status(i32),
}

/// The supervisor's state: the phase, the supervised processes, the watchdog.
#[derive(Clone, Debug)]
pub struct Machine {
    rules: Rules,
    phase: Phase,
    /// PROGRAM first (`ProcId::MAIN`), then the sidecars in order.
    procs: Vec<Supervised>,
    /// Present while PROGRAM runs, when `--watch` is set.
    watchdog: Option<Watchdog>,
    exit_with: ExitWith,
    /// The main child's own process group (`Rules::own_group`), kept after
    /// it exits: without a visible tree, the only way to reach its leftovers.
    main_group: Option<Pid>,
    /// PROGRAM is being restarted by `--restart-signal`: its exit restarts it
    /// at once, uncounted, without `--wait-for`.
    in_place: bool,
    /// Present while PROGRAM runs, when `--ready` is set.
    readiness: Option<Readiness>,
    /// The health state and its times (`health.rs`).
    tracked: health::Tracked,
    /// Restarts of any supervised process so far, for the health line.
    restarts: u32,
    /// Why processes died: the signals vigil sent, the OOM kills seen.
    deaths: DeathCause,
    /// What `--notify` sent (`notify.rs`).
    sent: notify::Sent,
}

impl Machine {
    // ==== The machine: its state, its deadline, one event at a time ====

    pub fn new(rules: Rules) -> Machine {
        let supervised = |name: &String, role| Supervised {
            name: name.clone(),
            role,
            restart: rules.restart.policy,
            state: ProcState::NotStarted,
            started_at: Mono::ZERO,
            history: History::default(),
        };
        let mut procs = alloc::vec![supervised(&rules.program, Role::Main)];
        for sidecar in &rules.sidecars {
            procs.push(supervised(sidecar, Role::Sidecar));
        }
        // Hooks run once: never restarted.
        let hooks = [
            (rules.pre_start.as_slice(), Role::PreStart),
            (rules.pre_stop.as_slice(), Role::PreStop),
        ];
        for (names, role) in hooks {
            for name in names {
                procs.push(Supervised {
                    restart: Restart::No,
                    ..supervised(name, role)
                });
            }
        }
        let deaths = DeathCause::new(rules.oom_kills_at_start);
        Machine {
            rules,
            phase: Phase::New,
            procs,
            watchdog: None,
            exit_with: ExitWith::Program,
            main_group: None,
            in_place: false,
            readiness: None,
            tracked: health::Tracked::default(),
            restarts: 0,
            deaths,
            sent: notify::Sent::default(),
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

    /// OOM kills in vigil's memory cgroup since it started.
    pub fn oom_kills(&self) -> u64 {
        self.deaths.oom_kills()
    }

    /// Whether `pid`'s death with `status` may be an OOM kill (a SIGKILL
    /// vigil did not send): the loop then reads the memory cgroup for it.
    pub fn may_be_oom(&self, pid: Pid, status: ExitStatus) -> bool {
        let supervised = self.procs.iter().any(|p| p.pid() == Some(pid));
        self.deaths.may_be_oom(pid, supervised, status)
    }

    /// The process groups of exited processes awaiting their restart: the loop
    /// reports each one that is empty as `GroupGone`, after each `ReapedAll`.
    pub fn clearing_groups(&self) -> impl Iterator<Item = Pid> + '_ {
        self.procs.iter().filter_map(|p| match p.state {
            ProcState::Clearing { group, .. } => Some(group),
            _ => None,
        })
    }

    /// The first step: start the sidecars in order, then wait for `--wait-for`
    /// targets, then start PROGRAM.
    pub fn start(&mut self, now: Mono) -> Vec<Action> {
        let mut out = Vec::new();
        self.phase = Phase::Starting;
        self.notify_start(now);
        self.start_next(now, &mut out);
        out
    }

    /// When the loop must wake up even if nothing happens: the earliest
    /// deadline of the phase, or `--notify`'s next WATCHDOG=1, or `None`
    /// (an idle vigil never wakes).
    pub fn deadline(&self) -> Option<Mono> {
        if matches!(self.phase, Phase::Done(_)) {
            return None;
        }
        let deadline = earliest(self.phase_deadline(), self.deaths.deadline());
        earliest(deadline, self.sent.keepalive_at)
    }

    fn phase_deadline(&self) -> Option<Mono> {
        match &self.phase {
            Phase::WaitingFor(wait) => earliest(Some(wait.deadline()), self.restart_deadline()),
            Phase::Running => earliest(
                earliest(
                    self.watchdog.as_ref().and_then(Watchdog::deadline),
                    self.readiness.as_ref().and_then(Readiness::deadline),
                ),
                self.restart_deadline(),
            ),
            Phase::StopDelay { forward_at, .. } => Some(*forward_at),
            Phase::PreStart => self.restart_deadline(),
            Phase::PreStop { forward_at, .. } => Some(*forward_at + self.rules.grace),
            Phase::Stopping {
                kill_at,
                sidecars_at,
            } => {
                let sidecars_run = self
                    .sidecars()
                    .any(|(_, p)| matches!(p.state, ProcState::Running(_)));
                Some(if sidecars_run {
                    (*kill_at).min(*sidecars_at)
                } else {
                    *kill_at
                })
            }
            Phase::Draining { kill_at } => Some(*kill_at),
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
            Event::Reaped {
                pid,
                status,
                core_dumped,
                memory,
            } => {
                let cause = self.why_died(pid, status, core_dumped, memory, &mut out);
                self.on_reaped(pid, status, cause, now, &mut out)
            }
            Event::ReapedAll { left } => self.on_reaped_all(left, now, &mut out),
            Event::GroupGone { group } => self.on_group_gone(group, now, &mut out),
            Event::Clock => self.on_clock(now, &mut out),
            Event::Started { id, pid } => self.on_started(id, pid, now, &mut out),
            Event::StartFailed { id, error } => self.on_start_failed(id, error, now, &mut out),
            Event::ProbeDone {
                probe,
                passed,
                report,
            } => self.on_probe_done(probe, passed, report, now, &mut out),
            Event::ProbeStartFailed { probe, error } => {
                self.on_probe_start_failed(probe, error, now, &mut out)
            }
            Event::OomNotice => self.deaths.on_notice(now),
            Event::Memory(reading) => self.deaths.on_memory(reading, &mut out),
            Event::Notified(notice) => self.on_notified(&notice),
        }
        self.deaths.saw(&out);
        let before = self.tracked.state;
        self.track_health(now, &mut out);
        self.notify_after(before, now, &mut out);
        out
    }

    /// A wake-up: whatever deadline of the phase has passed.
    fn on_clock(&mut self, now: Mono, out: &mut Vec<Action>) {
        self.deaths.on_clock(now, out);
        match &mut self.phase {
            Phase::WaitingFor(wait) => {
                let progress = wait.on_clock(now, out);
                self.after_wait(progress, now, out);
                self.restart_timers(now, out);
            }
            Phase::Running => {
                if self.watchdog.as_mut().is_some_and(|w| w.on_clock(now, out)) {
                    self.watch_fired(now, out);
                }
                if let Some(r) = self.readiness.as_mut() {
                    r.on_clock(now, out);
                }
                self.restart_timers(now, out);
            }
            Phase::StopDelay { forward_at, signal } => {
                if now >= *forward_at {
                    let signal = *signal;
                    self.release_term(signal, now, out);
                }
            }
            Phase::PreStart => self.restart_timers(now, out),
            Phase::PreStop { forward_at, .. } => {
                if now >= *forward_at + self.rules.grace {
                    self.grace_over(now, out);
                }
            }
            Phase::Stopping {
                kill_at,
                sidecars_at,
            } => {
                if now >= *kill_at {
                    self.grace_over(now, out);
                } else if now >= *sidecars_at {
                    self.stop_sidecars("half the grace period passed", out);
                }
            }
            Phase::Draining { kill_at } | Phase::Lingering { kill_at, .. } => {
                if now >= *kill_at {
                    self.grace_over(now, out);
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

    // ---- The process table ----

    fn main(&self) -> &Supervised {
        &self.procs[ProcId::MAIN.0]
    }

    fn main_mut(&mut self) -> &mut Supervised {
        &mut self.procs[ProcId::MAIN.0]
    }

    /// Puts process `id` in `state`. An id is an index into the table, which
    /// never shrinks; one it does not hold changes nothing.
    fn set_state(&mut self, id: ProcId, state: ProcState) {
        if let Some(proc) = self.procs.get_mut(id.0) {
            proc.state = state;
        }
    }

    fn sidecars(&self) -> impl Iterator<Item = (ProcId, &Supervised)> {
        self.procs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.role == Role::Sidecar)
            .map(|(i, p)| (ProcId(i), p))
    }

    /// Whether any supervised process runs.
    fn any_running(&self) -> bool {
        self.procs.iter().any(|p| p.pid().is_some())
    }

    /// A process's own process group: every sidecar's, and PROGRAM's with
    /// `-g` or on a terminal (`Rules::own_group`).
    fn own_group(&self, id: ProcId, pid: Pid) -> Option<Pid> {
        (id != ProcId::MAIN || self.rules.own_group).then_some(pid)
    }

    /// Where a signal meant for process `id` goes: its group with `-g`.
    fn target(&self, pid: Pid) -> To {
        if self.rules.group {
            To::Group(pid)
        } else {
            To::Process(pid)
        }
    }

    // ==== README "Init mode": start the sidecars, wait, start PROGRAM ====

    /// Starts the next sidecar that never ran, or, once all run, PROGRAM
    /// (after `--wait-for`).
    fn start_next(&mut self, now: Mono, out: &mut Vec<Action>) {
        let next = self
            .procs
            .iter_mut()
            .enumerate()
            .find(|(_, p)| p.role == Role::Sidecar && p.state == ProcState::NotStarted);
        if let Some((i, sidecar)) = next {
            sidecar.state = ProcState::Starting;
            out.push(Action::Start(ProcId(i)));
        } else if self.main().state == ProcState::NotStarted {
            self.wait_then_start_main(now, out);
        }
    }

    /// "start PROGRAM" in the table: through `--wait-for` when it is set.
    fn wait_then_start_main(&mut self, now: Mono, out: &mut Vec<Action>) {
        if self.rules.wait_for == 0 {
            self.pre_start_then_main(out);
            return;
        }
        let ends = now + self.rules.wait_timeout;
        let (wait, progress) =
            Wait::begin(self.rules.wait_for, ends, self.rules.wait_timeout, now, out);
        self.phase = Phase::WaitingFor(wait);
        self.after_wait(progress, now, out);
    }

    fn start_main(&mut self, out: &mut Vec<Action>) {
        self.phase = Phase::Starting;
        self.main_mut().state = ProcState::Starting;
        out.push(Action::Start(ProcId::MAIN));
    }

    fn on_started(&mut self, id: ProcId, pid: Pid, now: Mono, out: &mut Vec<Action>) {
        let Some(proc) = self.procs.get_mut(id.0) else {
            return;
        };
        proc.state = ProcState::Running(pid);
        proc.started_at = now;
        let pid1 = if self.rules.is_pid1 {
            " (vigil is PID 1)"
        } else {
            ""
        };
        log(
            out,
            Level::Debug,
            format!("started {}{pid1}", proc.named(Some(pid))),
        );
        self.deaths.forget(pid);
        if id == ProcId::MAIN {
            self.main_group = Some(pid).filter(|_| self.rules.own_group);
            self.phase = Phase::Running;
            // A restarted PROGRAM's watch begins again with its start period,
            // and its readiness with the fast start.
            self.watchdog = self.rules.watch.clone().map(|w| Watchdog::new(w, now));
            self.readiness = self.rules.ready.clone().map(|r| Readiness::new(r, now));
        } else if self.phase == Phase::Starting {
            self.start_next(now, out);
        }
    }

    // ==== README "Exit status" ====

    /// The first cause to stop everything decides vigil's status.
    fn decide(&mut self, code: i32) {
        if self.exit_with == ExitWith::Program {
            self.exit_with = ExitWith::Status(code);
        }
    }

    /// vigil's exit status once nothing is left.
    fn final_code(&self) -> i32 {
        if let ExitWith::Status(code) = self.exit_with {
            return code;
        }
        if self.watchdog.as_ref().is_some_and(Watchdog::fired) {
            return exit_status::WATCHDOG;
        }
        match self.main().last_status() {
            Some(status) => self.folded(status),
            None => exit_status::FAILURE,
        }
    }

    /// A supervised process's status as vigil would exit with it: 0 for a
    /// `-e` code (README "Exit status").
    fn folded(&self, status: ExitStatus) -> i32 {
        exit_status::of_main_child(status, &self.rules.success_exits)
    }

    fn exit(&mut self, code: i32, out: &mut Vec<Action>) {
        self.phase = Phase::Done(code);
        out.push(Action::Exit(code));
    }

    /// 127 not found, 126 not executable, 1 for the rest; whatever runs
    /// already is stopped.
    fn on_start_failed(&mut self, id: ProcId, error: StartError, now: Mono, out: &mut Vec<Action>) {
        let Some(proc) = self.procs.get_mut(id.0) else {
            return;
        };
        proc.state = ProcState::NotStarted;
        let role = proc.role;
        let name = proc.named(None);
        let (code, line) = match error {
            StartError::NotFound(e) => (exit_status::NOT_FOUND, format!("cannot run {name}: {e}")),
            StartError::NotExecutable(e) => (
                exit_status::NOT_EXECUTABLE,
                format!("cannot run {name}: {e}"),
            ),
            StartError::Creds { step, error } => {
                let user = self.rules.user.as_deref().unwrap_or("root");
                (
                    exit_status::FAILURE,
                    format!("cannot run {name} as user '{user}': {step}: {error}"),
                )
            }
            StartError::Fork(e) | StartError::Env(e) => {
                (exit_status::FAILURE, format!("cannot start {name}: {e}"))
            }
        };
        if role == Role::PreStop {
            log(out, Level::Warn, line);
            self.set_state(id, ProcState::Exited(ExitStatus::Exited(code as u8)));
            return self.after_hook(now, out);
        }
        log(out, Level::Error, line);
        self.decide(code);
        self.stop_all("a process could not start", now, out);
    }

    // ==== README "Signals": what gets forwarded ====

    /// What happens to signal `sig` from pid `sender` (`from_kernel`: a
    /// terminal generated it), in the README's order.
    pub fn route(&self, sig: Signal, sender: u32, from_kernel: bool) -> Route {
        // Before PROGRAM runs, a stop signal ends the wait: no child has it
        // yet, so only --rewrite can drop it.
        let ends_wait =
            is_stop_signal(sig) && matches!(self.phase, Phase::WaitingFor(_) | Phase::PreStart);
        let program_gone = self.main().pid().is_none()
            && matches!(
                self.phase,
                Phase::Draining { .. } | Phase::Lingering { .. } | Phase::Killing { .. }
            );
        // A child in a group of its own did not get what went to ours.
        let child_has_it = from_kernel && !self.rules.own_group && is_terminal_signal(sig);
        let dropped = if sig == Signal::CHLD {
            Some(Dropped::Chld)
        } else if ends_wait {
            None
        } else if sender == self.rules.own_pid {
            Some(Dropped::Raised)
        } else if Some(sig) == self.rules.restart_signal {
            let before_stop = matches!(
                self.phase,
                Phase::Starting | Phase::WaitingFor(_) | Phase::PreStart | Phase::Running
            );
            return match self.main().state {
                _ if !before_stop => Route::Drop(Dropped::Stopping),
                ProcState::Running(_) => Route::Restart,
                _ => Route::Drop(Dropped::NotRunning),
            };
        } else if program_gone {
            Some(Dropped::AfterExit)
        } else if child_has_it {
            // Forwarding would deliver it twice, and a ^C at an interactive
            // shell is no reason to shut down.
            Some(Dropped::FromTerminal)
        } else if sig.is_synchronous_fault() {
            Some(Dropped::Fault)
        } else {
            None
        };
        if let Some(why) = dropped {
            return Route::Drop(why);
        }
        match self.rewritten(sig) {
            None => Route::Drop(Dropped::Rewrite),
            Some(to) if is_stop_signal(sig) => Route::Stop(to),
            Some(to) => Route::ToAll(to),
        }
    }

    fn on_signal(
        &mut self,
        sig: Signal,
        sender: u32,
        from_kernel: bool,
        now: Mono,
        out: &mut Vec<Action>,
    ) {
        match self.route(sig, sender, from_kernel) {
            Route::Drop(Dropped::Chld) => {}
            Route::Drop(why) => {
                if let (Dropped::FromTerminal, Some(pid)) = (why, self.main().pid()) {
                    self.deaths.known(pid, sig);
                }
                let line = match why.why() {
                    (true, text) => format!("{sig} from pid {sender}{text}"),
                    (false, text) => format!("{sig}{text}"),
                };
                log(out, Level::Debug, line);
            }
            Route::Stop(to) => self.on_stop_signal(sig, to, now, out),
            Route::Restart => {
                self.in_place = true;
                self.replace_program("--restart-signal", Level::Info, now, out);
            }
            Route::ToAll(to) => {
                for pid in self.procs.iter().filter_map(Supervised::pid) {
                    out.push(Action::Forward {
                        signal: to,
                        to: self.target(pid),
                    });
                }
            }
        }
    }

    fn forward_to_program(&self, sig: Signal, out: &mut Vec<Action>) {
        if let Some(pid) = self.main().pid() {
            out.push(Action::Forward {
                signal: sig,
                to: self.target(pid),
            });
        }
    }

    /// `--rewrite`: what `sig` is delivered as; `None` drops it.
    fn rewritten(&self, sig: Signal) -> Option<Signal> {
        match self.rules.rewrites.iter().find(|(from, _)| *from == sig) {
            Some((_, to)) => *to,
            None => Some(sig),
        }
    }

    // ==== README "Shutdown", 1: start ====

    /// SIGTERM, SIGINT or SIGQUIT (`sig`), to be forwarded as `to`.
    fn on_stop_signal(&mut self, sig: Signal, to: Signal, now: Mono, out: &mut Vec<Action>) {
        match self.phase {
            // README "Beyond tini": PROGRAM is not running: a stop signal ends
            // vigil at once (after stopping the sidecars, if any).
            Phase::WaitingFor(_) => {
                log(out, Level::Info, format!("{sig}: not waiting"));
                self.cancel_wait_probe(out);
                self.decide(exit_status::signaled(sig));
                self.stop_all("stop signal", now, out);
            }
            Phase::PreStart => self.stop_pre_start(sig, to, now, out),
            Phase::Running if self.main().pid().is_some() => {
                if self.run_pre_stop(sig, to, now, out) {
                    return;
                }
                if sig == Signal::TERM && !self.rules.stop_delay.is_zero() {
                    self.hold_term(to, now, out);
                    return;
                }
                self.forward_to_program(to, out);
                self.start_stopping(&format!("{sig}"), now, out);
            }
            Phase::Running => {
                // PROGRAM waits for its restart: nothing to drain, stop now.
                log(
                    out,
                    Level::Info,
                    format!(
                        "{sig}: {} is not running: shutting down",
                        self.main().named(None)
                    ),
                );
                self.decide(exit_status::signaled(sig));
                self.stop_all("stop signal", now, out);
            }
            // A second SIGTERM, or a SIGINT or SIGQUIT, cuts the delay short;
            // during --pre-stop too, the hook runs on.
            Phase::StopDelay { .. } | Phase::PreStop { .. } => {
                self.forward_to_program(to, out);
                self.start_stopping(&format!("{sig}"), now, out);
            }
            // Forwarded again; the first deadline stands.
            Phase::Stopping { .. }
            | Phase::Draining { .. }
            | Phase::Lingering { .. }
            | Phase::Killing { .. } => self.forward_to_program(to, out),
            Phase::New | Phase::Starting | Phase::Done(_) => {}
        }
    }

    /// PROGRAM is stopped as if SIGTERM had come, without the stop delay
    /// (the watchdog fired, or a sidecar exited). `--rewrite` picks the signal
    /// sent, but a rewrite to 0 drops only the signals vigil receives; it
    /// cannot cancel vigil's own decision, so SIGTERM goes then.
    fn stop_program(&mut self, why: &str, now: Mono, out: &mut Vec<Action>) {
        let to = self.rewritten(Signal::TERM).unwrap_or(Signal::TERM);
        self.forward_to_program(to, out);
        self.start_stopping(why, now, out);
    }

    /// The stop signal went to PROGRAM: the grace clock starts; the sidecars
    /// follow at half of it.
    fn start_stopping(&mut self, why: &str, now: Mono, out: &mut Vec<Action>) {
        if !matches!(
            self.phase,
            Phase::Running | Phase::StopDelay { .. } | Phase::PreStop { .. }
        ) {
            return;
        }
        let from = self.grace_from(now);
        log(
            out,
            Level::Info,
            format!(
                "{why}: shutting down, grace period {}",
                Shown(self.rules.grace)
            ),
        );
        self.cancel_restarts();
        self.phase = Phase::Stopping {
            kill_at: from + self.rules.grace,
            sidecars_at: from + self.rules.grace.checked_div(2).unwrap_or_default(),
        };
    }

    /// "stop_all" in the table: stops everything without the stop delay:
    /// PROGRAM first when it runs, else the rest of the tree at once, even
    /// when no supervised process runs (what an exited PROGRAM left behind
    /// gets the README's shutdown too: SIGTERM, the grace period, SIGKILL).
    fn stop_all(&mut self, why: &str, now: Mono, out: &mut Vec<Action>) {
        self.cancel_restarts();
        match self.phase {
            Phase::Running | Phase::StopDelay { .. } | Phase::PreStop { .. }
                if self.main().pid().is_some() =>
            {
                self.stop_program(why, now, out)
            }
            Phase::Stopping { .. }
            | Phase::Draining { .. }
            | Phase::Lingering { .. }
            | Phase::Killing { .. } => {}
            _ if self.any_running() => {
                self.drain(now + self.rules.grace, out);
            }
            // Nothing supervised runs, but what it left may: the same drain.
            // No SIGCHLD may ever come, so vigil looks at once, and
            // on_reaped_all exits when nothing is left.
            _ => {
                let kill_at = now + self.rules.grace;
                self.drain(kill_at, out);
                self.phase = Phase::Lingering {
                    kill_at,
                    look_at: now,
                };
            }
        }
    }

    // ==== README "Shutdown", 2: the main child (or a sidecar) exits ====

    /// README "Shutdown", why a process died: the line for a death by a
    /// signal vigil did not send, or by the OOM killer; returns the cause.
    fn why_died(
        &mut self,
        pid: Pid,
        status: ExitStatus,
        core_dumped: bool,
        memory: Option<MemoryReading>,
        out: &mut Vec<Action>,
    ) -> Cause {
        let proc = self.procs.iter().find(|p| p.pid() == Some(pid));
        let who = Named(proc, Some(pid));
        self.deaths
            .on_death(&who, proc.is_some(), pid, status, core_dumped, memory, out)
    }

    fn on_reaped(
        &mut self,
        pid: Pid,
        status: ExitStatus,
        cause: Cause,
        now: Mono,
        out: &mut Vec<Action>,
    ) {
        let code = exit_status::of(status);
        let found = self
            .procs
            .iter()
            .enumerate()
            .find(|(_, p)| p.pid() == Some(pid));
        let Some((i, proc)) = found else {
            if !matches!(self.phase, Phase::WaitingFor(_)) {
                log(
                    out,
                    Level::Debug,
                    format!("reaped pid {pid} (status {code})"),
                );
            }
            return; // an orphan: reaped, nothing to decide
        };
        let id = ProcId(i);
        let named = format!("{}", proc.named(Some(pid)));
        let unhealthy = matches!(proc.state, ProcState::Replacing { .. });
        let (role, restart) = (proc.role, proc.restart);
        // A failing --pre-stop hook's line is a warning while PROGRAM waits
        // for it; a failing --pre-start command stops everything (below).
        let hook_failed = code != 0 && role == Role::PreStop;
        let level = match self.phase {
            Phase::PreStop { .. } if hook_failed => Level::Warn,
            _ => Level::Debug,
        };
        log(out, level, format!("{named} exited with status {code}"));
        if role == Role::PreStop || (role == Role::PreStart && code == 0) {
            self.set_state(id, ProcState::Exited(status));
            self.after_hook(now, out);
            return;
        }
        if id == ProcId::MAIN && self.in_place {
            self.restart_at_once(pid, status, now, out);
            return;
        }
        let supervising = matches!(
            self.phase,
            Phase::Running | Phase::WaitingFor(_) | Phase::PreStart
        );
        // An exit `-e` names is a success for the restart rules too.
        let success = self.folded(status) == exit_status::SUCCESS;
        if supervising && (unhealthy || restart.restarts_after(success)) {
            self.restart_later(id, pid, (status, cause), unhealthy, now, out);
            return;
        }
        self.set_state(id, ProcState::Exited(status));
        // During the stop delay nothing restarts, but a sidecar that exits
        // first still stops everything at once, with its status.
        let held = matches!(self.phase, Phase::StopDelay { .. } | Phase::PreStop { .. })
            && id != ProcId::MAIN;
        if !supervising && !held {
            return; // shutting down: on_reaped_all decides when vigil exits
        }
        if restart == Restart::OnFailure && success {
            // A success under on-failure stays down, quietly, even during
            // the stop delay.
            log(
                out,
                Level::Info,
                format!("{named} exited with status {code}; not restarted (--restart on-failure)"),
            );
            return;
        }
        if id == ProcId::MAIN {
            return; // PROGRAM: on_reaped_all stops the rest, with its status
        }
        // A sidecar exited first: everything stops, and its status is vigil's.
        log(
            out,
            Level::Warn,
            format!("{named} {cause}: stopping everything"),
        );
        // A --pre-start command's status is its own: `-e` maps the others'.
        let failed = match role {
            Role::PreStart => code,
            _ => self.folded(status),
        };
        self.decide(failed);
        self.cancel_wait_probe(out);
        self.stop_all(&format!("{named} exited"), now, out);
    }

    /// After each round of reaping (README "Shutdown", 2 and 4).
    fn on_reaped_all(&mut self, left: Left, now: Mono, out: &mut Vec<Action>) {
        // Past the grace period, what vigil did not start is left to the
        // namespace's teardown: SIGKILL has gone to it already.
        let past_grace = matches!(self.phase, Phase::Killing { .. });
        // Without a visible tree, what is left past the grace period cannot
        // be named: once no supervised process runs, vigil has sent its last
        // SIGKILL and leaves the rest be.
        let done = left == Left::Nothing
            || (left == Left::OthersOnly && past_grace)
            || (!self.rules.tree_visible && past_grace && !self.any_running());
        let (kill_at, tell) = match self.phase {
            Phase::Running
            | Phase::StopDelay { .. }
            | Phase::PreStop { .. }
            | Phase::Stopping { .. } => {
                let ProcState::Exited(_) = self.main().state else {
                    return;
                };
                match self.phase {
                    Phase::Stopping { kill_at, .. } => (kill_at, true),
                    _ => (self.grace_from(now) + self.rules.grace, true),
                }
            }
            Phase::Draining { kill_at } | Phase::Lingering { kill_at, .. } => (kill_at, false),
            Phase::Killing { .. } if done => (now, false),
            // Past telling: SIGKILL is on its way.
            _ => return,
        };
        if done {
            self.exit(self.final_code(), out);
            return;
        }
        if tell {
            self.cancel_restarts();
            let text = match self.drain(kill_at, out) {
                Reach::Tree => "sent SIGTERM to the remaining processes, waiting for them",
                Reach::Groups {
                    main: true,
                    sidecars: false,
                } => {
                    "sent SIGTERM to its process group, waiting for the remaining processes (the rest cannot be seen)"
                }
                Reach::Groups {
                    main: true,
                    sidecars: true,
                } => {
                    "sent SIGTERM to its process group and the sidecars' groups, waiting for the remaining processes (the rest cannot be seen)"
                }
                Reach::Groups {
                    main: false,
                    sidecars: true,
                } => {
                    "sent SIGTERM to the sidecars' process groups, waiting for the remaining processes (the rest cannot be seen)"
                }
                Reach::Groups {
                    main: false,
                    sidecars: false,
                } => {
                    "the remaining processes cannot be seen, so none got SIGTERM: waiting for them until the grace period ends"
                }
            };
            let program = self.main().named(None);
            log(out, Level::Info, format!("{program} exited; {text}"));
        }
        self.phase = match left {
            Left::OthersOnly => Phase::Lingering {
                kill_at,
                look_at: now + LOOK_INTERVAL,
            },
            _ => Phase::Draining { kill_at },
        };
    }

    /// SIGTERM to the rest of the tree; SIGKILL at `kill_at`. Without a
    /// visible tree, to what vigil can name: PROGRAM's own group and each
    /// running sidecar's group. Returns what it reached, for the log.
    fn drain(&mut self, kill_at: Mono, out: &mut Vec<Action>) -> Reach {
        self.phase = Phase::Draining { kill_at };
        // Let them clean up before the grace clock runs out. A stopped
        // leftover could not act on SIGTERM until the SIGKILL.
        if self.rules.tree_visible {
            out.push(Action::SignalTree(Signal::TERM));
            out.push(Action::SignalTree(Signal::CONT));
            return Reach::Tree;
        }
        let groups = self.nameable_groups();
        for &group in &groups {
            for signal in [Signal::TERM, Signal::CONT] {
                out.push(Action::SignalGroup { signal, group });
            }
        }
        Reach::Groups {
            main: self.main_group.is_some(),
            sidecars: groups.len() > usize::from(self.main_group.is_some()),
        }
    }

    /// Without a visible tree, the groups vigil can name: PROGRAM's own
    /// (`Rules::own_group`, kept after it exits), then each running sidecar's.
    fn nameable_groups(&self) -> Vec<Pid> {
        let mut groups: Vec<Pid> = self.main_group.into_iter().collect();
        for sidecar in self.procs.iter().skip(1) {
            groups.extend(sidecar.pid());
        }
        groups
    }

    // ==== README "Shutdown", 3: the grace period ends ====

    fn grace_over(&mut self, now: Mono, out: &mut Vec<Action>) {
        let grace = Shown(self.rules.grace);
        let text = match self.kill_reach() {
            Some(whom) => format!("grace period of {grace} is over: sending SIGKILL to {whom}"),
            // Never claim a kill that is not sent.
            None => format!(
                "grace period of {grace} is over: the remaining processes cannot be seen and get no SIGKILL; exiting"
            ),
        };
        log(out, Level::Warn, text);
        self.kill_everything(now, out);
    }

    /// Whom the grace period's SIGKILL reaches, for the log; `None` when no
    /// process can be named (no visible tree, nothing supervised runs, no group).
    fn kill_reach(&self) -> Option<String> {
        if self.rules.tree_visible {
            return Some("every remaining process".into());
        }
        let running = self.main().pid().is_some();
        let main = match (running, self.main_group.is_some()) {
            (true, true) => Some("the child and its process group"),
            (true, false) => Some("the child"),
            (false, true) => Some("the child's process group"),
            (false, false) => None,
        };
        let sidecars = self.procs.iter().skip(1).any(|p| p.pid().is_some());
        match (main, sidecars) {
            (Some(main), false) => Some(main.into()),
            (Some(main), true) => Some(format!("{main}, and the sidecars and their groups")),
            (None, true) => Some("the sidecars and their groups".into()),
            (None, false) => None,
        }
    }

    /// SIGKILL to the tree, repeated every 100 ms. Without a visible tree, to
    /// what vigil can name; once nothing it supervises runs, its part is done
    /// and it exits (README "Shutdown", 4).
    fn kill_everything(&mut self, now: Mono, out: &mut Vec<Action>) {
        self.phase = Phase::Killing {
            next_kill: now + REKILL_INTERVAL,
        };
        if self.rules.tree_visible {
            out.push(Action::SignalTree(Signal::KILL));
            if self.rules.is_pid1 {
                return; // kill(-1) reaches every supervised process too
            }
        } else {
            for group in self.nameable_groups() {
                out.push(Action::SignalGroup {
                    signal: Signal::KILL,
                    group,
                });
            }
        }
        // They are descendants too, but make sure of it even if /proc is missing.
        for pid in self.procs.iter().filter_map(Supervised::pid) {
            out.push(Action::Kill {
                signal: Signal::KILL,
                pid,
            });
        }
        if !self.rules.tree_visible && !self.any_running() {
            self.exit(self.final_code(), out);
        }
    }

    // ==== README "Beyond tini": --wait-for and --watch ====

    fn after_wait(&mut self, progress: Progress, now: Mono, out: &mut Vec<Action>) {
        match progress {
            Progress::Waiting => {}
            Progress::Ready => self.pre_start_then_main(out),
            Progress::GaveUp => {
                self.decide(exit_status::FAILURE);
                self.stop_all("--wait-for gave up", now, out);
            }
        }
    }

    fn cancel_wait_probe(&self, out: &mut Vec<Action>) {
        if let Phase::WaitingFor(wait) = &self.phase {
            if let Some(probe) = wait.running_probe() {
                out.push(Action::CancelProbe(probe));
            }
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
        if !passed {
            self.deaths.probe_gave_up();
        }
        match (&mut self.phase, probe) {
            (Phase::WaitingFor(wait), ProbeId::WaitFor(_)) => {
                let progress = wait.on_done(passed, report, now, out);
                self.after_wait(progress, now, out);
            }
            // Watching ends once shutdown starts, or the main child is gone.
            (Phase::Running, ProbeId::Watch)
                if self
                    .procs
                    .first()
                    .is_some_and(|main| matches!(main.state, ProcState::Running(_))) =>
            {
                let Some(w) = self.watchdog.as_mut() else {
                    return;
                };
                if w.on_done(passed, report, now, out) {
                    self.watch_fired(now, out);
                }
            }
            (Phase::Running, ProbeId::Ready(i)) => {
                if let Some(r) = self.readiness.as_mut() {
                    r.on_done(i, passed, report, now);
                }
            }
            // A probe that ends after its reason is gone (shutdown started).
            _ => {}
        }
    }

    /// The watchdog fired: `--on-unhealthy` acts.
    fn watch_fired(&mut self, now: Mono, out: &mut Vec<Action>) {
        match self.rules.on_unhealthy {
            OnUnhealthy::Exit => self.stop_program("--watch", now, out),
            OnUnhealthy::Restart => {
                self.replace_program("--on-unhealthy restart", Level::Warn, now, out)
            }
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
            (Phase::WaitingFor(_), _) => {
                self.decide(exit_status::FAILURE);
                self.stop_all("a probe could not start", now, out);
            }
            (Phase::Running, ProbeId::Watch) => {
                if let Some(w) = self.watchdog.as_mut() {
                    w.on_start_failed(now);
                }
            }
            (Phase::Running, ProbeId::Ready(i)) => {
                // As a failed probe: the next one at its time.
                if let Some(r) = self.readiness.as_mut() {
                    r.on_done(i, false, error, now);
                }
            }
            _ => {}
        }
    }

    // ==== README "Lifecycle": --stop-delay ====

    /// The first SIGTERM (its rewrite `to`) is held: the app keeps serving
    /// while its endpoints are removed.
    fn hold_term(&mut self, to: Signal, now: Mono, out: &mut Vec<Action>) {
        log(
            out,
            Level::Info,
            format!(
                "SIGTERM held {} (--stop-delay), then forwarded",
                Shown(self.rules.stop_delay)
            ),
        );
        self.cancel_restarts();
        self.phase = Phase::StopDelay {
            forward_at: now + self.rules.stop_delay,
            signal: to,
        };
    }

    /// The delay is over: the held SIGTERM goes, and the grace period starts.
    fn release_term(&mut self, signal: Signal, now: Mono, out: &mut Vec<Action>) {
        self.forward_to_program(signal, out);
        self.start_stopping("SIGTERM (after --stop-delay)", now, out);
    }

    // ==== README "Lifecycle": --with (stopping; starting is above) ====

    /// SIGTERM to each running sidecar's group (Kubernetes' order: after PROGRAM).
    fn stop_sidecars(&mut self, why: &str, out: &mut Vec<Action>) {
        let mut told = false;
        for p in self.procs.iter_mut().filter(|p| p.role == Role::Sidecar) {
            if let ProcState::Running(pid) = p.state {
                p.state = ProcState::Stopping(pid);
                out.push(Action::SignalGroup {
                    signal: Signal::TERM,
                    group: pid,
                });
                out.push(Action::SignalGroup {
                    signal: Signal::CONT,
                    group: pid,
                });
                told = true;
            }
        }
        if told {
            log(
                out,
                Level::Info,
                format!("{why}: sent SIGTERM to the sidecars"),
            );
        }
    }

    // ==== README "Lifecycle": --restart, --on-unhealthy restart ====

    /// A process exited and its policy (or the watchdog) restarts it: within
    /// the budget, what is left of its group is cleared, then the backoff runs.
    fn restart_later(
        &mut self,
        id: ProcId,
        pid: Pid,
        (status, cause): (ExitStatus, Cause),
        unhealthy: bool,
        now: Mono,
        out: &mut Vec<Action>,
    ) {
        let rules = self.rules.restart;
        let group = self.own_group(id, pid);
        let Some(proc) = self.procs.get_mut(id.0) else {
            return;
        };
        let ran = now - proc.started_at;
        match proc.history.on_exit(&rules, ran, now) {
            Verdict::BudgetSpent => {
                proc.state = ProcState::Exited(status);
                let line = format!(
                    "{} {cause}; {} restarts within {} spent (--max-restarts): stopping everything",
                    proc.named(Some(pid)),
                    rules.max,
                    Shown(rules.window)
                );
                log(out, Level::Error, line);
                self.decide(if unhealthy {
                    exit_status::WATCHDOG
                } else {
                    self.folded(status)
                });
                if id != ProcId::MAIN {
                    self.cancel_wait_probe(out);
                    self.stop_all("restart budget spent", now, out);
                }
                // PROGRAM: on_reaped_all stops the rest.
            }
            Verdict::RestartIn { delay, count } => {
                log(
                    out,
                    Level::Warn,
                    format!(
                        "{} {cause}; restart {count}/{} in {}",
                        proc.named(Some(pid)),
                        rules.max,
                        Shown(delay)
                    ),
                );
                let restart_at = now + delay;
                proc.state = match group {
                    Some(group) => {
                        out.push(Action::SignalGroup {
                            signal: Signal::TERM,
                            group,
                        });
                        out.push(Action::SignalGroup {
                            signal: Signal::CONT,
                            group,
                        });
                        ProcState::Clearing {
                            last: status,
                            group,
                            kill_at: now + self.rules.grace,
                            restart_at,
                        }
                    }
                    None => ProcState::Backoff {
                        last: status,
                        restart_at,
                    },
                };
                if id == ProcId::MAIN {
                    // The watch resumes when PROGRAM runs again.
                    if let Some(w) = self.watchdog.take() {
                        if matches!(
                            w.state(),
                            WatchState::Probing { .. } | WatchState::Killed { .. }
                        ) {
                            out.push(Action::CancelProbe(ProbeId::Watch));
                        }
                    }
                    self.stop_readiness(out);
                }
            }
        }
    }

    fn on_group_gone(&mut self, gone: Pid, now: Mono, out: &mut Vec<Action>) {
        for p in &mut self.procs {
            if let ProcState::Clearing {
                last,
                group,
                restart_at,
                ..
            } = p.state
            {
                if group == gone {
                    p.state = ProcState::Backoff { last, restart_at };
                }
            }
        }
        self.restart_timers(now, out);
    }

    /// Pending restarts whose time came: SIGKILL to a group that outlived the
    /// grace period, and restarts whose backoff is over.
    fn restart_timers(&mut self, now: Mono, out: &mut Vec<Action>) {
        if !matches!(
            self.phase,
            Phase::Running | Phase::WaitingFor(_) | Phase::PreStart
        ) {
            return;
        }
        for i in 0..self.procs.len() {
            let id = ProcId(i);
            let Some(&Supervised { state, .. }) = self.procs.get(i) else {
                break;
            };
            match state {
                ProcState::Replacing { pid, kill_at } if now >= kill_at => {
                    let to = self.target(pid);
                    out.push(Action::Kill {
                        signal: Signal::KILL,
                        pid,
                    });
                    if let To::Group(group) = to {
                        out.push(Action::SignalGroup {
                            signal: Signal::KILL,
                            group,
                        });
                    }
                    let kill_at = now + REKILL_INTERVAL;
                    self.set_state(id, ProcState::Replacing { pid, kill_at });
                }
                ProcState::Clearing {
                    last,
                    group,
                    kill_at,
                    restart_at,
                } if now >= kill_at => {
                    out.push(Action::SignalGroup {
                        signal: Signal::KILL,
                        group,
                    });
                    self.set_state(id, ProcState::Backoff { last, restart_at });
                }
                _ => {}
            }
            if let Some(ProcState::Backoff { restart_at, .. }) = self.procs.get(i).map(|p| p.state)
            {
                if now >= restart_at {
                    self.restart_now(id, now, out);
                }
            }
        }
    }

    /// A restart: PROGRAM passes `--wait-for` again when it is set.
    fn restart_now(&mut self, id: ProcId, now: Mono, out: &mut Vec<Action>) {
        self.restarts += 1;
        if id == ProcId::MAIN && core::mem::take(&mut self.in_place) {
            self.start_main(out);
        } else if id == ProcId::MAIN {
            self.main_mut().state = ProcState::NotStarted;
            self.wait_then_start_main(now, out);
        } else {
            self.set_state(id, ProcState::Starting);
            out.push(Action::Start(id));
        }
    }

    fn restart_deadline(&self) -> Option<Mono> {
        self.procs
            .iter()
            .filter_map(Supervised::restart_deadline)
            .min()
    }

    /// Pending restarts are dropped once vigil stops: the process stays down.
    fn cancel_restarts(&mut self) {
        self.in_place = false;
        for p in &mut self.procs {
            p.state = match p.state {
                ProcState::Clearing { last, .. } | ProcState::Backoff { last, .. } => {
                    ProcState::Exited(last)
                }
                ProcState::Replacing { pid, .. } => ProcState::Running(pid),
                other => other,
            };
        }
    }

    /// `--on-unhealthy restart` (and `--restart-signal`, below): the stop
    /// signal to PROGRAM, SIGKILL after the grace period, then the restart
    /// rules (its exit is always restarted).
    fn replace_program(
        &mut self,
        why: &'static str,
        level: Level,
        now: Mono,
        out: &mut Vec<Action>,
    ) {
        let Some(pid) = self.main().pid() else {
            return;
        };
        log(
            out,
            level,
            format!(
                "restarting {}: {why}, grace period {}",
                self.main().named(Some(pid)),
                Shown(self.rules.grace)
            ),
        );
        let to = self.rewritten(Signal::TERM).unwrap_or(Signal::TERM);
        self.forward_to_program(to, out);
        self.main_mut().state = ProcState::Replacing {
            pid,
            kill_at: now + self.rules.grace,
        };
        self.watchdog = None;
        self.stop_readiness(out);
    }

    /// PROGRAM stopped running: its readiness probes end (a restart begins
    /// them again).
    fn stop_readiness(&mut self, out: &mut Vec<Action>) {
        if let Some(r) = self.readiness.take() {
            r.cancel(out);
        }
    }

    // ==== README "Several processes": --pre-start, --pre-stop, --restart-signal ====

    /// "run PROGRAM" in the table: the next `--pre-start` command that never
    /// ran, else PROGRAM. They run once: a restart finds them all exited.
    fn pre_start_then_main(&mut self, out: &mut Vec<Action>) {
        let next = self
            .procs
            .iter_mut()
            .enumerate()
            .find(|(_, p)| p.role == Role::PreStart && p.state == ProcState::NotStarted);
        let Some((i, command)) = next else {
            return self.start_main(out);
        };
        command.state = ProcState::Starting;
        self.phase = Phase::PreStart;
        out.push(Action::Start(ProcId(i)));
    }

    /// A `--pre-start` command exited 0, or the `--pre-stop` hook exited
    /// (or could not run): the next step, unless vigil stops already.
    fn after_hook(&mut self, now: Mono, out: &mut Vec<Action>) {
        match self.phase {
            Phase::PreStart => self.pre_start_then_main(out),
            // Its failure never holds the shutdown up (Kubernetes' preStop).
            Phase::PreStop { forward_at, signal } if now < forward_at => {
                self.phase = Phase::StopDelay { forward_at, signal };
            }
            Phase::PreStop { signal, .. } => {
                self.forward_to_program(signal, out);
                self.start_stopping("--pre-stop done", now, out);
            }
            _ => {}
        }
    }

    /// The first stop signal, `sig` (to be forwarded as `to`): the
    /// `--pre-stop` hook starts; false when there is none to run.
    fn run_pre_stop(&mut self, sig: Signal, to: Signal, now: Mono, out: &mut Vec<Action>) -> bool {
        let hook = self
            .procs
            .iter()
            .enumerate()
            .find(|(_, p)| p.role == Role::PreStop);
        let Some((i, hook)) = hook else {
            return false;
        };
        log(
            out,
            Level::Info,
            format!("{sig}: running {} first", hook.named(None)),
        );
        let delay = match sig {
            Signal::TERM => self.rules.stop_delay,
            _ => Duration::ZERO,
        };
        self.cancel_restarts();
        self.phase = Phase::PreStop {
            forward_at: now + delay,
            signal: to,
        };
        self.set_state(ProcId(i), ProcState::Starting);
        out.push(Action::Start(ProcId(i)));
        true
    }

    /// A stop signal while a `--pre-start` command runs: it gets the signal,
    /// PROGRAM never starts, and vigil exits 128+N as during `--wait-for`.
    fn stop_pre_start(&mut self, sig: Signal, to: Signal, now: Mono, out: &mut Vec<Action>) {
        for p in &self.procs {
            if let (Role::PreStart, Some(pid)) = (p.role, p.pid()) {
                out.push(Action::Forward {
                    signal: to,
                    to: To::Group(pid),
                });
            }
        }
        self.decide(exit_status::signaled(sig));
        self.stop_all("stop signal", now, out);
    }

    /// PROGRAM exited after `--restart-signal` (route `Restart`, which
    /// `replace_program` carried out): started again at once, uncounted;
    /// what is left of its own group goes first.
    fn restart_at_once(&mut self, pid: Pid, status: ExitStatus, now: Mono, out: &mut Vec<Action>) {
        let Some(group) = self.own_group(ProcId::MAIN, pid) else {
            return self.restart_now(ProcId::MAIN, now, out);
        };
        for signal in [Signal::TERM, Signal::CONT] {
            out.push(Action::SignalGroup { signal, group });
        }
        self.main_mut().state = ProcState::Clearing {
            last: status,
            group,
            kill_at: now + self.rules.grace,
            restart_at: now,
        };
    }

    /// Where the grace clock starts for a shutdown beginning `now`: when the
    /// stop signal would have been forwarded without the hook (the first stop
    /// signal plus `--stop-delay`), so the hook's time counts against the
    /// grace period and the whole stop still takes at most stop-delay + grace.
    fn grace_from(&self, now: Mono) -> Mono {
        match self.phase {
            Phase::PreStop { forward_at, .. } => now.min(forward_at),
            _ => now,
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

mod health;
mod notify;
#[cfg(test)]
pub(super) mod tests;
