"""The indicator catalogue: ids, names, units, definitions, polarity and input datasets.

Every indicator the library computes is described here once; the CLI (``indicators --list``),
the comparison tables and the reports read the same table. Ids are stable snake_case names that
scripts and reports rely on.

Conventions (Eurostat unless stated): population is at 1 January; the *average population* of
year t is the mean of the populations at 1 January t and 1 January t+1; crude rates are per
1,000 average population; shares and ratios are in percent (0-100) unless the unit says
otherwise. Annual flows (births, deaths, migration, population change) of year t are the events
of calendar year t, i.e. between 1 January t and 1 January t+1.

Polarity says which direction is *better* for a strategic plan's situation analysis
(``higher_better``, ``lower_better``) or that no direction is better (``neutral``). It drives
the ranks in :mod:`cityindicators.indicators.compare` (rank 1 = best; neutral indicators are
ranked from the highest value down).

Indicators of the published cross-section (dataset ``published_indicators``, imported with
``cityindicators import indicators``) are used as published under the id ``pub_<indicator>``;
the ones of the 2016 municipal cross-section are listed here, any other published indicator is
added from the names and unit that come with the data (polarity neutral).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

import pandas as pd

from ..exceptions import ConfigError

__all__ = [
    "Indicator",
    "CATALOGUE",
    "POLARITIES",
    "PUBLISHED_PREFIX",
    "get_indicator",
    "close_indicator_ids",
    "catalogue_frame",
    "indicator_ids",
    "published_indicator",
    "UNIT_LABELS",
    "unit_label",
    "SHARE",
    "NON_NEGATIVE",
    "SIGNED",
    "normalise_unit",
]

POLARITIES = ("higher_better", "lower_better", "neutral")
#: Prefix of the ids of published indicators used as is.
PUBLISHED_PREFIX = "pub_"


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry.

    Attributes
    ----------
    id
        Stable snake_case id.
    name_lt, name_en
        Display names in Lithuanian and English.
    unit
        Unit of the value (``persons``, ``%``, ``per 1000``, ``years`` ...); :meth:`unit_label`
        gives it in a report's language.
    definition, definition_lt
        Definition with its formula in English and in Lithuanian (:meth:`definition_in`).
    polarity
        ``higher_better``, ``lower_better`` or ``neutral``.
    datasets
        Canonical datasets the indicator needs.
    topic
        ``structure``, ``working_age``, ``vital``, ``migration``, ``labour`` or ``published``.
    additive
        True when the value is a count that adds up over territories (population, births...);
        changes of such indicators are also shown in percent.
    bounds
        ``(least, greatest)`` value the indicator can take, ``None`` for no bound: :data:`SHARE`
        ``(0, 100)`` for a share in percent, :data:`NON_NEGATIVE` ``(0, None)`` for a count, a
        rate, a ratio, an age or an amount (what a catalogue entry has unless ``_BOUNDS`` says
        otherwise); :data:`SIGNED` ``(None, None)`` for a balance or a change (net migration,
        natural change, their rates) or a published indicator the catalogue does not describe
        (the dataclass's default). ``import indicators`` refuses a value outside them, ``plan
        check`` a base or target value.
    unit_spellings
        Other spellings of :attr:`unit` that published tables use for this indicator (the 2016
        cross-section writes ``count`` for businesses per 100 working-age residents), accepted by
        :func:`unit_matches` besides the general ones of :func:`normalise_unit`.
    """

    id: str
    name_lt: str
    name_en: str
    unit: str
    definition: str
    polarity: str
    datasets: tuple[str, ...]
    topic: str
    additive: bool = False
    definition_lt: str = ""
    bounds: tuple[float | None, float | None] = (None, None)
    unit_spellings: tuple[str, ...] = ()

    def name(self, lang: str = "lt") -> str:
        """Display name in ``lang`` (``lt`` or ``en``)."""
        return self.name_en if lang == "en" else self.name_lt

    def definition_in(self, lang: str = "lt") -> str:
        """The definition in ``lang`` (``lt`` or ``en``)."""
        return self.definition if lang == "en" else self.definition_lt

    def unit_label(self, lang: str = "lt") -> str:
        """The unit as a reader of a ``lang`` report writes it (``asm.``, ``‰ (1 000 gyv.)`` ...)."""
        return unit_label(self.unit, lang)

    def unit_matches(self, unit: str) -> bool:
        """Whether ``unit`` (as a published table writes it) is this indicator's unit: the same
        after :func:`normalise_unit`, or one of :attr:`unit_spellings`."""
        given = normalise_unit(unit)
        return given == normalise_unit(self.unit) or given in {normalise_unit(u) for u in self.unit_spellings}


#: Catalogue units as written in Lithuanian and English reports.
UNIT_LABELS: dict[str, tuple[str, str]] = {
    "persons": ("asm.", "persons"), "%": ("%", "%"), "years": ("metai", "years"),
    "fraction of population": ("gyventojų skaičiaus dalis", "fraction of population"), "EUR": ("Eur", "EUR"),
    "persons per km2": ("asm./km²", "persons per km²"), "per 1000": ("‰ (1 000 gyv.)", "per 1,000"),
    "per 100": ("100 gyv.", "per 100"), "ratio": ("santykis", "ratio"),
    "males per 100 females": ("vyrų 100 moterų", "males per 100 females"),
    # the dependency ratios and the ageing index are counts per 100 of a reference group (as
    # Statistics Lithuania defines them), written so in tables, texts and charts alike
    "per 100 aged 15-64": ("asm. šimtui 15–64 m. gyv.", "persons per 100 aged 15–64"),
    "per 100 aged 0-14": ("asm. šimtui 0–14 m. gyv.", "persons per 100 aged 0–14"),
}


#: Bounds of a share in percent, of a figure that cannot be negative and of a balance or change
#: (:attr:`Indicator.bounds`).
SHARE: tuple[float, float] = (0.0, 100.0)
NON_NEGATIVE: tuple[float, None] = (0.0, None)
SIGNED: tuple[None, None] = (None, None)

#: Spellings of catalogue units that mean the same unit (case and spaces aside): the names of the
#: units in Lithuanian and English as published tables and plan files write them, and ``fraction``
#: as the 2016 cross-section writes the catalogue's ``fraction of population``. A different scale
#: (``per 1000`` for ``%``, ``thousand EUR`` for ``EUR``) is a different unit, never an alias; a
#: spelling one indicator's tables use for its own unit is its :attr:`Indicator.unit_spellings`.
_UNIT_ALIASES: dict[str, tuple[str, ...]] = {
    "persons": ("person", "people", "residents", "asm.", "asm", "gyv.", "gyventojai"),
    "%": ("percent", "per cent", "proc.", "proc", "pct"),
    "per 1000": ("per 1,000", "per 1 000", "‰", "1000 gyv.", "promilės"),
    "per 100": ("100 gyv.",),
    "per 100 aged 15-64": ("per 100 aged 15–64", "persons per 100 aged 15-64", "persons per 100 aged 15–64",
                           "asm. šimtui 15–64 m. gyv.", "šimtui 15–64 m. gyv."),
    "per 100 aged 0-14": ("per 100 aged 0–14", "persons per 100 aged 0-14", "persons per 100 aged 0–14",
                          "asm. šimtui 0–14 m. gyv.", "šimtui 0–14 m. gyv."),
    "years": ("year", "metai", "m."),
    "EUR": ("eur", "€", "euro", "eurai"),
    "fraction of population": ("fraction", "fraction of the population"),
}
#: A count per 100 is the same number as a percentage: a dependency ratio or the ageing index given
#: in ``%`` (as the catalogue gave them before) or ``per 100`` is read in the catalogue's unit.
_PER_100_SPELLINGS = ("per 100", "%")
_ALIAS_OF = {" ".join(a.lower().split()): canon for canon, aliases in _UNIT_ALIASES.items()
             for a in (canon, *aliases)}


def normalise_unit(unit: str) -> str:
    """The catalogue spelling of ``unit`` (``proc.`` -> ``%``, ``fraction`` -> ``fraction of
    population``, ``eur`` -> ``EUR``); a unit it does not know, trimmed, with its spaces collapsed
    and in lower case, so that two spellings differing only so compare equal."""
    key = " ".join(str(unit).lower().split())
    return _ALIAS_OF.get(key, key)


def unit_label(unit: str, lang: str = "lt") -> str:
    """``unit`` in ``lang``; a unit the catalogue does not know (one that came with published data)
    is returned as it is."""
    pair = UNIT_LABELS.get(unit)
    return (pair[0] if lang == "lt" else pair[1]) if pair else unit


#: The bounds of the entries that give none (``_i(..., bounds=)``) and are not :data:`NON_NEGATIVE`.
#: The unit alone does not tell: ``persons`` are a population (never negative) or a net migration
#: (often negative), ``%`` a share (at most 100), a growth rate (negative, but not below -100) or a
#: ratio to the country's level (above 100 for a richer municipality); ``employment_rate`` and
#: ``employed_share`` stay unbounded above, as the employed may be counted where they work.
_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    **dict.fromkeys(("population_change", "natural_change", "crude_natural_change_rate", "net_migration",
                     "crude_net_migration_rate", "net_migration_15_29", "net_migration_rate_15_29",
                     "net_international_migration", "net_internal_migration", "net_international_migration_rate",
                     "net_internal_migration_rate", "pub_net_migration"), SIGNED),
    "population_growth_rate": (-100.0, None),  # a population can lose at most all of itself
    **dict.fromkeys(("share_0_14", "share_15_64", "share_65_plus", "share_80_plus", "working_age_share",
                     "pension_age_share", "registered_unemployed_ratio", "industry_employment_share",
                     "urban_share"), SHARE),
}


def _i(id, name_lt, name_en, unit, definition, polarity, datasets, topic, additive=False, *,
       bounds=None, unit_spellings=()) -> Indicator:
    bounds = _BOUNDS.get(id, NON_NEGATIVE) if bounds is None else bounds
    return Indicator(id, name_lt, name_en, unit, definition, polarity, tuple(datasets), topic, additive,
                     _DEFINITIONS_LT.get(id, ""), tuple(bounds), tuple(unit_spellings))


#: Lithuanian definitions, one per catalogue id (Statistics Lithuania's terms: gyventojų skaičius
#: metų pradžioje, vidutinis metinis gyventojų skaičius, gyvi gimusieji, 1 000 gyventojų ...);
#: P is the population at 1 January, B live births, D deaths, as in the English ones.
#: ``_check`` refuses an entry without one, so the Lithuanian annex never falls back to English.
_DEFINITIONS_LT: dict[str, str] = {
    "population": "Nuolatinių gyventojų skaičius sausio 1 d. (P).",
    "population_male": "Nuolatinių gyventojų vyrų skaičius sausio 1 d.",
    "population_female": "Nuolatinių gyventojų moterų skaičius sausio 1 d.",
    "population_change": "Gyventojų skaičiaus pokytis per kalendorinius metus t: P(t+1 m. sausio 1 d.) − "
                         "P(t m. sausio 1 d.).",
    "population_growth_rate": "(P(t+1 m. sausio 1 d.) − P(t m. sausio 1 d.)) / P(t m. sausio 1 d.) × 100.",
    "share_0_14": "P(0–14) / P × 100; P – vienmečių amžiaus grupių suma.",
    "share_15_64": "P(15–64) / P × 100.",
    "share_65_plus": "P(65+) / P × 100.",
    "share_80_plus": "P(80+) / P × 100.",
    "old_age_dependency_ratio": "P(65+) / P(15–64) × 100.",
    "young_age_dependency_ratio": "P(0–14) / P(15–64) × 100.",
    "total_dependency_ratio": "(P(0–14) + P(65+)) / P(15–64) × 100.",
    "ageing_index": "P(65+) / P(0–14) × 100 (65 m. ir vyresnių gyventojų skaičius, tenkantis šimtui vaikų iki "
                    "15 metų).",
    # 15-64, not "darbingo amžiaus" (16 to the pension age in this tool's working_age_population)
    "potential_support_ratio": "P(15–64) / P(65+) (15–64 m. gyventojų skaičius, tenkantis vienam 65 m. ir "
                               "vyresniam gyventojui).",
    "median_age": "Amžius m, už kurį jaunesni yra pusė gyventojų: tiesinė interpoliacija tų vienerių metų "
                  "amžiaus intervale [a, a+1), kuriame sukauptas gyventojų skaičius pasiekia P/2, "
                  "m = a + (P/2 − C(a)) / P(a), C(a) – jaunesnių nei a gyventojų skaičius. Neapibrėžta "
                  "(trūksta), jei patenka į atvirąją vyriausiųjų amžiaus grupę.",
    "mean_age": "Vienmečių amžiaus grupių suma (a + 0,5) × P(a) / P; atviroji vyriausiųjų grupė (85+) "
                "skaičiuojama jos numanomu vidutiniu amžiumi (atviroji riba + 4 metai).",
    "sex_ratio": "P(vyrai) / P(moterys) × 100.",
    "working_age_population": "Gyventojai nuo 16 metų iki tų metų ir lyties senatvės pensijos amžiaus "
                              "(2012–2026 m. jis kasmet ilgėja vyrams 2 mėn., moterims 4 mėn., kol abiem "
                              "pasiekia 65 metus); metų, kuriais sukanka trupmeninis pensijos amžius, "
                              "gyventojai skaičiuojami proporcingai.",
    "working_age_share": "Darbingo amžiaus gyventojai / P × 100.",
    "pension_age_population": "Gyventojai, sulaukę tų metų ir lyties senatvės pensijos amžiaus ar vyresni.",
    "pension_age_share": "Pensinio amžiaus gyventojai / P × 100.",
    "births": "Gyvi gimusieji per kalendorinius metus t (B).",
    "deaths": "Mirusieji per kalendorinius metus t (D).",
    "infant_deaths": "Mirę vaikai iki vienerių metų amžiaus per kalendorinius metus t.",
    "natural_change": "B − D.",
    "crude_birth_rate": "B / vidutinis metinis gyventojų skaičius × 1 000; vidutinis metinis gyventojų "
                        "skaičius = (P(t m. sausio 1 d.) + P(t+1 m. sausio 1 d.)) / 2.",
    "crude_death_rate": "D / vidutinis metinis gyventojų skaičius × 1 000.",
    "crude_natural_change_rate": "(B − D) / vidutinis metinis gyventojų skaičius × 1 000.",
    "general_fertility_rate": "B / vidutinis metinis 15–49 metų moterų skaičius × 1 000.",
    "child_woman_ratio": "0–4 metų vaikų skaičius / 15–49 metų moterų skaičius × 1 000, abu sausio 1 d.",
    "infant_mortality_rate": "Mirę vaikai iki vienerių metų / gyvi gimusieji × 1 000 (tų pačių "
                             "kalendorinių metų).",
    "net_migration": "Gyventojų skaičiaus pokytis − natūrali kaita = (P(t+1 m. sausio 1 d.) − "
                     "P(t m. sausio 1 d.)) − (B − D).",
    "crude_net_migration_rate": "Neto migracija (su statistiniu patikslinimu) / vidutinis metinis gyventojų "
                                "skaičius × 1 000.",
    "net_migration_15_29": "Kohortų, kurioms t+1 m. sausio 1 d. buvo 15–29 metai, neto migracijos suma: "
                           "P(a, t+1) − išgyvenusieji iš P(a−1, t) (kohortų likučio metodas, išgyvenusieji – pagal "
                           "tų metų mirusiuosius); neigiama reikšmė – jaunimo išvykimas.",
    "net_migration_rate_15_29": "15–29 m. jaunimo neto migracija / vidutinis metinis 15–29 metų gyventojų "
                                "skaičius × 1 000.",
    "emigrants": "Emigrantai (išvykę iš Lietuvos) per kalendorinius metus t.",
    "immigrants": "Imigrantai (atvykę į Lietuvą) per kalendorinius metus t.",
    "net_international_migration": "Imigrantai − emigrantai (kaip paskelbta arba apskaičiuota iš abiejų "
                                   "srautų).",
    "internal_arrivals": "Atvykusieji iš kitų Lietuvos savivaldybių per kalendorinius metus t.",
    "internal_departures": "Išvykusieji į kitas Lietuvos savivaldybes per kalendorinius metus t.",
    "net_internal_migration": "Atvykusieji − išvykusieji (vidaus migracija).",
    "emigration_rate": "Emigrantai / vidutinis metinis gyventojų skaičius × 1 000.",
    "immigration_rate": "Imigrantai / vidutinis metinis gyventojų skaičius × 1 000.",
    "net_international_migration_rate": "Tarptautinė neto migracija / vidutinis metinis gyventojų "
                                        "skaičius × 1 000.",
    "internal_arrival_rate": "Atvykusieji (vidaus migracija) / vidutinis metinis gyventojų skaičius × 1 000.",
    "internal_departure_rate": "Išvykusieji (vidaus migracija) / vidutinis metinis gyventojų skaičius × 1 000.",
    "net_internal_migration_rate": "Vidaus neto migracija / vidutinis metinis gyventojų skaičius × 1 000.",
    "registered_unemployed": "Registruoti bedarbiai (darbo rinkos rodiklis „registered_unemployed“), "
                             "metų vidurkis arba kaip paskelbta.",
    "registered_unemployed_ratio": "Registruoti bedarbiai / darbingo amžiaus gyventojai sausio 1 d. × 100, "
                                   "kai yra abu skaičiai; kitaip – paskelbtas santykis (darbo rinkos "
                                   "rodiklis „registered_unemployed_ratio“).",
    "employed": "Užimtieji (darbo rinkos rodiklis „employed“).",
    "employment_rate": "Užimtieji / darbingo amžiaus gyventojai sausio 1 d. × 100 (įstatyme nustatytas "
                       "darbingas amžius: nuo 16 metų iki senatvės pensijos amžiaus).",
    "employed_share": "Užimtieji / P × 100.",
    "industry_employment_share": "Pramonėje dirbantieji (darbo rinkos rodiklis „employed_industry“) / "
                                 "užimtieji × 100.",
    "average_earnings": "Vidutinis mėnesinis bruto darbo užmokestis (darbo rinkos rodiklis "
                        "„average_earnings“), kaip paskelbta.",
    "earnings_relative_to_country": "Teritorijos vidutinis darbo užmokestis / Lietuvos vidutinis darbo "
                                    "užmokestis × 100; kai paskelbtas tik neto darbo užmokestis (2016 m. "
                                    "savivaldybių rodikliai) – pagal jį.",
    "life_expectancy": "Vidutinė tikėtina gyvenimo trukmė gimus, kaip paskelbta (šalies ir apskričių).",
    "median_age_published": "Amžiaus mediana, kaip ją paskelbė Lietuvos statistika.",
    "population_density": "Gyventojų skaičius 1 km², kaip paskelbta.",
    "urban_share": "Miesto gyventojai / visi gyventojai × 100 (duomenų rinkinys urban_rural).",
    "pub_unemployment_rate": "Kaip paskelbta 2016 m. savivaldybių rodiklių lentelėje.",
    "pub_long_term_unemployed_share": "Kaip paskelbta.",
    "pub_employed_share": "Kaip paskelbta.",
    "pub_working_age_share": "Kaip paskelbta.",
    "pub_pension_age_share": "Kaip paskelbta.",
    "pub_net_migration": "Kaip paskelbta (gyventojų skaičiaus dalis).",
    "pub_average_net_monthly_earnings": "Kaip paskelbta.",
    "pub_share_earning_above_minimum_wage": "Kaip paskelbta.",
    "pub_businesses_per_100_working_age": "Kaip paskelbta.",
}


_P = ("population",)
_PV = ("population", "births", "deaths")

_ENTRIES: tuple[Indicator, ...] = (
    # -- population structure -----------------------------------------------------------------
    _i("population", "Gyventojų skaičius", "Population", "persons",
       "Residents at 1 January (P).", "higher_better", _P, "structure", True),
    _i("population_male", "Vyrų skaičius", "Male population", "persons",
       "Male residents at 1 January.", "neutral", _P, "structure", True),
    _i("population_female", "Moterų skaičius", "Female population", "persons",
       "Female residents at 1 January.", "neutral", _P, "structure", True),
    _i("population_change", "Gyventojų skaičiaus pokytis", "Population change", "persons",
       "Change during calendar year t: P(1 Jan t+1) - P(1 Jan t).", "higher_better", _P, "structure", True),
    _i("population_growth_rate", "Gyventojų skaičiaus pokyčio tempas", "Population growth rate", "%",
       "(P(1 Jan t+1) - P(1 Jan t)) / P(1 Jan t) x 100.", "higher_better", _P, "structure"),
    _i("share_0_14", "0–14 m. gyventojų dalis", "Share of population aged 0–14", "%",
       "P(0-14) / P x 100, P the sum over single ages.", "higher_better", _P, "structure"),
    _i("share_15_64", "15–64 m. gyventojų dalis", "Share of population aged 15–64", "%",
       "P(15-64) / P x 100.", "higher_better", _P, "structure"),
    _i("share_65_plus", "65 m. ir vyresnių gyventojų dalis", "Share of population aged 65 and over", "%",
       "P(65+) / P x 100.", "lower_better", _P, "structure"),
    _i("share_80_plus", "80 m. ir vyresnių gyventojų dalis", "Share of population aged 80 and over", "%",
       "P(80+) / P x 100.", "lower_better", _P, "structure"),
    _i("old_age_dependency_ratio", "Senatvės demografinės priklausomybės koeficientas",
       "Old-age dependency ratio", "per 100 aged 15-64",
       "P(65+) / P(15-64) x 100.", "lower_better", _P, "structure", unit_spellings=_PER_100_SPELLINGS),
    _i("young_age_dependency_ratio", "Vaikų demografinės priklausomybės koeficientas",
       "Young-age dependency ratio", "per 100 aged 15-64",
       "P(0-14) / P(15-64) x 100.", "neutral", _P, "structure", unit_spellings=_PER_100_SPELLINGS),
    _i("total_dependency_ratio", "Bendrasis demografinės priklausomybės koeficientas",
       "Total dependency ratio", "per 100 aged 15-64",
       "(P(0-14) + P(65+)) / P(15-64) x 100.", "lower_better", _P, "structure", unit_spellings=_PER_100_SPELLINGS),
    _i("ageing_index", "Senatvės koeficientas", "Ageing index", "per 100 aged 0-14",
       "P(65+) / P(0-14) x 100 (persons aged 65+ per 100 children aged 0-14).", "lower_better", _P, "structure",
       unit_spellings=_PER_100_SPELLINGS),
    _i("potential_support_ratio", "Potencialios paramos koeficientas", "Potential support ratio", "ratio",
       "P(15-64) / P(65+) (persons aged 15-64 per person aged 65+).", "higher_better", _P, "structure"),
    _i("median_age", "Amžiaus mediana", "Median age", "years",
       "Age m with half the residents younger: linear interpolation within the single year of age "
       "[a, a+1) where the cumulated population reaches P/2, m = a + (P/2 - C(a)) / P(a), C(a) the "
       "residents younger than a. Not defined (missing) if it falls in the open top age group.",
       "lower_better", _P, "structure"),
    _i("mean_age", "Vidutinis amžius", "Mean age", "years",
       "Sum over single ages of (a + 0.5) x P(a) / P; the open top group (85+) counted at its "
       "assumed mean age (open age + 4 years).", "lower_better", _P, "structure"),
    _i("sex_ratio", "Vyrų skaičius 100 moterų", "Sex ratio", "males per 100 females",
       "P(male) / P(female) x 100.", "neutral", _P, "structure"),
    # -- working age (Lithuanian law) ------------------------------------------------------------
    _i("working_age_population", "Darbingo amžiaus gyventojai", "Working-age population", "persons",
       "Residents aged from 16 to below the old-age pension age of the year and sex (from 2012 to 2026 "
       "it rises by 2 months a year for men and 4 months for women, until both reach 65); the one-year "
       "age group in which a fractional pension age falls counts in proportion.",
       "higher_better", _P, "working_age", True),
    _i("working_age_share", "Darbingo amžiaus gyventojų dalis", "Working-age share", "%",
       "Working-age population / P x 100.", "higher_better", _P, "working_age"),
    _i("pension_age_population", "Pensinio amžiaus gyventojai", "Pension-age population", "persons",
       "Residents at or above the old-age pension age of the year and sex.",
       "lower_better", _P, "working_age", True),
    _i("pension_age_share", "Pensinio amžiaus gyventojų dalis", "Pension-age share", "%",
       "Pension-age population / P x 100.", "lower_better", _P, "working_age"),
    # -- vital events -------------------------------------------------------------------------------
    _i("births", "Gimusieji", "Live births", "persons",
       "Live births in calendar year t (B).", "higher_better", ("births",), "vital", True),
    _i("deaths", "Mirusieji", "Deaths", "persons",
       "Deaths in calendar year t (D).", "lower_better", ("deaths",), "vital", True),
    _i("infant_deaths", "Mirę kūdikiai", "Infant deaths", "persons",
       "Deaths under one year of age in calendar year t.", "lower_better", ("deaths",), "vital", True),
    _i("natural_change", "Natūrali gyventojų kaita", "Natural change", "persons",
       "B - D.", "higher_better", ("births", "deaths"), "vital", True),
    _i("crude_birth_rate", "Gimstamumo rodiklis", "Crude birth rate", "per 1000",
       "B / average population x 1000; average population = (P(1 Jan t) + P(1 Jan t+1)) / 2.",
       "higher_better", ("births", "population"), "vital"),
    _i("crude_death_rate", "Mirtingumo rodiklis", "Crude death rate", "per 1000",
       "D / average population x 1000.", "lower_better", ("deaths", "population"), "vital"),
    _i("crude_natural_change_rate", "Natūralios gyventojų kaitos rodiklis", "Crude rate of natural change",
       "per 1000", "(B - D) / average population x 1000.", "higher_better", _PV, "vital"),
    _i("general_fertility_rate", "Bendrasis vaisingumo rodiklis", "General fertility rate", "per 1000",
       "B / average number of women aged 15-49 x 1000.", "higher_better", ("births", "population"), "vital"),
    _i("child_woman_ratio", "Vaikų ir moterų santykis", "Child-woman ratio", "per 1000",
       "Children aged 0-4 / women aged 15-49 x 1000, both at 1 January.", "higher_better", _P, "vital"),
    _i("infant_mortality_rate", "Kūdikių mirtingumo rodiklis", "Infant mortality rate", "per 1000",
       "Infant deaths / live births x 1000 (same calendar year).", "lower_better", ("births", "deaths"), "vital"),
    # -- migration --------------------------------------------------------------------------------
    _i("net_migration", "Neto migracija (su statistiniu patikslinimu)",
       "Net migration including statistical adjustment", "persons",
       "Population change - natural change = (P(1 Jan t+1) - P(1 Jan t)) - (B - D).",
       "higher_better", _PV, "migration", True),
    _i("crude_net_migration_rate", "Neto migracijos rodiklis", "Crude rate of net migration", "per 1000",
       "Net migration (incl. statistical adjustment) / average population x 1000.",
       "higher_better", _PV, "migration"),
    _i("net_migration_15_29", "15–29 m. jaunimo neto migracija", "Net migration of young people aged 15–29",
       "persons",
       "Sum over the cohorts aged 15-29 at 1 January t+1 of the cohort-residual net migration "
       "P(a, t+1) - survivors of P(a-1, t) (cohort-residual method, survivors from the year's deaths); "
       "negative = youth outflow.",
       "higher_better", _PV, "migration", True),
    _i("net_migration_rate_15_29", "15–29 m. jaunimo neto migracijos rodiklis",
       "Net migration rate of young people aged 15–29", "per 1000",
       "Net migration of young people aged 15-29 / average population aged 15-29 x 1000.", "higher_better", _PV, "migration"),
    _i("emigrants", "Emigrantai", "Emigrants", "persons",
       "International emigrants in calendar year t.", "lower_better", ("migration",), "migration", True),
    _i("immigrants", "Imigrantai", "Immigrants", "persons",
       "International immigrants in calendar year t.", "higher_better", ("migration",), "migration", True),
    _i("net_international_migration", "Tarptautinė neto migracija", "Net international migration", "persons",
       "Immigrants - emigrants (as published, or computed from the two flows).",
       "higher_better", ("migration",), "migration", True),
    _i("internal_arrivals", "Atvykusieji (vidaus migracija)", "Internal migration: arrivals", "persons",
       "Arrivals from other Lithuanian municipalities in calendar year t.",
       "higher_better", ("migration",), "migration", True),
    _i("internal_departures", "Išvykusieji (vidaus migracija)", "Internal migration: departures", "persons",
       "Departures to other Lithuanian municipalities in calendar year t.",
       "lower_better", ("migration",), "migration", True),
    _i("net_internal_migration", "Vidaus neto migracija", "Net internal migration", "persons",
       "Internal arrivals - internal departures.", "higher_better", ("migration",), "migration", True),
    _i("emigration_rate", "Emigracijos rodiklis", "Crude emigration rate", "per 1000",
       "Emigrants / average population x 1000.", "lower_better", ("migration", "population"), "migration"),
    _i("immigration_rate", "Imigracijos rodiklis", "Crude immigration rate", "per 1000",
       "Immigrants / average population x 1000.", "higher_better", ("migration", "population"), "migration"),
    _i("net_international_migration_rate", "Tarptautinės neto migracijos rodiklis",
       "Crude rate of net international migration", "per 1000",
       "Net international migration / average population x 1000.",
       "higher_better", ("migration", "population"), "migration"),
    _i("internal_arrival_rate", "Vidaus migracijos atvykimo rodiklis", "Crude internal arrival rate",
       "per 1000", "Internal arrivals / average population x 1000.",
       "higher_better", ("migration", "population"), "migration"),
    _i("internal_departure_rate", "Vidaus migracijos išvykimo rodiklis", "Crude internal departure rate",
       "per 1000", "Internal departures / average population x 1000.",
       "lower_better", ("migration", "population"), "migration"),
    _i("net_internal_migration_rate", "Vidaus neto migracijos rodiklis", "Crude rate of net internal migration",
       "per 1000", "Net internal migration / average population x 1000.",
       "higher_better", ("migration", "population"), "migration"),
    # -- labour -------------------------------------------------------------------------------------
    _i("registered_unemployed", "Registruoti bedarbiai", "Registered unemployed", "persons",
       "Registered unemployed persons (labour indicator 'registered_unemployed'), annual average or "
       "as published.", "lower_better", ("labour",), "labour", True),
    _i("registered_unemployed_ratio", "Registruotų bedarbių ir darbingo amžiaus gyventojų santykis",
       "Registered unemployed to working-age population ratio", "%",
       "Registered unemployed / working-age population at 1 January x 100 when counts exist; "
       "otherwise the published ratio (labour indicator 'registered_unemployed_ratio').",
       "lower_better", ("labour", "population"), "labour"),
    _i("employed", "Užimtieji", "Employed persons", "persons",
       "Employed persons (labour indicator 'employed').", "higher_better", ("labour",), "labour", True),
    _i("employment_rate", "Užimtumo lygis", "Employment rate", "%",
       "Employed persons / working-age population at 1 January x 100 (the legal working age: from 16 "
       "to the old-age pension age).", "higher_better", ("labour", "population"), "labour"),
    _i("employed_share", "Užimtųjų dalis gyventojuose", "Employed share of the population", "%",
       "Employed persons / P x 100.", "higher_better", ("labour", "population"), "labour"),
    _i("industry_employment_share", "Pramonėje dirbančiųjų dalis", "Share employed in industry", "%",
       "Employed in industry (labour indicator 'employed_industry') / employed persons x 100.",
       "neutral", ("labour",), "labour"),
    _i("average_earnings", "Vidutinis mėnesinis darbo užmokestis", "Average monthly earnings", "EUR",
       "Average monthly gross earnings (labour indicator 'average_earnings'), as published.",
       "higher_better", ("labour",), "labour"),
    _i("earnings_relative_to_country", "Darbo užmokestis, palyginti su šalies vidurkiu",
       "Average earnings relative to the country", "%",
       "Average earnings of the territory / average earnings of Lithuania x 100; when only net "
       "earnings are published (2016 cross-section), those.", "higher_better", ("labour",), "labour"),
    # -- other published series ------------------------------------------------------------------
    _i("life_expectancy", "Vidutinė tikėtina gyvenimo trukmė", "Life expectancy at birth", "years",
       "Life expectancy at birth, as published (country and counties).",
       "higher_better", ("life_expectancy",), "published"),
    _i("median_age_published", "Amžiaus mediana (paskelbta)", "Median age (published)", "years",
       "Median age as published by Statistics Lithuania.", "lower_better", ("median_age",), "published"),
    _i("population_density", "Gyventojų tankis", "Population density", "persons per km2",
       "Residents per km2, as published.", "neutral", ("density",), "published"),
    _i("urban_share", "Miesto gyventojų dalis", "Urban population share", "%",
       "Urban residents / residents x 100 (dataset urban_rural).", "neutral", ("urban_rural",), "published"),
    # -- the 2016 municipal cross-section, as published ------------------------------------------
    # (bounds: the shares are in percent, 0-100; earnings and businesses per 100 cannot be
    # negative; the net migration, a fraction of the population, is signed)
    _i("pub_unemployment_rate", "Nedarbo lygis", "Unemployment rate", "%",
       "As published in the 2016 municipal cross-section.", "lower_better", ("published_indicators",),
       "published", bounds=SHARE),
    _i("pub_long_term_unemployed_share", "Ilgalaikių bedarbių dalis nuo visų bedarbių",
       "Long-term unemployed, share of all unemployed", "%", "As published.", "lower_better",
       ("published_indicators",), "published", bounds=SHARE),
    _i("pub_employed_share", "Užimtų gyventojų dalis (paskelbta)", "Employed residents, share (published)", "%", "As published.",
       "higher_better", ("published_indicators",), "published", bounds=SHARE),
    _i("pub_working_age_share", "Darbingo amžiaus gyventojų dalis (paskelbta)", "Working-age share (published)", "%",
       "As published.", "higher_better", ("published_indicators",), "published", bounds=SHARE),
    _i("pub_pension_age_share", "Pensinio amžiaus gyventojų dalis (paskelbta)", "Pension-age share (published)", "%",
       "As published.", "lower_better", ("published_indicators",), "published", bounds=SHARE),
    _i("pub_net_migration", "Neto migracija (paskelbta)", "Net migration (published)", "fraction of population",
       "As published (a fraction of the population).", "higher_better", ("published_indicators",),
       "published"),
    _i("pub_average_net_monthly_earnings", "Vidutinis mėnesinis darbo užmokestis (neto)",
       "Average net monthly earnings", "EUR", "As published.", "higher_better", ("published_indicators",),
       "published", bounds=NON_NEGATIVE),
    _i("pub_share_earning_above_minimum_wage", "Uždirbančiųjų daugiau nei minimalų atlyginimą dalis",
       "Share earning above the minimum wage", "%", "As published.", "higher_better",
       ("published_indicators",), "published", bounds=SHARE),
    _i("pub_businesses_per_100_working_age", "Įmonių skaičius 100 darbingo amžiaus gyventojų",
       "Businesses per 100 working-age residents", "per 100", "As published.", "higher_better",
       ("published_indicators",), "published", bounds=NON_NEGATIVE,
       unit_spellings=("count",)),
)

#: id -> :class:`Indicator`, in display order.
CATALOGUE: dict[str, Indicator] = {e.id: e for e in _ENTRIES}


def _check() -> None:
    for e in _ENTRIES:
        if e.polarity not in POLARITIES:
            raise ConfigError(f"indicator {e.id!r}: polarity {e.polarity!r} not in {POLARITIES}")
        if not (e.definition and e.definition_lt):
            raise ConfigError(f"indicator {e.id!r}: needs a definition in English and in Lithuanian")
        low, high = e.bounds
        if low is not None and high is not None and low > high:
            raise ConfigError(f"indicator {e.id!r}: bounds {e.bounds} (the least above the greatest)")
    if len(CATALOGUE) != len(_ENTRIES):
        raise ConfigError("indicator catalogue: duplicate ids")
    unknown = sorted(set(_BOUNDS) - set(CATALOGUE))
    if unknown:
        raise ConfigError(f"indicator catalogue: bounds of unknown ids {unknown}")


_check()


def published_indicator(indicator: str, unit: str = "", name_lt: str = "", name_en: str = "") -> Indicator:
    """Catalogue entry of a published indicator ``indicator`` (id ``pub_<indicator>``).

    Known ones come from :data:`CATALOGUE`; others are described from the data (neutral, and without
    bounds: the data do not say whether the indicator is a balance).
    """
    pid = indicator if indicator.startswith(PUBLISHED_PREFIX) else PUBLISHED_PREFIX + indicator
    if pid in CATALOGUE:
        return CATALOGUE[pid]
    return Indicator(pid, name_lt or indicator, name_en or indicator, unit or "", "As published.", "neutral",
                     ("published_indicators",), "published", definition_lt="Kaip paskelbta.")


def get_indicator(indicator_id: str, extra: Mapping[str, Indicator] | None = None) -> Indicator:
    """The catalogue entry of ``indicator_id``.

    Raises
    ------
    ConfigError
        Unknown id; the message lists close ids.
    """
    if indicator_id in CATALOGUE:
        return CATALOGUE[indicator_id]
    if extra and indicator_id in extra:
        return extra[indicator_id]
    if indicator_id.startswith(PUBLISHED_PREFIX):
        return published_indicator(indicator_id)
    close = close_indicator_ids(indicator_id)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise ConfigError(f"unknown indicator {indicator_id!r}.{hint} See 'cityindicators indicators --list'.")


def close_indicator_ids(indicator_id: str, extra: Iterable[str] = ()) -> list[str]:
    """Up to four ids of the catalogue and of ``extra`` (the published indicators of the data, say)
    close to an unknown ``indicator_id``, closest first: what an unknown-indicator error offers."""
    import difflib  # only when an id is unknown

    known = list(CATALOGUE) + [i for i in extra if i not in CATALOGUE]
    return difflib.get_close_matches(indicator_id, known, n=4, cutoff=0.5)


def indicator_ids(topic: str | None = None) -> list[str]:
    """Ids of the catalogue, optionally of one ``topic``."""
    return [e.id for e in _ENTRIES if topic is None or e.topic == topic]


def catalogue_frame(ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The catalogue as a DataFrame (one row per indicator; ``datasets`` comma-separated)."""
    entries = list(_ENTRIES) if ids is None else [get_indicator(i) for i in ids]
    rows = []
    for e in entries:
        d = asdict(e)
        d["datasets"] = ", ".join(e.datasets)
        rows.append(d)
    return pd.DataFrame(rows, columns=["id", "name_lt", "name_en", "unit", "polarity", "topic", "definition",
                                       "definition_lt", "datasets", "additive"])
