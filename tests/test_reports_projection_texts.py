"""Scenario report texts on the projection: assumptions in plain words, accuracy by size class,
the flag for a large past error, the meaning of the 80 % interval (issue 9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cityindicators.i18n import fmt_number
from cityindicators.projection import EstimationSettings, ProjectionData, backtest
from cityindicators.projection.backtest import DEFAULT_METHOD, Candidate, out_of_sample_errors
from cityindicators.projection.intervals import size_class
from cityindicators.reports import findings as F
from cityindicators.reports import sections


def test_assumption_sentence_hand_worked():
    f = F.scenario_assumptions("Baseline", 2018, 2030, 2049, (-12.34, -8.0, -3.05), (1.6, 1.55), (70.12, 74.0),
                               (80.0, 84.44), "en")
    m = [fmt_number(v, "en", 1, sign=True) for v in (-12.34, -8.0, -3.05)]  # signed, with the typographic minus
    assert f.text == (f"Scenario 'Baseline': net migration {m[0]} per 1,000 residents a year now (2018), {m[1]} in 2030 "
                      f"and {m[2]} in 2049; total fertility rate 1.60 → 1.55; life expectancy: men "
                      "70.1 → 74.0, women 80.0 → 84.4 years.")
    assert m[0].endswith("12.3") and m[2].endswith("3.0")
    lt = F.scenario_assumptions("Bazinis", 2018, 2030, 2049, (-12.34, -8.0, -3.05), (1.6, 1.55), (70.12, 74.0),
                                (80.0, 84.44), "lt")
    assert "Scenarijus „Bazinis“" in lt.text and "1,60 → 1,55" in lt.text and "2030 m." in lt.text
    assert fmt_number(-12.34, "lt", 1, sign=True) in lt.text
    # the last year's rate is that year's, not "the long run" (the long-run level may come after the horizon)
    assert "ir −3,0 ‰ 2049 m.; suminis" in lt.text and "ilgainiui" not in lt.text.lower()
    # no migration reads 0.0, not +0.0
    none = F.scenario_assumptions("Zero", 2018, 2030, 2049, (0.0, -0.01, 0.0), (1.6, 1.55), (70.12, 74.0),
                                  (80.0, 84.44), "lt")
    assert "neto migracija 0,0 ‰ per metus dabar (2018 m.), 0,0 ‰ 2030 m. ir 0,0 ‰ 2049 m.;" in none.text


def test_assumption_sentence_gives_the_observed_tfr_and_the_bounds_ahead():
    args = ("Baseline", 2018, 2030, 2049, (-12.34, -8.0, -3.05), (2.28, 1.86), (70.12, 74.0), (80.0, 84.44))
    en = F.scenario_assumptions(*args, "en", tfr_years=(2016, 2017), tfr_bounds=(1.0, 2.1))
    assert ("; total fertility rate 2.28 (2016–2017 data) → 1.86 (2049), kept within the scenario's bounds "
            "1.00–2.10 from 2018; life expectancy: men 70.1 → 74.0") in en.text
    lt = F.scenario_assumptions(*args, "lt", tfr_years=(2016, 2017), tfr_bounds=(1.0, 2.1))
    assert ("; suminis gimstamumo rodiklis 2,28 (2016–2017 m. duomenimis) → 1,86 (2049 m.), nuo 2018 m. laikomas "
            "scenarijaus ribose 1,00–2,10; tikėtina gyvenimo trukmė: vyrų 70,1 → 74,0") in lt.text
    assert lt.values["tfr_years"] == (2016, 2017) and lt.values["tfr_bounds"] == (1.0, 2.1)
    # a TFR entering its bounds over ten years (fertility.bounds_entry_years): they hold from 2028
    entering = F.scenario_assumptions(*args, "en", tfr_years=(2016, 2017), tfr_bounds=(1.0, 2.1), tfr_bounds_from=2028)
    assert "kept within the scenario's bounds 1.00–2.10 from 2028; life" in entering.text
    # an observed TFR within the bounds (or a held one): no clause; a window of one year names the year
    held = F.scenario_assumptions(*args, "lt", tfr_years=(2017, 2017))
    assert "rodiklis 2,28 (2017 m. duomenimis) → 1,86 (2049 m.); tikėtina" in held.text and "ribose" not in held.text
    assert ".." not in lt.text + en.text + held.text


def test_tfr_bounds_are_said_only_where_they_move_the_path_off_the_observed_value():
    from types import SimpleNamespace

    from cityindicators.projection.scenarios import Fertility, Scenario

    res = SimpleNamespace(scenarios={"b": Scenario("b", fertility=Fertility(mode="trend", bounds=(1.0, 2.1))),
                                     "h": Scenario("h", fertility=Fertility(mode="hold"))})
    assert sections.tfr_bounds_applied(res, "b", 2.28) == (1.0, 2.1)
    assert sections.tfr_bounds_applied(res, "b", 0.95) == (1.0, 2.1)
    assert sections.tfr_bounds_applied(res, "b", 2.1) is None and sections.tfr_bounds_applied(res, "b", 1.5) is None
    assert sections.tfr_bounds_applied(res, "h", 2.28) is None  # a held TFR has no bounds
    assert sections.tfr_bounds_applied(res, "b", float("nan")) is None


def test_long_run_migration_sentence_hand_worked():
    args = ("Baseline", 2018, 2030, 2049, (-12.34, -8.0, -3.05), (1.6, 1.55), (70.12, 74.0), (80.0, 84.44))
    en = F.scenario_assumptions(*args, "en", long_run=("zero", 2030, 2058))
    # "apply", not "held": the rates of a trend scenario change over those years (the figures before say so)
    assert en.text.endswith(" years. In the long run as many arrive as leave: the scenario's net migration rates apply "
                            "for 12 years (to 2030), then move evenly to zero, reached in 2058.")
    assert en.values["long_run"] == ("zero", 2030, 2058)
    lt = F.scenario_assumptions(*args, "lt", long_run=("zero", 2030, 2058))
    assert lt.text.endswith(" m. Ilgainiui atvykstančiųjų ir išvykstančiųjų skaičiai susilygina: scenarijaus neto "
                            "migracijos rodikliai taikomi 12 metų (iki 2030 m.), paskui tolygiai artėja prie nulio ir jį "
                            "pasiekia 2058 m.")
    # the number of years agrees with its noun (accusative of duration)
    for start, held in ((2019, "1 metus"), (2020, "2 metus"), (2028, "10 metų"), (2029, "11 metų"), (2039, "21 metus"),
                        (2040, "22 metus"), (2118, "100 metų"), (3019, "1\u202f001 metus")):
        f = F.scenario_assumptions(*args, "lt", long_run=("own_mean", start, 3058))
        assert f"rodikliai taikomi {held} (iki {start} m.)" in f.text and "ilgalaikio vidurkio" in f.text
    assert F.scenario_assumptions(*args, "en", long_run=("zero", 2019, 2030)).text.count("apply for 1 year (to 2019)") == 1
    assert "apply for 22 years (to 2040)" in F.scenario_assumptions(*args, "en", long_run=("zero", 2040, 2058)).text
    held = F.scenario_assumptions(*args, "en", long_run=("none", 2030, 2058))
    assert held.text.endswith("The scenario's net migration rates apply for the whole projection.")
    assert F.scenario_assumptions(*args, "lt", long_run=("none", 2030, 2058)).text.endswith(
        "Scenarijaus neto migracijos rodikliai taikomi visą projekcijos laikotarpį.")
    assert "long_run" not in F.scenario_assumptions(*args, "en").values
    # an added inflow (a scenario's policy) does not converge: the sentence excepts it
    added = F.scenario_assumptions(*args, "lt", long_run=("zero", 2030, 2058), added_inflow=True)
    assert " m. Ilgainiui, be papildomai pritraukiamų gyventojų, atvykstančiųjų ir išvykstančiųjų skaičiai " in added.text
    assert "In the long run, apart from the added inflow, as many arrive as leave" in \
        F.scenario_assumptions(*args, "en", long_run=("zero", 2030, 2058), added_inflow=True).text



def test_long_run_sentence_says_when_the_migration_includes_the_combination():
    # with the age-structure combination (the difference carried as migration) the net migration
    # quoted is not the rule's alone, nor zero in the long run: the sentence after the rule says so
    args = ("Baseline", 2018, 2030, 2049, (-12.34, -8.0, -3.05), (1.6, 1.55), (70.12, 74.0), (80.0, 84.44))
    en = F.scenario_assumptions(*args, "en", long_run=("zero", 2030, 2058), combined=True).text
    assert en.endswith("reached in 2058. The net migration given includes the projection's combination with the "
                       "trend of its age structure (the difference is carried as migration), so it can differ from "
                       "this rule and need not be zero in the long run.")
    lt = F.scenario_assumptions(*args, "lt", long_run=("zero", 2030, 2058), combined=True).text
    assert lt.endswith("pasiekia 2058 m. Nurodyta neto migracija apima ir projekcijos derinimą su amžiaus struktūros "
                       "tendencija (skirtumas laikomas migracija), todėl ji nuo šios taisyklės gali skirtis ir "
                       "ilgainiui nebūtinai lygi nuliui.")
    for rule in ("own_mean", "none"):
        for lang in ("lt", "en"):
            text = F.scenario_assumptions(*args, lang, long_run=(rule, 2030, 2058), combined=True).text
            assert ("gali skirtis." if lang == "lt" else "can differ from this rule.") in text
            assert "nuliui" not in text and "zero in the long run" not in text
    # without migration (no long-run rule) nothing is said; without a combination neither
    assert "combination" not in F.scenario_assumptions(*args, "en", combined=True).text
    assert "combination" not in F.scenario_assumptions(*args, "en", long_run=("zero", 2030, 2058)).text


def test_the_combination_sentence_is_said_once_after_the_scenarios():
    args = (2018, 2030, 2049, (-12.34, -8.0, -3.05), (1.6, 1.55), (70.12, 74.0), (80.0, 84.44))
    zero = ("zero", 2030, 2058)

    def found(lang, *rules):
        # a scenario without migration (no long-run rule) first, then one per rule, all combined
        out = [F.scenario_assumptions("Zero", *args, lang, combined=True)]
        return out + [F.scenario_assumptions(f"S{i}", *args, lang, long_run=r, combined=True) for i, r in enumerate(rules, 1)]

    en = found("en", zero, zero)
    texts, note = F.combination_said_once(en, "en")
    assert texts[0] == en[0].text and all(x.endswith("reached in 2058.") for x in texts[1:])
    assert texts[1] == en[1].text.removesuffix(" " + en[1].values["combination_text"])
    assert note == ("In every scenario with migration the net migration given includes the projection's combination "
                    "with the trend of its age structure (the difference is carried as migration), so it can differ "
                    "from each scenario's long-run rule and need not be zero in the long run.")
    lt = found("lt", zero, zero)
    texts, note = F.combination_said_once(lt, "lt")
    assert all(x.endswith("pasiekia 2058 m.") for x in texts[1:])
    assert note == ("Visų scenarijų su migracija nurodyta neto migracija apima ir projekcijos derinimą su amžiaus "
                    "struktūros tendencija (skirtumas laikomas migracija), todėl ji nuo jų ilgalaikės taisyklės gali "
                    "skirtis ir ilgainiui nebūtinai lygi nuliui.")
    # one rule converging to the scenario's own mean: no "need not be zero"
    _, note = F.combination_said_once(found("en", zero, ("own_mean", 2030, 2058)), "en")
    assert note.endswith("can differ from each scenario's long-run rule.")
    # not every scenario with a rule carries the combination: the note names those that do
    some = found("lt", zero, zero, zero)
    some[1] = F.scenario_assumptions("S1", *args, "lt", long_run=zero)
    texts, note = F.combination_said_once(some, "lt")
    assert note.startswith("Scenarijų „S2“ ir „S3“ nurodyta neto migracija apima") and texts[1] == some[1].text
    some_en = found("en", zero, zero, zero)
    some_en[3] = F.scenario_assumptions("S3", *args, "en", long_run=zero)
    assert F.combination_said_once(some_en, "en")[1].startswith("In the scenarios 'S1' and 'S2' the net migration")
    # one scenario carries it: said where it is, as before
    one = found("en", zero)
    assert F.combination_said_once(one, "en") == ([f.text for f in one], None)


def test_accuracy_flag_names_the_large_errors_only():
    assert F.accuracy_flag({"total": -4.0, "65+": 9.99}, 2013, 5, "en") is None
    f = F.accuracy_flag({"total": -4.0, "0-14": 12.0, "65+": -18.0}, 2010, 5, "en")
    assert f is not None and set(f.values["errors"]) == {"0-14", "65+"}
    # the back-test said as the accuracy table's title says it: the year projected from the data up to the origin
    assert f.text.startswith("Note: this method's projection of 2015 from the data up to 2010 erred widely here – ")
    assert "65 and over: " + fmt_number(-18.0, "en", 1, sign=True) + "%." in f.text
    lt = F.accuracy_flag({"65+": -18.0, "0-14": 12.0}, 2010, 5, "lt")
    assert lt.text.startswith("Dėmesio: šio metodo 2015 m. projekcija pagal duomenis iki 2010 m. čia smarkiai klydo – ")
    assert "65 m. ir vyresni: " + fmt_number(-18.0, "lt", 1, sign=True) + " %" in lt.text and "atsargiai" in lt.text
    # the group written as in the accuracy table and the broad-groups chart: with an en dash, and in Lithuanian
    # with its "m." ("0–14: −14,3 %" and "65+" stood beside the chart's "0–14 m." and "65 m. ir vyresni")
    assert "0–14: +12.0%; 65 and over" in f.text and "0-14" not in f.text and "2010+5" not in f.text
    assert "0–14 m.: +12,0 %" in lt.text and "65+" not in lt.text
    assert [F.age_group_label(g, "lt") for g in ("total", "0-14", "15-64", "65+")] == \
        ["Iš viso", "0–14 m.", "15–64 m.", "65 m. ir vyresni"]


@pytest.fixture(scope="module")
def ctx(demo_dir):
    return sections.setup_scenarios("X13", scenarios=["baseline", "trend"], horizon=2050, language="en",
                                    data_dir=demo_dir, trajectories=0, show=False)


def test_assumption_findings_quote_the_projection(ctx):
    found = sections.assumption_findings(ctx)
    res = ctx.projection
    a = res.assumptions.query("territory_code == 'X13'")
    y0, y1 = res.base_year, res.to_year - 1
    assert len(found) == 2
    for f, sc in zip(found, res.scenarios):
        rate = a.query("scenario == @sc").set_index("year")["net_migration_rate"]
        np.testing.assert_allclose(f.values["migration"], [rate[y0], rate[2030], rate[y1]])
        e0f = a.query("scenario == @sc").set_index("year")["e0_female"]
        np.testing.assert_allclose(f.values["e0_female"], [e0f[y0], e0f[y1]])
        assert fmt_number(rate[2030], "en", 1, sign=True) in f.text
        # the shipped long-run rule: held for the 12 back-tested years, zero 40 years after the base
        assert f.values["long_run"] == ("zero", y0 + 12, y0 + 40)
        assert f"apply for 12 years (to {y0 + 12}), then move evenly to zero, reached in {y0 + 40}." in f.text
        # the shipped age-structure combination is carried as migration: the sentence says the figures
        # include it (its projection's migration is then not the rule's alone)
        assert f.values["combined"] is (res.schedules[sc].combination_count is not None)
        assert ("includes the projection's combination" in f.text) is f.values["combined"]
    assert found[0].values["combined"]  # the baseline is combined with the median age's trend
    # the TFR quoted first is the one observed over the fertility window, the same in every scenario
    # (before any scenario's bounds), and the table shows that value too
    sch = res.schedules["baseline"].rates
    observed = float(sch.tfr[sch.codes.index("X13")])
    first, last = y0 - sch.settings.fertility_window, y0 - 1
    table = sections.assumptions(ctx)
    col = f"Total fertility rate {first}–{last} (data)"  # the sentences' name, not "TFR"
    assert list(table.columns[1:3]) == [col, f"Total fertility rate {y1}"]
    np.testing.assert_allclose(table[col], observed)
    for f in found:
        assert f.values["tfr"][0] == observed and f.values["tfr_years"] == (first, last)
        assert f"total fertility rate {fmt_number(observed, 'en', 2)} ({first}–{last} data) → " in f.text
    # the baseline's life expectancy rises by the back-test protocol's 0.15 years a year, slowing
    # towards the ceiling (projection.bounds), so by less than 0.15 a year over the whole period
    e0_start, e0_end = found[0].values["e0_female"]
    assert 0 < e0_end - e0_start < 0.15 * (y1 - y0)


def test_beyond_backtest_sentence_hand_worked():
    tested = {"first_year": 2018, "last_year": 2030, "population_start": 1000.0, "natural_change": -120.4,
              "net_migration": -200.0, "population_end": 679.6}
    beyond = {"first_year": 2030, "last_year": 2050, "population_start": 679.6, "natural_change": -150.0,
              "net_migration": -60.2, "population_end": 469.4}
    en = F.beyond_backtest("Baseline", 12, [tested, beyond], "en")
    m = lambda v: fmt_number(v, "en", 0, sign=True)  # noqa: E731
    assert en.text == ("This method's accuracy was measured on projections up to 12 years ahead, here to 2030. "
                       f"Up to then, under the 'Baseline' scenario, the population changes by {m(-320.4)}: natural change (births "
                       f"less deaths) {m(-120.4)}, migration {m(-200.0)}. No back-test reaches the years 2030–2050: "
                       "their figures are the scenario's assumptions (migration, fertility, life expectancy) carried "
                       f"on, not a forecast of known accuracy. Over those years the population changes by {m(-210.2)}: "
                       f"natural change {m(-150.0)}, migration {m(-60.2)}.")
    assert m(-320.4).endswith("320")
    lt = F.beyond_backtest("Bazinis", 12, [tested, beyond], "lt")
    assert lt.text.startswith("Šio metodo tikslumas patikrintas projekcijomis iki 12 metų į priekį, čia – iki 2030 m. ")
    assert "2030–2050 m. nesiekia nė vienas patikrinimas" in lt.text and fmt_number(-60.2, "lt", 0, sign=True) in lt.text
    # a projection that ends within the back-tested horizons: no sentence on the years beyond
    short = F.beyond_backtest("Baseline", 12, [{**tested, "last_year": 2025}], "en")
    assert "here to 2025." in short.text and "No back-test" not in short.text


def test_scenario_population_says_where_the_back_test_stops_vouching(ctx):
    found = sections.scenario_population(ctx)
    beyond = found[-1]
    assert beyond == sections.beyond_backtest_finding(ctx)  # the section shows the helper's finding
    res = ctx.projection
    ch = res.change_by_period().query("scenario == 'baseline' and territory_code == 'X13'")
    y0 = res.base_year
    assert ch["period"].tolist() == ["tested", "beyond"] and ch["last_year"].tolist() == [y0 + 12, 2050]
    # the shares quoted are the projection's own: start and end populations are its totals
    tot = res.totals().query("scenario == 'baseline' and territory_code == 'X13'").set_index("year")["value"]
    np.testing.assert_allclose(ch["population_end"], [tot[y0 + 12], tot[2050]])
    np.testing.assert_allclose(ch["population_end"] - ch["population_start"], ch["natural_change"] + ch["net_migration"],
                               atol=1e-6)
    assert beyond.key == "beyond_backtest" and [p["net_migration"] for p in beyond.values["periods"]] == \
        ch["net_migration"].tolist()
    assert f"here to {y0 + 12}." in beyond.text and f"the years {y0 + 12}–2050" in beyond.text
    assert fmt_number(ch["natural_change"].iloc[1], "en", 0, sign=True) in beyond.text


def test_assumption_table_says_the_added_inflow_is_part_of_the_net_migration(demo_dir):
    """The table's net migration is the projection's whole net migration, the added inflow included (the
    engine's migrants): the inflow's column says "of which", so that a reader does not add the two."""
    c = sections.setup_scenarios("X13", scenarios=["attraction"], horizon=2030, language="en", data_dir=demo_dir,
                                 trajectories=0, show=False)
    table = sections.assumptions(c)
    net, added = "Net migration, persons a year (mean)", "Of which added inflow, persons a year (mean)"
    assert list(table.columns[-2:]) == [net, added]
    comp = c.projection.components.query("territory_code == 'X13' and component == 'net_migration'")
    per_year = comp.groupby("year")["value"].sum()
    assert table[net].iloc[0] == pytest.approx(per_year.mean())
    a = c.projection.assumptions.query("territory_code == 'X13'")
    assert 0 < table[added].iloc[0] == pytest.approx(a["added_inflow"].mean())


def test_scenario_annex_defines_what_the_chapters_quote(ctx):
    table = sections.annex(ctx)
    names = set(table.iloc[:, 0])
    # the assumption sentences' net migration per 1,000, the working-age target, the median age
    assert {"Crude rate of net migration", "Working-age population", "Median age"} <= names
    assert "Population" in names
    # the assumptions' TFR and the municipality's life expectancy by sex, as the projection estimates them
    # (not the catalogue's published life expectancy of the country and counties, which the chapters do not quote)
    rows = table.set_index(table.columns[0])
    assert {"Total fertility rate", "Life expectancy at birth (the municipality's, men and women)"} <= names
    assert "Life expectancy at birth" not in names
    assert "TFR = B / Σ h(x) × W(x)" in rows.loc["Total fertility rate", table.columns[2]]
    assert set(rows.loc["Total fertility rate", table.columns[3]].split(", ")) == {"S3R167_M3010202",
                                                                                    "S3R180_M3010501_1"}
    e0 = "Life expectancy at birth (the municipality's, men and women)"
    assert "S3R304_M3010601_1" in rows.loc[e0, table.columns[3]] and rows.loc[e0, table.columns[1]] == "years"


def test_accuracy_context_size_class_error_from_the_back_test(ctx, demo_dir):
    data = ProjectionData.from_store(data_dir=demo_dir)
    base = ctx.projection.base_year
    y0, h = base - 5, 5
    bt = backtest(data, y0, h)
    extra = sections.accuracy_context(ctx, bt, bt, y0, h)
    pop = data.total("population_total").query("year == @y0")
    classes = dict(zip(pop["territory_code"], size_class(pop["value"].to_numpy())))
    e = bt.errors.query("method == @DEFAULT_METHOD and group == 'total'")
    same = e[e["territory_code"].map(classes) == classes["X13"]]
    cls = extra[0]
    assert cls.key == "accuracy_class" and cls.values["n"] == len(same)
    assert cls.values["mape"] == pytest.approx(same["error_pct"].abs().mean())
    mine = bt.errors.query("method == @DEFAULT_METHOD and territory_code == 'X13' and group != 'median_age'")
    assert any(f.key == "accuracy_flag" for f in extra) == bool((mine["error_pct"].abs() >= F.LARGE_ERROR_PCT).any())


def test_accuracy_flag_of_the_report_names_the_table_groups_not_the_median_age(ctx, demo_dir):
    """The back-test scores the median age too, but the report's table and its flag are of the total and
    the age groups: a large median-age error alone raises no flag (it would have no label there)."""
    from cityindicators.projection.backtest import BacktestResult

    data = ProjectionData.from_store(data_dir=demo_dir)
    y0, h = ctx.projection.base_year - 5, 5
    errors = backtest(data, y0, h).errors.copy()
    x13 = (errors["method"] == DEFAULT_METHOD) & (errors["territory_code"] == "X13")
    errors.loc[x13, "error_pct"] = 1.0
    errors.loc[x13 & (errors["group"] == "median_age"), "error_pct"] = 25.0
    bt = BacktestResult.from_errors(y0, h, errors)
    assert not any(f.key == "accuracy_flag" for f in sections.accuracy_context(ctx, bt, bt, y0, h))
    errors.loc[x13 & (errors["group"] == "65+"), "error_pct"] = -18.0
    bt = BacktestResult.from_errors(y0, h, errors)
    flag = [f for f in sections.accuracy_context(ctx, bt, bt, y0, h) if f.key == "accuracy_flag"]
    assert len(flag) == 1 and flag[0].values["errors"] == {"65+": -18.0}


def test_fan_text_says_what_the_80_percent_interval_means():
    f = F.fan_interval(2050, 10_000, 12_000, 14_000, "en")
    assert f.text.startswith("80% interval for 2050") and "8 in 10" in f.text
    g = F.empirical_interval(2050, 10_000, 12_000, 14_000, "under 20,000", 2018, "en")
    assert g.text.startswith("80% interval for 2050") and "8 times in 10" in g.text and "known by 2018" in g.text
    assert "under 20,000" in g.text
    # how the band reaches 2050, past the back-tested horizons: not "over the same number of years"
    assert "their error per year ahead, multiplied by the years to 2050" in g.text and "an assumption" in g.text
    assert "same number of years" not in g.text
    lt = F.empirical_interval(2050, 10_000, 12_000, 14_000, "iki 20 000", 2018, "lt")
    assert ("nuo 10\u202f000 iki 14\u202f000 gyventojų (projekcija 12\u202f000)" in lt.text
            and "padauginta iš metų iki 2050 m. skaičiaus" in lt.text and "tai – prielaida)." in lt.text)
    assert "tokiam pat laikotarpiui" not in lt.text and ".." not in lt.text
    m = F.median_age_interval(2050, 44.21, 46.0, 47.84, "lt")
    assert m.text.startswith("Amžiaus mediana 2050 m. – 46,0 metų") and "nuo 44,2 iki 47,8 metų" in m.text


@pytest.mark.slow
def test_scenario_fan_chart_with_empirical_intervals(demo_dir, monkeypatch):
    import importlib

    from cityindicators.reports.sections import display

    backtest = importlib.import_module("cityindicators.projection.backtest")  # the module, not the function
    data = ProjectionData.from_store(data_dir=demo_dir)
    errors = out_of_sample_errors(data, candidates=(Candidate("w5", EstimationSettings()),))
    monkeypatch.setattr(backtest, "out_of_sample_errors", lambda data, **kw: errors)
    c = sections.setup_scenarios("X13", scenarios=["baseline"], horizon=2040, language="lt", data_dir=demo_dir,
                                 trajectories=0, show=False, intervals=True)

    plotting = importlib.import_module("cityindicators.reports.sections.scenarios").plotting
    drawn, real_fan = {}, plotting.fan_chart

    def fan_chart(q, **kw):
        drawn["q"] = q
        return real_fan(q, **kw)

    monkeypatch.setattr(plotting, "fan_chart", fan_chart)
    found = sections.fan_chart(c)
    # the band starts at the base year, at the base population, joining the observed line
    base = drawn["q"].query("year == @c.projection.base_year")
    assert len(base) == 3 and base["value"].nunique() == 1
    assert base["value"].iloc[0] == pytest.approx(float(c.series("population")[c.projection.base_year]))
    assert set(c.intervals["age_group"]) == {"total"} and set(c.median_age_intervals["age_group"]) == {"median_age"}
    iv = c.intervals.query("territory_code == 'X13' and year == 2040")
    assert found.values["lo"] == pytest.approx(float(iv["lower"].iloc[0]))
    assert found.values["hi"] == pytest.approx(float(iv["upper"].iloc[0]))
    assert found.text.startswith("80 % intervalas 2040 m.") and "8 kartus iš 10" in found.text
    med = c.median_age_intervals.query("territory_code == 'X13' and year == 2040")
    assert len(med) == 1 and med["lower"].iloc[0] < med["value"].iloc[0] < med["upper"].iloc[0]
    # the report states the median age's band ten years on (or in the last year, when sooner)
    shown = []
    monkeypatch.setattr(display, "show_markdown", lambda text, names=(): shown.append(text))
    sections.fan_chart(c)
    y = min(2040, c.projection.base_year + 10)
    m = c.median_age_intervals.query("territory_code == 'X13' and year == @y").iloc[0]
    assert F.median_age_interval(y, m["lower"], m["value"], m["upper"], "lt").text in shown[-1]
    assert isinstance(c.intervals, pd.DataFrame)


def test_size_class_sentence_says_the_year_of_the_class():
    # the class is the base year's (the uncertainty section's); the municipalities pooled, those of it at the origin
    lt = F.accuracy_size_class("iki 20 000", 1.25, 27, 2013, "lt", name="Visagino sav.", base_year=2018)
    assert lt.text == ("Savivaldybių, kurios 2013 m. (patikrinimo pradžioje) buvo tokio pat dydžio, kokio Visagino sav. "
                       "buvo 2018 m. (iki 20 000 gyv.; pagal tą pačią dydžio grupę apskaičiuotas ir neapibrėžtumo "
                       "intervalas), vidutinė absoliuti paklaida – 1,2 % (27 savivaldybės).")
    en = F.accuracy_size_class("under 20,000", 1.25, 1, 2013, "en", name="Visaginas", base_year=2018,
                               size_then="20,000–39,999")
    assert en.text == ("For municipalities that in 2013 (the start of the back-test) were of the size Visaginas had in "
                       "2018 (under 20,000 residents; the size class the uncertainty band is calibrated on) the mean "
                       "absolute error was 1.2% (1 municipality). Visaginas itself was in another size class in 2013 "
                       "(20,000–39,999 residents), so its own error is not part of this mean.")
    then = F.accuracy_size_class("iki 20 000", 1.0, 2, 2013, "lt", name="Visagino sav.", base_year=2018,
                                 size_then="20 000–39 999")
    assert then.text.endswith(" Pati Visagino sav. 2013 m. dar priklausė kitai dydžio grupei (20 000–39 999 gyv.), todėl jos "
                              "paklaida į šį vidurkį neįeina.") and ".." not in then.text
    for n, en_towns, lt_towns in ((2, "2 municipalities", "2 savivaldybės"), (10, "10 municipalities", "10 savivaldybių"),
                                  (11, "11 municipalities", "11 savivaldybių"), (21, "21 municipalities", "21 savivaldybė"),
                                  (22, "22 municipalities", "22 savivaldybės"), (100, "100 municipalities", "100 savivaldybių"),
                                  (1001, "1,001 municipalities", "1\u202f001 savivaldybė")):
        kw = dict(name="X", base_year=2018)
        assert f"({en_towns})." in F.accuracy_size_class("x", 1.0, n, 2013, "en", **kw).text
        assert f"({lt_towns})." in F.accuracy_size_class("x", 1.0, n, 2013, "lt", **kw).text


def test_accuracy_section_names_the_size_class_of_the_uncertainty_section():
    """One municipality, one size class in one report: the accuracy sentence names the class of the base
    year's population (the band's), not the one the municipality had at the back-test's origin, and pools
    the municipalities of that class at the origin, as the band pools its errors (hand-worked)."""
    from types import SimpleNamespace

    from cityindicators.schema import both_sexes_key

    # A: 21,000 at the origin 2013 (20,000-39,999), under 20,000 at the base year 2018; B, C under 20,000 in 2013
    pop = pd.DataFrame({"territory_code": ["A", "B", "C", "D"], "year": 2013, "value": [21_000.0, 15_000, 18_000, 30_000]})
    errors = pd.DataFrame({"method": DEFAULT_METHOD, "group": "total", "territory_code": ["A", "B", "C", "D"],
                           "error_pct": [-1.0, -2.0, 4.0, 10.0]})
    bt = SimpleNamespace(errors=errors)
    ctx = SimpleNamespace(data={both_sexes_key("population_total"): pop}, code="A", lang="en", name="Atown",
                          size_class="under 20,000", projection=SimpleNamespace(base_year=2018))
    found = sections.accuracy_context(ctx, bt, bt, 2013, 5)
    assert [f.key for f in found] == ["accuracy_class"]
    cls = found[0]
    assert cls.values["n"] == 2 and cls.values["mape"] == pytest.approx(3.0)  # (|-2| + |4|) / 2, B and C
    assert cls.values["size_class"] == "under 20,000" and cls.values["size_then"] == "20,000\u201339,999"
    assert "(under 20,000 residents;" in cls.text and "Atown itself was in another size class in 2013" in cls.text
    # a municipality of the same class then and now: no second sentence
    ctx.code, ctx.name = "B", "Btown"
    assert sections.accuracy_context(ctx, bt, bt, 2013, 5)[0].values["size_then"] is None


def test_report_size_class_is_the_base_years(ctx):
    from cityindicators.projection.sizeclasses import size_class as classes

    res = ctx.projection
    base = float(ctx.series("population")[res.base_year])
    assert ctx.size_class == str(classes(base)[0])


def test_scenario_fan_chart_shows_the_calibrated_band(demo_dir_backtested, monkeypatch):
    """The report's band is the library's calibrated band (the same trajectories, the same calibration), and
    its chart and sentence say so; without a back-test the band is the model's own, and the sentence says that."""
    from cityindicators.projection import project
    from cityindicators.projection.build_intervals import backtest_errors_of_build
    from cityindicators.projection.sizeclasses import size_class, size_class_label

    d = demo_dir_backtested
    c = sections.setup_scenarios("X13", scenarios=["baseline"], horizon=2040, language="en", data_dir=d,
                                 trajectories=60, seed=5, show=False)
    assert c.stochastic_calibrated
    data = ProjectionData.from_store(data_dir=d)
    lib = project("X13", to_year=2040, scenario="baseline", data=data, data_dir=d, stochastic=60, seed=5,
                  interval_errors=backtest_errors_of_build(data, d), calibrate_stochastic=True)
    pd.testing.assert_frame_equal(c.quantiles.reset_index(drop=True), lib.quantiles.reset_index(drop=True))
    titles = []
    real_fan = sections.scenarios.plotting.fan_chart
    monkeypatch.setattr(sections.scenarios.plotting, "fan_chart",
                        lambda q, **kw: titles.append(kw.get("calibrated")) or real_fan(q, **kw))
    found = sections.fan_chart(c)
    assert titles == [True]
    last = lib.quantiles.query("territory_code == 'X13' and year == 2040").set_index("quantile")["value"]
    assert (found.values["lo"], found.values["hi"]) == (last[0.1], last[0.9])
    size = size_class(data.total("population_total").query("territory_code == 'X13' and year == @c.projection.base_year")
                      ["value"].to_numpy())[0]
    assert found.text == F.fan_calibrated(2040, last[0.1], last[0.5], last[0.9], size_class_label(size, "en"),
                                          c.projection.base_year, "en").text
    assert "calibrated to past errors" in found.text and "8 times in 10" in found.text
    # too short a history for a back-test: the model's own band, said to leave out the method's errors
    import importlib

    from cityindicators.exceptions import ProjectionError

    def no_backtest(data, **kwargs):
        raise ProjectionError("too little history")

    monkeypatch.setattr(importlib.import_module("cityindicators.projection.backtest"), "out_of_sample_errors",
                        no_backtest)
    from cityindicators.reports import shared

    shared.clear()  # as in a new kernel on a build without a back-test: the errors the report above
    import shutil  # kept for this data, in memory and in the build's disk cache, are forgotten

    shutil.rmtree(shared.disk_folder(d), ignore_errors=True)
    u = sections.setup_scenarios("X13", scenarios=["baseline"], horizon=2040, language="en", data_dir=d,
                                 trajectories=60, seed=5, show=False)
    assert not u.stochastic_calibrated
    raw = project("X13", to_year=2040, scenario="baseline", data=data, data_dir=d, stochastic=60, seed=5)
    pd.testing.assert_frame_equal(u.quantiles.reset_index(drop=True), raw.quantiles.reset_index(drop=True))
    assert "leave out the method's own errors" in sections.fan_chart(u).text and titles[-1] is False


def test_calibrated_fan_text_in_both_languages():
    en = F.fan_calibrated(2040, 10_000, 12_000, 14_000, "20,000–39,999", 2018, "en")
    assert en.text.startswith("80% interval for 2040: from 10,000 to 14,000 residents (median 12,000).")
    assert "8 times in 10" in en.text and "calibrated to past errors" in en.text and "known by 2018." in en.text
    lt = F.fan_calibrated(2040, 10_000, 12_000, 14_000, "20 000–39 999", 2018, "lt")
    assert lt.text.startswith("80 % intervalas 2040 m.: nuo 10\u202f000 iki 14\u202f000 gyventojų (mediana 12\u202f000).")
    assert "8 kartus iš 10" in lt.text and "kalibruotas pagal praeities paklaidas" in lt.text
    assert "(20 000–39 999 gyv.)" in lt.text and "(žinomos iki 2018 m.)." in lt.text and ".." not in lt.text
    # "8 times in 10" is what the back-test scored; past its horizons the band is an extrapolation, said so
    assert en.text.endswith("Beyond the horizons the back-test could score, the width grows as the errors grew over "
                            "shorter horizons: an assumption, not a checked result.")
    assert lt.text.endswith("tai – prielaida, ne patikrintas rezultatas.")


def test_size_class_labels_take_an_en_dash_and_keep_their_keys():
    from cityindicators.projection.sizeclasses import SIZE_CLASSES, size_class_label

    assert list(SIZE_CLASSES) == ["under 20,000", "20,000-39,999", "40,000 and over"]  # the stable keys
    assert size_class_label("20,000-39,999") == "20,000\u201339,999"
    # thousands grouped as fmt_number groups them in Lithuanian (a narrow no-break space)
    assert size_class_label("20,000-39,999", "lt") == fmt_number(20_000, "lt", 0) + "\u2013" + fmt_number(39_999, "lt", 0)
    assert size_class_label("under 20,000", "en") == "under 20,000" and size_class_label("40,000 and over", "lt") == (
        "40\u202f000 ir daugiau")
    assert size_class_label("unknown") == "unknown"
    # the sentences add "residents" after the label
    assert "(40,000 or more residents;" in F.accuracy_size_class(size_class_label("40,000 and over"), 1.0, 2, 2013, "en",
                                                                   name="X", base_year=2018).text


def test_a_users_scenario_label_and_group_name_show_as_written_in_the_markdown(hostile_demo_dir, hostile_name,
                                                                               monkeypatch):
    """A scenario label (<data-dir>/scenarios) and a peer group's name (groups.yaml) with Markdown in them
    (issue 12) are shown as typed in every sentence quoting them: no emphasis, link, code span or script."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    from cityindicators.html_safe import escape_html
    from cityindicators.reports.sections import display

    data, hostile = hostile_demo_dir, hostile_name
    shown = []
    monkeypatch.setattr(display, "_display", lambda obj, **kw: shown.append(obj))
    c = sections.setup_scenarios("X13", scenarios=["mine"], horizon=2040, language="en", data_dir=data,
                                 trajectories=0)
    # a second report set up in the same process before the first shows its sections: the names were
    # module state, and this setup replaced the first report's scenario labels with its group's name
    s = sections.setup("X13", language="en", data_dir=data, peers="hostile")
    sections.assumptions(c)
    sections.scenario_population(c)
    display.show_markdown(sections.peers_statement(s), s.user_texts)
    pages = [markdown2html_mistune(o.data) for o in shown if isinstance(getattr(o, "data", None), str)]
    quoted = escape_html(hostile, quote=False)
    assert sum("Mine " + quoted in p for p in pages) >= 2  # the assumptions and the outcome
    assert any("Group " + quoted in p for p in pages)
    for p in pages:
        assert "<em>" not in p and 'href="y"' not in p and "<code>" not in p and "<script" not in p, p
