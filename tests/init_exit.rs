//! Exit statuses of init mode, as a plain process and as PID 1: the child's own
//! code, 128+N for a signal, 126/127 for exec failures, and `-e` remapping.

mod common;

use std::time::Duration;

use common::run::{Mode, command, modes_test};
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

modes_test!(passes_the_childs_exit_code, |mode| {
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
});

modes_test!(a_child_killed_by_a_signal_gives_128_plus_n, |mode| {
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
});

modes_test!(program_not_found_is_127_and_named, |mode| {
    let (code, err) = exit_code(mode, &["/no/such/program", "x"], &[]);
    assert_eq!(code, 127, "{mode:?}");
    assert!(err.contains("/no/such/program"), "{err}");
    let (code, err) = exit_code(mode, &["no-such-program-anywhere"], &[]);
    assert_eq!(code, 127, "{mode:?}");
    assert!(err.contains("no-such-program-anywhere"), "{err}");
});

modes_test!(program_not_executable_is_126_and_named, |mode| {
    let dir = std::env::temp_dir().join(format!("vigil-noexec-{}-{mode:?}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("script");
    std::fs::write(&file, "#!/bin/sh\nexit 0\n").unwrap();
    let path = file.to_str().unwrap();
    let (code, err) = exit_code(mode, &[path], &[]);
    assert_eq!(code, 126, "{mode:?}");
    assert!(err.contains(path) && err.starts_with("vigil: "), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
});

modes_test!(success_exit_remaps_to_zero, |mode| {
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
});

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

/// A script without a `#!` line, made by a shell so that no fd of this
/// (threaded) test process is open on it when another test forks: exec would
/// fail with ETXTBSY.
fn shebangless_script(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("app");
    let made = std::process::Command::new("sh")
        .args([
            "-c",
            r#"printf 'echo "ran $0 $*"\nexit 7\n' >"$1" && chmod 755 "$1""#,
            "sh",
        ])
        .arg(&file)
        .status()
        .unwrap();
    assert!(made.success());
    file
}

modes_test!(
    a_script_without_shebang_runs_with_bin_sh_as_tini_static_does,
    |mode| {
        let file = shebangless_script(&format!("noshebang-{mode:?}"));
        let path = file.to_str().unwrap();
        let dir = file.parent().unwrap().to_str().unwrap();
        let search = format!("{dir}:{}", std::env::var("PATH").unwrap_or_default());
        let out = output_limit(&mut command(mode, &[path, "a", "b"]), LIMIT);
        assert_eq!(
            out.status.code(),
            Some(7),
            "{mode:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), format!("ran {path} a b\n"));
        // Found through PATH, as execvp(3) finds it.
        let mut cmd = command(mode, &["app", "x"]);
        cmd.env("PATH", &search);
        let out = output_limit(&mut cmd, LIMIT);
        assert_eq!(
            out.status.code(),
            Some(7),
            "{mode:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), format!("ran {path} x\n"));
        // The peer: tini-static (Debian's tini package) runs it the same way.
        let out = output_limit(
            std::process::Command::new("tini-static").args(["-s", "--", path, "a", "b"]),
            LIMIT,
        );
        assert_eq!(
            out.status.code(),
            Some(7),
            "tini-static: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), format!("ran {path} a b\n"));
        std::fs::remove_dir_all(file.parent().unwrap()).unwrap();
    }
);

/// Where there is no shell to run it (FROM scratch; here /bin/sh's target is
/// bound over with /dev/null in a private mount namespace, which needs root),
/// it is 126 and the message names the missing `#!`. vigil runs as PID 1 of
/// its own namespace, as in a container (and so under qemu-user too, where a
/// plain process cannot be a subreaper and would warn).
#[test]
fn a_script_without_shebang_and_no_bin_sh_is_126_naming_the_missing_shebang() {
    let file = shebangless_script("noshell");
    let script = r#"mount --bind /dev/null "$(readlink -f /bin/sh)" && exec "$@""#;
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["--mount", "--pid", "--fork", "sh", "-c", script, "sh"])
        .args(common::vigil_argv())
        .arg(&file);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("VIGIL_") && k != "VIGIL_BIN" {
            cmd.env_remove(k);
        }
    }
    let out = output_limit(&mut cmd, LIMIT);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(126),
        "unshare --mount needs root: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(file.to_str().unwrap()) && err.contains("without a '#!' line"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    std::fs::remove_dir_all(file.parent().unwrap()).unwrap();
}
