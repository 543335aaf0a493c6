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

use crate::sys::fs;

/// Which cgroup interface the files belong to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Version {
    /// `memory.oom_control`, `memory.limit_in_bytes`, `memory.max_usage_in_bytes`.
    V1,
    /// `memory.events`, `memory.max`, `memory.peak`.
    V2,
}

/// What the memory cgroup says at one moment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MemoryReading {
    /// Processes the OOM killer has killed in the cgroup (v2 `oom_kill`,
    /// which counts each member of a `memory.oom.group` kill too; v1
    /// `oom_kill`).
    pub oom_kills: u64,
    /// The limit in bytes; `None`: no limit ("max", or v1's "unlimited").
    pub limit: Option<u64>,
    /// The most memory it ever used, in bytes, where the kernel keeps it.
    pub peak: Option<u64>,
}

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
    pub fn find() -> Option<MemoryCgroup> {
        let cgroup = fs::read(c"/proc/self/cgroup").ok()?;
        let mountinfo = fs::read(c"/proc/self/mountinfo").ok()?;
        locate(&cgroup, &mountinfo)
    }

    /// The full path of `file` in the directory.
    pub fn path(&self, file: &str) -> Option<CString> {
        let mut path = Vec::with_capacity(self.dir.len() + 1 + file.len());
        path.extend_from_slice(&self.dir);
        path.push(b'/');
        path.extend_from_slice(file.as_bytes());
        CString::new(path).ok()
    }

    /// The file whose changes tell of OOM: v2's `memory.events` (inotify
    /// IN_MODIFY), v1's `memory.oom_control` (registered with an eventfd
    /// through `cgroup.event_control`).
    pub fn counter_file(&self) -> &'static str {
        match self.version {
            Version::V1 => "memory.oom_control",
            Version::V2 => "memory.events",
        }
    }

    /// Reads the OOM-kill counter, the limit and the peak. `None` when the
    /// counter cannot be read (a kernel before 4.13 has no v1 `oom_kill`);
    /// a limit or peak that cannot be read is left out.
    pub fn read(&self) -> Option<MemoryReading> {
        let read = |file: &str| fs::read(&self.path(file)?).ok();
        let (limit_file, peak_file) = match self.version {
            Version::V1 => ("memory.limit_in_bytes", "memory.max_usage_in_bytes"),
            Version::V2 => ("memory.max", "memory.peak"),
        };
        let oom_kills = keyed(&read(self.counter_file())?, "oom_kill")?;
        Some(MemoryReading {
            oom_kills,
            limit: read(limit_file).and_then(|f| limit(&f)),
            peak: read(peak_file).and_then(|f| number(&f)),
        })
    }
}

/// The memory cgroup named in `cgroup` (/proc/self/cgroup) found through the
/// mounts in `mountinfo` (/proc/self/mountinfo): v1's `memory` controller
/// where a v1 memory hierarchy is mounted, else v2's `0::` line under a
/// cgroup2 mount. On a hybrid host the cgroup2 mount has no memory controller.
pub fn locate(cgroup: &[u8], mountinfo: &[u8]) -> Option<MemoryCgroup> {
    let mut v1 = None;
    let mut v2 = None;
    for line in fs::lines(cgroup) {
        // ID:CONTROLLERS:PATH; the path may hold ':' itself.
        let mut fields = line.splitn(3, |&b| b == b':');
        let (Some(id), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if has_word(controllers, b"memory") {
            v1 = Some(path);
        } else if id == b"0" && controllers.is_empty() {
            v2 = Some(path);
        }
    }
    let found = |version, path: &[u8]| {
        let dir = mounted_at(mountinfo, path, |fstype, options| match version {
            Version::V1 => fstype == b"cgroup" && has_word(options, b"memory"),
            Version::V2 => fstype == b"cgroup2",
        })?;
        Some(MemoryCgroup { version, dir })
    };
    v1.and_then(|p| found(Version::V1, p))
        .or_else(|| v2.and_then(|p| found(Version::V2, p)))
}

/// Whether the comma-separated `list` holds `word`.
fn has_word(list: &[u8], word: &[u8]) -> bool {
    fs::split(list, b',').any(|w| w == word)
}

/// Where `path` of a hierarchy is reached: the first mount that `wanted`
/// (by fstype and super options) whose root holds `path`, with the part of
/// `path` below that root appended to its mount point.
fn mounted_at(
    mountinfo: &[u8],
    path: &[u8],
    wanted: impl Fn(&[u8], &[u8]) -> bool,
) -> Option<Vec<u8>> {
    for line in fs::lines(mountinfo) {
        // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
        let mut fields = fs::split(line, b' ');
        let (Some(root), Some(point)) = (fields.nth(3), fields.next()) else {
            continue;
        };
        let mut rest = fields.skip_while(|&f| f != b"-").skip(1);
        let (Some(fstype), Some(_source), Some(options)) = (rest.next(), rest.next(), rest.next())
        else {
            continue;
        };
        if !wanted(fstype, options) {
            continue;
        }
        let Some(below) = below(path, &unescape(root)) else {
            continue;
        };
        let mut dir = unescape(point);
        if dir == b"/" {
            dir.clear();
        }
        dir.extend_from_slice(below);
        return Some(dir);
    }
    None
}

/// What `path` adds to `root` (empty, or starting with `/`), when `root`
/// holds it: `/docker/ab` holds `/docker/ab/c` but not `/docker/abc`. A
/// path with `..` (outside a cgroup namespace's root) is held by none.
fn below<'p>(path: &'p [u8], root: &[u8]) -> Option<&'p [u8]> {
    if fs::split(path, b'/').any(|part| part == b"..") {
        return None;
    }
    let root = root.strip_suffix(b"/").unwrap_or(root);
    match path.strip_prefix(root)? {
        b"/" => Some(b""),
        rest if rest.is_empty() || rest.starts_with(b"/") => Some(rest),
        _ => None,
    }
}

/// mountinfo's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let octal = field
            .get(i + 1..i + 4)
            .filter(|d| field[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match octal {
            Some(d) => {
                out.push(d.iter().fold(0u8, |n, b| n.wrapping_mul(8) + (b - b'0')));
                i += 4;
            }
            None => {
                out.push(field[i]);
                i += 1;
            }
        }
    }
    out
}

/// The number after `key ` on its own line of a keyed file (v2
/// `memory.events`, v1 `memory.oom_control`); the key must match whole.
pub fn keyed(file: &[u8], key: &str) -> Option<u64> {
    fs::lines(file).find_map(|line| {
        let value = line.strip_prefix(key.as_bytes())?.strip_prefix(b" ")?;
        number(value)
    })
}

/// A file holding one number (`memory.peak`, `memory.max_usage_in_bytes`).
pub fn number(file: &[u8]) -> Option<u64> {
    core::str::from_utf8(file).ok()?.trim().parse().ok()
}

/// A limit file: v2 `memory.max` ("max" or bytes), v1
/// `memory.limit_in_bytes` (bytes, v1's "unlimited" a huge number).
/// `None` for no limit, or a file that says neither.
pub fn limit(file: &[u8]) -> Option<u64> {
    number(file).filter(|&n| n < V1_UNLIMITED)
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
    fn a_controller_list_and_escaped_mount_points_are_read() {
        let cgroup = b"3:cpu,memory:/app\n";
        let mountinfo = b"40 31 0:40 / /mnt/my\\040cgroups rw - cgroup cgroup rw,cpu,memory\n";
        let found = locate(cgroup, mountinfo).expect("found");
        assert_eq!(found.dir, b"/mnt/my cgroups/app");
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
        assert_eq!(keyed(new, "oom_kill"), Some(1));
        assert_eq!(keyed(new, "oom_group_kill"), Some(0));
        assert_eq!(keyed(old, "oom_kill"), Some(1));
        assert_eq!(keyed(old, "oom_group_kill"), None);
        // "oom" is not "oom_kill", nor the other way round.
        assert_eq!(keyed(b"oom 7\noom_kill 2\n", "oom"), Some(7));
        assert_eq!(keyed(b"oom 7\n", "oom_kill"), None);
    }

    #[test]
    fn v2_limit_and_peak() {
        // memory.max is "max" without a limit (cgroup-v2.rst), else bytes;
        // memory.peak (kernel 5.19+) is bytes.
        assert_eq!(limit(b"max\n"), None);
        assert_eq!(limit(b"52428800\n"), Some(50 << 20));
        assert_eq!(number(b"52428800\n"), Some(50 << 20));
        assert_eq!(number(b""), None);
    }

    #[test]
    fn v1_files_as_this_machine_writes_them() {
        // /sys/fs/cgroup/memory/.../memory.oom_control on kernel 6.18, after
        // one OOM kill in a 64 MiB cgroup; memory.limit_in_bytes unlimited.
        let oom_control = b"oom_kill_disable 0\nunder_oom 0\noom_kill 1\n";
        assert_eq!(keyed(oom_control, "oom_kill"), Some(1));
        assert_eq!(limit(b"9223372036854771712\n"), None);
        // 64 KiB pages (aarch64) make a smaller "unlimited".
        assert_eq!(limit(b"9223372036854710272\n"), None);
        assert_eq!(limit(b"67108864\n"), Some(64 << 20));
    }
}
