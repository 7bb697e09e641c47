"""Benchmark: start-up time of the light ``cityindicators`` commands (whole process).

Each command runs as a fresh process (``python -m cityindicators ...``, as the installed
``cityindicators`` script does) several times; the median wall time and the largest peak RSS
are printed. Then ``python -X importtime`` names the slowest imports of ``resolve``, which shows
what a slow start spends its time on. Target (issue 10): resolve, municipalities,
scenarios --list and --help under 0.3 s each. The machine is shared: quote medians, not minima,
beside the first line (a bare ``python -c pass``), the floor that load puts under every figure.

Run: python benchmarks/bench_cli_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = (
    ("--help",),
    ("resolve", "--help"),
    ("resolve", "Visaginas"),
    ("municipalities",),
    ("scenarios", "--list"),
)


def _run_once(args: tuple[str, ...] | None, data_dir: str) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and exit code of one process (``None``: a bare interpreter)."""
    argv = ["-c", "pass"] if args is None else ["-m", "cityindicators", "--data-dir", data_dir, *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # wait4 gives this child's own resource usage (getrusage(RUSAGE_CHILDREN) is a running maximum).
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, proc.returncode


def _slowest_imports(args: tuple[str, ...], data_dir: str, n: int = 8) -> list[tuple[float, str]]:
    """The ``n`` slowest third-party packages imported (cumulative seconds, package name).

    A package's line in the importtime output includes everything it imports itself, so
    ``pandas`` includes ``numpy`` when pandas imported it first.
    """
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "cityindicators", "--data-dir", data_dir, *args],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+\s+\|\s+(\d+)\s+\|\s*(\S+)$", line)
        if m and "." not in m.group(2) and not m.group(2).startswith("_") and m.group(2) not in sys.stdlib_module_names:
            rows.append((int(m.group(1)) / 1e6, m.group(2)))
    return sorted(rows, reverse=True)[:n]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="runs per command (median reported)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as data_dir:
        os.environ.pop("CITYINDICATORS_DATA_DIR", None)
        _run_once(("--help",), data_dir)  # warm the file cache and bytecode
        print(f"{'command':32s} {'median s':>9s} {'min s':>7s} {'max s':>7s} {'peak RSS MiB':>13s}  (target < 0.3 s)")
        for cmd in (None, *COMMANDS):
            runs = [_run_once(cmd, data_dir) for _ in range(args.runs)]
            times = [r[0] for r in runs]
            status = {r[2] for r in runs}
            note = "" if status == {0} else f"  exit {sorted(status)}"
            label = " ".join(cmd) if cmd else "(python -c pass: start-up floor)"
            print(f"{label:32s} {statistics.median(times):9.3f} {min(times):7.3f} {max(times):7.3f} "
                  f"{max(r[1] for r in runs):13.0f}{note}")
        print("\nslowest packages imported by `resolve Visaginas` (python -X importtime, cumulative):")
        for seconds, module in _slowest_imports(("resolve", "Visaginas"), data_dir):
            print(f"  {seconds:6.3f} s  {module}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
