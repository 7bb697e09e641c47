"""Invariants of the cohort-component engine, life tables and the open-age split (pure arrays)."""

from __future__ import annotations

import numpy as np
import pytest

from cityindicators.exceptions import ProjectionError
from cityindicators.projection import (
    E0Scaler,
    cohort_component,
    life_expectancy,
    life_table,
    project_step,
    split_open_age,
    survival_ratios,
)
from cityindicators.projection.model_schedules import calibrate_mortality, hadwiger, model_mortality

A = 101  # ages 0..100+


def _schedules(n, T=3, *, S=0.99, Sb=0.995, tfr=1.6, mig_rate=0.0, mig_count=0.0, seed=0):
    rng = np.random.default_rng(seed)
    P0 = rng.uniform(50, 500, size=(T, 2, A))
    shape = hadwiger(3.5, 29.5, A - 1)
    S_ = np.full((n, T, 2, A - 1), S)
    Sb_ = np.full((n, T, 2), Sb)
    asfr = np.broadcast_to(tfr * shape, (n, T, A)).copy()
    male = np.full((n, T), 0.513)
    rate = np.full((n, T, 2, A), mig_rate)
    count = np.full((n, T, 2, A), mig_count)
    return P0, S_, Sb_, asfr, male, rate, count


def test_hand_worked_three_age_example():
    # ages 0, 1, 2+ ; one territory. Worked by hand in the module notes of the tests:
    P = np.array([[[100.0, 80.0, 50.0], [100.0, 90.0, 60.0]]])
    S = np.array([[[0.9, 0.5], [0.95, 0.6]]])
    Sb = np.array([[0.98, 0.99]])
    asfr = np.array([[0.0, 0.5, 0.2]])
    male = np.array([0.5])
    rate = np.zeros((1, 2, 3))
    count = np.array([[[0.0, 10.0, 0.0], [5.0, 0.0, 0.0]]])
    r = project_step(P, S, Sb, asfr, male, rate, count)
    # males: C = [B/2, 100, 130]; D = [0.6125, 10, 65]; N = [0, 10, 0]
    # females: C = [B/2, 100, 150]; D = [0.30625, 5, 60]; N = [5, 0, 0]
    # births: 0.5 * (90 + 95) / 2 + 0.2 * (60 + 90) / 2 = 46.25 + 15 = 61.25
    np.testing.assert_allclose(r.births, [[30.625, 30.625]])
    np.testing.assert_allclose(r.population, [[[30.0125, 100.0, 65.0], [35.31875, 95.0, 90.0]]])
    np.testing.assert_allclose(r.deaths, [[[0.6125, 10.0, 65.0], [0.30625, 5.0, 60.0]]])
    np.testing.assert_allclose(r.net_migration, [[[0.0, 10.0, 0.0], [5.0, 0.0, 0.0]]])
    assert r.population.sum() == pytest.approx(480 + 61.25 - 140.91875 + 15)


def test_accounting_identity_holds_cell_by_cell_and_in_totals():
    P0, *sched = _schedules(20, mig_rate=-0.01, mig_count=0.3)
    res = cohort_component(P0, *sched)
    for t in range(20):
        prev = res.population[t]
        cohort = np.zeros_like(prev)
        cohort[..., 1:] = prev[..., :-1]
        cohort[..., -1] += prev[..., -1]
        cohort[..., 0] = res.births[t]
        # exact (bitwise) cell identity: P(t+1) = C - D + N
        assert np.array_equal(res.population[t + 1], (cohort - res.deaths[t]) + res.net_migration[t])
        lhs = res.population[t + 1].sum(axis=(1, 2))
        rhs = prev.sum(axis=(1, 2)) + res.births[t].sum(-1) - res.deaths[t].sum(axis=(1, 2)) \
            + res.net_migration[t].sum(axis=(1, 2))
        np.testing.assert_allclose(lhs, rhs, rtol=1e-13)


def test_zero_mortality_conserves_population_without_births_or_migration():
    P0, S, Sb, asfr, male, rate, count = _schedules(15, S=1.0, Sb=1.0, tfr=0.0)
    res = cohort_component(P0, S, Sb, asfr, male, rate, count)
    np.testing.assert_allclose(res.population.sum(axis=(2, 3)), np.broadcast_to(P0.sum(axis=(1, 2)), (16, 3)))
    assert np.all(res.deaths == 0)


def test_zero_fertility_empties_the_young_ages():
    P0, S, Sb, asfr, male, rate, count = _schedules(10, tfr=0.0)
    res = cohort_component(P0, S, Sb, asfr, male, rate, count)
    assert np.all(res.births == 0)
    for t in range(1, 11):
        assert np.all(res.population[t][..., :t] == 0)


def test_zero_migration_and_ageing_by_one_year_per_step():
    P0, S, Sb, asfr, male, rate, count = _schedules(5, S=1.0, tfr=1.5)
    res = cohort_component(P0, S, Sb, asfr, male, rate, count)
    assert np.all(res.net_migration == 0)
    for t in range(5):
        # with survival 1 every cohort moves up one age unchanged (below the open group)
        np.testing.assert_array_equal(res.population[t + 1][..., 1:-1], res.population[t][..., :-2])
        np.testing.assert_allclose(res.population[t + 1][..., -1], res.population[t][..., -2:].sum(-1))


def test_net_outflow_never_makes_a_cell_negative():
    P0, *sched = _schedules(10, mig_count=-1e6)
    res = cohort_component(P0, *sched)
    assert (res.population >= 0).all()


def test_inconsistent_schedules_are_rejected():
    P0, S, Sb, asfr, male, rate, count = _schedules(5)
    with pytest.raises(ProjectionError, match="years"):
        cohort_component(P0, S, Sb[:3], asfr, male, rate, count)
    with pytest.raises(ProjectionError, match="negative"):
        cohort_component(-P0, S, Sb, asfr, male, rate, count)


def test_life_table_of_constant_hazard():
    # constant m: e0 close to 1/m (a_x = 0.5 discretisation), open group L = l / m
    m = np.full(101, 0.02)
    e0 = float(life_expectancy(m))
    assert e0 == pytest.approx(1 / 0.02, rel=0.01)
    lt = life_table(m)
    assert lt["l"][0] == 1.0 and np.all(np.diff(lt["l"]) <= 0)


def test_survival_ratios_lie_in_unit_interval():
    m = model_mortality(np.array([-3.0, -3.5]), np.array([0.005, 0.004]), 100, np.array([0.075, 0.095]),
                        np.array([8e-4, 2e-4]))
    S, Sb = survival_ratios(m, np.array([False, True]))
    assert S.shape == (2, 100) and ((S >= 0) & (S <= 1)).all() and ((Sb > 0.98) & (Sb < 1)).all()


def test_calibrated_model_reproduces_life_expectancy_and_scaler_inverts_it():
    e0 = np.array([[68.0, 79.0], [72.0, 81.0]])
    m = calibrate_mortality(e0, np.full((2, 2), 0.004), np.array([[False, True]]), 100,
                            np.array([[0.075, 0.095]]), np.array([[8e-4, 2e-4]]))
    np.testing.assert_allclose(life_expectancy(m, np.array([[False, True]])), e0, atol=1e-6)
    sc = E0Scaler(m)
    target = e0 + 2.0
    np.testing.assert_allclose(life_expectancy(sc(target), np.array([[False, True]])), target, atol=0.02)
    S, Sb = sc.survival(e0)  # the base level lands exactly on k = 1
    S0, Sb0 = survival_ratios(m, np.array([[False, True]]))
    np.testing.assert_allclose(S, S0, atol=1e-12)


def test_open_age_split_preserves_totals_and_follows_mortality():
    m = model_mortality(np.array([[-3.0, -3.5]]), np.array([[0.005, 0.004]]), 100, np.array([[0.075, 0.095]]),
                        np.array([[8e-4, 2e-4]]))
    pop = np.ones((1, 2, 86)) * 100.0
    pop[..., 85] = 900.0
    out = split_open_age(pop, m, np.array([[False, True]]))
    assert out.shape == (1, 2, 101)
    np.testing.assert_allclose(out[..., 85:].sum(-1), 900.0)
    np.testing.assert_array_equal(out[..., :85], pop[..., :85])
    assert np.all(np.diff(out[..., 85:100], axis=-1) < 0)  # fewer survivors at each higher age
    with pytest.raises(ProjectionError):
        split_open_age(np.ones((1, 2, 101)), m[..., :86])


def test_stable_population_split_hand_worked():
    # constant m = 0.2 at ages 1+ (a_x = 0.5): q = 0.2 / 1.1, l_{x+1} / l_x = 1 - q = 0.818182,
    # L_x = l_x (1 - q / 2) = 0.909091 l_x, open T_4 = l_4 / m. Relative to l_2 the weights of ages
    # 2, 3 and 4+ are 0.909091, 0.743802 and 3.347107; with r = 0.1 they are multiplied by
    # 1, e^-0.1, e^-0.2: 0.909091, 0.673019, 2.740393 (sum 4.322503)
    m = np.full(5, 0.2)
    pop = np.array([10.0, 10.0, 1000.0])
    stationary = split_open_age(pop, m)
    np.testing.assert_allclose(stationary[2:], 1000 * np.array([0.909091, 0.743802, 3.347107]) / 5.0, rtol=1e-5)
    np.testing.assert_allclose(split_open_age(pop, m, growth=np.array(0.0)), stationary)
    stable = split_open_age(pop, m, growth=np.array(0.1))
    np.testing.assert_allclose(stable[2:], 1000 * np.array([0.909091, 0.673019, 2.740393]) / 4.322503, rtol=1e-5)
    np.testing.assert_array_equal(stable[:2], pop[:2])
    # a shrinking open group is older inside than a stationary one
    assert split_open_age(pop, m, growth=np.array(-0.05))[-1] > stationary[-1]


def test_standard_fertility_pattern():
    f = hadwiger(3.5, 29.5, 100)
    ages = np.arange(101)
    assert f.sum() == pytest.approx(1.0)
    assert f[:15].sum() == 0 and f[50:].sum() == 0
    assert 28.5 < (f * (ages + 0.5)).sum() < 30.5


def test_gompertz_slope_estimator_recovers_a_known_slope():
    """Cohorts ageing under a known Gompertz-Makeham schedule give back its slope by sex."""
    from cityindicators.projection.estimation.mortality import estimate_gompertz_slope as _estimate_gompertz_slope

    years = list(range(2000, 2008))
    b_true, c = np.array([0.085, 0.115]), np.array([8e-4, 2e-4])
    x = np.arange(86, dtype=float)
    z = np.exp(np.array([-4.3, -5.2])[:, None] + b_true[:, None] * (x - 60))
    m = c[:, None] + z / (1 + z)  # [2, 86], the model's senescent part is logistic
    P = np.empty((len(years), 2, 86))
    P[0] = 1000.0 * np.exp(-0.01 * x)
    for t in range(1, len(years)):  # births irrelevant above age 60: any entry cohort will do
        P[t, :, 0] = 1000.0
        P[t, :, 1:] = P[t - 1, :, :-1] * np.exp(-m[:, :-1])
    b = _estimate_gompertz_slope(P, years, 2008, 5, (60, 84), c, (0.01, 0.5))
    np.testing.assert_allclose(b, b_true, rtol=1e-9)
    # a hand-worked two-age case: survival 0.99 at 60 and 0.98 at 61, no Makeham term
    P2 = np.zeros((3, 2, 86))
    P2[:, :, 60], P2[:, :, 61], P2[:, :, 62] = 1000.0, 990.0, 990.0 * 0.98
    mu60, mu61 = -np.log(0.99), -np.log(0.98)
    expected = np.log(mu61 / (1 - mu61)) - np.log(mu60 / (1 - mu60))
    b2 = _estimate_gompertz_slope(P2, [2000, 2001, 2002], 2002, 2, (60, 62), np.zeros(2), (0.01, 2.0))
    np.testing.assert_allclose(b2, [expected, expected])
    # clipped to the plausible range; too few years give NaN (the fixed slope is used)
    assert np.allclose(_estimate_gompertz_slope(P, years, 2008, 5, (60, 84), c, (0.06, 0.1)), [0.085, 0.1])
    assert np.isnan(_estimate_gompertz_slope(P, years, 2001, 1, (60, 84), c, (0.06, 0.13))).all()
