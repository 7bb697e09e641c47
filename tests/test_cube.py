"""The labelled cube: the one pair of conversions to and from the tidy frame, and the views of it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cityindicators.cube import DIMS, SEXES, SEXES_AND_TOTAL, Cube
from cityindicators.indicators._counts import SEX_INDEX, build_counts
from cityindicators.store import population_array


def _frame() -> pd.DataFrame:
    # two territories, one year, two sexes, ages 0-1; value = 1000 t + 100 s + age (t, s by position)
    rows = [(code, 2015, sex, age, 1000.0 * t + 100 * s + age)
            for t, code in enumerate(["X2", "X1"]) for s, sex in enumerate(SEXES) for age in (1, 0)]
    frame = pd.DataFrame(rows, columns=["territory_code", "year", "sex", "age", "value"])
    frame["age"] = frame["age"].astype("Int64")
    return frame


def test_from_tidy_puts_each_row_in_its_cell_with_sorted_labels():
    cube = Cube.from_tidy(_frame(), DIMS, {"sex": SEXES})
    assert cube.dims == DIMS and cube.values.shape == (2, 1, 2, 2)
    assert cube.coords["territory"] == ("X1", "X2") and cube.coords["year"] == (2015,) and cube.coords["age"] == (0, 1)
    # X1 was the second territory of the frame (t = 1): female (s = 1), age 1 -> 1000 + 100 + 1
    assert cube.values[0, 0, 1, 1] == 1101.0
    assert cube.values[1, 0, 0, 0] == 0.0  # X2, male, age 0


def test_from_tidy_leaves_missing_cells_nan_and_drops_rows_outside_given_labels():
    frame = _frame()
    cube = Cube.from_tidy(frame[frame["age"] == 0], DIMS, {"sex": SEXES, "age": np.arange(3), "territory": ("X1",)})
    assert cube.values.shape == (1, 1, 2, 3)
    np.testing.assert_array_equal(cube.values[0, 0], [[1000.0, np.nan, np.nan], [1100.0, np.nan, np.nan]])


def test_to_tidy_is_the_inverse_of_from_tidy():
    frame = _frame()
    cube = Cube.from_tidy(frame, DIMS, {"sex": SEXES})
    back = cube.to_tidy()
    assert list(back.columns) == ["territory_code", "year", "sex", "age", "value"]
    assert back["year"].dtype == "int64" and back["age"].dtype == "int64"
    # rows in the array's order, the last axis (age) fastest
    assert back["territory_code"].tolist()[:4] == ["X1"] * 4 and back["age"].tolist()[:4] == [0, 1, 0, 1]
    merged = back.merge(frame.astype({"age": "int64"}), on=["territory_code", "year", "sex", "age"])
    assert len(merged) == len(frame) == len(back)
    np.testing.assert_array_equal(merged["value_x"], merged["value_y"])


def test_to_tidy_with_constant_columns_and_an_order():
    cube = Cube(np.arange(4.0).reshape(2, 2), ("year", "sex"), {"year": np.array([2020, 2021]), "sex": SEXES})
    out = cube.to_tidy("persons", ["scenario", "sex", "year", "persons"], scenario="baseline")
    assert list(out.columns) == ["scenario", "sex", "year", "persons"]
    assert out["scenario"].tolist() == ["baseline"] * 4
    assert out["sex"].tolist() == ["male", "female", "male", "female"] and out["persons"].tolist() == [0, 1, 2, 3]


def test_transpose_and_in_order_are_views():
    values = np.zeros((3, 2, 4))  # the engine's order: year, territory, sex... here [year, territory, age]
    cube = Cube(values, ("year", "territory", "age"), {"year": (1, 2, 3), "territory": ("a", "b"), "age": range(4)})
    ordered = cube.in_order()
    assert ordered.dims == ("territory", "year", "age") and ordered.values.shape == (2, 3, 4)
    values[2, 1, 3] = 7.0
    assert ordered.values[1, 2, 3] == 7.0  # the same memory
    assert np.shares_memory(ordered.values, values)


def test_a_cube_refuses_wrong_labels():
    with pytest.raises(ValueError, match="axis 'sex' has 2 positions but 3 labels"):
        Cube(np.zeros((2, 2)), ("year", "sex"), {"year": (1, 2), "sex": SEXES_AND_TOTAL})
    with pytest.raises(ValueError, match="distinct axis names"):
        Cube(np.zeros((2, 2)), ("year", "year"), {"year": (1, 2)})
    with pytest.raises(KeyError, match="no axis 'age'"):
        Cube(np.zeros(2), ("year",), {"year": (1, 2)}).axis("age")


def test_population_array_and_counts_are_views_of_one_cube():
    frame = _frame()
    pa = population_array(frame)
    cube = pa.cube
    assert cube.dims == DIMS and cube.values is pa.values and cube.coords["sex"] == SEXES
    assert pa.codes == ("X1", "X2") and pa.years == (2015,) and pa.open_age == 1
    counts = build_counts({"population": frame})
    ccube = counts.cube("pop")
    assert ccube.coords["sex"] == SEXES_AND_TOTAL and ccube.values is counts.pop
    assert list(SEX_INDEX) == list(SEXES_AND_TOTAL)
    # the same cells in both, male and female; the counts' total (last) is their sum
    np.testing.assert_array_equal(ccube.values[:, :, :2], cube.values)
    np.testing.assert_array_equal(ccube.values[:, :, 2], cube.values.sum(axis=2))
    assert counts.cube("births").dims == ("territory", "year", "sex")


def test_base_rates_arrays_are_cube_views_in_the_one_order():
    from cityindicators.projection.base_rates import BaseRates

    T, A, H = 2, 3, 4
    z = np.zeros((T, 2, A))
    rates = BaseRates(codes=("X1", "X2"), base_year=2018, ages=np.arange(A), population=np.arange(12.0).reshape(T, 2, A),
                      mortality=z, e0=np.zeros((T, 2)), asfr=np.zeros((T, A)), tfr=np.zeros(T), male_share=np.zeros(T),
                      mig_in_rate=z, mig_out_rate=z, mig_in_count=z, mig_out_count=z, hist_years=np.arange(2014, 2018),
                      tfr_hist=np.zeros((T, H)), e0_hist=np.arange(16.0).reshape(T, 2, H), netmig_hist=np.zeros((T, H)))
    pop = rates.cube("population")
    assert pop.dims == ("territory", "sex", "age") and pop.values is rates.population
    e0 = rates.cube("e0_hist")  # stored [T, 2, H]; the cube puts year before sex
    assert e0.dims == ("territory", "year", "sex") and e0.coords["year"].tolist() == [2014, 2015, 2016, 2017]
    assert e0.values[1, 3, 0] == rates.e0_hist[1, 0, 3]
    assert rates.cube("tfr").dims == ("territory",)
    with pytest.raises(KeyError, match="mig_longrun_rate is not set"):
        rates.cube("mig_longrun_rate")
