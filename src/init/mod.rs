//! Init mode: validate options, become a subreaper, block every signal,
//! resolve `--user`, then run the supervisor (`main_loop.rs` around `machine.rs`).

pub mod child_env;
pub mod config;
pub mod death_cause;
pub mod env_file;
pub mod event;
mod expand;
mod health_listener;
pub mod io_source;
mod log_prefix;
pub mod machine;
mod main_loop;
pub mod memory_cgroup;
pub mod notify_message;
mod notify_receiver;
mod notify_sender;
pub mod oom_watch;
pub mod readiness;
pub mod restart_policy;
pub mod supervised;
mod tree;
pub(crate) mod user;
pub mod wait_for;
pub mod watchdog;

use alloc::ffi::CString;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use alloc::borrow::ToOwned;

pub use config::InitOptions;

use crate::exit_status::{FAILURE, USAGE};
use crate::log::{self, debug, error, info, warn};
use crate::probe::Target;
use crate::sys::disposition;
use crate::sys::entry;
use crate::sys::process;
use crate::sys::signal::Signal;
use crate::sys::sigwait::{Mask, pending};
use machine::{Machine, Rules};
use memory_cgroup::MemoryCgroup;
use oom_watch::OomWatch;
use readiness::ReadyRules;
use restart_policy::RestartRules;
use watchdog::WatchRules;

/// Runs init mode with its parsed options and the signal mask vigil was
/// started with; returns vigil's exit status.
pub fn main(opts: InitOptions, started_mask: Mask) -> i32 {
    let opts = &opts;
    log::set_level(opts.log_level);
    for (i, (tini, twin)) in config::TINI_VARIABLES.into_iter().enumerate() {
        if opts.tini_variables & 1 << i != 0 {
            info!("{tini} is tini's variable: use {twin} instead");
        }
    }
    let argv = match to_cstrings(&opts.command) {
        Ok(argv) => argv,
        Err(arg) => {
            error!("argument contains a NUL byte: {arg}");
            return USAGE;
        }
    };
    match start(opts, &argv, started_mask) {
        Ok(code) => code,
        Err(code) => code,
    }
}

/// Sets vigil up, then runs the supervisor; `Err` carries the exit status of
/// a set-up that failed before anything was started.
#[inline(never)]
fn start(opts: &InitOptions, argv: &[CString], started_mask: Mask) -> Result<i32, i32> {
    let is_pid1 = process::getpid() == 1;
    // A launcher may leave SIGCHLD ignored across exec; the kernel would then
    // reap vigil's children itself and vigil would wait forever (wait(2)).
    // Reset for vigil; the child gets it ignored again, as it would have.
    let ignore_chld = disposition::reset_to_default(Signal::CHLD).unwrap_or(false);
    if !is_pid1 {
        // Without this, orphans go to the real init and are never reaped by us.
        if let Err(e) = process::set_child_subreaper() {
            warn!(
                "cannot become a child subreaper ({e}); orphans will be reaped by the system's init"
            );
        }
    }
    let mut parent_gone = None;
    if let Some(sig) = opts.pdeathsig {
        if let Err(e) = process::set_parent_death_signal(sig.0) {
            error!("--pdeathsig {sig}: {e}");
            return Err(FAILURE);
        }
        // A parent that died before the prctl sends nothing (prctl(2)): vigil
        // was reparented already. Compare with the parent it started under,
        // read at the entry point. If it died after the prctl, the kernel
        // queued the signal while reparenting, so a pending one is not doubled.
        let started_under = entry::started_parent().unwrap_or_else(process::getppid);
        if process::getppid() != started_under && !pending().contains(sig) {
            debug!("parent {started_under} died before --pdeathsig was set: acting on {sig}");
            parent_gone = Some((sig, started_under));
        }
    }
    // Resolved before anything waits or forks: an unknown user fails at once.
    let creds = match &opts.user {
        Some(spec) => Some(user::resolve(spec).map_err(|e| {
            error!("--user {spec}: {e}");
            FAILURE
        })?),
        None => None,
    };
    // The children's variables, read now as at every start: a file that
    // cannot be used stops vigil before anything starts. `${VAR}` can use them.
    let env_sources = child_env::Sources {
        env_files: &opts.env_files,
        secrets: &opts.secrets,
        file_env: opts.file_env,
        consumed: &opts.consumed,
    };
    let loaded = child_env::load(&env_sources, None).map_err(|e| {
        let code = match e {
            child_env::LoadError::Usage(_) => USAGE,
            child_env::LoadError::Failed(_) => FAILURE,
        };
        error!("{}", e.message());
        code
    })?;
    describe_environment(&env_sources);
    let usage = |e: String| {
        error!("{e}");
        USAGE
    };
    let mut wait_for = Vec::with_capacity(opts.wait_for.len());
    for w in &opts.wait_for {
        wait_for.push(expand::target(w, &loaded).map_err(usage)?);
    }
    let watch = match &opts.watch {
        Some(w) => Some(expand::target(w, &loaded).map_err(usage)?),
        None => None,
    };
    let mut ready = Vec::with_capacity(opts.ready.len());
    for r in &opts.ready {
        ready.push(expand::target(r, &loaded).map_err(usage)?);
    }
    // The other processes, in the machine's order (`ProcId` 1 on): the
    // sidecars, the --pre-start commands (as vigil's own user), --pre-stop.
    // Their words expand now too, so a bad one stops vigil before anything.
    let mut others = Vec::new();
    let lists = [
        (opts.sidecars.as_slice(), false),
        (&opts.pre_start, true),
        (opts.pre_stop.as_slice(), false),
    ];
    for (list, own_user) in lists {
        for c in list {
            expand::words(c, &loaded).map_err(usage)?;
            others.push((c, own_user));
        }
    }
    // On a terminal vigil owns, the child always gets a group of its own and
    // the terminal's foreground, as under tini: left in vigil's group, which
    // is orphaned when vigil leads the session, a ^Z would be discarded for
    // a child with the default action (setpgid(2), "orphaned process group").
    let on_terminal = process::stdin_terminal_is_ours();
    let tree_visible = is_pid1 || tree::proc_is_ours();
    if !tree_visible {
        warn!(
            "/proc is missing or belongs to another PID namespace: at shutdown vigil signals only its child{}{}",
            if opts.group || on_terminal {
                " and the child's process group"
            } else {
                ""
            },
            if opts.sidecars.is_empty() {
                ""
            } else {
                ", and the sidecars and their process groups"
            }
        );
    }
    // A restart enters the working directory again by its path. Without one
    // (removed, outside this root, longer than PATH_MAX) vigil stays in it
    // when a restart may come, rather than lose it; else it leaves for `/`.
    let restarts = opts.restart != restart_policy::Restart::No
        || opts.on_unhealthy == restart_policy::OnUnhealthy::Restart;
    let (cwd, leave_cwd) = if restarts {
        match crate::sys::env::current_dir() {
            Ok(path) => (Some(path), true),
            Err(e) => {
                debug!("no path for the working directory ({e}): vigil stays in it for restarts");
                (None, false)
            }
        }
    } else {
        (None, true)
    };
    let notifier = opts
        .notify
        .then(notify_sender::Notifier::from_env)
        .flatten();
    // One small read: the counter vigil counts OOM kills from. No cgroup or
    // no counter (gVisor, a hidden /sys, a kernel before 4.13): vigil says
    // nothing of OOM rather than guess.
    let memory = MemoryCgroup::find();
    let oom_kills_at_start = memory.as_ref().and_then(MemoryCgroup::oom_kills);
    let memory = memory.filter(|_| oom_kills_at_start.is_some());
    let mut sources = sources(loaded.secrets());
    if let Some(cgroup) = &memory {
        // Kills of processes vigil does not reap are known only from this:
        // without it (Docker's read-only v1 cgroup files), only deaths vigil
        // reaps are named (README "Shutdown").
        let watched = OomWatch::new(cgroup).and_then(|w| sources.add(io_source::Source::Oom(w)));
        if let Err(e) = watched {
            debug!("no OOM notifications, kills vigil does not reap unsaid: {e}");
        }
    }
    let program_env = notify_socket(opts, &mut sources)?;
    let mut rules = rules(opts, watch.as_ref(), is_pid1);
    rules.notify = notifier.is_some();
    if rules.notify {
        rules.keepalive = notify_message::keepalive_interval(
            crate::sys::env::var("WATCHDOG_USEC"),
            crate::sys::env::var("WATCHDOG_PID"),
            process::getpid(),
        );
    }
    let io = main_loop::Io {
        cwd,
        leave_cwd,
        program: argv,
        new_group: opts.group || on_terminal,
        take_terminal: on_terminal,
        creds: creds.as_ref(),
        no_new_privs: opts.no_new_privs,
        ignore_chld,
        env_sources,
        others,
        wait_for,
        watch,
        ready,
        secrets: loaded.secrets(),
        started_mask,
        is_pid1,
        parent_gone,
        sources,
        memory,
        notifier,
        program_env,
        relay: [1, 2].map(|fd| opts.log_prefix && crate::sys::stdio::relayable(fd)),
    };
    rules.own_group = opts.group || on_terminal;
    rules.tree_visible = tree_visible;
    rules.oom_kills_at_start = oom_kills_at_start;
    Ok(main_loop::run(io, Machine::new(rules)))
}

/// Says at debug level which variables stay out of the children's
/// environment, and why.
fn describe_environment(sources: &child_env::Sources) {
    for name in child_env::consumed_present(sources) {
        debug!("{name} is vigil's own: not passed on to the children");
    }
}

/// The fds that wake the loop: the `vigil health` listener (its answers
/// masked as the log is). Without it vigil still runs, and says why `vigil
/// health` will not reach it.
fn sources(secrets: Vec<String>) -> io_source::Sources {
    let mut sources = io_source::Sources::default();
    let added = health_listener::HealthListener::open(secrets).and_then(|l| {
        sources
            .add(io_source::Source::Health(l))
            .map_err(|e| e.to_string())
    });
    if let Err(e) = added {
        warn!("vigil health cannot reach this vigil: {e}");
    }
    sources
}

/// With `--ready notify` or `--watch notify`: vigil's own socket for
/// PROGRAM's sd_notify datagrams, a source of the loop, and what PROGRAM's
/// environment gets for it (`NOTIFY_SOCKET`, and `WATCHDOG_USEC` for `--watch
/// notify`). Without a socket, nothing starts.
fn notify_socket(
    opts: &InitOptions,
    sources: &mut io_source::Sources,
) -> Result<Vec<CString>, i32> {
    if !opts.ready_notify && !opts.watch_notify {
        return Ok(Vec::new());
    }
    let mut env = Vec::new();
    let added = match notify_receiver::NotifyReceiver::bind() {
        Ok(r) => {
            let mut entry = b"NOTIFY_SOCKET=".to_vec();
            entry.extend_from_slice(&r.address);
            env.extend(CString::new(entry));
            sources.add(io_source::Source::Notify(r))
        }
        Err(e) => Err(e),
    };
    if let Err(e) = added {
        error!("cannot make vigil's sd_notify socket: {e}");
        return Err(FAILURE);
    }
    if opts.watch_notify {
        let usec = opts.watch_interval.as_micros() as u64;
        env.extend(CString::new(
            alloc::format!("WATCHDOG_USEC={usec}").into_bytes(),
        ));
    }
    Ok(env)
}

/// The options the machine decides by, as plain values.
fn rules(opts: &InitOptions, watch: Option<&Target>, is_pid1: bool) -> Rules {
    Rules {
        program: opts.name.clone(),
        user: opts.user.clone(),
        group: opts.group,
        own_group: opts.group,
        tree_visible: is_pid1,
        rewrites: opts.rewrites.clone(),
        success_exits: opts.success_exits.clone(),
        grace: opts.grace,
        is_pid1,
        own_pid: process::getpid() as u32,
        wait_for: opts.wait_for.len(),
        wait_timeout: opts.wait_timeout,
        watch: watch
            .map(Target::as_str)
            .or(opts.watch_notify.then_some("notify"))
            .map(|target| WatchRules {
                target: target.to_owned(),
                interval: opts.watch_interval,
                timeout: opts.watch_timeout,
                retries: opts.watch_retries,
                start_period: opts.watch_start_period,
                notify: opts.watch_notify,
            }),
        ready: (!opts.ready.is_empty() || opts.ready_notify).then_some(ReadyRules {
            targets: opts.ready.len(),
            notify: opts.ready_notify,
            interval: opts.ready_interval,
            timeout: opts.ready_timeout,
            retries: opts.ready_retries,
        }),
        stop_delay: opts.stop_delay,
        sidecars: names(&opts.sidecars),
        restart: RestartRules {
            policy: opts.restart,
            max: opts.max_restarts,
            window: opts.restart_window,
        },
        on_unhealthy: opts.on_unhealthy,
        pre_start: names(&opts.pre_start),
        pre_stop: opts.pre_stop.as_ref().map(|c| c.name.clone()),
        restart_signal: opts.restart_signal,
        oom_kills_at_start: None,
        notify: false,
        keepalive: None,
    }
}

/// The names of `commands`, in order (a loop: each `collect` is a copy).
fn names(commands: &[config::NamedCommand]) -> Vec<String> {
    let mut names = Vec::with_capacity(commands.len());
    for command in commands {
        names.push(command.name.clone());
    }
    names
}

fn to_cstrings(command: &[Vec<u8>]) -> Result<Vec<CString>, String> {
    let mut words = Vec::with_capacity(command.len());
    for word in command {
        let c =
            CString::new(word.clone()).map_err(|_| String::from_utf8_lossy(word).into_owned())?;
        words.push(c);
    }
    Ok(words)
}
