#!/usr/bin/env python3
"""Test stand-in that counts real-time signals exactly: SIGRTMIN+1 is blocked
and taken one at a time with sigwaitinfo (the kernel queues each one), so
none is merged as Python's handlers would merge them. Prints "ready" once
set up; on SIGTERM prints "counted N" and exits 0.
"""
import os
import signal

rt = signal.SIGRTMIN + 1
signal.pthread_sigmask(signal.SIG_BLOCK, {rt, signal.SIGTERM})
os.write(1, b"ready\n")
n = 0
while True:
    info = signal.sigwaitinfo({rt, signal.SIGTERM})
    if info.si_signo == rt:
        n += 1
    else:
        os.write(1, f"counted {n}\n".encode())
        os._exit(0)
