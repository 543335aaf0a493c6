#!/usr/bin/env python3
"""Test stand-in for an app behind `vigil health`: slow to start, then healthy,
sick on demand.

--port=P: serves HTTP on 127.0.0.1:P, but only --after=S seconds after it
starts (until then connections are refused). GET /health answers 200, or 503
Service Unavailable while the file named by --sick-if exists; any other path
200. Prints "app serving P" on stdout once it listens. Exits 0 on SIGTERM.
"""
import http.server
import os
import signal
import sys
import time

port, after, sick_if = None, 0.0, None
for a in sys.argv[1:]:
    key, _, value = a.partition("=")
    if key == "--port":
        port = int(value)
    elif key == "--after":
        after = float(value)
    elif key == "--sick-if":
        sick_if = value

signal.signal(signal.SIGTERM, lambda *_: os._exit(0))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        sick = self.path == "/health" and sick_if and os.path.exists(sick_if)
        body = b"sick" if sick else b"ok"
        self.send_response(503 if sick else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


time.sleep(after)
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
os.write(1, f"app serving {port}\n".encode())
server.serve_forever()
