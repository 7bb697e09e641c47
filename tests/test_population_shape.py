"""One population shape: age-resolved tables hold single ages only, all-ages figures have their
own tables, the two are checked against each other at build time, and loaded frames sum
correctly by any key (issue 10, item 1). Tiny tables use invented numbers."""

from __future__ import annotations

import pandas as pd
import pytest

import cityindicators as ci
from cityindicators import store
from cityindicators.cli import main
from cityindicators.exceptions import DataValidationError
from cityindicators.indicators import build_counts, load_data
from cityindicators.projection import ProjectionData
from cityindicators.schema import both_sexes_key, canonical, check_ages_add_up, split_all_ages, split_tables, tidy, validate
from cityindicators.sources.files import import_tidy


# -- the split -----------------------------------------------------------------------------
def _parsed_population() -> pd.DataFrame:
    """A parser's frame: ages 0, 1 and 2+ (open) of territory 30 in 2015, and the all-ages row (age missing)."""
    return pd.DataFrame({
        "territory_code": "30", "year": 2015, "sex": "total",
        "age": pd.array([0, 1, 2, pd.NA], dtype="Int64"), "open_age": [False, False, True, False],
        "value": [3.0, 4.0, 5.0, 12.0],
    })


def test_split_all_ages_moves_the_all_ages_rows_to_their_own_table():
    parts = split_all_ages(_parsed_population(), "population")
    assert set(parts) == {"population", "population_total"}
    assert parts["population"]["age"].tolist() == [0, 1, 2]
    assert "age" not in parts["population_total"] and "open_age" not in parts["population_total"]
    assert parts["population_total"]["value"].tolist() == [12.0]
    # tables without ages, or without all-ages rows, are left as they are
    births = pd.DataFrame({"territory_code": "30", "year": [2015], "sex": "total", "value": [1.0]})
    assert list(split_all_ages(births, "births")) == ["births"]
    assert list(split_all_ages(_parsed_population().iloc[:3], "population")) == ["population"]
    # only all-ages rows: no empty single-age table
    assert list(split_all_ages(_parsed_population().iloc[3:], "population")) == ["population_total"]


def test_split_tables_adds_to_an_all_ages_table_already_given():
    extra = pd.DataFrame({"territory_code": "45", "year": [2015], "sex": "total", "value": [7.0]})
    out = split_tables({"population": _parsed_population(), "population_total": extra})
    assert sorted(out["population_total"]["territory_code"]) == ["30", "45"]


def test_canonical_tables_validate_and_check_the_ages():
    out = canonical({"population": _parsed_population()}, "file.csv")
    assert set(out) == {"population", "population_total"}
    assert out["population"]["age"].notna().all()
    bad = _parsed_population()
    bad.loc[3, "value"] = 20.0  # the all-ages row says 20, the ages add to 12
    with pytest.raises(DataValidationError) as err:
        canonical({"population": bad}, "file.csv")
    msg = str(err.value)
    assert "file.csv" in msg and "population vs population_total" in msg and "ages-add-up" in msg
    assert "30" in msg and "2015" in msg and "12.0" in msg and "20.0" in msg and "total" in msg


def test_a_missing_age_is_refused_in_an_age_resolved_table():
    frame = tidy(_parsed_population(), "population")
    with pytest.raises(DataValidationError, match=r"population: check 'single-ages' failed: 1 row.*population_total"):
        validate(frame, "population", origin="x.csv")
    with pytest.raises(DataValidationError, match="single-ages"):
        build_counts({"population": _parsed_population()})
    with pytest.raises(DataValidationError, match="projection input: population: check 'single-ages'"):
        ProjectionData.from_frames(population=_parsed_population())


def test_one_value_per_key_names_the_dataset_and_key():
    tot = pd.DataFrame({"territory_code": "30", "year": [2015, 2015], "sex": "total", "value": [12.0, 13.0]})
    with pytest.raises(DataValidationError, match=r"population_total: check 'unique-keys' failed: 2 rows share a key "
                                                  r"\['territory_code', 'year', 'sex'\]"):
        validate(tidy(tot, "population_total"), "population_total", origin="x.csv")


def test_ages_add_up_only_where_the_age_detail_is_complete():
    singles = tidy(_parsed_population().iloc[:3], "population")
    totals = tidy(pd.DataFrame({"territory_code": "30", "year": [2015], "sex": "total", "value": [99.0]}),
                  "population_total")
    # ages 0, 1 and the open group 2+ are complete: 12 against 99 is refused
    with pytest.raises(DataValidationError, match="ages-add-up"):
        check_ages_add_up(singles, totals, "population")
    # without the open group (or with a gap) the ages are not a whole and nothing is checked
    assert check_ages_add_up(singles.assign(open_age=False), totals, "population") == []
    assert check_ages_add_up(singles[singles["age"] != 1], totals, "population") == []
    # a small published inconsistency (one person in 1,200, one row) is reported, not refused
    big = singles.assign(value=[400.0, 400.0, 400.0])
    one_off = totals.assign(value=1201.0)
    [warning] = check_ages_add_up(big, one_off, "population")
    assert "reported a small inconsistency" in warning and "1200.0" in warning and "1201.0" in warning
    with pytest.raises(DataValidationError):
        check_ages_add_up(big, one_off, "population", strict=True)


# -- the build -----------------------------------------------------------------------------
POP_HEADER = "territory,year,sex,age,value\n"


def _pop_file(path, published_2015: tuple[int, int, int] = (12, 24, 36)):
    """Visaginas at 1 January 2014 and 2015: ages 0, 1 and 2+ (the open group) of each sex
    (male 3, 4, 5; female twice that; total three times) and the all-ages rows (12, 24, 36;
    in 2015 ``published_2015`` for male, female, total)."""
    rows = []
    for year in (2014, 2015):
        for sex, k in (("male", 1), ("female", 2), ("total", 3)):
            total = published_2015[k - 1] if year == 2015 else 12 * k
            rows += [f"Visaginas,{year},{sex},0,{3 * k}", f"Visaginas,{year},{sex},1,{4 * k}",
                     f"Visaginas,{year},{sex},2+,{5 * k}", f"Visaginas,{year},{sex},total,{total}"]
    path.write_text(POP_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_build_writes_single_ages_and_totals_and_checks_them_against_each_other(data_dir, tmp_path):
    import_tidy(_pop_file(tmp_path / "pop.csv"), "population", data_dir=data_dir)
    report = store.build(data_dir)
    assert set(report.tables) == {"population", "population_total"}
    pop = store.load("population", data_dir=data_dir)
    assert pop["age"].notna().all() and pop["age"].dtype == "Int64"
    # a second source covers one single age of 2015 with another figure: the merged ages no
    # longer add up to the published total, and the build says where, with both figures
    fix = tmp_path / "fix.csv"
    fix.write_text(POP_HEADER + "Visaginas,2015,total,0,90\n", encoding="utf-8")
    import_tidy(fix, "population", data_dir=data_dir)  # the newer snapshot of the same source wins its cell
    before = store.current_tables(data_dir)["population"].read_bytes()
    with pytest.raises(DataValidationError) as err:
        store.build(data_dir)
    msg = str(err.value)
    assert "nothing in" in msg and "was changed" in msg
    assert "population vs population_total" in msg and "ages-add-up" in msg
    assert "30" in msg and "2015" in msg and "total" in msg and "117.0" in msg and "36.0" in msg  # 90 + 12 + 15
    assert "all-ages figure from" in msg
    assert store.current_tables(data_dir)["population"].read_bytes() == before


def test_import_refuses_a_file_whose_ages_do_not_add_up(data_dir, tmp_path):
    with pytest.raises(DataValidationError, match=r"pop\.csv: population vs population_total: check 'ages-add-up'"):
        import_tidy(_pop_file(tmp_path / "pop.csv", published_2015=(20, 40, 60)), "population", data_dir=data_dir)
    assert store.list_snapshots(data_dir) == []


def test_a_partial_build_rebuilds_the_all_ages_table_with_its_ages(data_dir, tmp_path):
    import_tidy(_pop_file(tmp_path / "pop.csv"), "population", data_dir=data_dir)
    store.build(data_dir)
    report = store.build(data_dir, datasets=["population"])
    assert set(report.tables) == {"population", "population_total"}


def _write_old_shape_table(data_dir, name: str) -> None:
    """Overwrite a published table with the shape of an older build: all-ages rows with a missing age."""
    path = store.current_tables(data_dir)[name]
    singles = pd.read_parquet(path)
    totals = pd.read_parquet(store.current_tables(data_dir)[f"{name}_total"])
    # a typed missing age: an all-NA object column in a concat is deprecated (FutureWarning in pandas 2)
    totals = totals.assign(age=pd.array([pd.NA] * len(totals), dtype="Int64"), open_age=False)
    old = pd.concat([totals, singles], ignore_index=True)
    path.unlink()  # (a hard link shared with an earlier generation is left alone)
    old.to_parquet(path)


def test_an_old_build_is_refused_with_the_command_that_rebuilds_it(data_dir, tmp_path, capsys):
    import_tidy(_pop_file(tmp_path / "pop.csv"), "population", data_dir=data_dir)
    store.build(data_dir)
    _write_old_shape_table(data_dir, "population")
    store._CACHE.clear()
    with pytest.raises(DataValidationError, match="older version.*run 'cityindicators build'"):
        store.load("population", data_dir=data_dir)
    with pytest.raises(DataValidationError, match="cityindicators build"):
        load_data(data_dir=data_dir)
    code = main(["--data-dir", str(data_dir), "indicators", "--territory", "Visaginas", "--year", "2015"])
    err = capsys.readouterr().err
    assert code != 0 and "run 'cityindicators build'" in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
    # the raw snapshots are immutable: a build from them writes the new shape
    store.build(data_dir)
    assert store.load("population", data_dir=data_dir)["age"].notna().all()


# -- loaded frames sum correctly by any key ----------------------------------------------
def _assert_sums_consistent(pop: pd.DataFrame, both: pd.DataFrame, totals: pd.DataFrame) -> None:
    """Summed by year, by (year, age) and by (year, sex), a single-age frame of the two sexes
    (``pop``) agrees with its both-sexes frame (``both``), with the all-ages table and with
    itself, with no key missing."""
    keys = ["territory_code", "year", "sex", "age"]
    assert not pop[keys].isna().any().any() and set(pop["sex"]) == {"male", "female"}
    assert set(both["sex"]) == {"total"}
    by_year = both.groupby(["territory_code", "year"])["value"].sum()
    by_year_age = both.groupby(["territory_code", "year", "age"])["value"].sum()
    assert by_year_age.groupby(level=[0, 1]).sum().equals(by_year)
    by_year_sex = pop.groupby(["territory_code", "year", "sex"])["value"].sum()
    published = totals.set_index(["territory_code", "year", "sex"])["value"]
    joined = pd.concat({"sum": by_year_sex, "published": published}, axis=1, join="inner")
    assert len(joined) == len(by_year_sex)
    # exact, up to the published inconsistencies the build reports (a few persons at most)
    assert ((joined["sum"] - joined["published"]).abs() <= 0.02 * joined["published"]).all()
    added = by_year_sex.groupby(level=[0, 1]).sum()
    assert ((added - by_year.reindex(added.index)).abs() <= 0.02 * by_year.reindex(added.index)).all()


def _loaders(data_dir):
    def of(load):
        return load("population"), load("population", sex="total"), load("population_total")
    yield "store.load", *of(lambda name, **kw: store.load(name, data_dir=data_dir, **kw))
    data = load_data(data_dir=data_dir)
    yield "indicators.load_data", data["population"], data[both_sexes_key("population")], data["population_total"]
    yield "cityindicators.load", *of(lambda name, **kw: ci.load(name, data_dir=data_dir, **kw))


def test_loaded_demo_frames_sum_correctly_by_any_key(demo_dir):
    for name, pop, both, totals in _loaders(demo_dir):
        _assert_sums_consistent(pop, both, totals)
        exact = pop.groupby(["territory_code", "year", "sex"])["value"].sum()
        assert exact.equals(totals.set_index(["territory_code", "year", "sex"])["value"].reindex(exact.index)), name
    deaths = store.load("deaths", data_dir=demo_dir)
    deaths_total = store.load("deaths_total", data_dir=demo_dir).set_index(["territory_code", "year", "sex"])["value"]
    by_sex = deaths.groupby(["territory_code", "year", "sex"])["value"].sum()
    assert by_sex.equals(deaths_total.reindex(by_sex.index))  # the demo publishes deaths by every single age


def test_loaded_real_frames_sum_correctly_by_any_key(real_data_dir):
    for _name, pop, both, totals in _loaders(real_data_dir):
        _assert_sums_consistent(pop, both, totals)
    vis = store.load("population", "Visaginas", 2015, sex="total", data_dir=real_data_dir)
    assert vis.groupby("year")["value"].sum().item() == 20_249  # the figure, not double it
    assert vis.groupby(["year", "age"])["value"].sum().sum() == 20_249
    assert store.load("population_total", "Visaginas", 2015, sex="total", data_dir=real_data_dir)["value"].item() == 20_249
    # deaths: the extract gives infant deaths beside the total; the total has its own table
    deaths = store.load("deaths", sex="total", data_dir=real_data_dir)  # of both sexes only
    assert set(deaths["age"]) == {0}
    assert len(store.load("deaths_total", sex="total", data_dir=real_data_dir))
