//! The one HTTP/1.1 client, over any byte stream (TCP, unix socket, TLS): writes
//! the request, reads the response head and at most a bounded body prefix.
//!
//! Parsing is httparse's (status line, headers, chunk sizes); this file only
//! decides what to read next. Every buffer has a fixed size, so a peer sending
//! endless headers or body costs a bounded amount of memory.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use alloc::{format, vec};

use super::net::Conn;
use super::report::{Failure, clean_reason};
use super::target::Target;

/// A response head must fit in this many bytes (curl allows 100 KiB, nginx
/// 8 KiB by default); a larger one is a bad response, not a reason to grow.
const HEAD_LIMIT: usize = 16 * 1024;
const MAX_HEADERS: usize = 64;
/// How much of the body `--body-contains` searches.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Accepted statuses: `200-399` (the default, Kubernetes' rule) or a list
/// like `200-299,302`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusSet(Vec<(u16, u16)>);

impl StatusSet {
    pub fn default_set() -> StatusSet {
        StatusSet(vec![(200, 399)])
    }

    pub fn parse(text: &str) -> Result<StatusSet, String> {
        let bad = || format!("invalid status list '{text}' (use e.g. 200, 200-299,302)");
        let mut ranges = Vec::new();
        for item in text.split(',').map(str::trim) {
            let (lo, hi) = item.split_once('-').unwrap_or((item, item));
            let code = |s: &str| match s.trim().parse::<u16>() {
                Ok(n) if (100..=999).contains(&n) => Ok(n),
                _ => Err(bad()),
            };
            let (lo, hi) = (code(lo)?, code(hi)?);
            if lo > hi {
                return Err(bad());
            }
            ranges.push((lo, hi));
        }
        Ok(StatusSet(ranges))
    }

    pub fn contains(&self, code: u16) -> bool {
        self.0.iter().any(|&(lo, hi)| (lo..=hi).contains(&code))
    }
}

/// What to send and what to require beyond the status.
pub struct Request<'a> {
    pub method: &'a str,
    /// Extra headers, already validated; one named `Host` replaces ours.
    pub headers: &'a [(String, String)],
    pub body_contains: Option<&'a [u8]>,
}

/// The status of a final (non-1xx) response, and whether the body held the
/// `--body-contains` text (`true` when none was asked for).
pub struct Answer {
    pub code: u16,
    pub reason: String,
    pub body_matched: bool,
}

/// Sends one request for `target` over `stream` and reads the answer. The
/// stream must bound each call by the deadline (net::Bounded does).
pub fn exchange(stream: &mut dyn Conn, target: &Target, req: &Request) -> Result<Answer, Failure> {
    stream.write_all(&request_bytes(target, req))?;

    let mut buf = Buffer::new();
    let head = loop {
        match parse_head(buf.data())? {
            Some(head) if head.code / 100 == 1 && head.code != 101 => {
                // 103 Early Hints and friends: interim, the final status follows.
                buf.consume(head.len);
            }
            Some(head) => break head,
            None => {
                if buf.fill(stream, "head over 16 KiB")? == 0 {
                    return Err(if buf.data().is_empty() {
                        Failure::Closed
                    } else {
                        Failure::BadResponse("truncated head")
                    });
                }
            }
        }
    };
    buf.consume(head.len);
    let body_matched = match req.body_contains {
        None => true,
        Some(needle) => {
            let no_body =
                req.method.eq_ignore_ascii_case("HEAD") || head.code == 204 || head.code == 304;
            let framing = if no_body {
                Framing::Length(0)
            } else {
                head.framing
            };
            let mut matcher = Matcher::new(needle);
            read_body(stream, &mut buf, framing, &mut matcher)?;
            matcher.found
        }
    };
    Ok(Answer {
        code: head.code,
        reason: head.reason,
        body_matched,
    })
}

fn request_bytes(target: &Target, req: &Request) -> Vec<u8> {
    let ours = |name: &str| {
        !req.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let mut r = Vec::with_capacity(256);
    for part in [req.method, " ", &target.path, " HTTP/1.1\r\n"] {
        r.extend_from_slice(part.as_bytes());
    }
    if ours("Host") {
        push_header(&mut r, "Host", &target.host_header());
    }
    let agent = concat!("vigil/", env!("CARGO_PKG_VERSION"));
    // One request per connection: the probe never reuses it.
    for (name, value) in [
        ("User-Agent", agent),
        ("Accept", "*/*"),
        ("Connection", "close"),
    ] {
        if ours(name) {
            push_header(&mut r, name, value);
        }
    }
    for (name, value) in req.headers {
        push_header(&mut r, name, value);
    }
    r.extend_from_slice(b"\r\n");
    r
}

fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    for part in [name, ": ", value, "\r\n"] {
        out.extend_from_slice(part.as_bytes());
    }
}

/// How the body's end is marked (RFC 9112 section 6.3).
#[derive(Clone, Copy)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

struct Head {
    code: u16,
    reason: String,
    framing: Framing,
    /// Bytes the head took in the buffer.
    len: usize,
}

/// Parses a complete response head from `data`, `None` if more bytes are needed.
fn parse_head(data: &[u8]) -> Result<Option<Head>, Failure> {
    if data.is_empty() {
        return Ok(None);
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(data) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Failure::BadResponse("too many headers"));
        }
        Err(_) => return Err(Failure::BadResponse("not HTTP/1.x")),
    };
    let code = resp.code.unwrap_or(0);
    let mut framing = Framing::UntilClose;
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked is always the last coding when present (RFC 9112 6.1).
            let last = h.value.rsplit(|&b| b == b',').next().unwrap_or_default();
            if last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                framing = Framing::Chunked;
            }
        } else if h.name.eq_ignore_ascii_case("content-length")
            && !matches!(framing, Framing::Chunked)
        {
            let n = core::str::from_utf8(h.value.trim_ascii())
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(Failure::BadResponse("bad Content-Length"))?;
            framing = Framing::Length(n);
        }
    }
    Ok(Some(Head {
        code,
        reason: clean_reason(resp.reason.unwrap_or_default()),
        framing,
        len,
    }))
}

/// A fixed-size read buffer: `data()` is what is read and not yet consumed.
struct Buffer {
    bytes: Box<[u8]>,
    start: usize,
    end: usize,
}

impl Buffer {
    fn new() -> Buffer {
        Buffer {
            bytes: vec![0; HEAD_LIMIT].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    fn data(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }

    /// Reads more bytes after the unconsumed ones; 0 at end of stream. A full
    /// buffer is a bad response (`what` says which part outgrew it).
    fn fill(&mut self, stream: &mut dyn Conn, what: &'static str) -> Result<usize, Failure> {
        if self.start > 0 {
            self.bytes.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.bytes.len() {
            return Err(Failure::BadResponse(what));
        }
        let n = stream.read(&mut self.bytes[self.end..])?;
        self.end += n;
        Ok(n)
    }
}

/// Looks for the needle in the first BODY_LIMIT bytes of the body, keeping
/// only a window of needle-length bytes across reads.
struct Matcher<'a> {
    needle: &'a [u8],
    window: Vec<u8>,
    seen: usize,
    found: bool,
}

impl<'a> Matcher<'a> {
    fn new(needle: &'a [u8]) -> Matcher<'a> {
        Matcher {
            needle,
            window: Vec::with_capacity(2 * needle.len() + 4096),
            seen: 0,
            found: needle.is_empty(),
        }
    }

    /// Feeds body bytes; false once searching further is pointless.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        let take = bytes.len().min(BODY_LIMIT - self.seen);
        self.seen += take;
        for part in bytes[..take].chunks(4096) {
            self.window.extend_from_slice(part);
            if self
                .window
                .windows(self.needle.len())
                .any(|w| w == self.needle)
            {
                self.found = true;
                return false;
            }
            let keep = self.needle.len().saturating_sub(1).min(self.window.len());
            self.window.drain(..self.window.len() - keep);
        }
        self.seen < BODY_LIMIT
    }
}

/// Reads the body as framed until the matcher is satisfied or gives up.
fn read_body(
    stream: &mut dyn Conn,
    buf: &mut Buffer,
    framing: Framing,
    matcher: &mut Matcher,
) -> Result<(), Failure> {
    match framing {
        Framing::Length(n) => read_exact_len(stream, buf, n, matcher).map(drop),
        Framing::UntilClose => read_exact_len(stream, buf, u64::MAX, matcher).map(drop),
        Framing::Chunked => loop {
            let size = loop {
                match httparse::parse_chunk_size(buf.data()) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        buf.consume(used);
                        break size;
                    }
                    Ok(httparse::Status::Partial) => {
                        if buf.fill(stream, "chunk size line too long")? == 0 {
                            return Ok(());
                        }
                    }
                    Err(_) => return Err(Failure::BadResponse("bad chunk size")),
                }
            };
            if size == 0 {
                return Ok(());
            }
            if !read_exact_len(stream, buf, size, matcher)? {
                return Ok(());
            }
            // The CRLF after the chunk data.
            while buf.data().len() < 2 {
                if buf.fill(stream, "")? == 0 {
                    return Ok(());
                }
            }
            if &buf.data()[..2] != b"\r\n" {
                return Err(Failure::BadResponse("chunk without CRLF"));
            }
            buf.consume(2);
        },
    }
}

/// Feeds up to `len` body bytes to the matcher; false when reading should stop
/// (matched, limit reached, or the stream ended).
fn read_exact_len(
    stream: &mut dyn Conn,
    buf: &mut Buffer,
    mut len: u64,
    matcher: &mut Matcher,
) -> Result<bool, Failure> {
    while len > 0 {
        if buf.data().is_empty() && buf.fill(stream, "")? == 0 {
            return Ok(false);
        }
        let data = buf.data();
        let take = data.len().min(usize::try_from(len).unwrap_or(usize::MAX));
        let more = matcher.feed(&data[..take]);
        buf.consume(take);
        len -= take as u64;
        if !more {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_sets() {
        let d = StatusSet::default_set();
        assert!(d.contains(200) && d.contains(302) && d.contains(399));
        assert!(!d.contains(199) && !d.contains(400));
        let s = StatusSet::parse("200-299, 302").unwrap();
        assert!(s.contains(204) && s.contains(302) && !s.contains(301));
        for bad in ["", "x", "200-", "300-200", "99", "1000", "200,,302"] {
            assert!(StatusSet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matcher_finds_text_across_reads() {
        let mut m = Matcher::new(b"ready");
        assert!(m.feed(b"xxxre"));
        assert!(!m.feed(b"adyzz"));
        assert!(m.found);
        let mut m = Matcher::new(b"ready");
        let junk = vec![b'x'; BODY_LIMIT];
        assert!(!m.feed(&junk));
        assert!(!m.found);
        assert!(m.window.capacity() < 16 * 1024);
    }

    #[test]
    fn request_has_defaults_unless_overridden() {
        let t = Target::parse("http://127.0.0.1:81/h?x").unwrap();
        let headers = vec![("host".to_string(), "app.test".to_string())];
        let req = Request {
            method: "POST",
            headers: &headers,
            body_contains: None,
        };
        let text = String::from_utf8(request_bytes(&t, &req)).unwrap();
        assert!(text.starts_with("POST /h?x HTTP/1.1\r\n"), "{text}");
        assert!(text.contains("host: app.test\r\n"));
        assert!(!text.contains("Host: 127"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
    }
}
