//! `--log-prefix`: one process's stdout or stderr, read from the pipe vigil
//! gave it and queued on vigil's same stream as `NAME | line`
//! (`output_queue.rs`); an I/O source of the loop (`io_source.rs`).
//!
//! A line begun waits for its end at most 100 ms and 16 KiB; then what came
//! goes out as a piece, `NAME + piece`, and the line goes on in the next
//! piece of the same NAME (as CRI log files tag pieces P and whole lines F).

use alloc::vec::Vec;
use core::time::Duration;

use super::event::{Mono, ProcId, Work};
use super::machine::Machine;
use crate::human::Thousands;
use crate::log::warn;
use crate::output_queue::{self, Stream};
use crate::sys::fd::Fd;

/// How long a line begun waits for its end before it goes out as a piece.
pub const PIECE_WAIT: Duration = Duration::from_millis(100);
/// Read in one turn, and the longest line begun that waits: a longer one
/// goes out as a piece.
pub const PIECE: usize = 16 << 10;

/// Between the name and a line, or the piece of one that goes on.
const WHOLE: &[u8] = b" | ";
const GOES_ON: &[u8] = b" + ";

/// The read end of one process's stdout or stderr pipe.
pub struct Relay {
    fd: Fd,
    stream: Stream,
    /// Whose: its name is the prefix.
    id: ProcId,
    /// A line begun, and when it goes out as a piece.
    partial: Vec<u8>,
    due: Option<Mono>,
    /// Bytes dropped while vigil's reader lagged, not reported yet.
    dropped: u64,
}

impl Relay {
    pub fn new(fd: Fd, stream: Stream, id: ProcId) -> Relay {
        Relay {
            fd,
            stream,
            id,
            partial: Vec::new(),
            due: None,
            dropped: 0,
        }
    }

    pub fn fd(&self) -> i32 {
        self.fd.raw()
    }

    /// When the line begun goes out as a piece.
    pub fn deadline(&self) -> Option<Mono> {
        self.due
    }

    /// One read of at most 16 KiB, if the queue has room: the lines it ends
    /// are queued, and a line begun goes out as a piece once due or 16 KiB
    /// long. At end of file, the line begun ends with the stream, and drops
    /// are reported.
    pub fn service(&mut self, machine: &Machine, now: Mono) -> Work {
        let name = machine.procs().get(self.id.0).map_or("", |p| &p.name);
        if !output_queue::room(self.stream) {
            // The reader lags: the pipe waits, and its writer with it, until
            // the reader catches up or has stalled. A writer that waits
            // raises no SIGIO: look again in 100 ms. A line begun waits too.
            self.due = Some(now + PIECE_WAIT);
            return Work::Done;
        }
        if self.partial.is_empty() {
            self.due = None; // a look's, not a line's
        }
        let mut buf = [0u8; PIECE];
        let work = match self.fd.read(&mut buf) {
            Ok(0) => Work::Closed,
            Ok(n) => {
                // A read never gives more than it was asked for.
                let mut data = buf.get(..n).unwrap_or(&buf);
                while let Some(end) = data.iter().position(|&b| b == b'\n') {
                    self.send(name, &data[..end], WHOLE);
                    data = data.get(end + 1..).unwrap_or_default();
                }
                self.partial.extend_from_slice(data);
                if n == PIECE { Work::More } else { Work::Done }
            }
            Err(e) if e.timed_out() => Work::Done,
            Err(_) => Work::Closed,
        };
        if work == Work::Closed && !self.partial.is_empty() {
            self.send(name, b"", WHOLE);
        }
        if self.partial.len() >= PIECE || self.due.is_some_and(|due| due <= now) {
            self.send(name, b"", GOES_ON);
        }
        if !self.partial.is_empty() && self.due.is_none() {
            self.due = Some(now + PIECE_WAIT);
        }
        if work == Work::Closed {
            self.report(name);
        }
        output_queue::flush(self.stream);
        work
    }

    /// Queues the line begun and `tail` as one line. The first to get
    /// through after some were dropped reports them.
    fn send(&mut self, name: &str, tail: &[u8], separator: &[u8]) {
        let line = [name.as_bytes(), separator, &self.partial, tail, b"\n"];
        if output_queue::line(self.stream, &line) == Some(true) {
            self.report(name);
        } else {
            self.dropped += (self.partial.len() + tail.len() + 1) as u64;
        }
        self.partial.clear();
        self.due = None;
    }

    /// One line on vigil's stderr for the output dropped since the last.
    fn report(&mut self, name: &str) {
        if self.dropped > 0 {
            warn!(
                "'{name}': {} bytes of output dropped",
                Thousands(self.dropped)
            );
            self.dropped = 0;
        }
    }
}
