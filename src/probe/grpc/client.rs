//! The client side of one unary call on stream 1, as a state machine: fed the
//! bytes read, it returns the bytes to write (ACKs) and, once known, a verdict.

use alloc::vec::Vec;
use core::fmt;

use super::frame::{self, Header};
use super::health;
use super::hpack;

/// A header block (HEADERS and its CONTINUATIONs) may take this many bytes.
pub const MAX_BLOCK: usize = 16 * 1024;
/// The response message (5-byte prefix included) may take this many bytes.
pub const MAX_MESSAGE: usize = 16 * 1024;
/// `grpc-message` is kept up to this many bytes, after percent-decoding.
pub const MAX_GRPC_MESSAGE: usize = 100;

/// How a call ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Serving,
    /// Any other serving status: 0 UNKNOWN (also an empty message), 2
    /// NOT_SERVING, 3 SERVICE_UNKNOWN, or a value newer than health.proto.
    NotServing(u64),
    /// A non-zero `grpc-status`, and `grpc-message` (decoded and bounded).
    Status(u32, Vec<u8>),
    /// An HTTP/2 answer with a `:status` other than 200.
    HttpStatus(u16),
    /// Not gRPC at all: why.
    NotGrpc(&'static str),
    /// RST_STREAM with its error code.
    Reset(u32),
    /// GOAWAY with its error code.
    GoAway(u32),
    /// The peer broke HTTP/2, HPACK or gRPC framing: what it did.
    Protocol(&'static str),
}

impl Verdict {
    pub fn serving(&self) -> bool {
        *self == Verdict::Serving
    }
}

/// Names in one string each, split on spaces: no table of slices.
const SERVING_NAMES: &str = "UNKNOWN SERVING NOT_SERVING SERVICE_UNKNOWN";
const STATUS_NAMES: &str = "OK CANCELLED UNKNOWN INVALID_ARGUMENT DEADLINE_EXCEEDED NOT_FOUND \
ALREADY_EXISTS PERMISSION_DENIED RESOURCE_EXHAUSTED FAILED_PRECONDITION ABORTED OUT_OF_RANGE \
UNIMPLEMENTED INTERNAL UNAVAILABLE DATA_LOSS UNAUTHENTICATED";
const H2_ERRORS: &str = "NO_ERROR PROTOCOL_ERROR INTERNAL_ERROR FLOW_CONTROL_ERROR \
SETTINGS_TIMEOUT STREAM_CLOSED FRAME_SIZE_ERROR REFUSED_STREAM CANCEL COMPRESSION_ERROR \
CONNECT_ERROR ENHANCE_YOUR_CALM INADEQUATE_SECURITY HTTP_1_1_REQUIRED";

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // A prefix (each non-empty one opens a parenthesis), then word `n`
        // of `names` (the number if there is none), or all of `names`.
        let (prefix, names, n) = match self {
            Verdict::Serving => ("", SERVING_NAMES, Some(1)),
            Verdict::NotServing(n) if *n > 3 => return write!(f, "serving status {n}"),
            Verdict::NotServing(n) => ("", SERVING_NAMES, Some(*n)),
            Verdict::Status(code, _) => {
                write!(f, "grpc-status {code} ")?;
                ("", STATUS_NAMES, Some(u64::from(*code)))
            }
            Verdict::HttpStatus(code) => {
                ("not a gRPC endpoint (:status ", "", Some(u64::from(*code)))
            }
            Verdict::NotGrpc(why) => ("not a gRPC endpoint (", *why, None),
            Verdict::Reset(code) => ("stream reset (", H2_ERRORS, Some(u64::from(*code))),
            Verdict::GoAway(code) => ("GOAWAY (", H2_ERRORS, Some(u64::from(*code))),
            Verdict::Protocol(why) => ("protocol error (", *why, None),
        };
        f.write_str(prefix)?;
        match n {
            None => f.write_str(names)?,
            Some(n) => match names.split(' ').nth(n as usize) {
                Some(word) if n <= 64 && !word.is_empty() => f.write_str(word)?,
                _ => write!(f, "{n}")?,
            },
        }
        if !prefix.is_empty() {
            f.write_str(")")?;
        }
        if let Verdict::Status(_, message) = self {
            if !message.is_empty() {
                f.write_str(": ")?;
                // Printable ASCII only, as for HTTP reason phrases: the
                // line goes to a terminal or a log.
                for &b in message {
                    if b == b' ' || b.is_ascii_graphic() {
                        fmt::Write::write_char(f, char::from(b))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// What the response's header blocks said so far.
#[derive(Default)]
struct Fields {
    status: Option<u16>,
    grpc_content: bool,
    grpc_status: Option<u32>,
    grpc_message: Vec<u8>,
}

impl Fields {
    fn take(&mut self, name: &[u8], value: &[u8]) {
        match name {
            b":status" => self.status = decimal(value).and_then(|n| u16::try_from(n).ok()),
            b"content-type" => self.grpc_content = value.starts_with(b"application/grpc"),
            b"grpc-status" => self.grpc_status = decimal(value),
            b"grpc-message" => self.grpc_message = percent_decode(value),
            _ => {}
        }
    }
}

/// The client's side of the connection after its first write.
#[derive(Default)]
pub struct Client {
    /// Bytes read and not yet a whole frame (at most one frame's worth).
    input: Vec<u8>,
    /// The server's connection preface (a SETTINGS frame) has arrived.
    started: bool,
    /// A header block waiting for CONTINUATION frames, and whether its
    /// HEADERS frame ended the stream.
    block: Vec<u8>,
    in_block: bool,
    block_ends_stream: bool,
    /// Header blocks completed: 1 after the response headers.
    blocks: u8,
    fields: Fields,
    /// The response message, reassembled across DATA frames.
    message: Vec<u8>,
    /// The error code of a GOAWAY whose last-stream-id covers stream 1: the
    /// answer may still come (RFC 9113 section 6.8, a graceful drain).
    goaway: Option<u32>,
}

impl Client {
    pub fn new() -> Client {
        Client::default()
    }

    /// Takes bytes read from the server; appends any bytes to send to `out`.
    /// Returns the verdict once the call has ended one way or another. No
    /// bytes: the server closed the connection, and the verdict is the GOAWAY
    /// that announced it, if any.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Option<Verdict> {
        if bytes.is_empty() {
            return self.goaway.map(Verdict::GoAway);
        }
        self.input.extend_from_slice(bytes);
        let input = core::mem::take(&mut self.input);
        let mut at = 0;
        let verdict = loop {
            let rest = input.get(at..).unwrap_or_default();
            // "HTTP/" can never start a frame we accept: its length would be
            // 0x485454. Checked before the length, to say what it is.
            if !self.started && rest.starts_with(b"HTTP/") {
                break Some(Verdict::NotGrpc("HTTP/1 answer"));
            }
            let Some(head) = rest.first_chunk() else {
                break None;
            };
            let header = Header::parse(head);
            if header.len > frame::MAX_PAYLOAD {
                break Some(Verdict::Protocol("frame over 16 KiB"));
            }
            let Some(payload) = rest.get(frame::HEADER_LEN..frame::HEADER_LEN + header.len) else {
                break None;
            };
            at += frame::HEADER_LEN + header.len;
            if let Err(v) = self.frame(&header, payload, out) {
                break Some(v);
            }
        };
        self.input = input;
        self.input.drain(..at);
        verdict
    }

    /// Handles one frame: Err carries the verdict when the call has ended.
    fn frame(&mut self, h: &Header, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Verdict> {
        use frame::*;
        let bad = |why| Err(Verdict::Protocol(why));
        if !self.started {
            if h.kind != SETTINGS || h.has(ACK) {
                return bad("first frame is not SETTINGS");
            }
            self.started = true;
        }
        if self.in_block && h.kind != CONTINUATION {
            return bad("header block not continued");
        }
        let on_stream = |ok: bool| {
            if ok {
                Ok(())
            } else {
                bad("frame on the wrong stream")
            }
        };
        match h.kind {
            SETTINGS => {
                on_stream(h.stream == 0)?;
                if h.has(ACK) {
                    return if h.len == 0 {
                        Ok(())
                    } else {
                        bad("SETTINGS ACK with a payload")
                    };
                }
                if h.len % 6 != 0 {
                    return bad("SETTINGS length");
                }
                write(out, SETTINGS, ACK, 0, &[]);
            }
            PING => {
                on_stream(h.stream == 0)?;
                if h.len != 8 {
                    return bad("PING length");
                }
                if !h.has(ACK) {
                    write(out, PING, ACK, 0, payload);
                }
            }
            HEADERS => {
                on_stream(h.stream == 1)?;
                let fragment = content(h, payload).map_err(Verdict::Protocol)?;
                self.block.clear();
                self.block_ends_stream = h.has(END_STREAM);
                self.in_block = true;
                return self.fragment(fragment, h.has(END_HEADERS));
            }
            CONTINUATION => {
                on_stream(h.stream == 1)?;
                if !self.in_block {
                    return bad("CONTINUATION without HEADERS");
                }
                return self.fragment(payload, h.has(END_HEADERS));
            }
            DATA => {
                on_stream(h.stream == 1)?;
                if self.blocks != 1 {
                    return bad("DATA outside the response body");
                }
                let data = content(h, payload).map_err(Verdict::Protocol)?;
                if self.message.len() + data.len() > MAX_MESSAGE {
                    return bad("response message over 16 KiB");
                }
                self.message.extend_from_slice(data);
                if h.has(END_STREAM) {
                    return Err(self.verdict());
                }
            }
            RST_STREAM => {
                return match payload {
                    &[c0, c1, c2, c3] => Err(Verdict::Reset(u32::from_be_bytes([c0, c1, c2, c3]))),
                    _ => bad("RST_STREAM length"),
                };
            }
            GOAWAY => {
                let &[l0, l1, l2, l3, c0, c1, c2, c3, ..] = payload else {
                    return bad("GOAWAY length");
                };
                // RFC 9113 section 6.8: streams up to the last-stream-id may
                // still be answered (a graceful shutdown's first GOAWAY says
                // 2^31-1); only below 1 has stream 1 been refused.
                let code = u32::from_be_bytes([c0, c1, c2, c3]);
                if u32::from_be_bytes([l0, l1, l2, l3]) & 0x7fff_ffff == 0 {
                    return Err(Verdict::GoAway(code));
                }
                self.goaway = Some(code);
            }
            PUSH_PROMISE => return bad("PUSH_PROMISE, push was disabled"),
            // WINDOW_UPDATE, PRIORITY and unknown types need nothing from a
            // client that sends one small request (section 5.5: ignore unknown).
            _ => {}
        }
        Ok(())
    }

    /// Adds a header block fragment; decodes the block when it is complete.
    fn fragment(&mut self, fragment: &[u8], end_headers: bool) -> Result<(), Verdict> {
        if self.block.len() + fragment.len() > MAX_BLOCK {
            return Err(Verdict::Protocol("header block over 16 KiB"));
        }
        self.block.extend_from_slice(fragment);
        if !end_headers {
            return Ok(());
        }
        self.in_block = false;
        self.blocks += 1;
        let fields = &mut self.fields;
        hpack::decode(&self.block, &mut |n, v| fields.take(n, v))
            .map_err(|e| Verdict::Protocol(e.0))?;
        if self.blocks == 1 {
            // The response headers (or Trailers-Only): is this gRPC at all?
            match self.fields.status {
                None => return Err(Verdict::Protocol("no :status")),
                Some(200) => {}
                Some(code) => return Err(Verdict::HttpStatus(code)),
            }
            if !self.fields.grpc_content {
                return Err(Verdict::NotGrpc("content-type is not application/grpc"));
            }
        }
        if self.block_ends_stream {
            Err(self.verdict())
        } else if self.blocks > 1 {
            Err(Verdict::Protocol("trailers without END_STREAM"))
        } else {
            Ok(())
        }
    }

    /// The verdict at the end of the stream, from trailers and message.
    fn verdict(&mut self) -> Verdict {
        match self.fields.grpc_status {
            None => return Verdict::Protocol("no grpc-status"),
            Some(0) => {}
            Some(code) => {
                return Verdict::Status(code, core::mem::take(&mut self.fields.grpc_message));
            }
        }
        let message = match self.message.as_slice() {
            [] => return Verdict::Protocol("grpc-status 0 without a message"),
            [0, a, b, c, d, body @ ..]
                if u32::from_be_bytes([*a, *b, *c, *d]) as usize == body.len() =>
            {
                body
            }
            [0, ..] => return Verdict::Protocol("message length does not match"),
            _ => return Verdict::Protocol("compressed message"),
        };
        match health::serving_status(message) {
            Ok(health::SERVING) => Verdict::Serving,
            Ok(other) => Verdict::NotServing(other),
            Err(why) => Verdict::Protocol(why),
        }
    }
}

/// A non-negative decimal of at most 9 digits.
fn decimal(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 9 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// `grpc-message` is percent-encoded UTF-8 (gRPC PROTOCOL-HTTP2); a `%` not
/// followed by two hex digits stays as it is. Keeps MAX_GRPC_MESSAGE bytes.
fn percent_decode(text: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() && out.len() < MAX_GRPC_MESSAGE {
        let escaped = match text.get(i..i + 3) {
            Some([b'%', h, l]) => hex(*h).zip(hex(*l)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(text[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::huffman;
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use frame::*;

    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, kind, flags, stream, payload);
        out
    }

    fn settings() -> Vec<u8> {
        // MAX_CONCURRENT_STREAMS 100, as servers send.
        frame(SETTINGS, 0, 0, &[0, 3, 0, 0, 0, 100])
    }

    /// A literal without indexing, new name, plain strings.
    fn lit(name: &str, value: &str) -> Vec<u8> {
        let mut b = vec![0, name.len() as u8];
        b.extend_from_slice(name.as_bytes());
        b.push(value.len() as u8);
        b.extend_from_slice(value.as_bytes());
        b
    }

    /// The same with both strings Huffman-coded, as grpclib sends them.
    fn huff(name: &str, value: &str) -> Vec<u8> {
        let mut b = vec![0];
        for s in [name, value] {
            let coded = huffman::encode(s.as_bytes());
            b.push(0x80 | coded.len() as u8);
            b.extend_from_slice(&coded);
        }
        b
    }

    /// Response headers: a size update to 0, `:status 200` indexed, content-type.
    fn response_headers() -> Vec<u8> {
        let mut b = vec![0x20, 0x88];
        b.extend(lit("content-type", "application/grpc"));
        b
    }

    fn message(status: u8) -> Vec<u8> {
        vec![0, 0, 0, 0, 2, 0x08, status]
    }

    fn trailers(code: &str) -> Vec<u8> {
        frame(
            HEADERS,
            END_STREAM | END_HEADERS,
            1,
            &lit("grpc-status", code),
        )
    }

    /// A whole answer: SETTINGS, headers, one DATA, trailers.
    fn answer(status: u8) -> Vec<u8> {
        let mut b = settings();
        b.extend(frame(HEADERS, END_HEADERS, 1, &response_headers()));
        b.extend(frame(DATA, 0, 1, &message(status)));
        b.extend(trailers("0"));
        b
    }

    fn run(bytes: &[u8]) -> (Option<Verdict>, Vec<u8>) {
        let mut out = Vec::new();
        let v = Client::new().feed(bytes, &mut out);
        (v, out)
    }

    fn verdict(bytes: &[u8]) -> Option<Verdict> {
        run(bytes).0
    }

    #[test]
    fn serving_and_the_settings_ack() {
        let (v, out) = run(&answer(1));
        assert_eq!(v, Some(Verdict::Serving));
        assert_eq!(out, frame(SETTINGS, ACK, 0, &[]));
    }

    #[test]
    fn serving_when_fed_one_byte_at_a_time() {
        let mut client = Client::new();
        let mut out = Vec::new();
        let bytes = answer(1);
        for (i, b) in bytes.iter().enumerate() {
            let v = client.feed(&[*b], &mut out);
            assert_eq!(v.is_some(), i == bytes.len() - 1, "byte {i}");
            if let Some(v) = v {
                assert_eq!(v, Verdict::Serving);
            }
        }
        assert!(client.input.len() <= HEADER_LEN);
    }

    #[test]
    fn not_serving_unknown_and_newer_statuses() {
        assert_eq!(verdict(&answer(2)), Some(Verdict::NotServing(2)));
        assert_eq!(verdict(&answer(0)), Some(Verdict::NotServing(0)));
        assert_eq!(verdict(&answer(3)), Some(Verdict::NotServing(3)));
        assert_eq!(verdict(&answer(9)), Some(Verdict::NotServing(9)));
        // An empty message is how UNKNOWN arrives.
        let mut b = settings();
        b.extend(frame(HEADERS, END_HEADERS, 1, &response_headers()));
        b.extend(frame(DATA, 0, 1, &[0, 0, 0, 0, 0]));
        b.extend(trailers("0"));
        assert_eq!(verdict(&b), Some(Verdict::NotServing(0)));
    }

    #[test]
    fn pings_get_acks_and_other_frames_are_ignored() {
        let mut b = settings();
        b.extend(frame(PING, 0, 0, b"12345678"));
        b.extend(frame(PING, ACK, 0, b"87654321"));
        b.extend(frame(WINDOW_UPDATE, 0, 0, &[0, 0, 1, 0]));
        b.extend(frame(PRIORITY, 0, 1, &[0, 0, 0, 0, 7]));
        b.extend(frame(0xfa, 0xff, 7, b"unknown type"));
        b.extend(frame(SETTINGS, ACK, 0, &[]));
        b.extend(&answer(1)[15..]);
        let (v, out) = run(&b);
        assert_eq!(v, Some(Verdict::Serving));
        let mut expected = frame(SETTINGS, ACK, 0, &[]);
        expected.extend(frame(PING, ACK, 0, b"12345678"));
        assert_eq!(out, expected);
    }

    #[test]
    fn huffman_coded_headers_as_grpclib_sends_them() {
        let mut b = settings();
        let mut h = vec![0x20];
        h.extend(huff(":status", "200"));
        h.extend(huff("content-type", "application/grpc+proto"));
        b.extend(frame(HEADERS, END_HEADERS, 1, &h));
        b.extend(frame(DATA, 0, 1, &message(1)));
        let mut t = huff("grpc-status", "0");
        t.extend(huff("grpc-message", ""));
        b.extend(frame(HEADERS, END_STREAM | END_HEADERS, 1, &t));
        assert_eq!(verdict(&b), Some(Verdict::Serving));
    }

    #[test]
    fn trailers_only_with_a_percent_encoded_message() {
        let mut b = settings();
        let mut h = response_headers();
        h.extend(lit("grpc-status", "5"));
        h.extend(lit("grpc-message", "unknown%20service %zz%4"));
        b.extend(frame(HEADERS, END_STREAM | END_HEADERS, 1, &h));
        let v = verdict(&b).unwrap();
        assert_eq!(v, Verdict::Status(5, b"unknown service %zz%4".to_vec()));
        assert_eq!(
            v.to_string(),
            "grpc-status 5 NOT_FOUND: unknown service %zz%4"
        );
        assert_eq!(
            Verdict::Status(12, vec![]).to_string(),
            "grpc-status 12 UNIMPLEMENTED"
        );
        assert_eq!(Verdict::Status(99, vec![]).to_string(), "grpc-status 99 99");
    }

    #[test]
    fn grpc_message_is_bounded_and_printable() {
        let long = "%41".repeat(500);
        assert_eq!(percent_decode(long.as_bytes()).len(), MAX_GRPC_MESSAGE);
        let v = Verdict::Status(2, b"a\x1b[2Jb\r\n\xffc".to_vec());
        assert_eq!(v.to_string(), "grpc-status 2 UNKNOWN: a[2Jbc");
    }

    #[test]
    fn grpcio_unknown_service_sends_an_empty_message_then_status_5() {
        let mut b = settings();
        b.extend(frame(HEADERS, END_HEADERS, 1, &response_headers()));
        b.extend(frame(DATA, 0, 1, &[0, 0, 0, 0, 0]));
        let mut t = lit("grpc-status", "5");
        t.extend(lit("grpc-message", "Unknown service"));
        b.extend(frame(HEADERS, END_STREAM | END_HEADERS, 1, &t));
        assert_eq!(
            verdict(&b),
            Some(Verdict::Status(5, b"Unknown service".to_vec()))
        );
    }

    #[test]
    fn message_across_padded_data_frames_and_continued_headers() {
        let mut b = settings();
        let h = response_headers();
        // HEADERS with padding and priority, then two CONTINUATIONs.
        let mut first = vec![3, 0, 0, 0, 0, 16];
        first.extend_from_slice(&h[..4]);
        first.extend_from_slice(&[0, 0, 0]);
        b.extend(frame(HEADERS, PADDED | PRIORITY_FLAG, 1, &first));
        b.extend(frame(CONTINUATION, 0, 1, &h[4..10]));
        b.extend(frame(CONTINUATION, END_HEADERS, 1, &h[10..]));
        let m = message(1);
        b.extend(frame(DATA, 0, 1, &m[..1]));
        b.extend(frame(DATA, PADDED, 1, &[2, m[1], m[2], 0, 0]));
        b.extend(frame(DATA, 0, 1, &[]));
        b.extend(frame(DATA, 0, 1, &m[3..]));
        b.extend(trailers("0"));
        assert_eq!(verdict(&b), Some(Verdict::Serving));
        // END_STREAM on the last DATA frame without trailers: no grpc-status.
        let mut c = settings();
        c.extend(frame(HEADERS, END_HEADERS, 1, &response_headers()));
        c.extend(frame(DATA, END_STREAM, 1, &message(1)));
        assert_eq!(verdict(&c), Some(Verdict::Protocol("no grpc-status")));
    }

    #[test]
    fn resets_goaway_and_push_are_unhealthy() {
        let mut b = settings();
        b.extend(frame(RST_STREAM, 0, 1, &[0, 0, 0, 8]));
        let v = verdict(&b).unwrap();
        assert_eq!(v.to_string(), "stream reset (CANCEL)");
        let mut b = settings();
        b.extend(frame(GOAWAY, 0, 0, &[0x80, 0, 0, 0, 0, 0, 0, 11, b'x']));
        let v = verdict(&b).unwrap();
        assert_eq!(v.to_string(), "GOAWAY (ENHANCE_YOUR_CALM)");
        assert_eq!(Verdict::GoAway(77).to_string(), "GOAWAY (77)");
        let mut b = settings();
        b.extend(frame(PUSH_PROMISE, END_HEADERS, 1, &[0, 0, 0, 2, 0x82]));
        assert!(matches!(verdict(&b), Some(Verdict::Protocol(_))));
        let mut b = settings();
        b.extend(frame(RST_STREAM, 0, 1, &[0, 0, 8]));
        assert_eq!(verdict(&b), Some(Verdict::Protocol("RST_STREAM length")));
    }

    // A GOAWAY(NO_ERROR) covering stream 1 failed the probe at once, though
    // the server then answered SERVING (RFC 9113 section 6.8: keep reading).
    #[test]
    fn a_goaway_whose_last_stream_covers_stream_1_waits_for_the_answer() {
        for last in [
            [0, 0, 0, 1],
            [0x7f, 0xff, 0xff, 0xff],
            [0xff, 0xff, 0xff, 0xff],
        ] {
            let mut goaway = last.to_vec();
            goaway.extend([0, 0, 0, 0]);
            let mut b = settings();
            b.extend(frame(GOAWAY, 0, 0, &goaway));
            let mut client = Client::new();
            assert_eq!(client.feed(&b, &mut Vec::new()), None, "{last:?}");
            // The graceful shutdown's second GOAWAY, then the answer.
            let mut rest = frame(GOAWAY, 0, 0, &[0, 0, 0, 1, 0, 0, 0, 0]);
            rest.extend(&answer(1)[15..]);
            assert_eq!(client.feed(&rest, &mut Vec::new()), Some(Verdict::Serving));
            // Had the server closed instead, the verdict is its GOAWAY.
            let mut closed = Client::new();
            closed.feed(&b, &mut Vec::new());
            assert_eq!(closed.feed(&[], &mut Vec::new()), Some(Verdict::GoAway(0)));
        }
        // A later GOAWAY below 1 refuses stream 1 after all.
        let mut b = settings();
        b.extend(frame(GOAWAY, 0, 0, &[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
        b.extend(frame(GOAWAY, 0, 0, &[0, 0, 0, 0, 0, 0, 0, 2]));
        assert_eq!(verdict(&b), Some(Verdict::GoAway(2)));
        // Nothing of the kind: a close is just a close.
        assert_eq!(Client::new().feed(&[], &mut Vec::new()), None);
    }

    #[test]
    fn oversized_frames_fail_on_their_header() {
        let mut b = settings();
        b.extend_from_slice(&[0x01, 0x00, 0x00, DATA, 0, 0, 0, 0, 1]);
        assert_eq!(verdict(&b), Some(Verdict::Protocol("frame over 16 KiB")));
        // 16 KiB itself is allowed.
        let mut b = settings();
        b.extend(frame(0xfa, 0, 0, &[0; MAX_PAYLOAD]));
        b.extend(&answer(1)[15..]);
        assert_eq!(verdict(&b), Some(Verdict::Serving));
    }

    #[test]
    fn not_grpc_answers() {
        let (v, out) = run(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        assert_eq!(
            v.unwrap().to_string(),
            "not a gRPC endpoint (HTTP/1 answer)"
        );
        assert!(out.is_empty());
        assert_eq!(verdict(b"HTTP"), None);
        let mut b = settings();
        let mut h = vec![0x8d]; // :status 404
        h.extend(lit("content-type", "text/html"));
        b.extend(frame(HEADERS, END_HEADERS, 1, &h));
        assert_eq!(verdict(&b), Some(Verdict::HttpStatus(404)));
        let mut b = settings();
        let mut h = vec![0x88];
        h.extend(lit("content-type", "text/html"));
        b.extend(frame(HEADERS, END_HEADERS | END_STREAM, 1, &h));
        assert_eq!(
            verdict(&b).unwrap().to_string(),
            "not a gRPC endpoint (content-type is not application/grpc)"
        );
        let mut b = settings();
        b.extend(frame(HEADERS, END_HEADERS, 1, &[0x82]));
        assert_eq!(verdict(&b), Some(Verdict::Protocol("no :status")));
    }

    #[test]
    fn the_server_must_start_with_settings() {
        assert_eq!(
            verdict(&frame(PING, 0, 0, b"12345678")),
            Some(Verdict::Protocol("first frame is not SETTINGS"))
        );
        assert_eq!(
            verdict(&frame(SETTINGS, ACK, 0, &[])),
            Some(Verdict::Protocol("first frame is not SETTINGS"))
        );
        assert_eq!(
            verdict(&frame(SETTINGS, 0, 0, &[0; 5])),
            Some(Verdict::Protocol("SETTINGS length"))
        );
        assert_eq!(
            verdict(&frame(SETTINGS, 0, 1, &[])),
            Some(Verdict::Protocol("frame on the wrong stream"))
        );
        // Nothing yet, or half a frame: wait for more.
        assert_eq!(verdict(&[]), None);
        assert_eq!(verdict(&settings()[..10]), None);
    }

    #[test]
    fn hpack_errors_and_bounds() {
        // A dynamic table index after we advertised a table of size 0.
        let mut b = settings();
        b.extend(frame(HEADERS, END_HEADERS, 1, &[0xbe]));
        assert_eq!(
            verdict(&b),
            Some(Verdict::Protocol("dynamic table reference"))
        );
        let mut b = settings();
        b.extend(frame(HEADERS, END_HEADERS, 1, &[0x00, 0x7f]));
        assert!(matches!(verdict(&b), Some(Verdict::Protocol(_))));
        // A header block growing past 16 KiB through CONTINUATIONs.
        let mut b = settings();
        b.extend(frame(HEADERS, 0, 1, &[0; 10_000]));
        b.extend(frame(CONTINUATION, 0, 1, &[0; 10_000]));
        assert_eq!(
            verdict(&b),
            Some(Verdict::Protocol("header block over 16 KiB"))
        );
        // Another frame between HEADERS and CONTINUATION.
        let mut b = settings();
        b.extend(frame(HEADERS, 0, 1, &[0x88]));
        b.extend(frame(PING, 0, 0, b"12345678"));
        assert_eq!(
            verdict(&b),
            Some(Verdict::Protocol("header block not continued"))
        );
        let mut b = settings();
        b.extend(frame(CONTINUATION, END_HEADERS, 1, &[0x88]));
        assert!(matches!(verdict(&b), Some(Verdict::Protocol(_))));
    }

    #[test]
    fn message_errors() {
        let with_message = |m: &[u8]| {
            let mut b = settings();
            b.extend(frame(HEADERS, END_HEADERS, 1, &response_headers()));
            b.extend(frame(DATA, 0, 1, m));
            b.extend(trailers("0"));
            verdict(&b).unwrap()
        };
        assert_eq!(
            with_message(&[1, 0, 0, 0, 2, 8, 1]),
            Verdict::Protocol("compressed message")
        );
        assert_eq!(
            with_message(&[0, 0, 0, 0, 3, 8, 1]),
            Verdict::Protocol("message length does not match")
        );
        assert_eq!(
            with_message(&[0, 0, 0, 0, 1, 8]),
            Verdict::Protocol("truncated protobuf")
        );
        // No DATA at all, then grpc-status 0.
        let mut b = settings();
        b.extend(frame(HEADERS, END_HEADERS, 1, &response_headers()));
        b.extend(trailers("0"));
        assert_eq!(
            verdict(&b),
            Some(Verdict::Protocol("grpc-status 0 without a message"))
        );
        // DATA before any HEADERS, DATA past 16 KiB, a bad grpc-status.
        let mut b = settings();
        b.extend(frame(DATA, 0, 1, &message(1)));
        assert!(matches!(verdict(&b), Some(Verdict::Protocol(_))));
        let mut b = settings();
        b.extend(frame(HEADERS, END_HEADERS, 1, &response_headers()));
        b.extend(frame(DATA, 0, 1, &[0; 10_000]));
        b.extend(frame(DATA, 0, 1, &[0; 10_000]));
        assert_eq!(
            verdict(&b),
            Some(Verdict::Protocol("response message over 16 KiB"))
        );
        let mut b = settings();
        b.extend(frame(HEADERS, END_HEADERS, 1, &response_headers()));
        b.extend(trailers("x1"));
        assert_eq!(verdict(&b), Some(Verdict::Protocol("no grpc-status")));
        // Trailers that do not end the stream, and frames on other streams.
        let mut b = settings();
        b.extend(frame(HEADERS, END_HEADERS, 1, &response_headers()));
        b.extend(frame(HEADERS, END_HEADERS, 1, &lit("grpc-status", "0")));
        assert!(matches!(verdict(&b), Some(Verdict::Protocol(_))));
        let mut b = settings();
        b.extend(frame(HEADERS, END_HEADERS, 3, &response_headers()));
        assert!(matches!(verdict(&b), Some(Verdict::Protocol(_))));
    }

    #[test]
    fn names_of_verdicts() {
        assert_eq!(Verdict::Serving.to_string(), "SERVING");
        assert_eq!(Verdict::NotServing(2).to_string(), "NOT_SERVING");
        assert_eq!(Verdict::NotServing(0).to_string(), "UNKNOWN");
        assert_eq!(Verdict::NotServing(3).to_string(), "SERVICE_UNKNOWN");
        assert_eq!(Verdict::NotServing(4).to_string(), "serving status 4");
        assert_eq!(
            Verdict::HttpStatus(404).to_string(),
            "not a gRPC endpoint (:status 404)"
        );
        assert_eq!(Verdict::Reset(99).to_string(), "stream reset (99)");
        assert_eq!(Verdict::Protocol("x").to_string(), "protocol error (x)");
        assert!(Verdict::Serving.serving() && !Verdict::NotServing(2).serving());
    }
}
