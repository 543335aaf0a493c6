//! Processes: fork/exec of the child with its start-up state restored, waitpid
//! decoding, prctl, and the small identity calls (getpid, process groups, ttys).

use alloc::borrow::ToOwned;
use alloc::ffi::CString;
use alloc::string::String;
use alloc::vec::Vec;
use core::ffi::{CStr, c_char};
use core::ptr::null;

use super::env::Envp;
use super::errno::{Errno, Result, check};
use super::fd::Fd;
use super::sigwait::{Mask, set_mask};

/// How to start the child.
pub struct Spawn<'a> {
    /// argv; `argv[0]` is looked up in PATH as execvp(3) does.
    pub argv: &'a [CString],
    /// Put the child in its own process group (and hand it the terminal, below).
    pub new_group: bool,
    /// With `new_group`: make the child's group the terminal's foreground group.
    pub take_terminal: bool,
    /// The signal mask the child starts with: the one vigil was started with.
    pub mask: Mask,
    /// The identity to switch to before exec (`--user`), resolved beforehand.
    pub creds: Option<&'a Creds>,
    /// Set PR_SET_NO_NEW_PRIVS before exec.
    pub no_new_privs: bool,
    /// vigil was started with SIGCHLD ignored and reset it for itself: the
    /// child gets it ignored again, as it would have inherited it.
    pub ignore_chld: bool,
    /// The child's whole environment, built for this start.
    pub env: &'a Envp,
    /// The directory the child enters first, as vigil's own user (before
    /// any `--user` switch): the caller's, once vigil has left it for `/`;
    /// `None`: stay in vigil's.
    pub cwd: Option<&'a CStr>,
    /// stdin, stdout and stderr on /dev/null (an `exec:` probe's command),
    /// not vigil's own.
    pub quiet: bool,
    /// The fds to give the child as its stdout and stderr (`--log-prefix`'s
    /// pipes); -1: vigil's own.
    pub output: [i32; 2],
}

/// A user to become: ids and supplementary groups, plus HOME when known
/// (which the caller puts in `Spawn::env`).
#[derive(Debug, PartialEq, Eq)]
pub struct Creds {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub home: Option<CString>,
}

/// Why the child could not start.
pub enum SpawnError {
    Fork(Errno),
    /// No candidate of the PATH search exists (ENOENT, ENOTDIR): exit 127.
    NotFound(Errno),
    /// The kernel cannot execute the file (ENOEXEC: a script without a `#!`
    /// line) and there is no `/bin/sh` to run it with.
    NotAProgram(Errno),
    /// execvp failed in the child otherwise; the error is its errno.
    Exec(Errno),
    /// A step of the privilege drop failed in the child (named by the
    /// `&str`: setgroups, setgid, setuid, ...); nothing was exec'd.
    Creds(&'static str, Errno),
    /// The child could not enter `Spawn::cwd`; nothing was exec'd.
    Chdir(Errno),
}

impl SpawnError {
    /// The errno, whichever step failed.
    pub fn errno(&self) -> Errno {
        match *self {
            SpawnError::Fork(e)
            | SpawnError::NotFound(e)
            | SpawnError::NotAProgram(e)
            | SpawnError::Exec(e)
            | SpawnError::Creds(_, e)
            | SpawnError::Chdir(e) => e,
        }
    }

    /// What exec's errno means (execve(2)).
    fn of_exec(e: Errno) -> SpawnError {
        match e.0 {
            libc::ENOENT | libc::ENOTDIR => SpawnError::NotFound(e),
            libc::ENOEXEC => SpawnError::NotAProgram(e),
            _ => SpawnError::Exec(e),
        }
    }
}

/// What `fork` returns on each side.
pub(crate) enum Forked {
    /// This is the new process.
    Child,
    /// This is the caller; the child's pid.
    Parent(i32),
}

/// fork(2).
///
/// # Safety
/// The process must be single-threaded. The child gets only the calling
/// thread: a lock another thread held (the heap's, a buffer's) would stay
/// locked in it forever, and the child may run any code, not only what
/// POSIX calls async-signal-safe. vigil never starts a thread; a unit test
/// that forks does so in a process of its own (see this file's tests).
// Inlined into its two callers: 32 B less in the static binary than a call.
#[inline(always)]
pub(crate) unsafe fn fork() -> Result<Forked> {
    // SAFETY: the caller guarantees the process is single-threaded.
    match unsafe { libc::fork() } {
        -1 => Err(Errno::last()),
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(pid)),
    }
}

/// A step of the child's start that can fail. The one that fails is sent
/// back through the error pipe with its errno, and the child never execs.
/// The privilege drop's steps come first, so that they index their names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Step {
    Setgroups,
    Setgid,
    Setuid,
    NoNewPrivs,
    Chdir,
    Exec,
}

impl Step {
    /// The privilege drop's steps, as `SpawnError::Creds` names them.
    const CREDS: [&str; 4] = ["setgroups", "setgid", "setuid", "no_new_privs"];

    /// The `SpawnError` for the step the pipe named (as a number) and its errno.
    fn error(step: i32, err: Errno) -> SpawnError {
        match Step::CREDS.get(step as usize) {
            Some(name) => SpawnError::Creds(name, err),
            None if step == Step::Chdir as i32 => SpawnError::Chdir(err),
            None => SpawnError::of_exec(err),
        }
    }
}

/// Forks and execs. Returns only once the child has exec'd (or failed to: the
/// error comes back through a close-on-exec pipe), so nothing is half-started.
pub fn spawn(req: &Spawn) -> core::result::Result<i32, SpawnError> {
    let mut ptrs: Vec<*const c_char> = Vec::with_capacity(req.argv.len() + 1);
    ptrs.extend(req.argv.iter().map(|a| a.as_ptr()));
    ptrs.push(null());
    // The child's PATH, as `env PATH=... PROGRAM` would search it.
    let candidates = req
        .argv
        .first()
        .map(|p| search_path(p, req.env.var("PATH")))
        .unwrap_or_default();
    let mut pipe = [0i32; 2];
    // SAFETY: pipe2 writes two fds into our 2-element array.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(SpawnError::Fork(Errno::last()));
    }
    let [read_end, write_end] = pipe;
    // SAFETY: vigil never starts a thread (fork's contract).
    let pid = match unsafe { fork() } {
        // SAFETY: this is the child just forked; `ptrs` is a NULL-terminated
        // array of pointers into `req.argv`, which outlives this call, and
        // `req.env`'s array is NULL-terminated and points to strings it keeps
        // alive (see `Envp`); `write_end` is the pipe's write end.
        Ok(Forked::Child) => unsafe { start_child(req, &candidates, &ptrs, write_end) },
        Ok(Forked::Parent(pid)) => pid,
        Err(e) => {
            // SAFETY: closing both ends, which we own.
            unsafe {
                libc::close(write_end);
                libc::close(read_end);
            }
            return Err(SpawnError::Fork(e));
        }
    };
    // SAFETY: closing the write end we own; the child has its own copy.
    unsafe { libc::close(write_end) };
    if req.new_group {
        // Both sides call setpgid: whichever runs first wins the race, so a
        // signal to the group never finds it missing. EACCES after exec is fine.
        // SAFETY: plain integers.
        unsafe { libc::setpgid(pid, pid) };
    }
    let mut msg = [0i32; 2];
    let n = loop {
        // SAFETY: reads at most 8 bytes into a local [i32; 2].
        let n = unsafe { libc::read(read_end, msg.as_mut_ptr().cast(), 8) };
        if n >= 0 || !Errno::last().interrupted() {
            break n;
        }
    };
    // SAFETY: closing the read end we own.
    unsafe { libc::close(read_end) };
    if n == 8 {
        // SAFETY: reaping the child we just forked; a null status pointer is allowed.
        unsafe { libc::waitpid(pid, core::ptr::null_mut(), 0) };
        return Err(Step::error(msg[0], Errno(msg[1])));
    }
    Ok(pid)
}

/// The child's side of `spawn`, from fork to exec. Fails closed: the first
/// step that fails is written to `report` with its errno, and the child
/// `_exit`s 127 without exec'ing. The directory first, so a child that
/// cannot enter it never takes the terminal. Groups before gid before uid,
/// since after setuid we no longer may (setgroups(2), setuid(2)). Raw
/// syscalls: musl's wrappers synchronise threads we do not have.
///
/// # Safety
/// Only in the child `spawn` just forked (single-threaded: see `fork`).
/// `argv` and the environment's array are NULL-terminated arrays of pointers
/// to C strings that live until the exec; `report` is the error pipe's
/// write end.
unsafe fn start_child(
    req: &Spawn,
    candidates: &[CString],
    argv: &[*const c_char],
    report: i32,
) -> ! {
    // SAFETY: per this function's contract: every pointer passed below is a
    // live C string or array (`req.cwd`, `req.creds`' groups, argv, the
    // environment, a literal); all other arguments are plain integers.
    unsafe {
        // `Exec`: no step has failed, exec comes next.
        let mut step = Step::Exec;
        if req.cwd.is_some_and(|dir| libc::chdir(dir.as_ptr()) != 0) {
            step = Step::Chdir;
        } else if req.new_group {
            libc::setpgid(0, 0);
            if req.take_terminal {
                // SIGTTOU is still blocked here, so a background caller may do this.
                libc::tcsetpgrp(0, libc::getpid());
            }
        }
        if let Some(c) = req.creds.filter(|_| step == Step::Exec) {
            if libc::syscall(libc::SYS_setgroups, c.groups.len(), c.groups.as_ptr()) != 0 {
                step = Step::Setgroups;
            } else if libc::syscall(libc::SYS_setgid, c.gid) != 0 {
                step = Step::Setgid;
            } else if libc::syscall(libc::SYS_setuid, c.uid) != 0 {
                step = Step::Setuid;
            }
        }
        if step == Step::Exec
            && req.no_new_privs
            && libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
        {
            step = Step::NoNewPrivs;
        }
        for (to, &fd) in (1..).zip(&req.output) {
            if fd >= 0 {
                libc::dup2(fd, to);
            }
        }
        if req.quiet {
            quiet_stdio();
        }
        let err = if step == Step::Exec {
            if req.ignore_chld {
                libc::signal(libc::SIGCHLD, libc::SIG_IGN);
            }
            set_mask(req.mask);
            exec_searching(candidates, argv, req.env.as_ptrs())
        } else {
            Errno::last()
        };
        let msg = [step as i32, err.0];
        libc::write(report, msg.as_ptr().cast(), 8);
        libc::_exit(127)
    }
}

/// stdin, stdout and stderr on /dev/null.
///
/// # Safety
/// Only in a forked child about to exec: it replaces fds 0 to 2.
unsafe fn quiet_stdio() {
    // SAFETY: a literal C string and plain integers.
    unsafe {
        let null = libc::syscall(
            libc::SYS_openat,
            libc::AT_FDCWD,
            c"/dev/null".as_ptr(),
            libc::O_RDWR,
        ) as i32;
        for fd in 0..3 {
            libc::dup2(null, fd);
        }
    }
}

/// A probe running in a forked child: its pid, and the read end of the pipe
/// its one-line report comes back through.
pub struct ProbeChild {
    pub pid: i32,
    report: Fd,
}

/// The most of a probe's report vigil reads back.
const REPORT_MAX: usize = 512;

impl ProbeChild {
    /// The report, once the child has been reaped (empty if it wrote none).
    pub fn report(&self) -> String {
        let mut buf = [0u8; REPORT_MAX];
        // The fd is non-blocking, and the writer is gone once the child is reaped.
        let n = self.report.read(&mut buf).unwrap_or(0);
        let report = buf.get(..n).unwrap_or_default();
        String::from_utf8_lossy(report).trim_end().to_owned()
    }
}

/// Runs `probe` in a forked child with the signal mask `mask`, so PID 1 never
/// blocks on a network peer. The child writes what `probe` returns (at most
/// 512 bytes) into a pipe, never to stdout, and `_exit`s 0 when it passed, 1
/// when not. The caller learns the end by reaping the pid.
pub fn fork_probe(mask: Mask, probe: impl FnOnce() -> (bool, String)) -> Result<ProbeChild> {
    let mut pipe = [0i32; 2];
    // SAFETY: pipe2 writes two fds into our 2-element array.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(Errno::last());
    }
    // Both fds were just created and nothing else owns them.
    let (read_end, write_end) = (Fd::own(pipe[0]), Fd::own(pipe[1]));
    // SAFETY: vigil never starts a thread (fork's contract): the child may run
    // any code (the probe allocates and opens sockets).
    let pid = match unsafe { fork() }? {
        // SAFETY: this is the child just forked; `write_end` is the pipe's
        // write end, which the child owns a copy of.
        Forked::Child => unsafe { probe_child(mask, probe, write_end.raw()) },
        Forked::Parent(pid) => pid,
    };
    // Both sides call setpgid, as in `spawn`: whichever runs first wins.
    // SAFETY: plain integers.
    unsafe { libc::setpgid(pid, pid) };
    Ok(ProbeChild {
        pid,
        report: read_end,
    })
}

/// The child's side of `fork_probe`: its own process group, before any
/// signal is unblocked (a terminal's ^C goes to the foreground group, and
/// must not kill a probe that shares vigil's: the watchdog would count a
/// failure), then the probe, its report into `report`, and `_exit`: 0 when
/// it passed, 1 when not. It leaves only through `_exit`, so no destructor
/// or atexit handler of vigil's runs twice.
///
/// # Safety
/// Only in the child `fork_probe` just forked (single-threaded: see `fork`);
/// `report` is the pipe's write end.
unsafe fn probe_child(mask: Mask, probe: impl FnOnce() -> (bool, String), report: i32) -> ! {
    // SAFETY: plain integers.
    unsafe { libc::setpgid(0, 0) };
    set_mask(mask);
    let (ok, text) = probe();
    let bytes = &text.as_bytes()[..text.len().min(REPORT_MAX)];
    // SAFETY: writes from a live buffer of the given length into our pipe
    // (64 KiB of buffer: never blocks), then ends the process at once.
    unsafe {
        libc::write(report, bytes.as_ptr().cast(), bytes.len());
        libc::_exit(if ok { 0 } else { 1 })
    }
}

/// Sends SIGKILL to `pid` and waits for it: for a probe child that must not
/// outlive its reason (bounded: SIGKILL cannot be caught).
pub fn kill_and_reap(pid: i32) {
    // SAFETY: plain integers; a null status pointer is allowed.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, core::ptr::null_mut(), 0);
    }
}

pub fn getpid() -> i32 {
    // SAFETY: getpid cannot fail and has no memory effects.
    unsafe { libc::getpid() }
}

/// The parent's pid (0 for a PID-namespace init started from outside it).
pub fn getppid() -> i32 {
    // SAFETY: getppid cannot fail and has no memory effects.
    unsafe { libc::getppid() }
}

/// Makes orphaned descendants reparent to us instead of to the namespace's init.
pub fn set_child_subreaper() -> Result<()> {
    // SAFETY: prctl with integer arguments only.
    check(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }).map(drop)
}

/// Asks the kernel to send us `sig` when our parent dies.
pub fn set_parent_death_signal(sig: i32) -> Result<()> {
    // SAFETY: prctl with integer arguments only.
    check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong, 0, 0, 0) }).map(drop)
}

/// True when stdin is a terminal whose foreground process group is ours: only
/// then may the child's new group take the terminal over.
pub fn stdin_terminal_is_ours() -> bool {
    // SAFETY: isatty, tcgetpgrp and getpgrp take integers and only read state.
    unsafe { libc::isatty(0) == 1 && libc::tcgetpgrp(0) == libc::getpgrp() }
}

/// Closes every fd from 3 up but `keep`: vigil's copies of what it inherited
/// for the child, so it holds no pipe, socket or file open for the child's
/// lifetime. `keep` lists vigil's own fds (its I/O sources), which stay.
pub fn close_fds_from_3_except(keep: impl Iterator<Item = i32> + Clone) {
    let mut first = 3;
    // The gaps between the kept fds, lowest first (no sort: a few fds).
    loop {
        let kept = keep.clone().filter(|&fd| fd >= first).min();
        close_range(first, kept.map_or(i32::MAX, |fd| fd - 1));
        match kept {
            Some(fd) => first = fd + 1,
            None => return,
        }
    }
}

fn close_range(first: i32, last: i32) {
    if first > last {
        return;
    }
    // SAFETY: close_range takes integers. It closes fds we inherited and no Rust
    // object owns (the ones vigil owns are not in the range).
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first as u32, last as u32, 0u32) };
    if rc == 0 {
        return;
    }
    // Kernels before 5.9: list /proc/self/fd first, then close, so the listing's
    // own fd is closed before we touch the numbers.
    let close = |fd: i32| {
        // SAFETY: as above; EBADF for an fd that is not open is harmless.
        unsafe { libc::close(fd) };
    };
    match super::dir::numbers(c"/proc/self/fd") {
        Ok(fds) => fds
            .into_iter()
            .filter(|fd| (first..=last).contains(fd))
            .for_each(close),
        Err(_) => (first..=last.min(1023)).for_each(close),
    }
}

/// Where execvp(3) would look for `program`: the name itself when it holds a
/// `/`, else each directory of `path` in order (musl's default PATH when it
/// is unset; an empty entry is the working directory). Built before fork.
fn search_path(program: &CString, path: Option<&[u8]>) -> Vec<CString> {
    let name = program.as_bytes();
    if name.contains(&b'/') || name.is_empty() {
        return alloc::vec![program.clone()];
    }
    let path = path.unwrap_or(b"/usr/local/bin:/bin:/usr/bin");
    let mut candidates = Vec::new();
    for dir in path.split(|&b| b == b':') {
        // Sized once (dir, '/', name, NUL): vigil's heap has a block per
        // power of two, so each regrowth would take another.
        let mut full = Vec::with_capacity(dir.len() + name.len() + 2);
        full.extend_from_slice(dir);
        if !dir.is_empty() {
            full.push(b'/');
        }
        full.extend_from_slice(name);
        candidates.extend(CString::new(full).ok());
    }
    candidates
}

/// execvp(3) as POSIX describes it, the same on musl and glibc: tries each
/// candidate in turn, skipping those that do not exist or may not be run
/// (EACCES is kept for the error), and runs a file the kernel cannot execute
/// (ENOEXEC: a script without a `#!` line) with `/bin/sh`, as glibc and
/// tini-static do. Returns only on failure: ENOEXEC when there is no
/// `/bin/sh` (a FROM scratch image), or what the kernel said.
///
/// # Safety
/// Only in the forked child. `argv` and `envp` are NULL-terminated arrays of
/// pointers to C strings that live until the exec.
unsafe fn exec_searching(
    candidates: &[CString],
    argv: &[*const c_char],
    envp: &[*const c_char],
) -> Errno {
    let mut denied = false;
    for path in candidates {
        // SAFETY: per the contract; `path` is a C string.
        unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
        let err = Errno::last();
        match err.0 {
            libc::ENOEXEC => {
                let mut with_sh = alloc::vec![c"sh".as_ptr(), path.as_ptr()];
                with_sh.extend_from_slice(argv.get(1..).unwrap_or_default());
                // SAFETY: `with_sh` keeps argv's NULL terminator at its end;
                // every pointer is a live C string.
                unsafe { libc::execve(c"/bin/sh".as_ptr(), with_sh.as_ptr(), envp.as_ptr()) };
                return err;
            }
            libc::EACCES => denied = true,
            libc::ENOENT | libc::ENOTDIR => {}
            _ => return err,
        }
    }
    Errno(if denied { libc::EACCES } else { libc::ENOENT })
}

/// Ends the process at once with SIGABRT (abort(3)), for a bug: musl's abort
/// unblocks SIGABRT and restores its default action first.
pub fn abort() -> ! {
    // SAFETY: abort takes nothing and never returns.
    unsafe { libc::abort() }
}

/// Ends the process at once with `status` (_exit(2)): no destructor, no
/// atexit handler, no flushing.
pub fn exit_now(status: i32) -> ! {
    // SAFETY: _exit takes an integer and never returns.
    unsafe { libc::_exit(status) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::env::Envp;
    use crate::sys::signal::Signal;
    use crate::sys::wait::ExitStatus;

    /// Set only in the environment of the run of this test binary that
    /// `a_forked_childs_statuses_decode_as_it_ended` starts.
    const FORK_RUN: &CStr = c"VIGIL_TEST_FORK_RUN";

    // fork's contract is a single-threaded process, and the test harness runs
    // tests on threads of one process (whose children, signal mask and
    // SIGCHLD disposition they share). So the forking happens in a run of
    // this binary of its own, in an ELF constructor, before the harness's
    // main starts a thread; it writes what it saw and exits there.
    // SAFETY: the constructor takes no arguments and returns, as
    // `.init_array` entries must, and touches nothing another constructor
    // may be setting up (it reads the environment, which is ready).
    #[used]
    #[unsafe(link_section = ".init_array")]
    static FORK_RUN_HOOK: extern "C" fn() = fork_run;

    extern "C" fn fork_run() {
        // SAFETY: getenv with a C string literal, before any thread exists.
        if unsafe { libc::getenv(FORK_RUN.as_ptr()) }.is_null() {
            return;
        }
        let line = alloc::format!(
            "{:?} {:?}\n",
            status_of(&[c"sh", c"-c", c"exit 42"]),
            status_of(&[c"sh", c"-c", c"kill -9 $$"]),
        );
        // SAFETY: writes a live buffer to stdout, then ends this process
        // before the harness ever runs.
        unsafe {
            libc::write(1, line.as_ptr().cast(), line.len());
            libc::_exit(0)
        }
    }

    /// Spawns `words` (fork, exec) and decodes how it ended.
    fn status_of(words: &[&CStr]) -> core::result::Result<ExitStatus, String> {
        let argv: Vec<CString> = words.iter().map(|w| (*w).to_owned()).collect();
        let env = Envp::inherited();
        let pid = spawn(&Spawn {
            argv: &argv,
            new_group: false,
            take_terminal: false,
            mask: Mask(0),
            creds: None,
            no_new_privs: false,
            ignore_chld: false,
            env: &env,
            cwd: None,
            quiet: false,
            output: [-1, -1],
        })
        .map_err(|e| alloc::format!("spawn: {}", e.errno()))?;
        let mut raw = 0;
        // SAFETY: waits for the child just spawned, writing into a local i32.
        if unsafe { libc::waitpid(pid, &mut raw, 0) } != pid {
            return Err(alloc::format!("waitpid: {}", Errno::last()));
        }
        Ok(ExitStatus::from_raw(raw))
    }

    #[test]
    fn a_forked_childs_statuses_decode_as_it_ended() {
        let me = std::env::current_exe().expect("the test binary's path");
        let out = std::process::Command::new(me)
            .env("VIGIL_TEST_FORK_RUN", "1")
            .output()
            .expect("run the test binary");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            alloc::format!(
                "{:?} {:?}\n",
                Ok::<_, String>(ExitStatus::Exited(42)),
                Ok::<_, String>(ExitStatus::Signaled(Signal::KILL))
            ),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{:?}", out.status);
    }
}
