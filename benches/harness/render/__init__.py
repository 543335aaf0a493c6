"""Rendering: benchmarks.md (report.py: the sections; targets.py: the Targets
table; cells.py: statistics, units and cells) and benchmarks.svg (chart.py),
from a run's JSON alone.
"""
from .report import render  # noqa: F401
