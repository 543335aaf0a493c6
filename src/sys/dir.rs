//! Lists a directory's numeric entries (/proc's pids, /proc/self/fd's fds) with
//! getdents64: libc's opendir (what std's `read_dir` used) would link
//! musl's malloc beside vigil's own heap.

use alloc::vec::Vec;
use core::ffi::CStr;

use super::errno::{Errno, Result};

/// The entries of `path` whose names are decimal numbers, in directory order.
/// An error after the first read ends the listing with what was found, as
/// skipping bad entries of `read_dir` would.
pub fn numbers(path: &CStr) -> Result<Vec<i32>> {
    let fd = super::fs::open(path, libc::O_RDONLY | libc::O_DIRECTORY)?;
    let mut found = Vec::new();
    // On the heap: a stack buffer would add a page to vigil's peak RSS.
    let mut buf = alloc::vec![0u64; 512];
    loop {
        // SAFETY: the kernel writes at most `buf.len() * 8` bytes into buf.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                fd.raw(),
                buf.as_mut_ptr(),
                buf.len() * 8,
            )
        };
        if n < 0 && found.is_empty() {
            return Err(Errno::last());
        }
        if n <= 0 {
            return Ok(found);
        }
        // SAFETY: reinterpreting the u64 buffer as its bytes.
        let bytes = unsafe { core::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n as usize) };
        found.extend(Records(bytes).filter_map(parse_number));
    }
}

/// The names in a getdents64 buffer: each record is d_ino (8 bytes), d_off
/// (8), d_reclen (2), d_type (1), then the NUL-terminated name.
struct Records<'a>(&'a [u8]);

impl<'a> Iterator for Records<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let len = u16::from_ne_bytes([*self.0.get(16)?, *self.0.get(17)?]) as usize;
        let (record, rest) = self.0.split_at_checked(len).filter(|_| len > 19)?;
        self.0 = rest;
        let name = record.get(19..)?;
        Some(&name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())])
    }
}

fn parse_number(name: &[u8]) -> Option<i32> {
    super::fs::decimal(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_own_fds_and_pids() {
        let fds = numbers(c"/proc/self/fd").expect("list fds");
        assert!(fds.contains(&0) && fds.contains(&2), "{fds:?}");
        let pids = numbers(c"/proc").expect("list /proc");
        assert!(pids.contains(&(std::process::id() as i32)), "{pids:?}");
        assert!(numbers(c"/nonexistent").is_err());
    }

    #[test]
    fn skips_names_that_are_not_numbers() {
        let mut rec = vec![0u8; 24];
        rec[16] = 24;
        rec[19..23].copy_from_slice(b"self");
        let mut two = rec.clone();
        two[19..23].copy_from_slice(b"42\0\0");
        rec.extend(two);
        let names: Vec<_> = Records(&rec).filter_map(parse_number).collect();
        assert_eq!(names, [42]);
    }
}
