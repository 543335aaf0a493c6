//! The one HTTP/1.1 client, over any byte stream (TCP, unix socket, TLS): writes
//! the request, reads the response head and the body to its end or to 64 KiB.
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
use crate::human::number;

/// A response head must fit in this many bytes (curl allows 100 KiB, nginx
/// 8 KiB by default); a larger one is a bad response, not a reason to grow.
const HEAD_LIMIT: usize = 16 * 1024;
/// Headers read without allocating; a head with more gets a list its size.
const MAX_HEADERS: usize = 64;
/// How much of the body is read (and searched by `--body-contains`); the
/// rest is not waited for. Kubernetes reads 10 KiB.
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
            let code = |s: &str| match number(s.trim()).and_then(|n| u16::try_from(n).ok()) {
                Some(n) if (100..=999).contains(&n) => Ok(n),
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
    // The body is read even when nothing is searched in it: a response that
    // never completes is not healthy (curl -f -m and Kubernetes fail it too).
    let no_body =
        super::same_name(req.method.as_bytes(), b"HEAD") || head.code == 204 || head.code == 304;
    let mut matcher = Matcher::new(req.body_contains.unwrap_or_default());
    if !no_body {
        read_body(stream, &mut buf, head.framing, &mut matcher).map_err(|e| match e {
            Failure::TimedOut(total) => Failure::BodyTimedOut(total),
            e => e,
        })?;
    }
    Ok(Answer {
        code: head.code,
        reason: head.reason,
        body_matched: matcher.found,
    })
}

fn request_bytes(target: &Target, req: &Request) -> Vec<u8> {
    let ours = |name: &str| {
        !req.headers
            .iter()
            .any(|(n, _)| super::same_name(n.as_bytes(), name.as_bytes()))
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
///
/// Folded header lines (obs-fold, RFC 9112 section 5.2) are accepted, as curl
/// and Go's net/http (Kubernetes' probe) accept them. Any number of headers
/// that fits in HEAD_LIMIT is read: up to 64 without allocating; more once
/// the whole head is in, into a list sized by its line count (at most about
/// 5,500 in 16 KiB), so a peer dripping headers costs no allocation per read.
fn parse_head(data: &[u8]) -> Result<Option<Head>, Failure> {
    if data.is_empty() {
        return Ok(None);
    }
    let mut few = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut many;
    let headers: &mut [httparse::Header] = match head_lines(data) {
        Some(lines) if lines > MAX_HEADERS => {
            many = vec![httparse::EMPTY_HEADER; lines];
            &mut many
        }
        _ => &mut few,
    };
    let mut resp = httparse::Response::new(headers);
    let parsed = httparse::ParserConfig::default()
        .allow_obsolete_multiline_headers_in_responses(true)
        .parse_response(&mut resp, data);
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        // Over 64 headers and the head not all in yet: wait for the rest.
        Err(httparse::Error::TooManyHeaders) => return Ok(None),
        Err(_) => return Err(Failure::BadResponse("not HTTP/1.x")),
    };
    let code = resp.code.unwrap_or(0);
    let mut framing = Framing::UntilClose;
    for h in resp.headers.iter() {
        if super::same_name(h.name.as_bytes(), b"transfer-encoding") {
            // Chunked is always the last coding when present (RFC 9112 6.1).
            let last = h.value.rsplit(|&b| b == b',').next().unwrap_or_default();
            if super::same_name(last.trim_ascii(), b"chunked") {
                framing = Framing::Chunked;
            }
        } else if super::same_name(h.name.as_bytes(), b"content-length")
            && !matches!(framing, Framing::Chunked)
        {
            let n = content_length(h.value).ok_or(Failure::BadResponse("bad Content-Length"))?;
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

/// How many lines the head at the start of `data` has, counted up to its
/// blank line (no more headers than that can be in it); `None` until the
/// blank line is in.
fn head_lines(data: &[u8]) -> Option<usize> {
    let mut lines = 1;
    for (i, _) in data.iter().enumerate().filter(|(_, b)| **b == b'\n') {
        lines += 1;
        let rest = data.get(i + 1..).unwrap_or_default();
        if rest.starts_with(b"\n") || rest.starts_with(b"\r\n") {
            return Some(lines);
        }
    }
    None
}

/// `Content-Length = 1*DIGIT` (RFC 9110 section 8.6): no sign, no spaces
/// inside, and a value that fits.
fn content_length(value: &[u8]) -> Option<u64> {
    let digits = value.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    number(core::str::from_utf8(digits).ok()?)
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
        self.bytes.get(self.start..self.end).unwrap_or_default()
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
        let free = match self.bytes.get_mut(self.end..) {
            Some(free) if !free.is_empty() => free,
            _ => return Err(Failure::BadResponse(what)),
        };
        let n = stream.read(free)?;
        self.end += n;
        Ok(n)
    }
}

/// Counts the body's first BODY_LIMIT bytes and looks for the needle in them,
/// keeping only a window of needle-length bytes across reads.
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
            window: Vec::new(),
            seen: 0,
            found: needle.is_empty(),
        }
    }

    /// Feeds body bytes; false once BODY_LIMIT bytes were seen.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        let take = bytes.len().min(BODY_LIMIT - self.seen);
        self.seen += take;
        // In pieces of 4 KiB, so the window stays small.
        let mut rest = &bytes[..take];
        while !rest.is_empty() {
            let part = rest.get(..4096).unwrap_or(rest);
            rest = rest.get(4096..).unwrap_or_default();
            if self.found {
                break;
            }
            self.window.extend_from_slice(part);
            if self
                .window
                // Never 0: an empty needle is found before the first byte.
                .windows(self.needle.len().max(1))
                .any(|w| w == self.needle)
            {
                self.found = true;
                self.window = Vec::new();
                break;
            }
            let keep = self.needle.len().saturating_sub(1).min(self.window.len());
            self.window.drain(..self.window.len() - keep);
        }
        self.seen < BODY_LIMIT
    }
}

/// Why reading a stretch of body stopped.
#[derive(PartialEq, Eq)]
enum Stop {
    /// All the bytes asked for were read.
    Done,
    /// BODY_LIMIT bytes were read: the rest is not waited for.
    Limit,
    /// The peer closed the connection first.
    Closed,
}

const CUT_SHORT: Failure = Failure::BadResponse("body cut short");

/// Reads the body as framed, to its end or to BODY_LIMIT bytes. A body that
/// ends before its framing says fails, as it does in curl and Kubernetes.
fn read_body(
    stream: &mut dyn Conn,
    buf: &mut Buffer,
    framing: Framing,
    matcher: &mut Matcher,
) -> Result<(), Failure> {
    match framing {
        Framing::Length(n) => match read_len(stream, buf, n, matcher)? {
            Stop::Closed => Err(CUT_SHORT),
            Stop::Done | Stop::Limit => Ok(()),
        },
        Framing::UntilClose => read_len(stream, buf, u64::MAX, matcher).map(drop),
        Framing::Chunked => loop {
            let size = loop {
                match httparse::parse_chunk_size(buf.data()) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        buf.consume(used);
                        break size;
                    }
                    Ok(httparse::Status::Partial) => {
                        if buf.fill(stream, "chunk size line too long")? == 0 {
                            return Err(CUT_SHORT);
                        }
                    }
                    Err(_) => return Err(Failure::BadResponse("bad chunk size")),
                }
            };
            if size == 0 {
                return Ok(()); // the trailer section is not read
            }
            match read_len(stream, buf, size, matcher)? {
                Stop::Done => {}
                Stop::Limit => return Ok(()),
                Stop::Closed => return Err(CUT_SHORT),
            }
            // The CRLF after the chunk data.
            while buf.data().len() < 2 {
                if buf.fill(stream, "")? == 0 {
                    return Err(CUT_SHORT);
                }
            }
            if !buf.data().starts_with(b"\r\n") {
                return Err(Failure::BadResponse("chunk without CRLF"));
            }
            buf.consume(2);
        },
    }
}

/// Feeds up to `len` body bytes to the matcher.
fn read_len(
    stream: &mut dyn Conn,
    buf: &mut Buffer,
    mut len: u64,
    matcher: &mut Matcher,
) -> Result<Stop, Failure> {
    while len > 0 {
        if buf.data().is_empty() && buf.fill(stream, "")? == 0 {
            return Ok(Stop::Closed);
        }
        let data = buf.data();
        let take = data.len().min(usize::try_from(len).unwrap_or(usize::MAX));
        let more = matcher.feed(&data[..take]);
        buf.consume(take);
        len -= take as u64;
        if !more {
            return Ok(Stop::Limit);
        }
    }
    Ok(Stop::Done)
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
        assert!(
            m.feed(b"adyzz"),
            "found, and the body is still read to its end"
        );
        assert!(m.found);
        let mut m = Matcher::new(b"ready");
        let junk = vec![b'x'; BODY_LIMIT];
        assert!(!m.feed(&junk));
        assert!(!m.found);
        assert!(m.window.capacity() < 16 * 1024);
    }

    #[test]
    fn content_length_is_digits_only() {
        assert_eq!(content_length(b" 5 "), Some(5));
        assert_eq!(content_length(b"0"), Some(0));
        for bad in [
            &b"+5"[..],
            b"-5",
            b"",
            b"5 5",
            b"0x5",
            b"99999999999999999999999",
        ] {
            assert_eq!(content_length(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn heads_with_folds_and_many_headers() {
        let folded = b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 3\r\n\r\nabc";
        let head = parse_head(folded).unwrap().unwrap();
        assert_eq!((head.code, head.len), (200, folded.len() - 3));
        let mut many = b"HTTP/1.1 204 No Content\r\n".to_vec();
        for i in 0..1000 {
            many.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(parse_head(&many).unwrap().unwrap().code, 204);
        assert!(parse_head(&many[..many.len() - 2]).unwrap().is_none());
        assert_eq!(head_lines(b"HTTP/1.1 200 OK\n\nA\nB\n"), Some(2));
        assert_eq!(head_lines(b"HTTP/1.1 200 OK\r\nA: b\r\n"), None);
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
