//! README "Beyond tini": `--wait-for` and the `--watch` watchdog. One test
//! per rule.

use super::*;

// ---- README "Beyond tini": `--wait-for` ----

#[test]
fn wait_for_probes_each_target_in_order_then_starts_program() {
    let (mut m, out) = waiting(2, Duration::from_secs(60));
    assert_eq!(out, [probe(0, Duration::from_secs(5))]);
    assert_eq!(m.procs()[0].state, ProcState::NotStarted);
    let out = m.on(probe_done(ProbeId::WaitFor(0), true, "ok"), ms(10));
    assert_eq!(out, [probe(1, Duration::from_secs(5))]);
    let out = m.on(probe_done(ProbeId::WaitFor(1), true, "ok"), ms(20));
    assert_eq!(out, [Action::Start(ProcId::MAIN)]);
    assert_eq!(m.phase(), &Phase::Starting);
}

#[test]
fn wait_for_retries_a_failed_attempt_500ms_after_it_began() {
    let (mut m, _) = waiting(1, Duration::from_secs(60));
    assert_eq!(
        m.on(probe_done(ProbeId::WaitFor(0), false, "refused"), ms(100)),
        []
    );
    assert_eq!(m.deadline(), Some(ms(500)));
    assert_eq!(m.on(Event::Clock, ms(499)), []);
    assert_eq!(
        m.on(Event::Clock, ms(500)),
        [probe(0, Duration::from_secs(5))]
    );
}

#[test]
fn wait_for_retries_at_once_after_a_slow_failed_attempt() {
    let (mut m, _) = waiting(1, Duration::from_secs(60));
    assert_eq!(
        m.on(probe_done(ProbeId::WaitFor(0), false, "timed out"), secs(5)),
        [probe(0, Duration::from_secs(5))]
    );
}

#[test]
fn wait_for_attempts_last_at_most_5s_and_the_time_left() {
    let (mut m, out) = waiting(1, Duration::from_secs(7));
    assert_eq!(out, [probe(0, Duration::from_secs(5))]);
    let out = m.on(probe_done(ProbeId::WaitFor(0), false, "refused"), secs(5));
    assert_eq!(out, [probe(0, Duration::from_secs(2))]);
}

#[test]
fn wait_for_timeout_cancels_the_probe_and_exits_1_naming_the_last_error() {
    let (mut m, _) = waiting(1, Duration::from_secs(2));
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
    let cancel = [Action::CancelProbe(ProbeId::WaitFor(0))];
    assert_eq!(
        drains_at_once(&mut m, out, &cancel, secs(2)),
        [Action::Exit(1)]
    );
}

#[test]
fn wait_for_that_never_finished_an_attempt_says_so() {
    let (mut m, _) = waiting(1, Duration::from_secs(1));
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
    let (mut m, out) = waiting(1, Duration::ZERO);
    assert_eq!(
        drains_at_once(&mut m, out, &[], Mono::ZERO),
        [Action::Exit(1)]
    );
    assert_eq!(m.phase(), &Phase::Done(1));
}

#[test]
fn a_stop_signal_during_wait_for_cancels_the_probe_and_exits_128_plus_n() {
    for (s, code) in [(Signal::TERM, 143), (Signal::INT, 130), (Signal::QUIT, 131)] {
        let (mut m, _) = waiting(1, Duration::from_secs(60));
        let out = m.on(sent(s), ms(100));
        assert_eq!(logs(&out), [(Level::Info, format!("{s}: not waiting"))]);
        let cancel = [Action::CancelProbe(ProbeId::WaitFor(0))];
        assert_eq!(
            drains_at_once(&mut m, out, &cancel, ms(100)),
            [Action::Exit(code)]
        );
    }
}

#[test]
fn a_stop_signal_between_wait_for_attempts_exits_at_once() {
    let (mut m, _) = waiting(1, Duration::from_secs(60));
    m.on(probe_done(ProbeId::WaitFor(0), false, "refused"), ms(100));
    let out = m.on(sent(Signal::TERM), ms(200));
    assert_eq!(
        drains_at_once(&mut m, out, &[], ms(200)),
        [Action::Exit(143)]
    );
}

#[test]
fn other_signals_during_wait_for_are_not_forwarded() {
    let (mut m, _) = waiting(1, Duration::from_secs(60));
    for n in [1, 10, 28] {
        assert_eq!(m.on(sent(Signal(n)), ms(100)), []);
    }
    assert!(matches!(m.phase(), Phase::WaitingFor(_)));
}

#[test]
fn a_probe_that_cannot_start_during_wait_for_exits_1() {
    let (mut m, _) = waiting(1, Duration::from_secs(60));
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
    assert_eq!(
        drains_at_once(&mut m, out, &[], Mono::ZERO),
        [Action::Exit(1)]
    );
}

#[test]
fn orphans_reaped_during_wait_for_change_nothing() {
    let (mut m, _) = waiting(1, Duration::from_secs(60));
    assert_eq!(m.on(reaped(555, EXITED_0), ms(1)), []);
    assert_eq!(m.on(all_reaped(false), ms(1)), []);
    assert!(matches!(m.phase(), Phase::WaitingFor(_)));
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
    let out = m.on(sent(Signal::INT), ms(200));
    let cancel = [Action::CancelProbe(ProbeId::WaitFor(0))];
    assert_eq!(
        drains_at_once(&mut m, out, &cancel, ms(200)),
        [Action::Exit(130)]
    );
}

// ---- README "Beyond tini": `--watch` ----

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
        start_period: Duration::from_secs(25),
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
        start_period: Duration::from_secs(600),
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
        Some(WatchState::Idle { next: secs(20) })
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
