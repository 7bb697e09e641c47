"""Projection acceptance tests on the real lt-osp extract (skipped when ../shared/data is absent)."""

from __future__ import annotations

import numpy as np
import pytest

from cityindicators import store
from cityindicators.projection import ProjectionData, backtest, backtest_grid, project
from cityindicators.projection.backtest import DEFAULT_METHOD
from cityindicators.sources.extract import import_osp_extract

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def real_data(shared_data, tmp_path_factory) -> ProjectionData:
    d = tmp_path_factory.mktemp("real-projection")
    import_osp_extract(shared_data / "lt-osp", data_dir=d)
    store.build(d)
    return ProjectionData.from_store(data_dir=d)


@pytest.fixture(scope="module")
def grid(real_data):
    return backtest_grid(real_data)


def test_project_2010_to_2015_and_compare(real_data):
    res = project("all", base_year=2010, to_year=2015, data=real_data)
    assert res.rates.codes and len(res.rates.codes) == 60
    bal = res.balance()
    assert bal["residual"].abs().max() < 1e-6
    proj = res.totals().query("sex == 'total' and year == 2015").set_index("territory_code")["value"]
    pop = real_data.population
    actual = pop[(pop["year"] == 2015) & (pop["sex"] == "total") & pop["age"].isna()].set_index("territory_code")["value"]
    err = (proj - actual.reindex(proj.index)) / actual.reindex(proj.index) * 100
    # the 2010 declaration wave of emigrants makes 2010-2015 hard; still within a few per cent
    assert err.abs().mean() < 3.0
    assert err.abs().max() < 20.0  # the fast-growing suburban Kauno r. (23) is off by about 14 % (all methods are)
    vis = float(proj.loc["30"])
    assert 17_000 < vis < 23_000  # Visaginas: 20,249 at 1 January 2015
    est = res.estimates
    tfr = est.query("indicator == 'tfr'")["value"]
    assert tfr.between(1.0, 2.5).all()


def test_backtest_2010_plus_5_beats_the_naive_baselines(real_data):
    res = backtest(real_data, 2010, 5)
    assert set(res.table["n"]) == {60}
    mape = res.table.pivot(index="group", columns="method", values="mape")
    for naive in ("constant", "linear", "exponential"):
        assert (mape[DEFAULT_METHOD] < mape[naive]).all(), (naive, mape)
    assert mape.loc["65+", DEFAULT_METHOD] < mape.loc["65+", "hamilton-perry"]


REQUIREMENT_GAP = ("issue 4 asks the default method to beat every baseline on every group and horizon; on the "
                   "lt-osp extract (base years 2006-2014) the default (cohort-component with the combined residual / "
                   "Hamilton-Perry migration schedule, family migration of children and the in-migrant pool) does on "
                   "35 of 36 horizon-averaged (horizon, group) cells; it trails Hamilton-Perry on 65+ at horizon 9 "
                   "(3.71 vs 3.50, base year 2006 only: Hamilton-Perry's 85+ shortfall offsets its 65-74 excess; "
                   "estimating the Gompertz slope from the country's cohort survival narrows it to +0.075, not enough); "
                   "see docs/BACKTEST.md")


def test_backtest_2010_plus_5_beats_every_baseline(real_data):
    # margins (MAPE points): total -0.15, 0-14 -0.10, 15-64 -0.004, 65+ -0.29 (docs/BACKTEST.md)
    wins = backtest(real_data, 2010, 5).wins()
    assert wins["beats_all"].all(), wins


@pytest.mark.slow
@pytest.mark.xfail(reason=REQUIREMENT_GAP, strict=True)
def test_backtest_beats_baselines_at_every_horizon(grid):
    mape = grid.pivot_table(index=["horizon", "group"], columns="method", values="mape", aggfunc="mean")
    best_baseline = mape.drop(columns=[DEFAULT_METHOD]).min(axis=1)
    assert (mape[DEFAULT_METHOD] < best_baseline).all(), mape


@pytest.mark.slow
def test_backtest_grid_wins_all_but_the_one_base_year_65_plus_cell(grid):
    """Guards the 35 cells the default wins; the one it loses (65+ at horizon 9) is pinned to its gap."""
    mape = grid.pivot_table(index=["horizon", "group"], columns="method", values="mape", aggfunc="mean")
    diff = mape[DEFAULT_METHOD] - mape.drop(columns=[DEFAULT_METHOD]).min(axis=1)
    assert (diff.drop(index=[(9, "65+")]) < 0).all(), diff
    assert diff.loc[(9, "65+")] < 0.25, diff


def test_long_projection_is_plausible(real_data):
    res = project(["Visaginas", "Vilniaus m. sav."], base_year=2015, to_year=2050, scenario=["baseline", "zero-migration"],
                  data=real_data)
    tot = res.totals().query("sex == 'total'").pivot_table(index=["scenario", "territory_code"], columns="year",
                                                          values="value")
    assert np.isfinite(tot.values).all() and (tot.values > 0).all()
    # Visaginas loses residents under recent rates; no migration keeps more of them
    assert tot.loc[("baseline", "30"), 2050] < tot.loc[("baseline", "30"), 2015]
    assert tot.loc[("zero-migration", "30"), 2050] > tot.loc[("baseline", "30"), 2050]
