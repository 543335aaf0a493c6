//! `--ready`: the readiness probes' schedule and verdict. Until a target
//! first passes, its probes start every 250 ms (start to start, never two at
//! once); after that, one `--ready-interval` from a probe's end to the next.
//! `--ready-retries` failures in a row after a pass make it fail; one pass
//! makes it hold again. `--ready notify` holds from the app's sd_notify
//! READY=1 until a RELOADING=1 or STOPPING=1 (until the next READY=1). Pure
//! rules; the machine derives the health state.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::event::{Action, Mono, ProbeId};
use super::notify_message::{Notice, READY, RELOADING, STOPPING};
use super::watchdog::PROBE_SLACK;

/// The fast start's cadence, until a target first passes (or the interval,
/// when that is shorter).
pub const FAST: Duration = Duration::from_millis(250);

/// When a probe begun at `begun` and given `timeout` is killed: its
/// timeout, then the slack its own deadline gets.
fn kill_at(begun: Mono, timeout: Duration) -> Mono {
    begun + timeout + PROBE_SLACK
}

/// `--ready-interval`, `--ready-timeout`, `--ready-retries`, how many
/// `--ready` targets are probed, and whether `--ready notify` is one.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadyRules {
    pub targets: usize,
    pub notify: bool,
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
}

/// Where one target's probing is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// The next probe starts at `next`.
    Idle { next: Mono },
    /// A probe started at `begun` runs.
    Probing { begun: Mono },
    /// That probe overran and got SIGKILL; its reap is awaited.
    Killed { begun: Mono },
    /// Never probed: `--ready notify`, told by the app's datagrams.
    Told,
}

/// One `--ready` target.
#[derive(Clone, Debug)]
pub struct Probed {
    pub step: Step,
    /// A probe passed since PROGRAM started: failures count from then on.
    pub passed: bool,
    /// Consecutive failures that counted.
    pub failures: u32,
    /// The last probe's report line, for the health line.
    pub last: String,
}

/// The `--ready` probes of one run of PROGRAM.
#[derive(Clone, Debug)]
pub struct Readiness {
    rules: ReadyRules,
    targets: Vec<Probed>,
}

impl Readiness {
    /// The probes of a PROGRAM started at `now`: the first ones start at once.
    pub fn new(rules: ReadyRules, now: Mono) -> Readiness {
        let fresh = Probed {
            step: Step::Idle { next: now },
            passed: false,
            failures: 0,
            last: String::new(),
        };
        let mut targets = alloc::vec![fresh; rules.targets + usize::from(rules.notify)];
        if let Some(t) = targets.last_mut().filter(|_| rules.notify) {
            t.step = Step::Told;
            t.last = "notify: no READY yet".into();
        }
        Readiness { targets, rules }
    }

    pub fn targets(&self) -> &[Probed] {
        &self.targets
    }

    /// Every target passed since PROGRAM started, and none has failed
    /// `--ready-retries` times in a row since.
    pub fn holds(&self) -> bool {
        let retries = self.rules.retries;
        self.targets
            .iter()
            .all(|t| t.passed && t.failures < retries)
    }

    fn kill_at(&self, begun: Mono) -> Mono {
        kill_at(begun, self.rules.timeout)
    }

    pub fn deadline(&self) -> Option<Mono> {
        self.targets
            .iter()
            .filter_map(|t| match t.step {
                Step::Idle { next } => Some(next),
                Step::Probing { begun } => Some(self.kill_at(begun)),
                // SIGCHLD wakes the loop for the reap; a datagram the loop.
                Step::Killed { .. } | Step::Told => None,
            })
            .min()
    }

    /// Starts the probes that are due, and kills those that overran.
    pub fn on_clock(&mut self, now: Mono, out: &mut Vec<Action>) {
        let timeout = self.rules.timeout;
        for (i, target) in self.targets.iter_mut().enumerate() {
            let probe = ProbeId::Ready(i);
            match target.step {
                Step::Idle { next } if now >= next => {
                    out.push(Action::StartProbe { probe, timeout });
                    target.step = Step::Probing { begun: now };
                }
                Step::Probing { begun } if now >= kill_at(begun, timeout) => {
                    out.push(Action::KillProbe(probe));
                    target.step = Step::Killed { begun };
                }
                _ => {}
            }
        }
    }

    /// Target `i`'s probe ended: counts it and schedules the next.
    pub fn on_done(&mut self, i: usize, passed: bool, report: String, now: Mono) {
        let interval = self.rules.interval;
        let Some(t) = self.targets.get_mut(i) else {
            return;
        };
        let (Step::Probing { begun } | Step::Killed { begun }) = t.step else {
            return;
        };
        if passed {
            t.passed = true;
            t.failures = 0;
        } else if t.passed {
            t.failures = t.failures.saturating_add(1);
        }
        t.last = if report.is_empty() {
            "probe killed".into()
        } else {
            report
        };
        let next = if t.passed {
            now + interval
        } else {
            (begun + FAST.min(interval)).max(now)
        };
        t.step = Step::Idle { next };
    }

    /// The app's sd_notify datagram (`--ready notify`): READY=1 holds,
    /// RELOADING=1 and STOPPING=1 do not. The line shows its STATUS=, else
    /// the key: `notify: READY` (never `READY=1`, which conmon would take
    /// for the app's own).
    pub fn on_notice(&mut self, n: &Notice) {
        let Some(t) = self.targets.last_mut().filter(|t| t.step == Step::Told) else {
            return;
        };
        let mut said = None;
        // In this order: READY=1 with RELOADING=1 in one datagram is ready.
        for (bit, key) in [
            (RELOADING, "RELOADING"),
            (STOPPING, "STOPPING"),
            (READY, "READY"),
        ] {
            if n.says(bit) {
                t.passed = bit == READY;
                said = Some(key);
            }
        }
        if let Some(said) = n.status.as_deref().or(said) {
            t.last = String::from("notify: ");
            t.last.push_str(said);
        }
    }

    /// SIGKILLs and reaps the probes that run (PROGRAM stopped).
    pub fn cancel(&self, out: &mut Vec<Action>) {
        for (i, t) in self.targets.iter().enumerate() {
            if matches!(t.step, Step::Probing { .. } | Step::Killed { .. }) {
                out.push(Action::CancelProbe(ProbeId::Ready(i)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn ms(n: u64) -> Mono {
        Mono::after_origin(Duration::from_millis(n))
    }

    fn rules(targets: usize) -> ReadyRules {
        ReadyRules {
            targets,
            notify: false,
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
            retries: 3,
        }
    }

    fn start(r: &mut Readiness, now: Mono) -> Vec<Action> {
        let mut out = Vec::new();
        r.on_clock(now, &mut out);
        out
    }

    fn probe(i: usize) -> Action {
        Action::StartProbe {
            probe: ProbeId::Ready(i),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn the_first_probes_start_at_once_then_every_250ms_until_a_pass() {
        let mut r = Readiness::new(rules(1), ms(0));
        assert_eq!(r.deadline(), Some(ms(0)));
        assert_eq!(start(&mut r, ms(0)), vec![probe(0)]);
        r.on_done(0, false, "fail x refused 0.1ms".into(), ms(3));
        // Start to start: 250 ms after the last one began.
        assert_eq!(r.deadline(), Some(ms(250)));
        assert!(start(&mut r, ms(249)).is_empty());
        assert_eq!(start(&mut r, ms(250)), vec![probe(0)]);
        // A slow probe: the next starts when it ends, never two at once.
        r.on_done(0, false, "fail".into(), ms(900));
        assert_eq!(r.deadline(), Some(ms(900)));
        assert!(!r.holds());
        assert_eq!(start(&mut r, ms(900)), vec![probe(0)]);
        r.on_done(0, true, "ok x 200 OK 0.4ms".into(), ms(905));
        assert!(r.holds());
        // Ready: one interval from the end of a probe to the next.
        assert_eq!(r.deadline(), Some(ms(10_905)));
    }

    #[test]
    fn a_shorter_interval_is_the_fast_cadence_too() {
        let mut r = Readiness::new(
            ReadyRules {
                interval: Duration::from_millis(100),
                ..rules(1)
            },
            ms(0),
        );
        start(&mut r, ms(0));
        r.on_done(0, false, "fail".into(), ms(5));
        assert_eq!(r.deadline(), Some(ms(100)));
    }

    #[test]
    fn failures_before_the_first_pass_never_count() {
        let mut r = Readiness::new(rules(1), ms(0));
        for n in 0..10 {
            start(&mut r, ms(n * 250));
            r.on_done(0, false, "fail".into(), ms(n * 250 + 1));
        }
        assert_eq!(r.targets()[0].failures, 0);
        start(&mut r, ms(2500));
        r.on_done(0, true, "ok".into(), ms(2501));
        assert!(r.holds());
    }

    #[test]
    fn retries_failures_in_a_row_fail_and_one_pass_holds_again() {
        let mut r = Readiness::new(rules(1), ms(0));
        start(&mut r, ms(0));
        r.on_done(0, true, "ok".into(), ms(1));
        let mut now = 1;
        for n in 1..=3 {
            now += 10_000;
            assert_eq!(start(&mut r, ms(now)), vec![probe(0)]);
            r.on_done(0, false, "fail x 503".into(), ms(now + 1));
            now += 1;
            assert_eq!(r.holds(), n < 3, "after {n} failures");
        }
        assert_eq!(r.targets()[0].last, "fail x 503");
        now += 10_000;
        start(&mut r, ms(now));
        r.on_done(0, true, "ok".into(), ms(now + 1));
        assert!(r.holds());
    }

    #[test]
    fn every_target_must_hold() {
        let mut r = Readiness::new(rules(2), ms(0));
        assert_eq!(start(&mut r, ms(0)), vec![probe(0), probe(1)]);
        r.on_done(0, true, "ok a".into(), ms(1));
        assert!(!r.holds());
        r.on_done(1, true, "ok b".into(), ms(2));
        assert!(r.holds());
    }

    #[test]
    fn an_overrunning_probe_is_killed_and_counts_as_a_failure() {
        let mut r = Readiness::new(rules(1), ms(0));
        start(&mut r, ms(0));
        assert_eq!(r.deadline(), Some(ms(6000)));
        assert_eq!(
            start(&mut r, ms(6000)),
            vec![Action::KillProbe(ProbeId::Ready(0))]
        );
        assert_eq!(r.deadline(), None);
        r.on_done(0, false, String::new(), ms(6001));
        assert_eq!(r.targets()[0].last, "probe killed");
        let mut out = Vec::new();
        start(&mut r, ms(6001));
        r.cancel(&mut out);
        assert_eq!(out, vec![Action::CancelProbe(ProbeId::Ready(0))]);
    }
}
