"""Work a report's sections share, done once (issue 12, speed): what a section now reads from the
context or computes for several scenarios at once equals what it computed on its own before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cityindicators.projection.target import find_inflow
from cityindicators.reports import sections
from cityindicators.reports.sections.context import PROJECTED_INDICATORS
from cityindicators.reports.sections.scenarios import _assumption, _assumption_mean, projected_indicators


@pytest.fixture(scope="module")
def ctx(demo_dir):
    return sections.setup_scenarios("X13", scenarios=["baseline", "trend", "attraction"], horizon=2040, language="en",
                                    data_dir=demo_dir, trajectories=0, show=False)


def test_projected_indicators_once_for_every_section(ctx):
    """One computation of every projected indicator gives each section the frame it computed alone."""
    once = ctx.projected_indicators
    assert set(once["indicator"]) == set(PROJECTED_INDICATORS)
    for ids in (["old_age_dependency_ratio", "total_dependency_ratio"], ["working_age_population"]):
        alone = projected_indicators(ctx.projection, ctx.code, ids)
        mine = once[once["indicator"].isin(ids)].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone, check_exact=True)
    assert ctx.projected_indicators is once  # computed once


def test_projected_indicators_of_several_trajectories_at_once(ctx):
    """The target sections' trajectories measured together equal each measured on its own."""
    res = ctx.projection
    base = float(ctx.projected_totals.query("year == @res.base_year")["value"].iloc[0])
    paths = {sc: find_inflow(ctx.code, year=2035, scenario=scenario, rates=res.rates, data_dir=ctx.data_dir,
                             population=base * 1.05).projection
             for sc, scenario in res.scenarios.items()}
    together = projected_indicators(paths, ctx.code, ["working_age_population"])
    alone = pd.concat([projected_indicators(p, ctx.code, ["working_age_population"]) for p in paths.values()],
                      ignore_index=True)
    assert list(together["scenario"].unique()) == list(paths)
    pd.testing.assert_frame_equal(together, alone, check_exact=True)


def test_assumption_lookup_equals_filtering_the_frame(ctx):
    a = ctx.projection.assumptions
    a = a[a["territory_code"] == ctx.code]
    for sc in ctx.projection.scenarios:
        for what in ("tfr", "e0_male", "net_migration_rate", "added_inflow"):
            for year in (ctx.projection.base_year, 2030, ctx.projection.to_year - 1):
                sub = a.loc[(a["scenario"] == sc) & (a["year"] == year), what]
                assert _assumption(ctx, sc, what, year) == float(sub.iloc[0])
            assert _assumption_mean(ctx, sc, what) == float(a.loc[a["scenario"] == sc, what].mean())
    # no event in the horizon year itself, no such scenario: NaN, as before
    assert np.isnan(_assumption(ctx, "baseline", "tfr", ctx.projection.to_year))
    assert np.isnan(_assumption(ctx, "no-such-scenario", "tfr", 2030))
    assert np.isnan(_assumption_mean(ctx, "no-such-scenario", "tfr"))


def test_projected_totals_are_the_projections_own(ctx):
    tot = ctx.projection.totals()
    pd.testing.assert_frame_equal(ctx.projected_totals, tot[tot["territory_code"] == ctx.code], check_exact=True)


def test_break_records_are_the_rows_of_breaks_for():
    from cityindicators.indicators.breaks import break_records, breaks_for
    from cityindicators.indicators.catalogue import CATALOGUE

    seen = 0
    for ind in [*CATALOGUE, "pub_unemployment_rate"]:
        for territory in (None, "30", "13", "X13"):
            frame = breaks_for(ind, territory)
            assert [tuple(r) for r in break_records(ind, territory)] == list(frame.itertuples(index=False, name=None))
            seen += len(frame)
    assert seen  # the register has breaks of these indicators


def test_series_from_the_territorys_own_rows(demo_dir):
    ctx = sections.setup("X13", language="en", data_dir=demo_dir, show=False)
    f = ctx.indicators
    for code in ("X13", "X01"):
        for ind in ("population", "share_65_plus", "crude_birth_rate"):
            alone = f[(f["indicator"] == ind) & (f["territory_code"] == code)].set_index("year")["value"].sort_index()
            pd.testing.assert_series_equal(ctx.series(ind, code), alone, check_exact=True)
    assert len(ctx.series("population")) > 1
    mine = ctx.series("population")
    mine.iloc[0] = -1.0  # a caller changing its series changes no other's
    assert ctx.series("population").iloc[0] > 0


def test_find_inflow_on_a_shared_schedule_is_the_same_search(ctx):
    """The population and the working-age search of a scenario share its schedule: each result is
    the one found on a schedule of its own, and the schedule is left as it was."""
    from cityindicators.projection.target import unit_schedule

    res = ctx.projection
    scenario = res.scenarios["trend"]
    sch = unit_schedule(res.rates.subset([ctx.code]), scenario, "young_families", 2035)
    added = sch.added.copy()
    base = float(ctx.projected_totals.query("year == @res.base_year")["value"].iloc[0])
    statuses = set()
    for kind, goal in (("population", base * 1.05), ("working_age", base * 0.65), ("population", base * 0.1)):
        alone = find_inflow(ctx.code, year=2035, scenario=scenario, rates=res.rates, data_dir=ctx.data_dir,
                            **{kind: goal})
        shared = find_inflow(ctx.code, year=2035, scenario=scenario, rates=res.rates, data_dir=ctx.data_dir,
                             schedule=sch, **{kind: goal})
        assert (shared.status, shared.inflow, shared.achieved, shared.without, shared.at_upper_bound, shared.message) == \
            (alone.status, alone.inflow, alone.achieved, alone.without, alone.at_upper_bound, alone.message)
        pd.testing.assert_frame_equal(shared.projection.population, alone.projection.population, check_exact=True)
        np.testing.assert_array_equal(sch.added, added)
        statuses.add(shared.status)
    assert statuses == {"met", "met_at_lower_bound"}  # a search and a target met without inflow
    from cityindicators.exceptions import ProjectionError

    with pytest.raises(ProjectionError, match="not of X13 from .* to 2040"):
        find_inflow(ctx.code, year=2040, scenario=scenario, rates=res.rates, schedule=sch, population=base)


def test_ranks_once_per_batch_equal_each_reports_rank_table(demo_dir):
    """The panels' ranks come from one ranking of all municipalities per data and year, kept for
    every report of the batch: each municipality's rank is its row of the rank table."""
    from cityindicators.indicators import rank_table
    from cityindicators.reports import shared
    from cityindicators.reports.sections.situation import RANKED_INDICATORS, _ranks, all_ranks

    shared.clear()
    first = sections.setup("X13", language="en", data_dir=demo_dir, show=False)
    year = first.years[1]
    ranks = all_ranks(first, year)
    ranked = [i for i in RANKED_INDICATORS if not isinstance(ranks[i], str)]
    assert ranked and "median_age" in ranked
    for code in ("X13", "X11"):
        ctx = sections.setup(code, language="lt", data_dir=demo_dir, show=False)
        assert all_ranks(ctx, year) is ranks  # kept, not computed again
        for i in ranked:
            table = rank_table(i, year, data=ctx.counts, data_dir=demo_dir, lang="lt", synthetic=True)
            row = table[table["territory_code"] == code]
            assert _ranks(ctx, i, year) == (float(row["rank"].iloc[0]), int(table["rank"].notna().sum()))
    shared.clear()


def test_aggregates_kept_equal_fresh_ones_and_are_bounded(demo_dir):
    """A report's repeated aggregates (its peers, its county) are one copy, equal to one built anew."""
    from dataclasses import fields

    from cityindicators.exceptions import DataValidationError
    from cityindicators.indicators import _counts
    from cityindicators.workspace import as_workspace

    counts = as_workspace(demo_dir).counts()
    groups = {"G:a": ("X11", "X12"), "G:b": ("X13",)}
    kept = counts.with_aggregates(groups)
    assert counts.with_aggregates(dict(groups)) is kept  # the same aggregates: the same copy
    fresh = counts._aggregated({k: list(v) for k, v in groups.items()})

    def same(a, b) -> bool:
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, np.ndarray):
            return np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        return a == b

    for f in fields(fresh):
        if f.name != "cache":
            assert same(getattr(kept, f.name), getattr(fresh, f.name)), f.name
    # hand-worked: the group of X11 and X12 holds their residents added up
    i = kept.index(["X11", "X12", "G:a"])
    np.testing.assert_array_equal(kept.pop_all[i[2]], kept.pop_all[i[0]] + kept.pop_all[i[1]])
    for n in range(_counts.AGGREGATES_KEPT + 2):  # other reports' peers: the oldest copies go
        counts.with_aggregates({f"G:x{n}": ("X11",)})
    assert len(counts.cache["_with_aggregates"]) == _counts.AGGREGATES_KEPT
    assert counts.with_aggregates(groups) is not kept
    # positions as pandas finds them; an absent code is an error that names it
    codes = ["X13", "X11", "X00"]
    np.testing.assert_array_equal(counts.index(codes), pd.Index(counts.codes).get_indexer(codes))
    with pytest.raises(DataValidationError, match="X99"):
        counts.index(["X11", "X99"])


def test_totals_of_several_trajectories_at_once(ctx):
    """The population target's trajectories totalled in one pass of their frames equal each one's own
    totals() (taken from its arrays: the same rows, sums to 1e-9 of a person)."""
    from cityindicators.projection.api import population_totals

    res = ctx.projection
    paths = {sc: find_inflow(ctx.code, year=2035, scenario=scenario, rates=res.rates, data_dir=ctx.data_dir,
                             population=20_000).projection for sc, scenario in res.scenarios.items()}
    together = population_totals(pd.concat([p.population for p in paths.values()], ignore_index=True))
    alone = pd.concat([p.totals() for p in paths.values()], ignore_index=True)
    same = {"check_exact": False, "rtol": 1e-13, "atol": 1e-9}
    pd.testing.assert_frame_equal(together, alone, **same)
    by_sex = population_totals(res.population, sex=None)  # men and women, as totals(sex=None)
    pd.testing.assert_frame_equal(by_sex, res.totals(sex=None), **same)


def test_projected_counts_from_the_engine_equal_those_of_the_frames(ctx):
    """The count arrays of the projected indicators taken from the engine's arrays are those
    build_counts makes from the population frame, to the bit; a result whose frame is not the
    arrays (a national control) is computed from the frame, with the same indicators."""
    from dataclasses import replace

    from cityindicators.indicators import compute_indicators
    from cityindicators.reports.sections.scenarios import _frame_counts, _projected_counts

    runs = [(ctx.projection, None)]
    fast, frame = _projected_counts(runs, ctx.code), _frame_counts(runs, ctx.code)
    assert fast.codes == tuple(ctx.projection.scenarios)
    order = fast.index(list(frame.codes))  # (build_counts sorts the territories)
    for what in ("pop", "pop_all", "births", "deaths", "infant_deaths"):
        np.testing.assert_array_equal(getattr(fast, what)[order], getattr(frame, what))
    np.testing.assert_array_equal(fast.years, frame.years)
    assert fast.open_age == frame.open_age == ctx.projection.open_age
    ids = list(PROJECTED_INDICATORS)
    by_frame = compute_indicators(ids, data=frame)
    mine = projected_indicators(ctx.projection, ctx.code, ids)
    pd.testing.assert_frame_equal(
        mine.sort_values(["scenario", "indicator", "year"], ignore_index=True),
        by_frame.rename(columns={"territory_code": "scenario"})[list(mine.columns)].sort_values(
            ["scenario", "indicator", "year"], ignore_index=True), check_exact=True)
    controlled = replace(ctx.projection, uncontrolled=ctx.projection.population)
    assert _projected_counts([(controlled, None)], ctx.code) is None
    pd.testing.assert_frame_equal(projected_indicators(controlled, ctx.code, ids), mine, check_exact=True)


def test_target_trajectory_is_projected_on_first_use(ctx):
    """find_inflow's trajectory is projected when first asked for, once: the projection of the
    scenario with the inflow found (or the upper bound when unreachable)."""
    from cityindicators.projection.api import project

    res = ctx.projection
    scenario = res.scenarios["baseline"]
    base = float(ctx.projected_totals.query("year == @res.base_year")["value"].iloc[0])
    for goal, bounds in ((base * 1.05, None), (base * 100, (0.0, 50.0))):
        tr = find_inflow(ctx.code, year=2035, scenario=scenario, rates=res.rates, data_dir=ctx.data_dir,
                         population=goal, bounds=bounds)
        assert tr._projection is None  # nothing projected by the search's result
        traj = tr.projection
        assert tr.projection is traj
        x = tr.inflow if tr.status == "met" else tr.bounds[1]
        direct = project(rates=res.rates.subset([ctx.code]), to_year=2035, scenario=scenario.with_added_inflow(x, "young_families"),
                         data_dir=ctx.data_dir)
        pd.testing.assert_frame_equal(traj.population, direct.population, check_exact=True)
    assert tr.status == "unreachable"


def test_interval_model_fitted_once_per_batch_gives_the_projections_own_band(demo_dir_backtested):
    """The interval model behind the calibrated fan chart and the intervals is fitted once per
    data and base year (reports/shared.py) and gives the quantiles and intervals project() gives
    when it fits the model itself; a second report reuses it."""
    from cityindicators.projection.api import project
    from cityindicators.projection.build_intervals import backtest_errors_of_build
    from cityindicators.reports import shared

    shared.clear()
    fits = []
    ctx = sections.setup_scenarios("X13", scenarios=["baseline"], horizon=2030, language="en", data_dir=demo_dir_backtested,
                                   trajectories=20, intervals=True, show=False)
    data = ctx.workspace.projection_data()
    res = ctx.projection
    own = project(ctx.code, base_year=res.base_year, to_year=2030, scenario=res.scenarios["baseline"], data=data,
                  data_dir=ctx.data_dir, stochastic=20, seed=2026,
                  interval_errors=backtest_errors_of_build(data, ctx.data_dir), calibrate_stochastic=True,
                  reference=res.reference)
    assert ctx.stochastic_calibrated
    pd.testing.assert_frame_equal(ctx.quantiles, own.quantiles, check_exact=True)
    pd.testing.assert_frame_equal(ctx.intervals, own.intervals, check_exact=True)
    pd.testing.assert_frame_equal(ctx.median_age_intervals, own.intervals_for("median_age"), check_exact=True)
    from cityindicators.projection import api

    real = api.shipped_model_at
    api.shipped_model_at = lambda *a, **k: fits.append(a) or real(*a, **k)
    try:
        again = sections.setup_scenarios("X12", scenarios=["baseline"], horizon=2030, language="en",
                                         data_dir=demo_dir_backtested, trajectories=20, show=False)
    finally:
        api.shipped_model_at = real
    assert fits == [] and again.stochastic_calibrated  # the batch's model, not fitted again
    shared.clear()  # another worker of the batch: the model read from the build's disk cache
    api.shipped_model_at = lambda *a, **k: fits.append(a) or real(*a, **k)
    try:
        read = sections.setup_scenarios("X13", scenarios=["baseline"], horizon=2030, language="en",
                                        data_dir=demo_dir_backtested, trajectories=20, intervals=True, show=False)
    finally:
        api.shipped_model_at = real
    assert fits == []
    pd.testing.assert_frame_equal(read.quantiles, own.quantiles, check_exact=True)
    pd.testing.assert_frame_equal(read.intervals, own.intervals, check_exact=True)


def test_backtest_errors_computed_once_for_every_worker_of_a_build(demo_dir_backtested, monkeypatch):
    """The out-of-sample errors behind the calibrated band are kept in the build's disk cache
    under the shared lock: another worker of the batch (a process with an empty memory cache)
    reads them and does not run the protocol again."""
    import importlib

    from cityindicators.reports import shared

    shared.clear()
    first = sections.setup_scenarios("X13", scenarios=["baseline"], horizon=2030, language="en",
                                     data_dir=demo_dir_backtested, trajectories=20, show=False)
    shared.clear()  # another worker: nothing in memory

    def not_again(*args, **kwargs):
        raise AssertionError("the back-test errors were computed again")

    monkeypatch.setattr(importlib.import_module("cityindicators.projection.backtest"), "out_of_sample_errors",
                        not_again)
    other = sections.setup_scenarios("X13", scenarios=["baseline"], horizon=2030, language="en",
                                     data_dir=demo_dir_backtested, trajectories=20, show=False)
    assert other.stochastic_calibrated
    pd.testing.assert_frame_equal(other.quantiles, first.quantiles, check_exact=True)


def test_median_age_model_fitted_once_for_the_reports_of_a_build(demo_dir_backtested, monkeypatch):
    """The median age's interval model is fitted once per build and base year, like the interval
    model of the total (projection/build_intervals.py): two reports of two territories fit it once,
    another worker of the batch reads it from the build's disk cache, and each report's median-age
    intervals are those project() gives when it fits the model itself."""
    from cityindicators import build_cache
    from cityindicators.projection import api
    from cityindicators.projection.build_intervals import backtest_errors_of_build

    build_cache.clear()
    for kept in build_cache.disk_folder(demo_dir_backtested).glob("median-age-model*.pickle"):
        kept.unlink()  # fitted by an earlier test (the build's errors stay)
    fits = []
    real = api.shipped_median_age_model_at
    monkeypatch.setattr(api, "shipped_median_age_model_at", lambda *a, **k: fits.append(a[2]) or real(*a, **k))
    reports = [sections.setup_scenarios(code, scenarios=["baseline"], horizon=2030, language="en",
                                        data_dir=demo_dir_backtested, trajectories=0, intervals=True, show=False)
               for code in ("X13", "X12")]
    assert len(fits) == 1  # (one fit per report before)
    build_cache.clear()  # another worker: read from the build's disk cache, not fitted
    again = sections.setup_scenarios("X12", scenarios=["baseline"], horizon=2030, language="en",
                                     data_dir=demo_dir_backtested, trajectories=0, intervals=True, show=False)
    assert len(fits) == 1
    pd.testing.assert_frame_equal(again.median_age_intervals, reports[1].median_age_intervals, check_exact=True)
    monkeypatch.setattr(api, "shipped_median_age_model_at", real)
    data = reports[0].workspace.projection_data()
    errors = backtest_errors_of_build(data, demo_dir_backtested)
    for ctx in reports:
        res = ctx.projection
        own = api.project(ctx.code, base_year=res.base_year, to_year=2030, scenario=res.scenarios["baseline"],
                          data=data, data_dir=ctx.data_dir, interval_errors=errors, reference=res.reference)
        mine = ctx.median_age_intervals
        assert len(mine) and set(mine["territory_code"]) == {ctx.code}
        pd.testing.assert_frame_equal(mine, own.intervals_for("median_age"), check_exact=True)
        pd.testing.assert_frame_equal(ctx.intervals, own.intervals, check_exact=True)
