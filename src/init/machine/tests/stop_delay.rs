//! README "Lifecycle", `--stop-delay`: draining before SIGTERM. One test per rule.

use super::*;

// ---- README "Lifecycle", `--stop-delay` ----

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

/// Two sidecars under `--restart on-failure` (with `-e 3`), a 5 s stop delay
/// begun at 1 s.
fn held_on_failure() -> Machine {
    let mut m = running_with_sidecars(Rules {
        stop_delay: Duration::from_secs(5),
        success_exits: vec![3],
        ..Rules {
            sidecars: with_sidecars().sidecars,
            ..restarting(Restart::OnFailure)
        }
    });
    m.on(sent(Signal::TERM), secs(1));
    m
}

#[test]
fn during_the_stop_delay_an_on_failure_sidecars_failure_stops_everything_with_its_status() {
    let mut m = held_on_failure();
    let out = m.on(reaped(SIDE_A, ExitStatus::Exited(4)), secs(2));
    assert_eq!(
        warns(&out),
        ["'nginx' (pid 200) exited with status 4: stopping everything"]
    );
    assert_eq!(effects(out), [forward(Signal::TERM)]);
    assert!(matches!(m.phase(), Phase::Stopping { .. }));
    m.on(reaped(CHILD, EXITED_0), secs(3));
    m.on(reaped(SIDE_B, EXITED_0), secs(3));
    assert_eq!(effects(m.on(all_reaped(false), secs(3))), [Action::Exit(4)]);
}

#[test]
fn during_the_stop_delay_an_on_failure_sidecars_success_stays_down_quietly() {
    // Exit 0, and exit 3 under `-e 3`: the log line has the real status.
    for code in [0, 3] {
        let mut m = held_on_failure();
        let out = m.on(reaped(SIDE_A, ExitStatus::Exited(code)), secs(2));
        assert_eq!(
            logs(&out),
            [
                (
                    Level::Debug,
                    format!("'nginx' (pid {SIDE_A}) exited with status {code}")
                ),
                (
                    Level::Info,
                    format!(
                        "'nginx' (pid {SIDE_A}) exited with status {code}; not restarted (--restart on-failure)"
                    )
                )
            ]
        );
        assert_eq!(effects(out), []);
        assert_eq!(m.deadline(), Some(secs(6)), "the delay runs on");
        assert_eq!(
            effects(m.on(Event::Clock, secs(6))),
            [forward(Signal::TERM)]
        );
    }
}
