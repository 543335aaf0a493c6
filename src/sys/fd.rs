//! An owned file descriptor: closed when dropped, read and written with EINTR
//! retried, so callers never see an interrupted call.

use super::errno::{Errno, Result, check};

/// A file descriptor vigil opened and nothing else owns.
#[derive(Debug)]
pub struct Fd(i32);

impl Fd {
    /// Takes ownership of `raw`, returned by the kernel for a call of ours.
    pub(super) fn own(raw: i32) -> Fd {
        Fd(raw)
    }

    pub fn raw(&self) -> i32 {
        self.0
    }

    /// read(2) into `buf`; 0 at end of file.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize> {
        loop {
            // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
            let n = unsafe { libc::read(self.0, buf.as_mut_ptr().cast(), buf.len()) };
            match check(n as i64) {
                Ok(n) => return Ok(n as usize),
                Err(e) if e.interrupted() => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// write(2) of all of `bytes`, in as many calls as it takes.
    pub fn write_all(&self, bytes: &[u8]) -> Result<()> {
        write_all(self.0, bytes)
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own the fd and nothing uses it after this.
        unsafe { libc::close(self.0) };
    }
}

/// A pipe of vigil's own, both ends close-on-exec and non-blocking:
/// (read end, write end).
pub fn pipe() -> Result<(Fd, Fd)> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two new fds into our 2-element array; each is
    // owned by one Fd below.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) })?;
    Ok((Fd(fds[0]), Fd(fds[1])))
}

/// A pipe for a child's output: both ends close-on-exec and blocking (the
/// child gets the write end as its stdout or stderr; vigil makes its read
/// end non-blocking): (read end, write end).
pub fn pipe_for_child() -> Result<(Fd, Fd)> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 writes two new fds into our 2-element array; each is
    // owned by one Fd below.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    Ok((Fd(fds[0]), Fd(fds[1])))
}

/// write(2) of all of `bytes` to `fd`, retrying short writes and EINTR.
pub fn write_all(fd: i32, mut bytes: &[u8]) -> Result<()> {
    while !bytes.is_empty() {
        // SAFETY: reads at most `bytes.len()` bytes from a live slice.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        match check(n as i64) {
            Ok(0) => return Err(Errno(libc::EIO)),
            Ok(n) => bytes = bytes.get(n as usize..).unwrap_or_default(),
            Err(e) if e.interrupted() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
