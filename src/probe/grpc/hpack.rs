//! HPACK header block decoding (RFC 7541) for a peer told to keep no dynamic
//! table (we advertise SETTINGS_HEADER_TABLE_SIZE 0): every representation,
//! Huffman strings, size updates; a dynamic-table index is an error.

use alloc::vec::Vec;

use super::huffman;

/// The static table (RFC 7541 Appendix A), one entry a line, name and value
/// split at the first space. One string, not 61 slices: no relocations.
const STATIC_TABLE: &str = "\
:authority
:method GET
:method POST
:path /
:path /index.html
:scheme http
:scheme https
:status 200
:status 204
:status 206
:status 304
:status 400
:status 404
:status 500
accept-charset
accept-encoding gzip, deflate
accept-language
accept-ranges
accept
access-control-allow-origin
age
allow
authorization
cache-control
content-disposition
content-encoding
content-language
content-length
content-location
content-range
content-type
cookie
date
etag
expect
expires
from
host
if-match
if-modified-since
if-none-match
if-range
if-unmodified-since
last-modified
link
location
max-forwards
proxy-authenticate
proxy-authorization
range
referer
refresh
retry-after
server
set-cookie
strict-transport-security
transfer-encoding
user-agent
vary
via
www-authenticate";

/// The decoded fields of one block may take this much, counted as RFC 9113
/// section 6.5.2 counts a header list (name + value + 32 per field).
pub const MAX_LIST: usize = 32 * 1024;

/// Why a header block cannot be decoded (a COMPRESSION_ERROR).
#[derive(Debug, PartialEq, Eq)]
pub struct BadBlock(pub &'static str);

/// Static table entry `index` (1-61) as (name, value).
fn static_entry(index: usize) -> Result<(&'static [u8], &'static [u8]), BadBlock> {
    if index == 0 {
        return Err(BadBlock("index 0"));
    }
    match STATIC_TABLE.split('\n').nth(index - 1) {
        Some(line) => {
            let (name, value) = line.split_once(' ').unwrap_or((line, ""));
            Ok((name.as_bytes(), value.as_bytes()))
        }
        None => Err(BadBlock("dynamic table reference")),
    }
}

/// Reads bytes of a block front to back.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, BadBlock> {
        let (&b, rest) = self.rest.split_first().ok_or(BadBlock("truncated block"))?;
        self.rest = rest;
        Ok(b)
    }

    /// An integer with an N-bit prefix (section 5.1); `first` is the byte
    /// holding the prefix. Values past 2^24 are refused: nothing we accept
    /// (a length inside a 16 KiB block, an index) comes near.
    fn integer(&mut self, first: u8, prefix_bits: u32) -> Result<usize, BadBlock> {
        let max = (1usize << prefix_bits) - 1;
        let mut value = usize::from(first) & max;
        if value < max {
            return Ok(value);
        }
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            value += usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
            if shift > 21 {
                return Err(BadBlock("integer too large"));
            }
        }
    }

    /// A string literal (section 5.2), Huffman-decoded into `out` if coded.
    fn string(&mut self, out: &mut Vec<u8>) -> Result<(), BadBlock> {
        let first = self.byte()?;
        let len = self.integer(first, 7)?;
        let (raw, rest) = self
            .rest
            .split_at_checked(len)
            .ok_or(BadBlock("string past the end of the block"))?;
        self.rest = rest;
        out.clear();
        if first & 0x80 != 0 {
            huffman::decode(raw, out).map_err(|_| BadBlock("bad Huffman string"))
        } else {
            out.extend_from_slice(raw);
            Ok(())
        }
    }
}

/// Decodes one complete header block, handing each field to `field` as
/// (name, value) in order. Fails on anything malformed or over MAX_LIST.
pub fn decode(block: &[u8], field: &mut dyn FnMut(&[u8], &[u8])) -> Result<(), BadBlock> {
    let mut r = Reader { rest: block };
    let (mut name, mut value) = (Vec::new(), Vec::new());
    // The header list size so far: also, non-zero once a field was seen.
    let mut list = 0usize;
    while let Ok(first) = r.byte() {
        let (n, v): (&[u8], &[u8]) = if first & 0x80 != 0 {
            // Indexed field (section 6.1).
            static_entry(r.integer(first, 7)?)?
        } else if first & 0xe0 == 0x20 {
            // Dynamic table size update (section 6.3): only to 0, the size we
            // allow, and only before the first field (section 4.2).
            if r.integer(first, 5)? != 0 {
                return Err(BadBlock("dynamic table size update above 0"));
            }
            if list > 0 {
                return Err(BadBlock("table size update after a field"));
            }
            continue;
        } else {
            // Literal with incremental indexing (01, 6-bit index), without
            // indexing (0000) or never indexed (0001), 4-bit index. With a
            // table of size 0, "incremental indexing" stores nothing.
            let prefix = if first & 0x40 != 0 { 6 } else { 4 };
            let n = match r.integer(first, prefix)? {
                0 => {
                    r.string(&mut name)?;
                    &name[..]
                }
                index => static_entry(index)?.0,
            };
            r.string(&mut value)?;
            (n, &value[..])
        };
        list += n.len() + v.len() + 32;
        if list > MAX_LIST {
            return Err(BadBlock("header list too large"));
        }
        field(n, v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;

    fn fields(block: &[u8]) -> Result<Vec<(String, String)>, BadBlock> {
        let mut all = Vec::new();
        decode(block, &mut |n, v| {
            all.push((
                String::from_utf8_lossy(n).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            ))
        })?;
        Ok(all)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn static_table_has_61_entries() {
        assert_eq!(STATIC_TABLE.split('\n').count(), 61);
        assert_eq!(static_entry(1).unwrap(), (&b":authority"[..], &b""[..]));
        assert_eq!(static_entry(8).unwrap(), (&b":status"[..], &b"200"[..]));
        assert_eq!(
            static_entry(16).unwrap(),
            (&b"accept-encoding"[..], &b"gzip, deflate"[..])
        );
        assert_eq!(static_entry(31).unwrap().0, b"content-type");
        assert_eq!(static_entry(61).unwrap().0, b"www-authenticate");
        assert_eq!(static_entry(62), Err(BadBlock("dynamic table reference")));
        assert_eq!(static_entry(0), Err(BadBlock("index 0")));
    }

    #[test]
    fn integers_with_every_prefix_width() {
        // RFC 7541 C.1: 10 in a 5-bit prefix, 1337 in a 5-bit prefix, 42 in 8.
        let mut r = Reader { rest: &[] };
        assert_eq!(r.integer(0b0000_1010, 5), Ok(10));
        let mut r = Reader {
            rest: &[0x9a, 0x0a],
        };
        assert_eq!(r.integer(0b0001_1111, 5), Ok(1337));
        assert!(r.rest.is_empty());
        let mut r = Reader { rest: &[] };
        assert_eq!(r.integer(42, 8), Ok(42));
        for bits in 1..=8u32 {
            let max = (1usize << bits) - 1;
            // Exactly the prefix maximum needs one more byte holding 0.
            let mut r = Reader { rest: &[0] };
            assert_eq!(r.integer(0xff, bits), Ok(max));
            let mut r = Reader { rest: &[] };
            assert_eq!(r.integer(0xff, bits), Err(BadBlock("truncated block")));
            let mut r = Reader { rest: &[] };
            assert_eq!(r.integer((max - 1) as u8, bits), Ok(max - 1));
        }
        // A redundant zero continuation byte is still a valid integer.
        let mut r = Reader {
            rest: &[0x81, 0x00],
        };
        assert_eq!(r.integer(0x7f, 7), Ok(128));
        let mut r = Reader {
            rest: &[0xff, 0xff, 0xff, 0xff, 0x0f],
        };
        assert_eq!(r.integer(0x7f, 7), Err(BadBlock("integer too large")));
    }

    #[test]
    fn decodes_the_rfc_request_without_huffman() {
        // RFC 7541 C.3.1: indexed fields and a literal with indexing.
        let block = [
            0x82, 0x86, 0x84, 0x41, 0x0f, b'w', b'w', b'w', b'.', b'e', b'x', b'a', b'm', b'p',
            b'l', b'e', b'.', b'c', b'o', b'm',
        ];
        assert_eq!(
            fields(&block).unwrap(),
            pairs(&[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/"),
                (":authority", "www.example.com"),
            ])
        );
    }

    #[test]
    fn decodes_huffman_literals() {
        // RFC 7541 C.4.1 with the name given literally, Huffman-coded too.
        let block = [
            0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff,
            0x00, 0x88, 0x25, 0xa8, 0x49, 0xe9, 0x5b, 0xa9, 0x7d, 0x7f, 0x82, 0x64, 0x02,
        ];
        assert_eq!(
            fields(&block).unwrap(),
            pairs(&[(":authority", "www.example.com"), ("custom-key", "302")])
        );
        // '0' (00000) with padding 000: not the EOS prefix.
        assert_eq!(
            fields(&[0x00, 0x81, 0x00, 0x81, 0x00]),
            Err(BadBlock("bad Huffman string"))
        );
    }

    #[test]
    fn every_literal_form() {
        // Without indexing (0000), never indexed (0001), incremental (01):
        // with an indexed name and with a new name.
        let block = [
            0x08, 0x03, b'2', b'0', b'0', // :status (8) without indexing
            0x1f, 0x10, 0x01, b'x', // content-type (31) never indexed
            0x10, 0x01, b'a', 0x01, b'b', // new name, never indexed
            0x40, 0x01, b'c', 0x00, // new name, incremental, empty value
            0x7f, 0x00, 0x00, // name index 63: dynamic, refused below
        ];
        let ok = fields(&block[..18]).unwrap();
        assert_eq!(
            ok,
            pairs(&[
                (":status", "200"),
                ("content-type", "x"),
                ("a", "b"),
                ("c", ""),
            ])
        );
        assert_eq!(fields(&block), Err(BadBlock("dynamic table reference")));
    }

    #[test]
    fn size_updates_only_to_zero_and_only_first() {
        assert_eq!(fields(&[0x20, 0x88]).unwrap(), pairs(&[(":status", "200")]));
        assert_eq!(fields(&[0x20, 0x20]).unwrap(), vec![]);
        assert!(fields(&[0x3f, 0xe1, 0x1f]).is_err()); // 4096
        assert!(fields(&[0x88, 0x20]).is_err());
    }

    #[test]
    fn dynamic_references_are_refused() {
        assert_eq!(fields(&[0xbe]), Err(BadBlock("dynamic table reference"))); // 62
        assert_eq!(fields(&[0x80]), Err(BadBlock("index 0")));
        assert!(fields(&[0xff, 0x80, 0x01]).is_err());
        assert!(fields(&[0x7e, 0x01, b'x']).is_err()); // name 62, incremental
        assert!(fields(&[0x0f, 0x30, 0x01, b'x']).is_err()); // name 63, without
    }

    #[test]
    fn lengths_are_bounded() {
        // A string claiming more bytes than the block holds.
        assert!(fields(&[0x00, 0x05, b'a']).is_err());
        assert!(fields(&[0x00, 0x7f, 0xff, 0xff, 0xff, 0x7f]).is_err());
        // A truncated representation.
        assert!(fields(&[0x00]).is_err());
        assert!(fields(&[0x00, 0x01, b'a']).is_err());
        // Many small fields add up past MAX_LIST.
        let mut block = Vec::new();
        for _ in 0..(MAX_LIST / 38 + 1) {
            block.extend_from_slice(&[0x00, 0x04, b'n', b'a', b'm', b'e', 0x02, b'v', b'v']);
        }
        assert_eq!(fields(&block), Err(BadBlock("header list too large")));
    }
}
