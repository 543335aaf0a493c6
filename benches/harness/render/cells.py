"""A report's cells: the statistics over rounds, ratios, the unit of each row
key (UNITS), and Cells, one row key's `median [min–max] (ratio)` per contestant.
"""
import math
import signal
import statistics


def ms(v):
    return f"{v * 1000:.2f} ms"


def us(v):
    return f"{v:.0f} µs"


def kb(v):
    return f"{v:,.0f} kB"


def b(v):
    return f"{v:,} B"


def num(v):
    return f"{v:g}"


def sec(v):
    return f"{v:.2f} s"


def pc(v):
    return f"{v * 100:.0f}%"


# The unit of every row key a measurement fills (measurements/*.py, `rows`).
UNITS = {
    "startup_bare": ms,
    "startup": ms,
    "rss": kb,
    "wakeups": num,
    "reap": ms,
    "term_median": us,
    "term_p99": us,
    "early_plain": pc,
    "early_group": pc,
    "podman": sec,
    "docker": sec,
    "http_median": ms,
    "http_p99": ms,
    "http_rss": kb,
    "hung": sec,
    "grpc_median": ms,
    "grpc_p99": ms,
    "grpc_rss": kb,
    "health_median": ms,
    "health_p99": ms,
    "ready_delay": ms,
    "ready_wakeups": num,
    "flood_term_median": us,
    "flood_term_p99": us,
    "relay": sec,
    "prefix_term_median": us,
    "prefix_term_p99": us,
}


def stats(entry):
    """median, min, max of a contestant's round values (None when absent)."""
    xs = [x for x in (entry or {}).get("rounds", []) if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def overlap(a, b):
    return a is not None and b is not None and a["min"] <= b["max"] and b["min"] <= a["max"]


def ratio(v, ref):
    if v is None or ref is None or v < 0 or ref < 0:
        return None  # a negative overhead is noise: no ratio means anything
    if ref == 0:
        return 1.0 if v == 0 else math.inf
    return v / ref


def fmt_ratio(r):
    if r is None:
        return "n/a"
    if r == math.inf:
        return "∞"
    return f"{r:.2f}×"


def exit_text(code):
    """An exit status as a reader wants it: 1, or SIGSEGV (crashed)."""
    if isinstance(code, int) and code < 0:
        try:
            return f"{signal.Signals(-code).name} (crashed)"
        except ValueError:
            return f"signal {-code}"
    return str(code)


def esc(s):
    """Text for SVG."""
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_cell(rowd, name, fmt):
    """`median [min–max]`, no ratio (a baseline such as bare /bin/true)."""
    s = stats(rowd.get(name))
    if s is None:
        return "n/a"
    return f"{fmt(s['median'])} [{fmt(s['min'])}–{fmt(s['max'])}]"


class Cells:
    """Cells of one row key: `median [min-max] (ratio)`, ≈ when the range
    overlaps the reference's (within noise)."""

    def __init__(self, rowd, ref, fmt, point=None, base=None):
        self.rowd, self.ref, self.fmt = rowd, ref, fmt
        # The ratio's numerator and denominator: by default the medians of
        # this contestant and of ref; early TERM uses overall rates and the floor.
        self.point = point or (lambda n: (self.stat(n) or {}).get("median"))
        self.base = base

    def ratio(self, name):
        return ratio(self.point(name), self.point(self.ref) if self.base is None else self.base)

    def stat(self, name):
        return stats(self.rowd.get(name))

    def cell(self, name):
        s = self.stat(name)
        if s is None:
            return "n/a"
        spread = "" if s["min"] == s["max"] else f" [{self.fmt(s['min'])}–{self.fmt(s['max'])}]"
        r = self.ratio(name)
        noise = "≈" if r is not None and name != self.ref and overlap(s, self.stat(self.ref)) else ""
        return f"{self.fmt(s['median'])}{spread} ({noise}{fmt_ratio(r)})"


def md_row(cells):
    """One Markdown table row, `| a | b |`; a None cell is left blank (`| |`)."""
    return "|" + "".join(" |" if c is None else f" {c} |" for c in cells)


def md_head(cells):
    return [md_row(cells), "|---" * len(cells) + "|"]
