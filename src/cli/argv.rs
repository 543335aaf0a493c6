//! Splits argv, as bytes, into options and operands: `--name`, `--name=value`,
//! clustered short options (`-gv`, `-t5s`, `-t=5s`), `--`, and operands.
//!
//! Our own, instead of lexopt (which needs std). It keeps lexopt's rules and
//! messages: a value is the rest of its cluster or the next word, even one
//! starting with `-`; a lone `-` is an operand; an option name that is not
//! UTF-8 is decoded lossily, and values are never decoded here. A value in a
//! message is quoted as lexopt did, except that characters outside ASCII are
//! shown as they are unless they hide text (`quoted`).

use alloc::format;
use alloc::string::String;
use alloc::vec::{IntoIter, Vec};

/// One item of the command line.
#[derive(Debug, PartialEq, Eq)]
pub enum Arg {
    /// `-x`, alone or as one letter of a cluster such as `-gv`.
    Short(char),
    /// `--name`, without its dashes.
    Long(String),
    /// A word that is not an option, or any word after `--`.
    Operand(Vec<u8>),
}

enum State {
    Idle,
    /// The value of `--name=value`, not taken yet.
    Attached(Vec<u8>),
    /// Inside the cluster `-abc`, at this byte.
    Cluster(Vec<u8>, usize),
    /// After `--`: every word is an operand.
    Operands,
}

pub struct Lexer {
    words: IntoIter<Vec<u8>>,
    state: State,
    /// The option returned last, as typed (`-t`, `--grace`), for messages.
    last: String,
}

impl Lexer {
    /// Lexes the arguments after `argv[0]`.
    pub fn new(args: Vec<Vec<u8>>) -> Lexer {
        Lexer {
            words: args.into_iter(),
            state: State::Idle,
            last: String::new(),
        }
    }

    /// The next option or operand; `None` at the end. An option given a value
    /// it does not take (`--group=1`, `-g=1`) is an error here.
    pub fn next_arg(&mut self) -> Result<Option<Arg>, String> {
        loop {
            match core::mem::replace(&mut self.state, State::Idle) {
                State::Idle => {}
                State::Attached(value) => return Err(self.unexpected(&value)),
                State::Cluster(word, at) => {
                    // The cluster's rest; at its end, on to the next word.
                    if let Some(rest @ [first, value @ ..]) = word.get(at..) {
                        if *first == b'=' && at > 1 {
                            return Err(self.unexpected(value));
                        }
                        let (c, len) = first_char(rest);
                        self.state = State::Cluster(word, at + len);
                        // Pushed, not formatted: no char Display in the binary.
                        self.last = String::from("-");
                        self.last.push(c);
                        return Ok(Some(Arg::Short(c)));
                    }
                }
                State::Operands => {
                    self.state = State::Operands;
                    return Ok(self.words.next().map(Arg::Operand));
                }
            }
            let Some(word) = self.words.next() else {
                return Ok(None);
            };
            if word == b"--" {
                self.state = State::Operands;
            } else if word.starts_with(b"--") {
                let end = match word.iter().position(|&b| b == b'=') {
                    Some(eq) => {
                        self.state =
                            State::Attached(word.get(eq + 1..).unwrap_or_default().to_vec());
                        eq
                    }
                    None => word.len(),
                };
                self.last = String::from_utf8_lossy(&word[..end]).into_owned();
                let name = self.last.strip_prefix("--").unwrap_or_default();
                return Ok(Some(Arg::Long(name.into())));
            } else if let [b'-', _, ..] = word[..] {
                self.state = State::Cluster(word, 1);
            } else {
                return Ok(Some(Arg::Operand(word)));
            }
        }
    }

    /// The value of the option just returned: what follows it in its word
    /// (after one `=`), else the next word whatever it is; `None` at the end.
    pub fn value(&mut self) -> Option<Vec<u8>> {
        match core::mem::replace(&mut self.state, State::Idle) {
            State::Attached(value) => return Some(value),
            State::Cluster(mut word, at) if at < word.len() => {
                let skip = if word.get(at) == Some(&b'=') {
                    at + 1
                } else {
                    at
                };
                word.drain(..skip);
                return Some(word);
            }
            State::Operands => self.state = State::Operands,
            State::Idle | State::Cluster(..) => {}
        }
        self.words.next()
    }

    /// Whether the operand just returned came after `--`.
    pub fn after_double_dash(&self) -> bool {
        matches!(self.state, State::Operands)
    }

    /// The words not lexed yet, untouched (PROGRAM's arguments).
    pub fn rest(self) -> IntoIter<Vec<u8>> {
        self.words
    }

    fn unexpected(&self, value: &[u8]) -> String {
        format!(
            "unexpected argument for option '{}': {}",
            self.last,
            quoted(value)
        )
    }
}

/// The first character of a cluster's rest and its length in bytes; bytes that
/// are not UTF-8 make one U+FFFD each run, as `String::from_utf8_lossy` would.
fn first_char(bytes: &[u8]) -> (char, usize) {
    let head = bytes.get(..4).unwrap_or(bytes);
    let valid = match core::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) => match core::str::from_utf8(head.get(..e.valid_up_to()).unwrap_or_default()) {
            Ok(text) if !text.is_empty() => text,
            _ => return ('\u{FFFD}', e.error_len().unwrap_or(bytes.len())),
        },
    };
    match valid.chars().next() {
        Some(c) => (c, c.len_utf8()),
        None => ('\u{FFFD}', bytes.len()),
    }
}

/// `bytes` quoted as Rust's `Debug` shows an `OsStr` on Unix (`"a\tb\xFF"`),
/// which is how lexopt printed an unexpected value, except that characters
/// outside ASCII print as they are unless they can hide or break a line
/// (`log::push_shown`): no Unicode tables for a usage error.
pub fn quoted(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if matches!(c, '"' | '\\') {
                out.push('\\');
            }
            crate::log::push_shown(&mut out, c);
        }
        for &b in chunk.invalid() {
            out.push_str("\\x");
            out.push(HEX[usize::from(b >> 4)].into());
            out.push(HEX[usize::from(b & 0xF)].into());
        }
    }
    out.push('"');
    out
}

const HEX: [u8; 16] = *b"0123456789ABCDEF";

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(words: &[&[u8]]) -> Lexer {
        Lexer::new(words.iter().map(|w| w.to_vec()).collect())
    }

    fn long(name: &str) -> Option<Arg> {
        Some(Arg::Long(name.into()))
    }

    #[test]
    fn longs_with_and_without_attached_values() {
        let mut l = lex(&[b"--grace=5s", b"--user", b"-app", b"--grace="]);
        assert_eq!(l.next_arg(), Ok(long("grace")));
        assert_eq!(l.value(), Some(b"5s".to_vec()));
        assert_eq!(l.next_arg(), Ok(long("user")));
        // A value may start with a dash.
        assert_eq!(l.value(), Some(b"-app".to_vec()));
        assert_eq!(l.next_arg(), Ok(long("grace")));
        assert_eq!(l.value(), Some(Vec::new()));
        assert_eq!(l.next_arg(), Ok(None));
        assert_eq!(l.value(), None);
    }

    #[test]
    fn clusters_and_short_values() {
        let mut l = lex(&[b"-gvt5s", b"-t", b"1s", b"-t=2s", b"-"]);
        assert_eq!(l.next_arg(), Ok(Some(Arg::Short('g'))));
        assert_eq!(l.next_arg(), Ok(Some(Arg::Short('v'))));
        assert_eq!(l.next_arg(), Ok(Some(Arg::Short('t'))));
        assert_eq!(l.value(), Some(b"5s".to_vec()));
        assert_eq!(l.next_arg(), Ok(Some(Arg::Short('t'))));
        assert_eq!(l.value(), Some(b"1s".to_vec()));
        assert_eq!(l.next_arg(), Ok(Some(Arg::Short('t'))));
        assert_eq!(l.value(), Some(b"2s".to_vec()));
        assert_eq!(l.next_arg(), Ok(Some(Arg::Operand(b"-".to_vec()))));
    }

    #[test]
    fn double_dash_ends_options_and_rest_is_untouched() {
        let mut l = lex(&[b"-g", b"--", b"-x", b"--", b"y"]);
        assert_eq!(l.next_arg(), Ok(Some(Arg::Short('g'))));
        assert_eq!(l.next_arg(), Ok(Some(Arg::Operand(b"-x".to_vec()))));
        assert!(l.after_double_dash());
        assert_eq!(l.rest().as_slice(), [b"--".to_vec(), b"y".to_vec()]);
        let mut l = lex(&[b"sh", b"-c", b"exit 4"]);
        assert_eq!(l.next_arg(), Ok(Some(Arg::Operand(b"sh".to_vec()))));
        assert!(!l.after_double_dash());
        assert_eq!(l.rest().as_slice(), [b"-c".to_vec(), b"exit 4".to_vec()]);
    }

    #[test]
    fn a_value_given_to_a_switch_is_an_error_as_lexopt_said_it() {
        let mut l = lex(&[b"--group=1"]);
        assert_eq!(l.next_arg(), Ok(long("group")));
        assert_eq!(
            l.next_arg(),
            Err("unexpected argument for option '--group': \"1\"".into())
        );
        let mut l = lex(&[b"-g=it's\t\xff"]);
        assert_eq!(l.next_arg(), Ok(Some(Arg::Short('g'))));
        assert_eq!(
            l.next_arg(),
            Err("unexpected argument for option '-g': \"it's\\t\\xFF\"".into())
        );
        // `-=` is an option named `=`, not a value.
        let mut l = lex(&[b"-="]);
        assert_eq!(l.next_arg(), Ok(Some(Arg::Short('='))));
    }

    #[test]
    fn names_that_are_not_utf8_are_decoded_lossily() {
        let mut l = lex(&[b"--gr\xffup", b"-\xff\xc3\xa9"]);
        assert_eq!(l.next_arg(), Ok(long("gr\u{FFFD}up")));
        assert_eq!(l.next_arg(), Ok(Some(Arg::Short('\u{FFFD}'))));
        assert_eq!(l.next_arg(), Ok(Some(Arg::Short('é'))));
        assert_eq!(l.next_arg(), Ok(None));
    }

    #[test]
    fn quoting_matches_os_str_debug_for_ascii_and_bytes() {
        assert_eq!(quoted(b"a\"b\\c\n\0"), "\"a\\\"b\\\\c\\n\\0\"");
        assert_eq!(
            quoted(b"it's\t\r\x01 \x7f \xfe\x80\xc3"),
            "\"it's\\t\\r\\u{1} \\u{7f} \\xFE\\x80\\xC3\""
        );
    }

    #[test]
    fn ascii_and_undecodable_bytes_are_quoted_as_std_debugs_an_os_str() {
        use std::os::unix::ffi::OsStrExt;
        let std_debug = |bytes: &[u8]| format!("{:?}", std::ffi::OsStr::from_bytes(bytes));
        for b in 0..=0x7F_u8 {
            assert_eq!(quoted(&[b, b'x', b]), std_debug(&[b, b'x', b]), "{b}");
        }
        for b in 0x80..=0xFF_u8 {
            assert_eq!(quoted(&[b'a', b]), std_debug(&[b'a', b]), "{b}");
        }
    }

    #[test]
    fn characters_outside_ascii_print_as_they_are_unless_they_hide_text() {
        assert_eq!(
            quoted("café ✓ Ωmega 名前 🙂".as_bytes()),
            "\"café ✓ Ωmega 名前 🙂\""
        );
        // Printable neighbours of the escaped ranges stay as they are.
        assert_eq!(
            quoted("\u{A0}\u{200A}\u{2010}\u{2027}\u{202A}\u{FEFE}".as_bytes()),
            "\"\u{A0}\u{200A}\u{2010}\u{2027}\u{202A}\u{FEFE}\""
        );
        let hidden = [
            ('\u{80}', "\\u{80}"),
            ('\u{85}', "\\u{85}"),
            ('\u{9F}', "\\u{9f}"),
            ('\u{200B}', "\\u{200b}"),
            ('\u{200D}', "\\u{200d}"),
            ('\u{200F}', "\\u{200f}"),
            ('\u{2028}', "\\u{2028}"),
            ('\u{2029}', "\\u{2029}"),
            ('\u{2060}', "\\u{2060}"),
            ('\u{FEFF}', "\\u{feff}"),
        ];
        for (c, escaped) in hidden {
            let text = format!("a{c}b");
            assert_eq!(quoted(text.as_bytes()), format!("\"a{escaped}b\""), "{c:?}");
        }
        // Every ASCII control character is escaped; none prints raw.
        for b in (0..0x20).chain([0x7F]) {
            let shown = quoted(&[b]);
            assert!(
                shown.starts_with("\"\\") && shown.is_ascii(),
                "{b}: {shown}"
            );
            assert!(
                !shown.bytes().any(|s| s < 0x20 || s == 0x7F),
                "{b}: {shown}"
            );
        }
    }
}
