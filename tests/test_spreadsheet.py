"""Formula neutralisation of CSV/XLSX cells (issue 11): text that a spreadsheet would run as a
formula gets a leading apostrophe; numbers stay numbers."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from cityindicators.cli._output import emit
from cityindicators.spreadsheet import spreadsheet_safe, spreadsheet_safe_frame


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx",
                                  "=1", "-cmd|' /C calc'!A0"])
def test_formula_text_gets_an_apostrophe(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["Visagino sav.", "", "a=b", "1-2", "-3.5", "+12", "-1e-3", 5, -5, -2.5, None])
def test_other_values_unchanged(value):
    assert spreadsheet_safe(value) == value


def test_frame_keeps_numeric_columns_and_neutralises_text_and_headers():
    frame = pd.DataFrame({"name": ["=evil()", "ok"], "value": [-1.5, 2.0], "=col": pd.Categorical(["@x", "y"])})
    safe = spreadsheet_safe_frame(frame)
    assert list(safe.columns) == ["name", "value", "'=col"]
    assert safe["name"].tolist() == ["'=evil()", "ok"]
    assert safe["value"].dtype == frame["value"].dtype and safe["value"].tolist() == [-1.5, 2.0]
    assert safe["'=col"].tolist() == ["'@x", "y"]
    assert frame["name"].tolist() == ["=evil()", "ok"]  # the input is not changed


def test_cli_csv_output_neutralised(capsys):
    emit(pd.DataFrame({"territory": ["=HYPERLINK(\"http://evil\",\"x\")"], "value": [-3]}), "csv")
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",-3"


def test_cli_xlsx_output_is_text_not_formula(tmp_path):
    out = tmp_path / "t.xlsx"
    emit(pd.DataFrame({"territory": ["=1+1", "Alytaus m. sav."], "value": [-3, 4.5]}), "csv", str(out))
    sheet = openpyxl.load_workbook(out).active
    assert [c.value for c in sheet[1]] == ["territory", "value"]
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s" and sheet["A2"].quotePrefix  # text as typed
    assert not sheet["A3"].quotePrefix
    assert sheet["B2"].value == -3 and sheet["B2"].data_type == "n"
    assert sheet["B3"].value == 4.5


def test_cli_indicators_csv_with_hostile_group_name(demo_dir, capsys):
    from cityindicators.cli import main

    (demo_dir / "groups.yaml").write_text(
        "groups:\n  evil:\n    name_lt: \"=HYPERLINK(\\\"http://evil\\\")\"\n    name_en: \"=HYPERLINK(\\\"http://evil\\\")\"\n"
        "    members: [X11, X12, X13]\n", encoding="utf-8")
    try:
        assert main(["--data-dir", str(demo_dir), "indicators", "--territory", "G:evil", "--year", "2015",
                     "--indicator", "population", "--format", "csv"]) == 0
    finally:
        (demo_dir / "groups.yaml").unlink()
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "indicator,territory_code,territory,year,value,unit"
    assert "'=HYPERLINK" in rows[1] and ",=HYPERLINK" not in rows[1] and "\"=HYPERLINK" not in rows[1]
