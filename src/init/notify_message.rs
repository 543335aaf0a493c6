//! sd_notify's words (sd_notify(3)): what one datagram from PROGRAM says,
//! the STATUS= value vigil sends, and when vigil owes keep-alives
//! (`WATCHDOG_USEC`, `WATCHDOG_PID`). Pure; the sockets are in sys/datagram.rs.

use alloc::string::String;
use core::time::Duration;

/// The keys vigil acts on, each a `Notice::said` bit: `1 << i` for `KEYS[i]`.
const KEYS: [&[u8]; 4] = [b"RELOADING=1", b"STOPPING=1", b"READY=1", b"WATCHDOG=1"];
pub const RELOADING: u8 = 1;
pub const STOPPING: u8 = 2;
pub const READY: u8 = 4;
pub const KEEPALIVE: u8 = 8;

/// What one datagram says, its newline-separated `KEY=VALUE` lines read as
/// systemd reads them: unknown keys and lines that are not `KEY=VALUE` are
/// ignored; `MAINPID=` is known and ignored (PROGRAM stays vigil's child).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notice {
    /// Which of `KEYS` it holds: `READY`, `RELOADING`, ... or'ed.
    pub said: u8,
    /// `STATUS=...`, the last one, as `one_line`.
    pub status: Option<String>,
}

impl Notice {
    pub fn parse(datagram: &[u8]) -> Notice {
        let mut notice = Notice::default();
        for line in datagram.split(|&b| b == b'\n') {
            match KEYS.iter().position(|&key| key == line) {
                Some(i) => notice.said |= 1 << i,
                None => {
                    if let Some(text) = line.strip_prefix(b"STATUS=") {
                        notice.status = Some(one_line(text));
                    }
                }
            }
        }
        notice
    }

    /// Whether it holds `key` (`READY`, ...).
    pub fn says(&self, key: u8) -> bool {
        self.said & key != 0
    }

    /// Nothing vigil acts on: `MAINPID=`, unknown keys, garbage.
    pub fn is_empty(&self) -> bool {
        self.said == 0 && self.status.is_none()
    }
}

/// `text` as one line of sd_notify, shown as UTF-8: control characters (a
/// newline would start another key) as blanks, and a blank between `=` and
/// `1` (conmon forwards a datagram as READY=1 or WATCHDOG=1 when either
/// appears anywhere in it, even inside STATUS=).
pub fn one_line(text: &[u8]) -> String {
    let mut line = alloc::vec::Vec::with_capacity(text.len());
    let mut after_equals = false;
    for &b in text.trim_ascii_end() {
        if after_equals && b == b'1' {
            line.push(b' ');
        }
        after_equals = b == b'=';
        line.push(if b.is_ascii_control() { b' ' } else { b });
    }
    String::from_utf8_lossy(&line).into_owned()
}

/// How often vigil sends `WATCHDOG=1`: half of `WATCHDOG_USEC` (as
/// sd_watchdog_enabled(3) advises), when it is a positive number of
/// microseconds and `WATCHDOG_PID` is unset or vigil's own pid (`own`).
/// `None`: no keep-alives are asked of vigil.
pub fn keepalive_interval(usec: Option<&[u8]>, pid: Option<&[u8]>, own: i32) -> Option<Duration> {
    let number = |v: &[u8]| crate::human::number(core::str::from_utf8(v).ok()?);
    if pid.is_some_and(|p| number(p) != Some(own as u64)) {
        return None;
    }
    let usec = number(usec?).filter(|&u| u > 0)?;
    Duration::from_micros(usec).checked_div(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datagram_says_what_its_known_lines_say() {
        let n = Notice::parse(b"READY=1\nSTATUS=serving 3 clients\nMAINPID=42\nX-CUSTOM=1");
        assert_eq!(n.said, READY);
        assert_eq!(n.status.as_deref(), Some("serving 3 clients"));
        let n = Notice::parse(b"RELOADING=1\nMONOTONIC_USEC=1234\nSTATUS=reloading");
        assert_eq!(n.said, RELOADING);
        assert!(Notice::parse(b"STOPPING=1").says(STOPPING));
        assert_eq!(
            Notice::parse(b"WATCHDOG=1\nREADY=1\n").said,
            KEEPALIVE | READY
        );
        // The last STATUS= counts; control characters become blanks.
        let n = Notice::parse(b"STATUS=a\nSTATUS=b\tc\x1b[2J\r");
        assert_eq!(n.status.as_deref(), Some("b c [2J"));
        // Invalid UTF-8 is shown, not refused.
        let n = Notice::parse(b"STATUS=caf\xe9");
        assert_eq!(n.status.as_deref(), Some("caf\u{fffd}"));
    }

    #[test]
    fn unknown_keys_values_and_garbage_say_nothing() {
        for garbage in [
            &b""[..],
            b"MAINPID=1",
            b"READY=0",
            b"READY=1 ",
            b" READY=1",
            b"ready=1",
            b"WATCHDOG=trigger",
            b"\0\0\0\xff\xfe",
            b"FDSTORE=1\nFDNAME=x",
        ] {
            assert!(Notice::parse(garbage).is_empty(), "{garbage:?}");
        }
    }

    #[test]
    fn a_status_is_one_line_that_conmon_cannot_mistake() {
        assert_eq!(
            one_line(b"ready after 1.2s (ok)\n"),
            "ready after 1.2s (ok)"
        );
        assert_eq!(one_line(b"a\nREADY=1\tb"), "a READY= 1 b");
        assert_eq!(
            one_line(b"fail http://h/?WATCHDOG=1&READY=12 x=2"),
            "fail http://h/?WATCHDOG= 1&READY= 12 x=2"
        );
    }

    #[test]
    fn keepalives_come_every_half_watchdog_usec_for_vigils_own_pid() {
        let every = |usec: Option<&str>, pid: Option<&str>| {
            keepalive_interval(usec.map(str::as_bytes), pid.map(str::as_bytes), 7)
        };
        assert_eq!(every(Some("2000000"), None), Some(Duration::from_secs(1)));
        assert_eq!(
            every(Some("3000"), Some("7")),
            Some(Duration::from_micros(1500))
        );
        assert_eq!(every(Some("2000000"), Some("8")), None, "another pid's");
        assert_eq!(every(Some("2000000"), Some("x")), None);
        assert_eq!(every(None, None), None);
        assert_eq!(every(Some("0"), None), None);
        assert_eq!(every(Some("-5"), None), None);
        assert_eq!(every(Some("1s"), None), None);
    }
}
