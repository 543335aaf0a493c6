"""A measuring run: the per-round counts, the machine, then every measurement
of measurements.ROUND in every round; returns the raw results (the JSON).
"""
import datetime
import os
import platform
import shutil
import time

from .contestants import Contestants
from .helpers import fail, first_line, log, peak_rss
from .measurements import ROUND
from .measurements.base import Run
from .measurements.sizes import sizes

# The JSON's layout; render refuses any other.
SCHEMA = 2

# Per-round counts: name -> (full run, --quick, how --scale shrinks it:
# "count" to at least 2, "seconds" to at least 0.2 s, None not at all).
# Totals are these times the rounds.
PARAMS = {
    "startup_runs": (60, 5, "count"),
    "idle_s": (10, 0.2, "seconds"),
    "orphans": (10000, 100, "count"),
    "term_per_round": (200, 10, "count"),
    "early_per_round": (100, 2, "count"),
    "early_judge": (0.5, 0.2, None),
    "probe_runs": (200, 5, "count"),
    "rss_runs": (5, 1, None),
    "ready_runs": (10, 1, "count"),
    "ready_idle_s": (10, 1, "seconds"),
    "flood_calls": (1000, 50, "count"),
    "relay_lines": (200_000, 2_000, "count"),
}


def params(quick, rounds, scale=1.0):
    """Per-round counts; `scale` shrinks a real run's counts (a short
    end-to-end check, not a report)."""
    if quick:
        return {"rounds": rounds or 2, **{k: v[1] for k, v in PARAMS.items()}}
    full = {"rounds": rounds or 5}
    for k, (v, _, how) in PARAMS.items():
        if how == "count":
            v = max(2, round(v * scale))
        elif how == "seconds":
            v = max(0.2, v * scale)
        full[k] = v
    full["scale"] = scale
    return full


def machine():
    mem = cpu = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "mem": mem,
        "cpu": cpu,
        "arch": platform.machine(),
        "kernel": platform.release(),
        "kernel_version": platform.version(),
        "os": first_line(["sh", "-c", ". /etc/os-release && echo \"$PRETTY_NAME\""]),
    }


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def measure(a):
    q = a.quick
    if a.rounds is not None and a.rounds < 1:
        fail(f"--rounds: {a.rounds}: want at least 1")
    if not 0 < a.scale <= 1:
        fail(f"--scale: {a.scale}: want a number in (0, 1]")
    N = params(q, a.rounds, a.scale)
    R = N["rounds"]
    for tool in ("hyperfine", "unshare", "curl", "busybox", "cc", "file", "ldd"):
        if not shutil.which(tool):
            fail(f"{tool} not found (Debian packages: see README, Benchmarks)")
    if peak_rss(["true"]) is None:
        fail("cannot measure a probe's peak RSS: ptrace(PTRACE_TRACEME) and an exit stop "
             "are needed (root, no seccomp or Yama rule against them)")
    c = Contestants(a)

    env_clean = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    os.environ.clear()
    os.environ.update(env_clean)

    res = {
        "schema": SCHEMA,
        "quick": q,
        "params": N,
        "machine": machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": loadavg(),
        "versions": c.versions(),
        "ref": c.ref,
        "vigils": [n for n, _ in c.vigils],
        "inits": [i.name for i in c.inits],
        "sidecar": c.sidecar.name,
        "sidecar_cmd": c.sidecar.sidecar,
        "multirun": c.multirun.name if c.multirun else None,
        "floor": c.floor.name,
    }
    log("sizes")
    res["sizes"] = sizes(c.sized)
    res["sizes_order"] = [n for n, _ in c.sized]
    res["size_notes"] = c.size_notes

    run = Run(N, c, a)
    ms = []
    try:
        only = [x for x in a.only.split(",") if x]
        unknown = set(only) - {M.__name__ for M in ROUND}
        if unknown:
            fail(f"--only: no measurement {', '.join(sorted(unknown))} (see measurements/)")
        for M in ROUND:  # set-up (images, daemons, servers) before the clock starts
            if not only or M.__name__ in only:
                ms.append(M(run))
        t_start = time.monotonic()
        for r in range(R):
            for m in ms:
                if not m.skipped():
                    log(f"round {r + 1}/{R}: {m.label()}")
                    m.round(r)
    finally:
        for m in ms:
            m.close()
        run.close()
    res["elapsed_s"] = time.monotonic() - t_start
    res["load_after"] = loadavg()
    res.update(run.notes)
    res["rows"] = run.rows
    if only:
        res["only"] = only
    return res
