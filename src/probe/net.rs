//! Reaching a target under the deadline: resolve on a helper thread, try every
//! address in turn, unix sockets, and a stream whose every read and write is
//! bounded by what is left of the deadline.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use super::deadline::Deadline;
use super::report::Failure;
use super::target::Target;

/// A byte stream whose blocking calls can be bounded (TCP or unix socket).
pub trait Transport: Read + Write + Send {
    fn set_read_limit(&self, limit: Duration) -> io::Result<()>;
    fn set_write_limit(&self, limit: Duration) -> io::Result<()>;
}

impl Transport for TcpStream {
    fn set_read_limit(&self, limit: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(limit))
    }
    fn set_write_limit(&self, limit: Duration) -> io::Result<()> {
        self.set_write_timeout(Some(limit))
    }
}

impl Transport for UnixStream {
    fn set_read_limit(&self, limit: Duration) -> io::Result<()> {
        self.set_read_timeout(Some(limit))
    }
    fn set_write_limit(&self, limit: Duration) -> io::Result<()> {
        self.set_write_timeout(Some(limit))
    }
}

/// A transport whose every read and write gets the time left before the
/// deadline as its timeout, so a peer that drips one byte at a time still
/// cannot keep a probe alive past the deadline. TLS runs on top of this, so
/// each socket read rustls makes is bounded too.
pub struct Bounded {
    inner: Box<dyn Transport>,
    deadline: Deadline,
}

impl Bounded {
    pub fn new(inner: Box<dyn Transport>, deadline: Deadline) -> Bounded {
        Bounded { inner, deadline }
    }

    fn left(&self) -> io::Result<Duration> {
        self.deadline
            .remaining()
            .ok_or_else(|| io::Error::from(io::ErrorKind::TimedOut))
    }
}

/// SO_RCVTIMEO/SO_SNDTIMEO expiry surfaces as EAGAIN (socket(7)): call it a timeout.
fn timeout_kind(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::Error::from(io::ErrorKind::TimedOut)
    } else {
        e
    }
}

impl Read for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            self.inner.set_read_limit(self.left()?)?;
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r.map_err(timeout_kind),
            }
        }
    }
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            self.inner.set_write_limit(self.left()?)?;
            match self.inner.write(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r.map_err(timeout_kind),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// More addresses than this are not tried: each would get a sliver of the budget.
const MAX_ADDRESSES: usize = 16;

/// Opens a connection for `target`: to `unix` when given, else to each address
/// the host resolves to until one accepts.
pub fn connect(
    target: &Target,
    unix: Option<&Path>,
    deadline: Deadline,
) -> Result<Box<dyn Transport>, Failure> {
    if let Some(path) = unix {
        // connect(2) on a unix stream socket blocks while the listener's
        // backlog is full (a wedged app): bounded by what is left of the deadline.
        let Some(left) = deadline.remaining() else {
            return Err(Failure::TimedOut(deadline.total()));
        };
        return match crate::sys::unix_socket::connect(path, left) {
            Ok(s) => Ok(Box::new(s)),
            Err(e) => Err(Failure::from_io(e, deadline)),
        };
    }
    let addrs = resolve(target, deadline)?;
    let count = addrs.len().min(MAX_ADDRESSES);
    let mut last = Failure::TimedOut(deadline.total());
    for (i, addr) in addrs.iter().take(count).enumerate() {
        let Some(left) = deadline.remaining() else {
            return Err(Failure::TimedOut(deadline.total()));
        };
        // An address that swallows SYNs must not eat the budget of the ones
        // after it: split what is left evenly, the last one gets the rest.
        let share = (left / (count - i) as u32).max(Duration::from_millis(1).min(left));
        match TcpStream::connect_timeout(addr, share) {
            Ok(s) => return Ok(Box::new(s)),
            Err(e) => last = Failure::from_io(e, deadline),
        }
    }
    Err(last)
}

/// The addresses of the target's host: a literal as is, a name resolved
/// under the deadline (resolve.rs says why not getaddrinfo).
fn resolve(target: &Target, deadline: Deadline) -> Result<Vec<SocketAddr>, Failure> {
    let ips = match target.ip() {
        Some(ip) => vec![ip],
        None => super::resolve::resolve(&target.host, deadline)?,
    };
    Ok(ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, target.port))
        .collect())
}
