"""The damped trend of net migration (scenario ``migration.mode: trend``) and the back-test candidates using it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cityindicators.projection import ProjectionData, estimate_rates, load_scenario
from cityindicators.projection.backtest import REGISTER_BREAK_YEARS, Candidate, default_candidates
from cityindicators.projection.rates import EstimationSettings
from cityindicators.projection.schedule import build_schedule, run_schedule


@pytest.fixture(scope="module")
def demo_rates(demo_dir):
    data = ProjectionData.from_store(data_dir=demo_dir)
    Y = int(data.population["year"].max())
    # the plain cohort-component structure: the age-structure combination would add migrants of its own
    return estimate_rates(data, ["X13"], Y, EstimationSettings(age_structure_weight=0.0))


def _with_linear_history(rates, slope: float):
    """The rates with a crude net migration history rising by ``slope`` a year (hand-made)."""
    yrs = rates.hist_years.astype(float)
    hist = (-0.01 + slope * (yrs - yrs[-1]))[None, :]
    return replace(rates, netmig_hist=hist)


def test_migration_trend_shift_is_the_damped_sum_of_the_slope(demo_rates):
    rates = _with_linear_history(demo_rates, 0.002)
    sc = load_scenario("baseline")
    sc = replace(sc, migration=replace(sc.migration, mode="trend", damping=0.5, bounds=(-0.03, 0.03)))
    sch = build_schedule(rates, sc, rates.base_year + 5)
    # delta_j = s * sum_{i=1..j} d^i with s = 0.002, d = 0.5: 0, 0.001, 0.0015, 0.00175, 0.001875
    assert sch.mig_shift[:, 0] == pytest.approx([0, 0.001, 0.0015, 0.00175, 0.001875])
    held = build_schedule(rates, replace(sc, migration=replace(sc.migration, mode="hold")), rates.base_year + 5)
    _, _, _, _, rate_t, count_t = sch.deterministic_inputs()
    _, _, _, _, rate_h, count_h = held.deterministic_inputs()
    # the shift is added to the rate part, spread over age and sex by the profile (population-weighted mean 1)
    assert np.allclose(rate_t - rate_h, sch.mig_shift[:, :, None, None] * sch.shift_profile[None])
    P0 = rates.population
    assert (sch.shift_profile * P0).sum() / P0.sum() == pytest.approx(1.0)
    assert np.allclose(count_t, count_h)
    # the accounting identity of the engine still holds
    res = run_schedule(sch)
    change = res.population[1:].sum((-2, -1)) - res.population[:-1].sum((-2, -1))
    assert np.allclose(change, res.births.sum(-1) - res.deaths.sum((-2, -1)) + res.net_migration.sum((-2, -1)))


def test_migration_trend_is_bounded(demo_rates):
    rates = _with_linear_history(demo_rates, -0.02)
    sc = load_scenario("baseline")
    sc = replace(sc, migration=replace(sc.migration, mode="trend", damping=0.5, bounds=(-0.03, 0.03)))
    sch = build_schedule(rates, sc, rates.base_year + 8)
    c0 = float(rates.net_migration().sum() / rates.population.sum())
    # unbounded the path would be c0 - 0.02 * (0.5 + 0.25 + ...); it stops at the lower bound -0.03
    path = c0 + sch.mig_shift[:, 0]
    expected = np.maximum(c0 - 0.02 * np.array([sum(0.5**i for i in range(1, j + 1)) for j in range(8)]), -0.03)
    assert path == pytest.approx(expected)


def test_candidate_scenarios_set_the_modes():
    st = EstimationSettings()
    held = Candidate("a", st).scenario()
    assert (held.mortality.mode, held.fertility.mode, held.migration.mode) == ("hold", "hold", "hold")
    gain = Candidate("b", st, e0_gain=0.15).scenario()
    assert gain.mortality.mode == "gain" and gain.mortality.e0_gain_per_year == pytest.approx(0.15)
    tr = Candidate("c", st, e0_gain=0.15, e0_trend=True, tfr_trend=True, migration_trend=0.7).scenario()
    assert (tr.mortality.mode, tr.mortality.e0_gain_per_year) == ("trend", 0.0)
    assert tr.fertility.mode == "trend"
    assert (tr.migration.mode, tr.migration.damping) == ("trend", pytest.approx(0.7))


def test_default_candidates_are_distinct_and_start_with_the_prior():
    cands = default_candidates()
    names = [c.name for c in cands]
    assert len(set(names)) == len(names) == 36
    assert names[0] == "w5-x2010-2011-age0.5"
    # the two treatments of the method are in every candidate: the register's break years left out of the
    # migration window and the age-structure combination
    assert all(c.settings.migration_excluded_years == REGISTER_BREAK_YEARS == (2010, 2011) for c in cands)
    assert all(c.settings.age_structure_weight == 0.5 for c in cands)
    assert all("-x2010-2011" in c.name and c.name.endswith("-age0.5") for c in cands)
    trend = [c for c in cands if c.migration_trend is not None]
    assert len(trend) == 12 and {c.migration_trend for c in trend} == {0.6, 0.7, 0.8}
    assert all(c.settings.migration_window == 5 for c in trend)
    first = cands[:24]
    assert {c.settings.migration_window for c in first} == {5, 10}
    assert {c.settings.migration_convergence for c in first} == {"none", "own_mean", "zero"}
    assert {c.settings.total_combination_weight for c in first} == {0.0, 0.5} and {c.e0_gain for c in first} == {0.0, 0.15}


def test_migration_trend_leaves_the_excluded_years_out_of_its_fit(demo_rates):
    # a history falling by 0.001 a year with one atypical year: -0.05 instead of its line value
    rates = _with_linear_history(demo_rates, -0.001)
    yrs = rates.hist_years
    odd = int(yrs[-4])
    hist = rates.netmig_hist.copy()
    hist[0, -4] = -0.05
    rates = replace(rates, netmig_hist=hist)
    sc = load_scenario("baseline")
    sc = replace(sc, migration=replace(sc.migration, mode="trend", damping=0.5, bounds=(-0.03, 0.03)))
    st = replace(rates.settings, migration_excluded_years=(odd,), migration_convergence="none")
    # the odd year left out: the slope is the line's, -0.001, so delta_1 = -0.0005 (d = 0.5)
    sch = build_schedule(replace(rates, settings=st), sc, rates.base_year + 3)
    assert sch.mig_shift[:, 0] == pytest.approx([0, -0.0005, -0.00075])
    # kept in, it tilts the slope (fitted on the last trend_years, the odd year among them)
    kept = build_schedule(replace(rates, settings=replace(st, migration_trend_excludes=False)), sc, rates.base_year + 3)
    assert abs(kept.mig_shift[1, 0] + 0.0005) > 1e-4
    assert EstimationSettings().migration_trend_excludes
