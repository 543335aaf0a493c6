//! Standard output and standard error as plain write(2)s: no buffering, so
//! every message leaves in one call and nothing is lost at `_exit`.

use super::errno::Result;
use super::fd::write_all;

/// Writes all of `bytes` to fd 1.
pub fn stdout(bytes: &[u8]) -> Result<()> {
    write_all(1, bytes)
}

/// Writes all of `bytes` to fd 2.
pub fn stderr(bytes: &[u8]) -> Result<()> {
    write_all(2, bytes)
}
