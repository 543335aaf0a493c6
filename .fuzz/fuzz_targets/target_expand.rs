//! Fuzz target `target_expand`: arbitrary bytes into `vigil::fuzzing::target_text`
//! (what it covers is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil::fuzzing::target_text(data));
