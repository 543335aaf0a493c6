//! Fuzz target `cli_values`: arbitrary bytes into `vigil::fuzzing::cli_values`
//! (what it covers is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil::fuzzing::cli_values(data));
