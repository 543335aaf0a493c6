/* An sd_notify app for the tests of vigil's notify socket: static (built
 * with `musl-gcc -static` by tests/common/notify.rs), so it runs on the host
 * and in a FROM-scratch image. It runs its arguments as steps, in order:
 *
 *   env              print "NOTIFY_SOCKET=...", "WATCHDOG_USEC=..." (or unset)
 *   sleep:SECONDS    sleep (fractions allowed)
 *   send:TEXT        one datagram to $NOTIFY_SOCKET ("\n" in TEXT: a newline);
 *                    prints "sent TEXT" or "send failed: ERROR"
 *   keepalive:MS     from now on, WATCHDOG=1 every MS ms (a child process of
 *                    this one sends them; it ends with this one)
 *   quiet:FILE       the keep-alives stop while FILE exists
 *   child            the steps after this run in a child process, which
 *                    prints "child PID"; this one waits for it, then goes on
 *                    after the child's steps ("wait" is implied at the end)
 *   print:TEXT       print TEXT
 *   await:FILE       wait until FILE exists
 *   exit:N           exit with status N
 *   wait             wait for SIGTERM, then exit 0
 *
 * Every line goes to stdout unbuffered, so a test reads them as they come.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *quiet_file;

static void nap(double seconds) {
    struct timespec t = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static int notify(const char *text) {
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path) {
        errno = ENOENT;
        return -1;
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n >= sizeof(a.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(a.sun_path, path, n);
    socklen_t len = sizeof(a.sun_family) + n + 1;
    if (path[0] == '@') {
        a.sun_path[0] = 0;
        len--;
    }
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        return -1;
    }
    int rc = sendto(s, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *)&a, len);
    int saved = errno;
    close(s);
    errno = saved;
    return rc < 0 ? -1 : 0;
}

/* "\n" in an argument stands for a newline. */
static char *unescape(const char *in) {
    char *out = strdup(in), *o = out;
    for (const char *i = in; *i; i++) {
        if (i[0] == '\\' && i[1] == 'n') {
            *o++ = '\n';
            i++;
        } else {
            *o++ = *i;
        }
    }
    *o = 0;
    return out;
}

static void keepalive(long ms) {
    pid_t pid = fork();
    if (pid != 0) {
        return;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (;;) {
        struct stat st;
        if (!quiet_file || stat(quiet_file, &st) != 0) {
            notify("WATCHDOG=1");
        }
        nap(ms / 1000.0);
    }
}

static void on_term(int sig) {
    (void)sig;
    _exit(0);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGTERM, on_term);
    for (int i = 1; i < argc; i++) {
        const char *step = argv[i];
        if (strcmp(step, "env") == 0) {
            const char *names[] = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"};
            for (int k = 0; k < 3; k++) {
                const char *v = getenv(names[k]);
                printf("%s=%s\n", names[k], v ? v : "(unset)");
            }
        } else if (strncmp(step, "sleep:", 6) == 0) {
            nap(atof(step + 6));
        } else if (strncmp(step, "send:", 5) == 0) {
            char *text = unescape(step + 5);
            if (notify(text) == 0) {
                printf("sent %s\n", step + 5);
            } else {
                printf("send failed: %s\n", strerror(errno));
            }
            free(text);
        } else if (strncmp(step, "keepalive:", 10) == 0) {
            keepalive(atol(step + 10));
        } else if (strncmp(step, "quiet:", 6) == 0) {
            quiet_file = step + 6;
        } else if (strcmp(step, "child") == 0) {
            pid_t pid = fork();
            if (pid == 0) {
                printf("child %d\n", (int)getpid());
                continue;
            }
            int status;
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            break;
        } else if (strncmp(step, "print:", 6) == 0) {
            printf("%s\n", step + 6);
        } else if (strncmp(step, "await:", 6) == 0) {
            struct stat st;
            while (stat(step + 6, &st) != 0) {
                nap(0.01);
            }
        } else if (strncmp(step, "exit:", 5) == 0) {
            return atoi(step + 5);
        } else if (strcmp(step, "wait") == 0) {
            break;
        } else {
            fprintf(stderr, "notify_app: unknown step '%s'\n", step);
            return 2;
        }
    }
    for (;;) {
        pause();
    }
}
