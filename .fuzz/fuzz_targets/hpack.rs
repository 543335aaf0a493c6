//! Fuzz target `hpack`: arbitrary bytes into `vigil::fuzzing::hpack_block`
//! (what it covers is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil::fuzzing::hpack_block(data));
