/* Ways for a process to die, for the tests of vigil's death lines
 * (tests/common/memory_cgroup.rs builds it with `musl-gcc -static`, so it
 * runs in a FROM-scratch image too):
 *
 *   die hog MIB               allocate MIB MiB, touching every page, then exit 0
 *   die master MIB SECONDS    fork a worker that hogs MIB MiB, reap it, print
 *                             "master: worker PID ended by signal N" (or
 *                             "... exited N"), then live SECONDS more, exit 0
 *   die segv|abort [core]     fault or abort(3); with "core", raise our own
 *                             RLIMIT_CORE soft limit to the hard one first,
 *                             else set it to 0 (no core, whatever we inherit)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void hog(long mib) {
    long page = sysconf(_SC_PAGESIZE);
    for (long i = 0; i < mib; i++) {
        char *block = malloc(1 << 20);
        if (!block) {
            perror("die: malloc");
            exit(3);
        }
        for (long off = 0; off < (1 << 20); off += page) {
            block[off] = 1; /* touched: charged to the memory cgroup */
        }
    }
}

static void allow_core(int argc, char **argv) {
    struct rlimit lim;
    getrlimit(RLIMIT_CORE, &lim);
    lim.rlim_cur = argc > 2 && strcmp(argv[2], "core") == 0 ? lim.rlim_max : 0;
    if (setrlimit(RLIMIT_CORE, &lim) != 0) {
        perror("die: setrlimit");
    }
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) {
        fprintf(stderr, "usage: die hog MIB | master MIB SECONDS | segv|abort [core]\n");
        return 2;
    }
    if (strcmp(argv[1], "hog") == 0 && argc == 3) {
        hog(atol(argv[2]));
        printf("die: allocated %s MiB\n", argv[2]);
        return 0;
    }
    if (strcmp(argv[1], "master") == 0 && argc == 4) {
        pid_t worker = fork();
        if (worker < 0) {
            perror("die: fork");
            return 3;
        }
        if (worker == 0) {
            hog(atol(argv[2]));
            _exit(0);
        }
        int status;
        while (waitpid(worker, &status, 0) < 0) {
        }
        if (WIFSIGNALED(status)) {
            printf("master: worker %d ended by signal %d\n", (int)worker, WTERMSIG(status));
        } else {
            printf("master: worker %d exited %d\n", (int)worker, WEXITSTATUS(status));
        }
        sleep((unsigned)atoi(argv[3]));
        printf("master: done\n");
        return 0;
    }
    if (strcmp(argv[1], "segv") == 0) {
        allow_core(argc, argv);
        volatile int *nowhere = NULL;
        *nowhere = 1;
        return 1;
    }
    if (strcmp(argv[1], "abort") == 0) {
        allow_core(argc, argv);
        abort();
    }
    fprintf(stderr, "die: unknown way '%s'\n", argv[1]);
    return 2;
}
