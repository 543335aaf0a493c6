//! README "Shutdown", why a process died: the line for a death by a signal
//! vigil did not send, the OOM line, and the OOM kills of processes vigil
//! does not reap. One test per rule.

use super::*;

/// vigil's memory cgroup: its counter at start is 3 (kills before vigil).
fn in_cgroup(rules: Rules) -> Rules {
    Rules {
        oom_kills_at_start: Some(3),
        ..rules
    }
}

/// The cgroup read after a death: `oom_kills`, a 64 MiB limit, a 63 MiB peak.
fn reading(oom_kills: u64) -> MemoryReading {
    MemoryReading {
        oom_kills,
        limit: Some(64 << 20),
        peak: Some((63 << 20) + 4096),
    }
}

/// Process `n` died with `status`; `core_dumped`; `memory` read for it.
fn died(n: i32, status: ExitStatus, core_dumped: bool, memory: Option<MemoryReading>) -> Event {
    Event::Reaped {
        pid: pid(n),
        status,
        core_dumped,
        memory,
    }
}

fn killed(signal: Signal) -> ExitStatus {
    ExitStatus::Signaled(signal)
}

fn errors(actions: &[Action]) -> Vec<String> {
    logs(actions)
        .into_iter()
        .filter(|(level, _)| *level == Level::Error)
        .map(|(_, text)| text)
        .collect()
}

#[test]
fn a_signal_vigil_did_not_send_gets_an_error_line_naming_process_pid_and_signal() {
    let mut m = running(rules());
    let out = m.on(
        died(CHILD, killed(Signal(libc::SIGSEGV)), false, None),
        ms(1),
    );
    assert_eq!(errors(&out), ["'app' (pid 100) was killed by SIGSEGV"]);
    assert_eq!(effects(out), []);
    // vigil's status is still 128+N.
    assert_eq!(effects(m.on(all_reaped(false), ms(2))), [Action::Exit(139)]);
}

#[test]
fn core_dumped_is_said_when_the_core_flag_is_set() {
    let mut m = running(rules());
    let out = m.on(
        died(CHILD, killed(Signal(libc::SIGABRT)), true, None),
        ms(1),
    );
    assert_eq!(
        errors(&out),
        ["'app' (pid 100) was killed by SIGABRT (core dumped)"]
    );
}

#[test]
fn an_exit_gets_no_death_line() {
    let mut m = running(rules());
    let out = m.on(died(CHILD, ExitStatus::Exited(3), false, None), ms(1));
    assert_eq!(errors(&out), Vec::<String>::new());
}

#[test]
fn a_forwarded_or_rewritten_signal_is_vigils_and_gets_no_line() {
    // docker stop's SIGTERM, forwarded; and SIGTERM delivered as SIGQUIT.
    for (rewrites, dies_of) in [
        (Vec::new(), Signal::TERM),
        (vec![(Signal::TERM, Some(Signal::QUIT))], Signal::QUIT),
    ] {
        let mut m = running(Rules {
            rewrites,
            ..rules()
        });
        m.on(sent(Signal::TERM), ms(1));
        let out = m.on(died(CHILD, killed(dies_of), false, None), ms(2));
        assert_eq!(errors(&out), Vec::<String>::new(), "{dies_of}");
    }
}

#[test]
fn a_signal_forwarded_to_the_group_is_vigils_for_every_member() {
    // -g: a worker in PROGRAM's group that vigil reaps dies of it too.
    let mut m = running(Rules {
        group: true,
        own_group: true,
        ..rules()
    });
    m.on(sent(Signal::HUP), ms(1));
    let out = m.on(died(4242, killed(Signal::HUP), false, None), ms(2));
    assert_eq!(errors(&out), Vec::<String>::new());
}

#[test]
fn a_terminal_signal_the_child_got_itself_gets_no_line() {
    // ^C at a terminal the child shares with vigil: not forwarded, but known.
    let mut m = running(rules());
    m.on(typed(Signal::INT), ms(1));
    let out = m.on(died(CHILD, killed(Signal::INT), false, None), ms(2));
    assert_eq!(errors(&out), Vec::<String>::new());
}

#[test]
fn the_grace_periods_sigkill_is_never_a_line_nor_an_oom_kill() {
    let mut m = running(in_cgroup(rules()));
    m.on(sent(Signal::TERM), Mono::ZERO);
    m.on(Event::Clock, secs(10)); // the grace period is over: SIGKILL
    // The loop reads nothing for it ...
    assert!(!m.may_be_oom(pid(CHILD), killed(Signal::KILL)));
    // ... and even a risen counter does not make it one.
    let out = m.on(
        died(CHILD, killed(Signal::KILL), false, Some(reading(4))),
        secs(10),
    );
    assert_eq!(errors(&out), Vec::<String>::new());
    assert_eq!(m.oom_kills(), 0);
}

#[test]
fn what_is_left_of_the_tree_dies_of_vigils_drain_without_a_line() {
    let mut m = running(Fixtures::as_pid1());
    m.on(reaped(CHILD, EXITED_0), ms(1));
    m.on(all_reaped(true), ms(1)); // SIGTERM to the tree
    let out = m.on(died(4242, killed(Signal::TERM), false, None), ms(2));
    assert_eq!(errors(&out), Vec::<String>::new());
}

#[test]
fn a_restarts_kill_of_what_is_left_of_a_group_gets_no_line() {
    let mut m = running_with_sidecars(Fixtures::restarting_max(5));
    m.on(reaped(SIDE_A, ExitStatus::Exited(1)), ms(1)); // its group gets TERM
    let out = m.on(Event::Clock, ms(10_001)); // then KILL, and the restart
    assert_eq!(
        effects(out),
        [group(Signal::KILL, SIDE_A), Action::Start(A)]
    );
    m.on(started(A, 300), ms(10_001));
    // What was left of the group is reaped after the restart.
    for (n, sig) in [(4242, Signal::TERM), (4243, Signal::KILL)] {
        let out = m.on(died(n, killed(sig), false, None), ms(10_002));
        assert_eq!(errors(&out), Vec::<String>::new(), "{sig}");
    }
    // Not so for a supervised process: PROGRAM's SIGKILL is not vigil's.
    let out = m.on(died(CHILD, killed(Signal::KILL), false, None), ms(10_003));
    assert_eq!(errors(&out), ["'app' (pid 100) was killed by SIGKILL"]);
}

#[test]
fn the_watchdogs_kill_of_a_probe_leaves_no_line() {
    // A probe that overran is killed; an `exec:` probe's command group dies
    // of it, and what was left of it is reparented to vigil.
    let mut m = watched(watch_rules());
    m.on(Event::Clock, secs(10));
    let out = m.on(Event::Clock, secs(16));
    assert_eq!(effects(out), [Action::KillProbe(ProbeId::Watch)]);
    let out = m.on(died(4242, killed(Signal::KILL), false, None), secs(16));
    assert_eq!(errors(&out), Vec::<String>::new());
}

#[test]
fn a_sigkill_with_a_risen_oom_counter_is_the_oom_line_with_limit_and_peak() {
    let mut m = running(in_cgroup(rules()));
    assert!(m.may_be_oom(pid(CHILD), killed(Signal::KILL)));
    let out = m.on(
        died(CHILD, killed(Signal::KILL), false, Some(reading(4))),
        ms(1),
    );
    assert_eq!(
        errors(&out),
        [
            "'app' (pid 100) was killed by the kernel's OOM killer (memory limit 64 MiB, peak 63 MiB)"
        ]
    );
    assert_eq!(m.oom_kills(), 1);
    // vigil's status does not change: 137 stays 137.
    assert_eq!(effects(m.on(all_reaped(false), ms(2))), [Action::Exit(137)]);
}

#[test]
fn a_sigkill_without_a_risen_counter_is_a_plain_sigkill() {
    // `kill -9` from outside: the counter is where it was at start.
    let mut m = running(in_cgroup(rules()));
    let out = m.on(
        died(CHILD, killed(Signal::KILL), false, Some(reading(3))),
        ms(1),
    );
    assert_eq!(errors(&out), ["'app' (pid 100) was killed by SIGKILL"]);
    assert_eq!(m.oom_kills(), 0);
}

#[test]
fn without_a_memory_cgroup_no_death_is_an_oom_kill() {
    let mut m = running(rules());
    assert!(!m.may_be_oom(pid(CHILD), killed(Signal::KILL)));
    let out = m.on(
        died(CHILD, killed(Signal::KILL), false, Some(reading(9))),
        ms(1),
    );
    assert_eq!(errors(&out), ["'app' (pid 100) was killed by SIGKILL"]);
}

#[test]
fn no_limit_and_no_peak_are_said_as_they_are() {
    let mut m = running(in_cgroup(rules()));
    let bare = MemoryReading {
        oom_kills: 4,
        limit: None,
        peak: None,
    };
    let out = m.on(died(CHILD, killed(Signal::KILL), false, Some(bare)), ms(1));
    assert_eq!(
        errors(&out),
        ["'app' (pid 100) was killed by the kernel's OOM killer (no memory limit)"]
    );
}

#[test]
fn a_sidecar_and_an_orphan_are_named_too() {
    let mut m = running_with_sidecars(in_cgroup(with_sidecars()));
    let out = m.on(
        died(SIDE_B, killed(Signal::KILL), false, Some(reading(4))),
        ms(1),
    );
    assert_eq!(
        errors(&out),
        [
            "'worker' (pid 201) was killed by the kernel's OOM killer (memory limit 64 MiB, peak 63 MiB)"
        ]
    );
    assert_eq!(
        warns(&out)[1],
        "'worker' (pid 201) was killed by the kernel's OOM killer: stopping everything"
    );
    let out = m.on(died(4242, killed(Signal(libc::SIGBUS)), true, None), ms(2));
    assert_eq!(
        errors(&out),
        ["pid 4242 was killed by SIGBUS (core dumped)"]
    );
}

#[test]
fn the_restart_line_says_it_was_the_oom_killer() {
    let mut m = running(in_cgroup(restarting(Restart::OnFailure)));
    let out = m.on(
        died(CHILD, killed(Signal::KILL), false, Some(reading(4))),
        secs(1),
    );
    assert_eq!(
        warns(&out),
        [
            "'app' (pid 100) was killed by the kernel's OOM killer (memory limit 64 MiB, peak 63 MiB)",
            "'app' (pid 100) was killed by the kernel's OOM killer; restart 1/5 in 500ms"
        ]
    );
}

#[test]
fn an_oom_notice_reads_the_counter_later_and_reports_each_kill_no_death_claimed() {
    let mut m = running(in_cgroup(rules()));
    assert_eq!(m.on(Event::OomNotice, ms(100)), []);
    // Read once, 250 ms on: a second notice meanwhile changes nothing.
    assert_eq!(m.deadline(), Some(ms(350)));
    assert_eq!(m.on(Event::OomNotice, ms(200)), []);
    assert_eq!(m.on(Event::Clock, ms(349)), []);
    assert_eq!(m.on(Event::Clock, ms(350)), [Action::ReadMemory]);
    assert_eq!(m.deadline(), None, "no idle wake-up after it");
    // Two workers of PROGRAM were killed; PROGRAM reaped them itself.
    let out = m.on(Event::Memory(reading(5)), ms(350));
    assert_eq!(
        errors(&out),
        [
            "the kernel's OOM killer killed a process in this container (memory limit 64 MiB, peak 63 MiB; 1 OOM kill so far)",
            "the kernel's OOM killer killed a process in this container (memory limit 64 MiB, peak 63 MiB; 2 OOM kills so far)"
        ]
    );
    assert_eq!(m.oom_kills(), 2);
    // Read again with nothing new: nothing said.
    assert_eq!(m.on(Event::Memory(reading(5)), secs(2)), []);
}

#[test]
fn a_victim_vigil_reaps_claims_its_kill_so_the_notice_adds_no_line() {
    let mut m = running(in_cgroup(rules()));
    m.on(Event::OomNotice, ms(1));
    let out = m.on(
        died(CHILD, killed(Signal::KILL), false, Some(reading(4))),
        ms(5),
    );
    assert_eq!(errors(&out).len(), 1);
    assert_eq!(m.on(Event::Clock, ms(251)), [Action::ReadMemory]);
    assert_eq!(m.on(Event::Memory(reading(4)), ms(251)), []);
    assert_eq!(m.oom_kills(), 1);
}

#[test]
fn without_a_memory_cgroup_a_notice_reads_nothing() {
    let mut m = running(rules());
    m.on(Event::OomNotice, ms(1));
    assert_eq!(m.deadline(), None);
}
