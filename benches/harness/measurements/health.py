"""The Health table's measurements: asking "is it healthy?" per call (`vigil
health` beside a probe of the app and two supervisors' status commands), the
time from the app's readiness to vigil's (beside Docker's own HEALTHCHECK),
and vigil's wake-ups once ready. Each `round`'s docstring is the report's text.
"""
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

from ..contestants import health_cmds
from ..helpers import add, child, end, hyperfine, kill_quiet, median, p99, rotated, wait_for
from .base import TOOL_ERRORS, Measurement
from .probes import http_ports


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready_line(proc, limit):
    """Reads vigil's stderr until its `ready after` line, at most `limit`
    seconds; returns the CLOCK_MONOTONIC reading taken when it arrived."""
    deadline = time.monotonic() + limit
    buf = b""
    fd = proc.stderr.fileno()
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
        if b"vigil: ready after " in buf:
            return time.clock_gettime(time.CLOCK_MONOTONIC)
    raise OSError(f"vigil never said it was ready: {buf.decode(errors='replace')!r}")


class HealthQuery(Measurement):
    rows = ("health_median", "health_p99")

    def __init__(self, run):
        super().__init__(run)
        c = run.c
        self.dir = tempfile.mkdtemp(prefix="vigil-bench-health-")
        self.procs = []
        url = f"http://127.0.0.1:{http_ports(run)[0]}/"
        # vigil in a mount namespace of its own: `vigil health` finds the
        # vigil of its container by the mount namespace, and this machine may
        # run others (tests) in its own.
        vigil = c.vigils[0][1]
        self.vigil = self.start(
            ["unshare", "--mount", "--propagation", "private", vigil, "-q", "--ready", url,
             "--", "sleep", "100000"]
        )
        self.ns = ["nsenter", "-m", "-t", str(self.vigil.pid)]
        asked = lambda: subprocess.run(self.ns + [vigil, "health", "-q"]).returncode == 0
        if not wait_for(asked, 10, 0.05):
            self.close()
            raise OSError("the benchmark's vigil never turned ready")
        # supervisord running `sleep`, its RPC on a unix socket.
        conf = os.path.join(self.dir, "supervisord.conf")
        with open(conf, "w") as f:
            f.write(
                f"[unix_http_server]\nfile={self.dir}/supervisor.sock\n"
                f"[supervisord]\nlogfile={self.dir}/supervisord.log\npidfile={self.dir}/sv.pid\n"
                "[rpcinterface:supervisor]\n"
                "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
                f"[supervisorctl]\nserverurl=unix://{self.dir}/supervisor.sock\n"
                "[program:app]\ncommand=sleep 100000\n"
            )
        self.start([c.supervisord, "-n", "-c", conf])
        up = lambda: b"RUNNING" in subprocess.run(
            [c.supervisorctl, "-c", conf, "status", "app"], capture_output=True
        ).stdout
        # s6-supervise running the same.
        svc = os.path.join(self.dir, "s6")
        os.makedirs(svc)
        shutil.copy2(child("s6_service.sh"), os.path.join(svc, "run"))
        self.start(["s6-supervise", svc])
        s6_up = lambda: subprocess.run(
            ["s6-svstat", svc], capture_output=True
        ).stdout.startswith(b"up")
        if not (wait_for(up, 15, 0.05) and wait_for(s6_up, 10, 0.05)):
            self.close()
            raise OSError("supervisord or s6-supervise never ran the service")
        self.cmds = health_cmds(c.vigils, url, conf, c.supervisorctl, svc)

    def start(self, argv):
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def label(self):
        return "asking for health"

    def round(self, r):
        """**per call**: per round `hyperfine -N`, {probe_runs} runs of each,
        exec included, median and p99; hyperfine itself runs in the mount
        namespace of a vigil (`unshare --mount`, `--ready` on the HTTP table's
        healthy server, a container's view: `vigil health` finds its vigil by
        the mount namespace). `vigil health -q` reads vigil's state; `vigil
        check -q URL` and `curl -fsS -o /dev/null URL` probe the app itself;
        `supervisorctl -c CONF status app` asks supervisord {supervisor} (from
        PyPI, XML-RPC over a unix socket) about a `sleep`, as the HEALTHCHECK
        of images that run supervisord does; `s6-svstat DIR` reads the status
        file of s6-supervise (Debian s6 {s6}) running the same."""
        runs = self.N["probe_runs"]
        order = {n: self.cmds[n] for n in rotated(self.cmds, r)}
        hf = hyperfine(order, runs, warmup=max(2, runs // 10), prefix=self.ns)
        for n in self.cmds:
            t = hf[n]["times"]
            add(self.row("health_median"), n, median(t), t, failed=hf[n]["failed"])
            add(self.row("health_p99"), n, p99(t))

    def close(self):
        for p in self.procs:
            kill_quiet(p.pid, 15)
            end(p)
        self.procs = []
        shutil.rmtree(self.dir, ignore_errors=True)


DOCKERFILE = """FROM scratch
COPY vigil /vigil
COPY busybox /bin/busybox
COPY index.html /www/index.html
HEALTHCHECK --interval=1s --timeout=3s --start-period=30s CMD ["/vigil", "check", "-q", "http://127.0.0.1:8080/"]
ENTRYPOINT ["/bin/busybox", "sh", "-c", "/bin/busybox sleep 0.5; /bin/busybox cat /proc/uptime; exec /bin/busybox httpd -f -p 8080 -h /www"]
"""


class TimeToReady(Measurement):
    rows = ("ready_delay",)

    def __init__(self, run):
        super().__init__(run)
        self.docker, self.notes = None, run.notes.setdefault("ready_notes", [])
        a = run.args
        have = os.path.exists("/usr/sbin/dockerd") and os.path.exists("/usr/bin/docker")
        if not (have and not a.no_docker and (not a.quick or a.docker)):
            self.notes.append("Docker's HEALTHCHECK: skipped (quick mode or --no-docker).")
            return
        from .engines import Engine

        try:
            self.docker = Engine("docker", [])
            img = os.path.join(self.docker.ctx, "ready")
            os.makedirs(img)
            shutil.copy2(run.c.vigils[0][1], os.path.join(img, "vigil"))
            shutil.copy2(os.path.realpath(shutil.which("busybox")), os.path.join(img, "busybox"))
            with open(os.path.join(img, "Dockerfile"), "w") as f:
                f.write(DOCKERFILE)
            with open(os.path.join(img, "index.html"), "w") as f:
                f.write("ok\n")
            subprocess.run(self.docker.cli + ["build", "-q", "-t", "vigil-bench-ready", img],
                           check=True, capture_output=True, timeout=300)
        except TOOL_ERRORS as e:
            self.notes.append(f"docker failed: {e}")
            self.close()

    def label(self):
        return "time to ready"

    def vigil_once(self, path):
        port = free_port()
        p = subprocess.Popen(
            [path, "--ready", f"http://127.0.0.1:{port}/", "--", "python3", child("ready_app.py"),
             str(port), "0.5"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            listening = float(p.stdout.readline().split()[1])
            return ready_line(p, 10) - listening
        finally:
            kill_quiet(p.pid, 15)
            end(p)

    def docker_once(self, r):
        cli, name = self.docker.cli, f"vigil-bench-ready-{os.getpid()}-{r}"
        events = subprocess.Popen(
            cli + ["events", "--filter", f"container={name}", "--filter", "event=health_status",
                   "--format", "{{.Status}}"],
            stdout=subprocess.PIPE, text=True,
        )
        try:
            subprocess.run(cli + ["run", "-d", "--name", name, "--network", "none",
                                  "vigil-bench-ready"], check=True, capture_output=True, timeout=120)
            deadline = time.monotonic() + 60
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([events.stdout], [], [], left)[0]:
                    raise OSError("no health_status: healthy within 60 s")
                line = events.stdout.readline()
                if not line:
                    raise OSError("docker events ended")
                if line.strip().endswith(": healthy"):
                    break
            healthy = time.clock_gettime(time.CLOCK_BOOTTIME)
            logs = subprocess.run(cli + ["logs", name], capture_output=True, text=True).stdout
            return healthy - float(logs.split()[0])
        finally:
            events.kill()
            events.wait()
            subprocess.run(cli + ["rm", "-f", name], capture_output=True)

    def round(self, r):
        """**time to ready**: the app (benches/children/ready_app.py) starts
        listening 0.5 s after it starts; the figure is the time from its
        listen(2) (CLOCK_MONOTONIC) to vigil's `ready after` line, i.e. the
        time from which `vigil health` passes, with `vigil --ready URL` and
        its defaults (the fast start: a probe every 250 ms until the first
        pass); {ready_runs} starts per round, their median. Beside it, Docker's
        own HEALTHCHECK (`--interval=1s`, `vigil check` as its command) of the
        same app in a `FROM scratch` image in a private dockerd, from the
        app's start (/proc/uptime, CLOCK_BOOTTIME) to the daemon's
        `health_status: healthy` event; one container per round."""
        for name, path in rotated(self.c.vigils, r):
            ds = [self.vigil_once(path) for _ in range(self.N["ready_runs"])]
            add(self.row("ready_delay"), f"{name} --ready", median(ds), ds)
        if self.docker is not None:
            try:
                add(self.row("ready_delay"), "docker HEALTHCHECK --interval=1s", self.docker_once(r))
            except TOOL_ERRORS as e:
                self.notes.append(f"docker failed in round {r + 1}: {e}")
                self.close()

    def close(self):
        if self.docker is not None:
            subprocess.run(self.docker.cli + ["rmi", "-f", "vigil-bench-ready"], capture_output=True)
            self.docker.close()
            self.docker = None


class ReadyIdle(Measurement):
    rows = ("ready_wakeups",)

    def label(self):
        return "wake-ups once ready"

    def round(self, r):
        """**wake-ups once ready**: `vigil --ready URL --ready-interval 1s --
        sleep 1000` against the HTTP table's healthy server; from 0.5 s after
        its `ready after` line, the context switches (voluntary and not) of
        vigil itself over {ready_idle_s} s: the probes' own, a wake-up to fork
        each and one to reap it, about two a second; nothing else."""
        url = f"http://127.0.0.1:{http_ports(self.run)[0]}/"
        for name, path in rotated(self.c.vigils, r):
            p = subprocess.Popen(
                [path, "--ready", url, "--ready-interval", "1s", "--", "sleep", "1000"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            try:
                ready_line(p, 10)
                time.sleep(0.5)
                before = switches(p.pid)
                time.sleep(self.N["ready_idle_s"])
                add(self.row("ready_wakeups"), f"{name} --ready, 1 s interval",
                    switches(p.pid) - before)
            finally:
                kill_quiet(p.pid, 15)
                end(p)


def switches(pid):
    n = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                n += int(line.split()[1])
    return n


class TermUnderFlood(Measurement):
    rows = ("flood_term_median", "flood_term_p99")

    def label(self):
        return "TERM latency under a flood of vigil health"

    def round(self, r):
        """**TERM latency under a flood**: vigil in a mount namespace of its
        own (`unshare --mount`) with the TERM latency's catcher as PROGRAM and
        VIGIL_GRACE=1h; {term_per_round} SIGTERMs 2 ms apart, time from just
        before kill() to the catcher's handler, median and p99, while a shell
        starts {flood_calls} `vigil health -q` at once in that namespace
        (`nsenter -m`), each one a connection vigil answers; beside it, the
        same while the {flood_calls} processes run `vigil check -q file:///`
        instead, the same execs and load without a connection to vigil. Both
        in every round, in a rotated order."""
        path = self.c.vigils[0][1]
        env = dict(os.environ, VIGIL_GRACE="1h")
        for kind in rotated(("flood of vigil health", "flood of vigil check file:///"), r):
            p = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", path, "--", "python3",
                 child("term_catcher.py")],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=env,
            )
            flood = None
            catcher = None  # the catcher outlives a SIGKILLed vigil: killed by pid
            try:
                ready = p.stdout.readline().split()
                catcher = int(ready[1]) if len(ready) == 2 and ready[1].isdigit() else None
                time.sleep(0.1)
                ask = "health -q" if "health" in kind else "check -q file:///"
                flood = subprocess.Popen(
                    ["sh", "-c", f"i=0; while [ $i -lt {self.N['flood_calls']} ]; do "
                     f"nsenter -m -t {p.pid} {path} {ask} & i=$((i+1)); done; wait"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
                time.sleep(0.05)
                lats = []
                for _ in range(self.N["term_per_round"]):
                    t = time.monotonic_ns()
                    os.kill(p.pid, signal.SIGTERM)
                    if not select.select([p.stdout], [], [], 5)[0]:
                        break
                    lats.append((int(p.stdout.readline()) - t) / 1000.0)
                    time.sleep(0.002)
                add(self.row("flood_term_median"), kind, median(lats), lats)
                add(self.row("flood_term_p99"), kind, p99(lats))
            finally:
                if flood is not None:
                    end(flood, 60)
                kill_quiet(p.pid)
                if catcher is not None:
                    kill_quiet(catcher)
                end(p)
