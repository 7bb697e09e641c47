"""Planner sections: service age groups and the annex of indicator definitions (issue 12)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cityindicators.reports import sections
from cityindicators.reports.sections import planner


def test_service_group_totals_hand_worked():
    ages = [0, 6, 7, 17, 18, 29, 30, 64, 65, 79, 80, 85]
    pop = pd.DataFrame({"scenario": "s", "year": 2020, "sex": ["male", "female"] * len(ages),
                        "age": [a for a in ages for _ in (0, 1)], "value": 1.0})
    pop = pd.concat([pop, pop.assign(sex="total", value=100.0)])  # totals are not counted twice
    out = planner.service_group_totals(pop)
    assert out["group"].tolist() == ["0-6", "7-17", "18-29", "30-64", "65-79", "80+"]
    assert out["value"].tolist() == [4.0, 4.0, 4.0, 4.0, 4.0, 4.0]  # 85 (the open group) is in 80+


def test_annex_names_units_definitions_and_table_codes():
    table = planner.indicator_annex(["population", "crude_birth_rate", "pub_unemployment_rate"], "en")
    rows = table.set_index("Indicator")
    assert rows.loc["Population", "Statistics Lithuania tables"] == "S3R167_M3010202"
    assert set(rows.loc["Crude birth rate", "Statistics Lithuania tables"].split(", ")) == \
        {"S3R167_M3010202", "S3R180_M3010501_1"}
    assert "imported table of published indicators" in rows.loc["Unemployment rate", "Statistics Lithuania tables"]
    assert rows.loc["Population", "Unit"] == "persons" and rows.loc["Population", "Definition (formula)"]


def test_every_catalogue_indicator_has_lithuanian_and_english_definitions_and_units():
    from cityindicators.indicators.catalogue import CATALOGUE, UNIT_LABELS

    for ind in CATALOGUE.values():
        assert ind.definition_in("en") == ind.definition and ind.definition_in("lt") == ind.definition_lt
        assert ind.definition and ind.definition_lt and ind.definition_lt != ind.definition, ind.id
        assert ind.unit in UNIT_LABELS, f"{ind.id}: unit {ind.unit!r} has no Lithuanian label"
        assert ind.unit_label("lt") and ind.unit_label("en"), ind.id
        # written for planners: no module names of the package
        assert "indicators." not in ind.definition + ind.definition_lt, ind.id


def test_one_name_per_indicator_in_each_language():
    """A published indicator and the computed one of the same meaning are told apart ("(paskelbta)")."""
    from cityindicators.indicators.catalogue import CATALOGUE

    for lang in ("lt", "en"):
        names = [ind.name(lang) for ind in CATALOGUE.values()]
        assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
        assert not [n for n in names if re.search(r"\d-\d", n)], "age ranges take an en dash (0–14), not a hyphen"


def test_lithuanian_annex_is_in_lithuanian():
    table = planner.indicator_annex(["population", "crude_birth_rate", "sex_ratio", "pub_unemployment_rate"], "lt")
    rows = table.set_index("Rodiklis")
    assert rows.loc["Gyventojų skaičius", "Apibrėžtis (formulė)"] == "Nuolatinių gyventojų skaičius sausio 1 d. (P)."
    assert "vidutinis metinis gyventojų skaičius" in rows.loc["Gimstamumo rodiklis", "Apibrėžtis (formulė)"]
    assert rows.loc["Vyrų skaičius 100 moterų", "Matavimo vnt."] == "vyrų 100 moterų"
    assert rows.loc["Gimstamumo rodiklis", "Matavimo vnt."] == "‰ (1 000 gyv.)"
    assert rows.loc["Nedarbo lygis", "Apibrėžtis (formulė)"].startswith("Kaip paskelbta")


@pytest.mark.slow
def test_service_groups_and_target_sections_on_demo(demo_dir, monkeypatch):
    from cityindicators.i18n import t

    shown: list = []
    charts: list = []
    monkeypatch.setattr(sections.display, "_display",
                        lambda obj, **kw: (shown.append(obj), charts.append(kw.get("metadata", {}).get("cityindicators_chart"))))
    ctx = sections.setup_scenarios("X13", scenarios=["baseline", "zero-migration"], horizon=2040, data_dir=demo_dir,
                                   trajectories=0, show=False, language="en")
    table = sections.service_groups(ctx)
    res = ctx.projection
    # the section's sums from the engine's arrays are the frame's group-by, to 1e-9 of a person
    pd.testing.assert_frame_equal(planner.projected_service_group_totals(res, "X13"), planner.service_group_totals(
        res.population[res.population["territory_code"] == "X13"]), check_exact=False, rtol=1e-13, atol=1e-9)
    pop = res.population[(res.population["territory_code"] == "X13") & (res.population["scenario"] == "baseline")
                         & (res.population["year"] == 2040) & res.population["sex"].isin(["male", "female"])]
    kids = pop[pop["age"].astype(float) <= 6]["value"].sum()
    first = table[(table["Age group"] == table["Age group"].iloc[0]) & (table["Scenario"] == table["Scenario"].iloc[0])]
    assert first["2040"].iloc[0] == pytest.approx(kids)  # 0-6 of the first scenario
    assert len(table) == 6 * 2 and len(table.columns) <= 6  # a row per group and scenario: fits an A4 page
    # the table's caption is not the chart's title again (issue 12: each said once)
    styler = next(obj for obj in shown if hasattr(obj, "caption"))
    chart_title = t("t_service_groups", "en", name=ctx.name)
    assert t("t_service_groups_table", "en", name=ctx.name) in styler.caption and chart_title not in styler.caption
    base = pop = res.population[(res.population["territory_code"] == "X13") & (res.population["year"] == res.base_year)
                                & (res.population["scenario"] == "baseline") & res.population["sex"].isin(["male", "female"])]
    old = base[base["age"].astype(float) >= 80]["value"].sum()
    last = table[table["Scenario"] == table["Scenario"].iloc[0]].iloc[-1]
    assert last.iloc[2] == pytest.approx(old)  # 80+ in the base year, the open top age included
    found = sections.target(ctx, population=1, year=2040)
    assert len(found) == 2 and all("already met" in f.text for f in found)  # one sentence per scenario
    assert {"service_groups", "target"} <= set(charts)
    # the years' columns written like the base year's ("2018 m. (bazė) | 2028 m. | 2050 m."), a year
    # and its "m." kept together by a no-break space where the header wraps
    assert [t("col_base_year", "lt", year=2018), t("col_year_of", "lt", year=2028),
            t("col_change_pct", "lt", year=2050)] == ["2018\u00a0m. (bazė)", "2028\u00a0m.", "pokytis iki 2050\u00a0m., %"]
    assert table.columns[2] == t("col_base_year", "en", year=res.base_year) and table.columns[-1] == "change to 2040, %"


@pytest.mark.slow
def test_working_age_target_section_on_demo(demo_dir, monkeypatch):
    from cityindicators.indicators import compute_indicators

    figures: list = []
    monkeypatch.setattr(sections.display, "_display", lambda obj, **kw: None)
    monkeypatch.setattr(planner, "show_figure", lambda fig, **kw: figures.append(fig))  # where the section calls it
    ctx = sections.setup_scenarios("X13", scenarios=["baseline", "zero-migration"], horizon=2040, data_dir=demo_dir,
                                   trajectories=0, show=False, language="en")
    base = ctx.projection.base_year
    found = sections.working_age_target(ctx, working_age=0, year=2040)  # 0: keep the base year's number
    observed = compute_indicators(["working_age_population"], ["X13"], [base], data_dir=demo_dir)["value"].iloc[0]
    assert [f.values["target"] for f in found] == [pytest.approx(observed)] * 2
    assert all(f.values["kind"] == "working_age" and "working-age residents in 2040" in f.text for f in found)
    fig = figures[-1]
    from cityindicators import plotting

    assert fig.get_label() == "working_age_target"
    assert plotting.chart_title(fig).startswith("Working-age population by scenario and the target")
    ax = fig.axes[0]
    lines = [c for c in ax.collections if c.get_segments()]  # the dashed target line
    assert any(seg[0][1] == pytest.approx(observed / 1000) and seg[1][0] == 2040 for c in lines for seg in c.get_segments())
    assert any(ln.get_marker() == "D" and list(ln.get_xdata()) == [2040] for ln in ax.lines)  # the target's diamond
    met = sections.working_age_target(ctx, working_age=1, year=2040)
    assert all("the target is already met" in f.text for f in met)
    with pytest.raises(Exception, match="working_age_target"):
        from cityindicators.reports.runner import validate_parameters

        validate_parameters("scenarios", {"working_age_target": -5, "data_dir": str(demo_dir)})


def test_pyramid_draws_the_open_group_as_a_band():
    import matplotlib.pyplot as plt

    from cityindicators import plotting

    ages = list(range(86))
    frame = pd.DataFrame({"year": 2018, "sex": ["male"] * 86 + ["female"] * 86, "age": ages * 2,
                          "value": [10.0] * 85 + [500.0] + [10.0] * 85 + [250.0]})
    fig = plotting.pyramid_overlay(frame, [2018], "en", name="X")
    bands = [p for p in fig.axes[0].patches if p.get_hatch() == "///"]
    widths = sorted(round(abs(p.get_width()), 6) for p in bands)
    assert widths == [250.0 / plotting.OPEN_GROUP_SPAN, 500.0 / plotting.OPEN_GROUP_SPAN]
    assert all(p.get_height() == plotting.OPEN_GROUP_SPAN for p in bands)
    # the single ages (one outline of adjacent bars a sex): 10 a year, none as full as the band
    singles = [p for p in fig.axes[0].patches if p.get_hatch() != "///"]
    assert len(singles) == 2 and all(np.abs(p.get_data().values).max() == 10.0 for p in singles)
    assert all(list(p.get_data().edges) == [a - 0.5 for a in range(86)] for p in singles)
    assert any("85+ (open group" in tx.get_text() for tx in fig.axes[0].texts)
    plt.close(fig)


def test_annex_keeps_working_age_for_the_16_to_pension_age_group():
    # "working age" is 16 to the pension age in this tool (working_age_population); a definition
    # of a 15-64 ratio does not call 15-64 "working age"
    from cityindicators.indicators.catalogue import CATALOGUE

    for lang in ("lt", "en"):
        table = planner.indicator_annex(["potential_support_ratio", "ageing_index"], lang)
        text = " ".join(table.iloc[:, 2])
        assert "darbingo" not in text and "working age" not in text and ("15–64" in text or "15-64" in text)
    assert "working_age_population" in CATALOGUE


def test_english_annex_is_typeset_like_the_lithuanian():
    table = planner.indicator_annex(["share_0_14", "natural_change", "net_migration"], "en")
    text = " | ".join(table.iloc[:, 2])
    assert "P(0–14) / P × 100" in text and "B − D" in text and "P(1 Jan t+1)" in text
    assert " x " not in text and " - " not in text and "0-14" not in text
    lt = " | ".join(planner.indicator_annex(["share_0_14"], "lt").iloc[:, 2])
    assert "P(0–14) / P × 100" in lt
    # a variable minus a number takes the minus sign too, and a thousand its separator
    young = " | ".join(planner.indicator_annex(["net_migration_15_29", "crude_birth_rate"], "en").iloc[:, 2])
    assert "P(a\u22121, t)" in young and "a-1" not in young and "× 1,000" in young and "1000" not in young
    assert planner._typeset("P(a-1, t) x 1000 - B, aged 15-29, COVID-19") == \
        "P(a\u22121, t) \u00d7 1,000 \u2212 B, aged 15\u201329, COVID-19"


@pytest.mark.parametrize("lang", ["lt", "en"])
def test_dependency_ratios_have_one_unit_per_100_everywhere(lang, tmp_path):
    # the annex, the tables (catalogue unit), the chart's axis and the plan check say one unit:
    # persons per 100 aged 15-64 (the ageing index: per 100 aged 0-14), never "%"
    from cityindicators import plotting
    from cityindicators.i18n import t
    from cityindicators.indicators.catalogue import get_indicator
    from cityindicators.reports.monitoring import unit_label

    per_100 = {"lt": "asm. šimtui 15–64 m. gyv.", "en": "persons per 100 aged 15–64"}[lang]
    ids = ["old_age_dependency_ratio", "young_age_dependency_ratio", "total_dependency_ratio"]
    table = planner.indicator_annex(ids + ["ageing_index"], lang)
    assert table.iloc[:3, 1].tolist() == [per_100] * 3 and "0–14" in table.iloc[3, 1]
    assert "%" not in " ".join(table.iloc[:, 1])
    assert all(get_indicator(i).unit_label(lang) == per_100 for i in ids)
    assert unit_label(get_indicator(ids[0]).unit, lang) == per_100  # the monitoring report's texts
    assert t("per_100", lang).lower() == per_100  # the dependency chart's axis, capitalised
    frame = pd.DataFrame({"scenario": "baseline", "year": [2020, 2021], "indicator": ids[0], "value": [30.0, 31.0]})
    fig = plotting.dependency_ratios(frame, lang)
    assert fig.axes[0].get_ylabel().lower() == per_100
    assert plotting.chart_unit(fig, lang) == per_100  # the unit of the chart's sheet in the workbook
    fig.cityindicators_unit = get_indicator(ids[0]).unit  # a monitoring chart of the criterion
    assert plotting.chart_unit(fig, lang) == per_100



def test_a_number_keeps_its_unit_on_its_line(monkeypatch):
    """A printed line never starts with the unit of the number ending the line before ("(+25,5" / "%,
    palyginti", "(2018" / "m.)", read in the A4 PDFs): the space between them is a no-break space in
    the Markdown a section shows; other spaces, English and a unit run into a word stay as they were."""
    from cityindicators.reports.sections import display

    shown = []
    monkeypatch.setattr(display, "_display", lambda obj, **kw: shown.append(obj.data))
    display.show_markdown("būtų 116\u202f258 (+25,5 %, palyginti su 2018 m.); −14,0 ‰ 2030 m.; (20\u202f000–39\u202f999 "
                          "gyv.); 12 metų; kas 2 mėn.; 5 m.a; 2.0% & 3 %")
    nb = "\u00a0"
    assert shown == [f"būtų 116\u202f258 (+25,5{nb}%, palyginti su 2018{nb}m.); −14,0{nb}‰ 2030{nb}m.; "
                     f"(20\u202f000–39\u202f999{nb}gyv.); 12 metų; kas 2{nb}mėn.; 5 m.a; 2.0% &amp; 3{nb}%"]
    assert display.glue_units("Scenarijus „A“ 2050 m. gyventojų") == f"Scenarijus „A“ 2050{nb}m. gyventojų"


def test_scenario_charts_mark_the_breaks_of_the_observed_series(demo_dir, monkeypatch):
    """The scenario charts draw the observed series before the projections: its known breaks (the 2011
    census step) are marked on them, and said once under the first, as on the situation report's charts."""
    from cityindicators import plotting
    from cityindicators.reports.sections import display, targets

    c = sections.setup_scenarios("X13", scenarios=["baseline"], horizon=2030, language="lt", data_dir=demo_dir,
                                 trajectories=0, show=False)
    drawn, shown = [], []
    real = plotting.scenario_lines

    def lines(frame, **kw):
        drawn.append(kw.get("breaks"))
        return real(frame, **kw)

    monkeypatch.setattr(plotting, "scenario_lines", lines)
    # the sections' sentences (every context's show_markdown goes through display's), not their headings
    monkeypatch.setattr(display, "show_markdown", lambda text, names=(): text.startswith("#") or shown.append(text))
    sections.scenario_population(c)
    targets.target(c)
    planner.working_age_target(c)
    census = (2010.5, "2011 m. gyventojų surašymas")  # a step between 2010 and 2011, the note's head
    assert drawn == [[census]] * 3
    assert shown[0].startswith("Laiko eilutės lūžiai (pažymėti grafike): 2011 m. gyventojų surašymas")
    fig = real(c.projected_totals[["scenario", "year", "value"]], lang="lt", breaks=[census])
    assert "2011 m. gyventojų surašymas" in [x.get_text() for x in fig.axes[0].texts]
    q = pd.DataFrame({"year": [2018, 2019] * 3, "quantile": [0.1] * 2 + [0.5] * 2 + [0.9] * 2,
                      "value": [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]})
    fan = plotting.fan_chart(q, lang="lt", breaks=[census])
    assert "2011 m. gyventojų surašymas" in [x.get_text() for x in fan.axes[0].texts]


@pytest.mark.parametrize("lang, shown, unit, note", [
    ("lt", ["−30,0", "−10\u202f854", "−22,8", "616", "18\u202f686"], "‰ (1 000 gyv.)",
     "Ataskaitos lentelėse – ‰ (1 000 gyv.): paskelbta reikšmė × 1\u202f000."),
    ("en", ["−30.0", "−10,854", "−22.8", "616", "18,686"], "per 1,000",
     "In the report's tables: per 1,000, the published value × 1,000."),
])
def test_comparison_rows_show_whole_persons_and_rates_to_one_decimal(lang, shown, unit, note):
    """Net migration and every other count of persons (and euros) whole, rates one decimal; the published net
    migration, a fraction of the population (-0.030), per 1,000 residents as the computed rate beside it, in
    the table, its workbook copy and the annex (it was shown as "-0,030" with three decimals)."""
    from types import SimpleNamespace

    from cityindicators.i18n import t
    from cityindicators.reports.sections.compare import _comparison_display

    table = pd.DataFrame({
        "indicator": ["pub_net_migration", "net_migration", "crude_net_migration_rate",
                      "pub_average_net_monthly_earnings", "population"],
        "unit": ["fraction of population", "persons", "per 1000", "EUR", "persons"],
        "year": [2016, 2017, 2017, 2016, 2018], "value": [-0.03, -10854.4, -22.7657, 616.0, 18686.0],
        "country": [-0.018, -2000.0, -9.74, 700.5, 2808901.0], "rank": [56, 40, 46, 10, 47]})
    ctx = SimpleNamespace(lang=lang, peer_name="peers")
    disp = _comparison_display(ctx, table)
    assert disp[t("col_value", lang)].tolist() == shown
    assert disp[t("col_country", lang)].iloc[0] == ("−18,0" if lang == "lt" else "−18.0")
    assert disp[t("col_unit", lang)].iloc[0] == unit
    data = _comparison_display(ctx, table, formatted=False)  # the workbook's copy: numbers, in the unit it names
    assert data[t("col_value", lang)].iloc[0] == -30.0 and data[t("col_unit", lang)].iloc[0] == unit
    assert data[t("col_value", lang)].iloc[2] == pytest.approx(-22.7657)
    annex = planner.indicator_annex(["pub_net_migration", "crude_net_migration_rate"], lang)
    assert annex[t("col_unit", lang)].tolist() == [unit, unit]
    assert annex[t("col_definition", lang)].iloc[0].endswith(note)
