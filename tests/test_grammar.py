"""Numbers agree with their nouns and ordinals with gender, in every sentence template (issue 12).

Each template is tried with 1, 2, 10, 11, 21, 22, 100 and 1 001 in both languages. Lithuanian:
1/21/1 001 "gyventojas", 2/22 "gyventojai", 10/11/100 "gyventojų"; decimals take the genitive.
"""

from __future__ import annotations

import re

import pytest

from cityindicators.grammar import NOUNS, count_phrase, ordinal, plural_category, plural_form
from cityindicators.i18n import TEXTS, rank_text, t
from cityindicators.reports import findings as F

NUMBERS = (1, 2, 10, 11, 21, 22, 100, 1001)
THIN = "\u202f"
LT_RESIDENT_NOM = {1: "gyventojas", 2: "gyventojai", 10: "gyventojų", 11: "gyventojų", 21: "gyventojas",
                   22: "gyventojai", 100: "gyventojų", 1001: "gyventojas"}
LT_RESIDENT_ACC = {1: "gyventoją", 2: "gyventojus", 10: "gyventojų", 11: "gyventojų", 21: "gyventoją",
                   22: "gyventojus", 100: "gyventojų", 1001: "gyventoją"}
LT_NEWBORN = {1: "kūdikis", 2: "kūdikiai", 10: "kūdikių", 11: "kūdikių", 21: "kūdikis", 22: "kūdikiai",
              100: "kūdikių", 1001: "kūdikis"}
LT_MUNI_GEN = {1: "savivaldybės", 2: "savivaldybių", 10: "savivaldybių", 11: "savivaldybių", 21: "savivaldybės",
               22: "savivaldybių", 100: "savivaldybių", 1001: "savivaldybės"}


def lt_num(n: int) -> str:
    return f"{n:,}".replace(",", THIN)


def en_num(n: int) -> str:
    return f"{n:,}"


def en_noun(n: int, one: str, other: str) -> str:
    return one if n == 1 else other


@pytest.mark.parametrize("n,cat", [(1, "one"), (2, "few"), (9, "few"), (10, "other"), (11, "other"), (19, "other"),
                                   (21, "one"), (22, "few"), (100, "other"), (111, "other"), (1001, "one"), (0, "other")])
def test_lithuanian_plural_categories(n, cat):
    assert plural_category(n, "lt") == cat
    assert plural_category(-n, "lt") == cat  # the sign does not change the form


def test_decimals_take_the_genitive_and_english_has_two_forms():
    forms = NOUNS["resident"]["lt"]["nom"]
    assert plural_form(20.2, forms, "lt", decimals=1) == "gyventojo"
    assert plural_form(2.0, forms, "lt", decimals=1) == "gyventojo"
    en = NOUNS["resident"]["en"]["nom"]
    assert [plural_form(n, en, "en") for n in (1, 2, 21)] == ["resident", "residents", "residents"]
    assert plural_form(1.0, en, "en", decimals=1) == "residents"  # "1.0 residents"


@pytest.mark.parametrize("n,masc,fem", [(1, "1-asis", "1-oji"), (2, "2-asis", "2-oji"), (3, "3-iasis", "3-ioji"),
                                        (13, "13-asis", "13-oji"), (23, "23-iasis", "23-ioji"),
                                        (103, "103-iasis", "103-ioji"), (113, "113-asis", "113-oji"),
                                        (10, "10-asis", "10-oji")])
def test_lithuanian_ordinals_agree_with_gender(n, masc, fem):
    assert ordinal(n, "lt", "m") == masc
    assert ordinal(n, "lt", "f") == fem


@pytest.mark.parametrize("n,text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                    (13, "13th"), (21, "21st"), (22, "22nd"), (101, "101st"), (111, "111th")])
def test_english_ordinals(n, text):
    assert ordinal(n, "en") == text


def test_count_phrase_quotes_the_issue():
    assert count_phrase(lt_num(3054), 3054, "death", "lt") == f"3{THIN}054 gyventojai"
    assert count_phrase("531", 531, "resident", "lt") == "531 gyventojas"


@pytest.mark.parametrize("n", NUMBERS)
def test_natural_change_sentence(n):
    lt = F.natural_change(2001, 2017, n, n, "lt").text
    assert f"gimė {lt_num(n)} {LT_NEWBORN[n]}, mirė {lt_num(n)} {LT_RESIDENT_NOM[n]}:" in lt
    en = F.natural_change(2001, 2017, n, n, "en").text
    assert f"registered {en_num(n)} {en_noun(n, 'birth', 'births')} and {en_num(n)} {en_noun(n, 'death', 'deaths')}:" in en


@pytest.mark.parametrize("n", NUMBERS)
@pytest.mark.parametrize("sign", [1, -1])
def test_migration_sentences(n, sign):
    v = sign * n
    shown = ("+" if sign > 0 else "−") + lt_num(n)
    assert F.net_migration(2001, 2017, v, "lt").text.endswith(f"sudarė {shown} {LT_RESIDENT_ACC[n]}.")
    assert F.youth_migration(2001, 2017, v, "lt").text.endswith(f"sudarė {shown} {LT_RESIDENT_ACC[n]}.")
    en_shown = ("+" if sign > 0 else "\u2212") + en_num(n)  # the typographic minus in both languages
    noun = en_noun(n, "resident", "residents")
    assert F.net_migration(2001, 2017, v, "en").text.endswith(f"came to {en_shown} {noun}.")
    assert F.youth_migration(2001, 2017, v, "en").text.endswith(f"came to {en_shown} {noun}.")


@pytest.mark.parametrize("n", NUMBERS)
def test_target_sentence(n):
    lt = F.target_inflow(20000, 2040, n, "lt").text
    assert lt.endswith(f"atvykti (neto) {lt_num(n)} {LT_RESIDENT_NOM[n]}.")
    en = F.target_inflow(20000, 2040, n, "en").text
    assert f"a net inflow of {en_num(n)} {en_noun(n, 'resident', 'residents')} a year" in en


@pytest.mark.parametrize("n", NUMBERS)
def test_rank_clauses_agree(n):
    # rank 2 and 3 of n municipalities: masculine ordinals for "augimas"/"mažėjimas", genitive noun after "iš"
    fell = F.population_change(2001, 2018, 1000, 900, "lt", rank_fall=3, n=n).text
    assert f" – 3-iasis didžiausias mažėjimas iš {lt_num(n)} {LT_MUNI_GEN[n]})" not in fell
    assert f"(nuo 1{THIN}000 iki 900) – 3-iasis didžiausias mažėjimas iš {lt_num(n)} {LT_MUNI_GEN[n]}." in fell
    rose = F.population_change(2001, 2018, 900, 1000, "lt", rank_growth=2, n=n).text
    assert rose.endswith(f" – 2-asis sparčiausias augimas iš {lt_num(n)} {LT_MUNI_GEN[n]}.")
    first = F.population_change(2001, 2018, 1000, 900, "lt", rank_fall=1, n=n).text
    assert first.endswith(f" – labiausiai iš {lt_num(n)} {LT_MUNI_GEN[n]}.")
    ageing = F.share_65_change(2001, 2018, 15.0, 20.3, "lt", rank_ageing=2, n=n).text
    assert ageing.endswith(f"(+5,3 procentinio punkto) – 2-oji vieta pagal senėjimo spartą iš {lt_num(n)} {LT_MUNI_GEN[n]}.")
    en = F.population_change(2001, 2018, 1000, 900, "en", rank_fall=3, n=n).text
    assert en.endswith(f", the 3rd steepest fall of the {en_num(n)} {en_noun(n, 'municipality', 'municipalities')}.")
    en65 = F.share_65_change(2001, 2018, 15.0, 20.3, "en", rank_ageing=2, n=n).text
    assert en65.endswith(f"(+5.3 percentage points), ranking 2nd for ageing speed of the {en_num(n)} "
                         f"{en_noun(n, 'municipality', 'municipalities')}.")


@pytest.mark.parametrize("n", NUMBERS)
def test_rank_of_chart_text(n):
    assert rank_text(2, n, "lt") == f"2-oji vieta iš {n}"
    assert rank_text(3, n, "lt", year=2018) == f"2018 m. 3-ioji vieta iš {n}"
    assert rank_text(2, n, "en") == f"rank 2 of {n}"


@pytest.mark.parametrize("n", NUMBERS)
def test_old_age_dependency_has_no_numbers_run_together(n):
    for lang in ("lt", "en"):
        text = F.old_age_dependency(2001, 2018, float(n), float(n) + 0.25, lang).text
        # no number immediately followed by another number ("teko 20,2 65 m.")
        assert not re.search(r"\d[\d,.\u202f]* +\d", text.replace("–", "-")), text


def test_no_case_ending_on_a_cardinal_number_in_digits():
    # Lithuanian writes a cardinal number in digits without a case ending ("šimtui", "100 gyv.", not
    # "100-ui"); ordinals keep theirs ("2-oji vieta")
    from cityindicators.i18n import TEXTS
    from cityindicators.indicators.catalogue import UNIT_LABELS

    lt = [v["lt"] for v in TEXTS.values() if isinstance(v, dict) and "lt" in v] + [u[0] for u in UNIT_LABELS.values()]
    assert not [s for s in lt if re.search(r"\d-(ui|iui|iems|ims)\b", s)]
    assert "teko šimtui 15–64 m. gyventojų" in F.old_age_dependency(2001, 2018, 6.0, 27.2, "lt").text


@pytest.mark.parametrize("n", NUMBERS)
def test_scenario_fan_and_population_sentences(n):
    # partitive genitive ("gyventojų būtų 1 001") needs no agreement; the numbers must be there
    assert f"gyventojų būtų {lt_num(n)}" in F.scenario_outcome("Bazinis", 2018, 2040, 2 * n, n, "lt").text
    assert f"the population would be {en_num(n)} in 2040" in F.scenario_outcome("Base", 2018, 2040, 2 * n, n, "en").text
    assert f"nuo {lt_num(n)} iki {lt_num(n + 1)}" in F.fan_interval(2040, n, n, n + 1, "lt").text
    assert f"(nuo {lt_num(n)} iki {lt_num(n + 1)})" in F.population_change(2001, 2018, n, n + 1, "lt").text


def test_no_double_period_after_an_abbreviation():
    assert t("similar_list", "lt", criteria="gyventojų skaičius (2018)", names="Ignalinos r. sav., Zarasų r. sav.") == \
        "Panašiausios savivaldybės (pagal šiuos rodiklius: gyventojų skaičius (2018)): Ignalinos r. sav., Zarasų r. sav."
    assert t("f_migration", "lt", y0=2001, y1="2017 m.", net="x") == "Neto migracija 2001–2017 m. m. sudarė x."
    assert t("similar_list", "en", criteria="size", names="A...") == "Most similar municipalities (by size): A...."


def test_every_text_key_has_both_languages_with_the_same_fields():
    fields = re.compile(r"{(\w+)")
    for key, texts in TEXTS.items():
        assert set(texts) == {"lt", "en"}, key
        assert set(fields.findall(texts["lt"])) == set(fields.findall(texts["en"])), key


@pytest.mark.parametrize("n", NUMBERS)
def test_target_outcome_sentences(n):
    lt = F.target_outcome("Bazinis", 20000, 2040, "met", n, 15000.0, "young_families", "lt").text
    assert f"kasmet turėtų papildomai atvykti (neto) {lt_num(n)} {LT_RESIDENT_NOM[n]} (atvykstančiųjų profilis – jaunos šeimos" in lt
    en = F.target_outcome("Base", 20000, 2040, "met", n, 15000.0, "young_families", "en").text
    assert f"a net inflow of {en_num(n)} {en_noun(n, 'resident', 'residents')} a year" in en and "young families" in en
    met = F.target_outcome("Bazinis", n, 2040, "met_at_lower_bound", 0.0, float(n), "young_families", "lt").text
    assert "tikslas jau pasiektas" in met and f"būtų {lt_num(n)} {LT_RESIDENT_NOM[n]} (tikslas – {lt_num(n)})" in met
    assert "already met" in F.target_outcome("Base", n, 2040, "met_at_lower_bound", 0.0, n + 5.0, "young_families", "en").text
    assert "nepasiektų" in F.target_outcome("B", n, 2040, "unreachable", None, 1.0, "young_families", "lt").text


LT_WORKING_AGE_NOM = {n: f"darbingo amžiaus {w}" for n, w in LT_RESIDENT_NOM.items()}


@pytest.mark.parametrize("n", NUMBERS)
def test_working_age_target_sentences(n):
    lt = F.target_outcome("Bazinis", n, 2040, "met", n, 15000.0, "young_families", "lt", kind="working_age").text
    assert f"kad 2040 m. būtų ne mažiau kaip {lt_num(n)} {LT_WORKING_AGE_NOM[n]}, kasmet" in lt
    assert f"atvykti (neto) {lt_num(n)} {LT_RESIDENT_NOM[n]} (atvykstančiųjų" in lt
    en = F.target_outcome("Base", n, 2040, "met", 5.0, 15000.0, "young_families", "en", kind="working_age").text
    assert f"to have at least {en_num(n)} {en_noun(n, 'working-age resident', 'working-age residents')} in 2040" in en
    met = F.target_outcome("Bazinis", n, 2040, "met_at_lower_bound", 0.0, n, "young_families", "lt", kind="working_age")
    assert f"tikslas jau pasiektas – ir be papildomos migracijos 2040 m. būtų {lt_num(n)} {LT_WORKING_AGE_NOM[n]} " \
           f"(tikslas – {lt_num(n)})" in met.text
    met_en = F.target_outcome("Base", n, 2040, "met_at_lower_bound", 0.0, n, "young_families", "en", kind="working_age")
    assert f"the target is already met – without any added inflow there would be {en_num(n)} " \
           f"{en_noun(n, 'working-age resident', 'working-age residents')} in 2040" in met_en.text
    un = F.target_outcome("B", n, 2040, "unreachable", None, 1.0, "young_families", "lt", kind="working_age").text
    assert f"tikslo ({lt_num(n)} {LT_WORKING_AGE_NOM[n]} 2040 m.)" in un


@pytest.mark.parametrize("n", NUMBERS)
def test_target_inflow_says_it_replaces_the_scenarios_own(n):
    lt = F.target_outcome("Pritraukimas", 20000, 2040, "met", 568.0, 15000.0, "young_families", "lt", own_inflow=n).text
    assert lt.endswith(f"Tai visas papildomas atvykimas: jis pakeičia scenarijuje numatytąjį (vidutiniškai "
                       f"{lt_num(n)} {LT_RESIDENT_GEN[n]} per metus), o ne pridedamas prie jo.")
    en = F.target_outcome("Attraction", 20000, 2040, "met", 568.0, 15000.0, "young_families", "en", own_inflow=n).text
    assert en.endswith(f"it replaces the scenario's own (on average {en_num(n)} "
                       f"{en_noun(n, 'resident', 'residents')} a year) rather than adding to it.")
    assert "replaces" not in F.target_outcome("Base", 20000, 2040, "met", 568.0, 15000.0, "young_families", "en").text


def test_population_target_sentences_in_english_agree_with_the_number():
    assert "to have at least 1 resident in 2040" in F.target_outcome("B", 1, 2040, "met", 3.0, 0.0, "young_families", "en").text
    assert "there would be 1 resident in 2040" in \
        F.target_outcome("B", 1, 2040, "met_at_lower_bound", 0.0, 1.0, "young_families", "en").text


def test_one_name_per_indicator():
    """Chart labels keyed by an indicator id carry the catalogue's name (a qualifier may follow)."""
    from cityindicators.indicators.catalogue import get_indicator
    from cityindicators.exceptions import CityIndicatorsError

    checked = 0
    for key, texts in TEXTS.items():
        try:
            ind = get_indicator(key)
        except CityIndicatorsError:
            continue
        for lang in ("lt", "en"):
            assert texts[lang].startswith(ind.name(lang)), (key, lang, texts[lang], ind.name(lang))
        checked += 1
    assert checked >= 7

LT_RESIDENT_GEN = {1: "gyventojo", 2: "gyventojų", 10: "gyventojų", 11: "gyventojų", 21: "gyventojo",
                   22: "gyventojų", 100: "gyventojų", 1001: "gyventojo"}


@pytest.mark.parametrize("n", NUMBERS)
def test_interval_and_unreachable_target_agree(n):
    # "iki" takes the genitive: "iki 21 gyventojo", "iki 22 gyventojų"
    assert f"nuo 0 iki {lt_num(n)} {LT_RESIDENT_GEN[n]}" in F.fan_interval(2040, 0, 0, n, "lt").text
    assert f"from 0 to {en_num(n)} {en_noun(n, 'resident', 'residents')}" in F.fan_interval(2040, 0, 0, n, "en").text
    assert f"Tikslo ({lt_num(n)} {LT_RESIDENT_NOM[n]} 2040 m.)" in F.target_inflow(n, 2040, None, "lt").text
    assert f"the target of {en_num(n)} {en_noun(n, 'resident', 'residents')} in 2040" in \
        F.target_inflow(n, 2040, None, "en").text
    un = F.target_outcome("B", n, 2040, "unreachable", None, 1.0, "young_families", "lt").text
    assert f"tikslo ({lt_num(n)} {LT_RESIDENT_NOM[n]} 2040 m.)" in un


@pytest.mark.parametrize("n", NUMBERS)
def test_assumption_sentence_with_the_observed_tfr(n):
    # the TFR parts of the assumption sentence (observed over the window, at the horizon, the bounds)
    args = ("Bazinis", 2018, 2030, 2049, (-1.0, -0.5, 0.0), (float(n), n + 0.5), (70.0, 74.0), (80.0, 84.0))
    lt = F.scenario_assumptions(*args, "lt", tfr_years=(2016, 2017), tfr_bounds=(1.0, float(n)))
    tfr = t("f_tfr_observed", "lt", tfr=f"{lt_num(n)},00", years="2016–2017")
    assert (f"suminis gimstamumo rodiklis {tfr} → {lt_num(n)},50 (2049 m.), nuo 2018 m. laikomas scenarijaus ribose "
            f"1,00–{lt_num(n)},00; tikėtina") in lt.text
    en = F.scenario_assumptions(*args, "en", tfr_years=(2016, 2017), tfr_bounds=(1.0, float(n)))
    assert (f"total fertility rate {en_num(n)}.00 (2016–2017 data) → {en_num(n)}.50 (2049), kept within the "
            f"scenario's bounds 1.00–{en_num(n)}.00 from 2018; life") in en.text
    assert ".." not in lt.text + en.text


@pytest.mark.parametrize("n", NUMBERS)
def test_monitoring_percentages_and_units_as_each_language_writes_them(n):
    # English closes a percentage up as the other English reports do; Lithuanian keeps the space;
    # other units keep theirs in both languages
    from cityindicators.i18n import fmt_number
    from cityindicators.plans.texts import probability_text, text

    v_lt, v_en = fmt_number(n, "lt", 1), fmt_number(n, "en", 1)
    assert text("s_target", "lt", direction="ne mažiau kaip", target=v_lt, unit="%", target_year=2030) == \
        f"Siekinys – ne mažiau kaip {v_lt} % 2030 m."
    assert text("s_target", "en", direction="at least", target=v_en, unit="%", target_year=2030) == \
        f"The target is at least {v_en}% in 2030."
    assert text("s_target", "en", direction="at least", target=en_num(n), unit="persons", target_year=2030) == \
        f"The target is at least {en_num(n)} persons in 2030."
    assert text("s_range", "lt", lo=lt_num(n), hi=lt_num(n + 1), unit="asm.") == \
        f"Visų scenarijų intervalas – nuo {lt_num(n)} iki {lt_num(n + 1)} asm."  # one full stop after "asm."
    if 1 < n < 99:  # 1 % and 99 % are the edges: "less than 1%", "more than 99%"
        assert probability_text(n / 100, "en") == f"{n}%" and probability_text(n / 100, "lt") == f"{n} %"


@pytest.mark.parametrize("lang, text, expected", [
    ("en", "fell by 12.5 % and 3 % later", "fell by 12.5% and 3% later"),
    ("lt", "sumažėjo 12,5 % ir 3 % vėliau", "sumažėjo 12,5 % ir 3 % vėliau"),
    ("en", "a rate of % is not a number", "a rate of % is not a number"),  # only after a digit
    ("en", "at least 62.0\u00a0% (2030)", "at least 62.0% (2030)"),  # a no-break space closed up too
    ("lt", "ne mažiau kaip 62,0\u00a0%", "ne mažiau kaip 62,0\u00a0%"),
])
def test_percentages_are_closed_up_in_english_only(lang, text, expected):
    from cityindicators.i18n import percent_as_written

    assert percent_as_written(text, lang) == expected


@pytest.mark.parametrize("n", NUMBERS)
def test_rows_written_note_agrees_with_the_number(n):
    from cityindicators.i18n import rows_written_note

    lt = {1: "įrašyta 1 eilutė", 2: "įrašytos 2 eilutės", 10: "įrašyta 10 eilučių", 11: "įrašyta 11 eilučių",
          21: "įrašyta 21 eilutė", 22: "įrašytos 22 eilutės", 100: "įrašyta 100 eilučių", 1001: "įrašyta 1001 eilutė"}
    assert rows_written_note(n, "x.csv", "lt") == f"į x.csv {lt[n]}"
    assert rows_written_note(n, "x.csv", "en") == f"wrote {n} {'row' if n == 1 else 'rows'} to x.csv"


@pytest.mark.parametrize("n", NUMBERS)
def test_migration_shortfall_sentence(n):
    lt = F.migration_shortfall("Išvykimas", 2018, 2029, n, "lt").text
    assert lt.startswith("Šiame scenarijuje 2018–2029 m. numatytas neto išvykimas viršija")
    assert f": {lt_num(n)} {LT_RESIDENT_NOM[n]} neišvyko (" in lt
    en = F.migration_shortfall("Exodus", 2018, 2018, n, "en").text
    assert en.startswith("In this scenario the net outflow set for 2018 is more than some age groups have: "
                         f"{en_num(n)} {en_noun(n, 'resident', 'residents')} did not leave (")


@pytest.mark.parametrize("n", NUMBERS)
def test_years_after_iki_take_the_genitive(n):
    # "projekcijomis iki 2 metai į priekį": "year" had no genitive, so case "gen" fell back to the nominative
    # and read right only for 10-20 and round numbers ("iki 12 metų")
    assert count_phrase(lt_num(n), n, "year", "lt", case="gen") == f"{lt_num(n)} metų"
    periods = [{"first_year": 2018, "last_year": 2018 + n, "population_start": 100.0, "population_end": 90.0,
                "natural_change": -4.0, "net_migration": -6.0}]
    lt = F.beyond_backtest("Bazinis", n, periods, "lt").text
    assert f"projekcijomis iki {lt_num(n)} metų į priekį" in lt
    en = F.beyond_backtest("Baseline", n, periods, "en").text
    assert f"up to {en_num(n)} {en_noun(n, 'year', 'years')} ahead" in en


@pytest.mark.parametrize("n", NUMBERS)
def test_accuracy_sentence_counts_its_municipalities_in_the_genitive(n):
    # "Vidutinė {n} savivaldybių absoliuti paklaida" wrote the genitive plural for every number ("21 savivaldybių")
    lt = F.backtest_accuracy("Eglyno sav.", 2010, 2015, 19_500.0, 20_000.0, 1.66, "constant", 1.81, n, "lt").text
    assert f"Vidutinė {lt_num(n)} {LT_MUNI_GEN[n]} absoliuti paklaida – 1,7 %" in lt
    en = F.backtest_accuracy("Eglynas", 2010, 2015, 21_000.0, 20_000.0, 1.66, "hamilton-perry", 1.81, n, "en").text
    assert f"Across the {en_num(n)} {en_noun(n, 'municipality', 'municipalities')} the mean absolute error" in en


@pytest.mark.parametrize("n", NUMBERS)
def test_rank_colour_note_counts_its_municipalities_in_the_genitive(n):
    # "Spalva rodo vietą tarp {n} savivaldybių" wrote the genitive plural for every number ("tarp 21 savivaldybių")
    from cityindicators.i18n import rank_colour_note
    from cityindicators.reports import exports

    assert f"Spalva rodo vietą tarp {lt_num(n)} {LT_MUNI_GEN[n]} (" in rank_colour_note(n, "lt")
    assert f"the rank among {en_num(n)} {en_noun(n, 'municipality', 'municipalities')} (" in rank_colour_note(n, "en")
    for lang in ("lt", "en"):  # a sheet's title still drops the note, whatever the number
        assert exports._without_colour_note(f"Lentelė {rank_colour_note(n, lang)}") == "Lentelė"
