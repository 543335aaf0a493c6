//! What to probe: `http://`, `https://` and `tcp://` targets parsed from text,
//! after `${VAR}` / `${VAR:-default}` expansion (exec-form HEALTHCHECK has no shell).

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use core::fmt;
use core::net::{IpAddr, Ipv6Addr};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scheme {
    Http,
    Https,
    Tcp,
}

/// One parsed target. `host` has no brackets; `path` is what goes on the
/// request line (path and query, at least `/`; empty for tcp).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Target {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    pub path: String,
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
    /// Parses `SCHEME://HOST[:PORT][/PATH[?QUERY]]`; IPv6 literals in brackets.
    pub fn parse(text: &str) -> Result<Target, BadTarget> {
        let bad = |why: &str| Err(BadTarget(format!("target '{text}': {why}")));
        let Some((scheme, rest)) = text.split_once("://") else {
            return bad("use http://HOST[:PORT]/PATH, https://... or tcp://HOST:PORT");
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            "tcp" => Scheme::Tcp,
            _ => return bad("scheme must be http, https or tcp"),
        };
        // A fragment never goes to the server (RFC 9110 section 7.1).
        let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.contains('@') {
            return bad("user:password@ is not supported (send -H 'Authorization: ...')");
        }
        let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
            let Some((v6, after)) = inner.split_once(']') else {
                return bad("missing ']' after the IPv6 address");
            };
            if v6.parse::<Ipv6Addr>().is_err() {
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
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => return bad("port must be 1-65535"),
            },
            None => match scheme {
                Scheme::Http => 80,
                Scheme::Https => 443,
                Scheme::Tcp => return bad("tcp:// needs a port: tcp://HOST:PORT"),
            },
        };
        if path.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return bad("spaces and control characters must be percent-encoded");
        }
        let path = match scheme {
            Scheme::Tcp if path.is_empty() || path == "/" => String::new(),
            Scheme::Tcp => return bad("tcp:// takes no path"),
            _ if path.is_empty() => "/".to_owned(),
            _ if path.starts_with('?') => format!("/{path}"),
            _ => path.to_owned(),
        };
        Ok(Target {
            scheme,
            host: host.to_owned(),
            port,
            path,
            text: text.to_owned(),
        })
    }

    /// The target as the user wrote it (after `${VAR}` expansion).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The host as an IP address when it is a literal, so resolving is skipped
    /// and TLS sends no SNI (RFC 6066 section 3 forbids literal addresses there).
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// The `Host` header: the port only when it is not the scheme's default.
    pub fn host_header(&self) -> String {
        let default = match self.scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
            Scheme::Tcp => 0,
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// Expands `${VAR}` and `${VAR:-default}` (the default also when VAR is empty,
/// as in sh), and `$$` to `$`; any other `$` stays as it is. `lookup` returns a
/// variable's value, `None` when unset, or an error (a value that is not UTF-8).
pub fn expand(
    text: &str,
    lookup: &dyn Fn(&str) -> Result<Option<String>, BadTarget>,
) -> Result<String, BadTarget> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(next) = after.strip_prefix('$') {
            out.push('$');
            rest = next;
        } else if let Some(inner) = after.strip_prefix('{') {
            let Some(close) = inner.find('}') else {
                return Err(BadTarget(format!("'{text}': '${{' without a closing '}}'")));
            };
            let reference = &inner[..close];
            let (name, default) = match reference.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (reference, None),
            };
            if !is_var_name(name) {
                return Err(BadTarget(format!(
                    "'{text}': bad variable reference '${{{reference}}}' (use ${{NAME}} or ${{NAME:-default}})"
                )));
            }
            match (lookup(name)?, default) {
                (Some(v), Some(d)) if v.is_empty() => out.push_str(d),
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => {
                    return Err(BadTarget(format!(
                        "'{text}': variable {name} is not set (use ${{{name}:-default}} for a default)"
                    )));
                }
            }
            rest = &inner[close + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn is_var_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
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
    }

    #[test]
    fn rejects_bad_targets() {
        for bad in [
            "127.0.0.1:8080",
            "ftp://x/",
            "http://",
            "http://:80/",
            "http://h:0/",
            "http://h:70000/",
            "http://h:x/",
            "http://::1/",
            "http://[::1/",
            "http://[nope]/",
            "http://[::1]x/",
            "http://u:p@h/",
            "http://h/a b",
            "http://h\r\nX: y/",
            "tcp://h",
            "tcp://h:1/path",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    fn env(name: &str) -> Result<Option<String>, BadTarget> {
        Ok(match name {
            "PORT" => Some("8080".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        })
    }

    #[test]
    fn expands_variables() {
        let x = |s: &str| expand(s, &env);
        assert_eq!(x("http://h:${PORT}/").unwrap(), "http://h:8080/");
        assert_eq!(x("${NOPE:-9090}").unwrap(), "9090");
        assert_eq!(x("${EMPTY:-d}").unwrap(), "d");
        assert_eq!(x("[${EMPTY}]").unwrap(), "[]");
        assert_eq!(x("$$PORT $$${PORT} $x $").unwrap(), "$PORT $8080 $x $");
        assert_eq!(x("${PORT:-}").unwrap(), "8080");
        let err = x("http://h:${NOPE}/").unwrap_err().0;
        assert!(err.contains("NOPE is not set"), "{err}");
        assert!(x("${PORT").is_err());
        assert!(x("${1X}").is_err());
        assert!(x("${}").is_err());
    }
}
