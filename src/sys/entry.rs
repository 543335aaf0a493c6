//! The ELF entry point, `vigil_start`: blocks every signal with one raw
//! rt_sigprocmask(2) as the process's first instructions, keeps the mask it
//! replaced for the child, reads the parent's pid (for `--pdeathsig`), then
//! jumps to libc's own `_start`.
//!
//! A PID-namespace init drops a signal whose action is SIG_DFL unless it is
//! blocked (pid_namespaces(7)). musl's start-up (static-pie self-relocation,
//! libc init, page faults) runs before `main`; a SIGTERM sent then was lost.
//! Blocking at the entry point leaves only the kernel's own exec tail.
//!
//! The linker is pointed here by build.rs (`--entry=vigil_start`). Nothing
//! has been relocated yet: the code addresses its data PC-relatively only.
//! The registers libc's `_start` reads (x86_64: rsp and rdx; aarch64: sp and
//! x0) are as the kernel or dynamic linker left them.

use super::sigwait::Mask;

#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".pushsection .text.vigil_start,\"ax\",@progbits",
    ".globl vigil_start",
    ".type vigil_start,@function",
    "vigil_start:",
    // The set to block, on the stack below argc: every signal (the kernel
    // leaves KILL and STOP out by itself).
    "    push -1",
    "    mov r12, rdx", // the dynamic linker's fini pointer, for _start
    "    mov eax, 14",  // SYS_rt_sigprocmask
    "    xor edi, edi", // SIG_BLOCK
    "    mov rsi, rsp",
    "    lea rdx, [rip + vigil_started_mask]",
    "    mov r10d, 8", // sigsetsize: _NSIG / 8
    "    syscall",
    // The parent vigil started under: one that dies before the prctl of
    // --pdeathsig is noticed by comparing with this (syscall keeps r12).
    "    mov eax, 110", // SYS_getppid
    "    syscall",
    "    mov dword ptr [rip + vigil_started_parent], eax",
    "    pop rax",
    "    mov byte ptr [rip + vigil_entry_ran], 1",
    "    mov rdx, r12",
    "    jmp _start",
    ".size vigil_start, . - vigil_start",
    ".popsection",
    ".pushsection .bss.vigil_started_mask,\"aw\",@nobits",
    ".balign 8",
    ".globl vigil_started_mask",
    ".hidden vigil_started_mask",
    "vigil_started_mask: .zero 8",
    ".globl vigil_entry_ran",
    ".hidden vigil_entry_ran",
    "vigil_entry_ran: .zero 8",
    ".globl vigil_started_parent",
    ".hidden vigil_started_parent",
    "vigil_started_parent: .zero 8",
    ".popsection",
);

#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    ".pushsection .text.vigil_start,\"ax\",%progbits",
    ".globl vigil_start",
    ".type vigil_start,%function",
    "vigil_start:",
    // The set to block, on the stack below argc: every signal (the kernel
    // leaves KILL and STOP out by itself). sp stays 16-byte aligned.
    "    mov x9, #-1",
    "    str x9, [sp, #-16]!",
    "    mov x10, x0", // the dynamic linker's fini pointer, for _start
    "    mov x0, #0",  // SIG_BLOCK
    "    mov x1, sp",
    "    adrp x2, vigil_started_mask",
    "    add x2, x2, :lo12:vigil_started_mask",
    "    mov x3, #8",   // sigsetsize: _NSIG / 8
    "    mov x8, #135", // SYS_rt_sigprocmask
    "    svc #0",
    // The parent vigil started under, for --pdeathsig (svc keeps x10).
    "    mov x8, #173", // SYS_getppid
    "    svc #0",
    "    adrp x9, vigil_started_parent",
    "    str w0, [x9, :lo12:vigil_started_parent]",
    "    add sp, sp, #16",
    "    adrp x9, vigil_entry_ran",
    "    mov w11, #1",
    "    strb w11, [x9, :lo12:vigil_entry_ran]",
    "    mov x0, x10",
    "    b _start",
    ".size vigil_start, . - vigil_start",
    ".popsection",
    ".pushsection .bss.vigil_started_mask,\"aw\",%nobits",
    ".balign 8",
    ".globl vigil_started_mask",
    ".hidden vigil_started_mask",
    "vigil_started_mask: .zero 8",
    ".globl vigil_entry_ran",
    ".hidden vigil_entry_ran",
    "vigil_entry_ran: .zero 8",
    ".globl vigil_started_parent",
    ".hidden vigil_started_parent",
    "vigil_started_parent: .zero 8",
    ".popsection",
);

// SAFETY: these three symbols are defined by the `global_asm!` above, in
// `.bss`/`.data` with exactly these sizes; `vigil_start` writes them once,
// before any Rust code runs, and nothing writes them afterwards.
unsafe extern "C" {
    /// The mask the process was started with, as `vigil_start` saved it.
    static vigil_started_mask: u64;
    /// 1 once `vigil_start` ran.
    static vigil_entry_ran: u8;
    /// getppid(2) as `vigil_start` saw it.
    static vigil_started_parent: i32;
}

/// The signal mask vigil was started with, if the process entered through
/// `vigil_start` (every signal is blocked since); `None` otherwise (a test
/// binary linking the library, or a link without build.rs's entry).
pub fn started_mask() -> Option<Mask> {
    // SAFETY: both are written only by `vigil_start`, before any other code
    // of the process ran, and only read since.
    unsafe {
        let ran = core::ptr::read_volatile(&raw const vigil_entry_ran) != 0;
        ran.then(|| Mask(core::ptr::read_volatile(&raw const vigil_started_mask)))
    }
}

/// The parent's pid at vigil's first instruction, if the process entered
/// through `vigil_start`; `None` otherwise.
pub fn started_parent() -> Option<i32> {
    // SAFETY: both are written only by `vigil_start`, before any other code
    // of the process ran, and only read since.
    unsafe {
        let ran = core::ptr::read_volatile(&raw const vigil_entry_ran) != 0;
        ran.then(|| core::ptr::read_volatile(&raw const vigil_started_parent))
    }
}
