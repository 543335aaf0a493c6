"""gRPC servers for tests/check_grpc.rs, on 127.0.0.1 only; prints the port.

Usage: grpc_server.py KIND [CERT KEY]
  grpcio         grpcio with grpcio-health-checking: "" and my.pkg.Orders
                 SERVING, my.pkg.Down NOT_SERVING; anything else unknown
  grpcio-bare    grpcio without the health service (UNIMPLEMENTED)
  grpcio-tls     grpcio as above over TLS (CERT and KEY are PEM files);
                 grpcio refuses TLS clients that offer no ALPN h2
  grpclib        grpclib's Health with the same services and statuses
  grpcio-unix P  grpcio as above on the unix socket P (prints 0)
  flip FILE      grpcio whose overall status is SERVING while FILE exists
  grpcio-drain   grpcio whose Check starts a graceful shutdown (server.stop
                 with a grace period: GOAWAY with last-stream-id 2^31-1, then
                 one with the last stream) and answers SERVING 0.5 s later
Runs until killed.
"""
import os
import sys
import threading
from concurrent import futures


def grpcio_server(health=True, tls=None, flip=None, unix=None):
    import grpc
    from grpc_health.v1 import health as hs, health_pb2, health_pb2_grpc

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    if health:
        servicer = hs.HealthServicer()
        S, N = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING
        servicer.set("", S)
        servicer.set("my.pkg.Orders", S)
        servicer.set("my.pkg.Down", N)
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
        if flip:
            def follow():
                import time
                while True:
                    servicer.set("", S if os.path.exists(flip) else N)
                    time.sleep(0.05)
            threading.Thread(target=follow, daemon=True).start()
    if tls:
        cert, key = (open(p, "rb").read() for p in tls)
        creds = grpc.ssl_server_credentials([(key, cert)])
        port = server.add_secure_port("127.0.0.1:0", creds)
    elif unix:
        server.add_insecure_port("unix:" + unix)
        port = 0
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


def grpclib_server():
    import asyncio
    from grpclib.server import Server
    from grpclib.health.service import Health, OVERALL
    from grpclib.health.check import ServiceStatus

    class Named:
        """Stands for a service: grpclib names it by its first method path."""
        def __init__(self, name):
            self.name = name

        def __mapping__(self):
            return {"/%s/Method" % self.name: None}

    up, down = ServiceStatus(), ServiceStatus()
    up.set(True)
    down.set(False)
    health = Health({OVERALL: [], Named("my.pkg.Orders"): [up], Named("my.pkg.Down"): [down]})

    async def main():
        server = Server([health])
        await server.start("127.0.0.1", 0)
        port = server._server.sockets[0].getsockname()[1]
        print(port, flush=True)
        await server.wait_closed()

    asyncio.run(main())


def grpcio_drain_server():
    import time
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))

    class Draining(health_pb2_grpc.HealthServicer):
        def Check(self, request, context):
            server.stop(grace=10)
            time.sleep(0.5)
            return health_pb2.HealthCheckResponse(
                status=health_pb2.HealthCheckResponse.SERVING)

    health_pb2_grpc.add_HealthServicer_to_server(Draining(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()
    # Stopped: stay up (and listening no more) until killed.
    while True:
        time.sleep(60)


kind = sys.argv[1]
if kind == "grpcio":
    grpcio_server()
elif kind == "grpcio-bare":
    grpcio_server(health=False)
elif kind == "grpcio-tls":
    grpcio_server(tls=(sys.argv[2], sys.argv[3]))
elif kind == "grpcio-unix":
    grpcio_server(unix=sys.argv[2])
elif kind == "grpclib":
    grpclib_server()
elif kind == "grpcio-drain":
    grpcio_drain_server()
elif kind == "flip":
    grpcio_server(flip=sys.argv[2])
else:
    sys.exit("unknown kind " + kind)
