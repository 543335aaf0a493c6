//! grpc.health.v1.Health/Check on the wire: the client's whole first write
//! (preface, SETTINGS, HEADERS, DATA) and the HealthCheckResponse protobuf.

use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use super::frame::{self, CONTINUATION, DATA, END_HEADERS, END_STREAM, HEADERS};

/// What the first write carries besides the fixed parts.
pub struct Request<'a> {
    /// `http` or `https`.
    pub scheme: &'a str,
    /// `host:port`, replaced by a `host` entry in `metadata`.
    pub authority: &'a str,
    /// The service asked about; empty for the server as a whole.
    pub service: &'a str,
    /// Time left for the call: sent as `grpc-timeout`.
    pub timeout: Duration,
    /// Extra request headers (`-H`), sent with lowercased names.
    pub metadata: &'a [(alloc::string::String, alloc::string::String)],
}

const PATH: &str = "/grpc.health.v1.Health/Check";
const USER_AGENT: &str = concat!("vigil/", env!("CARGO_PKG_VERSION"));

/// `-H` names that replace one of our fields (`:authority`, `content-type`,
/// `user-agent`),
/// then names HTTP/2 forbids or we set ourselves (RFC 9113 8.2.2), which
/// are left out. One string, no table of slices.
const SPECIAL: &str = "host content-type user-agent connection keep-alive proxy-connection \
transfer-encoding upgrade te grpc-timeout";

/// The client preface, then SETTINGS: HEADER_TABLE_SIZE (1) = 0, so the
/// server's answers use no dynamic table, and ENABLE_PUSH (2) = 0. grpcio
/// closes a connection that sends no SETTINGS.
const START: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\
\0\0\x0c\x04\0\0\0\0\0\0\x01\0\0\0\0\0\x02\0\0\0\0";

/// The bytes of the whole call, to send in one write.
pub fn request(req: &Request) -> Vec<u8> {
    let mut timeout = Vec::new();
    push_timeout(&mut timeout, req.timeout);
    // Pseudo-header fields first (RFC 9113 section 8.3).
    let mut fields: [(&str, &[u8]); 8] = [
        (":method", b"POST"),
        (":scheme", req.scheme.as_bytes()),
        (":path", PATH.as_bytes()),
        (":authority", req.authority.as_bytes()),
        ("content-type", b"application/grpc"),
        ("te", b"trailers"),
        ("grpc-timeout", &timeout),
        ("user-agent", USER_AGENT.as_bytes()),
    ];
    let mut extra = Vec::new();
    for (name, value) in req.metadata {
        match SPECIAL
            .split(' ')
            .position(|n| crate::probe::same_name(n.as_bytes(), name.as_bytes()))
        {
            Some(i @ 0..=2) => {
                if let Some(field) = fields.get_mut([3, 4, 7][i]) {
                    field.1 = value.as_bytes();
                }
            }
            Some(_) => {}
            None if name.starts_with(':') => {}
            None => literal(&mut extra, name.as_bytes(), value.as_bytes()),
        }
    }
    let mut block = Vec::with_capacity(256);
    for (name, value) in fields {
        literal(&mut block, name.as_bytes(), value);
    }
    block.extend_from_slice(&extra);

    let mut out = Vec::with_capacity(block.len() + req.service.len() + 128);
    out.extend_from_slice(START);
    // A block over the frame size limit continues in CONTINUATION frames.
    let (mut at, mut kind) = (0, HEADERS);
    loop {
        let end = block.len().min(at + frame::MAX_PAYLOAD);
        let flags = if end == block.len() { END_HEADERS } else { 0 };
        frame::write(&mut out, kind, flags, 1, &block[at..end]);
        if end == block.len() {
            break;
        }
        (at, kind) = (end, CONTINUATION);
    }

    // The gRPC length prefix (not compressed, big-endian length), then
    // HealthCheckRequest { string service = 1; }: an empty service is the
    // default value, which protobuf leaves out.
    let mut message = Vec::new();
    if !req.service.is_empty() {
        message.push(0x0a);
        push_varint(&mut message, req.service.len() as u64);
        message.extend_from_slice(req.service.as_bytes());
    }
    // The gRPC message prefix: not compressed, then the length.
    let mut data = vec![0];
    data.extend_from_slice(&(message.len() as u32).to_be_bytes());
    data.extend_from_slice(&message);
    frame::write(&mut out, DATA, END_STREAM, 1, &data);
    out
}

/// A header field as a literal without indexing and with a new name, no
/// Huffman coding (RFC 7541 section 6.2.2): the cheapest encoder there is.
/// The name is lowercased, as HTTP/2 requires (RFC 9113 section 8.2.1).
fn literal(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.push(0);
    push_integer(out, name.len());
    out.extend(name.iter().map(u8::to_ascii_lowercase));
    push_integer(out, value.len());
    out.extend_from_slice(value);
}

/// An HPACK integer with a 7-bit prefix and a clear H bit (RFC 7541 5.1).
fn push_integer(out: &mut Vec<u8>, mut n: usize) {
    if n < 0x7f {
        out.push(n as u8);
        return;
    }
    out.push(0x7f);
    n -= 0x7f;
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn push_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// `grpc-timeout`: at most 8 digits and a unit (gRPC PROTOCOL-HTTP2), in
/// milliseconds, or whole seconds for a budget past 27 hours; at least 1m.
fn push_timeout(out: &mut Vec<u8>, left: Duration) {
    let millis = left.as_millis().max(1);
    let (n, unit) = if millis <= 99_999_999 {
        (millis as u64, b'm')
    } else {
        (left.as_secs().min(99_999_999), b'S')
    };
    push_decimal(out, n);
    out.push(unit);
}

pub fn push_decimal(out: &mut Vec<u8>, n: u64) {
    if n >= 10 {
        push_decimal(out, n / 10);
    }
    out.push(b'0' + (n % 10) as u8);
}

/// HealthCheckResponse.ServingStatus values (health.proto).
pub const UNKNOWN: u64 = 0;
pub const SERVING: u64 = 1;

/// The `status` field (1) of a HealthCheckResponse. Unknown fields are
/// skipped by wire type; a missing status is UNKNOWN, its default value.
pub fn serving_status(mut msg: &[u8]) -> Result<u64, &'static str> {
    let mut status = UNKNOWN;
    while !msg.is_empty() {
        let key = varint(&mut msg)?;
        let skip = match (key >> 3, key & 7) {
            (0, _) => return Err("protobuf field 0"),
            (1, 0) => {
                status = varint(&mut msg)?;
                0
            }
            (_, 0) => {
                varint(&mut msg)?;
                0
            }
            (_, 1) => 8,
            (_, 2) => varint(&mut msg)?,
            (_, 5) => 4,
            _ => return Err("protobuf wire type"),
        };
        let skip = usize::try_from(skip).unwrap_or(usize::MAX);
        msg = msg.get(skip..).ok_or("truncated protobuf")?;
    }
    Ok(status)
}

/// A protobuf varint: at most 10 bytes.
fn varint(msg: &mut &[u8]) -> Result<u64, &'static str> {
    let mut value = 0u64;
    for i in 0..10 {
        let (&b, rest) = msg.split_first().ok_or("truncated protobuf")?;
        *msg = rest;
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("protobuf varint too long")
}

#[cfg(test)]
mod tests {
    use super::super::frame::SETTINGS;
    use super::super::hpack;
    use super::*;
    use alloc::string::{String, ToString};
    use alloc::vec;

    fn frames(mut bytes: &[u8]) -> Vec<(frame::Header, Vec<u8>)> {
        let mut all = Vec::new();
        while !bytes.is_empty() {
            let h = frame::Header::parse(bytes.first_chunk().expect("a whole header"));
            all.push((h, bytes[9..9 + h.len].to_vec()));
            bytes = &bytes[9 + h.len..];
        }
        all
    }

    fn fields(block: &[u8]) -> Vec<(String, String)> {
        let mut all = Vec::new();
        hpack::decode(block, &mut |n, v| {
            all.push((
                String::from_utf8(n.to_vec()).unwrap(),
                String::from_utf8(v.to_vec()).unwrap(),
            ))
        })
        .unwrap();
        all
    }

    #[test]
    fn the_first_write_is_one_small_call() {
        let metadata = vec![
            ("Authorization".to_string(), "Bearer x".to_string()),
            ("TE".to_string(), "gzip".to_string()),
            ("Connection".to_string(), "close".to_string()),
        ];
        let bytes = request(&Request {
            scheme: "http",
            authority: "127.0.0.1:50051",
            service: "my.pkg.Orders",
            timeout: Duration::from_millis(4321),
            metadata: &metadata,
        });
        assert!(bytes.starts_with(frame::PREFACE));
        let all = frames(&bytes[frame::PREFACE.len()..]);
        assert_eq!(all.len(), 3);
        let (settings, payload) = &all[0];
        assert_eq!(
            (settings.kind, settings.flags, settings.stream),
            (SETTINGS, 0, 0)
        );
        assert_eq!(payload, &[0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]);
        let (headers, block) = &all[1];
        assert_eq!(
            (headers.kind, headers.flags, headers.stream),
            (HEADERS, END_HEADERS, 1)
        );
        let f = fields(block);
        let names: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                ":method",
                ":scheme",
                ":path",
                ":authority",
                "content-type",
                "te",
                "grpc-timeout",
                "user-agent",
                "authorization"
            ]
        );
        assert_eq!(f[2].1, "/grpc.health.v1.Health/Check");
        assert_eq!(f[3].1, "127.0.0.1:50051");
        assert_eq!(f[5].1, "trailers");
        assert_eq!(f[6].1, "4321m");
        assert_eq!(f[8].1, "Bearer x");
        let (data, message) = &all[2];
        assert_eq!((data.kind, data.flags, data.stream), (DATA, END_STREAM, 1));
        assert_eq!(&message[..5], &[0, 0, 0, 0, 15]);
        assert_eq!(&message[5..7], &[0x0a, 13]);
        assert_eq!(&message[7..], b"my.pkg.Orders");
        assert!(bytes.len() < 300, "{}", bytes.len());
    }

    #[test]
    fn host_metadata_is_the_authority_and_an_empty_service_is_left_out() {
        let metadata = vec![("Host".to_string(), "app.test".to_string())];
        let bytes = request(&Request {
            scheme: "https",
            authority: "10.0.0.1:443",
            service: "",
            timeout: Duration::from_secs(200_000),
            metadata: &metadata,
        });
        let all = frames(&bytes[frame::PREFACE.len()..]);
        let f = fields(&all[1].1);
        assert_eq!(f[1].1, "https");
        assert_eq!(f[3].1, "app.test");
        assert_eq!(f[6].1, "200000S");
        assert_eq!(f.len(), 8);
        assert_eq!(all[2].1, [0, 0, 0, 0, 0]);
        // The whole call in about 220 bytes.
        assert!((200..260).contains(&bytes.len()), "{}", bytes.len());
    }

    #[test]
    fn a_huge_header_block_continues() {
        let metadata = vec![("x-big".to_string(), "v".repeat(20_000))];
        let bytes = request(&Request {
            scheme: "http",
            authority: "h:1",
            service: "",
            timeout: Duration::ZERO,
            metadata: &metadata,
        });
        let all = frames(&bytes[frame::PREFACE.len()..]);
        let kinds: Vec<(u8, u8)> = all.iter().map(|(h, _)| (h.kind, h.flags)).collect();
        assert_eq!(
            kinds,
            [
                (SETTINGS, 0),
                (HEADERS, 0),
                (CONTINUATION, END_HEADERS),
                (DATA, END_STREAM)
            ]
        );
        let block: Vec<u8> = all[1..3].iter().flat_map(|(_, p)| p.clone()).collect();
        let f = fields(&block);
        assert_eq!(f[6].1, "1m");
        assert_eq!(f[8].1.len(), 20_000);
    }

    #[test]
    fn integers_and_timeouts() {
        for n in [0, 1, 126, 127, 128, 255, 16_383, 16_384, 1 << 20] {
            let mut out = vec![];
            push_integer(&mut out, n);
            let mut block = vec![0];
            block.extend_from_slice(&out);
            block.extend(core::iter::repeat_n(b'a', n));
            block.push(0);
            let mut len = None;
            let r = hpack::decode(&block, &mut |name, _| len = Some(name.len()));
            if n + 32 <= hpack::MAX_LIST {
                r.unwrap();
                assert_eq!(len, Some(n));
            }
        }
        let t = |d| {
            let mut out = vec![];
            push_timeout(&mut out, d);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(t(Duration::from_micros(10)), "1m");
        assert_eq!(t(Duration::from_secs(5)), "5000m");
        assert_eq!(t(Duration::from_millis(99_999_999)), "99999999m");
        assert_eq!(t(Duration::from_secs(365 * 86_400)), "31536000S");
        assert_eq!(t(Duration::MAX), "99999999S");
    }

    #[test]
    fn response_status_field() {
        assert_eq!(serving_status(&[]), Ok(UNKNOWN));
        assert_eq!(serving_status(&[0x08, 0x01]), Ok(SERVING));
        assert_eq!(serving_status(&[0x08, 0x02]), Ok(2));
        // The last value of a repeated scalar wins.
        assert_eq!(serving_status(&[0x08, 0x02, 0x08, 0x01]), Ok(SERVING));
        // Unknown fields of every wire type are skipped.
        let msg = [
            0x10, 0x96, 0x01, // field 2 varint
            0x19, 1, 2, 3, 4, 5, 6, 7, 8, // field 3 fixed64
            0x22, 0x02, b'h', b'i', // field 4 bytes
            0x2d, 1, 2, 3, 4, // field 5 fixed32
            0x08, 0x01,
        ];
        assert_eq!(serving_status(&msg), Ok(SERVING));
        for bad in [
            &[0x08][..],
            &[0x08, 0x80],
            &[0x22, 0x05, b'x'],
            &[0x19, 1, 2],
            &[0x0b],
            &[0x00, 0x01],
            &[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
        ] {
            assert!(serving_status(bad).is_err(), "{bad:?}");
        }
    }
}
