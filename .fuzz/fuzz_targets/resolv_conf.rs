//! Fuzz target `resolv_conf`: arbitrary bytes into `vigil::fuzzing::resolv_conf`
//! (what it covers is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil::fuzzing::resolv_conf(data));
