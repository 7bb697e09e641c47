"""Projection acceptance tests on the real lt-osp extract (skipped when ../shared/data is absent)."""

from __future__ import annotations

import importlib.util
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from cityindicators import store
from cityindicators.geography import get_register
from cityindicators.projection import EstimationSettings, ProjectionData, backtest, load_scenario, project
from cityindicators.projection.backtest import BASELINES, DEFAULT_METHOD, SELECTED, nested_backtest
from cityindicators.sources.extract import import_osp_extract

pytestmark = pytest.mark.realdata
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def real_data(shared_data, tmp_path_factory) -> ProjectionData:
    d = tmp_path_factory.mktemp("real-projection")
    import_osp_extract(shared_data / "lt-osp", data_dir=d)
    store.build(d)
    return ProjectionData.from_store(data_dir=d)


def test_project_2010_to_2015_and_compare(real_data):
    res = project("all", base_year=2010, to_year=2015, data=real_data)
    assert res.rates.codes and len(res.rates.codes) == 60
    bal = res.balance()
    assert bal["residual"].abs().max() < 1e-6
    proj = res.totals().query("sex == 'total' and year == 2015").set_index("territory_code")["value"]
    pop = real_data.total("population_total")
    actual = pop[pop["year"] == 2015].set_index("territory_code")["value"]
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
    # the total and the groups (the median age of 2010 + 5, across the 2011 census, is behind the linear trend's)
    mape = res.table.pivot(index="group", columns="method", values="mape").loc[["total", "0-14", "15-64", "65+"]]
    for naive in ("constant", "linear", "exponential"):
        assert (mape[DEFAULT_METHOD] < mape[naive]).all(), (naive, mape)
    assert mape.loc["65+", DEFAULT_METHOD] < mape.loc["65+", "hamilton-perry"]


REQUIREMENT_GAP = ("issue 9 asks the default to be ahead of every baseline on the total and each group pooled over "
                   "horizons 1-10 and at every horizon from 5 on, out of sample. With every candidate leaving the 2010 "
                   "declaration wave and the 2011 census year out of its migration window and its migration trend's "
                   "fit and carrying the age-structure combination, on the lt-osp extract it is ahead pooled on the "
                   "total, 0-14, 15-64 and 65+, but behind the exponential trend of the median age (2.29 vs 2.28); "
                   "from horizon 5 on it loses 9 of 40 cells (the median age at 6-12, the total and 65+ at 12). The long "
                   "horizons come from origins 2006-2010, projected across the 2010 declaration wave and the 2011 "
                   "census revision: replacing one component at a time by what the extract later shows, the age "
                   "pattern of net migration after 2010 (young adults leaving), which no window up to 2010 shows, "
                   "makes most of their median age's error and faster survival gains some. A horizon-weighted score, "
                   "more or fewer candidates, a combination of candidates, the migration age pattern of the whole "
                   "history, of the country or of the window's last years, the tilt's weight chosen by horizon band, "
                   "the tilt toward a damped trend, the TFR slope after the census, mortality falling at its own "
                   "pace by age (from the country's cohort survival), a base TFR above its bound entering it over ten "
                   "years, migration age patterns smoothed twice or four times as wide and (pre-registered) net "
                   "migration converging to zero from the origin did no better (the "
                   "smoothing's twins by at most 0.03, through which candidate each origin picks; the same in every "
                   "candidate does worse); the tilt's weight 1, or rising as the square of the horizon to 1 at "
                   "horizon 12 (median age 2.26), in every candidate would be ahead pooled but is a choice made on "
                   "every origin's outcome whose gain is the early origins' across the break, and does worse on the "
                   "median age from the origins after it. See docs/BACKTEST.md")


@pytest.fixture(scope="module")
def nested(real_data):
    """The whole out-of-sample protocol, computed once for the module (about two minutes)."""
    return nested_backtest(real_data)


def _report_module():
    spec = importlib.util.spec_from_file_location("backtest_report", ROOT / "scripts" / "backtest_report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_selection_is_nested_and_time_ordered(nested):
    sel = nested.selection.set_index("base_year")
    origins = list(sel.index)
    assert origins == list(range(2006, 2018))
    last = 2018
    for Y, row in sel.iterrows():
        # only back-tests whose target year is at most the origin may choose its setting
        assert row["cells"] == sum(1 for y in origins for h in range(1, last - y + 1) if y + h <= Y)
    assert sel.loc[2006, "selected"] == nested.candidates[0].name  # nothing observed yet: the prior
    # the cells across the 2011 census weigh so that they are as frequent as in future back-tests (51 % -> 46 %)
    assert 0.75 < nested.break_weight < 0.9 and "selected_equal_weights" in sel
    combos = nested.combinations.set_index("base_year")
    assert list(combos.index) == origins and (combos["k"] == 3).all()
    assert combos.loc[2006, "members"] == tuple(c.name for c in nested.candidates[:3])
    d = nested.errors[nested.errors["method"] == SELECTED]
    assert (d["base_year"] + d["horizon"] <= last).all() and d["horizon"].max() == 12


@pytest.mark.slow
def test_shipped_default_is_what_the_protocol_selects(nested):
    chosen = nested.chosen
    assert asdict(EstimationSettings()) == asdict(chosen.settings), chosen.name
    base = load_scenario("baseline")
    # the candidate's scenario is the shipped baseline with the candidate's modes: equal when they are shipped
    assert chosen.scenario() == base, chosen.name
    assert (base.mortality.mode, base.fertility.mode, base.migration.mode) == ("gain", "trend", "trend")
    assert base.migration.damping == pytest.approx(chosen.migration_trend) and not base.migration.path


@pytest.mark.slow
def test_out_of_sample_default_ahead_on_total_and_the_groups_it_wins(nested):
    """Pooled over horizons 1-10, out of sample: ahead of every baseline on the total, 0-14, 15-64 and 65+."""
    pooled = nested.pooled()
    best = pooled[list(BASELINES)].min(axis=1)
    for g in ("total", "0-14", "15-64", "65+"):
        assert pooled.loc[g, SELECTED] < best[g], pooled
    # and far ahead of the naive ones on every group
    for g in ("total", "0-14", "15-64", "65+"):
        assert pooled.loc[g, SELECTED] < pooled.loc[g, ["constant", "linear", "exponential"]].min(), pooled


@pytest.mark.slow
@pytest.mark.xfail(reason=REQUIREMENT_GAP, strict=True)
def test_out_of_sample_default_ahead_on_every_group_pooled_and_from_horizon_5(nested):
    pooled = nested.pooled()
    assert (pooled[SELECTED] < pooled[list(BASELINES)].min(axis=1)).all(), pooled
    s = nested.summary().pivot_table(index=["group", "horizon"], columns="method", values="mape", observed=True)
    late = s[s.index.get_level_values("horizon") >= 5]
    assert (late[SELECTED] < late[list(BASELINES)].min(axis=1)).all(), late


@pytest.mark.slow
def test_backtest_doc_is_what_the_script_writes(nested, real_data):
    mod = _report_module()
    text = mod.render(nested, mod.EXTRACT_LABEL, get_register(), real_data)
    assert (ROOT / "docs" / "BACKTEST.md").read_text(encoding="utf-8") == text, (
        "docs/BACKTEST.md is stale: run python scripts/backtest_report.py --extract ../shared/data/lt-osp")


def test_long_projection_is_plausible(real_data):
    res = project(["Visaginas", "Vilniaus m. sav."], base_year=2015, to_year=2050, scenario=["baseline", "zero-migration"],
                  data=real_data)
    tot = res.totals().query("sex == 'total'").pivot_table(index=["scenario", "territory_code"], columns="year",
                                                          values="value")
    assert np.isfinite(tot.values).all() and (tot.values > 0).all()
    # Visaginas loses residents under recent rates; no migration keeps more of them
    assert tot.loc[("baseline", "30"), 2050] < tot.loc[("baseline", "30"), 2015]
    assert tot.loc[("zero-migration", "30"), 2050] > tot.loc[("baseline", "30"), 2050]
    # the long-run rule: the window's net emigration held for the 12 back-tested years, then moving to zero
    held = project("Visaginas", base_year=2015, to_year=2050, data=real_data,
                   settings=EstimationSettings(migration_convergence="none")).totals().set_index("year")["value"]
    rule = tot.loc[("baseline", "30")]
    np.testing.assert_allclose(rule.loc[2015:2027].to_numpy(), held.loc[2015:2027].to_numpy(), rtol=1e-10)
    assert rule.loc[2050] > held.loc[2050]


@pytest.mark.slow
def test_intervals_doc_is_what_the_script_writes(nested, real_data):
    from cityindicators.projection.intervals import DEFAULT_VARIANT, nested_interval_coverage

    spec = importlib.util.spec_from_file_location("intervals_coverage", ROOT / "scripts" / "intervals_coverage.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    errors = nested.out_of_sample_errors()
    choice = nested_interval_coverage(errors, real_data.population)
    # the shipped interval variant is the one the time-ordered rule chooses on every error
    assert choice.chosen == DEFAULT_VARIANT, choice.selection
    from cityindicators.projection.intervals import MEDIAN_AGE_VARIANT
    from cityindicators.projection.stochastic_coverage import stochastic_coverage

    median = mod.median_age_choice(errors, real_data.population)
    assert median.chosen == MEDIAN_AGE_VARIANT, median.selection  # the median age's own choice, shipped
    stochastic = stochastic_coverage(real_data, nested, choice, n=mod.STOCHASTIC_TRAJECTORIES)
    text = mod.render(errors, real_data.population, choice, stochastic, median)
    assert (ROOT / "docs" / "INTERVALS.md").read_text(encoding="utf-8") == text, (
        "docs/INTERVALS.md is stale: run python scripts/intervals_coverage.py")
