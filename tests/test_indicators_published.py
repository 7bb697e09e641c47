"""The catalogue's checks of an imported table of published indicators (``indicators/published.py``);
the command's refusals (nothing stored) are in tests/reliability/test_data_content.py."""

from __future__ import annotations

import pandas as pd
import pytest

from cityindicators.exceptions import DataValidationError
from cityindicators.indicators.catalogue import CATALOGUE, NON_NEGATIVE, SHARE, get_indicator, normalise_unit
from cityindicators.indicators.published import check_published_table


def _table(*rows):
    """Rows ``(indicator, unit, value)``, on the file's lines 2, 3, ..."""
    frame = pd.DataFrame(rows, columns=["indicator", "unit", "value"])
    return frame.assign(_line=range(2, len(frame) + 2))


def test_spellings_of_a_unit_are_one_unit_and_scales_are_not():
    assert {normalise_unit(u) for u in ("%", " Proc. ", "percent", "per  cent")} == {"%"}
    assert normalise_unit("fraction") == "fraction of population"
    assert normalise_unit("Eur") == normalise_unit("€") == "EUR"
    assert normalise_unit("thousand EUR") != "EUR" and normalise_unit("per 1000") != "%"
    assert get_indicator("pub_businesses_per_100_working_age").unit_matches("Count")
    assert not get_indicator("pub_unemployment_rate").unit_matches("count")


def test_every_published_share_is_bounded_0_100_and_no_amount_is_negative():
    pub = [e for e in CATALOGUE.values() if e.id.startswith("pub_")]
    assert all(e.bounds == SHARE for e in pub if e.unit == "%")
    assert all(e.bounds == NON_NEGATIVE for e in pub if e.unit in ("EUR", "per 100"))
    assert get_indicator("pub_net_migration").bounds == (None, None)  # a net flow is signed


def test_the_first_row_in_file_order_is_named_with_how_many_more():
    table = _table(("employed_share", "%", 50.0), ("unemployment_rate", "%", 101.0), ("employed_share", "%", -1.0))
    with pytest.raises(DataValidationError, match=r"^f.csv: row 3: field 'value': 101 of indicator 'unemployment_rate'"
                                                  r" \(unit '%'\) is outside 0-100 \(a share in percent\) \(and 1 more"):
        check_published_table(table, "f.csv")


def test_a_unit_is_refused_before_a_value_and_blanks_pass():
    table = _table(("unemployment_rate", "%", 150.0), ("net_migration", "per 1000", -30.0))
    with pytest.raises(DataValidationError, match=r"row 3: field 'unit': 'per 1000' .* \('fraction of population'\)"):
        check_published_table(table, "f.csv")
    assert check_published_table(_table(("unemployment_rate", "", float("nan")), ("net_migration", "fraction", -0.03)),
                                 "f.csv") == []


def test_unknown_indicators_are_one_warning_and_not_checked():
    warnings = check_published_table(_table(*[(f"x{i}", "kg", -1.0) for i in range(12)]), "f.csv")
    assert len(warnings) == 1
    assert "12 indicator(s) not in the catalogue: x0, x1" in warnings[0] and "x9 and 2 more" in warnings[0]
    assert "reports will not use them" in warnings[0]
