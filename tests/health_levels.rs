//! README "Health": every `vigil health` level against a real HTTP app that is
//! slow to start, then healthy, then 503, then healthy again; `--stop-delay`
//! (ready fails, live holds while the app still answers 200); the state lines
//! in vigil's log, `-q` hiding only the good news. vigil runs as a plain
//! process and as PID 1; each probe runs under it, as a HEALTHCHECK's child
//! would see it, from a shell that is PROGRAM.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::run::{Mode, command, modes_test};

const T: Duration = Duration::from_secs(20);

fn helper(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/helpers")
        .join(name)
        .display()
        .to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn lines_of(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// vigil whose PROGRAM is a shell that runs `vigil health WORDS` for each
/// line written to it and prints the line and then `rc=N`.
struct Vigil {
    child: Child,
    stdin: ChildStdin,
    out: Receiver<String>,
    err: Receiver<String>,
    log: Vec<String>,
    /// vigil's pid as this test sees it.
    pid: i32,
}

const ASKER: &str = "while read -r words; do \"$@\" health $words; echo \"rc=$?\"; done";

impl Vigil {
    fn start(mode: Mode, options: &[&str]) -> Vigil {
        let mut args: Vec<String> = options.iter().map(|s| s.to_string()).collect();
        args.extend(["--", "sh", "-c", ASKER, "sh"].map(String::from));
        args.extend(common::vigil_argv().iter().map(|p| p.display().to_string()));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = command(mode, &argv)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vigil");
        let stdin = child.stdin.take().expect("stdin");
        let out = lines_of(child.stdout.take().expect("stdout"));
        let err = lines_of(child.stderr.take().expect("stderr"));
        let pid = match mode {
            Mode::Plain => child.id() as i32,
            Mode::Pid1 => {
                let unshare = child.id();
                let deadline = Instant::now() + T;
                loop {
                    let kids =
                        std::fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children"))
                            .unwrap_or_default();
                    if let Some(pid) = kids.split_whitespace().next().and_then(|p| p.parse().ok()) {
                        break pid;
                    }
                    assert!(Instant::now() < deadline, "unshare never forked");
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        };
        Vigil {
            child,
            stdin,
            out,
            err,
            log: Vec::new(),
            pid,
        }
    }

    /// `vigil health WORDS`: its status and its stdout line.
    fn ask(&mut self, words: &str) -> (i32, String) {
        writeln!(self.stdin, "{words}").expect("write to the asking shell");
        let mut said = String::new();
        loop {
            let line = self.out.recv_timeout(T).unwrap_or_else(|_| {
                panic!("no answer to 'vigil health {words}'; log: {:?}", self.log())
            });
            if let Some(rc) = line.strip_prefix("rc=") {
                return (rc.parse().expect("rc"), said);
            }
            if !line.starts_with("app serving") {
                said = line;
            }
        }
    }

    /// Asks `words` until the status is `rc`, at most `T`; returns the line.
    fn until(&mut self, words: &str, rc: i32) -> String {
        let deadline = Instant::now() + T;
        loop {
            let (got, line) = self.ask(words);
            if got == rc {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "health {words} never {rc}: {line}; {:?}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// vigil's stderr so far.
    fn log(&mut self) -> Vec<String> {
        while let Ok(line) = self.err.try_recv() {
            self.log.push(line);
        }
        self.log.clone()
    }

    fn signal(&self, sig: &str) {
        let ok = std::process::Command::new("kill")
            .args([&format!("-{sig}"), &self.pid.to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
    }

    fn wait(&mut self) -> i32 {
        common::wait_limit(&mut self.child, T).code().unwrap_or(-1)
    }
}

impl Drop for Vigil {
    /// A test that failed midway: vigil stops its tree (the app, a sidecar,
    /// would outlive a SIGKILLed plain vigil), then whatever is left is killed.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.signal("TERM");
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if let Ok(None) = self.child.try_wait() {
                self.signal("KILL");
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}

fn app(port: u16, after: &str, sick: &std::path::Path) -> String {
    format!(
        "python3 {} --port={port} --after={after} --sick-if={}",
        helper("health_app.py"),
        sick.display()
    )
}

fn sick_file(name: &str, mode: Mode) -> PathBuf {
    std::env::temp_dir().join(format!(
        "vigil-health-{name}-{}-{mode:?}",
        std::process::id()
    ))
}

modes_test!(
    every_level_follows_an_app_slow_to_start_then_healthy_then_503_then_healthy,
    |mode| {
        let port = free_port();
        let sick = sick_file("levels", mode);
        let _ = std::fs::remove_file(&sick);
        let target = format!("http://127.0.0.1:{port}/health");
        let with = app(port, "1.5", &sick);
        let mut v = Vigil::start(
            mode,
            &[
                "--ready",
                &target,
                "--ready-interval",
                "200ms",
                "--ready-retries",
                "2",
                "--with",
                &with,
            ],
        );
        // Slow to start: starting, alive, not started; the line says why
        // once the first probe has ended.
        loop {
            let (rc, line) = v.ask("--ready");
            assert_eq!(rc, 1, "{mode:?}: {line}");
            assert!(line.starts_with("starting "), "{mode:?}: {line}");
            if line.contains(&format!("fail {target} refused")) {
                break;
            }
            assert!(
                line.contains("no --ready probe ended yet"),
                "{mode:?}: {line}"
            );
        }
        assert_eq!(v.ask("").0, 1, "{mode:?}: --ready is the default");
        assert_eq!(v.ask("--live").0, 0, "{mode:?}");
        assert_eq!(v.ask("--started").0, 1, "{mode:?}");

        let line = v.until("--ready", 0);
        assert!(
            line.starts_with("ready ") && line.contains(&format!(": {target} 200 OK ")),
            "{mode:?}: {line}"
        );
        assert!(
            line.ends_with("; 1/1 sidecars up; 0 restarts"),
            "{mode:?}: {line}"
        );
        assert_eq!(v.ask("--started").0, 0, "{mode:?}");
        assert_eq!(v.ask("--live").0, 0, "{mode:?}");
        assert_eq!(
            v.ask("-q --ready"),
            (0, String::new()),
            "{mode:?}: -q prints nothing"
        );

        std::fs::write(&sick, b"").expect("make the app sick");
        let line = v.until("--ready", 1);
        assert!(
            line.starts_with("unready ")
                && line.contains(&format!("fail {target} 503 Service Unavailable")),
            "{mode:?}: {line}"
        );
        assert!(line.contains("(2 failures)"), "{mode:?}: {line}");
        assert_eq!(v.ask("--live").0, 0, "{mode:?}: an unready app stays alive");
        assert_eq!(v.ask("--started").0, 0, "{mode:?}");

        std::fs::remove_file(&sick).expect("make it well");
        v.until("--ready", 0);

        v.signal("TERM");
        assert_eq!(v.wait(), 143, "{mode:?}: the asking shell's status");
        let log = v.log();
        let said = |needle: &str| log.iter().any(|l| l.starts_with(needle));
        assert!(said("vigil: ready after "), "{mode:?}: {log:?}");
        assert!(
            said(&format!(
                "vigil: unready: fail {target} 503 Service Unavailable"
            )),
            "{mode:?}: {log:?}"
        );
        assert!(said("vigil: ready again after "), "{mode:?}: {log:?}");
        assert!(said("vigil: stopping"), "{mode:?}: {log:?}");
        assert_eq!(
            log.iter()
                .filter(|l| l.starts_with("vigil: ready after"))
                .count(),
            1,
            "{mode:?}: the time to ready is said once"
        );
    }
);

modes_test!(
    while_the_stop_delay_drains_ready_fails_and_live_holds_as_the_app_still_serves,
    |mode| {
        let port = free_port();
        let sick = sick_file("drain", mode);
        let target = format!("http://127.0.0.1:{port}/health");
        let with = app(port, "0", &sick);
        // -q: only the good news goes.
        let mut v = Vigil::start(
            mode,
            &[
                "-q",
                "--stop-delay",
                "3s",
                "--ready",
                &target,
                "--with",
                &with,
            ],
        );
        v.until("--ready", 0);
        v.signal("TERM");
        let line = v.until("--ready", 1);
        assert!(line.starts_with("draining "), "{mode:?}: {line}");
        assert_eq!(v.ask("--live").0, 0, "{mode:?}: draining is alive");
        assert_eq!(v.ask("--started").0, 0, "{mode:?}");
        // The app itself still answers 200.
        let mut check = common::vigil_cmd();
        check.args(["check", &target]);
        let out = common::output_limit(&mut check, T);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{mode:?}: {}",
            common::text(&out.stdout)
        );
        assert_eq!(v.wait(), 143, "{mode:?}");
        let log = v.log();
        assert!(
            log.contains(&"vigil: draining for 3s (--stop-delay)".to_string()),
            "{mode:?}: {log:?}"
        );
        assert!(
            !log.iter().any(|l| l.starts_with("vigil: ready")),
            "{mode:?}: -q hides the good news: {log:?}"
        );
    }
);

modes_test!(
    a_workers_heartbeat_file_makes_it_ready_and_a_stale_one_unready,
    |mode| {
        let dir = sick_file("beat", mode);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).expect("mkdir");
        let (hb, stop) = (dir.join("hb"), dir.join("stop"));
        let worker = format!(
            "sh -c 'while [ ! -e {} ]; do touch {}; sleep 0.1; done; exec sleep 60'",
            stop.display(),
            hb.display()
        );
        let target = format!("file://{}?max-age=1s", hb.display());
        let mut v = Vigil::start(
            mode,
            &[
                "--ready",
                &target,
                "--ready-interval",
                "200ms",
                "--ready-retries",
                "1",
                "--with",
                &worker,
            ],
        );
        let line = v.until("--ready", 0);
        assert!(
            line.starts_with("ready ") && line.contains(&format!("{target} age ")),
            "{mode:?}: {line}"
        );
        std::fs::write(&stop, b"").expect("stop the heartbeat");
        let line = v.until("--ready", 1);
        assert!(
            line.starts_with("unready ") && line.contains(&format!("fail {target} stale: age 1")),
            "{mode:?}: {line}"
        );
        assert_eq!(v.ask("--live").0, 0, "{mode:?}");
        v.signal("TERM");
        v.wait();
        let _ = std::fs::remove_dir_all(&dir);
    }
);

// Fixed in the commit that cuts the health line at MAX_LINE: 40 --ready
// targets' reports made it over 4 KiB, `vigil health` read 4,096 bytes
// without the newline and failed every level with "unreadable answer".
modes_test!(
    a_line_longer_than_one_answer_is_cut_and_still_read,
    |mode| {
        let dir = sick_file("long-line", mode);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let targets: Vec<String> = (0..40)
            .map(|i| {
                let path = dir.join(format!("{i:03}-{}", "x".repeat(100)));
                std::fs::write(&path, b"").expect("a target file");
                format!("file://{}", path.display())
            })
            .collect();
        let options: Vec<&str> = targets.iter().flat_map(|t| ["--ready", t]).collect();
        let mut v = Vigil::start(mode, &options);
        let line = v.until("", 0);
        assert!(line.starts_with("ready "), "{mode:?}: {line}");
        assert!(
            line.ends_with("...") && line.len() < 4096,
            "{}: {line}",
            line.len()
        );
        v.signal("TERM");
        v.wait();
        let _ = std::fs::remove_dir_all(&dir);
    }
);
