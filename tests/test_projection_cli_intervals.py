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


def test_backtest_of_a_territory_is_its_share_of_the_builds_out_of_sample_errors(demo_dir_backtested,
                                                                                 quick_backtest_errors, no_backtest,
                                                                                 tmp_path, capsys):
    """``backtest --territory`` summarises the build's out-of-sample errors of that municipality only (the
    protocol is not run again); a county is refused in one line that names it."""
    from cityindicators.projection.backtest import error_summary

    out = tmp_path / "bt.csv"
    assert main(["--data-dir", str(demo_dir_backtested), "backtest", "--territory", "X13", "--format", "csv",
                 "--output", str(out)]) == 0
    assert "Eglyno sav." in capsys.readouterr().err  # the line under the table names whose errors these are
    got = pd.read_csv(out)
    mine = quick_backtest_errors[quick_backtest_errors["territory_code"].astype(str) == "X13"]
    want = error_summary(mine).round(2)
    assert len(got) == len(want) > 0 and set(got["method"]) == {"default", "constant", "linear", "exponential",
                                                                 "hamilton-perry"}
    pd.testing.assert_frame_equal(got, want.astype({"method": str, "group": str}).reset_index(drop=True),
                                  check_dtype=False)
    one = mine[(mine["method"] == "default") & (mine["group"] == "total") & (mine["horizon"] == 1)]
    row = got[(got["method"] == "default") & (got["group"] == "total") & (got["horizon"] == 1)].iloc[0]
    assert row["mape"] == pytest.approx(one["error_pct"].abs().mean(), abs=0.005) and row["origins"] == len(one)
    rc = main(["--data-dir", str(demo_dir_backtested), "backtest", "--territory", "X01"])
    err = capsys.readouterr().err
    assert rc == 1 and "not among the municipalities the protocol back-tests" in err and "(X01)" in err
    assert len(err.strip().splitlines()) == 1
