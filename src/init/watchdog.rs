//! `--watch`: the liveness watchdog's schedule (Docker's HEALTHCHECK, but
//! acting on it). Pure rules; the machine turns a fire into a stop.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::machine::{Action, Mono, ProbeId, log};
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
}

/// Where the watchdog is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Watch {
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
    state: Watch,
}

impl Watchdog {
    /// The watchdog of a PROGRAM started at `now`: the first probe runs one
    /// interval later.
    pub fn new(rules: WatchRules, now: Mono) -> Watchdog {
        Watchdog {
            counts_from: now.saturating_add(rules.start_period),
            failures: 0,
            state: Watch::Idle {
                next: now.saturating_add(rules.interval),
            },
            rules,
        }
    }

    pub fn state(&self) -> Watch {
        self.state
    }

    pub fn fired(&self) -> bool {
        self.state == Watch::Fired
    }

    fn kill_at(&self, begun: Mono) -> Mono {
        begun
            .saturating_add(self.rules.timeout)
            .saturating_add(PROBE_SLACK)
    }

    pub fn deadline(&self) -> Option<Mono> {
        match self.state {
            Watch::Idle { next } => Some(next),
            Watch::Probing { begun } => Some(self.kill_at(begun)),
            // SIGCHLD wakes the loop for the reap: no timer, so no spinning.
            Watch::Killed { .. } | Watch::Fired => None,
        }
    }

    /// Starts a due probe, or kills one that overran its own deadline.
    pub fn on_clock(&mut self, now: Mono, out: &mut Vec<Action>) {
        match self.state {
            Watch::Idle { next } if now >= next => {
                out.push(Action::StartProbe {
                    probe: ProbeId::Watch,
                    timeout: self.rules.timeout,
                });
                self.state = Watch::Probing { begun: now };
            }
            Watch::Probing { begun } if now >= self.kill_at(begun) => {
                out.push(Action::KillProbe(ProbeId::Watch));
                self.state = Watch::Killed { begun };
            }
            _ => {}
        }
    }

    pub fn on_start_failed(&mut self, now: Mono) {
        self.state = Watch::Idle {
            next: now.saturating_add(self.rules.interval),
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
        let (Watch::Probing { begun } | Watch::Killed { begun }) = self.state else {
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
                self.state = Watch::Fired;
                return true;
            }
        }
        self.state = Watch::Idle {
            next: now.saturating_add(self.rules.interval),
        };
        false
    }
}
