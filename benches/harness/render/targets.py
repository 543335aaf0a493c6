"""The Targets table: each of the issue's targets with vigil's figure, the bar
and a verdict, and (LIMITS) why vigil is where it is when it is not ahead.
"""
from ..contestants import GRPC_FLOOR
from .cells import UNITS, Cells, fmt_ratio, md_head, md_row

# Why a row is where it is, printed beside every target vigil does not beat
# beyond noise. Each was found with strace, perf or /proc (see README,
# Benchmarks).
LIMITS = {
    "startup": "vigil's part is the syscalls before the fork (mask, subreaper, "
    "the exec pipe); the rest is fork and exec, the same for every init.",
    "term": "forwarding is one wake-up from rt_sigtimedwait(2) and one kill(2) (strace), "
    "syscall for syscall what tini does; catatonit (signalfd) and dumb-init do the same "
    "work. What is left is the scheduler waking two processes on 2 CPUs, so the round "
    "ranges overlap.",
    "reap": "reaping is the kernel's work: in `perf record` vigil's own code is under 0.1% of "
    "the samples, the rest is wait4's release_task and the measuring script's /proc "
    "polling, the same for every init.",
    "early": "the loss left is the kernel's: once /proc/PID/exe names the new binary, execve "
    "has reset the signal handlers, and a PID-namespace init drops a signal whose "
    "disposition is the default. vigil's first instruction blocks every signal, as the "
    "floor's does; no init can start earlier.",
    "rss": "file pages are most of it: the kernel maps up to 64 KiB of page cache around each "
    "fault (fault-around), so all 132 KiB of code count though little of it runs; vigil's "
    "own memory is about 32 kB (stack, one heap page, data).",
    "wakeups": "vigil sleeps in rt_sigtimedwait(2) with no time limit while nothing is due.",
    "http": "against one Python server on 2 CPUs the tail is the server's and the scheduler's; "
    "vigil's probe is socket, connect, poll, send, poll, recv, close (strace).",
    "grpc": "one write of the whole request, then reads until the status (a TCP connect, "
    "SETTINGS, HEADERS, DATA).",
    "health": "a `vigil health` call is exec, a read of /proc/net/unix and of two "
    "mountinfo files, one connect and one read of vigil's line (strace); the rest is "
    "the exec of a static binary, the same for `vigil check`.",
    "ready": "the fast start probes every 250 ms until the first pass: the app's readiness "
    "is seen within one such interval plus a probe's own time.",
    "ready_wakeups": "each probe is two wake-ups of vigil's: one to fork it when it is due, "
    "one to reap it (its SIGCHLD).",
    "prefix_term": "while a sidecar floods, vigil relays 16 KiB a turn between two waits, "
    "so a signal waits at most one turn (a read, the lines split and prefixed, a write), "
    "and the flooding Python takes one of the two CPUs.",
    "engine": "after the init exits, the time is the engine's (conmon or containerd-shim, "
    "runc delete, the CLI's round trips); an init's part is exiting within a millisecond "
    "of the SIGTERM.",
}


def targets(rep):
    """The issue's targets, each with vigil's figure, the bar, and a verdict:
    ahead (ranges apart), within noise (ranges overlap), behind; the limit
    (LIMITS) where vigil is not ahead. `rep`: a report.Report."""
    res, C, ref = rep.res, rep.C, rep.ref
    peers = [n for n in res["inits"] if n not in res["vigils"]]
    out = ["## Targets", ""]
    out.append(
        "Each of the issue's targets, judged on this run: **ahead** when vigil's range lies "
        "below the best peer's (by median), **within noise** when the two ranges overlap, "
        "**behind** when vigil's range lies above. Where vigil is not ahead, the last column "
        "says what the limit is."
    )
    out.append("")
    out += md_head(["target", "vigil", "bar", "verdict", "limit"])

    def best_peer(t, names):
        have = [(t.stat(n)["median"], n) for n in names if t.stat(n)]
        return min(have)[1] if have else None

    def versus(label, t, names, why):
        """A target against the best peer of `names`, by median."""
        v, b = t.stat(ref), best_peer(t, names)
        if v is None or b is None:
            return
        p = t.stat(b)
        if v["max"] < p["min"]:
            verdict = "ahead"
        elif v["min"] > p["max"]:
            verdict = "behind"
        else:
            verdict = "within noise" if v["median"] > p["median"] else "ahead by median, within noise"
        lim = "" if verdict == "ahead" else LIMITS[why]
        out.append(md_row([label, t.cell(ref), f"best peer {b}: {t.cell(b)}", verdict, lim]))

    def bar(label, t, value, ok, bar_text, why, more=""):
        """A target against an absolute bar; `more` follows the limit."""
        if value is None:
            return
        verdict = "met" if ok else "missed"
        lim = (LIMITS[why] + more) if why else ""
        out.append(md_row([label, t.cell(ref), bar_text, verdict, lim]))

    versus("start-up overhead ≤ best peer", C["startup"], peers, "startup")
    versus("TERM latency median ≤ best peer", C["term_median"], peers, "term")
    versus("TERM latency p99 ≤ best peer", C["term_p99"], peers, "term")
    versus("reap ≤ best peer", C["reap"], peers, "reap")
    for kind, title in (("early_plain", "plain"), ("early_group", "-g")):
        r = C[kind].ratio(ref)
        if r is not None:
            bar(f"early TERM lost, {title}, ≤ 1.5× the floor", C[kind], r, r <= 1.5,
                f"floor: {rep.floor_rate * 100:.0f}% lost; vigil {fmt_ratio(r)}", "early")
    rss = C["rss"].stat(ref)
    if rss:
        bar("peak RSS ≤ 200 kB", C["rss"], rss["median"], rss["max"] <= 200,
            "200 kB (every round)", "rss")
    wk = C["wakeups"].stat(ref)
    if wk:
        bar("idle wake-ups 0", C["wakeups"], wk["max"], wk["max"] == 0, "0 (every round)",
            None if wk["max"] == 0 else "wakeups")
    for k, label in (("http_median", "HTTP probe median"), ("http_p99", "HTTP probe p99")):
        versus(f"{label} ≤ busybox wget", C[k], ["busybox wget"], "http")
    g = C["grpc_median"].stat(ref)
    if g:
        ok = g["median"] <= 0.001
        # The floor (benches/grpc_floor.c) in the same rounds: what is left
        # above it is vigil's own; below it, nothing a probe does can go.
        floor = "" if not C["grpc_median"].stat(GRPC_FLOOR) else (
            f" In the same rounds the {GRPC_FLOOR} (a static C client with no libc: exec, "
            "connect, a minimal Health/Check request in one write, reads to the trailers; no "
            f"acknowledgements, no deadline, no decoding) took {C['grpc_median'].cell(GRPC_FLOOR)}: "
            "no probe process can answer sooner than its exec and the server's reply."
        )
        bar("gRPC probe median ≤ 1 ms", C["grpc_median"], g["median"], ok,
            "1 ms (median of rounds)", None if ok else "grpc", floor)
    gr = C["grpc_rss"].stat(ref)
    if gr:
        bar("gRPC probe peak RSS ≤ 1 MB", C["grpc_rss"], gr["max"], gr["max"] <= 1000,
            "1,000 kB (every round)", None)
    if rep.has("health_median", "ready_delay", "ready_wakeups", "flood_term_median"):
        from .report import health_refs

        refs = health_refs(rep)
        H = {k: Cells(rep.rows[k], r, UNITS[k]) for k, r in refs.items()}
        h, mine = H["health_median"], refs["health_median"]
        v = h.stat(mine)
        others = [n for n in rep.rows["health_median"] if n != mine and h.stat(n)]
        if v and others:
            best = min(others, key=lambda n: h.stat(n)["median"])
            ok = v["median"] < 0.0005 and v["max"] < h.stat(best)["min"]
            out.append(md_row([
                "`vigil health` per call: the fastest, median < 0.5 ms", h.cell(mine),
                f"0.5 ms; best other {best}: {h.cell(best)}", "met" if ok else "missed",
                "" if ok else LIMITS["health"],
            ]))
        t = H["ready_delay"]
        d = t.stat(refs["ready_delay"])
        if d:
            ok = d["max"] <= 0.3
            out.append(md_row(["time to ready ≤ 300 ms", t.cell(refs["ready_delay"]),
                               "300 ms (every round)", "met" if ok else "missed",
                               "" if ok else LIMITS["ready"]]))
        w = H["ready_wakeups"]
        s = w.stat(refs["ready_wakeups"])
        if s:
            bound = 2 * rep.N["ready_idle_s"] + 2
            ok = s["max"] <= bound
            out.append(md_row(["wake-ups once ready: the probes' own", w.cell(refs["ready_wakeups"]),
                               f"≤ {bound:g}: 2 per probe, 1 probe a second", "met" if ok else "missed",
                               LIMITS["ready_wakeups"]]))
    if rep.has("prefix_term_median"):
        idle, busy = f"{ref} --log-prefix", f"{ref} --log-prefix, flooding"
        t = Cells(rep.rows["prefix_term_median"], idle, UNITS["prefix_term_median"])
        a, b = t.stat(busy), t.stat(idle)
        if a and b:
            ok = a["min"] <= b["max"]  # the ranges overlap, or flooding is lower
            out.append(md_row([
                "TERM latency while output floods: within noise of idle", t.cell(busy),
                f"idle: {t.cell(idle)}", "met" if ok else "missed",
                "" if ok else LIMITS["prefix_term"],
            ]))
    for kind in ("podman", "docker"):
        have = [n for n in peers if C[kind].stat(n)]
        if have:
            versus(f"`{kind} stop` ≤ best peer", C[kind], have, "engine")
    out.append("")
    return out
