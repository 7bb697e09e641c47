"""Benchmark: the whole out-of-sample back-test grid with nested selection on the lt-osp extract.

Run ``python benchmarks/bench_backtest.py [--trace]``. Every origin 2006-2017, every horizon
to 2018, the 36 candidate settings (each with the age-structure combination) and the four
baselines for the 60 municipalities, then the nested choice and the top-3 combination, with the back-tests across the 2011 census weighted
(:func:`cityindicators.projection.backtest.nested_backtest`). Target: under
10 minutes on a 2-core machine. Prints wall time and the process peak RSS (and, with
``--trace``, the tracemalloc peak, which slows the run).
"""

from __future__ import annotations

from _common import measure, parser, require_shared
from bench_projection import load_data_timed


def main() -> None:
    args = parser(__doc__).parse_args()
    shared = require_shared()

    from cityindicators.projection.backtest import BASELINES, SELECTED, default_candidates, nested_backtest

    data = load_data_timed(shared)
    with measure(f"nested out-of-sample back-test grid (12 origins, horizons 1-12, {len(default_candidates())} candidates, "
                 "60 municipalities)",
                 trace=args.trace):
        nb = nested_backtest(data)
    e = nb.errors
    print(f"{e[['base_year', 'horizon']].drop_duplicates().shape[0]} (origin, horizon) cells, {len(e):,} error rows; "
          f"shipped choice: {nb.chosen.name}")
    print(nb.pooled(methods=(SELECTED, "top3", *BASELINES)).round(2).to_string())
    print(f"({SELECTED} = nested choice, census back-tests weighing {nb.break_weight:.2f}; top3 = the combination; "
          "MAPE pooled over horizons 1-10)")


if __name__ == "__main__":
    main()
