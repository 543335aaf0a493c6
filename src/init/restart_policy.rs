//! `--restart`, `--max-restarts`, `--restart-window`: whether a supervised
//! process that exited is restarted, after which backoff, and when the budget is spent.

use alloc::vec::Vec;
use core::time::Duration;

use super::event::Mono;

/// The first backoff; each restart doubles it, up to `MAX_BACKOFF` (Pebble's schedule).
pub const FIRST_BACKOFF: Duration = Duration::from_millis(500);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A process that ran this long starts again from `FIRST_BACKOFF`.
pub const BACKOFF_RESETS_AFTER: Duration = Duration::from_secs(30);

pub const DEFAULT_MAX_RESTARTS: u32 = 5;
pub const DEFAULT_RESTART_WINDOW: Duration = Duration::from_secs(300);

/// What happens when a supervised process exits (`--restart`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Restart {
    /// Never restarted: its exit stops everything.
    No,
    /// Restarted when it exits non-zero or is killed by a signal; an exit 0
    /// leaves it down.
    OnFailure,
    /// Restarted whenever it exits.
    Always,
}

impl Restart {
    /// Whether an exit restarts the process under this policy. `success`:
    /// it exited 0 or with a `-e` code (README "Exit status"); a signal
    /// death is a failure unless `-e` names 128+N.
    pub fn restarts_after(self, success: bool) -> bool {
        match self {
            Restart::No => false,
            Restart::OnFailure => !success,
            Restart::Always => true,
        }
    }
}

/// What the watchdog does when `--watch` fires (`--on-unhealthy`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OnUnhealthy {
    /// Stop everything, exit 75.
    Exit,
    /// Restart PROGRAM (TERM, grace, KILL, backoff) within the restart budget.
    Restart,
}

/// The restart rules, as plain values.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RestartRules {
    pub policy: Restart,
    /// Restarts allowed per process within `window`.
    pub max: u32,
    pub window: Duration,
}

/// One process's restarts: when they happened, and the next backoff.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Restarts still inside the window, oldest first.
    restarts: Vec<Mono>,
    /// Zero before the first restart.
    next_backoff: Duration,
}

/// What to do with a process that exited and may be restarted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    /// Restart after `delay`; this is restart number `count` within the window.
    RestartIn { delay: Duration, count: usize },
    /// `max` restarts happened within the window already.
    BudgetSpent,
}

impl History {
    /// A process that ran for `ran` exited at `now`: restart it, or not.
    pub fn on_exit(&mut self, rules: &RestartRules, ran: Duration, now: Mono) -> Verdict {
        if ran >= BACKOFF_RESETS_AFTER || self.next_backoff.is_zero() {
            self.next_backoff = FIRST_BACKOFF;
        }
        self.restarts.retain(|at| now - *at < rules.window);
        if self.restarts.len() >= rules.max as usize {
            return Verdict::BudgetSpent;
        }
        self.restarts.push(now);
        let delay = self.next_backoff;
        self.next_backoff = delay.saturating_mul(2).min(MAX_BACKOFF);
        Verdict::RestartIn {
            delay,
            count: self.restarts.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: RestartRules = RestartRules {
        policy: Restart::Always,
        max: 100,
        window: Duration::from_secs(300),
    };

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn delays(history: &mut History, rules: &RestartRules, n: usize, ran: Duration) -> Vec<u64> {
        (0..n)
            .map(
                |i| match history.on_exit(rules, ran, Mono::ZERO + ms(i as u64)) {
                    Verdict::RestartIn { delay, .. } => delay.as_millis() as u64,
                    Verdict::BudgetSpent => 0,
                },
            )
            .collect()
    }

    #[test]
    fn on_failure_restarts_after_a_failure_only() {
        assert!(Restart::OnFailure.restarts_after(false));
        assert!(!Restart::OnFailure.restarts_after(true));
        assert!(Restart::Always.restarts_after(true));
        assert!(!Restart::No.restarts_after(false));
    }

    #[test]
    fn backoff_is_500ms_doubling_up_to_30s() {
        let mut h = History::default();
        assert_eq!(
            delays(&mut h, &RULES, 9, ms(10)),
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
    }

    #[test]
    fn backoff_resets_after_30s_up() {
        let mut h = History::default();
        delays(&mut h, &RULES, 4, ms(10));
        assert_eq!(
            delays(&mut h, &RULES, 2, Duration::from_secs(30)),
            [500, 500]
        );
        assert_eq!(delays(&mut h, &RULES, 1, ms(29_999)), [1000]);
    }

    #[test]
    fn the_budget_counts_restarts_within_the_window_only() {
        let rules = RestartRules {
            max: 2,
            window: Duration::from_secs(60),
            ..RULES
        };
        let mut h = History::default();
        assert!(matches!(
            h.on_exit(&rules, ms(1), Mono::ZERO + ms(0)),
            Verdict::RestartIn { count: 1, .. }
        ));
        assert!(matches!(
            h.on_exit(&rules, ms(1), Mono::ZERO + ms(1_000)),
            Verdict::RestartIn { count: 2, .. }
        ));
        assert_eq!(
            h.on_exit(&rules, ms(1), Mono::ZERO + ms(2_000)),
            Verdict::BudgetSpent
        );
        // The first restart left the window.
        assert!(matches!(
            h.on_exit(&rules, ms(1), Mono::ZERO + ms(60_000)),
            Verdict::RestartIn { count: 2, .. }
        ));
    }

    #[test]
    fn a_budget_of_zero_never_restarts() {
        let rules = RestartRules { max: 0, ..RULES };
        assert_eq!(
            History::default().on_exit(&rules, ms(1), Mono::ZERO + ms(0)),
            Verdict::BudgetSpent
        );
    }
}
