"""benchmarks.md and benchmarks.svg from a measuring run's JSON alone: the
header, Targets, then one section per table, each with the text its
measurements' docstrings give (prose).
"""
import os

from ..contestants import GRPC_FLOOR, GRPC_FLOOR_FLAGS, grpc_floor, multirun_peer, sidecar
from ..measurements.engines import DockerStop, PodmanStop
from ..measurements.health import HealthQuery, ReadyIdle, TermUnderFlood, TimeToReady
from ..measurements.inits import EarlyTerm, Reap, RssIdle, Startup, TermLatency
from ..measurements.log_prefix import PrefixThroughput, TermUnderOutputFlood
from ..measurements.probes import GrpcProbe, HttpNeverAnswering, HttpProbe
from ..measurements.sizes import sizes
from . import chart
from .cells import (
    UNITS, Cells, b, exit_text, fmt_ratio, md_head, md_row, ms, num, plain_cell, ratio,
)
from .targets import targets


def prose(fn, **fields):
    """The text the report prints for a measurement: `fn`'s docstring, its
    lines joined by one space, its `{field}`s filled from `fields`."""
    lines = [ln.strip() for ln in fn.__doc__.strip().splitlines()]
    if "" in lines:
        raise ValueError(f"{fn.__qualname__}: a report text is one paragraph")
    return " ".join(lines).format(**fields)


class Report:
    """What every section reads: the JSON (`res`, `rows`, `ref`, `N` the
    counts, `V` the versions) and `C`, the Cells of every row key. Early TERM's
    ratios are of overall rates (lost/trials) to the floor's, its plain and -g
    trials pooled (it has no child, so they are the same test)."""

    def __init__(self, res):
        self.res, self.rows, self.ref = res, res["rows"], res["ref"]
        self.N, self.V = res["params"], res["versions"]
        self.floor_rate = self.rate(("early_plain", "early_group"), res["floor"])
        self.C = {k: Cells(self.rows.get(k, {}), self.ref, unit) for k, unit in UNITS.items()}
        for kind in ("early_plain", "early_group"):
            self.C[kind] = Cells(
                self.rows.get(kind, {}), self.ref, UNITS[kind],
                lambda n, kind=kind: self.rate([kind], n), self.floor_rate,
            )

    def rate(self, kinds, name):
        es = [self.rows.get(k, {}).get(name) for k in kinds]
        lost = sum(sum(e["lost"]) for e in es if e)
        trials = sum(sum(e["trials"]) for e in es if e)
        return lost / trials if trials else None

    def has(self, *keys):
        """True when the JSON has these rows: a section of rows an older run did
        not measure is left out, so its report re-renders as it was."""
        return all(k in self.rows for k in keys)

    def name(self, n):
        """A contestant's first cell: vigil's builds in bold."""
        return f"**{n}**" if n in self.res["vigils"] else n


def render(res, out):
    rep = Report(res)
    L = header(rep) + targets(rep)
    for section in SECTIONS:
        try:
            L += section(rep)
        except KeyError:
            if not res.get("only"):  # `--only`: the tables of rows not measured are left out
                raise
    if not res.get("only"):
        L += ["![ratios to vigil](benchmarks.svg)", ""]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "benchmarks.md"), "w") as f:
        f.write("\n".join(L))
    if not res.get("only"):
        chart.write(rep, os.path.join(out, "benchmarks.svg"))


def header(rep):
    res, N, m, ref = rep.res, rep.N, rep.res["machine"], rep.ref
    R = N["rounds"]
    small = res["quick"] or N.get("scale", 1.0) < 1 or R < 5
    return [
        "# vigil benchmarks"
        + (" (quick or scaled run, or under 5 rounds: figures meaningless)" if small else ""),
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}, {m['arch']}), {m['mem']} memory, {m['os']}, "
        f"Linux {m['kernel']}; run {res['date']}, took {res['elapsed_s'] / 60:.1f} min. Load "
        f"average {' '.join(res['load_before'])} before, {' '.join(res['load_after'])} after.",
        "",
        "Versions: "
        + "; ".join(v if v.startswith(k + " ") else f"{k} {v}" for k, v in rep.V.items())
        + ".",
        "",
        f"**Method.** Every row ran in {R} rounds. Inside a round every contestant ran once, in "
        "an order rotated from round to round, so a burst of load from elsewhere hits every "
        "tool alike. A cell is `median [min–max] (ratio)`: the median of the round values, their "
        f"range, and the median's ratio to {ref} (to the floor for early TERM). Lower is better "
        "for every figure, so a ratio above 1× means vigil is ahead. **≈** marks a cell whose "
        f"range overlaps {ref}'s: that difference is within noise. ∞: the reference scored 0 "
        "and this one did not. Regenerate: `benches/run` (measure, then render), or the two "
        "steps `benches/run measure --json FILE` and `benches/run render FILE`; the raw samples "
        "are in benchmarks.json.",
        "",
    ]


def init(rep):
    res, rows, C, N = rep.res, rep.rows, rep.C, rep.N

    def early(kind, name):
        e = rows[kind].get(name)
        if not e:
            return "n/a"
        return f"{sum(e['lost'])}/{sum(e['trials'])}: " + C[kind].cell(name)

    # (header, row key): the columns after the init's name.
    columns = [
        ("start-up overhead", "startup"),
        ("peak RSS (VmHWM)", "rss"),
        (f"idle wake-ups / {num(N['idle_s'])} s", "wakeups"),
        (f"reap {N['orphans']:,} orphans", "reap"),
        ("TERM latency median", "term_median"),
        ("p99", "term_p99"),
        ("early TERM lost, plain", "early_plain"),
        ("-g", "early_group"),
        ("podman stop", "podman"),
        ("docker stop", "docker"),
    ]

    def cells(label, who):
        """label, then for each column the cell of who(key), blank where None."""
        out = [label]
        for _, key in columns:
            n = who(key)
            out.append(None if n is None else early(key, n) if key.startswith("early_")
                       else C[key].cell(n))
        return out

    L = ["## Init", ""]
    L += md_head(["init"] + [h for h, _ in columns])
    for n in res["inits"]:
        L.append(md_row(cells(rep.name(n), lambda key, n=n: n)))
    fl = res["floor"]
    L.append(md_row(cells(fl, lambda key: fl if key.startswith("early_") else None)))
    # no init: the child signalled directly (TERM), sleep as PID 1 (engines)
    no_init = {"term_median": "direct", "term_p99": "direct", "podman": "none", "docker": "none"}
    L.append(md_row(cells("no init", no_init.get)))
    L.append("")
    L.append("How each column was measured (per round; totals are these times the rounds):")
    L.append("")
    bare = plain_cell(rows["startup_bare"], "/bin/true", ms)
    L.append("- " + prose(Startup.round, **N, bare=bare))
    L.append("- " + prose(RssIdle.round, **N))
    L.append("- " + prose(Reap.round, **N))
    L.append("- " + prose(TermLatency.round, **N))
    errs = [
        f"{n} {k.split('_')[1]}: {sum(e['errors'])}"
        for k in ("early_plain", "early_group")
        for n, e in rows[k].items()
        if sum(e["errors"])
    ]
    L.append(
        "- " + prose(EarlyTerm.round, **N)
        + (f" Trials where the init never showed (left out): {', '.join(errs)}." if errs else "")
    )
    L.append("- " + prose(PodmanStop.round) + " " + " ".join(res["podman_notes"]))
    L.append("- " + prose(DockerStop.round) + " " + " ".join(res.get("docker_notes", [])))
    L.append("")
    return L


def sidecars(rep):
    res, rows, C, ref = rep.res, rep.rows, rep.C, rep.ref
    sc, scmd, mr = res["sidecar"], res["sidecar_cmd"], res.get("multirun")
    keys = ("startup", "rss", "wakeups")
    L = ["## Sidecars", ""]
    L += md_head(["runner", "start-up overhead", "peak RSS (VmHWM)", "idle wake-ups"])
    for n, label in ((ref, f"**{ref}**, no sidecar"), (sc, f"**{ref}** `--with '{scmd}'`")):
        L.append(md_row([label] + [C[k].cell(n) for k in keys]))
    if mr:
        # multirun against vigil with the same sidecar, not against bare vigil
        S = {k: Cells(rows[k], sc, C[k].fmt) for k in keys}
        L.append(md_row([f"multirun `'{scmd}' PROGRAM`"] + [S[k].cell(mr) for k in keys]))
    L.append("")
    L.append("- " + prose(sidecar, cmd=scmd))
    if mr:
        L.append("- " + prose(multirun_peer, version=rep.V.get("multirun", ""), cmd=scmd))
    else:
        L.append(
            "- multirun is not measured: set `MULTIRUN` to a build of it (README, Benchmarks)."
        )
    L.append("")
    return L


def sizes_table(rep):
    res, ref = rep.res, rep.ref
    sz = res["sizes"]
    rs = sz[ref]["size"]
    L = ["## Sizes", ""]
    L += md_head(["binary", "size", "shared libraries", "size + shared libraries"])
    for n in res["sizes_order"]:
        s = sz[n]
        tot = s["size"] + s["libs"]
        L.append(md_row([
            f"**{n}**" if n.startswith("vigil") else n,
            f"{b(s['size'])} ({fmt_ratio(ratio(s['size'], rs))})",
            "static" if s["static"] else ", ".join(s["libnames"]),
            f"{b(tot)} ({fmt_ratio(ratio(tot, rs))})",
        ]))
    L.append("")
    L.append("- " + prose(sizes, ref=ref) + " " + " ".join(res.get("size_notes", [])))
    L.append("")
    return L


def probe_name(rep, key, n):
    """A probe's first cell: bold for vigil, `(N failed)` when a run's exit was not 0."""
    failed = sum(rep.rows[key][n]["failed"])
    return rep.name(n) + (f" ({failed} failed)" if failed else "")


def http(rep):
    rows, C = rep.rows, rep.C
    L = ["## HTTP probe", ""]
    L += md_head(["probe", "healthy: median", "p99", "peak RSS",
                  "never-answering server, 1 s asked: wall", "exit codes"])
    for n in rows["http_median"]:
        codes = sorted({exit_text(c) for c in rows["hung"].get(n, {}).get("code", [])})
        L.append(md_row(
            [probe_name(rep, "http_median", n)]
            + [C[k].cell(n) for k in ("http_median", "http_p99", "http_rss", "hung")]
            + [", ".join(codes)]
        ))
    L.append("")
    L.append("- " + prose(HttpProbe.round, **rep.N))
    L.append("- " + prose(HttpNeverAnswering.round))
    L.append("")
    return L


def grpc(rep):
    rows, C = rep.rows, rep.C
    L = ["## gRPC probe", ""]
    L += md_head(["probe", "SERVING: median", "p99", "peak RSS"])
    for n in rows["grpc_median"]:
        L.append(md_row(
            [probe_name(rep, "grpc_median", n)]
            + [C[k].cell(n) for k in ("grpc_median", "grpc_p99", "grpc_rss")]
        ))
    L.append("")
    L.append("- " + prose(GrpcProbe.round, **rep.N, grpcio=rep.V.get("grpcio", "?")))
    if GRPC_FLOOR in rows["grpc_median"]:
        L.append("- " + prose(grpc_floor, name=GRPC_FLOOR, flags=" ".join(GRPC_FLOOR_FLAGS)))
    L.append("")
    return L


def health_refs(rep):
    """The health rows' references: `vigil health` per call, `vigil --ready`
    for the time to ready (its build's name, then what it did)."""
    return {"health_median": f"{rep.ref} health", "health_p99": f"{rep.ref} health",
            "ready_delay": f"{rep.ref} --ready", "ready_wakeups": f"{rep.ref} --ready, 1 s interval",
            "flood_term_median": "flood of vigil check file:///",
            "flood_term_p99": "flood of vigil check file:///"}


def health(rep):
    if not rep.has("health_median", "ready_delay", "ready_wakeups", "flood_term_median"):
        return []
    rows, N = rep.rows, rep.N
    C = {k: Cells(rows[k], ref, UNITS[k]) for k, ref in health_refs(rep).items()}

    def name(n, key):
        bold = f"**{n}**" if n.split(" ")[0] in rep.res["vigils"] else n
        failed = sum(rows[key][n].get("failed", []))
        return bold + (f" ({failed} failed)" if failed else "")

    L = ["## Health", ""]
    L += md_head(["asking whether it is healthy", "per call: median", "p99"])
    for n in rows["health_median"]:
        L.append(md_row([name(n, "health_median")]
                        + [C[k].cell(n) for k in ("health_median", "health_p99")]))
    L += ["", *md_head(["ready", "after the app listens: median"])]
    for n in rows["ready_delay"]:
        L.append(md_row([name(n, "ready_delay"), C["ready_delay"].cell(n)]))
    L += ["", *md_head(["once ready", f"wake-ups in {num(N['ready_idle_s'])} s"])]
    for n in rows["ready_wakeups"]:
        L.append(md_row([name(n, "ready_wakeups"), C["ready_wakeups"].cell(n)]))
    L += ["", *md_head(["TERM latency while these run", "median", "p99"])]
    for n in rows["flood_term_median"]:
        L.append(md_row([n] + [C[k].cell(n) for k in ("flood_term_median", "flood_term_p99")]))
    L.append("")
    V = rep.V
    L.append("- " + prose(HealthQuery.round, **N, supervisor=V.get("supervisor", "?"),
                          s6=V.get("s6", "?")))
    L.append("- " + " ".join([prose(TimeToReady.round, **N)] + rep.res.get("ready_notes", [])))
    L.append("- " + prose(ReadyIdle.round, **N))
    L.append("- " + prose(TermUnderFlood.round, **N))
    L.append("")
    return L


def log_prefix(rep):
    if not rep.has("relay", "prefix_term_median"):
        return []
    rows, N, ref = rep.rows, rep.N, rep.ref
    C = {k: Cells(rows[k], ref, UNITS[k]) for k in ("relay", "prefix_term_median", "prefix_term_p99")}

    def name(n):
        return f"**{n}**" if n.split(" ")[0] in rep.res["vigils"] else n

    L = ["## --log-prefix: throughput", ""]
    L += md_head(["output through", f"{N['relay_lines']:,} lines of 100 B", "lines/s", "MB/s"])
    for n in rows["relay"]:
        rate = N["relay_lines"] / C["relay"].stat(n)["median"]
        L.append(md_row([name(n), C["relay"].cell(n), f"{rate:,.0f}", f"{rate * 100 / 1e6:.1f}"]))
    L.append("")
    L.append("- " + prose(PrefixThroughput.round, **N, honcho=rep.V.get("honcho", "?")))
    L += ["", "## --log-prefix: TERM latency while output floods", ""]
    L += md_head(["init", "TERM latency median", "p99"])
    for n in rows["prefix_term_median"]:
        L.append(md_row([name(n)] + [C[k].cell(n) for k in ("prefix_term_median", "prefix_term_p99")]))
    L.append("")
    L.append("- " + prose(TermUnderOutputFlood.round, **N))
    L.append("")
    return L


# The tables after Targets, in the report's order: each a function of the
# Report returning its lines (none when rep.has() says its rows are absent).
SECTIONS = (init, sidecars, sizes_table, http, grpc, health, log_prefix)
