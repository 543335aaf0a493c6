//! README "Several processes", `--pre-stop`: a command before the stop
//! signal, as Kubernetes' preStop hook. One test per rule.

use super::*;

const HOOK: ProcId = ProcId(1);
const HOOK_PID: i32 = 300;

fn hooked(stop_delay: Duration) -> Rules {
    Rules {
        pre_stop: Some("drain".into()),
        stop_delay,
        ..rules()
    }
}

/// The first SIGTERM came at 1 s and the hook runs as pid 300.
fn in_hook(rules: Rules) -> Machine {
    let mut m = running(rules);
    assert_eq!(
        effects(m.on(sent(Signal::TERM), secs(1))),
        [Action::Start(HOOK)]
    );
    m.on(started(HOOK, HOOK_PID), secs(1));
    m
}

#[test]
fn the_first_stop_signal_runs_the_hook_and_program_gets_it_once_the_hook_exited() {
    let mut m = running(hooked(Duration::ZERO));
    let out = m.on(sent(Signal::TERM), secs(1));
    assert_eq!(
        logs(&out),
        [(
            Level::Info,
            "SIGTERM: running --pre-stop 'drain' first".into()
        )]
    );
    assert_eq!(effects(out), [Action::Start(HOOK)]);
    m.on(started(HOOK, HOOK_PID), secs(1));
    assert!(matches!(m.phase(), Phase::PreStop { .. }));
    assert_eq!(effects(m.on(Event::Clock, secs(3))), []);
    assert_eq!(
        effects(m.on(reaped(HOOK_PID, EXITED_0), secs(4))),
        [forward(Signal::TERM)]
    );
    // The grace clock started at the first SIGTERM: the hook's 3 s count.
    assert_eq!(
        m.phase(),
        &Phase::Stopping {
            kill_at: secs(11),
            sidecars_at: secs(6)
        }
    );
}

#[test]
fn with_a_stop_delay_program_gets_it_when_both_are_over_whichever_is_later() {
    // The hook ends first: the rest of the delay is held.
    let mut m = in_hook(hooked(Duration::from_secs(5)));
    assert_eq!(effects(m.on(reaped(HOOK_PID, EXITED_0), secs(2))), []);
    assert_eq!(m.deadline(), Some(secs(6)));
    assert_eq!(
        effects(m.on(Event::Clock, secs(6))),
        [forward(Signal::TERM)]
    );
    // The delay ends first: the hook is waited for, the grace clock runs
    // from the delay's end.
    let mut m = in_hook(hooked(Duration::from_secs(5)));
    assert_eq!(effects(m.on(Event::Clock, secs(6))), []);
    assert_eq!(
        effects(m.on(reaped(HOOK_PID, EXITED_0), secs(8))),
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
fn a_hook_slower_than_the_grace_period_is_killed_with_everything_else() {
    let mut m = in_hook(hooked(Duration::from_secs(5)));
    // stop-delay + grace after the first SIGTERM, as without a hook.
    assert_eq!(m.deadline(), Some(secs(16)));
    assert_eq!(effects(m.on(Event::Clock, ms(15_999))), []);
    let out = m.on(Event::Clock, secs(16));
    assert_eq!(
        warns(&out),
        ["grace period of 10s is over: sending SIGKILL to every remaining process"]
    );
    assert_eq!(
        effects(out),
        [
            Action::SignalTree(Signal::KILL),
            Action::Kill {
                signal: Signal::KILL,
                pid: pid(CHILD)
            },
            Action::Kill {
                signal: Signal::KILL,
                pid: pid(HOOK_PID)
            },
        ]
    );
}

#[test]
fn a_failing_hook_is_a_warn_line_and_the_shutdown_goes_on() {
    let mut m = in_hook(hooked(Duration::ZERO));
    let out = m.on(reaped(HOOK_PID, ExitStatus::Exited(1)), secs(2));
    assert_eq!(
        warns(&out),
        ["--pre-stop 'drain' (pid 300) exited with status 1"]
    );
    assert_eq!(effects(out), [forward(Signal::TERM)]);
    // One that cannot run, likewise.
    let mut m = running(hooked(Duration::ZERO));
    m.on(sent(Signal::TERM), secs(1));
    let out = m.on(
        Event::StartFailed {
            id: HOOK,
            error: StartError::NotFound("No such file or directory".into()),
        },
        secs(1),
    );
    assert_eq!(
        warns(&out),
        ["cannot run --pre-stop 'drain': No such file or directory"]
    );
    assert_eq!(effects(out), [forward(Signal::TERM)]);
    assert!(matches!(m.phase(), Phase::Stopping { .. }));
}

#[test]
fn a_second_stop_signal_during_the_hook_forwards_at_once() {
    let mut m = in_hook(hooked(Duration::from_secs(5)));
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
    // The hook runs on; its end changes nothing, and is no warning.
    let out = m.on(reaped(HOOK_PID, ExitStatus::Exited(1)), secs(3));
    assert_eq!((warns(&out).len(), effects(out)), (0, vec![]));
}

#[test]
fn int_runs_the_hook_and_is_forwarded_after_it_without_the_stop_delay() {
    let mut m = running(hooked(Duration::from_secs(5)));
    assert_eq!(
        effects(m.on(sent(Signal::INT), secs(1))),
        [Action::Start(HOOK)]
    );
    m.on(started(HOOK, HOOK_PID), secs(1));
    assert_eq!(
        effects(m.on(reaped(HOOK_PID, EXITED_0), secs(2))),
        [forward(Signal::INT)]
    );
}

#[test]
fn program_exiting_during_the_hook_drains_the_rest_on_the_same_clock() {
    let mut m = in_hook(hooked(Duration::ZERO));
    m.on(reaped(CHILD, ExitStatus::Exited(4)), secs(3));
    assert_eq!(effects(m.on(all_reaped(true), secs(3))), TREE_TERM);
    assert_eq!(m.phase(), &Phase::Draining { kill_at: secs(11) });
    m.on(
        reaped(HOOK_PID, ExitStatus::Signaled(Signal::TERM)),
        secs(3),
    );
    assert_eq!(effects(m.on(all_reaped(false), secs(3))), [Action::Exit(4)]);
}

#[test]
fn a_stop_vigil_decides_itself_runs_no_hook() {
    let mut m = running_with_sidecars(Rules {
        pre_stop: Some("drain".into()),
        ..with_sidecars()
    });
    let out = m.on(reaped(SIDE_A, ExitStatus::Exited(1)), secs(1));
    assert_eq!(effects(out), [forward(Signal::TERM)]);
    // Nor does a later stop signal: the shutdown has begun.
    assert_eq!(
        effects(m.on(sent(Signal::TERM), secs(2))),
        [forward(Signal::TERM)]
    );
}

#[test]
fn a_sidecar_exiting_during_the_hook_stops_everything_with_its_status() {
    let mut m = running_with_sidecars(Rules {
        pre_stop: Some("drain".into()),
        ..with_sidecars()
    });
    let hook = ProcId(3);
    assert_eq!(
        effects(m.on(sent(Signal::TERM), secs(1))),
        [Action::Start(hook)]
    );
    m.on(started(hook, HOOK_PID), secs(1));
    let out = m.on(reaped(SIDE_B, ExitStatus::Exited(3)), secs(2));
    assert_eq!(effects(out), [forward(Signal::TERM)]);
    assert_eq!(
        m.phase(),
        &Phase::Stopping {
            kill_at: secs(11),
            sidecars_at: secs(6)
        }
    );
}
