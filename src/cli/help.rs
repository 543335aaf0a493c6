//! Lays out a mode's `--help` from its option table, at compile time: each
//! option's names and value, its help lines, and its twin at the right edge.

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
    };
    w.text(head);
    let mut i = 0;
    while i < table.len() {
        option(&mut w, &table[i], column);
        i += 1;
    }
    w.text(tail);
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
        Takes::Switch(_) | Takes::Help | Takes::Version => {}
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
    /// Bytes since the last newline (the text is ASCII).
    col: usize,
}

impl Writer<'_> {
    const fn byte(&mut self, b: u8) {
        assert!(b.is_ascii(), "help texts are ASCII");
        if self.len < self.out.len() {
            self.out[self.len] = b;
        }
        self.len += 1;
        self.col = if b == b'\n' { 0 } else { self.col + 1 };
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

/// The text `render` wrote, checked to be UTF-8 when the crate is compiled.
pub const fn text(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("help texts are ASCII"),
    }
}
