"""Vital events, migration and aggregation from counts: hand-worked examples on tiny tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from _indicator_frames import cat, deaths, events, pop_rows, tables, value
from cityindicators.exceptions import ConfigError
from cityindicators.geography import Group
from cityindicators.indicators import cohort_net_migration, compute_indicators


def _maybe(df, indicator, code, year) -> float:
    sel = df[(df.indicator == indicator) & (df.territory_code == code) & (df.year == year)]
    return float(sel["value"].iloc[0]) if len(sel) else math.nan


# Territory 30.  1 Jan 2014: 100 residents (10 boys and 10 girls aged 3, 40 men and 20 women
# aged 30, 20 women aged 70).  1 Jan 2015: 110 residents.  2014: 12 births (6 + 6), 6 deaths
# of which 2 infants.  Average population 2014 = (100 + 110) / 2 = 105.
P14 = ({3: 10, 30: 40}, {3: 10, 30: 20, 70: 20})
P15 = ({0: 5, 4: 10, 31: 45}, {0: 5, 4: 10, 31: 20, 71: 15})


@pytest.fixture
def vital():
    return tables(
        population=cat(pop_rows("30", 2014, *P14), pop_rows("30", 2015, *P15)),
        births=events("30", 2014, 12, male=6, female=6),
        deaths=deaths("30", 2014, 6, infant=2),
    )


def test_vital_hand_worked(vital):
    df = compute_indicators(territories="30", years=2014, data=vital)
    v = lambda i: value(df, i, "30", 2014)  # noqa: E731
    assert v("births") == 12 and v("deaths") == 6 and v("infant_deaths") == 2
    assert v("natural_change") == 6
    assert v("crude_birth_rate") == pytest.approx(12 / 105 * 1000)
    assert v("crude_death_rate") == pytest.approx(6 / 105 * 1000)
    assert v("crude_natural_change_rate") == pytest.approx(6 / 105 * 1000)
    # women 15-49: 20 at both dates
    assert v("general_fertility_rate") == pytest.approx(12 / 20 * 1000)
    # children 0-4 (20) per woman 15-49 (20) at 1 January 2014
    assert v("child_woman_ratio") == pytest.approx(1000.0)
    assert v("infant_mortality_rate") == pytest.approx(2 / 12 * 1000)


def test_net_migration_residual(vital):
    df = compute_indicators(["population_change", "net_migration", "crude_net_migration_rate"], "30", 2014,
                            data=vital)
    assert value(df, "population_change", "30", 2014) == 10
    assert value(df, "net_migration", "30", 2014) == 4  # 10 - (12 - 6)
    assert value(df, "crude_net_migration_rate", "30", 2014) == pytest.approx(4 / 105 * 1000)


def test_rates_need_next_year(vital):
    # 2015 has a population but no events and no 1 January 2016: no rates
    df = compute_indicators(["crude_birth_rate", "net_migration"], "30", data=vital)
    assert set(df["year"]) == {2014}


def test_territory_without_births():
    data = tables(
        population=cat(pop_rows("30", 2014, *P14), pop_rows("30", 2015, *P15),
                       pop_rows("45", 2014, *P14), pop_rows("45", 2015, *P15)),
        births=cat(events("30", 2014, 0)),  # 30: no births; 45: no births data at all
        deaths=cat(deaths("30", 2014, 6, infant=0), deaths("45", 2014, 6)),
    )
    df = compute_indicators(["births", "crude_birth_rate", "general_fertility_rate", "infant_mortality_rate",
                             "natural_change"], ["30", "45"], 2014, data=data)
    assert value(df, "crude_birth_rate", "30", 2014) == 0
    assert value(df, "general_fertility_rate", "30", 2014) == 0
    assert math.isnan(value(df, "infant_mortality_rate", "30", 2014))  # 0 / 0: missing, not infinity
    assert value(df, "natural_change", "30", 2014) == -6
    assert math.isnan(_maybe(df, "crude_birth_rate", "45", 2014))
    assert math.isnan(_maybe(df, "natural_change", "45", 2014))
    assert not np.isinf(df["value"]).any()


def test_registered_flows(vital):
    mig = pd.DataFrame({
        "territory_code": "30", "year": 2014, "sex": "total",
        "flow": ["emigrants", "immigrants", "internal_arrivals", "internal_departures"],
        "value": [30.0, 10.0, 7.0, 2.0],
    })  # all ages: the migration_total table
    df = compute_indicators(["emigrants", "immigrants", "net_international_migration", "net_internal_migration",
                             "emigration_rate", "net_international_migration_rate", "net_internal_migration_rate"],
                            "30", 2014, data={**vital, "migration_total": mig})
    assert value(df, "net_international_migration", "30", 2014) == -20  # computed from the two flows
    assert value(df, "net_internal_migration", "30", 2014) == 5
    assert value(df, "emigration_rate", "30", 2014) == pytest.approx(30 / 105 * 1000)
    assert value(df, "net_international_migration_rate", "30", 2014) == pytest.approx(-20 / 105 * 1000)
    assert value(df, "net_internal_migration_rate", "30", 2014) == pytest.approx(5 / 105 * 1000)


def test_cohort_residual_zero_mortality():
    # 10 men aged 30 in 2014; 12 aged 31 and 3 boys aged 0 in 2015; 3 births, no deaths
    data = tables(
        population=cat(pop_rows("30", 2014, {30: 10}, {}), pop_rows("30", 2015, {0: 3, 31: 12}, {})),
        births=events("30", 2014, 3, male=3, female=0),
        deaths=deaths("30", 2014, 0, infant=0),
    )
    r = cohort_net_migration("30", 2014, data=data)
    assert set(r["sex"]) == {"male", "female"}  # one sex level: summed over sex, no one counted twice
    male = r[r.sex == "male"].set_index("age")["value"]
    assert male[31] == pytest.approx(2.0)
    assert male[0] == pytest.approx(0.0)
    assert male.drop([31]).abs().max() == pytest.approx(0.0)
    assert r["value"].sum() == pytest.approx(2.0)  # = (15 - 10) - (3 - 0)
    both = cohort_net_migration("30", 2014, data=data, sex="total")
    assert set(both["sex"]) == {"total"} and both["value"].sum() == pytest.approx(2.0)
    assert r["age"].max() == 85 and r.loc[r.age == 85, "open_age"].all()
    with pytest.raises(ConfigError, match="unknown sex \\['both'\\]"):
        cohort_net_migration("30", 2014, data=data, sex="both")


def test_cohort_residual_open_group():
    data = tables(
        population=cat(pop_rows("30", 2014, {84: 10, 85: 10}, {}), pop_rows("30", 2015, {85: 20}, {})),
        births=events("30", 2014, 0),
        deaths=deaths("30", 2014, 0, infant=0),
    )
    r = cohort_net_migration("30", 2014, data=data)
    assert r["value"].abs().max() == pytest.approx(0.0)


def test_cohort_residuals_add_up_to_net_migration(vital):
    r = cohort_net_migration("30", 2014, data=vital, sex=("male", "female", "total"))
    tot = r[r.sex == "total"]
    assert tot["value"].sum() == pytest.approx(4.0)  # the net migration incl. adjustment
    assert np.allclose(r[r.sex == "male"]["value"].to_numpy() + r[r.sex == "female"]["value"].to_numpy(),
                       tot["value"].to_numpy())
    # youth outflow: cohorts 15-29 at 1 January 2015 (none here)
    df = compute_indicators(["net_migration_15_29", "net_migration_rate_15_29"], "30", 2014, data=vital)
    assert value(df, "net_migration_15_29", "30", 2014) == pytest.approx(0.0)
    assert math.isnan(value(df, "net_migration_rate_15_29", "30", 2014))  # nobody aged 15-29: 0 / 0


def test_cohort_residuals_with_deaths_by_age(vital):
    # deaths by single age (as in the demo data) give the age pattern; the total still adds up
    by_age = pd.DataFrame({"territory_code": "30", "year": 2014, "sex": "total",
                           "age": pd.array([0, 70, 30], dtype="Int64"), "value": [2.0, 3.0, 1.0]})
    data = {**vital, "deaths": by_age}  # replaces the infant deaths; the total stays in deaths_total
    r = cohort_net_migration("30", 2014, data=data, sex="total")
    assert r["value"].sum() == pytest.approx(4.0)


def test_youth_net_migration():
    # 10 women aged 20 in 2014 -> 4 aged 21 in 2015; no deaths: youth net migration -6
    data = tables(
        population=cat(pop_rows("30", 2014, {}, {20: 10}), pop_rows("30", 2015, {}, {21: 4})),
        births=events("30", 2014, 0),
        deaths=deaths("30", 2014, 0, infant=0),
    )
    df = compute_indicators(["net_migration", "net_migration_15_29", "net_migration_rate_15_29"], "30", 2014,
                            data=data)
    assert value(df, "net_migration", "30", 2014) == -6
    assert value(df, "net_migration_15_29", "30", 2014) == pytest.approx(-6.0)
    assert value(df, "net_migration_rate_15_29", "30", 2014) == pytest.approx(-6 / 7 * 1000)


def test_aggregates_from_counts_not_rates(vital):
    other = tables(
        population=cat(pop_rows("45", 2014, {30: 300}, {30: 100}), pop_rows("45", 2015, {31: 300}, {31: 100})),
        births=events("45", 2014, 4),
        deaths=deaths("45", 2014, 0),
    )
    data = {k: cat(vital[k], other[k]) if k in other else vital[k] for k in vital}  # 45: no infant deaths
    group = Group("pair", "Pora", "Pair", ("30", "45"))
    df = compute_indicators(["population", "births", "crude_birth_rate", "share_65_plus", "median_age"],
                            ["30", "45", group], 2014, data=data)
    assert value(df, "population", "G:pair", 2014) == 500
    assert value(df, "births", "G:pair", 2014) == 16
    # (12 + 4) / ((100 + 110 + 400 + 400) / 2), not the mean of the two rates
    assert value(df, "crude_birth_rate", "G:pair", 2014) == pytest.approx(16 / 505 * 1000)
    mean_of_rates = (value(df, "crude_birth_rate", "30", 2014) + value(df, "crude_birth_rate", "45", 2014)) / 2
    assert value(df, "crude_birth_rate", "G:pair", 2014) != pytest.approx(mean_of_rates)
    assert value(df, "share_65_plus", "G:pair", 2014) == pytest.approx(20 / 500 * 100)
    assert value(df, "median_age", "G:pair", 2014) == pytest.approx(30 + (250 - 20) / 460)


def test_group_by_name_and_missing_members(vital, caplog):
    # VIZA = 30, 45, 43; 45 and 43 are absent from the data: the aggregate is missing (no rows),
    # with a warning naming the absent members
    df = compute_indicators(["population"], ["30", "G:VIZA", "Utenos apskritis"], 2014, data=vital)
    assert set(df["territory_code"]) == {"30"}
    assert "absent from the data" in caplog.text
