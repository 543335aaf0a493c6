//! The supervisor's I/O loop, tini's main loop in shape: sleep in
//! rt_sigtimedwait until a signal, an I/O-ready fd or the machine's deadline;
//! take the signal, reap, service the fds, tick the clock; feed each to the
//! machine (`machine.rs`) and carry out its actions.

use alloc::ffi::CString;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use super::child_env;
use super::config::NamedCommand;
use super::event::{Action, Event, Left, Mono, ProbeId, ProcId, StartError, To, earliest};
use super::expand;
use super::io_source::{Source, Sources};
use super::log_prefix::Relay;
use super::machine::Machine;
use super::memory_cgroup::MemoryCgroup;
use super::notify_sender::Notifier;
use super::supervised::Named;
use super::tree;
use crate::log;
use crate::log::{debug, error, warn};
use crate::output_queue::{self, Stream};
use crate::probe::{CheckOptions, Deadline, Target, probe};
use crate::sys::fd;
use crate::sys::process::{self, Creds, ProbeChild, Spawn, SpawnError, fork_probe, kill_and_reap};
use crate::sys::signal::Signal;
use crate::sys::sigwait::{Mask, Woken, group_exists, kill};
use crate::sys::time::{Instant, sleep};
use crate::sys::wait::{ExitStatus, Pid, Reaped, reap_one};

/// How long to pause when waiting for a signal fails (never seen), rather
/// than spin.
const WAIT_FAILED_PAUSE: Duration = Duration::from_millis(100);

/// What the loop needs to carry out the machine's actions.
pub struct Io<'a> {
    /// The working directory vigil was started in, for restarts: `None`
    /// when no restart can come, or it has no path.
    pub cwd: Option<CString>,
    /// Leave the working directory for `/` after PROGRAM's first start
    /// (false: a restart may come and `cwd` has no path).
    pub leave_cwd: bool,
    /// PROGRAM's argv.
    pub program: &'a [CString],
    /// PROGRAM in a process group of its own; with `take_terminal`, the
    /// terminal's foreground group.
    pub new_group: bool,
    pub take_terminal: bool,
    /// `--user`, resolved; `--no-new-privs`.
    pub creds: Option<&'a Creds>,
    pub no_new_privs: bool,
    /// vigil was started with SIGCHLD ignored: children get it ignored again.
    pub ignore_chld: bool,
    /// Where each start's environment comes from.
    pub env_sources: child_env::Sources<'a>,
    /// The other processes, by `ProcId` from 1: the `--with` sidecars, the
    /// `--pre-start` and `--pre-stop` commands, each with whether it runs as
    /// vigil's own user rather than `--user` (`--pre-start`). Started like
    /// PROGRAM, each in its own process group, their words expanded at each
    /// start.
    pub others: Vec<(&'a NamedCommand, bool)>,
    /// `--wait-for` targets and the `--watch` target, by `ProbeId`.
    pub wait_for: Vec<Target>,
    pub watch: Option<Target>,
    /// `--ready` targets, by `ProbeId::Ready`.
    pub ready: Vec<Target>,
    /// The `--secret` and `FILE__` values the targets were expanded with,
    /// masked in every line logged for the machine: a probe's report may
    /// quote a peer that echoes one. (A start's own values reach no message.)
    pub secrets: Vec<String>,
    /// The mask vigil started with, for probe children.
    pub started_mask: Mask,
    pub is_pid1: bool,
    /// `--pdeathsig` and the pid of the parent that died before it was set:
    /// acted on as if the kernel had sent it.
    pub parent_gone: Option<(Signal, i32)>,
    /// The fds that wake the loop besides signals (`io_source.rs`).
    pub sources: Sources,
    /// vigil's memory cgroup, read for a death that may be an OOM kill.
    pub memory: Option<MemoryCgroup>,
    /// `--notify`: where vigil's sd_notify messages go.
    pub notifier: Option<Notifier>,
    /// What PROGRAM's environment gets besides the others': vigil's own
    /// `NOTIFY_SOCKET` (`--ready notify`, `--watch notify`).
    pub program_env: Vec<CString>,
    /// `--log-prefix`: whether each process's stdout, and stderr, goes
    /// through vigil's (not where vigil's is a terminal).
    pub relay: [bool; 2],
}

struct Loop<'a> {
    io: Io<'a>,
    machine: Machine,
    origin: Instant,
    /// Probe children running now, with the pipe their report comes through.
    probes: Vec<(ProbeId, ProbeChild)>,
    /// Not PID 1: the descendants listed for a run of SignalTree actions. The
    /// machine sends TERM then CONT to the tree; one /proc walk serves both.
    tree: Option<Vec<i32>>,
    /// PROGRAM has started once, and vigil has closed what it inherited and
    /// left its working directory: later starts enter `io.cwd` themselves.
    settled: bool,
}

/// How often output queued for a lagging reader of vigil's stdout or stderr
/// is offered again (`--log-prefix`). vigil is not woken by the room a
/// reader makes without O_ASYNC on a file description others may share: a
/// lagging reader costs 10 wake-ups a second, an idle one none.
const LAG_RETRY: Duration = Duration::from_millis(100);

/// Rounds of turns the sources get when a process has exited, before the
/// machine hears of it: its pipes hold at most 1 MiB (pipe-max-size's
/// default, pipe(7)), 64 turns of 16 KiB, and one more sees the end.
const LAST_TURNS: usize = 65;

/// How long vigil, exiting, waits for a lagging reader to take something
/// of the output still queued (`--log-prefix`), before it gives up on it.
const LAST_OUTPUT_PATIENCE_MS: i32 = 100;

/// Runs the machine until it exits; returns vigil's exit status.
pub fn run(io: Io, machine: Machine) -> i32 {
    output_queue::open(io.relay);
    let code = supervise(io, machine);
    output_queue::finish(LAST_OUTPUT_PATIENCE_MS);
    code
}

const STREAMS: [Stream; 2] = [Stream::Out, Stream::Err];

fn supervise(io: Io, mut machine: Machine) -> i32 {
    let origin = Instant::now();
    let first = machine.start(Mono::ZERO);
    let mut l = Loop {
        io,
        machine,
        origin,
        probes: Vec::new(),
        tree: None,
        settled: false,
    };
    if let Some(code) = l.carry_out(first) {
        return code;
    }
    if let Some((signal, parent)) = l.io.parent_gone.take() {
        // What the kernel would have queued: the dying parent as sender.
        let event = Event::Signal {
            signal,
            sender: parent as u32,
            from_kernel: false,
        };
        if let Some(code) = l.feed(event) {
            return code;
        }
    }
    let every = Mask::all_blockable();
    loop {
        // Output waiting for a lagging reader is offered again at each
        // turn, and at least every LAG_RETRY while it waits.
        let lagging = output_queue::flush(Stream::Out) | output_queue::flush(Stream::Err);
        let now = l.now();
        let retry = lagging.then(|| now + LAG_RETRY);
        let deadline = earliest(l.machine.deadline(), l.io.sources.deadline());
        let deadline = earliest(deadline, retry);
        let timeout = deadline.map(|at| at - now);
        let mut io_ready = false;
        match l.io.sources.wait(every, timeout) {
            Ok(None) => {}
            Ok(Some(Woken::Signal(r))) => {
                // A SIGIO sent with kill(2) is forwarded; an fd's SIGIO that
                // came while it was pending was merged into it (a standard
                // signal is pending once), so the sources are polled too.
                io_ready = r.signal == Signal::IO;
                let event = Event::Signal {
                    signal: r.signal,
                    sender: r.pid,
                    from_kernel: r.from_kernel,
                };
                if let Some(code) = l.feed(event) {
                    return code;
                }
            }
            Ok(Some(Woken::IoReady { .. })) => io_ready = true,
            Err(e) => {
                error!("waiting for signals failed: {e}");
                sleep(WAIT_FAILED_PAUSE);
            }
        }
        if let Some(code) = l.reap() {
            return code;
        }
        let due = l.io.sources.deadline().is_some_and(|at| at <= l.now());
        if io_ready || due || l.io.sources.work_left() {
            if let Some(code) = l.service_sources(1) {
                return code;
            }
        }
        if let Some(code) = l.feed(Event::Clock) {
            return code;
        }
    }
}

impl Loop<'_> {
    fn now(&self) -> Mono {
        Mono::after_origin(self.origin.elapsed())
    }

    /// Gives the machine one event and carries out what it decides.
    fn feed(&mut self, event: Event) -> Option<i32> {
        let actions = self.machine.on(event, self.now());
        self.carry_out(actions)
    }

    /// Carries out actions in order. An action with an outcome (a start) feeds
    /// it back to the machine; what that decides runs after this batch.
    fn carry_out(&mut self, actions: Vec<Action>) -> Option<i32> {
        self.tree = None;
        let mut pending = actions;
        while !pending.is_empty() {
            let mut later = Vec::new();
            for action in pending {
                if let Action::Exit(code) = action {
                    return Some(code);
                }
                if let Some(outcome) = self.act(action) {
                    later.extend(self.machine.on(outcome, self.now()));
                }
            }
            pending = later;
        }
        None
    }

    /// A bounded turn for each ready source, `rounds` times or until none is
    /// ready; what they learnt goes to the machine in order.
    fn service_sources(&mut self, rounds: usize) -> Option<i32> {
        let mut events = Vec::new();
        for _ in 0..rounds {
            let now = self.now();
            match self.io.sources.service(&self.machine, now, &mut events) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    warn!("cannot poll vigil's own descriptors: {e}");
                    break;
                }
            }
        }
        events.into_iter().find_map(|event| self.feed(event))
    }

    /// Reaps every child that has ended, then says whether any are left.
    fn reap(&mut self) -> Option<i32> {
        loop {
            let event = match reap_one() {
                Reaped::Child {
                    pid,
                    status,
                    core_dumped,
                } => match self.probes.iter().position(|(_, c)| c.pid == pid.get()) {
                    Some(i) => {
                        let (probe, child) = self.probes.swap_remove(i);
                        Event::ProbeDone {
                            probe,
                            passed: status == ExitStatus::Exited(0),
                            report: child.report(),
                        }
                    }
                    None => {
                        // What it wrote comes before the line about its end.
                        output_queue::force(true);
                        let code = self.service_sources(LAST_TURNS);
                        output_queue::force(false);
                        if code.is_some() {
                            return code;
                        }
                        Event::Reaped {
                            pid,
                            status,
                            core_dumped,
                            memory: self
                                .io
                                .memory
                                .as_ref()
                                .filter(|_| self.machine.may_be_oom(pid, status))
                                .and_then(MemoryCgroup::read),
                        }
                    }
                },
                Reaped::Nothing => {
                    return self
                        .feed(Event::ReapedAll {
                            left: Left::Children,
                        })
                        .or_else(|| self.report_gone_groups());
                }
                Reaped::NoChildren => {
                    // As PID 1, what vigil did not start is its business too.
                    let left = if self.io.is_pid1 && tree::others_in_namespace() {
                        Left::OthersOnly
                    } else {
                        Left::Nothing
                    };
                    return self
                        .feed(Event::ReapedAll { left })
                        .or_else(|| self.report_gone_groups());
                }
            };
            if let Some(code) = self.feed(event) {
                return Some(code);
            }
        }
    }

    /// Tells the machine which groups of exited processes awaiting a restart
    /// are empty now (their members are reaped by then).
    fn report_gone_groups(&mut self) -> Option<i32> {
        let mut gone: Vec<Pid> = Vec::new();
        for group in self.machine.clearing_groups() {
            if !group_exists(group.get()) {
                gone.push(group);
            }
        }
        for group in gone {
            if let Some(code) = self.feed(Event::GroupGone { group }) {
                return Some(code);
            }
        }
        None
    }

    /// Forks and execs PROGRAM or another process (same environment, `--user`
    /// but for `--pre-start`, `--no-new-privs`; the others each in its own
    /// process group, never the terminal's), its environment and argv made
    /// for this start. With `--log-prefix`, its stdout and stderr are pipes
    /// vigil reads (new ones at each start: what it left behind keeps
    /// writing into the old ones, still read, under the same name).
    fn spawn(&mut self, id: ProcId) -> Result<i32, StartError> {
        let cwd = if self.settled {
            self.io.cwd.as_deref()
        } else {
            None
        };
        // Relative paths: from the directory vigil was started in, which
        // vigil itself may have left (then `cwd` is its path).
        let loaded =
            child_env::load(&self.io.env_sources, cwd).map_err(|e| StartError::Env(e.message()))?;
        let words;
        let mut creds = self.io.creds;
        let (argv, new_group, take_terminal) = match id.0.checked_sub(1) {
            None => (self.io.program, self.io.new_group, self.io.take_terminal),
            Some(i) => {
                // The machine only starts the processes it was given.
                let Some(&(other, own_user)) = self.io.others.get(i) else {
                    return Err(StartError::Env(String::new()));
                };
                if own_user {
                    creds = None;
                }
                words = expand::words(other, &loaded).map_err(StartError::Env)?;
                (&words[..], true, false)
            }
        };
        let home = creds.and_then(|c| c.home.as_deref());
        let mut env = loaded.envp(&self.io.env_sources, home);
        if id == ProcId::MAIN {
            for entry in &self.io.program_env {
                env.add(entry.clone());
            }
        }
        let mut pipes = [None, None];
        let mut output = [-1, -1];
        for i in 0..2 {
            if self.io.relay[i] {
                pipes[i] = fd::pipe_for_child().ok();
                output[i] = pipes[i].as_ref().map_or(-1, |(_, write)| write.raw());
            }
        }
        let pid = process::spawn(&Spawn {
            argv,
            new_group,
            take_terminal,
            mask: self.io.started_mask,
            creds,
            no_new_privs: self.io.no_new_privs,
            ignore_chld: self.io.ignore_chld,
            env: &env,
            cwd,
            quiet: false,
            output,
        })
        .map_err(|e| {
            // The message names the process; it names the program too when
            // that is not the name (a path, or `--name`).
            let name = self.machine.procs().get(id.0).map(|p| p.name.as_bytes());
            let word = argv
                .first()
                .map(|w| w.as_bytes())
                .filter(|w| Some(*w) != name);
            start_error(e, word, self.io.cwd.as_ref())
        })?;
        for (stream, pipe) in STREAMS.into_iter().zip(pipes) {
            if let Some((read, _write)) = pipe {
                // Only fcntl(2) on a new pipe of ours can fail here.
                let _ = self
                    .io
                    .sources
                    .add(Source::Output(Relay::new(read, stream, id)));
            }
        }
        Ok(pid)
    }

    /// One action's I/O; returns the event it leads to, if any.
    fn act(&mut self, action: Action) -> Option<Event> {
        // The listing serves only SignalTree actions that follow each other.
        if !matches!(action, Action::SignalTree(_)) {
            self.tree = None;
        }
        let own_word = matches!(action, Action::Health(..));
        match action {
            Action::Start(id) => Some(match self.spawn(id).map(Pid::new) {
                Ok(Some(pid)) => {
                    // PROGRAM (and the sidecars, started before it) have their
                    // own copies now; vigil pins no fd and no mount. Not
                    // before: a sidecar started first must not take them away.
                    // vigil's own fds stay: its sources' and --notify's. No probe runs yet,
                    // so no probe pipe is open: --wait-for's are reaped
                    // before PROGRAM starts, --watch begins after.
                    if id == ProcId::MAIN && !self.settled {
                        self.settled = true;
                        let notifier = self.io.notifier.as_ref().map(Notifier::fd);
                        process::close_fds_from_3_except(self.io.sources.own_fds().chain(notifier));
                        if self.io.leave_cwd {
                            if let Err(e) = crate::sys::env::chdir_root() {
                                debug!("cannot chdir to /: {e}");
                            }
                        }
                    }
                    Event::Started { id, pid }
                }
                Ok(None) => Event::StartFailed {
                    id,
                    error: StartError::Fork("fork returned no pid".into()),
                },
                Err(error) => Event::StartFailed { id, error },
            }),
            Action::Forward { signal, to } => {
                let (To::Process(pid) | To::Group(pid)) = to;
                let procs = self.machine.procs();
                let proc = procs.iter().find(|p| p.pid() == Some(pid));
                forward(signal, to, Named(proc, Some(pid)));
                None
            }
            Action::Kill { signal, pid } => {
                let _ = kill(pid.get(), signal);
                None
            }
            Action::SignalGroup { signal, group } => {
                let _ = kill(-group.get(), signal);
                None
            }
            Action::SignalTree(signal) => {
                if self.io.is_pid1 {
                    tree::signal_namespace(signal);
                } else {
                    let pids = self
                        .tree
                        .get_or_insert_with(|| tree::descendants(process::getpid()));
                    tree::signal_each(pids, signal);
                }
                None
            }
            Action::StartProbe { probe, timeout } => {
                let target = match probe {
                    ProbeId::WaitFor(i) => self.io.wait_for.get(i),
                    ProbeId::Watch => self.io.watch.as_ref(),
                    ProbeId::Ready(i) => self.io.ready.get(i),
                }?;
                match start_probe(target, timeout, self.io.started_mask) {
                    Ok(child) => {
                        self.probes.push((probe, child));
                        None
                    }
                    Err(e) => Some(Event::ProbeStartFailed {
                        probe,
                        error: e.to_string(),
                    }),
                }
            }
            Action::KillProbe(probe) => {
                if let Some((_, child)) = self.probes.iter().find(|(p, _)| *p == probe) {
                    let _ = kill(child.pid, Signal::KILL);
                }
                None
            }
            Action::CancelProbe(probe) => {
                if let Some(i) = self.probes.iter().position(|(p, _)| *p == probe) {
                    let (_, child) = self.probes.swap_remove(i);
                    kill_and_reap(child.pid);
                }
                None
            }
            Action::ReadMemory => self
                .io
                .memory
                .as_ref()
                .and_then(MemoryCgroup::read)
                .map(Event::Memory),
            Action::Log(level, text) | Action::Health(_, level, text) => {
                // A probe's report may quote a peer, which may echo a secret.
                // A state's line starts with its name, never masked.
                log::write(
                    level,
                    format_args!("{}", log::masked(&text, own_word, &self.io.secrets)),
                );
                None
            }
            Action::Notify(message) => {
                if let Some(n) = self.io.notifier.as_mut() {
                    // STATUS= (the last key) holds a state's line: masked as
                    // the log is; the keys and the state's name as they are.
                    n.send(&log::masked(&message, true, &self.io.secrets));
                }
                None
            }
            Action::Exit(_) => None, // handled by carry_out
        }
    }
}

/// kill(2) for a forwarded signal to `to`, the process `named` or its
/// group. Never fatal (tini exits on EPERM: tini#9).
fn forward(sig: Signal, to: To, named: Named) {
    let (raw, what) = match to {
        To::Process(pid) => (pid.get(), ""),
        To::Group(pid) => (-pid.get(), "the process group of "),
    };
    match kill(raw, sig) {
        Ok(()) => debug!("forwarded {sig} to {what}{named}"),
        Err(e) => warn!("cannot forward {sig} to {what}{named}: {e}"),
    }
}

/// `cwd`: the directory a start after the first enters, for its message.
/// `program`: the word exec was given, when the message must name it.
fn start_error(e: SpawnError, program: Option<&[u8]>, cwd: Option<&CString>) -> StartError {
    let exec = |e: &dyn core::fmt::Display| match program {
        Some(word) => alloc::format!("{}: {e}", String::from_utf8_lossy(word)),
        None => e.to_string(),
    };
    match e {
        SpawnError::NotFound(e) => StartError::NotFound(exec(&e)),
        // A script without `#!` runs with /bin/sh when there is one
        // (sys::process); here there is none, or it is no program.
        SpawnError::NotAProgram(e) => StartError::NotExecutable(exec(&format_args!(
            "{e}: not a program for this machine, or a script without a '#!' line and no /bin/sh to run it"
        ))),
        SpawnError::Exec(e) => StartError::NotExecutable(exec(&e)),
        SpawnError::Creds(step, e) => StartError::Creds {
            step,
            error: e.to_string(),
        },
        SpawnError::Fork(e) => StartError::Fork(e.to_string()),
        SpawnError::Chdir(e) => StartError::Fork(alloc::format!(
            "cannot enter the working directory {}: {e}",
            cwd.map(|c| c.to_string_lossy()).unwrap_or_default()
        )),
    }
}

/// Forks a child that probes `target` within `timeout` (the same probe as
/// `vigil check`). It gets the mask vigil started with, plus SIGPIPE blocked
/// as `vigil check` has it.
fn start_probe(
    target: &Target,
    timeout: Duration,
    started: Mask,
) -> crate::sys::errno::Result<ProbeChild> {
    let mask = started.with(Signal::PIPE);
    fork_probe(mask, || {
        let mut opts = CheckOptions::new(Vec::new());
        opts.exec_mask = started;
        let report = probe(target, &opts, Deadline::after(timeout));
        (report.ok(), report.to_string())
    })
}
