//! The OS layer: every libc call and every `unsafe` block in vigil lives below here.
//! The rest of the crate sees typed values (`Signal`, pids, `Instant`, sockets)
//! and `Errno` for errors; nothing here decides an exit status or a message.
#![allow(unsafe_code)]

pub mod command;
pub mod datagram;
pub mod dir;
pub mod disposition;
pub mod entry;
pub mod env;
pub mod errno;
pub mod eventfd;
pub mod fd;
pub mod fs;
pub mod global;
pub mod heap;
pub mod inotify;
pub mod io_ready;
pub mod net;
pub mod process;
pub mod signal;
pub mod sigwait;
pub mod stdio;
pub mod time;
pub mod unix_socket;
pub mod wait;

pub use errno::Errno;
