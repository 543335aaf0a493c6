//! Fuzz target `etc_hosts`: arbitrary bytes into `vigil::fuzzing::etc_hosts`
//! (what it covers is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil::fuzzing::etc_hosts(data));
