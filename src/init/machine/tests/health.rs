//! README "Health": the state the machine derives, one test per rule, the
//! `--ready` probes as the machine runs them, the lines each change logs and
//! the line `vigil health` prints.

use super::*;
use crate::health::State;
use crate::init::readiness::ReadyRules;

const TARGET: &str = "http://127.0.0.1:8080/health";

fn ready_rules(targets: usize) -> ReadyRules {
    ReadyRules {
        targets,
        notify: false,
        interval: Duration::from_secs(10),
        timeout: Duration::from_secs(5),
        retries: 3,
    }
}

fn readied(rules: Rules) -> Machine {
    running(Rules {
        ready: Some(ready_rules(1)),
        ..rules
    })
}

/// The health changes among `out`: their states and lines.
fn changes(out: &[Action]) -> Vec<(State, Level, String)> {
    out.iter()
        .filter_map(|a| match a {
            Action::Health(state, level, line) => Some((*state, *level, line.clone())),
            _ => None,
        })
        .collect()
}

/// Runs `--ready` probe `i` from `at`, ending 1 ms later with `passed`.
fn ready_round(m: &mut Machine, i: usize, at: Mono, passed: bool) -> Vec<Action> {
    let started = effects(m.on(Event::Clock, at));
    assert!(
        started.contains(&Action::StartProbe {
            probe: ProbeId::Ready(i),
            timeout: Duration::from_secs(5)
        }),
        "{started:?}"
    );
    let report = if passed {
        format!("ok {TARGET} 200 OK 0.6ms")
    } else {
        format!("fail {TARGET} 503 Service Unavailable 0.4ms")
    };
    m.on(
        probe_done(ProbeId::Ready(i), passed, &report),
        at + Duration::from_millis(1),
    )
}

// ---- README "Health": the states ----

#[test]
fn starting_from_vigils_start_through_wait_for_until_readiness_first_holds() {
    let (mut m, _) = waiting(1, Duration::from_secs(60));
    assert_eq!(m.health(), State::Starting);
    m.on(probe_done(ProbeId::WaitFor(0), true, "ok"), ms(300));
    assert_eq!(m.health(), State::Starting);
    let out = m.on(started(ProcId::MAIN, CHILD), ms(310));
    assert_eq!(m.health(), State::Ready);
    assert_eq!(
        changes(&out),
        [(State::Ready, Level::Warn, "ready after 0.31s".into())]
    );
}

#[test]
fn without_ready_targets_it_is_ready_once_program_and_the_sidecars_have_started() {
    let mut m = Machine::new(with_sidecars());
    m.start(Mono::ZERO);
    assert!(changes(&m.on(started(A, SIDE_A), ms(1))).is_empty());
    m.on(started(B, SIDE_B), ms(2));
    assert_eq!(m.health(), State::Starting);
    let out = m.on(started(ProcId::MAIN, CHILD), ms(3));
    assert_eq!(changes(&out)[0].0, State::Ready);
}

#[test]
fn ready_needs_every_ready_target_to_pass_once() {
    let mut m = running(Rules {
        ready: Some(ready_rules(2)),
        ..rules()
    });
    assert_eq!(m.health(), State::Starting);
    let out = effects(m.on(Event::Clock, Mono::ZERO));
    assert_eq!(out.len(), 2, "both probes start at once: {out:?}");
    m.on(probe_done(ProbeId::Ready(0), true, "ok a"), ms(5));
    assert_eq!(m.health(), State::Starting);
    let out = m.on(probe_done(ProbeId::Ready(1), true, "ok b"), ms(6));
    assert_eq!(
        changes(&out),
        [(State::Ready, Level::Warn, "ready after 0.00s (a, b)".into())]
    );
}

#[test]
fn ready_probes_run_every_250ms_until_the_first_pass_and_failures_keep_it_starting() {
    let mut m = readied(rules());
    for n in 0..8 {
        let out = ready_round(&mut m, 0, ms(n * 250), false);
        assert!(changes(&out).is_empty(), "{out:?}");
        assert_eq!(m.health(), State::Starting);
        assert_eq!(m.deadline(), Some(ms((n + 1) * 250)));
    }
    let out = ready_round(&mut m, 0, ms(2000), true);
    assert_eq!(
        changes(&out),
        [(
            State::Ready,
            Level::Warn,
            format!("ready after 2.00s ({TARGET} 200 OK 0.6ms)")
        )]
    );
    // Ready: one --ready-interval from the end of a probe to the next.
    assert_eq!(m.deadline(), Some(ms(12_001)));
}

#[test]
fn unready_after_ready_retries_failures_in_a_row_and_ready_again_after_one_pass() {
    let mut m = readied(rules());
    ready_round(&mut m, 0, ms(0), true);
    assert!(changes(&ready_round(&mut m, 0, ms(10_001), false)).is_empty());
    assert!(changes(&ready_round(&mut m, 0, ms(20_002), false)).is_empty());
    assert_eq!(m.health(), State::Ready);
    let out = ready_round(&mut m, 0, ms(30_003), false);
    assert_eq!(
        changes(&out),
        [(
            State::Unready,
            Level::Error,
            format!("unready: fail {TARGET} 503 Service Unavailable 0.4ms (3 failures)")
        )]
    );
    let out = ready_round(&mut m, 0, ms(40_004), true);
    assert_eq!(
        changes(&out),
        [(State::Ready, Level::Warn, "ready again after 10s".into())]
    );
}

#[test]
fn unready_when_a_sidecar_is_down_after_being_ready() {
    let mut m = running_with_sidecars(Rules {
        sidecars: with_sidecars().sidecars,
        ..restarting(Restart::OnFailure)
    });
    assert_eq!(m.health(), State::Ready);
    // Exit 0 under on-failure: it stays down.
    let out = m.on(reaped(SIDE_A, EXITED_0), secs(1));
    assert_eq!(
        changes(&out),
        [(
            State::Unready,
            Level::Error,
            "unready: 'nginx' exited with status 0".into()
        )]
    );
}

#[test]
fn restarting_while_a_process_waits_for_its_backoff_then_unready_until_a_pass() {
    let mut m = readied(restarting(Restart::Always));
    ready_round(&mut m, 0, ms(0), true);
    let out = m.on(reaped(CHILD, ExitStatus::Exited(1)), secs(1));
    assert_eq!(
        changes(&out),
        [(
            State::Restarting,
            Level::Error,
            "restarting: 'app' exited with status 1".into()
        )]
    );
    // The backoff is 500 ms; the restarted PROGRAM's probes start at once.
    let out = effects(m.on(Event::Clock, ms(1500)));
    assert_eq!(out, [Action::Start(ProcId::MAIN)]);
    let out = m.on(started(ProcId::MAIN, 101), ms(1500));
    assert_eq!(m.health(), State::Unready);
    assert_eq!(
        changes(&out),
        [(
            State::Unready,
            Level::Error,
            "unready: no --ready probe ended yet".into()
        )]
    );
    ready_round(&mut m, 0, ms(1500), false);
    assert_eq!(m.deadline(), Some(ms(1750)), "the fast start again");
    let out = ready_round(&mut m, 0, ms(1750), true);
    assert_eq!(changes(&out)[0].2, "ready again after 0.75s");
}

#[test]
fn a_restart_cancels_the_running_ready_probe() {
    let mut m = readied(restarting(Restart::Always));
    m.on(Event::Clock, Mono::ZERO);
    let out = effects(m.on(reaped(CHILD, ExitStatus::Exited(1)), ms(5)));
    assert!(
        out.contains(&Action::CancelProbe(ProbeId::Ready(0))),
        "{out:?}"
    );
}

#[test]
fn unhealthy_once_the_watchdog_fires_until_the_end() {
    let mut m = Fixtures::watching(OnUnhealthy::Exit);
    m.on(Event::Clock, secs(10));
    let out = m.on(probe_done(ProbeId::Watch, false, "fail 503"), secs(11));
    assert_eq!(m.health(), State::Unhealthy);
    assert_eq!(
        changes(&out),
        [(
            State::Unhealthy,
            Level::Error,
            "unhealthy: --watch failed".into()
        )]
    );
    m.on(reaped(CHILD, ExitStatus::Signaled(Signal::TERM)), secs(12));
    assert_eq!(m.health(), State::Unhealthy);
}

#[test]
fn unhealthy_while_the_watchdog_replaces_program_then_restarting() {
    let mut m = Fixtures::watching(OnUnhealthy::Restart);
    m.on(Event::Clock, secs(10));
    m.on(probe_done(ProbeId::Watch, false, "fail 503"), secs(11));
    assert_eq!(m.health(), State::Unhealthy);
    m.on(reaped(CHILD, ExitStatus::Signaled(Signal::TERM)), secs(12));
    assert_eq!(m.health(), State::Restarting);
}

#[test]
fn draining_while_the_stop_delay_holds_sigterm_and_stopping_after() {
    let mut m = running(delayed());
    let out = m.on(sent(Signal::TERM), secs(1));
    assert_eq!(
        changes(&out),
        [(
            State::Draining,
            Level::Error,
            "draining for 5s (--stop-delay)".into()
        )]
    );
    let out = m.on(Event::Clock, secs(6));
    assert_eq!(
        changes(&out),
        [(State::Stopping, Level::Error, "stopping".into())]
    );
}

#[test]
fn stopping_once_shutdown_begins() {
    let mut m = running(rules());
    m.on(sent(Signal::TERM), secs(1));
    assert_eq!(m.health(), State::Stopping);
    // PROGRAM's exit: stopping at once, never unready first.
    let mut m = running(rules());
    let out = m.on(reaped(CHILD, EXITED_0), secs(1));
    assert_eq!(
        changes(&out),
        [(State::Stopping, Level::Error, "stopping".into())]
    );
    m.on(all_reaped(true), secs(1));
    assert_eq!(m.health(), State::Stopping);
    // Before readiness ever held, too.
    let (mut w, _) = waiting(1, Duration::from_secs(60));
    w.on(sent(Signal::TERM), ms(1));
    assert_eq!(w.health(), State::Stopping);
}

#[test]
fn the_time_to_ready_is_said_once() {
    let mut m = readied(rules());
    let first = ready_round(&mut m, 0, ms(1250), true);
    assert!(changes(&first)[0].2.starts_with("ready after 1.25s"));
    for at in [11_251, 21_252, 31_253] {
        ready_round(&mut m, 0, ms(at), false);
    }
    let again = ready_round(&mut m, 0, ms(41_254), true);
    assert_eq!(changes(&again)[0].2, "ready again after 10s");
}

// ---- README "Health": the line `vigil health` prints ----

#[test]
fn the_line_starts_with_the_state_and_how_long_it_has_held() {
    let mut m = running_with_sidecars(Rules {
        ready: Some(ready_rules(1)),
        ..with_sidecars()
    });
    assert_eq!(
        m.health_line(ms(800)),
        "-starting 0.80s: no --ready probe ended yet; 2/2 sidecars up; 0 restarts\n"
    );
    ready_round(&mut m, 0, secs(1), true);
    assert_eq!(
        m.health_line(ms(4421)),
        format!("+ready 3.42s: {TARGET} 200 OK 0.6ms; 2/2 sidecars up; 0 restarts\n")
    );
}

#[test]
fn the_line_says_why_it_is_not_ready() {
    let mut m = readied(restarting(Restart::Always));
    ready_round(&mut m, 0, ms(0), true);
    for at in [10_001, 20_002, 30_003] {
        ready_round(&mut m, 0, ms(at), false);
    }
    assert_eq!(
        m.health_line(ms(42_004)),
        format!(
            "+unready 12s: fail {TARGET} 503 Service Unavailable 0.4ms (3 failures); 0 restarts\n"
        )
    );
    m.on(reaped(CHILD, ExitStatus::Exited(2)), ms(43_000));
    m.on(Event::Clock, ms(43_500));
    m.on(started(ProcId::MAIN, 101), ms(43_500));
    assert_eq!(
        m.health_line(ms(44_000)),
        "+unready 0.50s: no --ready probe ended yet; 1 restarts\n"
    );
}

#[test]
fn the_line_counts_oom_kills_once_there_is_one() {
    let mut m = running(Rules {
        restart: RestartRules {
            policy: Restart::Always,
            ..rules().restart
        },
        oom_kills_at_start: Some(3),
        ..rules()
    });
    assert_eq!(m.health_line(secs(1)), "+ready 1.00s: 0 restarts\n");
    let memory = |oom_kills| MemoryReading {
        oom_kills,
        limit: Some(64 << 20),
        peak: Some(64 << 20),
    };
    // PROGRAM's kill, named as vigil reaps it, and a worker's, counted.
    m.on(
        Event::Reaped {
            pid: pid(CHILD),
            status: ExitStatus::Signaled(Signal::KILL),
            core_dumped: false,
            memory: Some(memory(4)),
        },
        secs(2),
    );
    m.on(Event::Memory(memory(5)), secs(3));
    assert_eq!(
        m.health_line(secs(3)),
        "+restarting 1.00s: 'app' exited with status 137; 0 restarts; 2 OOM\n"
    );
}

#[test]
fn a_stop_that_a_failure_decided_has_no_stopping_line_of_its_own() {
    // A sidecar's exit stops everything with its own line; the state is
    // `stopping` all the same.
    let mut m = running_with_sidecars(with_sidecars());
    let out = m.on(reaped(SIDE_A, ExitStatus::Exited(1)), secs(1));
    assert_eq!(m.health(), State::Stopping);
    assert!(changes(&out).is_empty(), "{out:?}");
    assert!(m.health_line(secs(2)).starts_with("+stopping 1.00s:"));
}

#[test]
fn restart_signal_restarts_in_place_as_restarting_not_unhealthy() {
    let mut m = running(Rules {
        restart_signal: Some(Signal::HUP),
        ..rules()
    });
    assert_eq!(m.health(), State::Ready);
    let out = m.on(sent(Signal::HUP), secs(1));
    assert_eq!(m.health(), State::Restarting);
    assert_eq!(changes(&out)[0].0, State::Restarting);
}

#[test]
fn the_pre_stop_hook_drains() {
    let mut m = running(Rules {
        pre_stop: Some("drain".into()),
        ..rules()
    });
    let out = m.on(sent(Signal::TERM), secs(1));
    assert!(
        matches!(m.phase(), Phase::PreStop { .. }),
        "{:?}",
        m.phase()
    );
    assert_eq!(
        changes(&out),
        [(
            State::Draining,
            Level::Error,
            "draining: --pre-stop runs".into()
        )]
    );
}
