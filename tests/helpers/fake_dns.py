#!/usr/bin/env python3
"""A fake name server and app for probe tests, run inside a network namespace
the test created (only `lo`): never start it in the host's namespace.

Answers UDP queries on 127.0.0.1:53: A app.test. -> 127.0.0.1, AAAA app.test.
-> ::1 (no answer at all with --drop-aaaa), NXDOMAIN for other names. Serves
`200 OK` over HTTP on 127.0.0.1:8080. Touches READY_FILE once both listen,
logs each question as "TYPE NAME" lines to READY_FILE.log, exits after 20 s.
"""
import socket
import sys
import threading
import time

ready, args = sys.argv[1], sys.argv[2:]
drop_aaaa = "--drop-aaaa" in args
APP = b"\x03app\x04test\x00"

dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dns.bind(("127.0.0.1", 53))
app = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
app.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
app.bind(("127.0.0.1", 8080))
app.listen(16)
log = open(ready + ".log", "a", buffering=1)


def serve_app():
    while True:
        conn, _ = app.accept()
        conn.settimeout(2)
        try:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        except OSError:
            pass
        conn.close()


threading.Thread(target=serve_app, daemon=True).start()
open(ready, "w").close()
start = time.monotonic()
dns.settimeout(0.2)
while time.monotonic() - start < 20:
    try:
        q, peer = dns.recvfrom(512)
    except socket.timeout:
        continue
    end = q.index(b"\x00", 12) + 1
    name, qtype = q[12:end], int.from_bytes(q[end:end + 2], "big")
    log.write("%s %s\n" % ({1: "A", 28: "AAAA"}.get(qtype, qtype), name))
    if name == APP and qtype == 28 and drop_aaaa:
        continue
    r = bytearray(q[:end + 4])
    r[2], r[3] = 0x81, 0x80  # QR RD, RA NOERROR
    if name != APP:
        r[3] |= 3  # NXDOMAIN
    elif qtype == 1:
        r[7] = 1
        r += bytes([0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 127, 0, 0, 1])
    elif qtype == 28:
        r[7] = 1
        r += bytes([0xC0, 12, 0, 28, 0, 1, 0, 0, 0, 5, 0, 16]) + bytes(15) + b"\x01"
    dns.sendto(bytes(r), peer)
