//! What a killed earlier run left behind: a private daemon's directory
//! (`/tmp/PREFIX-PID-TEST`) whose test process is gone, with the daemon, its
//! shims and its mounts maybe still there. Dropping a daemon cleans up after
//! itself; a SIGKILLed test binary cannot, and its daemon would run on and
//! load every later run (and every benchmark).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::output_limit;

/// Stops the processes that name a stale `PREFIX-PID-…` directory in their
/// command line (TERM, then KILL after 20 s), unmounts what is mounted under
/// it (deepest first, lazily), and removes it. A directory whose PID is this
/// process or a live one is left alone; so is anything that cannot be read.
pub fn sweep(prefix: &str) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
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
        if pid == std::process::id() || alive(pid) {
            continue;
        }
        let dir = entry.path();
        eprintln!(
            "removing {} (left by the killed test process {pid})",
            dir.display()
        );
        stop_processes_naming(&dir);
        unmount_under(&dir);
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

/// The pids whose command line holds `dir`'s path (alone, or followed by a
/// `/`), with all their descendants: a shim's container processes name
/// nothing of it, and a shim that dies leaves them running.
fn processes_naming(dir: &Path) -> Vec<u32> {
    let needle = dir.to_string_lossy().into_owned();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let all: Vec<(u32, u32, bool)> = procs
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let ppid = stat.rsplit_once(") ")?.1.split(' ').nth(1)?.parse().ok()?;
            let names = std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                c.split(|&b| b == 0).any(|arg| {
                    String::from_utf8_lossy(arg)
                        .split(['=', ':'])
                        .any(|part| part == needle || part.starts_with(&format!("{needle}/")))
                })
            });
            Some((pid, ppid, names))
        })
        .collect();
    let mut found: Vec<u32> = all.iter().filter(|p| p.2).map(|p| p.0).collect();
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
    found.retain(|&pid| alive(pid));
    found
}

fn stop_processes_naming(dir: &Path) {
    for sig in ["TERM", "KILL"] {
        let pids = processes_naming(dir);
        if pids.is_empty() {
            return;
        }
        eprintln!("  {sig} to {pids:?}");
        let mut kill = Command::new("kill");
        kill.arg(format!("-{sig}"))
            .args(pids.iter().map(u32::to_string));
        let _ = output_limit(&mut kill, Duration::from_secs(5));
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline && !processes_naming(dir).is_empty() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Lazily unmounts every mount point at or under `dir`, deepest first.
fn unmount_under(dir: &Path) {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let mut points: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(PathBuf::from)
        .filter(|p| p.starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    points.dedup();
    for p in points {
        let _ = output_limit(
            Command::new("umount").arg("-l").arg(&p),
            Duration::from_secs(10),
        );
    }
}
