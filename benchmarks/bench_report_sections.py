"""Benchmark of a report's own computations (prints figures; asserts nothing): the code cells of
the situation-analysis and scenarios templates executed in this process, as a kernel would,
without papermill, HTML or PDF, so the figure is the setup and the sections alone.

Per template: wall time, CPU time, the process's peak RSS, and what the run did more than once
or not: ``build_counts`` calls on the loaded tables (and on projected populations), processed
tables read (``store.load``), projection inputs read (``ProjectionData.from_store``). Each
template runs in a fresh state (no workspace or batch cache kept from the one before), first
in the process, so imports are included in the first one ("fresh"); then the same report again
in the warm state, as the second report of a batch worker's kernel finds it ("warm"), with the
CPU seconds of every section split into building the charts (the public functions of
``cityindicators.plotting``), rendering them to PNG (``show_figure``) and the rest, the
computation of the section itself, and the inclusive CPU seconds of the costliest steps
(:data:`STEPS`). Run against older code (``PYTHONPATH=<old checkout>/src``) for a before/after
comparison, the steps that code does not have are listed as not present in this version.

Runs on the real lt-osp extract when ../shared/data (or $CITYINDICATORS_SHARED_DATA) is there
(imported and built into a temporary data directory), else on the synthetic demo data.

With ``--repeat N`` the warm report runs N times and each section's least CPU time is printed (on a
machine shared with other work the least is the figure least disturbed by it).

With ``--files`` the sections write what they write in the report runner (into a temporary folder,
as :mod:`cityindicators.reports.exports` does for the runner's kernel): each chart's SVG and
300-dpi PNG besides the screen PNG, and the tables' and charts' data; "rendered" then includes
those files, as in a batch. Without it only the screen PNG is drawn, as in JupyterLab.

Usage: python benchmarks/bench_report_sections.py [--data-dir DIR] [--trajectories 1000] [--repeat N]
       [--template scenarios] [--files]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

from _common import SHARED, peak_rss_mib

matplotlib.use("Agg")


#: The municipality of the "warm, another" report: real data, demo data.
OTHER_TERRITORY = {"Visaginas": "Alytaus m.", "X13": "X12"}


def prepare_data(tmp: Path) -> tuple[Path, str]:
    data = tmp / "data"
    if (SHARED / "lt-osp" / "population.csv").exists():
        cmd = [sys.executable, "-m", "cityindicators", "--data-dir", str(data)]
        subprocess.run(cmd + ["import", "osp-extract", str(SHARED / "lt-osp")], check=True, capture_output=True)
        subprocess.run(cmd + ["build"], check=True, capture_output=True)
        return data, "Visaginas"
    from cityindicators.demo import build_demo

    build_demo(data)
    return data, "X13"


def counting(calls: collections.Counter) -> contextlib.ExitStack:
    """Wrap the functions whose calls are counted (in every module that imported them)."""
    import importlib

    from cityindicators import store
    from cityindicators.projection.data import ProjectionData

    stack = contextlib.ExitStack()

    def patch(obj, name, wrapper):
        real = getattr(obj, name)
        setattr(obj, name, wrapper(real))
        stack.callback(setattr, obj, name, real)

    def count_build(real):
        def build_counts(data, *a, **k):
            calls["build_counts (tables)" if set(data) != {"population"} else "build_counts (projected)"] += 1
            return real(data, *a, **k)
        return build_counts

    for module in ("cityindicators.indicators._counts", "cityindicators.indicators.compute",
                   "cityindicators.indicators.change", "cityindicators.indicators.compare"):
        mod = importlib.import_module(module)
        if hasattr(mod, "build_counts"):
            patch(mod, "build_counts", count_build)

    def count_load(real):
        def load(dataset, *a, **k):
            calls["store.load"] += 1
            return real(dataset, *a, **k)
        return load

    patch(store, "load", count_load)
    real_from_store = ProjectionData.from_store.__func__

    def from_store(cls, *a, **k):
        calls["ProjectionData.from_store"] += 1
        return real_from_store(cls, *a, **k)

    ProjectionData.from_store = classmethod(from_store)
    stack.callback(setattr, ProjectionData, "from_store", classmethod(real_from_store))
    return stack


def fresh_state() -> None:
    """Forget what an earlier report of this process computed (as a new kernel would)."""
    from cityindicators.reports import shared

    shared.clear()
    try:
        from cityindicators import workspace
    except ImportError:  # the code before the workspace
        return
    workspace._WORKSPACES.clear()


class ChartClock:
    """CPU seconds spent building charts (the public functions of ``cityindicators.plotting``) and
    rendering them (``show_figure`` of the report sections), counted while installed."""

    def __init__(self) -> None:
        self.seconds = {"figures": 0.0, "rendering": 0.0}
        self._depth = 0

    def _timed(self, kind: str, real):
        import functools

        @functools.wraps(real)
        def timed(*a, **k):
            self._depth += 1
            c0 = time.process_time()
            try:
                return real(*a, **k)
            finally:
                self._depth -= 1
                if self._depth == 0:  # a chart function calling another counts once
                    self.seconds[kind] += time.process_time() - c0
        return timed

    def install(self) -> contextlib.ExitStack:
        import importlib
        import inspect
        import pkgutil

        from cityindicators import plotting
        from cityindicators.reports import sections

        stack = contextlib.ExitStack()

        def patch(obj, name, kind):
            real = getattr(obj, name)
            setattr(obj, name, self._timed(kind, real))
            stack.callback(setattr, obj, name, real)

        for name, f in list(vars(plotting).items()):
            if inspect.isfunction(f) and f.__module__ == plotting.__name__ and not name.startswith("_"):
                patch(plotting, name, "figures")
        for info in pkgutil.iter_modules(sections.__path__):
            mod = importlib.import_module(f"{sections.__name__}.{info.name}")
            if hasattr(mod, "show_figure"):
                patch(mod, "show_figure", "rendering")
        return stack


#: The costliest steps inside the sections (module, attribute): their inclusive CPU seconds are printed.
STEPS = (("cityindicators.projection.api", "project"), ("cityindicators.projection.stochastic", "simulate"),
         ("cityindicators.projection.target", "find_inflow"), ("cityindicators.projection.target", "unit_schedules"),
         ("cityindicators.projection.target", "project_trajectories"),
         ("cityindicators.projection.schedule", "age_structure_adjustments"),
         ("cityindicators.indicators.compute", "compute_indicators"),
         ("pandas.io.formats.style", "Styler.to_html"))


def _step_owner(module: str, attr: str):
    """``(object holding the step, its name)`` of a step of :data:`STEPS`, or ``None`` when the code
    measured has no such step (an older version, for a before/after comparison)."""
    import importlib

    *path, name = attr.split(".")
    try:
        owner = importlib.import_module(module)
        for part in path:
            owner = getattr(owner, part)
    except (ImportError, AttributeError):
        return None
    return (owner, name) if hasattr(owner, name) else None


class StepClock:
    """Calls and inclusive CPU seconds of :data:`STEPS`, counted while installed, wherever the
    package calls them (a recursive call counts once; a step inside another counts in both: the
    projection of a target search's trajectory is in ``project`` and in ``find_inflow``). Steps the
    code measured does not have are listed as such."""

    def __init__(self) -> None:
        self.seconds: dict[str, list] = {}
        self.missing: list[str] = []

    def install(self) -> contextlib.ExitStack:
        import functools

        stack = contextlib.ExitStack()
        # imported before any is wrapped: a module importing a wrapped function by name would keep the wrapper
        owners = [_step_owner(module, attr) for module, attr in STEPS]
        self.missing = [f"{module}.{attr}" for (module, attr), found in zip(STEPS, owners) if found is None]
        for found, (_, attr) in zip(owners, STEPS):
            if found is None:
                continue
            owner, name = found
            path = attr.split(".")[:-1]
            real = getattr(owner, name)
            depth = [0]

            def timed(*a, _real=real, _attr=attr, _depth=depth, **k):
                _depth[0] += 1
                c0 = time.process_time()
                try:
                    return _real(*a, **k)
                finally:
                    _depth[0] -= 1
                    if _depth[0] == 0:
                        entry = self.seconds.setdefault(_attr, [0, 0.0])
                        entry[0] += 1
                        entry[1] += time.process_time() - c0

            wrapper = functools.wraps(real)(timed)
            # the owner and every module of the package that imported the function by name
            holders = [owner] + [m for m in list(sys.modules.values())
                                 if not path and getattr(m, "__name__", "").startswith("cityindicators")
                                 and m is not owner and getattr(m, name, None) is real]
            for holder in holders:
                setattr(holder, name, wrapper)
                stack.callback(setattr, holder, name, real)
        return stack

    def text(self) -> str:
        items = sorted(self.seconds.items(), key=lambda kv: -kv[1][1])
        text = "    steps inside the sections (inclusive CPU s): " + (
            ", ".join(f"{k} {s:.2f} ({n}x)" for k, (n, s) in items) or "none")
        if self.missing:
            text += "\n    not present in this version: " + ", ".join(self.missing)
        return text


@contextlib.contextmanager
def report_files(on: bool, tmp: Path):
    """With ``on``, the report's files written into a new folder under ``tmp`` (removed after),
    as the runner's kernel writes them; else nothing is written."""
    import os
    import shutil

    if not on:
        yield
        return
    from cityindicators.reports import exports

    folder = Path(tempfile.mkdtemp(prefix="report-", dir=tmp))
    os.environ[exports.EXPORT_ENV] = str(folder)
    exports.reset()  # charts and tables counted from one, as the runner's kernel prepares a report
    try:
        yield
    finally:
        del os.environ[exports.EXPORT_ENV]
        shutil.rmtree(folder, ignore_errors=True)


def kernel_like_display() -> None:
    """Format displayed objects as a kernel does: an IPython shell computes the HTML, Markdown or
    PNG of everything shown (the tables' ``Styler`` HTML included), which ``display()`` outside a
    shell does not."""
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.instance()


def run_cells(template: str, params: dict, clock: ChartClock | None = None) -> list[tuple[str, float, dict]]:
    """Run the template's code cells in this process; per cell: its last line, CPU s and the
    chart seconds of ``clock`` in it."""
    import nbformat

    from cityindicators.reports.runner import template_path

    nb = nbformat.read(template_path(template), as_version=4)
    namespace = dict(params)
    out = []
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
                before = dict(clock.seconds) if clock else {}
                c0 = time.process_time()
                exec(cell.source, namespace)
                charts = {k: v - before[k] for k, v in clock.seconds.items()} if clock else {}
                called = re.findall(r"\bs\.(\w+)\(", cell.source)  # the section the cell calls
                label = called[0] if called else cell.source.strip().splitlines()[0][:22]
                out.append((label, time.process_time() - c0, charts))
    return out


def sections_text(cells: list[tuple[str, float, dict]]) -> str:
    """Per section: CPU s in all, building charts, rendering them, the rest; and the sums."""
    lines, sums = [], {"all": 0.0, "figures": 0.0, "rendering": 0.0}
    for label, cpu, charts in cells:
        fig, ren = charts.get("figures", 0.0), charts.get("rendering", 0.0)
        sums["all"] += cpu
        sums["figures"] += fig
        sums["rendering"] += ren
        lines.append(f"    {label:<22} {cpu:5.2f} CPU s (charts built {fig:4.2f}, rendered {ren:4.2f}; "
                     f"the rest {cpu - fig - ren:4.2f})")
    lines.append(f"    {'all sections':<22} {sums['all']:5.2f} CPU s (charts built {sums['figures']:4.2f}, rendered "
                 f"{sums['rendering']:4.2f}; the rest {sums['all'] - sums['figures'] - sums['rendering']:4.2f})")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, help="an already built data directory (default: build one)")
    ap.add_argument("--trajectories", type=int, default=1000,
                    help="stochastic trajectories of the scenarios report (default: the template's)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run the warm report N times and print the least CPU time of each section (default 1)")
    ap.add_argument("--template", choices=("situation_analysis", "scenarios"), action="append",
                    help="only this template (may be repeated; default both)")
    ap.add_argument("--files", action="store_true",
                    help="write the charts' SVG and 300-dpi PNG and the tables' data, as in the report runner")
    args = ap.parse_args()
    import os

    from cityindicators.reports.runner import validate_parameters

    with tempfile.TemporaryDirectory(prefix="bench-sections-") as tmp:
        if args.data_dir:
            data, territory = args.data_dir.resolve(), "Visaginas"
        else:
            data, territory = prepare_data(Path(tmp))
        print(f"data: {data}; territory {territory}; load average {os.getloadavg()[0]:.1f}")
        kernel_like_display()
        for template, extra in (("situation_analysis", {}), ("scenarios", {"trajectories": args.trajectories})):
            if args.template and template not in args.template:
                continue
            def params_of(name: str) -> dict:
                return validate_parameters(template, {"territory": name, "data_dir": str(data), "language": "lt",
                                                      **extra})

            fresh_state()
            other = OTHER_TERRITORY.get(territory, territory)
            for state, name in (("fresh", territory), ("warm", territory), ("warm, another", other)):
                runs = []
                for _ in range(args.repeat if state == "warm" else 1):
                    calls: collections.Counter = collections.Counter()
                    clock, steps = ChartClock(), StepClock()
                    with counting(calls), clock.install(), steps.install(), report_files(args.files, Path(tmp)):
                        t0, c0 = time.perf_counter(), time.process_time()
                        cells = run_cells(template, params_of(name), clock)
                        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
                    runs.append((cpu, dt, cells, calls, steps))
                cpu, dt, cells, calls, steps = min(runs, key=lambda r: r[0])
                if len(runs) > 1:  # the least of the runs, section by section: the machine is shared
                    cells = [min(same, key=lambda c: c[1]) for same in zip(*(r[2] for r in runs))]
                    state += f", least of {len(runs)} runs (CPU s {', '.join(f'{r[0]:.2f}' for r in runs)})"
                done = ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))
                print(f"{template} ({state}: {name}): {dt:.1f} s, {cpu:.1f} CPU s, process peak RSS "
                      f"{peak_rss_mib():.0f} MiB; {done}; load average {os.getloadavg()[0]:.1f}")
                print(sections_text(cells))
                print(steps.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
