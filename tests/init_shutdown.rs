//! Shutdown and reaping: the grace period, SIGTERM to leftovers once the main
//! child exits, SIGKILL at the end of the grace, and thousands of orphans reaped.

mod common;
#[path = "common/lifecycle.rs"]
mod lifecycle;

use std::fs::File;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::run::{Mode, command, modes, sigrecord, start, start_cmd};

const T: Duration = Duration::from_secs(15);

fn helper() -> String {
    sigrecord().display().to_string()
}

#[test]
fn a_child_ignoring_sigterm_is_killed_at_the_end_of_grace() {
    for mode in modes() {
        for (args, env) in [
            (vec!["-t", "1s"], vec![]),
            (vec!["--grace=1s"], vec![]),
            (vec![], vec![("VIGIL_GRACE", "1s")]),
        ] {
            let h = helper();
            let mut all = args.clone();
            all.extend(["python3", &h, "--ignore-term"]);
            let mut v = start(mode, &all, &env);
            v.expect("ready", T);
            let sent = Instant::now();
            v.signal(15);
            let code = v.wait(T);
            let took = sent.elapsed();
            assert_eq!(code, 137, "{mode:?} {args:?} {env:?}");
            // The kill comes at the grace, not before (and not at some later timeout).
            assert!(
                took >= Duration::from_millis(950),
                "{mode:?}: killed after {took:?}"
            );
            assert!(
                took < Duration::from_secs(4),
                "{mode:?}: killed only after {took:?}"
            );
        }
    }
}

#[test]
fn vigil_exits_as_soon_as_everything_is_gone_not_at_the_grace() {
    for mode in modes() {
        let h = helper();
        let mut v = start(mode, &["-t", "60s", "python3", &h], &[]);
        v.expect("ready", T);
        v.signal(15);
        v.expect("got 15", T);
        assert_eq!(v.wait(T), 0, "{mode:?}");
    }
}

#[test]
fn leftovers_get_sigterm_and_vigil_waits_for_them() {
    for mode in modes() {
        let script = format!(
            "python3 {} --exit-after-term=0.7 & sleep 1; exit 7",
            helper()
        );
        let mut v = start(mode, &["sh", "-c", &script], &[]);
        v.expect("ready", T);
        // The main child (sh) exits 7 after 1 s; the helper then gets SIGTERM...
        v.expect("got 15", T);
        // ...and vigil is still there while the helper cleans up for 0.7 s.
        assert!(
            v.child.try_wait().expect("try_wait").is_none(),
            "{mode:?}: vigil left before its leftovers"
        );
        assert_eq!(v.wait(T), 7, "{mode:?}: the main child's status");
        assert!(
            v.seen.iter().any(|l| l == "bye") || v.rest(T).iter().any(|l| l == "bye"),
            "{mode:?}"
        );
    }
}

#[test]
fn leftovers_ignoring_sigterm_are_killed_at_the_grace() {
    for mode in modes() {
        let script = format!("python3 {} --ignore-term & sleep 1; exit 5", helper());
        let mut v = start(mode, &["-t", "1s", "sh", "-c", &script], &[]);
        let ready = v.expect("ready", T);
        let pid: i32 = ready["ready ".len()..].parse().unwrap();
        let started = Instant::now();
        assert_eq!(v.wait(T), 5, "{mode:?}");
        // sh exits about 1 s after starting (a little less after the helper's
        // "ready"), then the grace of 1 s runs before the leftover is killed.
        assert!(
            started.elapsed() >= Duration::from_millis(1500),
            "{mode:?}: {:?}",
            started.elapsed()
        );
        if mode == Mode::Plain {
            assert!(
                !std::path::Path::new(&format!("/proc/{pid}")).exists(),
                "leftover {pid} survived"
            );
        }
    }
}

#[test]
fn two_thousand_orphans_are_reaped() {
    for mode in modes() {
        let log =
            std::env::temp_dir().join(format!("vigil-orphans-{}-{mode:?}.log", std::process::id()));
        let h = helper();
        let mut cmd = command(mode, &["-vv", "python3", &h, "--spawn-orphans=2000"]);
        cmd.stderr(Stdio::from(File::create(&log).unwrap()));
        let mut v = start_cmd(mode, cmd);
        v.expect("orphaned 2000", Duration::from_secs(60));
        v.expect("ready", T);
        // No zombie child of vigil survives more than a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let zombies = zombie_children(v.pid);
            if zombies == 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{mode:?}: {zombies} zombies left"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        v.signal(15);
        assert_eq!(v.wait(T), 0);
        let reaped = std::fs::read_to_string(&log)
            .unwrap()
            .matches("reaped pid")
            .count();
        assert_eq!(
            reaped, 2000,
            "{mode:?}: every orphan was reparented to vigil and reaped"
        );
        std::fs::remove_file(&log).unwrap();
    }
}

fn zombie_children(parent: i32) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            let Some(close) = stat.rfind(')') else {
                return false;
            };
            let mut f = stat[close + 1..].split_whitespace();
            let state = f.next();
            let ppid = f.next().and_then(|p| p.parse::<i32>().ok());
            state == Some("Z") && ppid == Some(parent)
        })
        .count()
}

// ---- a stop while no supervised process runs drains the tree ----------------

/// A scratch directory for one test's flag files, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(test: &str, mode: Mode) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("vigil-{test}-{mode:?}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// PROGRAM for these tests: leaves a helper that cleans up for 0.3 s on
/// SIGTERM ("got 15", then "bye"), runs `then`, says "exiting" and exits 1.
fn leaves_a_helper(tag: &str, then: &str) -> String {
    format!(
        "python3 {} --exit-after-term=0.3 {tag} & sleep 1; {then} echo exiting; exit 1",
        helper()
    )
}

/// vigil with `args` in `mode`, its log (stderr) going to a file of `dir`.
fn start_logged(mode: Mode, args: &[&str], dir: &Scratch) -> common::run::Running {
    let mut cmd = command(mode, args);
    let log = File::create(dir.path("vigil.log")).expect("create the log file");
    cmd.stderr(Stdio::from(log));
    start_cmd(mode, cmd)
}

/// Waits until vigil's log in `dir` has a line containing `what`.
fn logged(dir: &Scratch, what: &str) {
    let deadline = Instant::now() + T;
    loop {
        let log = std::fs::read_to_string(dir.path("vigil.log")).unwrap_or_default();
        if log.lines().any(|l| l.contains(what)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no {what:?} in vigil's log: {log}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// After `v`'s PROGRAM said "exiting" and vigil was stopped: the helper got
/// SIGTERM and finished its cleanup before vigil exited with `code`, and
/// PROGRAM never ran again.
fn drained(mode: Mode, v: &mut common::run::Running, code: i32) {
    let got = v.expect("got 15", T);
    assert_eq!(got, "got 15", "{mode:?}");
    v.expect("bye", T);
    assert_eq!(v.wait(T), code, "{mode:?}");
    let rest = v.rest(T);
    let readies = v.seen.iter().filter(|l| l.starts_with("ready")).count();
    assert_eq!(
        readies, 1,
        "{mode:?}: PROGRAM ran again: {:?} {rest:?}",
        v.seen
    );
}

#[test]
fn term_during_a_restart_backoff_abandoned_the_leftovers() {
    // Fixed in "init/machine: a stop while no supervised process runs drains the tree ...".
    for mode in modes() {
        let tag = lifecycle::tag("term_during_a_restart_backoff");
        let _leftovers = lifecycle::Leftovers(tag.clone());
        let dir = Scratch::new("term-backoff", mode);
        // The first run leaves the helper; the next two exit at once, so the
        // third backoff is 2 s long.
        let first = dir.path("first");
        let program = format!(
            "[ -e {first} ] && exit 1; touch {first}; {}",
            leaves_a_helper(&tag, "")
        );
        let args = ["-t", "5s", "--restart", "always", "sh", "-c", &program];
        let mut v = start_logged(mode, &args, &dir);
        v.expect("ready", T);
        v.expect("exiting", T);
        logged(&dir, "restart 3/5 in 2s");
        v.signal(15);
        drained(mode, &mut v, 143);
    }
}

#[test]
fn wait_for_giving_up_on_a_restart_abandoned_the_leftovers() {
    // Fixed in "init/machine: a stop while no supervised process runs drains the tree ...".
    for mode in modes() {
        let tag = lifecycle::tag("wait_for_giving_up");
        let _leftovers = lifecycle::Leftovers(tag.clone());
        let db = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let target = format!("tcp://{}", db.local_addr().unwrap());
        let program = leaves_a_helper(&tag, "");
        let args = [
            "-t",
            "5s",
            "--restart",
            "always",
            "--wait-for",
            &target,
            "--wait-timeout",
            "1s",
            "sh",
            "-c",
            &program,
        ];
        let mut v = start(mode, &args, &[]);
        v.expect("ready", T);
        // The restart waits for a target that is gone, and gives up after 1 s.
        drop(db);
        v.expect("exiting", T);
        drained(mode, &mut v, 1);
    }
}

#[test]
fn a_sidecars_spent_budget_during_programs_backoff_abandoned_the_leftovers() {
    // Fixed in "init/machine: a stop while no supervised process runs drains the tree ...".
    for mode in modes() {
        let tag = lifecycle::tag("a_sidecars_spent_budget");
        let _leftovers = lifecycle::Leftovers(tag.clone());
        let dir = Scratch::new("sidecar-budget", mode);
        let (first, go) = (dir.path("first"), dir.path("go"));
        // Exits 5 at once the first time, then once `go` exists: its one
        // restart is used up while PROGRAM waits for its own.
        let sidecar = format!(
            "sh -c 'if [ -e {first} ]; then while [ ! -e {go} ]; do sleep 0.02; done; exit 5; fi; touch {first}; exit 5'"
        );
        let program = leaves_a_helper(&tag, "sleep 0.5;");
        let args = [
            "-t",
            "5s",
            "--restart",
            "always",
            "--max-restarts",
            "1",
            "--with",
            &sidecar,
            "sh",
            "-c",
            &program,
        ];
        let mut v = start_logged(mode, &args, &dir);
        v.expect("ready", T);
        v.expect("exiting", T);
        // PROGRAM waits for its restart (500 ms): the sidecar exits again now.
        logged(&dir, "exited with status 1; restart 1/1 in 500ms");
        std::fs::write(&go, "").expect("write the go file");
        drained(mode, &mut v, 5);
    }
}

/// A pids cgroup (v1 controller) of this test's own, removed when dropped
/// (every process left in it is killed first).
struct PidsCgroup(std::path::PathBuf);

impl PidsCgroup {
    fn new(test: &str, mode: Mode) -> PidsCgroup {
        let root = std::path::Path::new("/sys/fs/cgroup/pids");
        assert!(
            root.join("cgroup.procs").exists(),
            "no cgroup v1 pids controller at {}: this test needs one",
            root.display()
        );
        let dir = root.join(format!("vigil-{test}-{mode:?}-{}", std::process::id()));
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        PidsCgroup(dir)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        let _ = std::fs::write(self.0.join("pids.max"), "max");
        let deadline = Instant::now() + T;
        loop {
            let procs = std::fs::read_to_string(self.0.join("cgroup.procs")).unwrap_or_default();
            if procs.trim().is_empty() || Instant::now() > deadline {
                break;
            }
            for pid in procs.split_whitespace() {
                let _ = std::process::Command::new("kill")
                    .args(["-9", pid])
                    .status();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn a_restarts_failed_fork_abandoned_the_leftovers() {
    // Fixed in "init/machine: a stop while no supervised process runs drains the tree ...".
    for mode in modes() {
        let tag = lifecycle::tag("a_restarts_failed_fork");
        let _leftovers = lifecycle::Leftovers(tag.clone());
        let cg = PidsCgroup::new("failed-fork", mode);
        // PROGRAM lowers pids.max to what stays once it has exited: the
        // restart's fork then fails with EAGAIN.
        let lower = format!(
            "read n < {}; echo $((n - 1)) > {};",
            cg.file("pids.current"),
            cg.file("pids.max")
        );
        let program = leaves_a_helper(&tag, &lower);
        let vigil = command(
            mode,
            &["-t", "5s", "--restart", "always", "sh", "-c", &program],
        );
        let mut cmd = std::process::Command::new("sh");
        cmd.args([
            "-c",
            r#"echo $$ > "$0" && exec "$@""#,
            &cg.file("cgroup.procs"),
        ])
        .arg(vigil.get_program())
        .args(vigil.get_args());
        for (k, v) in vigil.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let mut v = start_cmd(mode, cmd);
        v.expect("ready", T);
        v.expect("exiting", T);
        drained(mode, &mut v, 1);
    }
}
