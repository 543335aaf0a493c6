//! README "Lifecycle", `--restart` and `--on-unhealthy restart`. One test per rule.

use super::*;

// ---- README "Lifecycle", `--restart` ----

/// PROGRAM (pid `n`) exits with `status` at `at` and is reaped.
fn main_exits(m: &mut Machine, n: i32, status: ExitStatus, at: Mono) -> Vec<Action> {
    let mut out = m.on(reaped(n, status), at);
    out.extend(m.on(all_reaped(true), at));
    out
}

#[test]
fn on_failure_restarts_after_a_failure_and_says_how_it_ended() {
    // A SIGKILL vigil did not send also gets its death line, at error level
    // (README "Shutdown", why a process died).
    let cases: [(ExitStatus, &[&str]); 2] = [
        (
            ExitStatus::Exited(1),
            &["'app' (pid 100) exited with status 1; restart 1/5 in 500ms"],
        ),
        (
            ExitStatus::Signaled(Signal::KILL),
            &[
                "'app' (pid 100) was killed by SIGKILL",
                "'app' (pid 100) was killed by SIGKILL; restart 1/5 in 500ms",
            ],
        ),
    ];
    for (status, lines) in cases {
        let mut m = running(restarting(Restart::OnFailure));
        let out = main_exits(&mut m, CHILD, status, secs(1));
        assert_eq!(warns(&out), lines);
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
            "'app' (pid 100) exited with status 0; not restarted (--restart on-failure)".into()
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
        ["'app' (pid 100) exited with status 0; restart 1/5 in 500ms"]
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
            window: Duration::from_secs(3600),
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
        now = at + Duration::from_millis(10);
    }
    assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    // Up for 30 s: back to 500 ms.
    main_exits(
        &mut m,
        child,
        ExitStatus::Exited(1),
        now + Duration::from_millis(30_000 - 10),
    );
    assert_eq!(
        m.deadline(),
        Some(now + Duration::from_millis(30_000 - 10 + 500))
    );
}

#[test]
fn budget_spent_exits_with_last_status() {
    let mut m = running(Rules {
        restart: RestartRules {
            policy: Restart::OnFailure,
            max: 2,
            window: Duration::from_secs(60),
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
            "'app' (pid 102) exited with status 7; 2 restarts within 60s spent (--max-restarts): stopping everything"
        ]
    );
    assert_eq!(effects(m.on(all_reaped(false), secs(8))), [Action::Exit(7)]);
}

#[test]
fn a_budget_counts_the_restarts_within_its_window() {
    // `--max-restarts 1 --restart-window 2s`: a failure 2 s or more after the
    // last restart is restarted; one within 2 s spends the budget. (A window
    // of 0 would have forgotten every restart: the CLI refuses it.)
    let mut m = running(Rules {
        restart: RestartRules {
            policy: Restart::Always,
            max: 1,
            window: Duration::from_secs(2),
        },
        ..rules()
    });
    let mut child = CHILD;
    for at in [secs(1), secs(4)] {
        let out = main_exits(&mut m, child, ExitStatus::Exited(1), at);
        assert_eq!(warns(&out).len(), 1);
        assert!(warns(&out)[0].contains("; restart 1/1 in "), "{out:?}");
        let restart_at = m.deadline().unwrap();
        m.on(Event::Clock, restart_at);
        child += 1;
        m.on(started(ProcId::MAIN, child), restart_at);
    }
    let out = m.on(reaped(child, ExitStatus::Exited(1)), ms(5_000));
    assert_eq!(
        warns(&out),
        [
            "'app' (pid 102) exited with status 1; 1 restarts within 2s spent (--max-restarts): stopping everything"
        ]
    );
    assert_eq!(effects(m.on(all_reaped(false), secs(5))), [Action::Exit(1)]);
}

#[test]
fn on_failure_takes_a_success_exit_code_as_success() {
    // `-e 3`: exit 3 stays down (as exit 0 does), and vigil exits 0.
    let mut m = running(Rules {
        success_exits: vec![3],
        ..restarting(Restart::OnFailure)
    });
    let out = main_exits(&mut m, CHILD, ExitStatus::Exited(3), secs(1));
    assert_eq!(
        logs(&out)[1],
        (
            Level::Info,
            "'app' (pid 100) exited with status 3; not restarted (--restart on-failure)".into()
        )
    );
    assert_eq!(effects(out), TREE_TERM);
    assert_eq!(effects(m.on(all_reaped(false), secs(1))), [Action::Exit(0)]);
    // Any other status still fails, and is restarted.
    let mut m = running(Rules {
        success_exits: vec![3],
        ..restarting(Restart::OnFailure)
    });
    let out = main_exits(&mut m, CHILD, ExitStatus::Exited(4), secs(1));
    assert_eq!(
        warns(&out),
        ["'app' (pid 100) exited with status 4; restart 1/5 in 500ms"]
    );
}

#[test]
fn a_spent_budgets_status_counts_a_success_exit_code_as_0() {
    // `-e 3 --restart always --max-restarts 0`: the last status is 3, which
    // `-e` makes 0, for PROGRAM and for a sidecar alike.
    let rules = Rules {
        success_exits: vec![3],
        ..Fixtures::restarting_max(0)
    };
    let mut m = running_with_sidecars(rules.clone());
    m.on(reaped(CHILD, ExitStatus::Exited(3)), secs(1));
    m.on(reaped(SIDE_A, EXITED_0), secs(1));
    m.on(reaped(SIDE_B, EXITED_0), secs(1));
    assert_eq!(effects(m.on(all_reaped(false), secs(1))), [Action::Exit(0)]);
    let mut m = running_with_sidecars(rules);
    m.on(reaped(SIDE_A, ExitStatus::Exited(3)), secs(1));
    m.on(reaped(CHILD, EXITED_0), secs(2));
    m.on(reaped(SIDE_B, EXITED_0), secs(2));
    assert_eq!(effects(m.on(all_reaped(false), secs(2))), [Action::Exit(0)]);
}

#[test]
fn a_sidecars_spent_budget_stops_everything_with_its_status() {
    let mut m = running_with_sidecars(Rules {
        restart: RestartRules {
            policy: Restart::Always,
            max: 0,
            window: Duration::from_secs(60),
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
            window: Duration::from_secs(60),
        },
        ..with_sidecars()
    });
    let out = m.on(reaped(SIDE_A, ExitStatus::Exited(1)), secs(1));
    assert_eq!(
        warns(&out),
        ["'nginx' (pid 200) exited with status 1; restart 1/5 in 500ms"]
    );
    let out = m.on(reaped(CHILD, ExitStatus::Exited(1)), secs(1));
    assert_eq!(
        warns(&out),
        ["'app' (pid 100) exited with status 1; restart 1/5 in 500ms"]
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
    // What the first run left gets the normal shutdown (it was abandoned).
    assert_eq!(
        drains_at_once(&mut m, out, &[], ms(1_200)),
        [Action::Exit(143)]
    );
    // With a sidecar running, it is stopped first.
    let mut m = running_with_sidecars(Rules {
        restart: RestartRules {
            policy: Restart::Always,
            ..rules().restart
        },
        stop_delay: Duration::from_secs(5),
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
    assert_eq!(
        effects(m.on(Event::Clock, ms(1_500))),
        [probe(0, Duration::from_secs(5))]
    );
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

// ---- README "Lifecycle", `--on-unhealthy restart` ----

fn unhealthy_restart() -> Rules {
    Rules {
        watch: Some(WatchRules {
            retries: 1,
            start_period: Duration::from_secs(30),
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
        "restarting 'app' (pid 100): --on-unhealthy restart, grace period 10s"
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
        ["'app' (pid 100) exited with status 137; restart 1/5 in 500ms"]
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

// README "Environment and secrets": each start reads the files again; one
// that cannot be read at a restart fails that start as a failed exec does.
#[test]
fn a_restart_whose_files_cannot_be_read_stops_everything_and_exits_1() {
    let mut m = running(restarting(Restart::Always));
    main_exits(&mut m, CHILD, EXITED_0, secs(1));
    assert_eq!(
        effects(m.on(Event::Clock, ms(1_500))),
        [Action::Start(ProcId::MAIN)]
    );
    let why = "--secret TOKEN=/run/secrets/t: No such file or directory (os error 2)";
    let mut out = m.on(
        Event::StartFailed {
            id: ProcId::MAIN,
            error: StartError::Env(why.into()),
        },
        ms(1_500),
    );
    assert_eq!(
        logs(&out)[0],
        (Level::Error, format!("cannot start 'app': {why}"))
    );
    out.extend(m.on(all_reaped(false), ms(1_500)));
    assert_eq!(effects(out).last(), Some(&Action::Exit(1)));
}

// ---- README "Several processes", `--restart-signal` ----

fn on_hup(rules: Rules) -> Rules {
    Rules {
        restart_signal: Some(Signal::HUP),
        ..rules
    }
}

#[test]
fn restart_signal_stops_program_with_term_and_starts_it_again_at_once_uncounted() {
    let mut m = running_with_sidecars(on_hup(Rules {
        restart: RestartRules {
            max: 0,
            ..rules().restart
        },
        ..with_sidecars()
    }));
    let out = m.on(sent(Signal::HUP), secs(1));
    assert_eq!(
        logs(&out),
        [(
            Level::Info,
            "restarting 'app' (pid 100): --restart-signal, grace period 10s".into()
        )]
    );
    // Not forwarded: only PROGRAM gets TERM; the sidecars keep running.
    assert_eq!(effects(out), [forward(Signal::TERM)]);
    let out = main_exits(&mut m, CHILD, ExitStatus::Signaled(Signal::TERM), secs(2));
    assert_eq!(effects(out), [Action::Start(ProcId::MAIN)]);
    m.on(started(ProcId::MAIN, 102), secs(2));
    assert_eq!(m.phase(), &Phase::Running);
    assert_eq!(m.procs()[1].state, ProcState::Running(pid(SIDE_A)));
    // Not counted: --max-restarts 0 still lets a second one through.
    m.on(sent(Signal::HUP), secs(3));
    let out = main_exits(&mut m, 102, ExitStatus::Exited(0), secs(3));
    assert_eq!(effects(out), [Action::Start(ProcId::MAIN)]);
}

#[test]
fn restart_signal_sends_the_rewritten_term_then_kill_after_the_grace_period() {
    let mut m = running(on_hup(Rules {
        rewrites: vec![(Signal::TERM, Some(Signal::QUIT))],
        ..rules()
    }));
    assert_eq!(
        effects(m.on(sent(Signal::HUP), secs(1))),
        [forward(Signal::QUIT)]
    );
    assert_eq!(m.deadline(), Some(secs(11)));
    assert_eq!(
        effects(m.on(Event::Clock, secs(11))),
        [Action::Kill {
            signal: Signal::KILL,
            pid: pid(CHILD)
        }]
    );
    let out = main_exits(&mut m, CHILD, ExitStatus::Signaled(Signal::KILL), secs(11));
    assert_eq!(effects(out), [Action::Start(ProcId::MAIN)]);
}

#[test]
fn a_second_restart_signal_during_a_restart_does_nothing_more() {
    let mut m = running(on_hup(rules()));
    m.on(sent(Signal::HUP), secs(1));
    let out = m.on(sent(Signal::HUP), secs(2));
    assert_eq!(effects(out.clone()), []);
    assert_eq!(
        logs(&out),
        [(
            Level::Debug,
            "SIGHUP from pid 42 ignored: PROGRAM is not running or restarts already".into()
        )]
    );
    assert_eq!(m.deadline(), Some(secs(11)));
}

#[test]
fn restart_signal_during_shutdown_is_ignored_with_a_debug_line() {
    let mut m = running(on_hup(delayed()));
    m.on(sent(Signal::TERM), secs(1));
    let out = m.on(sent(Signal::HUP), secs(2));
    assert_eq!(
        logs(&out),
        [(
            Level::Debug,
            "SIGHUP from pid 42 ignored: vigil is shutting down, no restart".into()
        )]
    );
    assert_eq!(effects(out), []);
    assert_eq!(
        m.route(Signal::HUP, 42, false),
        Route::Drop(Dropped::Stopping)
    );
}

#[test]
fn restart_signal_does_not_run_wait_for_again() {
    let mut m = Machine::new(on_hup(Rules {
        wait_for: 1,
        ..rules()
    }));
    m.start(Mono::ZERO);
    // Before PROGRAM runs there is nothing to restart.
    let out = m.on(sent(Signal::HUP), ms(1));
    assert_eq!(effects(out), []);
    m.on(probe_done(ProbeId::WaitFor(0), true, "ok"), ms(10));
    m.on(started(ProcId::MAIN, CHILD), ms(10));
    m.on(sent(Signal::HUP), secs(1));
    let out = main_exits(&mut m, CHILD, EXITED_0, secs(1));
    assert_eq!(effects(out), [Action::Start(ProcId::MAIN)]);
}

#[test]
fn restart_signal_clears_what_is_left_of_programs_own_group_first() {
    let mut m = running(on_hup(Rules {
        group: true,
        own_group: true,
        ..rules()
    }));
    m.on(sent(Signal::HUP), secs(1));
    let out = main_exits(&mut m, CHILD, EXITED_0, secs(2));
    assert_eq!(
        effects(out),
        [group(Signal::TERM, CHILD), group(Signal::CONT, CHILD)]
    );
    let gone = Event::GroupGone { group: pid(CHILD) };
    assert_eq!(effects(m.on(gone, secs(2))), [Action::Start(ProcId::MAIN)]);
}

#[test]
fn a_stop_signal_during_a_restart_stops_as_usual() {
    let mut m = running(on_hup(rules()));
    m.on(sent(Signal::HUP), secs(1));
    assert_eq!(
        effects(m.on(sent(Signal::TERM), secs(2))),
        [forward(Signal::TERM)]
    );
    assert_eq!(
        exit_status_after(&mut m, EXITED_0, secs(3)),
        [Action::Exit(0)]
    );
}
