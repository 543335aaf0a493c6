//! README "Several processes", `--pre-start`: one-shot commands before
//! PROGRAM. One test per rule.

use super::*;

const MIGRATE: ProcId = ProcId(2);
const CHOWN: ProcId = ProcId(3);

/// A sidecar (`proxy`, 200), one `--wait-for` target, and two `--pre-start`
/// commands (`migrate`, `chown`).
fn with_pre_start() -> Rules {
    Rules {
        sidecars: vec!["proxy".into()],
        wait_for: 1,
        pre_start: vec!["migrate".into(), "chown".into()],
        ..rules()
    }
}

/// The sidecar runs, the target passed: `migrate` (300) runs, at t=1s.
fn in_pre_start() -> Machine {
    let mut m = Machine::new(with_pre_start());
    m.start(Mono::ZERO);
    m.on(started(A, SIDE_A), Mono::ZERO);
    let out = m.on(probe_done(ProbeId::WaitFor(0), true, "ok"), secs(1));
    assert_eq!(effects(out), [Action::Start(MIGRATE)]);
    m.on(started(MIGRATE, 300), secs(1));
    assert_eq!(m.phase(), &Phase::PreStart);
    m
}

#[test]
fn pre_start_commands_run_after_sidecars_and_wait_for_each_to_its_end_then_program() {
    let mut m = Machine::new(with_pre_start());
    assert_eq!(m.start(Mono::ZERO), [Action::Start(A)]);
    let out = m.on(started(A, SIDE_A), Mono::ZERO);
    assert_eq!(action_names(&out), ["StartProbe"]);
    let mut m = in_pre_start();
    let out = m.on(reaped(300, EXITED_0), secs(2));
    assert_eq!(effects(out), [Action::Start(CHOWN)]);
    assert_eq!(
        logs(&m.on(started(CHOWN, 301), secs(2)))[0].1,
        "started --pre-start 'chown' (pid 301)"
    );
    assert_eq!(
        effects(m.on(reaped(301, EXITED_0), secs(3))),
        [Action::Start(ProcId::MAIN)]
    );
    m.on(started(ProcId::MAIN, CHILD), secs(3));
    assert_eq!(m.phase(), &Phase::Running);
}

#[test]
fn a_failing_pre_start_stops_vigil_with_its_status_and_program_never_starts() {
    // A SIGKILL vigil did not send gets its death line first (README
    // "Shutdown", why a process died).
    let exited: &[&str] =
        &["--pre-start 'migrate' (pid 300) exited with status 3: stopping everything"];
    let killed: &[&str] = &[
        "--pre-start 'migrate' (pid 300) was killed by SIGKILL",
        "--pre-start 'migrate' (pid 300) was killed by SIGKILL: stopping everything",
    ];
    for (status, code, lines) in [
        (ExitStatus::Exited(3), 3, exited),
        (ExitStatus::Signaled(Signal::KILL), 137, killed),
    ] {
        let mut m = in_pre_start();
        let out = m.on(reaped(300, status), secs(2));
        assert_eq!(warns(&out), lines);
        // The sidecars stop as at any shutdown.
        assert_eq!(effects(out), TREE_TERM);
        m.on(reaped(SIDE_A, ExitStatus::Signaled(Signal::TERM)), secs(2));
        assert_eq!(
            effects(m.on(all_reaped(false), secs(2))),
            [Action::Exit(code)]
        );
        assert_eq!(m.procs()[0].state, ProcState::NotStarted);
    }
}

#[test]
fn a_pre_start_that_cannot_run_exits_127_or_126_naming_it() {
    let mut m = Machine::new(Rules {
        pre_start: vec!["migrate".into()],
        ..rules()
    });
    assert_eq!(m.start(Mono::ZERO), [Action::Start(ProcId(1))]);
    let out = m.on(
        Event::StartFailed {
            id: ProcId(1),
            error: StartError::NotExecutable("Permission denied".into()),
        },
        ms(1),
    );
    assert_eq!(
        warns(&out),
        ["cannot run --pre-start 'migrate': Permission denied"]
    );
    // Nothing supervised runs: the tree is drained as at any stop.
    assert_eq!(effects(out), TREE_TERM);
    assert_eq!(effects(m.on(all_reaped(false), ms(1))), [Action::Exit(126)]);
}

#[test]
fn a_stop_signal_during_a_pre_start_is_forwarded_to_it_and_vigil_exits_128_plus_n() {
    let mut m = Machine::new(Rules {
        rewrites: vec![(Signal::TERM, Some(Signal::QUIT))],
        ..with_pre_start()
    });
    m.start(Mono::ZERO);
    m.on(started(A, SIDE_A), Mono::ZERO);
    m.on(probe_done(ProbeId::WaitFor(0), true, "ok"), secs(1));
    m.on(started(MIGRATE, 300), secs(1));
    let out = m.on(sent(Signal::TERM), secs(2));
    let to_it = Action::Forward {
        signal: Signal::QUIT,
        to: To::Group(pid(300)),
    };
    assert_eq!(
        effects(out)[..],
        [to_it, TREE_TERM[0].clone(), TREE_TERM[1].clone()]
    );
    // Its exit 0 now starts nothing.
    assert_eq!(effects(m.on(reaped(300, EXITED_0), secs(2))), []);
    m.on(reaped(SIDE_A, EXITED_0), secs(2));
    assert_eq!(
        effects(m.on(all_reaped(false), secs(2))),
        [Action::Exit(143)]
    );
}

#[test]
fn pre_start_commands_run_once_a_restart_of_program_skips_them() {
    let mut m = Machine::new(Rules {
        pre_start: vec!["migrate".into()],
        ..restarting(Restart::Always)
    });
    m.start(Mono::ZERO);
    m.on(started(ProcId(1), 300), Mono::ZERO);
    m.on(reaped(300, EXITED_0), ms(1));
    m.on(started(ProcId::MAIN, CHILD), ms(1));
    m.on(reaped(CHILD, ExitStatus::Exited(1)), secs(1));
    m.on(all_reaped(false), secs(1));
    assert_eq!(
        effects(m.on(Event::Clock, ms(1_500))),
        [Action::Start(ProcId::MAIN)]
    );
}

#[test]
fn a_sidecar_restarts_while_a_pre_start_runs() {
    let mut m = Machine::new(Rules {
        restart: restarting(Restart::Always).restart,
        ..with_pre_start()
    });
    m.start(Mono::ZERO);
    m.on(started(A, SIDE_A), Mono::ZERO);
    m.on(probe_done(ProbeId::WaitFor(0), true, "ok"), secs(1));
    m.on(started(MIGRATE, 300), secs(1));
    let out = m.on(reaped(SIDE_A, ExitStatus::Exited(1)), secs(2));
    assert_eq!(
        effects(out),
        [group(Signal::TERM, SIDE_A), group(Signal::CONT, SIDE_A)]
    );
    m.on(Event::GroupGone { group: pid(SIDE_A) }, secs(2));
    assert_eq!(m.deadline(), Some(ms(2_500)));
    assert_eq!(effects(m.on(Event::Clock, ms(2_500))), [Action::Start(A)]);
    assert_eq!(m.phase(), &Phase::PreStart);
}

// Fixed in the commit that adds this test ("a failing --pre-start's status
// is its own under -e"): `-e 3` and a command exiting 3 made vigil exit 0.
#[test]
fn a_failing_pre_starts_status_was_remapped_by_success_exit() {
    let mut m = Machine::new(Rules {
        pre_start: vec!["migrate".into()],
        success_exits: vec![3],
        ..rules()
    });
    m.start(Mono::ZERO);
    m.on(started(ProcId(1), 300), ms(1));
    m.on(reaped(300, ExitStatus::Exited(3)), ms(2));
    assert_eq!(effects(m.on(all_reaped(false), ms(2))), [Action::Exit(3)]);
    assert_eq!(m.procs()[0].state, ProcState::NotStarted);
}
