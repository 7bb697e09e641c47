"""Reading numbers from text cells: thousands separators, decimal commas, whole counts, non-finite values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cityindicators.exceptions import ParseError
from cityindicators.sources._table import to_numbers


def _column(*cells: str) -> pd.DataFrame:
    return pd.DataFrame({"value": list(cells), "_line": range(2, 2 + len(cells))})


@pytest.mark.parametrize(
    "cells, integer, expected",
    [
        (("20,249", "1,234,567"), True, [20249, 1234567]),  # counts: a comma before three digits groups thousands
        (("20 249", "20\u00a0249", "20\u202f249"), True, [20249, 20249, 20249]),  # spaces group thousands
        (("12,5", "0,123", "3"), False, [12.5, 0.123, 3]),  # decimal commas
        (("1.234,5", "2,25"), False, [1234.5, 2.25]),  # dot groups with a decimal comma
        (("1,234.5", "2.25", "1,000,000"), False, [1234.5, 2.25, 1e6]),  # comma groups with a decimal point
        (("20249", "", ".."), True, [20249, np.nan, np.nan]),  # blanks are missing
    ],
)
def test_numbers_are_read_as_the_column_writes_them(cells, integer, expected):
    got = to_numbers(_column(*cells), ["value"], "f.csv", integer=integer)["value"].tolist()
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "cells, integer, pattern",
    [
        (("20,249",), False, r"row 2: field 'value': '20,249' could be a decimal comma or a thousands separator"),
        (("12,5", "1,234,567"), False, r"row 3: .*mixes decimal commas and thousands separators"),
        (("12,5", "3.5"), False, r"row 3: .*mixes"),
        (("10", "20,249", "12,5"), True, r"row 3: field 'value': '20,249' is not a whole number"),
        (("12,5",), True, r"row 2: field 'value': '12,5' is not a whole number"),
        (("1", "inf"), False, r"not a finite number in 1 row\(s\): row 3: 'inf'"),
        (("-Infinity",), False, r"not a finite number.*row 2"),
        (("1e400",), False, r"not a finite number.*row 2"),
        (("1,23,4",), True, r"not a finite number.*'1,23,4'"),
    ],
)
def test_numbers_that_cannot_be_read_safely_are_refused(cells, integer, pattern):
    with pytest.raises(ParseError, match=pattern):
        to_numbers(_column(*cells), ["value"], "f.csv", integer=integer)


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("\na;b\n1;2\n", r"row 1 \(header\) is blank"),
        ("a;b\n1;2\n3\n", r"row 3: 1 field\(s\), expected 2"),
        ("a;b\n1;2\n3;4;5", r"row 3: 3 field\(s\), expected 2 \(a, b\) \(the file seems truncated\)"),
        ('a;b\n"1;x";2\n"3";4;5\n', r"row 3: 3 field\(s\), expected 2"),
    ],
)
def test_text_table_layout_errors_name_the_row(tmp_path, text, pattern):
    from cityindicators.sources._table import read_text_table

    f = tmp_path / "t.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError, match=pattern):
        read_text_table(f, ["a", "b"], delimiter=";")


def test_text_table_is_read_in_chunks_with_line_numbers(tmp_path):
    from cityindicators.sources._table import iter_text_table

    f = tmp_path / "t.csv"
    f.write_text("a;b\n" + "".join(f"{i};{2 * i}\n" + ("\n" if i == 3 else "") for i in range(7)), encoding="utf-8")
    chunks = list(iter_text_table(f, ["a", "b"], delimiter=";", chunk_rows=3))
    assert len(chunks) == 3
    whole = pd.concat(chunks, ignore_index=True)
    assert whole["a"].tolist() == [str(i) for i in range(7)]
    assert whole["_line"].tolist() == [2, 3, 4, 5, 7, 8, 9]  # the blank line 6 is skipped, not renumbered


def test_duplicate_keys_are_quoted_as_written():
    """Whole numbers stay whole in the message although the row also holds a float (a row read by
    iterrows turns 2019 into 2019.0)."""
    import pandas as pd
    import pytest

    from cityindicators.exceptions import DataValidationError
    from cityindicators.sources._table import _LINE, check_unique

    frame = pd.DataFrame({"territory_code": ["38", "38"], "year": [2019, 2019], "age": [5, 5],
                          "value": [10.5, 11.0], _LINE: [2, 3]})
    with pytest.raises(DataValidationError) as err:
        check_unique(frame, ["territory_code", "year", "age"], "p.csv")
    assert str(err.value) == ("p.csv: duplicate rows for the same key ['territory_code', 'year', 'age'] (2 rows): "
                              "row 2: territory_code=38, year=2019, age=5; row 3: territory_code=38, year=2019, age=5")


def _workbook_with_formulas(path, saved: bool) -> None:
    """A workbook whose value cells are formulas; ``saved``: each with the value a spreadsheet
    program keeps beside it (xlsxwriter writes it; openpyxl never does)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["territory", "year", "value"])
    for i, (territory, year, value) in enumerate([("Zarasai", 2016, 3), ("Ignalina", 2017, 5)], start=1):
        ws.write_row(i, 0, [territory, year])
        ws.write_formula(i, 2, f"=1+{value - 1}", None, value if saved else "")
    wb.close()


@pytest.mark.parametrize("saved", [True, False], ids=["saved-values", "no-saved-values"])
def test_an_xlsx_table_is_opened_once_for_its_values_and_its_formula_check(saved, tmp_path, monkeypatch):
    # it was loaded three times: by pandas for the values, twice more for formulas without a saved value
    import openpyxl

    from cityindicators.sources._table import read_any_table

    loads = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: loads.append(a) or real(*a, **k))
    f = tmp_path / "t.xlsx"
    _workbook_with_formulas(f, saved)
    if saved:
        frame = read_any_table(f, required=["territory", "year", "value"])
        assert frame[["territory", "value", "_line"]].values.tolist() == [["Zarasai", "3", 2], ["Ignalina", "5", 3]]
    else:
        with pytest.raises(ParseError, match=r"t.xlsx: row 2: field 'value' \(cell C2\) is a formula, =1\+2, with no "
                                             r"saved value \(and 1 more formula cell\(s\) like it\)"):
            read_any_table(f, required=["territory", "year", "value"])
    assert len(loads) == 1
