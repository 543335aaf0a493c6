//! Whole small files as bytes (/etc/hosts, /etc/passwd, /proc/PID/stat):
//! read to the end, since /proc reports a size of 0.

use alloc::vec::Vec;
use core::ffi::CStr;

use super::errno::{Errno, Result};
use super::fd::Fd;

/// Files larger than this are cut here: vigil reads only small system files.
const LIMIT: usize = 4 << 20;

/// The contents of the file at `path`, at most 4 MiB of it.
pub fn read(path: &CStr) -> Result<Vec<u8>> {
    // SAFETY: `path` is NUL-terminated; the new fd is owned by `fd` below.
    let raw = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if raw < 0 {
        return Err(Errno::last());
    }
    let fd = Fd::own(raw);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while out.len() < LIMIT {
        let n = fd.read(&mut buf)?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    Ok(out)
}

/// The lines of a text file read as bytes, without their `\n` (or `\r\n`).
/// A line that is not UTF-8 is skipped, never the whole file.
pub fn lines(file: &[u8]) -> impl Iterator<Item = &str> {
    file.split(|&b| b == b'\n').filter_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        core::str::from_utf8(line).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_that_is_not_utf8_is_skipped_alone() {
        let got: Vec<&str> = lines(b"one\r\nt\xffwo\nthree").collect();
        assert_eq!(got, ["one", "three"]);
    }

    #[test]
    fn reads_proc_files_and_reports_missing_ones() {
        let stat = read(c"/proc/self/stat").expect("read stat");
        assert!(stat.ends_with(b"\n") && stat.len() > 20);
        assert_eq!(read(c"/nonexistent"), Err(Errno(libc::ENOENT)));
    }
}
