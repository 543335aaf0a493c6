//! README "Health", sd_notify: what `--notify` sends (READY=1 once,
//! STATUS= on each change, STOPPING=1 once, WATCHDOG=1 while live), and
//! what the app's datagrams do (`--ready notify`, `--watch notify`). One test
//! per rule.

use super::*;
use crate::health::State;
use crate::init::notify_message::Notice;
use crate::init::readiness::ReadyRules;

/// `--notify`, with keep-alives every `keepalive` when given.
fn notifying(keepalive: Option<Duration>, rules: Rules) -> Rules {
    Rules {
        notify: true,
        keepalive,
        ..rules
    }
}

/// `--ready notify`, and `targets` probe targets beside it.
fn told(targets: usize, rules: Rules) -> Rules {
    Rules {
        ready: Some(ReadyRules {
            targets,
            notify: true,
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
            retries: 3,
        }),
        ..rules
    }
}

/// The sd_notify messages among `out`.
fn notes(out: &[Action]) -> Vec<String> {
    out.iter()
        .filter_map(|a| match a {
            Action::Notify(message) => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn notice(datagram: &str) -> Event {
    Event::Notified(Notice::parse(datagram.as_bytes()))
}

/// A machine started at 0 whose PROGRAM runs as pid 100 (`running` for
/// rules whose start says more than Start).
fn running_notified(rules: Rules) -> Machine {
    let mut m = Machine::new(rules);
    m.start(Mono::ZERO);
    m.on(started(ProcId::MAIN, CHILD), Mono::ZERO);
    m
}

/// The health changes' lines among `out`.
fn changes(out: &[Action]) -> Vec<(Level, String)> {
    out.iter()
        .filter_map(|a| match a {
            Action::Health(_, level, line) => Some((*level, line.clone())),
            _ => None,
        })
        .collect()
}

/// The datagram `--ready notify`'s app sends, taken at `now`.
fn app_says(m: &mut Machine, datagram: &str, now: Mono) -> Vec<Action> {
    m.on(notice(datagram), now)
}

// ---- --notify: what vigil sends ----

#[test]
fn with_notify_the_start_sends_nothing_yet() {
    let mut m = Machine::new(notifying(None, rules()));
    assert_eq!(m.start(Mono::ZERO), [Action::Start(ProcId::MAIN)]);
}

#[test]
fn without_notify_nothing_is_sent() {
    let mut m = Machine::new(told(0, rules()));
    let mut out = m.start(Mono::ZERO);
    out.extend(m.on(started(ProcId::MAIN, CHILD), ms(1)));
    out.extend(app_says(&mut m, "READY=1", ms(2)));
    out.extend(m.on(sent(Signal::TERM), ms(3)));
    assert_eq!(m.health(), State::Stopping);
    assert!(notes(&out).is_empty(), "{out:?}");
    assert_eq!(m.deadline(), Some(ms(3) + GRACE), "no keep-alive timer");
}

#[test]
fn ready_1_goes_out_once_when_the_state_first_becomes_ready() {
    let mut m = Machine::new(notifying(None, told(0, rules())));
    m.start(Mono::ZERO);
    let out = m.on(started(ProcId::MAIN, CHILD), ms(1));
    assert!(notes(&out).is_empty(), "still starting: {out:?}");
    let out = app_says(&mut m, "READY=1", ms(300));
    assert_eq!(
        notes(&out),
        ["READY=1\nSTATUS=ready after 0.30s (notify: READY)"]
    );
    let out = app_says(&mut m, "RELOADING=1", secs(2));
    assert_eq!(notes(&out), ["STATUS=unready: notify: RELOADING"]);
    let out = app_says(&mut m, "READY=1", secs(3));
    assert_eq!(
        notes(&out),
        ["STATUS=ready again after 1.00s"],
        "READY=1 once only"
    );
}

#[test]
fn status_follows_each_state_change_and_only_a_change() {
    let mut m = running_notified(notifying(None, restarting(Restart::Always)));
    let out = m.on(reaped(CHILD, ExitStatus::Exited(1)), secs(1));
    assert_eq!(
        notes(&out),
        ["STATUS=restarting: 'app' exited with status 1"]
    );
    // The backoff's wake-up changes nothing: no message.
    assert!(notes(&m.on(Event::Clock, ms(1200))).is_empty());
    m.on(Event::Clock, ms(1500));
    let out = m.on(started(ProcId::MAIN, 101), ms(1500));
    assert_eq!(notes(&out), ["STATUS=ready again after 0.50s"]);
}

#[test]
fn stopping_1_goes_out_once_when_the_shutdown_begins() {
    let mut m = running_notified(notifying(None, rules()));
    let out = m.on(sent(Signal::TERM), secs(1));
    assert_eq!(notes(&out), ["STOPPING=1\nSTATUS=stopping"]);
    let out = m.on(sent(Signal::TERM), secs(2));
    assert!(notes(&out).is_empty(), "{out:?}");
}

#[test]
fn a_drain_is_the_shutdown_beginning_and_says_draining() {
    let mut m = running_notified(notifying(None, delayed()));
    let out = m.on(sent(Signal::TERM), secs(1));
    assert_eq!(
        notes(&out),
        ["STOPPING=1\nSTATUS=draining for 5s (--stop-delay)"]
    );
    let out = m.on(Event::Clock, secs(6));
    assert_eq!(notes(&out), ["STATUS=stopping"]);
}

#[test]
fn stopping_1_goes_out_when_the_watchdog_stops_everything() {
    let mut m = Fixtures::watching(OnUnhealthy::Exit);
    m.rules.notify = true;
    m.on(Event::Clock, secs(10));
    let out = m.on(probe_done(ProbeId::Watch, false, "fail 503"), secs(11));
    assert_eq!(
        notes(&out),
        ["STOPPING=1\nSTATUS=unhealthy: --watch failed"]
    );
}

#[test]
fn watchdog_1_every_half_watchdog_usec_only_while_live() {
    let every = Duration::from_millis(500);
    let mut m = Machine::new(notifying(Some(every), told(0, rules())));
    m.start(Mono::ZERO);
    m.on(started(ProcId::MAIN, CHILD), ms(1));
    // Starting is live: the keep-alives are the only timer.
    assert_eq!(m.deadline(), Some(ms(500)));
    assert!(notes(&m.on(Event::Clock, ms(499))).is_empty());
    assert_eq!(notes(&m.on(Event::Clock, ms(500))), ["WATCHDOG=1"]);
    assert_eq!(m.deadline(), Some(ms(1000)));
    // A late wake-up keeps the cadence.
    assert_eq!(notes(&m.on(Event::Clock, ms(1010))), ["WATCHDOG=1"]);
    assert_eq!(m.deadline(), Some(ms(1500)));
    // Stopping is not live: the timer runs on, nothing goes out.
    m.on(sent(Signal::TERM), ms(1200));
    assert!(notes(&m.on(Event::Clock, ms(1500))).is_empty());
    assert!(notes(&m.on(Event::Clock, ms(2000))).is_empty());
}

#[test]
fn no_watchdog_1_while_unhealthy() {
    let mut m = Machine::new(Rules {
        watch: Some(WatchRules {
            retries: 1,
            ..watch_rules()
        }),
        grace: Duration::from_secs(30),
        ..notifying(Some(Duration::from_secs(4)), rules())
    });
    m.start(Mono::ZERO);
    m.on(started(ProcId::MAIN, CHILD), Mono::ZERO);
    assert_eq!(notes(&m.on(Event::Clock, secs(4))), ["WATCHDOG=1"]);
    assert_eq!(notes(&m.on(Event::Clock, secs(8))), ["WATCHDOG=1"]);
    m.on(Event::Clock, secs(10));
    m.on(probe_done(ProbeId::Watch, false, "fail 503"), secs(11));
    assert_eq!(m.health(), State::Unhealthy);
    for t in [12, 16, 20, 24] {
        assert!(notes(&m.on(Event::Clock, secs(t))).is_empty(), "at {t}s");
    }
}

// ---- --ready notify: what the app's datagrams do ----

#[test]
fn ready_notify_holds_only_after_the_apps_ready_1() {
    let mut m = running(told(0, rules()));
    assert_eq!(m.health(), State::Starting);
    app_says(&mut m, "STATUS=loading", ms(500));
    app_says(&mut m, "MAINPID=5\nX-OTHER=1", ms(600));
    assert_eq!(m.health(), State::Starting);
    assert_eq!(
        m.health_line(ms(700)),
        "-starting 0.70s: notify: loading; 0 restarts\n"
    );
    let out = app_says(&mut m, "READY=1", secs(1));
    assert_eq!(m.health(), State::Ready);
    assert_eq!(
        changes(&out),
        [(Level::Warn, "ready after 1.00s (notify: READY)".into())]
    );
}

#[test]
fn the_apps_status_is_kept_and_shown_by_vigil_health() {
    let mut m = running(told(0, rules()));
    app_says(&mut m, "READY=1\nSTATUS=serving 3 clients", ms(10));
    assert_eq!(
        m.health_line(secs(2)),
        "+ready 1.99s: notify: serving 3 clients; 0 restarts\n"
    );
    app_says(&mut m, "STATUS=serving 4 clients", secs(3));
    assert_eq!(m.health(), State::Ready);
    assert_eq!(
        m.health_line(secs(3)),
        "+ready 2.99s: notify: serving 4 clients; 0 restarts\n"
    );
}

#[test]
fn reloading_1_makes_it_unready_until_the_next_ready_1() {
    let mut m = running(told(0, rules()));
    app_says(&mut m, "READY=1", ms(10));
    let out = app_says(&mut m, "RELOADING=1\nSTATUS=reloading", secs(5));
    assert_eq!(m.health(), State::Unready);
    assert_eq!(
        changes(&out),
        [(Level::Error, "unready: notify: reloading".into())]
    );
    app_says(&mut m, "STATUS=still reloading", secs(6));
    assert_eq!(m.health(), State::Unready);
    app_says(&mut m, "READY=1", secs(7));
    assert_eq!(m.health(), State::Ready);
}

#[test]
fn the_apps_stopping_1_is_recorded_and_it_is_no_longer_ready() {
    let mut m = running(told(0, rules()));
    app_says(&mut m, "READY=1", ms(10));
    app_says(&mut m, "STOPPING=1", secs(5));
    assert_eq!(m.health(), State::Unready);
    assert_eq!(
        m.health_line(secs(5)),
        "+unready 0.00s: notify: STOPPING; 0 restarts\n"
    );
}

#[test]
fn after_a_restart_of_program_readiness_waits_for_a_new_ready_1() {
    let mut m = running(told(0, restarting(Restart::Always)));
    app_says(&mut m, "READY=1", ms(10));
    m.on(reaped(CHILD, ExitStatus::Exited(1)), secs(1));
    assert_eq!(m.health(), State::Restarting);
    // A datagram while PROGRAM waits for its restart changes nothing.
    app_says(&mut m, "READY=1", ms(1100));
    assert_eq!(m.health(), State::Restarting);
    m.on(Event::Clock, ms(1500));
    m.on(started(ProcId::MAIN, 101), ms(1500));
    assert_eq!(m.health(), State::Unready);
    assert_eq!(
        m.health_line(ms(1600)),
        "+unready 0.10s: notify: no READY yet; 1 restarts\n"
    );
    app_says(&mut m, "READY=1", secs(2));
    assert_eq!(m.health(), State::Ready);
}

#[test]
fn ready_notify_and_a_probe_target_must_both_hold() {
    let mut m = running(told(1, rules()));
    let started_probe = effects(m.on(Event::Clock, Mono::ZERO));
    assert_eq!(
        started_probe,
        [Action::StartProbe {
            probe: ProbeId::Ready(0),
            timeout: Duration::from_secs(5)
        }]
    );
    m.on(
        probe_done(ProbeId::Ready(0), true, "ok http://x/ 200 OK"),
        ms(5),
    );
    assert_eq!(m.health(), State::Starting);
    app_says(&mut m, "READY=1", ms(10));
    assert_eq!(m.health(), State::Ready);
    // The notify condition adds no timer of its own.
    assert_eq!(m.deadline(), Some(ms(5) + Duration::from_secs(10)));
}

// ---- --watch notify: the app's keep-alives ----

fn watching_notify(on_unhealthy: OnUnhealthy) -> Machine {
    running(Rules {
        watch: Some(WatchRules {
            target: "notify".into(),
            notify: true,
            ..watch_rules()
        }),
        on_unhealthy,
        ..rules()
    })
}

#[test]
fn watch_notify_passes_an_interval_with_a_watchdog_1_and_starts_no_probe() {
    let mut m = watching_notify(OnUnhealthy::Exit);
    for n in 1..=5 {
        app_says(&mut m, "WATCHDOG=1", secs(10 * n - 5));
        let out = effects(m.on(Event::Clock, secs(10 * n)));
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(m.deadline(), Some(secs(10 * n + 10)));
    }
    assert_eq!(m.health(), State::Ready);
}

#[test]
fn watch_notify_counts_each_interval_without_watchdog_1_as_a_failure() {
    let mut m = watching_notify(OnUnhealthy::Exit);
    app_says(&mut m, "WATCHDOG=1", secs(5));
    m.on(Event::Clock, secs(10));
    m.on(Event::Clock, secs(20));
    m.on(Event::Clock, secs(30));
    assert_eq!(m.health(), State::Ready, "two missed intervals");
    let out = m.on(Event::Clock, secs(40));
    assert_eq!(m.health(), State::Unhealthy);
    assert_eq!(
        logs(&out)[0],
        (
            Level::Error,
            "--watch notify: 3 failures, last: no WATCHDOG=1 within --watch-interval; stopping the child"
                .into()
        )
    );
    assert_eq!(effects(out), [forward(Signal::TERM)]);
}

#[test]
fn watch_notify_fires_on_unhealthy_restart_too() {
    let mut m = watching_notify(OnUnhealthy::Restart);
    for t in [10, 20, 30] {
        m.on(Event::Clock, secs(t));
    }
    assert_eq!(m.health(), State::Unhealthy);
    assert_eq!(m.phase(), &Phase::Running);
}
