"""Benchmark of the report runner (prints figures; asserts nothing).

1. One report of each template, first in a fresh kernel (kernel start and imports included),
   then a second one on the warm kernel (issue 12's goal: under 4 s in the runner), each with
   the breakdown of its time from its manifest (the runner's steps, each section's cell, the
   part of the cells spent drawing and saving charts; :mod:`cityindicators.reports.timings`)
   and its CPU seconds by kind of process.
2. The command a user runs for one report, ``cityindicators report --template T --force``, in a
   new process of its own (its imports, the kernel it starts ahead, its exit included).
3. Both reports for every municipality with 2 worker processes (goal: 120 reports under
   3 minutes), every report with its HTML, PDF (when Chromium is there), XLSX/CSV, SVG and
   300-dpi charts.

The machine's load average is printed beside the figures: other work on the same cores slows
every figure down.

Runs on the real lt-osp extract when ../shared/data (or $CITYINDICATORS_SHARED_DATA) is there
(imported and built into a temporary data directory), else on the synthetic demo data.
Peak memory is the largest resident set (RSS) and proportional set (PSS: shared pages divided
among the processes sharing them) of this process and all its children (workers, kernels,
browsers) together, sampled every 0.25 s (PSS every 2 s); CPU seconds and the processes started are printed by
kind of process, and the runner's steps summed from the reports' manifests.

Usage: python benchmarks/bench_reports.py [--jobs 2] [--skip-batch | --batch-only] [--limit N] [--data-dir DIR]
       [--template NAME ...] [--no-print-charts]
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
from cityindicators.reports.pdf import close_browsers
from cityindicators.reports.runner import batch_territories, run_batch, run_report
from cityindicators.reports.timings import breakdown_text

ROOT = Path(__file__).resolve().parents[1]


def process_kind(proc: psutil.Process) -> str:
    """What a process of the tree is: ``kernel``, ``worker``, ``browser`` (Chromium and
    Playwright's driver) or ``batch`` (this process and anything else)."""
    try:
        cmd = " ".join(proc.cmdline())
        name = proc.name()
    except psutil.Error:
        return "gone"
    if "ipykernel" in cmd:
        return "kernel"
    if "multiprocessing" in cmd and "resource_tracker" not in cmd:
        return "worker"
    if "chrom" in name or "chrom" in cmd or "playwright" in cmd:
        return "browser"
    return "batch"


class PeakMemory:
    """Samples the summed memory of this process tree, and the CPU time its processes used,
    by kind of process (:func:`process_kind`).

    CPU seconds are what the work costs whatever else runs on the machine: on a loaded machine
    the wall time grows, the CPU time much less (a process ending between two samples loses up
    to one interval of its CPU time, so the figure is a slight underestimate). Memory is the
    resident set (RSS, which counts the pages several processes share, Chromium's above all,
    once per process) and the proportional set (PSS, each shared page divided among its users:
    what the tree really occupies), both at their peak; ``starts`` counts the distinct kernel,
    worker and browser processes seen (a warm kernel reused by every report of a worker is one)."""

    def __init__(self, interval: float = 0.25, pss_every: int = 8):
        self.interval, self.peak, self.peak_pss, self._stop = interval, 0, 0, threading.Event()
        self.pss_every = pss_every  # PSS reads every process's page map: every 8th sample (2 s) only
        self.sampler_cpu = 0.0
        self._cpu: dict[tuple[int, float], float] = {}
        self._base: dict[tuple[int, float], float] = {}
        self._kind: dict[tuple[int, float], str] = {}
        self.at_peak: dict[str, float] = {}

    @property
    def cpu(self) -> float:
        """CPU seconds (user + system) used by the tree while sampled (the sampler's own left out)."""
        return sum(self.cpu_by_kind().values())

    def cpu_by_kind(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for k, v in self._cpu.items():
            out[self._kind[k]] = out.get(self._kind[k], 0.0) + v - self._base.get(k, 0.0)
        out["batch"] = out.get("batch", 0.0) - self.sampler_cpu
        return out

    def starts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind in self._kind.values():
            out[kind] = out.get(kind, 0) + 1
        return out

    def _sample(self) -> None:
        me = psutil.Process()
        first, n = True, 0
        while not self._stop.is_set():
            total = pss = 0
            with_pss = n % self.pss_every == 0
            n += 1
            by_kind: dict[str, float] = {}
            for p in [me, *me.children(recursive=True)]:
                try:
                    key = (p.pid, p.create_time())
                    if key not in self._kind or time.time() - key[1] < 3:
                        # a process just forked shows its parent's command line until it execs
                        self._kind[key] = process_kind(p)
                    mem = p.memory_full_info() if with_pss else p.memory_info()
                    t = p.cpu_times()
                except psutil.Error:
                    continue
                total += mem.rss
                if with_pss:
                    pss += mem.pss
                    by_kind[self._kind[key]] = by_kind.get(self._kind[key], 0) + mem.pss
                self._cpu[key] = t.user + t.system
                if first:
                    self._base[key] = self._cpu[key]
            first = False
            self.peak = max(self.peak, total)
            if pss > self.peak_pss:
                self.peak_pss, self.at_peak = pss, by_kind
            self.sampler_cpu = time.thread_time()
            time.sleep(self.interval)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def text(self) -> str:
        """Peak memory and CPU seconds by kind of process, one line each."""
        mib = 2**20
        kinds = sorted(set(self._kind.values()) - {"gone"})
        starts = self.starts()
        cpu = self.cpu_by_kind()
        return "\n".join([
            f"  peak memory: RSS {self.peak / mib:.0f} MiB, PSS {self.peak_pss / mib:.0f} MiB; PSS at the peak: "
            + ", ".join(f"{k} {self.at_peak.get(k, 0) / mib:.0f} MiB" for k in kinds),
            "  CPU s by process: " + ", ".join(f"{k} {cpu.get(k, 0):.1f}" for k in kinds),
            "  processes started: " + ", ".join(f"{k} {starts.get(k, 0)}" for k in kinds),
        ])


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


def steps_text(summary, jobs: int = 0, wall: float = 0.0) -> str:
    """The runner's steps summed over the reports written (from their manifests) and the
    computations the reports share, as the batch made them."""
    sums: dict[str, float] = {}
    cpu: dict[str, float] = {}
    in_workers = 0.0  # a report's time up to its PDF: what it kept its worker busy
    shared: dict[str, int] = {}
    written = 0
    for r in summary.results:
        manifest = Path(r.output_dir) / "manifest.json"
        if r.status != "ok" or not manifest.exists():
            continue
        m = json.loads(manifest.read_text(encoding="utf-8"))
        written += 1
        t = m.get("timings", {})
        in_workers += float(t.get("total_s", 0.0)) - float(t.get("steps", {}).get("pdf_s", 0.0))
        for step, sec in m.get("timings", {}).get("steps", {}).items():
            sums[step] = sums.get(step, 0.0) + float(sec)
        for step, sec in m.get("timings", {}).get("steps_cpu", {}).items():
            cpu[step] = cpu.get(step, 0.0) + float(sec)
        for key, how in m.get("shared", {}).items():
            shared[how] = shared.get(how, 0) + 1
    if not written:
        return "  (no report written)"
    lines = ["  runner's steps, mean wall s per report: "
             + ", ".join(f"{k.removesuffix('_s')} {v / written:.2f}" for k, v in sums.items())]
    if cpu:  # the runner's own CPU in each step (the kernel's and the browser's are in the lines above)
        lines.append(f"  runner's steps, mean CPU s per report (the runner's thread, {sum(cpu.values()) / written:.2f} in all): "
                     + ", ".join(f"{k.removesuffix('_s')} {v / written:.2f}" for k, v in cpu.items()))
    if jobs > 1 and wall > 0:  # idle workers: the batch's start and end, or reports waiting for the printer
        lines.append(f"  workers busy {100 * in_workers / (jobs * wall):.0f} % of the batch's wall time "
                     f"({jobs} workers, {wall:.0f} s); the batch process printed PDFs {sums.get('pdf_s', 0.0):.0f} s "
                     f"of it ({100 * sums.get('pdf_s', 0.0) / wall:.0f} %)")
    if shared:
        lines.append("  shared inputs of the reports: " + ", ".join(f"{how} {k}" for how, k in sorted(shared.items())))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-batch", action="store_true")
    ap.add_argument("--batch-only", action="store_true", help="the batch alone (no single reports before it)")
    ap.add_argument("--limit", type=int, default=0, help="batch of the first N municipalities only (0: all)")
    ap.add_argument("--data-dir", type=Path, help="an already built data directory (default: build one)")
    ap.add_argument("--template", action="append", choices=("situation_analysis", "scenarios"),
                    help="the single reports and commands of this template only (repeatable; default both)")
    ap.add_argument("--no-print-charts", action="store_true",
                    help="the reports without the charts' SVG and 300-dpi PNG (report --no-print-charts)")
    args = ap.parse_args()
    singles = () if args.batch_only else (args.template or ("situation_analysis", "scenarios"))
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
        for template in singles:
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
                print(mem.text())
                manifest = Path(res.output_dir) / "manifest.json"
                if res.status == "ok" and manifest.exists():
                    print(breakdown_text(json.loads(manifest.read_text(encoding="utf-8"))["timings"]))
                else:
                    print(f"  {res.error}")
        close_kernels()  # this process's kernel and browser: not in the command's figures
        close_browsers()
        for template in singles:
            # what a user waits for: a new process (its imports, its kernel started ahead, its exit)
            cmd = [sys.executable, "-m", "cityindicators", "--data-dir", str(data), "report", "--territory", territory,
                   "--template", template, "--lang", "lt", "--output-dir", str(tmp / "cli"), "--force", "--no-progress"]
            if args.no_print_charts:
                cmd.append("--no-print-charts")
            with PeakMemory() as mem:
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, text=True)
                dt = time.perf_counter() - t0
            print(f"the command `cityindicators report --template {template} --force` ({territory}): {dt:.1f} s, "
                  f"{mem.cpu:.1f} CPU s, exit code {proc.returncode}, load average {os.getloadavg()[0]:.1f}")
            print(mem.text().replace("batch ", "command "))
            if proc.returncode:
                print("  " + proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "  (no message)")
        if args.skip_batch:
            return 0
        # the single reports' kernel and browser live in this process: gone before the batch, so
        # that its figures are the batch's own (the command line's batch process has neither)
        close_kernels()
        close_browsers()
        which = batch_territories("all", data)[: args.limit] if args.limit else "all"
        with PeakMemory() as mem:
            t0 = time.perf_counter()
            summary = run_batch(which, ["situation_analysis", "scenarios"], language="lt", jobs=args.jobs,
                                output_dir=tmp / "all", data_dir=data, progress=True,
                                print_charts=not args.no_print_charts)
            dt = time.perf_counter() - t0
        c = summary.counts()
        n = len(summary.results)
        print(f"both reports for {len(which) if args.limit else 'all'} municipalities, {args.jobs} worker processes: {n} reports "
              f"in {dt:.0f} s = {dt / 60:.1f} min (goal < 3 min), {mem.cpu:.0f} CPU s "
              f"({mem.cpu / max(c['ok'], 1):.1f} per report written); {c}; "
              f"peak memory {mem.peak / 2**20:.0f} MiB; load average {os.getloadavg()[0]:.1f}")
        print(mem.text())
        print(steps_text(summary, args.jobs, dt))
        if n < 120 and c["ok"]:
            # the batch's fixed cost (workers, kernels, browsers starting; what all reports share)
            # is paid once, so scaling the whole batch overstates a little
            print(f"  120 reports, scaled from these {n}: {dt * 120 / n / 60:.1f} min wall at this load; "
                  f"{mem.cpu * 120 / n / 60:.1f} min of CPU, i.e. at least {mem.cpu * 120 / n / os.cpu_count() / 60:.1f} min "
                  f"on {os.cpu_count()} cores")
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
