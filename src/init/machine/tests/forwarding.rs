//! README "Signals": what gets forwarded, and terminals. One test per rule,
//! asserting on the actions.

use super::*;

// ---- README "Signals": what gets forwarded ----

#[test]
fn every_catchable_signal_is_forwarded_to_the_child() {
    let mut m = running(rules());
    for n in [1, 10, 12, 14, 28, 34, 37, 64] {
        let s = Signal(n);
        assert_eq!(effects(m.on(sent(s), ms(1))), [forward(s)], "{s}");
    }
    assert_eq!(m.phase(), &Phase::Running);
}

#[test]
fn with_group_signals_go_to_the_childs_process_group() {
    let mut m = running(Rules {
        group: true,
        own_group: true,
        ..rules()
    });
    assert_eq!(
        effects(m.on(sent(Signal::HUP), ms(1))),
        [Action::Forward {
            signal: Signal::HUP,
            to: To::Group(pid(CHILD))
        }]
    );
}

#[test]
fn rewrite_applies_before_forwarding() {
    let mut m = running(Rules {
        rewrites: vec![(Signal::HUP, Some(Signal::QUIT))],
        ..rules()
    });
    assert_eq!(
        effects(m.on(sent(Signal::HUP), ms(1))),
        [forward(Signal::QUIT)]
    );
    // A rewrite to a stop signal does not make HUP a stop signal.
    assert_eq!(m.phase(), &Phase::Running);
}

#[test]
fn rewrite_to_zero_drops_and_starts_nothing() {
    let mut m = running(Rules {
        rewrites: vec![(Signal::TERM, None)],
        ..rules()
    });
    let out = m.on(sent(Signal::TERM), ms(1));
    assert_eq!(effects(out.clone()), []);
    assert_eq!(
        logs(&out),
        [(
            Level::Debug,
            "SIGTERM from pid 42 dropped by --rewrite".into()
        )]
    );
    assert_eq!(m.phase(), &Phase::Running);
    assert_eq!(m.deadline(), None);
}

#[test]
fn chld_is_never_forwarded() {
    let mut m = running(rules());
    assert_eq!(m.on(sent(Signal::CHLD), ms(1)), []);
}

#[test]
fn fault_signals_are_never_forwarded() {
    let mut m = running(rules());
    for n in [
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGILL,
        libc::SIGTRAP,
        libc::SIGSYS,
    ] {
        assert_eq!(effects(m.on(sent(Signal(n)), ms(1))), [], "{n}");
    }
}

#[test]
fn signals_raised_by_vigil_itself_are_not_forwarded() {
    let mut m = running(rules());
    let own = Event::Signal {
        signal: Signal(libc::SIGPIPE),
        sender: VIGIL,
        from_kernel: false,
    };
    assert_eq!(effects(m.on(own, ms(1))), []);
}

#[test]
fn a_signal_is_forwarded_again_and_again_while_the_child_runs() {
    // Forwarding has no state: a failed forward (logged by the loop) changes nothing.
    let mut m = running(rules());
    for _ in 0..3 {
        assert_eq!(
            effects(m.on(sent(Signal(10)), ms(1))),
            [forward(Signal(10))]
        );
    }
}

// ---- README "Signals": terminals ----

#[test]
fn terminal_int_without_group_is_not_forwarded() {
    let mut m = running(rules());
    for s in [Signal::INT, Signal::QUIT, Signal::TSTP, Signal::WINCH] {
        assert_eq!(effects(m.on(typed(s), ms(1))), [], "{s}");
    }
}

#[test]
fn terminal_int_does_not_start_a_shutdown() {
    let mut m = running(rules());
    m.on(typed(Signal::INT), ms(1));
    m.on(typed(Signal::QUIT), ms(1));
    assert_eq!(m.phase(), &Phase::Running);
    assert_eq!(m.deadline(), None);
}

#[test]
fn terminal_signals_with_group_are_forwarded_to_the_group() {
    let mut m = running(Rules {
        group: true,
        own_group: true,
        ..rules()
    });
    for s in [Signal::TSTP, Signal::WINCH] {
        assert_eq!(
            effects(m.on(typed(s), ms(1))),
            [Action::Forward {
                signal: s,
                to: To::Group(pid(CHILD))
            }]
        );
    }
}

#[test]
fn terminal_signals_reach_a_child_with_its_own_group_once_without_g() {
    // Issue 11, item 13: on a terminal the child has a group of its own (and
    // the foreground) without -g too. A terminal signal that reaches vigil's
    // group then did not reach the child's: it is forwarded, to the pid.
    let mut m = running(Rules {
        own_group: true,
        ..rules()
    });
    for s in [Signal::INT, Signal::TSTP] {
        assert_eq!(effects(m.on(typed(s), ms(1))), [forward(s)], "{s}");
    }
}

#[test]
fn int_sent_by_a_process_is_forwarded_and_starts_shutdown() {
    // `docker kill -s INT` comes from a process, not the terminal driver.
    let mut m = running(rules());
    assert_eq!(
        effects(m.on(sent(Signal::INT), ms(1))),
        [forward(Signal::INT)]
    );
    assert!(matches!(m.phase(), Phase::Stopping { .. }));
}
