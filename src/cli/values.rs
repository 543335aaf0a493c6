//! Parsers for option values shared by both modes: durations, booleans, signal
//! rewrites, exit codes and comma-separated lists. Each error names what was wrong.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use core::time::Duration;

use crate::sys::signal::Signal;

/// `500ms`, `10s`, `2m`, `1h`, compounds like `1m30s`, or a bare number of seconds.
pub fn duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration '{text}' (use e.g. 500ms, 10s, 2m, 1h)");
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return capped(secs.checked_mul(1000).ok_or_else(bad)?).ok_or_else(bad);
    }
    let mut total: u64 = 0; // milliseconds
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let scale = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total = number
            .checked_mul(scale)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(bad)?;
    }
    capped(total).ok_or_else(bad)
}

/// At most about 136 years (u32 seconds): any `Instant` plus it stays
/// representable, so deadlines built from user input can never overflow.
fn capped(ms: u64) -> Option<Duration> {
    (ms <= u64::from(u32::MAX) * 1000).then(|| Duration::from_millis(ms))
}

/// `1/true/yes` and `0/false/no`, any case; anything else is an error, never "on".
pub fn boolean(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(format!(
            "invalid boolean '{text}' (use 1/true/yes or 0/false/no)"
        )),
    }
}

pub fn signal(text: &str) -> Result<Signal, String> {
    Signal::parse(text)
        .ok_or_else(|| format!("unknown signal '{text}' (use e.g. TERM, SIGUSR1, 10, RTMIN+2)"))
}

/// `FROM:TO`; TO `0` means "drop FROM".
pub fn rewrite(text: &str) -> Result<(Signal, Option<Signal>), String> {
    let (from, to) = text.split_once(':').ok_or_else(|| {
        format!("invalid rewrite '{text}' (use FROM:TO, e.g. TERM:QUIT or WINCH:0)")
    })?;
    let from = signal(from)?;
    if [Signal::KILL, Signal::STOP, Signal::CHLD].contains(&from) {
        return Err(format!(
            "cannot rewrite {from}: vigil never receives or forwards it"
        ));
    }
    let to = if to.trim() == "0" {
        None
    } else {
        Some(signal(to)?)
    };
    Ok((from, to))
}

/// An exit status 0-255.
pub fn exit_code(text: &str) -> Result<u8, String> {
    text.trim()
        .parse::<u8>()
        .map_err(|_| format!("invalid exit code '{text}' (use 0-255)"))
}

/// `USER[:GROUP]`, each a name or a number; only checked for emptiness here,
/// the lookup happens when the child is about to start.
pub fn user(text: &str) -> Result<String, String> {
    let (user, group) = match text.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (text, None),
    };
    if user.is_empty() || group.is_some_and(str::is_empty) || text.contains('\0') {
        return Err(format!("invalid user '{text}'"));
    }
    Ok(text.to_owned())
}

/// Splits an env var's comma-separated list, skipping empty items (`143,,130,`).
pub fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(duration("0"), Ok(Duration::ZERO));
        for bad in [
            "",
            "s",
            "10x",
            "-1",
            "1.5s",
            "10 s",
            "99999999999999999999h",
            "18446744073709551615",
            "5000000000",
            "ms10",
        ] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn booleans() {
        for t in ["1", "true", "YES"] {
            assert_eq!(boolean(t), Ok(true));
        }
        for f in ["0", "false", "No"] {
            assert_eq!(boolean(f), Ok(false));
        }
        assert!(boolean("on").is_err());
        assert!(boolean("").is_err());
    }

    #[test]
    fn rewrites() {
        assert_eq!(rewrite("TERM:QUIT"), Ok((Signal::TERM, Some(Signal::QUIT))));
        assert_eq!(rewrite("sigwinch:0"), Ok((Signal::WINCH, None)));
        assert!(rewrite("TERM").is_err());
        assert!(rewrite("KILL:TERM").is_err());
        assert!(rewrite("TERM:NOPE").is_err());
    }

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code("143"), Ok(143));
        assert!(exit_code("256").is_err());
        assert!(exit_code("x").is_err());
    }
}
