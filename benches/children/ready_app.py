#!/usr/bin/env python3
"""Time to ready: an app that starts listening on 127.0.0.1:PORT after AFTER
seconds and prints `listening T` on stdout, T its CLOCK_MONOTONIC reading
taken just after listen(2) (the moment a probe can pass); then answers 200 to
every GET. Exits on SIGTERM."""
import http.server
import os
import signal
import sys
import time

port, after = int(sys.argv[1]), float(sys.argv[2])
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_):
        pass


time.sleep(after)
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
os.write(1, f"listening {time.clock_gettime(time.CLOCK_MONOTONIC):.6f}\n".encode())
server.serve_forever()
