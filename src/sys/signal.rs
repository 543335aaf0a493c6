//! Signal numbers and names: `TERM`, `SIGTERM`, `sigterm`, `15`, `RTMIN+3` all name one.
//! Pure data about the kernel's numbering; no system calls here.

use core::fmt;

/// A signal number, 1..=64 (the kernel's `_NSIG` on x86_64 and aarch64).
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub struct Signal(pub i32);

/// Highest signal number the kernel knows on the architectures vigil ships for.
pub const MAX: i32 = 64;
/// `RTMIN` as `kill -l` on glibc systems names it (the kernel's 32 and 33 are
/// reserved by glibc's threads, 34 is the first one applications get).
pub const RTMIN_NAME: i32 = 34;

impl Signal {
    pub const HUP: Signal = Signal(libc::SIGHUP);
    pub const INT: Signal = Signal(libc::SIGINT);
    pub const QUIT: Signal = Signal(libc::SIGQUIT);
    pub const KILL: Signal = Signal(libc::SIGKILL);
    pub const TERM: Signal = Signal(libc::SIGTERM);
    pub const CHLD: Signal = Signal(libc::SIGCHLD);
    pub const CONT: Signal = Signal(libc::SIGCONT);
    pub const STOP: Signal = Signal(libc::SIGSTOP);
    pub const TSTP: Signal = Signal(libc::SIGTSTP);
    pub const WINCH: Signal = Signal(libc::SIGWINCH);
    pub const PIPE: Signal = Signal(libc::SIGPIPE);
    pub const ABRT: Signal = Signal(libc::SIGABRT);
    pub const IO: Signal = Signal(libc::SIGIO);

    /// Parses a name with or without `SIG`, in any case, or a number.
    pub fn parse(text: &str) -> Option<Signal> {
        let t = text.trim();
        if let Some(n) = super::fs::decimal(t.as_bytes()) {
            return (1..=MAX).contains(&n).then_some(Signal(n));
        }
        let upper = t.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        if let Some(rest) = name.strip_prefix("RTMIN") {
            return rt_offset(rest, RTMIN_NAME, 1);
        }
        if let Some(rest) = name.strip_prefix("RTMAX") {
            return rt_offset(rest, MAX, -1);
        }
        names()
            .find(|(_, n)| *n == name)
            .map(|(num, _)| num)
            .or_else(|| alias(name))
            .map(Signal)
    }

    /// Faults the kernel raises on the thread that caused them: forwarding one
    /// would only confuse the child, so vigil never does.
    pub fn is_synchronous_fault(self) -> bool {
        [
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGFPE,
            libc::SIGILL,
            libc::SIGTRAP,
            libc::SIGSYS,
        ]
        .contains(&self.0)
    }
}

/// `RTMIN`, `RTMIN+2`, `RTMAX-1`: an offset from the base, staying in 34..=64.
fn rt_offset(rest: &str, base: i32, sign: i32) -> Option<Signal> {
    let n = if rest.is_empty() {
        base
    } else {
        let expected = if sign > 0 { '+' } else { '-' };
        let digits = rest.strip_prefix(expected)?;
        // Digits only (no second sign), and no overflow on absurd offsets.
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        base.checked_add(sign.checked_mul(super::fs::decimal(digits.as_bytes())?)?)?
    };
    (RTMIN_NAME..=MAX).contains(&n).then_some(Signal(n))
}

/// Names of signals 1-31 in number order (the same numbers on x86_64 and
/// aarch64). One string rather than a table of `&str`: in a static-pie every
/// pointer in a table costs a relocation entry too.
const NAMES: &str = "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT \
                     CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS";

fn names() -> impl Iterator<Item = (i32, &'static str)> {
    (1..).zip(NAMES.split_whitespace())
}

fn alias(name: &str) -> Option<i32> {
    Some(match name {
        "IOT" => libc::SIGABRT,
        "CLD" => libc::SIGCHLD,
        "POLL" => libc::SIGIO,
        _ => return None,
    })
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if let Some((_, name)) = names().find(|(n, _)| *n == self.0) {
            return write!(f, "SIG{name}");
        }
        match self.0 {
            RTMIN_NAME => f.write_str("SIGRTMIN"),
            MAX => f.write_str("SIGRTMAX"),
            n if n > RTMIN_NAME && n < MAX => write!(f, "SIGRTMIN+{}", n - RTMIN_NAME),
            n => write!(f, "signal {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        for t in ["TERM", "SIGTERM", "sigterm", "Term", "15"] {
            assert_eq!(Signal::parse(t), Some(Signal::TERM), "{t}");
        }
        assert_eq!(Signal::parse("RTMIN"), Some(Signal(34)));
        assert_eq!(Signal::parse("SIGRTMIN+3"), Some(Signal(37)));
        assert_eq!(Signal::parse("rtmax-1"), Some(Signal(63)));
        assert_eq!(Signal::parse("IOT"), Some(Signal(libc::SIGABRT)));
        for bad in [
            "",
            "0",
            "65",
            "TERMS",
            "RTMIN+31",
            "RTMAX+1",
            "RTMIN-1",
            "-3",
            "RTMIN++3",
            "RTMIN+2147483647",
            "RTMAX-2147483647",
        ] {
            assert_eq!(Signal::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_are_in_kernel_order() {
        let expected = [
            libc::SIGHUP,
            libc::SIGINT,
            libc::SIGQUIT,
            libc::SIGILL,
            libc::SIGTRAP,
            libc::SIGABRT,
            libc::SIGBUS,
            libc::SIGFPE,
            libc::SIGKILL,
            libc::SIGUSR1,
            libc::SIGSEGV,
            libc::SIGUSR2,
            libc::SIGPIPE,
            libc::SIGALRM,
            libc::SIGTERM,
            libc::SIGSTKFLT,
            libc::SIGCHLD,
            libc::SIGCONT,
            libc::SIGSTOP,
            libc::SIGTSTP,
            libc::SIGTTIN,
            libc::SIGTTOU,
            libc::SIGURG,
            libc::SIGXCPU,
            libc::SIGXFSZ,
            libc::SIGVTALRM,
            libc::SIGPROF,
            libc::SIGWINCH,
            libc::SIGIO,
            libc::SIGPWR,
            libc::SIGSYS,
        ];
        let got: Vec<i32> = names().map(|(n, _)| n).collect();
        assert_eq!(got, expected);
        assert_eq!(Signal::parse("SIGSYS"), Some(Signal(libc::SIGSYS)));
        assert_eq!(Signal::parse("cld"), Some(Signal::CHLD));
    }

    #[test]
    fn names_round_trip() {
        for n in 1..=MAX {
            let name = Signal(n).to_string();
            if n == 32 || n == 33 {
                assert_eq!(name, format!("signal {n}"));
                continue;
            }
            assert_eq!(Signal::parse(&name), Some(Signal(n)), "{name}");
        }
    }
}
