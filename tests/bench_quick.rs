//! The benchmark command (`benches/run`) still runs: quick mode, small N, into a
//! scratch directory; checks the report has a row for vigil and every peer.
//! No timing is asserted: machines are noisy.

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
    // First cell of each table row, without bold or a "(N failed)" note.
    let names: Vec<&str> = report
        .lines()
        .filter_map(|l| l.strip_prefix("| ")?.split(" |").next())
        .map(|c| c.split(" (").next().unwrap_or(c).trim_matches('*'))
        .collect();
    // vigil and each init peer in the init table, vigil and each probe in the probe table.
    for (name, rows) in [
        ("vigil", 2),
        ("tini", 1),
        ("tini-static", 1),
        ("dumb-init", 1),
        ("catatonit", 1),
        ("curl", 1),
        ("busybox wget", 1),
    ] {
        let hits = names.iter().filter(|n| **n == name).count();
        assert_eq!(hits, rows, "rows for {name:?} in:\n{report}");
    }
    let _ = std::fs::remove_dir_all(&out);
}
