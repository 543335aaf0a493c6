/* The floor of the gRPC probe rows: the least a probe process can do against
 * 127.0.0.1:PORT. It execs, connects (blocking), writes one fixed Health/Check
 * request (preface, empty SETTINGS, HEADERS, DATA) and reads until the
 * trailers; it exits 0 only if a DATA frame on stream 1 (unpadded, one whole
 * uncompressed message) carried SERVING (status = 1) before them. Less than a correct probe does: no deadline, no
 * SETTINGS or PING acknowledgements, no HPACK decoding, no grpc-status check.
 * No libc: raw system calls, no start-up code.
 * benches/run builds it: cc -nostdlib -static -O2 -ffreestanding
 * -fno-stack-protector -fno-tree-loop-distribute-patterns -o grpc-floor grpc_floor.c
 * Usage: grpc-floor PORT */

#if defined(__x86_64__)
enum { SYS_read = 0, SYS_write = 1, SYS_socket = 41, SYS_connect = 42, SYS_exit = 231 };
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
__asm__(".text\n.globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call start_c\n hlt\n");
#elif defined(__aarch64__)
enum { SYS_read = 63, SYS_write = 64, SYS_socket = 198, SYS_connect = 203, SYS_exit = 94 };
static long sys3(long n, long a, long b, long c)
{
    register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b,
                  x2 __asm__("x2") = c;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
__asm__(".text\n.globl _start\n_start:\n mov x0, sp\n bl start_c\n brk #0\n");
#else
#error "x86_64 or aarch64 only"
#endif

static const unsigned char request[] = {
    'P', 'R', 'I', ' ', '*', ' ', 'H', 'T', 'T', 'P', '/', '2', '.', '0', '\r', '\n',
    '\r', '\n', 'S', 'M', '\r', '\n', '\r', '\n',
    0, 0, 0, 4, 0, 0, 0, 0, 0, /* SETTINGS, empty */
    0, 0, 75, 1, 4, 0, 0, 0, 1, /* HEADERS, END_HEADERS, stream 1: 75 bytes */
    0x83, 0x86,                 /* :method POST, :scheme http (static table) */
    0x04, 28, '/', 'g', 'r', 'p', 'c', '.', 'h', 'e', 'a', 'l', 't', 'h', '.', 'v', '1', '.',
    'H', 'e', 'a', 'l', 't', 'h', '/', 'C', 'h', 'e', 'c', 'k',     /* :path */
    0x01, 9, '1', '2', '7', '.', '0', '.', '0', '.', '1',             /* :authority */
    0x0f, 0x10, 16, 'a', 'p', 'p', 'l', 'i', 'c', 'a', 't', 'i', 'o', 'n', '/', 'g', 'r', 'p',
    'c',                                                              /* content-type */
    0x00, 2, 't', 'e', 8, 't', 'r', 'a', 'i', 'l', 'e', 'r', 's',     /* te: trailers */
    0, 0, 5, 0, 1, 0, 0, 0, 1, /* DATA, END_STREAM, stream 1 */
    0, 0, 0, 0, 0,             /* uncompressed, empty HealthCheckRequest (service "") */
};

_Static_assert(sizeof request == 24 + 9 + 9 + 75 + 9 + 5, "HEADERS length");

static unsigned char buf[9 + 16384]; /* a frame header and the default maximum payload */

void start_c(long *sp) __attribute__((noreturn, used));
void start_c(long *sp)
{
    long argc = sp[0];
    const char *arg = (const char *)sp[2];
    int code = 2, serving = 0;
    unsigned long port = 0;
    if (argc != 2)
        goto out;
    for (; *arg; arg++) {
        if (*arg < '0' || *arg > '9' || port > 65535)
            goto out;
        port = port * 10 + (unsigned long)(*arg - '0');
    }
    if (port == 0 || port > 65535)
        goto out;
    code = 1;
    /* struct sockaddr_in: family AF_INET, port (big-endian), 127.0.0.1 */
    unsigned char sa[16] = {2, 0, (unsigned char)(port >> 8), (unsigned char)port, 127, 0, 0, 1};
    long fd = sys3(SYS_socket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0);
    if (fd < 0 || sys3(SYS_connect, fd, (long)sa, sizeof sa) < 0)
        goto out;
    if (sys3(SYS_write, fd, (long)request, sizeof request) != (long)sizeof request)
        goto out;
    unsigned long have = 0;
    for (;;) {
        long n = sys3(SYS_read, fd, (long)(buf + have), (long)(sizeof buf - have));
        if (n <= 0)
            goto out;
        have += (unsigned long)n;
        unsigned long at = 0;
        while (have - at >= 9) {
            const unsigned char *f = buf + at;
            unsigned long len = ((unsigned long)f[0] << 16) | ((unsigned long)f[1] << 8) | f[2];
            unsigned long stream = ((unsigned long)(f[5] & 0x7f) << 24) | ((unsigned long)f[6] << 16)
                | ((unsigned long)f[7] << 8) | f[8];
            if (len + 9 > sizeof buf)
                goto out;
            if (have - at < len + 9)
                break;
            const unsigned char *p = f + 9;
            if (f[3] == 0 && stream == 1 && !(f[4] & 8) && len == 7 && p[0] == 0 && p[1] == 0
                && p[2] == 0 && p[3] == 0 && p[4] == 2 && p[5] == 0x08 && p[6] == 1)
                serving = 1; /* DATA: one uncompressed message of 2 bytes: status = SERVING */
            if (f[3] == 1 && stream == 1 && (f[4] & 1)) { /* HEADERS with END_STREAM */
                code = serving ? 0 : 1;
                goto out;
            }
            if (f[3] == 3 && stream == 1) /* RST_STREAM */
                goto out;
            if (f[3] == 7 && len >= 4 && !(p[0] & 0x7f) && !p[1] && !p[2] && !p[3])
                goto out; /* GOAWAY that will not answer stream 1 */
            at += len + 9;
        }
        for (unsigned long i = 0; at && i < have - at; i++)
            buf[i] = buf[at + i];
        have -= at;
    }
out:
    sys3(SYS_exit, code, 0, 0);
    for (;;) {
    }
}
