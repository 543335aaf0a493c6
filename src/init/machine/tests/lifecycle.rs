//! One test per rule of the README's "Stop delay", "Sidecars" and "Restarts"
//! sections (`--stop-delay`, `--with`, `--restart`, `--on-unhealthy`).

use super::*;

const SIDE_A: i32 = 200;
const SIDE_B: i32 = 201;
const A: ProcId = ProcId::sidecar(0);
const B: ProcId = ProcId::sidecar(1);

fn delayed() -> Rules {
    Rules {
        stop_delay: secs(5),
        ..rules()
    }
}

fn with_sidecars() -> Rules {
    Rules {
        sidecars: vec!["nginx -g 'daemon off;'".into(), "worker".into()],
        ..rules()
    }
}

fn restarting(policy: Restart) -> Rules {
    Rules {
        restart: RestartRules {
            policy,
            ..rules().restart
        },
        ..rules()
    }
}

fn started(id: ProcId, n: i32) -> Event {
    Event::Started { id, pid: pid(n) }
}

/// Starts both sidecars (200, 201), then PROGRAM (100), at t=0.
fn running_with_sidecars(rules: Rules) -> Machine {
    let mut m = Machine::new(rules);
    assert_eq!(m.start(Mono::ZERO), [Action::Start(A)]);
    assert_eq!(
        effects(m.on(started(A, SIDE_A), Mono::ZERO)),
        [Action::Start(B)]
    );
    assert_eq!(
        effects(m.on(started(B, SIDE_B), Mono::ZERO)),
        [Action::Start(ProcId::MAIN)]
    );
    m.on(started(ProcId::MAIN, CHILD), Mono::ZERO);
    assert_eq!(m.phase(), &Phase::Running);
    m
}

fn group(signal: Signal, n: i32) -> Action {
    Action::SignalGroup {
        signal,
        group: pid(n),
    }
}

const TREE_TERM: [Action; 2] = [
    Action::SignalTree(Signal::TERM),
    Action::SignalTree(Signal::CONT),
];

fn warns(actions: &[Action]) -> Vec<String> {
    logs(actions)
        .into_iter()
        .filter(|(level, _)| *level <= Level::Warn)
        .map(|(_, text)| text)
        .collect()
}

// ---- Stop delay ----

#[test]
fn first_term_is_held_for_the_stop_delay_with_one_info_line() {
    let mut m = running(delayed());
    let out = m.on(sent(Signal::TERM), secs(1));
    assert_eq!(
        logs(&out),
        [(
            Level::Info,
            "SIGTERM held 5s (--stop-delay), then forwarded".into()
        )]
    );
    assert_eq!(effects(out), []);
    assert_eq!(m.deadline(), Some(secs(6)));
}

#[test]
fn during_the_stop_delay_reaping_goes_on_and_other_signals_are_forwarded_at_once() {
    let mut m = running(delayed());
    m.on(sent(Signal::TERM), secs(1));
    assert_eq!(
        effects(m.on(sent(Signal::HUP), secs(2))),
        [forward(Signal::HUP)]
    );
    m.on(reaped(555, EXITED_0), secs(2));
    assert_eq!(effects(m.on(all_reaped(true), secs(2))), []);
    assert!(matches!(m.phase(), Phase::StopDelay { .. }));
}

#[test]
fn term_is_forwarded_when_the_stop_delay_ends_and_the_grace_period_starts_then() {
    let mut m = running(delayed());
    m.on(sent(Signal::TERM), secs(1));
    assert_eq!(effects(m.on(Event::Clock, ms(5_999))), []);
    assert_eq!(
        effects(m.on(Event::Clock, secs(6))),
        [forward(Signal::TERM)]
    );
    assert_eq!(
        m.phase(),
        &Phase::Stopping {
            kill_at: secs(16),
            sidecars_at: secs(11)
        }
    );
}

#[test]
fn the_stop_delay_holds_the_rewritten_term() {
    let mut m = running(Rules {
        rewrites: vec![(Signal::TERM, Some(Signal::QUIT))],
        ..delayed()
    });
    assert_eq!(effects(m.on(sent(Signal::TERM), secs(1))), []);
    assert_eq!(
        effects(m.on(Event::Clock, secs(6))),
        [forward(Signal::QUIT)]
    );
}

#[test]
fn second_term_during_stop_delay_forwards_at_once() {
    let mut m = running(delayed());
    m.on(sent(Signal::TERM), secs(1));
    assert_eq!(
        effects(m.on(sent(Signal::TERM), secs(2))),
        [forward(Signal::TERM)]
    );
    assert_eq!(
        m.phase(),
        &Phase::Stopping {
            kill_at: secs(12),
            sidecars_at: secs(7)
        }
    );
    // The held one is not sent again.
    assert_eq!(effects(m.on(Event::Clock, secs(6))), []);
}

#[test]
fn int_or_quit_during_stop_delay_forwards_at_once() {
    for s in [Signal::INT, Signal::QUIT] {
        let mut m = running(delayed());
        m.on(sent(Signal::TERM), secs(1));
        assert_eq!(effects(m.on(sent(s), secs(3))), [forward(s)], "{s}");
        assert_eq!(m.deadline(), Some(secs(13)), "{s}");
    }
}

#[test]
fn int_and_quit_are_never_held() {
    for s in [Signal::INT, Signal::QUIT] {
        let mut m = running(delayed());
        assert_eq!(effects(m.on(sent(s), secs(1))), [forward(s)], "{s}");
    }
}

#[test]
fn the_childs_exit_ends_the_stop_delay_with_its_status() {
    let mut m = running(delayed());
    m.on(sent(Signal::TERM), secs(1));
    assert_eq!(
        exit_status_after(&mut m, ExitStatus::Exited(3), secs(2)),
        [Action::Exit(3)]
    );
}

#[test]
fn the_childs_exit_during_stop_delay_drains_the_tree_with_a_fresh_grace() {
    let mut m = running(delayed());
    m.on(sent(Signal::TERM), secs(1));
    m.on(reaped(CHILD, EXITED_0), secs(2));
    assert_eq!(effects(m.on(all_reaped(true), secs(2))), TREE_TERM);
    assert_eq!(m.phase(), &Phase::Draining { kill_at: secs(12) });
}

#[test]
fn the_stop_delay_never_applies_when_the_watchdog_stops_the_child() {
    let mut m = running(Rules {
        watch: Some(WatchRules {
            retries: 1,
            ..watch_rules()
        }),
        ..delayed()
    });
    assert_eq!(
        effects(watch_round(&mut m, secs(10), false)),
        [forward(Signal::TERM)]
    );
}

#[test]
fn the_stop_delay_never_applies_when_the_child_exits_by_itself() {
    let mut m = running(delayed());
    m.on(reaped(CHILD, ExitStatus::Exited(2)), secs(1));
    assert_eq!(effects(m.on(all_reaped(true), secs(1))), TREE_TERM);
    assert_eq!(m.phase(), &Phase::Draining { kill_at: secs(11) });
}

#[test]
fn a_term_dropped_by_rewrite_is_not_held() {
    let mut m = running(Rules {
        rewrites: vec![(Signal::TERM, None)],
        ..delayed()
    });
    assert_eq!(effects(m.on(sent(Signal::TERM), secs(1))), []);
    assert_eq!(m.phase(), &Phase::Running);
}

// ---- Sidecars: starting ----

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
            timeout: secs(5)
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
    assert_eq!(effects(out), [Action::Exit(126)]);
}

// ---- Sidecars: stopping ----

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

/// Not PID 1, and /proc is not vigil's (issue 11, item 2): the sidecars
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
            "child exited; sent SIGTERM to the sidecars' process groups, waiting for the remaining processes (the rest cannot be seen)"
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

// ---- Sidecars: exit status ----

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
        ["sidecar 'worker' exited with status 3: stopping everything"]
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
        stop_delay: secs(5),
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
    assert_eq!(
        effects(m.on(reaped(SIDE_A, ExitStatus::Exited(5)), secs(1))),
        [Action::CancelProbe(ProbeId::WaitFor(0)), Action::Exit(5)]
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

// ---- Restarts ----

/// PROGRAM (pid `n`) exits with `status` at `at` and is reaped.
fn main_exits(m: &mut Machine, n: i32, status: ExitStatus, at: Mono) -> Vec<Action> {
    let mut out = m.on(reaped(n, status), at);
    out.extend(m.on(all_reaped(true), at));
    out
}

#[test]
fn on_failure_restarts_after_a_failure_with_one_warn_line() {
    for status in [ExitStatus::Exited(1), ExitStatus::Signaled(Signal::KILL)] {
        let mut m = running(restarting(Restart::OnFailure));
        let out = main_exits(&mut m, CHILD, status, secs(1));
        let code = exit_status::of(status);
        assert_eq!(
            warns(&out),
            [format!(
                "'app' exited with status {code}; restart 1/5 in 500ms"
            )]
        );
        assert_eq!(effects(out), [], "no group of its own without -g");
        assert_eq!(m.deadline(), Some(ms(1_500)));
        assert_eq!(effects(m.on(Event::Clock, ms(1_499))), []);
        assert_eq!(
            effects(m.on(Event::Clock, ms(1_500))),
            [Action::Start(ProcId::MAIN)]
        );
        m.on(started(ProcId::MAIN, 101), ms(1_500));
        assert_eq!(m.phase(), &Phase::Running);
    }
}

#[test]
fn on_failure_exit_0_stays_down_and_vigil_exits_0() {
    let mut m = running(restarting(Restart::OnFailure));
    let out = m.on(reaped(CHILD, EXITED_0), secs(1));
    assert_eq!(
        logs(&out)[1],
        (
            Level::Info,
            "'app' exited with status 0; not restarted (--restart on-failure)".into()
        )
    );
    assert_eq!(effects(m.on(all_reaped(false), secs(1))), [Action::Exit(0)]);
}

#[test]
fn on_failure_a_sidecar_that_exits_0_stays_down_and_program_runs_on() {
    let mut m = running_with_sidecars(Rules {
        restart: RestartRules {
            policy: Restart::OnFailure,
            ..rules().restart
        },
        ..with_sidecars()
    });
    assert_eq!(effects(m.on(reaped(SIDE_A, EXITED_0), secs(1))), []);
    assert_eq!(effects(m.on(all_reaped(true), secs(1))), []);
    assert_eq!(m.phase(), &Phase::Running);
    assert_eq!(m.procs()[1].state, ProcState::Exited(EXITED_0));
    assert_eq!(m.deadline(), None);
}

#[test]
fn always_restarts_after_exit_0_too() {
    let mut m = running(restarting(Restart::Always));
    let out = main_exits(&mut m, CHILD, EXITED_0, secs(1));
    assert_eq!(
        warns(&out),
        ["'app' exited with status 0; restart 1/5 in 500ms"]
    );
    assert_eq!(
        effects(m.on(Event::Clock, ms(1_500))),
        [Action::Start(ProcId::MAIN)]
    );
}

#[test]
fn restart_no_never_restarts_and_exits_with_the_status() {
    let mut m = running(restarting(Restart::No));
    assert_eq!(
        exit_status_after(&mut m, ExitStatus::Exited(1), secs(1)),
        [Action::Exit(1)]
    );
}

#[test]
fn backoff_doubles_from_500ms_to_30s_and_resets_after_30s_up() {
    let mut m = running(Rules {
        restart: RestartRules {
            policy: Restart::Always,
            max: 100,
            window: secs(3600),
        },
        ..rules()
    });
    let mut now = secs(1);
    let mut child = CHILD;
    let mut waits = Vec::new();
    for _ in 0..8 {
        main_exits(&mut m, child, ExitStatus::Exited(1), now);
        let at = m.deadline().unwrap();
        waits.push((at - now).as_millis());
        assert_eq!(
            effects(m.on(Event::Clock, at)),
            [Action::Start(ProcId::MAIN)]
        );
        child += 1;
        m.on(started(ProcId::MAIN, child), at);
        now = at + ms(10);
    }
    assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    // Up for 30 s: back to 500 ms.
    main_exits(
        &mut m,
        child,
        ExitStatus::Exited(1),
        now - ms(10) + secs(30),
    );
    assert_eq!(m.deadline(), Some(now - ms(10) + secs(30) + ms(500)));
}

#[test]
fn budget_spent_exits_with_last_status() {
    let mut m = running(Rules {
        restart: RestartRules {
            policy: Restart::OnFailure,
            max: 2,
            window: secs(60),
        },
        ..rules()
    });
    let mut child = CHILD;
    for (i, at) in [secs(1), secs(3)].into_iter().enumerate() {
        let out = main_exits(&mut m, child, ExitStatus::Exited(7), at);
        assert_eq!(warns(&out).len(), 1, "restart {i}");
        let restart_at = m.deadline().unwrap();
        m.on(Event::Clock, restart_at);
        child += 1;
        m.on(started(ProcId::MAIN, child), restart_at);
    }
    let out = m.on(reaped(child, ExitStatus::Exited(7)), secs(8));
    assert_eq!(
        warns(&out),
        [
            "'app' exited with status 7; 2 restarts within 60s spent (--max-restarts): stopping everything"
        ]
    );
    assert_eq!(effects(m.on(all_reaped(false), secs(8))), [Action::Exit(7)]);
}

#[test]
fn a_sidecars_spent_budget_stops_everything_with_its_status() {
    let mut m = running_with_sidecars(Rules {
        restart: RestartRules {
            policy: Restart::Always,
            max: 0,
            window: secs(60),
        },
        ..with_sidecars()
    });
    assert_eq!(
        effects(m.on(reaped(SIDE_B, ExitStatus::Exited(9)), secs(1))),
        [forward(Signal::TERM)]
    );
    m.on(reaped(CHILD, ExitStatus::Exited(0)), secs(2));
    m.on(reaped(SIDE_A, ExitStatus::Exited(0)), secs(2));
    assert_eq!(effects(m.on(all_reaped(false), secs(2))), [Action::Exit(9)]);
}

#[test]
fn each_process_has_its_own_restart_counters() {
    let mut m = running_with_sidecars(Rules {
        restart: RestartRules {
            policy: Restart::Always,
            max: 5,
            window: secs(60),
        },
        ..with_sidecars()
    });
    let out = m.on(reaped(SIDE_A, ExitStatus::Exited(1)), secs(1));
    assert_eq!(
        warns(&out),
        ["'nginx -g 'daemon off;'' exited with status 1; restart 1/5 in 500ms"]
    );
    let out = m.on(reaped(CHILD, ExitStatus::Exited(1)), secs(1));
    assert_eq!(
        warns(&out),
        ["'app' exited with status 1; restart 1/5 in 500ms"]
    );
}

#[test]
fn before_a_restart_the_old_group_gets_term_then_kill_after_the_grace_period() {
    let mut m = running_with_sidecars(Rules {
        restart: RestartRules {
            policy: Restart::Always,
            ..rules().restart
        },
        ..with_sidecars()
    });
    // A sidecar has its own group: what is left of it is stopped first.
    assert_eq!(
        effects(m.on(reaped(SIDE_A, ExitStatus::Exited(1)), secs(1))),
        [group(Signal::TERM, SIDE_A), group(Signal::CONT, SIDE_A)]
    );
    assert_eq!(m.clearing_groups().collect::<Vec<_>>(), [pid(SIDE_A)]);
    // Its backoff passes, but the group still has a process: no restart yet.
    assert_eq!(effects(m.on(Event::Clock, ms(1_500))), []);
    assert_eq!(m.deadline(), Some(secs(11)));
    assert_eq!(
        effects(m.on(Event::Clock, secs(11))),
        [group(Signal::KILL, SIDE_A), Action::Start(A)]
    );
}

#[test]
fn a_restart_waits_for_the_old_group_to_be_gone_and_for_the_backoff() {
    let mut m = running_with_sidecars(Rules {
        restart: RestartRules {
            policy: Restart::Always,
            ..rules().restart
        },
        ..with_sidecars()
    });
    m.on(reaped(SIDE_A, ExitStatus::Exited(1)), secs(1));
    // Gone before the backoff ends: restart at the backoff's end.
    assert_eq!(
        effects(m.on(Event::GroupGone { group: pid(SIDE_A) }, ms(1_100))),
        []
    );
    assert_eq!(m.clearing_groups().count(), 0);
    assert_eq!(m.deadline(), Some(ms(1_500)));
    assert_eq!(effects(m.on(Event::Clock, ms(1_500))), [Action::Start(A)]);
    m.on(started(A, 300), ms(1_500));
    assert_eq!(m.procs()[1].state, ProcState::Running(pid(300)));
    assert_eq!(m.phase(), &Phase::Running);
}

#[test]
fn term_during_backoff_shuts_down_at_once() {
    let mut m = running(restarting(Restart::Always));
    main_exits(&mut m, CHILD, ExitStatus::Exited(1), secs(1));
    let out = m.on(sent(Signal::TERM), ms(1_200));
    assert_eq!(effects(out), [Action::Exit(143)]);
    // With a sidecar running, it is stopped first.
    let mut m = running_with_sidecars(Rules {
        restart: RestartRules {
            policy: Restart::Always,
            ..rules().restart
        },
        stop_delay: secs(5),
        ..with_sidecars()
    });
    main_exits(&mut m, CHILD, ExitStatus::Exited(1), secs(1));
    assert_eq!(effects(m.on(sent(Signal::INT), ms(1_200))), TREE_TERM);
    assert_eq!(m.deadline(), Some(ms(11_200)), "no restart, no stop delay");
    m.on(reaped(SIDE_A, EXITED_0), secs(2));
    m.on(reaped(SIDE_B, EXITED_0), secs(2));
    assert_eq!(
        effects(m.on(all_reaped(false), secs(2))),
        [Action::Exit(130)]
    );
}

#[test]
fn a_restart_pending_when_shutdown_starts_never_happens() {
    let mut m = running_with_sidecars(Rules {
        restart: RestartRules {
            policy: Restart::Always,
            ..rules().restart
        },
        ..with_sidecars()
    });
    m.on(reaped(SIDE_A, ExitStatus::Exited(1)), secs(1));
    m.on(sent(Signal::TERM), secs(1));
    assert_eq!(m.procs()[1].state, ProcState::Exited(ExitStatus::Exited(1)));
    assert_eq!(m.deadline(), Some(secs(6)));
    assert!(!effects(m.on(Event::Clock, secs(11))).contains(&Action::Start(A)));
}

#[test]
fn a_restarted_program_passes_wait_for_again_only_if_set() {
    let mut m = Machine::new(Rules {
        wait_for: 1,
        ..restarting(Restart::Always)
    });
    m.start(Mono::ZERO);
    m.on(probe_done(ProbeId::WaitFor(0), true, "ok"), ms(10));
    m.on(started(ProcId::MAIN, CHILD), ms(10));
    main_exits(&mut m, CHILD, ExitStatus::Exited(1), secs(1));
    assert_eq!(effects(m.on(Event::Clock, ms(1_500))), [probe(0, secs(5))]);
    assert!(matches!(m.phase(), Phase::WaitingFor(_)));
    assert_eq!(
        effects(m.on(probe_done(ProbeId::WaitFor(0), true, "ok"), ms(1_510))),
        [Action::Start(ProcId::MAIN)]
    );
}

#[test]
fn a_restarted_process_that_cannot_run_stops_everything() {
    let mut m = running_with_sidecars(Rules {
        restart: RestartRules {
            policy: Restart::Always,
            ..rules().restart
        },
        ..with_sidecars()
    });
    m.on(reaped(CHILD, ExitStatus::Exited(1)), secs(1));
    m.on(Event::Clock, ms(1_500));
    let out = m.on(
        Event::StartFailed {
            id: ProcId::MAIN,
            error: StartError::NotFound("No such file or directory".into()),
        },
        ms(1_500),
    );
    assert_eq!(effects(out), TREE_TERM);
    m.on(reaped(SIDE_A, EXITED_0), secs(2));
    m.on(reaped(SIDE_B, EXITED_0), secs(2));
    assert_eq!(
        effects(m.on(all_reaped(false), secs(2))),
        [Action::Exit(127)]
    );
}

// ---- --on-unhealthy ----

fn unhealthy_restart() -> Rules {
    Rules {
        watch: Some(WatchRules {
            retries: 1,
            start_period: secs(30),
            ..watch_rules()
        }),
        on_unhealthy: OnUnhealthy::Restart,
        ..rules()
    }
}

#[test]
fn on_unhealthy_exit_stops_everything_and_exits_75() {
    let mut m = running(Rules {
        on_unhealthy: OnUnhealthy::Exit,
        ..unhealthy_restart()
    });
    m.on(Event::Clock, secs(10));
    m.on(probe_done(ProbeId::Watch, true, "ok"), secs(10));
    watch_round(&mut m, ms(20_000), false);
    assert!(matches!(m.phase(), Phase::Stopping { .. }));
    assert_eq!(
        exit_status_after(&mut m, EXITED_0, secs(21)),
        [Action::Exit(75)]
    );
}

#[test]
fn on_unhealthy_restart_stops_program_with_term_grace_kill_then_backoff() {
    let mut m = running(unhealthy_restart());
    m.on(Event::Clock, secs(10));
    m.on(probe_done(ProbeId::Watch, true, "ok"), secs(10));
    let out = watch_round(&mut m, ms(20_000), false);
    assert_eq!(
        warns(&out)[1],
        "restarting 'app' (--on-unhealthy restart), grace period 10s"
    );
    assert_eq!(effects(out), [forward(Signal::TERM)]);
    assert_eq!(m.phase(), &Phase::Running, "not a shutdown");
    // It ignores SIGTERM: SIGKILL when the grace period ends.
    assert_eq!(m.deadline(), Some(ms(30_010)));
    assert_eq!(
        effects(m.on(Event::Clock, ms(30_010))),
        [Action::Kill {
            signal: Signal::KILL,
            pid: pid(CHILD)
        }]
    );
    // Its exit is restarted even under --restart no, after the backoff.
    let out = main_exits(
        &mut m,
        CHILD,
        ExitStatus::Signaled(Signal::KILL),
        ms(30_020),
    );
    assert_eq!(
        warns(&out),
        ["'app' exited with status 137; restart 1/5 in 500ms"]
    );
    assert_eq!(
        effects(m.on(Event::Clock, ms(30_520))),
        [Action::Start(ProcId::MAIN)]
    );
    // The watch resumes with its start period.
    m.on(started(ProcId::MAIN, 101), ms(30_520));
    assert_eq!(effects(watch_round(&mut m, ms(40_520), false)), []);
    assert_eq!(m.phase(), &Phase::Running);
}

#[test]
fn on_unhealthy_restart_with_its_budget_spent_exits_75() {
    let mut m = running(Rules {
        restart: RestartRules {
            max: 0,
            ..rules().restart
        },
        ..unhealthy_restart()
    });
    m.on(Event::Clock, secs(10));
    m.on(probe_done(ProbeId::Watch, true, "ok"), secs(10));
    watch_round(&mut m, ms(20_000), false);
    assert_eq!(
        exit_status_after(&mut m, ExitStatus::Signaled(Signal::TERM), secs(21)),
        [Action::Exit(75)]
    );
}

#[test]
fn a_term_while_the_watchdog_restarts_program_is_a_normal_shutdown() {
    let mut m = running(unhealthy_restart());
    m.on(Event::Clock, secs(10));
    m.on(probe_done(ProbeId::Watch, true, "ok"), secs(10));
    watch_round(&mut m, ms(20_000), false);
    assert_eq!(
        effects(m.on(sent(Signal::TERM), secs(21))),
        [forward(Signal::TERM)]
    );
    assert_eq!(
        exit_status_after(&mut m, ExitStatus::Signaled(Signal::TERM), secs(22)),
        [Action::Exit(143)]
    );
}
