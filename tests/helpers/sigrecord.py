#!/usr/bin/env python3
"""Test stand-in for an application: reports every signal it receives.

Prints "ready PID" once its handlers are in place, then "got N" for each signal N,
on stdout (line-buffered through os.write). Exits 0 after SIGTERM, unless
--ignore-term (TERM ignored: the grace period must end it) or --stay (TERM only
reported). --exit-after-term=S: on TERM, sleep S seconds, then exit 0.
--spawn-orphans=N: first create N orphans (double fork) and report "orphaned N".
--lifetime=S: exit 0 on its own after S seconds (for tests that cannot signal it).
--ready-file=PATH: also creates PATH once ready (for a shell that must wait).
After a delayed TERM exit it prints "bye" last.
"""
import os
import signal
import sys
import threading
import time

args = sys.argv[1:]
stay = "--stay" in args
ignore_term = "--ignore-term" in args
delay = 0.0
orphans = 0
lifetime = 0.0
ready_file = None
for a in args:
    if a.startswith("--lifetime="):
        lifetime = float(a.split("=", 1)[1])
    if a.startswith("--exit-after-term="):
        delay = float(a.split("=", 1)[1])
    if a.startswith("--spawn-orphans="):
        orphans = int(a.split("=", 1)[1])
    if a.startswith("--ready-file="):
        ready_file = a.split("=", 1)[1]


def say(text):
    os.write(1, (text + "\n").encode())


def handler(signo, _frame):
    say(f"got {signo}")
    if signo == signal.SIGTERM and not stay:
        if delay:
            time.sleep(delay)
            say("bye")
        os._exit(0)


for s in range(1, 65):
    if s in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD, 32, 33):
        continue
    try:
        signal.signal(s, handler)
    except (OSError, ValueError, RuntimeError):
        pass
if ignore_term:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

for _ in range(orphans):
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            os._exit(0)  # the grandchild: an orphan as soon as its parent exits
        os._exit(0)
    os.waitpid(pid, 0)
if orphans:
    say(f"orphaned {orphans}")

if lifetime:
    threading.Timer(lifetime, lambda: os._exit(0)).start()
# Woken by the wakeup fd, not signal.pause(): Python runs a handler between
# bytecodes, so a signal that came just before pause() began was caught but
# not reported until the next one (a TERM right after "ready" then cost the
# grace period). The C-level handler writes to this pipe at once.
wake_r, wake_w = os.pipe()
os.set_blocking(wake_w, False)
signal.set_wakeup_fd(wake_w)
say(f"ready {os.getpid()}")
if ready_file:
    open(ready_file, "w").close()
while True:
    os.read(wake_r, 512)
