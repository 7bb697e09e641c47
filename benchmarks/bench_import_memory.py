"""Benchmark: memory and time of `import osp-extract` on large synthetic extracts.

Issue 11: a 210 MB extract peaked at 5.9 GB and took 163 s before its (correct) error. The
import now reads in chunks; its memory must stay under 1 GB and its time grow linearly with the
file. A population table has at most one row per territory, year and age, so a valid file
cannot grow without bound: the synthetic extracts here are valid files of about a quarter,
half and all of the possible key space (71 territories x 151 years x 87 ages), and a 210 MB
file that repeats the whole key space (its correct error: duplicate rows). Each import runs in
a fresh child process, so the peak RSS printed is that import's own.

Run: python benchmarks/bench_import_memory.py  (writes about 300 MB to a temporary folder)
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "Territory;Year;Age;Total;Men;Women\n"
FIRST_YEAR, LAST_YEAR = 1950, 2100  # the plausible years schema.validate accepts


def _territories() -> list[str]:
    from cityindicators.geography import get_register

    reg = get_register()
    return [t.name_lt for t in reg if not t.synthetic and t.kind in ("country", "county", "municipality")]


def _block(territory: str, year: int) -> str:
    """One territory-year of a population table whose sexes and ages add up (invented numbers)."""
    men = [200 + (year * 7 + a * 13) % 97 for a in range(86)]
    women = [210 + (year * 11 + a * 5) % 89 for a in range(86)]
    rows = [f"{territory};{year};-1;{sum(men) + sum(women)};{sum(men)};{sum(women)}\n"]
    rows += [f"{territory};{year};{a};{m + w};{m};{w}\n" for a, (m, w) in enumerate(zip(men, women))]
    return "".join(rows)


def write_extract(folder: Path, share: float = 1.0, repeat: int = 1) -> Path:
    """``population.csv`` covering ``share`` of the years, the whole written ``repeat`` times."""
    folder.mkdir(parents=True)
    years = range(FIRST_YEAR, FIRST_YEAR + max(1, round(share * (LAST_YEAR - FIRST_YEAR + 1))))
    terrs = _territories()
    with open(folder / "population.csv", "w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for _ in range(repeat):
            for year in years:
                fh.write("".join(_block(t, year) for t in terrs))
    return folder / "population.csv"


def child(folder: str, data: str) -> None:
    """Run the import in this (fresh) process and print its time, peak RSS and outcome."""
    from cityindicators.cli import main

    t0 = time.perf_counter()
    sys.stdout = open(os.devnull, "w")  # the summary is not the figure
    code = main(["--data-dir", data, "import", "osp-extract", folder])
    sys.stdout = sys.__stdout__
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{time.perf_counter() - t0:.2f} {peak:.0f} {code}")


def measure(label: str, csv: Path, data: Path) -> tuple[float, float]:
    out = subprocess.run([sys.executable, __file__, "--child", str(csv.parent), str(data)], capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        raise SystemExit(f"{label}: the child failed:\n{out.stderr}")
    seconds, peak, code = out.stdout.split()
    size = csv.stat().st_size / 2**20
    outcome = "imported" if code == "0" else f"refused (exit {code}: {out.stderr.strip().splitlines()[0][:110]})"
    print(f"{label}: {size:6.1f} MB, {float(seconds):6.2f} s ({float(seconds) / size:.3f} s/MB), "
          f"peak RSS {float(peak):5.0f} MiB, {outcome}")
    return float(seconds), size


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cases = [("quarter of the key space", 0.25, 1), ("half of the key space", 0.5, 1), ("whole key space", 1.0, 1),
                 ("210 MB, key space x6 (duplicates)", 1.0, 6)]
        for i, (label, share, repeat) in enumerate(cases):
            csv = write_extract(root / f"x{i}", share, repeat)
            measure(label, csv, root / f"data{i}")
            csv.unlink()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
