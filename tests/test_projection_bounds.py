"""Bounded trends and plausibility of scenarios (issue 9), hand-worked."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cityindicators.exceptions import ConfigError
from cityindicators.projection import ProjectionData, estimate_rates, project
from cityindicators.projection.bounds import E0_CEILING, TFR_TREND_MAX_CHANGE, e0_path, implausible_values, tfr_path
from cityindicators.projection.scenarios import Scenario, load_scenario
from cityindicators.projection.schedule import build_schedule


def test_life_expectancy_gains_slow_towards_the_ceiling_hand_worked():
    # women at 80 with a first-year gain of 0.35 and a ceiling of 87: the gap of 7 shrinks by
    # 0.35 / 7 = 5 % a year -> 80, 80.35, 87 - 7 * 0.95^2 = 80.6825, ...
    path = e0_path(np.array([[70.0, 80.0]]), np.array([[0.0, 0.35]]), 4, ceiling=(82.0, 87.0))
    assert path.shape == (4, 1, 2)
    np.testing.assert_allclose(path[:, 0, 1], [80.0, 80.35, 80.6825, 87 - 7 * 0.95**3])
    np.testing.assert_allclose(path[:, 0, 0], 70.0)  # no gain, no change
    gains = np.diff(path[:, 0, 1])
    assert (np.diff(gains) < 0).all()  # each year's gain is smaller than the last
    far = e0_path(np.array([80.0, 80.0]), np.array([0.35, 0.35]), 400, ceiling=(87.0, 87.0))
    assert far[-1].max() < 87.0 and far[-1].min() > 86.99  # approaches, never passes the ceiling


def test_life_expectancy_at_the_ceiling_keeps_its_level_and_a_loss_is_linear():
    path = e0_path(np.array([83.0, 88.0]), np.array([-0.1, 0.3]), 3, ceiling=E0_CEILING)
    np.testing.assert_allclose(path[:, 0], [83.0, 82.9, 82.8])  # worsening mortality: linear loss
    np.testing.assert_allclose(path[:, 1], 88.0)  # already above the women's ceiling of 87
    # a gain larger than the gap reaches the ceiling in one year and stays there
    np.testing.assert_allclose(e0_path(np.array([86.8]), np.array([0.4]), 3, ceiling=(87.0,))[:, 0],
                               [86.8, 87.0, 87.0])


@pytest.fixture(scope="module")
def demo_rates(demo_dir):
    data = ProjectionData.from_store(data_dir=demo_dir)
    return estimate_rates(data, ["X13", "X15"], 2018)


def test_trend_tfr_stays_within_the_scenario_range_from_the_first_year(demo_rates):
    rates = replace(demo_rates, tfr=np.array([2.3, 0.8]))  # base TFRs outside 1.0-2.1
    sch = build_schedule(rates, load_scenario("trend"), 2050)
    assert sch.tfr.max() <= 2.1 + 1e-12 and sch.tfr.min() >= 1.0 - 1e-12
    np.testing.assert_allclose(sch.tfr[0], [2.1, 1.0])  # the nearest bound from the first year
    base = load_scenario("baseline")
    held = build_schedule(rates, replace(base, fertility=replace(base.fertility, mode="hold")), 2050)  # "hold" keeps the estimate
    np.testing.assert_allclose(held.tfr[-1], [2.3, 0.8])


def test_tfr_trend_is_limited_and_converges_hand_worked():
    # TFR 1.5, slope 0.1 a year, damping 0.5: the trend adds 0.1 * (0.5, 0.75, 0.875, 0.9375)
    # = 0.05, 0.075, 0.0875, 0.09375, limited to 0.08 -> 1.5, 1.55, 1.575, 1.58, 1.58; moving to 1.8 in
    # 4 years (lambda = 0, 1/4, 1/2, 3/4, 1): 1.5, 0.75 * 1.55 + 0.25 * 1.8 = 1.6125, 0.5 * 1.575 + 0.5 * 1.8
    # = 1.6875, 0.25 * 1.58 + 0.75 * 1.8 = 1.745, 1.8; within 1.0-1.7: the last two at 1.7
    plain = tfr_path(np.array([1.5]), np.array([0.1]), 0.5, 5, (1.0, 2.1), max_change=0.08)
    np.testing.assert_allclose(plain[:, 0], [1.5, 1.55, 1.575, 1.58, 1.58])
    conv = tfr_path(np.array([1.5]), np.array([0.1]), 0.5, 6, (1.0, 2.1), 0.08, np.array([1.8]), 4)
    np.testing.assert_allclose(conv[:, 0], [1.5, 1.6125, 1.6875, 1.745, 1.8, 1.8])
    bounded = tfr_path(np.array([1.5]), np.array([0.1]), 0.5, 5, (1.0, 1.7), 0.08, np.array([1.8]), 4)
    np.testing.assert_allclose(bounded[:, 0], [1.5, 1.6125, 1.6875, 1.7, 1.7])
    # a falling trend is limited the same way; no damping (1) is a straight line until the limit
    down = tfr_path(np.array([1.5]), np.array([-0.1]), 1.0, 6, (1.0, 2.1), 0.3)
    np.testing.assert_allclose(down[:, 0], [1.5, 1.4, 1.3, 1.2, 1.2, 1.2])


def test_tfr_outside_the_bounds_enters_them_over_the_stated_years_hand_worked():
    # bounds 1.0-2.1, entry in 4 years (mu = 0, 1/4, 1/2, 3/4, 1, 1): a base of 2.5 held (no slope) has
    # the upper bound 2.1 + (1 - mu) * 0.4 = 2.5, 2.4, 2.3, 2.2, 2.1, 2.1; a base of 0.6 the lower bound
    # 1.0 - (1 - mu) * 0.4 = 0.6, 0.7, 0.8, 0.9, 1.0, 1.0; a base of 1.5 within them is bounded as before
    args = (np.array([2.5, 0.6, 1.5]), np.array([0.0, 0.0, 0.0]), 0.9, 6, (1.0, 2.1))
    entering = tfr_path(*args, entry_years=4)
    np.testing.assert_allclose(entering[:, 0], [2.5, 2.4, 2.3, 2.2, 2.1, 2.1])
    np.testing.assert_allclose(entering[:, 1], [0.6, 0.7, 0.8, 0.9, 1.0, 1.0])
    np.testing.assert_allclose(entering[:, 2], 1.5)
    np.testing.assert_allclose(tfr_path(*args)[:, :2], [[2.1, 1.0]] * 6)  # without it: the bound from the first year
    # a rising trend (slope 0.1, no damping, at most 0.3) above the bound follows the moving bound: 2.5 + 0.1 j
    # clipped to 2.5, 2.4, 2.3, 2.2, 2.1; a falling one from 2.5 (2.4, 2.3, 2.2 ...) stays below it:
    # 2.5, min(2.4, 2.4) = 2.4, 2.3, 2.2, min(2.2, 2.1) = 2.1
    up = tfr_path(np.array([2.5]), np.array([0.1]), 1.0, 5, (1.0, 2.1), 0.3, entry_years=4)
    np.testing.assert_allclose(up[:, 0], [2.5, 2.4, 2.3, 2.2, 2.1])
    down = tfr_path(np.array([2.5]), np.array([-0.15]), 1.0, 5, (1.0, 2.1), 0.3, entry_years=4)
    np.testing.assert_allclose(down[:, 0], [2.5, 2.35, 2.2, 2.2, 2.1])
    # a path within the bounds at the base that the trend pushes beyond them is clipped at once, as before
    inside = tfr_path(np.array([2.0]), np.array([0.1]), 1.0, 4, (1.0, 2.1), 0.3, entry_years=4)
    np.testing.assert_allclose(inside[:, 0], [2.0, 2.1, 2.1, 2.1])


def test_bounds_entry_years_is_a_validated_scenario_key(demo_rates):
    sc = Scenario.from_dict({"name": "e", "fertility": {"mode": "trend", "bounds_entry_years": 5}})
    assert sc.fertility.bounds_entry_years == 5
    assert Scenario.from_dict(sc.to_dict()) == sc
    assert "bounds_entry_years" not in load_scenario("trend").to_dict()["fertility"]  # null is left out
    assert "a base outside them moves into them in 5 years" in sc.summary()["fertility"]
    for bad in (0, 2.5, "ten", True):
        with pytest.raises(ConfigError, match=r"fertility\.bounds_entry_years.*whole number of years"):
            Scenario.from_dict({"name": "e", "fertility": {"mode": "trend", "bounds_entry_years": bad}},
                               source="mine.yaml")
    with pytest.raises(ConfigError, match=r"key 'fertility.bounds_entry_years'.*plausible range 1 to 20"):
        Scenario.from_dict({"name": "e", "fertility": {"mode": "trend", "bounds_entry_years": 30}})
    # in the schedule: a base TFR of 2.3 starts at 2.3 and is within 1.0-2.1 from year 5 on
    rates = replace(demo_rates, tfr=np.array([2.3, 1.5]))
    sch = build_schedule(rates, sc, 2030)
    assert sch.tfr[0, 0] == pytest.approx(2.3)
    assert (sch.tfr[5:, 0] <= 2.1 + 1e-12).all() and (sch.tfr[:5, 0] > 2.1).all()
    plain = build_schedule(rates, replace(sc, fertility=replace(sc.fertility, bounds_entry_years=None)), 2030)
    np.testing.assert_allclose(sch.tfr[:, 1], plain.tfr[:, 1])  # a base within the bounds: unchanged


def test_baseline_tfr_moves_to_the_reference_tfr_of_all_municipalities(demo_rates, demo_dir):
    base = load_scenario("baseline")
    assert base.fertility.max_change == TFR_TREND_MAX_CHANGE and base.fertility.convergence_years == 40
    ref = demo_rates.tfr_reference
    assert ref.shape == (2,) and ref[0] == ref[1] and 1.0 < ref[0] < 2.1
    # the reference does not depend on what else is estimated with a territory
    alone = estimate_rates(ProjectionData.from_store(data_dir=demo_dir), ["X15"], 2018)
    assert alone.tfr_reference[0] == pytest.approx(ref[0], rel=1e-12)
    sch = build_schedule(demo_rates, base, 2070)
    np.testing.assert_allclose(sch.tfr[40:], ref[0])  # reached after 40 years, held after
    assert np.abs(sch.tfr[:40] - demo_rates.tfr).max() <= TFR_TREND_MAX_CHANGE + np.abs(demo_rates.tfr - ref).max()
    assert "the country's level in 40 years" in base.summary()["fertility"]
    with pytest.raises(ConfigError, match="fertility.convergence_years"):
        Scenario.from_dict({"name": "x", "fertility": {"mode": "trend", "convergence_years": 0}})


def test_gain_scenario_follows_the_ceiling(demo_rates):
    sc = Scenario.from_dict({"name": "g", "mortality": {"mode": "gain", "e0_gain_per_year": 0.3,
                                                        "e0_ceiling": [80.0, 85.0]}})
    sch = build_schedule(demo_rates, sc, 2100)
    assert (sch.e0[..., 0] < 80.0).all() and (sch.e0[..., 1] < 85.0).all()
    np.testing.assert_allclose(sch.e0[1] - sch.e0[0], 0.3)  # the first-year gain as given
    assert "slowing towards 80 (men) and 85 (women)" in sc.summary()["mortality"]


@pytest.mark.parametrize("doc, key", [
    ({"fertility": {"mode": "path", "path": {2030: 3.2}}}, "fertility.path.2030"),
    ({"fertility": {"mode": "trend", "bounds": [0.5, 2.1]}}, "fertility.bounds"),
    ({"fertility": {"mode": "trend", "max_change": 1.5}}, "fertility.max_change"),
    ({"mortality": {"mode": "gain", "e0_gain_per_year": 0.8}}, "mortality.e0_gain_per_year"),
    ({"mortality": {"mode": "trend", "bounds": [0.0, 0.9]}}, "mortality.bounds"),
    ({"mortality": {"mode": "trend", "e0_ceiling": [82.0, 99.0]}}, "mortality.e0_ceiling"),
    ({"migration": {"outflow_scale": 5.0}}, "migration.outflow_scale"),
    ({"migration": {"path": {2030: 4.0}}}, "migration.path.2030"),
    ({"migration": {"mode": "trend", "bounds": [-0.1, 0.03]}}, "migration.bounds"),
    ({"migration": {"added_inflow": {"per_1000": 40}}}, "migration.added_inflow.per_1000"),
])
def test_implausible_user_scenario_is_refused_unless_allowed(doc, key):
    with pytest.raises(ConfigError, match=rf"key '{key}'.*plausible range.*allow_implausible: true"):
        Scenario.from_dict({"name": "mine", **doc}, source="mine.yaml")
    sc = Scenario.from_dict({"name": "mine", "allow_implausible": True, **doc})
    assert [k for k, _, _ in implausible_values(sc)] and sc.allow_implausible
    assert Scenario.from_dict(sc.to_dict()) == sc  # round-trips with the flag


@pytest.mark.parametrize("doc, key", [
    ({"mortality": {"e0_gain_per_year": 0.9}}, "mortality.e0_gain_per_year"),
    ({"fertility": {"mode": "hold", "bounds": [1.0, 3.5]}}, "fertility.bounds"),
    ({"migration": {"mode": "zero", "bounds": [-0.1, 0.03]}}, "migration.bounds"),
])
def test_a_value_the_mode_does_not_use_is_refused_even_when_implausible_values_are_allowed(doc, key):
    """A gain written without ``mode: gain`` (the default ``hold``) passed unseen once: it is refused
    as a key its mode does not use, whatever ``allow_implausible`` says."""
    for allow in (False, True):
        with pytest.raises(ConfigError, match=rf"key '{key}': applies only with mode"):
            Scenario.from_dict({"name": "mine", "allow_implausible": allow, **doc}, source="mine.yaml")


def test_allow_implausible_must_be_a_boolean_and_shipped_scenarios_are_plausible():
    with pytest.raises(ConfigError, match="allow_implausible"):
        Scenario.from_dict({"name": "x", "allow_implausible": "yes"})
    for name in ("baseline", "trend", "zero-migration", "low-emigration", "attraction", "revival"):
        assert implausible_values(load_scenario(name)) == []


@pytest.mark.realdata
def test_real_baseline_tfr_leaves_the_bounds_by_2049(real_data_dir):
    """Issue 9: the baseline's TFR trend, only damped and clipped, put 26 of 60 municipalities at the
    2.1 bound in 2049; limited to 0.3 and converging to the country's level none is at a bound."""
    res = project("all", to_year=2050, scenario="baseline", data_dir=real_data_dir)
    a = res.assumptions
    tfr = a.query("year == 2049")["tfr"]
    assert len(tfr) == 60 and tfr.between(1.0 + 1e-6, 2.1 - 1e-6).all(), tfr.describe()
    ref = float(res.rates.tfr_reference[0])
    assert (tfr - ref).abs().max() < np.abs(res.rates.tfr - ref).max()  # closer to the country's level than the base
    assert a["e0_female"].max() < E0_CEILING[1]


@pytest.mark.realdata
def test_real_trend_scenario_stays_plausible_to_2050(real_data_dir):
    d = real_data_dir
    res = project("all", to_year=2050, scenario="trend", data_dir=d)
    a = res.assumptions
    # issue 9: before the bounds, women's e0 was above 90 in 2049 in 36 of 60 municipalities (max 94.5)
    assert a["e0_female"].max() < E0_CEILING[1]
    assert a["e0_male"].max() < E0_CEILING[0]
    tfr = a["tfr"]
    assert tfr.between(1.0, 2.1).all()  # the trend scenario's own range (a base of 2.14 was kept before)
