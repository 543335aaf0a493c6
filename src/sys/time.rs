//! The monotonic clock (clock_gettime(CLOCK_MONOTONIC)) as an `Instant`, and
//! sleeping on it: deadlines never move when the wall clock is set.

use core::ops::{Add, Sub};
use core::time::Duration;

/// A point on the monotonic clock. Arithmetic saturates: a deadline built
/// from any duration vigil accepts can never overflow or panic.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Instant(Duration);

fn clock(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes one timespec on our stack; CLOCK_MONOTONIC and
    // CLOCK_REALTIME always exist, so the call cannot fail.
    unsafe { libc::clock_gettime(id, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

impl Instant {
    pub fn now() -> Instant {
        Instant(clock(libc::CLOCK_MONOTONIC))
    }

    pub fn checked_add(self, d: Duration) -> Option<Instant> {
        self.0.checked_add(d).map(Instant)
    }

    /// `self - earlier`, `None` if `earlier` is later.
    pub fn checked_duration_since(self, earlier: Instant) -> Option<Duration> {
        self.0.checked_sub(earlier.0)
    }

    /// `self - earlier`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    pub fn elapsed(self) -> Duration {
        Instant::now().saturating_duration_since(self)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d))
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, d: Duration) -> Instant {
        Instant(self.0.saturating_sub(d))
    }
}

/// The wall clock (CLOCK_REALTIME) as time since the epoch: for file ages,
/// which the kernel stamps from it.
pub fn wall_now() -> Duration {
    clock(libc::CLOCK_REALTIME)
}

/// Nanoseconds of the wall clock's current second: a cheap varying number.
pub fn wall_subsec_nanos() -> u32 {
    clock(libc::CLOCK_REALTIME).subsec_nanos()
}

/// Sleeps for `d` (nanosleep(2), resumed after a signal handler interrupts it).
pub fn sleep(d: Duration) {
    let mut req = libc::timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as _,
        tv_nsec: d.subsec_nanos() as _,
    };
    loop {
        let mut rem = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: reads `req` and writes `rem`, both timespecs on our stack.
        if unsafe { libc::nanosleep(&req, &mut rem) } == 0 {
            return;
        }
        if !super::Errno::last().interrupted() {
            return;
        }
        req = rem;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_and_saturating() {
        let a = Instant::now();
        sleep(Duration::from_millis(5));
        let b = Instant::now();
        assert!(b.checked_duration_since(a).unwrap() >= Duration::from_millis(5));
        assert_eq!(a.checked_duration_since(b), None);
        assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
        assert!(a + Duration::MAX > b);
        assert_eq!(a - Duration::MAX, Instant(Duration::ZERO));
    }
}
