//! The health state vigil keeps for its container, and how `vigil health`
//! reaches it: the words both sides share (`State`, `Level`, the socket's
//! name and the answer's shape). The state itself is derived in `init`;
//! `client.rs` is the `vigil health` mode.
//!
//! The mechanism (docs/ARCHITECTURE.md, "vigil health"): vigil listens on the
//! abstract unix socket `vigil-health-MOUNT-PID`, named from the first mount
//! its mount namespace lists (an id no other mount namespace shares) and its
//! own pid, and answers every connection with one line, `+STATE ...` (`-`
//! instead of `+` while readiness never held), then closes. No request is read.

pub mod client;

use alloc::ffi::CString;
use alloc::format;
use alloc::vec::Vec;

/// The longest answer vigil gives and `vigil health` reads, its newline
/// included (Docker keeps 4 KiB of a HEALTHCHECK's output).
pub const MAX_LINE: usize = 4096;

/// Where vigil's container is, as one word (README "Health").
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    /// From vigil's start until readiness first holds.
    Starting,
    /// Every readiness condition holds.
    Ready,
    /// It held once, and a condition fails now.
    Unready,
    /// The `--watch` watchdog fired.
    Unhealthy,
    /// A supervised process waits for its restart.
    Restarting,
    /// `--stop-delay` holds the stop signal.
    Draining,
    /// Shutdown has begun.
    Stopping,
}

impl State {
    pub fn name(self) -> &'static str {
        [
            "starting",
            "ready",
            "unready",
            "unhealthy",
            "restarting",
            "draining",
            "stopping",
        ][self as usize]
    }

    /// Whether `level` holds in this state (`started`: readiness held once).
    pub fn holds(name: &str, started: bool, level: Level) -> bool {
        match level {
            Level::Ready => name == State::Ready.name(),
            // A slow start or a drain must never get the container killed.
            Level::Live => name != State::Unhealthy.name() && name != State::Stopping.name(),
            Level::Started => started,
        }
    }
}

/// What `vigil health` asks: `--ready` (the default), `--live`, `--started`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Level {
    Ready,
    Live,
    Started,
}

/// The id of the first mount /proc/WHO/mountinfo lists ("self" or a pid):
/// each mount namespace has its own copies of its mounts, with ids unique on
/// the host, so it tells one container from another. mountinfo, unlike
/// ns/mnt, may be read by any user. `None` when it cannot be read.
pub fn first_mount(who: &str) -> Option<Vec<u8>> {
    let path = CString::new(format!("/proc/{who}/mountinfo")).ok()?;
    let mut head = [0u8; 24];
    let info = crate::sys::fs::read_head(&path, &mut head).ok()?;
    let id = crate::sys::fs::split(info, b' ').next()?;
    (!id.is_empty() && id.iter().all(u8::is_ascii_digit)).then(|| id.to_vec())
}

/// The abstract socket name of vigil `pid` whose first mount is `mount`,
/// with its leading NUL byte (/proc/net/unix shows it as `@`).
pub fn socket_name(mount: &[u8], pid: i32) -> Vec<u8> {
    let mut name = b"\0vigil-health-".to_vec();
    name.extend_from_slice(mount);
    name.extend_from_slice(format!("-{pid}").as_bytes());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_level_holds_in_its_states() {
        let names = [
            "starting",
            "ready",
            "unready",
            "unhealthy",
            "restarting",
            "draining",
            "stopping",
            "a-state-from-a-newer-vigil",
        ];
        let holding = |level, started| {
            names
                .iter()
                .filter(|n| State::holds(n, started, level))
                .copied()
                .collect::<Vec<_>>()
        };
        assert_eq!(holding(Level::Ready, true), ["ready"]);
        assert_eq!(
            holding(Level::Live, false),
            [
                "starting",
                "ready",
                "unready",
                "restarting",
                "draining",
                "a-state-from-a-newer-vigil"
            ]
        );
        assert_eq!(holding(Level::Started, true).len(), names.len());
        assert!(holding(Level::Started, false).is_empty());
        assert_eq!(State::Stopping.name(), "stopping");
    }

    #[test]
    fn the_name_holds_the_first_mount_and_the_pid() {
        let mine = first_mount("self").expect("read /proc/self/mountinfo");
        let parent = std::format!("{}", std::os::unix::process::parent_id());
        assert_eq!(first_mount(&parent), Some(mine), "the same mount namespace");
        assert_eq!(first_mount("999999999"), None);
        assert_eq!(socket_name(b"27", 1), b"\0vigil-health-27-1");
    }
}
