//! Link settings for the binary only (the tests link the library with std):
//! - the ELF entry point is vigil's own `vigil_start` (src/sys/entry.rs),
//!   which blocks every signal before libc's start-up runs;
//! - the static musl builds linked by lld: RELR relocations on x86_64,
//!   identical code folded, and without `tls` no `.eh_frame` and no
//!   `.comment`, see below. Only lld takes those flags; a build linked by
//!   `cc` (a `cargo install` without the repository's .cargo/config.toml)
//!   works without them, larger.

use std::path::{Path, PathBuf};

fn main() {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let (os, arch) = (var("CARGO_CFG_TARGET_OS"), var("CARGO_CFG_TARGET_ARCH"));
    if os == "linux" && (arch == "x86_64" || arch == "aarch64") {
        // Both lld and the cc driver (gcc, clang) take this spelling.
        println!("cargo:rustc-link-arg-bins=--entry=vigil_start");
    }
    let musl_lld = var("CARGO_CFG_TARGET_ENV") == "musl" && linker_is_lld();
    // x86_64 musl is static-pie: RELR relocations (musl's self-relocation
    // reads them) are about 4 KiB less than RELA.
    if musl_lld && arch == "x86_64" {
        println!("cargo:rustc-link-arg-bins=-zpack-relative-relocs");
    }
    // lld folds functions and constants whose bytes are the same (closures
    // and trait-object shims that compile alike): about 450 B. vigil never
    // compares function addresses, which is all that folding could change.
    if musl_lld {
        println!("cargo:rustc-link-arg-bins=--icf=all");
    }
    // Stable-Rust workaround: the prebuilt `core` and `alloc` carry unwind
    // tables (their bitcode says `uwtable`, which `-C force-unwind-tables=no`
    // cannot undo under LTO). vigil is built with `panic = "abort"` and
    // without std: nothing unwinds and nothing reads `.eh_frame` (musl does
    // not; a panic prints one line and aborts). Dropping it at link time
    // saves about 20 KiB. With `tls`, std is linked and keeps its tables.
    // `.comment` goes too (232 B): the compiler's and linker's names, which
    // nothing reads; the dependency list is cargo-auditable's `.dep-v0`.
    if musl_lld && std::env::var_os("CARGO_FEATURE_TLS").is_none() {
        let script = PathBuf::from(var("OUT_DIR")).join("discard.ld");
        let text = "SECTIONS { /DISCARD/ : { *(.eh_frame) *(.eh_frame_hdr) *(.comment) } } \
                    INSERT AFTER .text;\n";
        if let Err(e) = std::fs::write(&script, text) {
            panic!("cannot write {}: {e}", script.display());
        }
        println!("cargo:rustc-link-arg-bins=-T{}", script.display());
        println!("cargo:rustc-link-arg-bins=--no-eh-frame-hdr");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
}

/// Whether rustc links with lld itself (`rust-lld`, `ld.lld`): the linker
/// cargo resolved from `target.TRIPLE.linker` (`RUSTC_LINKER`), or a
/// `-C linker=` among the rustflags (the last one wins, as in rustc).
fn linker_is_lld() -> bool {
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let mut linker = std::env::var("RUSTC_LINKER").ok();
    let mut words = flags.split('\x1f');
    while let Some(word) = words.next() {
        let value = match word {
            "-C" | "--codegen" => words.next().unwrap_or_default(),
            _ => word.strip_prefix("-C").unwrap_or_default(),
        };
        if let Some(path) = value.strip_prefix("linker=") {
            linker = Some(path.to_owned());
        }
    }
    linker.is_some_and(|path| {
        Path::new(&path)
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.contains("lld"))
    })
}
