"""Register of breaks, comparison-table figures recomputed with the library, relative change
ranks, the components chart's total and the labour section (issue 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cityindicators import plotting
from cityindicators.exceptions import DataValidationError
from cityindicators.i18n import fmt_int
from cityindicators.indicators import comparison_table, compute_indicators, rank_table
from cityindicators.indicators.breaks import break_crossed, break_notes, breaks_for, load_breaks, own_break_mask
from cityindicators.reports import sections


# -- the register -------------------------------------------------------------------------------


def test_register_holds_the_issue_breaks():
    reg = load_breaks()
    assert list(reg.columns) == ["territory", "year", "series", "kind", "note_lt", "note_en"]
    keys = {(r.territory, r.year, r.kind) for r in reg.itertuples()}
    assert {("*", 2010, "outlier"), ("*", 2011, "level"), ("30", 2005, "level")} <= keys
    assert all(r.note_lt and r.note_en for r in reg.itertuples())
    # a note follows the colon of "Laiko eilutės lūžiai (pažymėti grafike): ..." and another note's
    # "; ": no colon of its own (it read "2011 m. gyventojų surašymas: gyventojų skaičiaus šuolis"),
    # and it names its year
    for r in reg.itertuples():
        assert ":" not in r.note_lt and ":" not in r.note_en, r
        assert str(r.year) in r.note_lt and str(r.year) in r.note_en, r


def test_breaks_concern_indicators_by_id_or_dataset():
    # population density of Visaginas (30) only; the census through the population dataset
    assert set(breaks_for("population_density", "30")["year"]) == {2005}
    assert breaks_for("population_density", "13").empty
    assert 2011 in set(breaks_for("crude_birth_rate", "13")["year"])  # reads population
    assert set(breaks_for("crude_net_migration_rate")["year"]) >= {2010}


@pytest.mark.parametrize("kind,year,y0,y1,crossed", [
    ("level", 2005, 2001, 2015, True), ("level", 2005, 2005, 2015, False), ("level", 2005, 2001, 2005, True),
    ("level", 2005, 2006, 2015, False), ("level", 2011, 2015, 2001, True),
    ("outlier", 2010, 2010, 2012, True), ("outlier", 2010, 2001, 2009, False), ("outlier", 2010, 2010, None, True),
    ("level", 2011, 2011, None, False),
])
def test_break_crossed_hand_worked(kind, year, y0, y1, crossed):
    assert break_crossed(kind, year, y0, y1) is crossed


def test_own_break_mask_and_notes():
    mask = own_break_mask(["population_density", "population"], ["13", "30"], 2001, 2015)
    assert mask.tolist() == [[False, True], [False, False]]  # the census is everyone's: not an own break
    notes = break_notes(["population_density"], "30", 2001, 2015, "en")
    assert [y for y, _ in notes] == [2005] and "area" in notes[0][1]  # density is its own dataset


def test_own_break_kept_out_of_z_scores(shared_data, real_store):
    table = comparison_table("Visaginas", 2015, year_from=2001, indicators=["population_density", "population"],
                             data_dir=real_store)
    row = table.set_index("indicator").loc["population_density"]
    assert np.isnan(row["z_score"])  # its own break: no z-score (the issue's -7.32 was an artefact)
    assert "area" in table.set_index("indicator").loc["population_density", "break"] or \
        "plotas" in table.set_index("indicator").loc["population_density", "break"]
    # another municipality's z-score is computed without Visaginas's change
    other = comparison_table("Alytus city", 2015, year_from=2001, indicators=["population_density"],
                             data_dir=real_store).iloc[0]
    ch = rank_table("population_density", 2015, year_from=2001, data_dir=real_store, change="absolute")
    vals = ch.set_index("territory_code")["value"].drop("30")
    z = (other["value"] - vals.mean()) / vals.std(ddof=0)
    assert other["z_score"] == pytest.approx(z)


# -- rank of changes --------------------------------------------------------------------------


def _rank_frames():
    pop = pd.DataFrame({"territory_code": ["X11", "X12", "X13"] * 2, "year": [2001] * 3 + [2002] * 3,
                        "sex": "total", "value": [100000.0, 1000.0, 5000.0, 95000.0, 800.0, 5100.0]})
    return {"population_total": pop}


def test_rank_change_relative_by_default_for_counts():
    # -5,000 of 100,000 is -5 %; -200 of 1,000 is -20 %: the small one fell more steeply
    rel = rank_table("population", 2002, year_from=2001, data=_rank_frames(), synthetic=True)
    assert rel.attrs["change"] == "relative" and rel.attrs["unit"] == "%"
    assert rel.set_index("territory_code")["value"].round(6).to_dict() == {"X13": 2.0, "X11": -5.0, "X12": -20.0}
    assert rel["territory_code"].tolist() == ["X13", "X11", "X12"]
    ab = rank_table("population", 2002, year_from=2001, data=_rank_frames(), synthetic=True, change="absolute")
    assert ab["territory_code"].tolist() == ["X13", "X12", "X11"]
    assert ab.set_index("territory_code")["value"].to_dict() == {"X13": 100.0, "X12": -200.0, "X11": -5000.0}


def test_rank_of_an_indicator_without_data_says_so():
    with pytest.raises(DataValidationError, match="no municipality has a value in 2002"):
        rank_table("registered_unemployed_ratio", 2002, data=_rank_frames(), synthetic=True)


def test_rank_cli_without_data_one_line(demo_dir, capsys):
    from cityindicators.cli import main

    assert main(["--data-dir", str(demo_dir), "rank", "--indicator", "life_expectancy", "--year", "2001"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no municipality has a value" in err[0]


# -- components chart ------------------------------------------------------------------------


def test_total_change_only_where_all_components_exist():
    frame = pd.DataFrame({"year": [2016, 2016, 2016, 2017, 2017], "component": ["births", "deaths", "net_migration",
                                                                                  "births", "deaths"],
                          "value": [100.0, 150.0, -30.0, 90.0, 160.0]})
    fig = plotting.components_of_change(frame, "en", name="X", breaks=[(2016.0, "2016 test")])
    ax = fig.axes[0]
    total = [ln for ln in ax.get_lines() if ln.get_label() == "Total change"][0]
    y = np.asarray(total.get_ydata(), dtype=float)
    assert y[0] == pytest.approx(100 - 150 - 30) and np.isnan(y[1])  # 2017 has natural change only
    assert any(tx.get_text() == "2016 test" for tx in ax.texts)
    assert ax.get_legend() is None and fig.legends  # the legend is under the chart, not over the title
    import matplotlib.pyplot as plt

    plt.close(fig)
    # the shaded key period is named in the legend, as on the population chart
    shaded = plotting.components_of_change(frame, "lt", name="X", key_period=[2016, 2017])
    assert "Analizuojamas laikotarpis 2016–2017" in [x.get_text() for x in shaded.legends[0].get_texts()]
    plt.close(shaded)


# -- the report's comparison and labour sections ------------------------------------------------


@pytest.fixture(scope="module")
def real_store(shared_data, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("realc") / "data"
    cmd = [sys.executable, "-m", "cityindicators", "--data-dir", str(d)]
    subprocess.run(cmd + ["import", "osp-extract", str(shared_data / "lt-osp")], check=True, capture_output=True)
    subprocess.run(cmd + ["import", "indicators", str(shared_data / "lt-municipal-2016" / "indicators.csv")],
                   check=True, capture_output=True)
    subprocess.run(cmd + ["build"], check=True, capture_output=True)
    return d


def _context(monkeypatch, territory, data_dir, lang="lt"):
    shown: list = []
    monkeypatch.setattr(sections.display, "_display", lambda obj, **kw: shown.append(obj))
    return sections.setup(territory, language=lang, data_dir=data_dir, show=False), shown


def _check_comparison(ctx, table, data_dir):
    years = table.set_index("indicator")["year"]
    ind = compute_indicators(list(table["indicator"]), data_dir=data_dir)
    for indicator, year in years.items():
        own = ind[(ind["indicator"] == indicator) & (ind["territory_code"] == ctx.code)].dropna(subset=["value"])
        assert year == own.loc[own["year"] <= ctx.years[1], "year"].max(), indicator  # its latest year
        members = ind[(ind["indicator"] == indicator) & (ind["year"] == year)
                      & ind["territory_code"].isin(table.attrs["similar_codes"])]
        got = float(table.set_index("indicator").loc[indicator, "similar"])
        assert got == pytest.approx(members["value"].mean()), indicator  # a mean, not a sum


def test_comparison_on_demo(monkeypatch, demo_dir):
    ctx, shown = _context(monkeypatch, "X13", demo_dir)
    table = sections.comparison(ctx)
    _check_comparison(ctx, table, demo_dir)
    assert "peers" not in table  # default peers are the similar municipalities: no duplicate column
    html = shown[1].to_html()
    pop = table.set_index("indicator").loc["population", "value"]
    assert f">{fmt_int(pop, 'lt')}<" in html  # a count shown without decimals
    assert "Panašiausios savivaldybės (pagal šiuos rodiklius:" in shown[2].data


@pytest.mark.realdata
def test_comparison_on_real_data_rates_in_their_own_year(monkeypatch, real_store):
    ctx, _ = _context(monkeypatch, "Visaginas", real_store, "en")
    table = sections.comparison(ctx)
    _check_comparison(ctx, table, real_store)
    years = table.set_index("indicator")["year"]
    last = ctx.years[1]
    assert years["population"] == last and years["crude_birth_rate"] == last - 1  # events end a year earlier
    assert table.set_index("indicator")[["value", "similar"]].notna().all().all()  # no "–"
    # population of the similar municipalities: the mean (the issue's 194,285 was a sum of counts)
    assert table.set_index("indicator").loc["population", "similar"] < 2 * table["value"].iloc[0] * 10


@pytest.mark.realdata
def test_labour_section_uses_the_published_indicators(monkeypatch, real_store):
    ctx, shown = _context(monkeypatch, "Visaginas", real_store, "en")
    table = sections.labour(ctx)
    assert isinstance(table, pd.DataFrame)
    assert {"pub_unemployment_rate", "pub_average_net_monthly_earnings"} <= set(table["indicator"])
    assert set(table["year"]) == {2016}
    texts = [o.data for o in shown if hasattr(o, "data") and isinstance(o.data, str)]
    assert any("Published municipal indicators (2016)" in x for x in texts)
    assert not any("not available" in x for x in texts)


def test_labour_section_names_the_missing_datasets(monkeypatch, tmp_path):
    from cityindicators.demo import build_demo

    d = tmp_path / "data"
    build_demo(d)
    (d / "processed" / "labour.parquet").unlink()
    for lang in ("en", "lt"):
        ctx, shown = _context(monkeypatch, "X13", d, lang)
        assert sections.labour(ctx) is None
        said = shown[-1].data
        # the datasets by name and how to get each in the user's terms (the README's fetch and import), no
        # "command" jargon ("komanda fetch")
        assert "„labour“" in said if lang == "lt" else "neither the dataset 'labour'" in said
        assert "published_indicators" in said
        assert "`cityindicators fetch unemployed_ratio registered_unemployed earnings`" in said
        assert "`cityindicators import indicators " in said and "cityindicators build" in said
        assert "komand" not in said.lower() and "command" not in said.lower()


def test_labour_texts_without_the_series_say_how_to_fetch_them_in_both_languages():
    from cityindicators.i18n import t
    from cityindicators.reports.sections.situation import labour_how_to_get

    for lang in ("en", "lt"):
        said = t("labour_series_missing", lang, **labour_how_to_get(lang))
        assert "`cityindicators fetch unemployed_ratio registered_unemployed earnings`" in said
        assert "komand" not in said.lower() and "command" not in said.lower()


def test_population_chart_marks_the_census_break(monkeypatch, demo_dir):
    ctx, shown = _context(monkeypatch, "X13", demo_dir, "en")
    sections.population_trend(ctx)
    texts = [o.data for o in shown if isinstance(getattr(o, "data", None), str)]
    if min(ctx.data_years) < 2011 <= max(ctx.data_years):
        assert any("Breaks in the series" in x and "2011 census" in x for x in texts)


def test_peer_labels_tell_a_city_from_the_district_of_its_name():
    """The grey lines' labels drop the type words, except where two municipalities would read the same
    (Kaunas district's peers had Šiaulių m. and Šiaulių r. both labelled "Šiaulių")."""
    from cityindicators.reports.sections.situation import short_names

    assert short_names({"52": "Kauno r. sav.", "a": "Šiaulių m. sav.", "b": "Šiaulių r. sav.", "c": "Trakų r. sav.",
                        "k": "Kauno m. sav.", "x": "Kalvarijos sav."}) == {
        "52": "Kauno r.", "a": "Šiaulių m.", "b": "Šiaulių r.", "c": "Trakų", "k": "Kauno m.", "x": "Kalvarijos"}
    assert short_names({"a": "Šiauliai City Municipality", "b": "Šiauliai District Municipality",
                        "c": "Trakai District Municipality", "d": "Visaginas Municipality", "e": "Neringa"}) == {
        "a": "Šiauliai City", "b": "Šiauliai District", "c": "Trakai", "d": "Visaginas", "e": "Neringa"}


@pytest.mark.parametrize("lang", ["lt", "en"])
def test_migration_chart_names_the_years_of_its_events_as_the_text_under_it(monkeypatch, demo_dir, lang):
    """The chart summed the events of 2001-2017 (1 January 2001 to 1 January 2018) but its legend said
    "2001–2018", while the findings under it said "2001–2017": one period, one name."""
    import matplotlib.pyplot as plt

    ctx, shown = _context(monkeypatch, "X13", demo_dir, lang)
    y0, y1 = ctx.years
    fig = sections.migration(ctx)
    try:
        period = f"{y0}–{y1 - 1}"
        assert set(plotting.chart_data(fig)["period"]) == {period}
        legend = [x.get_text() for x in fig.legends[0].get_texts()] if fig.legends else \
            [x.get_text() for ax in fig.axes if ax.get_legend() for x in ax.get_legend().get_texts()]
        assert period in legend and f"{y0}–{y1}" not in legend
        texts = [o.data for o in shown if isinstance(getattr(o, "data", None), str)]
        assert any(str(y1 - 1) in x and f"{y0}" in x for x in texts)  # the sentence under the chart says the same
    finally:
        plt.close(fig)
