"""Labels, titles and sentences of the reports in Lithuanian and English.

Every string a report shows comes from :data:`TEXTS` through :func:`t`, so a report is entirely
in one language and a test can check that both languages have every key. Numbers are formatted
by :func:`fmt_number` in the convention of the language (Lithuanian: ``31,8``, thousands
separated by a thin space; English: ``31.8``, thousands separated by a comma).
"""

from __future__ import annotations

import math
import re
from typing import Any

from .exceptions import ReportParameterError
from .grammar import count_phrase, ordinal, plural_form

__all__ = ["LANGUAGES", "TEXTS", "t", "check_language", "single_periods", "fmt_number", "fmt_percent", "fmt_int",
           "tick_labels", "rank_text", "rank_colour_note", "rows_written_note"]

#: Report languages.
LANGUAGES: tuple[str, ...] = ("lt", "en")

#: key -> {language -> text}. Texts may hold ``str.format`` fields.
TEXTS: dict[str, dict[str, str]] = {
    # -- general -------------------------------------------------------------------------
    "source_line": {"lt": "Šaltinis: {source}.", "en": "Source: {source}."},
    "source_osp": {"lt": "Oficialiosios statistikos portalas (Lietuvos statistika)",
                   "en": "Official Statistics Portal (Statistics Lithuania)"},
    "source_demo": {"lt": "cityindicators demonstracinių duomenų generatorius", "en": "cityindicators demo data generator"},
    # the report's footer: the day it was made, its data's sources and years (no hashes: those are in the manifest)
    "footer": {"lt": "Parengta {date} · Duomenys: {data} · cityindicators {version}",
               "en": "Prepared on {date} · Data: {data} · cityindicators {version}"},
    "footer_data_years": {"lt": "{sources}, {years} m.", "en": "{sources}, {years}"},
    "footer_src_osp": {"lt": "Lietuvos statistika", "en": "Statistics Lithuania"},
    "footer_src_indicators": {"lt": "paskelbtų savivaldybių rodiklių lentelė", "en": "published municipal indicators"},
    "footer_src_tidy": {"lt": "naudotojo failai", "en": "the user's files"},
    "footer_src_demo": {"lt": "sintetiniai demonstraciniai duomenys", "en": "synthetic demonstration data"},
    "footer_src_none": {"lt": "nenurodyta", "en": "not stated"},
    "source_calc": {"lt": "skaičiavimai: cityindicators {version}", "en": "calculations: cityindicators {version}"},
    "source_projection": {"lt": "projekcija: cityindicators {version}", "en": "projection: cityindicators {version}"},
    "synthetic_note": {"lt": "SINTETINIAI DEMONSTRACINIAI DUOMENYS – ne tikra savivaldybė",
                       "en": "SYNTHETIC DEMONSTRATION DATA – not a real municipality"},
    "synthetic_banner": {
        "lt": "**Dėmesio:** šioje ataskaitoje naudojami sintetiniai demonstraciniai duomenys išgalvotai teritorijai. "
              "Skaičiai neatspindi jokios tikros savivaldybės.",
        "en": "**Note:** this report uses synthetic demonstration data for a fictional territory. "
              "The figures describe no real municipality.",
    },
    "year": {"lt": "Metai", "en": "Year"},
    # the open top group drawn over several years of age at its mean per single year of age: not "per year",
    # which under the migration chart (the sum of the key period's calendar years) read as an annual mean
    "open_group": {"lt": "{age}+ m. (atvira grupė, vidurkis vieneriems amžiaus metams)",
                   "en": "{age}+ (open group, mean per single year of age)"},
    "age": {"lt": "Amžius, metai", "en": "Age, years"},
    "persons": {"lt": "Gyventojai, asm.", "en": "Residents, persons"},
    "persons_k": {"lt": "Gyventojai, tūkst. asm.", "en": "Residents, thousand persons"},
    "events": {"lt": "Įvykių skaičius, asm.", "en": "Number of events, persons"},
    "percent": {"lt": "%", "en": "%"},
    "male": {"lt": "Vyrai", "en": "Males"},
    "female": {"lt": "Moterys", "en": "Females"},
    "total": {"lt": "Iš viso", "en": "Total"},
    "peers": {"lt": "Palyginamosios savivaldybės", "en": "Peer municipalities"},
    "peers_lines": {"lt": "Pilkos linijos – palyginamosios savivaldybės, punktyrinė – {country}.",
                    "en": "Grey lines: the peer municipalities; dashed: {country}."},
    "peers_group": {"lt": "Palyginamoji grupė – {group}: {names}.", "en": "Peer group {group}: {names}."},
    # {rank}: an ordinal from grammar.ordinal (feminine in Lithuanian: "2-oji vieta");
    # {of_n}: "iš 60" + noun in the genitive from grammar.count_phrase.
    "rank_of": {"lt": "{rank} vieta {of_n}", "en": "rank {rank} {of_n}"},
    "rank_of_year": {"lt": "{year} m. {rank} vieta {of_n}", "en": "rank {rank} {of_n} in {year}"},
    "of_n": {"lt": "iš {n}", "en": "of {n}"},
    "no_data": {"lt": "Duomenų nėra.", "en": "No data available."},
    "breaks_note": {"lt": "Laiko eilutės lūžiai (pažymėti grafike): {notes}.",
                    "en": "Breaks in the series (marked on the chart): {notes}."},
    "not_available": {"lt": "Šiam skyriui reikalingų duomenų nėra: {what}.",
                      "en": "The data this section needs are not available: {what}."},
    # -- report titles -------------------------------------------------------------------
    "title_situation_analysis": {"lt": "{name}: situacijos analizė", "en": "{name}: situation analysis"},
    "title_scenarios": {"lt": "{name}: gyventojų raidos scenarijai", "en": "{name}: population scenarios"},
    "title_monitoring": {"lt": "{name}: plano vertinimo kriterijų stebėsena", "en": "{name}: plan monitoring"},
    # {years}: "2001–2018"; Lithuanian writes years with "m." as the footer and every sentence do
    "subtitle": {"lt": "Parengta {date}, cityindicators {version}. Duomenys: {years} m.",
                 "en": "Prepared on {date} with cityindicators {version}. Data: {years}."},
    # -- section headings ----------------------------------------------------------------
    "h_findings": {"lt": "Pagrindinės išvados", "en": "Key findings"},
    "h_population": {"lt": "Gyventojų skaičius", "en": "Population"},
    "h_pyramid": {"lt": "Amžiaus struktūra", "en": "Age structure"},
    "h_components": {"lt": "Gyventojų kaitos komponentai", "en": "Components of population change"},
    "h_ageing": {"lt": "Senėjimo rodikliai", "en": "Ageing indicators"},
    "h_working_age": {"lt": "Darbingo amžiaus gyventojai", "en": "Working-age population"},
    "h_migration": {"lt": "Migracija", "en": "Migration"},
    "h_labour": {"lt": "Darbo rinka", "en": "Labour market"},
    # {fetch}: the fetch of the catalogue's labour datasets (reports.sections.situation.labour_how_to_get), {import_}:
    # the import of a published-indicator table; each a code span with the build after it
    "labour_missing": {"lt": "Darbo rinkos duomenų nėra. Neimportuotos nei darbo rinkos laiko eilutės (rinkinys „labour“: "
                             "registruotas nedarbas, užimtumas, darbo užmokestis; jas galima atsisiųsti iš Oficialiosios "
                             "statistikos portalo: {fetch}), nei paskelbtų savivaldybių rodiklių lentelė (rinkinys "
                             "„published_indicators“; ją galima importuoti iš CSV ar XLSX failo: {import_}).",
                       "en": "No labour-market data: neither the dataset 'labour' (registered unemployment, employment, "
                             "earnings; download it from the Official Statistics Portal: {fetch}) nor the table of "
                             "published municipal indicators 'published_indicators' (import it from a CSV or XLSX file: "
                             "{import_}) has been imported."},
    "labour_series_missing": {"lt": "Darbo rinkos laiko eilučių (rinkinys „labour“: registruotas nedarbas, užimtumas, "
                                    "darbo užmokestis) nėra, todėl rodomi tik paskelbti rodikliai. Laiko eilutes galima "
                                    "atsisiųsti iš Oficialiosios statistikos portalo: {fetch}.",
                              "en": "There are no labour-market time series (dataset 'labour': registered unemployment, "
                                    "employment, earnings), so only the published indicators are shown. Download them "
                                    "from the Official Statistics Portal: {fetch}."},
    "then_build": {"lt": "{step}, po to `cityindicators build`", "en": "{step}, then `cityindicators build`"},
    "import_indicators_step": {"lt": "`cityindicators import indicators FAILAS.csv`",
                               "en": "`cityindicators import indicators FILE.csv`"},
    "published_intro": {"lt": "Paskelbti savivaldybių rodikliai ({years} m.), palyginti su panašiausiomis savivaldybėmis.",
                        "en": "Published municipal indicators ({years}) compared with the most similar municipalities."},
    "t_published": {"lt": "Paskelbti rodikliai, {name}", "en": "Published indicators, {name}"},
    "h_comparison": {"lt": "Palyginimas", "en": "Comparison"},
    "h_sources": {"lt": "Šaltiniai ir duomenų versijos", "en": "Sources and data vintage"},
    "h_assumptions": {"lt": "Scenarijų prielaidos", "en": "Scenario assumptions"},
    "h_scenario_population": {"lt": "Gyventojų skaičius pagal scenarijus", "en": "Population by scenario"},
    "h_broad_groups": {"lt": "Amžiaus grupės pagal scenarijus", "en": "Broad age groups by scenario"},
    "h_scenario_pyramids": {"lt": "Amžiaus piramidės", "en": "Population pyramids"},
    "h_dependency": {"lt": "Demografinės priklausomybės koeficientai", "en": "Dependency ratios"},
    "h_uncertainty": {"lt": "Neapibrėžtumas", "en": "Uncertainty"},
    "h_target": {"lt": "Tikslui pasiekti reikalinga migracija", "en": "Migration needed to reach the target"},
    "h_working_age_target": {"lt": "Darbingo amžiaus gyventojų tikslas", "en": "Working-age target"},
    "h_accuracy": {"lt": "Metodo tikslumas praeities duomenimis", "en": "Accuracy of the method on past data"},
    "h_service_groups": {"lt": "Paslaugų planavimo amžiaus grupės", "en": "Age groups for service planning"},
    "h_annex": {"lt": "Priedas. Rodiklių apibrėžtys", "en": "Annex: indicator definitions"},
    "t_service_groups": {"lt": "Paslaugų planavimo amžiaus grupės pagal scenarijus, {name}",
                         "en": "Age groups for service planning by scenario, {name}"},
    # the table's caption says what the table adds to the chart above it (the figures and their
    # change), so that the two do not carry the same title
    "t_service_groups_table": {"lt": "Gyventojų skaičius ir jo pokytis pagal amžiaus grupes ir scenarijus, {name}",
                               "en": "Residents and their change by age group and scenario, {name}"},
    "sg_0_6": {"lt": "0–6 m. (ikimokyklinis amžius)", "en": "0–6 (pre-school)"},
    "sg_7_17": {"lt": "7–17 m. (mokyklinis amžius)", "en": "7–17 (school)"},
    "sg_18_29": {"lt": "18–29 m.", "en": "18–29"},
    "sg_30_64": {"lt": "30–64 m.", "en": "30–64"},
    "sg_65_79": {"lt": "65–79 m.", "en": "65–79"},
    "sg_80_plus": {"lt": "80 m. ir vyresni (globa)", "en": "80 and over (care)"},
    # column headers: a no-break space keeps a year with its "m." where a narrow header wraps
    "col_base_year": {"lt": "{year}\u00a0m. (bazė)", "en": "{year} (base)"},
    # a year's column beside col_base_year, written as it is ("2018 m. (bazė) | 2028 m. | 2050 m.")
    "col_year_of": {"lt": "{year}\u00a0m.", "en": "{year}"},
    "col_change_pct": {"lt": "pokytis iki {year}\u00a0m., %", "en": "change to {year}, %"},
    "col_definition": {"lt": "Apibrėžtis (formulė)", "en": "Definition (formula)"},
    "col_osp_tables": {"lt": "Lietuvos statistikos lentelės", "en": "Statistics Lithuania tables"},
    # an indicator the report's tables show in another scale than the catalogue's (reports.sections.names.SHOWN_AS)
    "annex_shown_as": {"lt": "Ataskaitos lentelėse – {unit}: paskelbta reikšmė × {factor}.",
                       "en": "In the report's tables: {unit}, the published value × {factor}."},
    "annex_published": {"lt": "importuota paskelbtų rodiklių lentelė", "en": "imported table of published indicators"},
    # the annex's rows for the projection's own terms (reports.sections.planner.PROJECTION_TERMS)
    "annex_tfr_name": {"lt": "Suminis gimstamumo rodiklis", "en": "Total fertility rate"},
    "annex_tfr_unit": {"lt": "vaikų vienai moteriai", "en": "children per woman"},
    "annex_tfr_definition": {"lt": "Vidutinis vaikų skaičius, kurį pagimdytų moteris per 15–49 m. amžių, jei "
                                   "gimstamumas pagal amžių būtų toks kaip tų metų. Savivaldybių gimusieji pagal "
                                   "motinos amžių neskelbiami, todėl SGR = B / Σ h(x) × W(x): gimusieji, padalyti iš "
                                   "tiek gimimų, kiek jų būtų pagal standartinį gimstamumo pagal amžių profilį h(x) "
                                   "(Hadwigerio, suma 1) ir vidutinį x metų moterų skaičių W(x).",
                             "en": "The average number of children a woman would have over ages 15–49 at the year's "
                                   "fertility by age. Births by the mother's age are not published for "
                                   "municipalities, so TFR = B / Σ h(x) × W(x): the births divided by those a standard "
                                   "fertility age pattern h(x) (Hadwiger's, summing to 1) gives the mid-year women "
                                   "of each age W(x)."},
    "annex_e0_name": {"lt": "Vidutinė tikėtina gyvenimo trukmė (savivaldybės, vyrų ir moterų)",
                      "en": "Life expectancy at birth (the municipality's, men and women)"},
    "annex_e0_unit": {"lt": "metai", "en": "years"},
    "annex_e0_definition": {"lt": "Apskrities (jei jos nėra – šalies) paskelbta vidutinė tikėtina gyvenimo trukmė "
                                  "gimus, pritaikyta savivaldybei pagal jos mirusiuosius (netiesioginė "
                                  "standartizacija), atskirai vyrams ir moterims; scenarijų prielaidose – jos raida.",
                            "en": "The published life expectancy at birth of the county (else the country), fitted "
                                  "to the municipality by its deaths (indirect standardisation), for men and women "
                                  "separately; the scenario assumptions give its path."},
    # -- chart titles --------------------------------------------------------------------
    "t_population_trend": {"lt": "Gyventojų skaičius metų pradžioje, {name}",
                           "en": "Population at 1 January, {name}"},
    "key_period": {"lt": "Analizuojamas laikotarpis {y0}–{y1}", "en": "Key period {y0}–{y1}"},
    "t_pyramid": {"lt": "Gyventojai pagal amžių ir lytį, {name}: {y0} ir {y1} m.",
                  "en": "Residents by age and sex, {name}: {y0} and {y1}"},
    "t_components": {"lt": "Gimusieji, mirusieji ir neto migracija, {name}", "en": "Births, deaths and net migration, {name}"},
    # indicator ids: the catalogue's names, so that an indicator has one name in every report
    "births": {"lt": "Gimusieji", "en": "Live births"},
    "deaths": {"lt": "Mirusieji (su minusu)", "en": "Deaths (negative)"},
    "net_migration": {"lt": "Neto migracija (su statistiniu patikslinimu)", "en": "Net migration including statistical adjustment"},
    "natural_change": {"lt": "Natūrali gyventojų kaita", "en": "Natural change"},
    "total_change": {"lt": "Bendra kaita", "en": "Total change"},
    "t_ageing": {"lt": "Senėjimo rodikliai, {name} ir palyginamosios savivaldybės",
                 "en": "Ageing indicators, {name} and peers"},
    "t_working_age": {"lt": "Darbingo amžiaus gyventojai (nuo 16 m. iki senatvės pensijos amžiaus), {name}",
                      "en": "Working-age population (16 to the pension age), {name}"},
    "working_age_population": {"lt": "Darbingo amžiaus gyventojai", "en": "Working-age population"},
    "working_age_share": {"lt": "Darbingo amžiaus gyventojų dalis", "en": "Working-age share"},
    "t_youth_outflow": {"lt": "Neto migracija pagal amžių (kohortų likučio metodas), {name}",
                        "en": "Net migration by age (cohort-residual method), {name}"},
    "net_migrants": {"lt": "Neto migrantai, asm.", "en": "Net migrants, persons"},
    # cohort_net_migration's age: at 1 January t+1, as the youth indicators (15-29 at t+1) count it
    "age_at_end": {"lt": "Amžius laikotarpio pabaigoje (sausio 1 d.), metai",
                   "en": "Age at the end of the period (1 January), years"},
    "youth_band": {"lt": "Jaunimas 15–29 m.", "en": "Youth 15–29"},
    "t_labour": {"lt": "Darbo rinkos rodikliai, {name}", "en": "Labour-market indicators, {name}"},
    "t_scenarios": {"lt": "Gyventojų skaičius pagal scenarijus, {name}", "en": "Population by scenario, {name}"},
    "observed": {"lt": "Faktiniai duomenys", "en": "Observed"},
    "t_broad_groups": {"lt": "Amžiaus grupės pagal scenarijus, {name}", "en": "Broad age groups by scenario, {name}"},
    "g_0_14": {"lt": "0–14 m.", "en": "0–14"},
    "g_15_64": {"lt": "15–64 m.", "en": "15–64"},
    # as the service groups' "80 m. ir vyresni" and the indicators' "65 m. ir vyresnių" ("65+ m." read oddly)
    "g_65_plus": {"lt": "65 m. ir vyresni", "en": "65 and over"},
    "t_dependency": {"lt": "Demografinės priklausomybės koeficientai, {name}", "en": "Dependency ratios, {name}"},
    "old_age_dependency_ratio": {"lt": "Senatvės demografinės priklausomybės koeficientas", "en": "Old-age dependency ratio"},
    "total_dependency_ratio": {"lt": "Bendrasis demografinės priklausomybės koeficientas", "en": "Total dependency ratio"},
    # the dependency ratios' unit as the catalogue writes it (tables, annex), capitalised for an axis
    "per_100": {"lt": "Asm. šimtui 15–64 m. gyv.", "en": "Persons per 100 aged 15–64"},
    "t_fan": {"lt": "Tikimybinė projekcija, {name}", "en": "Stochastic projection, {name}"},
    "t_fan_calibrated": {"lt": "Tikimybinė projekcija, kalibruota pagal ankstesnes paklaidas, {name}",
                         "en": "Stochastic projection calibrated to past errors, {name}"},
    "t_fan_empirical": {"lt": "Projekcija ir jos 80 % intervalas pagal ankstesnes paklaidas, {name}",
                        "en": "Projection and its 80% interval from past errors, {name}"},
    "projection_line": {"lt": "Projekcija", "en": "Projection"},
    "median": {"lt": "Mediana", "en": "Median"},
    "interval": {"lt": "{lo}–{hi} % intervalas", "en": "{lo}–{hi}% interval"},
    # a chart of one scenario among several: the fan chart's band is about the first scenario only
    "t_of_scenario": {"lt": "{title}, scenarijus „{scenario}“", "en": "{title}, scenario '{scenario}'"},
    "t_scenario_pyramid": {"lt": "Amžiaus piramidė, {name}, scenarijus „{scenario}“",
                           "en": "Population pyramid, {name}, scenario '{scenario}'"},
    "t_comparison": {"lt": "{name} ir palyginamosios teritorijos, naujausių turimų metų duomenys",
                     "en": "{name} compared, latest year with data"},
    # {n}: the number of municipalities with its noun in the genitive after "tarp" ("tarp 60 savivaldybių",
    # "tarp 21 savivaldybės"; "among 60 municipalities"), from rank_colour_note
    "rank_colour_note": {"lt": "Spalva rodo vietą tarp {n} (tamsiau mėlyna – geriau, oranžinė – blogiau).",
                         "en": "Colour shows the rank among {n} (darker blue better, orange worse)."},
    "t_assumptions": {"lt": "Scenarijų prielaidos, {name}", "en": "Scenario assumptions, {name}"},
    # the indicator's full name, as the sentences under the table call it (not "SGR"/"TFR")
    "a_tfr": {"lt": "Suminis gimstamumo rodiklis {year}\u00a0m.", "en": "Total fertility rate {year}"},
    # the TFR estimated from the fertility window's births, before any scenario's bounds (they apply to the path ahead)
    "a_tfr_observed": {"lt": "Suminis gimstamumo rodiklis {years}\u00a0m. (duomenys)",
                       "en": "Total fertility rate {years} (data)"},
    "a_e0_male": {"lt": "Vyrų tikėtina gyvenimo trukmė {year}\u00a0m., metai", "en": "Life expectancy, males {year}, years"},
    "a_e0_female": {"lt": "Moterų tikėtina gyvenimo trukmė {year}\u00a0m., metai", "en": "Life expectancy, females {year}, years"},
    "a_net_migration": {"lt": "Neto migracija, asm. per metus (vid.)", "en": "Net migration, persons a year (mean)"},
    # part of the net migration beside it (the engine's migrants include it): "of which", not to be added to it
    "a_added_inflow": {"lt": "Iš jos papildomas atvykimas, asm. per metus (vid.)",
                       "en": "Of which added inflow, persons a year (mean)"},
    # -- table columns -------------------------------------------------------------------
    "col_indicator": {"lt": "Rodiklis", "en": "Indicator"},
    "col_unit": {"lt": "Matavimo vnt.", "en": "Unit"},
    "col_value": {"lt": "Reikšmė", "en": "Value"},
    "col_country": {"lt": "Šalis", "en": "Country"},
    "col_county": {"lt": "Apskritis", "en": "County"},
    "col_peer_group": {"lt": "Palyg. grupė", "en": "Peer group"},
    "col_peer_median": {"lt": "Grupės mediana", "en": "Peer median"},
    "col_similar": {"lt": "Panašios sav. (vid.)", "en": "Similar (mean)"},
    "col_peer_group_mean": {"lt": "{name} (vid.)", "en": "{name} (mean)"},
    "col_rank": {"lt": "Vieta", "en": "Rank"},
    "col_percentile": {"lt": "Procentilis", "en": "Percentile"},
    "col_scenario": {"lt": "Scenarijus", "en": "Scenario"},
    "col_age_group": {"lt": "Amžiaus grupė", "en": "Age group"},
    "col_bt_error": {"lt": "Paklaida, {name} (%)", "en": "Error, {name} (%)"},
    "col_bt_mape": {"lt": "Vid. absoliuti paklaida, {n} sav. (%)", "en": "Mean absolute error, {n} municipalities (%)"},
    "col_bt_best": {"lt": "Geriausias paprastas metodas", "en": "Best naive method"},
    "col_bt_best_mape": {"lt": "Jo vid. absoliuti paklaida (%)", "en": "Its mean absolute error (%)"},
    "t_accuracy": {"lt": "Projekcija pagal duomenis iki {y0} m. palyginta su {y1} m. gyventojų skaičiumi",
                   "en": "Projection from the data up to {y0} compared with the population of {y1}"},
    "age_total": {"lt": "Iš viso", "en": "Total"},
    "m_constant": {"lt": "nekintantis gyventojų skaičius", "en": "constant population"},
    "m_linear": {"lt": "tiesinė ekstrapoliacija", "en": "linear extrapolation"},
    "m_exponential": {"lt": "eksponentinė ekstrapoliacija", "en": "exponential extrapolation"},
    "m_hamilton-perry": {"lt": "Hamiltono–Perry kohortų kaitos koeficientai",
                         "en": "Hamilton–Perry cohort-change ratios"},
    "col_assumption": {"lt": "Prielaida", "en": "Assumption"},
    "col_dataset": {"lt": "Duomenų rinkinys", "en": "Dataset"},
    "col_source": {"lt": "Šaltinis", "en": "Source"},
    "col_source_date": {"lt": "Data", "en": "Date"},
    # the sources table's date and what it is
    "date_updated": {"lt": "{date} (šaltinio atnaujinimo data)", "en": "{date} (last updated by the source)"},
    "date_prepared": {"lt": "{date} (šaltinio atsakymo parengimo data)", "en": "{date} (response prepared by the source)"},
    "date_retrieved": {"lt": "{date} (gauta iš šaltinio)", "en": "{date} (retrieved)"},
    "date_reference_year": {"lt": "{date} (ataskaitiniai metai)", "en": "{date} (reference year)"},
    "date_reference_years": {"lt": "{date} (ataskaitiniai metai)", "en": "{date} (reference years)"},
    # a file's: the date its user states (--source-date), else its data's latest year, else only the day it was imported
    "date_stated": {"lt": "{date} (šaltinio nurodyta data)", "en": "{date} (date stated by the source)"},
    "date_latest_year": {"lt": "{year} (naujausių duomenų metai)", "en": "{year} (latest year of the data)"},
    "date_imported": {"lt": "importuota {date}", "en": "imported on {date}"},
    "date_generated": {"lt": "{date} (sugeneruota)", "en": "{date} (generated)"},
    "src_osp_table": {"lt": "Oficialiosios statistikos portalas (Lietuvos statistika), lentelė {table}",
                      "en": "Official Statistics Portal (Statistics Lithuania), table {table}"},
    "src_osp_extract": {"lt": "Lietuvos statistikos duomenų rinkinys, failas {file}",
                        "en": "Statistics Lithuania data extract, file {file}"},
    "src_tidy": {"lt": "Naudotojo failas {file}", "en": "User's file {file}"},
    "src_indicators": {"lt": "Paskelbtų rodiklių lentelė, failas {file}", "en": "Published indicators, file {file}"},
    "ds_population": {"lt": "Gyventojai metų pradžioje pagal amžių ir lytį", "en": "Residents at 1 January by age and sex"},
    "ds_births": {"lt": "Gimusieji", "en": "Live births"},
    "ds_deaths": {"lt": "Mirusieji pagal amžių", "en": "Deaths by age"},
    "ds_deaths_total": {"lt": "Mirusieji", "en": "Deaths"},
    "ds_deaths_infant": {"lt": "Mirę kūdikiai (iki 1 m. amžiaus)", "en": "Infant deaths (under 1 year)"},
    "ds_population_total": {"lt": "Gyventojai metų pradžioje", "en": "Residents at 1 January"},
    "ds_life_expectancy": {"lt": "Vidutinė tikėtina gyvenimo trukmė", "en": "Life expectancy at birth"},
    "ds_migration": {"lt": "Migracija pagal amžių ir lytį", "en": "Migration by age and sex"},
    "ds_migration_total": {"lt": "Migracija", "en": "Migration"},
    "ds_labour": {"lt": "Darbo rinkos rodikliai", "en": "Labour-market indicators"},
    "ds_urban_rural": {"lt": "Miesto ir kaimo gyventojai", "en": "Urban and rural residents"},
    "ds_density": {"lt": "Gyventojų tankis", "en": "Population density"},
    "ds_published_indicators": {"lt": "Paskelbti savivaldybių rodikliai", "en": "Published municipal indicators"},
    "ds_median_age": {"lt": "Amžiaus mediana (paskelbta)", "en": "Median age (published)"},
    "col_years": {"lt": "Metai", "en": "Years"},
    # headers of the chart-data sheets (reports.exports.CHART_DATA_HEADERS), beside col_year, col_value ...
    "col_sex": {"lt": "Lytis", "en": "Sex"},
    "unit_in_column": {"lt": "nurodytas stulpelyje „{column}“", "en": "given in the column {column}"},
    "col_age": {"lt": "Amžius", "en": "Age"},
    "col_component": {"lt": "Kaitos komponentas", "en": "Component of change"},
    "col_territory_code": {"lt": "Teritorijos kodas", "en": "Territory code"},
    "col_territory": {"lt": "Teritorija", "en": "Territory"},
    "col_period": {"lt": "Laikotarpis", "en": "Period"},
    "col_series": {"lt": "Seka", "en": "Series"},
    "col_quantile": {"lt": "Kvantilis", "en": "Quantile"},
    # values of a chart-data sheet's series column (reports.exports.CHART_DATA_VALUES), beside observed
    "series_with_target_inflow": {"lt": "Su tikslui reikalinga migracija", "en": "With the inflow the target needs"},
    "series_target": {"lt": "Tikslas", "en": "Target"},
    "col_year": {"lt": "Metai", "en": "Year"},
    "similar_list": {"lt": "Panašiausios savivaldybės (pagal šiuos rodiklius: {criteria}): {names}.",
                     "en": "Most similar municipalities (by {criteria}): {names}."},
    # -- findings ------------------------------------------------------------------------
    "f_pop_fell": {"lt": "Gyventojų skaičius {y0}–{y1} m. sumažėjo {pct} % (nuo {v0} iki {v1}){rank_clause}.",
                   "en": "Population fell by {pct}% between {y0} and {y1} (from {v0} to {v1}){rank_clause}."},
    "f_pop_rose": {"lt": "Gyventojų skaičius {y0}–{y1} m. padidėjo {pct} % (nuo {v0} iki {v1}){rank_clause}.",
                   "en": "Population grew by {pct}% between {y0} and {y1} (from {v0} to {v1}){rank_clause}."},
    # Rank clauses: {ordinal} is masculine in Lithuanian ("3-iasis sparčiausias augimas"),
    # {of_n} is "iš 60 savivaldybių" / "of the 60 municipalities" (grammar.count_phrase).
    "rc_steepest_fall": {"lt": " – labiausiai {of_n}", "en": ", the steepest fall {of_n}"},
    "rc_fall_rank": {"lt": " – {ordinal} didžiausias mažėjimas {of_n}",
                     "en": ", the {ordinal} steepest fall {of_n}"},
    "rc_fastest_growth": {"lt": " – sparčiausiai {of_n}",
                          "en": ", the fastest growth {of_n}"},
    "rc_growth_rank": {"lt": " – {ordinal} sparčiausias augimas {of_n}",
                       "en": ", the {ordinal} fastest growth {of_n}"},
    "of_the_n": {"lt": "iš {n}", "en": "of the {n}"},
    "f_share65": {"lt": "65 m. ir vyresnių gyventojų dalis {y0}–{y1} m. pakito nuo {v0} % iki {v1} % ({diff}){rank_clause}.",
                  "en": "The share of population aged 65 and over went from {v0}% to {v1}% between {y0} and {y1} ({diff}){rank_clause}."},
    # {ordinal} feminine in Lithuanian ("2-oji vieta").
    "rc_fastest_ageing": {"lt": " – sparčiausias senėjimas {of_n}",
                          "en": ", the fastest ageing {of_n}"},
    "rc_ageing_rank": {"lt": " – {ordinal} vieta pagal senėjimo spartą {of_n}",
                       "en": ", ranking {ordinal} for ageing speed {of_n}"},
    "f_oadr": {"lt": "Senatvės demografinės priklausomybės koeficientas {y1} m. buvo {v1} "
                     "(tiek 65 m. ir vyresnių gyventojų teko šimtui 15–64 m. gyventojų), {y0} m. – {v0}.",
               "en": "The old-age dependency ratio (residents aged 65 and over per 100 aged 15–64) was {v1} in {y1}, "
                     "against {v0} in {y0}."},
    # {births}, {deaths}, {net}: number and noun agreeing (grammar.count_phrase).
    "f_natural": {"lt": "{y0}–{y1} m. gimė {births}, mirė {deaths}: natūrali kaita {natural}.",
                  "en": "Between {y0} and {y1} the municipality registered {births} and {deaths}: a natural change of {natural}."},
    "f_migration": {"lt": "Neto migracija {y0}–{y1} m. sudarė {net}.",
                    "en": "Net migration between {y0} and {y1} came to {net}."},
    "f_youth": {"lt": "Jaunimo (15–29 m.) neto migracija {y0}–{y1} m. sudarė {net}.",
                "en": "Net migration of young people (15–29) between {y0} and {y1} came to {net}."},
    "f_working_age": {"lt": "Darbingo amžiaus gyventojų {y1} m. buvo {v1} ({share} % visų gyventojų), {y0} m. – {v0}.",
                      "en": "In {y1} there were {v1} working-age residents ({share}% of all residents), against {v0} in {y0}."},
    "f_scenario": {"lt": "Pagal scenarijų „{scenario}“ {year} m. gyventojų būtų {value} ({pct} %, palyginti su {base_year} m.).",
                   "en": "Under the '{scenario}' scenario the population would be {value} in {year} ({pct}% against {base_year})."},
    # where the back-test stops vouching (findings.beyond_backtest): {held} "12 metų" / "12 years"
    # (grammar.count_phrase, genitive), the changes signed numbers of residents (no noun to agree with)
    "f_backtested_change": {"lt": "Šio metodo tikslumas patikrintas projekcijomis iki {held} į priekį, čia – iki {split} m. "
                                  "Iki tada pagal scenarijų „{scenario}“ gyventojų skaičius pakinta {change}: natūrali "
                                  "kaita (gimusiųjų ir mirusiųjų skirtumas) {natural}, migracija {migration}.",
                            "en": "This method's accuracy was measured on projections up to {held} ahead, here to "
                                  "{split}. Up to then, under the '{scenario}' scenario, the population changes by "
                                  "{change}: natural change (births less deaths) {natural}, migration {migration}."},
    "f_beyond_backtest": {"lt": "{split}–{end} m. nesiekia nė vienas patikrinimas: tų metų skaičiai – pratęstos "
                                "scenarijaus prielaidos (migracija, gimstamumas, gyvenimo trukmė), o ne prognozė, kurios "
                                "tikslumas žinomas. Per tuos metus gyventojų skaičius pakinta {change}: natūrali kaita "
                                "{natural}, migracija {migration}.",
                          "en": "No back-test reaches the years {split}–{end}: their figures are the scenario's "
                                "assumptions (migration, fertility, life expectancy) carried on, not a forecast of "
                                "known accuracy. Over those years the population changes by {change}: natural change "
                                "{natural}, migration {migration}."},
    # {inflow}: number and noun agreeing ("531 gyventojas", "22 gyventojai").
    "f_target_met": {"lt": "Kad {year} m. gyventojų būtų ne mažiau kaip {target}, kasmet turėtų papildomai atvykti (neto) {inflow}.",
                     "en": "To have at least {target} residents in {year}, a net inflow of {inflow} a year would be needed."},
    # {inflow}: number and noun agreeing; {profile}: the migrant profile's name.
    # {target_phrase}, {without_phrase}: number and noun agreeing ("21 gyventojas", "22 darbingo
    # amžiaus gyventojai"); {inflow} likewise.
    "f_target_scenario_met": {"lt": "Scenarijus „{scenario}“: kad {year} m. būtų ne mažiau kaip {target_phrase}, kasmet turėtų "
                                    "papildomai atvykti (neto) {inflow} (atvykstančiųjų profilis – {profile}).",
                              "en": "'{scenario}': to have at least {target_phrase} in {year}, a net inflow of {inflow} a year "
                                    "would be needed (migrant profile: {profile})."},
    # {own}: number and noun in the genitive ("56 gyventojų"; en: "56 residents")
    "f_target_replaces_own": {"lt": "Tai visas papildomas atvykimas: jis pakeičia scenarijuje numatytąjį (vidutiniškai {own} "
                                    "per metus), o ne pridedamas prie jo.",
                              "en": "This is the whole added inflow: it replaces the scenario's own (on average {own} a "
                                    "year) rather than adding to it."},
    "f_target_already_met": {"lt": "Scenarijus „{scenario}“: tikslas jau pasiektas – ir be papildomos migracijos {year} m. "
                                   "būtų {without_phrase} (tikslas – {target}).",
                             "en": "'{scenario}': the target is already met – without any added inflow there would be "
                                   "{without_phrase} in {year} (target {target})."},
    "f_target_scenario_unreachable": {"lt": "Scenarijus „{scenario}“: tikslo ({target_phrase} {year} m.) nepasiektų jokia "
                                            "nustatytų ribų neviršijanti migracija (atvykstančiųjų profilis – {profile}).",
                                      "en": "'{scenario}': no annual inflow within the bounds reaches the target of {target_phrase} "
                                            "in {year} (migrant profile: {profile})."},
    "profile_young_families": {"lt": "jaunos šeimos: 25–39 m. suaugusieji su vaikais iki 10 m.",
                               "en": "young families, adults aged 25–39 with children under 10"},
    "profile_young_adults": {"lt": "jauni suaugusieji (18–34 m.)", "en": "young adults (18–34)"},
    "profile_working_age": {"lt": "darbingo amžiaus žmonės (20–59 m.)", "en": "people of working age (20–59)"},
    "t_target": {"lt": "Gyventojų skaičius pagal scenarijus ir tikslas, {name}", "en": "Population by scenario and the target, {name}"},
    "t_working_age_target": {"lt": "Darbingo amžiaus gyventojai pagal scenarijus ir tikslas, {name}",
                             "en": "Working-age population by scenario and the target, {name}"},
    # {target}: number and noun agreeing ("Tikslas: 21 gyventojas 2040 m.")
    "target_label": {"lt": "Tikslas: {target} {year} m.", "en": "Target: {target} in {year}"},
    "with_inflow": {"lt": "Punktyrinės linijos – scenarijai su tikslui reikalinga migracija",
                    "en": "Dashed lines: the scenarios with the inflow the target needs"},
    "f_target_unreachable": {"lt": "Tikslo ({target_phrase} {year} m.) nepasiektų jokia nustatytų ribų neviršijanti migracija.",
                             "en": "No annual inflow within the bounds reaches the target of {target_phrase} in {year}."},
    # {n}: the number of municipalities with its noun in the genitive ("60 savivaldybių", "21 savivaldybės";
    # "60 municipalities", grammar.count_phrase)
    "f_accuracy": {"lt": "Šiuo metodu pagal duomenis iki {y0} m. apskaičiuotas {y1} m. gyventojų skaičius ({name}) "
                         "būtų buvęs {forecast}, o iš tikrųjų buvo {actual} (paklaida {err} %). Vidutinė {n} "
                         "absoliuti paklaida – {mape} %, geriausio paprasto metodo ({best}) – {best_mape} %.",
                   "en": "Projected with this method from the data up to {y0}, the population of {name} in {y1} "
                         "would have been {forecast} against {actual} published (an error of {err}%). Across the {n} "
                         "the mean absolute error was {mape}%, against {best_mape}% for the best naive "
                         "method ({best})."},
    "f_fan": {"lt": "80 % intervalas {year} m.: nuo {lo} iki {hi} (mediana {med}). Tai atsitiktinių "
                    "gimstamumo, mirtingumo ir migracijos svyravimų, tokių kaip praeityje, ribos: 8 iš 10 modelio "
                    "trajektorijų baigiasi jose. Metodo paklaidų jos neapima, todėl tikrovė už jų gali atsidurti "
                    "dažniau nei 2 kartus iš 10.",
              "en": "80% interval for {year}: from {lo} to {hi} (median {med}). These are the limits of "
                    "random swings in fertility, mortality and migration like those of the past: 8 in 10 of the "
                    "model's trajectories end inside them. They leave out the method's own errors, so reality may "
                    "fall outside more often than 2 times in 10."},
    # calibration.py: the model's band scaled year by year to the width of the empirical interval ({size} and
    # {base} as in f_fan_empirical)
    "f_fan_calibrated": {"lt": "80 % intervalas {year} m.: nuo {lo} iki {hi} (mediana {med}). Jis turėtų apimti "
                               "vėliau paskelbtą gyventojų skaičių 8 kartus iš 10. Tai tikimybinės projekcijos "
                               "intervalas, kalibruotas pagal praeities paklaidas: atsitiktinių gimstamumo, "
                               "mirtingumo ir migracijos svyravimų modelio intervalas kiekvienais metais praplėstas "
                               "arba susiaurintas iki tokio pločio, kokio buvo paklaidos, kurias šis metodas padarė "
                               "ankstesnėse tokio pat dydžio ({size} gyv.) savivaldybių projekcijose (žinomos iki "
                               "{base} m.). Toliau, nei siekia praeities patikrinimas, plotis pratęstas taip, kaip "
                               "paklaidos augo trumpesniais laikotarpiais: tai – prielaida, ne patikrintas rezultatas.",
                         "en": "80% interval for {year}: from {lo} to {hi} (median {med}). It is meant to contain "
                               "the population published later 8 times in 10. It is the stochastic projection's "
                               "band calibrated to past errors: the model's band of random swings in fertility, "
                               "mortality and migration is widened or narrowed, year by year, to the width of the "
                               "errors this method made in earlier projections for municipalities of the same size "
                               "({size} residents), known by {base}. Beyond the horizons the back-test could score, "
                               "the width grows as the errors grew over shorter horizons: an assumption, not a checked "
                               "result."},
    # intervals.py: errors pooled per year of horizon and carried to every year in proportion (also past the
    # back-tested horizons, where "the same number of years" had no errors to come from)
    "f_fan_empirical": {"lt": "80 % intervalas {year} m.: nuo {lo} iki {hi} (projekcija {med}). Jis turėtų apimti "
                              "vėliau paskelbtą gyventojų skaičių 8 kartus iš 10. Jis sudarytas tik iš paklaidų, "
                              "žinomų iki {base} m., kurias šis metodas padarė ankstesnėse tokio pat dydžio ({size} "
                              "gyv.) savivaldybių projekcijose; paklaida, tenkanti vieneriems metams į priekį, padauginta iš metų iki "
                              "{year} m. skaičiaus (paklaidos auga maždaug proporcingai laikui; toliau, nei siekia "
                              "praeities patikrinimas, tai – prielaida).",
                        "en": "80% interval for {year}: from {lo} to {hi} (projection {med}). It is meant to contain "
                              "the population published later 8 times in 10. It is built only from errors known by "
                              "{base} that this method made in earlier projections for municipalities of the same "
                              "size ({size} residents): their error per year ahead, multiplied by the years to {year} (errors "
                              "grow about in proportion to the time ahead; beyond the horizons the back-test could "
                              "score, that is an assumption)."},
    "f_median_age_interval": {"lt": "Amžiaus mediana {year} m. – {med} metų, jos 80 % intervalas – nuo {lo} iki {hi} "
                                    "metų. Jis sudarytas iš paklaidų, kurias šis metodas padarė ankstesnėse amžiaus "
                                    "medianos projekcijose tokiam pat laikotarpiui.",
                              "en": "Median age in {year}: {med} years, with an 80% interval from {lo} to {hi} years, "
                                    "built from the errors this method made in earlier projections of the median age "
                                    "over the same number of years."},
    "interval_80": {"lt": "80 % intervalas ({lo}–{hi} %)", "en": "80% interval ({lo}–{hi}%)"},
    # {mig_now} etc.: signed rates per 1,000 residents; {y1} is the last event year, not "the long run": the long-run
    # level comes in the sentence after (f_migration_long_run_*), often reached after the horizon
    "f_assumptions": {"lt": "Scenarijus „{scenario}“: neto migracija {mig_now} ‰ per metus dabar ({y0} m.), "
                            "{mig_mid} ‰ {ymid} m. ir {mig_end} ‰ {y1} m.; suminis gimstamumo rodiklis "
                            "{tfr0} → {tfr1}; tikėtina gyvenimo trukmė: vyrų {e0m0} → {e0m1}, moterų {e0f0} → {e0f1} m.",
                      "en": "Scenario '{scenario}': net migration {mig_now} per 1,000 residents a year now ({y0}), "
                            "{mig_mid} in {ymid} and {mig_end} in {y1}; total fertility rate "
                            "{tfr0} → {tfr1}; life expectancy: men {e0m0} → {e0m1}, women {e0f0} → {e0f1} years."},
    # the TFR of f_assumptions: as observed over the fertility window (every scenario's base), and in the last year
    "f_tfr_observed": {"lt": "{tfr} ({years} m. duomenimis)", "en": "{tfr} ({years} data)"},
    "f_tfr_in_year": {"lt": "{tfr} ({year} m.)", "en": "{tfr} ({year})"},
    # an observed TFR outside a trend scenario's bounds: the path starts at the nearest bound, or enters the bounds
    # by {y0} (fertility.bounds_entry_years)
    "f_tfr_bounds": {"lt": ", nuo {y0} m. laikomas scenarijaus ribose {lo}–{hi}",
                     "en": ", kept within the scenario's bounds {lo}–{hi} from {y0}"},
    # the long-run rule of net migration, after f_assumptions; {held}: "12 metų" / "12 years" (grammar.count_phrase).
    # Not "held": over those years the rates follow the scenario (its trend, the changing age structure), as the
    # figures of f_assumptions show; only after them do they converge
    "f_migration_long_run_zero": {"lt": "Ilgainiui{besides} atvykstančiųjų ir išvykstančiųjų skaičiai susilygina: scenarijaus "
                                        "neto migracijos rodikliai taikomi {held} (iki {start} m.), paskui tolygiai "
                                        "artėja prie nulio ir jį pasiekia {end} m.",
                                  "en": "In the long run{besides} as many arrive as leave: the scenario's net migration rates "
                                        "apply for {held} (to {start}), then move evenly to zero, reached in {end}."},
    "f_migration_long_run_own_mean": {"lt": "Ilgainiui neto migracija grįžta prie savivaldybės ilgalaikio vidurkio: "
                                            "scenarijaus neto migracijos rodikliai taikomi {held} (iki {start} m.), "
                                            "paskui tolygiai artėja prie visų duomenų metų vidurkio ir jį pasiekia {end} m.",
                                      "en": "In the long run net migration returns to the municipality's own long-run "
                                            "average: the scenario's net migration rates apply for {held} (to {start}), "
                                            "then move evenly to the average of all years of the data, reached in {end}."},
    "f_migration_long_run_besides": {"lt": ", be papildomai pritraukiamų gyventojų,", "en": ", apart from the added inflow,"},
    # after the long-run rule when the projection combines its age structure (or total) with a trend:
    # the difference is carried as migration, so the net migration quoted is not the rule's alone.
    # {whose}: empty after one scenario's rule, or f_migration_combination_all / _some when said once
    # for the scenarios (findings.combination_said_once), the sentence's first letter then capitalised;
    # {rule}: f_migration_combination_rule_one / _each; {not_zero}: f_migration_combination_not_zero
    # when each rule is "zero", else empty
    "f_migration_combination": {"lt": "{whose}nurodyta neto migracija apima ir projekcijos derinimą su amžiaus "
                                      "struktūros tendencija (skirtumas laikomas migracija), todėl ji nuo {rule} gali "
                                      "skirtis{not_zero}.",
                                "en": "{whose}the net migration given includes the projection's combination with the "
                                      "trend of its age structure (the difference is carried as migration), so it can "
                                      "differ from {rule}{not_zero}."},
    "f_migration_combination_rule_one": {"lt": "šios taisyklės", "en": "this rule"},
    "f_migration_combination_rule_each": {"lt": "jų ilgalaikės taisyklės", "en": "each scenario's long-run rule"},
    "f_migration_combination_all": {"lt": "visų scenarijų su migracija ", "en": "in every scenario with migration "},
    "f_migration_combination_some": {"lt": "scenarijų {names} ", "en": "in the scenarios {names} "},
    "f_migration_combination_not_zero": {"lt": " ir ilgainiui nebūtinai lygi nuliui",
                                         "en": " and need not be zero in the long run"},
    "f_quoted": {"lt": "„{name}“", "en": "'{name}'"},
    # what a scenario's migration.outflow_scale scales (projection.scenarios.outflow_scaling), a clause: {sg} the
    # scaling of a singular noun ("halved", "sumažinamas perpus"), {pl} of a plural one ("perpus sumažinami")
    "outflow_absent": {"lt": "neto išvykimas {sg}: {pl} neigiami neto migracijos rodikliai (migracijos nuostoliai "
                             "pagal amžių ir lytį); bendrųjų srautų (emigrantų, išvykusiųjų) duomenų nėra",
                       "en": "the net outflow is {sg}: the negative net migration rates (net losses by age and sex) are "
                             "{pl}; gross flows (emigrants, departures) are not in the data"},
    "outflow_unused": {"lt": "neto išvykimas {sg}: {pl} neigiami neto migracijos rodikliai (migracijos nuostoliai "
                             "pagal amžių ir lytį); duomenų bendrieji srautai naudojami tik su nustatymu "
                             "migration_model 'rate'",
                       "en": "the net outflow is {sg}: the negative net migration rates (net losses by age and sex) are "
                             "{pl}; the gross flows in the data enter only with migration_model 'rate'"},
    "outflow_used": {"lt": "išvykimas {sg}: {pl} duomenų emigrantų ir išvykusiųjų srautai",
                     "en": "the outflow is {sg}: the gross emigration and departures of the data are {pl}"},
    "outflow_net": {"lt": "neto išvykimas {sg}: {pl} neigiami neto migracijos rodikliai (migracijos nuostoliai pagal "
                          "amžių ir lytį); bendrieji srautai nenaudojami",
                    "en": "the net outflow is {sg}: the negative net migration rates (net losses by age and sex) are "
                          "{pl}; gross flows are not used"},
    "outflow_either": {"lt": "išvykimas {sg}: {pl} emigrantų ir išvykusiųjų srautai, kur jų yra duomenyse, kitur – "
                             "neigiami neto migracijos rodikliai (migracijos nuostoliai pagal amžių ir lytį)",
                       "en": "the outflow is {sg}: the gross emigration and departures where the data have them, else "
                             "the negative net migration rates (net losses by age and sex), are {pl}"},
    "outflow_halved": {"lt": "sumažinamas perpus|perpus sumažinami", "en": "halved|halved"},
    "outflow_times": {"lt": "padauginamas iš {x}|padauginami iš {x}", "en": "multiplied by {x}|multiplied by {x}"},
    "f_outflow_scaled": {"lt": "Šiame scenarijuje {phrase}.", "en": "In this scenario {phrase}."},
    # a scenario asking more residents to leave than some age groups have (ProjectionResult.migration_shortfall)
    "f_migration_shortfall": {
        "lt": "Šiame scenarijuje {years} m. numatytas neto išvykimas viršija kai kurių amžiaus grupių gyventojų "
              "skaičių: {n} neišvyko (nė vienos grupės gyventojų skaičius negali tapti mažesnis už nulį), todėl "
              "projekcijos migracija mažesnė, nei numatyta scenarijuje.",
        "en": "In this scenario the net outflow set for {years} is more than some age groups have: {n} did not "
              "leave (no group can fall below zero), so the projection's migration is smaller than the scenario's."},
    "f_and": {"lt": "{first} ir {last}", "en": "{first} and {last}"},
    "f_migration_long_run_none": {"lt": "Scenarijaus neto migracijos rodikliai taikomi visą projekcijos laikotarpį.",
                                  "en": "The scenario's net migration rates apply for the whole projection."},
    # the accuracy section's back-test: the settings the nested protocol chose at the origin {y0}, or the shipped ones,
    # which were chosen on that back-test too (docs/BACKTEST.md)
    "f_accuracy_out_of_sample": {"lt": "Patikrinimas atliktas be žvilgsnio į ateitį: metodo nuostatos tokios, kokias "
                                       "patikrinimo tvarka būtų parinkusi {y0} m., remdamasi tik tada žinomais "
                                       "rezultatais.",
                                 "en": "This is an out-of-sample test: the method's settings are those the back-test "
                                       "protocol would have chosen in {y0}, from the back-tests known then."},
    "f_accuracy_in_sample": {"lt": "Metodo nuostatos – dabartinės, parinktos ir pagal šį patikrinimą, todėl paklaidos "
                                   "gali būti kiek mažesnės, nei būtų buvusios iš tikrųjų.",
                             "en": "The method's settings are the current ones, chosen with this back-test among "
                                   "others, so the errors may be somewhat smaller than they would have been."},
    # {year}: the back-test's origin, where each municipality is classed (as the band pools its errors);
    # {size}: the class of {name} at the base year {base}, the one the uncertainty section names
    "f_accuracy_class": {"lt": "Savivaldybių, kurios {year} m. (patikrinimo pradžioje) buvo tokio pat dydžio, kokio "
                               "{name} buvo {base} m. ({size} gyv.; pagal tą pačią dydžio grupę apskaičiuotas ir "
                               "neapibrėžtumo intervalas), vidutinė absoliuti paklaida – {mape} % ({municipalities}).",
                         "en": "For municipalities that in {year} (the start of the back-test) were of the size "
                               "{name} had in {base} ({size} residents; the size class the uncertainty band is "
                               "calibrated on) the mean absolute error was {mape}% ({municipalities})."},
    # {name} was in another class at the back-test's origin {year}: why its own error is not in that mean
    "f_accuracy_class_then": {"lt": "Pati {name} {year} m. dar priklausė kitai dydžio grupei ({size} gyv.), todėl jos "
                                    "paklaida į šį vidurkį neįeina.",
                              "en": "{name} itself was in another size class in {year} ({size} residents), so its "
                                    "own error is not part of this mean."},
    # {y0}: the back-test's origin (its data end), {year}: the year it projected ({y0} + horizon)
    "f_accuracy_flag": {"lt": "Dėmesio: šio metodo {year} m. projekcija pagal duomenis iki {y0} m. čia smarkiai "
                              "klydo – {groups}. Šios savivaldybės projekciją vertinkite atsargiai.",
                        "en": "Note: this method's projection of {year} from the data up to {y0} erred widely here – "
                              "{groups}. Read this municipality's projection with caution."},
    "f_accuracy_flag_item": {"lt": "{group}: {err} %", "en": "{group}: {err}%"},
    # notes the command line writes on stderr beside a table (plan check --lang)
    "cli_warning": {"lt": "įspėjimas: {text}", "en": "warning: {text}"},
    "cli_plan_probability_calibrated": {
        "lt": "pastaba: tikimybės apskaičiuotos iš stochastinės projekcijos, kurios sklaida kalibruota pagal metodo "
              "praeities paklaidas; tendencijos – tik tiesės, ne prognozės",
        "en": "note: probabilities come from the stochastic projection, whose spread is calibrated to the method's "
              "past errors; outlooks marked trend are straight lines, not forecasts"},
    "cli_plan_probability": {
        "lt": "pastaba: tikimybės apskaičiuotos iš stochastinės projekcijos, kurios sklaida su praeities paklaidomis "
              "nesuderinta (ji buvo siauresnė už jas); tendencijos – tik tiesės, ne prognozės",
        "en": "note: probabilities come from the stochastic projection, whose spread is not calibrated to past "
              "errors (narrower than they were); outlooks marked trend are straight lines, not forecasts"},
}


def check_language(lang: str) -> str:
    """Return ``lang`` if it is a report language, else raise :class:`ReportParameterError`."""
    if lang not in LANGUAGES:
        raise ReportParameterError(f"language {lang!r} is not supported; allowed: {', '.join(LANGUAGES)}")
    return lang


def t(key: str, lang: str = "lt", **fields: Any) -> str:
    """The text ``key`` in language ``lang``, with ``fields`` filled in.

    Raises
    ------
    KeyError
        ``key`` is not in :data:`TEXTS` (a programming error, not a user error).
    """
    text = TEXTS[key][check_language(lang)]
    return single_periods(text.format(**fields)) if fields else text


# A period that ends a sentence right after an abbreviation ("Zarasų r. sav.." or "2018 m..")
# is dropped; an ellipsis ("...") is left alone.
_DOUBLE_PERIOD = re.compile(r"(?<=\w\.)\.(?!\.)")


def single_periods(text: str) -> str:
    """``text`` without the second full stop of a sentence that ends in an abbreviation."""
    return _DOUBLE_PERIOD.sub("", text)


# The space between a number and its per cent sign, which English closes up (a no-break one too).
_SPACE_BEFORE_PERCENT = re.compile(r"(?<=\d)[ \u00a0]%")


def percent_as_written(text: str, lang: str) -> str:
    """``text`` with its percentages as ``lang`` writes them: English closes them up ("62.0%", as
    every English report text does), Lithuanian keeps the space ("62,0 %")."""
    return _SPACE_BEFORE_PERCENT.sub("%", text) if lang == "en" else text


#: The minus sign of every displayed negative number, in both languages.
MINUS = "\u2212"
#: The mark of a missing value (no data) in every displayed table and text, in both languages.
NO_VALUE = "\u2013"


def fmt_number(value: float | int | None, lang: str = "lt", decimals: int = 1, sign: bool = False) -> str:
    """Format a number for display (texts, tables, chart ticks) in ``lang``; ``None``/NaN become
    an en dash.

    A negative number takes the typographic minus sign (U+2212) in both languages, the house
    rule for every displayed number ("−3.2", "−3,2"); machine outputs (CSV and XLSX cells) keep
    their numbers numeric and never pass through here.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_VALUE
    if round(float(value), decimals) == 0:
        value, sign = 0.0, False  # no "-0.0" for a small negative value, nor "+0.0" (zero has no direction)
    text = f"{value:{'+' if sign else ''},.{decimals}f}".replace("-", MINUS)
    if lang == "lt":
        # Lithuanian: decimal comma, thin (non-breaking) space between thousands.
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def tick_labels(values, lang: str = "lt", max_decimals: int = 1) -> list[str]:
    """An axis's tick labels in ``lang`` (:func:`fmt_number`), all with the fewest decimals, at
    most ``max_decimals``, that write every tick as it is: ticks 100, 125, 150 are "100", "125",
    "150", not "125,0"; ticks 10, 12.5, 15 are "10,0", "12,5", "15,0" (one axis, one precision).
    Ticks that no precision up to ``max_decimals`` writes exactly take ``max_decimals``.
    """
    ticks = [float(v) for v in values]
    finite = sorted({v for v in ticks if math.isfinite(v)})
    # "as it is" up to a millionth of the ticks' spacing: a locator's 0.1 steps are 0.30000000000000004
    spacing = min((b - a for a, b in zip(finite, finite[1:])), default=1.0)
    tolerance = 1e-6 * spacing
    decimals = next((d for d in range(max_decimals + 1)
                     if all(abs(v - round(v, d)) <= tolerance for v in finite)), max_decimals)
    return [fmt_number(v, lang, decimals) for v in ticks]


def fmt_int(value: float | int | None, lang: str = "lt", sign: bool = False) -> str:
    """Format a count (rounded to a whole number) for running text; ``None``/NaN the no-data mark."""
    if value is None or math.isnan(float(value)):  # round() of NaN raises
        return NO_VALUE
    return fmt_number(round(float(value)), lang, decimals=0, sign=sign)


def fmt_percent(value: float | None, lang: str = "lt", decimals: int = 1, sign: bool = False) -> str:
    """Format a percentage number (``31.8`` → ``31,8`` / ``31.8``) without the percent sign."""
    return fmt_number(value, lang, decimals=decimals, sign=sign)


def rank_colour_note(n: int, lang: str = "lt") -> str:
    """The note under a table coloured by rank: "Spalva rodo vietą tarp 60 savivaldybių (...)", "tarp 21
    savivaldybės", "among 60 municipalities" (the number and its noun agreeing, :func:`grammar.count_phrase`)."""
    return t("rank_colour_note", lang, n=count_phrase(fmt_int(n, lang), int(n), "municipality", lang, case="gen"))


def rank_text(rank: int, n: int, lang: str = "lt", year: int | None = None) -> str:
    """"2-oji vieta iš 60" / "rank 2 of 60" (with ``year``: "2018 m. 2-oji vieta iš 60")."""
    shown = ordinal(int(rank), lang, gender="f") if lang == "lt" else str(int(rank))
    of_n = t("of_n", lang, n=int(n))
    if year is None:
        return t("rank_of", lang, rank=shown, of_n=of_n)
    return t("rank_of_year", lang, rank=shown, of_n=of_n, year=int(year))


#: "įrašyta" agrees with the rows as an adjective with its noun: "įrašyta 1 eilutė", "įrašytos 2 eilutės",
#: "įrašyta 10 eilučių" (with a genitive plural the neuter form).
_WRITTEN_LT = {"one": "įrašyta", "few": "įrašytos", "other": "įrašyta"}


def rows_written_note(n: int, file: str, lang: str = "en") -> str:
    """The note that ``n`` rows were written to ``file``: "wrote 3 rows to x.csv", "į x.csv įrašytos 3 eilutės"."""
    rows = count_phrase(str(n), n, "row", check_language(lang))
    if lang == "lt":
        return f"į {file} {plural_form(n, _WRITTEN_LT, 'lt')} {rows}"
    return f"wrote {rows} to {file}"
