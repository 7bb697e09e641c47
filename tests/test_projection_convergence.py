"""Migration window without excluded years, convergence toward a long-run level, forecast combination."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cityindicators.exceptions import ProjectionError
from cityindicators.projection import EstimationSettings, ProjectionData, estimate_rates, load_scenario
from cityindicators.projection.scenarios import Migration
from cityindicators.projection.schedule import build_schedule, convergence_weights, run_schedule


def _held_migration():
    """The baseline scenario with the window's migration held (no trend): what these formulas act on."""
    return replace(load_scenario("baseline"), migration=Migration())


def test_convergence_weights_hand_worked():
    recent, target = convergence_weights(6, "own_mean", 4)
    # lambda_j = min(j / 4, 1): 0, 0.25, 0.5, 0.75, 1, 1
    assert target == pytest.approx([0, 0.25, 0.5, 0.75, 1, 1])
    assert recent == pytest.approx([1, 0.75, 0.5, 0.25, 0, 0])
    r, t = convergence_weights(3, "none", 4)
    assert r == pytest.approx([1, 1, 1]) and t == pytest.approx([0, 0, 0])
    # delayed start: held for start = 2 years (event years 0, 1, 2 at weight 1), then lambda_j = (j - 2) / 4
    recent, target = convergence_weights(8, "zero", 4, start=2)
    assert target == pytest.approx([0, 0, 0, 0.25, 0.5, 0.75, 1, 1])
    assert list(recent[:3]) == [1.0, 1.0, 1.0]  # exactly: the held years are the unconverged ones to the bit
    assert recent == pytest.approx([1, 1, 1, 0.75, 0.5, 0.25, 0, 0])


def test_default_long_run_rule_is_documented_and_starts_after_the_backtest():
    from cityindicators.projection.schedule import AGE_STRUCTURE_HELD_AFTER
    from cityindicators.projection.settings import LONGEST_BACKTESTED_HORIZON

    st = EstimationSettings()
    assert (st.migration_convergence, st.migration_convergence_start) == ("zero", LONGEST_BACKTESTED_HORIZON)
    assert AGE_STRUCTURE_HELD_AFTER == LONGEST_BACKTESTED_HORIZON  # both rules begin where the back-test ends
    # zero net migration is reached in the year the baseline's TFR reaches its long-run level
    assert st.migration_convergence_start + st.migration_convergence_years == \
        load_scenario("baseline").fertility.convergence_years == 40
    with pytest.raises(ProjectionError, match="migration_convergence_start"):
        EstimationSettings(migration_convergence_start=-1)
    # the scenario list says it, from the settings' values
    assert load_scenario("baseline").summary()["migration"].endswith(
        "for 12 years after the base year, then moving linearly to zero, reached 40 years after the base year")
    assert load_scenario("attraction").summary()["migration"].endswith("a year (young_families) throughout")
    assert load_scenario("zero-migration").summary()["migration"] == "no migration"
    held = EstimationSettings(migration_convergence="none")
    assert load_scenario("baseline").summary(held)["migration"].endswith("per 1,000), for the whole projection")


@pytest.fixture(scope="module")
def demo(demo_dir):
    data = ProjectionData.from_store(data_dir=demo_dir)
    return data, int(data.population["year"].max())


def _net(sch, j):
    """Net migration schedule (rate part, count part) of projection year j."""
    S, Sb, asfr, male, rate, count = sch.deterministic_inputs()
    return rate[j], count[j]


def test_convergence_moves_the_schedule_linearly_to_the_target(demo):
    data, Y = demo
    codes = ["X13", "X11"]
    base = estimate_rates(data, codes, Y, EstimationSettings(age_structure_weight=0.0))  # its migrants aside
    st = replace(base.settings, migration_convergence="own_mean", migration_convergence_start=0,
                 migration_convergence_years=4)
    held = build_schedule(base, _held_migration(), Y + 6)
    conv = build_schedule(replace(base, settings=st), _held_migration(), Y + 6)
    r0, c0 = _net(held, 0)
    lr = base.mig_longrun_rate
    for j, lam in enumerate([0, 0.25, 0.5, 0.75, 1, 1]):
        rj, cj = _net(conv, j)
        # rate part: (1 - lambda) window rate + lambda long-run rate; counts (and the pool part) fade with 1 - lambda
        assert np.allclose(rj, (1 - lam) * r0 + lam * lr)
        rh, ch = _net(held, j)
        assert np.allclose(cj, (1 - lam) * ch)
    zero = build_schedule(replace(base, settings=replace(st, migration_convergence="zero")), _held_migration(),
                          Y + 6)
    rz, cz = _net(zero, 5)
    assert np.allclose(rz, 0) and np.allclose(cz, 0)
    # the accounting identity of the engine holds under convergence
    res = run_schedule(conv)
    change = res.population[1:].sum((-2, -1)) - res.population[:-1].sum((-2, -1))
    assert np.allclose(change, res.births.sum(-1) - res.deaths.sum((-2, -1)) + res.net_migration.sum((-2, -1)))


def test_known_rates_are_held_then_converge_to_zero(demo):
    """A territory with a known schedule: in-rate 1 %, out-rate 3 % at every age, no counts."""
    data, Y = demo
    base = estimate_rates(data, ["X13"], Y, EstimationSettings(age_structure_weight=0.0, migration_convergence_start=3,
                                                               migration_convergence_years=4))
    known = replace(base, mig_in_rate=np.full_like(base.mig_in_rate, 0.01), mig_out_rate=np.full_like(base.mig_in_rate, 0.03),
                    mig_in_count=np.zeros_like(base.mig_in_rate), mig_out_count=np.zeros_like(base.mig_in_rate),
                    inflow_pool_base=None)
    sch = build_schedule(known, _held_migration(), Y + 9)
    # held for 3 years, then lambda_j = (j - 3) / 4: net rate -0.02 (1 - lambda_j)
    for j, want in enumerate([-0.02, -0.02, -0.02, -0.02, -0.015, -0.01, -0.005, 0.0, 0.0]):
        rate, count = _net(sch, j)
        assert np.allclose(rate, want) and np.allclose(count, 0)
    # one engine step of a converged year: the survivors, no migrants
    res = run_schedule(sch)
    assert np.allclose(res.net_migration[7:], 0) and not np.allclose(res.net_migration[4], 0)


def test_default_rule_leaves_the_backtested_horizons_unchanged(demo):
    """The shipped default (baseline: window, damped trend, age-structure combination) and the same
    without a long-run rule give the same population, to the bit, for the 12 back-tested years."""
    data, Y = demo
    codes = ["X13", "X11"]
    rates = estimate_rates(data, codes, Y)
    none = replace(rates, settings=replace(rates.settings, migration_convergence="none"))
    sc = load_scenario("baseline")
    a = run_schedule(build_schedule(rates, sc, Y + 20)).population
    b = run_schedule(build_schedule(none, sc, Y + 20)).population
    assert np.array_equal(a[:13], b[:13])
    assert not np.allclose(a[14:], b[14:])
    # the damped trend of the crude rate fades with the window's schedule: halfway (j = 12 + 14) half of it
    plain = replace(rates.settings, age_structure_weight=0.0)
    held_sch = build_schedule(replace(rates, settings=replace(plain, migration_convergence="none")), sc, Y + 30)
    conv_sch = build_schedule(replace(rates, settings=plain), sc, Y + 30)
    assert np.allclose(conv_sch.mig_shift[26], 0.5 * held_sch.mig_shift[26])
    assert np.array_equal(conv_sch.mig_shift[:13], held_sch.mig_shift[:13])
    r_h, c_h = _net(held_sch, 26)
    r_c, c_c = _net(conv_sch, 26)
    assert np.allclose(r_c, 0.5 * r_h) and np.allclose(c_c, 0.5 * c_h)


def test_long_run_rate_is_the_pooled_residual_rate_of_all_years(demo):
    data, Y = demo
    r = estimate_rates(data, ["X13"], Y, EstimationSettings(migration_smoothing=0))
    # crude check by hand from the balancing equation: the long-run net rate weighted by the
    # base population is close to the mean crude net migration rate of the history
    pop, b, d = (data.total(name) for name in ("population_total", "births", "deaths_total"))
    tot = pop[pop["territory_code"] == "X13"].set_index("year")["value"]
    bb = b[b["territory_code"] == "X13"].set_index("year")["value"]
    dd = d[d["territory_code"] == "X13"].set_index("year")["value"]
    yrs = [y for y in tot.index if y + 1 in tot.index and y in bb.index and y < Y]
    crude = sum(tot[y + 1] - tot[y] - bb[y] + dd[y] for y in yrs) / sum(tot[y] for y in yrs)
    lr = (r.mig_longrun_rate[0] * r.population[0]).sum() / r.population[0].sum()
    assert lr == pytest.approx(crude, abs=0.004)


def test_excluded_years_leave_the_window(demo):
    data, Y = demo
    a = estimate_rates(data, ["X13"], Y, EstimationSettings(migration_window=3))
    b = estimate_rates(data, ["X13"], Y, EstimationSettings(migration_window=3, migration_excluded_years=(Y - 1,)))
    assert not np.allclose(a.net_migration(), b.net_migration())
    assert f"{Y - 3}-{Y - 2}" in b.details["X13"]["migration"]
    with pytest.raises(ProjectionError, match="excluded"):
        estimate_rates(data, ["X13"], Y, EstimationSettings(migration_window=1, migration_excluded_years=(Y - 1,)))
    with pytest.raises(ProjectionError, match="migration_convergence"):
        EstimationSettings(migration_convergence="halfway")


def test_combination_follows_the_weighted_total_and_keeps_the_identity(demo):
    data, Y = demo
    codes = ["X13", "X11", "X12"]
    base = estimate_rates(data, codes, Y)
    tot = data.total("population_total").pivot_table(index="year", columns="territory_code", values="value")
    yrs = np.arange(Y - 5, Y + 1)
    g = np.array([np.polyfit(yrs, np.log(tot.loc[yrs, c].to_numpy()), 1)[0] for c in codes])  # by hand
    assert base.total_trend == pytest.approx(g)
    plain = run_schedule(build_schedule(base, _held_migration(), Y + 10))
    cc = plain.population.sum((-2, -1))
    for w in (0.5, 1.0):
        comb = build_schedule(replace(base, settings=replace(base.settings, total_combination_weight=w)),
                              _held_migration(), Y + 10)
        res = run_schedule(comb)
        got = res.population.sum((-2, -1))
        want = (1 - w) * cc + w * cc[0] * np.exp(g[None, :] * np.arange(11)[:, None])
        assert got == pytest.approx(want, rel=2e-4)
        change = got[1:] - got[:-1]
        assert np.allclose(change, res.births.sum(-1) - res.deaths.sum((-2, -1)) + res.net_migration.sum((-2, -1)))
        # the level changes, the age structure stays the cohort-component one
        share = res.population[10] / got[10][:, None, None]
        share_cc = plain.population[10] / cc[10][:, None, None]
        assert np.abs(share - share_cc).max() < 2e-3
    # no combination without migration
    zero = build_schedule(replace(base, settings=replace(base.settings, total_combination_weight=0.5)),
                          load_scenario("zero-migration"), Y + 5)
    assert zero.combination_count is None


def test_scenario_sets_migration_path_window_and_convergence(demo):
    from cityindicators.exceptions import ConfigError
    from cityindicators.projection import Scenario

    data, Y = demo
    sc = Scenario.from_dict({"name": "fade", "migration": {"path": {Y + 4: 0.5}, "convergence_target": "zero",
                                                           "convergence_start_year": Y, "convergence_year": Y + 8,
                                                           "window": 3, "excluded_years": [Y - 2]}})
    assert Scenario.from_dict(sc.to_dict()) == sc  # round trip
    assert sc.migration.estimation_overrides() == {"migration_window": 3, "migration_excluded_years": (Y - 2,)}
    rates = estimate_rates(data, ["X13"], Y)
    held = build_schedule(rates, _held_migration(), Y + 10)
    sch = build_schedule(rates, sc, Y + 10)
    r0, c0 = _net(held, 0)
    for j in range(10):
        scale = 1 - 0.5 * min(j / 4, 1)  # path: 1 at Y, 0.5 from Y + 4
        lam = min(j / 8, 1)  # zero reached at Y + 8
        rj, cj = _net(sch, j)
        assert np.allclose(rj, scale * (1 - lam) * r0)
    for bad, key in (({"window": 0}, "migration.window"), ({"excluded_years": 2010}, "migration.excluded_years"),
                     ({"convergence_target": "half"}, "migration.convergence_target"),
                     ({"convergence_year": "soon"}, "migration.convergence_year"),
                     ({"convergence_start_year": 2.5}, "migration.convergence_start_year"),
                     ({"convergence_start_year": 2040, "convergence_year": 2030}, "migration.convergence_year"),
                     ({"path": {2030: -1}}, "migration.path.2030")):
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            Scenario.from_dict({"name": "bad", "migration": bad})


def test_project_reestimates_for_a_scenario_window(demo_dir, demo):
    from cityindicators.projection import Scenario, project

    data, Y = demo
    sc = Scenario.from_dict({"name": "short", "migration": {"window": 2}})
    res = project("X13", base_year=Y - 5, to_year=Y, scenario=["baseline", sc], data=data)
    tot = res.totals().query("sex == 'total' and year == @Y").set_index("scenario")["value"]
    assert tot["short"] != pytest.approx(tot["baseline"], rel=1e-6)
    assert res.schedules["short"].rates.settings.migration_window == 2


def test_scenario_sets_the_start_and_year_of_the_long_run_rule(demo):
    from cityindicators.projection import Scenario

    data, Y = demo
    rates = estimate_rates(data, ["X13"], Y, EstimationSettings(age_structure_weight=0.0))
    held = build_schedule(replace(rates, settings=replace(rates.settings, migration_convergence="none")),
                          _held_migration(), Y + 12)
    # held to Y + 3, zero by Y + 7: lambda_j = min(max(j - 3, 0) / 4, 1)
    sc = Scenario.from_dict({"name": "late", "migration": {"convergence_start_year": Y + 3, "convergence_year": Y + 7}})
    assert Scenario.from_dict(sc.to_dict()) == sc
    sch = build_schedule(rates, sc, Y + 12)
    for j in range(12):
        lam = min(max(j - 3, 0) / 4, 1)
        assert np.allclose(_net(sch, j)[0], (1 - lam) * _net(held, j)[0])
    # only the year: the start stays the settings' (12 years), and the year must come after it
    early = Scenario.from_dict({"name": "early", "migration": {"convergence_year": Y + 5}}, source="early.yaml")
    # judged only once the base year is known, and still naming the file that wrote the key
    with pytest.raises(ProjectionError, match=r"^early\.yaml: key 'migration\.convergence_year'.*"
                                              r"migration\.convergence_start_year"):
        build_schedule(rates, early, Y + 12)


def test_scenario_sets_the_combination_settings(demo_dir, demo):
    from cityindicators.exceptions import ConfigError
    from cityindicators.projection import Scenario, project

    data, Y = demo
    sc = Scenario.from_dict({"name": "comb", "combination": {"total_weight": 0.5, "age_structure_weight": 0.0,
                                                             "age_structure_years": 5}})
    assert Scenario.from_dict(sc.to_dict()) == sc
    assert sc.schedule_overrides() == {"total_combination_weight": 0.5, "age_structure_weight": 0.0,
                                       "age_structure_years": 5}
    res = project("X13", base_year=Y - 5, to_year=Y, scenario=["baseline", sc], data=data)
    st = res.schedules["comb"].rates.settings
    assert (st.total_combination_weight, st.age_structure_weight, st.age_structure_years) == (0.5, 0.0, 5)
    assert res.schedules["baseline"].rates.settings == EstimationSettings()
    for bad, key in (({"total_weight": 1.5}, "combination.total_weight"),
                     ({"age_structure_weight": "half"}, "combination.age_structure_weight"),
                     ({"age_structure_years": 0}, "combination.age_structure_years"),
                     ({"weight": 0.5}, "combination.weight")):
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            Scenario.from_dict({"name": "bad", "combination": bad})
