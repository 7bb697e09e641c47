"""Hostile and damaged file content: one clear message naming the file and row, exit 1, nothing stored changed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from conftest import BIRTHS, POP_HEADER, assert_clean_error, assert_unchanged, pop_lines, run_main, store_state, write_extract

TIDY_BIRTHS = "territory,year,sex,value\n"


def _tidy(rows: str, header: str = TIDY_BIRTHS) -> bytes:
    return (header + rows).encode("utf-8")


def _pop(edit_line: int | None = None, new: str = "") -> str:
    """A population extract; ``edit_line`` (the file's own line number, header = 1) replaced by ``new``."""
    lines = pop_lines()
    if edit_line is not None:
        lines[edit_line - 2] = new
    return POP_HEADER + "\n".join(lines) + "\n"


def _xlsx(*rows) -> bytes:
    """A one-sheet workbook written by openpyxl: its formulas have no saved value."""
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheets(*sheets) -> bytes:
    """A workbook of ``(title, state, rows)`` sheets, in that order (state: visible, hidden)."""
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, state, rows in sheets:
        ws = wb.create_sheet(title)
        ws.sheet_state = state
        for row in rows:
            ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_BIRTHS_ROWS = (("territory", "year", "sex", "value"), ("Zarasų r. sav.", 2016, "total", 3))

# (case, dataset, file name, bytes, message pattern)
TIDY_CASES = [
    ("decimal comma in a count", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,\"12,5\"\n"), r"row 2: field 'value': '12,5' is not a whole number"),
    ("fraction in a count", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,151.5\n"), r"row 2: field 'value': '151.5' is not a whole number"),
    ("inf in a count", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,1\nZarasų r. sav.,2017,total,inf\n"), r"not a finite number.*row 3: 'inf'"),
    ("-Infinity in a count", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,-Infinity\n"), r"not a finite number.*row 2"),
    ("overflowing number", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,1e999\n"), r"not a finite number.*row 2"),
    ("inf in a rate", "life_expectancy", "e.csv", _tidy("Zarasų r. sav.,2016,total,inf\n"), r"not a finite number.*row 2"),
    ("ambiguous comma in a rate", "life_expectancy", "e.csv", _tidy("Zarasų r. sav.,2016,total,\"74,123\"\n"),
     r"row 2: field 'value': '74,123' could be a decimal comma or a thousands separator"),
    ("mixed comma conventions", "life_expectancy", "e.csv",
     _tidy("Zarasų r. sav.,2016,total,\"74,5\"\nZarasų r. sav.,2017,total,\"1,074.5\"\n"), r"row 3: .*mixes decimal commas and thousands"),
    ("header only", "births", "b.csv", _tidy(""), r"b.csv: no data rows for births.*--allow-empty"),
    # a workbook renamed .csv was "not UTF-8 text ... save the file as UTF-8 (in Excel: 'CSV UTF-8')"
    ("workbook renamed .csv", "births", "b.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb8\xff",
     r"b.csv: not a text table but an XLSX workbook \(a ZIP file\); rename it .xlsx"),
    ("old xls renamed .csv", "births", "b.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",
     r"b.csv: not a text table but an old Excel .xls workbook"),
    # pandas counts the rows of this message from 0: "starting at row 3" was the quote of row 4
    ("unclosed quote", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,1\nZarasų r. sav.,2017,total,\"5\n"
                                                "Zarasų r. sav.,2018,total,1\n"),
     r"b.csv: cannot read as a comma-separated table: row 3: a quote opened there is never closed$"),
    ("header and blank values only", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,\n"), r"no data rows|no data rows for births"),
    ("year 1850", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,1\nZarasų r. sav.,1850,total,2\n"), r"value 1850 \(row 3\)"),
    ("year 2999", "births", "b.csv", _tidy("Zarasų r. sav.,2999,total,2\n"), r"value 2999 \(row 2\)"),
    ("age 150", "population", "p.csv", _tidy("Zarasų r. sav.,2016,total,3,5\nZarasų r. sav.,2016,total,150,5\n",
                                              "territory,year,sex,age,value\n"), r"value 150 \(row 3\)"),
    ("a year of twenty digits", "births", "b.csv", _tidy("Zarasų r. sav.,99999999999999999999,total,1\n"),
     r"row 2: field 'year': '99999999999999999999' is too large for a whole number"),
    ("fractional year", "births", "b.csv", _tidy("Zarasų r. sav.,2016.5,total,1\n"), r"row 2: field 'year': '2016.5' is not a whole number"),
    ("blank year", "births", "b.csv", _tidy("Zarasų r. sav.,,total,1\n"), r"field 'year'.*row 2"),
    ("unknown sex", "births", "b.csv", _tidy("Zarasų r. sav.,2016,x,1\n"), r"row 2: field 'sex': 'x' is not a sex"),
    ("fractional age", "population", "p.csv", _tidy("Zarasų r. sav.,2016,male,30.5,5\n", "territory,year,sex,age,value\n"),
     r"row 2: field 'age': '30.5' is not a whole number"),
    ("age above the file's open age group", "population", "p.csv",
     _tidy("Zarasų r. sav.,2016,male,85+,5\nZarasų r. sav.,2016,male,90,5\n", "territory,year,sex,age,value\n"),
     r"p.csv: population: territory 43, year 2016, sex male: age\(s\) 90 \(row 3\) above the open age group 85\+ \(row 2\)"),
    ("age as text", "population", "p.csv", _tidy("Zarasų r. sav.,2016,total,old,5\n", "territory,year,sex,age,value\n"),
     r"row 2: field 'age': 'old' is not an age"),
    ("negative count", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,-3\n"), r"negative count.*row 2"),
    ("unknown territory", "births", "b.csv", _tidy("Atlantida,2016,total,3\n"), r"row 2: field 'territory'.*Atlantida"),
    ("duplicate key", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,3\nZarasai,2016,total,4\n"), r"duplicate rows.*row 2: territory_code=\d+, year=2016, sex=total; row 3"),
    ("too many fields", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,3,9\n"), r"row 2: 5 field\(s\), expected 4"),
    ("truncated last row", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,3\nZarasų r. sav.,20"), r"row 3: .*truncated"),
    ("missing value column", "births", "b.csv", b"territory,year,sex\nZaras\xc5\xb3 r. sav.,2016,total\n", r"missing column\(s\) \['value'\]"),
    ("cp1257 text", "births", "b.csv", "territory,year,sex,value\nZarasų r. sav.,2016,total,3\n".encode("cp1257"), r"not UTF-8.*row 2"),
    ("UTF-16 text", "births", "b.csv", "territory,year,sex,value\nZarasai,2016,total,3\n".encode("utf-16"), r"not UTF-8|NUL"),
    ("binary file", "births", "b.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), r"not UTF-8|NUL"),
    ("empty file", "births", "b.csv", b"", r"b.csv: the file is empty"),
    ("whitespace only", "births", "b.csv", b"  \n\n \n", r"b.csv: the file is empty"),
    ("broken spreadsheet", "births", "b.xlsx", b"PK\x03\x04 not really a zip", r"b.xlsx: not a readable Excel workbook"),
    # a CSV saved under .xlsx: pandas could not even tell it was no workbook ("specify an engine manually")
    ("CSV text named .xlsx", "births", "b.xlsx", _tidy("Zarasų r. sav.,2016,total,3\n"),
     r"b.xlsx: not a readable Excel workbook \(.xlsx\): File is not a zip file$"),
    # read as empty cells ("empty territory name"), a row of formulas dropped as blank without a word
    ("formulas with no saved value", "births", "b.xlsx",
     _xlsx(("territory", "year", "sex", "value"), ("Zarasų r. sav.", 2016, "total", 3),
           ('=HYPERLINK("http://example.invalid","Zarasai")', "=2016+1", "total", "=1+2")),
     r"b.xlsx: row 3: field 'territory' \(cell A3\) is a formula, =HYPERLINK\(.*\), with no saved value \(and 2 more "
     r"formula cell\(s\) like it\); type the values, or open and save the workbook in a spreadsheet program$"),
    # the second sheet's data was never read: sheet 0 was taken whatever the workbook held
    ("two visible sheets with data", "births", "b.xlsx",
     _sheets(("Data", "visible", _BIRTHS_ROWS), ("Notes", "visible", (("source: OSP",),)), ("Empty", "visible", ())),
     r"b.xlsx: the workbook has 2 visible sheets with data \('Data', 'Notes'\); keep the data on one sheet, "
     r"or save that sheet as CSV$"),
    # a year typed 1.1.2016 is a date cell: "'2016-01-01 00:00:00' has spaces that do not group thousands"
    ("a date cell for a year", "births", "b.xlsx",
     _sheets(("Data", "visible", (_BIRTHS_ROWS[0], ("Zarasų r. sav.", dt.datetime(2016, 1, 1), "total", 3)))),
     r"b.xlsx: row 2: field 'year': the cell is a date \(2016-01-01\), not a number; format the column as numbers$"),
    # a line each: the error was two lines for one name
    ("an unknown territory", "births", "b.csv", _tidy("Atlantida,2016,total,1\n"),
     r"^error: \S*b.csv: row 2: field 'territory': unknown territory 'Atlantida'\.[^\n]*\n$"),
    ("four unknown territories", "births", "b.csv", _tidy("".join(f"Atlantida {i},2016,total,1\n" for i in range(4))),
     r"^error: \S*b.csv: 4 territory names not resolved: row 2: [^\n]*; row 4: [^\n]*; and 1 more\n$"),
    # the whole cell was quoted: a 200,000-character "one-line" error
    ("a cell of 200,000 digits", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total," + "9" * 200_000 + "\n"),
     r"b.csv: field 'value': not a finite number in 1 row\(s\): row 2: '9{20}'\.\.\. \(a cell of 200,000 characters\)$"),
    ("a blank row above the header", "births", "b.xlsx", _sheets(("Data", "visible", ((None, None), *_BIRTHS_ROWS))),
     r"b.xlsx: row 1 \(header\) is blank; the first row must name the columns$"),
    ("an Excel 97-2003 workbook", "births", "b.xls", b"\xd0\xcf\x11\xe0 made-up", r"b.xls: an Excel 97-2003 workbook \(.xls\) cannot be read"),
    # thousands run together or a count in the wrong column: no one lives 20249 years on average
    ("life expectancy of 20249", "life_expectancy", "e.csv", _tidy("Zarasų r. sav.,2016,total,74.5\nZarasų r. sav.,2017,total,20249\n"),
     r"e.csv: life_expectancy: check 'dtypes-and-ranges' failed in 1 case\(s\): column 'value' check "
     r"'plausible: more than 0 and less than 120' value 20249.0 \(row 3\)$"),
    ("median age of 0", "median_age", "m.csv", _tidy("Zarasų r. sav.,2016,total,0\n"), r"check 'plausible.*value 0.0 \(row 2\)$"),
    ("unknown dataset", "nonsense", "b.csv", _tidy("Zarasų r. sav.,2016,total,3\n"), r"unknown dataset 'nonsense'"),
    ("spaces that group no thousands", "births", "b.csv", _tidy("Zarasų r. sav.,2016,total,1 2 3\n"),
     r"row 2: field 'value': '1 2 3' has spaces that do not group thousands"),
    ("a space before four digits", "life_expectancy", "e.csv", _tidy("Zarasų r. sav.,2016,total,7 4.5\nZarasų r. sav.,2017,total,20 2490\n"),
     r"row 2: field 'value': '7 4.5' has spaces that do not group thousands"),
    ("a column named twice", "births", "b.csv", _tidy("Zarasų r. sav.,2016,2017,total,3\n", "territory,year,year,sex,value\n"),
     r"b.csv: row 1 \(header\): column 'year' appears 2 times"),
    ("a column named twice in two cases", "births", "b.csv",
     _tidy("Zarasų r. sav.,2016,total,3,4\n", "territory,year,sex,Value,value\n"), r"row 1 \(header\): column 'Value' appears 2 times"),
]


@pytest.mark.parametrize("case", [c[0] for c in TIDY_CASES])
def test_bad_tidy_file(case, built_store, tmp_path):
    _, dataset, name, content, pattern = next(c for c in TIDY_CASES if c[0] == case)
    f = tmp_path / name
    f.write_bytes(content)
    before = store_state(built_store)
    res = run_main(["import", "tidy", f, "--dataset", dataset], built_store)
    assert_clean_error(res, pattern, code=1)
    assert name in res.stderr or "unknown dataset" in res.stderr
    assert_unchanged(before, built_store)


EXTRACT_CASES = [
    ("inf in population", _pop(5, "Zarasai d. mun.;2015;3;inf;1;2"), None, r"population.csv: field 'Total': not a finite number.*row 5"),
    ("year 1850 in population", _pop(3, "Zarasai d. mun.;1850;0;22;10;12"), None, r"value 1850 \(row 3\)"),
    ("year 2999 in population", _pop(3, "Zarasai d. mun.;2999;0;22;10;12"), None, r"value 2999 \(row 3\)"),
    ("age 150 in population", _pop(4, "Zarasai d. mun.;2015;150;22;10;12"), None, r"row 4: field 'Age': 150 outside"),
    ("decimal comma in population", _pop(4, 'Zarasai d. mun.;2015;1;"22,5";10;12'), None, r"row 4: field 'Total': '22,5' is not a whole number"),
    ("NUL bytes", "Territory;Year;Age;Total;Men;Women\n\x00\x00\x00\n", None, r"NUL bytes"),
    ("header-only births", None, "Territory;Year;Total;Boys;Girls\n", r"births.csv: no data rows for births.*--allow-empty"),
    ("births with only blank values", None, "Territory;Year;Total;Boys;Girls\nZarasai d. mun.;2014;;;\n", r"births.csv: no data rows"),
    ("inf in births", None, "Territory;Year;Total;Boys;Girls\nZarasai d. mun.;2014;inf;80;70\n", r"births.csv: field 'Total': not a finite number.*row 2"),
    ("fraction in births", None, "Territory;Year;Total;Boys;Girls\nZarasai d. mun.;2014;150.5;80;70\n", r"births.csv: row 2: field 'Total': '150.5' is not a whole"),
    ("a column named twice in population", "Territory;Year;Year;Age;Total;Men;Women\nZarasai d. mun.;2015;2015;0;22;10;12\n", None,
     r"population.csv: row 1 \(header\): column 'Year' appears 2 times"),
    ("births sexes do not add up", None, "Territory;Year;Total;Boys;Girls\nZarasai d. mun.;2014;150;10;10\n", r"births.csv: births: check 'sexes-add-up' failed"),
]


@pytest.mark.parametrize("case", [c[0] for c in EXTRACT_CASES])
def test_bad_extract(case, built_store, tmp_path):
    _, population, births, pattern = next(c for c in EXTRACT_CASES if c[0] == case)
    folder = tmp_path / "extract"
    folder.mkdir()
    if population is not None:
        (folder / "population.csv").write_text(population, encoding="utf-8")
    if births is not None:
        (folder / "births.csv").write_text(births, encoding="utf-8")
    before = store_state(built_store)
    res = run_main(["import", "osp-extract", folder], built_store)
    assert_clean_error(res, pattern, code=1)
    assert_unchanged(before, built_store)


def test_thousands_separator_in_a_tidy_count_is_read_as_one(built_store, tmp_path):
    f = tmp_path / "pop.csv"
    f.write_text('territory,year,sex,value\nVisagino sav.,2016,total,"20,249"\nVisagino sav.,2017,total,20 250\n', encoding="utf-8")
    assert run_main(["import", "tidy", f, "--dataset", "births"], built_store).returncode == 0
    assert run_main(["build"], built_store).returncode == 0
    from cityindicators import store

    got = store.load("births", territories="Visaginas", sex="total", data_dir=built_store).set_index("year")["value"]
    assert got.to_dict() == {2016: 20249.0, 2017: 20250.0}


def test_a_tidy_workbook_is_read_from_its_visible_sheet_not_a_hidden_first_one(built_store, tmp_path):
    f = tmp_path / "b.xlsx"
    hidden = (("territory", "year", "sex", "value"), ("Zarasų r. sav.", 2016, "total", 999))
    f.write_bytes(_sheets(("old", "hidden", hidden), ("Data", "visible", _BIRTHS_ROWS), ("Sheet2", "visible", ())))
    assert run_main(["import", "tidy", f, "--dataset", "births"], built_store).returncode == 0
    assert run_main(["build"], built_store).returncode == 0
    from cityindicators import store

    got = store.load("births", territories="Zarasai", sex="total", data_dir=built_store).set_index("year")["value"]
    assert got[2016] == 3


def test_header_only_import_with_allow_empty_keeps_the_built_rows(built_store, tmp_path):
    from cityindicators import store

    rows = len(store.load("births", data_dir=built_store))
    folder = write_extract(tmp_path / "x", births="Territory;Year;Total;Boys;Girls\n")
    (folder / "population.csv").unlink()
    res = run_main(["import", "osp-extract", folder, "--allow-empty"], built_store)
    assert res.returncode == 0, res.output
    assert run_main(["build"], built_store).returncode == 0
    assert len(store.load("births", data_dir=built_store)) == rows  # an empty snapshot replaces no cell


def test_reimporting_identical_bytes_is_a_no_op_that_says_so(built_store, tmp_path):
    folder = write_extract(tmp_path / "x")  # the same files the store was built from
    before = store_state(built_store)
    res = run_main(["import", "osp-extract", folder], built_store)
    assert res.returncode == 0 and "nothing new to import" in res.stdout and res.stdout.count("unchanged:") == 2
    assert_unchanged(before, built_store)


def test_two_different_imports_on_one_day_keep_both_snapshots(built_store, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(TIDY_BIRTHS + "Zarasų r. sav.,2016,total,3\n", encoding="utf-8")
    b.write_text(TIDY_BIRTHS + "Zarasų r. sav.,2016,total,4\n", encoding="utf-8")
    for f in (a, b):
        res = run_main(["import", "tidy", f, "--dataset", "births"], built_store)
        assert res.returncode == 0 and res.stdout.startswith("imported 1 file(s)")
    snaps = sorted((built_store / "raw" / "tidy" / "births").glob("*.csv"))
    assert [s.read_bytes() for s in snaps] != [] and {s.read_bytes() for s in snaps} == {a.read_bytes(), b.read_bytes()}


INDICATOR_CASES = [
    ("year 1850", "municipality,indicator,unit,year,value\nVisagino sav.,unemployment,%,2016,9.5\nVisagino sav.,unemployment,%,1850,9.5\n",
     r"value 1850 \(row 3\)"),
    ("inf value", "municipality,indicator,unit,year,value\nVisagino sav.,unemployment,%,2016,inf\n", r"not a finite number.*row 2"),
    ("header only", "municipality,indicator,unit,year,value\n", r"no data rows for published_indicators"),
    ("duplicate", "municipality,indicator,unit,year,value\nVisagino sav.,u,%,2016,1\nVisaginas,u,%,2016,2\n", r"duplicate rows.*row 2.*row 3"),
    ("a column named twice", "municipality,indicator,unit,year,value,value\nVisagino sav.,u,%,2016,1,2\n",
     r"ind.csv: row 1 \(header\): column 'value' appears 2 times"),
    # a row of no indicator was stored as an indicator named ''
    ("indicator id blank", "municipality,indicator,unit,year,value\nVisagino sav.,u,%,2016,1\nVisaginas,  ,%,2016,2\n"
     "Zarasai,,%,2016,3\n", r"ind.csv: field 'indicator': empty in 2 row\(s\): row 3, row 4$"),
    # checked against the catalogue (indicators/published.py): the reports quote these in the catalogue's unit
    ("rate per 1,000 given for a percentage", "municipality,indicator,unit,year,value\n"
     "Visagino sav.,unemployment_rate,%,2016,9.5\nZarasai,unemployment_rate,per 1000,2016,95\n",
     r"ind.csv: row 3: field 'unit': 'per 1000' is not the catalogue's unit of indicator 'unemployment_rate' \('%'\)"),
    ("thousand EUR for EUR", "municipality,indicator,unit,year,value\n"
     "Visagino sav.,average_net_monthly_earnings,thousand EUR,2016,0.6\n"
     "Zarasai,average_net_monthly_earnings,thousand EUR,2016,0.5\n",
     r"ind.csv: row 2: field 'unit': 'thousand EUR' is not the catalogue's unit of indicator "
     r"'average_net_monthly_earnings' \('EUR'\) \(and 1 more row\(s\)\); nothing was stored"),
    ("share above 100", "municipality,indicator,unit,year,value\n"
     "Visagino sav.,employed_share,%,2016,50\nZarasai,employed_share,%,2016,100.5\n",
     r"ind.csv: row 3: field 'value': 100.5 of indicator 'employed_share' \(unit '%'\) is outside 0-100"),
    ("share below 0", "municipality,indicator,unit,year,value\nVisagino sav.,pension_age_share,proc.,2016,-0.1\n",
     r"ind.csv: row 2: field 'value': -0.1 of indicator 'pension_age_share' \(unit '%'\) is outside 0-100"),
    ("negative count", "municipality,indicator,unit,year,value\n"
     "Visagino sav.,businesses_per_100_working_age,count,2016,-3\n",
     r"ind.csv: row 2: field 'value': -3 of indicator 'businesses_per_100_working_age' \(unit 'per 100'\) is negative"),
    ("negative earnings", "municipality,indicator,unit,year,value\nVisagino sav.,average_net_monthly_earnings,EUR,2016,-600\n",
     r"ind.csv: row 2: field 'value': -600 of indicator 'average_net_monthly_earnings' \(unit 'EUR'\) is negative"),
]


@pytest.mark.parametrize("case", [c[0] for c in INDICATOR_CASES])
def test_bad_indicator_file(case, built_store, tmp_path):
    _, text, pattern = next(c for c in INDICATOR_CASES if c[0] == case)
    f = tmp_path / "ind.csv"
    f.write_text(text, encoding="utf-8")
    before = store_state(built_store)
    res = run_main(["import", "indicators", f], built_store)
    assert_clean_error(res, pattern, code=1)
    assert_unchanged(before, built_store)


def test_indicators_the_catalogue_does_not_know_are_imported_with_one_warning(built_store, tmp_path):
    f = tmp_path / "ind.csv"
    f.write_text("municipality,indicator,unit,year,value\nVisagino sav.,unemployment_rate,%,2016,9.5\n"
                 "Visagino sav.,own_index,points,2016,-4\nZarasai,own_index,points,2016,7\n"
                 "Zarasai,bus_stops,stops,2016,12\n", encoding="utf-8")
    res = run_main(["import", "indicators", f], built_store)
    assert res.returncode == 0, res.output
    warnings = [line for line in res.output.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {f}: 2 indicator(s) not in the catalogue: own_index, bus_stops; imported, but the "
                        "reports will not use them (see 'cityindicators indicators --list')"]
    assert len(list((built_store / "raw" / "indicators" / "ind").glob("*.csv"))) == 1


def test_trivial_unit_spellings_and_blank_units_are_the_catalogue_units(built_store, tmp_path):
    """The 2016 cross-section writes 'fraction' (the catalogue: 'fraction of population') and 'count'
    for businesses per 100; case, spaces and the Lithuanian names of units do not matter; a blank unit
    claims none. None of these is refused, and no warning is said."""
    f = tmp_path / "ind.csv"
    f.write_text("municipality,indicator,unit,year,value\nVisagino sav.,net_migration,fraction,2016,-0.03\n"
                 "Visagino sav.,businesses_per_100_working_age,count,2016,3.5\n"
                 "Visagino sav.,unemployment_rate, Proc. ,2016,0\nZarasai,unemployment_rate,%,2016,100\n"
                 "Visagino sav.,average_net_monthly_earnings,Eur,2016,600\n"
                 "Zarasai,average_net_monthly_earnings,,2016,\n", encoding="utf-8")
    res = run_main(["import", "indicators", f], built_store)
    assert res.returncode == 0, res.output
    assert "warning:" not in res.output and "error:" not in res.output


def test_life_expectancy_bounds_are_excluded():
    from cityindicators.exceptions import DataValidationError
    from cityindicators.schema import tidy, validate

    def frame(values):  # made-up values of one territory in successive years
        return tidy(pd.DataFrame({"territory_code": "43", "year": range(2016, 2016 + len(values)), "sex": "total",
                                  "value": values}), "life_expectancy")

    validate(frame([0.5, 74.5, 119.5, float("nan")]), "life_expectancy")  # a missing figure stays missing
    for bad in (0.0, 120.0, -1.0):
        with pytest.raises(DataValidationError, match="plausible: more than 0 and less than 120"):
            validate(frame([74.5, bad]), "life_expectancy")
