"""The TERM latency measurement's child (benches/harness/measurements/inits.py,
TermLatency): prints `ready PID`, then one line per SIGTERM from its handler,
the CLOCK_MONOTONIC nanoseconds at which the handler ran; it never exits.
"""
import os
import signal
import time


def handler(signum, frame):
    os.write(1, b"%d\n" % time.monotonic_ns())


signal.signal(signal.SIGTERM, handler)
# Not signal.pause(): a SIGTERM that lands just before pause(2) would leave
# the handler waiting for the next signal. The C-level handler writes to
# the wake-up pipe, so read(2) returns whenever it has run.
r, w = os.pipe()
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
os.write(1, b"ready %d\n" % os.getpid())
while True:
    os.read(r, 64)
