"""The --log-prefix table's measurements: lines through vigil beside the same
child writing directly and beside honcho, and TERM latency while a sidecar
floods its output through vigil. Each `round`'s docstring is the report's
text.
"""
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

from ..helpers import add, child, end, kill_quiet, log, median, p99, rotated
from .base import Measurement

LINE = 100  # bytes a line, its newline included


class PrefixThroughput(Measurement):
    rows = ("relay",)

    def __init__(self, run):
        super().__init__(run)
        self.dir = tempfile.mkdtemp(prefix="vigil-bench-prefix-")
        n = self.N["relay_lines"]
        self.cmd = ["python3", child("flooder.py"), str(n), str(LINE)]
        procfile = os.path.join(self.dir, "Procfile")
        with open(procfile, "w") as f:
            f.write(f"flood: {' '.join(self.cmd)}\n")
        self.argv = {
            self.c.ref: [self.c.vigils[0][1], "--log-prefix", "--"] + self.cmd,
            "direct": self.cmd,
            "honcho": [self.c.honcho, "-f", procfile, "start"],
        }

    def label(self):
        return "--log-prefix throughput"

    def round(self, r):
        """**Throughput**: a Python child writes {relay_lines:,} lines of 100
        bytes, 64 KiB of whole lines a write, and exits; `wc -l` reads them
        through a pipe; the time from the start to the reader's end, each
        contestant once a round. `direct`: the child's stdout is that pipe;
        vigil `--log-prefix --` the child (`python3 | ` before each line);
        honcho {honcho} `start` with a one-line Procfile (`HH:MM:SS flood.1 | `).
        Lines per second and MB/s are those of the median time; every reader
        counted every line (honcho adds its own start and stop lines)."""
        n = self.N["relay_lines"]
        for name, argv in rotated(self.argv.items(), r):
            t = time.monotonic()
            p = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, cwd=self.dir,
            )
            wc = subprocess.Popen(["wc", "-l"], stdin=p.stdout, stdout=subprocess.PIPE)
            p.stdout.close()
            try:
                counted = int(wc.communicate(timeout=600)[0].split()[0])
            finally:
                end(p, 10)
                end(wc, 10)
            took = time.monotonic() - t
            if counted < n:
                log(f"{name}: {counted:,} of {n:,} lines")
            add(self.row("relay"), name, took, lines=counted)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class TermUnderOutputFlood(Measurement):
    rows = ("prefix_term_median", "prefix_term_p99")

    def label(self):
        return "TERM latency while a sidecar floods its output"

    def round(self, r):
        """**TERM latency while output floods**: as the TERM latency above
        (the catcher as PROGRAM, VIGIL_GRACE=1h, {term_per_round} SIGTERMs
        2 ms apart, median and p99), for vigil alone and with `--log-prefix`,
        each idle and with a sidecar writing 100-byte lines to stderr as fast
        as it can (`--with 'flood: python3 flooder.py 0 100 --stderr'`).
        vigil's stderr is /dev/null, which never makes anyone wait: without
        `--log-prefix` the sidecar writes there itself (the same load on the
        CPUs, none on vigil), with it vigil relays all the time; the
        catcher's lines then come through vigil, prefixed. Each in every
        round, in a rotated order."""
        path = self.c.vigils[0][1]
        catcher = ["python3", child("term_catcher.py")]
        flood = f"flood: python3 {child('flooder.py')} 0 {LINE} --stderr"
        kinds = {
            self.c.ref: [path, "--"] + catcher,
            f"{self.c.ref}, flooding": [path, "--with", flood, "--"] + catcher,
            f"{self.c.ref} --log-prefix": [path, "--log-prefix", "--"] + catcher,
            f"{self.c.ref} --log-prefix, flooding": [path, "--log-prefix", "--with", flood, "--"]
            + catcher,
        }
        env = dict(os.environ, VIGIL_GRACE="1h")
        for name, argv in rotated(kinds.items(), r):
            p = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, env=env,
            )
            pid = None  # the catcher's: it outlives a SIGKILLed vigil
            try:
                ready = p.stdout.readline().split()
                pid = int(ready[-1]) if ready and ready[-1].isdigit() else None
                time.sleep(0.1)
                lats = []
                for _ in range(self.N["term_per_round"]):
                    t = time.monotonic_ns()
                    os.kill(p.pid, signal.SIGTERM)
                    if not select.select([p.stdout], [], [], 5)[0]:
                        log(f"{name}: no handler run 5 s after a SIGTERM")
                        break
                    lats.append((int(p.stdout.readline().split()[-1]) - t) / 1000.0)
                    time.sleep(0.002)
                add(self.row("prefix_term_median"), name, median(lats), lats)
                add(self.row("prefix_term_p99"), name, p99(lats))
            finally:
                if pid is not None:
                    kill_quiet(pid)
                end(p)
