//! `${VAR}` in `--wait-for`, `--watch` and `--with`, expanded once the
//! environment files are read: targets once, before anything starts; a
//! sidecar's words at each of its starts. Messages show the text as written,
//! so no value ever reaches them this way.

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::child_env::Loaded;
use super::config::{NamedCommand, Written};
use crate::probe::target::{Scheme, Target};
use crate::variables::expand;

/// A `--wait-for` or `--watch` target. One this build cannot probe (https or
/// grpcs without TLS) is refused: it could never pass, so the wait would run
/// to its timeout and the watchdog would stop a healthy program.
pub fn target(written: &Written, loaded: &Loaded) -> Result<Target, String> {
    let text = &written.text;
    let parsed = Target::from_text(text, &|name| loaded.lookup(name), true)
        .map_err(|e| format!("{}: {e}", written.from))?;
    if matches!(parsed.scheme, Scheme::Https | Scheme::Grpcs) && cfg!(not(feature = "tls")) {
        return Err(format!(
            "{}: target '{text}': https and grpcs need TLS, and this vigil was built without TLS",
            written.from
        ));
    }
    Ok(parsed)
}

/// A sidecar's argv for one start; errors name the line as written.
pub fn words(sidecar: &NamedCommand, loaded: &Loaded) -> Result<Vec<CString>, String> {
    let mut argv = Vec::with_capacity(sidecar.words.len());
    for word in &sidecar.words {
        let word = expand(word, &|name| loaded.lookup(name))
            .map_err(|e| format!("{}: '{}': {e}", sidecar.from, sidecar.line))?;
        // No NUL byte: argv, the environment and the files hold none.
        argv.push(CString::new(word).unwrap_or_default());
    }
    Ok(argv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::config::Source;
    use alloc::vec;

    /// `from`: a flag (`--watch`) or a twin (`VIGIL_WATCH`).
    fn source(from: &'static str) -> Source {
        match from.strip_prefix("--") {
            Some(long) => Source { long, twin: None },
            None => Source {
                long: "",
                twin: Some(from),
            },
        }
    }

    fn written(from: &'static str, text: &str) -> Written {
        Written {
            from: source(from),
            text: text.into(),
        }
    }

    #[test]
    fn targets_are_expanded_and_refused_when_they_can_never_pass() {
        let loaded = Loaded::of(&[("PORT", "5432", false)]);
        let t = target(&written("--wait-for", "tcp://db:${PORT}"), &loaded).unwrap();
        assert_eq!(t.port, 5432);
        let t = target(
            &written("--watch", "http://${VIGIL_TEST_UNSET:-127.0.0.1}/"),
            &loaded,
        )
        .unwrap();
        assert_eq!(t.host, "127.0.0.1");
        for (w, want) in [
            (
                written("VIGIL_WAIT_FOR", "tcp://db:${NOPE}"),
                "VIGIL_WAIT_FOR: 'tcp://db:${NOPE}': variable NOPE is not set (use ${NOPE:-default} for a default)",
            ),
            (
                written("--wait-for", "db:5432"),
                "--wait-for: target 'db:5432': no scheme; did you mean http://db:5432/?",
            ),
            (
                written("--watch", "ftp://x"),
                "--watch: target 'ftp://x': scheme must be http, https, tcp, grpc, grpcs or file (or exec:)",
            ),
        ] {
            assert_eq!(target(&w, &loaded).unwrap_err(), want);
        }
        for tls in ["https://h/", "grpcs://h:1"] {
            let r = target(&written("--watch", tls), &loaded);
            if cfg!(feature = "tls") {
                assert!(r.is_ok(), "{tls}");
            } else {
                assert_eq!(
                    r.unwrap_err(),
                    format!(
                        "--watch: target '{tls}': https and grpcs need TLS, and this vigil was built without TLS"
                    )
                );
            }
        }
    }

    #[test]
    fn a_target_is_shown_as_written_never_with_a_value() {
        let loaded = Loaded::of(&[("TOKEN", "s3 cr3t", true), ("HOST", "127.0.0.1", false)]);
        let t = target(
            &written("--watch", "http://${HOST}:8080/?t=${TOKEN:-x}"),
            &loaded,
        );
        // The value holds a space, so the target is refused: without the value.
        assert_eq!(
            t.unwrap_err(),
            "--watch: target 'http://${HOST}:8080/?t=${TOKEN:-x}': spaces and control characters must be percent-encoded"
        );
        let loaded = Loaded::of(&[("TOKEN", "s3cr3t", true)]);
        let t = target(
            &written("--watch", "http://127.0.0.1:8080/?t=${TOKEN}"),
            &loaded,
        )
        .unwrap();
        assert_eq!(t.path, "/?t=s3cr3t");
        assert_eq!(t.as_str(), "http://127.0.0.1:8080/?t=${TOKEN}");
    }

    #[test]
    fn an_exec_target_is_split_then_expanded_and_shown_as_written() {
        let loaded = Loaded::of(&[("PGPASSWORD", "a b", true)]);
        let w = written(
            "--wait-for",
            "exec:pg_isready -h \"${NOPE:-a b}\" '${X}' ${PGPASSWORD}",
        );
        let t = target(&w, &loaded).unwrap();
        assert_eq!(t.words, ["pg_isready", "-h", "a b", "${X}", "a b"]);
        assert_eq!(t.as_str(), w.text);
        for (text, want) in [
            (
                "exec:a 'b",
                "--watch: target 'exec:a 'b': unclosed single quote",
            ),
            ("exec: ", "--watch: target 'exec: ': empty command"),
        ] {
            assert_eq!(
                target(&written("--watch", text), &loaded).unwrap_err(),
                want
            );
        }
    }

    #[test]
    fn a_sidecars_words_are_expanded_for_its_start_and_never_split() {
        let loaded = Loaded::of(&[("TOKEN", "a b", true)]);
        let sidecar = NamedCommand {
            name: "agent".into(),
            line: "agent --token=${TOKEN} '$x'".into(),
            from: source("--with"),
            words: vec!["agent".into(), "--token=${TOKEN}".into(), "$$x".into()],
        };
        assert_eq!(
            words(&sidecar, &loaded).unwrap(),
            [c"agent", c"--token=a b", c"$x"]
        );
        let unset = NamedCommand {
            name: "agent".into(),
            line: "agent ${NOPE}".into(),
            from: source("VIGIL_WITH"),
            words: vec!["agent".into(), "${NOPE}".into()],
        };
        assert_eq!(
            words(&unset, &loaded).unwrap_err(),
            "VIGIL_WITH: 'agent ${NOPE}': '${NOPE}': variable NOPE is not set (use ${NOPE:-default} for a default)"
        );
    }
}
