"""benchmarks/bench_report_sections.py measures older code too (before/after comparisons): a timed
step the code measured does not have is reported as not present, not an error."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))  # its own helpers (_common)
    spec = importlib.util.spec_from_file_location("bench_report_sections", BENCH / "bench_report_sections.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("_common", None)


def test_missing_steps_are_reported_and_the_others_timed(bench, monkeypatch):
    from cityindicators.projection import target

    monkeypatch.setattr(bench, "STEPS", (("cityindicators.projection.target", "working_age_total"),
                                         ("cityindicators.projection.target", "no_such_step"),
                                         ("cityindicators.no_such_module", "anything"),
                                         ("cityindicators.projection.target", "TargetResult.no_such_method")))
    clock = bench.StepClock()
    import numpy as np

    with clock.install():
        target.working_age_total(np.ones((2, 101)), 2030)
    assert target.working_age_total.__name__ == "working_age_total" and not hasattr(target.working_age_total,
                                                                                     "__wrapped__")
    assert list(clock.seconds) == ["working_age_total"] and clock.seconds["working_age_total"][0] == 1
    assert clock.missing == ["cityindicators.projection.target.no_such_step", "cityindicators.no_such_module.anything",
                             "cityindicators.projection.target.TargetResult.no_such_method"]
    assert clock.text().splitlines()[-1] == ("    not present in this version: " + ", ".join(clock.missing))
