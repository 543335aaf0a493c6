//! Fuzz target `dns_answer`: arbitrary bytes into `vigil::fuzzing::dns_answer`
//! (what it covers is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil::fuzzing::dns_answer(data));
