//! Fuzz target `env_file`: arbitrary bytes into `vigil::fuzzing::env_file`
//! (what it covers is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil::fuzzing::env_file(data));
