"""Benchmark: the frames of a ProjectionResult, at one level (the defaults) and at every level.

Run ``python benchmarks/bench_result_frames.py [--trajectories N] [--trace]``. Projects the 60
municipalities of the lt-osp extract from its latest year to 2050 under three scenarios (and, with
``--trajectories``, default 200, the baseline's stochastic quantiles), then times each frame the
result gives: ``totals()``, ``broad_groups()`` and ``quantiles`` at their one-level defaults (both
sexes; the broad groups without all ages), the same with every level asked for (what the methods
gave before issue 10: ``sex=("male", "female", "total")``, ``all_ages=True``), ``quantiles_for``
of the sexes by broad group, ``assumptions`` and ``components`` (built once, then cached). Each
line prints the time of five calls (one for the cached frames), the rows of one and the process
peak RSS; ``--trace`` adds the tracemalloc peak of the calls (slower).
"""

from __future__ import annotations

import time

from _common import parser, peak_rss_mib, require_shared, traced
from bench_projection import load_data_timed

EVERY_SEX = ("male", "female", "total")


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--trajectories", type=int, default=200)
    args = ap.parse_args()
    shared = require_shared()

    from cityindicators.projection import project

    data = load_data_timed(shared)
    t0 = time.perf_counter()
    res = project("all", to_year=2050, scenario=["baseline", "zero-migration", "attraction"], data=data,
                  stochastic=args.trajectories or None, seed=1)
    print(f"project('all', 3 scenarios{f', {args.trajectories} trajectories' if args.trajectories else ''}) "
          f"{res.base_year}->2050: {time.perf_counter() - t0:.2f} s; population {len(res.population):,} rows")

    calls = {
        "totals() both sexes": lambda: res.totals(),
        "totals(sex=every level)": lambda: res.totals(sex=EVERY_SEX),
        "broad_groups() both sexes": lambda: res.broad_groups(),
        "broad_groups(every sex, all_ages=True)": lambda: res.broad_groups(sex=EVERY_SEX, all_ages=True),
    }
    if args.trajectories:
        calls.update({
            "quantiles (both sexes, all ages)": lambda: res.quantiles,
            "quantiles_for(sex=None, age_group=None)": lambda: res.quantiles_for(sex=None, age_group=None),
            "quantiles_wide(every level)": lambda: res.quantiles_wide(sex=EVERY_SEX,
                                                                      age_group=("total", "0-14", "15-64", "65+")),
        })
    once = {"assumptions (first use)": lambda: res.assumptions, "components (first use)": lambda: res.components}
    for label, call in [*calls.items(), *once.items()]:
        n = 1 if label in once else 5
        with traced(args.trace) as peak:
            t0 = time.perf_counter()
            for _ in range(n):
                frame = call()
            seconds = time.perf_counter() - t0
        print(f"{label}: {seconds:.3f} s for {n} call(s), {len(frame):,} rows{peak.text}; "
              f"process peak RSS {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
