//! README "Health": the state the machine derives after every event, the one
//! `Action::Health` each change gives (its log line), and the line `vigil
//! health` prints. A child of the machine: it reads the machine's state, and
//! changes only what it tracks.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use super::{ExitWith, Machine, Phase};
use crate::health::{MAX_LINE, State};
use crate::human::{Shown, push_age, push_num};
use crate::init::event::{Action, Mono};
use crate::init::readiness::Readiness;
use crate::init::supervised::{ProcState, Role, Supervised};
use crate::init::watchdog::Watchdog;
use crate::log::Level;

/// What the machine remembers of its health.
#[derive(Clone, Debug)]
pub struct Tracked {
    pub state: State,
    /// When `state` began.
    pub since: Mono,
    /// When readiness first held: the time to ready, said once.
    pub ready_at: Option<Mono>,
    /// When it last stopped being ready.
    pub left_ready: Mono,
}

impl Default for Tracked {
    fn default() -> Tracked {
        Tracked {
            state: State::Starting,
            since: Mono::ZERO,
            ready_at: None,
            left_ready: Mono::ZERO,
        }
    }
}

impl Machine {
    /// The state now, by the README's rules: the first that applies.
    pub fn health(&self) -> State {
        // PROGRAM replaced by the watchdog (not by `--restart-signal`).
        let replacing = matches!(self.main().state, ProcState::Replacing { .. });
        let fired =
            self.watchdog.as_ref().is_some_and(Watchdog::fired) || replacing && !self.in_place;
        match self.phase {
            _ if fired => State::Unhealthy,
            Phase::StopDelay { .. } | Phase::PreStop { .. } => State::Draining,
            Phase::Stopping { .. }
            | Phase::Draining { .. }
            | Phase::Lingering { .. }
            | Phase::Killing { .. }
            | Phase::Done(_) => State::Stopping,
            // PROGRAM exited for good: the rest is being stopped.
            _ if matches!(self.main().state, ProcState::Exited(_)) => State::Stopping,
            _ if self.ready_now() => State::Ready,
            _ if self.tracked.ready_at.is_none() => State::Starting,
            // After a first ready, a process not running is on its way back.
            _ if self.kept().any(|p| {
                matches!(
                    p.state,
                    ProcState::Clearing { .. }
                        | ProcState::Backoff { .. }
                        | ProcState::Replacing { .. }
                        | ProcState::NotStarted
                        | ProcState::Starting
                )
            }) =>
            {
                State::Restarting
            }
            _ => State::Unready,
        }
    }

    /// PROGRAM and the sidecars: what readiness needs running (not the
    /// one-shot `--pre-start` commands and `--pre-stop` hook).
    fn kept(&self) -> impl Iterator<Item = &Supervised> {
        self.procs
            .iter()
            .filter(|p| matches!(p.role, Role::Main | Role::Sidecar))
    }

    /// Every readiness condition: PROGRAM and every sidecar run, and every
    /// `--ready` target holds.
    fn ready_now(&self) -> bool {
        matches!(self.phase, Phase::Running)
            && self
                .kept()
                .all(|p| matches!(p.state, ProcState::Running(_)))
            && self.readiness.as_ref().is_none_or(Readiness::holds)
    }

    /// After every event: a change of state is one `Action::Health`, its log
    /// line at the default level for the good news (`-q` hides it), at error
    /// level for the rest.
    pub(super) fn track_health(&mut self, now: Mono, out: &mut Vec<Action>) {
        let state = self.health();
        if state == self.tracked.state {
            return;
        }
        // A stop that a failure decided (a start that failed, a sidecar's
        // exit, a spent budget) has its own line; vigil exiting in this very
        // step, its exit.
        let said = state == State::Stopping && self.exit_with != ExitWith::Program;
        let mut line = String::from(state.name());
        match (state, self.tracked.ready_at) {
            (State::Ready, None) => {
                line.push_str(" after ");
                push_age(&mut line, now - Mono::ZERO);
                let bare = line.len();
                self.reports(&mut line, " (", ", ");
                if line.len() > bare {
                    line.push(')');
                }
            }
            (State::Ready, Some(_)) => {
                line.push_str(" again after ");
                push_age(&mut line, now - self.tracked.left_ready);
            }
            (State::Draining, _) if matches!(self.phase, Phase::PreStop { .. }) => {
                line.push_str(": --pre-stop runs");
            }
            (State::Draining, _) => {
                let _ = write!(line, " for {} (--stop-delay)", Shown(self.rules.stop_delay));
            }
            _ => self.why(state, &mut line, ": "),
        }
        let t = &mut self.tracked;
        if t.state == State::Ready {
            t.left_ready = now;
        }
        if state == State::Ready && t.ready_at.is_none() {
            t.ready_at = Some(now);
        }
        t.state = state;
        t.since = now;
        if !said && !matches!(self.phase, Phase::Done(_)) {
            let level = if state == State::Ready {
                Level::Warn
            } else {
                Level::Error
            };
            out.push(Action::Health(state, level, line));
        }
    }

    /// Why it is not ready in `state`, after `lead`: the first process that
    /// does not run, else the first `--ready` target that does not hold.
    fn why(&self, state: State, line: &mut String, lead: &str) {
        match state {
            State::Unhealthy => {
                line.push_str(lead);
                line.push_str("--watch failed");
                return;
            }
            State::Ready | State::Stopping => return,
            _ => {}
        }
        if let Some(p) = self.kept().find(|p| p.pid().is_none()) {
            line.push_str(lead);
            let _ = write!(line, "{} ", p.named(None));
            match p.last_status() {
                Some(status) => {
                    line.push_str("exited with status ");
                    push_num(line, crate::exit_status::of(status) as u64);
                }
                None => line.push_str("is not running yet"),
            }
            return;
        }
        let Some(r) = self.readiness.as_ref() else {
            return;
        };
        if let Some(t) = r.targets().iter().find(|t| !t.passed || t.failures > 0) {
            line.push_str(lead);
            line.push_str(if t.last.is_empty() {
                "no --ready probe ended yet"
            } else {
                &t.last
            });
            if t.failures > 0 {
                line.push_str(" (");
                push_num(line, u64::from(t.failures));
                line.push_str(if t.failures == 1 {
                    " failure)"
                } else {
                    " failures)"
                });
            }
        }
    }

    /// The `--ready` targets' last reports, without `ok `, each after `lead`
    /// then `sep`.
    fn reports(&self, line: &mut String, lead: &str, sep: &str) {
        let mut next = lead;
        for t in self.readiness.iter().flat_map(|r| r.targets()) {
            if !t.last.is_empty() {
                line.push_str(next);
                line.push_str(t.last.strip_prefix("ok ").unwrap_or(&t.last));
                next = sep;
            }
        }
    }

    /// What `vigil health` prints, after `+` (readiness held once) or `-`:
    /// `ready 3.42s: http://127.0.0.1:8080/health 200 OK 0.6ms; 2/2 sidecars
    /// up; 0 restarts` (and `; N OOM` once the OOM killer killed N
    /// processes of the cgroup). The one place the line is made.
    pub fn health_line(&self, now: Mono) -> String {
        let t = &self.tracked;
        let mut line = String::from(if t.ready_at.is_some() { "+" } else { "-" });
        line.push_str(t.state.name());
        line.push(' ');
        push_age(&mut line, now - t.since);
        line.push(':');
        let bare = line.len();
        if t.state == State::Ready {
            self.reports(&mut line, "; ", "; ");
        } else {
            self.why(t.state, &mut line, "; ");
        }
        let sidecars = self.sidecars().count() as u64;
        if sidecars > 0 {
            line.push_str("; ");
            push_num(
                &mut line,
                self.sidecars().filter(|(_, p)| p.pid().is_some()).count() as u64,
            );
            line.push('/');
            push_num(&mut line, sidecars);
            line.push_str(" sidecars up");
        }
        line.push_str("; ");
        push_num(&mut line, u64::from(self.restarts));
        line.push_str(" restarts");
        // README "Shutdown", why a process died: the OOM kills seen.
        let oom = self.deaths.oom_kills();
        if oom > 0 {
            line.push_str("; ");
            push_num(&mut line, oom);
            line.push_str(" OOM");
        }
        line.push('\n');
        // The first part follows the colon after a blank, not a "; ".
        let mut shown = String::with_capacity(line.len());
        let (head, tail) = line.split_at_checked(bare).unwrap_or((&line, ""));
        shown.push_str(head);
        shown.push(' ');
        shown.push_str(tail.strip_prefix("; ").unwrap_or(tail));
        // One answer is at most MAX_LINE bytes (many --ready targets' reports
        // made it longer, and `vigil health` failed it as unreadable).
        if shown.len() > MAX_LINE {
            let mut cut = MAX_LINE - 4;
            while !shown.is_char_boundary(cut) {
                cut -= 1;
            }
            shown.truncate(cut);
            shown.push_str("...\n");
        }
        shown
    }
}
