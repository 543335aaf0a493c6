//! A cgroup v1 memory cgroup per test, with a small limit, removed even when
//! the test fails; and `die`, the static program that allocates past it (or
//! faults, or aborts), built from tests/helpers/die.c with `musl-gcc -static`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The limit the OOM tests use.
pub const LIMIT: u64 = 64 << 20;

/// A memory cgroup made for one test, below this test process's own memory
/// cgroup (so whatever accounts for the test run accounts for it too).
pub struct MemoryCgroup {
    pub dir: PathBuf,
}

impl MemoryCgroup {
    /// Makes `vigil-oom-TEST-PID` with `limit` bytes (memory+swap too where
    /// the kernel accounts swap). Panics when it cannot: the machine must
    /// have the cgroup v1 memory controller mounted, and we must be root.
    pub fn new(test: &str, limit: u64) -> MemoryCgroup {
        let own = own_memory_cgroup().unwrap_or_else(|| {
            panic!("no cgroup v1 memory controller for this process (/proc/self/cgroup, /proc/self/mountinfo): the OOM tests need one")
        });
        let dir = own.join(format!("vigil-oom-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir(&dir); // a leftover of a killed run with our pid
        std::fs::create_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot make the memory cgroup {}: {e}", dir.display()));
        let cgroup = MemoryCgroup { dir };
        cgroup.write("memory.limit_in_bytes", &limit.to_string());
        if cgroup.dir.join("memory.memsw.limit_in_bytes").exists() {
            cgroup.write("memory.memsw.limit_in_bytes", &limit.to_string());
        }
        cgroup
    }

    fn write(&self, file: &str, value: &str) {
        let path = self.dir.join(file);
        std::fs::write(&path, value)
            .unwrap_or_else(|e| panic!("write {value} to {}: {e}", path.display()));
    }

    fn read(&self, file: &str) -> String {
        let path = self.dir.join(file);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// The kernel's count of OOM kills in this cgroup (memory.oom_control).
    pub fn oom_kills(&self) -> u64 {
        self.read("memory.oom_control")
            .lines()
            .find_map(|l| l.strip_prefix("oom_kill ")?.trim().parse().ok())
            .expect("oom_kill in memory.oom_control (kernel 4.13+)")
    }

    /// The most memory the cgroup used, in bytes.
    pub fn peak(&self) -> u64 {
        self.read("memory.max_usage_in_bytes")
            .trim()
            .parse()
            .expect("memory.max_usage_in_bytes")
    }

    /// `cmd` run inside the cgroup, its stderr joined to its stdout (vigil's
    /// lines and the program's, in the order written): a shell moves itself
    /// in, then execs `cmd`.
    pub fn wrap(&self, cmd: &Command) -> Command {
        let procs = self.dir.join("cgroup.procs");
        let mut sh = Command::new("/bin/sh");
        sh.arg("-c")
            .arg(r#"echo $$ > "$0" && exec "$@" 2>&1"#)
            .arg(procs)
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => sh.env(k, v),
                None => sh.env_remove(k),
            };
        }
        if let Some(dir) = cmd.get_current_dir() {
            sh.current_dir(dir);
        }
        sh
    }

    fn pids(&self) -> Vec<i32> {
        std::fs::read_to_string(self.dir.join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }
}

impl Drop for MemoryCgroup {
    /// Every process left inside was started by this test: SIGKILL each by
    /// pid, then remove the directory once it is empty (within 10 s).
    fn drop(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            for pid in self.pids() {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
            if std::fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            if Instant::now() > deadline {
                let msg = format!("cannot remove the memory cgroup {}", self.dir.display());
                if std::thread::panicking() {
                    eprintln!("{msg}");
                    return;
                }
                panic!("{msg}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// This process's memory cgroup directory: the `memory` line of
/// /proc/self/cgroup under the v1 memory mount whose root holds it.
fn own_memory_cgroup() -> Option<PathBuf> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroup.lines().find_map(|l| {
        let mut f = l.splitn(3, ':');
        let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
        controllers
            .split(',')
            .any(|c| c == "memory")
            .then(|| path.to_string())
    })?;
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    mountinfo.lines().find_map(|l| {
        let (mount, fs) = l.split_once(" - ")?;
        let mut fs = fs.split(' ');
        let (fstype, _, options) = (fs.next()?, fs.next()?, fs.next()?);
        if fstype != "cgroup" || !options.split(',').any(|o| o == "memory") {
            return None;
        }
        let mut m = mount.split(' ').skip(3);
        let (root, point) = (m.next()?, m.next()?);
        let rest = path.strip_prefix(root.trim_end_matches('/'))?;
        (rest.is_empty() || rest.starts_with('/')).then(|| PathBuf::from(format!("{point}{rest}")))
    })
}

/// The `die` program (tests/helpers/die.c), static, built once per test binary.
pub fn die() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helpers/die.c");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("vigil-die");
        std::fs::create_dir_all(&dir).expect("make the die directory");
        let out = dir.join("die");
        // Built under a name of our own, then renamed: test binaries that
        // build it at once never run a half-written file.
        let tmp = dir.join(format!("die.{}", std::process::id()));
        let built = Command::new("musl-gcc")
            .args(["-static", "-Os", "-o"])
            .arg(&tmp)
            .arg(&src)
            .status();
        assert!(
            matches!(built, Ok(s) if s.success()),
            "musl-gcc -static {} failed ({built:?}): install musl-tools (scripts/test does)",
            src.display()
        );
        std::fs::rename(&tmp, &out).expect("rename die into place");
        out
    })
}
