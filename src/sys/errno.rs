//! OS errors as values: an errno, printed with strerror(3)'s words and the
//! number, as `No such file or directory (os error 2)`.

use core::ffi::CStr;
use core::fmt;

/// An errno value from a failed system call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Errno(pub i32);

/// A result whose error is an errno.
pub type Result<T> = core::result::Result<T, Errno>;

impl Errno {
    /// The calling thread's errno, right after a call that failed.
    pub fn last() -> Errno {
        // SAFETY: __errno_location returns a valid pointer to this thread's errno.
        Errno(unsafe { *libc::__errno_location() })
    }

    /// EINTR: the call was interrupted and may be retried.
    pub fn interrupted(self) -> bool {
        self.0 == libc::EINTR
    }

    /// EAGAIN or ETIMEDOUT: a bounded wait ran out (socket(7): an expired
    /// SO_RCVTIMEO/SO_SNDTIMEO is EAGAIN).
    pub fn timed_out(self) -> bool {
        self.0 == libc::EAGAIN || self.0 == libc::EWOULDBLOCK || self.0 == libc::ETIMEDOUT
    }
}

/// `Ok(rc)` for a non-negative return value, the errno for -1.
pub fn check<T: Copy + Into<i64>>(rc: T) -> Result<T> {
    if rc.into() < 0 {
        Err(Errno::last())
    } else {
        Ok(rc)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // SAFETY: musl's strerror returns a pointer to a static NUL-terminated
        // string for every number (an "unknown error" text for ones it lacks).
        let text = unsafe { CStr::from_ptr(libc::strerror(self.0)) };
        let text = text.to_str().unwrap_or("unknown error");
        write!(f, "{text} (os error {})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn prints_as_std_did() {
        assert_eq!(
            Errno(libc::ENOENT).to_string(),
            "No such file or directory (os error 2)"
        );
    }
}
