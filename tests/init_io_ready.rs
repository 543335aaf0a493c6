//! How an fd wakes vigil's one wait (`vigil::sys::io_ready`, `sigwait::wait`
//! and `wait_polling`), with real pipes, sockets, an inotify fd and an
//! eventfd. Signal-driven I/O sets process-wide state (the signal mask, the
//! SIGIO owner), so this is a test binary of its own without the threaded
//! harness (`harness = false`): `main` blocks every signal, as vigil's entry
//! point does, and runs each check in turn; a failed check panics.

use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use vigil::sys::fd::{self, Fd};
use vigil::sys::io_ready::{self, PollFd};
use vigil::sys::signal::Signal;
use vigil::sys::sigwait::{self, Mask, Woken};

/// Long enough for the kernel to queue a signal on a loaded machine; a
/// check that expects nothing waits this long for it.
const LIMIT: Duration = Duration::from_secs(2);
const QUIET: Duration = Duration::from_millis(200);

fn main() {
    sigwait::block_all();
    let checks: &[(&str, fn())] = &[
        (
            "a_pipe_wakes_the_wait_as_io_ready_with_its_fd",
            a_pipe_wakes_the_wait_as_io_ready_with_its_fd,
        ),
        (
            "a_listening_socket_wakes_on_a_connection",
            a_listening_socket_wakes_on_a_connection,
        ),
        (
            "a_datagram_socket_wakes_on_a_datagram",
            a_datagram_socket_wakes_on_a_datagram,
        ),
        (
            "an_inotify_fd_wakes_on_a_change",
            an_inotify_fd_wakes_on_a_change,
        ),
        (
            "a_hang_up_wakes_as_io_ready_too",
            a_hang_up_wakes_as_io_ready_too,
        ),
        (
            "kill_io_is_a_plain_signal_from_its_sender",
            kill_io_is_a_plain_signal_from_its_sender,
        ),
        (
            "two_ready_fds_queue_one_sigio_and_poll_finds_both",
            two_ready_fds_queue_one_sigio_and_poll_finds_both,
        ),
        ("an_eventfd_raises_no_sigio", an_eventfd_raises_no_sigio),
        (
            "wait_polling_wakes_on_an_eventfd_and_takes_a_signal_first",
            wait_polling_wakes_on_an_eventfd_and_takes_a_signal_first,
        ),
        (
            "the_close_after_the_first_start_keeps_vigils_own_fds",
            the_close_after_the_first_start_keeps_vigils_own_fds,
        ),
    ];
    for (name, check) in checks {
        check();
        assert_nothing_pending(name);
        println!("test {name} ... ok");
    }
    println!("test result: ok. {} passed", checks.len());
}

/// No signal left over from a check (a stray SIGIO would mislead the next).
fn assert_nothing_pending(name: &str) {
    let left = sigwait::wait(Mask::all_blockable(), Some(Duration::ZERO)).expect("wait");
    assert!(left.is_none(), "{name}: left pending: {left:?}");
}

fn wait() -> Option<Woken> {
    sigwait::wait(Mask::all_blockable(), Some(LIMIT)).expect("rt_sigtimedwait")
}

fn io_ready_fd(woken: Option<Woken>) -> i32 {
    match woken {
        Some(Woken::IoReady { fd }) => fd,
        other => panic!("expected I/O ready, got {other:?}"),
    }
}

fn pipe() -> (Fd, Fd) {
    fd::pipe().expect("pipe2")
}

fn a_pipe_wakes_the_wait_as_io_ready_with_its_fd() {
    let (read, write) = pipe();
    io_ready::set_signal_driven(read.raw()).expect("signal-driven");
    assert!(
        sigwait::wait(Mask::all_blockable(), Some(QUIET))
            .expect("wait")
            .is_none(),
        "nothing written: no wake-up"
    );
    write.write_all(b"x").expect("write");
    assert_eq!(io_ready_fd(wait()), read.raw());
    // The read end first: closing the write end would raise SIGIO (POLL_HUP).
    drop(read);
}

fn a_listening_socket_wakes_on_a_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    io_ready::set_signal_driven(listener.as_raw_fd()).expect("signal-driven");
    let _client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    assert_eq!(io_ready_fd(wait()), listener.as_raw_fd());
    // Non-blocking now: the accept takes the connection without waiting.
    listener.accept().expect("accept");
}

fn a_datagram_socket_wakes_on_a_datagram() {
    let (server, client) = UnixDatagram::pair().expect("socketpair");
    io_ready::set_signal_driven(server.as_raw_fd()).expect("signal-driven");
    client.send(b"READY=1").expect("send");
    assert_eq!(io_ready_fd(wait()), server.as_raw_fd());
    drop(server);
}

fn an_inotify_fd_wakes_on_a_change() {
    let path = std::env::temp_dir().join(format!("vigil-io-ready-{}", std::process::id()));
    std::fs::write(&path, "0\n").expect("write");
    let name = std::ffi::CString::new(path.to_str().expect("utf-8")).expect("path");
    let fd = vigil::sys::inotify::watch_modify(&name).expect("inotify");
    io_ready::set_signal_driven(fd.raw()).expect("signal-driven");
    std::fs::write(&path, "1\n").expect("write");
    assert_eq!(io_ready_fd(wait()), fd.raw());
    // The watch first: removing a watched file queues IN_IGNORED.
    drop(fd);
    let _ = std::fs::remove_file(&path);
}

fn a_hang_up_wakes_as_io_ready_too() {
    let (read, write) = pipe();
    io_ready::set_signal_driven(read.raw()).expect("signal-driven");
    drop(write);
    assert_eq!(io_ready_fd(wait()), read.raw());
}

fn kill_io_is_a_plain_signal_from_its_sender() {
    // An fd in signal-driven mode exists; a SIGIO sent with kill(2) is still
    // a signal, with its sender, forwarded like any other.
    let (read, write) = pipe();
    io_ready::set_signal_driven(read.raw()).expect("signal-driven");
    let me = std::process::id() as i32;
    sigwait::kill(me, Signal(libc::SIGIO)).expect("kill");
    match wait() {
        Some(Woken::Signal(r)) => {
            assert_eq!(r.signal, Signal(libc::SIGIO));
            assert_eq!(r.pid, me as u32);
            assert!(!r.from_kernel);
        }
        other => panic!("expected a plain SIGIO, got {other:?}"),
    }
    drop((read, write));
}

fn two_ready_fds_queue_one_sigio_and_poll_finds_both() {
    // SIGIO is a standard signal: pending once, however many fds raise it.
    // That is why the loop polls every source on each I/O-ready wake-up.
    let (first, first_write) = pipe();
    let (second, second_write) = pipe();
    for fd in [&first, &second] {
        io_ready::set_signal_driven(fd.raw()).expect("signal-driven");
    }
    first_write.write_all(b"1").expect("write");
    second_write.write_all(b"2").expect("write");
    assert_eq!(io_ready_fd(wait()), first.raw());
    assert!(
        sigwait::wait(Mask::all_blockable(), Some(QUIET))
            .expect("wait")
            .is_none(),
        "the second SIGIO merged into the first"
    );
    let mut set = [PollFd::input(first.raw()), PollFd::input(second.raw())];
    assert_eq!(io_ready::poll_now(&mut set).expect("poll"), 2);
    assert!(set.iter().all(PollFd::ready));
    drop((first, second));
}

fn an_eventfd_raises_no_sigio() {
    // eventfd's file operations have no fasync: O_ASYNC is taken without an
    // error, and no SIGIO ever comes (fs/eventfd.c, fs/fcntl.c setfl).
    let fd = vigil::sys::eventfd::new().expect("eventfd");
    io_ready::set_signal_driven(fd.raw()).expect("accepted");
    fd.write_all(&1u64.to_ne_bytes()).expect("write");
    assert!(
        sigwait::wait(Mask::all_blockable(), Some(QUIET))
            .expect("wait")
            .is_none(),
        "no SIGIO from an eventfd"
    );
    let mut set = [PollFd::input(fd.raw())];
    assert_eq!(
        io_ready::poll_now(&mut set).expect("poll"),
        1,
        "yet it is readable"
    );
}

fn wait_polling_wakes_on_an_eventfd_and_takes_a_signal_first() {
    let every = Mask::all_blockable();
    let signals = sigwait::signal_fd(every).expect("signalfd");
    let event = vigil::sys::eventfd::new().expect("eventfd");
    let mut set = [PollFd::input(signals.raw()), PollFd::input(event.raw())];
    let quiet = sigwait::wait_polling(every, &mut set, Some(QUIET)).expect("ppoll");
    assert!(quiet.is_none(), "nothing yet: {quiet:?}");
    event.write_all(&1u64.to_ne_bytes()).expect("write");
    let woken = sigwait::wait_polling(every, &mut set, Some(LIMIT)).expect("ppoll");
    assert_eq!(io_ready_fd(woken), event.raw());
    // The eventfd still readable, a signal arrives: the signal comes first,
    // taken from the queue with its sender, as rt_sigtimedwait reports it.
    let me = std::process::id() as i32;
    sigwait::kill(me, Signal(libc::SIGUSR1)).expect("kill");
    match sigwait::wait_polling(every, &mut set, Some(LIMIT)).expect("ppoll") {
        Some(Woken::Signal(r)) => {
            assert_eq!(r.signal, Signal(libc::SIGUSR1));
            assert_eq!(r.pid, me as u32);
        }
        other => panic!("expected SIGUSR1, got {other:?}"),
    }
    let woken = sigwait::wait_polling(every, &mut set, Some(LIMIT)).expect("ppoll");
    assert_eq!(io_ready_fd(woken), event.raw(), "then the fd again");
    vigil::sys::eventfd::take(&event);
}

fn the_close_after_the_first_start_keeps_vigils_own_fds() {
    let (a_read, a_write) = pipe();
    let (b_read, b_write) = pipe();
    let kept = [b_read.raw(), a_write.raw()];
    vigil::sys::process::close_fds_from_3_except(kept.iter().copied());
    let open = |fd: i32| std::fs::read_link(format!("/proc/self/fd/{fd}")).is_ok();
    assert!(kept.iter().all(|&fd| open(fd)), "kept: {kept:?}");
    for fd in [a_read.raw(), b_write.raw()] {
        assert!(!open(fd), "fd {fd} should be closed");
    }
    // Closed already: dropping them would close the numbers again.
    std::mem::forget(a_read);
    std::mem::forget(b_write);
}
