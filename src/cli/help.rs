//! Lays out a mode's `--help` from its option table, at compile time: each
//! option's names and value, its help lines, and its twin at the right edge.
//! A third of that text is the spaces of its columns, so it is stored with
//! each run of spaces squeezed into one or two bytes, and `Help::expanded`
//! gives it back as printed.

use alloc::vec::Vec;

use super::opt::{Opt, Takes};

/// No line is wider; twins are right-aligned to it.
const WIDTH: usize = 79;

/// Writes the help text into `out` (nothing when `out` is empty) and returns
/// its length: called once to size the array, once to fill it.
pub const fn render<S>(
    out: &mut [u8],
    head: &str,
    table: &[Opt<S>],
    column: usize,
    tail: &str,
) -> usize {
    let mut w = Writer {
        out,
        len: 0,
        col: 0,
        spaces: 0,
    };
    w.text(head);
    let mut i = 0;
    while i < table.len() {
        option(&mut w, &table[i], column);
        i += 1;
    }
    w.text(tail);
    w.flush_spaces();
    w.len
}

/// `  -t, --grace DURATION   help...   VIGIL_GRACE`, wrapped as needed.
const fn option<S>(w: &mut Writer, opt: &Opt<S>, column: usize) {
    match opt.short {
        Some(c) => {
            assert!(c.is_ascii(), "short options are ASCII");
            w.text("  -");
            w.byte(c as u8);
            w.text(", --");
        }
        None => w.text("      --"),
    }
    w.text(opt.long);
    match &opt.takes {
        Takes::Text(name, _) | Takes::Lines(name, _) | Takes::Bytes(name, _) => {
            w.byte(b' ');
            w.text(name);
        }
        Takes::Duration { .. } => w.text(" DURATION"),
        Takes::Switch(_) | Takes::Flag(_) | Takes::Help | Takes::Version => {}
    }
    if w.col + 2 > column {
        w.byte(b'\n');
    }
    w.pad_to(column);
    let help = opt.help.as_bytes();
    let mut i = 0;
    while i < help.len() {
        if help[i] == b'\n' {
            w.byte(b'\n');
            w.pad_to(column);
        } else {
            w.byte(help[i]);
        }
        i += 1;
    }
    if opt.repeats {
        w.fit(column, 1 + "(repeatable)".len());
        w.text("(repeatable)");
    }
    if let Some(twin) = opt.env {
        w.fit(column, 2 + twin.len());
        w.pad_to(WIDTH - twin.len());
        w.text(twin);
    }
    w.byte(b'\n');
}

struct Writer<'a> {
    out: &'a mut [u8],
    len: usize,
    /// Columns since the last newline (the text is ASCII).
    col: usize,
    /// Spaces written but not stored yet: a run is stored when it ends.
    spaces: usize,
}

impl Writer<'_> {
    const fn byte(&mut self, b: u8) {
        assert!(
            b.is_ascii() && b >= b' ' || b == b'\n',
            "help texts are printable ASCII"
        );
        self.col = if b == b'\n' { 0 } else { self.col + 1 };
        if b == b' ' {
            self.spaces += 1;
            return;
        }
        self.flush_spaces();
        self.store(b);
    }

    /// Stores the pending run of spaces: one alone as itself, more as bytes
    /// under 0x20 (not `\n`), each standing for that many spaces.
    const fn flush_spaces(&mut self) {
        while self.spaces > 0 {
            let mut n = if self.spaces > 31 { 31 } else { self.spaces };
            if n == b'\n' as usize {
                n -= 1;
            }
            self.store(if n == 1 { b' ' } else { n as u8 });
            self.spaces -= n;
        }
    }

    const fn store(&mut self, b: u8) {
        if self.len < self.out.len() {
            self.out[self.len] = b;
        }
        self.len += 1;
    }

    const fn text(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            self.byte(bytes[i]);
            i += 1;
        }
    }

    const fn pad_to(&mut self, col: usize) {
        while self.col < col {
            self.byte(b' ');
        }
    }

    /// Makes room for `need` more columns on this line, else starts the next
    /// at `column`; either way leaves one space before what follows.
    const fn fit(&mut self, column: usize, need: usize) {
        if self.col + need > WIDTH {
            self.byte(b'\n');
            self.pad_to(column);
        } else {
            self.byte(b' ');
        }
    }
}

/// A mode's `--help` as `render` stored it, runs of spaces squeezed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Help(&'static [u8]);

impl Help {
    /// The text as printed: each byte under 0x20 but `\n` is that many spaces.
    pub fn expanded(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len() * 2);
        for &b in self.0 {
            match b {
                b'\n' | b' '.. => out.push(b),
                n => out.resize(out.len() + usize::from(n), b' '),
            }
        }
        out
    }

    /// The text as printed, for tests.
    #[cfg(test)]
    pub fn to_text(self) -> alloc::string::String {
        alloc::string::String::from_utf8(self.expanded()).unwrap()
    }
}

/// The text `render` wrote.
pub const fn text(bytes: &'static [u8]) -> Help {
    Help(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::opt::{Opt, Takes};

    #[test]
    fn runs_of_spaces_come_back_as_written() {
        let table: &[Opt<()>] = &[Opt {
            long: "grace",
            short: Some('t'),
            env: Some("VIGIL_GRACE"),
            repeats: true,
            takes: Takes::Help,
            help: "one line\nand  a second",
        }];
        let head = "a b  c          d\n";
        let bytes = alloc::vec![0; 400].leak();
        let len = render(bytes, head, table, 29, "x");
        let help = Help(&bytes[..len]).to_text();
        let want = [
            head,
            "  -t, --grace                one line\n",
            "                             and  a second (repeatable)             VIGIL_GRACE\n",
            "x",
        ]
        .concat();
        assert_eq!(help, want);
        // Runs of 2 to 31 spaces are one byte, 10 two (`\\n` is not one).
        assert_eq!((want.len(), len), (137, 71));
    }
}
