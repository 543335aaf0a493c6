//! One option, defined once: its names, `VIGIL_*` twin, value, help line and
//! setter. Also how a mode applies its table: to each option of argv, then to
//! the twins of the options argv did not give. That code sees a table through
//! `View`s and calls the setters back by index, so it is compiled once for
//! every mode: a new mode's parse costs its table and two small shims.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::Env;
use super::argv::{Arg, Lexer};
use super::values;
use crate::init::config::Source;

/// One option of a mode's table; `S` is what that mode's parsing fills in.
/// `Words` are what only the help needs, its lines and value names: text
/// in the table, `()` in the copy parsing reads (`Parsing`).
pub struct Opt<S, Words = &'static str> {
    /// `grace` for `--grace`.
    pub long: &'static str,
    pub short: Option<char>,
    /// The environment variable that sets it when argv does not. Options
    /// sharing a twin (`-v` and `-q`: `VIGIL_LOG`) read it once, and only
    /// when none of them was given.
    pub env: Option<&'static str>,
    /// Each use adds to a list; the twin holds a comma-separated list.
    pub repeats: bool,
    pub takes: Takes<S, Words>,
    /// What it does, for `--help`: ASCII lines separated by `\n`, short
    /// enough that the help stays within 80 columns (a test checks).
    pub help: Words,
}

/// What an option takes, and the setter that stores it. A setter's error is
/// the message without the option's name, which the caller puts in front.
pub enum Takes<S, Words = &'static str> {
    /// No value: the setter gets `None` from argv, or the twin's text.
    Switch(fn(&mut S, Option<&str>) -> Result<(), String>),
    /// A switch stored in the field `.0` gives: on from argv, or its twin
    /// read as a boolean (`switch`).
    Flag(fn(&mut S) -> &mut bool),
    /// A value, UTF-8 text, named `.0` in the help, and where it was given
    /// (with the environment, for `${VAR}` expansion).
    Text(Words, fn(&mut S, &str, &Given) -> Result<(), String>),
    /// A value kept as bytes, such as a path, named `.0` in the help.
    Bytes(Words, fn(&mut S, Vec<u8>) -> Result<(), String>),
    /// Like `Text`, for a repeatable option whose values hold commas (a
    /// command line): its twin has one value per line, blank lines skipped.
    Lines(Words, fn(&mut S, &str, &Given) -> Result<(), String>),
    /// A duration (`500ms`, `10s`, `2m`; 0 refused when `positive`), named
    /// DURATION in the help, stored in the field `field` gives: one setter
    /// for every duration, where a `Text` closure each was 100 B.
    Duration {
        positive: bool,
        field: fn(&mut S) -> &mut Duration,
    },
    /// Print the help and stop.
    Help,
    /// Print the version and stop.
    Version,
}

// By hand: a derive would ask `S: Copy` too.
impl<S, W: Copy> Clone for Takes<S, W> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S, W: Copy> Copy for Takes<S, W> {}
impl<S, W: Copy> Clone for Opt<S, W> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S, W: Copy> Copy for Opt<S, W> {}

/// An option as parsing reads it: without the help line and value name.
pub type Parsing<S> = Opt<S, ()>;

/// `table` as parsing reads it: without the help lines and value names,
/// which only the help (laid out when the crate is compiled) needs. So those
/// words are in the binary once, in the help, and an option's entry is 56
/// bytes, not 88.
pub const fn for_parsing<S, const N: usize>(table: &[Opt<S>]) -> [Parsing<S>; N] {
    let mut out = [without_words(table[0]); N];
    let mut i = 0;
    while i < N {
        out[i] = without_words(table[i]);
        i += 1;
    }
    out
}

const fn without_words<S>(opt: Opt<S>) -> Parsing<S> {
    Opt {
        long: opt.long,
        short: opt.short,
        env: opt.env,
        repeats: opt.repeats,
        takes: match opt.takes {
            Takes::Switch(set) => Takes::Switch(set),
            Takes::Flag(field) => Takes::Flag(field),
            Takes::Text(_, set) => Takes::Text((), set),
            Takes::Bytes(_, set) => Takes::Bytes((), set),
            Takes::Lines(_, set) => Takes::Lines((), set),
            Takes::Duration { positive, field } => Takes::Duration { positive, field },
            Takes::Help => Takes::Help,
            Takes::Version => Takes::Version,
        },
        help: (),
    }
}

/// Where a value was given, for a setter: the environment, and the flag
/// (`--wait-for`) or twin (`VIGIL_WAIT_FOR`) it came from, for a value
/// checked later (init expands `${VAR}` once it has read the env files).
pub struct Given<'a> {
    pub env: Env<'a>,
    pub from: Source,
}

/// An option that ends parsing.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    Help,
    Version,
}

/// Applies the option `arg` (a `Short` or `Long` the lexer just returned),
/// taking its value from `lexer` when it needs one, and marks it `seen`. An
/// unknown long option's message names the closest known one and `help`, the
/// mode's help command (`vigil --help`).
pub fn apply<S>(
    table: &[Parsing<S>],
    seen: &mut [bool],
    lexer: &mut Lexer,
    arg: Arg,
    settings: &mut S,
    env: Env,
    help: &str,
) -> Result<Option<Stop>, String> {
    let table = Viewed {
        view: &|i| table.get(i).map(Opt::view),
        set: &mut |i, value| table.get(i).map_or(Ok(()), |o| o.set(settings, value)),
    };
    apply_viewed(table, seen, lexer, arg, env, help)
}

/// An option as the code that reads argv and the twins sees it: all of it
/// but its setter, which is the only part whose type differs between modes.
/// So that code is in the binary once, not once per mode (2 KiB a mode).
#[derive(Clone, Copy)]
struct View {
    long: &'static str,
    short: Option<char>,
    env: Option<&'static str>,
    repeats: bool,
    takes: Kind,
}

/// `Takes` without its setter.
#[derive(Clone, Copy)]
enum Kind {
    Switch,
    Text,
    Bytes,
    Lines,
    Help,
    Version,
}

/// A value on its way to an option's setter.
enum Value<'a> {
    /// A switch's: `None` from argv, or its twin's text.
    Switch(Option<&'a str>),
    Text(&'a str, &'a Given<'a>),
    Bytes(Vec<u8>),
}

/// A mode's table as `View`s by index, and its setters by index.
struct Viewed<'a> {
    view: &'a dyn Fn(usize) -> Option<View>,
    set: &'a mut dyn FnMut(usize, Value) -> Result<(), String>,
}

/// Every option of a table, in order.
fn views<'a>(view: &'a dyn Fn(usize) -> Option<View>) -> impl Iterator<Item = View> + 'a {
    (0..).map_while(view)
}

impl<S> Parsing<S> {
    fn view(&self) -> View {
        View {
            long: self.long,
            short: self.short,
            env: self.env,
            repeats: self.repeats,
            takes: match self.takes {
                Takes::Switch(_) | Takes::Flag(_) => Kind::Switch,
                Takes::Text(..) | Takes::Duration { .. } => Kind::Text,
                Takes::Bytes(..) => Kind::Bytes,
                Takes::Lines(..) => Kind::Lines,
                Takes::Help => Kind::Help,
                Takes::Version => Kind::Version,
            },
        }
    }

    fn set(&self, settings: &mut S, value: Value) -> Result<(), String> {
        match (self.takes, value) {
            (Takes::Switch(set), Value::Switch(twin)) => set(settings, twin),
            (Takes::Flag(field), Value::Switch(twin)) => {
                *field(settings) = switch(twin)?;
                Ok(())
            }
            (Takes::Text(_, set) | Takes::Lines(_, set), Value::Text(text, given)) => {
                set(settings, text, given)
            }
            (Takes::Bytes(_, set), Value::Bytes(bytes)) => set(settings, bytes),
            (Takes::Duration { positive, field }, Value::Text(text, _)) => {
                *field(settings) = match positive {
                    true => values::positive(text)?,
                    false => values::duration(text)?,
                };
                Ok(())
            }
            // `apply_viewed` and `apply_twins_viewed` pass each kind its own.
            _ => Ok(()),
        }
    }
}

fn apply_viewed(
    table: Viewed,
    seen: &mut [bool],
    lexer: &mut Lexer,
    arg: Arg,
    env: Env,
    help: &str,
) -> Result<Option<Stop>, String> {
    let Viewed { view, set } = table;
    let found = views(view).enumerate().find(|(_, o)| match &arg {
        Arg::Short(c) => o.short == Some(*c),
        Arg::Long(name) => o.long == name,
        Arg::Operand(_) => false,
    });
    let Some((i, opt)) = found else {
        return Err(unknown(arg, &mut views(view).map(|o| o.long), help));
    };
    if let Some(seen) = seen.get_mut(i) {
        *seen = true;
    }
    let named = |e: String| format!("--{}: {e}", opt.long);
    let mut value = || {
        lexer
            .value()
            .ok_or_else(|| format!("--{} needs a value", opt.long))
    };
    match opt.takes {
        Kind::Help => return Ok(Some(Stop::Help)),
        Kind::Version => return Ok(Some(Stop::Version)),
        Kind::Switch => set(i, Value::Switch(None)).map_err(named)?,
        Kind::Text | Kind::Lines => {
            let text = utf8(value()?).map_err(named)?;
            let given = Given {
                env,
                from: Source {
                    long: opt.long,
                    twin: None,
                },
            };
            set(i, Value::Text(&text, &given)).map_err(named)?;
        }
        Kind::Bytes => set(i, Value::Bytes(value()?)).map_err(named)?,
    }
    Ok(None)
}

/// The message for an option not in the table (`longs`: its long names):
/// a long one names the closest, the fewest edits (insert, delete or change
/// a letter) and at most one per three letters, or the first it begins.
fn unknown(arg: Arg, longs: &mut dyn Iterator<Item = &'static str>, help: &str) -> String {
    let name = match arg {
        Arg::Short(c) => {
            let mut line = String::from("invalid option '-");
            line.push(c);
            line.push('\'');
            return line;
        }
        Arg::Long(name) => name,
        Arg::Operand(word) => return format!("unexpected argument {}", super::argv::quoted(&word)),
    };
    let mut line = format!("invalid option '--{name}' (");
    let mut best = "";
    let mut fewest = name.len().max(3) / 3 + 1;
    for long in longs {
        let edits = if name.len() >= 3 && long.starts_with(&name) {
            0
        } else {
            edits(name.as_bytes(), long.as_bytes())
        };
        if edits < fewest {
            (best, fewest) = (long, edits);
        }
    }
    if !best.is_empty() {
        line += "did you mean --";
        line += best;
        line += "? ";
    }
    line += "see ";
    line += help;
    line + ")"
}

/// The Levenshtein distance between `a` and `b`; `b` (an option's name) is
/// under 32 bytes.
fn edits(a: &[u8], b: &[u8]) -> usize {
    let b = &b[..b.len().min(31)];
    let mut row = [0; 32];
    let mut j = 0;
    while j < row.len() {
        row[j] = j;
        j += 1;
    }
    let mut i = 0;
    while i < a.len() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        let mut j = 0;
        while j < b.len() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(a[i] != b[j]))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
            j += 1;
        }
        i += 1;
    }
    row[b.len()]
}

/// Applies the twin of every option argv did not give, in table order; an
/// error names the variable.
pub fn apply_twins<S>(
    table: &[Parsing<S>],
    seen: &[bool],
    settings: &mut S,
    env: Env,
) -> Result<(), String> {
    let table = Viewed {
        view: &|i| table.get(i).map(Opt::view),
        set: &mut |i, value| table.get(i).map_or(Ok(()), |o| o.set(settings, value)),
    };
    apply_twins_viewed(table, seen, env)
}

fn apply_twins_viewed(table: Viewed, seen: &[bool], env: Env) -> Result<(), String> {
    let Viewed { view, set } = table;
    for (i, opt) in views(view).enumerate() {
        let Some(name) = opt.env else { continue };
        let shares = |o: View| o.env == Some(name);
        let given = views(view).zip(seen).any(|(o, &seen)| seen && shares(o));
        if given || views(view).take(i).any(shares) {
            continue;
        }
        let Some(text) = env_text(env, name)? else {
            continue;
        };
        let named = |e: String| format!("{name}: {e}");
        let given = Given {
            env,
            from: Source {
                long: opt.long,
                twin: Some(name),
            },
        };
        match opt.takes {
            Kind::Switch => set(i, Value::Switch(Some(&text))).map_err(named)?,
            Kind::Text if opt.repeats => {
                for item in values::list(&text) {
                    set(i, Value::Text(item, &given)).map_err(named)?;
                }
            }
            Kind::Text => set(i, Value::Text(&text, &given)).map_err(named)?,
            Kind::Lines => {
                // Lines end at LF or CRLF (a last line's lone CR goes too,
                // which str::lines keeps: both setters trim their line).
                for line in text.split('\n') {
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    if !line.trim().is_empty() {
                        set(i, Value::Text(line, &given)).map_err(named)?;
                    }
                }
            }
            Kind::Bytes => set(i, Value::Bytes(text.into_bytes())).map_err(named)?,
            Kind::Help | Kind::Version => {}
        }
    }
    Ok(())
}

/// A variable's text, `None` when unset or empty (an empty `VIGIL_GRACE=` in a
/// compose file means "not set", as it does for Docker).
pub fn env_text(env: Env, name: &str) -> Result<Option<String>, String> {
    match env(name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => utf8(v).map(Some).map_err(|e| format!("{name}: {e}")),
    }
}

fn utf8(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "value is not UTF-8: {}",
            String::from_utf8_lossy(e.as_bytes())
        )
    })
}

/// A switch's setting: on when given on argv, else its twin as a boolean.
pub fn switch(twin: Option<&str>) -> Result<bool, String> {
    twin.map_or(Ok(true), values::boolean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_counts_inserts_deletes_and_changes() {
        assert_eq!(edits(b"grace", b"grace"), 0);
        assert_eq!(edits(b"grase", b"grace"), 1);
        assert_eq!(edits(b"grac", b"grace"), 1);
        assert_eq!(edits(b"gracee", b"grace"), 1);
        assert_eq!(edits(b"stop-dealy", b"stop-delay"), 2);
        assert_eq!(edits(b"", b"abc"), 3);
        assert_eq!(edits(b"kitten", b"sitting"), 3);
    }
}
