//! Shutdown and reaping: the grace period, SIGTERM to leftovers once the main
//! child exits, SIGKILL at the end of the grace, and thousands of orphans reaped.

mod common;
#[path = "common/lifecycle.rs"]
mod lifecycle;

use std::fs::File;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::run::{Mode, command, modes_test, selected, sigrecord, start, start_cmd};
use common::{output_limit, text};

const T: Duration = Duration::from_secs(15);

fn helper() -> String {
    sigrecord().display().to_string()
}

modes_test!(
    a_child_ignoring_sigterm_is_killed_at_the_end_of_grace,
    |mode| {
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
);

modes_test!(
    vigil_exits_as_soon_as_everything_is_gone_not_at_the_grace,
    |mode| {
        let h = helper();
        let mut v = start(mode, &["-t", "60s", "python3", &h], &[]);
        v.expect("ready", T);
        v.signal(15);
        v.expect("got 15", T);
        assert_eq!(v.wait(T), 0, "{mode:?}");
    }
);

/// A path for a helper's --ready-file: sh waits for it instead of guessing
/// how long python3 takes to start on a loaded machine.
fn ready_file(test: &str, mode: Mode) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("vigil-{test}-{mode:?}-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

modes_test!(leftovers_get_sigterm_and_vigil_waits_for_them, |mode| {
    let ready = ready_file("leftovers-get-sigterm", mode);
    let script = format!(
        "python3 {} --exit-after-term=0.7 --ready-file={r} & \
         until [ -e {r} ]; do sleep 0.01; done; exit 7",
        helper(),
        r = ready.display()
    );
    let mut v = start(mode, &["sh", "-c", &script], &[]);
    v.expect("ready", T);
    // The main child (sh) exits 7 once the helper is ready; the helper then
    // gets SIGTERM...
    v.expect("got 15", T);
    let _ = std::fs::remove_file(&ready);
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
});

modes_test!(leftovers_ignoring_sigterm_are_killed_at_the_grace, |mode| {
    let ready = ready_file("leftovers-ignoring-sigterm", mode);
    // sh stamps its last moment (the realtime clock, as SystemTime reads it).
    let script = format!(
        "python3 {} --ignore-term --ready-file={r} & \
         until [ -e {r} ]; do sleep 0.01; done; echo \"exiting $(date +%s.%N)\"; exit 5",
        helper(),
        r = ready.display()
    );
    let mut v = start(mode, &["-t", "1s", "sh", "-c", &script], &[]);
    let line = v.expect("ready", T);
    let pid: i32 = line["ready ".len()..].parse().unwrap();
    let exiting = v.expect("exiting ", T);
    let _ = std::fs::remove_file(&ready);
    let secs: f64 = exiting["exiting ".len()..].parse().unwrap();
    assert_eq!(v.wait(T), 5, "{mode:?}");
    // The grace of 1 s runs from sh's exit, after its stamp, before the
    // leftover is killed and vigil can exit.
    let took = SystemTime::now()
        .duration_since(UNIX_EPOCH + Duration::from_secs_f64(secs))
        .unwrap_or_default();
    assert!(took >= Duration::from_secs(1), "{mode:?}: {took:?}");
    if mode == Mode::Plain {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "leftover {pid} survived"
        );
    }
});

modes_test!(two_thousand_orphans_are_reaped, |mode| {
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
});

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
    // sh goes on once the helper is ready (its file exists), not after a
    // guessed second: python3 can take longer on a loaded machine, and a TERM
    // before its handlers kills it without the cleanup the tests wait for.
    let ready =
        std::env::temp_dir().join(format!("vigil-ready{}", tag.trim_start_matches("--tag")));
    format!(
        "rm -f {r}; python3 {} --exit-after-term=0.3 --ready-file={r} {tag} & \
         until [ -e {r} ]; do sleep 0.01; done; rm -f {r}; {then} echo exiting; exit 1",
        helper(),
        r = ready.display()
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

modes_test!(
    term_during_a_restart_backoff_abandoned_the_leftovers,
    |mode| {
        // Fixed in 17ccfea: a stop while no supervised process runs drains the tree.
        let tag = lifecycle::tag(&format!("term_during_a_restart_backoff-{mode:?}"));
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
);

modes_test!(
    wait_for_giving_up_on_a_restart_abandoned_the_leftovers,
    |mode| {
        // Fixed in 17ccfea: a stop while no supervised process runs drains the tree.
        let tag = lifecycle::tag(&format!("wait_for_giving_up-{mode:?}"));
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
);

modes_test!(
    a_sidecars_spent_budget_during_programs_backoff_abandoned_the_leftovers,
    |mode| {
        // Fixed in 17ccfea: a stop while no supervised process runs drains the tree.
        let tag = lifecycle::tag(&format!("a_sidecars_spent_budget-{mode:?}"));
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
);

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

modes_test!(a_restarts_failed_fork_abandoned_the_leftovers, |mode| {
    // Fixed in 17ccfea: a stop while no supervised process runs drains the tree.
    let tag = lifecycle::tag(&format!("a_restarts_failed_fork-{mode:?}"));
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
});

// Fixed in eb14fa8: a comm that was not UTF-8 hid a process from the /proc walk.
#[test]
fn a_leftover_whose_name_is_not_utf8_is_still_found_and_killed() {
    // Subreaper mode walks /proc; a comm of bytes 0xff 'x' once hid the process.
    let Some(mode) = selected(Mode::Plain) else {
        return;
    };
    let script = r#"sh -c 'printf "\377x" >/proc/self/comm; trap "" TERM; while :; do sleep .1; done' & sleep .3"#;
    let started = Instant::now();
    let out = output_limit(&mut command(mode, &["-t", "1s", "sh", "-c", script]), T);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

// Fixed in 2677f4e: a stopped leftover got SIGTERM without SIGCONT.
#[test]
fn a_stopped_leftover_gets_sigcont_with_its_sigterm_and_cleans_up() {
    // The leftover stops itself; without SIGCONT it could only wait for SIGKILL.
    let Some(mode) = selected(Mode::Plain) else {
        return;
    };
    let script =
        r#"sh -c 'trap "echo cleaned; exit 0" TERM; kill -STOP $$; sleep 100' & sleep 0.5"#;
    let started = Instant::now();
    let out = output_limit(&mut command(mode, &["-t", "10s", "sh", "-c", script]), T);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("cleaned"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "waited for the grace: {:?}",
        started.elapsed()
    );
}

// Fixed by the state machine (d91ce66, wired in d695b3b): only the first reap counts.
#[test]
fn a_process_that_reuses_the_main_childs_pid_is_not_taken_for_it() {
    // After the main child was reaped, an orphan given the same pid (here
    // forced through ns_last_pid, as PID 1 of a fresh namespace) was taken for
    // the main child again: its status 9 became vigil's, and the tree got
    // SIGTERM a second time. Only the first reap counts.
    let script = r#"
        trap "" TERM
        main=$$
        echo "main $main"
        (
          while [ -e /proc/$main ]; do :; done
          echo $((main - 1)) > /proc/sys/kernel/ns_last_pid
          sh -c 'echo "reused $$"; sleep 0.3; exit 9' &
        ) &
        exit 0
    "#;
    let out = output_limit(
        &mut command(Mode::Pid1, &["-t", "3s", "sh", "-c", script]),
        T,
    );
    let stdout = text(&out.stdout);
    let main = stdout
        .lines()
        .find_map(|l| l.strip_prefix("main "))
        .unwrap_or_else(|| panic!("no main pid: {stdout}"));
    assert!(
        stdout.lines().any(|l| l == format!("reused {main}")),
        "the set-up did not reuse pid {main}: {stdout}"
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

// Fixed in 09c0c38: as PID 1, vigil exited while a process it did not start was cleaning up.
#[test]
fn as_pid1_a_process_entered_with_nsenter_may_finish_its_cleanup() {
    // vigil as PID 1 sent SIGTERM to a process it did not start (docker exec,
    // nsenter), then exited as soon as its own children were gone, and the
    // namespace's teardown SIGKILLed that process in the middle of its cleanup.
    // As PID 1 vigil now waits for every process in the namespace, bounded by
    // the grace period.
    let mut v = start(Mode::Pid1, &["-t", "8s", "sh", "-c", "sleep 1.5"], &[]);
    let entered = Command::new("nsenter")
        .args(["--target", &v.pid.to_string(), "--pid", "--"])
        .args([
            "sh",
            "-c",
            r#"trap 'sleep 1; echo cleaned; exit 0' TERM; echo in; while :; do sleep 0.1; done"#,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("nsenter");
    let started = Instant::now();
    assert_eq!(v.wait(T), 0);
    let took = started.elapsed();
    let out = entered.wait_with_output().expect("nsenter output");
    let said = text(&out.stdout);
    assert!(said.contains("in"), "nsenter never ran the process: {said}");
    assert!(
        said.contains("cleaned"),
        "its cleanup was cut short: {said}"
    );
    assert!(
        took < Duration::from_secs(6),
        "vigil waited for the grace: {took:?}"
    );
}

/// The words that start vigil, quoted for `sh -c`.
fn vigil_words() -> String {
    common::vigil_argv()
        .iter()
        .map(|p| format!("'{}'", p.display()))
        .collect::<Vec<_>>()
        .join(" ")
}

// Fixed in bce45ee: a /proc of another PID namespace was walked as if it were vigil's.
#[test]
fn a_proc_of_another_pid_namespace_no_longer_gets_an_unrelated_sibling_killed() {
    // vigil as pid 2 of a new PID namespace whose /proc is still the host's.
    // Its walk took host pid 2's children (kernel threads 3, 4, ...) for its
    // own descendants and sent SIGTERM to namespace pids 3, 4, ...: the sibling
    // here. Now /proc is not trusted, nothing but the child is named, and the
    // leftover ends by itself.
    let script = format!(
        r#"
        {vigil} -t 5s -- sh -c 'sleep 1.5 & sleep 0.5; exit 0' &
        v=$!
        sleep 100 &
        s=$!
        echo "vigil $v sibling $s host-ppid $(sed 's/.*) //' /proc/$s/stat | cut -d' ' -f2)"
        wait $v
        echo "vigil exited $?"
        sleep 0.3
        if kill -0 $s 2>/dev/null; then echo "sibling alive"; kill $s; else echo "sibling killed"; fi
        "#,
        vigil = vigil_words()
    );
    let out = output_limit(
        Command::new("unshare").args(["--pid", "--fork", "sh", "-c", &script]),
        T,
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    // The set-up: vigil is pid 2 and the sibling's number is, in the host's
    // /proc, a child of host pid 2 (kthreadd), so the old walk reached it.
    assert!(
        stdout.contains("vigil 2 ") && stdout.contains("host-ppid 2\n"),
        "set-up: {stdout}"
    );
    assert!(stdout.contains("vigil exited 0"), "{stdout}\n{stderr}");
    assert!(stdout.contains("sibling alive"), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("/proc is missing or belongs to another PID namespace"),
        "{stderr}"
    );
}

/// vigil, not PID 1 (a plain process: `None` when `$VIGIL_TEST_MODES` leaves
/// that out), with /proc hidden under an empty tmpfs; the main child leaves a
/// leftover that ignores SIGTERM. Returns stdout and stderr; stdout says how
/// long vigil took.
fn without_proc(group: bool) -> Option<(String, String)> {
    selected(Mode::Plain)?;
    let g = if group { "-g" } else { "" };
    let script = format!(
        r#"
        mount -t tmpfs none /proc || exit 99
        f=$(mktemp)
        start=$(date +%s%N)
        {vigil} {g} -t 1s -- sh -c 'trap "" TERM; sleep 100 & echo "leftover $!"' > "$f" &
        wait $!
        echo "vigil exited $? after $((($(date +%s%N) - start) / 1000000)) ms"
        l=$(sed -n 's/^leftover //p' "$f")
        rm -f "$f"
        sleep 0.2
        if kill -0 "$l" 2>/dev/null; then echo "leftover alive"; else echo "leftover killed"; fi
        "#,
        vigil = vigil_words()
    );
    let out = output_limit(
        Command::new("unshare").args(["--mount", "--pid", "--fork", "sh", "-c", &script]),
        T,
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "set-up: {stdout}\n{stderr}");
    Some((stdout, stderr))
}

fn took_ms(stdout: &str) -> u64 {
    stdout
        .split("after ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no time: {stdout}"))
}

// Fixed in bce45ee: without a usable /proc, a leftover ignoring TERM kept vigil alive.
#[test]
fn without_a_usable_proc_a_leftover_ignoring_term_no_longer_keeps_vigil_alive() {
    // The leftover lived on, vigil logged "sending SIGKILL" though it sent
    // none, and never exited. Now vigil, which cannot name the leftover, says
    // so and exits with the child's status at the grace end.
    let Some((stdout, stderr)) = without_proc(false) else {
        return;
    };
    assert!(stdout.contains("vigil exited 0"), "{stdout}\n{stderr}");
    assert!(took_ms(&stdout) < 4000, "{stdout}");
    assert!(stdout.contains("leftover alive"), "{stdout}");
    assert!(!stderr.contains("sending SIGKILL"), "{stderr}");
    assert!(
        stderr.contains("cannot be seen and get no SIGKILL"),
        "{stderr}"
    );
}

// Fixed in bce45ee: without a usable /proc, -g still kills the leftover in the group.
#[test]
fn without_a_usable_proc_and_with_group_the_leftover_in_the_group_is_killed() {
    // With -g: the child's own process group is what vigil can name; the
    // leftover in it gets the grace end's SIGKILL, vigil exits.
    let Some((stdout, stderr)) = without_proc(true) else {
        return;
    };
    assert!(stdout.contains("vigil exited 0"), "{stdout}\n{stderr}");
    assert!(took_ms(&stdout) < 4000, "{stdout}");
    assert!(stdout.contains("leftover killed"), "{stdout}");
    assert!(
        stderr.contains("sending SIGKILL to the child's process group"),
        "{stderr}"
    );
}
