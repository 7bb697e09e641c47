"""The age-sex pattern of net migration from a longer history or the country, at the window's level."""

from __future__ import annotations

import numpy as np
import pytest

from cityindicators.exceptions import ProjectionError
from cityindicators.projection import EstimationSettings, ProjectionData, estimate_rates
from cityindicators.projection.estimation.migration import level_shifted_profile


def test_level_shifted_profile_hand_worked():
    # one territory, one sex, three ages; the window: 300 survivors at each age, net -6, -3, 0 (crude -9/900 = -0.01)
    nm = np.array([[[-6.0, -3.0, 0.0]]])
    sv = np.array([[[300.0, 300.0, 300.0]]])
    # the profile's rates: -0.04, 0, +0.01 -> crude on the window's survivors c_p = -0.03 * 300 / 900 = -0.01
    # -> the level already agrees: the profile itself
    prof = np.array([[[-0.04, 0.0, 0.01]]])
    assert level_shifted_profile(nm, sv, prof) == pytest.approx(prof * sv)
    # a profile at twice the window's level: -0.06, 0, 0 -> c_p = -0.02, c - c_p = +0.01;
    # |profile| mean over the survivors = 0.02, g = 3, 0, 0 -> rates -0.06 + 0.03 = -0.03, 0, 0
    got = level_shifted_profile(nm, sv, np.array([[[-0.06, 0.0, 0.0]]]))
    assert got == pytest.approx(np.array([[[-9.0, 0.0, 0.0]]]))
    assert got.sum() == pytest.approx(nm.sum())  # the window's level
    # unequal survivors: 100, 200, 100 with profile 0.02, -0.01, 0 and net +4 (c = 0.01):
    # c_p = (2 - 2) / 400 = 0; mean |p| = (2 + 2) / 400 = 0.01, g = 2, 1, 0 -> 0.04, 0, 0 -> migrants 4, 0, 0
    got = level_shifted_profile(np.array([[[4.0, 0.0, 0.0]]]), np.array([[[100.0, 200.0, 100.0]]]),
                                np.array([[[0.02, -0.01, 0.0]]]))
    assert got == pytest.approx(np.array([[[4.0, 0.0, 0.0]]]))


def test_level_shifted_profile_of_a_flat_zero_profile_spreads_evenly():
    nm = np.array([[[-2.0, -4.0]]])
    sv = np.array([[[100.0, 100.0]]])
    # no pattern to follow: the window's crude rate -0.03 at every age
    assert level_shifted_profile(nm, sv, np.zeros((1, 1, 2))) == pytest.approx(np.array([[[-3.0, -3.0]]]))


def test_migration_profile_setting_is_checked():
    assert EstimationSettings().migration_profile == "window"
    with pytest.raises(ProjectionError, match="migration_profile must be one of window, history, country, recent"):
        EstimationSettings(migration_profile="longer")
    with pytest.raises(ProjectionError, match="migration_profile_years must be at least 1"):
        EstimationSettings(migration_profile="recent", migration_profile_years=0)


@pytest.fixture(scope="module")
def demo(demo_dir):
    data = ProjectionData.from_store(data_dir=demo_dir)
    return data, int(data.population["year"].max())


@pytest.mark.parametrize("profile", ["history", "country", "recent"])
def test_profile_keeps_the_window_level_and_changes_the_pattern(demo, profile):
    data, last = demo
    codes = sorted(data.population["territory_code"].astype(str).unique())[:3]
    st = EstimationSettings(migration_convergence="none", pooled_migration_weight=0.0, child_migration="own",
                            inflow_pool=False, migration_model="rate")
    own = estimate_rates(data, codes, last, st)
    other = estimate_rates(data, codes, last, EstimationSettings(**{**st.__dict__, "migration_profile": profile}))
    surv = own.population  # the same base population weighs both
    crude = lambda r: ((r.mig_in_rate - r.mig_out_rate) * surv).sum((1, 2))  # noqa: E731
    # the level (net migrants on the same population) is the window's, the pattern by age is not
    assert crude(other) == pytest.approx(crude(own), rel=0.05)
    assert not np.allclose(other.mig_in_rate - other.mig_out_rate, own.mig_in_rate - own.mig_out_rate)


def test_trend_fit_years_start_after_a_break_with_three_years():
    from cityindicators.projection.schedule import trend_fit_years

    years = np.arange(2005, 2016)  # event years seen by the base year 2016
    # the last ten years: 2006-2015; from the break 2011 on (five years >= 3): 2011-2015
    assert list(years[trend_fit_years(years, 2016, 10)]) == list(range(2006, 2016))
    assert list(years[trend_fit_years(years, 2016, 10, (2011,))]) == list(range(2011, 2016))
    # base year 2013: 2011-2012 are only two years after the break, so the ten years are kept
    assert list(years[:8][trend_fit_years(years[:8], 2013, 10, (2011,))]) == list(range(2005, 2013))
    # base year 2014: exactly three (2011-2013)
    assert list(years[:9][trend_fit_years(years[:9], 2014, 10, (2011,))]) == [2011, 2012, 2013]
    with pytest.raises(ProjectionError, match="tfr_trend_breaks must be calendar years"):
        EstimationSettings(tfr_trend_breaks=(2011.5,))


def test_profile_is_named_in_the_notes(demo):
    data, last = demo
    codes = sorted(data.population["territory_code"].astype(str).unique())[:1]
    r = estimate_rates(data, codes, last, EstimationSettings(migration_profile="history"))
    assert "age-sex pattern of the whole history at the window's level" in r.details[codes[0]]["migration"]
    assert "age-sex pattern" not in estimate_rates(data, codes, last).details[codes[0]]["migration"]


def test_recent_profile_of_the_whole_window_is_the_window(demo):
    # equal year weights and no Huber weights: the pattern of all the window's years is the window's own,
    # at its own level, so the schedule does not change; fewer years change the pattern, not the level
    data, last = demo
    codes = sorted(data.population["territory_code"].astype(str).unique())[:2]
    st = EstimationSettings(migration_robust=0.0, migration_convergence="none", child_migration="own",
                            inflow_pool=False, pooled_migration_weight=0.0)
    own = estimate_rates(data, codes, last, st)
    whole = estimate_rates(data, codes, last, EstimationSettings(**{**st.__dict__, "migration_profile": "recent",
                                                                     "migration_profile_years": st.migration_window}))
    for name in ("mig_in_rate", "mig_out_rate", "mig_in_count", "mig_out_count"):
        assert getattr(whole, name) == pytest.approx(getattr(own, name), rel=1e-9, abs=1e-12)
    two = estimate_rates(data, codes, last, EstimationSettings(**{**st.__dict__, "migration_profile": "recent",
                                                                   "migration_profile_years": 2}))
    assert f"age-sex pattern of {last - 2}, {last - 1} at the whole window's level" in two.details[codes[0]]["migration"]
