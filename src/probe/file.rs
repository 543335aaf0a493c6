//! `file://` targets: a path that must exist, and with `?max-age=` have been
//! modified recently (a worker's heartbeat file). stat(2) only, never a read.

use alloc::ffi::CString;
use core::time::Duration;

use super::report::{Failure, Passed};
use super::target::Target;
use crate::sys::errno::Kind;
use crate::sys::fs::modified;
use crate::sys::time::wall_now;

/// How far ahead of the wall clock an mtime may be and still pass: file
/// systems stamp with a coarse clock, and a network one with its server's.
const FUTURE_SLACK: Duration = Duration::from_secs(1);

/// Stats the target's path and judges its age by the wall clock.
pub fn check(target: &Target) -> Result<Passed, Failure> {
    let path = CString::new(target.path.as_bytes()).map_err(|_| Failure::Missing)?;
    let mtime = modified(&path).map_err(|e| match e.kind() {
        Kind::NoSuchFile | Kind::NotADirectory => Failure::Missing,
        _ => Failure::Stat(e),
    })?;
    judge(mtime, wall_now(), target.max_age)
}

/// The verdict on a file modified at `mtime` when the clock reads `now`.
fn judge(mtime: Duration, now: Duration, max_age: Option<Duration>) -> Result<Passed, Failure> {
    let Some(age) = now.checked_sub(mtime) else {
        let ahead = mtime.saturating_sub(now);
        return if ahead > FUTURE_SLACK {
            Err(Failure::Future(ahead))
        } else {
            Ok(Passed::Age(Duration::ZERO))
        };
    };
    match max_age {
        Some(max) if age > max => Err(Failure::Stale { age, max }),
        _ => Ok(Passed::Age(age)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn fresh_stale_and_future_files() {
        assert!(matches!(judge(S(100), S(112), None), Ok(Passed::Age(a)) if a == S(12)));
        assert!(matches!(
            judge(S(100), S(190), Some(S(90))),
            Ok(Passed::Age(_))
        ));
        assert!(matches!(
            judge(S(100), S(282), Some(S(90))),
            Err(Failure::Stale { age, max }) if age == S(182) && max == S(90)
        ));
        assert!(matches!(judge(S(140), S(100), None), Err(Failure::Future(a)) if a == S(40)));
        // Less than a second ahead: a coarse clock, not a stepped one.
        let just = S(100) + Duration::from_millis(900);
        assert!(matches!(judge(just, S(100), Some(S(1))), Ok(Passed::Age(a)) if a.is_zero()));
    }
}
