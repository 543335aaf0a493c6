//! `--wait-for` and `--watch`: each probe runs in a forked child (the same
//! probe as `vigil check`), so PID 1 never waits on a peer and keeps its signals.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::string::ToString;
use alloc::vec::Vec;
use core::time::Duration;

use super::EXIT_INTERNAL;
use super::InitOptions;
use crate::human::Shown;
use crate::probe::{CheckOptions, Deadline, Target, probe};
use crate::sys::process::{ProbeChild, Reaped, fork_probe, kill_and_reap, reap_one};
use crate::sys::signal::Signal;
use crate::sys::signals::{Mask, SignalFd, kill};
use crate::sys::time::{Instant, sleep};
use crate::{error, info};

/// Exit status when the watchdog stopped the child (EX_TEMPFAIL, sysexits(3):
/// "try again later"), whatever status the child then exits with.
pub const EXIT_WATCHDOG: i32 = 75;
/// Longest single `--wait-for` attempt, and the pause between attempts.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
const RETRY_DELAY: Duration = Duration::from_millis(500);
/// A watch probe that outlives its own timeout by this much is killed.
const PROBE_SLACK: Duration = Duration::from_secs(1);

/// Forks a child that probes `target` within `timeout`. The child gets the
/// mask vigil started with, plus SIGPIPE blocked as `vigil check` has it.
fn start_probe(
    target: &Target,
    timeout: Duration,
    started: Mask,
) -> crate::sys::errno::Result<ProbeChild> {
    let mask = Mask(started.0 | 1u64 << (libc::SIGPIPE - 1));
    fork_probe(mask, || {
        let opts = CheckOptions::new(Vec::new());
        let report = probe(target, &opts, Deadline::after(timeout));
        (report.ok(), report.to_string())
    })
}

/// Reaps what has ended; returns `pid`'s status once it is among them.
fn reap_until(pid: i32) -> Option<i32> {
    loop {
        match reap_one() {
            Reaped::Child { pid: p, status } if p == pid => return Some(status),
            Reaped::Child { .. } => {}
            Reaped::Nothing | Reaped::NoChildren => return None,
        }
    }
}

/// Sleeps on the signalfd until `until` or a signal. `Err(128+N)` for a
/// SIGTERM, SIGINT or SIGQUIT: nothing runs yet, so vigil just ends.
fn pause(
    sigfd: &SignalFd,
    until: Instant,
    batch: &mut Vec<crate::sys::signals::Received>,
) -> Result<(), i32> {
    let wait = sigfd.wait(Some(until.saturating_duration_since(Instant::now())));
    if matches!(wait, Ok(true)) && sigfd.read(batch).is_ok() {
        if let Some(r) = batch
            .iter()
            .find(|r| [Signal::TERM, Signal::INT, Signal::QUIT].contains(&r.signal))
        {
            info!("{}: not waiting", r.signal);
            return Err(128 + r.signal.0);
        }
    } else if wait.is_err() {
        sleep(RETRY_DELAY.min(until.saturating_duration_since(Instant::now())));
    }
    Ok(())
}

/// Waits until every `--wait-for` target passes, in order, within
/// `--wait-timeout`. `Err` is vigil's exit status: 1 on timeout, 128+N on a signal.
pub fn wait_for(opts: &InitOptions, sigfd: &SignalFd, started: Mask) -> Result<(), i32> {
    let end = Deadline::after(opts.wait_timeout);
    let mut batch = Vec::with_capacity(16);
    for target in &opts.wait_for {
        let mut last = String::from("no attempt finished");
        loop {
            let Some(left) = end.remaining() else {
                error!(
                    "--wait-for: not ready after {}: {last}",
                    Shown(opts.wait_timeout)
                );
                return Err(EXIT_INTERNAL);
            };
            let begun = Instant::now();
            let child = start_probe(target, left.min(ATTEMPT_TIMEOUT), started).map_err(|e| {
                error!("cannot start a probe: {e}");
                EXIT_INTERNAL
            })?;
            let status = loop {
                if let Some(s) = reap_until(child.pid) {
                    break Some(s);
                }
                if end.passed() {
                    break None;
                }
                if let Err(code) = pause(sigfd, begun + left, &mut batch) {
                    kill_and_reap(child.pid);
                    return Err(code);
                }
            };
            match status {
                Some(0) => break,
                Some(_) => last = child.report(),
                None => kill_and_reap(child.pid),
            }
            let retry_at = begun + RETRY_DELAY;
            while Instant::now() < retry_at && !end.passed() {
                pause(sigfd, retry_at, &mut batch)?;
                reap_until(0);
            }
        }
    }
    Ok(())
}

/// The liveness watchdog's state: Docker's HEALTHCHECK schedule, but acting on it.
pub struct Watchdog {
    target: Target,
    interval: Duration,
    timeout: Duration,
    retries: u32,
    /// Failures of probes started before this instant do not count...
    counts_from: Instant,
    /// ...unless a probe passed already (Docker: the start period ends early).
    passed_once: bool,
    failures: u32,
    /// When the next probe starts; `None` while one runs or once fired.
    next: Option<Instant>,
    running: Option<(ProbeChild, Instant)>,
}

impl Watchdog {
    pub fn new(opts: &InitOptions, target: Target) -> Watchdog {
        let now = Instant::now();
        Watchdog {
            target,
            interval: opts.watch_interval,
            timeout: opts.watch_timeout,
            retries: opts.watch_retries,
            counts_from: now + opts.watch_start_period,
            passed_once: false,
            failures: 0,
            next: Some(now + opts.watch_interval),
            running: None,
        }
    }

    /// The next instant the watchdog needs a wake-up at.
    pub fn deadline(&self) -> Option<Instant> {
        match &self.running {
            Some((_, kill_at)) => Some(*kill_at),
            None => self.next,
        }
    }

    /// Starts a due probe, or kills one that overran its own deadline.
    pub fn on_clock(&mut self, now: Instant, started: Mask) {
        if let Some((child, kill_at)) = &self.running {
            if now >= *kill_at {
                let _ = kill(child.pid, Signal::KILL);
            }
            return;
        }
        if self.next.is_some_and(|at| now >= at) {
            self.next = None;
            match start_probe(&self.target, self.timeout, started) {
                Ok(child) => self.running = Some((child, now + self.timeout + PROBE_SLACK)),
                Err(e) => {
                    error!("cannot start a probe: {e}");
                    self.next = Some(now + self.interval);
                }
            }
        }
    }

    /// Takes a reaped pid's status; true if it was our probe. Returns the
    /// message to log when this failure is the one that fires.
    pub fn on_reaped(&mut self, pid: i32, status: i32) -> (bool, Option<String>) {
        let Some((child, started)) = self.running.take_if(|(c, _)| c.pid == pid) else {
            return (false, None);
        };
        let now = Instant::now();
        let begun = started - self.timeout - PROBE_SLACK;
        if status == 0 {
            self.passed_once = true;
            self.failures = 0;
        } else if self.passed_once || begun >= self.counts_from {
            self.failures += 1;
            if self.failures >= self.retries {
                let mut last = child.report();
                if last.is_empty() {
                    last = "probe killed".to_owned();
                }
                return (
                    true,
                    Some(format!(
                        "--watch {}: {} failures, last: {last}; stopping the child",
                        self.target.as_str(),
                        self.failures
                    )),
                );
            }
        }
        self.next = Some(now + self.interval);
        (true, None)
    }
}
