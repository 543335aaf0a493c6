//! What the child inherits and what vigil lets go of: the start-up signal mask
//! and ignored signals (tini's sigconf test), fds and the working directory
//! (vigil itself drops both), the environment; and `--pdeathsig`.

mod common;

use std::process::Command;
use std::time::Duration;

use common::run::{Mode, command, sigrecord, start_cmd};
use common::{output_limit, text, vigil};

const T: Duration = Duration::from_secs(15);

#[test]
fn the_child_starts_with_the_mask_and_ignored_signals_vigil_was_started_with() {
    // A launcher blocks USR2 and ignores USR1 (Python also ignores PIPE and
    // XFSZ), reports its own mask, then execs vigil; the child reports its own.
    let script = r#"
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
mine = [l for l in open("/proc/self/status") if l.startswith(("SigBlk", "SigIgn"))]
sys.stdout.write("launcher " + " ".join(l.split()[1] for l in mine) + "\n")
sys.stdout.flush()
os.execv(sys.argv[1], [sys.argv[1], "sh", "-c",
    "echo child $(grep -E '^Sig(Blk|Ign)' /proc/self/status | cut -f2 | tr '\\n' ' ')"])
"#;
    let out = output_limit(Command::new("python3").args(["-c", script]).arg(vigil()), T);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines = text(&out.stdout);
    let mut it = lines.lines();
    let launcher = it
        .next()
        .expect("launcher line")
        .trim_start_matches("launcher ")
        .trim();
    let child = it
        .next()
        .expect("child line")
        .trim_start_matches("child ")
        .trim();
    assert_eq!(
        child, launcher,
        "child SigBlk/SigIgn differ from what vigil was started with"
    );
    assert!(
        launcher.starts_with("0000000000000800 "),
        "USR2 blocked: {launcher}"
    );

    // Started by this test: vigil never changes a disposition, so its own
    // SigIgn is what it was started with, and the child's must match it
    // (glibc's posix_spawn, which Rust's Command uses, leaves signals 32 and
    // 33 ignored; Rust's own start-up, which vigil skips, would add SIGPIPE).
    let probe = "grep '^SigIgn' /proc/self/status; grep '^SigIgn' /proc/$PPID/status; grep '^SigBlk' /proc/self/status";
    let out = output_limit(&mut command(Mode::Plain, &["sh", "-c", probe]), T);
    let report = text(&out.stdout);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 3, "{report}");
    assert_eq!(
        lines[0], lines[1],
        "child and vigil ignore different signals"
    );
    assert_eq!(lines[2], "SigBlk:\t0000000000000000", "{report}");
    let ignored = u64::from_str_radix(lines[1].split_whitespace().nth(1).unwrap(), 16).unwrap();
    assert_eq!(ignored & (1 << (13 - 1)), 0, "SIGPIPE ignored: {report}");
}

#[test]
fn the_child_keeps_fds_cwd_and_env_while_vigil_lets_go_of_them() {
    let dir = std::env::temp_dir().join(format!("vigil-cwd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let launch = format!(
        "exec 3</etc/hostname 7</etc/passwd; exec {} -- python3 {}",
        vigil().display(),
        sigrecord().display()
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &launch])
        .current_dir(&dir)
        .env("VIGIL_TEST_MARK", "kept");
    let mut v = start_cmd(Mode::Plain, cmd);
    let ready = v.expect("ready", T);
    let child: i32 = ready["ready ".len()..].parse().unwrap();

    // The child has what it was given...
    for fd in [3, 7] {
        assert!(
            std::fs::read_link(format!("/proc/{child}/fd/{fd}")).is_ok(),
            "child lacks fd {fd}"
        );
    }
    assert_eq!(
        std::fs::read_link(format!("/proc/{child}/cwd")).unwrap(),
        dir
    );
    let environ = std::fs::read(format!("/proc/{child}/environ")).unwrap();
    assert!(text(&environ).contains("VIGIL_TEST_MARK=kept"));

    // ...and vigil keeps only stdio, in /.
    let fds: Vec<i32> = std::fs::read_dir(format!("/proc/{}/fd", v.pid))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    let above_stdio: Vec<i32> = fds.iter().copied().filter(|&fd| fd > 2).collect();
    assert!(above_stdio.is_empty(), "vigil holds {fds:?}");
    assert_eq!(
        std::fs::read_link(format!("/proc/{}/cwd", v.pid)).unwrap(),
        std::path::Path::new("/")
    );

    v.signal(15);
    assert_eq!(v.wait(T), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `word` quoted for sh.
fn quoted(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

#[test]
fn a_sidecar_first_and_a_restart_later_leave_program_its_cwd_and_fds() {
    // Sidecars start before PROGRAM: vigil lets go of fds and cwd only once
    // PROGRAM has them. A restarted PROGRAM enters the same directory again
    // (vigil itself is in / by then); the other fds went with the first start.
    for mode in common::run::modes() {
        let dir = std::env::temp_dir().join(format!("vigil-cwd2-{}-{mode:?}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let report = r#"echo "start $(pwd) $(ls /proc/self/fd | tr '\n' ' ')"
echo "vigil $(readlink /proc/$PPID/cwd) $(ls /proc/$PPID/fd | tr '\n' ' ')"; exit 3"#;
        let vigil_run = command(
            mode,
            &[
                "--with",
                "sleep 30",
                "--restart",
                "on-failure",
                "--max-restarts",
                "1",
                "--",
                "sh",
                "-c",
                report,
            ],
        );
        let words: Vec<String> = std::iter::once(vigil_run.get_program())
            .chain(vigil_run.get_args())
            .map(|w| quoted(&w.to_string_lossy()))
            .collect();
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            &format!(
                "exec 7</etc/hostname 9</etc/passwd; exec {}",
                words.join(" ")
            ),
        ])
        .current_dir(&dir);
        for (k, v) in vigil_run.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let out = output_limit(&mut cmd, T);
        let lines = text(&out.stdout);
        let starts: Vec<Vec<&str>> = lines
            .lines()
            .filter_map(|l| l.strip_prefix("start "))
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(starts.len(), 2, "{mode:?}: {lines} {}", text(&out.stderr));
        let want = dir.to_string_lossy();
        for start in &starts {
            assert_eq!(start[0], want, "{mode:?}: {lines}");
        }
        assert!(
            starts[0].contains(&"7") && starts[0].contains(&"9"),
            "{mode:?}: the first start lacks fd 7 or 9: {lines}"
        );
        assert!(
            !starts[1].contains(&"7") && !starts[1].contains(&"9"),
            "{mode:?}: the restart has fd 7 or 9: {lines}"
        );
        // By the restart, vigil itself has let go of both.
        let vigil_then: Vec<&str> = lines
            .lines()
            .filter_map(|l| l.strip_prefix("vigil "))
            .nth(1)
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        assert_eq!(vigil_then.first(), Some(&"/"), "{mode:?}: {lines}");
        assert!(
            !vigil_then.contains(&"7") && !vigil_then.contains(&"9"),
            "{mode:?}: vigil holds fd 7 or 9: {lines}"
        );
        assert_eq!(
            out.status.code(),
            Some(3),
            "{mode:?}: {}",
            text(&out.stderr)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_restart_whose_directory_is_gone_stops_everything_naming_it() {
    // PROGRAM removes its own (empty) working directory and fails: the
    // restart cannot enter it, and that start failure ends vigil with 1.
    for mode in common::run::modes() {
        let dir = std::env::temp_dir().join(format!("vigil-gone-{}-{mode:?}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmd = command(
            mode,
            &[
                "--restart",
                "on-failure",
                "--",
                "sh",
                "-c",
                r#"echo start; rmdir "$PWD"; exit 3"#,
            ],
        );
        cmd.current_dir(&dir);
        let out = output_limit(&mut cmd, T);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(
            stdout.lines().filter(|l| *l == "start").count(),
            1,
            "{mode:?}: {stdout}"
        );
        assert!(
            stderr.contains(&format!(
                "cannot start 'sh': cannot enter the working directory {}: ",
                dir.display()
            )),
            "{mode:?}: {stderr}"
        );
        assert_eq!(out.status.code(), Some(1), "{mode:?}: {stderr}");
        assert!(!dir.exists());
    }
}

#[test]
fn pdeathsig_signals_vigil_when_its_parent_dies() {
    for (flag, env) in [(Some("TERM"), None), (None, Some("SIGTERM"))] {
        // sh starts vigil in the background and exits after 1 s: vigil then gets
        // SIGTERM, forwards it, and the helper reports it and exits.
        let pdeath = flag.map(|f| format!("-p {f}")).unwrap_or_default();
        let launch = format!(
            "{} {pdeath} -- python3 {} & sleep 1",
            vigil().display(),
            sigrecord().display()
        );
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &launch]);
        if let Some(e) = env {
            cmd.env("VIGIL_PDEATHSIG", e);
        }
        let out = output_limit(&mut cmd, T);
        let lines = text(&out.stdout);
        assert!(
            lines.lines().any(|l| l == "got 15"),
            "{flag:?} {env:?}: {lines}"
        );
    }
}

#[test]
fn subreaper_flag_is_accepted() {
    for args in [&["-s", "true"][..], &["--subreaper", "true"]] {
        let out = output_limit(&mut command(Mode::Plain, args), T);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = output_limit(
        command(Mode::Plain, &["true"]).env("VIGIL_SUBREAPER", "1"),
        T,
    );
    assert_eq!(out.status.code(), Some(0));
}
