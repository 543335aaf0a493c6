#!/usr/bin/env python3
"""Test stand-in for an application under vigil's lifecycle options.

Prints "NAME ready PID" once its handlers are in place, and "NAME got N" for
each signal N, on stdout (one os.write per line). Exits 0 on SIGTERM unless
--ignore-term. --port=P: serves HTTP on 127.0.0.1:P, "200 ok" on every path,
except /health answers 503 while the file named by --unhealthy-if exists.
--exit=CODE --after=S: exits CODE on its own after S seconds.
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


def say(text):
    os.write(1, f"{name} {text}\n".encode())


def handler(signo, _frame):
    say(f"got {signo}")
    if signo == signal.SIGTERM and not ignore_term:
        os._exit(0)


for s in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1):
    signal.signal(s, handler)
if ignore_term:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        sick = self.path == "/health" and unhealthy_if and os.path.exists(unhealthy_if)
        body = b"sick" if sick else b"ok"
        self.send_response(503 if sick else 200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


if port is not None:
    http.server.HTTPServer.allow_reuse_address = True
    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

say(f"ready {os.getpid()}")
if exit_code is not None:
    time.sleep(after)
    os._exit(exit_code)
while True:
    time.sleep(3600)
