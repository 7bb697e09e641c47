"""Charts from tidy frames: titles and labels in the report language, a source line, the
synthetic-data note, the municipality highlighted, colour-blind-safe colours."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from cityindicators import plotting


def _texts(fig) -> str:
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_title(loc="left"), ax.get_xlabel(), ax.get_ylabel()]
        leg = ax.get_legend()
        if leg:
            out += [t.get_text() for t in leg.get_texts()]
    for leg in fig.legends:
        out += [t.get_text() for t in leg.get_texts()]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    return "\n".join(out)


YEARS = np.arange(2001, 2016)


def _trend():
    return pd.DataFrame({"year": YEARS, "value": np.linspace(30000, 20000, len(YEARS))})


def _pyramid():
    rows = [(y, s, a, 100.0 - a / 2) for y in (2001, 2015) for s in ("male", "female") for a in range(86)]
    return pd.DataFrame(rows, columns=["year", "sex", "age", "value"])


@pytest.mark.parametrize("lang, title, ylabel", [("lt", "Gyventojų skaičius metų pradžioje", "tūkst. asm."),
                                                 ("en", "Population at 1 January", "thousand persons")])
def test_population_trend_language_units_source(lang, title, ylabel):
    fig = plotting.population_trend(_trend(), lang=lang, name="Eglynas", key_period=(2001, 2015))
    text = _texts(fig)
    assert title in text and ylabel in text
    assert ("Šaltinis" if lang == "lt" else "Source") in text
    assert fig.get_label() == "population_trend"
    assert "2001–2015" in text


def test_synthetic_note_on_every_chart():
    fig = plotting.pyramid_overlay(_pyramid(), (2001, 2015), lang="en", name="Eglynas", synthetic=True)
    text = _texts(fig)
    assert "SYNTHETIC DEMONSTRATION DATA" in text
    assert "demo data generator" in text and "Statistics Lithuania" not in text
    real = _texts(plotting.pyramid_overlay(_pyramid(), (2001, 2015), lang="en", name="Visaginas"))
    assert "SYNTHETIC" not in real and "Statistics Lithuania" in real


def test_municipality_highlighted_against_peers():
    rows = [("share_65_plus", c, y, 10 + i + (y - 2001) * 0.3) for i, c in enumerate(["30", "31", "32"]) for y in YEARS]
    frame = pd.DataFrame(rows, columns=["indicator", "territory_code", "year", "value"])
    fig = plotting.ageing_indicators(frame, "30", lang="en", name="Visaginas", ranks={"share_65_plus": (60, 60, 2015)},
                                     units={"share_65_plus": "%"})
    ax = fig.axes[0]
    from matplotlib.colors import same_color

    colours = [line.get_color() for line in ax.get_lines()]
    # the peers' lines in grey, drawn together as one collection of lines
    grey = [seg for c in ax.collections if same_color(c.get_color()[0][:3], plotting.PEER_GREY) for seg in c.get_segments()]
    assert colours.count(plotting.HIGHLIGHT) == 1 and len(grey) == 2 and plotting.PEER_GREY not in colours
    assert "rank 60 of 60 in 2015" in ax.get_title(loc="left")
    assert ax.get_ylabel() == "%"


def test_palette_is_okabe_ito():
    assert plotting.OKABE_ITO[:3] == ("#0072B2", "#E69F00", "#009E73")


def test_components_working_age_youth():
    comp = pd.DataFrame([(y, c, v) for y in YEARS for c, v in (("births", 300), ("deaths", 400), ("net_migration", -200))],
                        columns=["year", "component", "value"])
    fig = plotting.components_of_change(comp, lang="lt", name="X")
    assert "Gimusieji" in _texts(fig) and "Neto migracija" in _texts(fig)
    wa = pd.DataFrame([(y, i, v) for y in YEARS for i, v in (("working_age_population", 18000), ("working_age_share", 64.0))],
                      columns=["year", "indicator", "value"])
    fig = plotting.working_age(wa, lang="en", name="X")
    assert "Working-age" in _texts(fig)
    yo = pd.DataFrame({"age": np.arange(86), "value": -np.exp(-((np.arange(86) - 24) / 5.0) ** 2) * 300})
    fig = plotting.youth_outflow(yo, lang="en", name="X")
    assert "Youth 15–29" in _texts(fig)


def test_migration_by_age_marks_the_open_group_and_says_the_age_is_at_the_end():
    """The cohort-residual ages are those at 1 January t+1 (the youth indicators count 15-29 then), and the
    open group 85+ is drawn hatched over OPEN_GROUP_SPAN years at its mean per year (as in the pyramid)
    and labelled, not as one very large year of age."""
    yo = pd.DataFrame({"age": np.arange(86), "value": 10.0})
    yo.loc[85, "value"] = -500.0
    fig = plotting.youth_outflow(yo, lang="lt", name="X", open_age=85)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Amžius laikotarpio pabaigoje (sausio 1 d.), metai"
    bars = [p for c in ax.containers for p in c]  # the bars (not the youth band's span)
    hatched = [p for p in bars if p.get_hatch()]
    assert len(hatched) == 1 and hatched[0].get_height() == pytest.approx(-500.0 / plotting.OPEN_GROUP_SPAN)
    assert hatched[0].get_x() == pytest.approx(84.5 + 0.05)
    assert len(bars) - 1 == 85 and all(p.get_height() == 10.0 for p in bars if not p.get_hatch())
    # in the legend, under the chart: a mean per year of age, not "per year" (the bars sum several calendar years)
    assert "85+ m. (atvira grupė, vidurkis vieneriems amžiaus metams)" in _texts(fig)
    assert "85+ (open group, mean per single year of age)" in _texts(plotting.youth_outflow(yo, lang="en", name="X",
                                                                                           open_age=85))
    assert ax.get_legend() is None and fig.legends
    assert plotting.chart_data(fig)["value"].iloc[-1] == -500.0  # the workbook keeps the group's own total
    en = plotting.youth_outflow(yo, lang="en", name="X")  # without an open group: every age a bar
    assert en.axes[0].get_xlabel() == "Age at the end of the period (1 January), years"
    assert not [p for c in en.axes[0].containers for p in c if p.get_hatch()]


def test_scenario_charts_and_fan():
    sc = pd.DataFrame([(s, y, 20000 - k * (y - 2015) * 50) for k, s in enumerate(["baseline", "zero-migration"])
                       for y in range(2015, 2051)], columns=["scenario", "year", "value"])
    fig = plotting.scenario_lines(sc, lang="en", name="X", observed=_trend(), scenario_labels={"baseline": "Baseline"})
    assert "Baseline" in _texts(fig) and "Observed" in _texts(fig) and "projection: cityindicators" in _texts(fig)
    bg = pd.DataFrame([(s, y, g, 5000.0) for s in ("baseline",) for y in range(2015, 2051) for g in ("0-14", "15-64", "65+")],
                      columns=["scenario", "year", "group", "value"])
    fig = plotting.broad_groups(bg, lang="lt", name="X")
    assert len(fig.axes) == 3
    # the oldest group named as the indicators and the service groups name theirs
    assert "65 m. ir vyresni" in _texts(fig) and "65+ m." not in _texts(fig) and "0–14 m." in _texts(fig)
    dr = pd.DataFrame([("baseline", y, i, 30.0) for y in range(2015, 2051)
                       for i in ("old_age_dependency_ratio", "total_dependency_ratio")],
                      columns=["scenario", "year", "indicator", "value"])
    assert "šimtui 15–64 m." in _texts(plotting.dependency_ratios(dr, lang="lt", name="X"))
    q = pd.DataFrame([(y, qq, 20000 * (1 + (qq - 0.5) * (y - 2015) / 50)) for y in range(2015, 2051) for qq in (0.1, 0.5, 0.9)],
                     columns=["year", "quantile", "value"])
    text = _texts(plotting.fan_chart(q, lang="en", name="X", observed=_trend()))
    assert "80% interval (10–90%)" in text and "Median" in text and "Stochastic projection, X" in text
    # the empirical interval around a deterministic projection is said so
    text = _texts(plotting.fan_chart(q, lang="lt", name="X", observed=_trend(), empirical=True))
    assert "80 % intervalas (10–90 %)" in text and "Projekcija\n" in text and "pagal ankstesnes paklaidas, X" in text
    assert "Mediana" not in text and "Tikimybinė" not in text
    # the band is about one scenario among the report's several: its title names it
    fig = plotting.fan_chart(q, lang="lt", name="X", observed=_trend(), calibrated=True, scenario="Bazinis")
    assert fig._suptitle.get_text().replace("\n", " ") == (
        "Tikimybinė projekcija, kalibruota pagal ankstesnes paklaidas, X, scenarijus „Bazinis“")
    en = plotting.fan_chart(q, lang="en", name="X", empirical=True, scenario="Baseline")
    assert en._suptitle.get_text().replace("\n", " ") == "Projection and its 80% interval from past errors, X, scenario 'Baseline'"


def test_broad_groups_draws_each_groups_line_of_each_scenario_in_year_order():
    rows = [(s, y, g, 1000.0 * (k + 1) + 10 * j + (y - 2018)) for k, s in enumerate(["baseline", "attraction"])
            for j, g in enumerate(["0-14", "15-64", "65+"]) for y in range(2018, 2031)]
    frame = pd.DataFrame(rows, columns=["scenario", "year", "group", "value"]).sample(frac=1, random_state=3)
    frame = frame[~((frame["scenario"] == "attraction") & (frame["group"] == "65+"))]  # one line without data
    fig = plotting.broad_groups(frame, lang="en", name="X", scenario_labels={"baseline": "Baseline"})
    drawn = {(ax.get_title(loc="left"), line.get_label()): (list(line.get_xdata()), list(line.get_ydata()))
             for ax in fig.axes for line in ax.get_lines()}
    years = list(range(2018, 2031))
    assert drawn[("0–14", "Baseline")] == (years, [(1000 + y - 2018) / 1000 for y in years])
    assert drawn[("15–64", "attraction")] == (years, [(2010 + y - 2018) / 1000 for y in years])
    assert drawn[("65 and over", "attraction")] == ([], [])  # still in the legend, as each panel's scenarios are
    assert [line.get_label() for line in fig.axes[2].get_lines()] == ["Baseline", "attraction"]


def test_comparison_table_coloured_by_rank():
    frame = pd.DataFrame({"Indicator": ["Population", "Share 65+"], "Value": [20249.0, 14.46], "Rank": [12.0, 60.0]})
    html = plotting.comparison_table(frame, "en", n=60, caption="Visaginas compared", synthetic=True).to_html()
    assert "background-color: #0072b2" in html.lower() or "background-color" in html
    assert "#e69f00" in html.lower()  # the worst rank in orange
    assert "SYNTHETIC" in html and "rank among 60 municipalities" in html
    assert "20,249.0" in html or "20,249" in html


def test_scenario_lines_target_line_and_one_legend_entry_for_the_dashed_lines():
    import matplotlib.pyplot as plt

    frame = pd.DataFrame({"scenario": ["a"] * 3 + ["b"] * 3, "year": [2018, 2030, 2040] * 2,
                          "value": [1000.0, 900.0, 800.0, 1000.0, 950.0, 900.0]})
    with_inflow = frame.assign(value=1000.0)
    fig = plotting.scenario_lines(frame, "en", "X", scenario_labels={"a": "A " * 30, "b": "B"},
                                  target=(2040, 1000.0, "Target: 1,000 working-age residents in 2040"),
                                  with_inflow=with_inflow, title="Working-age population by scenario and the target, X")
    ax = fig.axes[0]
    segments = [seg for c in ax.collections for seg in c.get_segments()]
    assert [[tuple(p) for p in seg] for seg in segments] == [[(2018.0, 1.0), (2040.0, 1.0)]]  # 1,000 = 1.0 thousand
    assert [ln for ln in ax.lines if ln.get_marker() == "D"][0].get_ydata()[0] == 1.0
    legend = [tx.get_text() for tx in fig.legends[0].get_texts()]
    assert legend.count("Dashed lines: the scenarios with the inflow the target needs") == 1 and len(legend) == 4
    assert fig.legends[0]._ncols == 2  # a 60-character label: two columns, not three
    assert plotting.chart_title(fig) == "Working-age population by scenario and the target, X"
    plt.close(fig)


def test_spread_labels_hand_worked():
    # 10 and 10.2 are closer than the gap 1: spread evenly about their mean 10.1; 20 stays
    assert plotting.spread_labels([10.0, 20.0, 10.2], 1.0) == pytest.approx([9.6, 20.0, 10.6])
    # three in a run: 0, 0, 0.5 about their mean 1/6, one gap apart, order kept
    assert plotting.spread_labels([0.0, 0.0, 0.5], 1.0) == pytest.approx([1 / 6 - 1, 1 / 6, 1 / 6 + 1])
    assert plotting.spread_labels([1.0, 5.0], 1.0) == [1.0, 5.0]  # far enough: unmoved


def test_peer_labels_do_not_overlap():
    import matplotlib.pyplot as plt

    rows = [(c, y, 10.0 + (0.01 if c == "B" else 0.0) + (y - 2000) * 0.1) for c in ("A", "B", "C") for y in (2000, 2010)]
    rows += [("X", y, 5.0 + y - 2000) for y in (2000, 2010)]
    frame = pd.DataFrame(rows, columns=["territory_code", "year", "value"]).assign(indicator="share_65_plus")
    fig = plotting.indicator_panels(frame, "X", "en", names={"A": "Alpha", "B": "Beta", "C": "Gamma"})
    ax = fig.axes[0]
    ys = sorted(tx.get_position()[1] for tx in ax.texts if tx.get_text() in ("Alpha", "Beta", "Gamma"))
    lo, hi = ax.get_ylim()
    assert len(ys) == 3 and min(b - a for a, b in zip(ys, ys[1:])) >= plotting.LABEL_GAP * (hi - lo) - 1e-9
    plt.close(fig)


def test_panel_titles_placed_as_matplotlibs_automatic_placement_would(monkeypatch):
    """``axes.titley`` fixed at the panel's top (no measuring of the y axis for each title at each
    drawing) gives the very picture of matplotlib's automatic title placement."""
    import matplotlib.pyplot as plt

    wa = pd.DataFrame([(y, i, v) for y in YEARS for i, v in (("working_age_population", 18000.0 - 100 * (y - 2001)),
                                                                ("working_age_share", 64.0 - 0.2 * (y - 2001)))],
                      columns=["year", "indicator", "value"])

    def pixels():
        fig = plotting.working_age(wa, lang="lt", name="Eglynas")
        fig.canvas.draw()
        out = np.asarray(fig.canvas.buffer_rgba()).copy()
        plt.close(fig)
        return fig, out

    fixed_fig, fixed = pixels()
    assert not fixed_fig.axes[0]._autotitlepos  # the title's place is not searched for
    monkeypatch.setitem(plotting._RC, "axes.titley", None)
    auto_fig, auto = pixels()
    assert auto_fig.axes[0]._autotitlepos
    assert np.array_equal(fixed, auto)


def test_chart_title_is_one_line_for_sheets_and_alt_texts():
    import matplotlib.pyplot as plt

    # a long title is wrapped on the chart; the workbook's sheet title and the image's alt text
    # take it on one line (they read "…ir\nslopstančios…")
    name = "Amžiaus piramidė, Visagino sav., scenarijus „Bazinis (dabartiniai rodikliai ir slopstančios jų tendencijos)“"
    fig, ax = plt.subplots()
    fig.suptitle("Amžiaus piramidė, Visagino sav., scenarijus „Bazinis (dabartiniai rodikliai ir\nslopstančios jų "
                 "tendencijos)“")
    assert plotting.chart_title(fig) == name
    plt.close(fig)
    fig, ax = plt.subplots()
    ax.set_title("Two\n lines")
    assert plotting.chart_title(fig) == "Two lines"
    plt.close(fig)


@pytest.mark.parametrize("lang", ["lt", "en"])
def test_tick_labels_have_no_needless_decimals(lang):
    # residents in thousands: 95...135 thousand is labelled "95", "100", ..., never "125,0"
    frame = pd.DataFrame({"year": YEARS, "value": np.linspace(130000, 100000, len(YEARS))})
    fig = plotting.population_trend(frame, lang)
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [tl.get_text() for tl in ax.get_yticklabels()]
    assert labels == [f"{v:.0f}" for v in ax.get_yticks()] and "125" in labels
    # 10.5...12 thousand needs a decimal on every tick, in the language's format
    frame = pd.DataFrame({"year": YEARS, "value": np.linspace(12000, 10500, len(YEARS))})
    fig = plotting.population_trend(frame, lang)
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [tl.get_text() for tl in ax.get_yticklabels()]
    point = "," if lang == "lt" else "."
    assert labels == [f"{v:.1f}".replace(".", point) for v in ax.get_yticks()] and f"11{point}0" in labels
    # 10.2...25.5 thousand: ticks at round steps, never matplotlib's 2.5 ("10,0", "12,5", "15,0")
    frame = pd.DataFrame({"year": YEARS, "value": np.linspace(25500, 10183, len(YEARS))})
    fig = plotting.population_trend(frame, lang)
    fig.canvas.draw()
    ticks = fig.axes[0].get_yticks()
    assert np.diff(ticks)[0] in (1.0, 2.0, 5.0) and [tl.get_text() for tl in fig.axes[0].get_yticklabels()] == \
        [f"{v:.0f}" for v in ticks]
    matplotlib.pyplot.close("all")


def test_labels_of_breaks_a_year_apart_do_not_overlap_and_stay_in_the_plot():
    # an outlier year (x = 2010) and a level step half a year on (x = 2010.5): the first label
    # stands left of its line, the second right of its own; both short enough for the plot's height
    from cityindicators.reports.sections.breaks import _break_marks

    comp = pd.DataFrame([(y, c, v) for y in YEARS for c, v in (("births", 300), ("deaths", 400), ("net_migration", -200))],
                        columns=["year", "component", "value"])
    notes = [(2010, "outlier", "2010 declaration wave of emigrants"),
             (2011, "level", "2011 census (a jump in the population from 2011)")]
    marks = _break_marks(notes)
    assert marks == [(2010.0, "2010 declaration wave of emigrants"), (2010.5, "2011 census")]
    fig = plotting.components_of_change(comp, lang="en", name="X", breaks=marks)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    labels = [tx for tx in ax.texts if tx.get_text() in dict((lab, x) for x, lab in marks)]
    boxes = [tx.get_window_extent(renderer) for tx in labels]
    assert len(boxes) == 2 and not boxes[0].overlaps(boxes[1])
    plot = ax.get_window_extent(renderer)
    assert all(b.y0 >= plot.y0 and b.y1 <= plot.y1 for b in boxes)
    # breaks apart stand right of their lines
    assert [tx.get_ha() for tx in labels] == ["right", "left"]
    fig = plotting.components_of_change(comp, lang="en", name="X", breaks=[(2005.0, "a"), (2010.5, "b")])
    assert [tx.get_ha() for tx in fig.axes[0].texts if tx.get_text() in ("a", "b")] == ["left", "left"]
    matplotlib.pyplot.close("all")


def test_a_scenario_has_one_colour_in_every_chart_whatever_the_order_of_its_rows():
    # the report's scenarios in its order (scenario_labels), one of the user's among them; a
    # chart's frame sorted by name
    labels = {"baseline": "Baseline", "my-plan": "Mine", "zero-migration": "Zero", "attraction": "Attraction"}
    years = range(2018, 2031)
    lines = pd.DataFrame([(s, y, 100.0 - k - y / 100) for k, s in enumerate(sorted(labels)) for y in years],
                         columns=["scenario", "year", "value"])
    groups = pd.DataFrame([(s, g, y, 50.0) for s in sorted(labels) for g in ("0-14", "15-64", "65+") for y in years],
                          columns=["scenario", "group", "year", "value"])
    ratios = pd.DataFrame([(s, "old_age_dependency_ratio", y, 30.0) for s in sorted(labels) for y in years],
                          columns=["scenario", "indicator", "year", "value"])
    charts = [plotting.scenario_lines(lines, lang="en", scenario_labels=labels),
              plotting.broad_groups(groups, lang="en", scenario_labels=labels),
              plotting.dependency_ratios(ratios, lang="en", scenario_labels=labels)]
    # the shipped ones in their own colours (Okabe-Ito's 1st, 3rd and 5th), the user's in the first
    # colour none of them has (the 2nd, orange); the legend in the report's order
    blue, orange, green, _, pink = plotting.OKABE_ITO[:5]
    expected = {"Baseline": blue, "Mine": orange, "Zero": green, "Attraction": pink}
    for fig in charts:
        drawn = {ln.get_label(): ln.get_color() for ln in fig.axes[0].get_lines() if ln.get_label() in expected}
        assert drawn == expected and list(drawn) == list(expected), fig.get_label()
    # a chart without one of the scenarios keeps the others' colours
    fig = plotting.scenario_lines(lines[lines["scenario"] != "zero-migration"], lang="en", scenario_labels=labels)
    drawn = {ln.get_label(): ln.get_color() for ln in fig.axes[0].get_lines() if ln.get_label() in expected}
    assert drawn == {k: v for k, v in expected.items() if k != "Zero"}
    matplotlib.pyplot.close("all")
    # every colour distinct, never black (the observed line), also with more scenarios than colours
    many = plotting._scenario_colours([f"s{i}" for i in range(7)] + ["baseline"])
    assert many["baseline"] == blue and "#000000" not in many.values() and len(set(list(many.values())[:6])) == 6


def test_peer_panels_name_the_year_of_each_break_line():
    """Each panel's dotted break line carries its year (a step between 2010 and 2011 reads 2011, an
    exceptional year its own), so that a panel copied alone says what the line is."""
    frame = pd.DataFrame({"indicator": ["a", "a", "b", "b"], "territory_code": "30", "year": [2009, 2012] * 2,
                          "value": [1.0, 2.0, 3.0, 4.0]})
    fig = plotting.indicator_panels(frame, "30", "en", breaks=[2010.5, 2010.0])
    for ax in fig.axes[:2]:
        assert sorted(x.get_text() for x in ax.texts) == ["2010", "2011"]
    assert not plotting.indicator_panels(frame, "30", "en").axes[0].texts
