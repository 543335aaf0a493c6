//! Points the linker at vigil's own ELF entry point (src/sys/entry.rs), which
//! blocks every signal before libc's start-up runs, for the binary only.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os == "linux" && (arch == "x86_64" || arch == "aarch64") {
        println!("cargo:rustc-link-arg-bins=--entry=vigil_start");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
