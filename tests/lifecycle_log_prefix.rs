//! `--log-prefix`: every process's stdout and stderr through vigil as
//! `NAME | line` on the same stream, whole lines only; a line begun goes out
//! as a `NAME + piece` after 100 ms or 16 KiB; a terminal stays the child's;
//! what a process wrote comes before vigil's line about its end; and a child
//! flooding a stdout nobody reads neither blocks vigil nor grows it: its
//! output is dropped and reported, and SIGTERM still ends it.

mod common;
#[path = "common/lifecycle.rs"]
mod lifecycle;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use common::run::{Mode, command, modes_test};
use common::{output_limit, pids_as_n, text, vigil, wait_limit};
use lifecycle::{Leftovers, python, tag};

const T: Duration = Duration::from_secs(30);

fn writer() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/helpers/log_writer.py")
        .display()
        .to_string()
}

/// log_writer.py's payload for line `i`.
fn payload(i: usize) -> String {
    char::from(b'a' + (i % 26) as u8)
        .to_string()
        .repeat(i * 7919 % 9000)
}

/// Checks that `stream` ("out" or "err") holds exactly `n` lines of each of
/// `names`, each whole, prefixed by its writer's name, in its order, and
/// nothing else but vigil's own lines (none about dropped output).
fn check_stream(all: &str, stream: &str, names: &[&str], n: usize, what: &str) {
    let mut next = vec![0; names.len()];
    for line in all.lines() {
        if line.starts_with("vigil: ") {
            assert!(!line.contains("dropped"), "{what}: {line}");
            continue;
        }
        let (name, rest) = line
            .split_once(" | ")
            .unwrap_or_else(|| panic!("{what} {stream}: not prefixed: {:.80}", line));
        let k = names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("{what} {stream}: unknown name in {:.80}", line));
        let i = next[k];
        let want = format!("{name} {stream} {i} {}", payload(i));
        assert!(
            rest == want,
            "{what} {stream}: line {i} of {name} is not whole or out of order: {:.120}",
            line
        );
        next[k] += 1;
    }
    assert_eq!(
        next,
        vec![n; names.len()],
        "{what} {stream}: lines per name"
    );
}

modes_test!(
    two_sidecars_and_program_lines_are_whole_prefixed_and_on_their_stream,
    |mode| {
        let tag = tag(&format!("two_sidecars_and_program-{mode:?}"));
        let _leftovers = Leftovers(tag.clone());
        let (py, w) = (python(), writer());
        // 300 lines a stream each, up to 9,000 bytes long (past PIPE_BUF),
        // all written at once; the sidecars then linger until the shutdown,
        // PROGRAM for 2 s, ample time for the sidecars to finish writing.
        let side = |name: &str| format!("{name}: {py} {w} {name} lines 300 --linger=1000 {tag}");
        let mut cmd = command(
            mode,
            &[
                "--log-prefix",
                "--name",
                "app",
                "--with",
                &side("a"),
                "--with",
                &side("b"),
                "--",
                &py,
                &w,
                "app",
                "lines",
                "300",
                "--linger=2",
                &tag,
            ],
        );
        let out = output_limit(&mut cmd, T);
        let what = format!("{mode:?}");
        assert_eq!(out.status.code(), Some(0), "{what}: {}", text(&out.stderr));
        let names = ["app", "a", "b"];
        check_stream(&text(&out.stdout), "out", &names, 300, &what);
        check_stream(&text(&out.stderr), "err", &names, 300, &what);
    }
);

modes_test!(
    a_line_begun_goes_out_as_a_piece_after_100ms_or_16kib,
    |mode| {
        // The line 'begun ended' waits 2 s for its end: its beginning goes out
        // as a piece (`+`) long before. A line of 40,000 bytes goes out in
        // pieces of at least 16 KiB, the last one ending it (`|`).
        let script = "printf begun; sleep 2; echo ' ended'; \
                  head -c 40000 /dev/zero | tr '\\0' x; echo; printf 'last words'";
        let mut cmd = command(mode, &["--log-prefix", "--", "sh", "-c", script]);
        let out = output_limit(&mut cmd, T);
        assert_eq!(out.status.code(), Some(0), "{mode:?}");
        let stdout = text(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        // Each line's start and length, for a readable failure.
        let shape: Vec<(String, usize)> = lines
            .iter()
            .map(|l| (l.chars().take(12).collect(), l.len()))
            .collect();
        assert!(lines.len() >= 4, "{mode:?}: {shape:?}");
        assert_eq!(
            lines[..2],
            ["sh + begun", "sh |  ended"],
            "{mode:?}: {shape:?}"
        );
        let mut xs = String::new();
        for (i, line) in lines[2..lines.len() - 1].iter().enumerate() {
            let last = i == lines.len() - 4;
            let (head, piece) = line.split_at(5);
            assert_eq!(
                head,
                if last { "sh | " } else { "sh + " },
                "{mode:?}: {shape:?}"
            );
            assert!(last || piece.len() >= 16 << 10, "{mode:?}: {shape:?}");
            xs.push_str(piece);
        }
        assert!(xs == "x".repeat(40000), "{mode:?}: {shape:?}");
        // The stream ends with the process: its unfinished line is a whole one.
        assert_eq!(lines.last(), Some(&"sh | last words"), "{mode:?}");
        assert!(stdout.ends_with('\n'), "{mode:?}");
    }
);

modes_test!(
    what_a_process_wrote_comes_before_the_line_about_its_end,
    |mode| {
        let tag = tag(&format!("what_a_process_wrote_comes_before-{mode:?}"));
        let _leftovers = Leftovers(tag.clone());
        let (py, w) = (python(), writer());
        // The sidecar writes 3,000 lines (300 KB, more than a pipe holds) and an
        // unfinished one on stderr, then exits 3 at once.
        let with = format!("side: {py} {w} side last 3000 {tag}");
        let mut cmd = command(
            mode,
            &[
                "--log-prefix",
                "--with",
                &with,
                "--",
                &py,
                &w,
                "app",
                "lines",
                "0",
                "--linger=1000",
                &tag,
            ],
        );
        let out = output_limit(&mut cmd, T);
        assert_eq!(out.status.code(), Some(3), "{mode:?}");
        let stderr = pids_as_n(&text(&out.stderr));
        // vigil's health lines (ready, stopping) aside.
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.starts_with("vigil: ") || l.contains("'side'"))
            .collect();
        // The unfinished line is whole when the stream's end comes first, a
        // piece when 100 ms pass before (python's exit takes that long when
        // the machine is busy).
        let tail = match lines.get(3000) {
            Some(&"side + side tail") => "side + side tail",
            _ => "side | side tail",
        };
        let want: Vec<String> = (0..3000)
            .map(|i| format!("side | side last {i}"))
            .chain([tail.to_owned()])
            .chain(["vigil: 'side' (pid N) exited with status 3: stopping everything".to_owned()])
            .collect();
        let first_wrong = (0..want.len()).find(|&i| lines.get(i) != Some(&want[i].as_str()));
        if let Some(i) = first_wrong {
            let from = i.saturating_sub(3);
            panic!(
                "{mode:?}: line {i}: want {:?}, got {:?}",
                &want[i],
                &lines[from..(i + 3).min(lines.len())]
            );
        }
    }
);

modes_test!(
    a_terminal_is_left_to_the_child_and_only_the_other_stream_is_prefixed,
    |mode| {
        // As `docker run -t` with stderr sent elsewhere: stdout is a terminal,
        // which the child gets itself; stderr goes through vigil.
        let dir = std::env::temp_dir().join(format!(
            "vigil-log-prefix-tty-{mode:?}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let err = dir.join("stderr");
        let child =
            "readlink /proc/self/fd/1; test -t 1 && echo stdout-is-a-terminal; echo to-stderr >&2";
        let driver = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/helpers/pty_drive.py");
        let mut cmd = Command::new("python3");
        cmd.arg(driver).arg("").arg("").arg("--");
        if mode == Mode::Pid1 {
            cmd.args([
                "unshare",
                "--pid",
                "--fork",
                "--mount-proc",
                "setsid",
                "--ctty",
            ]);
        }
        // sh sends vigil's stderr to a file, then becomes vigil (PID 1 stays 1).
        let vigil_line = format!(
            "exec {} --log-prefix -- sh -c '{child}' 2>{}",
            vigil().display(),
            err.display()
        );
        cmd.args(["sh", "-c", &vigil_line]);
        let out = output_limit(&mut cmd, T);
        let screen = text(&out.stdout);
        let stderr = std::fs::read_to_string(&err).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{mode:?}: {screen:?} {stderr:?}"
        );
        let first = screen.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("/dev/pts/"),
            "{mode:?}: unprefixed, a terminal: {screen:?}"
        );
        assert!(
            screen.contains("\nstdout-is-a-terminal"),
            "{mode:?}: {screen:?}"
        );
        assert!(!screen.contains(" | "), "{mode:?}: {screen:?}");
        let relayed: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.starts_with("vigil: "))
            .collect();
        assert_eq!(relayed, ["sh | to-stderr"], "{mode:?}: {stderr:?}");
    }
);

modes_test!(
    a_child_flooding_a_stdout_nobody_reads_is_dropped_and_reported_and_term_still_ends_it,
    |mode| {
        let tag = tag(&format!("a_child_flooding-{mode:?}"));
        let _leftovers = Leftovers(tag.clone());
        let (py, w) = (python(), writer());
        // vigil's stdout: a pipe whose read end this test holds and never reads.
        let (stalled, stdout) = std::io::pipe().expect("pipe");
        let mut cmd = command(
            mode,
            &[
                "--log-prefix",
                "--name",
                "flood",
                "--",
                &py,
                &w,
                "flood",
                "flood",
                &tag,
            ],
        );
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vigil");
        drop(cmd);
        let (tx, lines) = channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let pid = match mode {
            Mode::Plain => child.id() as i32,
            Mode::Pid1 => common::run::namespace_init(child.id() as i32),
        };
        // The child writes 100 MiB into a pipe of vigil's: vigil keeps
        // reading it (it would block otherwise), and drops it.
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while !seen
            .iter()
            .any(|l: &String| l == "flood | flood wrote 100 MiB")
        {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => seen.push(line),
                Err(_) => panic!("{mode:?}: the flood never reached 100 MiB: {seen:?}"),
            }
        }
        // Bounded: a 64 KiB queue a stream and a 16 KiB read, whatever went by.
        let peak = common::run::proc_status_field(pid, "VmHWM");
        let now = common::run::proc_status_field(pid, "VmRSS");
        assert!(peak < 4096, "{mode:?}: VmHWM {peak} kB, VmRSS {now} kB");
        // The flood goes on; SIGTERM still reaches it, and vigil ends.
        let sent = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
        let status = wait_limit(&mut child, T);
        drop(stalled);
        assert_eq!(status.code(), Some(143), "{mode:?}: {seen:?}");
        let rest: Vec<String> = lines.iter().collect();
        let report = rest
            .iter()
            .chain(&seen)
            .find_map(|l| {
                l.strip_prefix("vigil: 'flood': ")?
                    .strip_suffix(" bytes of output dropped")
            })
            .unwrap_or_else(|| panic!("{mode:?}: no report of dropped output: {seen:?} {rest:?}"));
        let dropped: u64 = report.replace(',', "").parse().expect("a count");
        assert!(dropped >= 99 << 20, "{mode:?}: {report} bytes dropped");
        eprintln!(
            "{mode:?}: VmHWM {peak} kB, VmRSS {now} kB while flooding; {report} bytes dropped"
        );
    }
);

modes_test!(with_nothing_written_the_relay_never_wakes_vigil, |mode| {
    // The pipes are there and quiet, a line begun went out long ago: no
    // timer is left, so vigil sleeps until something happens.
    let helper = common::run::sigrecord().display().to_string();
    let mut v = common::run::start(
        mode,
        &[
            "--log-prefix",
            "--with",
            "side: sh -c 'printf begun; exec sleep 60'",
            "--",
            "python3",
            &helper,
        ],
        &[],
    );
    v.expect_each(&["python3 | ready", "side + begun"], T);
    std::thread::sleep(Duration::from_millis(300));
    let switches = |v: &common::run::Running| {
        v.status_field("voluntary_ctxt_switches") + v.status_field("nonvoluntary_ctxt_switches")
    };
    let before = switches(&v);
    std::thread::sleep(Duration::from_secs(3));
    let woke = switches(&v) - before;
    assert_eq!(woke, 0, "{mode:?}: vigil woke up {woke} times in 3 s");
    v.signal(libc::SIGTERM);
    assert_eq!(v.wait(T), 0, "{mode:?}");
});

modes_test!(
    a_reader_that_pauses_loses_nothing_and_the_writer_waits_for_it,
    |mode| {
        // The reader takes 64 KiB at a time with pauses well under the stall
        // (1 s): vigil's queue fills, the child's pipe is left waiting (and the
        // child with it), and each time the reader catches up vigil reads on.
        // Lines of 64 bytes written 64 KiB at a time leave no line begun whose
        // timer would call vigil back: a pipe left waiting raises no SIGIO, and
        // vigil once slept there forever (fixed before the first landing).
        let tag = tag(&format!("a_reader_that_pauses-{mode:?}"));
        let _leftovers = Leftovers(tag.clone());
        let (py, w) = (python(), writer());
        let lines = 40_000; // 2.5 MB
        let n = lines.to_string();
        let mut cmd = command(
            mode,
            &[
                "--log-prefix",
                "--name",
                "app",
                "--",
                &py,
                &w,
                "app",
                "aligned",
                &n,
                &tag,
            ],
        );
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vigil");
        let mut stderr = child.stderr.take().expect("stderr");
        let errors = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
            s
        });
        let mut stdout = child.stdout.take().expect("stdout");
        let (tx, done) = channel();
        std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 64 << 10];
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(2) {
                std::thread::sleep(Duration::from_millis(30));
                match std::io::Read::read(&mut stdout, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            // Then all the rest at once.
            let _ = std::io::Read::read_to_end(&mut stdout, &mut got);
            let _ = tx.send(got);
        });
        let Ok(got) = done.recv_timeout(T) else {
            let _ = child.kill();
            panic!("{mode:?}: vigil stopped relaying: its stdout never ended");
        };
        let status = wait_limit(&mut child, T);
        let stderr = errors.join().expect("stderr reader");
        assert_eq!(status.code(), Some(0), "{mode:?}: {stderr}");
        assert!(!stderr.contains("dropped"), "{mode:?}: {stderr}");
        let got = text(&got);
        let mut count = 0;
        for (i, line) in got.lines().enumerate() {
            let mut want = format!("app | app aligned {i} ").into_bytes();
            want.resize(6 + 63, b'.');
            assert!(line.as_bytes() == &want[..], "{mode:?}: line {i}: {line:?}");
            count += 1;
        }
        assert_eq!(count, lines, "{mode:?}");
    }
);
