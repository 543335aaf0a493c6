"""benchmarks.svg: one block of horizontal ratio bars per figure (GROUPS),
log scale, each contestant against the reference.
"""
import math

from .cells import esc, fmt_ratio, num, overlap, ratio


def groups(rep):
    """(title, [(name, ratio, its stats, the reference's stats)]) per block."""
    res, rows, C, N, ref = rep.res, rep.rows, rep.C, rep.N, rep.ref
    names, sc, mr = res["inits"], res["sidecar"], res.get("multirun")
    sz = res["sizes"]
    rs = sz[ref]["size"]

    def grp(title, t, ns):
        return (title, [(n, t.ratio(n), t.stat(n), t.stat(ref)) for n in ns])

    size_rows = [
        (n, ratio(sz[n]["size"] + sz[n]["libs"], rs), None, None) for n in res["sizes_order"]
    ]
    out = [("size incl. shared libs", size_rows)]
    out += [
        grp("start-up overhead", C["startup"], names + [sc] + ([mr] if mr else [])),
        grp("peak RSS", C["rss"], names + [sc] + ([mr] if mr else [])),
        grp(f"idle wake-ups / {num(N['idle_s'])} s", C["wakeups"], names),
        grp(f"reap {N['orphans']:,} orphans", C["reap"], names),
        grp("TERM latency, median", C["term_median"], names),
        grp("TERM latency, p99", C["term_p99"], names),
    ]
    for kind, title in (("early_plain", "plain"), ("early_group", "-g")):
        # ratio to the floor here, not to vigil
        out.append(grp(f"early TERM lost, {title}: ratio to the floor", C[kind], names))
    for kind in ("podman", "docker"):
        if rows.get(kind):
            out.append(grp(f"{kind} stop", C[kind], [n for n in names if n in rows[kind]]))
    http, grpc = list(rows["http_median"]), list(rows["grpc_median"])
    out.append(grp("HTTP probe, healthy, median", C["http_median"], http))
    out.append(grp("HTTP probe, p99", C["http_p99"], http))
    out.append(grp("HTTP probe, peak RSS", C["http_rss"], http))
    out.append(grp("gRPC probe, median", C["grpc_median"], grpc))
    out.append(grp("gRPC probe, peak RSS", C["grpc_rss"], grpc))
    if rep.has("relay", "prefix_term_median"):
        out.append(grp("--log-prefix: lines through", C["relay"], list(rows["relay"])))
        out.append(grp("TERM latency, output flooding", C["prefix_term_median"],
                       list(rows["prefix_term_median"])))
    return out


def write(rep, path):
    """Horizontal bars of ratio (log scale 0.1x..100x), one block per figure;
    grey bars are within noise of the reference."""
    ref = rep.ref
    lo, hi = math.log10(0.1), math.log10(100)
    x0, width, bar, gap = 260, 520, 14, 4
    y = 56
    parts = []

    def xpos(r):
        r = min(max(r, 0.1), 100)
        return x0 + (math.log10(r) - lo) / (hi - lo) * width

    for title, rws in groups(rep):
        parts.append(f'<text x="10" y="{y}" font-weight="bold">{esc(title)}</text>')
        y += 8
        for name, r, s, sref in rws:
            y += bar + gap
            parts.append(f'<text x="{x0 - 6}" y="{y - 3}" text-anchor="end">{esc(name)}</text>')
            if r is None:
                parts.append(f'<text x="{x0 + 4}" y="{y - 3}" fill="#888">n/a</text>')
                continue
            xe = xpos(r) if r != math.inf else x0 + width
            a, b = sorted((xpos(1), xe))
            noise = name != ref and overlap(s, sref)
            if name.startswith(ref):
                color = "#2a7"
            elif noise:
                color = "#aaa"
            else:
                color = "#c44" if r > 1 else "#e90"
            parts.append(
                f'<rect x="{a:.1f}" y="{y - bar}" width="{max(b - a, 1):.1f}" height="{bar}" fill="{color}"/>'
            )
            label = fmt_ratio(r) + (" ≈" if noise else "")
            parts.append(f'<text x="{x0 + width + 6}" y="{y - 3}">{esc(label)}</text>')
        y += 18
    axis = []
    for r in (0.1, 0.5, 1, 2, 10, 100):
        x = xpos(r)
        axis.append(f'<line x1="{x:.1f}" y1="40" x2="{x:.1f}" y2="{y - 10}" stroke="#ccc"/>')
        axis.append(f'<text x="{x:.1f}" y="34" text-anchor="middle" fill="#666">{r}×</text>')
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{x0 + width + 90}" height="{y + 20}" '
        'font-family="sans-serif" font-size="12">'
        '<rect width="100%" height="100%" fill="white"/>'
        f'<text x="10" y="12" fill="#444">median ratio to {esc(ref)} (early TERM: to the floor); '
        "log scale; &gt;1 = the reference is ahead; ∞ = the reference scored 0</text>"
        '<text x="10" y="26" fill="#444">grey, ≈: the ranges over the rounds overlap '
        "(within noise)</text>"
    )
    with open(path, "w") as f:
        f.write(head + "".join(axis) + "".join(parts) + "</svg>\n")
