"""The probe tables' measurements: HTTP against a healthy and a
never-answering server, gRPC against a SERVING grpcio server. Each `round`'s
docstring is the report's text for it.
"""
import os
import subprocess
import time

from ..contestants import grpc_cmds, http_cmds
from ..helpers import ROOT, add, child, hyperfine, median, p99, peak_rss, rotated
from .base import Measurement


def probe_round(run, prefix, r, cmds):
    """One round of one probe table: hyperfine over the probes in a rotated
    order (rows PREFIX_median, PREFIX_p99), then the peak RSS of each (rotated)
    as the median of rss_runs runs (PREFIX_rss)."""
    runs, rss_runs = run.N["probe_runs"], run.N["rss_runs"]
    order = {n: cmds[n] for n in rotated(cmds, r)}
    hf = hyperfine(order, runs, warmup=max(2, runs // 10))
    for n in cmds:
        t = hf[n]["times"]
        add(run.rows[prefix + "_median"], n, median(t), t, failed=hf[n]["failed"])
        add(run.rows[prefix + "_p99"], n, p99(t))
    for n in rotated(cmds, r):
        vals = [peak_rss(cmds[n]) for _ in range(rss_runs)]
        add(run.rows[prefix + "_rss"], n, median(vals), vals)


def http_ports(run):
    """The HTTP server's two ports: healthy, never-answering (one server per run)."""
    return run.server(["python3", child("http_server.py")])


class HttpProbe(Measurement):
    rows = ("http_median", "http_p99", "http_rss")

    def __init__(self, run):
        super().__init__(run)
        self.cmds = http_cmds(run.c.vigils, f"http://127.0.0.1:{http_ports(run)[0]}/")

    def label(self):
        return "HTTP probe"

    def round(self, r):
        """**healthy**: per round `hyperfine -N`, {probe_runs} runs of each
        probe, against a Python `ThreadingHTTPServer` on 127.0.0.1 answering
        200 with a 2-byte body; the round's median and p99. `vigil check -q
        URL`, `curl -fsS -m 5 -o /dev/null URL`, `busybox wget -q --spider
        URL`; proxy variables removed from the environment. Peak RSS: median of
        {rss_runs} runs per round, each its VmHWM read at its exit (ptrace's
        exit stop)."""
        probe_round(self.run, "http", r, self.cmds)


class HttpNeverAnswering(Measurement):
    rows = ("hung",)

    def __init__(self, run):
        super().__init__(run)
        self.cmds = http_cmds(run.c.vigils, f"http://127.0.0.1:{http_ports(run)[1]}/", "1")

    def label(self):
        return "HTTP probe, never-answering server"

    def round(self, r):
        """**never-answering**: a 127.0.0.1 socket that accepts and never
        writes; `vigil check -t 1s`, `curl -m 1`, `busybox wget -T 1`; one run
        each per round, wall time, killed at 15 s."""
        for n in rotated(self.cmds, r):
            t = time.monotonic()
            try:
                code = subprocess.run(self.cmds[n], capture_output=True, timeout=15).returncode
            except subprocess.TimeoutExpired:
                code = "killed at 15 s"
            add(self.row("hung"), n, time.monotonic() - t, code=code)


class GrpcProbe(Measurement):
    rows = ("grpc_median", "grpc_p99", "grpc_rss")

    def __init__(self, run):
        super().__init__(run)
        c = run.c
        server = os.path.join(ROOT, "tests", "helpers", "grpc_server.py")
        port = run.server([c.grpc_python, server, "grpcio"])[0]
        self.cmds = grpc_cmds(c.vigils, c.grpc_probe, c.grpc_floor, port)

    def label(self):
        return "gRPC probe"

    def round(self, r):
        """Against grpcio {grpcio} with grpcio-health-checking
        (tests/helpers/grpc_server.py grpcio, on 127.0.0.1, overall status
        SERVING). `vigil check -q grpc://127.0.0.1:PORT`, `grpc_health_probe
        --addr http://127.0.0.1:PORT --service ''`; per round `hyperfine -N`,
        {probe_runs} runs of each, median and p99; peak RSS: median of
        {rss_runs} runs per round, each its VmHWM read at its exit (ptrace's
        exit stop; not GNU time's %M, which counts time's own forked copy: at
        least about 450 kB for any program)."""
        probe_round(self.run, "grpc", r, self.cmds)
