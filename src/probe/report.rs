//! Outcomes of probing one target and the one short line each prints:
//! `ok http://127.0.0.1:8080/healthz 200 OK 1.2ms`, `fail tcp://db:5432 refused 0.3ms`,
//! `fail grpc://127.0.0.1:50051/my.pkg.Orders NOT_SERVING 0.6ms`.

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use core::fmt::{self, Write as _};
use core::time::Duration;

use super::deadline::Deadline;
use super::grpc::client::Verdict;
use crate::human::{Age, Shown};
use crate::sys::Errno;
use crate::sys::errno::Kind;
use crate::sys::signal::Signal;

/// Longest target text and error text a line shows: Docker keeps only the
/// first 4096 bytes of a probe's output, so every line stays short.
const MAX_TARGET: usize = 160;
const MAX_DETAIL: usize = 120;

/// Why a target is not healthy.
#[derive(Debug)]
pub enum Failure {
    /// The invocation's deadline (its whole budget is quoted) passed.
    TimedOut(Duration),
    /// The same, while the body was still arriving after an answer's head.
    BodyTimedOut(Duration),
    Refused,
    Reset,
    Unreachable,
    /// The peer closed the connection before a complete response head.
    Closed,
    /// The host name has no address.
    Resolve,
    NoSocket,
    /// Any other socket error, as the OS words it.
    Io(Errno),
    /// The peer's bytes are not an HTTP/1.x response we can read.
    BadResponse(&'static str),
    /// An https or grpcs target, but this vigil was built without the `tls` feature.
    NoTls,
    Tls(String),
    /// A status outside the accepted list: code and reason phrase.
    Status(u16, String),
    /// An accepted status whose body lacks the `--body-contains` text.
    BodyMismatch(u16, String),
    /// A gRPC health check that did not answer SERVING: what it said instead.
    Grpc(Verdict),
    /// `file://`: no such path.
    Missing,
    /// `file://`: stat failed otherwise (a directory we may not search).
    Stat(Errno),
    /// `file://...?max-age=`: modified `age` ago, more than `max`.
    Stale {
        age: Duration,
        max: Duration,
    },
    /// `file://`: modified this far ahead of the wall clock.
    Future(Duration),
    /// `exec:`: it could not be started (not found, not executable).
    Spawn(Errno),
    /// `exec:`: it exited with this status.
    Exit(u8),
    /// `exec:`: a signal ended it.
    Killed(Signal),
}

impl Failure {
    /// The deadline passed: retrying cannot help.
    pub fn timed_out(&self) -> bool {
        matches!(self, Failure::TimedOut(_) | Failure::BodyTimedOut(_))
    }

    /// A `file://` verdict, shown without a time taken.
    fn about_a_file(&self) -> bool {
        matches!(
            self,
            Failure::Missing | Failure::Stat(_) | Failure::Stale { .. } | Failure::Future(_)
        )
    }

    /// Names an OS error the way a probe's reader wants to see it.
    pub fn from_errno(e: Errno, deadline: Deadline) -> Failure {
        match e.kind() {
            Kind::TimedOut => Failure::TimedOut(deadline.total()),
            Kind::Refused => Failure::Refused,
            Kind::Reset => Failure::Reset,
            Kind::Unreachable => Failure::Unreachable,
            Kind::NoSuchFile => Failure::NoSocket,
            Kind::NotADirectory | Kind::Other => Failure::Io(e),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Failure::TimedOut(total) => {
                write!(f, "timed out after {}", Shown(*total))
            }
            Failure::BodyTimedOut(total) => {
                write!(f, "timed out after {} reading the body", Shown(*total))
            }
            Failure::Refused => f.write_str("refused"),
            Failure::Reset => f.write_str("connection reset"),
            Failure::Unreachable => f.write_str("unreachable"),
            Failure::Closed => f.write_str("closed without a response"),
            Failure::Resolve => f.write_str("name not resolved"),
            Failure::NoSocket => f.write_str("no such socket"),
            Failure::Io(e) => write_clipped(f, &e.to_string(), MAX_DETAIL),
            Failure::BadResponse(why) => write!(f, "bad response ({why})"),
            Failure::NoTls => {
                f.write_str("https and grpcs need TLS, and this vigil was built without TLS")
            }
            Failure::Tls(e) => {
                f.write_str("TLS: ")?;
                write_clipped(f, e, MAX_DETAIL)
            }
            Failure::Status(code, reason) => write_status(f, *code, reason),
            Failure::BodyMismatch(code, reason) => {
                write_status(f, *code, reason)?;
                f.write_str(", body lacks the expected text")
            }
            // Bounded already: grpc-message is cut at 100 bytes.
            Failure::Grpc(verdict) => fmt::Display::fmt(verdict, f),
            Failure::Missing => f.write_str("missing"),
            Failure::Stat(e) => write!(f, "cannot stat: {e}"),
            Failure::Stale { age, max } => {
                write!(f, "stale: age {} > {}", Age(*age), Shown(*max))
            }
            Failure::Future(ahead) => write!(f, "modified {} in the future", Age(*ahead)),
            Failure::Spawn(e) => write!(f, "cannot run: {e}"),
            Failure::Exit(code) => write!(f, "exit {code}"),
            Failure::Killed(sig) => write!(f, "killed by {sig}"),
        }
    }
}

/// What a healthy target answered: an HTTP status, a TCP connection, or a
/// gRPC health check's SERVING.
#[derive(Debug)]
pub enum Passed {
    Status(u16, String),
    Connected,
    Serving,
    /// `file://`: the path exists, modified this long ago.
    Age(Duration),
    /// `exec:`: the command exited 0.
    Exited,
}

/// One target's outcome and how long it took, retries included.
#[derive(Debug)]
pub struct Report {
    pub target: String,
    pub result: Result<Passed, Failure>,
    pub elapsed: Duration,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.result.is_ok()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(if self.ok() { "ok " } else { "fail " })?;
        write_clipped(f, &self.target, MAX_TARGET)?;
        f.write_char(' ')?;
        match &self.result {
            Ok(Passed::Status(code, reason)) => {
                write_status(f, *code, reason)?;
                f.write_char(' ')?;
            }
            Ok(Passed::Connected) => f.write_str("connected ")?,
            Ok(Passed::Serving) => f.write_str("SERVING ")?,
            Ok(Passed::Exited) => f.write_str("exit 0 ")?,
            // A stat takes no time worth showing; the age is what counts.
            Ok(Passed::Age(age)) => return write!(f, "age {}", Age(*age)),
            // The budget it quotes is the time taken.
            Err(e) if e.timed_out() || e.about_a_file() => return write!(f, "{e}"),
            Err(e) => write!(f, "{e} ")?,
        }
        write_elapsed(f, self.elapsed)
    }
}

/// A reason phrase from the peer, made safe to print: printable ASCII only,
/// at most 40 characters.
pub fn clean_reason(raw: &str) -> String {
    let mut shown = String::new();
    for c in raw
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(40)
    {
        shown.push(c);
    }
    shown.trim().to_owned()
}

/// `200 OK`, or `200` alone when the reason phrase is empty (it may be:
/// RFC 9112 section 4).
fn write_status(f: &mut fmt::Formatter, code: u16, reason: &str) -> fmt::Result {
    // As u64: a u16 would bring its own copy of integer formatting.
    write!(f, "{}", u64::from(code))?;
    if !reason.is_empty() {
        write!(f, " {reason}")?;
    }
    Ok(())
}

/// Writes at most `max` bytes of `text` (cut on a character boundary, marked `...`).
fn write_clipped(f: &mut fmt::Formatter, text: &str, max: usize) -> fmt::Result {
    if text.len() <= max {
        return f.write_str(text);
    }
    let mut cut = max - 3;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    // `get`, though `cut` is a boundary: indexing a str brings core's
    // panic message for a cut inside a character (2 KiB).
    f.write_str(text.get(..cut).unwrap_or_default())?;
    f.write_str("...")
}

/// `0.3ms`, `12.5ms`, `1.25s`: integer arithmetic, no float formatting code.
fn write_elapsed(f: &mut fmt::Formatter, d: Duration) -> fmt::Result {
    let micros = d.as_micros() as u64;
    if micros < 1_000_000 {
        write!(f, "{}.{}ms", micros / 1000, micros % 1000 / 100)
    } else {
        let centis = micros / 10_000;
        write!(f, "{}.{:02}s", centis / 100, centis % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(result: Result<Passed, Failure>, micros: u64) -> String {
        Report {
            target: "http://127.0.0.1:8080/healthz".into(),
            result,
            elapsed: Duration::from_micros(micros),
        }
        .to_string()
    }

    #[test]
    fn lines() {
        assert_eq!(
            line(Ok(Passed::Status(200, "OK".into())), 1234),
            "ok http://127.0.0.1:8080/healthz 200 OK 1.2ms"
        );
        assert_eq!(
            line(Err(Failure::Refused), 345),
            "fail http://127.0.0.1:8080/healthz refused 0.3ms"
        );
        assert_eq!(
            line(Err(Failure::TimedOut(Duration::from_secs(1))), 1_000_100),
            "fail http://127.0.0.1:8080/healthz timed out after 1s"
        );
        assert_eq!(
            line(
                Err(Failure::TimedOut(Duration::from_millis(1500))),
                1_500_100
            ),
            "fail http://127.0.0.1:8080/healthz timed out after 1500ms"
        );
        assert_eq!(
            line(
                Err(Failure::Status(503, "Service Unavailable".into())),
                2_345_678
            ),
            "fail http://127.0.0.1:8080/healthz 503 Service Unavailable 2.34s"
        );
    }

    #[test]
    fn an_empty_reason_phrase_leaves_no_double_space() {
        assert_eq!(
            line(Ok(Passed::Status(200, String::new())), 1234),
            "ok http://127.0.0.1:8080/healthz 200 1.2ms"
        );
        assert_eq!(
            line(Err(Failure::Status(503, String::new())), 1234),
            "fail http://127.0.0.1:8080/healthz 503 1.2ms"
        );
        assert_eq!(
            line(
                Err(Failure::BodyTimedOut(Duration::from_secs(1))),
                1_000_100
            ),
            "fail http://127.0.0.1:8080/healthz timed out after 1s reading the body"
        );
    }

    #[test]
    fn file_lines_show_the_age_and_no_time_taken() {
        let file = |result| {
            Report {
                target: "file:///tmp/hb".into(),
                result,
                elapsed: Duration::from_micros(40),
            }
            .to_string()
        };
        let s = Duration::from_secs;
        assert_eq!(file(Ok(Passed::Age(s(12)))), "ok file:///tmp/hb age 12s");
        assert_eq!(
            file(Err(Failure::Stale {
                age: s(182),
                max: s(90)
            })),
            "fail file:///tmp/hb stale: age 3m02s > 90s"
        );
        assert_eq!(file(Err(Failure::Missing)), "fail file:///tmp/hb missing");
        assert_eq!(
            file(Err(Failure::Future(s(40)))),
            "fail file:///tmp/hb modified 40s in the future"
        );
        assert_eq!(
            file(Err(Failure::Stat(Errno(libc::EACCES)))),
            "fail file:///tmp/hb cannot stat: Permission denied (os error 13)"
        );
    }

    #[test]
    fn long_text_is_clipped() {
        let r = Report {
            target: format!("http://h/{}", "é".repeat(500)),
            result: Err(Failure::Tls("x".repeat(1000))),
            elapsed: Duration::ZERO,
        };
        let text = r.to_string();
        assert!(text.len() < 320, "{}", text.len());
        assert_eq!(clean_reason("O\u{1b}[2JK\r\n"), "O[2JK");
        assert_eq!(clean_reason(&"A".repeat(99)).len(), 40);
    }
}
