//! `--notify`: vigil's own sd_notify messages, each one non-blocking
//! datagram to the `NOTIFY_SOCKET` it was given. A receiver that is missing
//! or full is said once at warn level (again only after a send got through)
//! and never stops or slows vigil.

use crate::log::{debug, warn};
use crate::sys::datagram::Sender;
use crate::sys::env;
use crate::sys::errno::Errno;

pub struct Notifier {
    socket: Sender,
    /// `NOTIFY_SOCKET`'s value, for messages.
    address: &'static str,
    /// A failure was said since the last send that got through.
    warned: bool,
}

impl Notifier {
    /// The sender for vigil's `NOTIFY_SOCKET`. `None` without one (the same
    /// image runs under Docker: a debug line), or when it is neither an
    /// absolute path nor `@name` (a warning).
    pub fn from_env() -> Option<Notifier> {
        let Some(value) = env::var("NOTIFY_SOCKET").filter(|v| !v.is_empty()) else {
            debug!("--notify: no NOTIFY_SOCKET, so no sd_notify messages");
            return None;
        };
        let address = core::str::from_utf8(value).unwrap_or("(not UTF-8)");
        Sender::new(value)
            .map_err(|e| cannot(address, e))
            .ok()
            .map(|socket| Notifier {
                socket,
                address,
                warned: false,
            })
    }

    /// vigil's own fd, kept when the inherited ones are closed.
    pub fn fd(&self) -> i32 {
        self.socket.fd()
    }

    /// Sends `message` (newline-separated `KEY=VALUE` lines) at once.
    pub fn send(&mut self, message: &str) {
        match self.socket.send(message.as_bytes()) {
            Ok(()) => self.warned = false,
            Err(e) if !self.warned => {
                self.warned = true;
                cannot(self.address, e);
            }
            Err(_) => {}
        }
    }
}

/// The warning for an address that is none, a receiver that is missing or
/// full: vigil goes on.
#[inline(never)]
fn cannot(address: &str, e: Errno) {
    warn!("--notify: NOTIFY_SOCKET={address}: {e}");
}
