//! The environment vigil was started with, read from `environ` as bytes, and
//! the working directory. vigil never changes its environment (no setenv).

use core::ffi::{CStr, c_char};

// SAFETY: libc defines `environ` with this type (environ(7)); vigil only reads it.
unsafe extern "C" {
    static mut environ: *const *const c_char;
}

/// Every `NAME=value` entry, in order.
pub fn entries() -> impl Iterator<Item = &'static [u8]> {
    // SAFETY: environ is a NULL-terminated array of NUL-terminated strings set
    // up by libc before `main`; vigil is single-threaded and never changes its
    // environment (no setenv, no putenv), so the strings live, unchanged, for
    // the whole process and reading them races with nothing.
    let mut p = unsafe { environ };
    core::iter::from_fn(move || {
        // SAFETY: as above: `p` walks the array up to its NULL terminator.
        unsafe {
            if p.is_null() || (*p).is_null() {
                return None;
            }
            let entry = CStr::from_ptr(*p).to_bytes();
            p = p.add(1);
            Some(entry)
        }
    })
}

/// Pointers to every entry of the environment but those `skip` picks, for an
/// envp array (the strings live for the whole process, see `entries`).
/// Room is left for one more entry and the NULL terminator, so the array is
/// allocated once.
pub fn pointers_except(skip: impl Fn(&[u8]) -> bool) -> alloc::vec::Vec<*const c_char> {
    let mut out = alloc::vec::Vec::with_capacity(entries().count() + 2);
    out.extend(entries().filter(|e| !skip(e)).map(|e| e.as_ptr().cast()));
    out
}

/// The value of the variable `name`, `None` when unset.
pub fn var(name: &str) -> Option<&'static [u8]> {
    entries().find_map(|e| {
        e.strip_prefix(name.as_bytes())
            .and_then(|rest| rest.strip_prefix(b"="))
    })
}

/// The working directory's path (getcwd(2)), or why there is none: it was
/// removed, lies outside this root, or is longer than PATH_MAX.
///
/// The raw syscall, not musl's getcwd, which would link in a second malloc
/// for its strdup; the buffer starts small and doubles, so a short path
/// touches no new heap page.
pub fn current_dir() -> super::errno::Result<alloc::ffi::CString> {
    let mut size = 128;
    loop {
        let mut buf = alloc::vec![0u8; size];
        // SAFETY: getcwd writes at most `buf.len()` bytes, NUL included, into
        // `buf`, and fails with ERANGE when the path does not fit.
        let n = unsafe { libc::syscall(libc::SYS_getcwd, buf.as_mut_ptr(), buf.len()) };
        if n < 0 {
            let err = super::errno::Errno::last();
            if err.0 != libc::ERANGE || size >= libc::PATH_MAX as usize {
                return Err(err);
            }
            size *= 2;
            continue;
        }
        // Outside this root the kernel answers "(unreachable)/...", no path.
        return match CStr::from_bytes_until_nul(&buf) {
            Ok(path) if path.to_bytes().first() == Some(&b'/') => Ok(path.into()),
            _ => Err(super::errno::Errno(libc::ENOENT)),
        };
    }
}

/// chdir(2) to `/`.
pub fn chdir_root() -> super::errno::Result<()> {
    // SAFETY: a NUL-terminated literal path.
    super::errno::check(unsafe { libc::chdir(c"/".as_ptr()) }).map(drop)
}

/// The program's arguments as bytes.
///
/// # Safety
/// `argv[0..argc]` must be valid NUL-terminated strings, as libc passes them
/// to `main`.
pub unsafe fn args(argc: i32, argv: *const *const c_char) -> alloc::vec::Vec<alloc::vec::Vec<u8>> {
    (0..argc.max(0) as usize)
        .map(|i| {
            // SAFETY: per the contract, argv[i] is a valid C string.
            unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes().to_vec()
        })
        .collect()
}
