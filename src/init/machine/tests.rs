//! One test per rule of the README's "Signals", "Shutdown", "Exit status" and
//! "Beyond tini" (`--wait-for`, `--watch`) sections, asserting on the actions.

use super::*;
use crate::init::restart_policy::{OnUnhealthy, Restart, RestartRules};
use crate::init::watchdog::Watch;

const CHILD: i32 = 100;
const VIGIL: u32 = 7;
const GRACE: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Mono {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Mono {
    Duration::from_secs(n)
}

fn pid(n: i32) -> Pid {
    Pid::new(n).unwrap()
}

fn rules() -> Rules {
    Rules {
        program: "app".into(),
        user: None,
        group: false,
        own_group: false,
        rewrites: Vec::new(),
        success_exits: Vec::new(),
        grace: GRACE,
        is_pid1: false,
        tree_visible: true,
        own_pid: VIGIL,
        wait_for: 0,
        wait_timeout: secs(60),
        watch: None,
        stop_delay: Duration::ZERO,
        sidecars: Vec::new(),
        restart: RestartRules {
            policy: Restart::No,
            max: 5,
            window: secs(300),
        },
        on_unhealthy: OnUnhealthy::Exit,
    }
}

fn watch_rules() -> WatchRules {
    WatchRules {
        target: "http://127.0.0.1:8080/health".into(),
        interval: secs(10),
        timeout: secs(5),
        retries: 3,
        start_period: Duration::ZERO,
    }
}

/// A machine whose main child runs as pid 100, started at t=0.
fn running(rules: Rules) -> Machine {
    let mut m = Machine::new(rules);
    assert_eq!(m.start(Mono::ZERO), [Action::Start(ProcId::MAIN)]);
    m.on(
        Event::Started {
            id: ProcId::MAIN,
            pid: pid(CHILD),
        },
        Mono::ZERO,
    );
    assert_eq!(m.phase(), &Phase::Running);
    m
}

/// A signal sent by process 42.
fn sent(signal: Signal) -> Event {
    Event::Signal {
        signal,
        sender: 42,
        from_kernel: false,
    }
}

/// A signal the kernel generated (a terminal's ^C, ^\, ^Z, resize).
fn typed(signal: Signal) -> Event {
    Event::Signal {
        signal,
        sender: 0,
        from_kernel: true,
    }
}

fn reaped(n: i32, status: ExitStatus) -> Event {
    Event::Reaped {
        pid: pid(n),
        status,
    }
}

fn all_reaped(children_left: bool) -> Event {
    Event::ReapedAll {
        left: if children_left {
            Left::Children
        } else {
            Left::Nothing
        },
    }
}

/// As PID 1: no children, but processes vigil did not start remain.
fn only_others_left() -> Event {
    Event::ReapedAll {
        left: Left::OthersOnly,
    }
}

fn probe_done(probe: ProbeId, passed: bool, report: &str) -> Event {
    Event::ProbeDone {
        probe,
        passed,
        report: report.into(),
    }
}

/// The actions without the log lines.
fn effects(actions: Vec<Action>) -> Vec<Action> {
    actions
        .into_iter()
        .filter(|a| !matches!(a, Action::Log(..)))
        .collect()
}

fn logs(actions: &[Action]) -> Vec<(Level, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log(level, text) => Some((*level, text.clone())),
            _ => None,
        })
        .collect()
}

fn forward(signal: Signal) -> Action {
    Action::Forward {
        signal,
        to: To::Process(pid(CHILD)),
    }
}

const EXITED_0: ExitStatus = ExitStatus::Exited(0);

/// Main child exits with `status` and nothing else is left: vigil's exit.
fn exit_status_after(m: &mut Machine, status: ExitStatus, now: Mono) -> Vec<Action> {
    m.on(reaped(CHILD, status), now);
    effects(m.on(all_reaped(false), now))
}

// ---- Signals: what gets forwarded ----

#[test]
fn every_catchable_signal_is_forwarded_to_the_child() {
    let mut m = running(rules());
    for n in [1, 10, 12, 14, 28, 34, 37, 64] {
        let s = Signal(n);
        assert_eq!(effects(m.on(sent(s), ms(1))), [forward(s)], "{s}");
    }
    assert_eq!(m.phase(), &Phase::Running);
}

#[test]
fn with_group_signals_go_to_the_childs_process_group() {
    let mut m = running(Rules {
        group: true,
        own_group: true,
        ..rules()
    });
    assert_eq!(
        effects(m.on(sent(Signal::HUP), ms(1))),
        [Action::Forward {
            signal: Signal::HUP,
            to: To::Group(pid(CHILD))
        }]
    );
}

#[test]
fn rewrite_applies_before_forwarding() {
    let mut m = running(Rules {
        rewrites: vec![(Signal::HUP, Some(Signal::QUIT))],
        ..rules()
    });
    assert_eq!(
        effects(m.on(sent(Signal::HUP), ms(1))),
        [forward(Signal::QUIT)]
    );
    // A rewrite to a stop signal does not make HUP a stop signal.
    assert_eq!(m.phase(), &Phase::Running);
}

#[test]
fn rewrite_to_zero_drops_and_starts_nothing() {
    let mut m = running(Rules {
        rewrites: vec![(Signal::TERM, None)],
        ..rules()
    });
    let out = m.on(sent(Signal::TERM), ms(1));
    assert_eq!(effects(out.clone()), []);
    assert_eq!(
        logs(&out),
        [(
            Level::Debug,
            "SIGTERM from pid 42 dropped by --rewrite".into()
        )]
    );
    assert_eq!(m.phase(), &Phase::Running);
    assert_eq!(m.deadline(), None);
}

#[test]
fn chld_is_never_forwarded() {
    let mut m = running(rules());
    assert_eq!(m.on(sent(Signal::CHLD), ms(1)), []);
}

#[test]
fn fault_signals_are_never_forwarded() {
    let mut m = running(rules());
    for n in [
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGILL,
        libc::SIGTRAP,
        libc::SIGSYS,
    ] {
        assert_eq!(effects(m.on(sent(Signal(n)), ms(1))), [], "{n}");
    }
}

#[test]
fn signals_raised_by_vigil_itself_are_not_forwarded() {
    let mut m = running(rules());
    let own = Event::Signal {
        signal: Signal(libc::SIGPIPE),
        sender: VIGIL,
        from_kernel: false,
    };
    assert_eq!(effects(m.on(own, ms(1))), []);
}

#[test]
fn a_signal_is_forwarded_again_and_again_while_the_child_runs() {
    // Forwarding has no state: a failed forward (logged by the loop) changes nothing.
    let mut m = running(rules());
    for _ in 0..3 {
        assert_eq!(
            effects(m.on(sent(Signal(10)), ms(1))),
            [forward(Signal(10))]
        );
    }
}

// ---- Signals: terminals ----

#[test]
fn terminal_int_without_group_is_not_forwarded() {
    let mut m = running(rules());
    for s in [Signal::INT, Signal::QUIT, Signal::TSTP, Signal::WINCH] {
        assert_eq!(effects(m.on(typed(s), ms(1))), [], "{s}");
    }
}

#[test]
fn terminal_int_does_not_start_a_shutdown() {
    let mut m = running(rules());
    m.on(typed(Signal::INT), ms(1));
    m.on(typed(Signal::QUIT), ms(1));
    assert_eq!(m.phase(), &Phase::Running);
    assert_eq!(m.deadline(), None);
}

#[test]
fn terminal_signals_with_group_are_forwarded_to_the_group() {
    let mut m = running(Rules {
        group: true,
        own_group: true,
        ..rules()
    });
    for s in [Signal::TSTP, Signal::WINCH] {
        assert_eq!(
            effects(m.on(typed(s), ms(1))),
            [Action::Forward {
                signal: s,
                to: To::Group(pid(CHILD))
            }]
        );
    }
}

#[test]
fn terminal_signals_reach_a_child_with_its_own_group_once_without_g() {
    // Issue 11, item 13: on a terminal the child has a group of its own (and
    // the foreground) without -g too. A terminal signal that reaches vigil's
    // group then did not reach the child's: it is forwarded, to the pid.
    let mut m = running(Rules {
        own_group: true,
        ..rules()
    });
    for s in [Signal::INT, Signal::TSTP] {
        assert_eq!(effects(m.on(typed(s), ms(1))), [forward(s)], "{s}");
    }
}

#[test]
fn int_sent_by_a_process_is_forwarded_and_starts_shutdown() {
    // `docker kill -s INT` comes from a process, not the terminal driver.
    let mut m = running(rules());
    assert_eq!(
        effects(m.on(sent(Signal::INT), ms(1))),
        [forward(Signal::INT)]
    );
    assert!(matches!(m.phase(), Phase::Stopping { .. }));
}

// ---- Shutdown: start ----

#[test]
fn term_starts_the_grace_clock_and_is_forwarded() {
    let mut m = running(rules());
    let out = m.on(sent(Signal::TERM), secs(3));
    assert_eq!(
        logs(&out),
        [(
            Level::Info,
            "SIGTERM: shutting down, grace period 10s".into()
        )]
    );
    assert_eq!(effects(out), [forward(Signal::TERM)]);
    assert_eq!(
        m.phase(),
        &Phase::Stopping {
            kill_at: secs(13),
            sidecars_at: secs(8)
        }
    );
    assert_eq!(m.deadline(), Some(secs(13)));
}

#[test]
fn int_and_quit_start_the_grace_clock_too() {
    for s in [Signal::INT, Signal::QUIT] {
        let mut m = running(rules());
        assert_eq!(effects(m.on(sent(s), secs(1))), [forward(s)]);
        assert_eq!(
            m.phase(),
            &Phase::Stopping {
                kill_at: secs(11),
                sidecars_at: secs(6)
            },
            "{s}"
        );
    }
}

#[test]
fn other_signals_do_not_start_a_shutdown() {
    let mut m = running(rules());
    for n in [1, 10, 12, 14, 34] {
        m.on(sent(Signal(n)), ms(1));
    }
    assert_eq!(m.phase(), &Phase::Running);
}

#[test]
fn a_second_term_is_forwarded_and_keeps_the_first_deadline() {
    let mut m = running(rules());
    m.on(sent(Signal::TERM), secs(1));
    let out = m.on(sent(Signal::TERM), secs(4));
    assert_eq!(logs(&out), []);
    assert_eq!(effects(out), [forward(Signal::TERM)]);
    assert_eq!(
        m.phase(),
        &Phase::Stopping {
            kill_at: secs(11),
            sidecars_at: secs(6)
        }
    );
}

#[test]
fn a_rewritten_term_is_forwarded_as_its_rewrite_and_starts_shutdown() {
    let mut m = running(Rules {
        rewrites: vec![(Signal::TERM, Some(Signal::QUIT))],
        ..rules()
    });
    assert_eq!(
        effects(m.on(sent(Signal::TERM), secs(1))),
        [forward(Signal::QUIT)]
    );
    assert_eq!(
        m.phase(),
        &Phase::Stopping {
            kill_at: secs(11),
            sidecars_at: secs(6)
        }
    );
}

#[test]
fn main_exit_starts_the_grace_clock() {
    let mut m = running(rules());
    m.on(reaped(CHILD, EXITED_0), secs(2));
    m.on(all_reaped(true), secs(2));
    assert_eq!(m.phase(), &Phase::Draining { kill_at: secs(12) });
    assert_eq!(m.deadline(), Some(secs(12)));
}

// ---- Shutdown: the main child exits ----

#[test]
fn main_exit_sends_term_and_cont_to_the_remaining_tree() {
    let mut m = running(rules());
    assert_eq!(effects(m.on(reaped(CHILD, EXITED_0), secs(2))), []);
    let out = m.on(all_reaped(true), secs(2));
    assert_eq!(
        logs(&out),
        [(
            Level::Info,
            "child exited; sent SIGTERM to the remaining processes, waiting for them".into()
        )]
    );
    assert_eq!(
        effects(out),
        [
            Action::SignalTree(Signal::TERM),
            Action::SignalTree(Signal::CONT)
        ]
    );
}

#[test]
fn main_exit_during_stopping_keeps_the_deadline_and_signals_the_tree() {
    let mut m = running(rules());
    m.on(sent(Signal::TERM), secs(1));
    m.on(reaped(CHILD, ExitStatus::Signaled(Signal::TERM)), secs(3));
    assert_eq!(
        effects(m.on(all_reaped(true), secs(3))),
        [
            Action::SignalTree(Signal::TERM),
            Action::SignalTree(Signal::CONT)
        ]
    );
    assert_eq!(m.phase(), &Phase::Draining { kill_at: secs(11) });
}

#[test]
fn main_exit_with_nothing_left_exits_at_once_without_signalling() {
    let mut m = running(rules());
    assert_eq!(
        exit_status_after(&mut m, ExitStatus::Exited(4), secs(1)),
        [Action::Exit(4)]
    );
    assert_eq!(m.phase(), &Phase::Done(4));
    assert_eq!(m.deadline(), None);
}

#[test]
fn main_exit_after_the_grace_period_does_not_send_term_again() {
    let mut m = running(rules());
    m.on(sent(Signal::TERM), Mono::ZERO);
    m.on(Event::Clock, secs(10));
    m.on(
        reaped(CHILD, ExitStatus::Signaled(Signal::KILL)),
        ms(10_050),
    );
    assert_eq!(effects(m.on(all_reaped(true), ms(10_050))), []);
    assert!(matches!(m.phase(), Phase::Killing { .. }));
}

#[test]
fn signals_after_the_main_child_exited_are_not_forwarded() {
    let mut m = running(rules());
    m.on(reaped(CHILD, EXITED_0), secs(1));
    m.on(all_reaped(true), secs(1));
    for s in [Signal::TERM, Signal::HUP] {
        assert_eq!(effects(m.on(sent(s), secs(2))), [], "{s}");
    }
    assert_eq!(m.phase(), &Phase::Draining { kill_at: secs(11) });
}

#[test]
fn orphans_are_reaped_and_never_end_vigil() {
    let mut m = running(rules());
    let out = m.on(reaped(555, ExitStatus::Exited(9)), secs(1));
    assert_eq!(
        logs(&out),
        [(Level::Debug, "reaped pid 555 (status 9)".into())]
    );
    assert_eq!(effects(m.on(all_reaped(true), secs(1))), []);
    assert_eq!(m.phase(), &Phase::Running);
}

#[test]
fn only_the_first_reap_of_the_main_child_counts() {
    // An orphan that later gets the main child's pid is an orphan.
    let mut m = running(rules());
    m.on(reaped(CHILD, EXITED_0), secs(1));
    m.on(all_reaped(true), secs(1));
    m.on(reaped(CHILD, ExitStatus::Exited(9)), secs(2));
    assert_eq!(effects(m.on(all_reaped(true), secs(2))), []);
    assert_eq!(effects(m.on(all_reaped(false), secs(3))), [Action::Exit(0)]);
}

// ---- Shutdown: the grace period ends ----

#[test]
fn grace_end_sends_kill_and_repeats_every_100ms() {
    let mut m = running(rules());
    m.on(sent(Signal::TERM), Mono::ZERO);
    assert_eq!(effects(m.on(Event::Clock, ms(9_999))), []);
    let out = m.on(Event::Clock, secs(10));
    assert_eq!(
        logs(&out),
        [(
            Level::Warn,
            "grace period of 10s is over: sending SIGKILL to every remaining process".into()
        )]
    );
    let kill = [
        Action::SignalTree(Signal::KILL),
        Action::Kill {
            signal: Signal::KILL,
            pid: pid(CHILD),
        },
    ];
    assert_eq!(effects(out), kill);
    assert_eq!(m.deadline(), Some(ms(10_100)));
    assert_eq!(effects(m.on(Event::Clock, ms(10_050))), []);
    let again = m.on(Event::Clock, ms(10_100));
    assert_eq!(logs(&again), [], "the warning is said once");
    assert_eq!(effects(again), kill);
    assert_eq!(m.deadline(), Some(ms(10_200)));
}

#[test]
fn grace_end_after_main_exit_kills_the_leftovers() {
    let mut m = running(rules());
    m.on(reaped(CHILD, EXITED_0), secs(1));
    m.on(all_reaped(true), secs(1));
    assert_eq!(
        effects(m.on(Event::Clock, secs(11))),
        [Action::SignalTree(Signal::KILL)]
    );
}

#[test]
fn as_pid1_the_grace_end_kill_goes_to_the_tree_only() {
    // kill(-1) reaches the main child too.
    let mut m = running(Rules {
        is_pid1: true,
        ..rules()
    });
    m.on(sent(Signal::TERM), Mono::ZERO);
    assert_eq!(
        effects(m.on(Event::Clock, secs(10))),
        [Action::SignalTree(Signal::KILL)]
    );
}

#[test]
fn a_huge_grace_never_overflows_the_clock() {
    let mut m = running(Rules {
        grace: Duration::MAX,
        ..rules()
    });
    m.on(sent(Signal::TERM), secs(5));
    assert_eq!(m.deadline(), Some(Duration::MAX));
}

// ---- Shutdown: exit ----

#[test]
fn exit_as_soon_as_no_process_is_left_before_the_grace_ends() {
    let mut m = running(rules());
    m.on(sent(Signal::TERM), Mono::ZERO);
    m.on(reaped(CHILD, EXITED_0), secs(1));
    m.on(all_reaped(true), secs(1));
    m.on(reaped(300, EXITED_0), secs(2));
    assert_eq!(effects(m.on(all_reaped(false), secs(2))), [Action::Exit(0)]);
}

#[test]
fn an_idle_vigil_has_no_timer() {
    let m = running(rules());
    assert_eq!(m.deadline(), None);
}

// ---- Exit status ----

#[test]
fn exit_status_is_the_main_childs() {
    let mut m = running(rules());
    assert_eq!(
        exit_status_after(&mut m, ExitStatus::Exited(3), secs(1)),
        [Action::Exit(3)]
    );
}

#[test]
fn a_signal_death_exits_128_plus_n() {
    let mut m = running(rules());
    assert_eq!(
        exit_status_after(&mut m, ExitStatus::Signaled(Signal::TERM), secs(1)),
        [Action::Exit(143)]
    );
}

#[test]
fn the_grace_periods_sigkill_exits_137() {
    let mut m = running(rules());
    m.on(sent(Signal::TERM), Mono::ZERO);
    m.on(Event::Clock, secs(10));
    assert_eq!(
        exit_status_after(&mut m, ExitStatus::Signaled(Signal::KILL), ms(10_001)),
        [Action::Exit(137)]
    );
}

#[test]
fn success_exit_remaps_the_status_to_zero() {
    for status in [ExitStatus::Exited(3), ExitStatus::Signaled(Signal::TERM)] {
        let mut m = running(Rules {
            success_exits: vec![3, 143],
            ..rules()
        });
        assert_eq!(
            exit_status_after(&mut m, status, secs(1)),
            [Action::Exit(0)]
        );
    }
}

fn start_failure(error: StartError) -> (Vec<(Level, String)>, Vec<Action>) {
    let mut m = Machine::new(Rules {
        user: Some("65534:65534".into()),
        ..rules()
    });
    m.start(Mono::ZERO);
    let out = m.on(
        Event::StartFailed {
            id: ProcId::MAIN,
            error,
        },
        Mono::ZERO,
    );
    (logs(&out), effects(out))
}

#[test]
fn program_not_found_exits_127_naming_it() {
    let (logs, out) = start_failure(StartError::NotFound("No such file".into()));
    assert_eq!(out, [Action::Exit(127)]);
    assert_eq!(
        logs,
        [(Level::Error, "cannot run 'app': No such file".into())]
    );
}

#[test]
fn program_not_executable_exits_126_naming_it() {
    let (logs, out) = start_failure(StartError::NotExecutable("Permission denied".into()));
    assert_eq!(out, [Action::Exit(126)]);
    assert_eq!(
        logs,
        [(Level::Error, "cannot run 'app': Permission denied".into())]
    );
}

#[test]
fn a_failed_privilege_drop_exits_1_naming_the_user_and_step() {
    let (logs, out) = start_failure(StartError::Creds {
        step: "setgroups",
        error: "Operation not permitted".into(),
    });
    assert_eq!(out, [Action::Exit(1)]);
    assert_eq!(
        logs,
        [(
            Level::Error,
            "cannot run 'app' as user '65534:65534': setgroups: Operation not permitted".into()
        )]
    );
}

#[test]
fn a_failed_fork_exits_1() {
    let (logs, out) = start_failure(StartError::Fork("Resource busy".into()));
    assert_eq!(out, [Action::Exit(1)]);
    assert_eq!(
        logs,
        [(Level::Error, "cannot start 'app': Resource busy".into())]
    );
}

// ---- --wait-for ----

fn waiting(targets: usize, timeout: Duration) -> (Machine, Vec<Action>) {
    let mut m = Machine::new(Rules {
        wait_for: targets,
        wait_timeout: timeout,
        ..rules()
    });
    let out = m.start(Mono::ZERO);
    (m, out)
}

fn probe(i: usize, timeout: Duration) -> Action {
    Action::StartProbe {
        probe: ProbeId::WaitFor(i),
        timeout,
    }
}

#[test]
fn wait_for_probes_each_target_in_order_then_starts_program() {
    let (mut m, out) = waiting(2, secs(60));
    assert_eq!(out, [probe(0, secs(5))]);
    assert_eq!(m.procs()[0].state, ProcState::NotStarted);
    let out = m.on(probe_done(ProbeId::WaitFor(0), true, "ok"), ms(10));
    assert_eq!(out, [probe(1, secs(5))]);
    let out = m.on(probe_done(ProbeId::WaitFor(1), true, "ok"), ms(20));
    assert_eq!(out, [Action::Start(ProcId::MAIN)]);
    assert_eq!(m.phase(), &Phase::Starting);
}

#[test]
fn wait_for_retries_a_failed_attempt_500ms_after_it_began() {
    let (mut m, _) = waiting(1, secs(60));
    assert_eq!(
        m.on(probe_done(ProbeId::WaitFor(0), false, "refused"), ms(100)),
        []
    );
    assert_eq!(m.deadline(), Some(ms(500)));
    assert_eq!(m.on(Event::Clock, ms(499)), []);
    assert_eq!(m.on(Event::Clock, ms(500)), [probe(0, secs(5))]);
}

#[test]
fn wait_for_retries_at_once_after_a_slow_failed_attempt() {
    let (mut m, _) = waiting(1, secs(60));
    assert_eq!(
        m.on(probe_done(ProbeId::WaitFor(0), false, "timed out"), secs(5)),
        [probe(0, secs(5))]
    );
}

#[test]
fn wait_for_attempts_last_at_most_5s_and_the_time_left() {
    let (mut m, out) = waiting(1, secs(7));
    assert_eq!(out, [probe(0, secs(5))]);
    let out = m.on(probe_done(ProbeId::WaitFor(0), false, "refused"), secs(5));
    assert_eq!(out, [probe(0, secs(2))]);
}

#[test]
fn wait_for_timeout_cancels_the_probe_and_exits_1_naming_the_last_error() {
    let (mut m, _) = waiting(1, secs(2));
    m.on(
        probe_done(ProbeId::WaitFor(0), false, "fail tcp://db:5432 refused"),
        ms(100),
    );
    m.on(Event::Clock, ms(500));
    assert_eq!(m.deadline(), Some(secs(2)));
    assert_eq!(m.on(Event::Clock, ms(1_999)), []);
    let out = m.on(Event::Clock, secs(2));
    assert_eq!(
        logs(&out),
        [(
            Level::Error,
            "--wait-for: not ready after 2s: fail tcp://db:5432 refused".into()
        )]
    );
    assert_eq!(
        effects(out),
        [Action::CancelProbe(ProbeId::WaitFor(0)), Action::Exit(1)]
    );
}

#[test]
fn wait_for_that_never_finished_an_attempt_says_so() {
    let (mut m, _) = waiting(1, secs(1));
    let out = m.on(Event::Clock, secs(1));
    assert_eq!(
        logs(&out),
        [(
            Level::Error,
            "--wait-for: not ready after 1s: no attempt finished".into()
        )]
    );
}

#[test]
fn wait_for_with_a_zero_timeout_gives_up_at_once() {
    let (m, out) = waiting(1, Duration::ZERO);
    assert_eq!(effects(out), [Action::Exit(1)]);
    assert_eq!(m.phase(), &Phase::Done(1));
}

#[test]
fn a_stop_signal_during_wait_for_cancels_the_probe_and_exits_128_plus_n() {
    for (s, code) in [(Signal::TERM, 143), (Signal::INT, 130), (Signal::QUIT, 131)] {
        let (mut m, _) = waiting(1, secs(60));
        let out = m.on(sent(s), ms(100));
        assert_eq!(logs(&out), [(Level::Info, format!("{s}: not waiting"))]);
        assert_eq!(
            effects(out),
            [Action::CancelProbe(ProbeId::WaitFor(0)), Action::Exit(code)]
        );
    }
}

#[test]
fn a_stop_signal_between_wait_for_attempts_exits_at_once() {
    let (mut m, _) = waiting(1, secs(60));
    m.on(probe_done(ProbeId::WaitFor(0), false, "refused"), ms(100));
    assert_eq!(
        effects(m.on(sent(Signal::TERM), ms(200))),
        [Action::Exit(143)]
    );
}

#[test]
fn other_signals_during_wait_for_are_not_forwarded() {
    let (mut m, _) = waiting(1, secs(60));
    for n in [1, 10, 28] {
        assert_eq!(m.on(sent(Signal(n)), ms(100)), []);
    }
    assert!(matches!(m.phase(), Phase::WaitingFor(_)));
}

#[test]
fn a_probe_that_cannot_start_during_wait_for_exits_1() {
    let (mut m, _) = waiting(1, secs(60));
    let out = m.on(
        Event::ProbeStartFailed {
            probe: ProbeId::WaitFor(0),
            error: "Resource busy".into(),
        },
        Mono::ZERO,
    );
    assert_eq!(
        logs(&out),
        [(Level::Error, "cannot start a probe: Resource busy".into())]
    );
    assert_eq!(effects(out), [Action::Exit(1)]);
}

#[test]
fn orphans_reaped_during_wait_for_change_nothing() {
    let (mut m, _) = waiting(1, secs(60));
    assert_eq!(m.on(reaped(555, EXITED_0), ms(1)), []);
    assert_eq!(m.on(all_reaped(false), ms(1)), []);
    assert!(matches!(m.phase(), Phase::WaitingFor(_)));
}

// ---- --watch ----

fn watched(watch: WatchRules) -> Machine {
    running(Rules {
        watch: Some(watch),
        ..rules()
    })
}

const WATCH_PROBE: Action = Action::StartProbe {
    probe: ProbeId::Watch,
    timeout: Duration::from_secs(5),
};

/// Runs one watch probe at `at` that ends `passed` 10 ms later.
fn watch_round(m: &mut Machine, at: Mono, passed: bool) -> Vec<Action> {
    assert_eq!(effects(m.on(Event::Clock, at)), [WATCH_PROBE], "at {at:?}");
    m.on(
        probe_done(
            ProbeId::Watch,
            passed,
            "fail http://127.0.0.1:8080/health 503",
        ),
        at + ms(10),
    )
}

#[test]
fn watch_first_probe_runs_one_interval_after_program_starts() {
    let mut m = watched(watch_rules());
    assert_eq!(m.deadline(), Some(secs(10)));
    assert_eq!(m.on(Event::Clock, ms(9_999)), []);
    assert_eq!(m.on(Event::Clock, secs(10)), [WATCH_PROBE]);
}

#[test]
fn watch_next_probe_runs_one_interval_after_the_last_ended() {
    let mut m = watched(watch_rules());
    watch_round(&mut m, secs(10), true);
    assert_eq!(m.deadline(), Some(ms(20_010)));
}

#[test]
fn watch_retries_consecutive_failures_fire_the_watchdog() {
    let mut m = watched(watch_rules());
    assert_eq!(effects(watch_round(&mut m, secs(10), false)), []);
    assert_eq!(effects(watch_round(&mut m, ms(20_010), false)), []);
    let out = watch_round(&mut m, ms(30_020), false);
    assert_eq!(
        logs(&out)[0],
        (
            Level::Error,
            "--watch http://127.0.0.1:8080/health: 3 failures, last: \
             fail http://127.0.0.1:8080/health 503; stopping the child"
                .into()
        )
    );
    assert_eq!(effects(out), [forward(Signal::TERM)]);
}

#[test]
fn watch_a_pass_resets_the_failure_count() {
    let mut m = watched(watch_rules());
    watch_round(&mut m, secs(10), false);
    watch_round(&mut m, ms(20_010), false);
    watch_round(&mut m, ms(30_020), true);
    watch_round(&mut m, ms(40_030), false);
    assert_eq!(effects(watch_round(&mut m, ms(50_040), false)), []);
    assert_eq!(m.phase(), &Phase::Running);
}

#[test]
fn watchdog_fire_stops_like_term_and_exits_75() {
    let mut m = watched(WatchRules {
        retries: 1,
        ..watch_rules()
    });
    let out = watch_round(&mut m, secs(10), false);
    assert_eq!(effects(out), [forward(Signal::TERM)]);
    assert_eq!(
        m.phase(),
        &Phase::Stopping {
            kill_at: ms(20_010),
            sidecars_at: ms(15_010)
        }
    );
    // Even when the child then exits 0.
    assert_eq!(
        exit_status_after(&mut m, EXITED_0, secs(11)),
        [Action::Exit(75)]
    );
}

#[test]
fn watchdog_fire_honours_rewrite() {
    let mut m = running(Rules {
        watch: Some(WatchRules {
            retries: 1,
            ..watch_rules()
        }),
        rewrites: vec![(Signal::TERM, Some(Signal::QUIT))],
        ..rules()
    });
    assert_eq!(
        effects(watch_round(&mut m, secs(10), false)),
        [forward(Signal::QUIT)]
    );
}

#[test]
fn watch_failures_in_the_start_period_do_not_count() {
    let mut m = watched(WatchRules {
        retries: 1,
        start_period: secs(25),
        ..watch_rules()
    });
    assert_eq!(effects(watch_round(&mut m, secs(10), false)), []);
    assert_eq!(effects(watch_round(&mut m, ms(20_010), false)), []);
    // Started after the start period: counts, and fires.
    assert_eq!(
        effects(watch_round(&mut m, ms(30_020), false)),
        [forward(Signal::TERM)]
    );
}

#[test]
fn watch_a_pass_ends_the_start_period_early() {
    let mut m = watched(WatchRules {
        retries: 1,
        start_period: secs(600),
        ..watch_rules()
    });
    watch_round(&mut m, secs(10), true);
    assert_eq!(
        effects(watch_round(&mut m, ms(20_010), false)),
        [forward(Signal::TERM)]
    );
}

#[test]
fn watch_an_overrunning_probe_is_killed_once_and_counts_as_a_failure() {
    let mut m = watched(WatchRules {
        retries: 1,
        ..watch_rules()
    });
    m.on(Event::Clock, secs(10));
    // Its own timeout (5s) plus 1s of slack.
    assert_eq!(m.deadline(), Some(secs(16)));
    assert_eq!(m.on(Event::Clock, ms(15_999)), []);
    assert_eq!(
        m.on(Event::Clock, secs(16)),
        [Action::KillProbe(ProbeId::Watch)]
    );
    // No timer until its reap: never a spin on a deadline that passed.
    assert_eq!(m.deadline(), None);
    assert_eq!(m.on(Event::Clock, ms(16_001)), []);
    let out = m.on(probe_done(ProbeId::Watch, false, ""), ms(16_002));
    assert!(logs(&out)[0].1.contains("last: probe killed;"), "{out:?}");
    assert_eq!(effects(out), [forward(Signal::TERM)]);
}

#[test]
fn watching_ends_once_shutdown_starts() {
    let mut m = watched(WatchRules {
        retries: 1,
        ..watch_rules()
    });
    m.on(Event::Clock, secs(10));
    m.on(sent(Signal::TERM), secs(11));
    assert_eq!(m.deadline(), Some(secs(21)), "only the grace clock");
    let out = m.on(probe_done(ProbeId::Watch, false, "fail"), secs(12));
    assert_eq!(out, []);
    assert_eq!(
        exit_status_after(&mut m, ExitStatus::Signaled(Signal::TERM), secs(13)),
        [Action::Exit(143)]
    );
}

#[test]
fn watch_probe_reaped_after_the_main_child_does_not_fire() {
    let mut m = watched(WatchRules {
        retries: 1,
        ..watch_rules()
    });
    m.on(Event::Clock, secs(10));
    m.on(reaped(CHILD, ExitStatus::Exited(3)), secs(11));
    assert_eq!(
        m.on(probe_done(ProbeId::Watch, false, "fail"), secs(11)),
        []
    );
    assert_eq!(
        effects(m.on(all_reaped(false), secs(11))),
        [Action::Exit(3)]
    );
}

#[test]
fn watch_a_probe_that_cannot_start_is_retried_one_interval_later() {
    let mut m = watched(watch_rules());
    m.on(Event::Clock, secs(10));
    let out = m.on(
        Event::ProbeStartFailed {
            probe: ProbeId::Watch,
            error: "Resource busy".into(),
        },
        secs(10),
    );
    assert_eq!(
        logs(&out),
        [(Level::Error, "cannot start a probe: Resource busy".into())]
    );
    assert_eq!(
        m.watchdog().map(|w| w.state()),
        Some(Watch::Idle { next: secs(20) })
    );
    assert_eq!(m.phase(), &Phase::Running);
}

#[test]
fn a_rewrite_to_zero_cannot_cancel_the_watchdogs_stop() {
    // Issue 11, item 10: it drops only the SIGTERMs vigil receives.
    let mut m = running(Rules {
        watch: Some(WatchRules {
            retries: 1,
            ..watch_rules()
        }),
        rewrites: vec![(Signal::TERM, None)],
        ..rules()
    });
    assert_eq!(
        effects(watch_round(&mut m, secs(10), false)),
        [forward(Signal::TERM)]
    );
    assert_eq!(
        m.phase(),
        &Phase::Stopping {
            kill_at: ms(20_010),
            sidecars_at: ms(15_010)
        }
    );
    assert_eq!(
        exit_status_after(&mut m, ExitStatus::Signaled(Signal::TERM), secs(11)),
        [Action::Exit(75)]
    );
}

#[test]
fn a_stop_signal_rewritten_to_zero_during_wait_for_is_dropped() {
    // Issue 11, item 10: as it would be once PROGRAM runs.
    let mut m = Machine::new(Rules {
        wait_for: 1,
        rewrites: vec![(Signal::TERM, None)],
        ..rules()
    });
    m.start(Mono::ZERO);
    assert_eq!(effects(m.on(sent(Signal::TERM), ms(100))), []);
    assert!(matches!(m.phase(), Phase::WaitingFor(_)));
    // INT is not rewritten: it still ends the wait.
    assert_eq!(
        effects(m.on(sent(Signal::INT), ms(200))),
        [Action::CancelProbe(ProbeId::WaitFor(0)), Action::Exit(130)]
    );
}

// ---- Shutdown as PID 1: processes vigil did not start ----

#[test]
fn as_pid1_vigil_waits_for_processes_it_did_not_start() {
    // Issue 11, item 5: `docker exec` or `nsenter` processes get SIGTERM and
    // time to clean up, within the grace period.
    let mut m = running(Rules {
        is_pid1: true,
        ..rules()
    });
    m.on(reaped(CHILD, ExitStatus::Exited(3)), secs(1));
    assert_eq!(
        effects(m.on(only_others_left(), secs(1))),
        [
            Action::SignalTree(Signal::TERM),
            Action::SignalTree(Signal::CONT)
        ]
    );
    assert_eq!(
        m.phase(),
        &Phase::Lingering {
            kill_at: secs(11),
            look_at: ms(1_100)
        }
    );
    // No SIGCHLD tells of their end: vigil looks again every 100 ms.
    assert_eq!(m.deadline(), Some(ms(1_100)));
    assert_eq!(effects(m.on(only_others_left(), ms(1_100))), []);
    assert_eq!(m.deadline(), Some(ms(1_200)));
    assert_eq!(
        effects(m.on(all_reaped(false), ms(1_200))),
        [Action::Exit(3)]
    );
}

#[test]
fn as_pid1_processes_it_did_not_start_get_sigkill_at_the_grace_end() {
    let mut m = running(Rules {
        is_pid1: true,
        ..rules()
    });
    m.on(reaped(CHILD, EXITED_0), secs(1));
    m.on(only_others_left(), secs(1));
    assert_eq!(
        effects(m.on(Event::Clock, secs(11))),
        [Action::SignalTree(Signal::KILL)]
    );
    // Then the namespace's teardown finishes them: vigil exits.
    assert_eq!(
        effects(m.on(only_others_left(), ms(11_100))),
        [Action::Exit(0)]
    );
}

#[test]
fn as_pid1_a_new_orphan_while_lingering_is_waited_for_as_a_child() {
    let mut m = running(Rules {
        is_pid1: true,
        ..rules()
    });
    m.on(reaped(CHILD, EXITED_0), secs(1));
    m.on(only_others_left(), secs(1));
    assert_eq!(effects(m.on(all_reaped(true), secs(2))), []);
    assert_eq!(m.phase(), &Phase::Draining { kill_at: secs(11) });
}

// ---- Shutdown: a /proc that is not vigil's (issue 11, item 2) ----

/// Not PID 1, and /proc is missing or another PID namespace's.
fn blind() -> Rules {
    Rules {
        tree_visible: false,
        ..rules()
    }
}

fn kill_group(signal: Signal) -> Action {
    Action::SignalGroup {
        signal,
        group: pid(CHILD),
    }
}

#[test]
fn without_a_visible_tree_main_exit_signals_only_the_childs_own_group() {
    let mut m = running(Rules {
        own_group: true,
        ..blind()
    });
    m.on(reaped(CHILD, EXITED_0), secs(1));
    assert_eq!(
        effects(m.on(all_reaped(true), secs(1))),
        [kill_group(Signal::TERM), kill_group(Signal::CONT)]
    );
    assert_eq!(m.phase(), &Phase::Draining { kill_at: secs(11) });
}

#[test]
fn without_a_visible_tree_or_group_main_exit_signals_nothing() {
    let mut m = running(blind());
    m.on(reaped(CHILD, EXITED_0), secs(1));
    let out = m.on(all_reaped(true), secs(1));
    assert!(
        logs(&out).iter().all(|(_, l)| !l.contains("sent SIGTERM")),
        "{out:?}"
    );
    assert_eq!(effects(out), []);
    assert_eq!(m.phase(), &Phase::Draining { kill_at: secs(11) });
}

#[test]
fn without_a_visible_tree_grace_end_kills_the_child_and_its_group_only() {
    let mut m = running(Rules {
        own_group: true,
        ..blind()
    });
    m.on(sent(Signal::TERM), Mono::ZERO);
    let out = m.on(Event::Clock, secs(10));
    assert_eq!(
        logs(&out),
        [(
            Level::Warn,
            "grace period of 10s is over: sending SIGKILL to the child and its process group"
                .into()
        )]
    );
    assert_eq!(
        effects(out),
        [
            kill_group(Signal::KILL),
            Action::Kill {
                signal: Signal::KILL,
                pid: pid(CHILD)
            }
        ]
    );
}

#[test]
fn without_a_visible_tree_a_kill_that_cannot_be_sent_is_never_logged_and_vigil_exits() {
    let mut m = running(blind());
    m.on(reaped(CHILD, ExitStatus::Exited(3)), secs(1));
    m.on(all_reaped(true), secs(1));
    let out = m.on(Event::Clock, secs(11));
    let said = logs(&out);
    assert!(
        said.iter().all(|(_, l)| !l.contains("sending SIGKILL")),
        "{said:?}"
    );
    assert_eq!(
        said,
        [(
            Level::Warn,
            "grace period of 10s is over: the remaining processes cannot be seen and get no SIGKILL; exiting"
                .into()
        )]
    );
    assert_eq!(effects(out), [Action::Exit(3)]);
}

#[test]
fn without_a_visible_tree_grace_end_kills_the_group_once_then_exits() {
    let mut m = running(Rules {
        own_group: true,
        ..blind()
    });
    m.on(reaped(CHILD, EXITED_0), secs(1));
    m.on(all_reaped(true), secs(1));
    let out = m.on(Event::Clock, secs(11));
    assert_eq!(
        logs(&out),
        [(
            Level::Warn,
            "grace period of 10s is over: sending SIGKILL to the child's process group".into()
        )]
    );
    assert_eq!(effects(out), [kill_group(Signal::KILL), Action::Exit(0)]);
}

#[test]
fn without_a_visible_tree_vigil_exits_once_the_killed_child_is_reaped_though_others_remain() {
    let mut m = running(blind());
    m.on(sent(Signal::TERM), Mono::ZERO);
    m.on(Event::Clock, secs(10));
    m.on(
        reaped(CHILD, ExitStatus::Signaled(Signal::KILL)),
        ms(10_010),
    );
    assert_eq!(
        effects(m.on(all_reaped(true), ms(10_010))),
        [Action::Exit(137)]
    );
}

/// The lifecycle rules: `--stop-delay`, `--with`, `--restart`, `--on-unhealthy`.
mod lifecycle;
