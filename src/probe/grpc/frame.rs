//! HTTP/2 frames (RFC 9113 section 4 and 6): the 9-byte header, the frame
//! types and flags a unary call meets, padding removal and the frame writer.

use alloc::vec::Vec;

pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const PRIORITY: u8 = 0x2;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PUSH_PROMISE: u8 = 0x5;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const CONTINUATION: u8 = 0x9;

/// END_STREAM on DATA and HEADERS; ACK on SETTINGS and PING (same bit).
pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const PADDED: u8 = 0x8;
pub const PRIORITY_FLAG: u8 = 0x20;

pub const HEADER_LEN: usize = 9;
/// SETTINGS_MAX_FRAME_SIZE's initial value, which we never raise: a peer
/// sending a larger frame breaks the protocol (section 4.2).
pub const MAX_PAYLOAD: usize = 16 * 1024;

/// The client connection preface (section 3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A frame header: payload length, type, flags, stream (reserved bit cleared).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub len: usize,
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
}

impl Header {
    /// Reads a frame's header: its first HEADER_LEN bytes.
    pub fn parse(bytes: &[u8; HEADER_LEN]) -> Header {
        let [l0, l1, l2, kind, flags, s0, s1, s2, s3] = *bytes;
        Header {
            len: usize::from(l0) << 16 | usize::from(l1) << 8 | usize::from(l2),
            kind,
            flags,
            stream: u32::from_be_bytes([s0, s1, s2, s3]) & 0x7fff_ffff,
        }
    }

    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// The fragment or data inside a DATA or HEADERS payload: without the pad
/// length and padding (PADDED) and the priority fields (PRIORITY, HEADERS only).
pub fn content<'a>(header: &Header, payload: &'a [u8]) -> Result<&'a [u8], &'static str> {
    let mut body = payload;
    let mut pad = 0;
    if header.has(PADDED) {
        let (&n, rest) = body
            .split_first()
            .ok_or("padded frame without a pad length")?;
        pad = usize::from(n);
        body = rest;
    }
    if header.kind == HEADERS && header.has(PRIORITY_FLAG) {
        body = body.get(5..).ok_or("HEADERS too short for its priority")?;
    }
    // Padding as long as the payload or longer is a PROTOCOL_ERROR (6.1).
    body.len()
        .checked_sub(pad)
        .map(|end| &body[..end])
        .ok_or("padding longer than the frame")
}

/// Appends one frame to `out`.
pub fn write(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    let len = payload.len() as u32;
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let mut out = Vec::new();
        write(&mut out, PING, ACK, 0, &[1; 8]);
        assert_eq!(out.len(), HEADER_LEN + 8);
        assert_eq!(&out[..9], &[0, 0, 8, 6, 1, 0, 0, 0, 0]);
        let h = Header::parse(&[0x01, 0x02, 0x03, 1, 0x25, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(
            h,
            Header {
                len: 0x010203,
                kind: HEADERS,
                flags: 0x25,
                stream: 0x7fff_ffff,
            }
        );
        assert!(h.has(END_STREAM) && h.has(END_HEADERS) && h.has(PRIORITY_FLAG));
        assert!(!h.has(PADDED));
    }

    fn head(kind: u8, flags: u8) -> Header {
        Header {
            len: 0,
            kind,
            flags,
            stream: 1,
        }
    }

    #[test]
    fn padding_and_priority_are_removed() {
        assert_eq!(content(&head(DATA, 0), b"abc"), Ok(&b"abc"[..]));
        assert_eq!(content(&head(DATA, PADDED), b"\x02abcxx"), Ok(&b"abc"[..]));
        assert_eq!(content(&head(DATA, PADDED), b"\x00"), Ok(&b""[..]));
        assert!(content(&head(DATA, PADDED), b"\x03ab").is_err());
        assert!(content(&head(DATA, PADDED), b"").is_err());
        // PRIORITY means nothing on DATA.
        assert_eq!(
            content(&head(DATA, PRIORITY_FLAG), b"abcdefg"),
            Ok(&b"abcdefg"[..])
        );
        let both = head(HEADERS, PADDED | PRIORITY_FLAG);
        assert_eq!(content(&both, b"\x01\0\0\0\x03\x10hiP"), Ok(&b"hi"[..]));
        assert!(content(&head(HEADERS, PRIORITY_FLAG), b"\0\0\0").is_err());
        assert!(content(&both, b"\x05\0\0\0\x03\x10hi").is_err());
    }
}
