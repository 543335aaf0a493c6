//! Reaching a target under the deadline: try every address in turn, or a unix
//! socket, and a stream whose every read and write is bounded by what is left
//! of the deadline.

use alloc::vec;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;

use super::deadline::Deadline;
use super::report::Failure;
use super::target::Target;
use crate::sys::net::{Stream, connect_tcp};

/// A byte stream the HTTP client talks over: a socket, or TLS on top of one.
/// Errors are already the probe's failures.
pub trait Conn {
    /// Reads some bytes; 0 at end of stream.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Failure>;
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), Failure>;
}

/// A socket whose every read and write gets the time left before the
/// deadline as its timeout, so a peer that drips one byte at a time still
/// cannot keep a probe alive past the deadline. TLS runs on top of this, so
/// each socket read rustls makes is bounded too.
pub struct Bounded {
    inner: Stream,
    deadline: Deadline,
}

impl Bounded {
    pub fn new(inner: Stream, deadline: Deadline) -> Bounded {
        Bounded { inner, deadline }
    }

    fn left(&self) -> Result<Duration, Failure> {
        self.deadline
            .remaining()
            .ok_or(Failure::TimedOut(self.deadline.total()))
    }

    /// Writes some of `bytes`; how many went out.
    pub fn write(&mut self, bytes: &[u8]) -> Result<usize, Failure> {
        let left = self.left()?;
        self.inner
            .write(bytes, left)
            .map_err(|e| Failure::from_errno(e, self.deadline))
    }
}

impl Conn for Bounded {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Failure> {
        let left = self.left()?;
        self.inner
            .read(buf, left)
            .map_err(|e| Failure::from_errno(e, self.deadline))
    }

    fn write_all(&mut self, mut bytes: &[u8]) -> Result<(), Failure> {
        while !bytes.is_empty() {
            let n = self.write(bytes)?;
            bytes = bytes.get(n..).unwrap_or_default();
        }
        Ok(())
    }
}

/// More addresses than this are not tried: each would get a sliver of the budget.
const MAX_ADDRESSES: usize = 16;

/// Opens a connection for `target`: to `unix` when given, else to each address
/// the host resolves to until one accepts.
pub fn connect(
    target: &Target,
    unix: Option<&[u8]>,
    deadline: Deadline,
) -> Result<Stream, Failure> {
    if let Some(path) = unix {
        // connect(2) on a unix stream socket blocks while the listener's
        // backlog is full (a wedged app): bounded by what is left of the deadline.
        let Some(left) = deadline.remaining() else {
            return Err(Failure::TimedOut(deadline.total()));
        };
        return crate::sys::unix_socket::connect(path, left)
            .map_err(|e| Failure::from_errno(e, deadline));
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
        let even = left.checked_div((count - i) as u32).unwrap_or(left);
        let share = even.max(Duration::from_millis(1).min(left));
        match connect_tcp(addr, share) {
            Ok(s) => return Ok(s),
            Err(e) => last = Failure::from_errno(e, deadline),
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
    let mut addrs = Vec::with_capacity(ips.len());
    for ip in ips {
        addrs.push(SocketAddr::new(ip, target.port));
    }
    Ok(addrs)
}
