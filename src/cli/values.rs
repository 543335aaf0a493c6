//! Parsers for option values: durations, booleans, signals and rewrites, exit
//! codes, counts, users, paths, secrets and comma-separated lists. Each error names
//! what was wrong (the caller names the option).

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use core::time::Duration;

use super::Env;
use crate::human::number;
use crate::probe::target::Target;
use crate::sys::signal::Signal;
use crate::variables::is_var_name;

/// `500ms`, `10s`, `2m`, `1h`, compounds like `1m30s`, or a bare number of
/// seconds: parsed where `file://` targets' `max-age` is too.
pub use crate::human::duration;

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

/// `--restart-signal`: any signal but those that already mean something to
/// vigil (stop, reap) or cannot be caught.
pub fn restart_signal(text: &str) -> Result<Signal, String> {
    let sig = signal(text)?;
    let taken = [
        Signal::TERM,
        Signal::INT,
        Signal::QUIT,
        Signal::KILL,
        Signal::STOP,
        Signal::CHLD,
    ];
    if taken.contains(&sig) {
        return Err(format!(
            "{sig} cannot restart: TERM, INT, QUIT, KILL, STOP and CHLD keep their meaning (use e.g. HUP or USR1)"
        ));
    }
    Ok(sig)
}

/// An exit status 0-255.
pub fn exit_code(text: &str) -> Result<u8, String> {
    number(text.trim())
        .and_then(|n| u8::try_from(n).ok())
        .ok_or_else(|| format!("invalid exit code '{text}' (use 0-255)"))
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

/// A target of `vigil check`, as `Target::from_text` makes it (shown
/// expanded, except `exec:`).
pub fn target(text: &str, env: Env) -> Result<Target, String> {
    Target::from_text(text, &|name| variable(env, name), false).map_err(|e| e.0)
}

/// A file's path: not empty.
pub fn path(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err("empty path".into()),
        _ => Ok(text.into()),
    }
}

/// `--secret NAME=PATH`: NAME a variable's name (letters, digits and `_`,
/// not first a digit), PATH not empty.
pub fn secret(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, path)) if is_var_name(name) && !path.is_empty() => {
            Ok((name.into(), path.into()))
        }
        _ => Err(format!(
            "invalid '{text}' (use NAME=PATH, e.g. DB_PASSWORD=/run/secrets/db)"
        )),
    }
}

/// A variable's value for `${VAR}`; unset is `None`, set but empty is `""`.
pub fn variable(env: Env, name: &str) -> Result<Option<String>, String> {
    match env(name) {
        None => Ok(None),
        Some(v) => String::from_utf8(v)
            .map(Some)
            .map_err(|_| format!("variable {name} is not UTF-8")),
    }
}

/// A count of at least 1 (`--watch-retries`, as Docker's `--health-retries`).
pub fn retries(text: &str) -> Result<u32, String> {
    match number(text.trim()).and_then(|n| u32::try_from(n).ok()) {
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
    fn secrets_and_paths() {
        assert_eq!(
            secret("DB_1=/run/s/db"),
            Ok(("DB_1".into(), "/run/s/db".into()))
        );
        assert_eq!(secret("_X=a=b"), Ok(("_X".into(), "a=b".into())));
        for bad in ["DB", "DB=", "=/p", "1DB=/p", "D-B=/p", " DB=/p"] {
            assert_eq!(
                secret(bad),
                Err(format!(
                    "invalid '{bad}' (use NAME=PATH, e.g. DB_PASSWORD=/run/secrets/db)"
                ))
            );
        }
        assert_eq!(path(" a "), Ok(" a ".into()));
        assert!(path(" ").is_err());
    }

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code("143"), Ok(143));
        assert!(exit_code("256").is_err());
        assert!(exit_code("x").is_err());
    }
}
