//! Whole small files as bytes (/etc/hosts, /etc/passwd, /proc/PID/stat):
//! read to the end, since /proc reports a size of 0.

use alloc::vec::Vec;
use core::ffi::CStr;

use super::errno::{Errno, Result};
use super::fd::Fd;

/// Files larger than this are cut here: vigil reads only small system files.
const LIMIT: usize = 4 << 20;

/// How much one read(2) asks for, read straight into the result (no stack
/// buffer: vigil's peak RSS counts every stack page it ever touched).
const CHUNK: usize = 4096;

/// Opens `path` with `flags` | O_CLOEXEC. openat(2) directly: musl's open()
/// follows O_CLOEXEC with an fcntl(F_SETFD) for kernels before 2.6.23, one
/// more syscall per file (a /proc walk opens one file per process).
pub fn open(path: &CStr, flags: i32) -> Result<Fd> {
    // SAFETY: `path` is NUL-terminated; the new fd is owned by the Fd below.
    let raw = unsafe {
        libc::syscall(
            libc::SYS_openat,
            libc::AT_FDCWD,
            path.as_ptr(),
            flags | libc::O_CLOEXEC,
        )
    };
    if raw < 0 {
        return Err(Errno::last());
    }
    Ok(Fd::own(raw as i32))
}

/// The contents of the file at `path`, at most 4 MiB of it.
pub fn read(path: &CStr) -> Result<Vec<u8>> {
    read_up_to(path, LIMIT)
}

/// The contents of the file at `path`, cut at `limit` bytes (ask for one
/// more than you accept to tell a file that fits from a longer one).
/// Non-blocking: a FIFO without a writer reads as empty, never stalls PID 1.
pub fn read_up_to(path: &CStr, limit: usize) -> Result<Vec<u8>> {
    let fd = open(path, libc::O_RDONLY | libc::O_NONBLOCK)?;
    let mut out = Vec::new();
    // Bytes read; `out` beyond them is zeroed room, zeroed once: zeroing
    // the whole room before each read made a /proc file (a page a read)
    // quadratic, 0.5 s for 5 MiB of /proc/net/unix.
    let mut len = 0;
    while len < limit {
        // Grow only when little room is left: a short read must not double
        // the block for the end-of-file read that follows.
        if out.len() - len < CHUNK / 4 {
            out.reserve(CHUNK);
            out.resize(out.capacity().min(limit), 0);
        }
        let n = fd.read(out.get_mut(len..).unwrap_or_default())?;
        len += n;
        if n == 0 {
            break;
        }
    }
    out.truncate(len);
    Ok(out)
}

/// The first bytes of the file at `path`, one read(2) into `buf`: for the
/// head of a /proc file, without reading (and allocating for) the rest.
pub fn read_head<'b>(path: &CStr, buf: &'b mut [u8]) -> Result<&'b [u8]> {
    let n = open(path, libc::O_RDONLY)?.read(buf)?;
    // A read never gives more than it was asked for.
    let buf: &'b [u8] = buf;
    Ok(buf.get(..n).unwrap_or(buf))
}

/// The target of the symbolic link at `path` (such as /proc/self), read into
/// `buf`; ENAMETOOLONG when it fills `buf` (it may be longer).
pub fn read_link<'b>(path: &CStr, buf: &'b mut [u8]) -> Result<&'b [u8]> {
    // SAFETY: `path` is NUL-terminated; the kernel writes at most buf.len()
    // bytes into `buf`.
    let n = unsafe {
        libc::syscall(
            libc::SYS_readlinkat,
            libc::AT_FDCWD,
            path.as_ptr(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(Errno::last());
    }
    match buf.get(..n as usize) {
        Some(target) if target.len() < buf.len() => Ok(target),
        _ => Err(Errno(libc::ENAMETOOLONG)), // perhaps cut short
    }
}

/// The last modification time of `path` (stat(2), following symbolic links)
/// as time since the epoch, clamped at 0. Only stat: the file is never opened.
pub fn modified(path: &CStr) -> Result<core::time::Duration> {
    // SAFETY: `libc::stat` is plain old data; all-zero is a valid value.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated; the kernel writes one struct stat
    // into `st` (musl's layout is the kernel's on x86_64 and aarch64). The
    // raw call: musl's stat adds a statx fallback and /proc/self/fd names.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_newfstatat,
            libc::AT_FDCWD,
            path.as_ptr(),
            &mut st as *mut libc::stat,
            0,
        )
    };
    if rc != 0 {
        return Err(Errno::last());
    }
    let secs = u64::try_from(st.st_mtime).unwrap_or(0);
    let nanos = u32::try_from(st.st_mtime_nsec).unwrap_or(0) % 1_000_000_000;
    Ok(core::time::Duration::new(secs, nanos))
}

/// The parent of process `pid` from /proc/PID/stat, `None` when it is gone.
/// Read as bytes: a comm that is not UTF-8 must not hide a process.
pub fn parent_of(pid: i32) -> Option<i32> {
    let path = alloc::ffi::CString::new(alloc::format!("/proc/{pid}/stat")).ok()?;
    parent_from_stat(&read(&path).ok()?)
}

/// The ppid field of /proc/PID/stat: `pid (comm) state ppid ...`, where comm
/// may itself hold spaces and parentheses, so we split after the last ')'.
fn parent_from_stat(stat: &[u8]) -> Option<i32> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    let after_comm = core::str::from_utf8(stat.get(close + 1..)?).ok()?;
    decimal(after_comm.split_whitespace().nth(1)?.as_bytes())
}

/// A number as `i32::from_str` reads one that is not negative (an optional
/// `+`, then ASCII digits, no overflow): the pids, fds and signal numbers of
/// /proc files and of the command line. One reader for them all: each
/// `str::parse` of a type is a copy of core's (370 B).
pub fn decimal(text: &[u8]) -> Option<i32> {
    let digits = match text {
        [b'+', rest @ ..] => rest,
        _ => text,
    };
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0i32, |n, &b| {
        let digit = char::from(b).to_digit(10)?;
        n.checked_mul(10)?.checked_add(digit as i32)
    })
}

/// The lines of a text file read as bytes, without their `\n` (or `\r\n`).
/// Bytes, not text: getent(1) and the libc resolvers read /etc files so, and
/// a byte that is not UTF-8 in a field nobody uses must not hide the line.
pub fn lines(file: &[u8]) -> impl Iterator<Item = &[u8]> {
    split(file, b'\n').map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// The pieces of `bytes` between `sep`s (one instance of the generic split,
/// for every field of every /etc file).
pub fn split(bytes: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    bytes.split(move |&b| b == sep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_read_as_i32_from_str_reads_those_not_negative() {
        let texts = [
            "0",
            "1",
            "+7",
            "0042",
            "2147483647",
            "2147483648",
            "99999999999",
            "",
            "+",
            "-1",
            "-0",
            "++1",
            "1+",
            " 1",
            "1 ",
            "1a",
            "١",
            "12\n",
            "4294967297",
        ];
        for text in texts {
            let want = text.parse::<i32>().ok().filter(|_| !text.starts_with('-'));
            assert_eq!(decimal(text.as_bytes()), want, "{text:?}");
        }
        for n in (0..=i32::MAX).step_by(7_919_999) {
            assert_eq!(decimal(std::format!("{n}").as_bytes()), Some(n));
        }
    }

    #[test]
    fn parses_awkward_comm() {
        assert_eq!(parent_from_stat(b"42 (a) b) (c) S 7 42 42 0"), Some(7));
        assert_eq!(parent_from_stat(b"42 (\xff\xfe) S 1 42"), Some(1));
        assert_eq!(parent_from_stat(b"garbage"), None);
        let me = std::process::id() as i32;
        assert_eq!(
            parent_of(me),
            Some(std::os::unix::process::parent_id() as i32)
        );
    }

    #[test]
    fn lines_are_bytes_without_their_line_ends() {
        let got: Vec<&[u8]> = lines(b"one\r\nt\xffwo\nthree").collect();
        assert_eq!(got, [&b"one"[..], b"t\xffwo", b"three"]);
    }

    #[test]
    fn reads_proc_files_and_reports_missing_ones() {
        let stat = read(c"/proc/self/stat").expect("read stat");
        assert!(stat.ends_with(b"\n") && stat.len() > 20);
        assert_eq!(read(c"/nonexistent"), Err(Errno(libc::ENOENT)));
    }

    #[test]
    fn reads_a_file_longer_than_one_chunk_whole() {
        let maps = read(c"/proc/self/maps").expect("read maps");
        let mut big = Vec::new();
        while big.len() <= 3 * CHUNK {
            big.extend_from_slice(&maps);
        }
        let path = std::env::temp_dir().join(format!("vigil-fs-{}", std::process::id()));
        std::fs::write(&path, &big).expect("write temp file");
        let name = std::ffi::CString::new(path.to_str().expect("utf-8 temp path")).expect("path");
        let got = read(&name);
        let _ = std::fs::remove_file(&path);
        assert_eq!(got.as_deref(), Ok(&big[..]));
    }

    #[test]
    fn modified_is_the_wall_clock_time_of_the_last_write() {
        let path = std::env::temp_dir().join(format!("vigil-mtime-{}", std::process::id()));
        let before = crate::sys::time::wall_now();
        std::fs::write(&path, b"x").expect("write temp file");
        let name = std::ffi::CString::new(path.to_str().expect("utf-8 temp path")).expect("path");
        let got = modified(&name);
        let _ = std::fs::remove_file(&path);
        let got = got.expect("stat");
        // The kernel stamps with its coarse clock, up to a tick behind.
        assert!(
            got + core::time::Duration::from_millis(20) >= before,
            "{got:?} {before:?}"
        );
        assert!(got <= crate::sys::time::wall_now());
        assert_eq!(modified(c"/nonexistent"), Err(Errno(libc::ENOENT)));
    }

    #[test]
    fn reads_links_and_reports_missing_ones() {
        let mut buf = [0u8; 16];
        let me = read_link(c"/proc/self", &mut buf).expect("readlink /proc/self");
        assert_eq!(me, std::process::id().to_string().as_bytes());
        assert_eq!(
            read_link(c"/nonexistent", &mut buf),
            Err(Errno(libc::ENOENT))
        );
    }
}
