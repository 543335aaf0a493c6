//! `--watch`: the liveness watchdog's schedule (Docker's HEALTHCHECK, but
//! acting on it). With `--watch notify`, no probe: each interval without the
//! app's sd_notify WATCHDOG=1 is a failure. Pure rules; the machine turns a
//! fire into a stop.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::event::{Action, Mono, ProbeId, log};
use crate::log::Level;

/// A watch probe that outlives its own timeout by this much is killed.
pub const PROBE_SLACK: Duration = Duration::from_secs(1);

/// `--watch TARGET` and its schedule, as plain values.
#[derive(Clone, Debug, PartialEq)]
pub struct WatchRules {
    /// The target as written, for the message.
    pub target: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
    pub start_period: Duration,
    /// `--watch notify`: the app's WATCHDOG=1 keep-alives, not a probe.
    pub notify: bool,
}

/// Where the watchdog is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WatchState {
    /// The next probe starts at `next`.
    Idle { next: Mono },
    /// A probe started at `begun` runs.
    Probing { begun: Mono },
    /// That probe overran and got SIGKILL; its reap is awaited.
    Killed { begun: Mono },
    /// Enough failures: the watchdog stopped the child and watches no more.
    Fired,
}

#[derive(Clone, Debug)]
pub struct Watchdog {
    rules: WatchRules,
    /// Failures of probes started before this do not count; a pass ends the
    /// start period early (Docker's meaning), by moving this to the origin.
    counts_from: Mono,
    /// Consecutive failures that counted.
    failures: u32,
    state: WatchState,
    /// `--watch notify`: a WATCHDOG=1 came since the last look.
    kept_alive: bool,
}

impl Watchdog {
    /// The watchdog of a PROGRAM started at `now`: the first probe runs one
    /// interval later.
    pub fn new(rules: WatchRules, now: Mono) -> Watchdog {
        Watchdog {
            counts_from: now + rules.start_period,
            failures: 0,
            kept_alive: false,
            state: WatchState::Idle {
                next: now + rules.interval,
            },
            rules,
        }
    }

    pub fn state(&self) -> WatchState {
        self.state
    }

    pub fn fired(&self) -> bool {
        self.state == WatchState::Fired
    }

    fn kill_at(&self, begun: Mono) -> Mono {
        begun + self.rules.timeout + PROBE_SLACK
    }

    pub fn deadline(&self) -> Option<Mono> {
        match self.state {
            WatchState::Idle { next } => Some(next),
            WatchState::Probing { begun } => Some(self.kill_at(begun)),
            // SIGCHLD wakes the loop for the reap: no timer, so no spinning.
            WatchState::Killed { .. } | WatchState::Fired => None,
        }
    }

    /// The app's WATCHDOG=1 (`--watch notify`).
    pub fn keep_alive(&mut self) {
        self.kept_alive = true;
    }

    /// Starts a due probe, or kills one that overran its own deadline. With
    /// `--watch notify`, a due look is its own result at once: whether a
    /// WATCHDOG=1 came since the last. True when that fires the watchdog.
    pub fn on_clock(&mut self, now: Mono, out: &mut Vec<Action>) -> bool {
        match self.state {
            WatchState::Idle { next } if now >= next && self.rules.notify => {
                self.state = WatchState::Probing { begun: now };
                let kept_alive = core::mem::take(&mut self.kept_alive);
                let report = match kept_alive {
                    true => "ok",
                    false => "no WATCHDOG=1 within --watch-interval",
                };
                return self.on_done(kept_alive, report.into(), now, out);
            }
            WatchState::Idle { next } if now >= next => {
                out.push(Action::StartProbe {
                    probe: ProbeId::Watch,
                    timeout: self.rules.timeout,
                });
                self.state = WatchState::Probing { begun: now };
            }
            WatchState::Probing { begun } if now >= self.kill_at(begun) => {
                out.push(Action::KillProbe(ProbeId::Watch));
                self.state = WatchState::Killed { begun };
            }
            _ => {}
        }
        false
    }

    pub fn on_start_failed(&mut self, now: Mono) {
        self.state = WatchState::Idle {
            next: now + self.rules.interval,
        };
    }

    /// A probe ended. Returns true when this failure fires the watchdog (the
    /// message is out); the machine then stops the child.
    pub fn on_done(
        &mut self,
        passed: bool,
        report: String,
        now: Mono,
        out: &mut Vec<Action>,
    ) -> bool {
        let (WatchState::Probing { begun } | WatchState::Killed { begun }) = self.state else {
            return false;
        };
        if passed {
            self.counts_from = Mono::ZERO;
            self.failures = 0;
        } else if begun >= self.counts_from {
            self.failures += 1;
            if self.failures >= self.rules.retries {
                let last = if report.is_empty() {
                    "probe killed".into()
                } else {
                    report
                };
                log(
                    out,
                    Level::Error,
                    format!(
                        "--watch {}: {} failures, last: {last}; stopping the child",
                        self.rules.target, self.failures
                    ),
                );
                self.state = WatchState::Fired;
                return true;
            }
        }
        self.state = WatchState::Idle {
            next: now + self.rules.interval,
        };
        false
    }
}
