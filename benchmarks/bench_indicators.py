"""Benchmark: every indicator for all 71 territories and all years of the lt-osp extract.

Run ``python benchmarks/bench_indicators.py [--repeat N]``. The extract is read from
``$CITYINDICATORS_SHARED_DATA`` or ``../shared/data`` (relative to the project root) with the
extract parser; the time to load it is reported separately. Target: the computation (after
loading) under 2 s. Peak memory is measured with tracemalloc around the computation.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

from _common import peak_rss_mib, require_shared


def load_extract(folder: Path) -> dict:
    from cityindicators.schema import split_tables, tidy
    from cityindicators.sources.extract import parse_extract_file

    data = {}
    for stem in ("population", "births", "deaths", "life_expectancy", "urban_rural", "density"):
        path = folder / "lt-osp" / f"{stem}.csv"
        if path.exists():  # population -> population (single ages) and population_total
            for name, frame in split_tables(parse_extract_file(path)).items():
                data[name] = tidy(frame, name)
    return data


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed repetitions (best is reported)")
    args = ap.parse_args(argv)
    folder = require_shared()  # exits with a "skipped" note when the real data is absent

    from cityindicators.indicators import comparison_table, compute_indicators, rank_table

    t0 = time.perf_counter()
    data = load_extract(folder)
    t_load = time.perf_counter() - t0
    rows = {k: len(v) for k, v in data.items()}

    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = compute_indicators(data=data)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    compute_indicators(data=data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    t0 = time.perf_counter()
    comparison_table("Visaginas", 2014, data=data)
    t_compare = time.perf_counter() - t0
    t0 = time.perf_counter()
    rank_table("share_65_plus", 2015, year_from=2001, data=data)
    t_rank = time.perf_counter() - t0

    print(f"input rows: {rows}")
    print(f"load (parse extract):            {t_load:7.3f} s")
    print(f"compute_indicators, all:         {min(times):7.3f} s (best of {args.repeat}; "
          f"{result['indicator'].nunique()} indicators x {result['territory_code'].nunique()} territories x "
          f"{result['year'].nunique()} years -> {len(result):,} rows)  target < 2 s")
    print(f"peak memory during compute:      {peak / 2**20:7.1f} MiB (tracemalloc, Python allocations)")
    print(f"peak RSS of the process:         {peak_rss_mib():7.1f} MiB (includes the data load)")
    print(f"comparison_table (similar peers): {t_compare:6.3f} s")
    print(f"rank_table (change 2001-2015):   {t_rank:7.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
