"""The estimation's stages one by one, on arrays small enough to work by hand (in the comments).

Each stage of :mod:`cityindicators.projection.estimation` is a function returning its arrays
and its record of methods; these tests run one stage on a tiny input and compare with figures
worked out by hand. ``tests/test_projection_engine.py`` and the real-data tests cover the whole
estimator.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cityindicators.exceptions import ProjectionError
from cityindicators.projection.data import ProjectionData
from cityindicators.projection.estimation.fertility import estimate_fertility
from cityindicators.projection.estimation.history import estimate_history
from cityindicators.projection.estimation.inputs import EstimationInputs, read_inputs, split_base_population
from cityindicators.projection.estimation.migration import estimate_migration
from cityindicators.projection.estimation.mortality import Mortality, aggregate_open, estimate_mortality
from cityindicators.projection.estimation.sex_ratio import sex_ratio_at_birth
from cityindicators.projection.model_schedules import hadwiger
from cityindicators.projection.settings import EstimationSettings
from cityindicators.schema import split_tables

# Territory X1, ages 0, 1 and 2+ (open), 1 January 2000 and 2001:
#   2000  male [10, 20, 30]  female [12, 22, 32]   (total 126)
#   2001  male [14, 18, 34]  female [16, 20, 30]   (total 132)
POP = {2000: ([10, 20, 30], [12, 22, 32]), 2001: ([14, 18, 34], [16, 20, 30])}
REGISTER = SimpleNamespace(country=lambda synthetic=False: SimpleNamespace(code="X0"))


def _population(pops=POP, code="X1") -> pd.DataFrame:
    rows = [(code, y, sex, a, float(v)) for y, (m, f) in pops.items()
            for sex, vals in (("male", m), ("female", f)) for a, v in enumerate(vals)]
    frame = pd.DataFrame(rows, columns=["territory_code", "year", "sex", "age", "value"])
    frame["age"] = frame["age"].astype("Int64")
    return frame


def _events(rows, with_age: bool) -> pd.DataFrame:
    cols = ["territory_code", "year", "sex", "age", "value"] if with_age else ["territory_code", "year", "sex", "value"]
    frame = pd.DataFrame(rows, columns=cols)
    if with_age:
        frame["age"] = frame["age"].astype("Int64")
    return frame


def _data(**frames) -> ProjectionData:
    births = _events([("X1", 2000, "total", 10.0), ("X1", 2000, "male", 6.0), ("X1", 2000, "female", 4.0)], False)
    deaths = _events([("X1", 2000, "total", None, 5.0), ("X1", 2000, "total", 0, 1.0)], True)
    # all-ages deaths (age None) go to deaths_total
    return ProjectionData.from_frames(**split_tables({"population": _population(), "births": births, "deaths": deaths,
                                                      **frames}))


# -- stage 1: inputs -------------------------------------------------------------------------
def test_inputs_hold_events_and_the_mid_year_exposure():
    inp = read_inputs(_data(), ("X1",), 2001, EstimationSettings(), REGISTER)
    assert inp.event_years == [2000] and inp.data_open_age == 2 and inp.country_code == "X0"
    assert inp.population.shape == (1, 2, 2, 3)
    # exposure of 2000 = (P_2000 + P_2001) / 2: male (10+14)/2, (20+18)/2, (30+34)/2; female likewise
    np.testing.assert_allclose(inp.exposure[0, 0], [[12, 19, 32], [14, 21, 31]])
    assert inp.births_total[0, 0] == 10 and inp.births_male[0, 0] == 6 and inp.births_female[0, 0] == 4
    assert inp.deaths_total[0, 0] == 5 and inp.deaths_infant[0, 0] == 1  # all ages (deaths_total) and age 0


def test_inputs_take_births_total_from_the_sexes_when_it_is_missing():
    births = _events([("X1", 2000, "male", 3.0), ("X1", 2000, "female", 2.0)], False)
    inp = read_inputs(_data(births=births), ("X1",), 2001, EstimationSettings(), REGISTER)
    assert inp.births_total[0, 0] == 5  # 3 boys + 2 girls


def test_inputs_refuse_a_base_year_without_population():
    with pytest.raises(ProjectionError, match=r"no population at 1 January 2003 \(years available: 2000-2001\)"):
        read_inputs(_data(), ("X1",), 2003, EstimationSettings(), REGISTER)
    with pytest.raises(ProjectionError, match=r"no single-age population for territory code\(s\) \['X9'\]"):
        read_inputs(_data(), ("X1", "X9"), 2001, EstimationSettings(), REGISTER)


def test_base_population_split_keeps_the_open_group_and_records_its_growth():
    inp = read_inputs(_data(), ("X1",), 2001, EstimationSettings(), REGISTER)
    m = np.full((1, 2, 101), 0.05)
    st = EstimationSettings(open_age_growth_years=1)
    base = split_base_population(inp, m, st)
    # ages below 2 unchanged; ages 2..100 share the open group 34 (male) and 30 (female)
    np.testing.assert_allclose(base.population[0, :, :2], [[14, 18], [16, 20]])
    np.testing.assert_allclose(base.population[0, :, 2:].sum(-1), [34, 30])
    # growth of 2+ from 2000 to 2001: log(34 / 30) = 0.12516 bounded to 0.1 (male), log(30 / 32) =
    # -0.06454 (female)
    np.testing.assert_allclose(base.notes["X1"]["open_age_growth"], [0.1, np.log(30 / 32)])
    assert base.notes["X1"]["open_age"] == "2+ split by the stable population, growth of 2+ 2000-2001"
    flat = split_base_population(inp, m, EstimationSettings(open_age_split="stationary"))
    assert flat.notes["X1"]["open_age_growth"] == (0.0, 0.0)
    assert not np.allclose(flat.population, base.population)  # a growing group is younger


# -- stage 2: sex ratio at birth ---------------------------------------------------------------
def test_sex_ratio_is_shrunk_towards_the_country_share():
    births = _events([("X1", 2000, "male", 6.0), ("X1", 2000, "female", 4.0),
                      ("X0", 2000, "male", 510.0), ("X0", 2000, "female", 490.0)], False)
    data = _data(births=births)
    inp = read_inputs(data, ("X1",), 2001, EstimationSettings(), REGISTER)
    out = sex_ratio_at_birth(data.births, inp, EstimationSettings(srb_prior_births=10))
    # country share 510 / 1000 = 0.51; (6 + 10 x 0.51) / (6 + 4 + 10) = 11.1 / 20 = 0.555
    assert out.male_share[0] == pytest.approx(0.555)
    assert out.notes["X1"]["srb"] == "own births by sex shrunk to country share"


def test_sex_ratio_without_the_country_pools_all_rows_or_takes_the_standard():
    data = _data()  # only X1's 6 boys and 4 girls: pooled share 0.6
    inp = read_inputs(data, ("X1",), 2001, EstimationSettings(), REGISTER)
    out = sex_ratio_at_birth(data.births, inp, EstimationSettings(srb_prior_births=10))
    assert out.male_share[0] == pytest.approx((6 + 10 * 0.6) / 20)  # = 0.6
    none = sex_ratio_at_birth(data.births.iloc[:0], inp, EstimationSettings(srb_prior_births=10))
    # no rows at all: the standard 1.055 boys per girl, share 1.055 / 2.055 = 0.51338, prior only
    # (the territory's own counts come from the inputs: (6 + 10 x 0.51338) / 20)
    assert none.male_share[0] == pytest.approx((6 + 10 * 1.055 / 2.055) / 20)


# -- stage 3: mortality ---------------------------------------------------------------------
def _life_expectancy(code="X1") -> pd.DataFrame:
    return pd.DataFrame({"territory_code": code, "year": [2000, 2000], "sex": ["male", "female"],
                         "value": [70.0, 80.0]})


def test_mortality_without_deaths_is_the_published_level_with_smr_one():
    deaths = _events([], True)
    data = _data(deaths=deaths, life_expectancy=_life_expectancy())
    st = EstimationSettings(mortality_window=1, e0_window=1)
    inp = read_inputs(data, ("X1",), 2001, st, REGISTER)
    mort = estimate_mortality(data, inp, st, REGISTER, ())
    # no deaths: SMR = (0 + k) / (0 + k) = 1; the schedule reproduces the published e0 70 / 80
    assert mort.notes["X1"]["smr"] == 1.0
    assert "no deaths data (SMR 1)" in mort.notes["X1"]["mortality"]
    np.testing.assert_allclose(mort.e0[0], [70.0, 80.0], atol=1e-6)
    # no infant deaths anywhere: q0 = 0.005, m0 = q0 / (1 - 0.9 q0) = 0.005 / 0.9955 = 0.0050226
    np.testing.assert_allclose(mort.rates[0, :, 0], 0.005 / 0.9955)
    assert mort.rates.shape == (1, 2, 101) and mort.rates_by_year.shape == (1, 1, 2, 101)


def test_mortality_smr_is_observed_over_expected_with_a_prior():
    st = EstimationSettings(mortality_window=1, e0_window=1, smr_prior_deaths=4.0, infant_prior_births=10.0)
    # the same infant deaths but no all-ages total: SMR 1, so the territory's schedule at ages 1+ is
    # the reference's (the reference's infant mortality sets its calibration, so it must be the same)
    data0 = _data(deaths=_events([("X1", 2000, "total", 0, 1.0)], True), life_expectancy=_life_expectancy())
    inp0 = read_inputs(data0, ("X1",), 2001, st, REGISTER)
    county = estimate_mortality(data0, inp0, st, REGISTER, ()).rates_by_year
    # expected deaths at ages 1+ under it: E = sum over sex and ages 1..2+ of m_x x exposure_x
    exposure = inp0.exposure[0, 0]
    expected = (aggregate_open(county[0, 0], 2, np.array([False, True]))[:, 1:] * exposure[:, 1:]).sum()
    # observed: all-ages deaths 1 + 2E, of which 1 infant, so O = 2E at ages 1+; with the prior k = 4:
    # SMR = (2E + 4) / (E + 4)
    deaths = _events([("X1", 2000, "total", None, 1 + 2 * expected), ("X1", 2000, "total", 0, 1.0)], True)
    data = _data(deaths=deaths, life_expectancy=_life_expectancy())
    mort = estimate_mortality(data, read_inputs(data, ("X1",), 2001, st, REGISTER), st, REGISTER, ())
    smr = (2 * expected + 4) / (expected + 4)
    assert mort.notes["X1"]["smr"] == pytest.approx(smr)
    np.testing.assert_allclose(mort.rates_by_year[0, 0, :, 1:], county[0, 0, :, 1:] * smr)
    # infants: own 1 death in 10 births, the reference (itself) the same: q0 = (1 + 10 x 0.1) / (10 + 10) = 0.1
    np.testing.assert_allclose(mort.rates[0, :, 0], 0.1 / (1 - 0.09))


def test_mortality_refuses_a_territory_without_life_expectancy():
    data = _data(life_expectancy=_life_expectancy(code="X7"))
    register = SimpleNamespace(country=REGISTER.country, get=lambda code: None)
    st = EstimationSettings(mortality_window=1)
    inp = read_inputs(data, ("X1",), 2001, st, register)
    with pytest.raises(ProjectionError, match="territory 'X1': no published life expectancy"):
        estimate_mortality(data, inp, st, register, ())


# -- stage 4: fertility ---------------------------------------------------------------------
def _wide_inputs(births_total, women=100.0) -> EstimationInputs:
    """One territory, ages 0..50+ (open), event years 2016-2017, base year 2018, ``women`` at each age."""
    T, y, k = 1, len(births_total), 50
    exposure = np.full((T, y, 2, k + 1), women)
    nan = np.full((T, y), np.nan)
    return EstimationInputs(
        codes=("X1",), base_year=2018, years=np.array([2016, 2017, 2018]), year_index={2016: 0, 2017: 1, 2018: 2},
        population=np.full((T, 3, 2, k + 1), women), data_open_age=k, event_years=[2016, 2017],
        births_total=np.array([births_total], dtype=float), births_male=nan, births_female=nan,
        deaths_total=nan, deaths_infant=nan, exposure=exposure, country_code=None)


def test_fertility_scales_the_standard_pattern_to_the_births():
    inp = _wide_inputs([150.0, 130.0])
    out = estimate_fertility(pd.DataFrame(columns=["territory_code", "age", "value"]), inp,
                             EstimationSettings(fertility_window=2))
    # the pattern sums to 1, so with 100 women at every age the expected births per unit TFR are
    # 100: TFR 2016 = 150 / 100 = 1.5, 2017 = 1.3; the window 2016-2017: (150 + 130) / 200 = 1.4
    np.testing.assert_allclose(out.tfr_history[0], [1.5, 1.3])
    assert out.tfr[0] == pytest.approx(1.4)
    np.testing.assert_allclose(out.asfr[0, :51], 1.4 * hadwiger(3.5, 29.5, 50))
    assert out.asfr.shape == (1, 101) and out.asfr[0, 51:].sum() == 0
    assert out.notes["X1"]["fertility"] == "standard Hadwiger pattern scaled to observed births"


def test_fertility_takes_given_rates_and_refuses_a_window_without_births():
    given = pd.DataFrame({"territory_code": "X1", "age": [20, 21, 22], "value": [0.1, 0.1, 0.1]})
    out = estimate_fertility(given, _wide_inputs([150.0, 130.0]), EstimationSettings())
    assert out.tfr[0] == pytest.approx(0.3) and out.asfr[0, 20:23].tolist() == [0.1, 0.1, 0.1]
    assert out.notes["X1"]["fertility"] == "age-specific rates given"
    with pytest.raises(ProjectionError, match=r"territory 'X1': no births with population in 2016-2017"):
        estimate_fertility(given.iloc[:0], _wide_inputs([np.nan, np.nan]), EstimationSettings(fertility_window=2))


# -- stage 5: migration ---------------------------------------------------------------------
def _no_mortality(inp) -> Mortality:
    """Death rates so small (1e-10) that survival ratios are 1 to 1e-9: residuals are plain differences."""
    m = np.full((1, 2, 101), 1e-10)
    return Mortality(rates=m, rates_by_year=m[:, None].copy(), e0=np.zeros((1, 2)), le_years=[],
                     ref_e0_history=np.zeros((1, 2, 0)), ref_index=[0], ref_e0_now=np.zeros((1, 2)), notes={})


PLAIN = dict(migration_window=1, migration_smoothing=0.0, migration_robust=0.0, pooled_migration_weight=0.0,
             child_migration="own", inflow_pool=False, migration_excluded_years=())


def _base_population(inp) -> np.ndarray:
    p0 = np.zeros((1, 2, 101))
    p0[..., :3] = inp.population[:, inp.year_index[2001]]
    return p0


def _migration(**settings):
    """The migration stage on X1 2000-2001 without mortality (boys' share 0.6, no fertility)."""
    st = EstimationSettings(**{**PLAIN, **settings})
    data = _data()
    inp = read_inputs(data, ("X1",), 2001, st, REGISTER)
    return estimate_migration(data.total("migration_total"), inp, _no_mortality(inp), np.array([0.6]), _base_population(inp),
                              np.zeros((1, 101)), st, ())


def test_migration_rates_are_cohort_residuals_over_survivors():
    mig = _migration(migration_model="rate")
    # survivors to 2001 (no deaths): age 0 = births by sex (6 boys, 4 girls), age 1 = age 0 of
    # 2000, the open 2+ = ages 1 and 2+ of 2000. Male survivors [6, 10, 20 + 30], female [4, 12, 22 + 32].
    # residual = P_2001 - survivors: male [14 - 6, 18 - 10, 34 - 50] = [8, 8, -16],
    # female [16 - 4, 20 - 12, 30 - 54] = [12, 8, -24]; rate = residual / survivors:
    male = [8 / 6, 8 / 10, -16 / 50]
    female = [12 / 4, 8 / 12, -24 / 54]
    net = mig.in_rate - mig.out_rate
    np.testing.assert_allclose(net[0, :, :3], [male, female], rtol=1e-8)
    np.testing.assert_allclose(net[0, :, 3:], np.repeat([[male[2]], [female[2]]], 98, axis=1), rtol=1e-8)
    assert (mig.in_rate >= 0).all() and (mig.out_rate >= 0).all() and not mig.in_count.any()
    np.testing.assert_allclose(mig.longrun_rate[0, :, :3], [male, female], rtol=1e-8)  # one usable year
    assert mig.pool_base is None and mig.notes["X1"]["migration"].startswith("cohort residuals 2000-2000")


def test_migration_mixed_keeps_gains_as_counts_and_losses_as_rates():
    mig = _migration(migration_model="mixed")
    # gains (ages 0 and 1) as persons per year: male [8, 8], female [12, 8]; the open group's
    # residual is a loss: no count there. Losses as rates: 16 / 50 (male), 24 / 54 (female) at 2+.
    np.testing.assert_allclose(mig.in_count[0, :, :3], [[8, 8, 0], [12, 8, 0]], rtol=1e-8)
    np.testing.assert_allclose(mig.out_rate[0, :, 2], [16 / 50, 24 / 54], rtol=1e-8)
    assert not mig.in_rate.any() and not mig.out_count.any() and not mig.out_rate[..., :2].any()


def test_migration_refuses_a_window_without_complete_years():
    with pytest.raises(ProjectionError, match=r"migration window 2000-2000 \(years \[2000\] excluded\) for \['X1'\]"):
        _migration(migration_model="rate", migration_excluded_years=(2000,))


# -- stage 6: histories ---------------------------------------------------------------------
def test_histories_net_migration_life_expectancy_and_total_trend():
    pops = {**POP, 2002: ([15, 18, 35], [16, 21, 31])}  # total 136
    data = _data(population=_population(pops))
    inp = read_inputs(data, ("X1",), 2002, EstimationSettings(), REGISTER)
    mort = Mortality(rates=np.zeros((1, 2, 101)), rates_by_year=np.zeros((1, 2, 2, 101)), e0=np.array([[70.0, 80.0]]),
                     le_years=[2000, 2001], ref_e0_history=np.array([[[68.0, 69.0], [78.0, 79.0]]]), ref_index=[0],
                     ref_e0_now=np.array([[69.0, 79.0]]), notes={})
    hist = estimate_history(inp, mort)
    assert hist.years.tolist() == [2000, 2001]
    # balancing equation 2000: (132 - 126 - 10 births + 5 deaths) / 126 = 1 / 126; 2001 has no events (NaN)
    assert hist.netmig[0, 0] == pytest.approx(1 / 126) and np.isnan(hist.netmig[0, 1])
    # the reference's series shifted by the territory's difference from the recent level (70 - 69, 80 - 79)
    np.testing.assert_allclose(hist.e0[0], [[69.0, 70.0], [79.0, 80.0]])
    # OLS slope of log total on three equally spaced years = (log 136 - log 126) / 2
    assert hist.total_trend[0] == pytest.approx((np.log(136) - np.log(126)) / 2)
