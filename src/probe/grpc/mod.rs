//! gRPC health checks (`grpc://`, `grpcs://`): grpc.health.v1.Health/Check
//! over HTTP/2. The protocol is `core` + `alloc` only; the I/O loop is here.

pub mod client;
pub mod frame;
pub mod health;
pub mod hpack;
pub mod huffman;

use alloc::vec::Vec;
use std::io;

use super::deadline::Deadline;
use super::http::ReadWrite;
use super::report::{Failure, Passed};
use super::target::{Scheme, Target};
use client::{Client, Verdict};

/// Runs one Health/Check call over `stream` (its reads and writes bounded by
/// the deadline): the whole request in one write, then read, feed the client,
/// write what it answers (ACKs), until it has a verdict.
pub fn exchange(
    stream: &mut dyn ReadWrite,
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
    let io_error = |e: io::Error| Failure::from_io(e, deadline);
    stream
        .write_all(&request)
        .and_then(|()| stream.flush())
        .map_err(io_error)?;
    let mut client = Client::new();
    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    // One exit, so the client's buffers are dropped in one place.
    let verdict = loop {
        let n = match stream.read(&mut buf) {
            // rustls reports a close without close_notify this way.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
            r => r,
        };
        match n {
            Ok(0) => break Err(Failure::Closed),
            Ok(n) => {
                if let Some(v) = client.feed(&buf[..n], &mut out) {
                    break Ok(v);
                }
            }
            Err(e) => break Err(io_error(e)),
        }
        if !out.is_empty() {
            if let Err(e) = stream.write_all(&out).and_then(|()| stream.flush()) {
                break Err(io_error(e));
            }
            out.clear();
        }
    };
    match verdict? {
        Verdict::Serving => Ok(Passed::Serving),
        other => Err(Failure::Grpc(other)),
    }
}
