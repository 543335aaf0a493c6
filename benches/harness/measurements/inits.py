"""The Init table's measurements (and the Sidecars table's, which are more
contestants of the same rounds): start-up, RSS and idle wake-ups, reaping,
TERM latency, early TERM. Each `round`'s docstring is the report's text for it.
"""
import os
import random
import select
import signal
import subprocess
import time

from ..helpers import (
    add, child, children, end, hyperfine, kill_quiet, log, median, p99, proc_field, rotated,
    wait_for,
)
from .base import Measurement


class Startup(Measurement):
    rows = ("startup_bare", "startup")

    def label(self):
        return "start-up"

    def round(self, r):
        """**start-up overhead**: `hyperfine -N`, {startup_runs} runs of each
        command (all commands in one hyperfine call, in the round's order):
        median of `X -- /bin/true` minus the same round's median of bare
        `/bin/true` ({bare}). Invocations: `vigil -- cmd`, `tini -s -- cmd`,
        `dumb-init --single-child cmd`, `catatonit -- cmd`."""
        # Not multirun: see multirun_peer's text (contestants.py).
        inits = self.c.inits + [self.c.sidecar]
        cmds = {"/bin/true": ["/bin/true"]}
        for i in inits:
            cmds[i.name] = i.argv(["/bin/true"])
        order = {n: cmds[n] for n in rotated(cmds, r)}
        runs = self.N["startup_runs"]
        hf = hyperfine(order, runs, warmup=max(2, runs // 10))
        bare = median(hf["/bin/true"]["times"])
        add(self.row("startup_bare"), "/bin/true", bare, hf["/bin/true"]["times"])
        for i in inits:
            t = hf[i.name]["times"]
            add(self.row("startup"), i.name, median(t) - bare, t, failed=hf[i.name]["failed"])


class RssIdle(Measurement):
    rows = ("rss", "wakeups")

    def label(self):
        return f"peak RSS, idle wake-ups ({self.N['idle_s']} s)"

    def round(self, r):
        """**peak RSS / idle wake-ups**: every init started at once as a plain
        process with `sleep 1000` as child; VmHWM from /proc/PID/status after
        0.5 s; then voluntary + nonvoluntary context switches of the init over
        {idle_s:g} s of nothing happening."""
        inits = self.c.inits + self.c.sidecars
        procs = {}
        try:
            for i in rotated(inits, r):  # started in a rotated order
                procs[i.name] = subprocess.Popen(
                    i.argv(["sleep", "1000"]),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            want = {i.name: 2 if i.sidecar else 1 for i in inits}
            for name, p in procs.items():
                if not wait_for(lambda: len(children(p.pid)) >= want[name], 10):
                    raise RuntimeError(f"{name} never started its child")
            time.sleep(0.5)  # let every init settle into its wait

            def switches(pid):
                v = proc_field(pid, "voluntary_ctxt_switches")
                n = proc_field(pid, "nonvoluntary_ctxt_switches")
                return None if v is None or n is None else v + n

            before = {n: switches(p.pid) for n, p in procs.items()}
            time.sleep(self.N["idle_s"])
            for n, p in procs.items():
                after = switches(p.pid)
                add(self.row("rss"), n, proc_field(p.pid, "VmHWM"))
                add(self.row("wakeups"), n, None if after is None else after - before[n])
        finally:
            for p in procs.values():
                for c in children(p.pid):
                    kill_quiet(c)
            for p in procs.values():
                end(p)


class Reap(Measurement):
    rows = ("reap",)

    def label(self):
        return f"reap {self.N['orphans']} orphans"

    def round(self, r):
        """**reap**: as PID 1 of `unshare --pid --fork --mount-proc`, the child
        forks a process that forks {orphans:,} children that exit at once, then
        exits itself: all its zombies go to PID 1 at once. Time from that exit
        until /proc shows no process but PID 1 and the child (polled every
        ms). One run per init per round."""
        for i in rotated(self.c.inits, r):
            argv = ["unshare", "--pid", "--fork", "--mount-proc"]
            argv += i.argv(["python3", child("reaper.py"), str(self.N["orphans"])])
            t = None
            try:
                out = subprocess.run(
                    argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
                ).stdout.strip()
                t = float(out.splitlines()[-1])
            except (subprocess.TimeoutExpired, ValueError, IndexError):
                log(f"reap: {i.name} gave no time")
            add(self.row("reap"), i.name, t)


class TermLatency(Measurement):
    rows = ("term_median", "term_p99")  # the median and p99 of each round
    catcher = "term_catcher.py"  # the child program (benches/children/)

    def label(self):
        return "TERM latency"

    def round(self, r):
        """**TERM latency**: plain mode; a Python child whose SIGTERM handler
        writes CLOCK_MONOTONIC and keeps running; {term_per_round} signals per
        contestant per round, `kill(init, SIGTERM)` 2 ms apart, time from just
        before kill() to the handler; the round's median and p99. All
        contestants run at once and the signals go round them in a new
        shuffled order each time, so every contestant's samples come from the
        same seconds. vigil runs with VIGIL_GRACE=1h (its 10 s default would
        end the catcher mid-round). `no init` signals the child directly:
        Python's own dispatch."""
        # The child (self.catcher) reports CLOCK_MONOTONIC, which
        # is system-wide, from its handler. Signalling every contestant in
        # turn means the machine's drift cannot favour one. VIGIL_GRACE is
        # read by vigil only.
        env = dict(os.environ, VIGIL_GRACE="1h")
        running = []  # (name, Popen, child pid, pid to signal)
        lats = {}
        try:
            for who in [None] + self.c.inits:
                name = "direct" if who is None else who.name
                cmd = ["python3", child(self.catcher)]
                argv = cmd if who is None else who.argv(cmd)
                p = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL, env=env,
                )
                lats[name] = []
                try:
                    ready = p.stdout.readline().split()
                    pid = int(ready[1])
                except (IndexError, ValueError):
                    log(f"latency: {name} did not start")
                    end(p)
                    continue
                running.append((name, p, pid, pid if who is None else p.pid))
            time.sleep(0.1)
            live = list(running)
            order = random.Random(r)  # seeded: a round's order can be replayed
            for _ in range(self.N["term_per_round"]):
                turn = list(live)
                order.shuffle(turn)
                for entry in turn:
                    name, p, pid, target = entry
                    t = time.monotonic_ns()
                    os.kill(target, signal.SIGTERM)
                    # A lost signal must not stall the run: 5 s, then this
                    # contestant is left out for the rest of the round.
                    line = b""
                    if select.select([p.stdout], [], [], 5)[0]:
                        line = p.stdout.readline()
                    if not line:
                        log(f"latency: {name}: no handler run 5 s after a SIGTERM")
                        live.remove(entry)
                        continue
                    lats[name].append((int(line) - t) / 1000.0)
                    time.sleep(0.002)
        finally:
            for name, p, pid, target in running:
                kill_quiet(pid)
                end(p)
        key_median, key_p99 = self.rows
        for name, xs in lats.items():
            add(self.row(key_median), name, median(xs), xs)
            add(self.row(key_p99), name, p99(xs))


class EarlyTerm(Measurement):
    rows = ("early_plain", "early_group")

    def label(self):
        return f"early TERM, {self.N['early_per_round']} per init and mode"

    def round(self, r):
        """**early TERM lost**: {early_per_round} trials per init and mode per
        round, as PID 1 of a PID namespace with child `sleep 1000`; SIGTERM
        sent the moment `/proc/PID/exe` shows the init binary (busy-polled); a
        trial is lost if the namespace still runs {early_judge} s later (then
        SIGKILLed). Cells: lost/trials, then the loss rate's median over rounds
        and its range, and the ratio of the overall rate (lost/trials) to the
        floor's, whose plain and -g trials are pooled. plain: `vigil --`, `tini
        -s --`, `dumb-init --single-child`, `catatonit --`; -g: `-g`
        (`dumb-init` without `--single-child`). **floor**: benches/floor.S,
        built with `cc -nostdlib -static`: at its ELF entry point it blocks
        every signal, then waits for SIGTERM; no init can lose fewer (it has no
        child, so its two columns are the same test run twice)."""
        trials, judge = self.N["early_per_round"], self.N["early_judge"]
        for i in rotated(self.c.inits + [self.c.floor], r):
            for group in (False, True):
                lost = errors = 0
                for _ in range(trials):
                    p = subprocess.Popen(
                        ["unshare", "--pid", "--fork", "--mount-proc"]
                        + i.argv(["sleep", "1000"], group=group),
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    init_pid = None
                    deadline = time.monotonic() + 5
                    while init_pid is None and time.monotonic() < deadline:
                        for c in children(p.pid):
                            try:
                                if os.readlink(f"/proc/{c}/exe") == i.real:
                                    init_pid = c
                                    os.kill(c, signal.SIGTERM)
                                    break
                            except OSError:
                                pass
                    if init_pid is None:
                        errors += 1
                        p.kill()
                        p.wait()
                        continue
                    try:
                        p.wait(timeout=judge)
                    except subprocess.TimeoutExpired:
                        lost += 1
                        kill_quiet(init_pid)  # ends the namespace
                        end(p)
                done = trials - errors
                add(
                    self.row("early_group" if group else "early_plain"),
                    i.name,
                    lost / done if done else None,
                    lost=lost,
                    trials=done,
                    errors=errors,
                )
