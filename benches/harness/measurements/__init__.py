"""The measurements, one class per kind of figure (base.Measurement), and
ROUND: the order they run in within every round. A new row is a new class
here, in the module of its report table.
"""
from .engines import DockerStop, PodmanStop
from .health import HealthQuery, ReadyIdle, TermUnderFlood, TimeToReady
from .inits import EarlyTerm, Reap, RssIdle, Startup, TermLatency
from .log_prefix import PrefixThroughput, TermUnderOutputFlood
from .probes import GrpcProbe, HttpNeverAnswering, HttpProbe

ROUND = (
    Startup,
    RssIdle,
    Reap,
    TermLatency,
    EarlyTerm,
    PodmanStop,
    DockerStop,
    HttpProbe,
    HttpNeverAnswering,
    GrpcProbe,
    HealthQuery,
    TimeToReady,
    ReadyIdle,
    TermUnderFlood,
    PrefixThroughput,
    TermUnderOutputFlood,
)
