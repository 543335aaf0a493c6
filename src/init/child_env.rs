//! The environment each child starts with (README "Environment and secrets"),
//! built anew for every start: vigil's own, minus what vigil consumes, plus
//! HOME for `--user`, then the env files, then `--secret` and `FILE__` files,
//! all read as vigil's own user before `--user` applies. Read at each start,
//! so a restart picks up a rotated secret.

use alloc::ffi::CString;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::ffi::CStr;

use super::env_file::{self, Bad};
use crate::sys::env::{self, Envp, value_of};
use crate::sys::fs;

/// The largest file vigil reads a value or an env file from.
pub const MAX_FILE: usize = 64 << 10;

/// `FILE__NAME=PATH` (linuxserver's convention) sets NAME with `--file-env`.
const FILE_PREFIX: &[u8] = b"FILE__";

/// Where the children's variables come from, fixed for the whole run.
pub struct Sources<'a> {
    pub env_files: &'a [String],
    /// `--secret NAME=PATH`, in order.
    pub secrets: &'a [(String, String)],
    pub file_env: bool,
    /// Variables never passed on: the `VIGIL_*` twins vigil reads itself.
    pub consumed: &'a [&'static str],
}

/// Why the values cannot be read. Its text names the option, the variable
/// and the path, never a value.
#[derive(Debug, PartialEq, Eq)]
pub enum LoadError {
    /// Exit 2: an env file that is not in the format, or a variable set twice
    /// where only one may set it.
    Usage(String),
    /// Exit 1: a file missing, unreadable, too large, or a value with a NUL byte.
    Failed(String),
}

impl LoadError {
    pub fn message(self) -> String {
        match self {
            LoadError::Usage(m) | LoadError::Failed(m) => m,
        }
    }
}

/// One variable read from a file for the children.
struct Var {
    name: Vec<u8>,
    value: Vec<u8>,
    /// Set directly by `--secret NAME=PATH` or `FILE__NAME=PATH` (this
    /// says which): a value masked wherever a line might show it, and a
    /// variable nothing else may set directly.
    from: Option<&'static str>,
}

/// What one start's read found.
#[derive(Default)]
pub struct Loaded {
    vars: Vec<Var>,
}

/// Reads every source. `base`: the directory relative paths are taken from,
/// once vigil has left its working directory for `/` (`None`: the current one).
pub fn load(src: &Sources, base: Option<&CStr>) -> Result<Loaded, LoadError> {
    let mut loaded = Loaded::default();
    for path in src.env_files {
        let file = read(path.as_bytes(), base)
            .map_err(|why| LoadError::Failed(format!("--env-file {path}: {why}")))?;
        let parsed = env_file::parse(&file, |name, value| {
            // A bare KEY: the caller's value, if it has one (as Docker).
            if let Some(v) = value.or_else(|| env::var_bytes(name)) {
                loaded.set(name, v.to_vec(), None);
            }
        });
        match parsed {
            Ok(()) => {}
            Err(Bad::Line(n)) => {
                return Err(LoadError::Usage(format!(
                    "--env-file {path}: line {n} is not KEY=VALUE, KEY or a # comment"
                )));
            }
            Err(Bad::Nul { line, name }) => {
                return Err(LoadError::Failed(format!(
                    "--env-file {path}: line {line}: the value of {} holds a NUL byte",
                    lossy(name)
                )));
            }
        }
    }
    // `--secret`, then `FILE__` in the environment's order: each sets a
    // variable that nothing else sets directly (as docker-library's file_env).
    let secrets = src
        .secrets
        .iter()
        .map(|(n, p)| ("--secret ", n.as_bytes(), p.as_bytes()));
    let file_env = env::entries().filter(|_| src.file_env).filter_map(|e| {
        let rest = e.to_bytes().strip_prefix(FILE_PREFIX)?;
        let at = rest.iter().position(|&b| b == b'=').filter(|&at| at > 0)?;
        Some(("FILE__", rest.get(..at)?, rest.get(at + 1..)?))
    });
    for (from, name, path) in secrets.chain(file_env) {
        let named = lossy(name);
        let first = match loaded.get(name) {
            Some(Var { from: Some(f), .. }) => Some(*f),
            _ => env::var_bytes(name).filter(|v| !v.is_empty()).map(|_| ""),
        };
        if let Some(first) = first {
            return Err(LoadError::Usage(format!(
                "both {first}{named} and {from}{named} are set (use one)"
            )));
        }
        let failed = |why: &str| LoadError::Failed(format!("{from}{named}={}: {why}", lossy(path)));
        let mut value = read(path, base).map_err(|why| failed(&why))?;
        if value.last() == Some(&b'\n') {
            value.pop();
        }
        if value.contains(&0) {
            return Err(failed("holds a NUL byte"));
        }
        loaded.set(name, value, Some(from));
    }
    Ok(loaded)
}

fn lossy(bytes: &[u8]) -> alloc::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// The file at `path` (relative to `base` when given), at most `MAX_FILE`
/// bytes; or why not.
fn read(path: &[u8], base: Option<&CStr>) -> Result<Vec<u8>, String> {
    let mut full = Vec::new();
    if let Some(base) = base.filter(|_| path.first() != Some(&b'/')) {
        full.extend_from_slice(base.to_bytes());
        full.push(b'/');
    }
    full.extend_from_slice(path);
    // No NUL byte: paths come from argv and the environment.
    let full = CString::new(full).unwrap_or_default();
    match fs::read_up_to(&full, MAX_FILE + 1) {
        Ok(bytes) if bytes.len() > MAX_FILE => Err("larger than 64 KiB".into()),
        Ok(bytes) => Ok(bytes),
        Err(e) => Err(e.to_string()),
    }
}

impl Loaded {
    /// Sets `name`, replacing what an earlier source set.
    fn set(&mut self, name: &[u8], value: Vec<u8>, from: Option<&'static str>) {
        let var = Var {
            name: name.to_vec(),
            value,
            from,
        };
        match self.vars.iter_mut().find(|v| v.name == name) {
            Some(old) => *old = var,
            None => self.vars.push(var),
        }
    }

    fn get(&self, name: &[u8]) -> Option<&Var> {
        self.vars.iter().find(|v| v.name == name)
    }

    /// `${NAME}` for a start: a value read from a file, else vigil's own.
    pub fn lookup(&self, name: &str) -> Result<Option<String>, String> {
        let value = match self.get(name.as_bytes()) {
            Some(v) => Some(&v.value[..]),
            None => env::var(name),
        };
        value
            .map(|v| {
                String::from_utf8(v.to_vec()).map_err(|_| format!("variable {name} is not UTF-8"))
            })
            .transpose()
    }

    /// The values of `--secret` and `FILE__` that are text (only text can
    /// be in a line), which no line may show.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for v in &self.vars {
            if let (Some(_), Ok(text)) = (v.from, core::str::from_utf8(&v.value)) {
                out.push(text.into());
            }
        }
        out
    }

    /// The child's environment: vigil's own entries in order, minus the
    /// consumed ones, `FILE__*` with `--file-env`, and those set below; then
    /// HOME for `--user` (`home`), unless a file sets it; then the files' variables.
    pub fn envp(&self, src: &Sources, home: Option<&CStr>) -> Envp {
        let mut envp = Envp::with_capacity(env::entries().count() + self.vars.len() + 1);
        for entry in env::entries() {
            let bytes = entry.to_bytes();
            let name = &bytes[..bytes.iter().position(|&b| b == b'=').unwrap_or(bytes.len())];
            let dropped = src.consumed.iter().any(|c| c.as_bytes() == name)
                || (src.file_env && name.starts_with(FILE_PREFIX))
                || (home.is_some() && name == b"HOME")
                || self.get(name).is_some();
            if !dropped {
                envp.inherit(entry);
            }
        }
        if let Some(home) = home.filter(|_| self.get(b"HOME").is_none()) {
            envp.add(entry(b"HOME", home.to_bytes()));
        }
        for v in &self.vars {
            envp.add(entry(&v.name, &v.value));
        }
        envp
    }
}

/// `NAME=value` (never a NUL byte: values holding one were refused).
fn entry(name: &[u8], value: &[u8]) -> CString {
    let mut entry = Vec::with_capacity(name.len() + value.len() + 2);
    entry.extend_from_slice(name);
    entry.push(b'=');
    entry.extend_from_slice(value);
    CString::new(entry).unwrap_or_default()
}

/// The consumed variables present in vigil's environment, for the debug line
/// that says they stay out of the children's.
pub fn consumed_present<'a>(src: &'a Sources) -> impl Iterator<Item = &'static str> + 'a {
    src.consumed
        .iter()
        .copied()
        .filter(|name| env::entries().any(|e| value_of(e.to_bytes(), name.as_bytes()).is_some()))
}

#[cfg(test)]
impl Loaded {
    /// What a read of files setting `vars` (NAME, VALUE, from a secret) finds.
    pub fn of(vars: &[(&str, &str, bool)]) -> Loaded {
        let mut loaded = Loaded::default();
        for &(name, value, secret) in vars {
            let from = secret.then_some("--secret ");
            loaded.set(name.as_bytes(), value.as_bytes().to_vec(), from);
        }
        loaded
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use std::path::PathBuf;

    /// A directory of files for one test, removed when dropped.
    struct Files(PathBuf);

    impl Files {
        fn new(test: &str) -> Files {
            let dir = std::env::temp_dir().join(format!("vigil-env-{test}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            Files(dir)
        }

        fn put(&self, name: &str, body: &[u8]) -> String {
            let path = self.0.join(name);
            std::fs::write(&path, body).expect("write a test file");
            path.to_str().expect("utf-8 temp path").into()
        }
    }

    impl Drop for Files {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn sources<'a>(env_files: &'a [String], secrets: &'a [(String, String)]) -> Sources<'a> {
        Sources {
            env_files,
            secrets,
            file_env: false,
            consumed: &["VIGIL_TEST_CONSUMED", "PATH"],
        }
    }

    fn value(loaded: &Loaded, name: &str) -> Option<String> {
        loaded
            .get(name.as_bytes())
            .map(|v| String::from_utf8_lossy(&v.value).into_owned())
    }

    #[test]
    fn later_files_win_and_secrets_win_over_files_without_their_last_newline() {
        let f = Files::new("order");
        let files = [
            f.put("a.env", b"A=from a\nB=from a\nS=from a\n"),
            f.put("b.env", b"# b\nB=from b\nHOME\n"),
        ];
        let secrets = [("S".to_string(), f.put("s", b"line1\nline2\n\n"))];
        let loaded = load(&sources(&files, &secrets), None).expect("load");
        assert_eq!(value(&loaded, "A").as_deref(), Some("from a"));
        assert_eq!(value(&loaded, "B").as_deref(), Some("from b"));
        // One trailing newline removed, no more.
        assert_eq!(value(&loaded, "S").as_deref(), Some("line1\nline2\n"));
        // A bare KEY: the caller's value.
        let home = std::env::var("HOME").expect("HOME is set for the tests");
        assert_eq!(value(&loaded, "HOME"), Some(home));
        assert_eq!(loaded.secrets(), ["line1\nline2\n"]);
    }

    #[test]
    fn a_relative_path_is_taken_from_the_base_directory() {
        let f = Files::new("base");
        f.put("rel.env", b"R=1\n");
        let base = CString::new(f.0.to_str().expect("utf-8").as_bytes()).expect("path");
        let files = ["rel.env".to_string()];
        let loaded = load(&sources(&files, &[]), Some(&base)).expect("load");
        assert_eq!(value(&loaded, "R").as_deref(), Some("1"));
    }

    #[test]
    fn every_error_names_option_variable_and_path_never_a_value() {
        let f = Files::new("errors");
        let missing = f.0.join("missing").to_str().expect("utf-8").to_string();
        let big = f.put("big", &vec![b'x'; MAX_FILE + 1]);
        let fits = f.put("fits", &vec![b'x'; MAX_FILE]);
        let nul = f.put("nul", b"s3cr3t\0x");
        let bad = f.put("bad.env", b"A=s3cr3t\nnot a line s3cr3t\n");
        let nul_env = f.put("nul.env", b"OK=1\nPW=s3cr3t\0\n");
        let secret = |name: &str, path: &str| vec![(name.to_string(), path.to_string())];
        let cases = [
            (
                vec![],
                secret("DB", &missing),
                LoadError::Failed(format!(
                    "--secret DB={missing}: No such file or directory (os error 2)"
                )),
            ),
            (
                vec![],
                secret("DB", &big),
                LoadError::Failed(format!("--secret DB={big}: larger than 64 KiB")),
            ),
            (
                vec![],
                secret("DB", &nul),
                LoadError::Failed(format!("--secret DB={nul}: holds a NUL byte")),
            ),
            (
                vec![big.clone()],
                vec![],
                LoadError::Failed(format!("--env-file {big}: larger than 64 KiB")),
            ),
            (
                vec![missing.clone()],
                vec![],
                LoadError::Failed(format!(
                    "--env-file {missing}: No such file or directory (os error 2)"
                )),
            ),
            (
                vec![bad.clone()],
                vec![],
                LoadError::Usage(format!(
                    "--env-file {bad}: line 2 is not KEY=VALUE, KEY or a # comment"
                )),
            ),
            (
                vec![nul_env.clone()],
                vec![],
                LoadError::Failed(format!(
                    "--env-file {nul_env}: line 2: the value of PW holds a NUL byte"
                )),
            ),
            (
                vec![],
                secret("HOME", &fits),
                LoadError::Usage("both HOME and --secret HOME are set (use one)".into()),
            ),
            (
                vec![],
                vec![
                    ("A".to_string(), fits.clone()),
                    ("A".to_string(), nul.clone()),
                ],
                LoadError::Usage("both --secret A and --secret A are set (use one)".into()),
            ),
        ];
        for (files, secrets, want) in cases {
            let got = load(&sources(&files, &secrets), None).err();
            assert_eq!(got.as_ref(), Some(&want));
            assert!(!want.message().contains("s3cr3t"));
        }
        let secrets = secret("BIG", &fits);
        assert!(load(&sources(&[], &secrets), None).is_ok(), "64 KiB fits");
    }

    #[test]
    fn the_childs_environment_drops_what_vigil_consumes_and_adds_home_and_files() {
        let src = sources(&[], &[]);
        let names = |envp: &Envp| -> Vec<String> {
            envp.entries()
                .map(|e| {
                    e.to_string_lossy()
                        .split('=')
                        .next()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect()
        };
        let envp = Loaded::default().envp(&src, Some(c"/home/app"));
        assert_eq!(envp.var("HOME"), Some(&b"/home/app"[..]));
        assert_eq!(envp.var("PATH"), None, "consumed");
        assert_eq!(names(&envp).iter().filter(|n| *n == "HOME").count(), 1);
        assert_eq!(
            *envp.as_ptrs().last().expect("terminator"),
            core::ptr::null()
        );
        let loaded = Loaded::of(&[
            ("HOME", "/from/file", false),
            ("X", "a=b", true),
            ("X", "c", true),
        ]);
        let envp = loaded.envp(&src, Some(c"/home/app"));
        assert_eq!(envp.var("HOME"), Some(&b"/from/file"[..]));
        assert_eq!(envp.var("X"), Some(&b"c"[..]));
        assert_eq!(
            names(&envp)
                .iter()
                .filter(|n| *n == "HOME" || *n == "X")
                .count(),
            2
        );
        // Without --user, vigil's own HOME passes on.
        let home = std::env::var("HOME").expect("HOME");
        assert_eq!(
            Loaded::default().envp(&src, None).var("HOME"),
            Some(home.as_bytes())
        );
    }

    #[test]
    fn a_variable_is_looked_up_in_the_files_then_in_vigils_environment() {
        let loaded = Loaded::of(&[("TOKEN", "s3cr3t", true), ("HOME", "/file", false)]);
        assert_eq!(loaded.lookup("TOKEN"), Ok(Some("s3cr3t".into())));
        assert_eq!(loaded.lookup("HOME"), Ok(Some("/file".into())));
        let path = std::env::var("PATH").expect("PATH");
        assert_eq!(loaded.lookup("PATH"), Ok(Some(path)));
        assert_eq!(loaded.lookup("VIGIL_TEST_SURELY_UNSET"), Ok(None));
        let bad = Loaded::of(&[("BAD", "\u{e9}", false)]);
        assert!(bad.lookup("BAD").is_ok());
    }
}
