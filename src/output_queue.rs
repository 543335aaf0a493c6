//! vigil's stdout and stderr as bounded queues written without blocking,
//! once `--log-prefix` puts its processes' output through them (vigil's own
//! lines then queue on stderr too, so nothing lands mid-line). A line goes in
//! whole or not at all. While a reader lags, the processes' pipes wait (so
//! their writers slow down to its pace, as with a pipe of their own); once
//! it has taken nothing for a second, what does not fit is dropped instead
//! (the caller counts it): vigil never waits for it.

use alloc::vec::Vec;
use core::time::Duration;

use crate::sys::errno::Errno;
use crate::sys::global::Global;
use crate::sys::stdio;
use crate::sys::time::Instant;

/// What may wait for a lagging reader, per stream.
pub const QUEUE: usize = 64 << 10;
/// What a process's last output may add while it is drained (`force`): the
/// most its pipe can hold (pipe-max-size's default, pipe(7)).
const LAST_OUTPUT: usize = 1 << 20;
/// How long a reader may take nothing before the output it cannot take is
/// dropped rather than left waiting in the processes' pipes.
pub const STALL: Duration = Duration::from_secs(1);

/// vigil's stdout or stderr: the value is the fd.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stream {
    Out = 1,
    Err = 2,
}

struct Queues {
    /// stdout's and stderr's, once opened.
    each: [Option<Queue>; 2],
    /// A process's last output is being drained: take it all.
    force: bool,
}

struct Queue {
    /// Queued bytes; those before `head` are written.
    bytes: Vec<u8>,
    head: usize,
    /// Since when the reader has taken nothing.
    stuck: Option<Instant>,
}

static QUEUES: Global<Queues> = Global::new(Queues {
    each: [None, None],
    force: false,
});

fn with<R>(stream: Stream, f: impl FnOnce(&mut Queue, bool) -> R) -> Option<R> {
    QUEUES
        .with(|all| Some(f(all.each[stream as usize - 1].as_mut()?, all.force)))
        .flatten()
}

/// From now on, lines for stdout (`which[0]`) and stderr (`which[1]`) go
/// through their queues.
pub fn open(which: [bool; 2]) {
    QUEUES.with(|all| {
        for (queue, on) in all.each.iter_mut().zip(which) {
            if on {
                *queue = Some(Queue::new());
            }
        }
    });
}

/// While `on`, the queues take a process's last output whole (up to 1 MiB
/// more each): it has exited, and what it wrote comes before vigil's line
/// about that.
pub fn force(on: bool) {
    QUEUES.with(|all| all.force = on);
}

/// Whether a process's pipe may be read for `stream` now, after writing
/// what the reader takes: its queue is at most half full, or its reader has
/// stalled (what does not fit is then dropped), or a last output is
/// drained.
pub fn room(stream: Stream) -> bool {
    QUEUES
        .with(|all| {
            let Some(q) = all.each[stream as usize - 1].as_mut() else {
                return true;
            };
            q.flush(stream as i32);
            all.force
                || q.bytes.len() - q.head <= QUEUE / 2
                || q.stuck.is_some_and(|since| since.elapsed() >= STALL)
        })
        .unwrap_or(true)
}

/// Queues one line, `parts` end to end, on `stream`, if it fits after
/// writing what the reader takes now: `Some(false)` when it did not (it is
/// dropped), `None` when `stream` has no queue (write it yourself). Call
/// `flush` after a batch.
pub fn line(stream: Stream, parts: &[&[u8]]) -> Option<bool> {
    with(stream, |q, force| {
        let limit = if force { QUEUE + LAST_OUTPUT } else { QUEUE };
        q.push(stream as i32, parts, limit)
    })
}

/// Writes what `stream`'s reader takes now; whether bytes are left waiting.
pub fn flush(stream: Stream) -> bool {
    with(stream, |q, _| q.flush(stream as i32)).unwrap_or(false)
}

/// Before vigil exits: hands each reader what is queued, for as long as it
/// takes some every `patience_ms`.
pub fn finish(patience_ms: i32) {
    for stream in [Stream::Out, Stream::Err] {
        with(stream, |q, _| {
            while q.flush(stream as i32) && stdio::writable(stream as i32, patience_ms) {}
        });
    }
}

impl Queue {
    fn new() -> Queue {
        Queue {
            bytes: Vec::with_capacity(QUEUE),
            head: 0,
            stuck: None,
        }
    }

    /// Appends `parts` if they fit within `limit` bytes queued, after
    /// writing what the reader of `fd` takes now if they do not; whether
    /// they went in.
    fn push(&mut self, fd: i32, parts: &[&[u8]], limit: usize) -> bool {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if self.bytes.len() - self.head + len > limit {
            self.flush(fd);
        }
        let fits = self.bytes.len() - self.head + len <= limit;
        if fits {
            if self.bytes.len() + len > self.bytes.capacity() {
                self.bytes.copy_within(self.head.., 0);
                self.bytes.truncate(self.bytes.len() - self.head);
                self.head = 0;
            }
            for part in parts {
                self.bytes.extend_from_slice(part);
            }
        }
        fits
    }

    /// Writes what the reader of `fd` takes now; whether bytes are left.
    fn flush(&mut self, fd: i32) -> bool {
        while self.head < self.bytes.len() {
            match stdio::write_nowait(fd, &self.bytes[self.head..]) {
                Ok(n) if n > 0 => {
                    self.head += n;
                    self.stuck = None;
                }
                Ok(_) | Err(Errno(libc::EAGAIN)) => {
                    self.stuck.get_or_insert_with(Instant::now);
                    return true;
                }
                // The reader is gone (EPIPE) or worse: nothing queued leaves.
                Err(_) => self.head = self.bytes.len(),
            }
        }
        // Empty: back to its bound if a last output made it grow.
        if self.bytes.capacity() > QUEUE {
            self.bytes = Vec::with_capacity(QUEUE);
        }
        self.bytes.clear();
        self.head = 0;
        false
    }
}

#[cfg(test)]
mod tests {
    //! The queue in front of a real pipe (not the process's own stdout or
    //! stderr, which the test harness holds).

    use std::io::Read;
    use std::os::fd::AsRawFd;

    use super::*;

    #[test]
    fn lines_go_in_whole_or_not_at_all_and_leave_in_order() {
        let (mut reader, writer) = std::io::pipe().expect("pipe");
        let fd = writer.as_raw_fd();
        let mut q = Queue::new();
        // 1,000-byte lines: the pipe takes 64 KiB, then the queue 64 KiB.
        let line = |i: usize| alloc::format!("{i:>999}\n");
        let mut went = 0;
        while q.push(fd, &[line(went).as_bytes()], QUEUE) {
            went += 1;
        }
        assert!((120..=131).contains(&went), "{went} lines went in");
        assert!(q.flush(fd), "the reader took nothing: bytes wait");
        assert!(q.stuck.is_some());
        assert!(q.bytes.len() - q.head <= QUEUE);
        // The reader catches up: everything comes out, whole, in order.
        let mut got = alloc::vec![0u8; went * 1000];
        let mut read = 0;
        while read < got.len() {
            let n = reader.read(&mut got[read..]).expect("read");
            read += n;
            q.flush(fd);
        }
        assert!(!q.flush(fd), "all written");
        assert!(q.stuck.is_none());
        for (i, chunk) in got.chunks(1000).enumerate() {
            assert_eq!(chunk, line(i).as_bytes(), "line {i}");
        }
    }

    #[test]
    fn a_last_output_may_grow_the_queue_and_it_shrinks_back_once_written() {
        let (mut reader, writer) = std::io::pipe().expect("pipe");
        let fd = writer.as_raw_fd();
        let mut q = Queue::new();
        let block = [b'x'; 4096];
        let mut went = 0;
        while q.push(fd, &[&block], QUEUE + LAST_OUTPUT) {
            went += 1;
        }
        // The pipe's 64 KiB, then 1 MiB and 64 KiB queued.
        assert_eq!(went, (64 + 1024 + 64) / 4);
        assert!(q.bytes.capacity() > QUEUE);
        let mut sink = alloc::vec![0u8; 1 << 16];
        while q.flush(fd) {
            let _ = reader.read(&mut sink).expect("read");
        }
        assert_eq!(q.bytes.capacity(), QUEUE);
    }
}
