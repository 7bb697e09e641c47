"""Population structure and working-age indicators: hand-worked examples on tiny tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from _indicator_frames import cat, pop_rows, tables, totals_only, value
from cityindicators.exceptions import ConfigError
from cityindicators.indicators import (
    CATALOGUE,
    POLARITIES,
    catalogue_frame,
    compute_indicators,
    get_indicator,
    mean_age_of,
    median_age_of,
    pension_age,
    pension_age_weights,
    working_age_weights,
)

# Territory 30 at 1 January 2015: 100 residents.
#   male: 10 aged 5, 40 aged 30, 10 aged 70      female: 10 aged 5, 20 aged 30, 10 aged 82
MALE = {5: 10, 30: 40, 70: 10}
FEMALE = {5: 10, 30: 20, 82: 10}


@pytest.fixture
def simple():
    return tables(population=pop_rows("30", 2015, MALE, FEMALE))


def test_structure_hand_worked(simple):
    df = compute_indicators(territories=["30"], data=simple)
    v = lambda i: value(df, i, "30", 2015)  # noqa: E731
    assert v("population") == 100
    assert v("population_male") == 60 and v("population_female") == 40
    assert v("share_0_14") == pytest.approx(20.0)       # 20 / 100
    assert v("share_15_64") == pytest.approx(60.0)      # 60 / 100
    assert v("share_65_plus") == pytest.approx(20.0)    # (10 + 10) / 100
    assert v("share_80_plus") == pytest.approx(10.0)    # 10 / 100
    assert v("old_age_dependency_ratio") == pytest.approx(100 * 20 / 60)
    assert v("young_age_dependency_ratio") == pytest.approx(100 * 20 / 60)
    assert v("total_dependency_ratio") == pytest.approx(100 * 40 / 60)
    assert v("ageing_index") == pytest.approx(100.0)    # 20 / 20
    assert v("potential_support_ratio") == pytest.approx(3.0)  # 60 / 20
    assert v("sex_ratio") == pytest.approx(150.0)       # 60 / 40
    # mean age: (5.5 x 20 + 30.5 x 60 + 70.5 x 10 + 82.5 x 10) / 100
    assert v("mean_age") == pytest.approx(34.70)
    # median: half = 50; 20 are younger than 30, age 30 holds 60 -> 30 + (50 - 20) / 60
    assert v("median_age") == pytest.approx(30.5)


def test_working_age_hand_worked(simple):
    # 2015: pension age men 63 y 2 m, women 61 y 4 m; working age = the 60 aged 30
    df = compute_indicators(["working_age_population", "working_age_share", "pension_age_population",
                             "pension_age_share"], "30", data=simple)
    assert value(df, "working_age_population", "30", 2015) == pytest.approx(60.0)
    assert value(df, "working_age_share", "30", 2015) == pytest.approx(60.0)
    assert value(df, "pension_age_population", "30", 2015) == pytest.approx(20.0)
    assert value(df, "pension_age_share", "30", 2015) == pytest.approx(20.0)


def test_working_age_fractional_cohorts():
    # women aged 61 in 2015 (pension age 61 1/3): a third below pension age; men aged 63 (63 1/6): a sixth
    data = tables(population=pop_rows("30", 2015, {15: 7, 16: 5, 63: 12}, {61: 30}))
    df = compute_indicators(["working_age_population", "pension_age_population"], "30", data=data)
    assert value(df, "working_age_population", "30", 2015) == pytest.approx(5 + 12 / 6 + 30 / 3)
    assert value(df, "pension_age_population", "30", 2015) == pytest.approx(12 * 5 / 6 + 30 * 2 / 3)


@pytest.mark.parametrize(
    "year, male, female",
    [
        (1990, 60, 55), (1994, 60, 55), (1995, 60 + 2 / 12, 55 + 4 / 12), (2000, 61, 57), (2001, 61.5, 57.5),
        (2003, 62.5, 58.5), (2006, 62.5, 60), (2011, 62.5, 60), (2012, 62.5 + 2 / 12, 60 + 4 / 12),
        (2016, 62.5 + 10 / 12, 60 + 20 / 12), (2026, 65, 65), (2040, 65, 65),
    ],
)
def test_pension_age_schedule(year, male, female):
    assert float(pension_age(year, "male")) == pytest.approx(male)
    assert float(pension_age(year, "female")) == pytest.approx(female)
    assert pension_age(np.array([year, year]), 1).shape == (2,)


def test_working_age_weights_rules():
    ages = np.arange(86)
    w = working_age_weights(np.array([2012]), ages)  # women 60 y 4 m
    assert w.shape == (1, 2, 86)
    assert w[0, 1, 15] == 0 and w[0, 1, 16] == 1 and w[0, 1, 59] == 1
    assert w[0, 1, 60] == pytest.approx(1 / 3) and w[0, 1, 61] == 0
    assert w[0, 0, 62] == pytest.approx(2 / 3)  # men 62 y 8 m
    mid = working_age_weights(np.array([2012]), ages, rule="midpoint")
    assert mid[0, 1, 60] == 0 and mid[0, 0, 62] == 1  # 60.5 >= 60.33; 62.5 < 62.67
    pw = pension_age_weights(np.array([2012]), ages)
    assert np.allclose((w + pw)[0, :, 16:], 1.0) and np.all(pw[0, :, :16] == 0)
    with pytest.raises(ConfigError):
        working_age_weights(np.array([2012]), ages, rule="round")
    with pytest.raises(ConfigError):
        pension_age(2012, "x")


def test_median_age_kernel():
    assert float(median_age_of(np.array([3.0, 5.0, 2.0, 0.0]))) == pytest.approx(1.4)  # 1 + (5 - 3) / 5
    assert float(median_age_of(np.array([2.0, 2.0, 4.0, 0.0]))) == pytest.approx(2.0)  # exactly at a boundary
    assert math.isnan(float(median_age_of(np.array([1.0, 0.0, 9.0]))))  # in the open group: not defined
    assert math.isnan(float(median_age_of(np.zeros(4))))  # no residents
    assert math.isnan(float(median_age_of(np.array([1.0, np.nan, 1.0, 1.0]))))  # incomplete ages
    batch = median_age_of(np.array([[3.0, 5.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]]))
    assert batch[0] == pytest.approx(1.4) and math.isnan(batch[1])


def test_mean_age_kernel():
    # ages 0 and 1 at mid-year, open group 2+ at 2 + 4 = 6
    assert float(mean_age_of(np.array([1.0, 1.0, 2.0]))) == pytest.approx((0.5 + 1.5 + 2 * 6) / 4)
    assert math.isnan(float(mean_age_of(np.zeros(3))))


def test_median_in_open_group_is_missing():
    data = tables(population=pop_rows("30", 2015, {0: 10, 85: 60}, {85: 30}))
    df = compute_indicators(["median_age", "share_0_14"], "30", data=data)
    assert math.isnan(value(df, "median_age", "30", 2015))
    assert value(df, "share_0_14", "30", 2015) == pytest.approx(10.0)


def test_zero_denominators_are_missing_not_infinite():
    # no children, nobody of working age, nobody 65+; and a territory with no residents at all
    data = tables(population=cat(pop_rows("30", 2015, {}, {}), pop_rows("45", 2015, {10: 0}, {})))
    df = compute_indicators(territories=["30", "45"], data=data)
    assert not np.isinf(df["value"]).any()
    for i in ("share_0_14", "ageing_index", "old_age_dependency_ratio", "potential_support_ratio", "median_age",
              "mean_age", "sex_ratio", "working_age_share"):
        assert math.isnan(value(df, i, "30", 2015)), i
    assert value(df, "population", "30", 2015) == 0


def test_incomplete_age_detail():
    # territory 45 has only its all-ages total; territory 30 misses age 50 (women and total)
    full = pop_rows("30", 2015, MALE, FEMALE)
    gap = full[~(full["sex"].isin(["female", "total"]) & (full["age"] == 50).fillna(False))]
    data = tables(population=cat(gap, totals_only("45", 2015, 1234)))
    df = compute_indicators(["population", "share_65_plus", "median_age", "working_age_population"], ["30", "45"],
                            data=data)
    assert value(df, "population", "45", 2015) == 1234
    assert math.isnan(value(df, "share_65_plus", "45", 2015))
    assert math.isnan(value(df, "median_age", "45", 2015))
    assert value(df, "population", "30", 2015) == 100  # the published all-ages total
    assert math.isnan(value(df, "share_65_plus", "30", 2015))  # the age detail is incomplete
    assert math.isnan(value(df, "working_age_population", "30", 2015))


def test_population_change_and_missing_years():
    # 2014 and 2016 present, 2015 missing: changes touching 2015 are missing
    data = tables(population=cat(pop_rows("30", 2014, {30: 100}, {}), pop_rows("30", 2016, {30: 90}, {}),
                                 pop_rows("30", 2017, {30: 99}, {})))
    df = compute_indicators(["population", "population_change", "population_growth_rate"], "30", data=data)
    assert math.isnan(value(df, "population_change", "30", 2014))
    assert value(df, "population_change", "30", 2016) == 9
    assert value(df, "population_growth_rate", "30", 2016) == pytest.approx(10.0)
    assert set(df.loc[df.indicator == "population", "year"]) == {2014, 2016, 2017}  # 2015 left out: no data


def test_open_group_harmonised():
    # a source with ages to 90+ is collapsed into the open group 85+ of another
    a = pop_rows("30", 2015, {30: 10, 86: 5, 90: 5}, {}, top=90)
    b = pop_rows("45", 2015, {30: 10, 85: 10}, {})
    df = compute_indicators(["share_80_plus", "population"], ["30", "45"], data=tables(population=cat(a, b)))
    assert value(df, "share_80_plus", "30", 2015) == pytest.approx(50.0)
    assert value(df, "share_80_plus", "45", 2015) == pytest.approx(50.0)


def test_output_shape_and_units(simple):
    df = compute_indicators(["population", "share_65_plus"], ["Visaginas"], [2015], data=simple)
    assert list(df.columns) == ["indicator", "territory_code", "year", "value", "unit"]
    assert df["unit"].tolist() == ["persons", "%"]
    assert df["year"].dtype == "int64"
    with pytest.raises(ConfigError, match="share_65_plus"):
        compute_indicators(["share_65plus"], data=simple)


def test_catalogue_complete():
    required = ["population", "share_0_14", "share_65_plus", "share_80_plus", "old_age_dependency_ratio",
                "total_dependency_ratio", "ageing_index", "median_age", "mean_age", "sex_ratio",
                "working_age_population", "working_age_share", "births", "deaths", "natural_change",
                "crude_birth_rate", "crude_death_rate", "net_migration", "crude_net_migration_rate",
                "share_15_64", "potential_support_ratio", "pension_age_population", "pension_age_share",
                "general_fertility_rate", "child_woman_ratio", "crude_natural_change_rate", "population_change",
                "population_growth_rate", "emigrants", "immigrants", "registered_unemployed_ratio",
                "employment_rate", "employed_share", "earnings_relative_to_country"]
    for i in required:
        e = get_indicator(i)
        assert e.name_lt and e.name_en and e.unit and e.definition and e.datasets
        assert e.polarity in POLARITIES
    frame = catalogue_frame()
    assert len(frame) == len(CATALOGUE) and frame["id"].is_unique
    # every catalogue id can be computed (missing data gives no rows, not an error)
    compute_indicators(list(CATALOGUE), data=tables(population=pop_rows("30", 2015, MALE, FEMALE)))


def test_territory_absent_from_data(simple, caplog):
    df = compute_indicators(["population"], ["30", "Zarasai"], 2015, data=simple, dropna=False)
    assert df["territory_code"].tolist() == ["30"]
    assert "not in the data" in caplog.text
