//! `--user USER[:GROUP]`: resolves names and numbers against /etc/passwd and
//! /etc/group (read as bytes, no NSS), the way `initgroups(3)` would.

use alloc::ffi::CString;
use alloc::vec;

use crate::sys::fs::{self, lines, split};
use crate::sys::process::Creds;

/// Resolves `spec` in the parent, before fork; the error says what is missing.
pub fn resolve(spec: &str) -> Result<Creds, &'static str> {
    let passwd = fs::read(c"/etc/passwd").unwrap_or_default();
    let groups = fs::read(c"/etc/group").ok();
    resolve_in(spec, &passwd, groups.as_deref())
}

/// A decimal id: digits only, no sign, fits in 32 bits.
pub fn number(text: &[u8]) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u32, |n, &b| {
        let digit = (b as char).to_digit(10)?;
        n.checked_mul(10)?.checked_add(digit)
    })
}

/// The fields of a passwd or group line as `[name, password, id, 4th, 5th,
/// 6th]`, missing ones empty. Split as bytes, as getent(1) reads them: a
/// field vigil never looks at (a Latin-1 GECOS) cannot hide the line.
type Fields<'f> = [&'f [u8]; 6];

/// The entries of a passwd or group file (passwd(5) and group(5) have no
/// comments).
fn entries(file: &[u8]) -> impl Iterator<Item = Fields<'_>> {
    lines(file).map(fields)
}

/// The first entry whose fields satisfy `pick`.
fn find<'f>(file: &'f [u8], pick: impl Fn(&Fields<'f>) -> bool) -> Option<Fields<'f>> {
    entries(file).find(|f| pick(f))
}

fn fields(line: &[u8]) -> Fields<'_> {
    let mut out: Fields<'_> = [b""; 6];
    for (slot, field) in out.iter_mut().zip(split(line, b':')) {
        *slot = field;
    }
    out
}

pub(crate) fn resolve_in(
    spec: &str,
    passwd: &[u8],
    group_file: Option<&[u8]>,
) -> Result<Creds, &'static str> {
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let numeric = number(user.as_bytes());
    // A passwd entry by name, or by number when there is one.
    let entry = find(passwd, |f| match numeric {
        Some(n) => number(f[2]) == Some(n),
        None => f[0] == user.as_bytes(),
    });
    let (uid, mut gid, name, home): (_, _, &[u8], &[u8]) = match (entry, numeric) {
        (Some(f), _) => match (number(f[2]), number(f[3])) {
            (Some(uid), Some(gid)) => (uid, gid, f[0], f[5]),
            _ => return Err("bad /etc/passwd entry"),
        },
        // A number without an entry: group 0, as Docker and runc do.
        (None, Some(n)) => (n, 0, b"", b""),
        (None, None) => return Err("not in /etc/passwd"),
    };
    let group_file = group_file.unwrap_or_default();
    if let Some(g) = group {
        gid = match number(g.as_bytes()) {
            Some(n) => n,
            None => find(group_file, |f| f[0] == g.as_bytes())
                .and_then(|f| number(f[2]))
                .ok_or("group not in /etc/group")?,
        };
    }
    let mut groups = vec![gid];
    // An explicit group is the only one, as gosu, su-exec, runc and Docker's
    // --user set it (moby's GetExecUser adds supplementary groups only for
    // USER alone). Else initgroups(3): the primary group plus every group
    // that lists the user.
    if group.is_none() && !name.is_empty() {
        for f in entries(group_file) {
            if split(f[3], b',').any(|m| m == name) {
                if let Some(g) = number(f[2]).filter(|g| !groups.contains(g)) {
                    groups.push(g);
                }
            }
        }
    }
    // No passwd entry (or an empty home): HOME=/, as gosu, su-exec and Docker.
    let home = if home.is_empty() { b"/" } else { home };
    Ok(Creds {
        uid,
        gid,
        groups,
        home: CString::new(home).ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    const PASSWD: &[u8] =
        b"root:x:0:0:root:/root:/bin/sh\nbad:\xff:1:1::/:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbroken\n";
    const GROUP: &[u8] =
        b"root:x:0:\n\xfe:x:9:alice\nalice:x:1000:\nextra:x:4321:bob,alice\nother:x:5:bob\n";

    #[test]
    fn names_numbers_and_groups() {
        // Group 9's name is not UTF-8, but only its id and members are used.
        let c = resolve_in("alice", PASSWD, Some(GROUP)).unwrap();
        assert_eq!(
            (c.uid, c.gid, c.groups.clone()),
            (1000, 1000, vec![1000, 9, 4321])
        );
        assert_eq!(c.home.as_deref(), Some(c"/home/alice"));
        let c = resolve_in("1000:extra", PASSWD, Some(GROUP)).unwrap();
        assert_eq!((c.uid, c.gid), (1000, 4321));
        let c = resolve_in("65534:65534", b"", None).unwrap();
        assert_eq!(
            (c.uid, c.gid, c.groups, c.home),
            (65534, 65534, vec![65534], Some(c"/".into()))
        );
        let c = resolve_in("77", PASSWD, Some(GROUP)).unwrap();
        assert_eq!((c.uid, c.gid), (77, 0));
        assert!(resolve_in("bob", PASSWD, Some(GROUP)).is_err());
        assert!(resolve_in("alice:nope", PASSWD, Some(GROUP)).is_err());
        assert_eq!(number(b"4294967295"), Some(u32::MAX));
        assert_eq!(number(b"4294967296"), None);
        assert_eq!(number(b"-1"), None);
        assert_eq!(number(b"+1"), None);
        assert!(resolve_in("alice:nope", PASSWD, None).is_err());
    }

    // An explicit group replaces the supplementary list (it kept initgroups').
    #[test]
    fn an_explicit_group_is_the_only_group() {
        for spec in ["alice:extra", "alice:4321", "1000:extra"] {
            let c = resolve_in(spec, PASSWD, Some(GROUP)).unwrap();
            assert_eq!((c.gid, c.groups), (4321, vec![4321]), "{spec}");
        }
        let c = resolve_in("alice:alice", PASSWD, Some(GROUP)).unwrap();
        assert_eq!(c.groups, vec![1000]);
    }

    // A uid with no passwd entry gets HOME=/ (it kept vigil's own HOME).
    #[test]
    fn a_uid_without_an_entry_gets_home_slash() {
        for spec in ["77", "77:5", "65534:65534"] {
            let c = resolve_in(spec, PASSWD, Some(GROUP)).unwrap();
            assert_eq!(c.home.as_deref(), Some(c"/"), "{spec}");
        }
        let c = resolve_in("nohome", b"nohome:x:5:5:::/bin/sh\n", None).unwrap();
        assert_eq!(c.home.as_deref(), Some(c"/"));
    }

    // Lines are split as bytes: a Latin-1 GECOS, home or other member no
    // longer hides the entry (a non-UTF-8 byte anywhere dropped the line).
    #[test]
    fn a_byte_that_is_not_utf8_in_an_unused_field_keeps_the_line() {
        let passwd = b"caf\xe9:x:1:1\nalice:x:1000:1000:Al\xefce:/home/al\xefce:/bin/sh\n";
        let group = b"extra:x:4321:j\xf6rg,alice\nlatin:\xe9:77:alice\n";
        let c = resolve_in("alice", passwd, Some(group)).unwrap();
        assert_eq!((c.uid, c.gid), (1000, 1000));
        assert_eq!(c.groups, vec![1000, 4321, 77]);
        assert_eq!(
            c.home.as_deref().map(CStr::to_bytes),
            Some(&b"/home/al\xefce"[..])
        );
    }
}
