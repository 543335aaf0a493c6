//! Durations written the way users write them (`10s`, `500ms`), without the
//! `{:?}` formatting machinery: shared by init logs and probe reports.

use core::fmt;
use core::time::Duration;

/// Displays a duration as `5s` when whole seconds, else `1500ms`.
pub struct Shown(pub Duration);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let ms = self.0.as_millis() as u64;
        if ms % 1000 == 0 {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}
