"""The contestants: vigil's builds, the peer inits and how each is invoked, the
floors, the probes of each probe table, and every tool's version.
"""
import os
import shlex
import shutil
import subprocess

from .helpers import BENCHES, ROOT, fail, first_line, log

MUSL = "x86_64-unknown-linux-musl"
ARM = "aarch64-unknown-linux-musl"


# ---- inits --------------------------------------------------------------------


def _vigil(i, cmd, group):
    extra = ["--with", i.sidecar] if i.sidecar else []
    return [i.path] + extra + (["-g"] if group else []) + ["--"] + cmd


def _tini(i, cmd, group):
    return [i.path, "-s"] + (["-g"] if group else []) + ["--"] + cmd


def _dumb_init(i, cmd, group):  # group signalling (setsid) is its default
    return [i.path] + ([] if group else ["--single-child"]) + cmd


def _catatonit(i, cmd, group):
    return [i.path] + (["-g"] if group else []) + ["--"] + cmd


def _floor(i, cmd, group):  # starts nothing: it only waits for SIGTERM
    return [i.path]


def _multirun(i, cmd, group):  # each command through `sh -c 'exec …'`
    return [i.path, i.sidecar, shlex.join(cmd)]


# How each kind of init is told to run `cmd`; group: signal cmd's whole group.
INIT_ARGV = {
    "vigil": _vigil,
    "tini": _tini,
    "dumb-init": _dumb_init,
    "catatonit": _catatonit,
    "floor": _floor,
    "multirun": _multirun,
}

# The peer inits of the Init table, in its order: (name on PATH, kind, Debian package).
PEER_INITS = (
    ("tini", "tini", "tini"),
    ("tini-static", "tini", "tini"),
    ("dumb-init", "dumb-init", "dumb-init"),
    ("catatonit", "catatonit", "catatonit"),
)

# The Debian packages whose versions every run records, in the report's order.
DEBIAN_PACKAGES = (
    "tini", "dumb-init", "catatonit", "curl", "busybox-static", "podman", "docker.io", "runc",
    "hyperfine", "util-linux", "python3", "s6",
)


class Init:
    """An init and how it is invoked: `kind` (a key of INIT_ARGV) decides the
    flags. `sidecar`: one sidecar (vigil's `--with`; multirun's first command)."""

    def __init__(self, name, path, kind, sidecar=None):
        if kind not in INIT_ARGV:
            raise ValueError(kind)
        self.name, self.path, self.kind, self.sidecar = name, path, kind, sidecar
        self.real = os.path.realpath(path)

    def argv(self, cmd, group=False):
        return INIT_ARGV[self.kind](self, cmd, group)


def peers():
    found = []
    for name, kind, package in PEER_INITS:
        path = shutil.which(name)
        if not path:
            fail(f"{name} not found (apt-get install {package})")
        found.append(Init(name, path, kind))
    return found


def sidecar(ref, path, cmd="sleep 1000"):
    """Measured in the same rounds as the init table, as more contestants:
    start-up is `vigil --with '{cmd}' -- /bin/true` (vigil starts the sidecar,
    runs /bin/true, then stops the sidecar with TERM and exits); RSS and
    wake-ups with `sleep 1000` as PROGRAM and the sidecar running. The
    `--with` row's ratios are to vigil without a sidecar."""
    return Init(f"{ref} +1 sidecar", path, "vigil", sidecar=cmd)


def multirun_peer():
    """multirun {version}, built from its source (`MULTIRUN`; README,
    Benchmarks): `multirun '{cmd}' 'sleep 1000'` for RSS and wake-ups, its
    ratios to vigil `--with '{cmd}'`. Its start-up is not measured: with a
    PROGRAM that exits at once (`multirun 'sleep 1000' /bin/true`), multirun
    races itself. It sends SIGTERM to the other command's group, which can
    arrive before that fork has exec'd `sh`; the fork still runs multirun's
    own SIGTERM handler, and there it signals its own group again and again,
    at 100% CPU, forever (here: in the first round of runs under hyperfine,
    and once in 300 runs from a shell loop)."""
    # The optional sidecar peer, if $MULTIRUN names a build of it (or one is
    # on PATH). It has no release in Debian; README, Benchmarks, says how to
    # build it from its source.
    path = os.environ.get("MULTIRUN") or shutil.which("multirun")
    if not path:
        return None
    if not os.access(path, os.X_OK):
        fail(f"MULTIRUN={path}: not an executable file")
    return Init("multirun", os.path.abspath(path), "multirun", sidecar="sleep 1000")


# ---- builds ---------------------------------------------------------------------


def cargo_build(target, feats, tdir, **kw):
    """The release build: scripts/release (cargo auditable, paths remapped: the
    bytes the README and the CI size budgets speak of) when cargo-auditable is
    installed, else a plain `cargo build --release`. aarch64 tls compiles
    ring's C code with Debian's cross compiler when it is there."""
    env = dict(os.environ, CARGO_TARGET_DIR=tdir)
    if target == ARM and shutil.which("aarch64-linux-gnu-gcc"):
        env["CC_aarch64_unknown_linux_musl"] = "aarch64-linux-gnu-gcc"
        env["AR_aarch64_unknown_linux_musl"] = "aarch64-linux-gnu-ar"
    if shutil.which("cargo-auditable"):
        argv = [os.path.join(ROOT, "scripts", "release"), target] + feats[1:]
        subprocess.run(argv, cwd=ROOT, check=True, env=env, stdout=subprocess.DEVNULL, **kw)
    else:
        argv = ["cargo", "build", "--release", "--quiet", "--target", target] + feats
        subprocess.run(argv, cwd=ROOT, check=True, env=env, **kw)
    return os.path.join(tdir, target, "release", "vigil")


def build_vigil():
    """Static musl builds in their own target dir (never touches target/<musl>).
    Returns (runnable builds, aarch64 builds for the sizes table, notes): an
    aarch64 build that fails (tls needs a C cross compiler for ring) is a note."""
    out = os.path.join(ROOT, "target", "bench")
    tdir = os.path.join(out, "cargo")
    os.makedirs(out, exist_ok=True)
    builds, sizes_only, notes = [], [], []
    installed = subprocess.run(
        ["rustup", "target", "list", "--installed"], capture_output=True, text=True
    ).stdout.split()
    for target, suffix, keep in ((MUSL, "", builds), (ARM, "-aarch64", sizes_only)):
        if target != MUSL and target not in installed:
            notes.append(f"{target} not installed (rustup target add {target}): no aarch64 builds.")
            log(notes[-1])
            continue
        for name, feats in (("vigil", []), ("vigil-tls", ["--features", "tls"])):
            log(f"building {name}{suffix} (static musl, release)")
            dst = os.path.join(out, name + suffix)
            if target == MUSL:
                shutil.copy2(cargo_build(target, feats, tdir), dst)
            else:
                try:
                    built = cargo_build(target, feats, tdir, stderr=subprocess.PIPE, text=True)
                except subprocess.CalledProcessError as e:
                    why = [ln.strip() for ln in e.stderr.splitlines() if "error" in ln.lower()]
                    notes.append(f"{name}{suffix}: not built ({(why or ['cargo failed'])[-1]}).")
                    log(notes[-1])
                    continue
                shutil.copy2(built, dst)
            keep.append((name + suffix, dst))
    return builds, sizes_only, notes


def build_floor(name, src, flags=()):
    """One of the floors (benches/floor.S, benches/grpc_floor.c): no libc."""
    out = os.path.join(ROOT, "target", "bench")
    os.makedirs(out, exist_ok=True)
    dst = os.path.join(out, name)
    subprocess.run(["cc", "-nostdlib", "-static", *flags, "-o", dst, os.path.join(BENCHES, src)],
                   check=True)
    return dst


def floor_init():
    """The floor init (benches/floor.S); the early TERM measurement says what it is."""
    return Init("floor", build_floor("floor", "floor.S"), "floor")


GRPC_FLOOR = "gRPC floor"
GRPC_FLOOR_FLAGS = (
    "-O2", "-ffreestanding", "-fno-stack-protector", "-fno-tree-loop-distribute-patterns"
)


def grpc_floor():
    """**{name}**: benches/grpc_floor.c, built with `cc -nostdlib -static
    {flags}`, run as `grpc-floor PORT`: no libc and no start-up code; a
    blocking connect, one write of a minimal Health/Check request (preface,
    empty SETTINGS, HEADERS, DATA), reads until the trailers; exit 0 only if a
    SERVING message came before them. It does less than a probe must (no
    deadline, no SETTINGS or PING acknowledgement, no HPACK decoding, no
    grpc-status check), so it is the least time any probe process can take
    against this server."""
    return build_floor("grpc-floor", "grpc_floor.c", GRPC_FLOOR_FLAGS)


# ---- probes -------------------------------------------------------------------


def grpc_tools():
    """grpc_health_probe and the python that runs the gRPC server (grpcio)."""
    probe = os.environ.get("GRPC_HEALTH_PROBE") or os.path.join(
        os.environ.get("CARGO_HOME") or os.path.expanduser("~/.cargo"), "bin", "grpc_health_probe"
    )
    py = os.environ.get("VIGIL_GRPC_PYTHON") or os.path.join(
        ROOT, "target", "grpc-venv", "bin", "python"
    )
    if not os.access(probe, os.X_OK):
        fail(
            f"{probe} missing: PROTOC=/usr/bin/protoc cargo install grpc_health_probe "
            "--version 1.0.1 --locked (or set GRPC_HEALTH_PROBE)"
        )
    ok = os.access(py, os.X_OK) and subprocess.run(
        [py, "-c", "import grpc, grpc_health"], capture_output=True
    ).returncode == 0
    if not ok:
        fail(
            f"{py} has no grpcio: python3 -m venv target/grpc-venv && target/grpc-venv/bin/pip "
            "install grpcio grpcio-health-checking (or set VIGIL_GRPC_PYTHON)"
        )
    return probe, py


def http_cmds(vigils, url, limit=None):
    """The HTTP probe table: name -> argv against `url`; `limit`: seconds asked."""
    cmds = {}
    for name, path in vigils:
        cmds[name] = [path, "check", "-q"] + (["-t", limit + "s"] if limit else []) + [url]
    cmds["curl"] = ["curl", "-fsS", "-m", limit or "5", "-o", "/dev/null", url]
    wget = ["busybox", "wget", "-q", "--spider"] + (["-T", limit] if limit else [])
    cmds["busybox wget"] = wget + [url]
    return cmds


def health_tools():
    """supervisord and supervisorctl from PyPI (a venv, as scripts/test makes
    it) and s6's s6-supervise and s6-svstat (Debian s6): the health table's
    supervisors."""
    venv = os.environ.get("VIGIL_SUPERVISOR_VENV") or os.path.join(
        ROOT, "target", "supervisor-venv"
    )
    sv = os.path.join(venv, "bin", "supervisord"), os.path.join(venv, "bin", "supervisorctl")
    if not all(os.access(p, os.X_OK) for p in sv):
        fail(
            f"{venv} has no supervisor: python3 -m venv {venv} && {venv}/bin/pip install "
            "supervisor (or set VIGIL_SUPERVISOR_VENV)"
        )
    for tool in ("s6-supervise", "s6-svstat"):
        if not shutil.which(tool):
            fail(f"{tool} not found (apt-get install s6)")
    return sv


def honcho_tool():
    """honcho from PyPI (a venv, as scripts/test makes it): the --log-prefix
    table's peer, which prints `HH:MM:SS NAME.1 | line` as foreman does."""
    venv = os.environ.get("VIGIL_HONCHO_VENV") or os.path.join(ROOT, "target", "honcho-venv")
    path = os.path.join(venv, "bin", "honcho")
    if not os.access(path, os.X_OK):
        fail(
            f"{venv} has no honcho: python3 -m venv {venv} && {venv}/bin/pip install honcho "
            "(or set VIGIL_HONCHO_VENV)"
        )
    return path


def health_cmds(vigils, url, sv_conf, supervisorctl, s6_dir):
    """The health table: name -> argv of one way to ask "is it healthy?"."""
    cmds = {}
    for name, path in vigils:
        cmds[f"{name} health"] = [path, "health", "-q"]
    for name, path in vigils:
        cmds[f"{name} check http://"] = [path, "check", "-q", url]
    cmds["curl"] = ["curl", "-fsS", "-m", "5", "-o", "/dev/null", url]
    cmds["supervisorctl status"] = [supervisorctl, "-c", sv_conf, "status", "app"]
    cmds["s6-svstat"] = ["s6-svstat", s6_dir]
    return cmds


def grpc_cmds(vigils, probe, floor, port):
    """The gRPC probe table: name -> argv against 127.0.0.1:port."""
    cmds = {}
    for name, path in vigils:
        cmds[name] = [path, "check", "-q", f"grpc://127.0.0.1:{port}"]
    # Its --service default is the literal `""` (two quote characters): ask for
    # the overall health (the empty name) explicitly.
    cmds["grpc_health_probe"] = [probe, "--addr", f"http://127.0.0.1:{port}", "--service", ""]
    cmds[GRPC_FLOOR] = [floor, str(port)]
    return cmds


# ---- every contestant of a run ---------------------------------------------------


class Contestants:
    """Every contestant of one run, built or found: `vigils` [(name, path)],
    the first one the reference; `inits` (vigils and peers), `peers`, `floor`,
    `sidecar`, `multirun` (or None), `grpc_floor`, `grpc_probe`, `grpc_python`;
    `sized` [(name, path)] for the sizes table and `size_notes`."""

    def __init__(self, a):
        self.grpc_probe, self.grpc_python = grpc_tools()
        self.supervisord, self.supervisorctl = health_tools()
        self.honcho = honcho_tool()
        sizes_only = [tuple(v.split("=", 1)) for v in a.size]
        self.size_notes = []
        if a.vigil:
            vigils = [tuple(v.split("=", 1)) for v in a.vigil]
        else:
            vigils, arm, self.size_notes = build_vigil()
            sizes_only = arm + sizes_only
        for v in vigils + sizes_only:
            if len(v) != 2 or not os.path.isfile(v[1]):
                fail(f"--vigil/--size: {'='.join(v)}: want NAME=PATH of an existing file")
        self.vigils = [(n, os.path.abspath(p)) for n, p in vigils]
        sizes_only = [(n, os.path.abspath(p)) for n, p in sizes_only]
        self.floor = floor_init()
        self.grpc_floor = grpc_floor()
        self.peers = peers()
        self.inits = [Init(n, p, "vigil") for n, p in self.vigils] + self.peers
        self.ref = self.vigils[0][0]
        self.sidecar = sidecar(self.ref, self.vigils[0][1])
        self.multirun = multirun_peer()
        self.sidecars = [self.sidecar] + ([self.multirun] if self.multirun else [])
        self.sized = self.vigils + sizes_only + [(i.name, i.path) for i in self.peers]
        self.sized += [("curl", shutil.which("curl")), ("busybox", shutil.which("busybox"))]
        self.sized += [("grpc_health_probe", self.grpc_probe), ("floor", self.floor.path)]
        self.sized += [(GRPC_FLOOR, self.grpc_floor)]
        self.sized += [(self.multirun.name, self.multirun.path)] if self.multirun else []

    def versions(self):
        """Every tool's version: Debian's package versions, then `--version`."""
        v = {p: deb_version(p) for p in DEBIAN_PACKAGES}
        for name, path in self.vigils:
            v[name] = first_line([path, "--version"])
        v["grpc_health_probe"] = first_line([self.grpc_probe, "--version"])
        v["grpcio"] = first_line([self.grpc_python, "-c", "import grpc; print(grpc.__version__)"])
        v["cc"] = first_line(["cc", "--version"])
        v["supervisor"] = first_line([self.supervisord, "--version"])
        v["honcho"] = first_line([self.honcho, "--version"])
        if self.multirun:
            help_text = subprocess.run(
                [self.multirun.path, "-h"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                text=True,
            ).stdout
            line = next((x for x in help_text.splitlines() if x.startswith("Version:")), "")
            v["multirun"] = line.split(":", 1)[1].strip() if line else "unknown"
        return v


def deb_version(pkg):
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True
    ).stdout
    return out or "?"
