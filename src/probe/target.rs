//! What to probe: `http://`, `https://`, `tcp://`, `grpc://`, `grpcs://` and
//! `file://` targets parsed from text, after `${VAR}` / `${VAR:-default}`
//! expansion (`variables.rs`: exec-form HEALTHCHECK has no shell), and
//! `exec:` command lines.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::net::IpAddr;
use core::time::Duration;

use super::{command_words, ip_literal};
use crate::human::number;
use crate::variables::{Lookup, expand};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scheme {
    Http,
    Https,
    Tcp,
    /// gRPC health checking over HTTP/2 without TLS (h2c, prior knowledge).
    Grpc,
    /// The same over TLS with ALPN `h2`.
    Grpcs,
    /// A path that must exist (and be fresh enough: `max_age`); only stat(2)'d.
    File,
    /// A command that must exit 0 within the deadline (`words`).
    Exec,
}

/// One parsed target. `host` has no brackets; `path` is what goes on the
/// request line (path and query, at least `/`; empty for tcp), and for
/// grpc the service name (without the `/`; empty for the whole server), and
/// for file the path on this machine.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Target {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    pub path: String,
    /// `file://...?max-age=DURATION`: the oldest mtime that passes.
    pub max_age: Option<Duration>,
    /// `exec:`: the command's words, split and expanded (no shell).
    pub words: Vec<String>,
    text: String,
}

/// A target or a `${VAR}` reference that cannot be used, with the reason.
#[derive(Debug, PartialEq, Eq)]
pub struct BadTarget(pub String);

impl fmt::Display for BadTarget {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Target {
    /// A target as written: `exec:CMD ARG...` split as `--with` splits a
    /// command line, then each word expanded; any other after `${VAR}` /
    /// `${VAR:-default}` expansion. `exec:` shows as written (in messages and
    /// `as_str`), the others expanded, or as written too with `as_written`
    /// (init's targets, whose variables may hold what `--secret` read).
    pub fn from_text(text: &str, lookup: Lookup, as_written: bool) -> Result<Target, BadTarget> {
        if let Some(line) = text.strip_prefix("exec:") {
            let bad = |e: String| BadTarget(format!("target '{text}': {e}"));
            let mut words = command_words::split(line).map_err(bad)?;
            for word in &mut words {
                *word = expand(word, lookup).map_err(&bad)?;
            }
            return Ok(Target::exec(text, words));
        }
        let expanded = expand(text, lookup).map_err(BadTarget)?;
        Target::parse_shown(&expanded, if as_written { text } else { &expanded })
    }

    /// Parses `SCHEME://HOST[:PORT][/PATH[?QUERY]]`; IPv6 literals in brackets.
    pub fn parse(text: &str) -> Result<Target, BadTarget> {
        Target::parse_shown(text, text)
    }

    /// Parses `text`, but shows `shown` in its messages and as `as_str`:
    /// the same target with the `${VAR}` whose values are never printed
    /// (init's secrets) left unexpanded.
    pub fn parse_shown(text: &str, shown: &str) -> Result<Target, BadTarget> {
        let bad = |why: &str| Err(BadTarget(format!("target '{shown}': {why}")));
        let Some((scheme, rest)) = split_scheme(text) else {
            if text.is_empty() {
                return bad("empty");
            }
            // `host:8080` most likely meant http://host:8080/.
            let slash = if text.contains('/') { "" } else { "/" };
            return bad(&format!("no scheme; did you mean http://{text}{slash}?"));
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            "tcp" => Scheme::Tcp,
            "grpc" => Scheme::Grpc,
            "grpcs" => Scheme::Grpcs,
            "file" => return file(shown, rest),
            _ => return bad("scheme must be http, https, tcp, grpc, grpcs or file (or exec:)"),
        };
        // A fragment never goes to the server (RFC 9110 section 7.1).
        let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at_checked(split).unwrap_or((rest, ""));
        if authority.contains('@') {
            return bad("user:password@ is not supported (send -H 'Authorization: ...')");
        }
        let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
            let Some((v6, after)) = inner.split_once(']') else {
                return bad("missing ']' after the IPv6 address");
            };
            if ip_literal::ip_v6(v6).is_none() {
                return bad("not an IPv6 address in brackets");
            }
            match after {
                "" => (v6, None),
                _ => match after.strip_prefix(':') {
                    Some(p) => (v6, Some(p)),
                    None => return bad("junk after ']'"),
                },
            }
        } else {
            match authority.split_once(':') {
                Some((_, p)) if p.contains(':') => {
                    return bad("IPv6 addresses go in brackets: http://[::1]:8080/");
                }
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        // `:PORT` alone is this machine, as grpc_health_probe's `-addr=:PORT`.
        let host = match (host, port) {
            ("", Some(_)) => "127.0.0.1",
            _ => host,
        };
        if host.is_empty() {
            return bad("no host");
        }
        let host_ok = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b));
        if !host_ok {
            return bad("host may hold only letters, digits, '-', '.' and '_'");
        }
        let port = match port {
            // Digits only: str::parse would also take a sign (`:+80`).
            Some(p) => match number(p).and_then(|n| u16::try_from(n).ok()) {
                Some(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => return bad("port must be 1-65535"),
            },
            None => match scheme {
                Scheme::Http => 80,
                Scheme::Https => 443,
                Scheme::Tcp => return bad("tcp:// needs a port: tcp://HOST:PORT"),
                _ => return bad("grpc needs a port: grpc://HOST:PORT[/SERVICE]"),
            },
        };
        if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return bad("spaces and control characters must be percent-encoded");
        }
        let path = match scheme {
            Scheme::Tcp if path.is_empty() || path == "/" => String::new(),
            Scheme::Tcp => return bad("tcp:// takes no path"),
            Scheme::Grpc | Scheme::Grpcs => match service(path) {
                Ok(name) => name,
                Err(why) => return bad(why),
            },
            _ if path.is_empty() => "/".to_owned(),
            _ if path.starts_with('?') => format!("/{path}"),
            _ => path.to_owned(),
        };
        Ok(Target {
            scheme,
            host: host.to_owned(),
            port,
            path,
            max_age: None,
            words: Vec::new(),
            text: shown.to_owned(),
        })
    }

    /// An `exec:` target: `text` as written (variables unexpanded, so the
    /// report never shows their values) and its words, split by the caller.
    pub fn exec(text: &str, words: Vec<String>) -> Target {
        Target {
            scheme: Scheme::Exec,
            host: String::new(),
            port: 0,
            path: String::new(),
            max_age: None,
            words,
            text: text.to_owned(),
        }
    }

    /// The target as the user wrote it (after `${VAR}` expansion, except
    /// where `parse_shown` was told to show it as written).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The host as an IP address when it is a literal, so resolving is skipped
    /// and TLS sends no SNI (RFC 6066 section 3 forbids literal addresses there).
    pub fn ip(&self) -> Option<IpAddr> {
        ip_literal::ip(&self.host)
    }

    /// The `Host` header: the port only when it is not the scheme's default.
    pub fn host_header(&self) -> String {
        let default = match self.scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
            _ => 0,
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default {
            host
        } else {
            // As u64: a u16 would bring its own copy of integer formatting.
            format!("{host}:{}", u64::from(self.port))
        }
    }
}

/// `file:///PATH[?max-age=DURATION]`: `rest` is what follows `file://`. The
/// path is taken as written (no percent-decoding), up to a `?`; `max-age` is
/// the only query.
fn file(text: &str, rest: &str) -> Result<Target, BadTarget> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let max_age = match query {
        "" => None,
        q => q
            .strip_prefix("max-age=")
            .and_then(|d| crate::human::duration(d).ok()),
    };
    if !path.starts_with('/') || path.contains('\0') || max_age.is_none() && !query.is_empty() {
        return Err(BadTarget(format!(
            "target '{text}': use file:///PATH or file:///PATH?max-age=DURATION (e.g. 90s, 5m)"
        )));
    }
    Ok(Target {
        scheme: Scheme::File,
        host: String::new(),
        port: 0,
        path: path.to_owned(),
        max_age,
        words: Vec::new(),
        text: text.to_owned(),
    })
}

/// The service of a grpc target's path: `""` or `/` for the whole server,
/// `/NAME` for one service (a fully qualified name such as `my.pkg.Orders`).
fn service(path: &str) -> Result<String, &'static str> {
    let name = path.strip_prefix('/').unwrap_or(path);
    if name.contains(['/', '?', '%']) {
        return Err("a grpc target's path is one service name: grpc://HOST:PORT/my.pkg.Service");
    }
    if name.len() > 512 {
        return Err("service name over 512 bytes");
    }
    Ok(name.to_owned())
}

/// `text` around its first `://`, found as bytes: a `str` pattern brings
/// core's two-way searcher (1.4 KiB) for this one search.
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let at = text.as_bytes().windows(3).position(|w| w == b"://")?;
    Some((text.get(..at)?, text.get(at + 3..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Target {
        Target::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn parses_targets() {
        let a = t("http://127.0.0.1:8080/healthz?x=1#frag");
        assert_eq!(
            (a.scheme, a.host.as_str(), a.port, a.path.as_str()),
            (Scheme::Http, "127.0.0.1", 8080, "/healthz?x=1")
        );
        assert_eq!(a.host_header(), "127.0.0.1:8080");
        let b = t("HTTPS://example.test");
        assert_eq!((b.port, b.path.as_str()), (443, "/"));
        assert_eq!(b.host_header(), "example.test");
        let c = t("http://[::1]:9/");
        assert_eq!((c.host.as_str(), c.port), ("::1", 9));
        assert_eq!(c.host_header(), "[::1]:9");
        assert!(c.ip().is_some());
        let d = t("http://app?ready");
        assert_eq!(d.path, "/?ready");
        let e = t("tcp://db:5432");
        assert_eq!((e.scheme, e.port, e.path.as_str()), (Scheme::Tcp, 5432, ""));
        assert_eq!(t("http://[::1]").port, 80);
        let g = t("grpc://127.0.0.1:50051");
        assert_eq!(
            (g.scheme, g.port, g.path.as_str()),
            (Scheme::Grpc, 50051, "")
        );
        assert_eq!(g.host_header(), "127.0.0.1:50051");
        assert_eq!(t("grpc://h:1/").path, "");
        let s = t("GRPCS://[::1]:443/my.pkg.Orders");
        assert_eq!(
            (s.scheme, s.path.as_str()),
            (Scheme::Grpcs, "my.pkg.Orders")
        );
        assert_eq!(s.host_header(), "[::1]:443");
    }

    #[test]
    fn rejects_bad_targets() {
        for bad in [
            "127.0.0.1:8080",
            "ftp://x/",
            "http://",
            "http:///x",
            "http://:/",
            "tcp://:",
            "http://h:0/",
            "http://h:70000/",
            "http://h:x/",
            "http://h:+80/",
            "http://[::1]:+80/",
            "tcp://h:-0",
            "http://::1/",
            "http://[::1/",
            "http://[nope]/",
            "http://[::1]x/",
            "http://u:p@h/",
            "http://h/a b",
            "http://h\r\nX: y/",
            "tcp://h",
            "tcp://h:1/path",
            "grpc://h",
            "grpcs://h/svc",
            "grpc://h:1/a/b",
            "grpc://h:1/svc?x",
            "grpc://h:1/a%20b",
            "file://tmp/hb",
            "file://",
            "file:///hb?max-age=soon",
            "file:///hb?maxage=1s",
            "file:///hb?max-age",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_targets_take_a_path_and_a_max_age() {
        let f = t("file:///tmp/hb");
        assert_eq!(
            (f.scheme, f.path.as_str(), f.max_age),
            (Scheme::File, "/tmp/hb", None)
        );
        let f = t("FILE:///run/a b#c?max-age=1m30s");
        assert_eq!(f.path, "/run/a b#c");
        assert_eq!(f.max_age, Some(Duration::from_secs(90)));
        assert_eq!(f.as_str(), "FILE:///run/a b#c?max-age=1m30s");
        let e = Target::parse("file:///hb?max-age=soon").unwrap_err().0;
        assert_eq!(
            e,
            "target 'file:///hb?max-age=soon': use file:///PATH or file:///PATH?max-age=DURATION (e.g. 90s, 5m)"
        );
        let e = Target::parse("file:///hb?age=1s").unwrap_err().0;
        assert!(
            e.starts_with("target 'file:///hb?age=1s': use file:///PATH"),
            "{e}"
        );
    }

    #[test]
    fn a_port_without_a_host_means_loopback() {
        for (text, scheme, port, path) in [
            ("tcp://:5432", Scheme::Tcp, 5432, ""),
            ("grpc://:50051", Scheme::Grpc, 50051, ""),
            ("http://:8080/healthz", Scheme::Http, 8080, "/healthz"),
            ("http://:8080", Scheme::Http, 8080, "/"),
        ] {
            let t = t(text);
            assert_eq!(
                (t.scheme, t.host.as_str(), t.port, t.path.as_str()),
                (scheme, "127.0.0.1", port, path)
            );
            assert_eq!(t.as_str(), text, "messages show it as written");
        }
        assert_eq!(t("http://:8080/").host_header(), "127.0.0.1:8080");
    }

    #[test]
    fn a_target_without_a_scheme_gets_the_likely_fix() {
        for (text, fix) in [
            ("localhost:8080", "http://localhost:8080/"),
            ("127.0.0.1:8080/healthz", "http://127.0.0.1:8080/healthz"),
            (":8080", "http://:8080/"),
            ("app", "http://app/"),
        ] {
            let e = Target::parse(text).unwrap_err().0;
            assert_eq!(
                e,
                format!("target '{text}': no scheme; did you mean {fix}?")
            );
            assert!(Target::parse(fix).is_ok(), "{fix}");
        }
        assert_eq!(Target::parse("").unwrap_err().0, "target '': empty");
    }
}
