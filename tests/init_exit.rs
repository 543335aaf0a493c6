//! Exit statuses of init mode, as a plain process and as PID 1: the child's own
//! code, 128+N for a signal, 126/127 for exec failures, and `-e` remapping.

mod common;

use std::time::Duration;

use common::run::{Mode, command, modes};
use common::{output_limit, text};

const LIMIT: Duration = Duration::from_secs(20);

fn exit_code(mode: Mode, args: &[&str], envs: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = command(mode, args);
    cmd.envs(envs.iter().copied());
    let out = output_limit(&mut cmd, LIMIT);
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("{args:?} ended by a signal"));
    (code, text(&out.stderr))
}

#[test]
fn passes_the_childs_exit_code() {
    for mode in modes() {
        assert_eq!(exit_code(mode, &["true"], &[]).0, 0, "{mode:?}");
        assert_eq!(
            exit_code(mode, &["sh", "-c", "exit 3"], &[]).0,
            3,
            "{mode:?}"
        );
        assert_eq!(
            exit_code(mode, &["--", "sh", "-c", "exit 255"], &[]).0,
            255,
            "{mode:?}"
        );
    }
}

#[test]
fn a_child_killed_by_a_signal_gives_128_plus_n() {
    for mode in modes() {
        assert_eq!(
            exit_code(mode, &["sh", "-c", "kill -KILL $$"], &[]).0,
            137,
            "{mode:?}"
        );
        assert_eq!(
            exit_code(mode, &["sh", "-c", "kill -TERM $$"], &[]).0,
            143,
            "{mode:?}"
        );
    }
}

#[test]
fn program_not_found_is_127_and_named() {
    for mode in modes() {
        let (code, err) = exit_code(mode, &["/no/such/program", "x"], &[]);
        assert_eq!(code, 127, "{mode:?}");
        assert!(err.contains("/no/such/program"), "{err}");
        let (code, err) = exit_code(mode, &["no-such-program-anywhere"], &[]);
        assert_eq!(code, 127, "{mode:?}");
        assert!(err.contains("no-such-program-anywhere"), "{err}");
    }
}

#[test]
fn program_not_executable_is_126_and_named() {
    let dir = std::env::temp_dir().join(format!("vigil-noexec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("script");
    std::fs::write(&file, "#!/bin/sh\nexit 0\n").unwrap();
    let path = file.to_str().unwrap();
    for mode in modes() {
        let (code, err) = exit_code(mode, &[path], &[]);
        assert_eq!(code, 126, "{mode:?}");
        assert!(err.contains(path) && err.starts_with("vigil: "), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn success_exit_remaps_to_zero() {
    for mode in modes() {
        assert_eq!(
            exit_code(mode, &["-e", "3", "sh", "-c", "exit 3"], &[]).0,
            0
        );
        assert_eq!(
            exit_code(mode, &["-e", "3", "sh", "-c", "exit 4"], &[]).0,
            4
        );
        assert_eq!(
            exit_code(
                mode,
                &["-e", "4", "--success-exit=143", "sh", "-c", "kill $$"],
                &[]
            )
            .0,
            0
        );
        let env = [("VIGIL_SUCCESS_EXIT", "143,3")];
        assert_eq!(exit_code(mode, &["sh", "-c", "exit 3"], &env).0, 0);
        assert_eq!(exit_code(mode, &["sh", "-c", "kill $$"], &env).0, 0);
        assert_eq!(exit_code(mode, &["sh", "-c", "exit 5"], &env).0, 5);
        // A flag beats its variable: the list from -e replaces VIGIL_SUCCESS_EXIT.
        assert_eq!(
            exit_code(mode, &["-e", "5", "sh", "-c", "exit 3"], &env).0,
            3
        );
    }
}

#[test]
fn stdout_is_the_childs_and_logs_go_to_stderr() {
    let out = output_limit(
        command(Mode::Plain, &["-vv", "sh", "-c", "echo hello"]).env("X", "y"),
        LIMIT,
    );
    assert_eq!(text(&out.stdout), "hello\n");
    assert!(
        text(&out.stderr).lines().all(|l| l.starts_with("vigil: ")),
        "{}",
        text(&out.stderr)
    );
}
