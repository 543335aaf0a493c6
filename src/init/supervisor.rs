//! The supervisor loop: sleeps on the signalfd, forwards signals, reaps every
//! child, and runs the shutdown sequence (grace clock, SIGTERM, SIGKILL).
//! It has no timer while nothing is shutting down and no `--watch` is set, so
//! an idle vigil never wakes.

use alloc::vec::Vec;
use core::time::Duration;

use super::InitOptions;
use super::probes::{EXIT_WATCHDOG, Watchdog};
use super::shutdown::signal_all;
use crate::human::Shown;
use crate::sys::process::{Reaped, reap_one};
use crate::sys::signal::Signal;
use crate::sys::signals::{Mask, Received, SignalFd, kill};
use crate::sys::time::{Instant, sleep};
use crate::{debug, error, info, warn};

/// How often vigil re-sends SIGKILL after the grace period, in case something
/// forked between the kill and its death.
const REKILL_INTERVAL: Duration = Duration::from_millis(100);

pub struct Supervisor<'a> {
    opts: &'a InitOptions,
    sigfd: SignalFd,
    child: i32,
    is_pid1: bool,
    /// vigil's own pid (as the kernel reports senders), never a forwarding source.
    own_pid: u32,
    /// The main child's status once it has been reaped.
    main_status: Option<i32>,
    /// Set by the first shutdown trigger: a TERM/INT/QUIT or the main child's exit.
    grace_ends: Option<Instant>,
    /// Set once the grace period ran out and SIGKILL went out.
    killing: bool,
    /// The mask vigil started with, for watchdog probe children.
    started_mask: Mask,
    watchdog: Option<Watchdog>,
    /// The watchdog stopped the child: the exit status is EXIT_WATCHDOG.
    fired: bool,
}

impl<'a> Supervisor<'a> {
    pub fn new(
        opts: &'a InitOptions,
        sigfd: SignalFd,
        child: i32,
        is_pid1: bool,
        started_mask: Mask,
    ) -> Self {
        Supervisor {
            opts,
            sigfd,
            child,
            is_pid1,
            own_pid: crate::sys::process::getpid() as u32,
            main_status: None,
            grace_ends: None,
            killing: false,
            started_mask,
            watchdog: opts.watch.clone().map(|t| Watchdog::new(opts, t)),
            fired: false,
        }
    }

    /// The watchdog, while it still has work: not once shutdown started.
    fn watching(&mut self) -> Option<&mut Watchdog> {
        if self.grace_ends.is_some() || self.main_status.is_some() {
            return None;
        }
        self.watchdog.as_mut()
    }

    /// Runs until the main child and every other child are gone; returns
    /// vigil's exit status.
    pub fn run(mut self) -> i32 {
        let mut batch = Vec::with_capacity(16);
        loop {
            let timeout = self.timeout(Instant::now());
            match self.sigfd.wait(timeout) {
                Ok(true) => {
                    if let Err(e) = self.sigfd.read(&mut batch) {
                        error!("reading signals failed: {e}");
                    }
                    for received in &batch {
                        self.on_signal(*received);
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    // Never seen in practice; sleep-free retries would spin, so
                    // wait on the kernel's clock instead of the signalfd.
                    error!("waiting for signals failed: {e}");
                    sleep(REKILL_INTERVAL);
                }
            }
            if let Some(code) = self.reap() {
                return code;
            }
            self.on_clock(Instant::now());
        }
    }

    /// How long the next wait may last: forever unless shutting down or watching.
    fn timeout(&mut self, now: Instant) -> Option<Duration> {
        if self.killing {
            return Some(REKILL_INTERVAL);
        }
        self.grace_ends
            .or_else(|| self.watching()?.deadline())
            .map(|end| end.saturating_duration_since(now))
    }

    fn on_signal(&mut self, r: Received) {
        let sig = r.signal;
        if sig == Signal::CHLD {
            return; // reap() runs after every wake-up
        }
        if r.pid == self.own_pid {
            // vigil's own SIGPIPE (stderr's reader gone) or SIGXFSZ: ours, not the app's.
            debug!("{sig} raised by vigil itself: not forwarded");
            return;
        }
        if self.main_status.is_some() {
            debug!(
                "{sig} from pid {} after the child exited: not forwarded",
                r.pid
            );
            return;
        }
        if r.from_kernel && !self.opts.group && is_terminal_signal(sig) {
            // The terminal sent it to the whole foreground group, and the child
            // shares ours: it has it already. Forwarding would deliver it twice,
            // and a ^C at an interactive shell is no reason to shut down.
            debug!("{sig} from the terminal: the child has it already");
            return;
        }
        if sig.is_synchronous_fault() {
            debug!(
                "{sig} from pid {} ignored: a fault signal is not forwarded",
                r.pid
            );
            return;
        }
        let Some(to) = self.rewritten(sig) else {
            debug!("{sig} from pid {} dropped by --rewrite", r.pid);
            return;
        };
        self.forward(to);
        if [Signal::TERM, Signal::INT, Signal::QUIT].contains(&sig) {
            self.start_grace_clock(sig);
        }
    }

    fn rewritten(&self, sig: Signal) -> Option<Signal> {
        match self.opts.rewrites.iter().find(|(from, _)| *from == sig) {
            Some((_, to)) => *to,
            None => Some(sig),
        }
    }

    fn forward(&self, sig: Signal) {
        let (target, what) = if self.opts.group {
            (-self.child, "process group")
        } else {
            (self.child, "pid")
        };
        match kill(target, sig) {
            Ok(()) => debug!("forwarded {sig} to {what} {}", self.child),
            // Never fatal (tini exits on EPERM: tini#9).
            Err(e) => warn!("cannot forward {sig} to {what} {}: {e}", self.child),
        }
    }

    fn start_grace_clock(&mut self, why: Signal) {
        if self.grace_ends.is_none() {
            info!(
                "{why}: shutting down, grace period {}",
                Shown(self.opts.grace)
            );
            self.grace_ends = Some(Instant::now() + self.opts.grace);
        }
    }

    /// Reaps every child that has ended. Returns vigil's exit status once the
    /// main child has exited and no other child is left.
    fn reap(&mut self) -> Option<i32> {
        let mut main_just_exited = false;
        loop {
            match reap_one() {
                Reaped::Child { pid, status } if pid == self.child => {
                    debug!("child {pid} exited with status {status}");
                    self.main_status = Some(status);
                    main_just_exited = true;
                }
                Reaped::Child { pid, status } => {
                    let (ours, fire) = match self.watchdog.as_mut() {
                        Some(w) => w.on_reaped(pid, status),
                        None => (false, None),
                    };
                    if !ours {
                        debug!("reaped pid {pid} (status {status})");
                    }
                    if let Some(line) = fire.filter(|_| self.watching().is_some()) {
                        error!("{line}");
                        self.fired = true;
                        // Exactly as if SIGTERM had come: rewrite and grace apply.
                        self.on_signal(Received {
                            signal: Signal::TERM,
                            pid: 0,
                            from_kernel: false,
                        });
                    }
                }
                Reaped::Nothing => break,
                Reaped::NoChildren => return self.main_status.map(|s| self.exit_code(s)),
            }
        }
        if main_just_exited && !self.killing {
            // Others remain: let them clean up before the grace clock runs out.
            if self.grace_ends.is_none() {
                self.grace_ends = Some(Instant::now() + self.opts.grace);
            }
            signal_all(Signal::TERM, self.is_pid1);
            // A stopped leftover could not act on SIGTERM until the SIGKILL.
            signal_all(Signal::CONT, self.is_pid1);
            info!("child exited; sent SIGTERM to the remaining processes, waiting for them");
        }
        None
    }

    fn on_clock(&mut self, now: Instant) {
        let mask = self.started_mask;
        if let Some(w) = self.watching() {
            w.on_clock(now, mask);
        }
        let Some(end) = self.grace_ends else { return };
        if now < end {
            return;
        }
        if !self.killing {
            warn!(
                "grace period of {} is over: sending SIGKILL to every remaining process",
                Shown(self.opts.grace)
            );
            self.killing = true;
        }
        signal_all(Signal::KILL, self.is_pid1);
        if self.main_status.is_none() && !self.is_pid1 {
            // The main child is a descendant too, but make sure of it even if
            // /proc is missing.
            let _ = kill(self.child, Signal::KILL);
        }
    }

    fn exit_code(&self, status: i32) -> i32 {
        if self.fired {
            EXIT_WATCHDOG
        } else if u8::try_from(status).is_ok_and(|s| self.opts.success_exits.contains(&s)) {
            0
        } else {
            status
        }
    }
}

/// Signals a terminal driver sends to its foreground process group.
fn is_terminal_signal(sig: Signal) -> bool {
    [Signal::INT, Signal::QUIT, Signal::TSTP, Signal::WINCH].contains(&sig)
}
