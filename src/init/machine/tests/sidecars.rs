//! README "Lifecycle", `--with`: sidecars without a shell (starting,
//! stopping, exit status). One test per rule.

use super::*;

// ---- README "Lifecycle", `--with`: starting ----

#[test]
fn sidecars_start_in_order_before_program() {
    running_with_sidecars(with_sidecars());
}

#[test]
fn wait_for_gates_program_while_the_sidecars_run() {
    let mut m = Machine::new(Rules {
        wait_for: 1,
        sidecars: vec!["proxy".into()],
        ..rules()
    });
    assert_eq!(m.start(Mono::ZERO), [Action::Start(A)]);
    assert_eq!(
        effects(m.on(started(A, SIDE_A), Mono::ZERO)),
        [Action::StartProbe {
            probe: ProbeId::WaitFor(0),
            timeout: Duration::from_secs(5)
        }]
    );
    assert_eq!(m.procs()[0].state, ProcState::NotStarted);
    assert_eq!(m.procs()[1].state, ProcState::Running(pid(SIDE_A)));
    assert_eq!(
        effects(m.on(probe_done(ProbeId::WaitFor(0), true, "ok"), ms(10))),
        [Action::Start(ProcId::MAIN)]
    );
}

#[test]
fn a_sidecar_that_cannot_run_stops_the_others_and_exits_127_naming_it() {
    let mut m = Machine::new(with_sidecars());
    m.start(Mono::ZERO);
    m.on(started(A, SIDE_A), Mono::ZERO);
    let out = m.on(
        Event::StartFailed {
            id: B,
            error: StartError::NotFound("No such file or directory".into()),
        },
        Mono::ZERO,
    );
    assert_eq!(
        logs(&out),
        [(
            Level::Error,
            "cannot run 'worker': No such file or directory".into()
        )]
    );
    assert_eq!(effects(out), TREE_TERM);
    assert_eq!(
        m.procs()[0].state,
        ProcState::NotStarted,
        "PROGRAM never starts"
    );
    m.on(reaped(SIDE_A, ExitStatus::Signaled(Signal::TERM)), ms(5));
    assert_eq!(effects(m.on(all_reaped(false), ms(5))), [Action::Exit(127)]);
}

#[test]
fn the_first_sidecar_not_executable_exits_126_at_once() {
    let mut m = Machine::new(with_sidecars());
    m.start(Mono::ZERO);
    let out = m.on(
        Event::StartFailed {
            id: A,
            error: StartError::NotExecutable("Permission denied".into()),
        },
        Mono::ZERO,
    );
    assert_eq!(
        drains_at_once(&mut m, out, &[], Mono::ZERO),
        [Action::Exit(126)]
    );
}

// ---- README "Lifecycle", `--with`: stopping ----

#[test]
fn the_stop_signal_goes_to_program_first() {
    let mut m = running_with_sidecars(with_sidecars());
    assert_eq!(
        effects(m.on(sent(Signal::TERM), secs(1))),
        [forward(Signal::TERM)]
    );
}

#[test]
fn sidecars_get_term_after_program_exits_or_half_grace() {
    // Half the grace period passes first.
    let mut m = running_with_sidecars(with_sidecars());
    m.on(sent(Signal::TERM), secs(1));
    assert_eq!(m.deadline(), Some(secs(6)));
    assert_eq!(effects(m.on(Event::Clock, ms(5_999))), []);
    let out = m.on(Event::Clock, secs(6));
    assert_eq!(
        effects(out),
        [
            group(Signal::TERM, SIDE_A),
            group(Signal::CONT, SIDE_A),
            group(Signal::TERM, SIDE_B),
            group(Signal::CONT, SIDE_B)
        ]
    );
    assert_eq!(m.deadline(), Some(secs(11)), "told once");
    // PROGRAM exits first: the tree (sidecars included) gets SIGTERM then.
    let mut m = running_with_sidecars(with_sidecars());
    m.on(sent(Signal::TERM), secs(1));
    m.on(reaped(CHILD, ExitStatus::Signaled(Signal::TERM)), secs(2));
    assert_eq!(effects(m.on(all_reaped(true), secs(2))), TREE_TERM);
    assert_eq!(m.phase(), &Phase::Draining { kill_at: secs(11) });
}

#[test]
fn when_the_grace_period_ends_everything_left_gets_sigkill() {
    let mut m = running_with_sidecars(with_sidecars());
    m.on(sent(Signal::TERM), secs(1));
    m.on(Event::Clock, secs(6));
    assert_eq!(
        effects(m.on(Event::Clock, secs(11))),
        [
            Action::SignalTree(Signal::KILL),
            Action::Kill {
                signal: Signal::KILL,
                pid: pid(CHILD)
            },
            Action::Kill {
                signal: Signal::KILL,
                pid: pid(SIDE_A)
            },
            Action::Kill {
                signal: Signal::KILL,
                pid: pid(SIDE_B)
            },
        ]
    );
}

/// Not PID 1, and /proc is not vigil's (README "Shutdown", whom vigil signals): the sidecars
/// still get their SIGTERM and SIGKILL, through their own groups.
fn blind_with_sidecars() -> Rules {
    Rules {
        tree_visible: false,
        ..with_sidecars()
    }
}

#[test]
fn without_a_visible_tree_program_exit_signals_the_sidecars_groups() {
    let mut m = running_with_sidecars(blind_with_sidecars());
    m.on(reaped(CHILD, ExitStatus::Exited(4)), secs(1));
    let out = m.on(all_reaped(true), secs(1));
    assert_eq!(
        logs(&out),
        [(
            Level::Info,
            "'app' exited; sent SIGTERM to the sidecars' process groups, waiting for the remaining processes (the rest cannot be seen)"
                .into()
        )]
    );
    assert_eq!(
        effects(out),
        [
            group(Signal::TERM, SIDE_A),
            group(Signal::CONT, SIDE_A),
            group(Signal::TERM, SIDE_B),
            group(Signal::CONT, SIDE_B)
        ]
    );
    assert_eq!(m.phase(), &Phase::Draining { kill_at: secs(11) });
}

#[test]
fn without_a_visible_tree_grace_end_kills_the_sidecars_groups_then_exits_once_they_are_reaped() {
    let mut m = running_with_sidecars(Rules {
        own_group: true,
        ..blind_with_sidecars()
    });
    m.on(sent(Signal::TERM), secs(1));
    m.on(Event::Clock, secs(6));
    let out = m.on(Event::Clock, secs(11));
    assert_eq!(
        logs(&out),
        [(
            Level::Warn,
            "grace period of 10s is over: sending SIGKILL to the child and its process group, and the sidecars and their groups"
                .into()
        )]
    );
    let kill = |n| Action::Kill {
        signal: Signal::KILL,
        pid: pid(n),
    };
    assert_eq!(
        effects(out),
        [
            group(Signal::KILL, CHILD),
            group(Signal::KILL, SIDE_A),
            group(Signal::KILL, SIDE_B),
            kill(CHILD),
            kill(SIDE_A),
            kill(SIDE_B),
        ]
    );
    let killed = ExitStatus::Signaled(Signal::KILL);
    m.on(reaped(CHILD, killed), ms(11_010));
    m.on(reaped(SIDE_A, killed), ms(11_010));
    assert_eq!(effects(m.on(all_reaped(true), ms(11_010))), []);
    m.on(reaped(SIDE_B, killed), ms(11_020));
    assert_eq!(
        effects(m.on(all_reaped(true), ms(11_020))),
        [Action::Exit(137)]
    );
}

#[test]
fn other_signals_go_to_program_and_every_sidecar() {
    let mut m = running_with_sidecars(with_sidecars());
    let to = |n| Action::Forward {
        signal: Signal::HUP,
        to: To::Process(pid(n)),
    };
    assert_eq!(
        effects(m.on(sent(Signal::HUP), secs(1))),
        [to(CHILD), to(SIDE_A), to(SIDE_B)]
    );
}

#[test]
fn with_group_other_signals_go_to_each_process_group() {
    let mut m = running_with_sidecars(Rules {
        group: true,
        ..with_sidecars()
    });
    let to = |n| Action::Forward {
        signal: Signal(10),
        to: To::Group(pid(n)),
    };
    assert_eq!(
        effects(m.on(sent(Signal(10)), secs(1))),
        [to(CHILD), to(SIDE_A), to(SIDE_B)]
    );
}

// ---- README "Several processes": names ----

#[test]
fn every_message_about_a_process_names_it_with_its_pid() {
    let mut m = Machine::new(with_sidecars());
    m.start(Mono::ZERO);
    let out = m.on(started(A, SIDE_A), Mono::ZERO);
    assert_eq!(logs(&out)[0].1, "started 'nginx' (pid 200)");
    let mut m = running_with_sidecars(with_sidecars());
    let out = m.on(reaped(SIDE_A, ExitStatus::Exited(1)), secs(1));
    assert_eq!(
        logs(&out),
        [
            (
                Level::Debug,
                "'nginx' (pid 200) exited with status 1".into()
            ),
            (
                Level::Warn,
                "'nginx' (pid 200) exited with status 1: stopping everything".into()
            ),
            (
                Level::Info,
                "'nginx' (pid 200) exited: shutting down, grace period 10s".into()
            ),
        ]
    );
    m.on(reaped(CHILD, EXITED_0), secs(2));
    let out = m.on(all_reaped(true), secs(2));
    assert_eq!(
        logs(&out),
        [(
            Level::Info,
            "'app' exited; sent SIGTERM to the remaining processes, waiting for them".into()
        )]
    );
}

// ---- README "Lifecycle", `--with`: exit status ----

#[test]
fn program_exit_stops_the_sidecars_and_vigil_exits_with_programs_status() {
    let mut m = running_with_sidecars(with_sidecars());
    m.on(reaped(CHILD, ExitStatus::Exited(4)), secs(1));
    assert_eq!(effects(m.on(all_reaped(true), secs(1))), TREE_TERM);
    m.on(reaped(SIDE_A, ExitStatus::Signaled(Signal::TERM)), secs(2));
    m.on(reaped(SIDE_B, ExitStatus::Exited(1)), secs(2));
    assert_eq!(effects(m.on(all_reaped(false), secs(2))), [Action::Exit(4)]);
}

#[test]
fn a_sidecar_exiting_first_stops_everything_and_its_status_is_vigils() {
    let mut m = running_with_sidecars(with_sidecars());
    let out = m.on(reaped(SIDE_B, ExitStatus::Exited(3)), secs(1));
    assert_eq!(
        warns(&out),
        ["'worker' (pid 201) exited with status 3: stopping everything"]
    );
    assert_eq!(effects(out), [forward(Signal::TERM)]);
    assert!(matches!(m.phase(), Phase::Stopping { .. }));
    m.on(reaped(CHILD, ExitStatus::Signaled(Signal::TERM)), secs(2));
    assert_eq!(effects(m.on(all_reaped(true), secs(2))), TREE_TERM);
    m.on(reaped(SIDE_A, EXITED_0), secs(2));
    assert_eq!(effects(m.on(all_reaped(false), secs(2))), [Action::Exit(3)]);
}

#[test]
fn a_sidecar_exiting_during_the_stop_delay_cuts_it_short_with_its_status() {
    let mut m = running_with_sidecars(Rules {
        stop_delay: Duration::from_secs(5),
        ..with_sidecars()
    });
    m.on(sent(Signal::TERM), secs(1));
    let out = m.on(reaped(SIDE_A, ExitStatus::Exited(6)), secs(2));
    assert_eq!(effects(out), [forward(Signal::TERM)]);
    assert_eq!(
        m.phase(),
        &Phase::Stopping {
            kill_at: secs(12),
            sidecars_at: secs(7)
        }
    );
    m.on(reaped(CHILD, EXITED_0), secs(3));
    m.on(reaped(SIDE_B, EXITED_0), secs(3));
    assert_eq!(effects(m.on(all_reaped(false), secs(3))), [Action::Exit(6)]);
}

#[test]
fn a_sidecar_killed_by_a_signal_exits_128_plus_n() {
    let mut m = running_with_sidecars(with_sidecars());
    m.on(reaped(SIDE_A, ExitStatus::Signaled(Signal::KILL)), secs(1));
    m.on(reaped(CHILD, EXITED_0), secs(2));
    m.on(reaped(SIDE_B, EXITED_0), secs(2));
    assert_eq!(
        effects(m.on(all_reaped(false), secs(2))),
        [Action::Exit(137)]
    );
}

#[test]
fn a_sidecar_exiting_during_wait_for_cancels_the_wait_and_exits_with_its_status() {
    let mut m = Machine::new(Rules {
        wait_for: 1,
        sidecars: vec!["proxy".into()],
        ..rules()
    });
    m.start(Mono::ZERO);
    m.on(started(A, SIDE_A), Mono::ZERO);
    let out = m.on(reaped(SIDE_A, ExitStatus::Exited(5)), secs(1));
    let cancel = [Action::CancelProbe(ProbeId::WaitFor(0))];
    assert_eq!(
        drains_at_once(&mut m, out, &cancel, secs(1)),
        [Action::Exit(5)]
    );
}

#[test]
fn a_stop_signal_during_wait_for_stops_the_sidecars() {
    let mut m = Machine::new(Rules {
        wait_for: 1,
        sidecars: vec!["proxy".into()],
        ..rules()
    });
    m.start(Mono::ZERO);
    m.on(started(A, SIDE_A), Mono::ZERO);
    let out = effects(m.on(sent(Signal::TERM), secs(1)));
    assert_eq!(out[0], Action::CancelProbe(ProbeId::WaitFor(0)));
    assert_eq!(out[1..], TREE_TERM);
    m.on(reaped(SIDE_A, EXITED_0), secs(1));
    assert_eq!(
        effects(m.on(all_reaped(false), secs(1))),
        [Action::Exit(143)]
    );
}
