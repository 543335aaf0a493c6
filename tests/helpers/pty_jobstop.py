#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal and stops its `sleep` with ^Z.

usage: pty_jobstop.py -- COMMAND...
Waits (at most 10 s) for a descendant named `sleep` (found in /proc), types ^Z
and prints "stopped yes" if that sleep's state becomes T within 2 s ("stopped
no" otherwise), sends it SIGCONT and prints "continued yes|no", types ^C, and
waits (at most 10 s) for the command to exit. Prints what the terminal showed
after that (and, if the command had to be killed, what each of its processes
was doing). Exit status: the command's (3 if it had to be killed).
"""
import os
import pty
import select
import signal
import sys
import time

cmd = sys.argv[sys.argv.index("--") + 1:]
pid, fd = pty.fork()
if pid == 0:
    # As in a terminal session, ^C and ^\ act: a background job of a
    # non-interactive shell (`nohup .ci/run &`) inherits SIGINT and SIGQUIT
    # ignored, and an ignored signal stays ignored across exec, down to
    # `sleep` (vigil, like tini, leaves dispositions as it found them).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)
    os.execvp(cmd[0], cmd)


def drain(seconds):
    end = time.monotonic() + seconds
    out = b""
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], max(0, end - time.monotonic()))
        if not r:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def stat(p):
    with open(f"/proc/{p}/stat") as f:
        text = f.read()
    after = text[text.rindex(")") + 2:].split()
    return text[text.index("(") + 1:text.rindex(")")], after[0], int(after[1])


def find_sleep():
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                comm, state, ppid = stat(name)
            except (OSError, ValueError):
                continue
            parents[int(name)] = (comm, ppid)
    for p, (comm, _) in parents.items():
        q = p
        while q in parents and q != pid:
            q = parents[q][1]
        if comm == "sleep" and q == pid:
            return p
    return None


def descends(p):
    """Whether process p descends from the command."""
    seen = 0
    while p > 1 and seen < 64:
        try:
            p = stat(p)[2]
        except (OSError, ValueError):
            return False
        if p == pid:
            return True
        seen += 1
    return False


def state_becomes(p, want, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if stat(p)[1] == want:
                return True
        except OSError:
            return False
        drain(0.05)
    return False


sleep_pid = None
end = time.monotonic() + 10
while sleep_pid is None and time.monotonic() < end:
    drain(0.1)
    sleep_pid = find_sleep()
if sleep_pid is None:
    print("no sleep found")
    os.kill(pid, signal.SIGKILL)
    sys.exit(3)
drain(0.3)
os.write(fd, b"\x1a")
print("stopped", "yes" if state_becomes(sleep_pid, "T", 2) else "no")
os.kill(sleep_pid, signal.SIGCONT)
print("continued", "yes" if state_becomes(sleep_pid, "S", 2) else "no")
os.write(fd, b"\x03")
status = None
end = time.monotonic() + 10
seen = b""
while time.monotonic() < end:
    seen += drain(0.1)
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
sys.stdout.write(seen.decode(errors="replace"))
sys.stdout.flush()
if status is None:
    # Before the kill: what each process of the tree is doing, for the log.
    print(f"\nstill running 10 s after ^C; terminal foreground group {os.tcgetpgrp(fd)}")
    for p in [pid] + [q for q in map(int, filter(str.isdigit, os.listdir("/proc")))
                      if q != pid and descends(q)]:
        try:
            with open(f"/proc/{p}/status") as f:
                keep = ("Name", "State", "PPid", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
                fields = [x.strip() for x in f if x.split(":")[0] in keep]
            with open(f"/proc/{p}/wchan") as f:
                fields.append("wchan " + f.read())
            with open(f"/proc/{p}/syscall") as f:
                fields.append("syscall " + f.read().split(" ")[0])
            print(p, os.getpgid(p), "; ".join(fields))
        except OSError as e:
            print(p, e)
    sys.stdout.flush()
    os.kill(pid, signal.SIGKILL)
    sys.exit(3)
sys.exit(status if status >= 0 else 128 - status)
