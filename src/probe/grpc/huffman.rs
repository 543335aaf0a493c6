//! HPACK's Huffman code (RFC 7541 Appendix B), decoding only: the code is
//! canonical, so 30 counts and 256 symbols in code order describe all of it.

use alloc::vec::Vec;

/// How many codes have each length, 1 to 30 bits. The last four 30-bit codes
/// are bytes 10, 13, 22 and EOS; EOS has no byte, so SYMBOLS ends before it.
const COUNTS: [u8; 30] = [
    0, 0, 0, 0, 10, 26, 32, 6, 0, 5, 3, 2, 6, 2, 3, 0, 0, 0, 3, 8, 13, 26, 29, 12, 4, 15, 19, 29,
    0, 4,
];

/// The bytes in code order: shorter codes first, equal lengths by byte value.
const SYMBOLS: [u8; 256] = [
    48, 49, 50, 97, 99, 101, 105, 111, 115, 116, 32, 37, 45, 46, 47, 51, 52, 53, 54, 55, 56, 57,
    61, 65, 95, 98, 100, 102, 103, 104, 108, 109, 110, 112, 114, 117, 58, 66, 67, 68, 69, 70, 71,
    72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 89, 106, 107, 113, 118, 119,
    120, 121, 122, 38, 42, 44, 59, 88, 90, 33, 34, 40, 41, 63, 39, 43, 124, 35, 62, 0, 36, 64, 91,
    93, 126, 94, 125, 60, 96, 123, 92, 195, 208, 128, 130, 131, 162, 184, 194, 224, 226, 153, 161,
    167, 172, 176, 177, 179, 209, 216, 217, 227, 229, 230, 129, 132, 133, 134, 136, 146, 154, 156,
    160, 163, 164, 169, 170, 173, 178, 181, 185, 186, 187, 189, 190, 196, 198, 228, 232, 233, 1,
    135, 137, 138, 139, 140, 141, 143, 147, 149, 150, 151, 152, 155, 157, 158, 165, 166, 168, 174,
    175, 180, 182, 183, 188, 191, 197, 231, 239, 9, 142, 144, 145, 148, 159, 171, 206, 215, 225,
    236, 237, 199, 207, 234, 235, 192, 193, 200, 201, 202, 205, 210, 213, 218, 219, 238, 240, 242,
    243, 255, 203, 204, 211, 212, 214, 221, 222, 223, 241, 244, 245, 246, 247, 248, 250, 251, 252,
    253, 254, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28,
    29, 30, 31, 127, 220, 249, 10, 13, 22,
];

/// Huffman-coded bytes that are not a valid string: an EOS symbol, padding of
/// more than 7 bits, or padding that is not the EOS code's leading ones.
#[derive(Debug, PartialEq, Eq)]
pub struct BadHuffman;

/// Appends the decoded bytes of `input` to `out` (at most 8/5 of its length).
pub fn decode(input: &[u8], out: &mut Vec<u8>) -> Result<(), BadHuffman> {
    // Canonical decoding: `code` holds the bits read of the current symbol,
    // `first` the first code of that length, `index` its position in SYMBOLS.
    let (mut code, mut first, mut index, mut len) = (0u32, 0u32, 0usize, 0usize);
    for &byte in input {
        for shift in (0..8).rev() {
            code |= u32::from(byte >> shift) & 1;
            let count = u32::from(*COUNTS.get(len).ok_or(BadHuffman)?);
            if code.wrapping_sub(first) < count {
                let at = index + (code - first) as usize;
                out.push(*SYMBOLS.get(at).ok_or(BadHuffman)?);
                (code, first, index, len) = (0, 0, 0, 0);
            } else {
                index += count as usize;
                first = (first + count) << 1;
                code <<= 1;
                len += 1;
                if len == COUNTS.len() {
                    return Err(BadHuffman);
                }
            }
        }
    }
    // What is left must be padding: at most 7 bits, all ones (section 5.2).
    if len > 7 || code >> 1 != (1 << len) - 1 {
        return Err(BadHuffman);
    }
    Ok(())
}

#[cfg(test)]
/// Each byte's (code, length), rebuilt from the canonical description.
pub fn codes() -> Vec<(u8, u32, usize)> {
    let mut all = Vec::new();
    let (mut code, mut at) = (0u32, 0usize);
    for (i, &count) in COUNTS.iter().enumerate() {
        for _ in 0..count {
            if at < 256 {
                all.push((SYMBOLS[at], code, i + 1));
            }
            code += 1;
            at += 1;
        }
        code <<= 1;
    }
    all
}

#[cfg(test)]
/// Huffman-codes `text` (tests only: vigil never sends Huffman strings).
pub fn encode(text: &[u8]) -> Vec<u8> {
    let table = codes();
    let (mut acc, mut bits, mut out) = (0u64, 0usize, Vec::new());
    for &b in text {
        let &(_, code, len) = table.iter().find(|c| c.0 == b).unwrap();
        acc = acc << len | u64::from(code);
        bits += len;
        while bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if bits > 0 {
        out.push(((acc << (8 - bits)) as u8) | (0xff >> bits));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| *b != b' ').collect();
        s.chunks(2)
            .map(|p| u8::from_str_radix(core::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    fn dec(bytes: &[u8]) -> Result<Vec<u8>, BadHuffman> {
        let mut out = Vec::new();
        decode(bytes, &mut out).map(|()| out)
    }

    #[test]
    fn decodes_the_rfc_examples() {
        // RFC 7541 Appendix C.4 and C.6.
        for (coded, text) in [
            ("f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com"),
            ("a8eb 1064 9cbf", "no-cache"),
            ("25a8 49e9 5ba9 7d7f", "custom-key"),
            ("25a8 49e9 5bb8 e8b4 bf", "custom-value"),
            ("6402", "302"),
            ("aec3 771a 4b", "private"),
            (
                "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff",
                "Mon, 21 Oct 2013 20:13:21 GMT",
            ),
            (
                "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3",
                "https://www.example.com",
            ),
        ] {
            assert_eq!(dec(&hex(coded)).unwrap(), text.as_bytes(), "{text}");
        }
        assert_eq!(dec(&[]).unwrap(), b"");
    }

    #[test]
    fn the_table_is_a_complete_prefix_code() {
        // Kraft equality over all 257 codes: nothing missing, nothing extra.
        let sum: u64 = COUNTS
            .iter()
            .enumerate()
            .map(|(i, &c)| u64::from(c) << (30 - (i + 1)))
            .sum();
        assert_eq!(sum, 1 << 30);
        let mut seen = [false; 256];
        for s in SYMBOLS {
            seen[usize::from(s)] = true;
        }
        assert!(seen.iter().all(|s| *s));
        // Spot checks against the RFC's table.
        let table = codes();
        let code_of = |b: u8| table.iter().find(|c| c.0 == b).map(|c| (c.1, c.2)).unwrap();
        assert_eq!(code_of(b'0'), (0x0, 5));
        assert_eq!(code_of(b' '), (0x14, 6));
        assert_eq!(code_of(0), (0x1ff8, 13));
        assert_eq!(code_of(255), (0x3ffffee, 26));
        assert_eq!(code_of(10), (0x3ffffffc, 30));
    }

    #[test]
    fn every_byte_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(dec(&encode(&all)).unwrap(), all);
        for b in 0..=255u8 {
            assert_eq!(dec(&encode(&[b, b'a', b])).unwrap(), [b, b'a', b]);
        }
    }

    #[test]
    fn rejects_bad_padding_and_eos() {
        // '0' is 00000: three bits of padding must be ones.
        assert_eq!(dec(&[0b0000_0111]).unwrap(), b"0");
        assert_eq!(dec(&[0b0000_0110]), Err(BadHuffman));
        // A whole byte of ones is padding longer than 7 bits.
        assert_eq!(dec(&[0b0000_0111, 0xff]), Err(BadHuffman));
        // EOS itself (30 ones), padded with ones.
        assert_eq!(dec(&[0xff, 0xff, 0xff, 0xff]), Err(BadHuffman));
        assert_eq!(dec(&[0xff; 64]), Err(BadHuffman));
    }
}
