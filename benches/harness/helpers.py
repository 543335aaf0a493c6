"""What every part of the harness uses: where things are, messages, the round
order, /proc, processes, hyperfine, a probe's peak RSS, and adding a value to a row.
"""
import ctypes
import json
import math
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCHES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCHES)


def child(name):
    """The path of a child program in benches/children/."""
    return os.path.join(BENCHES, "children", name)


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def fail(msg):
    sys.exit(f"benches/run: {msg}")


# ---- rounds and rows ---------------------------------------------------------


def rotated(items, r):
    """Round r's order: the list rotated by r, so no tool always runs first."""
    items = list(items)
    if not items:
        return items
    k = r % len(items)
    return items[k:] + items[:k]


def add(rowd, name, value, samples=None, **extra):
    """One round's value (and its raw samples) for one contestant of a row."""
    e = rowd.setdefault(name, {"rounds": [], "samples": []})
    e["rounds"].append(value)
    if samples is not None:
        e["samples"].append(samples)
    for k, v in extra.items():
        e.setdefault(k, []).append(v)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def p99(xs):
    if not xs:
        return None
    s = sorted(xs)
    return s[max(0, math.ceil(0.99 * len(s)) - 1)]


# ---- /proc and processes ------------------------------------------------------


def proc_field(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def wait_for(pred, limit, step=0.001):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


def end(proc, limit=5.0):
    """Waits for proc; SIGKILLs it past `limit`. Never leaves it running."""
    try:
        proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def kill_quiet(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def start_server(argv, env=None):
    """A loopback server that prints its port(s) on its first line: (Popen, ports)."""
    srv = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env
    )
    line = srv.stdout.readline().split()
    if not line:
        srv.kill()
        srv.wait()
        fail(f"server {argv[:2]} printed no port")
    return srv, line


def first_line(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return ((r.stdout or r.stderr).strip().splitlines() or ["?"])[0]
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def is_static(path):
    out = subprocess.run(["file", "-L", path], capture_output=True, text=True).stdout
    return "statically linked" in out or "static-pie" in out


def closure(path):
    """Shared libraries a dynamic binary loads (ldd), with their real paths."""
    if is_static(path):
        return []
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    libs = set()
    for line in out.splitlines():
        parts = line.split()
        cand = parts[2] if "=>" in parts and len(parts) > 2 else parts[0] if parts else ""
        if cand.startswith("/") and os.path.exists(cand):
            libs.add(os.path.realpath(cand))
    return sorted(libs)


# ---- hyperfine and peak RSS ---------------------------------------------------


def hyperfine(cmds, runs, warmup, prefix=()):
    """hyperfine -N over `cmds` (name -> argv), in the dict's order; returns
    name -> {"times": [s...], "failed": n}. `prefix`: words hyperfine itself
    runs under (`nsenter -m -t PID`: every command in that mount namespace)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
        argv = list(prefix) + ["hyperfine", "-N", "-i", "--style", "none", "--warmup", str(warmup)]
        argv += ["--runs", str(runs), "--export-json", tmp.name]
        names = list(cmds)
        for n in names:
            argv += ["-n", n, shlex.join(cmds[n])]  # -N splits it back, quotes and all
        r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            fail(f"hyperfine failed ({r.returncode}): {r.stderr.strip()}")
        with open(tmp.name) as f:
            data = json.load(f)
    out = {}
    for n, r in zip(names, data["results"]):
        codes = r.get("exit_codes") or []
        out[n] = {"times": r["times"], "failed": sum(1 for c in codes if c != 0)}
    return out


PTRACE_TRACEME, PTRACE_CONT, PTRACE_SETOPTIONS = 0, 7, 0x4200
PTRACE_O_TRACEEXIT, PTRACE_O_EXITKILL, PTRACE_EVENT_EXIT = 0x40, 0x100000, 6


def peak_rss(argv, limit=30.0):
    """The peak RSS (VmHWM, kB) of `argv`'s own image, read at its exit under
    ptrace (PTRACE_EVENT_EXIT stops it before its memory is freed); None
    unless it exited 0 within `limit` seconds. Not getrusage's ru_maxrss, as
    GNU time reports it: exec folds the forked child's pre-exec high-water
    mark into that, so /usr/bin/time shows about 450 kB for any program."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    pid = os.fork()
    if pid == 0:  # the child: be traced, then exec (it stops at the exec)
        try:
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            if libc.ptrace(PTRACE_TRACEME, 0, None, None) == 0:
                os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    pidfd = os.pidfd_open(pid)  # the timer's kill cannot reach a reused pid
    fired = []

    def kill():
        fired.append(True)
        try:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except OSError:
            pass

    killer = threading.Timer(limit, kill)
    killer.start()
    hwm, execed = None, False
    try:
        while True:
            _, status = os.waitpid(pid, 0)
            if not os.WIFSTOPPED(status):
                break
            sig, event = os.WSTOPSIG(status), status >> 16
            if sig == signal.SIGTRAP and event == 0 and not execed:
                # the stop after the exec: follow it to its exit
                execed = True
                opts = ctypes.c_void_p(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL)
                if libc.ptrace(PTRACE_SETOPTIONS, pid, None, opts) != 0:
                    kill()
                sig = 0
            elif sig == signal.SIGTRAP and event == PTRACE_EVENT_EXIT:
                hwm = proc_field(pid, "VmHWM")
                sig = 0
            libc.ptrace(PTRACE_CONT, pid, None, ctypes.c_void_p(sig))
    finally:
        killer.cancel()
        killer.join()  # no thread left behind for the next fork
        os.close(pidfd)
    ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and not fired
    return hwm if ok else None
