"""Benchmark: projections of all 60 municipalities of the lt-osp extract from 2018 to 2050.

Run ``python benchmarks/bench_projection.py [--base-year Y] [--trajectories N] [--trace]``. The
extract is read from ``$CITYINDICATORS_SHARED_DATA`` or ``../shared/data`` with the extract parser
(loading is timed separately); the base year defaults to the data's latest (2018). Targets
(issue 9): deterministic projection (rate estimation + engine + tidy frames) under 1 s;
stochastic projection with 1,000 trajectories under 30 s and 2 GB. Also timed: the national
control (``national="engine"``) and one municipality alone (which estimates the whole reference
set, so that its result does not depend on its companions). Then (unless ``--no-intervals``) the
empirical 80 % intervals: the out-of-sample back-test errors they are built from (the nested
back-test, once per data build in use), the shipped interval model fitted and applied to the 60
municipalities, the stochastic projection calibrated to them (``simulate(calibration=...)``,
``project --stochastic N --calibrate``), and the coverage evaluation of every variant with their
time-ordered choice (``nested_interval_coverage``, what scripts/intervals_coverage.py runs). Peak memory is
the process peak RSS (``resource.getrusage``) and, with ``--trace``, the peak of traced Python
allocations (``tracemalloc``, which counts numpy buffers; tracing slows the run).
"""

from __future__ import annotations

import os
import time

from _common import parser, peak_rss_mib, require_shared, traced


def load_data(folder):
    from cityindicators.projection import ProjectionData
    from cityindicators.schema import split_tables, tidy
    from cityindicators.sources.extract import parse_extract_file

    frames = {}
    for stem in ("population", "births", "deaths", "life_expectancy"):
        # population -> population (single ages) and population_total; deaths -> deaths, deaths_total
        for name, frame in split_tables(parse_extract_file(folder / "lt-osp" / f"{stem}.csv")).items():
            frames[name] = tidy(frame, name)
    return ProjectionData.from_frames(**frames)


def load_data_timed(folder):
    """:func:`load_data`, with the time it took printed."""
    t0 = time.perf_counter()
    data = load_data(folder)
    print(f"load extract: {time.perf_counter() - t0:.2f} s")
    return data


def main() -> None:
    ap = parser(__doc__, "also report tracemalloc peaks (slower)")
    ap.add_argument("--trajectories", type=int, default=1000)
    ap.add_argument("--to", type=int, default=2050)
    ap.add_argument("--base-year", type=int, default=None, help="default: the latest year of the data")
    ap.add_argument("--no-intervals", action="store_true", help="skip the empirical intervals (minutes: the back-test)")
    ap.add_argument("--errors", default=None, metavar="PARQUET",
                    help="read the back-test errors from this file if it exists, else compute and write them there "
                         "(their time is then not measured again)")
    args = ap.parse_args()
    shared = require_shared()

    from cityindicators.projection import estimate_rates, project, simulate
    from cityindicators.projection.api import resolve_territories
    from cityindicators.geography import get_register

    data = load_data_timed(shared)
    codes = resolve_territories("all", data, get_register())

    base = args.base_year or int(data.population["year"].max())
    project(codes[:2], base, base + 2, data=data)  # warm-up (imports, caches)
    with traced(args.trace) as peak:
        t0, c0 = time.perf_counter(), time.process_time()
        rates = estimate_rates(data, codes, base)
        t1 = time.perf_counter()
        res = project(rates=rates, to_year=args.to)
        t2, c2 = time.perf_counter(), time.process_time()
    print(f"deterministic, {len(codes)} municipalities {base}->{args.to}: {t2 - t0:.2f} s wall, {c2 - c0:.2f} s CPU "
          f"(estimation {t1 - t0:.2f} s, engine + tidy frames {t2 - t1:.2f} s; {len(res.population):,} rows){peak.text}; "
          f"process peak RSS {peak_rss_mib():.0f} MiB")
    t0 = time.perf_counter()
    project("all", base, args.to, data=data)
    t1 = time.perf_counter()
    project(codes[:1], base, args.to, data=data)
    t2 = time.perf_counter()
    project("all", base, args.to, data=data, national="engine")
    t3 = time.perf_counter()
    print(f"project('all') {t1 - t0:.2f} s; one municipality alone {t2 - t1:.2f} s; "
          f"all with national control (engine) {t3 - t2:.2f} s; process peak RSS {peak_rss_mib():.0f} MiB")

    with traced(args.trace) as peak:
        t0, c0 = time.perf_counter(), time.process_time()
        sres = simulate(rates, "baseline", args.to, n=args.trajectories, seed=1, reference=rates)
        t1, c1 = time.perf_counter(), time.process_time()
    print(f"stochastic, {args.trajectories} trajectories x {len(codes)} municipalities {base}->{args.to}: "
          f"{t1 - t0:.2f} s wall, {c1 - c0:.2f} s CPU ({len(sres.quantiles):,} quantile rows){peak.text}; "
          f"process peak RSS {peak_rss_mib():.0f} MiB; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not args.no_intervals:
        bench_intervals(data, res, args.trace, rates, args)


def bench_intervals(data, res, trace: bool, rates=None, args=None) -> None:
    """Time and memory of the empirical intervals of ``res`` (all municipalities, every year)."""
    from cityindicators.projection.api import empirical_intervals
    from cityindicators.projection.backtest import out_of_sample_errors
    from cityindicators.projection.intervals import nested_interval_coverage

    import pandas as pd

    cached = getattr(args, "errors", None)
    if cached and os.path.exists(cached):
        errors = pd.read_parquet(cached)
        print(f"interval errors read from {cached} (not timed)")
    else:
        t0, c0 = time.perf_counter(), time.process_time()
        errors = out_of_sample_errors(data)
        t1, c1 = time.perf_counter(), time.process_time()
        print(f"interval errors (the nested back-test, once per data build): {t1 - t0:.1f} s wall, {c1 - c0:.1f} s "
              f"CPU; process peak RSS {peak_rss_mib():.0f} MiB")
        if cached:
            errors.to_parquet(cached)
    with traced(trace) as peak:
        t0, c0 = time.perf_counter(), time.process_time()
        iv = empirical_intervals(res, errors, data)
        t1, c1 = time.perf_counter(), time.process_time()
    print(f"empirical intervals, shipped model fitted and applied to {len(res.rates.codes)} municipalities: "
          f"{t1 - t0:.2f} s wall, {c1 - c0:.2f} s CPU ({len(iv):,} rows){peak.text}")
    if rates is not None:
        from cityindicators.projection import simulate
        from cityindicators.projection.api import stochastic_calibration

        with traced(trace) as peak:
            t0, c0 = time.perf_counter(), time.process_time()
            calibration = stochastic_calibration(errors, data, rates.base_year)
            sres = simulate(rates, "baseline", args.to, n=args.trajectories, seed=1, reference=rates,
                            calibration=calibration)
            t1, c1 = time.perf_counter(), time.process_time()
        print(f"stochastic calibrated to the intervals, {args.trajectories} trajectories x {len(rates.codes)} "
              f"municipalities {rates.base_year}->{args.to}: {t1 - t0:.2f} s wall, {c1 - c0:.2f} s CPU "
              f"({len(sres.quantiles):,} quantile rows){peak.text}; process peak RSS {peak_rss_mib():.0f} MiB")
    with traced(trace) as peak:
        t0, c0 = time.perf_counter(), time.process_time()
        nested = nested_interval_coverage(errors, data.population)
        t1, c1 = time.perf_counter(), time.process_time()
    print(f"interval coverage, {len(nested.variants)} variants and their time-ordered choice: {t1 - t0:.1f} s wall, "
          f"{c1 - c0:.1f} s CPU{peak.text}; process peak RSS {peak_rss_mib():.0f} MiB; "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
