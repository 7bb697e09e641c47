"""Benchmark of a report's chart files, the largest part of a report's time (prints figures;
asserts nothing).

The charts of one situation-analysis and one scenario report on real data (or the demo data)
are built (the chart functions' CPU time, their layout included, printed first; the second
building in the process, as in a warm kernel), then saved, in the same process and interleaved round by round so that other
work on the machine weighs on every way alike, in three ways:

* ``savefig per format`` - matplotlib's own way: ``savefig(bbox_inches="tight")`` of the SVG
  and of the 300-dpi PNG (each draws the figure twice: once to find its content, once to paint
  it), and the screen PNG resampled from the 300-dpi one;
* ``save_chart`` - :func:`cityindicators.reports.exports.save_chart`: one Agg drawing at
  300 dpi, cropped to the content, written as the 300-dpi PNG and resampled to the screen
  PNG, and one SVG drawing of the same area;
* ``screen only`` - ``report --no-print-charts``: one drawing at screen resolution.

Every round of every way saves figures built afresh (their building not timed), each saved
once, as in a report: a figure saved twice would find its text already measured by its own
renderer. Time is CPU time of this process (what the work costs whatever else runs), the best
of the rounds; the files' sizes are summed per format; peak memory is the process's peak RSS.

Usage: python benchmarks/bench_chart_exports.py [--rounds 3] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import SHARED, peak_rss_mib


#: CPU seconds spent building the charts (the chart functions of ``plotting``, layout included).
BUILD_SECONDS: list[float] = []


def _timed_charts() -> None:
    """Time every chart function of ``plotting`` (called by the sections as ``plotting.<name>``)."""
    import functools

    from cityindicators import plotting

    def timed(func):
        @functools.wraps(func)
        def chart(*a, **k):
            t0 = time.process_time()
            try:
                return func(*a, **k)
            finally:
                BUILD_SECONDS.append(time.process_time() - t0)
        return chart

    for name in plotting.CHART_UNITS:
        setattr(plotting, name, timed(getattr(plotting, name)))


def _figures(data: Path, territory: str) -> list:
    from cityindicators.reports import sections as s
    from cityindicators.reports.sections import planner, scenarios, situation

    figs: list = []
    for module in (situation, scenarios, planner):  # where the sections call it
        module.show_figure = lambda fig, *a, **k: figs.append(fig)  # keep the figures instead of showing them
    s.display._display = lambda *a, **k: None  # and show no text or table
    ctx = s.setup(territory, language="lt", data_dir=data, show=False)
    for name in ("population_trend", "pyramid", "components", "ageing", "working_age", "migration"):
        getattr(s, name)(ctx)
    sc = s.setup_scenarios(territory, language="lt", data_dir=data, show=False, trajectories=200,
                           scenarios=["baseline", "trend", "zero-migration", "low-emigration", "attraction"])
    for name in ("scenario_population", "broad_groups", "service_groups", "scenario_pyramids", "dependency",
                 "fan_chart"):
        getattr(s, name)(sc)
    return figs


def _savefig_per_format(fig, folder: Path, stem: str) -> bytes:
    from cityindicators.reports import exports

    (folder / f"{stem}.svg").write_bytes(exports.render_chart(fig, "svg"))
    hires = exports.render_chart(fig, "png", exports.HIRES_DPI)
    (folder / f"{stem}_300dpi.png").write_bytes(hires)
    return exports.downscaled_png(hires, exports.SCREEN_DPI)


def _sizes(charts: Path) -> dict[str, int]:
    """Bytes written into ``charts`` by kind: SVG and 300-dpi PNG."""
    files = list(charts.iterdir())
    return {"SVG": sum(f.stat().st_size for f in files if f.suffix == ".svg"),
            "300-dpi PNG": sum(f.stat().st_size for f in files if f.name.endswith("_300dpi.png"))}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data-dir", type=Path, help="a built data directory (default: the demo data, built here)")
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("agg")
    from cityindicators.reports import exports

    with tempfile.TemporaryDirectory(prefix="bench-charts-") as tmp:
        tmp = Path(tmp)
        if args.data_dir:
            data, territory = args.data_dir.resolve(), "Visaginas"
            label = f"{data}"
        else:
            from cityindicators.demo import build_demo

            data, territory, label = tmp / "data", "X13", "synthetic demo data"
            build_demo(data)
        _timed_charts()
        _figures(data, territory)  # once to warm up (imports, fonts, caches), as a warm kernel is
        import matplotlib.pyplot as plt

        plt.close("all")
        BUILD_SECONDS.clear()
        figs = _figures(data, territory)
        built = sum(BUILD_SECONDS)
        print(f"data: {label} ({'real data at ' + str(SHARED) + ' not used' if not args.data_dir else territory}); "
              f"{len(figs)} charts of one report of each template; load average {os.getloadavg()[0]:.1f}")

        def screen_only(fig, folder, stem):
            os.environ[exports.PRINT_CHARTS_ENV] = "0"
            try:
                return exports.save_chart(fig, stem, folder)
            finally:
                os.environ.pop(exports.PRINT_CHARTS_ENV, None)

        ways = {"savefig per format": _savefig_per_format,
                "save_chart": lambda fig, folder, stem: exports.save_chart(fig, stem, folder),
                "screen only (--no-print-charts)": screen_only}
        best = {name: float("inf") for name in ways}
        sizes: dict[str, dict[str, int]] = {}
        for r in range(args.rounds):
            for w, (name, way) in enumerate(ways.items()):
                folder = tmp / f"{r}-{w}"
                (folder / "charts").mkdir(parents=True)
                if r or w:  # new figures, each saved once as in a report
                    plt.close("all")
                    figs = _figures(data, territory)
                exports.reset()
                t0 = time.process_time()
                screens = [way(fig, folder / "charts" if way is _savefig_per_format else folder, f"{i:02d}_chart")
                           for i, fig in enumerate(figs)]
                best[name] = min(best[name], time.process_time() - t0)
                sizes[name] = {**_sizes(folder / "charts"), "screen PNG": sum(len(png) for png in screens)}
        print(f"building (chart functions, layout included, warm): {built:.2f} CPU s for {len(figs)} charts = "
              f"{built / len(figs):.3f} per chart")
        for name, seconds in best.items():
            files = ", ".join(f"{kind} {size / 1024:.0f} KiB" for kind, size in sizes[name].items() if size)
            print(f"{name}: {seconds:.2f} CPU s for {len(figs)} charts = {seconds / len(figs):.3f} per chart "
                  f"(best of {args.rounds}); files {files or 'none'}")
        print(f"process peak RSS {peak_rss_mib():.0f} MiB; load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
