//! Fuzz target `grpc_client`: arbitrary bytes into `vigil::fuzzing::grpc_client`
//! (what it covers is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigil::fuzzing::grpc_client(data));
