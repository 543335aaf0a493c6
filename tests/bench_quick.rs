//! The benchmark command (`benches/run`) still runs: quick mode, small N, into a
//! scratch directory; checks the raw JSON, that each table of the report has
//! a row for vigil and for every peer of that table, and that the Targets
//! table judges the targets.
//! No timing is asserted: machines are noisy. And the committed report is
//! what `benches/run render` makes of the committed JSON, byte for byte.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{output_limit, text, vigil};

#[test]
fn benches_run_quick_writes_a_report_with_every_peer() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::env::temp_dir().join(format!("vigil-bench-quick-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut cmd = Command::new("python3");
    cmd.arg(format!("{root}/benches/run"))
        .arg("--quick")
        .arg("--out")
        .arg(&out)
        .arg("--vigil")
        .arg(format!("vigil={}", vigil().display()));
    let run = output_limit(&mut cmd, Duration::from_secs(55));
    assert!(
        run.status.success(),
        "benches/run --quick failed: {:?}\nstdout:\n{}\nstderr:\n{}",
        run.status,
        text(&run.stdout),
        text(&run.stderr)
    );
    let report = std::fs::read_to_string(out.join("benchmarks.md")).expect("benchmarks.md");
    let svg = std::fs::read_to_string(out.join("benchmarks.svg")).expect("benchmarks.svg");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    // The raw results the report was rendered from: every sample, the machine,
    // the versions and the load before and after.
    let json = std::fs::read_to_string(out.join("benchmarks.json")).expect("benchmarks.json");
    for key in [
        "\"rows\"",
        "\"samples\"",
        "\"load_before\"",
        "\"load_after\"",
        "\"versions\"",
    ] {
        assert!(json.contains(key), "{key} missing from benchmarks.json");
    }
    // Each table (a `## ` section) must have a row for vigil and for every peer
    // of that table: the first cell of each row, without bold or a "(N failed)" note.
    let rows = |section: &str| -> Vec<String> {
        let body = report
            .split("\n## ")
            .find(|s| s.starts_with(section))
            .unwrap_or_else(|| panic!("no section {section:?} in:\n{report}"));
        body.lines()
            .filter_map(|l| l.strip_prefix("| ")?.split(" |").next())
            .map(|c| c.split(" (").next().unwrap_or(c).replace("**", ""))
            .collect()
    };
    for (section, names) in [
        (
            "Init",
            &[
                "vigil",
                "tini",
                "tini-static",
                "dumb-init",
                "catatonit",
                "floor",
                "no init",
            ][..],
        ),
        (
            "Sidecars",
            &["vigil, no sidecar", "vigil `--with 'sleep 1000'`"][..],
        ),
        (
            "Sizes",
            &[
                "vigil",
                "tini",
                "tini-static",
                "dumb-init",
                "catatonit",
                "curl",
                "busybox",
                "grpc_health_probe",
                "floor",
                "gRPC floor",
            ][..],
        ),
        (
            "Targets",
            &[
                "start-up overhead ≤ best peer",
                "TERM latency median ≤ best peer",
                "peak RSS ≤ 200 kB",
                "idle wake-ups 0",
                "HTTP probe median ≤ busybox wget",
                "gRPC probe median ≤ 1 ms",
                "`vigil health` per call: the fastest, median < 0.5 ms",
                "time to ready ≤ 300 ms",
                "wake-ups once ready: the probes' own",
                "TERM latency while output floods: within noise of idle",
            ][..],
        ),
        ("HTTP probe", &["vigil", "curl", "busybox wget"][..]),
        (
            "gRPC probe",
            &["vigil", "grpc_health_probe", "gRPC floor"][..],
        ),
        (
            "Health",
            &[
                "vigil health",
                "vigil check http://",
                "curl",
                "supervisorctl status",
                "s6-svstat",
                "vigil --ready",
                "vigil --ready, 1 s interval",
                "flood of vigil health",
                "flood of vigil check file:///",
            ][..],
        ),
        (
            "--log-prefix: throughput",
            &["vigil", "direct", "honcho"][..],
        ),
        (
            "--log-prefix: TERM latency",
            &[
                "vigil",
                "vigil, flooding",
                "vigil --log-prefix",
                "vigil --log-prefix, flooding",
            ][..],
        ),
    ] {
        let got = rows(section);
        for name in names {
            let hits = got.iter().filter(|n| n == name).count();
            assert_eq!(
                hits, 1,
                "rows for {name:?} in {section:?}: {got:?}\n{report}"
            );
        }
    }
    // Nothing failed: a "(N failed)" note means a probe's exit was not 0.
    let failed: Vec<_> = report
        .lines()
        .filter(|l| l.contains(" failed) |"))
        .collect();
    assert!(failed.is_empty(), "failed runs: {failed:?}\n{report}");
    let _ = std::fs::remove_dir_all(&out);
}

/// A change to the renderer or to a measurement's docstring (the text the
/// report prints) re-renders docs/benchmarks.md and .svg in the same commit.
#[test]
fn benches_run_render_reproduces_the_committed_report() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::env::temp_dir().join(format!("vigil-bench-render-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut cmd = Command::new("python3");
    cmd.arg(format!("{root}/benches/run"))
        .arg("render")
        .arg(format!("{root}/docs/benchmarks.json"))
        .arg("--out")
        .arg(&out);
    let run = output_limit(&mut cmd, Duration::from_secs(30));
    assert!(
        run.status.success(),
        "benches/run render failed: {:?}\nstderr:\n{}",
        run.status,
        text(&run.stderr)
    );
    for file in ["benchmarks.md", "benchmarks.svg"] {
        let want = std::fs::read(format!("{root}/docs/{file}")).expect("the committed report");
        let got = std::fs::read(out.join(file)).expect("the rendered report");
        assert!(
            got == want,
            "docs/{file} is not what benches/run renders from docs/benchmarks.json: \
             re-render it (benches/run render docs/benchmarks.json --out docs)"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}
