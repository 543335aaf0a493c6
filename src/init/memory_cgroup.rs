//! vigil's memory cgroup: where its files are (v2 or v1, through
//! /proc/self/cgroup and /proc/self/mountinfo) and what they say of OOM kills.
//!
//! The cgroup path in /proc/self/cgroup is relative to the hierarchy's root,
//! and a mount shows one directory of that hierarchy (its mountinfo `root`):
//! under Docker with cgroup v1, /proc/self/cgroup names the host's
//! `/docker/ID` while the container's own cgroup is mounted at
//! /sys/fs/cgroup/memory with root `/docker/ID`. So the directory is the
//! mount point plus what the path adds to the mount's root, never a join of
//! the two (proc(5): /proc/PID/cgroup and /proc/PID/mountinfo).

use alloc::ffi::CString;
use alloc::vec::Vec;

use super::event::MemoryReading;
use crate::human::number;
use crate::sys::fs;

/// Which cgroup interface the files belong to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Version {
    V1,
    V2,
}

/// The files vigil reads, by version: the OOM-kill counter (its `oom_kill`
/// line), the limit and the peak.
const FILES: [[&str; 3]; 2] = [
    [
        "memory.oom_control",
        "memory.limit_in_bytes",
        "memory.max_usage_in_bytes",
    ],
    ["memory.events", "memory.max", "memory.peak"],
];

/// A v1 limit this high is v1's "unlimited": PAGE_COUNTER_MAX pages, which
/// reads as 9223372036854771712 with 4 KiB pages and less with bigger ones.
const V1_UNLIMITED: u64 = 1 << 62;

/// vigil's memory cgroup: its directory and interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryCgroup {
    pub version: Version,
    /// The directory, as this process reaches it (no trailing `/`).
    pub dir: Vec<u8>,
}

impl MemoryCgroup {
    /// vigil's own memory cgroup, or `None` when /proc or the mount is
    /// missing (gVisor, a hidden /sys): vigil then says nothing about OOM.
    #[inline(never)] // Called once; not inlined: smaller (with `OomWatch::new`, 192 B).
    pub fn find() -> Option<MemoryCgroup> {
        let cgroup = fs::read(c"/proc/self/cgroup").ok()?;
        let mountinfo = fs::read(c"/proc/self/mountinfo").ok()?;
        locate(&cgroup, &mountinfo)
    }

    /// The full path of `file` in the directory.
    pub fn path(&self, file: &str) -> Option<CString> {
        let mut path = joined(&self.dir, b"/");
        path.extend_from_slice(file.as_bytes());
        CString::new(path).ok()
    }

    /// The file whose changes tell of OOM: v2's `memory.events` (inotify
    /// IN_MODIFY), v1's `memory.oom_control` (registered with an eventfd
    /// through `cgroup.event_control`).
    pub fn counter_file(&self) -> &'static str {
        FILES[self.version as usize][0]
    }

    /// File `i` of `FILES` as a number: the counter's `oom_kill` line, the
    /// others' one number (v2's "max" is none: no limit).
    fn value(&self, i: usize) -> Option<u64> {
        let file = fs::read(&self.path(FILES[self.version as usize][i])?).ok()?;
        keyed(&file, if i == 0 { b"oom_kill " } else { b"" })
    }

    /// The OOM-kill counter alone: what vigil reads at start. `None` when it
    /// cannot be read (a kernel before 4.13 has no v1 `oom_kill`).
    pub fn oom_kills(&self) -> Option<u64> {
        self.value(0)
    }

    /// The counter, the limit and the peak; a limit or peak that cannot be
    /// read is left out.
    #[inline(never)]
    pub fn read(&self) -> Option<MemoryReading> {
        Some(MemoryReading {
            oom_kills: self.value(0)?,
            limit: self.value(1).filter(is_limit),
            peak: self.value(2),
        })
    }
}

/// The memory cgroup named in `cgroup` (/proc/self/cgroup): the v1
/// `memory` controller's line, found through the mounts in `mountinfo`
/// (/proc/self/mountinfo) where a v1 memory hierarchy is mounted; else the
/// v2 `0::` line under /sys/fs/cgroup (a container's own with a cgroup
/// namespace; on a hybrid host it has no memory files, and none are found).
#[inline(never)]
pub fn locate(cgroup: &[u8], mountinfo: &[u8]) -> Option<MemoryCgroup> {
    let mut found = None;
    for line in fs::lines(cgroup) {
        // ID:CONTROLLERS:PATH
        let (controllers, path) = (field(line, b':', 1), field(line, b':', 2));
        if has_word(controllers, b"memory") {
            return mounted_v1(mountinfo, path);
        }
        if field(line, b':', 0) == b"0" && controllers.is_empty() {
            found = Some(MemoryCgroup {
                version: Version::V2,
                dir: joined(b"/sys/fs/cgroup", below(path, b"/")?),
            });
        }
    }
    found
}

/// Where `path` of the v1 memory hierarchy is reached: the first mount of
/// it whose root holds `path`, plus what `path` adds to that root.
#[inline(never)]
fn mounted_v1(mountinfo: &[u8], path: &[u8]) -> Option<MemoryCgroup> {
    for line in fs::lines(mountinfo) {
        // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
        let Some(dash) = line.windows(3).position(|w| w == b" - ") else {
            continue;
        };
        let fs_part = line.get(dash + 3..).unwrap_or_default();
        let cgroup_v1 = field(fs_part, b' ', 0) == b"cgroup";
        if let Some(below) = below(path, field(line, b' ', 3))
            .filter(|_| cgroup_v1 && has_word(field(fs_part, b' ', 2), b"memory"))
        {
            return Some(MemoryCgroup {
                version: Version::V1,
                dir: joined(field(line, b' ', 4), below),
            });
        }
    }
    None
}

/// `a` then `b`.
fn joined(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut v = a.to_vec();
    v.extend_from_slice(b);
    v
}

/// Field `n` (from 0) of `line` split at `sep`; empty past the last.
fn field(line: &[u8], sep: u8, n: usize) -> &[u8] {
    fs::split(line, sep).nth(n).unwrap_or_default()
}

/// Whether a limit file's number is a limit: v1's "unlimited" is not (v2's
/// "max" is no number at all).
fn is_limit(n: &u64) -> bool {
    *n < V1_UNLIMITED
}

/// Whether the comma-separated `list` holds `word`.
fn has_word(list: &[u8], word: &[u8]) -> bool {
    fs::split(list, b',').any(|w| w == word)
}

/// What `path` adds to `root` (empty, or starting with `/`), when `root`
/// holds it: `/docker/ab` holds `/docker/ab/c` but not `/docker/abc`. A
/// path with `/..` (outside a cgroup namespace's root) is held by none.
fn below<'p>(path: &'p [u8], root: &[u8]) -> Option<&'p [u8]> {
    let root = if root == b"/" { &[] } else { root };
    let rest = path.get(root.len()..).filter(|_| path.starts_with(root))?;
    let rest = if rest == b"/" { &[] } else { rest };
    let held = rest.first().is_none_or(|&b| b == b'/');
    (held && !path.windows(3).any(|w| w == b"/..")).then_some(rest)
}

/// The number on the first line that starts with `key` (`oom_kill ` in v2
/// `memory.events` or v1 `memory.oom_control`; empty for a file of one
/// number, `memory.peak`). `None` when none does, or for v2's `max`.
pub fn keyed(file: &[u8], key: &[u8]) -> Option<u64> {
    fs::lines(file).find_map(|line| number(core::str::from_utf8(line.strip_prefix(key)?).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This machine's /proc/self/cgroup (cgroup v1 hybrid, Debian 12).
    const HYBRID_CGROUP: &[u8] =
        b"9:name=systemd:/\n8:pids:/\n4:memory:/process_api/b6e2\n1:cpu:/\n0::/\n";
    /// This machine's /proc/self/mountinfo, cut to the cgroup mounts.
    const HYBRID_MOUNTINFO: &[u8] = b"\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn a_v1_host_cgroup_is_under_the_memory_mount() {
        assert_eq!(
            locate(HYBRID_CGROUP, HYBRID_MOUNTINFO),
            Some(MemoryCgroup {
                version: Version::V1,
                dir: b"/sys/fs/cgroup/memory/process_api/b6e2".to_vec()
            })
        );
    }

    #[test]
    fn under_docker_v1_the_mount_root_is_the_containers_cgroup() {
        // From a container of this machine's Docker 20.10 (cgroup v1) run
        // with --memory 64m, cut to some lines (the id shortened): the host's
        // path in /proc/self/cgroup, the same path as the mounts' root.
        let cgroup = b"9:name=systemd:/docker/f2dcd18b03d3\n\
4:memory:/docker/f2dcd18b03d3\n1:cpu:/docker/f2dcd18b03d3\n0::/docker/f2dcd18b03d3\n";
        let mountinfo = b"\
80 79 0:47 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755
81 80 0:29 /docker/f2dcd18b03d3 /sys/fs/cgroup/cpu ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu
84 80 0:32 /docker/f2dcd18b03d3 /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory
89 80 0:37 /docker/f2dcd18b03d3 /sys/fs/cgroup/systemd ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,name=systemd
";
        let found = locate(cgroup, mountinfo).expect("found");
        assert_eq!(found.version, Version::V1);
        assert_eq!(found.dir, b"/sys/fs/cgroup/memory");
        assert_eq!(
            found.path("memory.oom_control").as_deref(),
            Some(c"/sys/fs/cgroup/memory/memory.oom_control")
        );
    }

    #[test]
    fn v2_alone_uses_the_zero_line() {
        // A v2-only host, and a container with its own cgroup namespace.
        let mountinfo = b"27 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
        let host = locate(b"0::/system.slice/app.service\n", mountinfo).expect("host");
        assert_eq!(host.version, Version::V2);
        assert_eq!(host.dir, b"/sys/fs/cgroup/system.slice/app.service");
        let container = locate(b"0::/\n", mountinfo).expect("container");
        assert_eq!(container.dir, b"/sys/fs/cgroup");
        assert_eq!(
            container.path("memory.events").as_deref(),
            Some(c"/sys/fs/cgroup/memory.events")
        );
    }

    #[test]
    fn a_path_outside_the_mounts_root_is_not_found() {
        // A cgroup namespace whose root is not an ancestor: the kernel shows
        // `/..`; and a sibling that shares a prefix of the root's name.
        let mountinfo = b"1 0 0:1 /docker/ab /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
        assert_eq!(locate(b"4:memory:/docker/abc\n", mountinfo), None);
        assert_eq!(locate(b"4:memory:/../x\n", mountinfo), None);
        let sub = locate(b"4:memory:/docker/ab/sub\n", mountinfo).expect("below");
        assert_eq!(sub.dir, b"/sys/fs/cgroup/memory/sub");
    }

    #[test]
    fn no_memory_mount_no_cgroup() {
        // /sys hidden, or only other controllers mounted.
        assert_eq!(locate(HYBRID_CGROUP, b""), None);
        let cpu_only = b"32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
        assert_eq!(locate(b"4:memory:/\n", cpu_only), None);
        assert_eq!(locate(b"", HYBRID_MOUNTINFO), None);
    }

    #[test]
    fn a_controller_list_and_optional_fields_are_read() {
        let cgroup = b"3:cpu,memory:/app\n";
        let mountinfo =
            b"40 31 0:40 / /mnt/cg rw master:3 shared:7 - cgroup cgroup rw,cpu,memory\n";
        let found = locate(cgroup, mountinfo).expect("found");
        assert_eq!(found.dir, b"/mnt/cg/app");
    }

    #[test]
    fn v2_memory_events_as_the_kernel_writes_them() {
        // memory.events after an OOM kill under memory.max = 50M, copied from
        // a real cgroup v2 system: shiicho/cloud-atlas,
        // foundations/linux/lx11-containers/06-cgroups-v2-resource-control/README.md
        // (commit 09ad7456), "cat /sys/fs/cgroup/demo-oom/memory.events"; the
        // same file there from a kernel before 5.17, without oom_group_kill
        // (added by kernel commit b6bf9abb0aa4). Keys as in
        // Documentation/admin-guide/cgroup-v2.rst, "memory.events".
        let new = b"low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\noom_group_kill 0\n";
        let old = b"low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n";
        assert_eq!(keyed(new, b"oom_kill "), Some(1));
        assert_eq!(keyed(new, b"oom_group_kill "), Some(0));
        assert_eq!(keyed(old, b"oom_kill "), Some(1));
        assert_eq!(keyed(old, b"oom_group_kill "), None);
        // "oom" is not "oom_kill", nor the other way round.
        assert_eq!(keyed(b"oom 7\noom_kill 2\n", b"oom "), Some(7));
        assert_eq!(keyed(b"oom 7\n", b"oom_kill "), None);
    }

    #[test]
    fn v2_limit_and_peak() {
        // memory.max is "max" without a limit (cgroup-v2.rst), else bytes;
        // memory.peak (kernel 5.19+) is bytes.
        assert_eq!(keyed(b"max\n", b"").filter(is_limit), None);
        assert_eq!(keyed(b"52428800\n", b"").filter(is_limit), Some(50 << 20));
        assert_eq!(keyed(b"52428800\n", b""), Some(50 << 20));
        assert_eq!(keyed(b"", b""), None);
        assert_eq!(keyed(b"12a\n", b""), None);
        assert_eq!(keyed(b"18446744073709551616\n", b""), None, "past u64");
    }

    #[test]
    fn v1_files_as_this_machine_writes_them() {
        // /sys/fs/cgroup/memory/.../memory.oom_control on kernel 6.18, after
        // one OOM kill in a 64 MiB cgroup; memory.limit_in_bytes unlimited.
        let oom_control = b"oom_kill_disable 0\nunder_oom 0\noom_kill 1\n";
        assert_eq!(keyed(oom_control, b"oom_kill "), Some(1));
        let disabled_only = b"oom_kill_disable 1\nunder_oom 0\n";
        assert_eq!(
            keyed(disabled_only, b"oom_kill "),
            None,
            "kernel before 4.13"
        );
        assert_eq!(keyed(b"9223372036854771712\n", b"").filter(is_limit), None);
        // 64 KiB pages (aarch64) make a smaller "unlimited".
        assert_eq!(keyed(b"9223372036854710272\n", b"").filter(is_limit), None);
        assert_eq!(keyed(b"67108864\n", b"").filter(is_limit), Some(64 << 20));
    }
}
