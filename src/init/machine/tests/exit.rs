//! README "Exit status": what vigil exits with. One test per row of its table.

use super::*;

// ---- README "Exit status" ----

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

/// PROGRAM could not start: the log, and what vigil exits with once it has
/// drained what is left (nothing, here).
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
    (logs(&out), drains_at_once(&mut m, out, &[], Mono::ZERO))
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
