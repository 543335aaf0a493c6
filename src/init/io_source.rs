//! File descriptors that wake the loop (the `vigil health` listener, the
//! sd_notify socket, `--log-prefix` pipes, the OOM event fd): the `Source`
//! each consumer adds a variant to, and the set the loop owns and waits on.
//!
//! How a wake-up comes: an fd whose file type raises SIGIO (sockets, pipes,
//! inotify) is put in signal-driven mode, so the one rt_sigtimedwait the
//! loop sleeps in returns "I/O ready"; while a source without SIGIO exists
//! (an eventfd), the loop waits in ppoll on a signalfd and those fds instead.
//! Either way, the loop then polls every source with a zero timeout and gives
//! each ready one a bounded turn.

use alloc::vec::Vec;
use core::time::Duration;

use super::event::{Event, Mono, Work};
use super::log_prefix::Relay;
use super::machine::Machine;
use super::oom_watch::OomWatch;
use crate::sys::errno::Result;
use crate::sys::fd::Fd;
use crate::sys::io_ready::{self, PollFd};
use crate::sys::sigwait::{self, Mask, Woken};

/// A file descriptor of vigil's that wakes the loop, and its bounded work.
/// A consumer adds a variant holding its own type (defined in its own file)
/// and an arm in each of the three methods below. An enum, not a trait: no
/// vtables, and with no variant the code that drives sources compiles away.
pub enum Source {
    /// The `vigil health` listener (`health_listener.rs`).
    Health(super::health_listener::HealthListener),
    /// vigil's memory cgroup's OOM notifications (`oom_watch.rs`).
    Oom(OomWatch),
    /// vigil's own sd_notify socket for PROGRAM (`notify_receiver.rs`).
    Notify(super::notify_receiver::NotifyReceiver),
    /// A process's stdout or stderr under `--log-prefix` (`log_prefix.rs`).
    Output(Relay),
    /// A pipe's read end, read a few bytes a turn (test builds only).
    #[cfg(test)]
    TestPipe(tests::Pipe),
}

impl Source {
    /// The fd: vigil's own, close-on-exec (the close of inherited fds after
    /// PROGRAM's first start keeps it).
    pub fn fd(&self) -> i32 {
        match *self {
            Source::Health(ref listener) => listener.fd(),
            Source::Oom(ref watch) => watch.fd(),
            Source::Notify(ref receiver) => receiver.fd(),
            Source::Output(ref relay) => relay.fd(),
            #[cfg(test)]
            Source::TestPipe(ref pipe) => pipe.fd(),
        }
    }

    /// Whether its file type raises SIGIO in signal-driven mode (sockets,
    /// pipes, inotify: `io_ready::set_signal_driven`). An eventfd does not;
    /// while such a source exists, the loop waits in ppoll.
    pub fn raises_sigio(&self) -> bool {
        match *self {
            Source::Health(_) | Source::Notify(_) => true,
            Source::Oom(ref watch) => watch.raises_sigio(),
            Source::Output(_) => true,
            #[cfg(test)]
            Source::TestPipe(ref pipe) => pipe.raises_sigio,
        }
    }

    /// Its fd is ready (input, hang-up or error), or its last turn said
    /// `More`: do a bounded amount of non-blocking work (e.g. at most 16
    /// accepts, 64 KiB of a pipe). What the machine must learn goes into
    /// `events`, fed to it in order after the turn.
    pub fn service(&mut self, machine: &Machine, now: Mono, events: &mut Vec<Event>) -> Work {
        match *self {
            Source::Health(ref mut listener) => listener.service(machine, now),
            Source::Oom(ref watch) => {
                if watch.take() {
                    events.push(Event::OomNotice);
                }
                Work::Done
            }
            Source::Notify(ref mut receiver) => receiver.service(machine, events),
            Source::Output(ref mut relay) => relay.service(machine, now),
            #[cfg(test)]
            Source::TestPipe(ref mut pipe) => pipe.service(events),
        }
    }

    /// When it wants a turn even if its fd stays quiet (a line begun that
    /// must go out as a piece).
    pub fn deadline(&self) -> Option<Mono> {
        match *self {
            Source::Output(ref relay) => relay.deadline(),
            _ => None,
        }
    }
}

/// One source and whether its last turn left work.
struct Entry {
    source: Source,
    more: bool,
}

/// The sources the loop owns. Empty, it costs nothing: the loop's wait is
/// then exactly `sigwait::wait`.
#[derive(Default)]
pub struct Sources {
    list: Vec<Entry>,
    /// What poll and ppoll watch, once there is a source: a signalfd for
    /// every signal first (fd -1, which poll(2) skips, unless a source without
    /// SIGIO exists), then each source's fd, in the order of `list`.
    set: Vec<PollFd>,
    /// The signalfd in `set[0]`, while a source without SIGIO exists.
    signals: Option<Fd>,
}

impl Sources {
    /// Adds a source: its fd goes into signal-driven mode; if it cannot raise
    /// SIGIO, the loop waits in ppoll from now on, with a signalfd (made once).
    /// It gets a turn before the loop next sleeps.
    pub fn add(&mut self, source: Source) -> Result<()> {
        if self.set.is_empty() {
            self.set.push(PollFd::input(-1));
        }
        if source.raises_sigio() {
            io_ready::set_signal_driven(source.fd())?;
        } else if self.signals.is_none() {
            let signals = sigwait::signal_fd(Mask::all_blockable())?;
            if let Some(first) = self.set.first_mut() {
                *first = PollFd::input(signals.raw());
            }
            self.signals = Some(signals);
        }
        self.set.push(PollFd::input(source.fd()));
        // What came before signal-driven mode raised no SIGIO (a child's
        // first line, written before this): a first turn looks.
        self.list.push(Entry { source, more: true });
        Ok(())
    }

    /// vigil's own fds here: the signalfd, if any, and every source's.
    pub fn own_fds(&self) -> impl Iterator<Item = i32> + Clone + '_ {
        self.set.iter().map(PollFd::fd).filter(|&fd| fd >= 0)
    }

    /// Whether a source's last turn left work.
    pub fn work_left(&self) -> bool {
        self.list.iter().any(|e| e.more)
    }

    /// The first of the sources' deadlines: the loop wakes by then.
    pub fn deadline(&self) -> Option<Mono> {
        self.list.iter().filter_map(|e| e.source.deadline()).min()
    }

    /// The loop's one wait: until a signal in `mask`, an I/O-ready source,
    /// or `timeout` (`None`: forever); no wait at all while work is left.
    pub fn wait(&mut self, mask: Mask, timeout: Option<Duration>) -> Result<Option<Woken>> {
        let timeout = if self.work_left() {
            Some(Duration::ZERO)
        } else {
            timeout
        };
        // Asked of the sources, not of `signals`: with no kind of source
        // that lacks SIGIO, the compiler sees the ppoll path is never taken.
        if self.list.iter().all(|e| e.source.raises_sigio()) {
            sigwait::wait(mask, timeout)
        } else {
            sigwait::wait_polling(mask, &mut self.set, timeout)
        }
    }

    /// One turn for each source that is ready now (a zero-timeout poll), has
    /// work left or is due; drops the ones that finished. Whether any got one.
    pub fn service(
        &mut self,
        machine: &Machine,
        now: Mono,
        events: &mut Vec<Event>,
    ) -> Result<bool> {
        let Some((_, fds)) = self.set.split_first_mut() else {
            return Ok(false);
        };
        io_ready::poll_now(fds)?;
        let mut any = false;
        let mut closed = false;
        for (entry, fd) in self.list.iter_mut().zip(fds.iter_mut()) {
            let due = entry.source.deadline().is_some_and(|at| at <= now);
            if !fd.ready() && !entry.more && !due {
                continue;
            }
            let work = entry.source.service(machine, now, events);
            closed |= entry.done(work, fd);
            any = true;
        }
        if closed {
            self.drop_closed();
        }
        Ok(any)
    }

    /// Drops the sources marked closed (fd -1 in `set`), which closes their
    /// fds; the signalfd goes with the last source without SIGIO.
    fn drop_closed(&mut self) {
        // `set` is the signalfd's entry, then one per source, in order.
        let mut polled = self.set.iter().skip(1);
        self.list
            .retain(|_| polled.next().is_some_and(|p| p.fd() >= 0));
        let mut first = true;
        self.set
            .retain(|p| core::mem::take(&mut first) || p.fd() >= 0);
        if self.list.iter().all(|e| e.source.raises_sigio()) {
            self.signals = None;
            if let Some(first) = self.set.first_mut() {
                *first = PollFd::input(-1);
            }
        }
    }
}

impl Entry {
    /// Notes what a turn left; whether the source finished (its `set`
    /// entry, `fd`, is marked -1 for `drop_closed`).
    fn done(&mut self, work: Work, fd: &mut PollFd) -> bool {
        self.more = work == Work::More;
        if work == Work::Closed {
            *fd = PollFd::input(-1);
        }
        work == Work::Closed
    }
}

#[cfg(test)]
pub(super) mod tests {
    //! The source set with a real socket pair declared to raise no SIGIO, so
    //! no signal-driven mode (and no process-wide signal state) enters the
    //! threaded test harness; tests/init_io_ready.rs drives the SIGIO path in
    //! its own process.

    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    use super::*;
    use crate::init::machine::tests::rules;

    /// A stream's read side as a source: reads at most `BOUND` bytes a turn,
    /// one `Event::Clock` per turn that read something.
    pub struct Pipe {
        stream: UnixStream,
        pub raises_sigio: bool,
    }

    const BOUND: usize = 4;

    impl Pipe {
        pub fn fd(&self) -> i32 {
            self.stream.as_raw_fd()
        }

        pub fn service(&mut self, events: &mut Vec<Event>) -> Work {
            let mut buf = [0u8; BOUND];
            match self.stream.read(&mut buf) {
                Ok(0) => Work::Closed,
                Ok(n) => {
                    events.push(Event::Clock);
                    if n == BOUND { Work::More } else { Work::Done }
                }
                Err(_) => Work::Done, // WouldBlock: nothing after all
            }
        }
    }

    /// A non-blocking source and the stream that writes to it.
    fn pipe() -> (Pipe, UnixStream) {
        let (read, write) = UnixStream::pair().expect("socketpair");
        read.set_nonblocking(true).expect("non-blocking");
        let source = Pipe {
            stream: read,
            raises_sigio: false,
        };
        (source, write)
    }

    fn turn(sources: &mut Sources, machine: &Machine) -> usize {
        let mut events = Vec::new();
        sources
            .service(machine, Mono::ZERO, &mut events)
            .expect("poll");
        events.len()
    }

    #[test]
    fn a_ready_source_gets_bounded_turns_until_its_work_is_done() {
        let machine = Machine::new(rules());
        let mut sources = Sources::default();
        let (source, mut writer) = pipe();
        sources.add(Source::TestPipe(source)).expect("add");
        assert_eq!(turn(&mut sources, &machine), 0, "nothing written yet");
        assert!(!sources.work_left());
        writer.write_all(b"0123456789").expect("write");
        // 4 + 4 + 2 bytes: two turns leave work, the third does not.
        assert_eq!(turn(&mut sources, &machine), 1);
        assert!(sources.work_left());
        assert_eq!(turn(&mut sources, &machine), 1);
        assert!(sources.work_left());
        assert_eq!(turn(&mut sources, &machine), 1);
        assert!(!sources.work_left());
    }

    #[test]
    fn a_source_without_sigio_brings_a_signalfd_that_goes_with_it() {
        let machine = Machine::new(rules());
        let mut sources = Sources::default();
        assert_eq!(sources.own_fds().count(), 0);
        let (source, writer) = pipe();
        let fd = source.fd();
        sources.add(Source::TestPipe(source)).expect("add");
        let own: Vec<i32> = sources.own_fds().collect();
        assert_eq!(own.len(), 2, "the signalfd and the source: {own:?}");
        assert_eq!(own[1], fd);
        // The writer gone: end of file, the source is dropped (its fd
        // closed with it), and the signalfd too.
        drop(writer);
        assert_eq!(turn(&mut sources, &machine), 0);
        assert_eq!(sources.own_fds().count(), 0);
    }

    #[test]
    fn only_the_finished_source_is_dropped() {
        let machine = Machine::new(rules());
        let mut sources = Sources::default();
        let (first, first_writer) = pipe();
        let (second, mut second_writer) = pipe();
        let second_fd = second.fd();
        sources.add(Source::TestPipe(first)).expect("add");
        sources.add(Source::TestPipe(second)).expect("add");
        drop(first_writer);
        second_writer.write_all(b"ab").expect("write");
        assert_eq!(turn(&mut sources, &machine), 1, "the second read its bytes");
        let own: Vec<i32> = sources.own_fds().collect();
        assert_eq!(own.len(), 2, "the signalfd and the second source: {own:?}");
        assert_eq!(own[1], second_fd);
    }
}
