//! The OS layer: every libc call and every `unsafe` block in vigil lives below here.
//! The rest of the crate sees typed values (`Signal`, pids, exit statuses) and `io::Error`.
#![allow(unsafe_code)]

pub mod dir;
pub mod heap;
pub mod process;
pub mod signal;
pub mod signals;
pub mod unix_socket;
pub mod wait;
