/* The floor of the early-TERM row: the least an init can do. At the ELF entry
 * point, before anything else, it blocks every signal (a PID-namespace init
 * drops SIG_DFL signals unless they are blocked: pid_namespaces(7)), then waits
 * for SIGTERM with rt_sigtimedwait and exits 0. No libc, no stack use.
 * benches/run builds it: cc -nostdlib -static -o floor floor.S */
        .section .rodata
        .balign 8
all:    .quad -1                /* every signal */
term:   .quad 0x4000            /* SIGTERM (15): bit 14 */

        .text
        .globl _start
#if defined(__x86_64__)
_start:
        mov     $14, %eax       /* rt_sigprocmask(SIG_BLOCK, &all, NULL, 8) */
        xor     %edi, %edi
        lea     all(%rip), %rsi
        xor     %edx, %edx
        mov     $8, %r10d
        syscall
1:      mov     $128, %eax      /* rt_sigtimedwait(&term, NULL, NULL, 8) */
        lea     term(%rip), %rdi
        xor     %esi, %esi
        xor     %edx, %edx
        mov     $8, %r10d
        syscall
        cmp     $15, %eax
        jne     1b
        mov     $231, %eax      /* exit_group(0) */
        xor     %edi, %edi
        syscall
#elif defined(__aarch64__)
_start:
        mov     x0, #0          /* rt_sigprocmask(SIG_BLOCK, &all, NULL, 8) */
        adr     x1, all
        mov     x2, #0
        mov     x3, #8
        mov     x8, #135
        svc     #0
1:      adr     x0, term        /* rt_sigtimedwait(&term, NULL, NULL, 8) */
        mov     x1, #0
        mov     x2, #0
        mov     x3, #8
        mov     x8, #137
        svc     #0
        cmp     x0, #15
        b.ne    1b
        mov     x0, #0          /* exit_group(0) */
        mov     x8, #94
        svc     #0
#else
#error "floor.S: x86_64 or aarch64 only"
#endif
        .section .note.GNU-stack,"",@progbits
