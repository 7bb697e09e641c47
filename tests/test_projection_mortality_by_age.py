"""Mortality that falls at its own pace by age (a Lee-Carter form fitted to a life-expectancy path)."""

from __future__ import annotations

import numpy as np
import pytest

from cityindicators.exceptions import ProjectionError
from cityindicators.projection import EstimationSettings
from cityindicators.projection.estimation.mortality import improvement_by_age
from cityindicators.projection.lifetable import E0Scaler, life_expectancy

AGES = np.arange(14)  # ages 0..13, 13 open
M = 0.01 * np.exp(0.1 * AGES)  # any increasing schedule
FIT = [2001, 2002, 2003, 2004]


def _population(rates: dict[int, float], years=(2001, 2002, 2003, 2004, 2005)) -> np.ndarray:
    """``P[year, sex, age]`` whose cohort hazard at age ``x`` in year ``t`` is ``h_x exp(-r (t - 2001))`` with
    ``h_x = 0.01 + 0.002 x`` and ``r`` by age from ``rates`` (the first key whose age it reaches)."""
    P = np.zeros((len(years), 2, 14))
    P[0] = 1000.0
    for i in range(1, len(years)):
        t = years[i - 1]
        P[i, :, 0] = 1000.0
        for x in range(13):
            r = [v for a, v in sorted(rates.items()) if x >= a][-1]
            h = (0.01 + 0.002 * x) * np.exp(-r * (t - 2001))
            P[i, :, x + 1] = P[i - 1, :, x] * np.exp(-h)
    return P


def _e0(pace: float) -> np.ndarray:
    """Life expectancy ``[2, 4]`` of ``M exp(-pace (t - 2001))`` for men and women (their age 0 differs)."""
    return np.array([[life_expectancy(M * np.exp(-pace * j), female) for j in range(4)] for female in (False, True)])


def test_improvement_by_age_hand_worked():
    # ages (2, 12): ages 2..11 (below 12 and below the last age 12 before the open 13); groups of five from 2:
    # 2-6 (mid 4) and 7-11 (mid 9). Group 2-6 falls 0.025 a year, 7-11 0.05; the plain scaling's pace from the life
    # expectancy: 0.025 a year (on grid nodes of E0Scaler, so exact) -> b = 1 at 4, 2 at 9, linear between, 2 above,
    # 1 from 4 down (interpolated to 1 at 2 - 10 = -8)
    P = _population({0: 0.025, 7: 0.05})
    b = improvement_by_age(P, [2001, 2002, 2003, 2004, 2005], FIT, (2, 12), _e0(0.025), np.stack([M, M]))
    expected = np.array([1, 1, 1, 1, 1, 1.2, 1.4, 1.6, 1.8, 2, 2, 2, 2, 2])
    assert b == pytest.approx(np.stack([expected, expected]), abs=1e-6)


def test_improvement_by_age_is_bounded_and_falls_back_to_the_plain_scaling():
    P = _population({0: 0.025, 7: 0.2})  # 8 times the pace: bounded to 3
    b = improvement_by_age(P, [2001, 2002, 2003, 2004, 2005], FIT, (2, 12), _e0(0.025), np.stack([M, M]))
    assert b[0, 9:] == pytest.approx(3.0)
    # life expectancy not rising: no pace to measure the ages against -> 1 everywhere
    flat = improvement_by_age(P, [2001, 2002, 2003, 2004, 2005], FIT, (2, 12), _e0(0.0), np.stack([M, M]))
    assert (flat == 1).all()
    # fewer than three fit years -> 1 everywhere
    few = improvement_by_age(P, [2001, 2002, 2003, 2004, 2005], FIT[:2], (2, 12), _e0(0.025)[:, :2], np.stack([M, M]))
    assert (few == 1).all()


def test_e0_scaler_with_a_pace_by_age_hits_the_life_expectancy_and_moves_ages_by_b():
    m = np.stack([M, M])[None]  # [1, 2, A]
    b = np.linspace(0.5, 2.0, 14)
    sc = E0Scaler(m, b=b)
    # a target on a grid node: log k = -0.25 exactly
    target = life_expectancy(m * np.exp(-0.25 * b), np.array([False, True])[None])
    got = sc(target)
    assert np.log(got / m) == pytest.approx(-0.25 * np.broadcast_to(b, m.shape), abs=1e-9)
    assert life_expectancy(got, np.array([False, True])[None]) == pytest.approx(target, abs=1e-9)
    # b = 1 is the plain scaling
    plain, ones = E0Scaler(m), E0Scaler(m, b=np.ones(14))
    t = target - 0.3
    assert ones(t) == pytest.approx(plain(t))
    assert ones.survival(t)[0] == pytest.approx(plain.survival(t)[0])


def test_mortality_improvement_setting_is_checked():
    assert EstimationSettings().mortality_improvement == "uniform"
    with pytest.raises(ProjectionError, match="mortality_improvement must be one of uniform, by_age"):
        EstimationSettings(mortality_improvement="lee-carter")


def test_by_age_keeps_each_years_life_expectancy_and_is_estimated_only_when_used(demo_dir):
    from dataclasses import replace

    from cityindicators.projection import ProjectionData, estimate_rates, load_scenario
    from cityindicators.projection.agegroups import FEMALE
    from cityindicators.projection.schedule import build_schedule

    data = ProjectionData.from_store(data_dir=demo_dir)
    Y = int(data.population["year"].max())
    codes = sorted(data.population["territory_code"].astype(str).unique())[:2]
    plain = estimate_rates(data, codes, Y)
    assert plain.improvement_by_age is None  # not estimated by default
    by_age = estimate_rates(data, codes, Y, EstimationSettings(mortality_improvement="by_age"))
    b = by_age.improvement_by_age
    assert b.shape == plain.mortality.shape and (b >= 0).all() and (b <= 3).all()
    assert (b[0] == b[1]).all()  # the country's pace: the same for every territory
    sc = load_scenario("baseline")  # life expectancy rising by a fixed gain
    s_plain, s_age = build_schedule(plain, sc, Y + 10), build_schedule(by_age, sc, Y + 10)
    assert s_age.e0 == pytest.approx(s_plain.e0)
    # the rates of each year have that year's life expectancy, and move by age as b says
    m = s_age.scaler(s_age.e0[-1])
    assert life_expectancy(m, FEMALE[None, :]) == pytest.approx(s_age.e0[-1], abs=0.02)
    pos = by_age.mortality > 0
    assert pos[..., 0].all() and pos.mean() > 0.9
    logk = np.log(np.where(pos, m, 1.0) / np.where(pos, by_age.mortality, 1.0))
    assert logk[pos] == pytest.approx(np.broadcast_to(logk[..., :1] * b, b.shape)[pos], rel=1e-9, abs=1e-12)
    # with b = 1 everywhere the schedule is the plain one
    ones = replace(by_age, improvement_by_age=np.ones_like(b))
    assert ones.e0_scaler()(s_plain.e0[-1]) == pytest.approx(plain.e0_scaler()(s_plain.e0[-1]))
