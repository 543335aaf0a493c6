//! The environment vigil was started with, read from `environ` as bytes; the
//! environment built for a child (`Envp`); the working directory. vigil never
//! changes its own environment (no setenv): what it adds goes to an `Envp`.

use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::{CStr, c_char};
use core::ptr::null;

// SAFETY: libc defines `environ` with this type (environ(7)); vigil only reads it.
unsafe extern "C" {
    static mut environ: *const *const c_char;
}

/// Every `NAME=value` entry, in order.
pub fn entries() -> impl Iterator<Item = &'static CStr> {
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
            let entry = CStr::from_ptr(*p);
            p = p.add(1);
            Some(entry)
        }
    })
}

/// The value of the variable `name`, `None` when unset.
pub fn var(name: &str) -> Option<&'static [u8]> {
    var_bytes(name.as_bytes())
}

/// `var` for a name held as bytes.
pub fn var_bytes(name: &[u8]) -> Option<&'static [u8]> {
    entries().find_map(|e| value_of(e.to_bytes(), name))
}

/// `value` when `entry` is `name=value`.
pub fn value_of<'e>(entry: &'e [u8], name: &[u8]) -> Option<&'e [u8]> {
    entry
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix(b"="))
}

/// A child's environment as execve(2) takes it: a NULL-terminated array of
/// `NAME=value` strings, each either vigil's own (alive for the whole
/// process, see `entries`) or made for the child and owned here. Built in
/// the parent before fork, so the child only execs.
pub struct Envp {
    made: Vec<CString>,
    /// Always ends with the NULL terminator.
    ptrs: Vec<*const c_char>,
}

impl Envp {
    /// An empty environment with room for `entries` entries.
    pub fn with_capacity(entries: usize) -> Envp {
        let mut ptrs = Vec::with_capacity(entries + 1);
        ptrs.push(null());
        Envp {
            made: Vec::new(),
            ptrs,
        }
    }

    /// vigil's own environment, whole.
    pub fn inherited() -> Envp {
        let mut envp = Envp::with_capacity(entries().count());
        for entry in entries() {
            envp.inherit(entry);
        }
        envp
    }

    /// Passes one of vigil's own entries on.
    pub fn inherit(&mut self, entry: &'static CStr) {
        self.insert(entry.as_ptr());
    }

    /// Adds an entry made for the child. Its bytes live on the heap, so
    /// moving the `CString` into `made` leaves the pointer valid.
    pub fn add(&mut self, entry: CString) {
        self.insert(entry.as_ptr());
        self.made.push(entry);
    }

    /// Puts `p` where the terminator was, and the terminator after it.
    fn insert(&mut self, p: *const c_char) {
        if let Some(last) = self.ptrs.last_mut() {
            *last = p;
        }
        self.ptrs.push(null());
    }

    /// The NULL-terminated array, for execve.
    pub fn as_ptrs(&self) -> &[*const c_char] {
        &self.ptrs
    }

    /// Every entry, in order.
    pub fn entries(&self) -> impl Iterator<Item = &CStr> {
        let strings = self.ptrs.split_last().map(|(_null, strings)| strings);
        strings.unwrap_or_default().iter().map(|&p| {
            // SAFETY: every pointer but the terminator points to a
            // NUL-terminated string that outlives `self`: vigil's own entry
            // (alive for the whole process) or one in `made`, which `self`
            // owns and never drops an entry of.
            unsafe { CStr::from_ptr(p) }
        })
    }

    /// The value of the variable `name` in this environment.
    pub fn var(&self, name: &str) -> Option<&[u8]> {
        self.entries()
            .find_map(|e| value_of(e.to_bytes(), name.as_bytes()))
    }
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
    let mut args = alloc::vec::Vec::new();
    for i in 0..argc.max(0) as usize {
        // SAFETY: per the contract, argv[i] is a valid C string.
        args.push(unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes().to_vec());
    }
    args
}
