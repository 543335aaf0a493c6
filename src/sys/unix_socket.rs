//! A unix-socket connect bounded by a timeout: std's `UnixStream::connect`
//! blocks for as long as the listener's backlog stays full (a wedged app).

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Connects to the unix stream socket at `path`, giving up after `timeout`
/// (an error of kind `TimedOut`). Linux bounds a blocking unix connect by the
/// socket's send timeout (SO_SNDTIMEO, socket(7)), failing with EAGAIN.
pub fn connect(path: &Path, timeout: Duration) -> io::Result<UnixStream> {
    let bytes = path.as_os_str().as_bytes();
    // SAFETY: sockaddr_un is plain old data; all-zero is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    // Errnos, not io::Error::new: a boxed message pulls in its Debug impl
    // and Unicode tables (-2 KiB in the tiny build).
    if bytes.contains(&0) {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    if bytes.len() >= addr.sun_path.len() {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, &src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = src as libc::c_char;
    }
    // SAFETY: socket takes integers; the new fd is owned by `fd` just below.
    let raw = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this fd and nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let tv = libc::timeval {
        tv_sec: timeout.as_secs().min(i32::MAX as u64) as _,
        // At least 1 µs: a zero timeval would mean "block forever".
        tv_usec: timeout.subsec_micros().max(u32::from(timeout.is_zero())) as _,
    };
    let len = std::mem::size_of::<libc::timeval>() as libc::socklen_t;
    // SAFETY: passes a pointer to a local timeval and its exact size.
    let rc = unsafe {
        libc::setsockopt(
            raw,
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            (&tv as *const libc::timeval).cast(),
            len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let addr_len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    // SAFETY: `addr` is a filled sockaddr_un on our stack, `addr_len` its size.
    let rc = unsafe { libc::connect(raw, (&addr as *const libc::sockaddr_un).cast(), addr_len) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        return Err(match err.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EINPROGRESS) => {
                io::Error::from(io::ErrorKind::TimedOut)
            }
            _ => err,
        });
    }
    Ok(UnixStream::from(fd))
}
