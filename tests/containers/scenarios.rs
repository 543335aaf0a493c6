//! Container scenarios written once and run under each engine (podman, the
//! Docker engine): stop times and statuses, the grace period, reaping under
//! thirty health probes, vigil as the runtime's `--init`, and the distroless
//! example's `VIGIL_CHECK`.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use crate::common::text;
use crate::engine::Engine;
use crate::podman::Scratch;

/// The most a stop may take when vigil ends the container. "Well under a
/// second" is what vigil does (0.2-0.5 s measured, most of it the engine's
/// own CLI and cleanup); the bound leaves room for a loaded CI machine and
/// stays far below every runtime timeout used here (5-10 s), so passing it
/// proves vigil, not the runtime's SIGKILL, ended the container.
pub const FAST_STOP: Duration = Duration::from_secs(2);

/// The stand-in app's command: busybox httpd in the foreground.
pub const HTTPD: [&str; 7] = ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"];

/// A shell that ignores SIGTERM and sleeps: only a SIGKILL ends it.
pub const TERM_IGNORING: [&str; 4] = [
    "/bin/busybox",
    "sh",
    "-c",
    "trap '' TERM; exec /bin/busybox sleep 1000",
];

/// Prints a measurement past the test harness's capture (it only captures
/// the print macros), so CI logs show it even when the test passes.
pub fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "MEASURED {line}");
}

/// Waits until the server inside answers on 127.0.0.1:8080 (probed with the
/// image's own vigil, retrying inside its deadline).
pub fn wait_serving(e: &Engine, name: &str) {
    let out = e.exec(
        name,
        &[
            "/vigil",
            "check",
            "--timeout",
            "10s",
            "--retries",
            "100",
            "--retry-delay",
            "50ms",
            "http://127.0.0.1:8080/",
        ],
    );
    assert!(
        out.status.success(),
        "server in {name} never answered: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Waits until the container's PID 1 has a child (the app has started), so
/// a stop reaches an app that is up, not one still being exec'd.
pub fn wait_app_started(e: &Engine, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = e.exec(name, &["/bin/busybox", "cat", "/proc/1/task/1/children"]);
        if out.status.success() && !text(&out.stdout).trim().is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "no app under PID 1 in {name}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The app's pid inside the container: PID 1's first child.
pub fn app_pid(e: &Engine, name: &str) -> String {
    wait_app_started(e, name);
    let out = e.exec(name, &["/bin/busybox", "cat", "/proc/1/task/1/children"]);
    text(&out.stdout)
        .split_whitespace()
        .next()
        .expect("a child of PID 1")
        .to_string()
}

/// `stop`: vigil as PID 1 ends an ordinary app at once with 143; the same
/// image with the app as PID 1 waits out the whole timeout and ends in 137.
pub fn stop_is_fast_with_vigil_and_waits_the_timeout_without(
    e: &Engine,
    s: &mut Scratch,
    image: &str,
) {
    let with = s.container("vigil");
    e.run_detached(&with, &[], image, &[]);
    wait_serving(e, &with);
    let fast = e.timed_stop(&with, 10);
    let code = e.exit_code(&with);

    // The app as PID 1: a PID-namespace init without a TERM handler never
    // sees SIGTERM (pid_namespaces(7)), so the runtime waits, then kills.
    let without = s.container("noinit");
    e.run_program(&without, &[], image, &HTTPD);
    wait_serving(e, &without);
    let slow = e.timed_stop(&without, 5);
    let slow_code = e.exit_code(&without);

    report(&format!(
        "{} stop: vigil as PID 1 {:.3} s (exit {code}); app as PID 1 {:.3} s \
         with -t 5 (exit {slow_code})",
        e.name,
        fast.as_secs_f64(),
        slow.as_secs_f64()
    ));
    assert!(fast < FAST_STOP, "stop with vigil took {fast:?}");
    assert_eq!(code, 143, "httpd dies of the forwarded TERM: 128+15");
    assert!(
        slow >= Duration::from_secs(5),
        "without an init stop took only {slow:?}"
    );
    assert_eq!(
        slow_code, 137,
        "without an init the runtime's SIGKILL ends it"
    );
}

/// The grace rule against the runtime's stop timeout, for an app that
/// ignores SIGTERM. `VIGIL_GRACE` below the timeout: vigil's SIGKILL ends it
/// at the grace (137) and vigil says so. Above it: the runtime's SIGKILL
/// ends vigil and everything at the timeout (137 too), with no word from
/// vigil, because nothing outlives the PID namespace's init.
pub fn grace_below_the_stop_timeout_wins_and_above_it_the_runtime_kill_wins(
    e: &Engine,
    s: &mut Scratch,
    image: &str,
) {
    let short = s.container("grace-short");
    e.run_detached(&short, &["-e", "VIGIL_GRACE=1s"], image, &TERM_IGNORING);
    wait_app_started(e, &short);
    let took = e.timed_stop(&short, 10);
    let code = e.exit_code(&short);
    let logs = e.logs(&short);
    report(&format!(
        "{} stop -t 10, TERM-ignoring app, VIGIL_GRACE=1s: {:.3} s (exit {code})",
        e.name,
        took.as_secs_f64()
    ));
    assert_eq!(code, 137, "vigil's SIGKILL at the grace: 128+9");
    assert!(
        took >= Duration::from_millis(900),
        "ended before the grace: {took:?}"
    );
    assert!(
        took < Duration::from_secs(4),
        "ended at the runtime's timeout, not the grace: {took:?}"
    );
    assert!(
        logs.lines()
            .any(|l| l.starts_with("vigil: grace period") && l.contains("SIGKILL")),
        "no grace line from vigil: {logs}"
    );

    let long = s.container("grace-long");
    e.run_detached(&long, &["-e", "VIGIL_GRACE=30s"], image, &TERM_IGNORING);
    wait_app_started(e, &long);
    let took = e.timed_stop(&long, 2);
    let code = e.exit_code(&long);
    let logs = e.logs(&long);
    report(&format!(
        "{} stop -t 2, TERM-ignoring app, VIGIL_GRACE=30s: {:.3} s (exit {code}, the runtime's KILL)",
        e.name,
        took.as_secs_f64()
    ));
    assert_eq!(code, 137, "the runtime's SIGKILL: 128+9");
    assert!(
        took >= Duration::from_secs(2),
        "ended before the runtime's timeout: {took:?}"
    );
    assert!(
        took < Duration::from_secs(8),
        "the runtime did not kill at its timeout: {took:?}"
    );
    assert!(
        !logs.contains("vigil: grace period"),
        "vigil's grace cannot have ended: {logs}"
    );
}

/// Zombies (state Z) in the container, from `busybox ps` inside it.
pub fn zombies(e: &Engine, name: &str) -> Vec<String> {
    let out = e.exec(name, &["/bin/busybox", "ps", "-o", "pid,ppid,stat,comm"]);
    assert!(out.status.success(), "busybox ps: {}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .skip(1)
        .filter(|l| {
            l.split_whitespace()
                .nth(2)
                .is_some_and(|st| st.starts_with('Z'))
        })
        .map(str::to_string)
        .collect()
}

/// Thirty HEALTHCHECK probes (the image's own, `/vigil check`) run in the
/// container started with `extra` (and `argv` in place of the image's
/// ENTRYPOINT and CMD, if given), then an orphan like a shell-form probe
/// leaves: no zombie remains. `probes` runs the thirty probes the engine's
/// way (podman: `healthcheck run`; Docker: its own timer). Returns the
/// container's name.
pub fn thirty_probes_leave_no_zombie(
    e: &Engine,
    s: &mut Scratch,
    image: &str,
    what: &str,
    extra: &[&str],
    argv: &[&str],
    probes: &dyn Fn(&str),
) -> String {
    let name = s.container(what);
    if argv.is_empty() {
        e.run_detached(&name, extra, image, &[]);
    } else {
        e.run_program(&name, extra, image, argv);
    }
    wait_serving(e, &name);
    probes(&name);
    e.exec(&name, &["/bin/busybox", "sh", "-c", "/bin/busybox true &"]);
    std::thread::sleep(Duration::from_millis(300));
    let z = zombies(e, &name);
    assert!(z.is_empty(), "zombies under vigil ({what}): {z:?}");
    name
}

/// The zombie count is real: with a non-reaping PID 1 the same orphan stays.
pub fn a_non_reaping_pid_1_keeps_the_zombie(e: &Engine, s: &mut Scratch, image: &str) {
    let control = s.container("control");
    e.run_program(&control, &[], image, &["/bin/busybox", "sleep", "1000"]);
    e.exec(
        &control,
        &["/bin/busybox", "sh", "-c", "/bin/busybox true &"],
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !zombies(e, &control).is_empty(),
        "the zombie count sees nothing even without an init"
    );
}

/// vigil as the runtime's own init (`run --init`): PID 1 is the runtime's
/// init path running `-- CMD`, a stop takes well under a second with 143,
/// `-e VIGIL_GRACE` reaches it, and exit statuses pass through: the app's 0
/// and 4, 127 for a program that does not exist, and 2 for a bad VIGIL_*
/// value, with vigil's one-line error naming it.
pub fn runtime_init_is_vigil(e: &Engine, s: &mut Scratch, image: &str) {
    let init: Vec<&str> = e.init_flags.iter().map(String::as_str).collect();

    let name = s.container("init");
    e.run_program(&name, &init, image, &HTTPD);
    wait_serving(e, &name);
    let cmdline = text(
        &e.exec(&name, &["/bin/busybox", "cat", "/proc/1/cmdline"])
            .stdout,
    );
    assert!(
        cmdline.starts_with(&format!("{}\0--\0/bin/busybox\0httpd", e.init_in_container)),
        "PID 1 is not the runtime's init running vigil: {cmdline:?}"
    );
    // The file behind PID 1 is vigil: it answers --version as vigil.
    let version = e.exec(&name, &[e.init_in_container, "--version"]);
    assert!(
        text(&version.stdout).starts_with("vigil "),
        "{}",
        text(&version.stdout)
    );
    let took = e.timed_stop(&name, 10);
    let code = e.exit_code(&name);
    report(&format!(
        "{} stop with --init (vigil): {:.3} s (exit {code})",
        e.name,
        took.as_secs_f64()
    ));
    assert!(took < FAST_STOP, "stop took {took:?}");
    assert_eq!(code, 143);

    // Env is the only knob through --init: VIGIL_GRACE reaches it.
    let stubborn = s.container("stubborn");
    let mut extra = init.clone();
    extra.extend_from_slice(&["-e", "VIGIL_GRACE=1s"]);
    e.run_program(&stubborn, &extra, image, &TERM_IGNORING);
    wait_app_started(e, &stubborn);
    let took = e.timed_stop(&stubborn, 10);
    let code = e.exit_code(&stubborn);
    report(&format!(
        "{} stop -t 10 with --init (vigil), VIGIL_GRACE=1s, TERM ignored: {:.3} s (exit {code})",
        e.name,
        took.as_secs_f64()
    ));
    assert_eq!(code, 137);
    assert!(
        took < Duration::from_secs(4),
        "VIGIL_GRACE ignored: {took:?}"
    );

    // Exit statuses through the runtime's init.
    let cases: [(&str, &[&str], &[&str], i32); 4] = [
        ("exit0", &[], &["/bin/busybox", "true"], 0),
        ("exit4", &[], &["/bin/busybox", "sh", "-c", "exit 4"], 4),
        ("exit127", &[], &["/no/such/program"], 127),
        (
            "exit2",
            &["-e", "VIGIL_GRACE=soon"],
            &["/bin/busybox", "true"],
            2,
        ),
    ];
    for (what, env, argv, want) in cases {
        let name = s.container(what);
        let mut extra = init.clone();
        extra.extend_from_slice(env);
        let out = e.run_program_attached(&name, &extra, image, argv);
        let said = text(&out.stdout) + &text(&out.stderr);
        assert_eq!(e.exit_code(&name), want, "{what} under --init: {said}");
        assert_eq!(out.status.code(), Some(want), "{what}: the CLI's status");
        if want == 2 {
            assert!(
                said.contains("VIGIL_GRACE") && said.contains("soon"),
                "the usage error names the variable and value: {said}"
            );
        }
    }
}

/// The distroless example: its HEALTHCHECK runs `vigil check` with no target,
/// so vigil reads `VIGIL_CHECK` itself (no shell in the image): it turns
/// healthy on 8080, and with `-e VIGIL_CHECK=http://127.0.0.1:9090/` (the app
/// still on 8080) it probes 9090 and fails there.
pub fn distroless_probe_reads_vigil_check(
    e: &Engine,
    s: &mut Scratch,
    image: &str,
    health: &[&str],
) {
    let name = s.container("dl");
    e.run_detached(&name, health, image, &[]);
    let status = e.health_until(&name, "healthy", Duration::from_secs(20));
    assert_eq!(status, "healthy", "health log: {}", e.health_log(&name));

    let moved = s.container("moved");
    let mut extra = health.to_vec();
    extra.extend_from_slice(&["-e", "VIGIL_CHECK=http://127.0.0.1:9090/"]);
    e.run_detached(&moved, &extra, image, &[]);
    wait_serving(e, &moved);
    let status = e.health_until(&moved, "unhealthy", Duration::from_secs(20));
    let log = e.health_log(&moved);
    assert_eq!(status, "unhealthy", "probe ignored VIGIL_CHECK: {log}");
    assert!(log.contains("127.0.0.1:9090"), "log: {log}");
}
