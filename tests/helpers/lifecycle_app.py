#!/usr/bin/env python3
"""Test stand-in for an application under vigil's lifecycle options.

Prints "NAME ready PID" once its signals are set up, and "NAME got N" for
each signal N, on stdout (one os.write per line). Exits 0 on SIGTERM unless
--ignore-term. --port=P: serves HTTP on 127.0.0.1:P, "200 ok" on every path,
except /health answers 503 while the file named by --unhealthy-if exists;
with --say-health, "NAME health CODE" once each /health answer is sent.
--stamp: "NAME got N at SECONDS", the moment the signal was taken
(time.time(), the clock bash's $EPOCHREALTIME reads).
--exit=CODE --after=S: exits CODE on its own after S seconds;
--exit=CODE --after-file=PATH: once PATH exists instead (the test makes it
when the event it waits for has happened, not after a guessed time).
"""
import http.server
import os
import signal
import sys
import threading
import time

name = "app"
port = None
unhealthy_if = None
ignore_term = False
exit_code = None
after = 0.0
after_file = None
say_health = False
stamp = False
for a in sys.argv[1:]:
    key, _, value = a.partition("=")
    if key == "--name":
        name = value
    elif key == "--port":
        port = int(value)
    elif key == "--unhealthy-if":
        unhealthy_if = value
    elif key == "--ignore-term":
        ignore_term = True
    elif key == "--exit":
        exit_code = int(value)
    elif key == "--after":
        after = float(value)
    elif key == "--after-file":
        after_file = value
    elif key == "--say-health":
        say_health = True
    elif key == "--stamp":
        stamp = True


def say(text):
    os.write(1, f"{name} {text}\n".encode())


SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1}
if ignore_term:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    SIGNALS.discard(signal.SIGTERM)
# Blocked, and taken by the main thread with sigtimedwait: never a handler.
# Python runs a handler between bytecodes, so a signal that came just after
# "ready" was caught before time.sleep(3600) began and reported an hour late
# (a TERM right after "ready" then cost the grace period and a SIGKILL). The
# server thread inherits the mask, so every signal waits for the main thread.
signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)


def take_signals(timeout):
    """Reports the first signal within `timeout` seconds, if one comes; exits 0 on TERM."""
    info = signal.sigtimedwait(SIGNALS, max(timeout, 0))
    if info is not None:
        say(f"got {info.si_signo} at {time.time():.6f}" if stamp else f"got {info.si_signo}")
        if info.si_signo == signal.SIGTERM:
            os._exit(0)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        sick = self.path == "/health" and unhealthy_if and os.path.exists(unhealthy_if)
        body = b"sick" if sick else b"ok"
        self.send_response(503 if sick else 200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        if self.path == "/health" and say_health:
            self.wfile.flush()
            say(f"health {503 if sick else 200}")

    def log_message(self, *_args):
        pass


if port is not None:
    http.server.HTTPServer.allow_reuse_address = True
    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

say(f"ready {os.getpid()}")
while exit_code is None:
    take_signals(3600)
end = time.monotonic() + after
while time.monotonic() < end:
    take_signals(end - time.monotonic())
while after_file and not os.path.exists(after_file):
    take_signals(0.01)
os._exit(exit_code)
