"""The stochastic mode's fast step and survival lookup agree with the engine's (issue 9, speed)."""

from __future__ import annotations

import numpy as np
import pytest

from cityindicators.exceptions import ProjectionError
from cityindicators.projection import ProjectionData, estimate_rates, simulate
from cityindicators.projection.agegroups import group_sums
from cityindicators.projection.engine import project_step
from cityindicators.projection.lifetable import E0Scaler
from cityindicators.projection.scenarios import load_scenario
from cityindicators.projection.schedule import build_schedule
from cityindicators.projection.stochastic import _advance, draw_paths, fit_stochastic_model


def _inputs(rng, lead=(3, 4), A=6):
    P = rng.uniform(0, 100, lead + (2, A))
    S = rng.uniform(0.5, 1.0, lead + (2, A - 1))
    Sb = rng.uniform(0.9, 1.0, lead + (2,))
    asfr = np.where(np.arange(A) >= 2, rng.uniform(0, 0.2, lead + (A,)), 0.0)
    male = rng.uniform(0.5, 0.52, lead)
    rate = rng.uniform(-0.3, 0.1, lead + (2, A))
    count = rng.uniform(-40, 5, lead + (2, A))  # large outflows: the no-negative bound binds in some cells
    return P, S, Sb, asfr, male, rate, count


def test_fused_step_agrees_with_the_engine_step():
    rng = np.random.default_rng(7)
    args = _inputs(rng)
    want = project_step(*args).population
    new, tmp = np.empty_like(args[0]), np.empty_like(args[0])
    _advance(*args, new, tmp)
    assert (want == 0).any()  # some cells emptied by the outflow bound
    np.testing.assert_allclose(new, want, rtol=1e-12, atol=1e-9)
    # the engine step with reused buffers gives the same as with fresh arrays
    work = {}
    again = project_step(*args, work=work).population
    np.testing.assert_array_equal(again, want)
    assert again is work["new"]


def test_survival_lookup_matches_a_grid_search():
    rng = np.random.default_rng(3)
    m = np.exp(rng.uniform(-8, -1, (3, 2, 20))) * np.linspace(0.2, 3, 20)
    sc = E0Scaler(m)
    e0 = sc.table[..., 100][None] + rng.normal(0, 3, (50, 3, 2))
    i, w = sc._locate(e0)
    # the slow rule: i = number of grid values above the target
    i_ref = np.clip((np.broadcast_to(sc.table, e0.shape + sc.table.shape[-1:]) > e0[..., None]).sum(-1), 1,
                    len(sc.logk) - 1)
    np.testing.assert_array_equal(i, i_ref)
    S, Sb = sc.survival(e0)
    ti, si = np.arange(3)[:, None], np.arange(2)[None, :]
    S0, S1 = sc.S_grid[ti, si, i - 1], sc.S_grid[ti, si, i]
    np.testing.assert_allclose(S, S0 + w[..., None] * (S1 - S0), rtol=1e-14)


@pytest.mark.slow
def test_simulate_quantiles_equal_the_engine_path(demo_dir):
    data = ProjectionData.from_store(data_dir=demo_dir)
    rates = estimate_rates(data, ["X13", "X12"], int(data.population["year"].max()))
    sc = load_scenario("baseline")
    res = simulate(rates, sc, rates.base_year + 15, n=40, seed=5)
    # the same trajectories run through the engine's own step
    sch = build_schedule(rates, sc, rates.base_year + 15)
    tfr, e0, shift = draw_paths(sch, fit_stochastic_model(rates), 40, 5)
    P = np.broadcast_to(rates.population, (40,) + rates.population.shape).copy()
    for t in range(sch.tfr.shape[0]):
        P = project_step(P, *sch.engine_inputs(tfr[:, t], e0[:, t], shift[:, t], sch.added[t], year=t)).population
    total = group_sums(P)["total"].sum(-1)  # [40, T]: both sexes
    want = np.quantile(total, [0.1, 0.5, 0.9], axis=0)
    got = res.quantiles.query("year == @rates.base_year + 15 and sex == 'total' and age_group == 'total'")
    for j, code in enumerate(rates.codes):
        np.testing.assert_allclose(got[got["territory_code"] == code]["value"].to_numpy(), want[:, j], rtol=1e-6)
    # the deterministic schedule handed in (as project() does) gives the same quantiles, to the bit
    given = simulate(rates, sc, rates.base_year + 15, n=40, seed=5, schedule=sch)
    assert given.quantiles.equals(res.quantiles)
    with pytest.raises(ProjectionError, match="schedule given"):
        simulate(rates, sc, rates.base_year + 14, n=40, seed=5, schedule=sch)
