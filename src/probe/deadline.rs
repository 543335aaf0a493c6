//! The one deadline of a `vigil check` run: resolve, connect, handshake, write
//! and read each get what is left of it, never a fixed per-call timeout.

use core::time::Duration;

use crate::sys::time::Instant;

/// An instant every step of a probe must finish by, and the budget it came from
/// (the budget is what failure messages quote: "timed out after 5s").
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    end: Instant,
    total: Duration,
}

impl Deadline {
    /// The deadline `total` from now. A budget too large for the clock is
    /// clamped to a year: nobody waits that long for a health probe.
    pub fn after(total: Duration) -> Deadline {
        let now = Instant::now();
        let end = now
            .checked_add(total)
            .or_else(|| now.checked_add(Duration::from_secs(365 * 86_400)))
            .unwrap_or(now);
        Deadline { end, total }
    }

    pub fn total(&self) -> Duration {
        self.total
    }

    /// Time left, or `None` once the deadline has passed. Never `Some(0)`:
    /// socket timeouts of zero mean "block forever" (socket(7) SO_RCVTIMEO).
    pub fn remaining(&self) -> Option<Duration> {
        self.end
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
    }

    pub fn passed(&self) -> bool {
        self.remaining().is_none()
    }
}
