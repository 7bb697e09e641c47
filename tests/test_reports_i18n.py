"""Every report text exists in Lithuanian and English; number formats; key-finding sentences."""

from __future__ import annotations

import string

import pytest

from cityindicators import ReportParameterError
from cityindicators.reports import findings as F
from cityindicators.i18n import LANGUAGES, TEXTS, check_language, fmt_int, fmt_number, single_periods, t, tick_labels
from cityindicators.plans.texts import text as plan_text


def test_every_text_in_both_languages_with_same_fields():
    for key, texts in TEXTS.items():
        assert set(texts) == set(LANGUAGES), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f} for lang in LANGUAGES]
        assert fields[0] == fields[1], key
        assert all(texts[lang].strip() for lang in LANGUAGES), key


def test_a_column_header_keeps_a_year_with_its_m():
    # a header wraps in a narrow column: "2028 / m." was split; a no-break space holds them together
    headers = [k for k in TEXTS if k.startswith(("col_", "a_"))]
    assert not [k for k in headers if "} m." in TEXTS[k]["lt"]]
    assert t("a_tfr", "lt", year=2049) == "Suminis gimstamumo rodiklis 2049\u00a0m."
    assert t("a_tfr", "en", year=2049) == "Total fertility rate 2049"
    assert t("a_e0_female", "lt", year=2049) == "Moterų tikėtina gyvenimo trukmė 2049\u00a0m., metai"


def test_language_check():
    assert check_language("en") == "en"
    with pytest.raises(ReportParameterError, match="lt, en"):
        t("year", "de")


def test_a_sentence_ending_in_an_abbreviation_takes_one_full_stop():
    assert single_periods("Zarasų r. sav.. Kitas sakinys.") == "Zarasų r. sav. Kitas sakinys."
    assert single_periods("2018 m..") == "2018 m." and single_periods("Laukiama...") == "Laukiama..."
    # the plan texts by the same rule as the report texts
    assert plan_text("s_observed", "lt", target_year=2030, value="1,5", unit="tūkst. asm.") == \
        "2030 m. stebėta reikšmė – 1,5 tūkst. asm."


def test_number_formats():
    assert fmt_number(31.8123, "en") == "31.8"
    assert fmt_number(31.8123, "lt") == "31,8"
    assert fmt_int(20249, "en") == "20,249"
    assert fmt_int(20249, "lt") == "20\u202f249"
    assert fmt_int(-1248, "lt", sign=True) == "−1\u202f248"
    assert fmt_number(float("nan"), "en") == "–"
    # a value that rounds to zero carries no minus sign
    assert fmt_number(-0.04, "en", 1, sign=True) == "0.0"  # nor a plus: zero has no direction
    assert fmt_number(0.0, "lt", 1, sign=True) == "0,0" and fmt_number(0.05, "lt", 1, sign=True) == "+0,1"
    assert fmt_number(-0.04, "lt", 1) == "0,0"
    assert fmt_int(-0.4, "en") == "0"
    assert fmt_int(float("nan"), "lt") == fmt_int(None, "en") == "–"  # no data (round() of NaN raised)


def test_a_negative_number_takes_the_typographic_minus_in_both_languages():
    # one rule for every displayed number (texts, tables, chart ticks): U+2212, never a hyphen-minus
    assert fmt_number(-3.2, "en") == "\u22123.2" and fmt_number(-3.2, "lt") == "\u22123,2"
    assert fmt_int(-1248, "en") == "\u22121,248" and fmt_int(-1248, "en", sign=True) == "\u22121,248"
    assert fmt_number(-12.34, "en", 1, sign=True) == "\u221212.3" and fmt_number(2.5, "en", 1, sign=True) == "+2.5"
    assert "-" not in fmt_number(-1001.5, "en", 2) + fmt_number(-1001.5, "lt", 2)


def test_tick_labels_take_the_fewest_decimals_that_write_every_tick():
    # whole ticks need no decimals: "125", not "125,0"
    assert tick_labels([100, 125, 150], "lt") == ["100", "125", "150"]
    assert tick_labels([100, 125, 150], "en") == ["100", "125", "150"]
    # one tick with a half: one decimal for the whole axis, in each language's format
    assert tick_labels([10, 12.5, 15], "lt") == ["10,0", "12,5", "15,0"]
    assert tick_labels([10, 12.5, 15], "en") == ["10.0", "12.5", "15.0"]
    # a locator's steps of 0.1 carry binary noise (0.30000000000000004): still one decimal
    assert tick_labels([0.1 * i for i in range(4)], "en", 2) == ["0.0", "0.1", "0.2", "0.3"]
    assert tick_labels([0.25, 0.5, 0.75], "lt", 2) == ["0,25", "0,50", "0,75"]
    # thousands separated, negatives with the minus sign, as fmt_number writes them
    assert tick_labels([-1000, 0, 1001], "lt") == ["\u22121\u202f000", "0", "1\u202f001"]
    assert tick_labels([-1000, 0, 1001], "en") == ["\u22121,000", "0", "1,001"]
    # ticks no precision up to the cap writes exactly take the cap
    assert tick_labels([0.333, 0.666], "en", 1) == ["0.3", "0.7"]
    assert tick_labels([], "lt") == [] and tick_labels([21], "lt") == ["21"]


def test_population_finding_hand_worked():
    # invented figures: 32,000 -> 21,840 is a fall of 31.75 %, shown as 31.8
    f = F.population_change(2001, 2015, 32000, 21840, "en", rank_fall=1, rank_growth=60, n=60)
    assert f.text == ("Population fell by 31.8% between 2001 and 2015 (from 32,000 to 21,840), "
                      "the steepest fall of the 60 municipalities.")
    assert f.values["pct"] == pytest.approx(-31.75, abs=1e-9)
    lt = F.population_change(2001, 2015, 32000, 21840, "lt", rank_fall=3, rank_growth=58, n=60)
    assert lt.text == ("Gyventojų skaičius 2001–2015 m. sumažėjo 31,8 % (nuo 32\u202f000 iki 21\u202f840) – "
                       "3-iasis didžiausias mažėjimas iš 60 savivaldybių.")
    grew = F.population_change(2001, 2015, 100, 110, "en", rank_fall=60, rank_growth=7, n=60)
    assert grew.text.startswith("Population grew by 10.0%") and "municipalities" not in grew.text


def test_other_findings():
    assert "5.2% to 14.5%" in F.share_65_change(2001, 2015, 5.2, 14.46, "en", rank_ageing=1, n=60).text
    assert "fastest ageing of the 60" in F.share_65_change(2001, 2015, 5.2, 14.46, "en", rank_ageing=1, n=60).text
    # the difference of the shares as shown: 5.24 -> 14.46 reads 5.2 to 14.5, +9.3 points (the exact 9.22 would not add up)
    assert "from 5.2% to 14.5% between 2001 and 2018 (+9.3 percentage points)" in \
        F.share_65_change(2001, 2018, 5.24, 14.46, "en").text
    assert "nuo 7,4 % iki 11,3 % (+3,9 procentinio punkto)" in F.share_65_change(2001, 2018, 7.44, 11.26, "lt").text
    assert "(+1,0 procentinio punkto)" in F.share_65_change(2001, 2018, 10.04, 10.96, "lt").text
    assert "natural change of +25" in F.natural_change(2001, 2014, 3079, 3054, "en").text
    assert "net inflow of 580" in F.target_inflow(20249, 2040, 580.2, "en").text
    assert "No annual inflow" in F.target_inflow(20249, 2040, None, "en").text
    assert "from 4,067 to 8,398 residents (median 6,120)" in F.fan_interval(2050, 4067, 6120, 8398, "en").text


@pytest.mark.parametrize("lang", ["lt", "en"])
def test_key_findings_call_an_indicator_by_its_table_name(lang):
    # one name per indicator: the sentence uses the name the comparison table and the annex give
    from cityindicators.indicators.catalogue import get_indicator

    text = F.share_65_change(2001, 2018, 4.6, 18.2, lang).text
    name = get_indicator("share_65_plus").name(lang)
    assert (name if lang == "lt" else name[0].lower() + name[1:]) in text
    text = F.old_age_dependency(2001, 2018, 6.0, 27.2, lang).text
    name = get_indicator("old_age_dependency_ratio").name(lang)
    assert (name if lang == "lt" else name[0].lower() + name[1:]) in text


def test_the_lithuanian_annex_writes_the_tfr_with_its_lithuanian_abbreviation():
    # the Lithuanian annex defined "Suminis gimstamumo rodiklis" by "TFR = B / ...", the English abbreviation
    lt, en = TEXTS["annex_tfr_definition"]["lt"], TEXTS["annex_tfr_definition"]["en"]
    assert "SGR = B / Σ h(x) × W(x)" in lt and "TFR" not in lt
    assert "TFR = B / Σ h(x) × W(x)" in en
    assert not [k for k, v in TEXTS.items() if "TFR" in v["lt"]]


def test_the_lithuanian_subtitle_writes_its_years_with_m():
    # "Duomenys: 2001–2018." under the title, while the footer and every sentence write "2001–2018 m."
    lt = t("subtitle", "lt", date="2026-12-04", version="0.1.0", years="2001–2018")
    assert lt == "Parengta 2026-12-04, cityindicators 0.1.0. Duomenys: 2001–2018 m."
    assert t("subtitle", "en", date="2026-12-04", version="0.1.0", years="2001–2018").endswith("Data: 2001–2018.")
