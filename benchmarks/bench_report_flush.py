"""Benchmark of putting a report's files on disk (prints figures; asserts nothing).

A report's staging folder holds some 60 files (HTML, notebook, PDF, workbook, CSV tables, the
charts as PNG, SVG and 300-dpi PNG). Two ways of making them durable are compared, on made-up
files of a report's sizes, in a folder of the file system given (default: the temporary
folder's; the report's output folder's is the one that counts):

* ``flush each`` - every file written atomically and flushed with its folder as it is written
  (``atomic_write_bytes``), as the runner did until it flushed the folder at publish;
* ``flush at once`` - every file written atomically without a flush (``durable=False``) and the
  whole folder flushed in one pass just before it is published (:func:`cityindicators._io.fsync_tree`).

Wall time is what counts here (a flush waits for the disk, it costs little CPU); CPU seconds
are printed beside it. Rounds alternate the two ways, so that other work on the machine weighs
on both alike; the best and the median of the rounds are printed, with the load average.

Usage: python benchmarks/bench_report_flush.py [--rounds 5] [--files 60] [--dir DIR]
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import parser, peak_rss_mib

from cityindicators._io import atomic_write_bytes, fsync_tree


def write_report(folder: Path, files: int, durable: bool) -> None:
    """``files`` made-up files of a report's sizes (a few large, most small) in ``folder`` and
    its ``charts/`` and ``tables/``."""
    (folder / "charts").mkdir(parents=True)
    (folder / "tables").mkdir()
    for i in range(files):
        where = "charts" if i % 3 else "tables"
        size = 400_000 if i < 4 else 30_000
        atomic_write_bytes(folder / where / f"{i:02d}.bin", os.urandom(size), durable=durable)
    if not durable:
        fsync_tree(folder)


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--files", type=int, default=60)
    ap.add_argument("--dir", type=Path, default=None, help="a folder on the file system to measure (default: temporary)")
    args = ap.parse_args()
    times: dict[str, list[tuple[float, float]]] = {"flush each": [], "flush at once": []}
    with tempfile.TemporaryDirectory(prefix="bench-flush-", dir=args.dir) as tmp:
        for r in range(args.rounds):
            for way in times:
                folder = Path(tmp) / f"{r}-{way.replace(' ', '-')}"
                t0, c0 = time.perf_counter(), time.process_time()
                write_report(folder, args.files, durable=way == "flush each")
                times[way].append((time.perf_counter() - t0, time.process_time() - c0))
                shutil.rmtree(folder)
    print(f"{args.files} files of a report, {args.rounds} rounds; load average {os.getloadavg()[0]:.1f}")
    for way, runs in times.items():
        walls = [w for w, _ in runs]
        cpus = [c for _, c in runs]
        print(f"  {way:14s} wall s best {min(walls):.3f}, median {statistics.median(walls):.3f}; "
              f"CPU s median {statistics.median(cpus):.3f}")
    print(f"  peak memory {peak_rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
