//! README "Health", sd_notify: what the machine tells the `NOTIFY_SOCKET`
//! vigil was given (`--notify`), and what it takes from the app's datagrams
//! on vigil's own socket (`--ready notify`, `--watch notify`). A child of
//! the machine: it reads the machine's state, and changes only what it tracks.

use alloc::string::String;
use alloc::vec::Vec;

use super::{Machine, Phase};
use crate::health::State;
use crate::init::event::{Action, Mono};
use crate::init::notify_message::{KEEPALIVE, Notice, one_line};

/// What `--notify` has sent, and when the next WATCHDOG=1 is due.
#[derive(Clone, Debug, Default)]
pub struct Sent {
    ready: bool,
    stopping: bool,
    pub keepalive_at: Option<Mono>,
}

impl Machine {
    /// `--notify` at vigil's start: the keep-alives' schedule, when
    /// WATCHDOG_USEC asks for them.
    pub(super) fn notify_start(&mut self, now: Mono) {
        if self.rules.notify {
            self.sent.keepalive_at = self.rules.keepalive.map(|every| now + every);
        }
    }

    /// After every event, with `--notify`: READY=1 the first time the state
    /// is `ready`, STOPPING=1 once the shutdown begins, and on each change
    /// STATUS= with its line (`ready after 3.42s (...)`); WATCHDOG=1 when
    /// due, only while live.
    pub(super) fn notify_after(&mut self, before: State, now: Mono, out: &mut Vec<Action>) {
        if !self.rules.notify {
            return;
        }
        let state = self.tracked.state;
        let mut lines = String::new();
        if let Some(at) = self.sent.keepalive_at.filter(|&at| now >= at) {
            // conmon forwards one key of a datagram, READY=1 before this
            // one: such a keep-alive is lost, the next one comes in time.
            if !matches!(state, State::Unhealthy | State::Stopping) {
                lines.push_str("WATCHDOG=1\n");
            }
            let every = self.rules.keepalive.unwrap_or_default();
            self.sent.keepalive_at = Some((at + every).max(now));
        }
        if state == State::Ready && !self.sent.ready {
            self.sent.ready = true;
            lines.push_str("READY=1\n");
        }
        let shutdown = !matches!(
            self.phase,
            Phase::New | Phase::Starting | Phase::WaitingFor(_) | Phase::Running | Phase::Done(_)
        );
        if shutdown && !self.sent.stopping {
            self.sent.stopping = true;
            lines.push_str("STOPPING=1\n");
        }
        if state != before {
            // The change's own line; a change said by another line (a
            // failure that stops everything) has the state's name.
            let line = out.iter().rev().find_map(|a| match a {
                Action::Health(_, _, line) => Some(line.as_str()),
                _ => None,
            });
            lines.push_str("STATUS=");
            lines.push_str(&one_line(line.unwrap_or(state.name()).as_bytes()));
        }
        if lines.ends_with('\n') {
            lines.pop();
        }
        if !lines.is_empty() {
            out.push(Action::Notify(lines));
        }
    }

    /// Whose datagrams on vigil's own socket count: PROGRAM's pid while it
    /// runs, and whether its descendants' can be told from others' (vigil
    /// sees its tree in /proc).
    pub fn told_by(&self) -> Option<(i32, bool)> {
        let pid = self.main().pid()?;
        Some((pid.get(), self.rules.tree_visible))
    }

    /// A datagram from PROGRAM's tree on vigil's own socket.
    pub(super) fn on_notified(&mut self, notice: &Notice) {
        if let Some(r) = self.readiness.as_mut() {
            r.on_notice(notice);
        }
        if notice.says(KEEPALIVE) {
            if let Some(w) = self.watchdog.as_mut() {
                w.keep_alive();
            }
        }
    }
}
