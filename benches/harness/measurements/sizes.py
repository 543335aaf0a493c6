"""The Sizes table's measurement: each binary's bytes, and with the shared
libraries it loads. Measured once per run, not in rounds.
"""
import os

from ..helpers import closure


def sizes(named_paths):
    """The file's bytes, and with every library `ldd` lists added (the closure
    a scratch image would need). Ratios are to {ref}."""
    res = {}
    for name, path in named_paths:
        real = os.path.realpath(path)
        libs = closure(real)
        res[name] = {
            "path": path,
            "size": os.path.getsize(real),
            "libs": sum(os.path.getsize(x) for x in libs),
            "libnames": [os.path.basename(x) for x in libs],
            "static": not libs,
        }
    return res
