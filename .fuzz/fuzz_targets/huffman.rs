//! Fuzz target `huffman`: arbitrary bytes into `vigil::fuzzing::huffman_string`
//! (what it covers is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil::fuzzing::huffman_string(data));
