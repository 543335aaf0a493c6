//! `--ready notify`: the datagram socket vigil makes for PROGRAM, whose
//! `NOTIFY_SOCKET` names it, as a source of the loop. A turn takes at most
//! `BATCH` datagrams; only those from PROGRAM's own process tree reach the
//! machine (as `Event::Notified`), the rest are dropped with a debug line.

use alloc::vec::Vec;

use super::event::{Event, Work};
use super::machine::Machine;
use super::notify_message::Notice;
use super::tree;
use crate::log::debug;
use crate::sys::datagram::{MAX_DATAGRAM, Receiver};
use crate::sys::errno::Result;

/// Datagrams a turn takes before signals get their chance again.
const BATCH: usize = 16;

pub struct NotifyReceiver {
    socket: Receiver,
    /// `@vigil-notify-` and 32 random hex digits, as `NOTIFY_SOCKET` says it.
    pub address: Vec<u8>,
}

impl NotifyReceiver {
    pub fn bind() -> Result<NotifyReceiver> {
        let (socket, address) = Receiver::bind_unguessable(b"vigil-notify-")?;
        Ok(NotifyReceiver { socket, address })
    }

    pub fn fd(&self) -> i32 {
        self.socket.fd()
    }

    /// Reads what waits, at most `BATCH` datagrams, into `events`.
    pub fn service(&mut self, machine: &Machine, events: &mut Vec<Event>) -> Work {
        let mut buf = [0u8; MAX_DATAGRAM];
        for _ in 0..BATCH {
            let got = match self.socket.receive(&mut buf) {
                Ok(Some(got)) => got,
                Ok(None) => return Work::Done,
                Err(e) => {
                    debug!("sd_notify socket: {e}");
                    return Work::Done;
                }
            };
            let from = got.pid;
            // Without a /proc of vigil's namespace, only PROGRAM itself.
            let ours = machine.told_by().is_some_and(|(program, tree_visible)| {
                from == program || from > 0 && tree_visible && tree::descends_from(from, program)
            });
            if !ours || got.truncated {
                // pid 0: a process outside vigil's PID namespace.
                debug!(
                    "sd_notify message from pid {from} dropped: {}",
                    if ours {
                        "over 4 KiB"
                    } else {
                        "not from PROGRAM or below it"
                    }
                );
            } else {
                let notice = Notice::parse(buf.get(..got.len).unwrap_or_default());
                if !notice.is_empty() {
                    events.push(Event::Notified(notice));
                }
            }
        }
        Work::More
    }
}
