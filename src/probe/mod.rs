//! `vigil check`: probe http://, https://, tcp://, grpc://, grpcs://, file://
//! and exec: targets under one hard deadline; also the library entry
//! (`probe_all`) init mode reuses.

pub mod command_words;
pub mod deadline;
pub mod exec;
pub mod file;
pub mod grpc;
pub mod http;
pub mod ip_literal;
pub mod net;
pub mod report;
pub mod resolve;
pub mod target;
#[cfg(feature = "tls")]
mod tls;

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

pub use deadline::Deadline;
pub use http::StatusSet;
pub use report::{Failure, Passed, Report};
pub use target::{BadTarget, Scheme, Target};

use crate::sys::sigwait::Mask;
use crate::sys::time::{Instant, sleep};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_millis(200);

/// Everything a probe run needs, validated. Build it with `CheckOptions::new`
/// and change the fields that differ from the defaults.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub targets: Vec<Target>,
    /// Budget for the whole run; `probe_all` takes the deadline made from it.
    pub timeout: Duration,
    pub statuses: StatusSet,
    /// Extra headers, names validated and values expanded; `Host` overrides ours.
    pub headers: Vec<(String, String)>,
    pub method: String,
    pub body_contains: Option<String>,
    /// A unix socket path (bytes, as the kernel takes it).
    pub unix_socket: Option<Vec<u8>>,
    pub retries: u32,
    pub retry_delay: Duration,
    pub quiet: bool,
    /// The signal mask an `exec:` target's command starts with: the one vigil
    /// was started with.
    pub exec_mask: Mask,
}

impl CheckOptions {
    pub fn new(targets: Vec<Target>) -> CheckOptions {
        CheckOptions {
            targets,
            timeout: DEFAULT_TIMEOUT,
            statuses: StatusSet::default_set(),
            headers: Vec::new(),
            method: "GET".to_owned(),
            body_contains: None,
            unix_socket: None,
            retries: 0,
            retry_delay: DEFAULT_RETRY_DELAY,
            quiet: false,
            exec_mask: Mask(0),
        }
    }
}

/// Every target's report, in the order given; healthy when all passed.
#[derive(Debug)]
pub struct Outcome {
    pub healthy: bool,
    pub reports: Vec<Report>,
}

/// Docker keeps the first 4096 bytes of a probe's output; stop well before.
const MAX_OUTPUT: usize = 3000;

impl Outcome {
    /// The lines to print, one per target (only failures when `quiet`), cut
    /// short with a count of the rest if there are very many targets.
    pub fn text(&self, quiet: bool) -> String {
        let mut out = String::new();
        let shown = self.reports.iter().filter(|r| !(quiet && r.ok()));
        let total = shown.clone().count();
        for (i, report) in shown.enumerate() {
            let line = format!("{report}\n");
            if out.len() + line.len() > MAX_OUTPUT {
                out.push_str(&format!("... {} more not shown\n", total - i));
                break;
            }
            out.push_str(&line);
        }
        out
    }
}

/// Whether two names (header fields, hosts) are the same but for ASCII case:
/// a byte loop, where core's `eq_ignore_ascii_case` is a 326 B chunked one.
pub(crate) fn same_name(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// Probes every target in turn, each with retries, all within `deadline`.
/// Sequential on purpose: threads per target would cost binary size, and a
/// probe has few targets. A target probed after the deadline reports a timeout.
pub fn probe_all(opts: &CheckOptions, deadline: Deadline) -> Outcome {
    let mut reports = Vec::with_capacity(opts.targets.len());
    for target in &opts.targets {
        reports.push(probe(target, opts, deadline));
    }
    Outcome {
        healthy: reports.iter().all(Report::ok),
        reports,
    }
}

/// Probes one target, retrying failures after `retry_delay` while attempts and
/// time are left. A retry never outlives the deadline: the last real failure
/// is reported rather than a sleep cut short.
pub fn probe(target: &Target, opts: &CheckOptions, deadline: Deadline) -> Report {
    let start = Instant::now();
    let mut attempts_left = opts.retries;
    let mut previous = None;
    let result = loop {
        let result = attempt(target, opts, deadline);
        if result.as_ref().is_err_and(Failure::timed_out) {
            // A retry started just before the deadline says only that time ran
            // out; the failure before it says why the target is unhealthy.
            if let Some(prev) = previous {
                break prev;
            }
        }
        let permanent = match &result {
            Ok(_) => true,
            Err(e) => e.timed_out() || matches!(e, Failure::NoTls),
        };
        if permanent || attempts_left == 0 {
            break result;
        }
        match deadline.remaining() {
            Some(left) if left > opts.retry_delay => sleep(opts.retry_delay),
            _ => break result,
        }
        attempts_left -= 1;
        previous = Some(result);
    };
    Report {
        target: target.as_str().to_owned(),
        result,
        elapsed: start.elapsed(),
    }
}

/// One connection, one request.
fn attempt(target: &Target, opts: &CheckOptions, deadline: Deadline) -> Result<Passed, Failure> {
    match target.scheme {
        Scheme::File => return file::check(target),
        Scheme::Exec => return exec::run(target, opts, deadline),
        Scheme::Https | Scheme::Grpcs if cfg!(not(feature = "tls")) => return Err(Failure::NoTls),
        _ => {}
    }
    let socket = net::connect(target, opts.unix_socket.as_deref(), deadline)?;
    let mut stream = net::Bounded::new(socket, deadline);
    let req = http::Request {
        method: &opts.method,
        headers: &opts.headers,
        body_contains: opts.body_contains.as_deref().map(str::as_bytes),
    };
    let answer = match target.scheme {
        Scheme::Tcp => return Ok(Passed::Connected),
        Scheme::Http => http::exchange(&mut stream, target, &req)?,
        #[cfg(feature = "tls")]
        Scheme::Https => {
            let mut tls = tls::connect(stream, target, false)?;
            http::exchange(&mut tls, target, &req)?
        }
        Scheme::Grpc => return grpc::exchange(&mut stream, target, &opts.headers, deadline),
        #[cfg(feature = "tls")]
        Scheme::Grpcs => {
            let mut tls = tls::connect(stream, target, true)?;
            return grpc::exchange(&mut tls, target, &opts.headers, deadline);
        }
        #[cfg(not(feature = "tls"))]
        Scheme::Https | Scheme::Grpcs => return Err(Failure::NoTls),
        Scheme::File | Scheme::Exec => return Err(Failure::BadResponse("not a network target")),
    };
    if !opts.statuses.contains(answer.code) {
        Err(Failure::Status(answer.code, answer.reason))
    } else if !answer.body_matched {
        Err(Failure::BodyMismatch(answer.code, answer.reason))
    } else {
        Ok(Passed::Status(answer.code, answer.reason))
    }
}

/// Runs `vigil check` with its parsed options: prints one line per target
/// (only failures with `--quiet`); true when every target is healthy.
pub fn main(opts: &CheckOptions) -> bool {
    let outcome = probe_all(opts, Deadline::after(opts.timeout));
    let _ = crate::sys::stdio::stdout(outcome.text(opts.quiet).as_bytes());
    outcome.healthy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_is_eq_ignore_ascii_case() {
        let names: [&[u8]; 10] = [
            b"",
            b"Content-Length",
            b"content-length",
            b"CONTENT-LENGTH",
            b"content-lengtH ",
            b"chunked",
            b"Chunked\xc3\xa9",
            b"chunked\xc3\x89",
            b"\xff\xfe",
            b"\xdf\xfe",
        ];
        for a in names {
            for b in names {
                assert_eq!(same_name(a, b), a.eq_ignore_ascii_case(b), "{a:?} {b:?}");
            }
        }
    }
}
