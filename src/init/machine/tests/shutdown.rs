//! README "Shutdown": start, the main child exits, the grace period ends,
//! exit, and whom vigil signals. One test per rule.

use super::*;

// ---- README "Shutdown", 1: start ----

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

// ---- README "Shutdown", 2: the main child exits ----

#[test]
fn main_exit_sends_term_and_cont_to_the_remaining_tree() {
    let mut m = running(rules());
    assert_eq!(effects(m.on(reaped(CHILD, EXITED_0), secs(2))), []);
    let out = m.on(all_reaped(true), secs(2));
    assert_eq!(
        logs(&out),
        [(
            Level::Info,
            "'app' exited; sent SIGTERM to the remaining processes, waiting for them".into()
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

// ---- README "Shutdown", 3: the grace period ends ----

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
    assert_eq!(m.deadline(), Some(Mono::ZERO + Duration::MAX));
}

// ---- README "Shutdown": a stop while no supervised process runs ----

/// The four ways a stop comes while PROGRAM waits for its restart and no
/// sidecar runs, each at 2 s, with the status vigil exits with.
fn stops_while_nothing_runs() -> Vec<(&'static str, Machine, Vec<Action>, i32)> {
    let always = restarting(Restart::Always);
    let mut cases = Vec::new();
    // SIGTERM during the backoff.
    let mut m = running(always.clone());
    m.on(reaped(CHILD, ExitStatus::Exited(1)), secs(1));
    let out = m.on(sent(Signal::TERM), secs(2));
    cases.push(("TERM during the backoff", m, out, 143));
    // --wait-for gives up on the restarted PROGRAM.
    let mut m = Machine::new(Rules {
        wait_for: 1,
        wait_timeout: ms(500) - Mono::ZERO,
        ..always.clone()
    });
    m.start(Mono::ZERO);
    m.on(probe_done(ProbeId::WaitFor(0), true, "ok"), ms(10));
    m.on(started(ProcId::MAIN, CHILD), ms(10));
    m.on(reaped(CHILD, ExitStatus::Exited(1)), secs(1));
    m.on(Event::Clock, ms(1_500));
    m.on(probe_done(ProbeId::WaitFor(0), false, "refused"), ms(1_600));
    let out = m.on(Event::Clock, secs(2));
    cases.push(("--wait-for gave up", m, out, 1));
    // The restart's fork fails.
    let mut m = running(always.clone());
    m.on(reaped(CHILD, ExitStatus::Exited(1)), secs(1));
    m.on(Event::Clock, ms(1_500));
    let no_fork = StartError::Fork("Resource temporarily unavailable".into());
    let failed = Event::StartFailed {
        id: ProcId::MAIN,
        error: no_fork,
    };
    let out = m.on(failed, secs(2));
    cases.push(("the restart's fork failed", m, out, 1));
    // A sidecar's budget runs out during PROGRAM's backoff.
    let mut m = Machine::new(Rules {
        sidecars: vec!["proxy".into()],
        ..Fixtures::restarting_max(1)
    });
    m.start(Mono::ZERO);
    m.on(started(A, SIDE_A), Mono::ZERO);
    m.on(started(ProcId::MAIN, CHILD), Mono::ZERO);
    m.on(reaped(SIDE_A, ExitStatus::Exited(5)), ms(100));
    m.on(Event::GroupGone { group: pid(SIDE_A) }, ms(600));
    m.on(started(A, 300), ms(600));
    m.on(reaped(CHILD, ExitStatus::Exited(1)), ms(1_900));
    let out = m.on(reaped(300, ExitStatus::Exited(5)), secs(2));
    cases.push(("a sidecar's budget ran out", m, out, 5));
    cases
}

#[test]
fn a_stop_while_no_supervised_process_runs_drains_the_tree() {
    for (case, mut m, out, code) in stops_while_nothing_runs() {
        // SIGTERM then SIGCONT to every remaining descendant, and a look at
        // once (no SIGCHLD may ever come)...
        let term = effects(out);
        assert_eq!(term[term.len() - 2..], TREE_TERM, "{case}: {term:?}");
        assert_eq!(
            m.phase(),
            &Phase::Lingering {
                kill_at: secs(12),
                look_at: secs(2)
            },
            "{case}"
        );
        // ...then the grace period, then SIGKILL, then vigil's exit.
        assert_eq!(effects(m.on(all_reaped(true), secs(2))), [], "{case}");
        assert_eq!(m.phase(), &Phase::Draining { kill_at: secs(12) }, "{case}");
        assert_eq!(m.on(Event::Clock, ms(11_999)), [], "{case}");
        let kill = effects(m.on(Event::Clock, secs(12)));
        assert_eq!(kill, [Action::SignalTree(Signal::KILL)], "{case}");
        assert_eq!(
            effects(m.on(all_reaped(false), ms(12_050))),
            [Action::Exit(code)],
            "{case}"
        );
    }
    // Nothing left: vigil exits at the look, as before.
    for (case, mut m, _, code) in stops_while_nothing_runs() {
        let out = effects(m.on(all_reaped(false), secs(2)));
        assert_eq!(out, [Action::Exit(code)], "{case}");
    }
}

// ---- README "Shutdown", 4: exit ----

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

// ---- README "Shutdown", 4: as PID 1, processes vigil did not start ----

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

// ---- README "Shutdown", whom vigil signals: a /proc that is not vigil's ----

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
