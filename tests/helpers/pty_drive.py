#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal, as `docker run -it` would, and types.

usage: pty_drive.py WAIT_FOR KEYS -- COMMAND...
Waits until the terminal shows WAIT_FOR, types each character of KEYS (escapes
like \\x03 are decoded; \\n is Enter) with a pause after each, waits for the
command to exit (at most 15 s, then kills it and exits 3), and prints everything
the terminal showed on stdout. Exit status: the command's.
"""
import os
import pty
import select
import signal
import sys
import time

wait_for = sys.argv[1].encode()
keys = sys.argv[2].encode().decode("unicode_escape").encode("latin1")
cmd = sys.argv[sys.argv.index("--") + 1:]

pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)

seen = b""


def pump(seconds):
    global seen
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            return
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        seen += chunk


deadline = time.monotonic() + 15
while wait_for not in seen and time.monotonic() < deadline:
    pump(0.1)
for k in keys:
    os.write(fd, bytes([k]))
    pump(0.3)

status = None
while time.monotonic() < deadline:
    pump(0.1)
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
pump(0.2)
sys.stdout.write(seen.decode(errors="replace"))
if status is None:
    os.kill(pid, signal.SIGKILL)
    sys.exit(3)
sys.exit(status if status >= 0 else 128 - status)
