//! What a killed earlier run left behind: a private daemon's directory
//! (`/tmp/PREFIX-PID-TEST`) whose test process is gone, with the daemon, its
//! shims and its mounts maybe still there. Dropping a daemon cleans up after
//! itself; a SIGKILLed test binary cannot, and its daemon would run on and
//! load every later run (and every benchmark).
#![allow(dead_code)]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::output_limit;

/// Stops the processes that name a stale `PREFIX-PID-…` directory in their
/// command line, and their descendants (TERM, then KILL after 20 s),
/// deletes the runc containers it held, unmounts what is mounted under it
/// (deepest first, lazily), and removes it once nothing is mounted there. Left alone: a directory whose PID is this
/// process or a live one, one that is not a real directory owned by our
/// user, and anything that cannot be read. Once per prefix and test binary
/// (parallel tests would otherwise sweep the same directory at once, and one
/// sweep's `umount` names it too).
pub fn sweep(prefix: &str) {
    static SWEPT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
    if swept.iter().any(|p| p == prefix) {
        return;
    }
    swept.push(prefix.to_owned());
    let Ok(tmp) = std::env::temp_dir().canonicalize() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(&tmp) else {
        return;
    };
    let me = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let dir = entry.path();
        let ours = std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir() && Some(m.uid()) == me);
        if !ours || pid == std::process::id() || alive(pid) {
            continue;
        }
        eprintln!(
            "removing {} (left by the killed test process {pid})",
            dir.display()
        );
        // The daemons were started with temp_dir()'s spelling of the path.
        let spellings = [dir.clone(), std::env::temp_dir().join(&name)];
        stop_processes_naming(&spellings);
        delete_runc_containers(&spellings);
        if !unmount_under(&dir) {
            eprintln!("{} still has mounts: left in place", dir.display());
            continue;
        }
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            eprintln!("cannot remove {}: {e}", dir.display());
        }
    }
}

/// Whether `pid` runs (a zombie, killed and not yet reaped, does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // "PID (COMM) STATE …": COMM may hold spaces and parentheses.
        let state = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next());
        !matches!(state, Some('Z' | 'X'))
    })
}

/// Whether `arg` names `dir` or a path under it (`--config DIR/x`,
/// `unix://DIR/sock`, `--data-root=DIR`).
fn names(arg: &str, dir: &str) -> bool {
    arg.match_indices(dir)
        .any(|(i, _)| matches!(arg[i + dir.len()..].chars().next(), None | Some('/')))
}

/// The pids whose command line names one of `dirs`, with all their descendants (a
/// shim's container processes name nothing of it, and a shim that dies
/// leaves them running); never this process or one of its own descendants.
fn processes_naming(dirs: &[PathBuf]) -> Vec<u32> {
    let needles: Vec<String> = dirs
        .iter()
        .map(|d| d.to_string_lossy().into_owned())
        .collect();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let all: Vec<(u32, u32, bool)> = procs
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let ppid = stat.rsplit_once(") ")?.1.split(' ').nth(1)?.parse().ok()?;
            let named = std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                c.split(|&b| b == 0).any(|arg| {
                    needles
                        .iter()
                        .any(|n| names(&String::from_utf8_lossy(arg), n))
                })
            });
            Some((pid, ppid, named))
        })
        .collect();
    let descendants = |roots: Vec<u32>| {
        let mut found = roots;
        let mut i = 0;
        while i < found.len() {
            let parent = found[i];
            for &(pid, ppid, _) in &all {
                if ppid == parent && !found.contains(&pid) {
                    found.push(pid);
                }
            }
            i += 1;
        }
        found
    };
    let mine = descendants(vec![std::process::id()]);
    let mut found = descendants(all.iter().filter(|p| p.2).map(|p| p.0).collect());
    found.retain(|&pid| !mine.contains(&pid) && alive(pid));
    found
}

fn stop_processes_naming(dirs: &[PathBuf]) {
    for sig in ["TERM", "KILL"] {
        let pids = processes_naming(dirs);
        if pids.is_empty() {
            return;
        }
        eprintln!("  {sig} to {pids:?}");
        let mut kill = Command::new("kill");
        kill.arg(format!("-{sig}"))
            .args(pids.iter().map(u32::to_string));
        let _ = output_limit(&mut kill, Duration::from_secs(5));
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && !processes_naming(dirs).is_empty() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Where containerd's shims keep runc's state, one directory per namespace.
/// It is not under the daemon's own directory: a task the killed run left
/// there (say "web" in namespace "vigil") makes the next `ctr run … web`
/// fail with "container with given ID already exists".
const RUNC_ROOTS: &str = "/run/containerd/runc";

/// `runc delete --force` for each container under RUNC_ROOTS whose state
/// names one of `dirs` (its bundle and rootfs were there); that also kills
/// what is left of it and removes its cgroups.
fn delete_runc_containers(dirs: &[PathBuf]) {
    let needles: Vec<String> = dirs
        .iter()
        .map(|d| d.to_string_lossy().into_owned())
        .collect();
    let Ok(roots) = std::fs::read_dir(RUNC_ROOTS) else {
        return;
    };
    for root in roots.flatten().map(|e| e.path()) {
        let Ok(containers) = std::fs::read_dir(&root) else {
            continue;
        };
        for state in containers.flatten().map(|e| e.path()) {
            let named = std::fs::read_to_string(state.join("state.json")).is_ok_and(|json| {
                json.split('"')
                    .any(|field| needles.iter().any(|n| names(field, n)))
            });
            let Some(id) = state.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if named {
                eprintln!("  runc delete --force {id} (in {})", root.display());
                let _ = output_limit(
                    Command::new("runc")
                        .arg("--root")
                        .arg(&root)
                        .args(["delete", "--force", id]),
                    Duration::from_secs(20),
                );
            }
        }
    }
}

/// The mount points at or under `dir`, deepest first, as often as each is
/// stacked (mountinfo escapes space, tab, newline and backslash in octal).
fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut points: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(unescape(p)))
        .filter(|p| p.starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    points
}

fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let octal = b
            .get(i + 1..i + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u8::from_str_radix(d, 8).ok());
        match (b[i], octal) {
            (b'\\', Some(c)) => {
                out.push(c);
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Lazily unmounts everything at or under `dir`, a few passes at most;
/// whether nothing is mounted there any more.
fn unmount_under(dir: &Path) -> bool {
    for _ in 0..3 {
        let points = mounts_under(dir);
        if points.is_empty() {
            return true;
        }
        for p in points {
            let _ = output_limit(
                Command::new("umount").arg("-l").arg(&p),
                Duration::from_secs(10),
            );
        }
    }
    mounts_under(dir).is_empty()
}
