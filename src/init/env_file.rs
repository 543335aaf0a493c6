//! `--env-file`: Docker's `--env-file` format. `KEY=VALUE` lines whose value is
//! the rest of the line, byte for byte (no quotes, no `${VAR}`); a bare `KEY`
//! takes the caller's value; `#` comments and blank lines are skipped.

/// Why a file cannot be used: a line (numbered from 1) that is neither
/// `KEY=VALUE`, `KEY`, a comment nor blank; or a value holding a NUL byte,
/// which no environment can carry.
#[derive(Debug, PartialEq, Eq)]
pub enum Bad<'f> {
    Line(usize),
    Nul { line: usize, name: &'f [u8] },
}

/// Calls `each(KEY, Some(VALUE))` for each `KEY=VALUE` line and `each(KEY,
/// None)` for each bare `KEY`, in file order, or stops at the first bad line.
/// As Docker: a UTF-8 byte order mark first is skipped, a line may end in
/// `\r\n`, leading blanks are dropped, and a KEY is anything up to the first
/// `=` without blanks; the value keeps its trailing blanks.
pub fn parse<'f>(
    file: &'f [u8],
    mut each: impl FnMut(&'f [u8], Option<&'f [u8]>),
) -> Result<(), Bad<'f>> {
    let file = file.strip_prefix(b"\xef\xbb\xbf").unwrap_or(file);
    for (i, line) in file.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let blanks = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let line = line.get(blanks..).unwrap_or_default();
        if line.first().is_none_or(|&b| b == b'#') {
            continue;
        }
        let (key, value) = match line.iter().position(|&b| b == b'=') {
            Some(at) => (line.get(..at).unwrap_or_default(), line.get(at + 1..)),
            None => (line, None),
        };
        if key.is_empty() || key.iter().any(|&b| b == 0 || b.is_ascii_whitespace()) {
            return Err(Bad::Line(i + 1));
        }
        if value.is_some_and(|v| v.contains(&0)) {
            return Err(Bad::Nul {
                line: i + 1,
                name: key,
            });
        }
        each(key, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    type Vars<'f> = Vec<(&'f [u8], Option<&'f [u8]>)>;

    fn vars(file: &[u8]) -> Result<Vars<'_>, Bad<'_>> {
        let mut out = Vec::new();
        parse(file, |k, v| out.push((k, v)))?;
        Ok(out)
    }

    #[test]
    fn values_are_the_rest_of_the_line_byte_for_byte() {
        let file = b"\xef\xbb\xbfA=1\n  B='two' \"x\" ${C} \nC==x=\r\n\n  \t# note\n#X=1\nD=\nE\n\xffF=\xfe";
        let want: [(&[u8], Option<&[u8]>); 6] = [
            (b"A", Some(b"1")),
            (b"B", Some(b"'two' \"x\" ${C} ")),
            (b"C", Some(b"=x=")),
            (b"D", Some(b"")),
            (b"E", None),
            (b"\xffF", Some(b"\xfe")),
        ];
        assert_eq!(vars(file), Ok(want.to_vec()));
        assert_eq!(vars(b""), Ok(vec![]));
    }

    #[test]
    fn a_line_that_is_not_key_value_key_or_comment_is_named_by_number() {
        for (file, line) in [
            (&b"=x"[..], 1),
            (b"A=1\nA B=1", 2),
            (b"A=1\n\n B C\n", 3),
            (b"A\0=x", 1),
            (b"A=1\r\n\t=\n", 2),
        ] {
            assert_eq!(vars(file), Err(Bad::Line(line)), "{file:?}");
        }
    }

    #[test]
    fn a_nul_byte_in_a_value_names_its_line_and_key() {
        assert_eq!(
            vars(b"OK=1\nPASSWORD=a\0b\n"),
            Err(Bad::Nul {
                line: 2,
                name: b"PASSWORD"
            })
        );
    }
}
