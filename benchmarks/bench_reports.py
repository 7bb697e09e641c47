"""Benchmark of the report runner (prints figures; asserts nothing).

1. One report of each template, first in a fresh kernel (kernel start and imports included),
   then a second one on the warm kernel (issue 12's goal: under 4 s in the runner), each with
   the breakdown of its time from its manifest (the runner's steps, each section's cell, the
   part of the cells spent drawing and saving charts; :mod:`cityindicators.reports.timings`).
2. Both reports for every municipality with 2 worker processes (goal: 120 reports under
   3 minutes), every report with its HTML, PDF (when Chromium is there), XLSX/CSV, SVG and
   300-dpi charts.

The machine's load average is printed beside the figures: other work on the same cores slows
every figure down.

Runs on the real lt-osp extract when ../shared/data (or $CITYINDICATORS_SHARED_DATA) is there
(imported and built into a temporary data directory), else on the synthetic demo data.
Peak memory is the largest resident set of this process and all its children (workers and
kernels) together, sampled every 0.2 s.

Usage: python benchmarks/bench_reports.py [--jobs 2] [--skip-batch] [--limit N] [--data-dir DIR] [--no-print-charts]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from cityindicators.config import SHARED_DATA_ENV
from cityindicators.reports.kernels import close_kernels
from cityindicators.reports.runner import batch_territories, run_batch, run_report
from cityindicators.reports.timings import breakdown_text

ROOT = Path(__file__).resolve().parents[1]


class PeakMemory:
    """Samples the summed RSS of this process tree, and the CPU time its processes used.

    CPU seconds are what the work costs whatever else runs on the machine: on a loaded machine
    the wall time grows, the CPU time much less (a process ending between two samples loses up
    to one interval of its CPU time, so the figure is a slight underestimate)."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._cpu: dict[tuple[int, float], float] = {}
        self._base: dict[tuple[int, float], float] = {}

    @property
    def cpu(self) -> float:
        """CPU seconds (user + system) used by the tree while sampled."""
        return sum(v - self._base.get(k, 0.0) for k, v in self._cpu.items())

    def _sample(self) -> None:
        me = psutil.Process()
        first = True
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                    t = p.cpu_times()
                    key = (p.pid, p.create_time())
                    self._cpu[key] = t.user + t.system
                    if first:
                        self._base[key] = self._cpu[key]
                except psutil.Error:
                    pass
            first = False
            self.peak = max(self.peak, total)
            time.sleep(self.interval)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def prepare_data(tmp: Path) -> tuple[Path, str, str]:
    shared = Path(os.environ.get(SHARED_DATA_ENV, ROOT.parent / "shared" / "data"))
    data = tmp / "data"
    if (shared / "lt-osp" / "population.csv").exists():
        cmd = [sys.executable, "-m", "cityindicators", "--data-dir", str(data)]
        subprocess.run(cmd + ["import", "osp-extract", str(shared / "lt-osp")], check=True, capture_output=True)
        subprocess.run(cmd + ["build"], check=True, capture_output=True)
        return data, "Visaginas", "real lt-osp extract (60 municipalities)"
    from cityindicators.demo import build_demo

    build_demo(data)
    return data, "X13", "synthetic demo data (8 municipalities)"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-batch", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="batch of the first N municipalities only (0: all)")
    ap.add_argument("--data-dir", type=Path, help="an already built data directory (default: build one)")
    ap.add_argument("--no-print-charts", action="store_true",
                    help="the reports without the charts' SVG and 300-dpi PNG (report --no-print-charts)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        tmp = Path(tmp)
        if args.data_dir:
            data = args.data_dir.resolve()
            real = not batch_territories("all", data)[0].startswith("X")
            territory, label = ("Visaginas", f"{data} (real)") if real else ("X13", f"{data} (demo)")
        else:
            data, territory, label = prepare_data(tmp)
        print(f"data: {label}; cpus: {os.cpu_count()}; charts: "
              f"{'screen PNG only (--no-print-charts)' if args.no_print_charts else 'screen PNG, SVG and 300-dpi PNG'}")
        from cityindicators.reports.pdf import pdf_unavailable

        print(f"PDF: {pdf_unavailable() or 'printed by Chromium'}; load average {os.getloadavg()[0]:.1f}")
        for template in ("situation_analysis", "scenarios"):
            for label in ("cold kernel", "warm kernel"):
                if label == "cold kernel":
                    close_kernels()  # the first report of a template in a fresh kernel
                with PeakMemory() as mem:
                    t0 = time.perf_counter()
                    res = run_report(template, territory, language="lt", output_dir=tmp / "one", data_dir=data,
                                     force=True, print_charts=not args.no_print_charts)
                    dt = time.perf_counter() - t0
                print(f"one {template} report ({territory}, {label}): {dt:.1f} s in the runner (goal < 4 s), "
                      f"{mem.cpu:.1f} CPU s, status {res.status}, peak memory {mem.peak / 2**20:.0f} MiB, "
                      f"load average {os.getloadavg()[0]:.1f}")
                manifest = Path(res.output_dir) / "manifest.json"
                if res.status == "ok" and manifest.exists():
                    print(breakdown_text(json.loads(manifest.read_text(encoding="utf-8"))["timings"]))
                else:
                    print(f"  {res.error}")
        if args.skip_batch:
            return 0
        which = batch_territories("all", data)[: args.limit] if args.limit else "all"
        with PeakMemory() as mem:
            t0 = time.perf_counter()
            summary = run_batch(which, ["situation_analysis", "scenarios"], language="lt", jobs=args.jobs,
                                output_dir=tmp / "all", data_dir=data, progress=True,
                                print_charts=not args.no_print_charts)
            dt = time.perf_counter() - t0
        c = summary.counts()
        print(f"both reports for {len(which) if args.limit else 'all'} municipalities, {args.jobs} worker processes: {len(summary.results)} reports "
              f"in {dt:.0f} s = {dt / 60:.1f} min (goal < 3 min), {mem.cpu:.0f} CPU s "
              f"({mem.cpu / max(c['ok'], 1):.1f} per report written); {c}; "
              f"peak memory {mem.peak / 2**20:.0f} MiB; load average {os.getloadavg()[0]:.1f}")
        if summary.failed:
            print(summary.text())
        again_t0 = time.perf_counter()
        again = run_batch(which, ["situation_analysis", "scenarios"], language="lt", jobs=args.jobs,
                          output_dir=tmp / "all", data_dir=data, progress=False,
                          print_charts=not args.no_print_charts)
        print(f"re-run with unchanged inputs: {again.counts()['skipped']} skipped in "
              f"{time.perf_counter() - again_t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
