"""One sex level per frame: the store's loaders return the two sexes or the both-sexes figure,
never both mixed, so a sum over ``sex`` counts no one twice (issue 10, item 1). Tiny tables use
invented numbers; the demo and real-data tests check every built dataset."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from cityindicators import store
from cityindicators.exceptions import DataValidationError, ProjectionError
from cityindicators.schema import DATASETS, both_sexes, dataset_spec, sex_level, split_sexes


def _births(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["territory_code", "year", "sex", "value", "status", "source"])


# -- hand-worked -----------------------------------------------------------------------------
def test_both_sexes_prefers_the_published_figure_else_adds_the_sexes():
    frame = _births([
        ("30", 2015, "male", 10.0, None, "a"), ("30", 2015, "female", 9.0, None, "a"),
        ("30", 2015, "total", 20.0, None, "a"),  # published: 20 (not 10 + 9 = 19) wins
        ("30", 2016, "male", 7.0, "p", "a"), ("30", 2016, "female", 5.0, "p", "a"),  # no total: 7 + 5 = 12
        ("30", 2017, "male", 4.0, None, "a"),  # one sex only: half a sum is no total
        ("30", 2018, "total", 6.0, None, "a"),  # both sexes only
        ("30", 2019, "male", 2.0, None, "a"), ("30", 2019, "female", 3.0, "c", "a"),
        ("30", 2019, "total", float("nan"), None, "a"),  # a missing published figure: 2 + 3 = 5
    ])
    out = both_sexes(frame, "births")
    assert list(out.columns) == list(frame.columns)
    assert (out["sex"] == "total").all() and not out.duplicated(["territory_code", "year"]).any()
    assert dict(zip(out["year"], out["value"])) == {2015: 20.0, 2016: 12.0, 2018: 6.0, 2019: 5.0}
    status = dict(zip(out["year"], out["status"]))
    assert status[2016] == "p" and pd.isna(status[2019])  # a status is kept only where both sexes agree


def test_both_sexes_of_a_published_level_is_the_published_figure_only():
    le = _births([("00", 2015, "male", 69.0, None, "a"), ("00", 2015, "female", 79.0, None, "a"),
                  ("00", 2016, "male", 70.0, None, "a"), ("00", 2016, "female", 80.0, None, "a"),
                  ("00", 2016, "total", 75.0, None, "a")])
    out = both_sexes(le, "life_expectancy")  # 69 + 79 is no life expectancy
    assert out[["year", "value"]].values.tolist() == [[2016, 75.0]]


def test_sex_level_gives_one_level_unless_both_are_asked_for():
    frame = _births([("30", 2015, "male", 10.0, None, "a"), ("30", 2015, "female", 9.0, None, "a"),
                     ("30", 2015, "total", 19.0, None, "a")])
    assert set(sex_level(frame, "births")["sex"]) == {"male", "female"}
    assert sex_level(frame, "births")["value"].sum() == 19.0
    assert sex_level(frame, "births", "total")["value"].sum() == 19.0
    assert sex_level(frame, "births", "female")["value"].tolist() == [9.0]
    both = sex_level(frame, "births", ("male", "female", "total"))
    assert sorted(both["sex"]) == ["female", "male", "total"]
    assert split_sexes(frame)["value"].sum() == 19.0
    with pytest.raises(DataValidationError, match="births: unknown sex \\['both'\\]; allowed: male, female, total"):
        sex_level(frame, "births", "both")


# -- every built dataset ------------------------------------------------------------------------
def _assert_one_level_sums(data_dir) -> None:
    """Every dataset, as loaded: no repeated key; summing by any subset of the keys gives the
    sum of the finer sums (no missing key is dropped); the two sexes added up give the
    both-sexes figure (published, so up to the few persons the build reports)."""
    for name in store.available_datasets(data_dir):
        spec = dataset_spec(name)
        keys = list(spec.key_columns)
        split = store.load(name, data_dir=data_dir) if "sex" not in spec.keys else store.load_levels(name, data_dir=data_dir)[0]
        levels = [split]
        if "sex" in spec.keys:
            assert set(split["sex"]) <= {"male", "female"}, name
            total = store.load(name, sex="total", data_dir=data_dir)
            assert set(total["sex"]) <= {"total"}, name
            levels.append(total)
        for frame in levels:
            assert not frame[keys].isna().any().any(), name
            assert not frame.duplicated(keys).any(), name
            if not spec.counts or frame.empty:
                continue
            whole = frame["value"].sum()
            for n in range(1, len(keys)):
                for subset in combinations(keys, n):
                    assert frame.groupby(list(subset))["value"].sum().sum() == pytest.approx(whole), (name, subset)
        if "sex" in spec.keys and spec.counts and len(split):
            other = [k for k in keys if k != "sex"]
            wide = split.pivot_table(index=other, columns="sex", values="value", aggfunc="sum", dropna=False)
            added = (wide["male"] + wide["female"]).dropna()
            published = total.set_index(other)["value"].reindex(added.index)
            assert published.notna().all(), name  # where both sexes are given, so is the both-sexes figure
            assert ((added - published).abs() <= 0.02 * published.abs().clip(lower=1)).all(), name


def test_every_demo_dataset_loads_at_one_sex_level(demo_dir):
    assert {"population", "births", "deaths", "migration_total", "labour"} <= set(store.available_datasets(demo_dir))
    _assert_one_level_sums(demo_dir)


def test_every_real_dataset_loads_at_one_sex_level(real_data_dir):
    _assert_one_level_sums(real_data_dir)
    vis = store.load("population", "Visaginas", 2015, data_dir=real_data_dir)
    assert vis["value"].sum() == store.load("population", "Visaginas", 2015, sex="total",
                                            data_dir=real_data_dir)["value"].sum()
    # the extract's deaths are of both sexes only: the default view refuses, naming the call
    with pytest.raises(DataValidationError, match="deaths: the rows asked for are published for both sexes only.*"
                                                  "load\\('deaths', ..., sex='total'\\) gives them"):
        store.load("deaths", data_dir=real_data_dir)
    assert len(store.load("deaths", sex="total", data_dir=real_data_dir))


def test_the_datasets_with_a_sex_key_are_known():
    # a new dataset with sex must be checked above (and by the consumers): this lists them
    assert sorted(n for n, s in DATASETS.items() if "sex" in s.keys) == [
        "births", "deaths", "deaths_total", "labour", "life_expectancy", "median_age", "migration",
        "migration_total", "population", "population_total"]


# -- consumers ---------------------------------------------------------------------------------
def test_projection_inputs_hold_the_two_sexes_and_their_both_sexes_figures(demo_dir):
    from cityindicators.projection import ProjectionData
    from cityindicators.exceptions import ProjectionError

    pop = pd.DataFrame({"territory_code": "30", "year": 2015, "sex": ["male", "female", "total"],
                        "age": pd.array([0, 0, 0], dtype="Int64"), "open_age": True, "value": [1.0, 2.0, 3.0]})
    births = _births([("30", 2015, "male", 10.0, None, "a"), ("30", 2015, "female", 9.0, None, "a"),
                      ("30", 2016, "total", 20.0, None, "a")])
    data = ProjectionData.from_frames(population=pop, births=births)  # frames of both levels are split
    assert set(data.births["sex"]) == {"male", "female"} and set(data.population["sex"]) == {"male", "female"}
    assert dict(zip(data.total("births")["year"], data.total("births")["value"])) == {2015: 19.0, 2016: 20.0}
    assert data.total("population")["value"].tolist() == [3.0]
    with pytest.raises(ProjectionError, match="'asfr' has no sex split"):
        data.total("asfr")
    with pytest.raises(ProjectionError, match="empty of men and women"):
        ProjectionData.from_frames(population=pop[pop["sex"] == "total"])
    stored = ProjectionData.from_store(data_dir=demo_dir)
    for name, frame in stored.both_sexes.items():
        assert set(getattr(stored, name)["sex"]) <= {"male", "female"}, name
        assert set(frame["sex"]) <= {"total"}, name


def test_the_indicators_tables_hold_each_level_apart(demo_dir):
    from cityindicators.indicators import load_data
    from cityindicators.schema import both_sexes_key

    data = load_data(data_dir=demo_dir)
    for name, spec in DATASETS.items():
        if name in data and "sex" in spec.keys:
            assert set(data[name]["sex"]) <= {"male", "female"}, name
            assert set(data[both_sexes_key(name)]["sex"]) <= {"total"}, name


def test_both_sexes_of_a_stored_frame_with_missing_statuses():
    # the stored dtypes: string status with <NA>, Int64 age; two keys summed, one published
    frame = pd.DataFrame({"territory_code": "30", "year": 2015, "sex": ["male", "female"] * 2 + ["total"],
                          "age": pd.array([0, 0, 1, 1, 2], dtype="Int64"), "open_age": [False] * 4 + [True],
                          "value": [1.0, 2.0, 3.0, 4.0, 9.0],
                          "status": pd.array([pd.NA, pd.NA, "p", "p", pd.NA], dtype="string"),
                          "source": pd.array(["a"] * 5, dtype="string")})
    out = both_sexes(frame, "population")
    assert out["age"].tolist() == [0, 1, 2] and out["value"].tolist() == [3.0, 7.0, 9.0]
    assert out["status"].isna().tolist() == [True, False, True] and out["status"].iloc[1] == "p"
    assert out["age"].dtype == "Int64" and (out["sex"] == "total").all()


# -- the projection's result frames ----------------------------------------------------------------
def _assert_one_row_per_key(frame: pd.DataFrame, keys: list[str], name: str) -> None:
    assert not frame[keys].isna().any().any(), name  # pandas would drop a missing key from a sum
    assert not frame.duplicated(keys).any(), name


def test_result_totals_and_broad_groups_by_hand():
    from cityindicators.projection import ProjectionResult

    pop = pd.DataFrame({"scenario": "s", "territory_code": "30", "year": 2020, "sex": ["male"] * 3 + ["female"] * 3,
                        "age": [0, 20, 70] * 2, "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    res = ProjectionResult(population=pop, scenarios={}, base_year=2020, to_year=2021, open_age=100, rates=None)
    assert res.totals()[["sex", "value"]].values.tolist() == [["total", 21.0]]  # 1+2+3 + 4+5+6
    assert dict(res.totals(sex=None)[["sex", "value"]].values) == {"male": 6.0, "female": 15.0}
    assert res.totals(sex=("male", "female", "total"))["sex"].tolist() == ["total", "male", "female"]
    bg = res.broad_groups()
    assert dict(zip(bg["age_group"], bg["value"])) == {"0-14": 5.0, "15-64": 7.0, "65+": 9.0} and set(bg["sex"]) == {"total"}
    women = res.broad_groups(sex="female", all_ages=True)
    assert dict(zip(women["age_group"], women["value"])) == {"0-14": 4.0, "15-64": 5.0, "65+": 6.0, "total": 15.0}
    assert res.quantiles is None
    with pytest.raises(ProjectionError, match="not run with stochastic trajectories"):
        res.quantiles_for()


def test_result_intervals_give_one_level_unless_asked_by_hand():
    """``intervals`` holds the all-ages rows only; ``intervals_for`` any other level, labelled:
    summed by any key, each level gives its own figures, never persons and years together."""
    from cityindicators.projection import ProjectionResult

    place = ["scenario", "territory_code", "year"]
    levels = {"total": 21.0, "0-14": 5.0, "15-64": 7.0, "65+": 9.0, "median_age": 41.5}
    full = pd.DataFrame([("s", code, year, year - 2020, g, "under 20,000", v * (1 + (year - 2021) / 10), v - 1.0, v + 1.0, 0.8)
                         for code in ("30", "31") for year in (2021, 2022) for g, v in levels.items()],
                        columns=[*place, "horizon", "age_group", "size_class", "value", "lower", "upper", "level"])
    res = ProjectionResult(population=pd.DataFrame(), scenarios={}, base_year=2020, to_year=2022, open_age=100,
                           rates=None, _intervals=full)
    iv = res.intervals
    assert list(iv.columns) == list(full.columns) and set(iv["age_group"]) == {"total"}
    _assert_one_row_per_key(iv, place, "intervals")
    whole = iv["value"].sum()
    assert whole == pytest.approx(2 * (21.0 + 23.1))  # two territories, 2021 and 2022: persons only
    for n in range(1, len(place) + 1):
        for subset in combinations(place, n):
            assert iv.groupby(list(subset))["value"].sum().sum() == pytest.approx(whole), subset
    broad = res.intervals_for(["0-14", "15-64", "65+"])
    pd.testing.assert_series_equal(broad.groupby(place)["value"].sum(), iv.set_index(place)["value"], check_names=False)  # 5+7+9
    assert res.intervals_for("median_age")["value"].tolist() == pytest.approx([41.5, 45.65] * 2)  # years
    every = res.intervals_for(None)
    assert len(every) == len(full) and set(every["age_group"]) == set(levels)
    _assert_one_row_per_key(every, [*place, "age_group"], "intervals_for(None)")
    with pytest.raises(ProjectionError, match="intervals_for\\(\\): unknown age group \\['all'\\]; allowed: "
                                              "total, 0-14, 15-64, 65\\+, median_age"):
        res.intervals_for(["total", "all"])
    bare = ProjectionResult(population=pd.DataFrame(), scenarios={}, base_year=2020, to_year=2022, open_age=100,
                            rates=None)
    assert bare.intervals is None
    with pytest.raises(ProjectionError, match="not run with empirical intervals"):
        bare.intervals_for()


def test_every_projection_result_frame_holds_one_level(demo_dir):
    """Every frame a ProjectionResult gives sums correctly by any key: summed down to scenario,
    territory and year, each gives the population (no one counted twice, no missing key dropped);
    the both-sexes quantiles are those of the both-sexes trajectories, not sums of quantiles."""
    from cityindicators.projection import project
    from cityindicators.projection.stochastic import simulate

    res = project(["X13", "X14"], to_year=2030, scenario=["baseline", "zero-migration"], data_dir=demo_dir,
                  stochastic=30, seed=3, national="engine")
    place = ["scenario", "territory_code", "year"]
    people = res.population.groupby(place)["value"].sum()
    additive = {
        "population": (res.population, [*place, "sex", "age"]),
        "uncontrolled": (res.uncontrolled, [*place, "sex", "age"]),
        "totals()": (res.totals(), [*place, "sex"]),
        "totals(sex=None)": (res.totals(sex=None), [*place, "sex"]),
        "broad_groups()": (res.broad_groups(), [*place, "sex", "age_group"]),
        "broad_groups(sex=None)": (res.broad_groups(sex=None), [*place, "sex", "age_group"]),
    }
    for name, (frame, keys) in additive.items():
        _assert_one_row_per_key(frame, keys, name)
        whole = frame["value"].sum()
        for n in range(1, len(keys)):
            for subset in combinations(keys, n):
                assert frame.groupby(list(subset))["value"].sum().sum() == pytest.approx(whole), (name, subset)
        if name != "uncontrolled":  # (the population before the national control)
            pd.testing.assert_series_equal(frame.groupby(place)["value"].sum(), people, check_names=False, obj=name)
    assert set(res.totals()["sex"]) == {"total"} and set(res.totals(sex=None)["sex"]) == {"male", "female"}
    assert set(res.broad_groups()["age_group"]) == {"0-14", "15-64", "65+"}
    with_all = res.broad_groups(all_ages=True)  # asked for: the all-ages group beside the others, labelled
    assert with_all.query("age_group == 'total'")["value"].sum() == pytest.approx(people.sum())
    with pytest.raises(ProjectionError, match="totals\\(\\): unknown sex \\['both'\\]; allowed: male, female, total"):
        res.totals(sex="both")
    _assert_one_row_per_key(res.national, ["scenario", "year", "sex", "age"], "national")
    assert set(res.national["sex"]) == {"male", "female"}

    # components: births at age 0 (the newborns' age at the end of the year), so a sum by age keeps them
    comp = res.components
    _assert_one_row_per_key(comp, [*place, "component", "sex", "age"], "components")
    by_age = comp.groupby(["scenario", "component", "age"])["value"].sum().groupby(level=[0, 1]).sum()
    pd.testing.assert_series_equal(by_age, comp.groupby(["scenario", "component"])["value"].sum())

    bal = res.balance().set_index(place)  # one row per key, one column per component (of the engine's
    assert not bal.index.duplicated().any()  # paths: before the national control)
    before = res.uncontrolled.groupby(place)["value"].sum()
    np.testing.assert_allclose(bal["population"], before.loc[bal.index])

    # assumptions: one row per scenario, territory and year, one column each: no sex to add over
    a = res.assumptions
    _assert_one_row_per_key(a, place, "assumptions")
    assert "sex" not in a.columns and {"tfr", "e0_male", "e0_female", "net_migration"} <= set(a.columns)
    mig = comp.query("component == 'net_migration' and territory_code in ['X13', 'X14']")
    np.testing.assert_allclose(a.set_index(place)["net_migration"].sort_index(),
                               mig.groupby(place)["value"].sum().sort_index())

    # quantiles: one level per frame; the both-sexes quantile is the quantile of the both-sexes paths
    q = res.quantiles
    _assert_one_row_per_key(q, [*place, "quantile"], "quantiles")
    assert set(q["sex"]) == {"total"} and set(q["age_group"]) == {"total"}
    by_sex = res.quantiles_for(sex=None)
    _assert_one_row_per_key(by_sex, [*place, "sex", "quantile"], "quantiles_for(sex=None)")
    groups = res.quantiles_for(age_group=None)
    assert set(groups["age_group"]) == {"0-14", "15-64", "65+"} and set(groups["sex"]) == {"total"}
    alone = simulate(res.rates, "baseline", 2030, n=30, seed=3, reference=res.reference).quantiles
    alone = alone.query("sex == 'total' and age_group == 'total'").reset_index(drop=True)
    pd.testing.assert_frame_equal(q.query("scenario == 'baseline'").reset_index(drop=True), alone)
    with pytest.raises(ProjectionError, match="unknown age group \\['all'\\]"):
        res.quantiles_for(age_group="all")


def test_the_default_load_of_a_both_sexes_only_table_refuses_or_warns(tmp_path, caplog):
    """``store.load`` without ``sex`` on rows given for both sexes only gives no empty frame:
    an error naming the dataset and ``sex='total'``; where only some keys are, a warning."""
    from cityindicators.sources.files import import_tidy

    d = tmp_path / "data"
    src = tmp_path / "births.csv"
    src.write_text("territory,year,sex,value\nZarasų r. sav.,2014,total,150\n"
                   "Zarasų r. sav.,2015,male,80\nZarasų r. sav.,2015,female,75\n", encoding="utf-8")
    import_tidy(src, "births", data_dir=d)
    store.build(d)
    with caplog.at_level("WARNING", logger="cityindicators.store"):
        split = store.load("births", data_dir=d)
    assert sorted(split["value"]) == [75.0, 80.0]
    assert "births: 1 key(s) are given for both sexes only" in caplog.text and "sex='total'" in caplog.text
    with pytest.raises(DataValidationError, match="births: the rows asked for are published for both sexes only"):
        store.load("births", years=2014, data_dir=d)
    assert store.load("births", years=2014, sex="total", data_dir=d)["value"].tolist() == [150.0]
