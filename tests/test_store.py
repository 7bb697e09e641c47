"""Imports, validation, the build and loading, on tiny hand-made files (invented numbers)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cityindicators import store
from cityindicators.exceptions import (
    AmbiguousTerritoryError,
    DatasetNotFoundError,
    DataValidationError,
    ParseError,
    UnknownTerritoryError,
)
from cityindicators.sources.extract import import_osp_extract, parse_extract_file
from cityindicators.sources.files import import_indicators, import_tidy, parse_tidy_file

POP_HEADER = "Territory;Year;Age;Total;Men;Women\n"


def pop_rows(territory="Zarasai d. mun.", year=2015, ages=(10, 20, 30), top=85):
    """A population table whose single ages 0..top add up, for one territory and year."""
    lines = []
    men = {a: 10 + a % 7 for a in range(top + 1)}
    women = {a: 12 + a % 5 for a in range(top + 1)}
    tm, tw = sum(men.values()), sum(women.values())
    lines.append(f"{territory};{year};-1;{tm + tw};{tm};{tw}")
    for a in range(top + 1):
        lines.append(f"{territory};{year};{a};{men[a] + women[a]};{men[a]};{women[a]}")
    return lines


def write_extract(folder: Path, pop_lines=None, births=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = pop_lines if pop_lines is not None else pop_rows() + pop_rows(year=2014)
    (folder / "population.csv").write_text(POP_HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    b = births if births is not None else "Territory;Year;Total;Boys;Girls\nZarasai d. mun.;2014;150;80;70\nZarasai d. mun.;2013;140;;\n"
    (folder / "births.csv").write_text(b, encoding="utf-8")
    return folder


def test_extract_parses_wide_table_to_tidy(tmp_path):
    f = write_extract(tmp_path / "x")
    pop = parse_extract_file(f / "population.csv")["population"]
    assert set(pop["sex"]) == {"total", "male", "female"}
    assert pop["age"].isna().sum() == 2 * 3  # all-ages rows, two years, three sexes
    assert pop.loc[pop["open_age"], "age"].unique().tolist() == [85]
    births = parse_extract_file(f / "births.csv")["births"]
    # blank Boys/Girls cells are left out, not stored as zero
    assert len(births) == 4
    assert not (births["value"] == 0).any()


def test_import_and_build_and_load(data_dir, tmp_path):
    res = import_osp_extract(write_extract(tmp_path / "x"), data_dir=data_dir)
    assert res.rows["population"] == 2 * 87 * 3
    report = store.build(data_dir)
    assert set(report.tables) == {"population", "population_total", "births"}
    pop = store.load("population", territories="Zarasai", years=2015, sex="total", data_dir=data_dir)
    assert len(pop) == 86 and pop["age"].notna().all()  # single ages only: the all-ages row has its own table
    total = store.load("population_total", territories="Zarasai", years=2015, sex="total", data_dir=data_dir)
    assert pop["value"].sum() == total["value"].item()
    # provenance sidecars
    side = json.loads((data_dir / "processed" / "population.parquet.meta.json").read_text())
    assert side["inputs"][0]["sha256"] and side["package_version"]
    raw_side = json.loads(next((data_dir / "raw" / "osp-extract" / "population").glob("*.meta.json")).read_text())
    assert raw_side["parser"] == "osp-extract" and raw_side["size"] > 0 and len(raw_side["sha256"]) == 64


def test_population_array(data_dir, tmp_path):
    import_osp_extract(write_extract(tmp_path / "x"), data_dir=data_dir)
    store.build(data_dir)
    arr = store.population_array(store.load("population", data_dir=data_dir))
    assert arr.values.shape == (1, 2, 2, 86)
    assert arr.years == (2014, 2015) and arr.open_age == 85
    assert arr.values[0, 1, 0, 3] == 10 + 3  # men aged 3
    assert arr.total()[0, 1] == store.load("population_total", years=2015, sex="total", data_dir=data_dir)["value"].item()


def test_load_missing_dataset_is_clear(data_dir):
    with pytest.raises(DatasetNotFoundError, match="cityindicators build"):
        store.load("population", data_dir=data_dir)


def test_build_without_snapshots(data_dir):
    with pytest.raises(DatasetNotFoundError, match="no raw snapshots"):
        store.build(data_dir)


# -- bad input: a clear error naming file/row/field, and nothing already stored is lost ------
def _bad_cases(tmp_path: Path):
    good = pop_rows()
    yield "wrong delimiter", POP_HEADER.replace(";", ",") + "\n".join(l.replace(";", ",") for l in good), ParseError, "comma"
    yield "missing column", "Territory;Year;Age;Total;Men\n" + "\n".join(l.rsplit(";", 1)[0] for l in good), ParseError, "Women"
    yield "duplicate rows", POP_HEADER + "\n".join(good + [good[5]]), DataValidationError, "duplicate"
    neg = good.copy(); neg[3] = "Zarasai d. mun.;2015;2;-5;-2;-3"
    yield "negative counts", POP_HEADER + "\n".join(neg), DataValidationError, "row 5.*negative|negative.*row 5"
    yield "unknown territory", POP_HEADER + "\n".join(pop_rows(territory="Atlantis mun.")), UnknownTerritoryError, "row 2.*Atlantis"
    yield "ambiguous name", POP_HEADER + "\n".join(pop_rows(territory="Vilnius")), AmbiguousTerritoryError, "ambiguous"
    txt = good.copy(); txt[4] = "Zarasai d. mun.;2015;3;many;1;2"
    yield "text in numeric cell", POP_HEADER + "\n".join(txt), ParseError, "row 6.*'many'|'Total'.*row 6"
    yield "truncated file", POP_HEADER + "\n".join(good)[:-40], ParseError, "truncated"
    mism = good.copy(); mism[0] = "Zarasai d. mun.;2015;-1;99999;1;2"
    yield "totals do not add up", POP_HEADER + "\n".join(mism), DataValidationError, "add-up"


@pytest.mark.parametrize("case", [c[0] for c in _bad_cases(Path("."))])
def test_bad_extract_input_is_clear_and_loses_nothing(case, data_dir, tmp_path):
    # a good dataset is already built
    import_osp_extract(write_extract(tmp_path / "good"), data_dir=data_dir)
    store.build(data_dir)
    before = {p: p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file()}
    name, text, exc, pattern = next(c for c in _bad_cases(tmp_path) if c[0] == case)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "population.csv").write_text(text, encoding="utf-8")
    with pytest.raises(exc, match=pattern) as err:
        import_osp_extract(bad, data_dir=data_dir)
    assert "population.csv" in str(err.value)
    after = {p: p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file()}
    assert after == before


def test_non_utf8_file(tmp_path, data_dir):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "population.csv").write_bytes((POP_HEADER + "\n".join(pop_rows(territory="Šiauliai c. mun."))).encode("cp1257"))
    with pytest.raises(ParseError, match="not UTF-8.*row 2"):
        import_osp_extract(bad, data_dir=data_dir)


def test_failed_build_leaves_processed_tables(data_dir, tmp_path):
    import_osp_extract(write_extract(tmp_path / "good"), data_dir=data_dir)
    store.build(data_dir)
    before = (data_dir / "processed" / "population.parquet").read_bytes()
    # a snapshot that does not parse (stored by a source without validation) fails the build
    store.write_snapshot("osp-extract", "births", b"Territory;Year;Total;Boys;Girls\nZarasai d. mun.;2014;x;1;1\n",
                         "csv", {"parser": "osp-extract", "table_file": "births"}, data_dir=data_dir, date="2030-01-01")
    with pytest.raises(DataValidationError, match="(?s)nothing in .* was changed.*births.*'Total'.*row 2"):
        store.build(data_dir)
    assert (data_dir / "processed" / "population.parquet").read_bytes() == before


def test_a_single_age_above_the_open_age_group_of_another_snapshot_fails_the_build(data_dir, tmp_path):
    import_osp_extract(write_extract(tmp_path / "good"), data_dir=data_dir)  # ages 0..85, 85 open
    store.build(data_dir)
    before = (data_dir / "processed" / "population.parquet").read_bytes()
    old = tmp_path / "old.csv"
    old.write_text("territory,year,sex,age,value\nZarasų r. sav.,2015,male,90,5\n", encoding="utf-8")
    import_tidy(old, "population", data_dir=data_dir)  # alone the file shows no open group
    with pytest.raises(DataValidationError, match=r"nothing in .* was changed\. build: population: territory 43, year "
                       r"2015, sex male: age\(s\) 90 \(raw/tidy/population/.*\.csv\) above the open age group 85\+ "
                       r"\(raw/osp-extract/population/.*\.csv\), which already counts them"):
        store.build(data_dir)
    assert (data_dir / "processed" / "population.parquet").read_bytes() == before


def test_edited_snapshot_is_detected(data_dir, tmp_path):
    import_osp_extract(write_extract(tmp_path / "good"), data_dir=data_dir)
    snap = next((data_dir / "raw" / "osp-extract" / "births").glob("*.csv"))
    snap.write_text(snap.read_text() + "Zarasai d. mun.;2012;1;;\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="changed after it was stored"):
        store.build(data_dir)


def test_snapshots_are_immutable_and_identical_bytes_are_stored_once(data_dir):
    meta = {"parser": "tidy", "target": "births"}
    one = store.store_snapshot("osp", "births", b"one", "csv", meta, data_dir=data_dir, date="2026-01-02")
    two = store.store_snapshot("osp", "births", b"two", "csv", meta, data_dir=data_dir, date="2026-01-02")
    # two different contents on one day: two snapshots, named by date plus a short content hash
    assert one.new and two.new and one.path != two.path
    assert one.path.read_bytes() == b"one" and two.path.read_bytes() == b"two"
    assert one.path.name == "2026-01-02-" + store.sha256_bytes(b"one")[: store.HASH_DIGITS] + ".csv"
    again = store.store_snapshot("osp", "births", b"one", "csv", meta, data_dir=data_dir, date="2026-01-09")
    assert not again.new and again.path == one.path  # identical bytes: a no-op, whatever the day
    # force is accepted and changes nothing
    assert store.write_snapshot("osp", "births", b"two", "csv", meta, data_dir=data_dir, force=True) == two.path
    assert store.latest_snapshot("osp", "births", data_dir) == two.path  # same day: the later one
    later = store.store_snapshot("osp", "births", b"three", "csv", meta, data_dir=data_dir, date="2026-01-05")
    assert store.latest_snapshot("osp", "births", data_dir) == later.path
    assert store.snapshot_path("osp", "births", "csv", data_dir, "2026-01-02") == two.path
    assert not store.snapshot_path("osp", "births", "csv", data_dir, "2026-02-01").exists()


def test_newer_snapshot_of_the_same_day_wins_the_merge(data_dir, tmp_path):
    first = tmp_path / "b1.csv"
    first.write_text("territory,year,sex,value\nZarasų r. sav.,2014,total,150\n", encoding="utf-8")
    second = tmp_path / "b2.csv"
    second.write_text("territory,year,sex,value\nZarasų r. sav.,2014,total,152\n", encoding="utf-8")
    assert import_tidy(first, "births", data_dir=data_dir).snapshots
    assert import_tidy(second, "births", data_dir=data_dir).snapshots
    res = import_tidy(first, "births", data_dir=data_dir)
    assert not res.snapshots and res.unchanged and "nothing written" in res.summary()
    store.build(data_dir)
    assert store.load("births", sex="total", data_dir=data_dir)["value"].tolist() == [152]  # both sexes only


@pytest.mark.parametrize("name", ["..", ".", "...", "a/b", "/etc", ""])
def test_snapshot_names_stay_inside_the_raw_folder(data_dir, name):
    from cityindicators._io import UnsafePathError

    with pytest.raises(UnsafePathError, match="cannot be used"):
        store.store_snapshot("indicators", name, b"x", "csv", {"parser": "indicators"}, data_dir=data_dir)
    assert not any((data_dir.parent).glob("*.csv")) and not any((data_dir / "raw").rglob("*.csv"))


def test_most_specific_source_wins_and_is_recorded(data_dir, tmp_path):
    import_osp_extract(write_extract(tmp_path / "x"), data_dir=data_dir)
    corr = tmp_path / "births_fix.csv"
    corr.write_text("territory,year,sex,value\nZarasų r. sav.,2014,total,151\n", encoding="utf-8")
    import_tidy(corr, "births", data_dir=data_dir)
    store.build(data_dir)
    b = store.load("births", territories="43", years=2014, sex=("male", "female", "total"),
                   data_dir=data_dir).set_index("sex")["value"]
    assert b["total"] == 151 and b["male"] == 80
    side = json.loads((data_dir / "processed" / "births.parquet.meta.json").read_text())
    by_source = {d["source"]: d for d in side["inputs"]}
    assert by_source["tidy"]["rows_kept"] == 1 and by_source["osp-extract"]["rows_superseded"] == 1
    assert side["cells_with_several_sources"] == 1


def _import_births(data_dir, folder, name: str, rows: str) -> None:
    """Import ``rows`` (``territory,year,sex,value`` lines for Zarasai) as the tidy births file ``name``."""
    f = folder / name
    f.write_text("territory,year,sex,value\n" + "".join(f"Zarasų r. sav.,{r}\n" for r in rows.split()), encoding="utf-8")
    import_tidy(f, "births", data_dir=data_dir)


def test_a_blank_value_of_a_later_snapshot_keeps_the_known_value(data_dir, tmp_path, caplog):
    _import_births(data_dir, tmp_path, "b1.csv", "2014,total,150 2015,total,140")
    _import_births(data_dir, tmp_path, "b2.csv", "2014,total,NaN 2015,total,141 2016,total,-")
    assert "b2.csv: 2 missing value(s) kept as missing" in caplog.text
    report = store.build(data_dir)
    got = store.load("births", sex="total", data_dir=data_dir).set_index("year")["value"]
    assert got[2014] == 150 and got[2015] == 141 and np.isnan(got[2016])  # a blank known nowhere stays blank
    said = [w for w in report.warnings if "did not replace" in w]
    assert len(said) == 1 and said[0].startswith("births: 1 blank value(s) of a snapshot that would otherwise win did "
                                                 "not replace the known value(s) of another") and "year=2014" in said[0]


def test_sexes_of_different_snapshots_that_do_not_add_up_are_a_build_warning(data_dir, tmp_path):
    """Each file adds up on its own (the per-file check); male and female of one file beside the total
    of another were built without a word. A warning (the figures stay each source's), said once: a
    file's own small inconsistency is not said again for the merged table."""
    _import_births(data_dir, tmp_path, "t.csv", "2014,total,127 2015,total,140")
    _import_births(data_dir, tmp_path, "s.csv", "2014,male,100 2014,female,110 2015,male,70 2015,female,70")
    report = store.build(data_dir)
    said = [w for w in report.warnings if "sexes-add-up" in w]
    assert len(said) == 1 and said[0].startswith("build: births: check 'sexes-add-up' found the sources disagreeing: "
                                                 "male + female != total in 1 of 2 row(s):"), said
    assert "2014" in said[0] and "2015" not in said[0]  # 70 + 70 = 140
    got = store.load("births", data_dir=data_dir)
    assert set(got.loc[got["year"] == 2014, "value"]) == {100.0, 110.0}  # kept as each source gave them
    from cityindicators.schema import sexes_add_up_warnings

    one_file = pd.DataFrame({"territory_code": "30", "year": 2014, "sex": ["male", "female", "total"],
                             "value": [1.0, 1.0, 3.0], "source": "a.csv"})
    assert sexes_add_up_warnings(one_file, "births") == []  # its own check said it when it was read


def test_tidy_import_forms(tmp_path):
    f = tmp_path / "pop.csv"
    f.write_text(
        "Savivaldybė;Metai;Lytis;Amžius;Reikšmė\n"
        "Visagino sav.;2020;vyrai;0;5\nVisagino sav.;2020;moterys;0;6\nVisagino sav.;2020;iš viso;0;11\n"
        "Visagino sav.;2020;iš viso;85+;3\nVisagino sav.;2020;iš viso;total;14\n",
        encoding="utf-8",
    )
    pop = parse_tidy_file(f, "population")["population"]
    assert pop["sex"].tolist() == ["male", "female", "total", "total", "total"]
    assert pop["open_age"].tolist() == [False, False, False, True, False]
    assert pop["age"].isna().tolist() == [False, False, False, False, True]
    assert set(pop["territory_code"]) == {"30"}


def test_tidy_import_xlsx(tmp_path, data_dir):
    f = tmp_path / "births.xlsx"
    pd.DataFrame({"Territory": ["Visaginas", "LT-59"], "Year": [2020, 2021], "Sex": ["total", "total"], "Value": [120, 118]}).to_excel(f, index=False)
    res = import_tidy(f, "births", data_dir=data_dir)
    assert res.rows == {"births": 2}
    store.build(data_dir)
    assert store.load("births", sex="total", data_dir=data_dir)["value"].tolist() == [120.0, 118.0]


def test_tidy_import_errors(tmp_path):
    f = tmp_path / "b.csv"
    f.write_text("territory,year,sex,value\nVisaginas,2020,unknown,1\n", encoding="utf-8")
    with pytest.raises(ParseError, match="row 2.*'sex'"):
        parse_tidy_file(f, "births")
    f.write_text("territory,year,value\nVisaginas,2020,1\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"missing column\(s\) \['sex'\]"):
        parse_tidy_file(f, "births")
    with pytest.raises(DataValidationError, match="unknown dataset"):
        parse_tidy_file(f, "nonsense")


def test_indicator_import_drops_average_row(tmp_path, data_dir, caplog):
    f = tmp_path / "ind.csv"
    f.write_text(
        "municipality,county,indicator,name_lt,name_en,unit,year,value\n"
        "Visagino sav.,Utenos,unemployment_rate,Nedarbo lygis,Unemployment rate,%,2016,12.5\n"
        "Vidutinė Lietuvos savivaldybė,,unemployment_rate,Nedarbo lygis,Unemployment rate,%,2016,9.0\n"
        "Zarasų r. sav.,Utenos,unemployment_rate,Nedarbo lygis,Unemployment rate,%,2016,\n",
        encoding="utf-8",
    )
    res = import_indicators(f, data_dir=data_dir)
    assert res.rows == {"published_indicators": 2}
    assert "not territories" in caplog.text
    store.build(data_dir)
    got = store.load("published_indicators", data_dir=data_dir).set_index("territory_code")
    assert got.loc["30", "value"] == 12.5
    assert np.isnan(got.loc["43", "value"]) and got.loc["43", "status"] == "missing"
