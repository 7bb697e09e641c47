"""The totals and age-group sums of a projection taken from the engine's arrays
(``ProjectionResult._age_sums``), hand-worked on made-up numbers and against the group-by of the
population frame."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cityindicators.projection.api import ProjectionResult, population_totals, tidy_population

# [year, territory, sex, age]: two years, territories A and B, men then women, ages 0, 1 and 2+ (open)
POP = np.array([[[[1, 2, 3], [4, 5, 6]], [[10, 20, 30], [40, 50, 60]]],
                [[[2, 2, 2], [1, 1, 1]], [[0, 5, 0], [7, 0, 0]]]], dtype=float)


@pytest.fixture
def result():
    return ProjectionResult(population=tidy_population(POP, ["A", "B"], [2020, 2021], "s"), scenarios={},
                            base_year=2020, to_year=2021, open_age=2, rates=SimpleNamespace(codes=["A", "B"]),
                            arrays={"s": SimpleNamespace(population=POP)})


def _rows(frame):
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_totals_hand_worked(result):
    # A 2020: 1+2+3 + 4+5+6 = 21; B 2020: 60 + 150 = 210; A 2021: 6 + 3 = 9; B 2021: 5 + 7 = 12
    assert _rows(result.totals()) == [("s", "A", 2020, "total", 21.0), ("s", "B", 2020, "total", 210.0),
                                      ("s", "A", 2021, "total", 9.0), ("s", "B", 2021, "total", 12.0)]
    # both sexes first, then men before women within each territory and year, whatever the order asked
    assert _rows(result.totals(("female", "total", "male"))) == [
        ("s", "A", 2020, "total", 21.0), ("s", "B", 2020, "total", 210.0),
        ("s", "A", 2021, "total", 9.0), ("s", "B", 2021, "total", 12.0),
        ("s", "A", 2020, "male", 6.0), ("s", "A", 2020, "female", 15.0),
        ("s", "B", 2020, "male", 60.0), ("s", "B", 2020, "female", 150.0),
        ("s", "A", 2021, "male", 6.0), ("s", "A", 2021, "female", 3.0),
        ("s", "B", 2021, "male", 5.0), ("s", "B", 2021, "female", 7.0)]


def test_age_groups_hand_worked(result):
    got = result.broad_groups({"young": (0, 0), "older": (1, None)}, sex="female")
    # women aged 0: 4, 40, 1, 7; aged 1 and over: 5+6, 50+60, 1+1, 0+0
    assert _rows(got) == [("s", "A", 2020, "female", "young", 4.0), ("s", "B", 2020, "female", "young", 40.0),
                          ("s", "A", 2021, "female", "young", 1.0), ("s", "B", 2021, "female", "young", 7.0),
                          ("s", "A", 2020, "female", "older", 11.0), ("s", "B", 2020, "female", "older", 110.0),
                          ("s", "A", 2021, "female", "older", 2.0), ("s", "B", 2021, "female", "older", 0.0)]


@pytest.mark.parametrize("sex", ["total", None, ("male", "female", "total"), "male"])
def test_sums_of_the_arrays_are_the_group_by_of_the_frame(result, sex):
    pd.testing.assert_frame_equal(result.totals(sex), population_totals(result.population, sex))
    groups = {"young": (0, 0), "middle": (1, 1), "old": (2, None)}
    result.groups = {"G:X": ("A",)}  # a frame that is not the arrays': the group-by of the frame
    by_frame = result.broad_groups(groups, sex=sex)
    result.groups = {}
    pd.testing.assert_frame_equal(result.broad_groups(groups, sex=sex), by_frame)


def _split_by_sex(totals) -> np.ndarray:
    """``[years, 1 territory, 2 sexes, 1 age]``: each total shared 40/60 between men and women."""
    t = np.asarray(totals, dtype=float)[:, None, None, None]
    return np.concatenate([0.4 * t, 0.6 * t], axis=2)


def test_change_by_period_hand_worked():
    # one territory, 1 January 2020-2023: 100, 105, 103, 98; events of 2020-2022: births 10, 8, 6,
    # deaths 4, 5, 7, net migration -1, -5, -4 (100 + 10 - 4 - 1 = 105, 105 + 8 - 5 - 5 = 103, 103 + 6 - 7 - 4 = 98)
    arrays = SimpleNamespace(population=_split_by_sex([100, 105, 103, 98]),
                             births=_split_by_sex([10, 8, 6])[..., 0],
                             deaths=_split_by_sex([4, 5, 7]), net_migration=_split_by_sex([-1, -5, -4]))
    res = ProjectionResult(population=pd.DataFrame(), scenarios={}, base_year=2020, to_year=2023, open_age=0,
                           rates=SimpleNamespace(codes=["A"]), arrays={"s": arrays})
    got = res.change_by_period(2022)
    # tested 2020 -> 2022: births 18, deaths 9, natural change 9, migration -6, 100 -> 103;
    # beyond 2022 -> 2023: births 6, deaths 7, natural change -1, migration -4, 103 -> 98
    assert _rows(got) == [("s", "A", "tested", 2020, 2022, 100.0, 18.0, 9.0, 9.0, -6.0, 103.0),
                          ("s", "A", "beyond", 2022, 2023, 103.0, 6.0, 7.0, -1.0, -4.0, 98.0)]
    # a projection that ends within the back-tested horizons has no period beyond them
    assert _rows(res.change_by_period(2030)) == [("s", "A", "tested", 2020, 2023, 100.0, 24.0, 16.0, 8.0, -10.0, 98.0)]
    # by default the split is the longest back-tested horizon (12 years) after the base year
    assert res.change_by_period()["last_year"].tolist() == [2023]
    # a group (of one member here): its rows are the sums of its members'
    res.groups = {"G:AA": ("A",)}
    got = res.change_by_period(2022)
    assert _rows(got[got["territory_code"] == "G:AA"]) == [
        ("s", "G:AA", "tested", 2020, 2022, 100.0, 18.0, 9.0, 9.0, -6.0, 103.0),
        ("s", "G:AA", "beyond", 2022, 2023, 103.0, 6.0, 7.0, -1.0, -4.0, 98.0)]
