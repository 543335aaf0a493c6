//! The process tree vigil is responsible for: signalling all of it at
//! shutdown, and the /proc walk that finds it when vigil is not PID 1.

use alloc::collections::BinaryHeap;
use alloc::ffi::CString;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use crate::sys::process::getpid;
use crate::sys::signal::Signal;
use crate::sys::sigwait::kill;

/// As PID 1, every process vigil is responsible for is the whole PID
/// namespace: kill(-1) reaches every process but ourselves (kill(2)).
pub fn signal_namespace(sig: Signal) {
    let _ = kill(-1, sig);
}

/// Sends `sig` to each of `pids`: when vigil is not PID 1, its descendants
/// (`descendants`), so a subreaper never signals a process outside its tree.
/// Only used when `proc_is_ours` (the machine's `Rules::tree_visible`).
/// Failures (ESRCH for a process that just exited) are expected and ignored.
pub fn signal_each(pids: &[i32], sig: Signal) {
    for &pid in pids {
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
    let mut buf = [0u8; 16];
    crate::sys::fs::read_link(c"/proc/self", &mut buf)
        .ok()
        .and_then(crate::sys::fs::decimal)
        == Some(getpid())
}

/// Pids of every living descendant of `root` (not `root` itself), from /proc,
/// each once. Empty when /proc is not mounted.
///
/// Follows each process's `task/TID/children` lists down from `root`: the
/// cost grows with the tree, not with every process on the machine. The
/// kernel calls those lists imprecise: a child that exits while its parent's
/// list is read can make the next sibling (and its subtree) be skipped, and
/// a thread's exit moves its children to another thread. So the walk is
/// done twice and the two merged: a process is missed only if both walks
/// lose it. Kernels without CONFIG_PROC_CHILDREN have no such file: then
/// every /proc/PID/stat is read for its parent. Either way it is a snapshot:
/// a process forked meanwhile can be missed, as it can by any /proc reader.
pub fn descendants(root: i32) -> Vec<i32> {
    let Some(first) = children_of(root) else {
        return descendants_by_parent(root);
    };
    let mut found = follow_children(first);
    if let Some(again) = children_of(root) {
        found.extend(follow_children(again));
    }
    // A heap sorts in less code than slice::sort_unstable (see below).
    let mut found = BinaryHeap::from(found).into_sorted_vec();
    found.dedup();
    found
}

/// Every descendant, given `root`'s children: each process's children in
/// turn (a process that exits meanwhile has none).
fn follow_children(first: Vec<i32>) -> Vec<i32> {
    let mut found = Vec::new();
    let mut stack = first;
    while let Some(pid) = stack.pop() {
        // No process has two parents, but pids are reused while we read: a
        // bound no real tree reaches keeps a freak cycle from looping forever.
        if found.len() >= MAX_TREE {
            break;
        }
        found.push(pid);
        stack.extend(children_of(pid).unwrap_or_default());
    }
    found
}

/// The largest pid_max Linux allows (PID_MAX_LIMIT on 64-bit): no tree
/// holds more processes.
const MAX_TREE: usize = 4 << 20;

/// The children of every thread of `pid`, from /proc/PID/task/TID/children;
/// None when the process is gone or no thread's file could be read (a kernel
/// without them).
fn children_of(pid: i32) -> Option<Vec<i32>> {
    let tasks = CString::new(format!("/proc/{pid}/task")).ok()?;
    let mut kids = Vec::new();
    let mut any = false;
    for tid in crate::sys::dir::numbers(&tasks).ok()? {
        let path = CString::new(format!("/proc/{pid}/task/{tid}/children")).ok()?;
        // A thread may end meanwhile: skip it.
        let Ok(list) = crate::sys::fs::read(&path) else {
            continue;
        };
        any = true;
        kids.extend(
            list.split(|&b| b == b' ' || b == b'\n')
                .filter_map(crate::sys::fs::decimal)
                .filter(|&n| n > 0),
        );
    }
    any.then_some(kids)
}

/// Every descendant of `root` found by reading each process's parent from
/// /proc/PID/stat: for kernels without the `children` files.
fn descendants_by_parent(root: i32) -> Vec<i32> {
    let Ok(pids) = crate::sys::dir::numbers(c"/proc") else {
        return Vec::new();
    };
    // (parent, child) pairs sorted by parent: a HashMap would pull in hashing
    // and random seeding for a table read once. A heap sorts them in less code
    // than slice::sort_unstable (-2.4 KiB in the tiny build).
    let mut links = BinaryHeap::new();
    for pid in pids {
        // A process may exit between readdir and read: skip it.
        if let Some(ppid) = crate::sys::fs::parent_of(pid) {
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

/// How far up from a process `descends_from` looks for `root`.
const MAX_DEPTH: usize = 64;

/// Whether `pid` is `root` or below it: its parents, read from
/// /proc/PID/stat, reach `root` within `MAX_DEPTH` steps and before vigil,
/// pid 1 or a process that is gone. Only used when `proc_is_ours`.
pub fn descends_from(pid: i32, root: i32) -> bool {
    let me = getpid();
    let mut at = pid;
    for _ in 0..MAX_DEPTH {
        if at == root {
            return true;
        }
        if at <= 1 || at == me {
            return false;
        }
        let Some(parent) = crate::sys::fs::parent_of(at) else {
            return false;
        };
        at = parent;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A shell whose child runs sleep: both are found, by both methods, and
    /// nothing outside the tree is.
    #[test]
    fn finds_grandchildren_by_children_lists_and_by_parents() {
        use std::io::BufRead;
        let mut sh = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & echo $!; wait"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn sh");
        let mut line = String::new();
        let out = sh.stdout.take().expect("sh stdout");
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .expect("read sleep's pid");
        let grandchild: i32 = line.trim().parse().expect("sleep's pid");
        let me = std::process::id() as i32;
        let by_children = descendants(me);
        let by_parent = descendants_by_parent(me);
        let _ = kill(grandchild, Signal::KILL);
        let _ = sh.wait();
        assert!(children_of(me).is_some(), "this kernel has children files");
        for found in [&by_children, &by_parent] {
            assert!(found.contains(&(sh.id() as i32)), "{found:?}");
            assert!(found.contains(&grandchild), "{found:?}");
            assert!(!found.contains(&me) && !found.contains(&1), "{found:?}");
        }
    }

    #[test]
    fn a_grandchild_descends_from_its_grandparent_and_a_stranger_does_not() {
        use std::io::BufRead;
        let mut sh = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & echo $!; wait"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn sh");
        let mut line = String::new();
        let out = sh.stdout.take().expect("sh stdout");
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .expect("read sleep's pid");
        let grandchild: i32 = line.trim().parse().expect("sleep's pid");
        let sh_pid = sh.id() as i32;
        let verdicts = [
            descends_from(grandchild, sh_pid),
            descends_from(sh_pid, sh_pid),
            descends_from(sh_pid, grandchild),
            descends_from(std::os::unix::process::parent_id() as i32, sh_pid),
            descends_from(i32::MAX, sh_pid),
            descends_from(0, sh_pid),
        ];
        let _ = kill(grandchild, Signal::KILL);
        let _ = sh.wait();
        assert_eq!(verdicts, [true, true, false, false, false, false]);
    }

    #[test]
    fn a_process_that_is_gone_has_no_children_list() {
        assert_eq!(children_of(i32::MAX), None);
    }
}
