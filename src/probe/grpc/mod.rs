//! gRPC health checks (`grpc://`, `grpcs://`): grpc.health.v1.Health/Check
//! over HTTP/2, written with `core` and `alloc` only, except the I/O loop here.

pub mod client;
pub mod frame;
pub mod health;
pub mod hpack;
pub mod huffman;
