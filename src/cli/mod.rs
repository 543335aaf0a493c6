//! The command line, in one place: which mode runs, the help text, and how every
//! option and its `VIGIL_*` environment twin become typed settings.

pub mod check;
pub mod command_words;
pub mod init;
pub mod values;

use std::ffi::OsString;
use std::fmt;

/// A bad option or value: printed as `vigil: <message>`; the child never starts.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<lexopt::Error> for UsageError {
    fn from(e: lexopt::Error) -> Self {
        UsageError(e.to_string())
    }
}

/// Names an option's value error: `--grace: invalid duration 'x' (...)`.
pub fn bad(option: &str, err: String) -> UsageError {
    UsageError(format!("{option}: {err}"))
}

/// An environment variable's value, `None` when unset or empty (an empty
/// `VIGIL_GRACE=` in a compose file means "not set", as it does for Docker).
pub fn env(name: &str) -> Result<Option<String>, UsageError> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v.into_string().map(Some).map_err(|v| {
            UsageError(format!(
                "{name}: value is not UTF-8: {}",
                v.to_string_lossy()
            ))
        }),
    }
}

/// The value of an option, as text, or an error naming the option.
pub fn text_value(parser: &mut lexopt::Parser, option: &str) -> Result<String, UsageError> {
    let value: OsString = parser
        .value()
        .map_err(|_| UsageError(format!("{option} needs a value")))?;
    value.into_string().map_err(|v| {
        UsageError(format!(
            "{option}: value is not UTF-8: {}",
            v.to_string_lossy()
        ))
    })
}

pub const VERSION: &str = concat!("vigil ", env!("CARGO_PKG_VERSION"));

pub const HELP: &str = "\
vigil: a tiny PID 1 for containers, and a health probe with a hard deadline.

Usage:
  vigil [OPTIONS] [--] PROGRAM [ARG...]     run PROGRAM as the child of an init
  vigil check [OPTIONS] [TARGET...]         probe http://, https:// or tcp:// targets

Init options (each also set by its VIGIL_* variable; a flag beats the variable):
  -g, --group                run the child in its own process group and signal
                             the whole group                   VIGIL_GROUP=1
  -e, --success-exit CODE    treat child exit CODE as 0 (repeatable)
                                                       VIGIL_SUCCESS_EXIT=143,130
  -p, --pdeathsig SIG        signal vigil gets when its parent dies
                                                          VIGIL_PDEATHSIG=TERM
  -s, --subreaper            accepted for tini; vigil is always a subreaper
  -r, --rewrite FROM:TO      deliver TO instead of FROM; TO 0 drops FROM
                             (repeatable)           VIGIL_REWRITE=TERM:QUIT,...
  -t, --grace DURATION       shutdown grace before SIGKILL [10s]  VIGIL_GRACE
      --wait-for TARGET      first wait for TARGET (repeatable)
      --wait-timeout D       or give up: exit 1 [60s]
      --watch TARGET         stop PROGRAM, exit 75, when TARGET fails
      --watch-interval/-timeout/-retries/-start-period  as Docker [10s 5s 3 0s]
  -u, --user USER[:GROUP]    run PROGRAM as USER
      --no-new-privs         set no_new_privs
  -v, -q                     say more / less on stderr
                             VIGIL_LOG=debug|info|warn|error|off [warn]
  -h, --help                 this help
  -V, --version              the version

Check: vigil check --help. Exit status: the child's, 128+N if signal N ended
it, 127 program not found, 126 not executable, 2 bad usage, 75 --watch
fired, 1 vigil failed (--wait-for, --user, ...).
";
