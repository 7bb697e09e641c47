"""Words of plan monitoring in Lithuanian and English: statuses, their colours, column labels.

Statuses are shown with a word *and* a colour (never colour alone). The colours are of the
Okabe-Ito palette, which colour-blind readers can tell apart.
"""

from __future__ import annotations

from ..i18n import NO_VALUE, check_language, fmt_number, percent_as_written, single_periods

__all__ = ["STATUS_LABELS", "STATUS_COLOURS", "DIRECTION_LABELS", "COLUMN_LABELS", "METHOD_LABELS", "TEXTS",
           "status_label", "direction_label", "profile_label", "PROFILE_LABELS", "probability_text", "column_labels",
           "text", "value_decimals", "format_value"]

STATUS_LABELS = {
    "reached": {"lt": "Pasiekta", "en": "Reached"},
    "on_track": {"lt": "Pagal planą", "en": "On track"},
    "behind": {"lt": "Atsiliekama", "en": "Behind"},
    "off_track": {"lt": "Nukrypta nuo plano", "en": "Off track"},
    "no_data": {"lt": "Nėra duomenų", "en": "No data"},
}
STATUS_COLOURS = {"reached": "#009E73", "on_track": "#56B4E9", "behind": "#E69F00", "off_track": "#D55E00",
                  "no_data": "#BBBBBB"}
DIRECTION_LABELS = {
    "at_least": {"lt": "ne mažiau kaip", "en": "at least"},
    "at_most": {"lt": "ne daugiau kaip", "en": "at most"},
    "reach": {"lt": "pasiekti", "en": "reach"},
}
#: Names of the age profiles of an added inflow (:data:`cityindicators.projection.PROFILES`).
PROFILE_LABELS = {
    "young_families": {"lt": "jaunos šeimos su vaikais", "en": "young families with children"},
    "young_adults": {"lt": "18–34 m. jaunuoliai", "en": "young adults aged 18–34"},
    "working_age": {"lt": "20–59 m. darbingo amžiaus žmonės", "en": "people of working age, 20–59"},
    "retirees": {"lt": "60–74 m. pensininkai", "en": "retirees aged 60–74"},
    "own": {"lt": "savivaldybės migrantų amžiaus struktūra", "en": "the municipality's own migrant age structure"},
}
METHOD_LABELS = {
    "projection": {"lt": "projekcija", "en": "projection"},
    "trend": {"lt": "tendencija (ne prognozė)", "en": "trend (not a forecast)"},
    "observed": {"lt": "stebėta", "en": "observed"},
    "none": {"lt": "nėra", "en": "none"},
}
COLUMN_LABELS = {
    "criterion": {"lt": "Kriterijus", "en": "Criterion"},
    "name": {"lt": "Pavadinimas", "en": "Name"},
    "indicator": {"lt": "Rodiklis", "en": "Indicator"},
    "unit": {"lt": "Matavimo vnt.", "en": "Unit"},
    "direction": {"lt": "Kryptis", "en": "Direction"},
    "base_year": {"lt": "Baziniai metai", "en": "Base year"},
    "base_value": {"lt": "Bazinė reikšmė", "en": "Base value"},
    "target_year": {"lt": "Siekinio metai", "en": "Target year"},
    "target_value": {"lt": "Siekinys", "en": "Target"},
    "year": {"lt": "Metai", "en": "Year"},
    "actual": {"lt": "Faktinė reikšmė", "en": "Actual"},
    "planned": {"lt": "Pagal planą", "en": "Planned path"},
    "gap": {"lt": "Nuokrypis", "en": "Gap"},
    "status": {"lt": "Būklės kodas", "en": "Status code"},
    "status_label": {"lt": "Būklė", "en": "Status"},
    "outlook_method": {"lt": "Perspektyvos metodas", "en": "Outlook method"},
    "outlook_scenario": {"lt": "Scenarijus", "en": "Scenario"},
    "outlook_value": {"lt": "Tikėtina reikšmė siekinio metais", "en": "Outlook in the target year"},
    "outlook_low": {"lt": "Intervalo apačia", "en": "Interval low"},
    "outlook_high": {"lt": "Intervalo viršus", "en": "Interval high"},
    "scenario_min": {"lt": "Scenarijų minimumas", "en": "Scenario minimum"},
    "scenario_max": {"lt": "Scenarijų maksimumas", "en": "Scenario maximum"},
    "probability": {"lt": "Tikimybė pasiekti", "en": "Probability of meeting"},
    "inflow": {"lt": "Reikalinga papildoma migracija, asm. per metus", "en": "Inflow needed, persons a year"},
    "inflow_profile": {"lt": "Migrantų profilis", "en": "Migrant profile"},
    "band": {"lt": "Intervalo rūšis", "en": "Interval kind"},
    "progress": {"lt": "Pasiekta planuoto pokyčio dalis", "en": "Share of planned change achieved"},
    "elapsed": {"lt": "Praėjusio laiko dalis", "en": "Share of time elapsed"},
}

#: Sentences and headings of the monitoring report (``str.format`` fields).
TEXTS = {
    "subtitle": {"lt": "Planas: {plan}. Parengta {date}, cityindicators {version}. Duomenys iki {last} m.",
                 "en": "Plan: {plan}. Prepared on {date} with cityindicators {version}. "
                       "Data up to {last}."},
    "h_summary": {"lt": "Suvestinė", "en": "Summary"},
    "h_criteria": {"lt": "Kriterijai", "en": "Criteria"},
    "h_method": {"lt": "Kaip nustatoma būklė", "en": "How the status is set"},
    "h_sources": {"lt": "Šaltiniai", "en": "Sources"},
    "method": {
        "lt": "Planinė trajektorija – tiesė nuo bazinės reikšmės iki siekinio. Būklė: **pasiekta** – siekinys "
              "jau pasiektas; **pagal planą** – pasiekta planuoto pokyčio dalis ne mažesnė už praėjusio laiko "
              "dalį; **atsiliekama** – judama siekinio link, bet lėčiau nei planuota; **nukrypta nuo plano** – "
              "pokyčio siekinio link nėra, rodiklis tolsta nuo siekinio arba siekiniai metai praėjo; **nėra "
              "duomenų** – naujausių duomenų nėra.",
        "en": "The planned path is the straight line from the base value to the target. Status: **reached** – "
              "the target is met; **on track** – the share of the planned change achieved is at least the share "
              "of the time elapsed; **behind** – moving towards the target, but slower than planned; **off "
              "track** – no move towards the target, a move away from it, or the target year has passed; **no "
              "data** – no recent value."},
    "caveat_calibrated": {
        "lt": "Tikimybė apskaičiuota iš tikimybinės projekcijos trajektorijų, kurių sklaida kalibruota pagal "
              "praeities projekcijų paklaidas: kiekvienų metų 80 % intervalas yra tokio pločio, kokio buvo "
              "ankstesnių tokio pat dydžio savivaldybių projekcijų paklaidos, todėl turėtų apimti vėliau paskelbtą "
              "reikšmę 8 kartus iš 10. Tikimybė vis tiek tėra orientacinė: trajektorijų forma – modelio, ne "
              "paklaidų. Tendencija – tai tik praeities tiesinės krypties pratęsimas, ne prognozė.",
        "en": "The probability comes from the trajectories of the stochastic projection, whose spread is "
              "calibrated to past projection errors: each year's 80% interval is as wide as the errors of earlier "
              "projections for municipalities of the same size were, so it is meant to contain the value published "
              "later 8 times in 10. Read the probability as an indication still: the shape of the trajectories is "
              "the model's, not the errors'. A trend only extends the straight line of the past values; it is not "
              "a forecast."},
    "caveat": {
        "lt": "Tikimybė apskaičiuota iš stochastinės projekcijos trajektorijų; jų sklaida su praeities "
              "projekcijų paklaidomis nesuderinta (ji neapima paties metodo paklaidų ir buvo siauresnė už jas), "
              "todėl tikimybę reikia vertinti kaip orientacinę. "
              "Tendencija – tai tik praeities tiesinės krypties pratęsimas, ne prognozė.",
        "en": "The probability comes from the trajectories of the stochastic projection, whose spread is "
              "not calibrated to past projection errors (it leaves out the method's own errors and was "
              "narrower than they were): read it as an indication. A trend only "
              "extends the straight line of the past values; it is not a forecast."},
    "s_counts": {"lt": "Kriterijų būklė {year} m. duomenimis: {counts}.", "en": "Criteria by status, data to {year}: {counts}."},
    "s_status": {"lt": "{name}: {year} m. reikšmė – {actual} {unit}, planinė trajektorija – {planned} {unit} "
                       "(būklė: {status}).",
                 "en": "{name}: {actual} {unit} in {year} against a planned path of {planned} {unit} "
                       "(status: {status})."},
    "s_target": {"lt": "Siekinys – {direction} {target} {unit} {target_year} m.",
                 "en": "The target is {direction} {target} {unit} in {target_year}."},
    "s_projection": {"lt": "Pagal scenarijų „{scenario}“ {target_year} m. tikėtina {value} {unit}.",
                     "en": "Under the '{scenario}' scenario the projection gives {value} {unit} in {target_year}."},
    "s_range": {"lt": "Visų scenarijų intervalas – nuo {lo} iki {hi} {unit}.",
                "en": "Across the scenarios it ranges from {lo} to {hi} {unit}."},
    "s_probability_calibrated": {"lt": "Tikimybė pasiekti siekinį pagal tikimybinę projekciją, kalibruotą pagal "
                                       "praeities paklaidas: {p} (80 % intervalas {lo}–{hi} {unit}; jis turėtų apimti "
                                       "vėliau paskelbtą reikšmę 8 kartus iš 10).",
                                 "en": "Probability of meeting the target by the stochastic projection calibrated to "
                                       "past errors: {p} (80% interval {lo}–{hi} {unit}, meant to contain the value "
                                       "published later 8 times in 10)."},
    "s_probability": {"lt": "Tikimybė pasiekti siekinį pagal stochastinę projekciją: {p} (80 % intervalas "
                            "{lo}–{hi} {unit}).",
                      "en": "Probability of meeting the target by the stochastic projection: {p} (80% interval "
                            "{lo}–{hi} {unit})."},
    "s_inflow": {"lt": "Siekiniui pasiekti kasmet reikėtų papildomai pritraukti {count} daugiau, nei išvyksta "
                       "(grynoji migracija; migrantų profilis: {profile}).",
                 "en": "Meeting the target needs an added net inflow of {count} a year "
                       "(migrant profile: {profile})."},
    "s_inflow_zero": {"lt": "Siekinys pasiekiamas ir be papildomos migracijos.",
                      "en": "The target is met without added migration."},
    "s_inflow_unreachable": {"lt": "Jokia leistina pastovi papildoma migracija siekinio nepasiekia.",
                             "en": "No constant added inflow within the bounds meets the target."},
    "s_trend": {"lt": "Tendencija (ne prognozė, {y0}–{y1} m. duomenų tiesė): {target_year} m. {value} {unit} "
                      "(80 % intervalas {lo}–{hi} {unit}).",
                "en": "Trend (not a forecast; the straight line of {y0}–{y1}): {value} {unit} in {target_year} "
                      "(80% interval {lo}–{hi} {unit})."},
    "s_observed": {"lt": "{target_year} m. stebėta reikšmė – {value} {unit}.",
                   "en": "The value observed in {target_year} is {value} {unit}."},
    "s_no_outlook": {"lt": "Perspektyvos įvertinti nepakanka duomenų.",
                     "en": "There are too few data for an outlook."},
    "t_chart": {"lt": "{name}", "en": "{name}"},
    "l_actual": {"lt": "Faktinė reikšmė", "en": "Actual"},
    "l_path": {"lt": "Planinė trajektorija", "en": "Planned path"},
    "l_target": {"lt": "Siekinys", "en": "Target"},
    "l_fan": {"lt": "Projekcijos 80 % intervalas", "en": "Projection 80% interval"},
    "l_trend": {"lt": "Tendencija (ne prognozė)", "en": "Trend (not a forecast)"},
    # {source}: "" or the plan's own note as " Plano šaltinis: ... ." (a sentence of its own: the
    # plan's name and the note often carry parentheses already)
    "source_plan": {"lt": "Planas: {plan}.{source} Rodiklių šaltinis: {data}.",
                    "en": "Plan: {plan}.{source} Indicator source: {data}."},
    "source_plan_note": {"lt": " Plano šaltinis: {note}.", "en": " Source of the plan: {note}."},
    # {file}: the file's name as Markdown shows it (html_safe.markdown_literal), not in a code span
    # a base value of the plan file far from the data's: {place} names the file and line or cell,
    # {given} is the file's value as typed
    "w_base_value": {"lt": "{place}, raktas 'criteria[{n}].base_value': plano bazinė reikšmė {given} skiriasi nuo "
                           "duomenų reikšmės {data} ({indicator}, {year} m.) daugiau nei {tol} %",
                     "en": "{place}, key 'criteria[{n}].base_value': the plan's base value {given} differs from the "
                           "data's {data} ({indicator}, {year}) by more than {tol} %"},
    "source_plan_file": {"lt": "Plano failas: {file} (jo kontrolinė suma – ataskaitos faile manifest.json).",
                         "en": "Plan file: {file} (its checksum is in the report's manifest.json)."},
}


def _pick(table: dict, key: str, lang: str) -> str:
    return table[key][check_language(lang)]


def status_label(status: str, lang: str = "lt") -> str:
    """The word of a status code (``on_track`` -> ``Pagal planą`` / ``On track``)."""
    return _pick(STATUS_LABELS, status, lang)


def profile_label(profile: str, lang: str = "lt") -> str:
    """The name of an inflow age profile (an unknown one as given)."""
    return PROFILE_LABELS[profile][check_language(lang)] if profile in PROFILE_LABELS else profile


def direction_label(direction: str, lang: str = "lt") -> str:
    return _pick(DIRECTION_LABELS, direction, lang)


def column_labels(columns, lang: str = "lt") -> dict[str, str]:
    """Display labels of canonical column names (unknown names unchanged)."""
    return {c: COLUMN_LABELS[c][check_language(lang)] if c in COLUMN_LABELS else c for c in columns}


#: Units whose values are whole numbers (counts of persons, euros); every other unit (rates, shares,
#: coefficients, years of age) takes one decimal.
WHOLE_UNITS = ("persons", "EUR")


def value_decimals(unit: str) -> int:
    """The decimals a criterion's value is shown with: 0 for persons and euros, else 1."""
    return 0 if unit in WHOLE_UNITS else 1


def format_value(value: float, unit: str, lang: str, versus: float | None = None) -> str:
    """A criterion's value for running text and tables (``plan check``, the monitoring report):
    :func:`value_decimals` of its unit, the decimal comma in Lithuanian, the minus sign, the
    no-data mark for NaN; with ``versus`` (the target) as many more decimals (up to three more) as
    it takes for a value that is not the target not to read as it (49.99 beside a target of 50.0,
    whose status is not "reached")."""
    decimals = value_decimals(unit)
    if versus is not None and value == value and versus == versus:
        while decimals < 4 and value != versus and round(value, decimals) == round(versus, decimals):
            decimals += 1
    return fmt_number(value, lang, decimals)


def probability_text(p: float, lang: str = "lt", short: bool = False) -> str:
    """A probability for people: ``35 %``; at the outermost percentiles of the stochastic
    projection ``mažiau nei 1 %`` / ``less than 1 %`` (``<1 %`` when ``short``); NaN the no-data mark ``–``."""
    if p != p:
        return NO_VALUE
    p = round(float(p), 4)  # 1 - 0.99 is not quite 0.01
    if p <= 0.01 or p >= 0.99:
        edge = {"lt": ("mažiau nei", "daugiau nei"), "en": ("less than", "more than")}[check_language(lang)]
        if short:
            return percent_as_written("<1 %" if p <= 0.01 else ">99 %", lang)
        return percent_as_written(f"{edge[0]} 1 %" if p <= 0.01 else f"{edge[1]} 99 %", lang)
    return percent_as_written(f"{fmt_number(p * 100, lang, 0)} %", lang)


def text(key: str, lang: str = "lt", **fields) -> str:
    """A sentence of :data:`TEXTS` in ``lang`` with its fields filled in (an abbreviation that ends
    the sentence, ``asm.``, takes no second full stop)."""
    return percent_as_written(single_periods(_pick(TEXTS, key, lang).format(**fields)), lang)
