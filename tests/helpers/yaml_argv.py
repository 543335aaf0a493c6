#!/usr/bin/python3
"""Parses docker/examples' compose.yaml or kubernetes.yaml (PyYAML) and prints
every vigil command line in it, one per line, fields NUL-separated.

Usage: yaml_argv.py compose|kubernetes FILE
Lines: KIND\0ARG0\0ARG1...  where KIND is healthcheck, liveness, readiness or
container (command + args), plus grace\0VIGIL_GRACE\0POD_GRACE_SECONDS (k8s)
and grace\0VIGIL_GRACE\0STOP_GRACE_PERIOD (compose) when both are set.
"""
import sys

import yaml


def out(kind, *fields):
    sys.stdout.write("\0".join([kind, *[str(f) for f in fields]]) + "\n")


def compose(doc):
    for svc in doc["services"].values():
        hc = svc.get("healthcheck")
        if hc:
            test = hc["test"]
            if test[0] != "CMD":
                raise SystemExit(f"healthcheck test is not exec form: {test!r}")
            out("healthcheck", *test[1:])
        if "entrypoint" in svc:
            out("container", *svc["entrypoint"], *svc.get("command", []))
        env = svc.get("environment") or {}
        if "VIGIL_GRACE" in env and "stop_grace_period" in svc:
            out("grace", env["VIGIL_GRACE"], svc["stop_grace_period"])


def kubernetes(docs):
    for doc in docs:
        spec = doc["spec"]["template"]["spec"]
        for c in spec["containers"]:
            out("container", *c.get("command", []), *c.get("args", []))
            for probe in ("liveness", "readiness"):
                p = c.get(probe + "Probe")
                if p:
                    out(probe, *p["exec"]["command"])
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            if "VIGIL_GRACE" in env:
                out("grace", env["VIGIL_GRACE"], f'{spec["terminationGracePeriodSeconds"]}s')


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        if kind == "compose":
            compose(yaml.safe_load(f))
        else:
            kubernetes([d for d in yaml.safe_load_all(f) if d])


main()
