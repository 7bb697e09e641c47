"""The time breakdown of a report (manifest ``timings``), on hand-built executed notebooks."""

from __future__ import annotations

import nbformat

from cityindicators.reports import timings


def _executed(cells):
    nb = nbformat.v4.new_notebook()
    for source, seconds, tags, outputs in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = tags
        if seconds is not None:
            cell.metadata["papermill"] = {"duration": seconds}
        cell.outputs = outputs
        nb.cells.append(cell)
    nb.cells.append(nbformat.v4.new_markdown_cell("## notes"))
    return nb


def _chart(seconds):
    return nbformat.v4.new_output("display_data", data={"image/png": ""},
                                  metadata={timings.CHART_SECONDS_KEY: seconds})


def test_cells_named_by_the_section_they_call_parameters_left_out():
    nb = _executed([
        ("territory = 'X13'", 0.01, ["parameters"], []),
        ("territory = '30'", 0.02, ["injected-parameters"], []),
        ("from cityindicators.reports import sections as s\n\nctx = s.setup(territory)", 1.5, [], []),
        ("s.pyramid(ctx);", 0.25, [], [_chart(0.125)]),
        ("s.sources(ctx);", 0.5, [], []),
        ("s.sources(ctx);", 0.25, [], []),  # a section shown twice: its times add up
        ("x = 1", 0.125, [], []),
        ("s.annex(ctx);", None, [], []),  # not executed: no duration, left out
    ])
    assert timings.cell_seconds(nb) == {"setup": 1.5, "pyramid": 0.25, "sources": 0.75, "cell_6": 0.125}


def test_chart_seconds_add_up_over_the_outputs():
    nb = _executed([("s.a(ctx)", 1.0, [], [_chart(0.25), _chart(0.5)]), ("s.b(ctx)", 1.0, [], [_chart(0.125)]),
                    ("s.c(ctx)", 1.0, [], [nbformat.v4.new_output("stream", text="x")])])
    assert timings.chart_seconds(nb) == 0.875


def test_stopwatch_laps_follow_each_other_and_repeat_names_add():
    w = timings.Stopwatch()
    w.lap("a")
    w.lap("b")
    first_a = w.laps["a"]
    w.lap("a")
    assert list(w.laps) == ["a", "b"]
    assert w.laps["a"] >= first_a >= 0 and w.laps["b"] >= 0
    assert w.total() >= round(sum(w.laps.values()), 3) - 0.003  # laps are rounded to the millisecond
    assert list(w.cpu_laps) == ["a", "b"] and all(v >= 0 for v in w.cpu_laps.values())


def test_stopwatch_cpu_laps_count_this_threads_work_not_its_waiting():
    import time

    w = timings.Stopwatch()
    time.sleep(0.2)  # waiting (for a kernel, a browser) costs the runner no CPU
    w.lap("wait")
    t0 = time.thread_time()
    while time.thread_time() - t0 < 0.2:  # work
        pass
    w.lap("work")
    assert w.laps["wait"] >= 0.2 and w.cpu_laps["wait"] < 0.1
    assert w.cpu_laps["work"] >= 0.2 and w.laps["work"] >= w.cpu_laps["work"] - 0.003


def test_breakdown_text_indents_groups():
    text = timings.breakdown_text({"total_s": 2.5, "steps": {"kernel_s": 0.25}, "cells": {"setup": 1.0}})
    assert text.splitlines() == ["  total: 2.50 s", "  steps:", "    kernel: 0.25 s", "  cells:", "    setup: 1.00 s"]
