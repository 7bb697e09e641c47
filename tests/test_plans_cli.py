"""``cityindicators plan check``: formats, languages, exit codes and error messages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cityindicators.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "plans" / "eglynas.yaml"


def run(capsys, demo_dir, *args) -> tuple[int, str, str]:
    rc = main(["--data-dir", str(demo_dir), "plan", "check", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_table_in_both_languages_exits_zero_although_criteria_are_off_track(capsys, demo_dir_backtested):
    demo_dir = demo_dir_backtested
    rc, out, err = run(capsys, demo_dir, EXAMPLE, "--lang", "en", "--trajectories", "100")
    assert rc == 0
    # the build has its back-test: the note says the band is calibrated (it said "not calibrated" whatever the band)
    assert "whose spread is calibrated to the method's past errors;" in err and "not calibrated" not in err
    assert "Off track" in out and "On track" in out and "Behind" in out and "Reached" in out
    assert "Probability of meeting" in out
    rc, out, _ = run(capsys, demo_dir, EXAMPLE, "--trajectories", "0")
    assert rc == 0 and "Nukrypta nuo plano" in out and "Būklė" in out
    assert "Siekinio metai" in out and "Tikėtina reikšmė siekinio metais" in out  # the target's year, genitive


def test_table_marks_no_data_as_the_reports_do(capsys, demo_dir):
    for extra in ((), ("--by-year",)):
        rc, out, _ = run(capsys, demo_dir, EXAMPLE, "--trajectories", "0", *extra)
        assert rc == 0 and "n/a" not in out
        assert any(cell == "\u2013" for line in out.splitlines()[1:] for cell in line.split())  # "–", no data


def test_table_writes_each_value_in_its_criterions_precision_with_the_decimal_comma_in_lt(capsys, demo_dir):
    """Values as the monitoring report writes them (plans.texts.format_value): whole persons and euros, one
    decimal for shares and ratios, the decimal comma in Lithuanian, the minus sign; the inflow in whole persons."""
    import re

    from cityindicators.i18n import MINUS, fmt_int
    from cityindicators.plans.texts import format_value

    rc, out, _ = run(capsys, demo_dir, EXAMPLE, "--format", "json", "--trajectories", "0")
    rows = {r["criterion"]: r for r in json.loads(out)}
    units = {r["unit"] for r in rows.values()}
    assert "persons" in units and "%" in units  # both precisions are exercised
    for lang in ("lt", "en"):
        rc, out, _ = run(capsys, demo_dir, EXAMPLE, "--lang", lang, "--trajectories", "0")
        assert rc == 0
        lines = {line.split()[0]: line for line in out.splitlines()[1:]}
        for cid, r in rows.items():
            for col in ("actual", "planned", "gap", "target_value", "outlook_value"):
                if r[col] is not None:
                    cell = format_value(r[col], r["unit"], lang, versus=r["target_value"] if col == "actual" else None)
                    assert f" {cell} " in f" {lines[cid]} ", (lang, cid, col, cell, lines[cid])
            if r["inflow"] is not None:
                assert lines[cid].endswith(" " + fmt_int(r["inflow"], lang))
        if lang == "lt":
            assert not re.search(r"\d\.\d", out)  # no decimal point (it printed 2 decimals: "63.40")
        assert not re.search(r"(?<![\w-])-\d", out) and MINUS in out  # negatives with the minus sign


def test_an_actual_value_near_its_target_takes_the_decimals_that_tell_them_apart(capsys, demo_dir, tmp_path):
    rc, out, _ = run(capsys, demo_dir, EXAMPLE, "--format", "json", "--trajectories", "0")
    e2 = next(r for r in json.loads(out) if r["criterion"] == "E2")  # a share (one decimal)
    near = round(e2["actual"], 1)
    assert near != e2["actual"]
    plan = tmp_path / "near.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    block = text[text.index("  - id: E2"):]
    old = next(line for line in block.splitlines() if line.strip().startswith("target_value:"))
    plan.write_text(text.replace(block, block.replace(old, f"    target_value: {near}", 1)), encoding="utf-8")
    rc, out, _ = run(capsys, demo_dir, plan, "--trajectories", "0", "--lang", "en")
    line = next(x for x in out.splitlines() if x.split()[0] == "E2")
    assert rc == 0 and f" {near:.1f} " in line  # the target, one decimal
    assert f" {e2['actual']:.2f} " in line or f" {e2['actual']:.3f} " in line  # the actual is not shown as it


def test_csv_json_and_xlsx(capsys, demo_dir, tmp_path):
    import pandas as pd

    rc, out, _ = run(capsys, demo_dir, EXAMPLE, "--format", "json", "--lang", "en", "--trajectories", "0")
    rows = json.loads(out)
    assert rc == 0 and [r["criterion"] for r in rows] == ["E1", "E2", "E3", "E4", "E5", "E6"]
    assert {"status", "status_label", "gap", "outlook_method", "inflow"} <= set(rows[0])
    rc, out, _ = run(capsys, demo_dir, EXAMPLE, "--format", "csv", "--by-year", "--trajectories", "0")
    assert rc == 0 and out.splitlines()[0].startswith("criterion,indicator,unit,direction,year,actual,planned,gap")
    xlsx = tmp_path / "check.xlsx"
    rc, _, err = run(capsys, demo_dir, EXAMPLE, "--format", "xlsx", "--output", xlsx, "--trajectories", "0")
    assert rc == 0 and "įrašytos 6 eilutės" in err  # the default --lang lt
    frame = pd.read_excel(xlsx)
    assert frame["criterion"].tolist() == ["E1", "E2", "E3", "E4", "E5", "E6"]
    rc, _, err = run(capsys, demo_dir, EXAMPLE, "--format", "xlsx")
    assert rc == 1 and "--format xlsx needs --output FILE.xlsx" in err


def test_invalid_plan_is_one_clear_line_per_problem_and_exit_one(capsys, demo_dir, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("indicator: working_age_share",
                                                              "indicator: working_age_shares"), encoding="utf-8")
    rc, out, err = run(capsys, demo_dir, bad)
    assert rc == 1 and out == ""
    assert "Traceback" not in err
    line = err.strip().splitlines()
    assert len(line) == 1 and "bad.yaml: line" in line[0] and "closest ids: working_age_share" in line[0]
    rc, _, err = run(capsys, demo_dir, tmp_path / "missing.yaml")
    assert rc == 1 and "plan file not found" in err


def test_targets_an_indicator_cannot_take_are_one_line_each_and_exit_one(capsys, demo_dir, tmp_path):
    # a negative population, a share above 100 % and a target after the plan's period; the example's
    # net migration target of -60 is a balance and stays allowed
    bad = tmp_path / "bad.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "target_value: -60" in text
    bad.write_text(text.replace("target_value: 20000", "target_value: -20000").replace(
        "target_value: 65", "target_value: 165").replace("target_year: 2030\n    target_value: 7",
                                                          "target_year: 2031\n    target_value: 7"), encoding="utf-8")
    rc, out, err = run(capsys, demo_dir, bad, "--trajectories", "0")
    lines = err.strip().splitlines()
    assert rc == 1 and out == "" and len(lines) == 3, err
    assert "criteria[1].target_value': indicator 'population' (persons) cannot be negative, got -20000" in lines[0]
    assert "criteria[2].target_value': indicator 'working_age_share' is a share in percent" in lines[1]
    assert "criteria[5].target_year': target year 2031 is after the plan's period 2021-2030" in lines[2]
    assert all(ln.startswith(("error: " + str(bad), str(bad))) for ln in lines)


def test_base_value_warning_goes_to_stderr(capsys, demo_dir, tmp_path):
    p = tmp_path / "plan.yaml"
    p.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        "    base_year: 2020          # base value read from the data\n",
        "    base_year: 2020\n    base_value: 99999\n"), encoding="utf-8")
    rc, out, err = run(capsys, demo_dir, p, "--trajectories", "0", "--lang", "en")
    assert rc == 0 and "warning:" in err and "99999" in err and "E1" in out


def test_every_note_on_stderr_is_in_the_language_of_lang(capsys, demo_dir, tmp_path):
    # a base value far from the data (a warning), probabilities (the note on their spread), --output (the
    # note that the rows were written): with --lang lt all three in Lithuanian, with --lang en in English
    p = tmp_path / "plan.yaml"
    p.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        "    base_year: 2020          # base value read from the data\n",
        "    base_year: 2020\n    base_value: 99999.5\n"), encoding="utf-8")
    out = tmp_path / "check.txt"
    rc, _, err = run(capsys, demo_dir, p, "--trajectories", "20", "--lang", "lt", "--output", out)
    lines = err.strip().splitlines()
    assert rc == 0 and len(lines) == 3, err
    warning, written, note = lines
    assert re.fullmatch(rf"įspėjimas: {re.escape(str(p))}: \d+ eilutė, raktas 'criteria\[1\]\.base_value': plano "
                        r"bazinė reikšmė 99999,5 skiriasi nuo duomenų reikšmės [\d,]+ \(\w+, 2020 m\.\) daugiau nei "
                        r"[\d,]+ %", warning), warning
    assert written == f"į {out} įrašytos 6 eilutės"
    assert note.startswith("pastaba: tikimybės apskaičiuotos iš stochastinės projekcijos, kurios sklaida")
    assert not re.search(r"\b(note|warning|wrote|rows|line|key|the)\b", err)
    rc, _, err = run(capsys, demo_dir, p, "--trajectories", "20", "--lang", "en", "--output", out)
    warning, written, note = err.strip().splitlines()
    assert rc == 0 and warning.startswith(f"warning: {p}: line ") and "base value 99999.5 differs" in warning
    assert written == f"wrote 6 rows to {out}" and note.startswith("note: probabilities come from")


def test_workbook_from_yaml_checks_the_same(capsys, demo_dir, tmp_path):
    xlsx = tmp_path / "plan.xlsx"
    assert main(["plan", "workbook", str(xlsx), "--from", str(EXAMPLE)]) == 0
    capsys.readouterr()
    outs = []
    for f in (EXAMPLE, xlsx):
        rc, out, _ = run(capsys, demo_dir, f, "--format", "json", "--trajectories", "0")
        assert rc == 0
        outs.append([{k: r[k] for k in ("criterion", "base_value", "target_value", "actual", "status")}
                     for r in json.loads(out)])
    assert outs[0] == outs[1]
    empty = tmp_path / "empty.xlsx"
    assert main(["plan", "workbook", str(empty)]) == 0
    rc, _, err = run(capsys, demo_dir, empty)
    assert rc == 1 and "key 'name_lt'" in err and "key 'criteria'" in err
    assert main(["plan", "workbook", str(tmp_path / "x.csv")]) == 1


def test_no_data_built_is_one_line(capsys, tmp_path):
    rc = main(["--data-dir", str(tmp_path / "nothing"), "plan", "check", str(EXAMPLE)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and "cannot check the plan against the data" in err[0]


def test_workbook_from_an_invalid_yaml_plan_names_each_problem(capsys, demo_dir, tmp_path):
    # a draft is converted as it stands (the workbook is where it is finished), but it was converted in silence
    bad = tmp_path / "draft.yaml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("period:", "perod:", 1), encoding="utf-8")
    xlsx = tmp_path / "draft.xlsx"
    assert main(["--data-dir", str(demo_dir), "plan", "workbook", str(xlsx), "--from", str(bad)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == f"wrote {xlsx} from {bad}" and xlsx.exists()
    assert len(err) == 4, err  # the unknown key, the missing period, the count
    assert err[1].startswith(f"warning: {bad}: line ") and "key 'perod': unknown key (did you mean 'period'?)" in err[1]
    assert "key 'period': expected 'YYYY-YYYY'" in err[2]
    assert err[3] == (f"warning: 2 problems of {bad} copied into {xlsx}; 'plan check' refuses the plan until "
                      "they are mended")
    rc, _, check = run(capsys, demo_dir, xlsx, "--trajectories", "0")  # the same problems, at the workbook's cells
    assert rc == 1 and "key 'perod'" in check and "cell plan!" in check
    # a valid plan converts with the one line
    assert main(["--data-dir", str(demo_dir), "plan", "workbook", str(xlsx), "--from", str(EXAMPLE)]) == 0
    assert capsys.readouterr().err.strip().splitlines() == [f"wrote {xlsx} from {EXAMPLE}"]
