"""What a measurement is: a class that fills rows of the report one round at a
time; and the Run every measurement shares (counts, contestants, rows, servers).
"""
import subprocess

from ..helpers import start_server


class Run:
    """One measuring run as the measurements see it: `N` the per-round counts
    (rounds.PARAMS), `c` the contestants (contestants.Contestants), `args`
    the command line, `rows` (row key -> contestant -> values; filled with
    helpers.add), `notes` (JSON key -> sentences the report prints), and the
    loopback servers."""

    def __init__(self, N, c, args):
        self.N, self.c, self.args = N, c, args
        self.rows, self.notes, self._servers = {}, {}, {}

    def server(self, argv):
        """The ports of a loopback server started once per run (the first line
        it prints); stopped when the run ends."""
        key = tuple(argv)
        if key not in self._servers:
            self._servers[key] = start_server(argv)
        return self._servers[key][1]

    def close(self):
        for srv, _ in self._servers.values():
            srv.kill()
            srv.wait()
        self._servers.clear()


class Measurement:
    """One kind of figure. `rows`: the row keys it fills, each `rows[key][name]`
    one value per round for every contestant `name`. `__init__` sets up what
    every round needs (servers, images, daemons: before the clock starts);
    `round(r)` measures round r and its docstring is the text the report
    prints under its table, `{field}`s filled by the renderer (render.report.prose);
    `close()` undoes the set-up, even after a failure."""

    rows = ()

    def __init__(self, run):
        self.run, self.N, self.c = run, run.N, run.c
        for key in self.rows:
            run.rows.setdefault(key, {})

    def row(self, key):
        return self.run.rows[key]

    def label(self):
        """What the progress line says while it runs."""
        return type(self).__name__

    def skipped(self):
        """True when this run leaves it out (its rounds are not run)."""
        return False

    def round(self, r):
        raise NotImplementedError

    def close(self):
        pass


# What a measurement that drives an outside tool (an engine) may meet and
# note instead of failing the run.
TOOL_ERRORS = (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError)
