#!/usr/bin/env python3
"""Writes numbered lines for the --log-prefix tests, each with one write(2).

usage: log_writer.py NAME lines N [--linger=SECONDS] [--tag=...]
    N lines on stdout and N on stderr, alternately, "NAME out I PAYLOAD" and
    "NAME err I PAYLOAD" (PAYLOAD is payload(I) below: 0 to 8,999 bytes, so
    many are longer than PIPE_BUF); then sleeps SECONDS (default 0) and
    exits 0.
usage: log_writer.py NAME last N [--tag=...]
    N lines "NAME last I" on stderr, then "NAME tail" without a newline;
    exits 3 at once.
usage: log_writer.py NAME aligned N [--tag=...]
    N lines of 64 bytes on stdout, "NAME aligned I" and dots, 1,024 a write
    (64 KiB: the pipe's pages hold whole lines, so vigil's reads end at a
    line's end), then exits 0.
usage: log_writer.py NAME flood [--tag=...]
    100-byte lines on stdout as fast as it can, 655 a write, forever; after
    each 10 MiB written, "NAME wrote N MiB" on stderr.
"""
import os
import sys
import time


def payload(i):
    return chr(97 + i % 26) * (i * 7919 % 9000)


def write(fd, data):
    while data:
        data = data[os.write(fd, data):]


name, what = sys.argv[1], sys.argv[2]
linger = 0.0
for arg in sys.argv[3:]:
    if arg.startswith("--linger="):
        linger = float(arg.split("=", 1)[1])
if what == "lines":
    for i in range(int(sys.argv[3])):
        write(1, f"{name} out {i} {payload(i)}\n".encode())
        write(2, f"{name} err {i} {payload(i)}\n".encode())
    time.sleep(linger)
elif what == "last":
    for i in range(int(sys.argv[3])):
        write(2, f"{name} last {i}\n".encode())
    write(2, f"{name} tail".encode())
    sys.exit(3)
elif what == "aligned":
    n = int(sys.argv[3])
    for start in range(0, n, 1024):
        block = b"".join(
            f"{name} aligned {i} ".encode().ljust(63, b".") + b"\n"
            for i in range(start, min(n, start + 1024))
        )
        write(1, block)
elif what == "flood":
    block = (b"x" * 99 + b"\n") * 655
    written, mark = 0, 10 << 20
    while True:
        written += os.write(1, block)
        if written >= mark:
            write(2, f"{name} wrote {mark >> 20} MiB\n".encode())
            mark += 10 << 20
