//! Link settings for the binary only (the tests link the library with std):
//! - the ELF entry point is vigil's own `vigil_start` (src/sys/entry.rs),
//!   which blocks every signal before libc's start-up runs;
//! - the static musl builds without `tls` drop `.eh_frame`, see below.

use std::path::PathBuf;

fn main() {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let (os, arch) = (var("CARGO_CFG_TARGET_OS"), var("CARGO_CFG_TARGET_ARCH"));
    if os == "linux" && (arch == "x86_64" || arch == "aarch64") {
        println!("cargo:rustc-link-arg-bins=--entry=vigil_start");
    }
    // Stable-Rust workaround: the prebuilt `core` and `alloc` carry unwind
    // tables (their bitcode says `uwtable`, which `-C force-unwind-tables=no`
    // cannot undo under LTO). vigil is built with `panic = "abort"` and
    // without std: nothing unwinds and nothing reads `.eh_frame` (musl does
    // not; a panic prints one line and aborts). Dropping it at link time
    // saves about 20 KiB. With `tls`, std is linked and keeps its tables.
    if var("CARGO_CFG_TARGET_ENV") == "musl" && std::env::var_os("CARGO_FEATURE_TLS").is_none() {
        let script = PathBuf::from(var("OUT_DIR")).join("no-eh-frame.ld");
        let text =
            "SECTIONS { /DISCARD/ : { *(.eh_frame) *(.eh_frame_hdr) } } INSERT AFTER .text;\n";
        if let Err(e) = std::fs::write(&script, text) {
            panic!("cannot write {}: {e}", script.display());
        }
        println!("cargo:rustc-link-arg-bins=-T{}", script.display());
        println!("cargo:rustc-link-arg-bins=--no-eh-frame-hdr");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
