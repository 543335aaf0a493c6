//! eventfd(2): a counter descriptor the kernel signals, readable while the
//! counter is not zero; cgroup v1 delivers OOM events through one
//! (`cgroup.event_control`, Documentation/admin-guide/cgroup-v1/memory.rst).

use super::errno::{Result, check};
use super::fd::Fd;

/// A non-blocking, close-on-exec eventfd starting at 0.
pub fn new() -> Result<Fd> {
    // SAFETY: eventfd takes an initial value and flags; the fd is owned below.
    let raw = check(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })?;
    Ok(Fd::own(raw))
}

/// Reads the counter back to 0: how many events came since the last read
/// (0 when none did).
pub fn take(fd: &Fd) -> u64 {
    let mut count = [0u8; 8];
    match fd.read(&mut count) {
        Ok(8) => u64::from_ne_bytes(count),
        _ => 0, // EAGAIN: none
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_was_written_then_reads_zero() {
        let fd = new().expect("eventfd");
        assert_eq!(take(&fd), 0);
        fd.write_all(&2u64.to_ne_bytes()).expect("write");
        fd.write_all(&3u64.to_ne_bytes()).expect("write");
        assert_eq!(take(&fd), 5);
        assert_eq!(take(&fd), 0);
    }
}
