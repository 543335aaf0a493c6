//! The `vigil health` listener, an I/O source of the loop (`io_source.rs`):
//! the abstract socket named from this vigil's mount namespace and pid
//! (`crate::health`), answering each connection with the health line and
//! closing it. No request is read, and a turn accepts at most `TURN`
//! connections, so a flood of probes cannot hold PID 1 from its signals.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::event::{Mono, Work};
use super::machine::Machine;
use crate::health::{first_mount, socket_name};
use crate::sys::fd::Fd;
use crate::sys::process::getpid;
use crate::sys::unix_socket::{accept, listen, send_now};

/// Connections answered in one turn before the loop looks at signals again.
pub const TURN: usize = 16;

pub struct HealthListener {
    fd: Fd,
    /// The `--secret` and `FILE__` values, masked in the line as in the log.
    secrets: Vec<String>,
}

impl HealthListener {
    /// Listens on `@vigil-health-MOUNT-PID`; the error says why not.
    pub fn open(secrets: Vec<String>) -> Result<HealthListener, String> {
        let mount = first_mount("self").ok_or("cannot read /proc/self/mountinfo")?;
        let name = socket_name(&mount, getpid());
        let fd = listen(&name).map_err(|e| {
            format!(
                "cannot listen on @{}: {e}",
                String::from_utf8_lossy(name.get(1..).unwrap_or_default())
            )
        })?;
        Ok(HealthListener { fd, secrets })
    }

    pub fn fd(&self) -> i32 {
        self.fd.raw()
    }

    /// Answers what waits, at most `TURN` connections; the line is made once.
    pub fn service(&mut self, machine: &Machine, now: Mono) -> Work {
        let mut line = Vec::new();
        for _ in 0..TURN {
            let Some(conn) = accept(&self.fd) else {
                return Work::Done;
            };
            if line.is_empty() {
                // `+STATE` as it is: the word `vigil health` decides by.
                line =
                    crate::log::masked(&machine.health_line(now), true, &self.secrets).into_bytes();
            }
            // One short line fits any socket buffer: never a wait.
            send_now(&conn, &line);
        }
        Work::More
    }
}
