//! Parsers for option values: durations, booleans, signals and rewrites, exit
//! codes, counts, users, targets and comma-separated lists. Each error names
//! what was wrong (the caller names the option).

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use core::time::Duration;

use super::Env;
use crate::probe::target::{self, BadTarget, Scheme, Target};
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
    // The fault signals are dropped before any rewrite (README "Signals"):
    // a rewrite of one could never apply.
    if [Signal::KILL, Signal::STOP, Signal::CHLD].contains(&from) || from.is_synchronous_fault() {
        return Err(format!("cannot rewrite {from}: vigil never forwards it"));
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

/// A duration above zero. A deadline of zero would fail every probe before it
/// starts (`vigil check -t 0`, `--watch-timeout 0`: a watchdog that always
/// fires), and a `--restart-window 0` would silently turn the restart budget
/// off: refused.
pub fn positive(text: &str) -> Result<Duration, String> {
    match duration(text)? {
        d if d.is_zero() => Err(format!("duration '{text}' must be more than 0")),
        d => Ok(d),
    }
}

/// A target of `--wait-for` or `--watch`, after `${VAR}` / `${VAR:-default}`
/// expansion as `vigil check` does. One this build cannot probe (https or
/// grpcs without TLS) is refused: it could never pass, so the wait would run
/// to its timeout and the watchdog would stop a healthy program.
pub fn init_target(text: &str, env: Env) -> Result<Target, String> {
    let expanded = target::expand(text, &|name| variable(env, name)).map_err(|e| e.0)?;
    let parsed = Target::parse(&expanded).map_err(|e| e.0)?;
    if matches!(parsed.scheme, Scheme::Https | Scheme::Grpcs) && cfg!(not(feature = "tls")) {
        return Err(format!(
            "target '{text}': https and grpcs need TLS, and this vigil was built without TLS"
        ));
    }
    Ok(parsed)
}

/// A variable's value for `${VAR}`; unset is `None`, set but empty is `""`.
pub fn variable(env: Env, name: &str) -> Result<Option<String>, BadTarget> {
    match env(name) {
        None => Ok(None),
        Some(v) => String::from_utf8(v)
            .map(Some)
            .map_err(|_| BadTarget(format!("variable {name} is not UTF-8"))),
    }
}

/// A count of at least 1 (`--watch-retries`, as Docker's `--health-retries`).
pub fn retries(text: &str) -> Result<u32, String> {
    match text
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| u32::try_from(n).ok())
    {
        Some(n) if n > 0 => Ok(n),
        _ => Err(format!("invalid count '{text}'")),
    }
}

/// Splits an env var's comma-separated list, skipping empty items (`143,,130,`).
pub fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(retries(" 5 "), Ok(5));
        for bad in ["0", "-1", "x", "4294967296"] {
            assert_eq!(retries(bad), Err(format!("invalid count '{bad}'")));
        }
    }

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
        // A fault as FROM was accepted but could never apply.
        for fault in ["SEGV", "BUS", "FPE", "ILL", "TRAP", "SYS"] {
            let e = rewrite(&format!("{fault}:TERM")).unwrap_err();
            assert_eq!(
                e,
                format!("cannot rewrite SIG{fault}: vigil never forwards it")
            );
        }
        assert_eq!(rewrite("TERM:SEGV"), Ok((Signal::TERM, Some(Signal(11)))));
        assert!(rewrite("TERM:NOPE").is_err());
    }

    #[test]
    fn positive_durations_are_above_zero() {
        assert_eq!(positive("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(
            positive("0ms"),
            Err("duration '0ms' must be more than 0".into())
        );
        assert!(positive("soon").is_err());
    }

    #[test]
    fn init_targets_are_expanded_and_refused_when_they_can_never_pass() {
        let env = |name: &str| (name == "PORT").then(|| b"5432".to_vec());
        let t = init_target("tcp://db:${PORT}", &env).unwrap();
        assert_eq!((t.as_str(), t.port), ("tcp://db:5432", 5432));
        let t = init_target("http://${HOST:-127.0.0.1}/", &env).unwrap();
        assert_eq!(t.as_str(), "http://127.0.0.1/");
        assert_eq!(
            init_target("tcp://db:${NOPE}", &env).unwrap_err(),
            "'tcp://db:${NOPE}': variable NOPE is not set (use ${NOPE:-default} for a default)"
        );
        for tls in ["https://h/", "grpcs://h:1"] {
            let r = init_target(tls, &env);
            if cfg!(feature = "tls") {
                assert!(r.is_ok(), "{tls}");
            } else {
                assert_eq!(
                    r.unwrap_err(),
                    format!(
                        "target '{tls}': https and grpcs need TLS, and this vigil was built without TLS"
                    )
                );
            }
        }
    }

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code("143"), Ok(143));
        assert!(exit_code("256").is_err());
        assert!(exit_code("x").is_err());
    }
}
