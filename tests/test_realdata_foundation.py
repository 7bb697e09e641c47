"""Acceptance tests on the real shared extract (skipped when ../shared/data is absent)."""

from __future__ import annotations

import pytest

from cityindicators import store
from cityindicators.sources.extract import import_osp_extract
from cityindicators.sources.files import import_indicators

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def real_dir(shared_data, tmp_path_factory):
    d = tmp_path_factory.mktemp("real")
    res = import_osp_extract(shared_data / "lt-osp", data_dir=d)
    import_indicators(shared_data / "lt-municipal-2016" / "indicators.csv", data_dir=d)
    store.build(d)
    return d, res


def test_visaginas_2015_population(real_dir):
    d, _ = real_dir
    pop = store.load("population", territories="Visaginas mun.", years=2015, sex="total", data_dir=d)
    total = store.load("population_total", territories="Visaginas mun.", years=2015, sex="total", data_dir=d)
    assert total["value"].item() == 20_249
    assert pop["value"].sum() == 20_249  # single ages only: the sum is the population, not double it


def test_all_71_territories_and_years(real_dir):
    d, _ = real_dir
    pop = store.load("population", sex="total", data_dir=d)
    assert pop["territory_code"].nunique() == 71
    assert sorted(pop["year"].unique()) == list(range(2001, 2019))  # the extract runs to 1 January 2018


def test_totals_match_the_files(real_dir, shared_data):
    import pandas as pd

    d, _ = real_dir
    raw = pd.read_csv(shared_data / "lt-osp" / "population.csv", sep=";")
    raw_total = raw.loc[raw["Age"] == -1, "Total"].sum()
    assert store.load("population_total", sex="total", data_dir=d)["value"].sum() == raw_total
    births = pd.read_csv(shared_data / "lt-osp" / "births.csv", sep=";")
    assert store.load("births", sex="total", data_dir=d)["value"].sum() == births["Total"].sum()


def test_small_published_inconsistencies_are_reported(real_dir):
    _, res = real_dir
    assert any("sexes-add-up" in w for w in res.warnings)


def test_municipalities_sum_to_country(real_dir):
    from cityindicators import get_register

    d, _ = real_dir
    munis = [t.code for t in get_register().municipalities()]
    pop = store.load("population_total", sex="total", data_dir=d)
    by_year = pop[pop["territory_code"].isin(munis)].groupby("year")["value"].sum()
    country = pop[pop["territory_code"] == "00"].set_index("year")["value"]
    assert (by_year - country).abs().max() == 0


def test_published_indicators(real_dir):
    d, _ = real_dir
    ind = store.load("published_indicators", data_dir=d)
    assert ind["territory_code"].nunique() == 60
    assert ind["value"].isna().sum() == 1


def test_the_2016_indicator_file_passes_the_catalogue_checks(shared_data, tmp_path, capsys):
    """``import indicators`` of the real 2016 cross-section: every unit is the catalogue's (after its
    spellings: ``fraction``, ``count`` for businesses per 100), every value within its indicator's
    bounds, every indicator known (no warning), and the file is stored."""
    from cityindicators.cli import main
    from cityindicators.indicators.published import check_published_table
    from cityindicators.sources.files import parse_indicator_file

    f = shared_data / "lt-municipal-2016" / "indicators.csv"
    if not f.exists():
        pytest.skip(f"the 2016 municipal indicators file is not in the real data folder ({f})")
    table = parse_indicator_file(f)["published_indicators"]
    assert check_published_table(table, f) == []
    assert main(["--data-dir", str(tmp_path / "data"), "import", "indicators", str(f)]) == 0
    out = capsys.readouterr()
    assert "warning:" not in out.out and "error:" not in out.err, out
    assert len(list((tmp_path / "data" / "raw" / "indicators" / "indicators").glob("*.csv"))) == 1
