"""project(), rate estimation, targets and stochastic runs on small synthetic literal inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cityindicators.exceptions import ConfigError, ProjectionError
from cityindicators.projection import (
    EstimationSettings,
    ProjectionData,
    StochasticSettings,
    estimate_rates,
    find_inflow,
    project,
    simulate,
)
from cityindicators.schema import split_tables

CODES = ("30", "34")  # Visaginas and Anykščiai d. (both in county 09, which has life expectancy)
YEARS = range(2006, 2016)


def _frames() -> ProjectionData:
    """A tiny, smooth, made-up data set (not real figures): two municipalities and their county."""
    ages = np.arange(86)
    rows, births, deaths, le = [], [], [], []
    for j, code in enumerate(CODES + ("09",)):
        size = [20_000, 30_000, 150_000][j]
        shape = np.exp(-0.012 * ages) * (1 + 0.2 * np.sin(ages / 9))
        shape[85] = shape[80:].sum()
        for y in YEARS:
            f = size * (1 - 0.01 * (y - 2006)) / shape.sum() / 2
            for sex, k in (("male", 0.97), ("female", 1.03)):
                v = f * k * shape
                rows.append(pd.DataFrame({"territory_code": code, "year": y, "sex": sex, "age": ages,
                                          "open_age": ages == 85, "value": v}))
                rows.append(pd.DataFrame({"territory_code": code, "year": [y], "sex": [sex], "age": [pd.NA],
                                          "open_age": [False], "value": [v.sum()]}))
            tot = size * (1 - 0.01 * (y - 2006))
            births.append((code, y, "total", 0.010 * tot))
            deaths.append((code, y, "total", pd.NA, 0.013 * tot))
            deaths.append((code, y, "total", 0, 0.004 * 0.010 * tot))
    for y in range(2000, 2015):
        le += [("09", y, "male", 67.0 + 0.2 * (y - 2000)), ("09", y, "female", 78.0 + 0.15 * (y - 2000)),
               ("09", y, "total", 72.5 + 0.17 * (y - 2000))]
    pop = pd.concat(rows, ignore_index=True)
    pop["age"] = pop["age"].astype("Int64")
    b = pd.DataFrame(births, columns=["territory_code", "year", "sex", "value"])
    d = pd.DataFrame(deaths, columns=["territory_code", "year", "sex", "age", "value"])
    d["age"] = d["age"].astype("Int64")
    e = pd.DataFrame(le, columns=["territory_code", "year", "sex", "value"])
    return ProjectionData.from_frames(**split_tables({"population": pop, "births": b, "deaths": d, "life_expectancy": e}))


@pytest.fixture(scope="module")
def data() -> ProjectionData:
    return _frames()


@pytest.fixture(scope="module")
def result(data):
    return project(list(CODES), base_year=2015, to_year=2030, scenario=["baseline", "zero-migration", "attraction"],
                   data=data)


def test_result_frames_have_the_documented_columns(result):
    assert list(result.population.columns) == ["scenario", "territory_code", "year", "sex", "age", "value"]
    assert list(result.components.columns) == ["scenario", "territory_code", "year", "component", "sex", "age", "value"]
    assert list(result.assumptions.columns) == ["scenario", "territory_code", "year", "tfr", "e0_male", "e0_female",
                                                "net_migration", "net_migration_rate", "added_inflow"]
    assert set(result.population["year"]) == set(range(2015, 2031))
    assert result.population["age"].max() == 100 and result.open_age == 100
    assert set(result.totals()["sex"]) == {"total"} and set(result.totals(sex=None)["sex"]) == {"male", "female"}
    assert set(result.broad_groups()["age_group"]) == {"0-14", "15-64", "65+"}
    assert set(result.broad_groups(all_ages=True)["age_group"]) == {"0-14", "15-64", "65+", "total"}
    assert set(result.scenario_table()["scenario"]) == {"baseline", "zero-migration", "attraction"}


def test_sums_from_the_arrays_equal_the_frames_group_by(result):
    from dataclasses import replace

    from cityindicators.projection.api import population_totals

    assert len(result.rates.codes) > 1 and len(result.scenarios) > 1  # the rows' order across both
    frame_only = replace(result, arrays={}, _cache={})  # without the arrays: the frame's group-by
    same = {"check_exact": False, "rtol": 1e-13, "atol": 1e-9}  # the rows, their order and types; sums to 1e-9 of a person
    for sex in ("total", None, "female", ("male", "female", "total")):
        pd.testing.assert_frame_equal(result.totals(sex), population_totals(result.population, sex), **same)
        pd.testing.assert_frame_equal(result.broad_groups(sex=sex, all_ages=True),
                                      frame_only.broad_groups(sex=sex, all_ages=True), **same)
    groups = {"0-6": (0, 6), "80+": (80, None)}
    pd.testing.assert_frame_equal(result.broad_groups(groups), frame_only.broad_groups(groups), **same)


def test_base_population_is_the_data_with_the_open_group_split(result, data):
    base = result.population.query("year == 2015 and scenario == 'baseline'")
    pop = data.population.query("year == 2015 and sex != 'total'")
    for code in CODES:
        got = base[base.territory_code == code]
        exp = pop[pop.territory_code == code]
        assert got["value"].sum() == pytest.approx(exp["value"].sum())
        assert got[got.age < 85]["value"].sum() == pytest.approx(exp[exp.age < 85]["value"].sum())


def test_accounting_identity_in_every_year_and_territory(result):
    bal = result.balance()
    assert len(bal) == 3 * 2 * 15
    assert bal["residual"].abs().max() < 1e-8 * bal["population"].max()


def test_zero_migration_has_no_migrants_and_attraction_adds_them(result):
    comp = result.components
    zm = comp[(comp.scenario == "zero-migration") & (comp.component == "net_migration")]
    assert (zm["value"] == 0).all()
    tot = result.totals().query("sex == 'total' and year == 2030").set_index(["scenario", "territory_code"])["value"]
    for code in CODES:
        assert tot[("attraction", code)] > tot[("baseline", code)]
    added = result.assumptions.query("scenario == 'attraction'")["added_inflow"]
    assert (added > 0).all()


def test_estimates_report_tfr_e0_and_migration(result):
    est = result.estimates
    tfr = est.query("indicator == 'tfr'")["value"]
    assert ((tfr > 0.5) & (tfr < 3)).all()
    e0 = est.query("indicator == 'e0'")
    assert ((e0["value"] > 60) & (e0["value"] < 90)).all()
    assert {"net_migration_0-14", "net_migration_15-64", "net_migration_65+"} <= set(est["indicator"])
    assert est["method"].str.len().gt(0).all()


def test_rates_use_only_data_up_to_the_base_year(data):
    a = estimate_rates(data, CODES, 2012)
    def both_levels(name, query):  # the two sexes and the both-sexes figures, asked for explicitly
        return pd.concat([getattr(data, name), data.total(name)], ignore_index=True).query(query)

    cut = ProjectionData.from_frames(
        population=both_levels("population", "year <= 2012"), births=both_levels("births", "year < 2012"),
        deaths=both_levels("deaths", "year < 2012"), deaths_total=both_levels("deaths_total", "year < 2012"),
        life_expectancy=both_levels("life_expectancy", "year < 2012"))
    b = estimate_rates(cut, CODES, 2012)
    np.testing.assert_allclose(a.population, b.population)
    np.testing.assert_allclose(a.mortality, b.mortality)
    np.testing.assert_allclose(a.mig_in_rate - a.mig_out_rate, b.mig_in_rate - b.mig_out_rate)


def test_settings_and_inputs_are_validated(data):
    with pytest.raises(ProjectionError, match="migration_model"):
        EstimationSettings(migration_model="flows")
    with pytest.raises(ProjectionError, match="population at 1 January 2020"):
        estimate_rates(data, CODES, 2020)
    with pytest.raises(ProjectionError, match=r"no population at 1 January 1990 \(years available: 2006-"):
        estimate_rates(data, CODES, 1990)
    with pytest.raises(ProjectionError, match="to_year"):
        project(list(CODES), 2015, 2015, data=data)
    # a mistyped year (20500) is refused before the hours its projection would take
    with pytest.raises(ProjectionError, match=r"to_year \(20500\) is after 2100"):
        project(list(CODES), 2015, 20500, data=data)
    with pytest.raises(ProjectionError, match=r"target year \(20400\) is after 2100"):
        find_inflow("30", 2015, 20400, population=1, data=data)
    for bad in (-5, 0, float("nan")):
        with pytest.raises(ProjectionError, match="the population target must be a positive number"):
            find_inflow("30", 2015, 2030, population=bad, data=data)
    assert project(list(CODES)[:1], 2015, 2100, data=data).totals()["year"].max() == 2100
    with pytest.raises(ConfigError, match="unknown scenario"):
        project(list(CODES), 2015, 2020, scenario="nope", data=data)
    with pytest.raises(ProjectionError, match="lacks column"):
        ProjectionData.from_frames(population=pd.DataFrame({"x": [1]}))


def test_stochastic_runs_are_reproducible_with_a_seed(data):
    rates = estimate_rates(data, CODES, 2015)
    a = simulate(rates, "baseline", 2030, n=60, seed=7, settings=StochasticSettings(chunk=25)).quantiles
    b = simulate(rates, "baseline", 2030, n=60, seed=7, settings=StochasticSettings(chunk=60)).quantiles
    c = simulate(rates, "baseline", 2030, n=60, seed=8).quantiles
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["value"], c["value"])
    wide = a.pivot_table(index=["territory_code", "year", "sex", "age_group"], columns="quantile", values="value")
    assert (wide[0.1] <= wide[0.5] + 1e-6).all() and (wide[0.5] <= wide[0.9] + 1e-6).all()
    last = wide.xs((2030, "total", "total"), level=("year", "sex", "age_group"))
    assert (last[0.9] > last[0.1]).all()
    first = wide.xs((2015, "total", "total"), level=("year", "sex", "age_group"))
    np.testing.assert_allclose(first[0.1], first[0.9])


def test_project_with_stochastic_gives_wide_quantiles(data):
    res = project(list(CODES), 2015, 2025, data=data, stochastic=40, seed=1)
    w = res.quantiles_wide()
    assert {"q10", "q50", "q90", "age_group", "sex"} <= set(w.columns)
    with pytest.raises(ProjectionError):
        project(list(CODES), 2015, 2025, data=data).quantiles_wide()


def test_target_population_is_met_by_the_inflow_found(data):
    base = project("30", 2015, 2035, data=data).totals().query("sex == 'total' and year == 2035")["value"].iloc[0]
    res = find_inflow("30", 2015, 2035, population=base + 3000, data=data)
    assert res.status == "met" and res.inflow > 0
    assert res.achieved == pytest.approx(base + 3000, abs=5)
    traj = res.projection.totals().query("sex == 'total' and year == 2035")["value"].iloc[0]
    assert traj == pytest.approx(res.achieved, rel=1e-9)
    assert "persons a year" in res.message and len(res.to_frame()) == 1


def test_trajectories_projected_together_equal_each_projected_alone(data):
    from cityindicators.projection.scenarios import load_scenario
    from cityindicators.projection.target import project_trajectories, unit_schedules

    rates = project("30", 2015, 2035, data=data).rates  # the one territory's
    scens = [load_scenario(n) for n in ("baseline", "attraction", "trend")]
    units = unit_schedules(rates, scens, "young_families", 2035)
    assert all(u.rates is rates for u in units)
    goal = float(rates.population.sum())
    results = [find_inflow("30", year=2035, scenario=sc, rates=rates, schedule=u, population=goal)
               for sc, u in zip(scens, units)]
    # a second target of one scenario: projected apart (one projection's scenarios have distinct names)
    results.append(find_inflow("30", year=2035, scenario=scens[0], rates=rates, schedule=units[0], working_age=9000))
    assert all(r.status == "met" for r in results)
    project_trajectories(results)
    for r in results:
        alone = r.project_trajectory()
        assert r.projection is not alone
        pd.testing.assert_frame_equal(r.projection.population, alone.population, check_exact=True)
        (name, arr), = r.projection.arrays.items()
        assert list(alone.arrays) == [name] and np.array_equal(arr.population, alone.arrays[name].population)
    assert results[0].projection.totals()["value"].iloc[-1] != results[-1].projection.totals()["value"].iloc[-1]


def test_target_already_met_and_unreachable(data):
    res = find_inflow("Visaginas", 2015, 2030, population=1000, data=data)
    assert res.status == "met_at_lower_bound" and res.inflow == 0
    res = find_inflow("30", 2015, 2030, population=1e7, data=data, bounds=(0, 500))
    assert res.status == "unreachable" and res.inflow is None
    assert "no constant added inflow" in res.message and res.at_upper_bound < 1e7


def test_target_working_age_and_dependency(data):
    wa = find_inflow("30", 2015, 2035, working_age=14_000, data=data)
    assert wa.status in ("met", "met_at_lower_bound")
    assert wa.achieved >= 14_000 - 1
    oad = find_inflow("30", 2015, 2035, max_old_age_dependency=20.0, data=data,
                      profile="young_adults")
    assert oad.status in ("met", "unreachable", "met_at_lower_bound")
    if oad.status == "met":
        assert oad.achieved == pytest.approx(20.0, abs=0.05)
    with pytest.raises(ProjectionError, match="exactly one target"):
        find_inflow("30", 2015, 2035, population=1, working_age=1, data=data)


def test_children_migrate_with_their_mothers(data):
    fam = estimate_rates(data, CODES, 2015)
    own = estimate_rates(data, CODES, 2015, EstimationSettings(child_migration="own"))
    net = fam.mig_in_rate - fam.mig_out_rate
    # ages 0-14: one rate for both sexes, no count part, and the same age shape in every territory
    # (a pooled share by age times the territory's net rate of women 25-44)
    np.testing.assert_allclose(net[:, 0, :15], net[:, 1, :15])
    assert not fam.mig_in_count[..., :15].any() and not fam.mig_out_count[..., :15].any()
    assert np.abs(net[:, :, :15]).max() > 0
    moving = np.abs(net[1, 1, :15]) > 0  # the share is 0 where children move against their mothers
    assert moving.sum() >= 5
    ratio = net[0, 1, :15][moving] / net[1, 1, :15][moving]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
    # adults keep their own schedule
    for name in ("mig_in_rate", "mig_out_rate", "mig_in_count", "mig_out_count"):
        np.testing.assert_allclose(getattr(fam, name)[..., 15:], getattr(own, name)[..., 15:])
    assert "family model" in fam.details[CODES[0]]["migration"]
    with pytest.raises(ProjectionError, match="child_migration"):
        EstimationSettings(child_migration="parents")
    with pytest.raises(ProjectionError, match="family_child_ages"):
        EstimationSettings(family_child_ages=(0, 30))


def test_rates_of_a_territory_do_not_depend_on_the_others_projected(data):
    both = estimate_rates(data, CODES, 2015)
    one = estimate_rates(data, CODES[:1], 2015)
    for name in ("mig_in_rate", "mig_out_rate", "mig_in_count", "mig_out_count", "mortality", "asfr"):
        np.testing.assert_allclose(getattr(one, name)[0], getattr(both, name)[0])
    np.testing.assert_allclose(one.inflow_pool_base, both.inflow_pool_base)


def test_inflow_counts_follow_the_cohort_size_of_the_pool():
    from cityindicators.projection.schedule import _pool_ratio

    base = np.array([[10.0, 20.0, 30.0, 40.0]] * 2)
    window = np.array([[5.0, 10.0, 20.0, 40.0]] * 2)
    r = _pool_ratio(base, window, n=3, max_age=3)
    # year j, age x: base[x - j - 1] / window[x]; unborn cohorts take base age 0; ages >= 3 held
    np.testing.assert_allclose(r[0, 0], [10 / 5, 10 / 10, 20 / 20, 1.0])
    np.testing.assert_allclose(r[2, 0], [10 / 5, 10 / 10, 10 / 20, 1.0])


def test_inflow_pool_changes_only_the_count_part_by_year(data):
    from cityindicators.projection.scenarios import load_scenario
    from cityindicators.projection.scenarios import load_scenario
    from cityindicators.projection.schedule import build_schedule

    plain = EstimationSettings(age_structure_weight=0.0)  # without the age-structure combination's own migrants
    rates = estimate_rates(data, CODES, 2015, plain)
    sch = build_schedule(rates, load_scenario("baseline"), 2025)
    *_, rate, count = sch.deterministic_inputs()
    assert count.shape == (10, len(CODES), 2, rates.population.shape[-1])
    off = estimate_rates(data, CODES, 2015, EstimationSettings(inflow_pool=False, age_structure_weight=0.0))
    *_, rate_off, count_off = build_schedule(off, load_scenario("baseline"), 2025).deterministic_inputs()
    np.testing.assert_allclose(rate, rate_off)
    np.testing.assert_allclose(count[..., 50:], np.broadcast_to(count_off, count.shape)[..., 50:])
    zero = build_schedule(rates, load_scenario("zero-migration"), 2025).deterministic_inputs()
    assert not zero[-1].any() and not zero[-2].any()


def test_estimated_gompertz_slope_is_reported_and_used(data):
    fixed = estimate_rates(data, ["30"], 2012)
    est = estimate_rates(data, ["30"], 2012, EstimationSettings(gompertz_slope_estimate=True))
    assert "fixed Gompertz slope" in fixed.details["30"]["mortality"]
    assert "Gompertz slope estimated" in est.details["30"]["mortality"]
    assert not np.allclose(est.mortality, fixed.mortality)  # another age pattern (and hence SMR)
    with pytest.raises(ProjectionError):
        EstimationSettings(gompertz_slope_bounds=(0.1, 0.05))


def test_mean_correlation_hand_worked():
    from cityindicators.projection.stochastic import mean_correlation

    # pairwise correlations: rows 0-1 = +1, rows 0-2 = -1, rows 1-2 = -1 -> mean -1/3
    x = np.array([[1, 2, 3, 4], [2, 4, 6, 8], [4, 3, 2, 1]], dtype=float)
    assert mean_correlation(x) == pytest.approx(-1 / 3)
    # a missing year is left out pairwise; a single row has no pairs
    x[1, 0] = np.nan
    assert mean_correlation(x) == pytest.approx(-1 / 3)
    assert mean_correlation(x[:1]) == 0.0


def test_one_factor_draws_have_the_requested_correlation():
    from cityindicators.projection.stochastic import _one_factor

    z = _one_factor(np.random.default_rng(3), (20_000, 1, 4), 0.6)[:, 0]
    c = np.corrcoef(z.T)
    assert c[np.triu_indices(4, 1)] == pytest.approx(np.full(6, 0.6), abs=0.03)
    assert z.std(axis=0) == pytest.approx(np.ones(4), abs=0.03)
    assert _one_factor(np.random.default_rng(3), (5, 2, 3), 0.0).shape == (5, 2, 3)


def test_correlated_draws_widen_the_sum_of_territories(data):
    from dataclasses import replace

    from cityindicators.projection.scenarios import load_scenario
    from cityindicators.projection.schedule import build_schedule
    from cityindicators.projection.stochastic import draw_paths, fit_stochastic_model

    rates = estimate_rates(data, CODES, 2015)
    model = fit_stochastic_model(rates)
    # both municipalities lie in one county: their life expectancy series move together
    assert model.e0_unit[0] == model.e0_unit[1]
    sch = build_schedule(rates, load_scenario("baseline"), 2030)
    m = replace(model, mig_sigma=np.array([0.004, 0.004]), mig_phi=0.0)
    spread = {}
    for rho in (0.0, 0.8):
        _, _, shift = draw_paths(sch, replace(m, mig_rho=rho), 4000, 5)
        spread[rho] = (shift - sch.mig_shift[None])[:, -1].sum(axis=-1).std()
    # var(a + b) = 2 s^2 (1 + rho): the sum's sd grows by sqrt(1.8) with rho = 0.8
    assert spread[0.8] / spread[0.0] == pytest.approx(np.sqrt(1.8), rel=0.06)


def test_stochastic_aggregate_of_territories(data):
    rates = estimate_rates(data, CODES, 2015)
    res = simulate(rates, "baseline", 2025, n=80, seed=2, aggregates={"G:TWO": list(CODES)})
    w = res.quantiles.pivot_table(index=["territory_code", "year", "sex", "age_group"], columns="quantile",
                                  values="value")
    base = w.xs((2015, "total", "total"), level=("year", "sex", "age_group"))
    assert base.loc["G:TWO", 0.5] == pytest.approx(base.loc[list(CODES), 0.5].sum(), rel=1e-6)
    last = w.xs((2025, "total", "total"), level=("year", "sex", "age_group"))
    assert last.loc[list(CODES), 0.1].sum() - 1 <= last.loc["G:TWO", 0.5] <= last.loc[list(CODES), 0.9].sum() + 1
    assert {"tfr_correlation", "e0_correlation", "migration_correlation"} <= set(res.model.to_frame()["parameter"])
    with pytest.raises(ProjectionError, match="not among the projected"):
        simulate(rates, "baseline", 2020, n=5, aggregates={"G:X": ["30", "99"]})
    with pytest.raises(ProjectionError, match="also one of"):
        simulate(rates, "baseline", 2020, n=5, aggregates={"30": ["34"]})


def test_open_age_split_setting_and_reported_growth(data):
    stable = estimate_rates(data, CODES, 2015)
    flat = estimate_rates(data, CODES, 2015, EstimationSettings(open_age_split="stationary"))
    rep = stable.report().query("indicator == 'open_age_growth'")
    assert len(rep) == 2 * len(CODES) and rep["method"].str.contains("stable population").all()
    # the made-up populations shrink by 1 % of 2006's size a year: the open group's growth over 2010-2015
    g = np.log((1 - 0.01 * 9) / (1 - 0.01 * 4)) / 5
    np.testing.assert_allclose(rep["value"], g, rtol=1e-6)
    # the split changes inside the open group only, and keeps its total
    np.testing.assert_allclose(stable.population[..., :85], flat.population[..., :85])
    np.testing.assert_allclose(stable.population[..., 85:].sum(-1), flat.population[..., 85:].sum(-1))
    assert stable.population[..., 85].sum() < flat.population[..., 85].sum()  # shrinking group: older inside
    assert (flat.report().query("indicator == 'open_age_growth'")["value"] == 0).all()
    with pytest.raises(ProjectionError, match="open_age_split"):
        EstimationSettings(open_age_split="linear")


def test_group_is_projected_as_the_sum_of_its_members(data, tmp_path):
    (tmp_path / "groups.yaml").write_text("groups:\n  pair:\n    name_lt: Pora\n    name_en: Pair\n"
                                          "    members: [Visagino sav., '34']\n", encoding="utf-8")
    res = project(["G:pair", "30"], 2015, 2025, scenario=["baseline", "zero-migration"], data=data,
                  data_dir=tmp_path, stochastic=30, seed=4)
    assert res.groups == {"G:pair": ("30", "34")}
    assert list(res.rates.codes) == ["30", "34"]  # each member projected once
    pop = res.population.set_index(["scenario", "territory_code", "year", "sex", "age"])["value"].sort_index()
    for sc in ("baseline", "zero-migration"):
        np.testing.assert_allclose(pop.loc[(sc, "G:pair")].to_numpy(),
                                   (pop.loc[(sc, "30")] + pop.loc[(sc, "34")]).to_numpy())
    comp = res.components
    g = comp[comp["territory_code"] == "G:pair"].groupby(["scenario", "component"])["value"].sum()
    m = comp[comp["territory_code"].isin(["30", "34"])].groupby(["scenario", "component"])["value"].sum()
    pd.testing.assert_series_equal(g, m)
    q = res.quantiles
    assert {"30", "34", "G:pair"} == set(q["territory_code"])
    base = q[(q["scenario"] == "baseline") & (q["year"] == 2015) & (q["sex"] == "total") & (q["age_group"] == "total")
             & (q["quantile"] == 0.5)]
    v = base.set_index("territory_code")["value"]
    assert v["G:pair"] == pytest.approx(v["30"] + v["34"], rel=1e-6)
    with pytest.raises(ProjectionError, match="one territory, not on the group"):
        find_inflow("G:pair", 2015, 2025, population=1, data=data, data_dir=tmp_path)


def test_reference_rates_of_an_earlier_projection_give_the_same_result(data):
    first = project([CODES[0]], 2015, 2025, data=data)
    assert first.reference is not None and list(first.reference.codes[:1]) == [CODES[0]]
    fresh = project([CODES[0]], 2015, 2025, data=data, stochastic=40, seed=3)
    reused = project([CODES[0]], 2015, 2025, data=data, stochastic=40, seed=3, reference=first.reference)
    pd.testing.assert_frame_equal(reused.population, fresh.population)
    every = dict(sex=("male", "female", "total"), age_group=("total", "0-14", "15-64", "65+"))
    pd.testing.assert_frame_equal(reused.quantiles_for(**every), fresh.quantiles_for(**every))
    # the reference of other territories or another base year is refused, not silently used
    with pytest.raises(ProjectionError, match="reference rates"):
        project([CODES[1]], 2015, 2025, data=data, reference=first.reference)
    with pytest.raises(ProjectionError, match="reference rates"):
        project([CODES[0]], 2014, 2025, data=data, reference=first.reference)


def test_the_schedules_of_a_target_year_not_after_the_base_year_are_refused(data):
    # a report's target section builds them before find_inflow judges the year: numpy's "negative dimensions"
    from cityindicators.projection.scenarios import load_scenario
    from cityindicators.projection.target import unit_schedules

    rates = project("30", 2015, 2020, data=data).rates
    for year in (2010, 2015):
        with pytest.raises(ProjectionError, match=f"target year {year} must be after the base year 2015"):
            unit_schedules(rates, [load_scenario("baseline")], "young_families", year)
