//! Host names to addresses under the deadline, without getaddrinfo(3) or a
//! thread: /etc/hosts first, then A and AAAA queries over UDP to resolv.conf's
//! name servers, with its `search` and `ndots` rules.
//!
//! Why not getaddrinfo: it has no timeout, so bounding it needs a helper thread,
//! and thread support plus musl's resolver cost 45 KiB of a 512 KiB budget.
//! This file is what a probe needs of a stub resolver (RFC 1035), nothing more.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use alloc::{format, vec};
use core::ffi::CStr;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use core::time::Duration;

use super::deadline::Deadline;
use super::ip_literal;
use super::report::Failure;
use crate::human::number;
use crate::sys::Errno;
use crate::sys::fs::{self, lines, split};
use crate::sys::net::{UdpSocket, recv_from_any};
use crate::sys::time::wall_subsec_nanos;

const HOSTS: &CStr = c"/etc/hosts";
const RESOLV_CONF: &CStr = c"/etc/resolv.conf";
/// Queries are resent this often while no answer came (UDP may drop them).
const RESEND: Duration = Duration::from_secs(1);
/// Once A or AAAA has answered with addresses, how much longer the other type
/// is waited for. RFC 8305 section 3 waits 50 ms for AAAA after A; this gives
/// a slow server three times that, and bounds what a server that drops one
/// type (common for AAAA) costs a probe.
const OTHER_TYPE_WAIT: Duration = Duration::from_millis(150);
const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;

/// Every address of `host`, IPv6 first, as getaddrinfo(3) orders loopback.
pub fn resolve(host: &str, deadline: Deadline) -> Result<Vec<IpAddr>, Failure> {
    let name = host.strip_suffix('.').unwrap_or(host);
    let hosts = fs::read(HOSTS).unwrap_or_default();
    let found = from_hosts(&hosts, name);
    if !found.is_empty() {
        return Ok(found);
    }
    // RFC 6761 section 6.3: localhost names are loopback, asked or not.
    let lower = name.to_ascii_lowercase();
    if lower == "localhost" || lower.ends_with(".localhost") {
        return Ok(vec![
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
        ]);
    }
    let conf = Conf::parse(&fs::read(RESOLV_CONF).unwrap_or_default());
    for candidate in conf.candidates(host) {
        let found = query(&candidate, &conf.servers, deadline)?;
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Err(Failure::Resolve)
}

/// The addresses hosts(5) lists for `name` (any of a line's names, any case).
/// Lines are bytes with the comment cut first: only the address need be text.
pub(crate) fn from_hosts(file: &[u8], name: &str) -> Vec<IpAddr> {
    let mut found = Vec::new();
    for line in lines(file) {
        let line = split(line, b'#').next().unwrap_or_default();
        let mut fields = words(line);
        let Some(addr) = fields.next().and_then(text).and_then(ip_literal::ip) else {
            continue;
        };
        if fields.any(|n| super::same_name(n, name.as_bytes())) && !found.contains(&addr) {
            found.push(addr);
        }
    }
    found
}

/// A line's words: bytes between ASCII blanks.
pub(crate) fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(u8::is_ascii_whitespace)
        .filter(|w| !w.is_empty())
}

fn text(word: &[u8]) -> Option<&str> {
    core::str::from_utf8(word).ok()
}

/// What resolv.conf(5) says that a stub resolver needs.
pub(crate) struct Conf {
    servers: Vec<IpAddr>,
    search: Vec<String>,
    ndots: usize,
}

impl Conf {
    pub(crate) fn parse(file: &[u8]) -> Conf {
        let mut conf = Conf {
            servers: Vec::new(),
            search: Vec::new(),
            ndots: 1,
        };
        // Names and options are text: a line that is not UTF-8 is skipped.
        for line in lines(file).filter_map(text) {
            let mut words = line.split_ascii_whitespace();
            match words.next() {
                // At most 3 servers, as MAXNS in glibc and musl.
                Some("nameserver") if conf.servers.len() < 3 => {
                    if let Some(ip) = words.next().and_then(ip_literal::ip) {
                        conf.servers.push(ip);
                    }
                }
                // The last of `search` and `domain` wins, as in glibc.
                Some("search" | "domain") => {
                    conf.search.clear();
                    for word in words.take(6) {
                        conf.search.push(word.to_owned());
                    }
                }
                Some("options") => {
                    for w in words {
                        if let Some(n) = w.strip_prefix("ndots:").and_then(number) {
                            conf.ndots = n.min(15) as usize;
                        }
                    }
                }
                _ => {}
            }
        }
        if conf.servers.is_empty() {
            conf.servers.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        conf
    }

    /// Names to ask for, in order: an absolute name (trailing dot) as is; a
    /// name with at least `ndots` dots before the search list, others after.
    pub(crate) fn candidates(&self, host: &str) -> Vec<String> {
        if let Some(absolute) = host.strip_suffix('.') {
            return vec![absolute.to_owned()];
        }
        let mut names = Vec::with_capacity(self.search.len() + 1);
        for domain in &self.search {
            names.push(format!("{host}.{domain}"));
        }
        let dots = host.bytes().filter(|&b| b == b'.').count();
        let at = if dots >= self.ndots { 0 } else { names.len() };
        names.insert(at, host.to_owned());
        names
    }
}

/// Asks every server for A and AAAA records of `name` at once (as musl does)
/// and takes the first usable answer for each type. Empty: no such name.
/// Once one type has brought addresses, the other gets only OTHER_TYPE_WAIT
/// more: a server that drops AAAA queries must not cost the deadline.
fn query(name: &str, servers: &[IpAddr], deadline: Deadline) -> Result<Vec<IpAddr>, Failure> {
    let timed_out = || Failure::TimedOut(deadline.total());
    let id = wall_subsec_nanos() as u16;
    let (Some(ask_a), Some(ask_aaaa)) = (
        question(id, name, TYPE_A),
        question(id ^ 1, name, TYPE_AAAA),
    ) else {
        return Ok(Vec::new()); // not a valid DNS name: nothing can answer
    };
    let socks = Sockets::open(servers);
    if socks.servers.is_empty() {
        return match socks.error {
            Some(e) => Err(Failure::from_errno(e, deadline)),
            None => Ok(Vec::new()),
        };
    }
    let servers = &socks.servers;
    let asks = [&ask_a, &ask_aaaa];
    // Per type (A, AAAA): its answer is in, or every server failed it.
    let mut done = [false; 2];
    let mut failed = [0; 2];
    let mut found = [Vec::new(), Vec::new()];
    let mut other_until: Option<Deadline> = None;
    let mut buf = [0u8; 512]; // a UDP answer without EDNS fits in 512 bytes
    'ask: while !(done[0] && done[1]) {
        for server in servers {
            for (ask, _) in asks.iter().zip(done).filter(|(_, done)| !done) {
                let _ = socks.send(ask, server);
            }
        }
        let resend_at = Deadline::after(RESEND);
        while let Some(wait) = resend_at.remaining() {
            let mut wait = wait.min(deadline.remaining().ok_or_else(timed_out)?);
            if let Some(until) = other_until {
                match until.remaining() {
                    Some(left) => wait = wait.min(left),
                    None => break 'ask, // use what arrived
                }
            }
            let n = match socks.recv(&mut buf, wait) {
                Ok((n, from)) if servers.contains(&from) => n,
                Ok(_) => continue,
                Err(e) if e.timed_out() || e.interrupted() => continue,
                Err(e) => return Err(Failure::from_errno(e, deadline)),
            };
            let Some(msg) = buf.get(..n) else {
                continue;
            };
            for i in 0..2 {
                match answer(msg, asks[i], &mut found[i]) {
                    Some(Rcode::Answered) => done[i] = true,
                    // No such name: the other type will say the same.
                    Some(Rcode::NoName) => return Ok(Vec::new()),
                    Some(Rcode::Failed) => {
                        failed[i] += 1;
                        done[i] |= failed[i] >= servers.len();
                    }
                    None => {}
                }
            }
            if done[0] && done[1] {
                break;
            }
            if other_until.is_none() && (0..2).any(|i| done[i] && !found[i].is_empty()) {
                other_until = Some(Deadline::after(OTHER_TYPE_WAIT));
            }
        }
    }
    let [v4, mut v6] = found;
    v6.extend(v4);
    Ok(v6)
}

/// The name servers to ask, each through a socket of its own family: with
/// `net.ipv6.bindv6only=1` an `[::]` socket cannot reach IPv4 servers at their
/// v4-mapped addresses (ipv6(7)), and where IPv6 is off there is no `[::]`.
struct Sockets {
    v4: Option<UdpSocket>,
    v6: Option<UdpSocket>,
    /// Servers whose family has a socket, port 53.
    servers: Vec<SocketAddr>,
    /// Why a family has no socket, if one has none.
    error: Option<Errno>,
}

impl Sockets {
    fn open(servers: &[IpAddr]) -> Sockets {
        let mut socks = Sockets {
            v4: None,
            v6: None,
            servers: Vec::new(),
            error: None,
        };
        for &ip in servers {
            let (slot, any) = match ip {
                IpAddr::V4(_) => (&mut socks.v4, IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
                IpAddr::V6(_) => (&mut socks.v6, IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
            };
            if slot.is_none() {
                match UdpSocket::bind(&SocketAddr::new(any, 0)) {
                    Ok(sock) => *slot = Some(sock),
                    Err(e) => {
                        socks.error = Some(e);
                        continue;
                    }
                }
            }
            socks.servers.push(SocketAddr::new(ip, 53));
        }
        socks
    }

    fn send(&self, bytes: &[u8], to: &SocketAddr) -> Option<usize> {
        let sock = if to.is_ipv4() { &self.v4 } else { &self.v6 };
        sock.as_ref()?.send_to(bytes, to).ok()
    }

    fn recv(&self, buf: &mut [u8], timeout: Duration) -> Result<(usize, SocketAddr), Errno> {
        let mut both = [&self.v4, &self.v6].into_iter().flatten();
        match (both.next(), both.next()) {
            (Some(a), Some(b)) => recv_from_any(&[a, b], buf, timeout),
            (Some(a), None) => a.recv_from(buf, timeout),
            (None, _) => Err(Errno::BAD_FD),
        }
    }
}

/// A query message: header with recursion desired, one question (RFC 1035 4.1).
/// `None` if `name` cannot be a DNS name.
pub(crate) fn question(id: u16, name: &str, qtype: u16) -> Option<Vec<u8>> {
    let mut m = Vec::with_capacity(18 + name.len());
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&[0, 1]); // class IN
    (m.len() <= 12 + 255 + 4).then_some(m)
}

pub(crate) enum Rcode {
    Answered,
    NoName,
    Failed,
}

/// Reads the response `msg` to the query `ask`, adding its addresses to `out`.
/// `None` when it is not the response to `ask` (wrong id or question).
pub(crate) fn answer(msg: &[u8], ask: &[u8], out: &mut Vec<IpAddr>) -> Option<Rcode> {
    // Same id, QR set, and the question echoed byte for byte (a query is
    // its 12-byte header, then the question).
    let question = msg.get(12..ask.len())?;
    let (&[id0, id1, flags, rcode, _, _, count0, count1, ..], &[ask0, ask1, ..]) = (msg, ask)
    else {
        return None;
    };
    if [id0, id1] != [ask0, ask1] || flags & 0x80 == 0 || ask.get(12..) != Some(question) {
        return None;
    }
    match rcode & 0x0f {
        0 => {}
        3 => return Some(Rcode::NoName),
        _ => return Some(Rcode::Failed),
    }
    let count = u16::from_be_bytes([count0, count1]);
    let mut pos = ask.len();
    for _ in 0..count {
        pos = skip_name(msg, pos)?;
        let field = |at: usize| {
            msg.get(at..at + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
        };
        let rtype = field(pos)?;
        let len = field(pos + 8)? as usize;
        let data = msg.get(pos + 10..pos + 10 + len)?;
        // A CNAME chain comes with its records; any A/AAAA here is the answer.
        let ip = match (rtype, <[u8; 4]>::try_from(data), <[u8; 16]>::try_from(data)) {
            (TYPE_A, Ok(v4), _) => IpAddr::from(v4),
            (TYPE_AAAA, _, Ok(v6)) => IpAddr::from(v6),
            _ => {
                pos += 10 + len;
                continue;
            }
        };
        if !out.contains(&ip) {
            out.push(ip);
        }
        pos += 10 + len;
    }
    Some(Rcode::Answered)
}

/// The offset after a (possibly compressed) name at `pos`.
fn skip_name(msg: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let len = *msg.get(pos)? as usize;
        match len {
            0 => return Some(pos + 1),
            l if l & 0xc0 == 0xc0 => return Some(pos + 2),
            l if l & 0xc0 == 0 => pos += 1 + l,
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_file() {
        let text =
            "127.0.0.1 localhost\n::1 dualhost # v6 first\n127.0.0.1\tweb DualHost\nfe80::1%lo x\n";
        let text = text.as_bytes();
        assert_eq!(
            from_hosts(text, "dualhost"),
            vec![
                "::1".parse::<IpAddr>().unwrap(),
                "127.0.0.1".parse().unwrap()
            ]
        );
        assert!(from_hosts(text, "v6").is_empty());
        assert!(from_hosts(text, "x").is_empty());
    }

    #[test]
    fn a_line_that_is_not_utf8_spoils_only_itself() {
        let hosts = b"127.0.0.9 caf\xe9\n127.0.0.1 web\n";
        assert_eq!(from_hosts(hosts, "web"), vec![IpAddr::from([127, 0, 0, 1])]);
        let conf = Conf::parse(b"search caf\xe9\nnameserver 10.0.0.2\n");
        assert_eq!(conf.servers, vec![IpAddr::from([10, 0, 0, 2])]);
    }

    // A Latin-1 comment or other name hid the whole line; now only the
    // address must be UTF-8 (lines split as bytes, comment cut first).
    #[test]
    fn a_latin1_comment_after_a_name_keeps_the_name() {
        let hosts = b"127.0.0.1 db # caf\xe9\n127.0.0.2 caf\xe9 web\n127.0.0.\xb3 db\n";
        assert_eq!(from_hosts(hosts, "db"), vec![IpAddr::from([127, 0, 0, 1])]);
        assert_eq!(from_hosts(hosts, "web"), vec![IpAddr::from([127, 0, 0, 2])]);
        assert!(from_hosts(hosts, "caf").is_empty());
    }

    #[test]
    fn resolv_conf_and_search() {
        let c = Conf::parse(
            b"nameserver 10.96.0.10\nsearch ns.svc.cluster.local svc.cluster.local\noptions ndots:5 timeout:1\n",
        );
        assert_eq!(c.servers, vec!["10.96.0.10".parse::<IpAddr>().unwrap()]);
        assert_eq!(
            c.candidates("api"),
            ["api.ns.svc.cluster.local", "api.svc.cluster.local", "api"]
        );
        assert_eq!(
            c.candidates("a.b.c.d.e.f"),
            [
                "a.b.c.d.e.f",
                "a.b.c.d.e.f.ns.svc.cluster.local",
                "a.b.c.d.e.f.svc.cluster.local"
            ]
        );
        assert_eq!(c.candidates("db."), ["db"]);
        let empty = Conf::parse(b"");
        assert_eq!(empty.servers, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
        assert_eq!(empty.candidates("db"), ["db"]);
    }

    #[test]
    fn reads_answers() {
        let ask = question(0x1234, "db.test", TYPE_A).unwrap();
        let mut msg = ask.clone();
        msg[2] |= 0x80; // QR
        msg[7] = 2; // two answers: a CNAME, then an A record
        msg.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12]);
        msg.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 7]);
        let mut out = Vec::new();
        assert!(matches!(
            answer(&msg, &ask, &mut out),
            Some(Rcode::Answered)
        ));
        assert_eq!(out, vec![IpAddr::from([10, 0, 0, 7])]);
        let other = question(0x1235, "db.test", TYPE_A).unwrap();
        assert!(answer(&msg, &other, &mut out).is_none());
        msg[3] = 3;
        assert!(matches!(answer(&msg, &ask, &mut out), Some(Rcode::NoName)));
        msg.truncate(20);
        assert!(answer(&msg, &ask, &mut out).is_none());
        assert!(question(1, "a..b", TYPE_A).is_none());
    }
}
