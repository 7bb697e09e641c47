"""Labour-market indicators and published cross-sections: hand-worked examples."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from _indicator_frames import cat, pop_rows, tables, value
from cityindicators.exceptions import ConfigError
from cityindicators.geography import Group
from cityindicators.indicators import compute_indicators, rank_table


def _labour(code, year, **values):
    units = {"registered_unemployed": "persons", "registered_unemployed_ratio": "%", "employed": "persons",
             "employed_industry": "persons", "average_monthly_earnings": "EUR", "average_earnings_net": "EUR"}
    return pd.DataFrame({"territory_code": code, "year": year, "indicator": list(values), "sex": "total",
                         "unit": [units[k] for k in values], "value": [float(v) for v in values.values()]})


@pytest.fixture
def labour_data():
    # 2015: 30 has 80 residents of working age (men aged 30) and 20 aged 70; 45 has 100 men aged 40
    pop = cat(pop_rows("30", 2015, {30: 80, 70: 20}, {}), pop_rows("45", 2015, {40: 100}, {}),
              pop_rows("00", 2015, {40: 1000}, {}))
    lab = cat(
        _labour("30", 2015, registered_unemployed=8, employed=60, employed_industry=15, average_monthly_earnings=900),
        _labour("45", 2015, registered_unemployed_ratio=12.5, employed=50, average_monthly_earnings=1100),
        _labour("00", 2015, average_monthly_earnings=1000),
    )
    return tables(population=pop, labour=lab)


def test_labour_hand_worked(labour_data):
    df = compute_indicators(territories=["30", "45"], years=2015, data=labour_data)
    assert value(df, "registered_unemployed_ratio", "30", 2015) == pytest.approx(10.0)  # 8 / 80
    assert value(df, "registered_unemployed_ratio", "45", 2015) == pytest.approx(12.5)  # published ratio
    assert value(df, "employment_rate", "30", 2015) == pytest.approx(75.0)   # 60 / 80
    assert value(df, "employed_share", "30", 2015) == pytest.approx(60.0)    # 60 / 100
    assert value(df, "industry_employment_share", "30", 2015) == pytest.approx(25.0)  # 15 / 60
    assert value(df, "average_earnings", "45", 2015) == 1100
    assert value(df, "earnings_relative_to_country", "30", 2015) == pytest.approx(90.0)
    assert value(df, "earnings_relative_to_country", "45", 2015) == pytest.approx(110.0)


def test_labour_aggregates_use_counts(labour_data):
    df = compute_indicators(["employed", "employment_rate", "average_earnings", "registered_unemployed_ratio"],
                            [Group("pair", "Pora", "Pair", ("30", "45"))], 2015, data=labour_data, dropna=False)
    assert value(df, "employed", "G:pair", 2015) == 110
    assert value(df, "employment_rate", "G:pair", 2015) == pytest.approx(110 / 180 * 100)
    assert math.isnan(value(df, "average_earnings", "G:pair", 2015))  # a level: not added up
    # 45 published only a ratio: the group's unemployed count is missing, and so is its ratio
    assert math.isnan(value(df, "registered_unemployed_ratio", "G:pair", 2015))


def test_published_cross_section_as_is():
    pub = pd.DataFrame({
        "territory_code": ["30", "45", "30"], "year": 2016,
        "indicator": ["unemployment_rate", "unemployment_rate", "new_thing"], "unit": ["%", "%", "pts"],
        "name_lt": ["Nedarbo lygis", "Nedarbo lygis", "Naujas"], "name_en": ["Unemployment rate"] * 2 + ["New"],
        "value": [10.5, 8.0, 3.0],
    })
    df = compute_indicators(data={"published_indicators": pub})
    assert value(df, "pub_unemployment_rate", "30", 2016) == 10.5
    assert value(df, "pub_new_thing", "30", 2016) == 3.0
    assert df.loc[df.indicator == "pub_new_thing", "unit"].iloc[0] == "pts"


def _published_table():
    return pd.DataFrame({
        "territory_code": ["30", "45"], "year": 2016, "indicator": "unemployment_rate", "unit": "%",
        "name_lt": "Nedarbo lygis", "name_en": "Unemployment rate", "value": [10.5, 8.0],
    })


def test_a_published_indicator_neither_known_nor_imported_is_an_error_not_empty_rows():
    data = tables(published_indicators=_published_table(),
                  population=cat(pop_rows("30", 2016, {30: 80}, {}), pop_rows("45", 2016, {40: 100}, {})))
    # a mistyped id: get_indicator describes any pub_ id, so before it gave a row without a value
    with pytest.raises(ConfigError, match=r"^unknown indicator 'pub_unemploymnet_rate': neither the catalogue nor "
                                          r"the 1 imported published indicators have it\. Did you mean: "
                                          r"pub_unemployment_rate"):
        compute_indicators("pub_unemploymnet_rate", data=data)
    # ... and a rank said that the dataset it needs (imported) was missing
    with pytest.raises(ConfigError, match="^unknown indicator 'pub_unemploymnet_rate'"):
        rank_table("pub_unemploymnet_rate", 2016, data=data)
    with pytest.raises(ConfigError, match="and no published indicators are imported"):
        compute_indicators("pub_unemployment_rate_x", data={k: v for k, v in data.items() if k != "published_indicators"})
    # what was imported, and what the catalogue knows without data, are still values or no-data rows
    assert value(compute_indicators("pub_unemployment_rate", data=data), "pub_unemployment_rate", "30", 2016) == 10.5
    assert rank_table("pub_unemployment_rate", 2016, data=data).attrs["indicator"] == "pub_unemployment_rate"
    assert compute_indicators("pub_employed_share", data=data, dropna=True).empty
