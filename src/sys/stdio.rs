//! Standard output and standard error as plain write(2)s: no buffering, so
//! every message leaves in one call and nothing is lost at `_exit`; and the
//! writes `--log-prefix` makes without ever waiting for a reader.

use super::errno::{Errno, Result, check};
use super::fd::write_all;

/// Writes all of `bytes` to fd 1.
pub fn stdout(bytes: &[u8]) -> Result<()> {
    write_all(1, bytes)
}

/// Writes all of `bytes` to fd 2.
pub fn stderr(bytes: &[u8]) -> Result<()> {
    write_all(2, bytes)
}

/// Whether `fd` is open and not a terminal: a stream `--log-prefix` may put
/// a pipe in front of (a terminal stays the child's).
pub fn relayable(fd: i32) -> bool {
    // SAFETY: isatty takes an integer and only reads state; errno is read
    // right after it failed.
    unsafe { libc::isatty(fd) == 0 && Errno::last().0 == libc::ENOTTY }
}

/// pwritev2's RWF_NOWAIT (linux/fs.h).
const RWF_NOWAIT: i32 = 8;

/// Writes what fits now of `bytes` to `fd`, never waiting for its reader
/// (`EAGAIN`: nothing fits): pwritev2(2) with RWF_NOWAIT at the file
/// position (offset -1, as write(2)). The flag is per call: the file
/// description, which others may share, keeps its flags (O_NONBLOCK on it
/// would reach them). Where the file ignores the flag (EOPNOTSUPP: a FIFO
/// opened by name, an ext4 file, a pipe before Linux 6.4), at most
/// PIPE_BUF bytes once poll(2) says there is room: a pipe with room for one
/// more page takes them whole without waiting (pipe(7)); a regular file or
/// /dev/null never waits.
pub fn write_nowait(fd: i32, bytes: &[u8]) -> Result<usize> {
    let iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut _,
        iov_len: bytes.len(),
    };
    // SAFETY: the kernel reads `bytes` through one iovec that points into
    // the live slice; offset -1 (both halves) is the file position.
    let n = unsafe { libc::syscall(libc::SYS_pwritev2, fd, &iov, 1, -1i64, -1i64, RWF_NOWAIT) };
    match check(n) {
        Err(Errno(libc::EOPNOTSUPP)) if writable(fd, 0) => {
            let len = bytes.len().min(libc::PIPE_BUF);
            // SAFETY: the kernel reads at most `len` bytes from a live slice.
            check(unsafe { libc::write(fd, bytes.as_ptr().cast(), len) } as i64).map(|n| n as usize)
        }
        Err(Errno(libc::EOPNOTSUPP)) => Err(Errno(libc::EAGAIN)),
        done => done.map(|n| n as usize),
    }
}

/// Whether `fd` takes a write (or has an error to report) within `ms`
/// milliseconds: poll(2) for POLLOUT.
pub fn writable(fd: i32, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one pollfd on our stack, alive until poll returns.
    unsafe { libc::poll(&mut p, 1, ms) > 0 }
}

#[cfg(test)]
mod tests {
    //! pwritev2's RWF_NOWAIT on this kernel, and the fallback where it is
    //! not honoured, against real pipes: neither ever waits for the reader.

    use std::io::Read;
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;

    use super::*;

    fn fill(fd: i32) -> usize {
        let block = [b'x'; 4096];
        let mut total = 0;
        loop {
            match write_nowait(fd, &block) {
                Ok(n) => total += n,
                Err(e) => {
                    assert_eq!(e, Errno(libc::EAGAIN));
                    return total;
                }
            }
        }
    }

    #[test]
    fn a_full_pipe_says_eagain_and_its_flags_are_untouched() {
        let (mut reader, writer) = std::io::pipe().expect("pipe");
        let fd = writer.as_raw_fd();
        assert_eq!(fill(fd), 64 << 10, "a pipe holds 64 KiB");
        // SAFETY: F_GETFL on an fd this test owns.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        assert_eq!(
            flags & libc::O_NONBLOCK,
            0,
            "the description stays blocking"
        );
        let mut buf = [0u8; 4096];
        reader.read_exact(&mut buf).expect("read");
        assert_eq!(write_nowait(fd, &[b'y'; 5000]), Ok(4096), "what fits");
    }

    #[test]
    fn a_fifo_opened_by_name_ignores_rwf_nowait_and_the_fallback_never_waits() {
        let path = std::env::temp_dir().join(alloc::format!("vigil-fifo-{}", std::process::id()));
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: mkfifo reads a C string that lives until it returns.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .expect("open reader");
        let writer = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open writer");
        let _ = std::fs::remove_file(&path);
        let fd = writer.as_raw_fd();
        let iov = libc::iovec {
            iov_base: b"x".as_ptr() as *mut _,
            iov_len: 1,
        };
        // SAFETY: as in write_nowait.
        let n = unsafe { libc::syscall(libc::SYS_pwritev2, fd, &iov, 1, -1i64, -1i64, RWF_NOWAIT) };
        assert_eq!(
            (n, Errno::last()),
            (-1, Errno(libc::EOPNOTSUPP)),
            "Linux 6.18: FIFOs lack FMODE_NOWAIT"
        );
        assert_eq!(
            fill(fd),
            64 << 10,
            "PIPE_BUF at a time, up to full, then EAGAIN"
        );
        drop(reader);
    }
}
