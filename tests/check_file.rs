//! `file://` targets (a heartbeat file that must exist and be fresh) in `vigil
//! check`, `--wait-for` and `--watch`: the verdicts, their lines, and the usage
//! errors, with real files and a real clock.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use common::run::{command, modes_test};

const T: Duration = Duration::from_secs(20);

/// A directory of this test's own, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let path = std::env::temp_dir().join(format!("vigil-file-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).expect("create test dir");
        Dir(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn url(path: &Path, query: &str) -> String {
    format!("file://{}{query}", path.display())
}

/// Sets `path`'s mtime `secs` seconds from now (negative: in the past).
fn touch(path: &Path, secs: i64) {
    std::fs::write(path, b"beat").expect("write heartbeat");
    let now = SystemTime::now();
    let when = if secs >= 0 {
        now + Duration::from_secs(secs as u64)
    } else {
        now - Duration::from_secs(secs.unsigned_abs())
    };
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(when))
        .expect("set mtime");
}

fn check(args: &[&str]) -> Output {
    let mut cmd = common::vigil_cmd();
    cmd.arg("check").args(args);
    common::output_limit(&mut cmd, T)
}

fn verdict(args: &[&str]) -> (i32, String) {
    let out = check(args);
    assert!(
        out.stderr.is_empty(),
        "{args:?}: {}",
        common::text(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), common::text(&out.stdout))
}

#[test]
fn check_judges_existence_and_age_by_stat() {
    let dir = Dir::new("check");
    let hb = dir.join("hb");
    let missing = url(&dir.join("nope"), "");
    assert_eq!(
        verdict(&[&missing]),
        (1, format!("fail {missing} missing\n"))
    );
    let under_a_file = url(&dir.join("nope/deeper"), "");
    assert_eq!(verdict(&[&under_a_file]).0, 1);

    touch(&hb, -12);
    let plain = url(&hb, "");
    let (code, line) = verdict(&[&plain]);
    assert_eq!(code, 0, "{line}");
    assert!(line.starts_with(&format!("ok {plain} age 1")), "{line}");

    let fresh = url(&hb, "?max-age=90s");
    assert_eq!(verdict(&[&fresh]).0, 0);
    touch(&hb, -182);
    assert_eq!(
        verdict(&[&fresh]),
        (1, format!("fail {fresh} stale: age 3m02s > 90s\n"))
    );
    // A variable in the path and the age, as in the other schemes.
    let var = "file://${DIR}/hb?max-age=${AGE:-5m}";
    let mut cmd = common::vigil_cmd();
    cmd.args(["check", var]).env("DIR", &dir.0);
    let out = common::output_limit(&mut cmd, T);
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stdout));

    touch(&hb, 40);
    let (code, line) = verdict(&[&plain]);
    assert_eq!(code, 1);
    assert!(
        line.starts_with(&format!("fail {plain} modified 3"))
            && line.ends_with("s in the future\n"),
        "{line}"
    );

    // A directory exists too; its mtime is its last entry's change.
    let d = url(&dir.0, "?max-age=1m");
    assert_eq!(verdict(&[&d]).0, 0);
}

#[test]
fn a_path_that_may_not_be_searched_fails_naming_the_error() {
    let dir = Dir::new("perm");
    let locked = dir.join("locked");
    std::fs::create_dir(&locked).expect("mkdir");
    touch(&locked.join("hb"), 0);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let target = url(&locked.join("hb"), "");
    let argv = common::vigil_argv();
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(&argv)
        .args(["check", &target]);
    let out = common::output_limit(&mut cmd, T);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        common::text(&out.stdout),
        format!("fail {target} cannot stat: Permission denied (os error 13)\n")
    );
}

#[test]
fn bad_queries_and_durations_are_usage_errors_naming_the_target() {
    for bad in [
        "file:///x?max-age=soon",
        "file:///x?maxage=5s",
        "file:///x?max-age",
        "file://x/hb",
    ] {
        let out = check(&[bad]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        let err = common::text(&out.stderr);
        assert!(
            err.starts_with(&format!("vigil: target '{bad}': use file:///PATH")),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1);
        for option in ["--wait-for", "--watch", "--ready"] {
            let mut cmd = common::vigil_cmd();
            cmd.args([option, bad, "true"]);
            let out = common::output_limit(&mut cmd, T);
            assert_eq!(out.status.code(), Some(2), "{option} {bad}");
            let err = common::text(&out.stderr);
            assert!(
                err.starts_with(&format!("vigil: --{}: target '{bad}'", &option[2..])),
                "{err}"
            );
        }
    }
}

modes_test!(wait_for_holds_the_program_until_the_file_appears, |mode| {
    let dir = Dir::new(&format!("wait-{mode:?}"));
    let hb = dir.join("ready");
    let target = url(&hb, "");
    let mut cmd = command(mode, &["--wait-for", &target, "echo", "started"]);
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn vigil");
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "{mode:?}: did not wait"
    );
    touch(&hb, 0);
    let status = common::wait_limit(&mut child, T);
    assert_eq!(status.code(), Some(0), "{mode:?}");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().expect("stdout"), &mut out)
        .expect("read stdout");
    assert_eq!(out, "started\n", "{mode:?}");
});

modes_test!(watch_stops_a_worker_whose_heartbeat_goes_stale, |mode| {
    let dir = Dir::new(&format!("watch-{mode:?}"));
    let hb = dir.join("hb");
    // A worker that beats 5 times, 100 ms apart, then hangs.
    let script = format!(
        "for i in 1 2 3 4 5; do touch {}; sleep 0.1; done; exec sleep 60",
        hb.display()
    );
    let target = url(&hb, "?max-age=1s");
    let mut cmd = command(
        mode,
        &[
            "--watch",
            &target,
            "--watch-interval",
            "200ms",
            "--watch-retries",
            "2",
            "-t",
            "2s",
            "sh",
            "-c",
            &script,
        ],
    );
    let out = common::output_limit(&mut cmd, T);
    assert_eq!(out.status.code(), Some(75), "{mode:?}: {out:?}");
    let err = common::text(&out.stderr);
    assert!(
        err.contains(&format!(
            "--watch {target}: 2 failures, last: fail {target} stale: age 1"
        )),
        "{mode:?}: {err}"
    );
});
