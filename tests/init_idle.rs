//! Idle cost: while the child runs and nothing happens, vigil never wakes up
//! (no polling timers), counted from /proc/PID/status context switches.

mod common;

use std::time::Duration;

use common::run::{modes_test, sigrecord, start};

modes_test!(an_idle_vigil_never_wakes_up, |mode| {
    let helper = sigrecord().display().to_string();
    let mut v = start(mode, &["python3", &helper], &[]);
    v.expect("ready", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(200));
    let switches = |v: &common::run::Running| {
        v.status_field("voluntary_ctxt_switches") + v.status_field("nonvoluntary_ctxt_switches")
    };
    let before = switches(&v);
    std::thread::sleep(Duration::from_secs(3));
    let after = switches(&v);
    assert_eq!(
        after - before,
        0,
        "{mode:?}: vigil woke up {} times in 3 s",
        after - before
    );
    v.signal(15);
    assert_eq!(v.wait(Duration::from_secs(10)), 0);
});
