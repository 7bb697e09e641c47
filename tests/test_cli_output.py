"""The CLI's result tables: negatives printed for reading take the minus sign, machine outputs stay ASCII."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from cityindicators.cli import main
from cityindicators.cli._output import emit, fmt_number, fmt_persons
from cityindicators.i18n import MINUS, NO_VALUE


def _frame() -> pd.DataFrame:
    # made-up figures: a float column, an int column, a float with a gap, a flag, text with hyphens
    return pd.DataFrame({"group": ["0-14", "65+"], "bias": [-1.5, 22.25], "change": [1, -200],
                         "mean": [np.nan, -0.5], "met": [True, False], "value": [-3.0, 0.004]})


def test_fmt_number_writes_negatives_with_the_minus_sign():
    assert fmt_number(-3) == MINUS + "3"
    assert fmt_number(np.int64(-1001)) == MINUS + "1001"
    assert fmt_number(-3.0) == MINUS + "3"
    assert fmt_number(-2.345) == MINUS + "2.35"  # two places
    assert fmt_number(-0.004) == MINUS + "0.004"  # small: four significant digits
    assert fmt_number(12.5) == "12.50" and fmt_number(0.0) == "0.00" and fmt_number(np.nan) == NO_VALUE


def test_table_prints_every_numeric_column_with_the_minus_sign(capsys):
    emit(_frame(), "table", numeric=["value"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["group", "bias", "change", "mean", "met", "value"]
    # pandas' precision per column is kept ("-1.50" beside "22.25"), only the sign changes
    # a missing value: the reports' no-data mark, not pandas' "NaN" nor "n/a"
    assert lines[1].split() == ["0-14", MINUS + "1.50", "1", NO_VALUE, "True", MINUS + "3"]
    assert lines[2].split() == ["65+", "22.25", MINUS + "200", MINUS + "0.5", "False", "0.004"]
    # the columns still line up: the minus sign is one character wide, as the hyphen was
    assert len({len(line) for line in lines}) == 1
    assert "0-14" in lines[1]  # text keeps its hyphens


def test_csv_and_json_keep_the_ascii_hyphen(capsys):
    emit(_frame(), "csv")
    out = capsys.readouterr().out
    assert MINUS not in out and "-1.5" in out and "-200" in out
    assert pd.read_csv(io.StringIO(out))["change"].tolist() == [1, -200]  # numbers a program reads back
    emit(_frame(), "json")
    out = capsys.readouterr().out
    assert MINUS not in out and json.loads(out)[1]["change"] == -200


def test_backtest_table_on_the_demo_prints_negative_errors_with_the_minus_sign(demo_dir, capsys):
    args = ["--data-dir", str(demo_dir), "backtest", "--base-year", "2018", "--horizon", "3"]
    assert main(args + ["--format", "csv"]) == 0
    signed = pd.read_csv(io.StringIO(capsys.readouterr().out))["bias"]  # mean signed error, some negative
    assert (signed < 0).any()
    assert main(args) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [row.split()[3] for row in rows] == [f"{v:.2f}".replace("-", MINUS) for v in signed]
    assert not any(word.startswith("-") for row in rows for word in row.split())


def test_fmt_persons_rounds_to_whole_persons():
    assert fmt_persons(13399.17) == "13399" and fmt_persons(13399.5) == "13400"
    assert fmt_persons(-0.4) == "0" and fmt_persons(-12.6) == MINUS + "13"
    assert fmt_persons(np.nan) == NO_VALUE and fmt_persons(np.nan, missing="?") == "?"


def test_table_prints_persons_whole_in_the_rows_marked_and_csv_keeps_the_fractions(capsys):
    # made-up: two groups of persons and a median age (years) in the same column
    frame = pd.DataFrame({"group": ["total", "65+", "median_age"], "q50": [13399.17, 2500.5, 41.237]})
    emit(frame, "table", persons=["q50"], persons_rows=frame["group"] != "median_age")
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert rows == [["total", "13399"], ["65+", "2500"], ["median_age", "41.24"]]  # 2500.5: to the even 2500
    emit(frame, "csv", persons=["q50"])
    assert pd.read_csv(io.StringIO(capsys.readouterr().out))["q50"].tolist() == [13399.17, 2500.5, 41.237]


def test_indicators_table_marks_a_missing_value_as_the_reports_do_and_machine_formats_leave_it_empty(demo_dir, capsys):
    # the demo's last year has no population change (it is the change to the next year): a missing value
    args = ["--data-dir", str(demo_dir), "indicators", "--territory", "Eglynas", "--indicator", "population",
            "--indicator", "population_change"]
    last = ["--year", str(int(pd.read_csv(io.StringIO(_run(args + ["--format", "csv"], capsys)))["year"].max()))]
    out = _run(args + last, capsys)
    assert "n/a" not in out and "NaN" not in out
    change = next(line for line in out.splitlines() if line.split()[0] == "population_change")
    assert change.split()[-2:] == [NO_VALUE, "persons"]
    values = pd.read_csv(io.StringIO(_run(args + last + ["--format", "csv"], capsys))).set_index("indicator")["value"]
    assert values.notna()["population"] and values.isna()["population_change"]  # an empty cell
    rows = json.loads(_run(args + last + ["--format", "json"], capsys))
    assert {r["indicator"]: r["value"] for r in rows}["population_change"] is None and NO_VALUE not in json.dumps(rows)


def _run(args, capsys) -> str:
    assert main(args) == 0
    return capsys.readouterr().out


def test_indicators_compare_and_rank_tables_show_persons_whole_and_rates_with_decimals(demo_dir, capsys):
    # the demo's working-age population has fractions in some years (the pension age's months): whole persons,
    # as the reports show them
    base = ["--data-dir", str(demo_dir)]
    ids = ["--indicator", "working_age_population", "--indicator", "working_age_share"]
    every = pd.read_csv(io.StringIO(_run(base + ["indicators", "--territory", "Eglynas", *ids, "--format", "csv"],
                                         capsys)))
    people = every[every["indicator"] == "working_age_population"]
    year = str(int(people.loc[people["value"] % 1 != 0, "year"].iloc[-1]))  # a year with a fraction to round
    v = every[every["year"] == int(year)].set_index("indicator")["value"]
    out = _run(base + ["indicators", "--territory", "Eglynas", "--year", year, *ids], capsys)
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert rows["working_age_population"][-2] == fmt_persons(v["working_age_population"])
    assert rows["working_age_share"][-2] == fmt_number(v["working_age_share"])  # a share keeps two decimals
    out = _run(base + ["compare", "--territory", "Eglynas", "--year", year, *ids], capsys)
    line = next(x for x in out.splitlines() if x.split()[0] == "working_age_population").split()
    assert fmt_persons(v["working_age_population"]) in line and not any("." in w for w in line[3:9])
    out = _run(base + ["rank", "--indicator", "working_age_population", "--year", year], capsys)
    assert not any("." in line.split()[-1] for line in out.splitlines()[2:])


def test_scenarios_list_table_writes_bounds_as_the_tables_for_reading_do(tmp_path, capsys):
    # a made-up scenario with a negative bound in every kind of range the list prints
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "bounded.yaml").write_text(
        "name: bounded\nlabel_en: Bounded\nfertility: {mode: trend, bounds: [1.2, 2]}\n"
        "mortality: {mode: trend, bounds: [-0.1, 0.3]}\nmigration: {mode: trend, bounds: [-0.02, 0.01]}\n",
        encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "scenarios", "--list"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("bounded "))
    assert "within 1.2\u20132" in row  # a range: the en dash of "0\u201314"
    assert f"gain {MINUS}0.1 to 0.3 years" in row  # a negative bound: the minus sign, and "to" between
    assert f"within {MINUS}20 to 10 per 1,000" in row
    # for programs: plain numbers and the ASCII hyphen, as before
    assert main(["--data-dir", str(tmp_path), "scenarios", "--list", "--format", "json"]) == 0
    record = next(r for r in json.loads(capsys.readouterr().out) if r["scenario"] == "bounded")
    assert "within 1.2-2" in record["fertility"] and "gain -0.1-0.3 years" in record["mortality"]
    assert "within -20 to 10 per 1,000" in record["migration"]
    assert main(["--data-dir", str(tmp_path), "scenarios", "--list", "--format", "csv"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("bounded,"))
    assert MINUS not in row and "\u2013" not in row and "within -20 to 10" in row


def test_an_output_in_folders_that_do_not_exist_yet_creates_them_but_not_inside_the_store(demo_dir, tmp_path, capsys):
    csv_out = tmp_path / "new" / "dir" / "x.csv"
    assert main(["--data-dir", str(demo_dir), "project", "--territory", "Eglyno sav.", "--base-year", "2018",
                 "--to", "2020", "--scenario", "baseline", "--output", str(csv_out)]) == 0
    assert pd.read_csv(csv_out)["year"].max() == 2020
    book = tmp_path / "other" / "deep" / "plan.xlsx"
    assert main(["plan", "workbook", str(book)]) == 0 and book.is_file()
    capsys.readouterr()
    # the refusal of an output inside the store comes first: no folder is made there
    refused = demo_dir / "processed" / "new" / "x.csv"
    assert main(["--data-dir", str(demo_dir), "project", "--territory", "Eglyno sav.", "--base-year", "2018",
                 "--to", "2020", "--scenario", "baseline", "--output", str(refused)]) == 1
    assert "inside the data directory's processed/ folder" in capsys.readouterr().err
    assert not (demo_dir / "processed" / "new").exists()
