"""Report formats and defaults: defaults from the territory's own data, the manifest's library
versions, the parameters cell parsed once, the XLSX/CSV tables, SVG and 300-dpi charts, PDF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from cityindicators.demo import DEMO_FIRST_YEAR, DEMO_LAST_YEAR
from cityindicators.reports import runner


@pytest.fixture(scope="module")
def short_dir(demo_dir, tmp_path_factory) -> Path:
    """The demo store in which one municipality (X13) has three years fewer than the others,
    as when the real extract (to 2018) and the demo data (to 2025) share a data directory."""
    d = tmp_path_factory.mktemp("short") / "data"
    shutil.copytree(demo_dir, d)
    table = d / "processed" / "population.parquet"
    pop = pd.read_parquet(table)
    pop = pop[~((pop["territory_code"] == "X13") & (pop["year"] > DEMO_LAST_YEAR - 3))]
    pop.to_parquet(table, index=False)
    return d


def test_key_period_defaults_to_the_territorys_own_years(short_dir):
    from cityindicators.reports import sections

    ctx = sections.setup("X13", language="en", years=[], data_dir=short_dir, show=False)
    assert ctx.years == (DEMO_FIRST_YEAR, DEMO_LAST_YEAR - 3)
    other = sections.setup("X12", language="en", years=[], data_dir=short_dir, show=False)
    assert other.years == (DEMO_FIRST_YEAR, DEMO_LAST_YEAR)
    with pytest.raises(runner.ReportParameterError, match=f"cover {DEMO_FIRST_YEAR}-{DEMO_LAST_YEAR - 3}"):
        sections.setup("X13", language="en", years=[DEMO_FIRST_YEAR, DEMO_LAST_YEAR], data_dir=short_dir, show=False)


def test_scenarios_base_year_defaults_to_the_territorys_last_year(short_dir):
    from cityindicators.reports import sections

    ctx = sections.setup_scenarios("X13", scenarios=["baseline"], horizon=DEMO_LAST_YEAR + 5, language="en",
                                   data_dir=short_dir, trajectories=0, show=False)
    assert ctx.cache["projection"].base_year == DEMO_LAST_YEAR - 3
    assert ctx.years == (DEMO_FIRST_YEAR, DEMO_LAST_YEAR - 3)


def test_parameters_cell_parsed_once_per_file_version(tmp_path, monkeypatch):
    src = runner.template_path("situation_analysis")
    path = tmp_path / "situation_analysis.ipynb"
    shutil.copy(src, path)
    calls = []
    real = runner.read_parameters
    monkeypatch.setattr(runner, "read_parameters", lambda nb: calls.append(nb) or real(nb))
    for lang in ("lt", "en", "lt"):
        assert runner.validate_parameters(path, {"language": lang})["language"] == lang
    assert len(calls) == 1
    path.write_text(path.read_text(encoding="utf-8").replace("peer group", "peer group "), encoding="utf-8")
    runner.validate_parameters(path, {})
    assert len(calls) == 2  # a changed file is read again


def test_library_versions_are_the_installed_ones():
    import matplotlib
    import numpy
    import papermill

    v = runner.library_versions()
    assert v["pandas"] == pd.__version__ and v["numpy"] == numpy.__version__
    assert v["matplotlib"] == matplotlib.__version__ and v["papermill"] == papermill.__version__
