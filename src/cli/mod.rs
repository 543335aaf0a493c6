//! The command line, in one place: which mode runs, the help text, and how every
//! option and its `VIGIL_*` environment twin become typed settings.

pub mod check;
pub mod command_words;
pub mod init;
pub mod values;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A bad option or value: printed as `vigil: <message>`; the child never starts.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the parsers read the environment: a variable's value, `None` if unset.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<Vec<u8>>;

/// One command-line item: `-x`, `--name` (with `=value` held for `value`),
/// or a word that is not an option.
#[derive(Debug, PartialEq, Eq)]
pub enum Arg {
    Short(u8),
    Long(String),
    Value(Vec<u8>),
}

/// A byte-oriented argv reader with getopt_long's rules: `-abc` clusters,
/// `-xVALUE`, `--name=value` or `--name value`, and `--` ends the options.
pub struct Parser {
    args: alloc::vec::IntoIter<Vec<u8>>,
    /// The rest of a short-option cluster, after the option just returned.
    cluster: Option<(Vec<u8>, usize)>,
    /// The `=value` of the long option just returned.
    attached: Option<Vec<u8>>,
    /// The name of the option just returned, for messages.
    last: String,
    /// After `--`: every word is a value.
    only_values: bool,
}

impl Parser {
    pub fn new(args: Vec<Vec<u8>>) -> Parser {
        Parser {
            args: args.into_iter(),
            cluster: None,
            attached: None,
            last: String::new(),
            only_values: false,
        }
    }

    /// The next item, `None` at the end.
    pub fn next_arg(&mut self) -> Result<Option<Arg>, UsageError> {
        if self.attached.take().is_some() {
            return Err(UsageError(format!("{} does not take a value", self.last)));
        }
        if let Some((word, at)) = self.cluster.take() {
            if at < word.len() {
                let c = word[at];
                self.last = format!("-{}", char::from(c));
                if at + 1 < word.len() {
                    self.cluster = Some((word, at + 1));
                }
                return Ok(Some(Arg::Short(c)));
            }
        }
        let Some(word) = self.args.next() else {
            return Ok(None);
        };
        if self.only_values || word.len() < 2 || word[0] != b'-' {
            return Ok(Some(Arg::Value(word)));
        }
        if word == b"--" {
            self.only_values = true;
            return self.next_arg();
        }
        if let Some(long) = word.strip_prefix(b"--") {
            let (name, value) = match long.iter().position(|&b| b == b'=') {
                Some(eq) => (&long[..eq], Some(long[eq + 1..].to_vec())),
                None => (long, None),
            };
            let name = String::from_utf8_lossy(name).into_owned();
            self.last = format!("--{name}");
            self.attached = value;
            return Ok(Some(Arg::Long(name)));
        }
        self.cluster = Some((word, 1));
        self.next_arg()
    }

    /// The value of the option just returned: its `=value`, the rest of its
    /// cluster, or the next word. `None` when there is none.
    pub fn value(&mut self) -> Option<Vec<u8>> {
        if let Some(v) = self.attached.take() {
            return Some(v);
        }
        if let Some((word, at)) = self.cluster.take() {
            let rest = &word[at..];
            return Some(rest.strip_prefix(b"=").unwrap_or(rest).to_vec());
        }
        self.args.next()
    }

    /// Every word not read yet, as it is.
    pub fn rest(self) -> Vec<Vec<u8>> {
        self.args.collect()
    }

    /// The error for an option nobody knows.
    pub fn unexpected(&self, arg: &Arg) -> UsageError {
        match arg {
            Arg::Value(v) => UsageError(format!(
                "unexpected argument '{}'",
                String::from_utf8_lossy(v)
            )),
            _ => UsageError(format!("invalid option '{}'", self.last)),
        }
    }
}

/// Names an option's value error: `--grace: invalid duration 'x' (...)`.
pub fn bad(option: &str, err: String) -> UsageError {
    UsageError(format!("{option}: {err}"))
}

/// An environment variable's value, `None` when unset or empty (an empty
/// `VIGIL_GRACE=` in a compose file means "not set", as it does for Docker).
pub fn env_text(env: Env, name: &str) -> Result<Option<String>, UsageError> {
    match env(name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => String::from_utf8(v).map(Some).map_err(|e| {
            UsageError(format!(
                "{name}: value is not UTF-8: {}",
                String::from_utf8_lossy(e.as_bytes())
            ))
        }),
    }
}

/// The value of an option, as text, or an error naming the option.
pub fn text_value(parser: &mut Parser, option: &str) -> Result<String, UsageError> {
    let value = parser
        .value()
        .ok_or_else(|| UsageError(format!("{option} needs a value")))?;
    String::from_utf8(value).map_err(|e| {
        UsageError(format!(
            "{option}: value is not UTF-8: {}",
            String::from_utf8_lossy(e.as_bytes())
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
      --stop-delay D         hold the first SIGTERM D, then forward it [0]
      --with 'CMD ARG...'    a sidecar, started first in its own group
                             (repeatable; VIGIL_WITH: one per line)
      --restart POLICY       no|on-failure|always [no]
      --max-restarts N       per process, within --restart-window [5]
      --restart-window D     [5m]
      --on-unhealthy ACTION  exit|restart: what --watch does [exit]
  -v, -q                     say more / less on stderr
                             VIGIL_LOG=debug|info|warn|error|off [warn]
  -h, --help                 this help
  -V, --version              the version

Check: vigil check --help. Exit status: the child's, 128+N if signal N ended
it, 127 program not found, 126 not executable, 2 bad usage, 75 --watch
fired, 1 vigil failed (--wait-for, --user, ...).
";

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn reads_clusters_attached_values_and_double_dash() {
        let mut p = Parser::new(words(&[
            "-vg",
            "-e143",
            "--grace=5s",
            "--x",
            "v",
            "-",
            "--",
            "-q",
        ]));
        assert_eq!(p.next_arg(), Ok(Some(Arg::Short(b'v'))));
        assert_eq!(p.next_arg(), Ok(Some(Arg::Short(b'g'))));
        assert_eq!(p.next_arg(), Ok(Some(Arg::Short(b'e'))));
        assert_eq!(p.value(), Some(b"143".to_vec()));
        assert_eq!(p.next_arg(), Ok(Some(Arg::Long("grace".into()))));
        assert_eq!(p.value(), Some(b"5s".to_vec()));
        assert_eq!(p.next_arg(), Ok(Some(Arg::Long("x".into()))));
        assert_eq!(p.value(), Some(b"v".to_vec()));
        assert_eq!(p.next_arg(), Ok(Some(Arg::Value(b"-".to_vec()))));
        assert_eq!(p.next_arg(), Ok(Some(Arg::Value(b"-q".to_vec()))));
        assert_eq!(p.next_arg(), Ok(None));
        let mut p = Parser::new(words(&["--group=1"]));
        assert!(p.next_arg().is_ok());
        assert!(p.next_arg().unwrap_err().0.contains("--group"));
    }
}
