//! README "Shutdown", why a process died, against the real kernel: vigil
//! in a cgroup v1 memory cgroup of 64 MiB (tests/common/memory_cgroup.rs),
//! as PID 1 and as a plain process, with `die` (tests/helpers/die.c)
//! allocating past the limit, faulting or aborting. The kernel's OOM killer
//! does the killing; no cgroup file is faked.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::memory_cgroup::{LIMIT, MemoryCgroup, die};
use common::run::{Mode, command, modes_test, start_cmd};
use common::{output_limit, text, vigil};

const T: Duration = Duration::from_secs(30);

/// `die`'s path, for argv.
fn die_path() -> String {
    die().display().to_string()
}

/// vigil with `args`, in `cg` as `mode`, run to its end: its exit status
/// and every line (vigil's stderr and the program's stdout, in order).
fn run_in(cg: &MemoryCgroup, mode: Mode, args: &[&str]) -> (i32, Vec<String>) {
    let out = output_limit(&mut cg.wrap(&command(mode, args)), T);
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("{args:?} ended by a signal"));
    (code, text(&out.stdout).lines().map(String::from).collect())
}

/// The pid vigil's debug line gives for the process it named `name`.
fn started_pid(lines: &[String], name: &str) -> String {
    let prefix = format!("vigil: started '{name}' (pid ");
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no line {prefix:?}: {lines:#?}"))
        .to_string()
}

/// The lines that say a process was killed, or that the OOM killer acted.
fn death_lines(lines: &[String]) -> Vec<&String> {
    lines
        .iter()
        .filter(|l| l.contains("was killed") || l.contains("OOM killer"))
        .collect()
}

/// `64 MiB` for `bytes`, rounded as vigil rounds.
fn mib(bytes: u64) -> String {
    format!("{} MiB", (bytes >> 20) + (bytes >> 19 & 1))
}

modes_test!(
    program_killed_by_the_oom_killer_gets_one_line_with_limit_and_peak,
    |mode| {
        let cg = MemoryCgroup::new(&format!("program-{mode:?}"), LIMIT);
        let die = die_path();
        let (code, lines) = run_in(&cg, mode, &["-vv", "--", &die, "hog", "200"]);
        assert_eq!(code, 137, "{mode:?}: {lines:#?}");
        let pid = started_pid(&lines, "die");
        let expected = format!(
            "vigil: 'die' (pid {pid}) was killed by the kernel's OOM killer (memory limit {}, peak {})",
            mib(LIMIT),
            mib(cg.peak())
        );
        assert_eq!(death_lines(&lines), [&expected], "{mode:?}: {lines:#?}");
        assert_eq!(cg.oom_kills(), 1, "{mode:?}");
        println!("MEASURED {mode:?}: {expected}");
    }
);

modes_test!(
    a_sidecar_killed_by_the_oom_killer_is_named_and_stops_everything,
    |mode| {
        let cg = MemoryCgroup::new(&format!("sidecar-{mode:?}"), LIMIT);
        let sidecar = format!("{} hog 200", die_path());
        let (code, lines) = run_in(&cg, mode, &["-vv", "--with", &sidecar, "--", "sleep", "30"]);
        assert_eq!(code, 137, "{mode:?}: {lines:#?}");
        let pid = started_pid(&lines, "die");
        let named = format!(
            "vigil: 'die' (pid {pid}) was killed by the kernel's OOM killer (memory limit {}, peak {})",
            mib(LIMIT),
            mib(cg.peak())
        );
        let stopping = format!(
            "vigil: 'die' (pid {pid}) was killed by the kernel's OOM killer: stopping everything"
        );
        assert_eq!(
            death_lines(&lines),
            [&named, &stopping],
            "{mode:?}: {lines:#?}"
        );
    }
);

modes_test!(the_restart_line_says_it_was_the_oom_killer, |mode| {
    let cg = MemoryCgroup::new(&format!("restart-{mode:?}"), LIMIT);
    let die = die_path();
    let args = [
        "--restart",
        "on-failure",
        "--max-restarts",
        "1",
        "--",
        &die,
        "hog",
        "200",
    ];
    let (code, lines) = run_in(&cg, mode, &args);
    assert_eq!(code, 137, "{mode:?}: {lines:#?}");
    let deaths = death_lines(&lines);
    let killed = |pid: &str| {
        format!(
            "vigil: 'die' (pid {pid}) was killed by the kernel's OOM killer (memory limit {}, peak {})",
            mib(LIMIT),
            mib(cg.peak())
        )
    };
    let pid_of = |line: &str| {
        line.split("(pid ")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .map(String::from)
    };
    let (first, second) = (
        pid_of(deaths[0]).expect("pid"),
        pid_of(deaths[2]).expect("pid"),
    );
    assert_eq!(
        deaths,
        [
            &killed(&first),
            &format!(
                "vigil: 'die' (pid {first}) was killed by the kernel's OOM killer; restart 1/1 in 500ms"
            ),
            &killed(&second),
            &format!(
                "vigil: 'die' (pid {second}) was killed by the kernel's OOM killer; 1 restarts within 300s spent (--max-restarts): stopping everything"
            ),
        ],
        "{mode:?}: {lines:#?}"
    );
    assert_eq!(cg.oom_kills(), 2, "{mode:?}");
});

modes_test!(
    a_worker_killed_under_program_is_reported_within_a_second_while_program_runs_on,
    |mode| {
        let cg = MemoryCgroup::new(&format!("worker-{mode:?}"), LIMIT);
        // PROGRAM (a shell) runs a master that forks a worker allocating
        // past the limit and reaps it itself: vigil never reaps the victim.
        // Then PROGRAM runs on: it asks `vigil health`, which counts it.
        let script = r#""$0" master 200 0; sleep 1; "$1" health --live; sleep 1; echo done"#;
        let die = die_path();
        let vigil_path = vigil().display().to_string();
        let mut vigil = start_cmd(
            mode,
            cg.wrap(&command(
                mode,
                &["--", "sh", "-c", script, &die, &vigil_path],
            )),
        );
        let reaped = vigil.expect("master: worker ", T);
        let seen_at = Instant::now();
        assert!(reaped.ends_with("ended by signal 9"), "{mode:?}: {reaped}");
        let line = vigil.expect("vigil: the kernel's OOM killer", T);
        let took = seen_at.elapsed();
        assert_eq!(
            line,
            format!(
                "vigil: the kernel's OOM killer killed a process in this container (memory limit {}, peak {}; 1 OOM kill so far)",
                mib(LIMIT),
                mib(cg.peak())
            ),
            "{mode:?}"
        );
        assert!(
            took < Duration::from_secs(1),
            "{mode:?}: {took:?} after the kill"
        );
        println!("MEASURED {mode:?}: the worker's OOM line {took:?} after PROGRAM reaped it");
        // PROGRAM ran on; the health line counts the kill.
        let health = vigil.expect("ready ", T);
        assert!(
            health.starts_with("ready ") && health.ends_with("s: 0 restarts; 1 OOM"),
            "{mode:?}: {health}"
        );
        vigil.expect("done", T);
        assert_eq!(vigil.wait(T), 0, "{mode:?}");
        let rest = vigil.rest(T);
        let all: Vec<String> = vigil.seen.iter().chain(&rest).cloned().collect();
        assert_eq!(death_lines(&all), [&line], "{mode:?}: {all:#?}");
    }
);

modes_test!(
    kill_9_from_outside_is_a_sigkill_line_not_an_oom_line,
    |mode| {
        let cg = MemoryCgroup::new(&format!("kill9-{mode:?}"), LIMIT);
        let mut vigil = start_cmd(mode, cg.wrap(&command(mode, &["-vv", "--", "sleep", "30"])));
        let started = vigil.expect("vigil: started 'sleep' (pid ", T);
        // As PID 1 the pid is the namespace's: find sleep from here.
        let inner = started_pid(&[started], "sleep");
        let host = child_of(vigil.pid, "sleep");
        assert!(
            Command::new("kill")
                .args(["-9", &host.to_string()])
                .status()
                .unwrap()
                .success()
        );
        let line = vigil.expect("vigil: 'sleep'", T);
        assert_eq!(
            line,
            format!("vigil: 'sleep' (pid {inner}) was killed by SIGKILL"),
            "{mode:?}"
        );
        assert_eq!(vigil.wait(T), 137, "{mode:?}");
        assert_eq!(cg.oom_kills(), 0, "{mode:?}");
    }
);

modes_test!(the_grace_periods_sigkill_gets_no_line, |mode| {
    let cg = MemoryCgroup::new(&format!("grace-{mode:?}"), LIMIT);
    let ignores_term = "trap '' TERM; echo ready; while :; do sleep 1; done";
    let mut vigil = start_cmd(
        mode,
        cg.wrap(&command(
            mode,
            &["-t", "500ms", "--", "sh", "-c", ignores_term],
        )),
    );
    vigil.expect("ready", T);
    vigil.signal(libc::SIGTERM);
    assert_eq!(vigil.wait(T), 137, "{mode:?}");
    let rest = vigil.rest(T);
    let all: Vec<String> = vigil.seen.iter().chain(&rest).cloned().collect();
    assert_eq!(
        death_lines(&all),
        Vec::<&String>::new(),
        "{mode:?}: {all:#?}"
    );
});

modes_test!(a_probe_killed_at_its_deadline_gets_no_line, |mode| {
    // Each --watch probe overruns its 200 ms deadline and is killed, and
    // so is the process group of its exec: command; the third fires.
    let args = [
        "--watch",
        "exec:sleep 30",
        "--watch-interval",
        "100ms",
        "--watch-timeout",
        "200ms",
        "--",
        "sleep",
        "30",
    ];
    let out = output_limit(&mut command(mode, &args), T);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "{mode:?}: {err}");
    assert!(!err.contains("was killed"), "{mode:?}: {err}");
});

/// Fails unless a core dump lands in a file here: core_pattern is read,
/// never written (the machine's setting is not a test's to change).
fn assert_cores_are_dumped() {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").expect("core_pattern");
    let limits = std::fs::read_to_string("/proc/self/limits").expect("limits");
    let hard = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .and_then(|l| l.split_whitespace().nth(5))
        .expect("Max core file size");
    assert!(
        !pattern.starts_with('|') && hard != "0",
        "cores must be dumped to a file here (core_pattern {pattern:?}, hard limit {hard})"
    );
}

modes_test!(
    segv_and_abort_say_core_dumped_when_the_core_flag_is_set,
    |mode| {
        assert_cores_are_dumped();
        for (way, signal, code) in [("segv", "SIGSEGV", 139), ("abort", "SIGABRT", 134)] {
            for core in [true, false] {
                // The core, if any, goes to the program's working directory.
                let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
                    "vigil-core-{}-{mode:?}-{way}-{core}",
                    std::process::id()
                ));
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).expect("core dir");
                let die = die_path();
                let mut args = vec!["-vv", "--", &die, way];
                if core {
                    args.push("core");
                }
                let mut cmd = command(mode, &args);
                cmd.current_dir(&dir);
                let out = output_limit(&mut cmd, T);
                let _ = std::fs::remove_dir_all(&dir);
                let err = text(&out.stderr);
                let lines: Vec<String> = err.lines().map(String::from).collect();
                let pid = started_pid(&lines, "die");
                let tail = if core { " (core dumped)" } else { "" };
                let expected = format!("vigil: 'die' (pid {pid}) was killed by {signal}{tail}");
                assert_eq!(death_lines(&lines), [&expected], "{mode:?} {way} {core}");
                assert_eq!(out.status.code(), Some(code), "{mode:?} {way} {core}");
            }
        }
    }
);

/// The pid (as seen from here) of the process named `comm` below `root`.
fn child_of(root: i32, comm: &str) -> i32 {
    let deadline = Instant::now() + T;
    loop {
        let mut stack = vec![root];
        while let Some(pid) = stack.pop() {
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default();
            for child in children
                .split_whitespace()
                .filter_map(|c| c.parse::<i32>().ok())
            {
                let name =
                    std::fs::read_to_string(format!("/proc/{child}/comm")).unwrap_or_default();
                if name.trim() == comm {
                    return child;
                }
                stack.push(child);
            }
        }
        assert!(Instant::now() < deadline, "no {comm} below pid {root}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
