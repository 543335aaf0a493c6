//! A unix-socket connect bounded by a timeout: a blocking connect(2) to a unix
//! socket waits for as long as the listener's backlog stays full (a wedged app).

use core::time::Duration;

use super::errno::{Errno, Result, check};
use super::fd::Fd;
use super::net::Stream;

/// Connects to the unix stream socket at `path`, giving up after `timeout`
/// (ETIMEDOUT). Linux bounds a blocking unix connect by the socket's send
/// timeout (SO_SNDTIMEO, socket(7)), failing with EAGAIN. The stream is then
/// made non-blocking, as every `Stream` is.
pub fn connect(path: &[u8], timeout: Duration) -> Result<Stream> {
    // SAFETY: sockaddr_un is plain old data; all-zero is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { core::mem::zeroed() };
    if path.contains(&0) {
        return Err(Errno(libc::EINVAL));
    }
    if path.len() >= addr.sun_path.len() {
        return Err(Errno(libc::ENAMETOOLONG));
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, &src) in addr.sun_path.iter_mut().zip(path) {
        *dst = src as libc::c_char;
    }
    // SAFETY: socket takes integers; the new fd is owned by `fd` just below.
    let raw = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    let fd = Fd::own(check(raw)?);
    let tv = libc::timeval {
        tv_sec: timeout.as_secs().min(i32::MAX as u64) as _,
        // At least 1 µs: a zero timeval would mean "block forever".
        tv_usec: timeout.subsec_micros().max(u32::from(timeout.is_zero())) as _,
    };
    let len = core::mem::size_of::<libc::timeval>() as libc::socklen_t;
    // SAFETY: passes a pointer to a local timeval and its exact size.
    check(unsafe {
        libc::setsockopt(
            raw,
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            (&tv as *const libc::timeval).cast(),
            len,
        )
    })?;
    let addr_len = core::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    // SAFETY: `addr` is a filled sockaddr_un on our stack, `addr_len` its size.
    let rc = unsafe { libc::connect(raw, (&addr as *const libc::sockaddr_un).cast(), addr_len) };
    if rc != 0 {
        let err = Errno::last();
        return Err(match err.0 {
            libc::EAGAIN | libc::EINPROGRESS => Errno(libc::ETIMEDOUT),
            _ => err,
        });
    }
    // SAFETY: fcntl on our own fd with integer arguments.
    check(unsafe { libc::fcntl(raw, libc::F_SETFL, libc::O_NONBLOCK) })?;
    Ok(Stream::from_fd(fd))
}
