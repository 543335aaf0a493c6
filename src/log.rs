//! vigil's own messages: one line each on stderr, prefixed `vigil:`, filtered by level.
//! stdout belongs to the child (init mode) or to probe results (check mode), never to logs.

use alloc::string::String;
use core::fmt::{self, Write as _};
use core::sync::atomic::{AtomicU8, Ordering};

use crate::output_queue::{self, Stream};
use crate::sys::stdio;

/// How much vigil says about itself, quietest last.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Level {
    Off = 0,
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

impl Level {
    pub const DEFAULT: Level = Level::Warn;

    pub fn parse(text: &str) -> Option<Level> {
        Some(match text.to_ascii_lowercase().as_str() {
            "off" | "none" => Level::Off,
            "error" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            _ => return None,
        })
    }

    /// One step louder (`-v`) or quieter (`-q`), saturating at the ends.
    pub fn shifted(self, louder: i32) -> Level {
        let n = (self as i32 + louder).clamp(0, 4);
        [
            Level::Off,
            Level::Error,
            Level::Warn,
            Level::Info,
            Level::Debug,
        ][n as usize]
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::DEFAULT as u8);

pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

pub fn enabled(level: Level) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

/// Writes `vigil: <message>` as one write(2), so lines from vigil and its
/// children never interleave mid-line. Errors writing stderr are ignored: there
/// is nowhere else to report them, and PID 1 must not die of a closed stderr.
pub fn write(level: Level, args: fmt::Arguments) {
    if !enabled(level) {
        return;
    }
    let mut line = String::with_capacity(128);
    line.push_str("vigil: ");
    let _ = line.write_fmt(args);
    // One line, whatever a value quoted in it holds (`--grace $'1\n2'`).
    if line.chars().any(hides_text) {
        let mut shown = String::with_capacity(line.len() + 16);
        for c in line.chars() {
            push_shown(&mut shown, c);
        }
        line = shown;
    }
    line.push('\n');
    // With --log-prefix, stderr is a queue: this line goes after the
    // output queued before it, never into the middle of a line.
    if output_queue::line(Stream::Err, &[line.as_bytes()]).is_some() {
        output_queue::flush(Stream::Err);
    } else {
        let _ = stdio::stderr(line.as_bytes());
    }
}

/// Whether `c` can hide text or break a line when printed: control
/// characters (C0, DEL, C1), zero-width spaces and joiners, the direction
/// marks, the Unicode line and paragraph separators, the word joiner and the
/// byte order mark. Range checks only.
fn hides_text(c: char) -> bool {
    matches!(
        c,
        '\0'..='\x1F'
            | '\x7F'..='\u{9F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{2060}'
            | '\u{FEFF}'
    )
}

/// Pushes `c`, escaped as Rust's `Debug` escapes it (`\n`, `\u{1b}`) when it
/// `hides_text`: for a line vigil writes, which must stay one line and show
/// what it quotes.
pub fn push_shown(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\0' => out.push_str("\\0"),
        c if hides_text(c) => out.extend(c.escape_unicode()),
        c => out.push(c),
    }
}

/// The shortest value `masked` hides: shorter ones would turn common words
/// and numbers of every line into `***`.
pub const MASK_MIN: usize = 4;

/// `text` with every run of `MASK_MIN` or more bytes that matches the start
/// of one of `secrets` (the whole of it, or its first bytes: a peer's reply
/// may have been cut short) replaced by `***`: for lines that may quote a
/// peer (a probe's report, the health line), which could echo a secret vigil
/// sent it. A run ends on a character's boundary. With `own_word`, the text up
/// to its first blank is vigil's own word (a state's name, which `vigil
/// health` reads; sd_notify's keys before `STATUS=`), never masked.
pub fn masked(text: &str, own_word: bool, secrets: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut own = own_word;
    'next: loop {
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { break };
        own &= c != ' ';
        for secret in secrets.iter().filter(|_| !own) {
            let mut n = rest
                .bytes()
                .zip(secret.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            while !rest.is_char_boundary(n) {
                n -= 1;
            }
            if n >= MASK_MIN {
                out.push_str("***");
                // A boundary, so `get` always finds the rest.
                rest = rest.get(n..).unwrap_or_default();
                continue 'next;
            }
        }
        out.push(c);
        rest = chars.as_str();
    }
    out
}

/// A line built on the stack, cut at its capacity: for the panic handler,
/// which must not allocate (the heap may be what broke).
pub struct FixedLine {
    bytes: [u8; 256],
    len: usize,
}

impl FixedLine {
    pub const fn new() -> FixedLine {
        FixedLine {
            bytes: [0; 256],
            len: 0,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl Default for FixedLine {
    fn default() -> FixedLine {
        FixedLine::new()
    }
}

impl fmt::Write for FixedLine {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // One byte stays free for the newline.
        let room = self.bytes.len() - 1 - self.len;
        let take = s.len().min(room);
        if let (Some(to), Some(from)) = (
            self.bytes.get_mut(self.len..self.len + take),
            s.as_bytes().get(..take),
        ) {
            to.copy_from_slice(from);
            self.len += take;
        }
        Ok(())
    }
}

/// The one line a panic (a bug in vigil) prints before vigil aborts:
/// `vigil: internal error: MESSAGE at FILE:LINE`, newline-terminated.
pub fn internal_error(message: &dyn fmt::Display, location: Option<(&str, u32)>) -> FixedLine {
    let mut line = FixedLine::new();
    let _ = write!(line, "vigil: internal error: {message}");
    if let Some((file, number)) = location {
        let _ = write!(line, " at {file}:{number}");
    }
    if let Some(end) = line.bytes.get_mut(line.len) {
        *end = b'\n';
        line.len += 1;
    }
    line
}

// The macros every module logs with, imported by path (`use crate::log::warn`)
// like any item: no `#[macro_export]`, which would hang them on the crate
// root. Defined as `log_*`: a `warn` alone would be ambiguous with the
// built-in `#[warn]` attribute where it is re-exported.
macro_rules! log_error { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Error, format_args!($($t)*)) } }
macro_rules! log_warn { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Warn, format_args!($($t)*)) } }
macro_rules! log_info { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Info, format_args!($($t)*)) } }
macro_rules! log_debug { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Debug, format_args!($($t)*)) } }
pub(crate) use {log_debug as debug, log_error as error, log_info as info, log_warn as warn};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_hides_every_secret_of_four_bytes_or_more() {
        let secrets = ["s3cr3t".into(), "abc".into(), "t0k".into(), "t0ken".into()];
        assert_eq!(
            masked(
                "fail http://h/?k=${K} 401 bad key s3cr3t (s3cr3ts3cr3t) abc t0ken",
                false,
                &secrets
            ),
            "fail http://h/?k=${K} 401 bad key *** (******) abc ***"
        );
        assert_eq!(masked("nothing here", false, &[]), "nothing here");
    }

    // A secret starting with a state's name masked the state, and `vigil
    // health` never passed (fixed with `own_word`).
    #[test]
    fn vigils_own_first_word_is_never_masked() {
        let secrets = ["ready-or-not".into(), "READY=1-and-more".into()];
        assert_eq!(
            masked("+ready 1s: ready-or-not", true, &secrets),
            "+ready 1s: ***"
        );
        assert_eq!(masked("ready", true, &secrets), "ready");
        assert_eq!(
            masked("READY=1\nSTATUS=ready after 1s ready-or", true, &secrets),
            "READY=1\nSTATUS=ready after 1s ***"
        );
        assert_eq!(masked("ready 1s", false, &secrets), "*** 1s");
    }

    #[test]
    fn internal_error_is_one_line_naming_message_and_place() {
        let line = internal_error(
            &format_args!("index {} out of range", 7),
            Some(("src/x.rs", 12)),
        );
        assert_eq!(
            line.as_bytes(),
            b"vigil: internal error: index 7 out of range at src/x.rs:12\n"
        );
        let long = "x".repeat(1000);
        let line = internal_error(&long, None);
        assert_eq!(line.as_bytes().len(), 256);
        assert!(line.as_bytes().ends_with(b"x\n"));
        assert_eq!(line.as_bytes().iter().filter(|&&b| b == b'\n').count(), 1);
    }
}
