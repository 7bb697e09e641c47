"""Calibration of the stochastic band to the empirical intervals (projection/calibration.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cityindicators.exceptions import ProjectionError
from cityindicators.projection import ProjectionData, estimate_rates, simulate
from cityindicators.projection.calibration import StochasticCalibration, band_scale_factors, scale_deviations
from cityindicators.projection.intervals import IntervalModel


def test_band_scale_factor_and_scaled_trajectories_hand_worked():
    # five trajectories 90..110: linear quantiles q10 = 90 + 0.4 * 5 = 92, q90 = 108, median 100 (spread 16)
    x = np.array([90.0, 95.0, 100.0, 105.0, 110.0])
    q10, m, q90 = np.quantile(x, [0.1, 0.5, 0.9])
    assert (q10, m, q90) == (92.0, 100.0, 108.0)
    # an empirical interval of the log error +/- w with 2 sinh(w) = 0.32: the band 100 e^-w .. 100 e^w is 32 wide
    w = np.arcsinh(0.16)
    f = band_scale_factors(q10, m, q90, -w, w)
    assert f == pytest.approx(2.0)
    scaled = scale_deviations(x, f)
    np.testing.assert_allclose(scaled, [80.0, 90.0, 100.0, 110.0, 120.0])
    lo, hi = np.quantile(scaled, [0.1, 0.9])
    assert hi - lo == pytest.approx(100 * (np.exp(w) - np.exp(-w)))
    # an asymmetric target: log(F/A) in [-0.1, 0.05] -> A in [m e^-0.05, m e^0.1]
    assert band_scale_factors(q10, m, q90, -0.1, 0.05) == pytest.approx(100 * (np.exp(0.1) - np.exp(-0.05)) / 16)


def test_band_scale_factor_without_a_band_or_a_target_is_one():
    f = band_scale_factors(np.array([100.0, 92.0]), np.array([100.0, 100.0]), np.array([100.0, 108.0]),
                           np.array([-0.1, np.nan]), np.array([0.1, np.nan]))
    np.testing.assert_array_equal(f, [1.0, 1.0])
    with pytest.raises(ProjectionError, match="upper bound"):
        band_scale_factors(92.0, 100.0, 108.0, 0.1, -0.1)
    # never a negative population
    assert scale_deviations(np.array([0.0, 50.0, 100.0]), 3.0).min() == 0.0


def _constant_model(half_widths: dict[str, float], origin: int) -> IntervalModel:
    """An interval model whose 80 % interval of log(F/A) is +/- w h for every size class (w by measure)."""
    from cityindicators.projection.sizeclasses import SIZE_CLASSES

    rows = [{"group": g, "size_class": s, "lower": -w, "center": 0.0, "upper": w, "q": w, "n": 100, "origins": 5,
             "inflation": 1.0, "source": "class"} for g, w in half_widths.items() for s in SIZE_CLASSES]
    return IntervalModel(origin=origin, level=0.8, widths=pd.DataFrame(rows),
                         factors=pd.Series(1.0, index=list(half_widths)))


WIDTHS = {"total": 0.01, "0-14": 0.03, "15-64": 0.015, "65+": 0.02}


def test_calibration_targets_hand_worked():
    cal = StochasticCalibration(_constant_model(WIDTHS, 2020), "hand")
    lo, hi = cal.targets([5_000.0, 50_000.0], [0, 1, 3], groups=("total", "0-14"))
    assert lo.shape == (3, 2, 2)
    np.testing.assert_allclose(hi[:, 0, 0], [0.0, 0.01, 0.03])  # base year, then w h
    np.testing.assert_allclose(hi[:, 1, 1], [0.0, 0.03, 0.09])
    np.testing.assert_allclose(lo, -hi)
    assert "errors known by 2020" in cal.describe() and "each broad age group" in cal.describe()
    with pytest.raises(ProjectionError, match="factor_of"):
        StochasticCalibration(cal.model, "hand", factor_of="sum")


@pytest.fixture(scope="module")
def demo_rates(demo_dir):
    data = ProjectionData.from_store(data_dir=demo_dir)
    base = int(data.population["year"].max())
    return estimate_rates(data, ["X13", "X12", "X16"], base)


def _bands(res) -> pd.DataFrame:
    q = res.quantiles.query("sex == 'total'")
    return q.pivot_table(index=["territory_code", "year", "age_group"], columns="quantile", values="value")


def test_simulate_calibrated_band_has_the_empirical_width(demo_rates):
    rates = demo_rates
    to = rates.base_year + 12
    cal = StochasticCalibration(_constant_model(WIDTHS, rates.base_year), "hand")
    raw = _bands(simulate(rates, "baseline", to, n=200, seed=4))
    res = simulate(rates, "baseline", to, n=200, seed=4, calibration=cal)
    got = _bands(res)
    h = got.index.get_level_values("year").to_numpy() - rates.base_year
    w = got.index.get_level_values("age_group").map(WIDTHS).to_numpy(float) * h
    # the band of each measure (both sexes) as wide as m (e^{w h} - e^{-w h}), m the model's own median
    want = raw[0.5].to_numpy() * (np.exp(w) - np.exp(-w))
    later = h >= 1
    np.testing.assert_allclose((got[0.9] - got[0.1]).to_numpy()[later], want[later], rtol=2e-4)
    # the base year is the data's
    np.testing.assert_allclose(got[0.9].to_numpy()[~later], raw[0.9].to_numpy()[~later])
    assert res.calibrated and res.describe() == cal.describe()
    f = res.factors.set_index(["territory_code", "year", "group"])["factor"]
    assert set(res.factors["group"]) == set(WIDTHS) and (f.xs(rates.base_year, level="year") == 1).all()
    # the factor is the empirical width over the model's
    model_width = (raw[0.9] - raw[0.1]).rename_axis(index={"age_group": "group"})
    ratio = pd.Series(want, index=model_width.index) / model_width
    np.testing.assert_allclose(f.loc[ratio.index[later]].to_numpy(), ratio[later].to_numpy(), rtol=2e-4)
    assert not simulate(rates, "baseline", to, n=20, seed=4).calibrated


def test_calibration_with_the_total_factor_scales_every_group_alike(demo_rates):
    rates = demo_rates
    to = rates.base_year + 8
    cal = StochasticCalibration(_constant_model(WIDTHS, rates.base_year), "hand", factor_of="total")
    raw = _bands(simulate(rates, "baseline", to, n=200, seed=9))
    res = simulate(rates, "baseline", to, n=200, seed=9, calibration=cal)
    got = _bands(res)
    f = res.factors.query("group == 'total'").set_index(["territory_code", "year"])["factor"]
    for g in ("0-14", "15-64", "65+"):
        ratio = ((got[0.9] - got[0.1]) / (raw[0.9] - raw[0.1])).xs(g, level="age_group")
        later = ratio.index.get_level_values("year") > rates.base_year
        np.testing.assert_allclose(ratio[later].to_numpy(), f.loc[ratio.index[later]].to_numpy(), rtol=2e-4)
    assert "each broad age group" not in res.describe()


def test_calibrated_band_does_not_depend_on_the_companions(demo_rates):
    rates = demo_rates
    cal = StochasticCalibration(_constant_model(WIDTHS, rates.base_year), "hand")
    kw = dict(n=50, seed=11, reference=rates, calibration=cal)
    alone = simulate(rates.subset(["X13"]), "baseline", rates.base_year + 10, **kw).quantiles
    every = simulate(rates, "baseline", rates.base_year + 10, **kw).quantiles
    pd.testing.assert_frame_equal(alone.reset_index(drop=True),
                                  every[every["territory_code"] == "X13"].reset_index(drop=True))


def test_project_fits_the_interval_model_once_for_intervals_and_calibration(demo_dir, monkeypatch):
    import importlib

    from cityindicators.projection import project
    from cityindicators.projection.backtest import Candidate, out_of_sample_errors
    from cityindicators.projection.settings import EstimationSettings

    intervals = importlib.import_module("cityindicators.projection.intervals")
    data = ProjectionData.from_store(data_dir=demo_dir)
    errors = out_of_sample_errors(data, candidates=(Candidate("w5", EstimationSettings()),))
    fits, real = [], intervals.shipped_interval_model
    monkeypatch.setattr(intervals, "shipped_interval_model", lambda *a, **k: fits.append(a[1]) or real(*a, **k))
    res = project("X13", to_year=2030, data=data, data_dir=demo_dir, stochastic=20, seed=1, interval_errors=errors,
                  calibrate_stochastic=True)
    assert fits == [res.base_year]
    assert res.intervals is not None and res.stochastic_band.startswith("calibrated")
