//! OS errors as values: an errno, printed with strerror(3)'s words and the
//! number, as `No such file or directory (os error 2)`.

use core::ffi::CStr;
use core::fmt;

/// An errno value from a failed system call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Errno(pub i32);

/// A result whose error is an errno.
pub type Result<T> = core::result::Result<T, Errno>;

/// What an errno means to code that decides by it; the number itself is
/// only ever printed. Decided here, so no caller compares raw numbers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// ETIMEDOUT or EAGAIN: a bounded wait ran out.
    TimedOut,
    /// ECONNREFUSED: nothing listens there.
    Refused,
    /// ECONNRESET, ECONNABORTED or EPIPE: the peer went away.
    Reset,
    /// EHOSTUNREACH or ENETUNREACH.
    Unreachable,
    /// ENOENT: no such file (or unix socket).
    NoSuchFile,
    /// ENOTDIR: a directory of the path is not one.
    NotADirectory,
    Other,
}

impl Errno {
    /// EINVAL: a value the kernel cannot take (a NUL byte in a word).
    pub const INVALID: Errno = Errno(libc::EINVAL);
    /// EBADF: no file descriptor to use.
    pub const BAD_FD: Errno = Errno(libc::EBADF);

    /// Inlined, so that a caller's match on the kind folds into one match
    /// on the number (128 B less in the static binary than a call).
    #[inline(always)]
    pub fn kind(self) -> Kind {
        match self.0 {
            libc::ETIMEDOUT | libc::EAGAIN => Kind::TimedOut,
            libc::ECONNREFUSED => Kind::Refused,
            libc::ECONNRESET | libc::ECONNABORTED | libc::EPIPE => Kind::Reset,
            libc::EHOSTUNREACH | libc::ENETUNREACH => Kind::Unreachable,
            libc::ENOENT => Kind::NoSuchFile,
            libc::ENOTDIR => Kind::NotADirectory,
            _ => Kind::Other,
        }
    }

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
    fn kinds_are_what_callers_decide_by() {
        assert_eq!(Errno(libc::EAGAIN).kind(), Kind::TimedOut);
        assert_eq!(Errno(libc::EWOULDBLOCK).kind(), Kind::TimedOut);
        assert_eq!(Errno(libc::ETIMEDOUT).kind(), Kind::TimedOut);
        assert_eq!(Errno(libc::ECONNREFUSED).kind(), Kind::Refused);
        assert_eq!(Errno(libc::EPIPE).kind(), Kind::Reset);
        assert_eq!(Errno(libc::ENETUNREACH).kind(), Kind::Unreachable);
        assert_eq!(Errno(libc::ENOENT).kind(), Kind::NoSuchFile);
        assert_eq!(Errno(libc::ENOTDIR).kind(), Kind::NotADirectory);
        assert_eq!(Errno(libc::EACCES).kind(), Kind::Other);
    }

    #[test]
    fn prints_as_std_did() {
        assert_eq!(
            Errno(libc::ENOENT).to_string(),
            "No such file or directory (os error 2)"
        );
    }
}
