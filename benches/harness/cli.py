"""benches/run's command line: measure, render, or both (the default)."""
import argparse
import json
import os
import sys

from .helpers import ROOT, fail, log
from .render import render
from .rounds import SCHEMA, measure


def main(doc):
    argv = sys.argv[1:]
    step = "all"
    if argv and argv[0] in ("measure", "render"):
        step, argv = argv[0], argv[1:]
    ap = argparse.ArgumentParser(
        prog=f"benches/run{'' if step == 'all' else ' ' + step}",
        description=doc.split("\n")[0],
    )
    ap.add_argument("--out", help="report directory (default docs; target/bench/quick with --quick)")
    if step == "render":
        ap.add_argument("json", help="a JSON file from `benches/run measure`")
    else:
        ap.add_argument("--quick", action="store_true", help="small N (the test suite)")
        ap.add_argument("--rounds", type=int, help="rounds per row (default 5; 2 with --quick)")
        ap.add_argument(
            "--scale", type=float, default=1.0, help="shrink per-round counts (0..1], a check run"
        )
        ap.add_argument("--json", help="raw results (default OUT/benchmarks.json)")
        ap.add_argument("--vigil", action="append", default=[], metavar="NAME=PATH")
        ap.add_argument("--size", action="append", default=[], metavar="NAME=PATH")
        ap.add_argument("--no-podman", action="store_true")
        ap.add_argument("--podman", action="store_true", help="podman rows in --quick too")
        ap.add_argument("--no-docker", action="store_true")
        ap.add_argument("--docker", action="store_true", help="docker rows in --quick too")
        ap.add_argument(
            "--only", default="", metavar="NAME,...",
            help="only these measurements (class names in measurements/); a partial report",
        )
    a = ap.parse_args(argv)
    if a.out is None:
        quick = step != "render" and a.quick
        part = step != "render" and a.only  # a partial run never replaces docs/
        a.out = os.path.join(ROOT, "target", "bench", "quick" if quick else "only" if part else "")
        if not (quick or part):
            a.out = os.path.join(ROOT, "docs")
    if step == "render":
        try:
            with open(a.json) as f:
                res = json.load(f)
        except (OSError, ValueError) as e:
            fail(f"render: {a.json}: {e}")
        if res.get("schema") != SCHEMA:
            fail(f"render: {a.json}: schema {res.get('schema')}, this renderer reads {SCHEMA}")
        render(res, a.out)
        log(f"wrote {a.out}/benchmarks.md and benchmarks.svg")
        return
    res = measure(a)
    path = a.json or os.path.join(a.out, "benchmarks.json")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
    log(f"wrote {path} ({res['elapsed_s'] / 60:.1f} min of measuring)")
    if step == "all":
        render(res, a.out)
        log(f"wrote {a.out}/benchmarks.md and benchmarks.svg")
