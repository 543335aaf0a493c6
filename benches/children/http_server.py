"""The HTTP probes' server (benches/harness/measurements/probes.py): on
127.0.0.1, one port answering 200 with a 2-byte body, one that accepts and
never writes; prints the two ports on its first line, then serves forever.
"""
import http.server
import socket
import threading
import time


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b"ok")

    do_HEAD = do_GET

    def log_message(self, *a):
        pass


ok = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
mute = socket.socket()
mute.bind(("127.0.0.1", 0))
mute.listen(64)
held = []


def hold():  # accept and never answer; drop connections after 20 s
    while True:
        c, _ = mute.accept()
        held.append((time.monotonic(), c))
        while held and time.monotonic() - held[0][0] > 20:
            held.pop(0)[1].close()


threading.Thread(target=hold, daemon=True).start()
print(ok.server_address[1], mute.getsockname()[1], flush=True)
ok.serve_forever()
