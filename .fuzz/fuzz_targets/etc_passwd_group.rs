//! Fuzz target `etc_passwd_group`: arbitrary bytes into `vigil::fuzzing::etc_passwd_group`
//! (what it covers is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil::fuzzing::etc_passwd_group(data));
