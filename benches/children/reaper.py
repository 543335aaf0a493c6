"""The reap measurement's child (benches/harness/measurements/inits.py, Reap):
run as PID 1's child in a new PID namespace, `reaper.py N`.

It forks a process that forks N children that exit at once, then exits
itself, so all N zombies go to PID 1 together; it prints the seconds from
that exit until /proc shows no process but PID 1 and itself (polled every ms).
"""
import os
import sys
import time

n = int(sys.argv[1])
mid = os.fork()
if mid == 0:
    for _ in range(n):
        if os.fork() == 0:
            os._exit(0)
    os._exit(0)  # its n zombie children now go to PID 1
os.waitpid(mid, 0)
t0 = time.monotonic()
me = str(os.getpid())
while True:
    left = [p for p in os.listdir("/proc") if p.isdigit() and p not in ("1", me)]
    if not left:
        break
    if time.monotonic() - t0 > 60:
        print("timeout", len(left))
        sys.exit(1)
    time.sleep(0.001)
print(time.monotonic() - t0)
