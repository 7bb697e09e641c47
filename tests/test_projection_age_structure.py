"""The age-structure combination: the median age tilted toward its own exponential trend (hand-worked)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cityindicators.exceptions import ProjectionError
from cityindicators.projection import EstimationSettings, ProjectionData, estimate_rates, load_scenario
from cityindicators.projection.agegroups import median_age
from cityindicators.projection.engine import cohort_component, project_step
from cityindicators.projection.schedule import (AGE_STRUCTURE_HELD_AFTER, age_structure_adjustment, build_schedule,
                                               run_schedule, tilt_to_median)


def test_tilt_to_median_hand_worked():
    # P = (1, 1) at ages 0, 1 (median 1.0). Target 1.25 with the same total 2: 1 + (1 - Q0) / Q1 = 1.25
    # and Q0 + Q1 = 2 give Q0 = 2/3, Q1 = 4/3; with width 1 the tilt is exp(b tanh(x - 1)), so
    # Q1 / Q0 = exp(b tanh(1)) = 2, b = ln 2 / tanh 1.
    pop = np.array([[1.0, 1.0], [0.0, 0.0]])
    q = tilt_to_median(pop, 1.25, width=1.0)
    assert q[0] == pytest.approx([2 / 3, 4 / 3], rel=1e-9) and q[1] == pytest.approx([0.0, 0.0])
    # target 0.75: half = 1 is reached within age 0, 0.75 Q0 = 1, so Q0 = 4/3 (and Q1 = 2/3)
    q = tilt_to_median(pop, 0.75, width=1.0)
    assert q.sum() == pytest.approx(2.0) and median_age(q) == pytest.approx(0.75)
    assert q[0, 0] == pytest.approx(4 / 3, rel=1e-9)  # half = 1 = 0.75 Q0
    # the target equal to the median: the population itself; several territories at once
    many = np.stack([pop * 10, pop * 3])
    out = tilt_to_median(many, np.array([1.0, 1.25]), width=1.0)
    assert out[0] == pytest.approx(many[0]) and out[1, 0] == pytest.approx([2.0, 4.0])


@pytest.fixture(scope="module")
def demo(demo_dir):
    data = ProjectionData.from_store(data_dir=demo_dir)
    return data, int(data.population["year"].max())


def test_median_age_trend_is_the_exponential_baseline(demo):
    data, Y = demo
    rates = estimate_rates(data, ["X13"], Y)
    pop = data.population
    own = pop[pop["territory_code"] == "X13"]
    meds = []
    for y in range(Y - 5, Y + 1):
        arr = own[own["year"] == y].pivot_table(index="sex", columns="age", values="value", aggfunc="sum")
        meds.append(float(median_age(arr.loc[["male", "female"]].to_numpy())))
    x = np.arange(Y - 5, Y + 1, dtype=float)
    slope, icpt = np.polyfit(x, np.log(meds), 1)
    assert rates.median_age_trend[0, 1] == pytest.approx(slope, rel=1e-9)
    assert rates.median_age_trend[0, 0] == pytest.approx(icpt + slope * Y, rel=1e-9)


def test_combination_hits_the_target_median_and_keeps_totals_and_identity(demo):
    data, Y = demo
    base = estimate_rates(data, ["X13", "X11"], Y, EstimationSettings(age_structure_weight=0.0))
    sc = load_scenario("baseline")
    n = AGE_STRUCTURE_HELD_AFTER + 3
    cc = run_schedule(build_schedule(base, sc, Y + n))
    st = replace(base.settings, age_structure_weight=0.5, age_structure_years=4)
    sch = build_schedule(replace(base, settings=st), sc, Y + n)
    comb = run_schedule(sch)
    # the total is the cohort-component one in every year; the age structure is tilted
    assert comb.population.sum((-2, -1)) == pytest.approx(cc.population.sum((-2, -1)), rel=1e-9)
    m_cc = median_age(cc.population[1:])
    a, s = base.median_age_trend[:, 0], base.median_age_trend[:, 1]
    h = np.arange(1, n + 1)[:, None]
    shift = 0.5 * np.minimum(h / 4, 1) * (np.exp(a + s * h) - m_cc)  # l_h = 0.5 min(h / 4, 1)
    shift[AGE_STRUCTURE_HELD_AFTER:] = shift[AGE_STRUCTURE_HELD_AFTER - 1]  # held after the tested horizons
    assert median_age(comb.population[1:]) == pytest.approx(m_cc + shift, abs=1e-8)
    assert np.abs(shift[-1]).max() > 0.01  # the demo data's median does move
    # births + migrants - deaths = change, cell by cell (the adjustment is migration)
    P = comb.population
    change = P[1:].sum((-2, -1)) - P[:-1].sum((-2, -1))
    comp = comb.births.sum(-1) - comb.deaths.sum((-2, -1)) + comb.net_migration.sum((-2, -1))
    assert change == pytest.approx(comp, abs=1e-6)
    # the stochastic inputs carry the same adjustment: running them reproduces the result
    S, Sb, asfr, male, rate, count = sch.deterministic_inputs()
    again = cohort_component(base.population, S, Sb, asfr, male, rate, count)
    assert again.population == pytest.approx(comb.population)


def test_no_combination_without_migration_and_bad_weights_refused(demo):
    data, Y = demo
    base = estimate_rates(data, ["X13"], Y)
    st = replace(base.settings, age_structure_weight=0.5)
    zero = build_schedule(replace(base, settings=st), load_scenario("zero-migration"), Y + 5)
    assert zero.combination_count is None
    with pytest.raises(ProjectionError, match="age_structure_weight"):
        EstimationSettings(age_structure_weight=1.5)
    with pytest.raises(ProjectionError, match="age_structure_years"):
        EstimationSettings(age_structure_years=0)


def _adjustment_year_by_year(sch, weight, years):
    """The adjustment of :func:`age_structure_adjustment` solved one year after another, as it was
    computed before the year axis was vectorised: the reference its result must equal to the bit."""
    run = run_schedule(sch)
    pop = run.population
    n = pop.shape[0] - 1
    h = np.arange(1, n + 1, dtype=float)[:, None]
    cc = median_age(pop[1:])
    a, s = sch.rates.median_age_trend[:, 0], sch.rates.median_age_trend[:, 1]
    shift = weight * np.minimum(h / float(years), 1.0) * (np.exp(a[None, :] + s[None, :] * h) - cc)
    if n > AGE_STRUCTURE_HELD_AFTER:
        shift[AGE_STRUCTURE_HELD_AFTER:] = shift[AGE_STRUCTURE_HELD_AFTER - 1]
    target = tilt_to_median(pop[1:], cc + shift)
    S, Sb, asfr, male, rate, count = sch.deterministic_inputs()
    rate = np.broadcast_to(rate, target.shape)
    extra = np.empty(target.shape)
    P = pop[0]
    for t in range(n):
        step = project_step(P, S[t], Sb[t], asfr[t], male[t], rate[t], count[t])
        surv = step.population - step.net_migration
        solved = target[t] - surv - rate[t] * surv
        births = project_step(P, S[t], Sb[t], asfr[t], male[t], rate[t], solved)
        s0 = births.population[..., 0] - births.net_migration[..., 0]
        solved[..., 0] = target[t][..., 0] - s0 - rate[t][..., 0] * s0
        extra[t] = solved - count[t]
        P = target[t]
    return extra


def test_adjustment_of_all_years_at_once_equals_the_year_by_year_one(demo):
    data, Y = demo
    base = estimate_rates(data, ["X13", "X11"], Y, EstimationSettings(age_structure_weight=0.0))
    for scenario in ("trend", "attraction"):  # a migration trend; an added inflow of counts
        sch = build_schedule(base, load_scenario(scenario), Y + AGE_STRUCTURE_HELD_AFTER + 6)
        fast = age_structure_adjustment(sch, 0.5, 4)
        slow = _adjustment_year_by_year(sch, 0.5, 4)
        assert fast.shape == slow.shape and np.array_equal(fast, slow)
        assert np.abs(fast).max() > 0.1  # the adjustment does move people


def test_damped_trend_of_the_median_age_hand_worked(demo):
    # damping d = 0.5: the log trend adds s (0.5 + 0.25 + ...) instead of s h, so in year 3 s * 0.875
    data, Y = demo
    base = estimate_rates(data, ["X13"], Y, EstimationSettings(age_structure_weight=0.0))
    sc = load_scenario("baseline")
    cc = median_age(run_schedule(build_schedule(base, sc, Y + 4)).population[1:])
    st = replace(base.settings, age_structure_weight=1.0, age_structure_years=1, age_structure_damping=0.5)
    comb = run_schedule(build_schedule(replace(base, settings=st), sc, Y + 4))
    a, s = base.median_age_trend[0]
    steps = np.array([0.5, 0.75, 0.875, 0.9375])  # d + ... + d^h, h = 1..4
    # weight 1 reached in the first year: the median age is the damped trend itself
    assert median_age(comb.population[1:])[:, 0] == pytest.approx(np.exp(a + s * steps), abs=1e-8)
    assert abs(s) > 0 and not np.allclose(np.exp(a + s * steps), cc[:, 0])
    with pytest.raises(ProjectionError, match="age_structure_damping must be within"):
        EstimationSettings(age_structure_damping=0.0)


def test_weight_rising_as_a_power_of_the_horizon_hand_worked(demo):
    # weight 1 over 4 years with power 2: l_h = (h / 4)^2 = 1/16, 1/4, 9/16, 1, 1 for h = 1..5, so the median
    # age is cc + l_h (trend - cc); power 1 would give 1/4, 1/2, 3/4, 1, 1
    data, Y = demo
    base = estimate_rates(data, ["X13"], Y, EstimationSettings(age_structure_weight=0.0))
    sc = load_scenario("baseline")
    cc = median_age(run_schedule(build_schedule(base, sc, Y + 5)).population[1:])[:, 0]
    st = replace(base.settings, age_structure_weight=1.0, age_structure_years=4, age_structure_power=2.0)
    comb = median_age(run_schedule(build_schedule(replace(base, settings=st), sc, Y + 5)).population[1:])[:, 0]
    a, s = base.median_age_trend[0]
    trend = np.exp(a + s * np.arange(1, 6))
    lam = np.array([1 / 16, 1 / 4, 9 / 16, 1.0, 1.0])
    assert comb == pytest.approx(cc + lam * (trend - cc), abs=1e-8)
    assert np.abs(trend - cc).min() > 1e-3  # the trend and the cohort-component median differ
    with pytest.raises(ProjectionError, match="age_structure_power must be within"):
        EstimationSettings(age_structure_power=0.0)


def test_schedules_built_together_equal_those_built_alone(demo):
    from cityindicators.projection.schedule import build_schedules

    data, Y = demo
    base = estimate_rates(data, ["X13", "X11"], Y)
    assert base.settings.age_structure_weight > 0  # the shipped default combines
    one = base.subset(["X11"])
    pairs = [(base, load_scenario("baseline")), (one, load_scenario("attraction")), (base, load_scenario("trend")),
             (base, load_scenario("zero-migration"))]
    together = build_schedules(pairs, Y + AGE_STRUCTURE_HELD_AFTER + 4)
    for (rates, sc), sch in zip(pairs, together):
        alone = build_schedule(rates, sc, Y + AGE_STRUCTURE_HELD_AFTER + 4)
        assert (sch.combination_count is None) == (sc.name == "zero-migration")
        if sch.combination_count is not None:
            assert np.array_equal(sch.combination_count, alone.combination_count)
        assert np.array_equal(run_schedule(sch).population, run_schedule(alone).population)
