"""``project --interval empirical`` and ``--calibrate`` take the back-test errors and the interval
models of the build (projection/build_intervals.py), as the reports and the plans do, and print
what the library computes from the same errors."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

from cityindicators.cli import main
from cityindicators.projection import ProjectionData, project
from cityindicators.projection.api import empirical_intervals


@pytest.fixture
def no_backtest(monkeypatch):
    """The protocol must not run: the errors are the build's, seeded by ``demo_dir_backtested``."""
    backtest = importlib.import_module("cityindicators.projection.backtest")  # the module, not the function

    def fail(*args, **kwargs):
        raise AssertionError("the back-test ran again instead of reading the build's errors")

    monkeypatch.setattr(backtest, "out_of_sample_errors", fail)


def test_empirical_interval_is_the_librarys_on_the_builds_errors(demo_dir_backtested, quick_backtest_errors,
                                                                  no_backtest, tmp_path):
    d = demo_dir_backtested
    out = tmp_path / "iv.csv"
    assert main(["--data-dir", str(d), "project", "--territory", "X13", "--to", "2032", "--interval", "empirical",
                 "--output", str(out)]) == 0
    got = pd.read_csv(out)
    data = ProjectionData.from_store(data_dir=d)
    want = empirical_intervals(project("X13", to_year=2032, data=data, data_dir=d), quick_backtest_errors, data)
    assert len(got) == len(want) > 0
    cols = ["year", "age_group", "value", "lower", "upper", "level"]
    pd.testing.assert_frame_equal(got[cols], want[cols], check_dtype=False, rtol=1e-12)


def test_calibrated_band_is_the_librarys_on_the_builds_errors(demo_dir_backtested, quick_backtest_errors,
                                                              no_backtest, tmp_path):
    from cityindicators.cube import SEXES_AND_TOTAL
    from cityindicators.projection.api import QUANTILE_AGE_GROUPS

    d = demo_dir_backtested
    out = tmp_path / "q.csv"
    assert main(["--data-dir", str(d), "project", "--territory", "X13", "--to", "2032", "--stochastic", "30",
                 "--seed", "4", "--calibrate", "--output", str(out)]) == 0
    got = pd.read_csv(out)
    data = ProjectionData.from_store(data_dir=d)
    want = project("X13", to_year=2032, data=data, data_dir=d, stochastic=30, seed=4,
                   interval_errors=quick_backtest_errors, calibrate_stochastic=True)
    want = want.quantiles_wide(sex=SEXES_AND_TOTAL, age_group=QUANTILE_AGE_GROUPS)
    cols = ["year", "sex", "age_group", "q10", "q50", "q90"]
    assert len(got) == len(want) > 0
    pd.testing.assert_frame_equal(got[cols], want[cols], check_dtype=False, rtol=1e-12)
