"""Helpers for the benchmark scripts: where the real data is, and measuring time and memory."""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

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


def parser(doc: str, trace_help: str = "also report the tracemalloc peak (slower)") -> argparse.ArgumentParser:
    """The options of a benchmark: described by its docstring's first line, with ``--trace``."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--trace", action="store_true", help=trace_help)
    return ap


@dataclass
class Trace:
    """The peak of Python allocations traced in a block, as the text a benchmark line ends with."""

    peak_mib: float | None = None

    @property
    def text(self) -> str:
        return "" if self.peak_mib is None else f", traced peak {self.peak_mib:.0f} MiB"


@contextmanager
def traced(trace: bool) -> Iterator[Trace]:
    """Trace Python allocations (tracemalloc, which counts numpy buffers) in the block when
    ``trace``; the :class:`Trace` it gives holds the peak afterwards (nothing without ``trace``)."""
    out = Trace()
    if trace:
        tracemalloc.start()
    try:
        yield out
    finally:
        if trace:
            out.peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()


@contextmanager
def measure(label: str, trace: bool = False):
    """Print wall time and the process's peak RSS for the block.

    With ``trace`` (or ``BENCH_TRACE=1``) also the peak of Python allocations (tracemalloc),
    which slows the block down several times: the time printed is then not the figure to quote.
    """
    trace = trace or os.environ.get("BENCH_TRACE") == "1"
    t0 = time.perf_counter()
    try:
        with traced(trace) as peak:
            yield
    finally:
        seconds = time.perf_counter() - t0
        extra = f"{peak.text} (timing slowed by tracing)" if trace else ""
        print(f"{label}: {seconds:.2f} s, process peak RSS {peak_rss_mib():.0f} MiB{extra}")
