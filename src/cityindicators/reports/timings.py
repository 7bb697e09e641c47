"""Where a report's time goes: the breakdown written into its manifest (``timings``).

The runner times its own steps (parameter checks, the kernel's preparation, the notebook's
execution, the HTML, the chart files, the workbook, the PDF) with a :class:`Stopwatch`; the
time of each section is papermill's duration of its cell, and the time spent drawing and
saving the charts is what :func:`~cityindicators.reports.sections.show_figure` records in each
chart output's metadata (:data:`CHART_SECONDS_KEY`). ``benchmarks/bench_reports.py`` prints
the breakdown; nothing here changes what a report contains.
"""

from __future__ import annotations

import re
import time
from typing import Any

__all__ = ["CHART_SECONDS_KEY", "Stopwatch", "cell_seconds", "chart_seconds", "breakdown_text"]

#: Output metadata key under which ``show_figure`` records the seconds it spent on a chart.
CHART_SECONDS_KEY = "cityindicators_render_s"
_CALL = re.compile(r"\bs\.(\w+)\(")


class Stopwatch:
    """Seconds of consecutive steps: ``lap("html")`` records the time since the previous lap, in
    :attr:`laps` (wall time) and :attr:`cpu_laps` (the CPU time of the calling thread: what the
    step costs the runner itself, not the kernel it waits for, whatever else runs on the machine)."""

    def __init__(self) -> None:
        self.start = self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self.laps: dict[str, float] = {}
        self.cpu_laps: dict[str, float] = {}

    def lap(self, name: str) -> float:
        now, cpu = time.perf_counter(), time.thread_time()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self._last, 3)
        self.cpu_laps[name] = round(self.cpu_laps.get(name, 0.0) + cpu - self._last_cpu, 3)
        self._last, self._last_cpu = now, cpu
        return self.laps[name]

    def total(self) -> float:
        return round(time.perf_counter() - self.start, 3)


def _cell_label(source: str, index: int) -> str:
    """A code cell's name: the section function it calls (``s.pyramid(ctx)`` -> ``pyramid``)."""
    found = _CALL.findall(source)
    return found[-1] if found else f"cell_{index}"


def cell_seconds(nb) -> dict[str, float]:
    """Seconds of each executed code cell, by the section function it calls, in order (the
    parameters cells are left out: they only assign values)."""
    out: dict[str, float] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"parameters", "injected-parameters"}:
            continue
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if duration is None:
            continue
        label = _cell_label(cell.source, i)
        out[label] = round(out.get(label, 0.0) + float(duration), 3)
    return out


def chart_seconds(nb) -> float:
    """Seconds the kernel spent rendering and saving the charts of an executed notebook."""
    total = 0.0
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            total += float(o.get("metadata", {}).get(CHART_SECONDS_KEY, 0.0) or 0.0)
    return round(total, 3)


def breakdown_text(timings: dict[str, Any], indent: str = "  ") -> str:
    """A manifest's ``timings`` as lines ``name: 1.23 s``, nested groups (the runner's steps,
    the sections' cells) indented under their name."""
    lines = []
    for key, value in timings.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines.append(breakdown_text(value, indent + "  "))
        else:
            lines.append(f"{indent}{key.removesuffix('_s')}: {float(value):.2f} s")
    return "\n".join(line for line in lines if line)
