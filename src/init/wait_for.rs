//! `--wait-for`: probe each target in order until it passes, within
//! `--wait-timeout`, before PROGRAM starts. Pure rules; the loop forks the probes.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::event::{Action, Mono, ProbeId, log};
use crate::human::Shown;
use crate::log::Level;

/// Longest single attempt, and the time from one attempt's start to the next.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
pub const RETRY_DELAY: Duration = Duration::from_millis(500);

/// What the last failure said, before any attempt has finished.
const NO_ATTEMPT: &str = "no attempt finished";

/// Where the wait is.
#[derive(Clone, Debug, PartialEq)]
pub struct Wait {
    /// The target being probed (index), and how many there are.
    target: usize,
    targets: usize,
    /// `--wait-timeout` counted from the start, and as written for the message.
    ends: Mono,
    timeout: Duration,
    /// The last failed attempt's report, named in the timeout message.
    last: String,
    step: Step,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    /// An attempt started at `begun` is running.
    Probing { begun: Mono },
    /// The last attempt failed; the next starts at `retry_at`.
    Pausing { retry_at: Mono },
}

/// What the machine does next.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Progress {
    Waiting,
    /// Every target passed: start PROGRAM.
    Ready,
    /// `--wait-timeout` passed (the message is out): exit 1.
    GaveUp,
}

impl Wait {
    /// Starts the first attempt on the first of `targets` targets.
    pub fn begin(
        targets: usize,
        ends: Mono,
        timeout: Duration,
        now: Mono,
        out: &mut Vec<Action>,
    ) -> (Wait, Progress) {
        let mut wait = Wait {
            target: 0,
            targets,
            ends,
            timeout,
            last: NO_ATTEMPT.into(),
            step: Step::Probing { begun: now },
        };
        let progress = wait.attempt(now, out);
        (wait, progress)
    }

    pub fn deadline(&self) -> Mono {
        match self.step {
            Step::Probing { .. } => self.ends,
            Step::Pausing { retry_at } => retry_at.min(self.ends),
        }
    }

    /// The probe that is running now, if any.
    pub fn running_probe(&self) -> Option<ProbeId> {
        match self.step {
            Step::Probing { .. } => Some(ProbeId::WaitFor(self.target)),
            Step::Pausing { .. } => None,
        }
    }

    fn attempt(&mut self, now: Mono, out: &mut Vec<Action>) -> Progress {
        let left = self.ends - now;
        if left.is_zero() {
            return self.give_up(out);
        }
        out.push(Action::StartProbe {
            probe: ProbeId::WaitFor(self.target),
            timeout: left.min(ATTEMPT_TIMEOUT),
        });
        self.step = Step::Probing { begun: now };
        Progress::Waiting
    }

    fn give_up(&self, out: &mut Vec<Action>) -> Progress {
        log(
            out,
            Level::Error,
            format!(
                "--wait-for: not ready after {}: {}",
                Shown(self.timeout),
                self.last
            ),
        );
        Progress::GaveUp
    }

    pub fn on_clock(&mut self, now: Mono, out: &mut Vec<Action>) -> Progress {
        match self.step {
            Step::Probing { .. } if now >= self.ends => {
                out.push(Action::CancelProbe(ProbeId::WaitFor(self.target)));
                self.give_up(out)
            }
            Step::Pausing { retry_at } if now >= retry_at || now >= self.ends => {
                self.attempt(now, out)
            }
            _ => Progress::Waiting,
        }
    }

    pub fn on_done(
        &mut self,
        passed: bool,
        report: String,
        now: Mono,
        out: &mut Vec<Action>,
    ) -> Progress {
        let Step::Probing { begun } = self.step else {
            return Progress::Waiting;
        };
        if passed {
            self.target += 1;
            if self.target >= self.targets {
                return Progress::Ready;
            }
            self.last = NO_ATTEMPT.into();
            return self.attempt(now, out);
        }
        self.last = report;
        let retry_at = begun + RETRY_DELAY;
        if now >= retry_at || now >= self.ends {
            return self.attempt(now, out);
        }
        self.step = Step::Pausing { retry_at };
        Progress::Waiting
    }
}
