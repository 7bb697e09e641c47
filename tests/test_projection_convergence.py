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
    st = replace(base.settings, migration_convergence="own_mean", migration_convergence_years=4)
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
                                                           "convergence_year": Y + 8, "window": 3,
                                                           "excluded_years": [Y - 2]}})
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
