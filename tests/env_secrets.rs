//! Environment and secrets: `--env-file`, `--secret` and `--file-env` give
//! PROGRAM and the sidecars their variables, in their order of precedence,
//! read as vigil's own user before `--user` and again at each restart. A file
//! that cannot be used stops vigil before anything starts, naming option,
//! variable and path; no line vigil writes holds a value it read, and vigil's
//! own environment holds none.

mod common;
#[path = "common/http_server.rs"]
mod http_server;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::run::{Mode, command, modes_test};
use common::{output_limit, text, wait_limit};

const T: Duration = Duration::from_secs(20);

/// The value every test's secret holds: it must never be printed.
const SECRET: &str = "s3cr3t-V4lue-9f1c";

/// A directory of files for one test, removed when dropped.
struct Files(PathBuf);

impl Files {
    fn new(test: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("vigil-envs-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        // Others (--user 65534) may enter it, not list it.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711)).expect("chmod");
        Files(dir)
    }

    /// Writes `body` to `name` with `mode`; returns its path.
    fn put(&self, name: &str, body: &[u8], mode: u32) -> String {
        let path = self.0.join(name);
        let tmp = self.0.join(format!("{name}.tmp"));
        std::fs::write(&tmp, body).expect("write a test file");
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode)).expect("chmod");
        // Renamed into place: a vigil reading it sees the old or the new file whole.
        std::fs::rename(&tmp, &path).expect("rename into place");
        path.display().to_string()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(mode: Mode, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = command(mode, args);
    cmd.envs(envs.iter().copied());
    output_limit(&mut cmd, T)
}

modes_test!(
    env_files_secrets_and_file_env_set_the_variables_of_program_and_sidecars_in_order,
    |mode| {
        let f = Files::new(&format!("order-{mode:?}"));
        let a = f.put(
        "a.env",
        b"# a comment\n\n  INHERITED=from a\nLATER=from a\nWON=from a\nSPACED= x 'y' ${NOPE} \nBARE_SET\nBARE_UNSET\nEMPTY=\r\n",
        0o600,
    );
        let b = f.put("b.env", b"LATER=from b\nWON=from b\n", 0o600);
        let won = f.put("won", b"two\n\n", 0o600);
        let from_file = f.put("from_file", b"ff\n", 0o600);
        // A script file: vigil expands `${...}` in a --with line, not sh's `${X-y}`.
        let script = f.put(
        "show.sh",
        b"[ \"$1\" = main ] && sleep 0.5\n\
          printf '%s:[%s][%s][%s][%s][%s][%s][%s][%s][%s][%s]\\n' \"$1\" \"$INHERITED\" \"$LATER\" \
          \"$WON\" \"$SPACED\" \"$BARE_SET\" \"${BARE_UNSET-unset}\" \"${EMPTY-unset}\" \"$FROMFILE\" \
          \"${FILE__FROMFILE-unset}\" \"$KEPT\"\n\
          [ \"$1\" = side ] && exec sleep 30\n\
          exit 0\n",
        0o644,
    );
        let side = format!("sh {script} side");
        let want = |who: &str| {
            format!(
                "{who}:[from a][from b][two\n][ x 'y' ${{NOPE}} ][caller][unset][][ff][unset][kept]\n"
            )
        };
        for via_env in [false, true] {
            let mut args: Vec<&str> = Vec::new();
            let mut envs = vec![
                ("INHERITED", "from the environment"),
                ("BARE_SET", "caller"),
                ("KEPT", "kept"),
                ("FILE__FROMFILE", from_file.as_str()),
            ];
            let secret = format!("WON={won}");
            let files = format!("{a},{b}");
            if via_env {
                envs.extend([
                    ("VIGIL_ENV_FILE", files.as_str()),
                    ("VIGIL_SECRET", secret.as_str()),
                    ("VIGIL_FILE_ENV", "1"),
                    ("VIGIL_WITH", side.as_str()),
                ]);
            } else {
                args.extend(["--env-file", &a, "--env-file", &b, "--secret", &secret]);
                args.extend(["--file-env", "--with", &side]);
            }
            args.extend(["--", "sh", &script, "main"]);
            let out = run(mode, &args, &envs);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{mode:?} {via_env}: {err}");
            assert_eq!(
                text(&out.stdout),
                want("side") + &want("main"),
                "{mode:?} {via_env}: {err}"
            );
        }
    }
);

modes_test!(
    a_secret_mode_0400_owned_by_root_reaches_a_user_65534_program_that_cannot_read_the_file,
    |mode| {
        let f = Files::new(&format!("user-{mode:?}"));
        let secret = f.put("token", format!("{SECRET}\n").as_bytes(), 0o400);
        let script =
            format!("id -u; printf '%s\\n' \"$TOKEN\"; cat {secret} 2>/dev/null || echo denied");
        let arg = format!("TOKEN={secret}");
        let out = run(
            mode,
            &[
                "--user",
                "65534:65534",
                "--secret",
                &arg,
                "--",
                "sh",
                "-c",
                &script,
            ],
            &[],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{mode:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(
            text(&out.stdout),
            format!("65534\n{SECRET}\ndenied\n"),
            "{mode:?}"
        );
    }
);

/// vigil with stdout read line by line and stderr collected.
struct Lines {
    child: Child,
    stdout: Receiver<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
    seen: Vec<String>,
}

impl Lines {
    fn start(mode: Mode, args: &[&str], envs: &[(&str, &str)]) -> Lines {
        let mut cmd = command(mode, args);
        cmd.envs(envs.iter().copied());
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vigil");
        let (tx, stdout) = channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().expect("stderr");
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        Lines {
            child,
            stdout,
            stderr: Some(stderr),
            seen: Vec::new(),
        }
    }

    fn expect(&mut self, want: &str) {
        let deadline = Instant::now() + T;
        loop {
            match self
                .stdout
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) if line == want => return,
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("no line {want:?}; saw {:?}", self.seen),
            }
        }
    }

    /// The exit code and everything vigil wrote on stderr.
    fn finish(mut self) -> (Option<i32>, String) {
        let status = wait_limit(&mut self.child, T);
        let err = self.stderr.take().map(|h| h.join().expect("stderr reader"));
        (status.code(), err.unwrap_or_default())
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

modes_test!(
    a_rotated_secret_is_read_again_at_each_restart_and_a_vanished_one_fails_that_start,
    |mode| {
        let f = Files::new(&format!("rotate-{mode:?}"));
        let secret = f.put("token", b"one\n", 0o400);
        let arg = format!("TOKEN={secret}");
        let mut v = Lines::start(
            mode,
            &[
                "--restart",
                "always",
                "--max-restarts",
                "10",
                "--secret",
                &arg,
                "--",
                "sh",
                "-c",
                "echo \"v=$TOKEN\"; sleep 0.1",
            ],
            &[],
        );
        v.expect("v=one");
        f.put("token", b"two\n", 0o400);
        v.expect("v=two");
        std::fs::remove_file(&secret).expect("remove the secret");
        let (code, err) = v.finish();
        assert_eq!(code, Some(1), "{mode:?}: {err}");
        let want = format!(
            "vigil: cannot start 'sh': --secret TOKEN={secret}: No such file or directory (os error 2)"
        );
        assert!(err.lines().any(|l| l == want), "{mode:?}: {err}");
    }
);

/// Flags, variables, the exit status, and stderr's lines.
type Case<'a> = (Vec<String>, Vec<(&'a str, String)>, i32, Vec<String>);

modes_test!(every_file_that_cannot_be_used_stops_vigil_before_anything_starts_naming_option_variable_and_path, |mode| {
    let f = Files::new(&format!("errors-{mode:?}"));
    let missing = f.path("missing");
    let dir = f.0.display().to_string();
    let big = f.put("big", &vec![b'x'; 64 * 1024 + 1], 0o400);
    let fits = f.put("fits", &vec![b'x'; 64 * 1024], 0o400);
    let nul = f.put("nul", format!("{SECRET}\0tail").as_bytes(), 0o400);
    let good = f.put("good", SECRET.as_bytes(), 0o400);
    let bad_env = f.put(
        "bad.env",
        format!("OK=1\n{SECRET} stuff\n").as_bytes(),
        0o400,
    );
    let nul_env = f.put("nul.env", format!("PW={SECRET}\0\n").as_bytes(), 0o400);
    let secret = |name: &str, path: &str| format!("{name}={path}");
    let no_such = "No such file or directory (os error 2)";
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        (vec!["--secret".into(), secret("TOKEN", &missing)], vec![], 1,
            vec![format!("vigil: --secret TOKEN={missing}: {no_such}")]),
        (vec![], vec![("VIGIL_SECRET", secret("TOKEN", &missing))], 1,
            vec![format!("vigil: --secret TOKEN={missing}: {no_such}")]),
        (vec!["--secret".into(), secret("TOKEN", &dir)], vec![], 1,
            vec![format!("vigil: --secret TOKEN={dir}: Is a directory (os error 21)")]),
        (vec!["--secret".into(), secret("TOKEN", &big)], vec![], 1,
            vec![format!("vigil: --secret TOKEN={big}: larger than 64 KiB")]),
        (vec!["--secret".into(), secret("TOKEN", &nul)], vec![], 1,
            vec![format!("vigil: --secret TOKEN={nul}: holds a NUL byte")]),
        (vec!["--env-file".into(), missing.clone()], vec![], 1,
            vec![format!("vigil: --env-file {missing}: {no_such}")]),
        (vec!["--env-file".into(), big.clone()], vec![], 1,
            vec![format!("vigil: --env-file {big}: larger than 64 KiB")]),
        (vec!["--env-file".into(), bad_env.clone()], vec![], 2,
            vec![format!("vigil: --env-file {bad_env}: line 2 is not KEY=VALUE, KEY or a # comment")]),
        (vec!["--env-file".into(), nul_env.clone()], vec![], 1,
            vec![format!("vigil: --env-file {nul_env}: line 1: the value of PW holds a NUL byte")]),
        (vec!["--secret".into(), secret("TOKEN", &good)], vec![("TOKEN", "direct".into())], 2,
            vec!["vigil: both TOKEN and --secret TOKEN are set (use one)".into()]),
        (vec!["--file-env".into()], vec![("DB", "direct".into()), ("FILE__DB", good.clone())], 2,
            vec!["vigil: both DB and FILE__DB are set (use one)".into()]),
        (vec!["--file-env".into(), "--secret".into(), secret("DB", &good)],
            vec![("FILE__DB", good.clone())], 2,
            vec!["vigil: both --secret DB and FILE__DB are set (use one)".into()]),
        (vec!["--file-env".into()], vec![("FILE__DB", missing.clone())], 1,
            vec![format!("vigil: FILE__DB={missing}: {no_such}")]),
        (vec!["--secret".into(), "TOKEN".into()], vec![], 2,
            vec!["vigil: --secret: invalid 'TOKEN' (use NAME=PATH, e.g. DB_PASSWORD=/run/secrets/db)".into()]),
        (vec!["--env-file".into(), "".into()], vec![], 2,
            vec!["vigil: --env-file: empty path".into()]),
    ];
    for (args, envs, code, want) in &cases {
        let marker = f.path("started");
        let touch = format!("touch {marker}");
        let side = format!("touch {marker}");
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend(["--with", &side, "--", "sh", "-c", &touch]);
        let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let out = run(mode, &all, &envs);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{mode:?} {args:?}: {err}");
        assert_eq!(err.lines().collect::<Vec<_>>(), *want, "{mode:?} {args:?}");
        assert!(!err.contains(SECRET), "{err}");
        assert!(
            !std::path::Path::new(&marker).exists(),
            "{mode:?} {args:?}: something started"
        );
    }
    // 64 KiB exactly fits.
    let arg = secret("BIG", &fits);
    let out = run(
        mode,
        &[
            "--secret",
            &arg,
            "--",
            "sh",
            "-c",
            "printf %s \"$BIG\" | wc -c",
        ],
        &[],
    );
    assert_eq!(
        text(&out.stdout).trim(),
        "65536",
        "{mode:?}: {}",
        text(&out.stderr)
    );
});

/// The NUL-separated environment of process `pid`.
fn environ(pid: u32) -> Vec<u8> {
    std::fs::read(format!("/proc/{pid}/environ")).expect("read environ")
}

/// The pid whose parent is `parent`, once there is one (vigil under unshare).
fn child_of(parent: u32) -> u32 {
    let deadline = Instant::now() + T;
    loop {
        let children = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
            .unwrap_or_default();
        if let Some(pid) = children.split_whitespace().next() {
            return pid.parse().expect("a pid");
        }
        assert!(Instant::now() < deadline, "{parent} started no child");
        std::thread::sleep(Duration::from_millis(5));
    }
}

modes_test!(
    no_line_vigil_writes_at_any_level_holds_a_value_it_read_nor_does_its_own_environ,
    |mode| {
        let f = Files::new(&format!("unprinted-{mode:?}"));
        let token = f.put("token", format!("{SECRET}\n").as_bytes(), 0o400);
        let env_file = f.put("app.env", format!("PW={SECRET}-env\n").as_bytes(), 0o400);
        // A hostile peer: it echoes the token it was sent in its status line.
        let handler: http_server::Handler = std::sync::Arc::new(|head: &str, conn| {
            let echoed = head.split_whitespace().nth(1).unwrap_or("").to_owned();
            let _ = std::io::Write::write_all(
            conn,
            format!(
                "HTTP/1.1 503 bad token {echoed}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        );
        });
        let (addr, requests) = http_server::tcp("127.0.0.1", handler);
        let target = format!("http://127.0.0.1:{}/?t=${{TOKEN}}&p=${{PW}}", addr.port());
        let arg = format!("TOKEN={token}");
        let mut cmd = command(
            mode,
            &[
                "-vvv",
                "--secret",
                &arg,
                "--env-file",
                &env_file,
                "--with",
                "sh -c 'sleep 30' ${TOKEN} ${PW}",
                "--wait-for",
                &target,
                "--wait-timeout",
                "1500ms",
                "--",
                "true",
            ],
        );
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vigil");
        let vigil = match mode {
            Mode::Plain => child.id(),
            Mode::Pid1 => child_of(child.id()),
        };
        // While it waits: its own environment has only what it was given.
        std::thread::sleep(Duration::from_millis(500));
        let env = String::from_utf8_lossy(&environ(vigil)).into_owned();
        assert!(
            env.contains("VIGIL_SECRET") || env.contains("PATH="),
            "{env}"
        );
        assert!(
            !env.contains(SECRET),
            "{mode:?}: vigil's environ holds the secret"
        );
        let mut err = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut err)
            .expect("read stderr");
        let status = wait_limit(&mut child, T);
        assert_eq!(status.code(), Some(1), "{mode:?}: {err}");
        assert!(
            !err.contains(SECRET),
            "{mode:?}: a value was printed:\n{err}"
        );
        // The peer did get it, and echoed it: masked, never shown.
        assert!(
            requests.requests().iter().any(|r| r.contains(SECRET)),
            "the probe never sent the token"
        );
        // Both echoes masked: the second was cut short by the 40-byte limit
        // on a reason phrase, and its start is masked too.
        assert!(
            err.contains("503 bad token /?t=***&p=*** "),
            "{mode:?}: {err}"
        );
        // The sidecar by its name, the target as written.
        assert!(err.contains("vigil: started 'sh' (pid "), "{mode:?}: {err}");
        assert!(err.contains("?t=${TOKEN}&p=${PW}"), "{mode:?}: {err}");
    }
);

// Fixed in the commit that keeps vigil's own first word unmasked: a secret
// starting with a state's name ("ready...") masked the state in the health
// line, so `vigil health` read "***" and never passed, and the log said
// "vigil: *** after". The same commit masks --notify's STATUS=, which sent
// the peer's echo as it was.
modes_test!(
    a_secret_starting_with_a_states_name_masks_the_echo_never_the_state,
    |mode| {
        let f = Files::new(&format!("state-word-{mode:?}"));
        let secret = format!("ready-{SECRET}");
        let token = f.put("token", format!("{secret}\n").as_bytes(), 0o400);
        // The peer echoes what it was sent in its reason phrase, and passes.
        let handler: http_server::Handler = std::sync::Arc::new(|head: &str, conn| {
            let echoed = head.split_whitespace().nth(1).unwrap_or("").to_owned();
            let answer = format!(
                "HTTP/1.1 200 {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                echoed.trim_start_matches("/?t=")
            );
            let _ = std::io::Write::write_all(conn, answer.as_bytes());
        });
        let (addr, _requests) = http_server::tcp("127.0.0.1", handler);
        let target = format!("http://127.0.0.1:{}/?t=${{TOKEN}}", addr.port());
        let arg = format!("TOKEN={token}");
        // PROGRAM asks its vigil until ready (5 s at most), then prints the line.
        let ask = "for i in $(seq 50); do \"$@\" health -q && exec \"$@\" health; sleep 0.1; done; \
                   exec \"$@\" health";
        let mut args = vec![
            "--secret", &arg, "--ready", &target, "--", "sh", "-c", ask, "sh",
        ];
        let argv: Vec<String> = common::vigil_argv()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        args.extend(argv.iter().map(String::as_str));
        args.insert(0, "--notify");
        let mut manager = common::notify::Listener::at_path(&f.0);
        let out = run(mode, &args, &[("NOTIFY_SOCKET", &manager.address.clone())]);
        let (said, err) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{mode:?}: {said} {err}");
        assert!(said.starts_with("ready "), "{mode:?}: {said}");
        assert!(said.contains(" 200 *** "), "the echo masked: {said}");
        assert!(err.contains("vigil: ready after "), "{mode:?}: {err}");
        let status = manager.expect("STATUS=ready after *", T).text;
        assert!(status.contains(" 200 *** "), "the echo masked: {status}");
        for shown in [&said, &err, &status] {
            assert!(!shown.contains(&secret[..8]), "{mode:?}: {shown}");
        }
    }
);
