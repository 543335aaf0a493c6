//! `vigil health`: finds the vigil of this container, asks it, and says
//! whether the level holds. The work is bounded: one read of /proc/net/unix,
//! a connect and a read under `DEADLINE`, and a few /proc files.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::{Level, MAX_LINE, State, first_mount, socket_name};
use crate::exit_status::{HEALTHY, UNHEALTHY};
use crate::log::error;
use crate::sys::fs;
use crate::sys::process::getpid;
use crate::sys::time::Instant;
use crate::sys::unix_socket::{connect, peer_pid};

/// How long vigil may take to answer: a stopped or wedged vigil never does,
/// and then its container reads as failing at every level.
pub const DEADLINE: Duration = Duration::from_secs(2);

/// The most of /proc/net/unix read.
const TABLE_LIMIT: usize = 64 << 20;

/// Runs `vigil health`: prints vigil's line (unless `quiet`) and returns 0
/// when `level` holds, 1 when it does not or no vigil answers.
///
/// Several vigils in one container (`docker run --init` with vigil as the
/// ENTRYPOINT too) each hold part of its state: the outer one takes the
/// `VIGIL_*` variables, the inner one its arguments. The level holds only
/// when it holds for each; the line shown is the first one's for which it
/// does not, else the innermost's (the newest: the highest pid).
pub fn main(level: Level, quiet: bool) -> i32 {
    let pids = match vigils() {
        Ok(pids) => pids,
        Err(why) => {
            error!("health: {why}");
            return UNHEALTHY;
        }
    };
    // (fails, pid, line): a failing one's line beats a passing one's, then
    // the newest's.
    let mut shown = (false, 0, String::new());
    let mut holds = true;
    for pid in pids {
        let answer = match ask(pid) {
            Ok(answer) => answer,
            Err(why) => {
                error!("health: {why}");
                return UNHEALTHY;
            }
        };
        // The answer starts with `+` or `-` (checked when read).
        let (started, line) = match answer.strip_prefix('+') {
            Some(line) => (true, line),
            None => (false, answer.strip_prefix('-').unwrap_or(&answer)),
        };
        let end = line.bytes().position(|b| matches!(b, b' ' | b':' | b'\n'));
        let state = line.get(..end.unwrap_or(line.len())).unwrap_or("");
        let fails = !State::holds(state, started, level);
        if (fails, pid) > (shown.0, shown.1) {
            shown = (fails, pid, String::from(line));
        }
        holds &= !fails;
    }
    if !quiet {
        let _ = crate::sys::stdio::stdout(shown.2.as_bytes());
    }
    if holds { HEALTHY } else { UNHEALTHY }
}

/// The pids of the vigils this container's health is asked of: every one
/// whose listener's name holds our first mount and whose own first mount is
/// ours, or only the nearest that runs this process (a probe under vigil).
fn vigils() -> Result<Vec<i32>, &'static str> {
    let ours = first_mount("self").ok_or("cannot read /proc/self/mountinfo")?;
    let mut prefix = b"@vigil-health-".to_vec();
    prefix.extend_from_slice(&ours);
    prefix.push(b'-');
    // Num RefCount Protocol Flags Type St Inode Path: a listener's flags are
    // __SO_ACCEPTCON (its accepted sockets show the same path). Any process
    // of this network namespace (another container of the pod) can take a
    // name: only a pid whose first mount is ours counts.
    let listener = |line: &[u8]| -> Option<i32> {
        let mut fields = fs::split(line, b' ').filter(|f| !f.is_empty());
        let listening = fields.nth(3)? == b"00010000";
        let pid = fields.nth(3)?.strip_prefix(&prefix[..])?;
        let number = fs::decimal(pid)?;
        let pid = core::str::from_utf8(pid).ok()?;
        (listening && first_mount(pid).as_ref() == Some(&ours)).then_some(number)
    };
    // Up to 64 MiB, not the 4 MiB `fs::read` keeps: the table holds every
    // unix socket of the network namespace, unnamed ones (a proxy's
    // connections, 57 bytes a line) before every abstract name, so vigil's
    // line may come after 75,000 of them; a million fit.
    let table =
        fs::read_up_to(c"/proc/net/unix", TABLE_LIMIT).map_err(|_| "cannot read /proc/net/unix")?;
    let mut pids: Vec<i32> = Vec::new();
    for line in fs::lines(&table) {
        pids.extend(listener(line));
    }
    if pids.is_empty() {
        return Err("no vigil listens in this container (run it where vigil is the init)");
    }
    let mut pid = getpid();
    for _ in 0..64 {
        match fs::parent_of(pid) {
            Some(parent) if pids.contains(&parent) => return Ok(alloc::vec![parent]),
            Some(parent) if parent > 0 => pid = parent,
            _ => break,
        }
    }
    Ok(pids)
}

/// vigil `pid`'s answer, `+STATE ...\n` or `-STATE ...\n`, or why there is none.
fn ask(pid: i32) -> Result<String, &'static str> {
    let ours = first_mount("self").ok_or("cannot read /proc/self/mountinfo")?;
    let end = Instant::now() + DEADLINE;
    let late = "vigil did not answer within 2s";
    let stream = connect(&socket_name(&ours, pid), DEADLINE).map_err(|_| late)?;
    // The socket must be held by that very pid, as this PID namespace numbers
    // it (0 when it is outside).
    if peer_pid(&stream) != Ok(pid) {
        return Err("refused a socket held by another container");
    }
    let mut answer = [0u8; MAX_LINE];
    let mut len = 0;
    while len < MAX_LINE {
        let left = end.checked_duration_since(Instant::now()).ok_or(late)?;
        match stream.read(answer.get_mut(len..).unwrap_or_default(), left) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(_) => return Err(late),
        }
    }
    let answer = answer.get(..len).unwrap_or_default();
    match answer.first() {
        Some(b'+' | b'-') if answer.ends_with(b"\n") => {
            Ok(String::from_utf8_lossy(answer).into_owned())
        }
        _ => Err("unreadable answer (another vigil version?)"),
    }
}
