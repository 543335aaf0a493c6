//! The machine's unit tests: the fixtures they share, the test that drives
//! every row of the transition table, and one file per README section.

use super::*;
use crate::init::event::*;
use crate::init::notify_message::Notice;
use crate::init::readiness::ReadyRules;
use crate::init::restart_policy::{OnUnhealthy, Restart, RestartRules};
use crate::init::supervised::ProcState;
use crate::init::watchdog::WatchState;

const CHILD: i32 = 100;
const VIGIL: u32 = 7;
const GRACE: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Mono {
    Mono::ZERO + Duration::from_millis(n)
}

fn secs(n: u64) -> Mono {
    Mono::ZERO + Duration::from_secs(n)
}

fn pid(n: i32) -> Pid {
    Pid::new(n).unwrap()
}

/// The rules of a plain `vigil -- app` (also for the other init tests).
pub(in crate::init) fn rules() -> Rules {
    Rules {
        program: "app".into(),
        user: None,
        group: false,
        own_group: false,
        rewrites: Vec::new(),
        success_exits: Vec::new(),
        grace: GRACE,
        is_pid1: false,
        tree_visible: true,
        own_pid: VIGIL,
        wait_for: 0,
        wait_timeout: Duration::from_secs(60),
        watch: None,
        ready: None,
        stop_delay: Duration::ZERO,
        sidecars: Vec::new(),
        restart: RestartRules {
            policy: Restart::No,
            max: 5,
            window: Duration::from_secs(300),
        },
        on_unhealthy: OnUnhealthy::Exit,
        pre_start: Vec::new(),
        pre_stop: None,
        restart_signal: None,
        oom_kills_at_start: None,
        notify: false,
        keepalive: None,
    }
}

fn watch_rules() -> WatchRules {
    WatchRules {
        target: "http://127.0.0.1:8080/health".into(),
        interval: Duration::from_secs(10),
        timeout: Duration::from_secs(5),
        retries: 3,
        start_period: Duration::ZERO,
        notify: false,
    }
}

/// A machine whose main child runs as pid 100, started at t=0.
fn running(rules: Rules) -> Machine {
    let mut m = Machine::new(rules);
    assert_eq!(m.start(Mono::ZERO), [Action::Start(ProcId::MAIN)]);
    m.on(
        Event::Started {
            id: ProcId::MAIN,
            pid: pid(CHILD),
        },
        Mono::ZERO,
    );
    assert_eq!(m.phase(), &Phase::Running);
    m
}

/// A signal sent by process 42.
fn sent(signal: Signal) -> Event {
    Event::Signal {
        signal,
        sender: 42,
        from_kernel: false,
    }
}

/// A signal the kernel generated (a terminal's ^C, ^\, ^Z, resize).
fn typed(signal: Signal) -> Event {
    Event::Signal {
        signal,
        sender: 0,
        from_kernel: true,
    }
}

fn reaped(n: i32, status: ExitStatus) -> Event {
    Event::Reaped {
        pid: pid(n),
        status,
        core_dumped: false,
        memory: None,
    }
}

fn all_reaped(children_left: bool) -> Event {
    Event::ReapedAll {
        left: if children_left {
            Left::Children
        } else {
            Left::Nothing
        },
    }
}

/// As PID 1: no children, but processes vigil did not start remain.
fn only_others_left() -> Event {
    Event::ReapedAll {
        left: Left::OthersOnly,
    }
}

fn probe_done(probe: ProbeId, passed: bool, report: &str) -> Event {
    Event::ProbeDone {
        probe,
        passed,
        report: report.into(),
    }
}

/// The actions without the log lines and the health changes (the tests of
/// README "Health" check those: machine/tests/health.rs).
fn effects(actions: Vec<Action>) -> Vec<Action> {
    actions
        .into_iter()
        .filter(|a| !matches!(a, Action::Log(..) | Action::Health(..)))
        .collect()
}

fn logs(actions: &[Action]) -> Vec<(Level, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log(level, text) => Some((*level, text.clone())),
            _ => None,
        })
        .collect()
}

fn forward(signal: Signal) -> Action {
    Action::Forward {
        signal,
        to: To::Process(pid(CHILD)),
    }
}

const EXITED_0: ExitStatus = ExitStatus::Exited(0);

/// Main child exits with `status` and nothing else is left: vigil's exit.
fn exit_status_after(m: &mut Machine, status: ExitStatus, now: Mono) -> Vec<Action> {
    m.on(reaped(CHILD, status), now);
    effects(m.on(all_reaped(false), now))
}

const SIDE_A: i32 = 200;
const SIDE_B: i32 = 201;
const A: ProcId = ProcId::sidecar(0);
const B: ProcId = ProcId::sidecar(1);

fn delayed() -> Rules {
    Rules {
        stop_delay: Duration::from_secs(5),
        ..rules()
    }
}

fn with_sidecars() -> Rules {
    Rules {
        sidecars: vec!["nginx".into(), "worker".into()],
        ..rules()
    }
}

fn restarting(policy: Restart) -> Rules {
    Rules {
        restart: RestartRules {
            policy,
            ..rules().restart
        },
        ..rules()
    }
}

fn started(id: ProcId, n: i32) -> Event {
    Event::Started { id, pid: pid(n) }
}

/// Starts both sidecars (200, 201), then PROGRAM (100), at t=0.
fn running_with_sidecars(rules: Rules) -> Machine {
    let mut m = Machine::new(rules);
    assert_eq!(m.start(Mono::ZERO), [Action::Start(A)]);
    assert_eq!(
        effects(m.on(started(A, SIDE_A), Mono::ZERO)),
        [Action::Start(B)]
    );
    assert_eq!(
        effects(m.on(started(B, SIDE_B), Mono::ZERO)),
        [Action::Start(ProcId::MAIN)]
    );
    m.on(started(ProcId::MAIN, CHILD), Mono::ZERO);
    assert_eq!(m.phase(), &Phase::Running);
    m
}

/// Starts both sidecars (200, 201) and, as the `--pre-start` commands come
/// before PROGRAM, the first of them (pid 300), at t=0.
fn running_with_sidecars_until_main(rules: Rules) -> Machine {
    let mut m = Machine::new(rules);
    m.start(Mono::ZERO);
    m.on(started(A, SIDE_A), Mono::ZERO);
    assert_eq!(
        effects(m.on(started(B, SIDE_B), Mono::ZERO)),
        [Action::Start(ProcId(3))]
    );
    m.on(started(ProcId(3), 300), Mono::ZERO);
    assert_eq!(m.phase(), &Phase::PreStart);
    m
}

fn group(signal: Signal, n: i32) -> Action {
    Action::SignalGroup {
        signal,
        group: pid(n),
    }
}

const TREE_TERM: [Action; 2] = [
    Action::SignalTree(Signal::TERM),
    Action::SignalTree(Signal::CONT),
];

/// A stop while no supervised process runs drains the tree as any shutdown
/// does (README "Shutdown"): TERM then CONT, before which `before` (at `now`).
/// No SIGCHLD may come, so vigil looks at once; returns what it does once
/// nothing is left (the exit).
fn drains_at_once(m: &mut Machine, out: Vec<Action>, before: &[Action], now: Mono) -> Vec<Action> {
    let mut want = before.to_vec();
    want.extend(TREE_TERM);
    assert_eq!(effects(out), want);
    assert!(
        matches!(m.phase(), Phase::Lingering { .. }),
        "{:?}",
        m.phase()
    );
    assert_eq!(m.deadline(), Some(now), "vigil looks at once");
    effects(m.on(all_reaped(false), now))
}

fn warns(actions: &[Action]) -> Vec<String> {
    logs(actions)
        .into_iter()
        .filter(|(level, _)| *level <= Level::Warn)
        .map(|(_, text)| text)
        .collect()
}

fn waiting(targets: usize, timeout: Duration) -> (Machine, Vec<Action>) {
    let mut m = Machine::new(Rules {
        wait_for: targets,
        wait_timeout: timeout,
        ..rules()
    });
    let out = m.start(Mono::ZERO);
    (m, out)
}

fn probe(i: usize, timeout: Duration) -> Action {
    Action::StartProbe {
        probe: ProbeId::WaitFor(i),
        timeout,
    }
}

const WATCH_PROBE: Action = Action::StartProbe {
    probe: ProbeId::Watch,
    timeout: Duration::from_secs(5),
};

fn watched(watch: WatchRules) -> Machine {
    running(Rules {
        watch: Some(watch),
        ..rules()
    })
}

/// Runs one watch probe at `at` that ends `passed` 10 ms later.
fn watch_round(m: &mut Machine, at: Mono, passed: bool) -> Vec<Action> {
    assert_eq!(effects(m.on(Event::Clock, at)), [WATCH_PROBE], "at {at:?}");
    m.on(
        probe_done(
            ProbeId::Watch,
            passed,
            "fail http://127.0.0.1:8080/health 503",
        ),
        at + Duration::from_millis(10),
    )
}

// ---- The transition table at the top of machine.rs ----

/// The phase's name, as the table writes it.
fn phase_name(phase: &Phase) -> &'static str {
    match phase {
        Phase::New => "New",
        Phase::Starting => "Starting",
        Phase::WaitingFor(_) => "WaitingFor",
        Phase::Running => "Running",
        Phase::StopDelay { .. } => "StopDelay",
        Phase::PreStart => "PreStart",
        Phase::PreStop { .. } => "PreStop",
        Phase::Stopping { .. } => "Stopping",
        Phase::Draining { .. } => "Draining",
        Phase::Lingering { .. } => "Lingering",
        Phase::Killing { .. } => "Killing",
        Phase::Done(_) => "Done",
    }
}

/// The actions' kinds, without the log lines.
fn action_names(actions: &[Action]) -> Vec<&'static str> {
    actions
        .iter()
        .filter_map(|a| {
            Some(match a {
                Action::Start(_) => "Start",
                Action::Forward { .. } => "Forward",
                Action::Kill { .. } => "Kill",
                Action::SignalGroup { .. } => "SignalGroup",
                Action::SignalTree(_) => "SignalTree",
                Action::StartProbe { .. } => "StartProbe",
                Action::KillProbe(_) => "KillProbe",
                Action::CancelProbe(_) => "CancelProbe",
                Action::ReadMemory => "ReadMemory",
                Action::Exit(_) => "Exit",
                Action::Notify(_) => "Notify",
                Action::Log(..) | Action::Health(..) => return None,
            })
        })
        .collect()
}

/// One row of the table: what follows its phase column, whitespace folded,
/// and its "next" cell.
struct Row {
    text: String,
    next: String,
}

/// The table's rows, read from the lines between "```text" and "```". A line
/// with a phase name alone continues the phase column only.
fn table_rows() -> Vec<Row> {
    let source = include_str!("../machine.rs");
    let mut lines = source
        .lines()
        .map(|l| l.strip_prefix("//!").unwrap_or(l))
        .skip_while(|l| l.trim() != "```text")
        .skip(1);
    let header = lines.next().unwrap_or_default();
    let column = |name| {
        header
            .find(name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (event, next) = (column("event"), column("next"));
    lines
        .skip(1)
        .take_while(|l| l.trim() != "```")
        .filter_map(|l| {
            let text = l
                .get(event..)?
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let next = l.get(next..).unwrap_or_default().split("  ").next()?.into();
            (!text.is_empty()).then_some(Row { text, next })
        })
        .collect()
}

/// Whether a row's "next" cell allows moving from phase `from` to `to`.
fn next_allows(cell: &str, from: &str, to: &str) -> bool {
    cell.split(['/', ','])
        .map(str::trim)
        .any(|next| match next {
            "=" => to == from,
            "stop_all" => ["Stopping", "Draining", "Lingering"].contains(&to),
            "start PROGRAM" => ["Starting", "WaitingFor", "PreStart"].contains(&to),
            "run PROGRAM" => ["Starting", "PreStart"].contains(&to),
            phase => phase == to,
        })
}

/// A machine in each phase the table names, all at t=0 but `killing`.
struct Fixtures;

impl Fixtures {
    fn starting() -> Machine {
        let mut m = Machine::new(with_sidecars());
        m.start(Mono::ZERO);
        m
    }

    fn stop_delay() -> Machine {
        let mut m = running(delayed());
        m.on(sent(Signal::TERM), Mono::ZERO);
        m
    }

    fn stopping(m: Machine) -> Machine {
        let mut m = m;
        m.on(sent(Signal::TERM), Mono::ZERO);
        m
    }

    /// PROGRAM exited; `left` remains.
    fn drained(rules: Rules, left: Left) -> Machine {
        let mut m = running(rules);
        m.on(reaped(CHILD, EXITED_0), Mono::ZERO);
        m.on(Event::ReapedAll { left }, Mono::ZERO);
        m
    }

    /// The grace period ended at 10 s while PROGRAM ran.
    fn killing() -> Machine {
        let mut m = Fixtures::stopping(running(rules()));
        m.on(Event::Clock, secs(10));
        m
    }

    fn as_pid1() -> Rules {
        Rules {
            is_pid1: true,
            ..rules()
        }
    }

    /// `--restart always --max-restarts max`, with two sidecars.
    fn restarting_max(max: u32) -> Rules {
        Rules {
            restart: RestartRules {
                policy: Restart::Always,
                max,
                ..rules().restart
            },
            ..with_sidecars()
        }
    }

    /// `--watch` whose first failure fires, at 10 s.
    fn watching(on_unhealthy: OnUnhealthy) -> Machine {
        running(Rules {
            watch: Some(WatchRules {
                retries: 1,
                ..watch_rules()
            }),
            on_unhealthy,
            ..rules()
        })
    }
}

#[test]
#[rustfmt::skip] // one check a line, as the table has one row a line
fn every_row_of_the_transition_table() {
    let rows = table_rows();
    let mut claimed = vec![0; rows.len()];
    // One check: `key` names the row (a piece of its text); the machine `m`,
    // in phase `from`, takes `event` at `now` and ends in `to` having asked
    // for `actions` (log lines aside).
    let mut check = |key: &str,
                     m: &Machine,
                     from: &str,
                     event: Option<Event>,
                     now: Mono,
                     to: &str,
                     actions: &[&str]| {
        // The row that is `key`, else the one row that contains it.
        let hits: Vec<usize> = match rows.iter().position(|r| r.text == key) {
            Some(i) => vec![i],
            None => (0..rows.len()).filter(|&i| rows[i].text.contains(key)).collect(),
        };
        assert_eq!(hits.len(), 1, "'{key}' must name one row of the table");
        claimed[hits[0]] += 1;
        let row = &rows[hits[0]];
        assert!(next_allows(&row.next, from, to), "row '{}' says {}, not {to}", row.text, row.next);
        let mut m = m.clone();
        assert_eq!(phase_name(m.phase()), from, "row '{}'", row.text);
        let out = match event {
            Some(event) => m.on(event, now),
            None => m.start(now),
        };
        assert_eq!(
            (phase_name(m.phase()), action_names(&out).as_slice()),
            (to, actions),
            "row '{}'",
            row.text
        );
    };
    let term = || Some(sent(Signal::TERM));
    let clock = || Some(Event::Clock);
    let exited = |n| Some(reaped(n, ExitStatus::Exited(1)));
    let exited_with = |n, code| Some(reaped(n, ExitStatus::Exited(code)));
    let all = |left| Some(Event::ReapedAll { left });
    let tree_term = ["SignalTree", "SignalTree"];

    // New
    let new = Machine::new(with_sidecars());
    check("start() --with sidecars", &new, "New", None, Mono::ZERO, "Starting", &["Start"]);
    let new = Machine::new(rules());
    check("no sidecar start PROGRAM", &new, "New", None, Mono::ZERO, "Starting", &["Start"]);
    let new = Machine::new(Rules {
        wait_for: 1,
        ..rules()
    });
    check("no sidecar start PROGRAM", &new, "New", None, Mono::ZERO, "WaitingFor", &["StartProbe"]);
    let notifying = |rules: Rules| Rules { notify: true, keepalive: Some(Duration::from_millis(500)), ..rules };

    // Starting
    let m = Fixtures::starting();
    let up = |id, n| Some(started(id, n));
    check("a sidecar, another one to start", &m, "Starting", up(A, SIDE_A), Mono::ZERO, "Starting", &["Start"]);
    let mut last = m.clone();
    last.on(started(A, SIDE_A), Mono::ZERO);
    check("the last sidecar start PROGRAM", &last, "Starting", up(B, SIDE_B), Mono::ZERO, "Starting", &["Start"]);
    let mut main = last.clone();
    main.on(started(B, SIDE_B), Mono::ZERO);
    check("PROGRAM Running (--watch", &main, "Starting", up(ProcId::MAIN, CHILD), Mono::ZERO, "Running", &[]);

    // WaitingFor
    let (w, _) = waiting(1, Duration::from_secs(60));
    let cancel_term = ["CancelProbe", "SignalTree", "SignalTree"];
    check("stop signal stop_all CancelProbe", &w, "WaitingFor", term(), ms(1), "Lingering", &cancel_term);
    let mut paused = w.clone();
    paused.on(probe_done(ProbeId::WaitFor(0), false, "refused"), ms(10));
    check("retry is due", &paused, "WaitingFor", clock(), ms(500), "WaitingFor", &["StartProbe"]);
    check("--wait-timeout passed", &w, "WaitingFor", clock(), secs(60), "Lingering", &cancel_term);
    let (two, _) = waiting(2, Duration::from_secs(60));
    let pass = |passed| Some(probe_done(ProbeId::WaitFor(0), passed, "ok"));
    check("another target to probe", &two, "WaitingFor", pass(true), ms(10), "WaitingFor", &["StartProbe"]);
    check("failed = StartProbe", &w, "WaitingFor", pass(false), ms(10), "WaitingFor", &[]);
    check("failed = StartProbe", &w, "WaitingFor", pass(false), ms(600), "WaitingFor", &["StartProbe"]);
    check("the last target passed", &w, "WaitingFor", pass(true), ms(10), "Starting", &["Start"]);
    let no_fork = |probe| {
        Some(Event::ProbeStartFailed {
            probe,
            error: "Resource busy".into(),
        })
    };
    check("a --wait-for probe", &w, "WaitingFor", no_fork(ProbeId::WaitFor(0)), ms(1), "Lingering", &tree_term);

    // Running
    let run = running(rules());
    check("SIGTERM, with --stop-delay", &running(delayed()), "Running", term(), ms(1), "StopDelay", &[]);
    check("PROGRAM runs Stopping", &run, "Running", term(), ms(1), "Stopping", &["Forward"]);
    let mut backoff = running(restarting(Restart::Always));
    backoff.on(reaped(CHILD, ExitStatus::Exited(1)), ms(1));
    check("awaits its restart", &backoff, "Running", term(), ms(2), "Lingering", &tree_term);
    let w = watched(watch_rules());
    check("a --watch probe is due / overran", &w, "Running", clock(), secs(10), "Running", &["StartProbe"]);
    let mut probing = w.clone();
    probing.on(Event::Clock, secs(10));
    check("a --watch probe is due / overran", &probing, "Running", clock(), secs(16), "Running", &["KillProbe"]);
    let fire = |m: &Machine| {
        let mut m = m.clone();
        m.on(Event::Clock, secs(10));
        m
    };
    let failed = || Some(probe_done(ProbeId::Watch, false, "fail 503"));
    let fired_exit = fire(&Fixtures::watching(OnUnhealthy::Exit));
    check("fired, --on-unhealthy exit", &fired_exit, "Running", failed(), secs(11), "Stopping", &["Forward"]);
    let fired_restart = fire(&Fixtures::watching(OnUnhealthy::Restart));
    check("... --on-unhealthy restart", &fired_restart, "Running", failed(), secs(11), "Running", &["Forward"]);
    check("the --watch probe", &probing, "Running", no_fork(ProbeId::Watch), secs(10), "Running", &[]);
    let ready = running(Rules { ready: Some(ReadyRules { targets: 1, notify: false, interval: secs(10) - Mono::ZERO, timeout: Duration::from_secs(5), retries: 3 }), ..rules() });
    check("a --ready probe is due / overran", &ready, "Running", clock(), Mono::ZERO, "Running", &["StartProbe"]);
    let mut ready_probing = ready.clone();
    ready_probing.on(Event::Clock, Mono::ZERO);
    check("a --ready probe is due / overran", &ready_probing, "Running", clock(), secs(6), "Running", &["KillProbe"]);
    let ready_passed = || Some(probe_done(ProbeId::Ready(0), true, "ok"));
    check("ProbeDone a --ready probe", &ready_probing, "Running", ready_passed(), ms(5), "Running", &[]);
    check("ProbeStartFailed a --ready probe", &ready_probing, "Running", no_fork(ProbeId::Ready(0)), ms(5), "Running", &[]);
    let mut changed = ready_probing.clone();
    assert!(changed.on(probe_done(ProbeId::Ready(0), true, "ok"), ms(5)).iter().any(|a| matches!(a, Action::Health(..))));
    check("the health state changed", &ready_probing, "Running", ready_passed(), ms(5), "Running", &[]);
    let watch_notify = watched(WatchRules { target: "notify".into(), notify: true, ..watch_rules() });
    check("a --watch notify look is due", &watch_notify, "Running", clock(), secs(10), "Running", &[]);
    let told = |rules: Rules| Rules { ready: Some(ReadyRules { targets: 0, notify: true, interval: Duration::from_secs(10), timeout: Duration::from_secs(5), retries: 3 }), ..rules };
    let app_ready = || Some(Event::Notified(Notice::parse(b"READY=1")));
    check("from PROGRAM's tree", &running(told(rules())), "Running", app_ready(), ms(5), "Running", &[]);
    let mut notified = Machine::new(notifying(told(rules())));
    notified.start(Mono::ZERO);
    notified.on(started(ProcId::MAIN, CHILD), Mono::ZERO);
    check("--notify: a keep-alive is due", &notified, "Running", clock(), ms(500), "Running", &["Notify"]);
    check("... with --notify", &notified, "Running", app_ready(), ms(5), "Running", &["Notify"]);
    check("the shutdown began, with --notify", &notified, "Running", term(), ms(5), "Stopping", &["Forward", "Notify"]);

    // StopDelay
    let held = Fixtures::stop_delay();
    check("stop signal Stopping Forward(to PROGRAM)", &held, "StopDelay", term(), ms(1), "Stopping", &["Forward"]);
    check("the delay is over", &held, "StopDelay", clock(), secs(5), "Stopping", &["Forward"]);
    let mut held_with_sidecar = running_with_sidecars(Rules { sidecars: with_sidecars().sidecars, ..delayed() });
    held_with_sidecar.on(sent(Signal::TERM), Mono::ZERO);
    check("Reaped a sidecar stop_all", &held_with_sidecar, "StopDelay", exited(SIDE_A), ms(1), "Stopping", &["Forward"]);
    let mut held_on_failure = running_with_sidecars(Rules {
        stop_delay: Duration::from_secs(5),
        ..Rules { sidecars: with_sidecars().sidecars, ..restarting(Restart::OnFailure) }
    });
    held_on_failure.on(sent(Signal::TERM), Mono::ZERO);
    let side_clean = Some(reaped(SIDE_A, EXITED_0));
    check("on-failure, exit 0 or -e CODE", &held_on_failure, "StopDelay", side_clean, ms(1), "StopDelay", &[]);
    check("Reaped a sidecar stop_all", &held_on_failure, "StopDelay", exited(SIDE_A), ms(1), "Stopping", &["Forward"]);

    // Stopping
    let stopping = Fixtures::stopping(running_with_sidecars(with_sidecars()));
    let sidecars_term = ["SignalGroup"; 4];
    check("half the grace period passed", &stopping, "Stopping", clock(), secs(5), "Stopping", &sidecars_term);
    let stopping = Fixtures::stopping(run.clone());
    check("the grace period is over Killing KILL", &stopping, "Stopping", clock(), secs(10), "Killing", &["SignalTree", "Kill"]);

    // Running, StopDelay, Stopping: PROGRAM exited
    for m in [run.clone(), held.clone(), stopping.clone()] {
        let mut m = m;
        let from = phase_name(m.phase());
        m.on(reaped(CHILD, EXITED_0), ms(1));
        check("PROGRAM exited, children left", &m, from, all(Left::Children), ms(1), "Draining", &tree_term);
        check("... nothing left", &m, from, all(Left::Nothing), ms(1), "Done", &["Exit"]);
    }
    let mut pid1 = running(Fixtures::as_pid1());
    pid1.on(reaped(CHILD, EXITED_0), ms(1));
    check("as PID 1, only others left", &pid1, "Running", all(Left::OthersOnly), ms(1), "Lingering", &tree_term);

    // Stopping, Killing: PROGRAM runs
    let killing = Fixtures::killing();
    check("Forward(to PROGRAM), again", &stopping, "Stopping", term(), ms(1), "Stopping", &["Forward"]);
    check("Forward(to PROGRAM), again", &killing, "Killing", term(), secs(10), "Killing", &["Forward"]);

    // Draining, Lingering
    let draining = Fixtures::drained(rules(), Left::Children);
    let lingering = Fixtures::drained(Fixtures::as_pid1(), Left::OthersOnly);
    let rows_left = "children left / only others left";
    check(rows_left, &draining, "Draining", all(Left::OthersOnly), ms(1), "Lingering", &[]);
    check(rows_left, &lingering, "Lingering", all(Left::Children), ms(1), "Draining", &[]);
    check("nothing left Done Exit", &draining, "Draining", all(Left::Nothing), ms(1), "Done", &["Exit"]);
    check("nothing left Done Exit", &lingering, "Lingering", all(Left::Nothing), ms(1), "Done", &["Exit"]);
    check("Clock the grace period is over Killing", &draining, "Draining", clock(), secs(10), "Killing", &["SignalTree"]);
    check("Clock the grace period is over Killing", &lingering, "Lingering", clock(), secs(10), "Killing", &["SignalTree"]);

    // Killing
    check("100 ms after the last KILL", &killing, "Killing", clock(), ms(10_100), "Killing", &["SignalTree", "Kill"]);
    check("no child left", &killing, "Killing", all(Left::Nothing), ms(10_050), "Done", &["Exit"]);

    // Running, WaitingFor: restarts
    let again = running_with_sidecars(Fixtures::restarting_max(5));
    check("--restart restarts it", &again, "Running", exited(CHILD), ms(1), "Running", &[]);
    check("--restart restarts it", &again, "Running", exited(SIDE_A), ms(1), "Running", &["SignalGroup"; 2]);
    let spent = running_with_sidecars(Fixtures::restarting_max(0));
    check("PROGRAM's restart budget is spent", &spent, "Running", exited(CHILD), ms(1), "Running", &[]);
    check("a sidecar's budget is spent", &spent, "Running", exited(SIDE_A), ms(1), "Stopping", &["Forward"]);
    let on_failure = running_with_sidecars(Rules { sidecars: with_sidecars().sidecars, ..restarting(Restart::OnFailure) });
    let clean = Some(reaped(SIDE_A, EXITED_0));
    check("a sidecar that stays down", &on_failure, "Running", clean, ms(1), "Running", &[]);
    let once = running_with_sidecars(with_sidecars());
    check("a sidecar that is not restarted", &once, "Running", exited(SIDE_A), ms(1), "Stopping", &["Forward"]);
    let mut waiting_sidecars = Machine::new(Rules {
        wait_for: 1,
        ..with_sidecars()
    });
    waiting_sidecars.start(Mono::ZERO);
    waiting_sidecars.on(started(A, SIDE_A), Mono::ZERO);
    waiting_sidecars.on(started(B, SIDE_B), Mono::ZERO);
    let mut both = vec!["CancelProbe"];
    both.extend(tree_term);
    check("a sidecar that is not restarted", &waiting_sidecars, "WaitingFor", exited(SIDE_A), ms(1), "Draining", &both);
    let mut due = again.clone();
    due.on(reaped(CHILD, ExitStatus::Exited(1)), Mono::ZERO);
    check("PROGRAM's restart is due", &due, "Running", clock(), ms(500), "Starting", &["Start"]);
    let mut clearing = again.clone();
    clearing.on(reaped(SIDE_A, ExitStatus::Exited(1)), Mono::ZERO);
    let gone = Some(Event::GroupGone { group: pid(SIDE_A) });
    check("a sidecar's restart is due", &clearing, "Running", gone, ms(500), "Running", &["Start"]);
    check("a sidecar's restart is due", &clearing, "Running", clock(), secs(10), "Running", &["SignalGroup", "Start"]);
    let mut restarting_sidecar = clearing.clone();
    restarting_sidecar.on(Event::GroupGone { group: pid(SIDE_A) }, ms(500));
    check("a restarted sidecar", &restarting_sidecar, "Running", up(A, 300), ms(501), "Running", &[]);

    let cannot = |id| {
        Some(Event::StartFailed {
            id,
            error: StartError::NotFound("No such file or directory".into()),
        })
    };

    // PreStart
    let pre_start = Rules { pre_start: vec!["migrate".into(), "chown".into()], ..with_sidecars() };
    let mut first = running_with_sidecars_until_main(pre_start.clone());
    check("the command exited 0", &first, "PreStart", exited_with(300, 0), ms(1), "PreStart", &["Start"]);
    let mut last = first.clone();
    last.on(reaped(300, EXITED_0), ms(1));
    last.on(started(ProcId(4), 301), ms(1));
    check("the command exited 0", &last, "PreStart", exited_with(301, 0), ms(2), "Starting", &["Start"]);
    check("the command failed", &first, "PreStart", exited(300), ms(1), "Draining", &tree_term);
    let mut to_it = vec!["Forward"];
    to_it.extend(tree_term);
    check("Forward(to it) (exit 128+N)", &first, "PreStart", term(), ms(1), "Draining", &to_it);
    let restarting_side = Rules { restart: Fixtures::restarting_max(5).restart, ..pre_start };
    first = running_with_sidecars_until_main(restarting_side);
    first.on(reaped(SIDE_A, ExitStatus::Exited(1)), ms(1));
    let gone = Some(Event::GroupGone { group: pid(SIDE_A) });
    check("a restart of a sidecar is due", &first, "PreStart", gone, ms(501), "PreStart", &["Start"]);

    // PreStop
    let hooked = |stop_delay| Rules { pre_stop: Some("drain".into()), stop_delay, ..with_sidecars() };
    let mut hook = running_with_sidecars(hooked(Duration::ZERO));
    check("with --pre-stop", &hook, "Running", term(), ms(1), "PreStop", &["Start"]);
    hook.on(sent(Signal::TERM), ms(1));
    let mut hook_and_delay = running_with_sidecars(hooked(Duration::from_secs(5)));
    hook_and_delay.on(sent(Signal::TERM), ms(1));
    hook.on(started(ProcId(3), 300), ms(1));
    hook_and_delay.on(started(ProcId(3), 300), ms(1));
    check("the hook, after --stop-delay", &hook, "PreStop", exited(300), ms(2), "Stopping", &["Forward"]);
    check("the hook, during --stop-delay", &hook_and_delay, "PreStop", exited(300), ms(2), "StopDelay", &[]);
    check("a sidecar stop_all (exit: its status)", &hook, "PreStop", exited(SIDE_A), ms(2), "Stopping", &["Forward"]);
    let mut unrun = running_with_sidecars(hooked(Duration::ZERO));
    unrun.on(sent(Signal::TERM), ms(1));
    check("StartFailed the hook", &unrun, "PreStop", cannot(ProcId(3)), ms(1), "Stopping", &["Forward"]);
    check("the hook runs on", &hook, "PreStop", term(), ms(2), "Stopping", &["Forward"]);
    let mut gone_during_hook = hook.clone();
    gone_during_hook.on(reaped(CHILD, EXITED_0), ms(2));
    check("PROGRAM exited, as in Running", &gone_during_hook, "PreStop", all(Left::Children), ms(2), "Draining", &tree_term);
    check("grace over (from the delay's end)", &hook_and_delay, "PreStop", clock(), ms(15_001), "Killing", &["SignalTree", "Kill", "Kill", "Kill", "Kill"]);

    // Running: --restart-signal
    let hup = || Some(sent(Signal::HUP));
    let on_hup = running_with_sidecars(Rules { restart_signal: Some(Signal::HUP), ..with_sidecars() });
    check("restart signal PROGRAM runs", &on_hup, "Running", hup(), ms(1), "Running", &["Forward"]);
    let mut replacing = on_hup.clone();
    replacing.on(sent(Signal::HUP), ms(1));
    check("not running, or restarting", &replacing, "Running", hup(), ms(2), "Running", &[]);
    let (waiting_hup, _) = {
        let mut m = Machine::new(Rules { wait_for: 1, restart_signal: Some(Signal::HUP), ..rules() });
        let out = m.start(Mono::ZERO);
        (m, out)
    };
    check("not running, or restarting", &waiting_hup, "WaitingFor", hup(), ms(2), "WaitingFor", &[]);
    check("PROGRAM, after the restart signal", &replacing, "Running", exited(CHILD), ms(2), "Starting", &["Start"]);

    // Any phase
    let chld = Some(sent(Signal::CHLD));
    check("route(): Drop", &run, "Running", chld, ms(1), "Running", &[]);
    check("route(): Drop", &draining, "Draining", term(), ms(1), "Draining", &[]);
    let mut hup_stopping = on_hup.clone();
    hup_stopping.on(sent(Signal::TERM), ms(1));
    check("route(): Drop", &hup_stopping, "Stopping", hup(), ms(2), "Stopping", &[]);
    check("route(): ToAll", &once, "Running", Some(sent(Signal::HUP)), ms(1), "Running", &["Forward"; 3]);
    check("PROGRAM, a sidecar (not above)", &run, "Running", exited(CHILD), ms(1), "Running", &[]);
    check("PROGRAM, a sidecar (not above)", &stopping, "Stopping", exited(CHILD), ms(1), "Stopping", &[]);
    check("an orphan", &run, "Running", exited(4242), ms(1), "Running", &[]);
    let segv = Some(reaped(CHILD, ExitStatus::Signaled(Signal(libc::SIGSEGV))));
    check("by a signal vigil did not send", &run, "Running", segv, ms(1), "Running", &[]);
    let in_cgroup = running(Rules { oom_kills_at_start: Some(0), ..rules() });
    check("OomNotice = (ReadMemory", &in_cgroup, "Running", Some(Event::OomNotice), ms(1), "Running", &[]);
    let mut noticed = in_cgroup.clone();
    noticed.on(Event::OomNotice, Mono::ZERO);
    check("250 ms after an OomNotice", &noticed, "Running", clock(), ms(250), "Running", &["ReadMemory"]);
    let kills = Some(Event::Memory(MemoryReading { oom_kills: 1, limit: None, peak: None }));
    check("OOM kills no reaped death claimed", &noticed, "Running", kills, ms(250), "Running", &[]);
    check("StartFailed stop_all (exit 127, 126 or 1)", &Fixtures::starting(), "Starting", cannot(A), ms(1), "Lingering", &tree_term);
    check("StartFailed stop_all (exit 127, 126 or 1)", &clearing, "Running", cannot(A), ms(1), "Stopping", &["Forward"]);
    check("any other", &run, "Running", Some(Event::GroupGone { group: pid(1) }), ms(1), "Running", &[]);
    check("any other", &stopping, "Stopping", failed(), ms(1), "Stopping", &[]);
    let mut done = run.clone();
    done.on(reaped(CHILD, EXITED_0), ms(1));
    done.on(all_reaped(false), ms(1));
    check("any = none", &done, "Done", term(), ms(2), "Done", &[]);
    check("any = none", &done, "Done", clock(), secs(99), "Done", &[]);

    for (row, n) in rows.iter().zip(&claimed) {
        assert!(*n > 0, "no check drives the row '{}'", row.text);
    }
}

/// One file per README section, in the README's order.
mod deaths;
mod exit;
mod forwarding;
mod health;
mod notify;
mod pre_start;
mod pre_stop;
mod restarts;
mod shutdown;
mod sidecars;
mod stop_delay;
mod wait_and_watch;
