//! vigil's own messages: one line each on stderr, prefixed `vigil:`, filtered by level.
//! stdout belongs to the child (init mode) or to probe results (check mode), never to logs.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

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
pub fn write(level: Level, args: std::fmt::Arguments) {
    if !enabled(level) {
        return;
    }
    let mut line = Vec::with_capacity(128);
    let _ = line.write_all(b"vigil: ");
    let _ = line.write_fmt(args);
    line.push(b'\n');
    let _ = std::io::stderr().write_all(&line);
}

#[macro_export]
macro_rules! error { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Error, format_args!($($t)*)) } }
#[macro_export]
macro_rules! warn { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Warn, format_args!($($t)*)) } }
#[macro_export]
macro_rules! info { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Info, format_args!($($t)*)) } }
#[macro_export]
macro_rules! debug { ($($t:tt)*) => { $crate::log::write($crate::log::Level::Debug, format_args!($($t)*)) } }
