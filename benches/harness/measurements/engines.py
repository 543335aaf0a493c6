"""The Init table's engine columns: `podman stop` and `docker stop` of a
`FROM scratch` image holding every static init. Each `round`'s docstring is
the report's text for it.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time

from ..contestants import Init
from ..helpers import add, is_static, rotated
from .base import TOOL_ERRORS, Measurement


class Engine:
    """One `FROM scratch` image holding every static init and busybox as
    /bin/sleep, in podman (runc) or in a private Docker engine. `kind`:
    "podman" or "docker"."""

    image = "localhost/vigil-bench:latest"

    def __init__(self, kind, inits):
        self.kind, self.notes, self.usable = kind, [], []
        self.ctx = tempfile.mkdtemp(prefix="vigil-bench-")
        self.daemon = None
        if kind == "podman":
            self.cli = ["podman"]
            self.run_opts = ["--runtime", "runc"]
        else:
            self.cli = ["/usr/bin/docker", "-H", f"unix://{self.ctx}/docker.sock"]
            self.run_opts = []
            self.start_dockerd()
        try:
            self.build_image(inits)
        except BaseException:
            self.close()  # the private daemon too
            raise

    def build_image(self, inits):
        # The build context: its own directory (the daemon's data root must
        # not sit inside it).
        img = os.path.join(self.ctx, "image")
        os.makedirs(img)
        lines = ["FROM scratch", "COPY sleep /bin/sleep"]
        shutil.copy2(os.path.realpath(shutil.which("busybox")), os.path.join(img, "sleep"))
        for i in inits:
            if i.sidecar:
                continue
            if not is_static(i.real):
                self.notes.append(
                    f"{i.name}: dynamically linked, no static build in Debian; not in the scratch image."
                )
                continue
            shutil.copy2(i.real, os.path.join(img, i.name))
            lines.append(f"COPY {i.name} /{i.name}")
            self.usable.append(i)
        with open(os.path.join(img, "Containerfile"), "w") as f:
            f.write("\n".join(lines) + "\n")
        build = subprocess.run(
            self.cli + ["build", "-q", "-t", self.image, "-f",
                        os.path.join(img, "Containerfile"), img],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
        if build.returncode != 0:
            raise OSError(f"{self.kind} build: {build.stderr.strip()}")

    def start_dockerd(self):
        """A private dockerd: every path in the temp dir, no bridge, no
        iptables (containers run with --network none)."""
        d = self.ctx
        conf = {
            "data-root": f"{d}/data", "exec-root": f"{d}/exec", "pidfile": f"{d}/docker.pid",
            "hosts": [f"unix://{d}/docker.sock"], "bridge": "none", "iptables": False,
            "ip6tables": False, "ip-forward": False, "ip-masq": False,
            "storage-driver": "overlay2",
        }
        with open(os.path.join(d, "daemon.json"), "w") as f:
            json.dump(conf, f)
        self.log = open(os.path.join(d, "dockerd.log"), "w")
        self.daemon = subprocess.Popen(
            ["/usr/sbin/dockerd", "--config-file", os.path.join(d, "daemon.json")],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while subprocess.run(self.cli + ["version"], capture_output=True).returncode != 0:
            if time.monotonic() > deadline or self.daemon.poll() is not None:
                self.close()
                raise OSError("dockerd never answered (log: dockerd.log in its temp dir)")
            time.sleep(0.1)

    def stop_each(self, rows, r):
        """One round: one container per init (rotated) and one with no init,
        each stopped 0.5 s after it started; the row is `rows[self.kind]`."""
        for who in rotated([None] + self.usable, r):
            name = "none" if who is None else who.name
            entry = ["/bin/sleep", "1000"]
            if who is not None:
                entry = Init(who.name, "/" + who.name, who.kind).argv(entry)
            cname = f"vigil-bench-{os.getpid()}-{r}-{name}"
            subprocess.run(
                self.cli + ["run"] + self.run_opts + ["-d", "--name", cname]
                + ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]
                + ["--network", "none", "--entrypoint", entry[0], self.image] + entry[1:],
                check=True,
                stdout=subprocess.DEVNULL,
                timeout=120,
            )
            time.sleep(0.5)  # past start-up: this measures stop, not early signals
            t = time.monotonic()
            subprocess.run(
                self.cli + ["stop", "-t", "10", cname],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=120,
            )
            add(rows[self.kind], name, time.monotonic() - t)
            subprocess.run(
                self.cli + ["rm", "-f", cname],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=120,
            )

    def close(self):
        subprocess.run(self.cli + ["rmi", "-f", self.image], capture_output=True)
        if self.daemon:
            self.daemon.terminate()
            try:
                self.daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
            self.log.close()
            self.daemon = None
            # overlay mounts under the data root go with the daemon
        shutil.rmtree(self.ctx, ignore_errors=True)


class EngineStop(Measurement):
    """`KIND stop` of every static init: skipped in --quick (unless --KIND) and
    with --no-KIND; an engine that fails is noted (res["KIND_notes"]) and left
    out of the rounds after, the run goes on."""

    kind = None  # and rows = (kind,)

    def __init__(self, run):
        super().__init__(run)
        a, kind = run.args, self.kind
        self.notes = run.notes.setdefault(f"{kind}_notes", [])
        self.engine = None
        if not self.wanted(a):
            self.notes.append(f"skipped (quick mode or --no-{kind}, or {kind} missing).")
            return
        try:
            self.engine = Engine(kind, run.c.inits)
            self.notes.extend(self.engine.notes)
        except TOOL_ERRORS as e:
            self.notes.append(f"{kind} failed: {e}")

    def wanted(self, a):
        raise NotImplementedError

    def label(self):
        return f"{self.kind} stop"

    def skipped(self):
        return self.engine is None

    def stop_each(self, r):
        try:
            self.engine.stop_each(self.run.rows, r)
        except TOOL_ERRORS as x:
            self.notes.append(f"{self.kind} failed in round {r + 1}: {x}")
            self.close()

    def close(self):
        if self.engine is not None:
            self.engine.close()
            self.engine = None


class PodmanStop(EngineStop):
    kind = "podman"
    rows = ("podman",)

    def wanted(self, a):
        return shutil.which("podman") and not a.no_podman and (not a.quick or a.podman)

    def round(self, r):
        """**podman stop**: one `FROM scratch` image holding every static init
        and busybox as `/bin/sleep`; `podman --runtime runc run -d --ulimit
        nofile=1024:1024 --ulimit nproc=4096:4096 --network none --entrypoint
        '[INIT, --, /bin/sleep, 1000]'`, 0.5 s later wall time of `podman stop
        -t 10`; `no init`: `sleep` is PID 1 and ignores TERM, so podman waits
        its 10 s and SIGKILLs."""
        self.stop_each(r)


class DockerStop(EngineStop):
    kind = "docker"
    rows = ("docker",)

    def wanted(self, a):
        have = os.path.exists("/usr/sbin/dockerd") and os.path.exists("/usr/bin/docker")
        return have and not a.no_docker and (not a.quick or a.docker)

    def round(self, r):
        """**docker stop**: the same image and invocation in a private Docker
        engine (its own data root, socket and exec root in a temp dir, no
        bridge, no iptables; `docker run -d --network none --entrypoint INIT
        IMAGE -- /bin/sleep 1000`, then `docker stop -t 10`)."""
        self.stop_each(r)
