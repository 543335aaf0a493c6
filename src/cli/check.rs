//! `vigil check` options: the table that defines each one (and the
//! `VIGIL_CHECK_TIMEOUT` twin), the help made from it, targets from argv or
//! `VIGIL_CHECK`, and `${VAR}` expansion of targets and header values.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::argv::{Arg, Lexer};
use super::opt::{self, Opt, Parsing, Stop, Takes, env_text};
use super::{Command, Env, Mode, help, values};
use crate::human::number;
use crate::probe::{CheckOptions, StatusSet};
use crate::variables::expand;

/// At most this many retries: more is a typo, the deadline bounds them anyway.
const MAX_RETRIES: u32 = 1000;

/// Every check option, in help order.
pub const OPTIONS: &[Opt<CheckOptions>] = &[
    Opt {
        long: "timeout",
        short: Some('t'),
        env: Some("VIGIL_CHECK_TIMEOUT"),
        repeats: false,
        takes: Takes::Duration {
            positive: true,
            field: |o| &mut o.timeout,
        },
        help: "deadline for the whole run, retries included\n[5s]",
    },
    Opt {
        long: "status",
        short: Some('s'),
        env: None,
        repeats: false,
        takes: Takes::Text("LIST", |o, v, _| {
            o.statuses = StatusSet::parse(v)?;
            Ok(())
        }),
        help: "accepted statuses, e.g. 200-299,302 [200-399];\nredirects are not followed",
    },
    Opt {
        long: "header",
        short: Some('H'),
        env: None,
        repeats: true,
        takes: Takes::Text("'Name: value'", |o, v, given| {
            o.headers.push(header(v, given.env)?);
            Ok(())
        }),
        help: "extra header or gRPC metadata; may set Host",
    },
    Opt {
        long: "method",
        short: Some('X'),
        env: None,
        repeats: false,
        takes: Takes::Text("METHOD", |o, v, _| {
            if v.is_empty() || !v.bytes().all(is_token_byte) {
                return Err(format!("invalid method '{v}'"));
            }
            o.method = v.to_owned();
            Ok(())
        }),
        help: "request method [GET]",
    },
    Opt {
        long: "body-contains",
        short: None,
        env: None,
        repeats: false,
        takes: Takes::Text("TEXT", |o, v, _| {
            if v.is_empty() {
                return Err("empty text (give the text the body must contain)".into());
            }
            o.body_contains = Some(v.to_owned());
            Ok(())
        }),
        help: "also require TEXT in the body's first 64 KiB",
    },
    Opt {
        long: "unix-socket",
        short: None,
        env: None,
        repeats: false,
        takes: Takes::Bytes("PATH", |o, v| {
            o.unix_socket = Some(v);
            Ok(())
        }),
        help: "send the HTTP or gRPC request over this socket",
    },
    Opt {
        long: "insecure",
        short: Some('k'),
        env: None,
        repeats: false,
        takes: Takes::Switch(|_, _| Ok(())),
        help: "accepted: HTTPS certificates are never verified",
    },
    Opt {
        long: "fail",
        short: Some('f'),
        env: None,
        repeats: false,
        takes: Takes::Switch(|_, _| Ok(())),
        help: "accepted: a status outside --status always fails",
    },
    Opt {
        long: "retries",
        short: None,
        env: None,
        repeats: false,
        takes: Takes::Text("N", |o, v, _| {
            o.retries = match number(v.trim()).and_then(|n| u32::try_from(n).ok()) {
                Some(n) if n <= MAX_RETRIES => n,
                _ => return Err(format!("invalid count '{v}' (use 0-1000)")),
            };
            Ok(())
        }),
        help: "extra attempts inside the deadline [0]",
    },
    Opt {
        long: "retry-delay",
        short: None,
        env: None,
        repeats: false,
        takes: Takes::Duration {
            positive: false,
            field: |o| &mut o.retry_delay,
        },
        help: "pause between attempts [200ms]",
    },
    Opt {
        long: "quiet",
        short: Some('q'),
        env: None,
        repeats: false,
        takes: Takes::Switch(|o, _| {
            o.quiet = true;
            Ok(())
        }),
        help: "print nothing when healthy",
    },
    Opt {
        long: "help",
        short: Some('h'),
        env: None,
        repeats: false,
        takes: Takes::Help,
        help: "this help",
    },
];

const HEAD: &str = "\
vigil check: probe targets within one hard deadline; exit 0 if all are healthy.

Usage: vigil check [OPTIONS] [TARGET...]

TARGET is http://HOST[:PORT][/PATH[?QUERY]], https://..., tcp://HOST:PORT,
or grpc://HOST:PORT[/SERVICE] and grpcs://... (grpc.health.v1 Check: healthy
when SERVING), IPv6 literals in brackets; file:///PATH[?max-age=DURATION]
(exists, modified within DURATION); exec:CMD ARG... (exits 0; split as
--with splits, no shell). With no TARGET, the whitespace-separated list in
VIGIL_CHECK. ${VAR} and ${VAR:-default} are expanded in targets and header
values ($$ is a literal $). Every address a name resolves to is tried.

Options:
";

const TAIL: &str = "
https:// and grpcs:// need a vigil built with TLS. Proxy variables are ignored.
Exit status: 0 healthy, 1 anything else (bad usage included).
";

const COLUMN: usize = 31;
const HELP_LEN: usize = help::render(&mut [], HEAD, OPTIONS, COLUMN, TAIL);
const HELP_BYTES: [u8; HELP_LEN] = {
    let mut bytes = [0; HELP_LEN];
    help::render(&mut bytes, HEAD, OPTIONS, COLUMN, TAIL);
    bytes
};
/// `OPTIONS` as parsing reads it (`opt::for_parsing`).
pub(super) const PARSING: [Parsing<CheckOptions>; OPTIONS.len()] = opt::for_parsing(OPTIONS);
/// `vigil check --help`, made from `OPTIONS` when the crate is compiled.
pub const HELP: help::Help = help::text(&HELP_BYTES);

/// Where a usage error sends the user.
const HELP_COMMAND: &str = "vigil check --help";

/// Parses the arguments after `check`: options and targets in any order,
/// every word after `--` a target.
pub fn parse(args: Vec<Vec<u8>>, env: Env) -> Result<Command, String> {
    let mut opts = CheckOptions::new(Vec::new());
    let mut texts = Vec::new();
    let mut seen = [false; PARSING.len()];
    let mut lexer = Lexer::new(args);
    while let Some(arg) = lexer.next_arg()? {
        if let Arg::Operand(word) = arg {
            let text = String::from_utf8(word).map_err(|e| {
                format!(
                    "target is not UTF-8: {}",
                    String::from_utf8_lossy(e.as_bytes())
                )
            })?;
            texts.push(text);
            continue;
        }
        match opt::apply(
            &PARSING,
            &mut seen,
            &mut lexer,
            arg,
            &mut opts,
            env,
            HELP_COMMAND,
        )? {
            Some(Stop::Help) => return Ok(Command::Help(Mode::Check, HELP)),
            Some(Stop::Version) | None => {}
        }
    }
    if texts.is_empty() {
        if let Some(list) = env_text(env, "VIGIL_CHECK")? {
            for text in list.split_whitespace() {
                texts.push(text.to_owned());
            }
        }
    }
    if texts.is_empty() {
        return Err(
            "no target (e.g. vigil check http://127.0.0.1:8080/healthz, or set VIGIL_CHECK)".into(),
        );
    }
    for text in &texts {
        opts.targets.push(values::target(text, env)?);
    }
    opt::apply_twins(&PARSING, &seen, &mut opts, env)?;
    Ok(Command::Check(opts))
}

/// `Name: value` with a token name (RFC 9110 section 5.1) and `${VAR}`
/// expanded in the value, which may not hold CR, LF or NUL (no smuggling a
/// second header or request through a variable).
fn header(text: &str, env: Env) -> Result<(String, String), String> {
    let invalid = || format!("invalid header '{text}' (use 'Name: value')");
    let (name, value) = text.split_once(':').ok_or_else(invalid)?;
    if name.is_empty() || !name.bytes().all(is_token_byte) {
        return Err(invalid());
    }
    let value = expand(value.trim(), &|var| values::variable(env, var))?;
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
    use crate::cli::test_env;
    use alloc::string::ToString;
    use alloc::vec;
    use core::time::Duration;

    fn parse_with(list: &[&str], vars: &[(&str, &str)]) -> Result<Command, String> {
        let args = list.iter().map(|a| a.as_bytes().to_vec()).collect();
        parse(args, &test_env(vars))
    }

    fn run(list: &[&str]) -> CheckOptions {
        match parse_with(list, &[]) {
            Ok(Command::Check(o)) => o,
            Ok(_) => panic!("{list:?}: not a check"),
            Err(e) => panic!("{list:?}: {e}"),
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
            "http://a/",
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
            "-kqf",
            "--fail",
            "--retries",
            "3",
            "--retry-delay",
            "50ms",
            "--",
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
        assert_eq!(o.unix_socket.as_deref(), Some(&b"/run/app.sock"[..]));
        assert_eq!(o.retries, 3);
        assert_eq!(o.retry_delay, Duration::from_millis(50));
        assert!(o.quiet);
        assert_eq!(o.targets.len(), 2);
    }

    #[test]
    fn usage_errors_name_the_option() {
        for (args, want) in [
            (
                &["-t", "0", "http://a/"][..],
                "--timeout: duration '0' must be more than 0",
            ),
            (&["-t"][..], "--timeout needs a value"),
            (&["--unix-socket"][..], "--unix-socket needs a value"),
            (
                &["--retries", "-1", "http://a/"][..],
                "--retries: invalid count '-1' (use 0-1000)",
            ),
            (
                &["-X", "GE T", "http://a/"][..],
                "--method: invalid method 'GE T'",
            ),
            (
                &["-H", "no colon", "http://a/"][..],
                "--header: invalid header 'no colon' (use 'Name: value')",
            ),
            (
                &["--body-contains=", "http://a/"][..],
                "--body-contains: empty text (give the text the body must contain)",
            ),
            (
                &["--bogus", "http://a/"][..],
                "invalid option '--bogus' (see vigil check --help)",
            ),
            (
                &["--timout", "1s", "http://a/"][..],
                "invalid option '--timout' (did you mean --timeout? see vigil check --help)",
            ),
            (&["-V", "http://a/"][..], "invalid option '-V'"),
            (
                &[][..],
                "no target (e.g. vigil check http://127.0.0.1:8080/healthz, or set VIGIL_CHECK)",
            ),
        ] {
            assert_eq!(
                parse_with(args, &[]).err().as_deref(),
                Some(want),
                "{args:?}"
            );
        }
        for (args, needle) in [
            (&["-t", "soon", "http://a/"][..], "--timeout: "),
            (&["-s", "2xx", "http://a/"][..], "--status: "),
            (&["-H", "Bad Name: x", "http://a/"][..], "--header: "),
            (&["--retry-delay", "x", "http://a/"][..], "--retry-delay: "),
            (&["ftp://a/"][..], "ftp://a/"),
        ] {
            let err = parse_with(args, &[]).err().unwrap_or_default();
            assert!(err.contains(needle), "{args:?}: {err}");
        }
        assert!(matches!(
            parse_with(&["-h", "--bogus"], &[]),
            Ok(Command::Help(Mode::Check, HELP))
        ));
    }

    #[test]
    fn targets_and_headers_expand_variables() {
        let vars = [
            ("VIGIL_CHECK", " http://h:${PORT}/  tcp://h:1 "),
            ("PORT", "8080"),
            ("TOKEN", "t0k"),
            ("VIGIL_CHECK_TIMEOUT", "2s"),
        ];
        let Ok(Command::Check(o)) = parse_with(&["-H", "X-Token: ${TOKEN}"], &vars) else {
            panic!("not a check");
        };
        assert_eq!(o.targets[0].as_str(), "http://h:8080/");
        assert_eq!(o.targets.len(), 2);
        assert_eq!(o.headers[0].1, "t0k");
        assert_eq!(o.timeout, Duration::from_secs(2));
        // A flag beats VIGIL_CHECK_TIMEOUT, and targets beat VIGIL_CHECK.
        let Ok(Command::Check(o)) = parse_with(&["-t", "1s", "tcp://x:2"], &vars) else {
            panic!("not a check");
        };
        assert_eq!((o.timeout, o.targets.len()), (Duration::from_secs(1), 1));
        assert_eq!(
            parse_with(&["http://a/"], &[("VIGIL_CHECK_TIMEOUT", "0")])
                .err()
                .as_deref(),
            Some("VIGIL_CHECK_TIMEOUT: duration '0' must be more than 0")
        );
        let e = parse_with(&["-H", "A: ${NL}", "http://a/"], &[("NL", "x\ny")]);
        assert!(e.is_err_and(|e| e.starts_with("--header: invalid header")));
    }
}
