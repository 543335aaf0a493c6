//! Durations and sizes written the way users write them (`10s`, `500ms`,
//! `3m02s`, `64 MiB`), read and shown without the `{:?}` or float machinery:
//! shared by cli, init logs and probe reports.

use alloc::format;
use alloc::string::String;
use core::fmt;
use core::time::Duration;

/// Displays a duration as `5s` when whole seconds, else `1500ms`.
pub struct Shown(pub Duration);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let ms = self.0.as_millis() as u64;
        if ms % 1000 == 0 {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

/// A whole number as `u64::from_str` reads it (an optional `+`, then ASCII
/// digits, no overflow); callers narrow it with `try_from`. One reader for
/// every unsigned type: `str::parse` is compiled once per type (300 B each).
pub fn number(text: &str) -> Option<u64> {
    let digits = text.strip_prefix('+').unwrap_or(text).as_bytes();
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let digit = char::from(b).to_digit(10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// `500ms`, `10s`, `2m`, `1h`, compounds like `1m30s`, or a bare number of seconds.
pub fn duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration '{text}' (use e.g. 500ms, 10s, 2m, 1h)");
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if let Some(secs) = number(t) {
        return capped(secs.checked_mul(1000).ok_or_else(bad)?).ok_or_else(bad);
    }
    let mut total: u64 = 0; // milliseconds
    // Bytes, so that no slice can fall inside a character.
    let mut rest = t.as_bytes();
    while !rest.is_empty() {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err(bad());
        }
        let (number, after) = rest.split_at(digits);
        let number = number
            .iter()
            .try_fold(0u64, |n, &d| {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            })
            .ok_or_else(bad)?;
        let unit_len = after.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let (unit, after) = after.split_at(unit_len);
        let scale = match unit {
            b"ms" => 1,
            b"s" => 1_000,
            b"m" => 60_000,
            b"h" => 3_600_000,
            _ => return Err(bad()),
        };
        rest = after;
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

/// Displays how long ago, or for how long: `3.42s` under 10 s, then `41s`,
/// `3m02s`, `2h05m` (hours grow past a day: `52h10m`).
pub struct Age(pub Duration);

impl fmt::Display for Age {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let mut s = String::new();
        push_age(&mut s, self.0);
        f.write_str(&s)
    }
}

/// Appends `d` as `Age` shows it, without the formatting machinery: the
/// health lines are built with it on every state change and query.
pub fn push_age(s: &mut String, d: Duration) {
    let secs = d.as_secs();
    let (big, big_unit, small, small_unit) = match secs {
        ..10 => (secs, ".", u64::from(d.subsec_millis() / 10), "s"),
        10..60 => {
            push_num(s, secs);
            s.push('s');
            return;
        }
        60..3600 => (secs / 60, "m", secs % 60, "s"),
        _ => (secs / 3600, "h", secs / 60 % 60, "m"),
    };
    push_num(s, big);
    s.push_str(big_unit);
    if small < 10 {
        s.push('0');
    }
    push_num(s, small);
    s.push_str(small_unit);
}

/// Appends `n` in decimal.
pub fn push_num(s: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    s.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// Displays a size in bytes as whole MiB, rounded to the nearest
/// (`64 MiB`, `4096 MiB`): the unit of Docker's and Kubernetes' limits.
pub struct Mib(pub u64);

impl fmt::Display for Mib {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} MiB", (self.0 >> 20) + (self.0 >> 19 & 1))
    }
}

/// Displays a count with a comma every three digits: `12,345`.
pub struct Thousands(pub u64);

impl fmt::Display for Thousands {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.0 >= 1000 {
            write!(f, "{},{:03}", Thousands(self.0 / 1000), self.0 % 1000)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn numbers_read_as_u64_from_str_reads_them() {
        let texts = "0,7,007,+5,++5,+,-0,-1,, 1,1 ,1_0,١,0x1,18446744073709551615,\
                     18446744073709551616,99999999999999999999";
        for text in texts.split(',') {
            assert_eq!(number(text), text.parse::<u64>().ok(), "{text:?}");
        }
    }

    #[test]
    fn ages_show_the_two_largest_units() {
        let age =
            |s: u64, ms: u64| Age(Duration::from_secs(s) + Duration::from_millis(ms)).to_string();
        assert_eq!(age(3, 427), "3.42s");
        assert_eq!(age(0, 4), "0.00s");
        assert_eq!(age(41, 900), "41s");
        assert_eq!(age(182, 0), "3m02s");
        assert_eq!(age(2 * 3600 + 5 * 60 + 9, 0), "2h05m");
        assert_eq!(age(3 * 86_400 + 4 * 3600, 0), "76h00m");
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
    fn counts_have_a_comma_every_three_digits() {
        let shown = |n: u64| Thousands(n).to_string();
        assert_eq!(shown(0), "0");
        assert_eq!(shown(999), "999");
        assert_eq!(shown(1000), "1,000");
        assert_eq!(shown(12_345), "12,345");
        assert_eq!(shown(104_857_600), "104,857,600");
        assert_eq!(shown(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn sizes_read_in_whole_mib() {
        let shown = |n: u64| Mib(n).to_string();
        assert_eq!(shown(0), "0 MiB");
        assert_eq!(shown(64 << 20), "64 MiB");
        // A peak a page short of the limit reads as the limit.
        assert_eq!(shown((64 << 20) - 4096), "64 MiB");
        assert_eq!(shown((255 << 20) + (1 << 19) - 1), "255 MiB");
        assert_eq!(shown(4 << 30), "4096 MiB");
        assert_eq!(shown(u64::MAX), "17592186044416 MiB");
    }
}
