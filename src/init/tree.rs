//! The process tree vigil is responsible for: signalling all of it at
//! shutdown, and the /proc walk that finds it when vigil is not PID 1.

use alloc::collections::BinaryHeap;
use alloc::ffi::CString;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use crate::sys::process::getpid;
use crate::sys::signal::Signal;
use crate::sys::signalfd::kill;

/// Sends `sig` to every process vigil is responsible for. As PID 1 that is
/// the whole PID namespace: kill(-1) reaches every process but ourselves
/// (kill(2)). Otherwise it is only vigil's own descendants, found in /proc, so
/// a subreaper never signals a process outside its tree. Only called when
/// `proc_is_ours` (the machine's `Rules::tree_visible`). Failures (ESRCH for
/// a process that just exited) are expected and ignored.
pub fn signal_all(sig: Signal, is_pid1: bool) {
    if is_pid1 {
        let _ = kill(-1, sig);
        return;
    }
    for pid in descendants(getpid()) {
        let _ = kill(pid, sig);
    }
}

/// As PID 1: whether any process but vigil is left in the PID namespace,
/// such as one entered with `docker exec` or `nsenter`. False when /proc is
/// missing or belongs to another PID namespace (its `self` is not pid 1).
pub fn others_in_namespace() -> bool {
    proc_is_ours()
        && crate::sys::dir::numbers(c"/proc").is_ok_and(|pids| pids.iter().any(|&p| p != 1))
}

/// Whether /proc belongs to vigil's own PID namespace: its `self` shows
/// vigil's own pid. A /proc mounted for another namespace lists other pids
/// under the same numbers, so walking it would signal strangers.
pub fn proc_is_ours() -> bool {
    let own = format!("{}", getpid());
    crate::sys::fs::read(c"/proc/self/stat")
        .is_ok_and(|stat| stat.split(|&b| b == b' ').next() == Some(own.as_bytes()))
}

/// Pids of every living descendant of `root` (not `root` itself), from /proc.
/// Empty when /proc is not mounted.
pub fn descendants(root: i32) -> Vec<i32> {
    let Ok(pids) = crate::sys::dir::numbers(c"/proc") else {
        return Vec::new();
    };
    // (parent, child) pairs sorted by parent: a HashMap would pull in hashing
    // and random seeding for a table read once. A heap sorts them in less code
    // than slice::sort_unstable (-2.4 KiB in the tiny build).
    let mut links = BinaryHeap::new();
    for pid in pids {
        // A process may exit between readdir and read: skip it.
        // Read as bytes: a comm that is not UTF-8 must not hide a process.
        let Ok(path) = CString::new(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Some(ppid) = crate::sys::fs::read(&path)
            .ok()
            .and_then(|stat| parent_from_stat(&stat))
        {
            links.push((ppid, pid));
        }
    }
    let links = links.into_sorted_vec();
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(parent) = stack.pop() {
        let first = links.partition_point(|&(p, _)| p < parent);
        for &(_, child) in links[first..].iter().take_while(|&&(p, _)| p == parent) {
            found.push(child);
            stack.push(child);
        }
    }
    found
}

/// The ppid field of /proc/PID/stat: `pid (comm) state ppid ...`, where comm
/// may itself hold spaces and parentheses, so we split after the last ')'.
fn parent_from_stat(stat: &[u8]) -> Option<i32> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    let after_comm = core::str::from_utf8(&stat[close + 1..]).ok()?;
    after_comm.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_awkward_comm() {
        assert_eq!(parent_from_stat(b"42 (a) b) (c) S 7 42 42 0"), Some(7));
        assert_eq!(parent_from_stat(b"42 (\xff\xfe) S 1 42"), Some(1));
        assert_eq!(parent_from_stat(b"garbage"), None);
    }

    #[test]
    fn finds_own_children() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("spawn sleep");
        let found = descendants(std::process::id() as i32);
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.contains(&(child.id() as i32)), "{found:?}");
    }
}
