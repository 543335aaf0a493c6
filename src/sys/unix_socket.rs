//! Unix stream sockets: a connect bounded by a timeout (a blocking connect(2)
//! waits for as long as the listener's backlog stays full: a wedged app or
//! vigil), and the abstract listener `vigil health` asks, with the peer's pid.
//! A name starting with a NUL byte is abstract (unix(7)): no file, no mode.

use core::time::Duration;

use super::errno::{Errno, Result, check};
use super::fd::Fd;
use super::net::Stream;

/// A unix socket address for `name` and its length: a path's (NUL-terminated
/// in the zeroed tail), or an abstract name's (a leading NUL, or `@` as
/// `NOTIFY_SOCKET` writes it), whose every byte counts.
pub(super) fn address(name: &[u8]) -> Result<(libc::sockaddr_un, libc::socklen_t)> {
    // SAFETY: sockaddr_un is plain old data; all-zero is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { core::mem::zeroed() };
    let abstract_name = matches!(name.first(), Some(0 | b'@'));
    if name.is_empty() || !abstract_name && name.contains(&0) {
        return Err(Errno(libc::EINVAL));
    }
    if name.len() >= addr.sun_path.len() {
        return Err(Errno(libc::ENAMETOOLONG));
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, &src) in addr.sun_path.iter_mut().zip(name) {
        *dst = src as libc::c_char;
    }
    let len = if abstract_name {
        addr.sun_path[0] = 0;
        core::mem::size_of::<libc::sa_family_t>() + name.len()
    } else {
        core::mem::size_of::<libc::sockaddr_un>()
    };
    Ok((addr, len as libc::socklen_t))
}

fn socket(flags: i32) -> Result<Fd> {
    // SAFETY: socket takes integers; the new fd is owned by the Fd returned.
    let raw = unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC | flags,
            0,
        )
    };
    check(raw).map(Fd::own)
}

/// Connects to the unix stream socket `name`, giving up after `timeout`
/// (ETIMEDOUT). Linux bounds a blocking unix connect by the socket's send
/// timeout (SO_SNDTIMEO, socket(7)), failing with EAGAIN. The stream is then
/// made non-blocking, as every `Stream` is.
pub fn connect(name: &[u8], timeout: Duration) -> Result<Stream> {
    let (addr, addr_len) = address(name)?;
    let fd = socket(0)?;
    let raw = fd.raw();
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
    // SAFETY: `addr` is a filled sockaddr_un on our stack, `addr_len` at most its size.
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

/// A non-blocking listener bound to `name` (EADDRINUSE when taken).
pub fn listen(name: &[u8]) -> Result<Fd> {
    let (addr, addr_len) = address(name)?;
    let fd = socket(libc::SOCK_NONBLOCK)?;
    // SAFETY: `addr` is a filled sockaddr_un on our stack, `addr_len` at most
    // its size; listen takes integers (the backlog is capped at somaxconn).
    check(unsafe {
        libc::bind(
            fd.raw(),
            (&addr as *const libc::sockaddr_un).cast(),
            addr_len,
        )
    })?;
    // SAFETY: as above.
    check(unsafe { libc::listen(fd.raw(), libc::SOMAXCONN) })?;
    Ok(fd)
}

/// Accepts one waiting connection, non-blocking and close-on-exec; `None`
/// when none waits (EAGAIN) or it failed (the peer gave up already).
pub fn accept(listener: &Fd) -> Option<Fd> {
    // SAFETY: accept4 with null address pointers writes nothing of ours; the
    // new fd is owned by the Fd returned.
    let raw = unsafe {
        libc::accept4(
            listener.raw(),
            core::ptr::null_mut(),
            core::ptr::null_mut(),
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    };
    check(raw).ok().map(Fd::own)
}

/// Sends what fits of `bytes` at once: no wait, no SIGPIPE (MSG_NOSIGNAL), so
/// a peer that is gone or slow costs PID 1 nothing.
pub fn send_now(fd: &Fd, bytes: &[u8]) {
    // SAFETY: the kernel reads at most `bytes.len()` bytes from `bytes`.
    unsafe {
        libc::send(
            fd.raw(),
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
}

/// The pid of the process at the other end, as this process's PID namespace
/// numbers it: 0 when that process is outside it (SO_PEERCRED, unix(7)).
pub fn peer_pid(stream: &Stream) -> Result<i32> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = core::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into the local `cred`.
    check(unsafe {
        libc::getsockopt(
            stream.raw(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    })?;
    Ok(cred.pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abstract_listener_answers_and_names_its_peer() {
        let name = std::format!("\0vigil-test-{}", std::process::id());
        let listener = listen(name.as_bytes()).expect("listen");
        assert_eq!(listen(name.as_bytes()).err(), Some(Errno(libc::EADDRINUSE)));
        assert!(accept(&listener).is_none());
        let client = connect(name.as_bytes(), Duration::from_secs(1)).expect("connect");
        let server = accept(&listener).expect("accept");
        assert_eq!(peer_pid(&client), Ok(std::process::id() as i32));
        send_now(&server, b"ready\n");
        drop(server);
        let mut buf = [0u8; 16];
        let n = client.read(&mut buf, Duration::from_secs(1)).expect("read");
        assert_eq!(&buf[..n], b"ready\n");
        assert_eq!(client.read(&mut buf, Duration::from_secs(1)), Ok(0));
        drop(listener);
        let gone = connect(name.as_bytes(), Duration::from_secs(1));
        assert_eq!(gone.err(), Some(Errno(libc::ECONNREFUSED)));
    }
}
