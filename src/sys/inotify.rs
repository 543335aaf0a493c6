//! inotify(7): a descriptor that becomes readable when a watched file
//! changes, such as cgroup v2's `memory.events` (the kernel raises IN_MODIFY
//! on it when a counter moves: cgroup-v2.rst, "memory.events").

use core::ffi::CStr;

use super::errno::{Result, check};
use super::fd::Fd;

/// A non-blocking, close-on-exec inotify descriptor watching `path` for
/// IN_MODIFY.
pub fn watch_modify(path: &CStr) -> Result<Fd> {
    // SAFETY: inotify_init1 takes flags only; the fd is owned by the Fd below.
    let raw = check(unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) })?;
    let fd = Fd::own(raw);
    // SAFETY: `path` is NUL-terminated and outlives the call.
    check(unsafe { libc::inotify_add_watch(fd.raw(), path.as_ptr(), libc::IN_MODIFY) })?;
    Ok(fd)
}

/// Reads and drops every queued event: the caller re-reads the file itself.
/// Returns whether there was any.
pub fn drain(fd: &Fd) -> bool {
    let mut buf = [0u8; 256];
    let mut any = false;
    // Non-blocking: EAGAIN once empty. Each read takes whole events
    // (inotify(7)); 256 bytes hold at least one without a name.
    while let Ok(n) = fd.read(&mut buf) {
        if n == 0 {
            break;
        }
        any = true;
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_to_the_watched_file_is_an_event() {
        let path = std::env::temp_dir().join(format!("vigil-inotify-{}", std::process::id()));
        std::fs::write(&path, "0\n").expect("write");
        let name = std::ffi::CString::new(path.to_str().expect("utf-8")).expect("path");
        let fd = watch_modify(&name).expect("watch");
        assert!(!drain(&fd));
        std::fs::write(&path, "1\n").expect("write");
        let (got, again) = (drain(&fd), drain(&fd));
        let _ = std::fs::remove_file(&path);
        assert!(got && !again, "{got} {again}");
    }
}
