"""Key findings: sentences written from computed values.

Each function takes numbers that come from the indicator or projection library and returns a
:class:`Finding`: the sentence in the report language and the values it quotes, so that a test
can recompute the values with the library and check that the sentence carries them. No number
is typed by hand into a report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..grammar import count_phrase, ordinal
from ..i18n import TEXTS, fmt_int, fmt_number, t

__all__ = [
    "Finding",
    "population_change",
    "share_65_change",
    "old_age_dependency",
    "natural_change",
    "net_migration",
    "youth_migration",
    "working_age",
    "scenario_outcome",
    "beyond_backtest",
    "target_inflow",
    "target_outcome",
    "fan_interval",
    "fan_calibrated",
    "empirical_interval",
    "backtest_accuracy",
    "scenario_assumptions",
    "combination_said_once",
    "accuracy_size_class",
    "accuracy_flag",
    "LARGE_ERROR_PCT",
]

#: A past error of at least this many per cent (absolute) in a group is flagged in the report.
LARGE_ERROR_PCT = 10.0


@dataclass(frozen=True)
class Finding:
    """A key-finding sentence and the values it quotes (unformatted)."""

    key: str
    text: str
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def of_municipalities(n: int, lang: str) -> str:
    """"iš 60 savivaldybių" / "iš 21 savivaldybės" / "of the 60 municipalities"."""
    return t("of_the_n", lang, n=count_phrase(fmt_int(n, lang), n, "municipality", lang, case="gen"))


def _rank_clause(prefix_first: str, prefix_rank: str, rank: Any, n: Any, lang: str, top: int = 5,
                 gender: str = "m") -> str:
    """", the steepest fall of the 60 municipalities" for rank 1; the rank for ranks up to ``top``.

    ``gender`` is that of the Lithuanian noun the ordinal goes with ("augimas" m, "vieta" f).
    """
    if _nan(rank) or _nan(n) or not n:
        return ""
    rank, n = int(rank), int(n)
    of_n = of_municipalities(n, lang)
    if rank == 1:
        return t(prefix_first, lang, of_n=of_n)
    if rank <= top:
        return t(prefix_rank, lang, of_n=of_n, ordinal=ordinal(rank, lang, gender))
    return ""


def year_span(first: int, last: int) -> str:
    """Years ``first`` to ``last`` as a text writes them: ``2016–2017`` (an en dash), or one year."""
    return str(first) if int(first) == int(last) else f"{first}–{last}"


def _count(value: float, noun: str, lang: str, case: str = "nom") -> str:
    """A whole count with its noun agreeing: "21 gyventojas", "iš 22 gyventojų" (case ``gen``)."""
    return count_phrase(fmt_int(value, lang), round(value), noun, lang, case)


def _signed_count(value: float, noun: str, lang: str, case: str = "nom") -> str:
    """A signed whole count with its noun agreeing: "−1 234 gyventojai", "+21 residents"."""
    return count_phrase(fmt_int(value, lang, sign=True), round(value), noun, lang, case)


def population_change(y0: int, y1: int, v0: float, v1: float, lang: str = "lt",
                      rank_fall: Any = None, rank_growth: Any = None, n: Any = None) -> Finding:
    """Population change between two years, in percent, with its rank among municipalities.

    ``rank_fall`` is the rank of the municipality when ordered from the steepest fall (1 =
    steepest), ``rank_growth`` from the fastest growth; the sentence uses the one that fits the
    sign of the change.
    """
    pct = (v1 - v0) / v0 * 100 if v0 else float("nan")
    if pct < 0:
        clause = _rank_clause("rc_steepest_fall", "rc_fall_rank", rank_fall, n, lang)
        key = "f_pop_fell"
    else:
        clause = _rank_clause("rc_fastest_growth", "rc_growth_rank", rank_growth, n, lang)
        key = "f_pop_rose"
    text = t(key, lang, y0=y0, y1=y1, pct=fmt_number(abs(pct), lang, 1), v0=fmt_int(v0, lang), v1=fmt_int(v1, lang),
             rank_clause=clause)
    return Finding("population_change", text, {"pct": pct, "v0": v0, "v1": v1, "rank_fall": rank_fall,
                                               "rank_growth": rank_growth, "n": n})


def share_65_change(y0: int, y1: int, v0: float, v1: float, lang: str = "lt", rank_ageing: Any = None,
                    n: Any = None) -> Finding:
    """Share of residents aged 65+ in two years; ``rank_ageing`` 1 = the fastest rise."""
    diff = v1 - v0
    clause = _rank_clause("rc_fastest_ageing", "rc_ageing_rank", rank_ageing, n, lang, gender="f")
    # the difference of the shares as shown, so that the sentence's own arithmetic holds (5.24 -> 14.46 reads
    # "5.2 % to 14.5 %", +9.3 points, not the exact +9.2)
    shown = round(round(v1, 1) - round(v0, 1), 1)
    diff_text = count_phrase(fmt_number(shown, lang, 1, sign=True), shown, "percentage_point", lang, case="gen",
                             decimals=1)
    text = t("f_share65", lang, y0=y0, y1=y1, v0=fmt_number(v0, lang, 1), v1=fmt_number(v1, lang, 1),
             diff=diff_text, rank_clause=clause)
    return Finding("share_65_plus", text, {"v0": v0, "v1": v1, "diff": diff, "rank_ageing": rank_ageing, "n": n})


def old_age_dependency(y0: int, y1: int, v0: float, v1: float, lang: str = "lt") -> Finding:
    """Old-age dependency ratio (65+ per 100 aged 15-64) in two years."""
    text = t("f_oadr", lang, y0=y0, y1=y1, v0=fmt_number(v0, lang, 1), v1=fmt_number(v1, lang, 1))
    return Finding("old_age_dependency_ratio", text, {"v0": v0, "v1": v1})


def natural_change(y0: int, y1: int, births: float, deaths: float, lang: str = "lt") -> Finding:
    """Births, deaths and natural change summed over the calendar years ``y0`` to ``y1``."""
    nat = births - deaths
    text = t("f_natural", lang, y0=y0, y1=y1,
             births=count_phrase(fmt_int(births, lang), round(births), "newborn", lang),
             deaths=count_phrase(fmt_int(deaths, lang), round(deaths), "death", lang),
             natural=fmt_int(nat, lang, sign=True))
    return Finding("natural_change", text, {"births": births, "deaths": deaths, "natural": nat})


def net_migration(y0: int, y1: int, net: float, lang: str = "lt") -> Finding:
    """Net migration (population change minus natural change) summed over ``y0`` to ``y1``."""
    text = t("f_migration", lang, y0=y0, y1=y1, net=_signed_count(net, "resident", lang, case="acc"))
    return Finding("net_migration", text, {"net": net})


def youth_migration(y0: int, y1: int, net: float, lang: str = "lt") -> Finding:
    """Net migration of ages 15-29 (cohort-residual estimate) summed over ``y0`` to ``y1``."""
    text = t("f_youth", lang, y0=y0, y1=y1, net=_signed_count(net, "resident", lang, case="acc"))
    return Finding("youth_migration", text, {"net": net})


def working_age(y0: int, y1: int, v0: float, v1: float, share1: float, lang: str = "lt") -> Finding:
    """Working-age population (16 to the pension age) in two years and its share in the last."""
    text = t("f_working_age", lang, y0=y0, y1=y1, v0=fmt_int(v0, lang), v1=fmt_int(v1, lang),
             share=fmt_number(share1, lang, 1))
    return Finding("working_age", text, {"v0": v0, "v1": v1, "share1": share1})


def outflow_scaled(scenario: str, scale: float, kind: str, lang: str = "lt") -> Finding:
    """What a scenario's ``migration.outflow_scale`` of ``scale`` scales, as the projection of the report's
    territory made its outflow (``kind``: :attr:`~cityindicators.projection.api.ProjectionResult.gross_outflow`;
    with net migration only, the negative net migration rates: "In this scenario the net outflow is halved:
    ...; gross flows (emigrants, departures) are not in the data")."""
    from ..projection.scenarios import outflow_scaling

    text = t("f_outflow_scaled", lang, phrase=outflow_scaling(scale, kind, lang))
    return Finding("outflow_scaled", text, {"scenario": scenario, "scale": scale, "kind": kind})


def migration_shortfall(scenario: str, first: int, last: int, persons: float, lang: str = "lt") -> Finding:
    """A scenario whose net outflow of the years ``first``-``last`` was more than some age groups of the
    report's territory had: ``persons`` of it did not leave
    (:attr:`~cityindicators.projection.api.ProjectionResult.migration_shortfall`)."""
    years = str(first) if first == last else f"{first}\u2013{last}"
    text = t("f_migration_shortfall", lang, years=years,
             n=count_phrase(fmt_int(persons, lang), round(persons), "resident", lang))
    return Finding("migration_shortfall", text, {"scenario": scenario, "first": first, "last": last,
                                                 "persons": persons})


def scenario_outcome(scenario: str, base_year: int, year: int, base_value: float, value: float,
                     lang: str = "lt") -> Finding:
    """Projected population of a scenario in ``year`` against ``base_year``."""
    pct = (value - base_value) / base_value * 100 if base_value else float("nan")
    text = t("f_scenario", lang, scenario=scenario, base_year=base_year, year=year, value=fmt_int(value, lang),
             pct=fmt_number(pct, lang, 1, sign=True))
    return Finding("scenario", text, {"scenario": scenario, "value": value, "pct": pct})


def beyond_backtest(scenario: str, horizon: int, periods: list[dict[str, float]], lang: str = "lt") -> Finding:
    """Where the back-test stops vouching for a scenario's projection: the change of the years it
    scores (``horizon`` years ahead at most) and of the years beyond, each split into natural change
    and migration. ``periods``: the rows of
    :meth:`~cityindicators.projection.api.ProjectionResult.change_by_period` (``tested``, then ``beyond``
    when the projection goes further) of one territory and scenario."""

    def signed(v: float) -> str:
        return fmt_number(v, lang, 0, sign=True)

    def fields(p: dict[str, float]) -> dict[str, str]:
        return {"change": signed(p["population_end"] - p["population_start"]), "natural": signed(p["natural_change"]),
                "migration": signed(p["net_migration"])}

    tested = periods[0]
    text = t("f_backtested_change", lang, held=count_phrase(fmt_int(horizon, lang), horizon, "year", lang, case="gen"),
             split=int(tested["last_year"]), scenario=scenario, **fields(tested))
    if len(periods) > 1:
        beyond = periods[1]
        text += " " + t("f_beyond_backtest", lang, split=int(beyond["first_year"]), end=int(beyond["last_year"]),
                        **fields(beyond))
    return Finding("beyond_backtest", text, {"scenario": scenario, "horizon": horizon,
                                            "periods": [dict(p) for p in periods]})


def target_inflow(target: float, year: int, inflow: float | None, lang: str = "lt") -> Finding:
    """The constant annual net inflow needed to reach ``target`` residents in ``year``
    (``None`` when no inflow within the bounds reaches it)."""
    if inflow is None or _nan(inflow):
        text = t("f_target_unreachable", lang, target_phrase=_count(target, "resident", lang), year=year)
    else:
        text = t("f_target_met", lang, target=fmt_int(target, lang), year=year,
                 inflow=count_phrase(fmt_int(inflow, lang), round(inflow), "resident", lang))
    return Finding("target", text, {"target": target, "year": year, "inflow": inflow})


#: What a target counts (``find_inflow``'s kind) -> the noun of its numbers (:data:`~cityindicators.grammar.NOUNS`).
TARGET_NOUNS = {"population": "resident", "working_age": "working_age_resident"}


def target_outcome(scenario: str, target: float, year: int, status: str, inflow: float | None,
                   without: float, profile: str, lang: str = "lt", kind: str = "population",
                   own_inflow: float | None = None) -> Finding:
    """What one scenario needs for ``target`` residents (``kind="working_age"``: working-age
    residents) in ``year``: the added annual net inflow of the migrant ``profile`` (status
    ``met``), nothing because the scenario already meets it (``met_at_lower_bound``: ``without``
    is its own value then), or no inflow within the bounds (``unreachable``).

    ``own_inflow``: the scenario's own added inflow (persons a year, on average), which the inflow
    found replaces (:func:`~cityindicators.projection.target.find_inflow`); said, so that a reader
    does not add the two."""
    noun = TARGET_NOUNS[kind]
    fields = dict(scenario=scenario, target=fmt_int(target, lang), target_phrase=_count(target, noun, lang), year=year,
                  profile=t(f"profile_{profile}", lang) if f"profile_{profile}" in TEXTS else profile)
    if status == "met_at_lower_bound":
        text = t("f_target_already_met", lang, without_phrase=_count(without, noun, lang), **fields)
    elif status == "unreachable" or inflow is None or _nan(inflow):
        text = t("f_target_scenario_unreachable", lang, **fields)
    else:
        text = t("f_target_scenario_met", lang,
                 inflow=count_phrase(fmt_int(inflow, lang), round(inflow), "resident", lang), **fields)
        if own_inflow:
            text += " " + t("f_target_replaces_own", lang, own=_count(own_inflow, "resident", lang, "gen"))
    return Finding("target_outcome", text, {"scenario": scenario, "target": target, "year": year, "status": status,
                                            "inflow": inflow, "without": without, "profile": profile, "kind": kind,
                                            "own_inflow": own_inflow})


def fan_interval(year: int, lo: float, med: float, hi: float, lang: str = "lt") -> Finding:
    """The 10-90 % interval and median of a stochastic projection in ``year``."""
    text = t("f_fan", lang, year=year, lo=fmt_int(lo, lang), hi=_count(hi, "resident", lang, "gen"), med=fmt_int(med, lang))
    return Finding("fan", text, {"lo": lo, "med": med, "hi": hi})


def fan_calibrated(year: int, lo: float, med: float, hi: float, size: str, base_year: int,
                   lang: str = "lt") -> Finding:
    """The 10-90 % band and median of a stochastic projection calibrated to the method's past errors
    (:mod:`cityindicators.projection.calibration`) in ``year``, and what the 80 % interval means."""
    text = t("f_fan_calibrated", lang, year=year, lo=fmt_int(lo, lang), hi=_count(hi, "resident", lang, "gen"),
             med=fmt_int(med, lang), size=size, base=base_year)
    return Finding("fan", text, {"lo": lo, "med": med, "hi": hi, "size_class": size, "calibrated": True})


def backtest_accuracy(name: str, base_year: int, year: int, forecast: float, actual: float, mape: float,
                      best: str, best_mape: float, n: int, lang: str = "lt") -> Finding:
    """How the default method would have done: the territory's projection of ``year`` from the data
    up to ``base_year`` against the published population, and the mean absolute percentage error
    over ``n`` municipalities beside the best naive baseline (``best`` a back-test method id)."""
    err = (forecast - actual) / actual * 100 if actual else float("nan")
    text = t("f_accuracy", lang, name=name, y0=base_year, y1=year, forecast=fmt_int(forecast, lang),
             actual=fmt_int(actual, lang), err=fmt_number(err, lang, 1, sign=True), n=_count(n, "municipality", lang, "gen"),
             mape=fmt_number(mape, lang, 1), best=t(f"m_{best}", lang), best_mape=fmt_number(best_mape, lang, 1))
    return Finding("accuracy", text, {"forecast": forecast, "actual": actual, "error_pct": err, "mape": mape,
                                      "best": best, "best_mape": best_mape, "n": n})


def empirical_interval(year: int, lo: float, value: float, hi: float, size: str, base_year: int,
                       lang: str = "lt") -> Finding:
    """The empirical 80 % interval (:mod:`cityindicators.projection.intervals`) in ``year`` and what it means."""
    text = t("f_fan_empirical", lang, year=year, lo=fmt_int(lo, lang), hi=_count(hi, "resident", lang, "gen"), med=fmt_int(value, lang),
             size=size, base=base_year)
    return Finding("fan", text, {"lo": lo, "med": value, "hi": hi, "size_class": size})


def median_age_interval(year: int, lo: float, value: float, hi: float, lang: str = "lt") -> Finding:
    """The projected median age (years) in ``year`` and its empirical 80 % interval."""
    text = t("f_median_age_interval", lang, year=year, lo=fmt_number(lo, lang, 1), med=fmt_number(value, lang, 1),
             hi=fmt_number(hi, lang, 1))
    return Finding("median_age_interval", text, {"lo": lo, "med": value, "hi": hi})


def scenario_assumptions(scenario: str, y0: int, ymid: int, y1: int, mig: tuple[float, float, float],
                         tfr: tuple[float, float], e0_male: tuple[float, float], e0_female: tuple[float, float],
                         lang: str = "lt", long_run: tuple[str, int, int] | None = None,
                         added_inflow: bool = False, tfr_years: tuple[int, int] | None = None,
                         tfr_bounds: tuple[float, float] | None = None, combined: bool = False,
                         tfr_bounds_from: int | None = None) -> Finding:
    """A scenario's assumptions in plain words: net migration per 1,000 residents now (``y0``), in
    ``ymid`` and in the last event year ``y1`` (not "the long run": the long-run level may be reached later), the TFR and life expectancy by sex from ``y0`` to ``y1``;
    with ``long_run = (rule, start, end)`` the long-run rule of net migration after them (``none``,
    ``zero`` or ``own_mean``: held from ``y0`` to the calendar year ``start``, the long-run level
    reached in ``end``; see :func:`~cityindicators.projection.schedule.convergence_span`);
    ``added_inflow``: the scenario's added inflow, which does not converge, is excepted in words.
    With ``tfr_years = (first, last)`` the first TFR is the one observed over those years (the base
    of every scenario) and the sentence says so; ``tfr_bounds = (lower, upper)``: the scenario's
    bounds, which move its TFR path off the observed value, said after it as holding from ``y0`` on, or from
    ``tfr_bounds_from`` (a scenario whose TFR enters its bounds over ``fertility.bounds_entry_years``).
    ``combined``: the projection is combined with a trend (its age structure), the difference
    carried as migration, so the net migration quoted is not the long-run rule's alone: said so."""
    tfr0, tfr1 = fmt_number(tfr[0], lang, 2), fmt_number(tfr[1], lang, 2)
    if tfr_years is not None:
        tfr0 = t("f_tfr_observed", lang, tfr=tfr0, years=year_span(*tfr_years))
        tfr1 = t("f_tfr_in_year", lang, tfr=tfr1, year=y1)
    if tfr_bounds is not None:
        tfr1 += t("f_tfr_bounds", lang, lo=fmt_number(tfr_bounds[0], lang, 2), hi=fmt_number(tfr_bounds[1], lang, 2),
                  y0=y0 if tfr_bounds_from is None else tfr_bounds_from)
    text = t("f_assumptions", lang, scenario=scenario, y0=y0, ymid=ymid, y1=y1,
             mig_now=fmt_number(mig[0], lang, 1, sign=True), mig_mid=fmt_number(mig[1], lang, 1, sign=True),
             mig_end=fmt_number(mig[2], lang, 1, sign=True), tfr0=tfr0,
             tfr1=tfr1, e0m0=fmt_number(e0_male[0], lang, 1),
             e0m1=fmt_number(e0_male[1], lang, 1), e0f0=fmt_number(e0_female[0], lang, 1),
             e0f1=fmt_number(e0_female[1], lang, 1))
    values = {"scenario": scenario, "migration": mig, "tfr": tfr, "e0_male": e0_male, "e0_female": e0_female,
              "tfr_years": tfr_years, "tfr_bounds": tfr_bounds}
    if long_run is not None:
        rule, start, end = long_run
        held = count_phrase(fmt_int(start - y0, lang), start - y0, "year", lang, case="acc")
        besides = t("f_migration_long_run_besides", lang) if added_inflow else ""
        text += " " + t(f"f_migration_long_run_{rule}", lang, held=held, start=start, end=end, besides=besides)
        values["long_run"] = long_run
        if combined:
            values["combination_text"] = _combination_sentence(lang, "", "one", rule == "zero")
            text += " " + values["combination_text"]
    values["combined"] = combined
    return Finding("assumptions", text, values)


def combination_said_once(found: list[Finding], lang: str = "lt") -> tuple[list[str], str | None]:
    """The texts of scenario assumptions (:func:`scenario_assumptions`), with the sentence on the
    combination carried as migration said once after them instead of in each (the same
    forty-odd words, four times over in the shipped set): ``(texts, note)``, ``note`` ``None``
    when fewer than two scenarios carry it.

    The note names the scenarios, or says "every scenario with migration" when it is all of those
    with a long-run rule; "and need not be zero in the long run" only when each of them converges
    to zero."""
    carriers = [f for f in found if f.values.get("combination_text")]
    if len(carriers) < 2:
        return [f.text for f in found], None
    texts = [f.text.removesuffix(" " + f.values["combination_text"]) if f in carriers else f.text for f in found]
    zero = all(f.values["long_run"][0] == "zero" for f in carriers)
    if len(carriers) == sum(1 for f in found if f.values.get("long_run")):
        whose = t("f_migration_combination_all", lang)
    else:
        quoted = [t("f_quoted", lang, name=f.values["scenario"]) for f in carriers]
        whose = t("f_migration_combination_some", lang, names=t("f_and", lang, first=", ".join(quoted[:-1]),
                                                                last=quoted[-1]))
    return texts, _combination_sentence(lang, whose, "each", zero)


def _combination_sentence(lang: str, whose: str, rule: str, zero: bool) -> str:
    """The sentence on the combination carried as migration (``f_migration_combination``): after
    one scenario's ``rule`` ("one") or for the scenarios ``whose`` names ("each")."""
    text = t("f_migration_combination", lang, whose=whose, rule=t(f"f_migration_combination_rule_{rule}", lang),
             not_zero=t("f_migration_combination_not_zero", lang) if zero else "")
    return text[:1].upper() + text[1:]


def accuracy_size_class(size: str, mape: float, n: int, year: int, lang: str = "lt", *, name: str,
                        base_year: int, size_then: str | None = None) -> Finding:
    """The mean absolute back-test error of the ``n`` municipalities that at the back-test's origin
    ``year`` were of the size class ``size`` (a label), the class of ``name`` at ``base_year`` (the
    one the uncertainty section names); ``size_then``: the class of ``name`` itself at ``year`` when
    it was another, said, so that a reader sees why its own error is not in the mean."""
    text = t("f_accuracy_class", lang, size=size, mape=fmt_number(mape, lang, 1), year=year, name=name,
             base=base_year, municipalities=_count(n, "municipality", lang))
    if size_then is not None:
        text += " " + t("f_accuracy_class_then", lang, name=name, year=year, size=size_then)
    return Finding("accuracy_class", text, {"size_class": size, "mape": mape, "n": n, "size_then": size_then})


#: The back-test's broad age groups and their names in the report (as the broad-groups chart and its sheet
#: name them: "0–14 m.", "65 m. ir vyresni"; "0–14", "65 and over").
AGE_GROUP_TEXTS = {"0-14": "g_0_14", "15-64": "g_15_64", "65+": "g_65_plus"}


def age_group_label(group: str, lang: str = "lt") -> str:
    """A back-test group (``total``, ``0-14``, ``15-64``, ``65+``) as the report's tables write it."""
    if group == "total":
        return t("age_total", lang)
    key = AGE_GROUP_TEXTS.get(group)
    return t(key, lang) if key else group.replace("-", "–")  # a range takes an en dash


def accuracy_flag(errors: dict[str, float], base_year: int, horizon: int, lang: str = "lt",
                  threshold: float = LARGE_ERROR_PCT) -> Finding | None:
    """A warning naming the groups whose past error (per cent, signed) reached ``threshold``; None if none did."""
    big = {g: e for g, e in errors.items() if not _nan(e) and abs(e) >= threshold}
    if not big:
        return None
    items = "; ".join(t("f_accuracy_flag_item", lang,
                        group=t("age_total", lang).lower() if g == "total" else age_group_label(g, lang),  # as the table
                        err=fmt_number(e, lang, 1, sign=True)) for g, e in big.items())
    text = t("f_accuracy_flag", lang, groups=items, y0=base_year, year=base_year + horizon)
    return Finding("accuracy_flag", text, {"errors": big})
