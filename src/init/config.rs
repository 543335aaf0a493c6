//! What init mode is asked to do: `InitOptions`, plain validated data with its
//! defaults. `cli` builds it from argv and the `VIGIL_*` twins; init only reads it.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use crate::init::restart_policy::{
    DEFAULT_MAX_RESTARTS, DEFAULT_RESTART_WINDOW, OnUnhealthy, Restart,
};
use crate::log::Level;
use crate::sys::signal::Signal;

pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_WATCH_INTERVAL: Duration = Duration::from_secs(10);
pub const DEFAULT_WATCH_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_WATCH_RETRIES: u32 = 3;
pub const DEFAULT_WATCH_START_PERIOD: Duration = Duration::ZERO;
pub const DEFAULT_READY_INTERVAL: Duration = Duration::from_secs(10);
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(5);
/// Kubernetes' failureThreshold.
pub const DEFAULT_READY_RETRIES: u32 = 3;

/// Everything init mode needs, validated.
#[derive(Debug, PartialEq)]
pub struct InitOptions {
    pub group: bool,
    pub success_exits: Vec<u8>,
    pub pdeathsig: Option<Signal>,
    /// FROM -> TO; `None` drops FROM.
    pub rewrites: Vec<(Signal, Option<Signal>)>,
    pub grace: Duration,
    pub log_level: Level,
    /// Targets that must pass before the child starts, and for how long to
    /// try. Targets are kept as written: init expands `${VAR}` once it has
    /// read the environment files (`--env-file`, `--secret`, `FILE__`).
    pub wait_for: Vec<Written>,
    pub wait_timeout: Duration,
    /// The liveness watchdog's target and its Docker-style schedule.
    pub watch: Option<Written>,
    /// `--watch notify`: the app's sd_notify WATCHDOG=1 instead of a probe.
    pub watch_notify: bool,
    pub watch_interval: Duration,
    pub watch_timeout: Duration,
    pub watch_retries: u32,
    pub watch_start_period: Duration,
    /// `--ready`: readiness probes, all of which must pass, and their schedule.
    pub ready: Vec<Written>,
    /// `--ready notify`: the app's sd_notify READY=1 is a readiness condition.
    pub ready_notify: bool,
    pub ready_interval: Duration,
    pub ready_timeout: Duration,
    pub ready_retries: u32,
    /// `USER[:GROUP]` to run the child as, resolved later against /etc/passwd.
    pub user: Option<String>,
    pub no_new_privs: bool,
    /// `--stop-delay`: how long the first SIGTERM is held; zero is off.
    pub stop_delay: Duration,
    /// `--name`: PROGRAM's name in messages; never empty once parsed.
    pub name: String,
    /// `--log-prefix`: every process's output through vigil, `NAME | line`.
    pub log_prefix: bool,
    /// `--with`: the sidecars, in start order.
    pub sidecars: Vec<NamedCommand>,
    /// `--pre-start`: run in order, each to completion, before PROGRAM.
    pub pre_start: Vec<NamedCommand>,
    /// `--pre-stop`: run at the first stop signal, before it is forwarded.
    pub pre_stop: Option<NamedCommand>,
    /// `--restart-signal`: restarts PROGRAM in place instead of being forwarded.
    pub restart_signal: Option<Signal>,
    pub restart: Restart,
    pub max_restarts: u32,
    pub restart_window: Duration,
    pub on_unhealthy: OnUnhealthy,
    /// `--env-file`: paths, in order (a later file wins).
    pub env_files: Vec<String>,
    /// `--secret NAME=PATH`: (NAME, PATH), in order.
    pub secrets: Vec<(String, String)>,
    /// `--file-env`: `FILE__NAME=PATH` in the environment sets NAME.
    pub file_env: bool,
    /// `--notify`: speak sd_notify on the `NOTIFY_SOCKET` vigil was given.
    pub notify: bool,
    /// The variables init mode reads its options from: kept out of the
    /// children's environment, where a vigil would apply them again.
    pub consumed: Vec<&'static str>,
    /// PROGRAM and its arguments, as the bytes of argv; never empty once
    /// parsed.
    pub command: Vec<Vec<u8>>,
    /// Which of `TINI_VARIABLES` were honoured (bit i for entry i), for a
    /// notice at info level naming the twin to use instead.
    pub tini_variables: u8,
}

/// tini's variables, read as tini reads them (set, even empty or `0`, is on):
/// `TINI_SUBREAPER`, `TINI_KILL_PROCESS_GROUP` and `TINI_VERBOSITY`, each
/// with the `VIGIL_*` twin that wins over it.
pub const TINI_VARIABLES: [(&str, &str); 3] = [
    ("TINI_SUBREAPER", "VIGIL_SUBREAPER"),
    ("TINI_KILL_PROCESS_GROUP", "VIGIL_GROUP"),
    ("TINI_VERBOSITY", "VIGIL_LOG"),
];

impl InitOptions {
    /// The defaults, running `command`.
    pub fn new(command: Vec<Vec<u8>>) -> InitOptions {
        InitOptions {
            group: false,
            success_exits: Vec::new(),
            pdeathsig: None,
            rewrites: Vec::new(),
            grace: DEFAULT_GRACE,
            log_level: Level::DEFAULT,
            wait_for: Vec::new(),
            wait_timeout: DEFAULT_WAIT_TIMEOUT,
            watch: None,
            watch_notify: false,
            watch_interval: DEFAULT_WATCH_INTERVAL,
            watch_timeout: DEFAULT_WATCH_TIMEOUT,
            watch_retries: DEFAULT_WATCH_RETRIES,
            watch_start_period: DEFAULT_WATCH_START_PERIOD,
            ready: Vec::new(),
            ready_notify: false,
            ready_interval: DEFAULT_READY_INTERVAL,
            ready_timeout: DEFAULT_READY_TIMEOUT,
            ready_retries: DEFAULT_READY_RETRIES,
            user: None,
            no_new_privs: false,
            stop_delay: Duration::ZERO,
            name: String::new(),
            log_prefix: false,
            sidecars: Vec::new(),
            pre_start: Vec::new(),
            pre_stop: None,
            restart_signal: None,
            restart: Restart::No,
            max_restarts: DEFAULT_MAX_RESTARTS,
            restart_window: DEFAULT_RESTART_WINDOW,
            on_unhealthy: OnUnhealthy::Exit,
            env_files: Vec::new(),
            secrets: Vec::new(),
            file_env: false,
            notify: false,
            consumed: Vec::new(),
            command,
            tini_variables: 0,
        }
    }
}

/// Where a value was given, for a message: its flag (`--watch`, from the
/// long name) or, when `twin` is set, its variable (`VIGIL_WATCH`).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct Source {
    pub long: &'static str,
    pub twin: Option<&'static str>,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.twin {
            Some(twin) => f.write_str(twin),
            None => write!(f, "--{}", self.long),
        }
    }
}

/// A value as written, and where, for the messages of init, which expands
/// its `${VAR}`.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct Written {
    pub from: Source,
    pub text: String,
}

/// A command line of `--with`, `--pre-start` or `--pre-stop`: its process's name (never empty once parsed),
/// the line and where it was given, and its words, each a template for
/// `variables::expand` (a literal `$` is `$$`): init expands them at
/// each start, in the environment that start gets.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct NamedCommand {
    pub name: String,
    /// The line as written, where it was given, for a message about its
    /// `${VAR}`.
    pub line: String,
    pub from: Source,
    pub words: Vec<String>,
}
