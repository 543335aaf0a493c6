//! Fuzz target `http_response`: arbitrary bytes into `vigil::fuzzing::http_response`
//! (what it covers is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil::fuzzing::http_response(data));
