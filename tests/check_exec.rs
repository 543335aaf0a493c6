//! `exec:` targets: a command line split without a shell, passing on exit 0
//! within the deadline, killed with its process group at it; in `vigil check`,
//! `--wait-for` and `--watch`.

mod common;

use std::process::Output;
use std::time::{Duration, Instant};

use common::run::{command, modes_test};

const T: Duration = Duration::from_secs(20);

fn check(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = common::vigil_cmd();
    cmd.arg("check").args(args).envs(envs.iter().copied());
    common::output_limit(&mut cmd, T)
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

#[test]
fn exit_status_decides_and_the_line_names_it() {
    let out = check(&["exec:true", "exec:sh -c 'echo chatty; exit 3'"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = common::text(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "the command's own output goes nowhere: {text}"
    );
    assert!(lines[0].starts_with("ok exec:true exit 0 "), "{text}");
    assert!(
        lines[1].starts_with("fail exec:sh -c 'echo chatty; exit 3' exit 3 "),
        "{text}"
    );
    assert!(out.stderr.is_empty());

    let out = check(&["exec:/nonexistent/app healthcheck"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::text(&out.stdout).starts_with(
            "fail exec:/nonexistent/app healthcheck cannot run: No such file or directory"
        ),
        "{out:?}"
    );
    let out = check(&["exec:sh -c 'kill -SEGV $$'"], &[]);
    assert!(
        common::text(&out.stdout).contains(" killed by SIGSEGV "),
        "{out:?}"
    );
}

#[test]
fn variables_expand_inside_one_word_and_are_never_shown() {
    let out = check(
        &["exec:sh -c \"test \\\"$1\\\" = 'a b'\" - \"${SECRET}\""],
        &[("SECRET", "a b")],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = common::text(&out.stdout);
    assert!(
        text.contains("${SECRET}") && !text.contains("a b\""),
        "{text}"
    );
    let out = check(&["exec:echo ${NOPE}"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::text(&out.stderr).starts_with("vigil: target 'exec:echo ${NOPE}': "),
        "{out:?}"
    );
    let out = check(&["exec:a 'b"], &[]);
    assert_eq!(
        common::text(&out.stderr),
        "vigil: target 'exec:a 'b': unclosed single quote\n"
    );
}

#[test]
fn the_deadline_kills_the_whole_process_group() {
    let pidfile = std::env::temp_dir().join(format!("vigil-exec-{}.pid", std::process::id()));
    let script = format!("sleep 30 & echo $! > {}; sleep 30", pidfile.display());
    let start = Instant::now();
    let out = check(&["-t", "700ms", &format!("exec:sh -c '{script}'")], &[]);
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::text(&out.stdout).ends_with(" timed out after 700ms\n"),
        "{out:?}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    let bg: i32 = std::fs::read_to_string(&pidfile)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    let _ = std::fs::remove_file(&pidfile);
    let gone = Instant::now() + Duration::from_secs(5);
    while alive(bg) && Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!alive(bg), "the command's background child {bg} survived");
}

modes_test!(wait_for_and_watch_take_exec_targets, |mode| {
    let flag = std::env::temp_dir().join(format!("vigil-exec-{}-{mode:?}", std::process::id()));
    let _ = std::fs::remove_file(&flag);
    let test_flag = format!("exec:test -e {}", flag.display());
    let script = format!(
        "touch {}; sleep 0.5; rm {}; exec sleep 60",
        flag.display(),
        flag.display()
    );
    // --wait-for an exec: that passes at once; --watch one that fails
    // once the app removes its flag.
    let mut cmd = command(
        mode,
        &[
            "--wait-for",
            "exec:true",
            "--watch",
            &test_flag,
            "--watch-interval",
            "100ms",
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
            "--watch {test_flag}: 2 failures, last: fail {test_flag} exit 1 "
        )),
        "{mode:?}: {err}"
    );
});
