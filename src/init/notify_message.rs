//! sd_notify's words (sd_notify(3)): what one datagram from PROGRAM says,
//! the STATUS= value vigil sends, and when vigil owes keep-alives
//! (`WATCHDOG_USEC`, `WATCHDOG_PID`). Pure; the sockets are in sys/datagram.rs.

use alloc::string::String;
use core::time::Duration;

/// What one datagram says, its newline-separated `KEY=VALUE` lines read as
/// systemd reads them: unknown keys and lines that are not `KEY=VALUE` are
/// ignored; `MAINPID=` is known and ignored (PROGRAM stays vigil's child).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notice {
    /// `READY=1`.
    pub ready: bool,
    /// `RELOADING=1`.
    pub reloading: bool,
    /// `STOPPING=1`.
    pub stopping: bool,
    /// `WATCHDOG=1`.
    pub keepalive: bool,
    /// `STATUS=...`, the last one, with control characters as blanks.
    pub status: Option<String>,
}

impl Notice {
    pub fn parse(datagram: &[u8]) -> Notice {
        let mut notice = Notice::default();
        for line in datagram.split(|&b| b == b'\n') {
            match line {
                b"READY=1" => notice.ready = true,
                b"RELOADING=1" => notice.reloading = true,
                b"STOPPING=1" => notice.stopping = true,
                b"WATCHDOG=1" => notice.keepalive = true,
                _ => {
                    if let Some(text) = line.strip_prefix(b"STATUS=") {
                        let text = String::from_utf8_lossy(text);
                        notice.status = Some(text.replace(char::is_control, " "));
                    }
                }
            }
        }
        notice
    }

    /// Nothing vigil acts on: `MAINPID=`, unknown keys, garbage.
    pub fn is_empty(&self) -> bool {
        *self == Notice::default()
    }
}

/// The value of a `STATUS=` line for `text` (a health line): one line, and
/// never `READY=1` or `WATCHDOG=1` inside it, since conmon forwards a
/// datagram as READY=1 or WATCHDOG=1 when either appears anywhere in it.
pub fn status_value(text: &str) -> String {
    text.trim_end()
        .replace(char::is_control, " ")
        .replace("READY=1", "READY =1")
        .replace("WATCHDOG=1", "WATCHDOG =1")
}

/// How often vigil sends `WATCHDOG=1`: half of `WATCHDOG_USEC` (as
/// sd_watchdog_enabled(3) advises), when it is a positive number of
/// microseconds and `WATCHDOG_PID` is unset or vigil's own pid (`own`).
/// `None`: no keep-alives are asked of vigil.
pub fn keepalive_interval(usec: Option<&[u8]>, pid: Option<&[u8]>, own: i32) -> Option<Duration> {
    let number = |v: &[u8]| core::str::from_utf8(v).ok()?.parse::<u64>().ok();
    if pid.is_some_and(|p| number(p) != Some(own as u64)) {
        return None;
    }
    let usec = number(usec?).filter(|&u| u > 0)?;
    Some(Duration::from_micros(usec) / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datagram_says_what_its_known_lines_say() {
        let n = Notice::parse(b"READY=1\nSTATUS=serving 3 clients\nMAINPID=42\nX-CUSTOM=1");
        assert!(n.ready && !n.reloading && !n.stopping && !n.keepalive);
        assert_eq!(n.status.as_deref(), Some("serving 3 clients"));
        let n = Notice::parse(b"RELOADING=1\nMONOTONIC_USEC=1234\nSTATUS=reloading");
        assert!(n.reloading && !n.ready);
        assert!(Notice::parse(b"STOPPING=1").stopping);
        assert!(Notice::parse(b"WATCHDOG=1\n").keepalive);
        // The last STATUS= counts; control characters become blanks.
        let n = Notice::parse(b"STATUS=a\nSTATUS=b\tc\x1b[2J");
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
    fn a_status_value_is_one_line_that_conmon_cannot_mistake() {
        assert_eq!(status_value("ready 1.2s: ok\n"), "ready 1.2s: ok");
        assert_eq!(status_value("a\nREADY=1"), "a READY =1");
        assert_eq!(
            status_value("fail http://h/?WATCHDOG=1&READY=1"),
            "fail http://h/?WATCHDOG =1&READY =1"
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
