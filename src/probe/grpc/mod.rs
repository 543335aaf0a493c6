//! gRPC health checks (`grpc://`, `grpcs://`): grpc.health.v1.Health/Check
//! over HTTP/2, in `core` + `alloc`; the I/O loop over a `Conn` is here.

pub mod client;
pub mod frame;
pub mod health;
pub mod hpack;
pub mod huffman;

use alloc::string::String;
use alloc::vec::Vec;

use super::deadline::Deadline;
use super::net::Conn;
use super::report::{Failure, Passed};
use super::target::{Scheme, Target};
use client::{Client, Verdict};

/// Runs one Health/Check call over `stream` (its reads and writes bounded by
/// the deadline): the whole request in one write, then read, feed the client,
/// write what it answers (ACKs), until it has a verdict.
pub fn exchange(
    stream: &mut dyn Conn,
    target: &Target,
    metadata: &[(String, String)],
    deadline: Deadline,
) -> Result<Passed, Failure> {
    let Some(left) = deadline.remaining() else {
        return Err(Failure::TimedOut(deadline.total()));
    };
    let request = health::request(&health::Request {
        scheme: if target.scheme == Scheme::Grpcs {
            "https"
        } else {
            "http"
        },
        authority: &target.host_header(),
        service: &target.path,
        timeout: left,
        metadata,
    });
    stream.write_all(&request)?;
    let mut client = Client::new();
    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    // One exit, so the client's buffers are dropped in one place.
    let verdict = loop {
        match stream.read(&mut buf) {
            Ok(n) => {
                // 0: the end of the connection, which the client is told too.
                // A read never gives more than it was asked for.
                if let Some(v) = client.feed(&buf[..n.min(buf.len())], &mut out) {
                    break Ok(v);
                }
                if n == 0 {
                    break Err(Failure::Closed);
                }
            }
            Err(e) => break Err(e),
        }
        if !out.is_empty() {
            if let Err(e) = stream.write_all(&out) {
                break Err(e);
            }
            out.clear();
        }
    };
    match verdict? {
        Verdict::Serving => Ok(Passed::Serving),
        other => Err(Failure::Grpc(other)),
    }
}
