"""One sex level per frame: the store's loaders return the two sexes or the both-sexes figure,
never both mixed, so a sum over ``sex`` counts no one twice (issue 10, item 1). Tiny tables use
invented numbers; the demo and real-data tests check every built dataset."""

from __future__ import annotations

from itertools import combinations

import pandas as pd
import pytest

from cityindicators import store
from cityindicators.exceptions import DataValidationError
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
        split = store.load(name, data_dir=data_dir)
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
    # the extract's deaths are of both sexes only: the default view has none, sex="total" all
    assert store.load("deaths", data_dir=real_data_dir).empty
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
