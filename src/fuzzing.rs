//! Entry points for the cargo-fuzz targets in `fuzz/`: each feeds arbitrary
//! bytes to one parser and reaches nothing outside this process.
//!
//! Hidden from the docs, not part of vigil's interface: the binary never calls
//! these, so they cost it nothing (LTO drops them). A panic here is a bug in
//! the parser named by the function, and its input becomes a unit test there.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::hint::black_box;
use core::time::Duration;

use crate::cli::values;
use crate::probe::deadline::Deadline;
use crate::probe::grpc::{self, client::Client, hpack, huffman};
use crate::probe::http::{self, Request};
use crate::probe::net::Conn;
use crate::probe::report::Failure;
use crate::probe::target::Target;
use crate::probe::{StatusSet, resolve};
use crate::variables::expand;

/// A peer that answers with `data`, cut into reads whose sizes come from the
/// data's first bytes (a server may split its answer anywhere), and takes
/// every write.
struct Replay<'a> {
    sizes: &'a [u8],
    data: &'a [u8],
}

impl<'a> Replay<'a> {
    /// The first byte says how many of the next bytes are read sizes.
    fn new(input: &'a [u8]) -> Replay<'a> {
        let Some((&n, rest)) = input.split_first() else {
            return Replay {
                sizes: &[],
                data: &[],
            };
        };
        let n = usize::from(n % 16).min(rest.len());
        let (sizes, data) = rest.split_at(n);
        Replay { sizes, data }
    }
}

impl Conn for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Failure> {
        let want = match self.sizes.split_first() {
            Some((&s, rest)) => {
                self.sizes = rest;
                usize::from(s).max(1)
            }
            None => buf.len(),
        };
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }

    fn write_all(&mut self, _bytes: &[u8]) -> Result<(), Failure> {
        Ok(())
    }
}

/// The HTTP/1.x response reader (head, interim responses, chunked and
/// length-framed bodies) on a server's answer. Bit 0 of the first byte asks
/// for `--body-contains`, bit 1 sends HEAD.
pub fn http_response(input: &[u8]) {
    let flags = input.first().copied().unwrap_or(0);
    let Ok(target) = Target::parse("http://fuzz.test:8080/healthz") else {
        return;
    };
    let req = Request {
        method: if flags & 2 != 0 { "HEAD" } else { "GET" },
        headers: &[],
        body_contains: (flags & 1 != 0).then_some(&b"ok"[..]),
    };
    let mut peer = Replay::new(input.get(1..).unwrap_or_default());
    let shown = match http::exchange(&mut peer, &target, &req) {
        Ok(answer) => format!("{} {} {}", answer.code, answer.reason, answer.body_matched),
        Err(failure) => failure.to_string(),
    };
    let _ = black_box(shown);
}

/// `${VAR}` expansion then target parsing, as `vigil check`, `--watch` and
/// `--wait-for` do; `PORT`, `EMPTY` and `HOST` are set. Then what the probe
/// derives from a target: its Host header, IP literal and status list.
pub fn target_text(input: &[u8]) {
    let Ok(text) = core::str::from_utf8(input) else {
        return;
    };
    let lookup = |name: &str| -> Result<Option<String>, String> {
        Ok(match name {
            "PORT" => Some("8080".into()),
            "EMPTY" => Some(String::new()),
            "HOST" => Some("[::1]".into()),
            _ => None,
        })
    };
    if let Ok(expanded) = expand(text, &lookup) {
        if let Ok(t) = Target::parse(&expanded) {
            let _ = black_box((t.host_header(), t.ip(), t.as_str().len()));
        }
    }
    if let Ok(set) = StatusSet::parse(text) {
        let _ = black_box(set.contains(200));
    }
}

/// A DNS response to an A or AAAA query for `svc.fuzz.test`. Bit 0 of the
/// first byte splices the query's id and question into the message, so the
/// answer section is reached without the fuzzer guessing them.
pub fn dns_answer(input: &[u8]) {
    let Some((&flags, msg)) = input.split_first() else {
        return;
    };
    let qtype = if flags & 2 != 0 { 28 } else { 1 };
    let Some(ask) = resolve::question(0x1234, "svc.fuzz.test", qtype) else {
        return;
    };
    let mut msg = msg.to_vec();
    if flags & 1 != 0 && msg.len() >= ask.len() {
        msg[..2].copy_from_slice(&ask[..2]);
        msg[2] |= 0x80;
        msg[12..ask.len()].copy_from_slice(&ask[12..]);
    }
    let mut found = Vec::new();
    let _ = black_box(resolve::answer(&msg, &ask, &mut found));
}

/// `/etc/hosts`: every name the file lists, and a few fixed ones, looked up.
pub fn etc_hosts(input: &[u8]) {
    for name in ["localhost", "web", "svc.fuzz.test", ""] {
        let _ = black_box(resolve::from_hosts(input, name));
    }
    for line in crate::sys::fs::lines(input) {
        for name in resolve::words(line).skip(1) {
            if let Ok(name) = core::str::from_utf8(name) {
                let _ = black_box(resolve::from_hosts(input, name));
            }
        }
    }
}

/// `resolv.conf`: the servers, search list and ndots, and the names it would
/// ask for.
pub fn resolv_conf(input: &[u8]) {
    for host in ["web", "svc.fuzz.test", "abs.example."] {
        let _ = black_box(resolve::Conf::parse(input).candidates(host));
    }
}

/// `/etc/passwd` then `/etc/group` (split at the first NUL byte), and
/// `--user` specs against them, by name and by number.
pub fn etc_passwd_group(input: &[u8]) {
    let (passwd, group) = match input.iter().position(|&b| b == 0) {
        Some(at) => (&input[..at], Some(&input[at + 1..])),
        None => (input, None),
    };
    for spec in [
        "root",
        "0",
        "app:app",
        "1000:staff",
        "nobody:65534",
        "app:0",
    ] {
        let _ = black_box(crate::init::user::resolve_in(spec, passwd, group));
    }
    for line in crate::sys::fs::lines(passwd) {
        let name = line.split(|&b| b == b':').next().unwrap_or_default();
        if let Some(name) = core::str::from_utf8(name).ok().filter(|n| !n.is_empty()) {
            let _ = black_box(crate::init::user::resolve_in(name, passwd, group));
        }
    }
}

/// The values of options and their `VIGIL_*` twins: durations, booleans,
/// signals, rewrites, exit codes, counts, users, secrets, paths, and comma
/// lists of each (as a repeatable option's twin holds).
pub fn cli_values(input: &[u8]) {
    let Ok(text) = core::str::from_utf8(input) else {
        return;
    };
    for item in core::iter::once(text).chain(values::list(text)) {
        let _ = black_box(values::duration(item));
        let _ = black_box(values::boolean(item));
        let _ = black_box(values::signal(item).map(|s| s.to_string()));
        let _ = black_box(values::rewrite(item));
        let _ = black_box(values::exit_code(item));
        let _ = black_box(values::retries(item));
        let _ = black_box(values::user(item));
        let _ = black_box(values::target(item, &|name| {
            (name == "PORT").then(|| b"80".to_vec())
        }));
        let _ = black_box(values::positive(item));
        let _ = black_box(values::secret(item));
        let _ = black_box(values::path(item));
    }
}

/// An `--env-file`: every variable it sets, bare keys looked up in this
/// process's environment as vigil does, and a `--with` line split and
/// expanded with them (what a sidecar's start does).
pub fn env_file(input: &[u8]) {
    let mut vars: Vec<(&[u8], Vec<u8>)> = Vec::new();
    let parsed = crate::init::env_file::parse(input, |name, value| {
        let value = value.or_else(|| crate::sys::env::var_bytes(name));
        if let Some(v) = value {
            assert!(!v.contains(&0), "a NUL byte passed the parser");
            vars.push((name, v.to_vec()));
        }
    });
    let _ = black_box(parsed);
    let lookup = |name: &str| -> Result<Option<String>, String> {
        Ok(vars
            .iter()
            .rev()
            .find(|(n, _)| *n == name.as_bytes())
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned()))
    };
    let Ok(line) = core::str::from_utf8(input) else {
        return;
    };
    if let Ok(words) = crate::probe::command_words::split(line) {
        for word in words {
            let _ = black_box(expand(&word, &lookup));
        }
    }
}

/// The whole gRPC client (frames, SETTINGS, PING, HEADERS with CONTINUATION,
/// HPACK, DATA, RST_STREAM, GOAWAY) against a server that sends `input`.
pub fn grpc_client(input: &[u8]) {
    let Ok(target) = Target::parse("grpc://fuzz.test:50051/my.pkg.Svc") else {
        return;
    };
    let mut peer = Replay::new(input);
    let outcome = grpc::exchange(
        &mut peer,
        &target,
        &[],
        Deadline::after(Duration::from_secs(5)),
    );
    let _ = black_box(outcome.map_err(|e| e.to_string()));
    // The state machine alone, fed byte by byte: no split may change it.
    let (mut one, mut out) = (Client::new(), Vec::new());
    let whole = one.feed(input, &mut out).map(|v| v.to_string());
    let mut bytewise = Client::new();
    let mut split = None;
    for b in input {
        if let Some(v) = bytewise.feed(core::slice::from_ref(b), &mut out) {
            split = Some(v.to_string());
            break;
        }
        out.clear();
    }
    assert_eq!(whole, split, "a split in the input changed the verdict");
}

/// One HPACK header block.
pub fn hpack_block(input: &[u8]) {
    let mut size = 0usize;
    let _ = black_box(hpack::decode(input, &mut |name, value| {
        size += name.len() + value.len();
    }));
}

/// Huffman-coded strings (RFC 7541 appendix B), as HPACK string literals
/// carry them: padding, EOS and over-long codes included.
pub fn huffman_string(input: &[u8]) {
    let mut out = Vec::new();
    let _ = black_box(huffman::decode(input, &mut out));
}
