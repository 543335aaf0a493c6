//! Sockets for the probe: a TCP connect bounded by a timeout, a connected
//! stream whose every read and write waits at most a given time, and the UDP
//! socket the resolver asks name servers through. Addresses are `core::net`'s.
//!
//! Every socket is non-blocking and waits in poll(2): a wait is bounded by the
//! caller's timeout, and an expired one is ETIMEDOUT.

use core::mem::size_of;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use core::time::Duration;

use super::errno::{Errno, Result, check};
use super::fd::Fd;
use super::time::Instant;

/// A connected stream socket (TCP or unix), non-blocking.
#[derive(Debug)]
pub struct Stream(Fd);

impl Stream {
    pub(super) fn from_fd(fd: Fd) -> Stream {
        Stream(fd)
    }

    pub(super) fn raw(&self) -> i32 {
        self.0.raw()
    }

    /// Reads what is there within `timeout`; 0 at end of stream.
    pub fn read(&self, buf: &mut [u8], timeout: Duration) -> Result<usize> {
        wait(&self.0, libc::POLLIN, timeout)?;
        loop {
            // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
            let n = unsafe {
                libc::recv(
                    self.0.raw(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            match check(n as i64) {
                Ok(n) => return Ok(n as usize),
                Err(e) if e.interrupted() => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes some of `bytes` within `timeout`; returns how many went out.
    /// MSG_NOSIGNAL: a peer that closed is EPIPE, never a SIGPIPE.
    pub fn write(&self, bytes: &[u8], timeout: Duration) -> Result<usize> {
        wait(&self.0, libc::POLLOUT, timeout)?;
        loop {
            // SAFETY: the kernel reads at most `bytes.len()` bytes from `bytes`.
            let n = unsafe {
                libc::send(
                    self.0.raw(),
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                )
            };
            match check(n as i64) {
                Ok(n) => return Ok(n as usize),
                Err(e) if e.interrupted() => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Waits until `fd` is ready for `events` (or has an error or hang-up to
/// report, which the next call then returns), at most `timeout`.
fn wait(fd: &Fd, events: i16, timeout: Duration) -> Result<()> {
    let end = Instant::now() + timeout;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let mut pfd = libc::pollfd {
            fd: fd.raw(),
            events,
            revents: 0,
        };
        // SAFETY: one valid pollfd on our stack, count 1.
        match check(unsafe { libc::poll(&mut pfd, 1, poll_ms(left)) }) {
            Ok(0) => return Err(Errno(libc::ETIMEDOUT)),
            Ok(_) => return Ok(()),
            Err(e) if e.interrupted() => {}
            Err(e) => return Err(e),
        }
    }
}

fn socket(family: i32, kind: i32) -> Result<Fd> {
    // SAFETY: socket takes integers; the new fd is owned by the Fd returned.
    let raw = unsafe { libc::socket(family, kind | libc::SOCK_CLOEXEC, 0) };
    check(raw).map(Fd::own)
}

/// A socket address in the kernel's layout, and its length.
pub(super) struct RawAddr {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl RawAddr {
    fn empty() -> RawAddr {
        RawAddr {
            // SAFETY: sockaddr_storage is plain old data: all-zero is valid.
            storage: unsafe { core::mem::zeroed() },
            len: size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }

    fn new(addr: &SocketAddr) -> RawAddr {
        let mut raw = RawAddr::empty();
        match addr {
            SocketAddr::V4(a) => {
                // SAFETY: sockaddr_storage is larger than sockaddr_in and
                // aligned for it (socket(7)).
                let sin = unsafe {
                    &mut *(&mut raw.storage as *mut libc::sockaddr_storage)
                        .cast::<libc::sockaddr_in>()
                };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
                raw.len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            }
            SocketAddr::V6(a) => {
                // SAFETY: as above, for sockaddr_in6.
                let sin6 = unsafe {
                    &mut *(&mut raw.storage as *mut libc::sockaddr_storage)
                        .cast::<libc::sockaddr_in6>()
                };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_flowinfo = a.flowinfo();
                sin6.sin6_addr.s6_addr = a.ip().octets();
                sin6.sin6_scope_id = a.scope_id();
                raw.len = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            }
        }
        raw
    }

    fn ptr(&self) -> *const libc::sockaddr {
        (&self.storage as *const libc::sockaddr_storage).cast()
    }

    fn to_addr(&self) -> Option<SocketAddr> {
        match i32::from(self.storage.ss_family) {
            libc::AF_INET => {
                // SAFETY: the kernel wrote a sockaddr_in (family AF_INET).
                let sin = unsafe {
                    &*(&self.storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>()
                };
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Some(SocketAddr::V4(SocketAddrV4::new(
                    ip,
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 => {
                // SAFETY: the kernel wrote a sockaddr_in6 (family AF_INET6).
                let sin6 = unsafe {
                    &*(&self.storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
                };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                    u16::from_be(sin6.sin6_port),
                    sin6.sin6_flowinfo,
                    sin6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }
}

fn family(ip: &IpAddr) -> i32 {
    match ip {
        IpAddr::V4(_) => libc::AF_INET,
        IpAddr::V6(_) => libc::AF_INET6,
    }
}

/// Connects a TCP socket to `addr`, giving up after `timeout` (ETIMEDOUT).
pub fn connect_tcp(addr: &SocketAddr, timeout: Duration) -> Result<Stream> {
    let fd = socket(family(&addr.ip()), libc::SOCK_STREAM | libc::SOCK_NONBLOCK)?;
    let raw = RawAddr::new(addr);
    // SAFETY: `raw` holds a filled socket address of length `raw.len`.
    let rc = unsafe { libc::connect(fd.raw(), raw.ptr(), raw.len) };
    if rc == 0 {
        return Ok(Stream(fd));
    }
    let err = Errno::last();
    if err.0 != libc::EINPROGRESS && !err.interrupted() {
        return Err(err);
    }
    // A non-blocking connect finishes in the background: writable means done,
    // and SO_ERROR says how it went (connect(2)).
    wait(&fd, libc::POLLOUT, timeout)?;
    let mut so_error: i32 = 0;
    let mut len = size_of::<i32>() as libc::socklen_t;
    // SAFETY: writes one i32 and its length into locals of ours.
    check(unsafe {
        libc::getsockopt(
            fd.raw(),
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut so_error as *mut i32).cast(),
            &mut len,
        )
    })?;
    match so_error {
        0 => Ok(Stream(fd)),
        e => Err(Errno(e)),
    }
}

/// A UDP socket, non-blocking.
pub struct UdpSocket(Fd);

impl UdpSocket {
    /// A socket bound to `addr` (port 0: any free port).
    pub fn bind(addr: &SocketAddr) -> Result<UdpSocket> {
        let fd = socket(family(&addr.ip()), libc::SOCK_DGRAM | libc::SOCK_NONBLOCK)?;
        let raw = RawAddr::new(addr);
        // SAFETY: `raw` holds a filled socket address of length `raw.len`.
        check(unsafe { libc::bind(fd.raw(), raw.ptr(), raw.len) })?;
        Ok(UdpSocket(fd))
    }

    /// Sends one datagram to `to`.
    pub fn send_to(&self, bytes: &[u8], to: &SocketAddr) -> Result<usize> {
        let raw = RawAddr::new(to);
        // SAFETY: reads `bytes` and the filled address `raw`, both alive here.
        let n = unsafe {
            libc::sendto(
                self.0.raw(),
                bytes.as_ptr().cast(),
                bytes.len(),
                libc::MSG_NOSIGNAL,
                raw.ptr(),
                raw.len,
            )
        };
        check(n as i64).map(|n| n as usize)
    }

    /// Receives one datagram within `timeout`, with its sender.
    pub fn recv_from(&self, buf: &mut [u8], timeout: Duration) -> Result<(usize, SocketAddr)> {
        recv_from_any(&[self], buf, timeout)
    }

    /// Receives one datagram now, or EAGAIN.
    fn recv_now(&self, buf: &mut [u8]) -> Result<(usize, SocketAddr)> {
        let mut from = RawAddr::empty();
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf` and
        // at most `from.len` bytes into `from.storage`, updating `from.len`.
        let n = unsafe {
            libc::recvfrom(
                self.0.raw(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
                (&mut from.storage as *mut libc::sockaddr_storage).cast(),
                &mut from.len,
            )
        };
        let n = check(n as i64)? as usize;
        let addr = from.to_addr().ok_or(Errno(libc::EAFNOSUPPORT))?;
        Ok((n, addr))
    }
}

/// Receives one datagram from whichever of `socks` (at most 2: one per
/// address family) has one first, within `timeout`, with its sender.
pub fn recv_from_any(
    socks: &[&UdpSocket],
    buf: &mut [u8],
    timeout: Duration,
) -> Result<(usize, SocketAddr)> {
    let end = Instant::now() + timeout;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let mut pfds = [libc::pollfd {
            fd: -1, // poll(2) ignores negative fds
            events: libc::POLLIN,
            revents: 0,
        }; 2];
        for (pfd, sock) in pfds.iter_mut().zip(socks) {
            pfd.fd = sock.0.raw();
        }
        // SAFETY: `pfds` is a valid array of 2 pollfds on our stack.
        let ready = unsafe { libc::poll(pfds.as_mut_ptr(), 2, poll_ms(left)) };
        match check(ready) {
            Ok(0) => return Err(Errno(libc::ETIMEDOUT)),
            Ok(_) => {}
            Err(e) if e.interrupted() => continue,
            Err(e) => return Err(e),
        }
        for (pfd, sock) in pfds.iter().zip(socks) {
            if pfd.revents != 0 {
                match sock.recv_now(buf) {
                    Err(Errno(libc::EAGAIN)) => {}
                    Err(e) if e.interrupted() => {}
                    done => return done,
                }
            }
        }
    }
}

/// A poll(2) timeout in milliseconds, rounded up, so a wait never ends just
/// before its deadline and spins. In u64 (whole seconds are whole
/// milliseconds): a u128 division links compiler-rt's, 190 B.
fn poll_ms(left: Duration) -> i32 {
    let ms = left
        .as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(left.subsec_nanos().div_ceil(1_000_000)));
    ms.min(i32::MAX as u64) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_timeouts_round_up_to_milliseconds() {
        for (secs, nanos) in [
            (0, 0),
            (0, 1),
            (0, 999_999),
            (0, 1_000_000),
            (0, 1_000_001),
            (2, 500_000_001),
            (2_147_483, 647_000_000),
            (2_147_483, 647_000_001),
            (u64::MAX, 999_999_999),
        ] {
            let d = Duration::new(secs, nanos);
            let want = d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32;
            assert_eq!(poll_ms(d), want, "{d:?}");
        }
    }

    #[test]
    fn tcp_and_udp_over_loopback() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let s = connect_tcp(&addr, Duration::from_secs(5)).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        assert_eq!(s.write(b"ping", Duration::from_secs(5)), Ok(4));
        let mut buf = [0u8; 8];
        use std::io::{Read, Write};
        assert_eq!(peer.read(&mut buf).unwrap(), 4);
        assert_eq!(
            s.read(&mut buf, Duration::from_millis(20)),
            Err(Errno(libc::ETIMEDOUT))
        );
        peer.write_all(b"pong").unwrap();
        assert_eq!(s.read(&mut buf, Duration::from_secs(5)), Ok(4));
        drop(peer);
        assert_eq!(s.read(&mut buf, Duration::from_secs(5)), Ok(0));
        drop(listener);
        assert_eq!(
            connect_tcp(&addr, Duration::from_secs(5)).map(drop),
            Err(Errno(libc::ECONNREFUSED))
        );

        let udp = UdpSocket::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
        let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.send_to(b"q", &peer.local_addr().unwrap()).unwrap();
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        peer.send_to(&buf[..n], from).unwrap();
        let (n, from) = udp.recv_from(&mut buf, Duration::from_secs(5)).unwrap();
        assert_eq!((n, from), (1, peer.local_addr().unwrap()));
    }
}
