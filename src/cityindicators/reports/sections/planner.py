"""Report sections a planner needs beyond the analysis: service age groups by scenario and the
annex of indicator definitions.

Like the other section modules, each function displays its heading, chart, table and sentences
and returns what it showed; the notebooks call them as ``s.service_groups(ctx)`` and
``s.annex(ctx)`` (re-exported by :mod:`cityindicators.reports.sections`).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ... import plotting
from ...html_safe import styled_table
from ...i18n import fmt_int, fmt_number, t
from .compare import published_indicators
from .context import SITUATION_INDICATORS, ReportContext
from .display import _heading, show_figure, show_table
from .names import SHOWN_AS, _unit, shown_unit
from .scenarios import _scenario_labels, observed_breaks, projected_indicators
from .targets import inflows_by_scenario, target_line

__all__ = ["SERVICE_GROUPS", "service_group_totals", "projected_service_group_totals", "service_groups",
           "working_age_target", "annex", "indicator_annex", "PROJECTION_TERMS"]

#: Age groups for service planning: (label, first age, last age or None for an open group).
SERVICE_GROUPS: tuple[tuple[str, int, int | None], ...] = (
    ("0-6", 0, 6), ("7-17", 7, 17), ("18-29", 18, 29), ("30-64", 30, 64), ("65-79", 65, 79), ("80+", 80, None),
)


def service_group_totals(population: pd.DataFrame) -> pd.DataFrame:
    """Residents by service age group (:data:`SERVICE_GROUPS`), both sexes.

    ``population``: columns ``scenario, year, sex, age, value`` by single year of age (the open
    top age counts in the open group ``80+``). Returns ``scenario, year, group, value``.
    """
    pop = population[population["sex"].isin(["male", "female"])]
    ages = pop["age"].astype(float).to_numpy()
    group = np.full(len(pop), None, dtype=object)
    for label, lo, hi in SERVICE_GROUPS:
        group[(ages >= lo) & ((ages <= hi) if hi is not None else True)] = label
    out = pop.assign(group=group).dropna(subset=["group"])
    out = out.groupby(["scenario", "year", "group"], as_index=False, sort=False)["value"].sum()
    order = {g[0]: i for i, g in enumerate(SERVICE_GROUPS)}
    return out.sort_values(["scenario", "year", "group"], key=lambda c: c.map(order) if c.name == "group" else c,
                           ignore_index=True)


def projected_service_group_totals(res, code: str) -> pd.DataFrame:
    """:func:`service_group_totals` of territory ``code``'s population in the projection ``res``,
    taken from the engine's arrays (:meth:`~cityindicators.projection.api.ProjectionResult.broad_groups`,
    the men's and the women's sums added: equal to the frame's sums to about 1e-12 of a person)
    instead of a group-by of the population frame of every scenario."""
    bg = res.broad_groups({label: (lo, hi) for label, lo, hi in SERVICE_GROUPS})
    out = bg.loc[bg["territory_code"] == code, ["scenario", "year", "age_group", "value"]].rename(
        columns={"age_group": "group"})
    order = {g[0]: i for i, g in enumerate(SERVICE_GROUPS)}
    return out.sort_values(["scenario", "year", "group"], key=lambda c: c.map(order) if c.name == "group" else c,
                           ignore_index=True)


def _group_label(group: str, lang: str) -> str:
    key = {"0-6": "sg_0_6", "7-17": "sg_7_17", "18-29": "sg_18_29", "30-64": "sg_30_64", "65-79": "sg_65_79",
           "80+": "sg_80_plus"}[group]
    return t(key, lang)


def service_groups(ctx: ReportContext, years: Sequence[int] | None = None) -> pd.DataFrame:
    """Section: residents of the service age groups (0–6 pre-school, 7–17 school, 18–29, 30–64,
    65–79, 80+ care) in the base year and, under every scenario, in ``years`` (default: ten
    years on and the horizon), as a chart and a table with the change against the base year."""
    _heading(ctx, "h_service_groups")
    res = ctx.projection
    lang = ctx.lang
    totals = projected_service_group_totals(res, ctx.code)
    labels = _scenario_labels(ctx)
    fig = plotting.broad_groups(totals, lang, ctx.name, scenario_labels=labels, synthetic=ctx.synthetic,
                                groups=[g[0] for g in SERVICE_GROUPS],
                                group_labels={g[0]: _group_label(g[0], lang) for g in SERVICE_GROUPS},
                                label="service_groups", title=t("t_service_groups", lang, name=ctx.name))
    show_figure(fig)
    years = [int(y) for y in (years or [min(res.base_year + 10, res.to_year), res.to_year])
             if res.base_year < int(y) <= res.to_year]
    years = sorted(set(years))
    first = next(iter(res.scenarios))
    # one value per group, scenario and year: looked up (a pivot table cost more than the section's sums)
    value = dict(zip(zip(totals["group"], totals["scenario"], totals["year"].astype(int)),
                     totals["value"].astype(float)))
    # one row per age group and scenario (a column per year would make five scenarios 16 columns
    # wide, more than an A4 page holds); a group's scenarios stand together, as a planner compares them
    rows = []
    for g in (g[0] for g in SERVICE_GROUPS):
        base = value[(g, first, res.base_year)]
        for sc in res.scenarios:
            row = {t("col_age_group", lang): _group_label(g, lang), t("col_scenario", lang): labels[sc],
                   t("col_base_year", lang, year=res.base_year): base}
            row.update({t("col_year_of", lang, year=y): value[(g, sc, y)] for y in years})
            row[t("col_change_pct", lang, year=years[-1])] = value[(g, sc, years[-1])] / base * 100 - 100
            rows.append(row)
    table = pd.DataFrame(rows)
    fmt = {c: (lambda v: fmt_int(v, lang)) for c in table.columns[2:] if "%" not in c}
    fmt.update({c: (lambda v: fmt_number(v, lang, 1, sign=True)) for c in table.columns if "%" in c})
    note = t("synthetic_note", lang) if ctx.synthetic else ""
    show_table(styled_table(table, fmt, t("t_service_groups_table", lang, name=ctx.name), note))
    return table


def working_age_target(ctx: ReportContext, working_age: int = 0, year: int | None = None,
                       profile: str = "young_families") -> list:
    """Section: the working-age population (16 to the pension age) by scenario with the target of
    ``working_age`` residents of working age in ``year`` (0 = keep the base year's number): the
    constant annual net inflow of the migrant ``profile`` every scenario needs, said plainly when
    a scenario meets the target already, with a chart of the scenarios, the scenarios with that
    inflow and the target line."""
    from ...indicators import compute_indicators

    _heading(ctx, "h_working_age_target")
    res = ctx.projection
    year = int(year or res.to_year)
    ids = ["working_age_population"]

    def measure(paths) -> pd.DataFrame:
        return projected_indicators(paths, ctx.code, ids)

    frame = ctx.projected_indicators
    frame = frame[frame["indicator"].isin(ids)].reset_index(drop=True)
    observed = compute_indicators(ids, [ctx.code], data=ctx.counts, dropna=True)
    observed = observed[observed["year"] <= res.base_year][["year", "value"]]
    goal = float(working_age) if working_age else float(frame.loc[frame["year"] == res.base_year, "value"].iloc[0])
    found, results, with_inflow = inflows_by_scenario(ctx, "working_age", goal, year, profile, measure)
    fig = plotting.scenario_lines(frame[["scenario", "year", "value"]], observed=observed,
                                  scenario_labels=_scenario_labels(ctx),
                                  breaks=observed_breaks(ctx, observed, "working_age_population")[1],
                                  target=target_line(ctx, "working_age", goal, year), with_inflow=with_inflow,
                                  label="working_age_target", title=t("t_working_age_target", ctx.lang, name=ctx.name),
                                  **ctx.plot_kw())
    show_figure(fig)
    ctx.show_markdown("\n".join(f"- {f.text}" for f in found))
    return found


def _typeset(definition: str) -> str:
    """An English definition of the catalogue (typed in ASCII) as the report sets its text, like the
    Lithuanian ones: an en dash in a range ("0–14"), a minus sign (also in "P(a−1, t)"), a
    multiplication sign and a thousands separator ("× 1,000")."""
    import re

    text = re.sub(r"(?<=\d)-(?=\d)", "\u2013", definition)
    text = re.sub(r"(?<![A-Za-z])([a-z])-(?=\d)", "\\1\u2212", text)  # a variable minus a number: "a−1"
    text = re.sub(r"\b1000\b", "1,000", text)
    return text.replace(" - ", " \u2212 ").replace(" x ", " \u00d7 ")


#: What the scenario chapters quote that is the projection's own, not an indicator of the catalogue:
#: ``id -> datasets`` its estimate is computed from (name, unit and definition: i18n ``annex_<id>_*``).
#: The municipality's life expectancy by sex is the projection's (the county's published one fitted to
#: its deaths), not the catalogue's published value of the country and counties.
PROJECTION_TERMS: dict[str, tuple[str, ...]] = {
    "tfr": ("births", "population"),
    "e0": ("life_expectancy", "deaths", "population"),
}


def indicator_annex(ids: Iterable[str], lang: str, data_dir=None, terms: Iterable[str] = ()) -> pd.DataFrame:
    """One row per indicator: name, unit, definition and the Statistics Lithuania tables
    (dataflow ids of the data catalogue) of the datasets it is computed from; then one row per
    projection term of ``terms`` (:data:`PROJECTION_TERMS`), defined as the projection estimates it."""
    from ...indicators.catalogue import get_indicator
    from ...sources.osp import load_catalogue

    flows: dict[str, list[str]] = {}
    for entry in load_catalogue(data_dir).values():
        if entry.flow_id:
            flows.setdefault(entry.table, []).append(entry.flow_id)
    rows = []
    for i in dict.fromkeys(ids):
        ind = get_indicator(i)
        tables = sorted({f for d in ind.datasets for f in flows.get(d, [])})
        if "published_indicators" in ind.datasets:
            tables.append(t("annex_published", lang))
        definition = _typeset(ind.definition_in(lang)) if lang == "en" else ind.definition_in(lang)
        if shown_unit(ind.unit) != ind.unit:  # the report's tables show it in another scale: say how
            definition += " " + t("annex_shown_as", lang, unit=_unit(shown_unit(ind.unit), lang),
                                  factor=fmt_number(SHOWN_AS[ind.unit][1], lang, 0))
        rows.append({t("col_indicator", lang): ind.name(lang), t("col_unit", lang): _unit(shown_unit(ind.unit), lang),
                     t("col_definition", lang): definition,
                     t("col_osp_tables", lang): ", ".join(tables)})
    for term in dict.fromkeys(terms):
        tables = sorted({f for d in PROJECTION_TERMS[term] for f in flows.get(d, [])})
        rows.append({t("col_indicator", lang): t(f"annex_{term}_name", lang), t("col_unit", lang): t(f"annex_{term}_unit", lang),
                     t("col_definition", lang): t(f"annex_{term}_definition", lang),
                     t("col_osp_tables", lang): ", ".join(tables)})
    return pd.DataFrame(rows)


def annex(ctx: ReportContext, indicators: Sequence[str] | None = None) -> pd.DataFrame:
    """Section (annex): definitions, units and Statistics Lithuania table codes of the
    indicators the report quotes (default: the situation analysis's, or the projection's)."""
    _heading(ctx, "h_annex")
    if indicators is None:
        if ctx.projection is not None:
            # and what the scenario chapters quote besides: the net migration rate of the assumption
            # sentences, the working-age target's population, the median age of the intervals
            indicators = ("population", "share_0_14", "share_15_64", "share_65_plus", "old_age_dependency_ratio",
                          "total_dependency_ratio", "births", "deaths", "net_migration", "crude_net_migration_rate",
                          "working_age_population", "median_age")
        else:
            shown = set(ctx.indicators["indicator"]) if len(ctx.indicators) else set()
            indicators = [i for i in SITUATION_INDICATORS if i in shown] + published_indicators(ctx)
    # the assumptions' TFR and life expectancy by sex, as the projection estimates them for the municipality
    terms = tuple(PROJECTION_TERMS) if ctx.projection is not None else ()
    table = indicator_annex(indicators, ctx.lang, ctx.data_dir, terms)
    show_table(styled_table(table))
    return table
