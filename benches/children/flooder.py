"""The --log-prefix measurements' writer (benches/harness/measurements/
log_prefix.py): LINES lines of SIZE bytes (the newline included) on stdout, or
on stderr with --stderr, written 64 KiB of whole lines at a time, then exits
0; LINES 0: forever.

usage: flooder.py LINES SIZE [--stderr]
"""
import os
import sys

lines, size = int(sys.argv[1]), int(sys.argv[2])
fd = 2 if "--stderr" in sys.argv[3:] else 1
line = b"x" * (size - 1) + b"\n"
per = max(1, (64 << 10) // size)
block = line * per
left = lines
while lines == 0 or left > 0:
    chunk = block if lines == 0 or left >= per else line * left
    view = memoryview(chunk)
    while view:
        view = view[os.write(fd, view):]
    left -= per
