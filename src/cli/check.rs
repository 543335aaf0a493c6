//! `vigil check` options: flags, the `VIGIL_CHECK` / `VIGIL_CHECK_TIMEOUT`
//! twins, and `${VAR}` expansion of targets and header values.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::{Arg, Env, Parser, UsageError, bad, env_text, text_value, values};
use crate::probe::target::{self, BadTarget};
use crate::probe::{CheckOptions, StatusSet, Target};

#[derive(Debug)]
pub enum Parsed {
    Run(CheckOptions),
    Help,
}

pub const CHECK_HELP: &str = "\
vigil check: probe targets within one hard deadline; exit 0 if all are healthy.

Usage: vigil check [OPTIONS] [TARGET...]

TARGET is http://HOST[:PORT][/PATH[?QUERY]], https://... or tcp://HOST:PORT
(IPv6 literals in brackets). With no TARGET, the whitespace-separated list in
VIGIL_CHECK. ${VAR} and ${VAR:-default} are expanded in targets and header
values ($$ is a literal $). Every address a name resolves to is tried.

Options:
  -t, --timeout DURATION       deadline for the whole run, retries included
                               [5s]                        VIGIL_CHECK_TIMEOUT
  -s, --status LIST            accepted statuses, e.g. 200-299,302 [200-399];
                               redirects are not followed
  -H, --header 'Name: value'   extra request header (repeatable; may set Host)
  -X, --method METHOD          request method [GET]
      --body-contains TEXT     also require TEXT in the body's first 64 KiB
      --unix-socket PATH       send the HTTP request over this unix socket
  -k, --insecure               accepted: HTTPS certificates are never verified
      --retries N              extra attempts inside the deadline [0]
      --retry-delay DURATION   pause between attempts [200ms]
  -q, --quiet                  print nothing when healthy
  -h, --help                   this help

https:// needs a vigil built with TLS. Proxy variables are ignored.
Exit status: 0 healthy, 1 anything else (bad usage included).
";

/// At most this many retries: more is a typo, the deadline bounds them anyway.
const MAX_RETRIES: u32 = 1000;

/// Parses the arguments after `check`.
pub fn parse(args: Vec<Vec<u8>>, env: Env) -> Result<Parsed, UsageError> {
    use Arg::{Long, Short, Value};
    let lookup = |name: &str| lookup(env, name);

    let mut texts = Vec::new();
    let mut timeout = None;
    let mut statuses = None;
    let mut headers = Vec::new();
    let mut method = None;
    let mut body_contains = None;
    let mut unix_socket = None;
    let mut retries = 0;
    let mut retry_delay = None;
    let mut quiet = false;

    let mut parser = Parser::new(args);
    while let Some(arg) = parser.next_arg()? {
        let long = match &arg {
            Long(name) => name.as_str(),
            _ => "",
        };
        match (&arg, long) {
            (Short(b't'), _) | (_, "timeout") => {
                timeout = Some(timeout_value(
                    &text_value(&mut parser, "--timeout")?,
                    "--timeout",
                )?);
            }
            (Short(b's'), _) | (_, "status") => {
                let v = text_value(&mut parser, "--status")?;
                statuses = Some(StatusSet::parse(&v).map_err(|e| bad("--status", e))?);
            }
            (Short(b'H'), _) | (_, "header") => {
                headers.push(header(&text_value(&mut parser, "--header")?, &lookup)?);
            }
            (Short(b'X'), _) | (_, "method") => {
                let v = text_value(&mut parser, "--method")?;
                if v.is_empty() || !v.bytes().all(is_token_byte) {
                    return Err(bad("--method", format!("invalid method '{v}'")));
                }
                method = Some(v);
            }
            (_, "body-contains") => {
                let text = text_value(&mut parser, "--body-contains")?;
                if text.is_empty() {
                    return Err(UsageError(
                        "--body-contains: empty text (give the text the body must contain)".into(),
                    ));
                }
                body_contains = Some(text);
            }
            (_, "unix-socket") => {
                let v = parser
                    .value()
                    .ok_or_else(|| UsageError("--unix-socket needs a value".into()))?;
                unix_socket = Some(v);
            }
            (Short(b'k'), _) | (_, "insecure") => {}
            (_, "retries") => {
                let v = text_value(&mut parser, "--retries")?;
                retries = match v.trim().parse::<u32>() {
                    Ok(n) if n <= MAX_RETRIES => n,
                    _ => {
                        return Err(bad(
                            "--retries",
                            format!("invalid count '{v}' (use 0-1000)"),
                        ));
                    }
                };
            }
            (_, "retry-delay") => {
                let v = text_value(&mut parser, "--retry-delay")?;
                retry_delay = Some(values::duration(&v).map_err(|e| bad("--retry-delay", e))?);
            }
            (Short(b'q'), _) | (_, "quiet") => quiet = true,
            (Short(b'h'), _) | (_, "help") => return Ok(Parsed::Help),
            (Value(v), _) => texts.push(String::from_utf8(v.clone()).map_err(|_| {
                UsageError(format!(
                    "target is not UTF-8: {}",
                    String::from_utf8_lossy(v)
                ))
            })?),
            _ => return Err(parser.unexpected(&arg)),
        }
    }

    if texts.is_empty() {
        if let Some(list) = env_text(env, "VIGIL_CHECK")? {
            texts.extend(list.split_whitespace().map(str::to_owned));
        }
    }
    if texts.is_empty() {
        return Err(UsageError(
            "no target (e.g. vigil check http://127.0.0.1:8080/healthz, or set VIGIL_CHECK)".into(),
        ));
    }
    let targets = texts
        .iter()
        .map(|text| {
            let expanded = target::expand(text, &lookup).map_err(usage)?;
            Target::parse(&expanded).map_err(usage)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let timeout = match timeout {
        Some(t) => t,
        None => match env_text(env, "VIGIL_CHECK_TIMEOUT")? {
            Some(v) => timeout_value(&v, "VIGIL_CHECK_TIMEOUT")?,
            None => crate::probe::DEFAULT_TIMEOUT,
        },
    };

    let mut opts = CheckOptions::new(targets);
    opts.timeout = timeout;
    opts.statuses = statuses.unwrap_or_else(StatusSet::default_set);
    opts.headers = headers;
    opts.method = method.unwrap_or(opts.method);
    opts.body_contains = body_contains;
    opts.unix_socket = unix_socket;
    opts.retries = retries;
    opts.retry_delay = retry_delay.unwrap_or(opts.retry_delay);
    opts.quiet = quiet;
    Ok(Parsed::Run(opts))
}

fn usage(e: BadTarget) -> UsageError {
    UsageError(e.0)
}

/// A deadline of zero would fail every target before it starts: refuse it.
fn timeout_value(text: &str, name: &str) -> Result<Duration, UsageError> {
    match values::duration(text) {
        Ok(d) if d.is_zero() => Err(bad(name, format!("timeout '{text}' must be more than 0"))),
        Ok(d) => Ok(d),
        Err(e) => Err(bad(name, e)),
    }
}

/// A variable's value for `${VAR}`; unset is `None`, set but empty is `""`.
pub(super) fn lookup(env: Env, name: &str) -> Result<Option<String>, BadTarget> {
    match env(name) {
        None => Ok(None),
        Some(v) => String::from_utf8(v)
            .map(Some)
            .map_err(|_| BadTarget(format!("variable {name} is not UTF-8"))),
    }
}

/// `Name: value` with a token name (RFC 9110 section 5.1) and `${VAR}`
/// expanded in the value, which may not hold CR, LF or NUL (no smuggling a
/// second header or request through a variable).
fn header(
    text: &str,
    lookup: &dyn Fn(&str) -> Result<Option<String>, BadTarget>,
) -> Result<(String, String), UsageError> {
    let invalid = || {
        bad(
            "--header",
            format!("invalid header '{text}' (use 'Name: value')"),
        )
    };
    let (name, value) = text.split_once(':').ok_or_else(invalid)?;
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        return Err(invalid());
    }
    let value = target::expand(value.trim(), lookup).map_err(|e| bad("--header", e.0))?;
    if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(invalid());
    }
    Ok((name.to_owned(), value))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_list(list: &[&str]) -> Result<Parsed, UsageError> {
        let env = |name: &str| std::env::var_os(name).map(|v| v.into_encoded_bytes());
        parse(list.iter().map(|a| a.as_bytes().to_vec()).collect(), &env)
    }

    fn run(list: &[&str]) -> CheckOptions {
        match parse_list(list) {
            Ok(Parsed::Run(o)) => o,
            other => panic!("{list:?}: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let o = run(&["http://127.0.0.1:8080/healthz"]);
        assert_eq!(o.timeout, Duration::from_secs(5));
        assert_eq!(o.statuses, StatusSet::default_set());
        assert_eq!(o.method, "GET");
        assert_eq!(o.retries, 0);
        assert_eq!(o.retry_delay, Duration::from_millis(200));
        assert!(!o.quiet && o.headers.is_empty() && o.unix_socket.is_none());
    }

    #[test]
    fn flags() {
        let o = run(&[
            "-t",
            "1500ms",
            "-s",
            "200-299,302",
            "-H",
            "Host: app.test",
            "--header=X-Probe:  yes ",
            "-X",
            "HEAD",
            "--body-contains",
            "ready",
            "--unix-socket",
            "/run/app.sock",
            "-k",
            "--retries",
            "3",
            "--retry-delay",
            "50ms",
            "-q",
            "http://a/",
            "tcp://b:1",
        ]);
        assert_eq!(o.timeout, Duration::from_millis(1500));
        assert!(o.statuses.contains(302) && !o.statuses.contains(301));
        assert_eq!(
            o.headers,
            vec![
                ("Host".to_string(), "app.test".to_string()),
                ("X-Probe".to_string(), "yes".to_string())
            ]
        );
        assert_eq!(o.method, "HEAD");
        assert_eq!(o.body_contains.as_deref(), Some("ready"));
        assert_eq!(o.retries, 3);
        assert!(o.quiet);
        assert_eq!(o.targets.len(), 2);
    }

    #[test]
    fn usage_errors_name_the_option() {
        for (args, needle) in [
            (&["-t", "soon", "http://a/"][..], "--timeout"),
            (&["-t", "0", "http://a/"][..], "--timeout"),
            (&["-s", "2xx", "http://a/"][..], "--status"),
            (&["-H", "no colon", "http://a/"][..], "--header"),
            (&["-H", "Bad Name: x", "http://a/"][..], "--header"),
            (&["-X", "GE T", "http://a/"][..], "--method"),
            (&["--retries", "-1", "http://a/"][..], "--retries"),
            (&["--retry-delay", "x", "http://a/"][..], "--retry-delay"),
            (&["--bogus", "http://a/"][..], "--bogus"),
            (&["ftp://a/"][..], "ftp://a/"),
        ] {
            let err = parse_list(args).unwrap_err().0;
            assert!(err.contains(needle), "{args:?}: {err}");
        }
        assert!(matches!(parse_list(&["-h"]), Ok(Parsed::Help)));
    }
}
