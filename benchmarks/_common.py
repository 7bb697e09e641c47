"""Helpers for the benchmark scripts: where the real data is, and measuring time and memory."""

from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CITYINDICATORS_SHARED_DATA", ROOT.parent / "shared" / "data"))


def require_shared() -> Path:
    if not (SHARED / "lt-osp" / "population.csv").exists():
        print(f"skipped: real data not found at {SHARED} (set CITYINDICATORS_SHARED_DATA)")
        sys.exit(0)
    return SHARED


def peak_rss_mib() -> float:
    """Peak resident memory of this process and its finished children, MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


@contextmanager
def measure(label: str, trace: bool = False):
    """Print wall time and the process's peak RSS for the block.

    With ``trace`` (or ``BENCH_TRACE=1``) also the peak of Python allocations (tracemalloc),
    which slows the block down several times: the time printed is then not the figure to quote.
    """
    trace = trace or os.environ.get("BENCH_TRACE") == "1"
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - t0
        extra = ""
        if trace:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            extra = f", peak traced Python memory {peak / 2**20:.0f} MiB (timing slowed by tracing)"
        print(f"{label}: {seconds:.2f} s, process peak RSS {peak_rss_mib():.0f} MiB{extra}")
