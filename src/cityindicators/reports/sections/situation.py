"""The sections of a situation analysis: key findings, population, pyramid, components of
change, ageing, working age, migration and the labour market."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ... import plotting
from ...exceptions import CityIndicatorsError
from ...i18n import t
from .. import findings as F
from .. import shared
from .breaks import _break_marks, _say_breaks, series_breaks
from .compare import _comparison_display, compare_in_years, comparison, latest_years, published_indicators, \
    similarity_statement
from .context import AGEING_INDICATORS, LABOUR_INDICATORS, ReportContext
from .display import _heading, show_figure, show_table
from .names import _catalogue_names

log = logging.getLogger(__name__)


#: Indicators whose ranks the ageing and labour panels show: ranked once per batch and year
#: (:func:`all_ranks`).
RANKED_INDICATORS = (*AGEING_INDICATORS, *LABOUR_INDICATORS)


def all_ranks(ctx: ReportContext, year: int) -> dict[str, tuple[dict[str, Any], int] | str]:
    """The rank of every municipality by each of :data:`RANKED_INDICATORS` in ``year``
    (:func:`~cityindicators.indicators.rank_table`): ``{indicator: ({code: rank}, number
    ranked)}``, or the reason there is no rank (text). The same for every report of the data,
    so computed once per batch (:func:`cityindicators.reports.shared.computed_once`)."""
    from ...indicators import rank_table

    def compute() -> dict[str, tuple[dict[str, Any], int] | str]:
        out: dict[str, tuple[dict[str, Any], int] | str] = {}
        for i in RANKED_INDICATORS:
            try:
                table = rank_table(i, year, data=ctx.counts, data_dir=ctx.data_dir, lang=ctx.lang,
                                   synthetic=ctx.synthetic)
            except (ImportError, AttributeError, CityIndicatorsError) as exc:
                out[i] = str(exc)
                continue
            out[i] = (dict(zip(table["territory_code"], table["rank"])), int(table["rank"].notna().sum()))
        return out

    return shared.computed_once(("ranks", int(year), bool(ctx.synthetic)), ctx.data_dir, compute)


def _ranks(ctx: ReportContext, indicator: str, year: int) -> tuple[float, int]:
    """Rank (1 = best by polarity) of the report's municipality among all municipalities."""
    if indicator not in RANKED_INDICATORS:  # not shared: ranked for this report alone
        from ...indicators import rank_table

        table = rank_table(indicator, year, data=ctx.counts, data_dir=ctx.data_dir, lang=ctx.lang,
                           synthetic=ctx.synthetic)
        ranks, n = dict(zip(table["territory_code"], table["rank"])), int(table["rank"].notna().sum())
    else:
        entry = all_ranks(ctx, year)[indicator]
        if isinstance(entry, str):
            raise CityIndicatorsError(entry)
        ranks, n = entry
    rank = ranks.get(ctx.code, pd.NA)
    return (float(rank) if rank is not pd.NA else np.nan), n



def situation_findings(ctx: ReportContext) -> list[F.Finding]:
    """The key findings of a situation analysis, from the indicator library's values."""
    y0, y1 = ctx.years
    lang = ctx.lang
    out: list[F.Finding] = []
    ch = change_ranks(ctx, "population")
    out.append(F.population_change(y0, y1, ctx.value("population", y0), ctx.value("population", y1), lang,
                                   rank_fall=ch.get("rank_fall"), rank_growth=ch.get("rank_growth"), n=ctx.n))
    ch65 = change_ranks(ctx, "share_65_plus")
    out.append(F.share_65_change(y0, y1, ctx.value("share_65_plus", y0), ctx.value("share_65_plus", y1), lang,
                                 rank_ageing=ch65.get("rank_growth"), n=ctx.n))
    out.append(F.old_age_dependency(y0, y1, ctx.value("old_age_dependency_ratio", y0),
                                    ctx.value("old_age_dependency_ratio", y1), lang))
    wa = ctx.series("working_age_population")
    if wa.notna().any():
        out.append(F.working_age(y0, y1, ctx.value("working_age_population", y0),
                                 ctx.value("working_age_population", y1), ctx.value("working_age_share", y1), lang))
    # Events of the calendar years y0 .. y1-1: the change between 1 January y0 and 1 January y1.
    period = range(y0, y1)
    births = ctx.series("births").reindex(period).sum(min_count=1)
    deaths = ctx.series("deaths").reindex(period).sum(min_count=1)
    if births == births and deaths == deaths:
        out.append(F.natural_change(y0, y1 - 1, births, deaths, lang))
    net = ctx.series("net_migration").reindex(period).sum(min_count=1)
    if net == net:
        out.append(F.net_migration(y0, y1 - 1, net, lang))
    youth = ctx.series("net_migration_15_29").reindex(period).sum(min_count=1)
    if youth == youth:
        out.append(F.youth_migration(y0, y1 - 1, youth, lang))
    return out


def change_ranks(ctx: ReportContext, indicator: str) -> dict[str, float]:
    """Ranks of the municipality's change of ``indicator`` between the key years among all
    municipalities: ``rank_fall`` (1 = largest fall) and ``rank_growth`` (1 = largest rise).

    Counts (population) are ranked by their percent change, shares and ratios by their
    difference, both from :func:`cityindicators.indicators.indicator_changes`.
    """
    from ...indicators import indicator_changes, rank_values

    y0, y1 = ctx.years
    view = indicator_changes([indicator], y0, y1, territories=ctx.municipalities, data=ctx.counts)
    col = "percent_change" if view["percent_change"].notna().any() else "difference"
    vals = view.set_index("territory_code")[col]
    fall = rank_values(vals, "neutral", order="ascending")
    growth = rank_values(vals, "neutral", order="descending")
    return {"rank_fall": float(fall.get(ctx.code, np.nan)), "rank_growth": float(growth.get(ctx.code, np.nan)),
            "value": float(vals.get(ctx.code, np.nan)), "measure": col}


def key_findings(ctx: ReportContext) -> list[F.Finding]:
    """Section: the key findings as a list of sentences."""
    found = ctx.findings
    _heading(ctx, "h_findings")
    ctx.show_markdown("\n".join(f"- {f.text}" for f in found))
    return found


def population_trend(ctx: ReportContext):
    """Section: population at 1 January by year with the key period and known breaks marked."""
    _heading(ctx, "h_population")
    s = ctx.series("population").dropna()
    breaks = series_breaks(ctx, ["population"], list(s.index) or [0])
    fig = plotting.population_trend(s.rename("value").reset_index(), key_period=ctx.years,
                                    breaks=_break_marks(breaks), **ctx.plot_kw())
    show_figure(fig)
    _say_breaks(ctx, breaks)
    return fig


def pyramid(ctx: ReportContext, years: Sequence[int] | None = None):
    """Section: population pyramid of the first and last year of the key period, overlaid."""
    _heading(ctx, "h_pyramid")
    years = list(years or ctx.years)
    pop = ctx.data["population"]
    sub = pop[(pop["territory_code"] == ctx.code) & pop["year"].isin(years)]  # (male and female rows)
    if sub.empty:
        ctx.show_markdown(t("not_available", ctx.lang, what=t("age", ctx.lang)))
        return None
    fig = plotting.pyramid_overlay(sub[["year", "sex", "age", "value"]], years, **ctx.plot_kw())
    show_figure(fig)
    return fig


def components(ctx: ReportContext):
    """Section: births, deaths and net migration by year."""
    _heading(ctx, "h_components")
    parts = []
    for comp in ("births", "deaths", "net_migration"):
        s = ctx.series(comp).dropna()
        parts.append(pd.DataFrame({"year": s.index, "component": comp, "value": s.values}))
    frame = pd.concat(parts, ignore_index=True)
    if frame.empty:
        ctx.show_markdown(t("not_available", ctx.lang, what=t("births", ctx.lang)))
        return None
    breaks = series_breaks(ctx, ["net_migration"], list(frame["year"]))
    fig = plotting.components_of_change(frame, key_period=ctx.years, breaks=_break_marks(breaks), **ctx.plot_kw())
    show_figure(fig)
    _say_breaks(ctx, breaks)
    return fig


def _panels(ctx: ReportContext, ids: Sequence[str], title_key: str, label: str):
    f = ctx.indicators
    reg = ctx.register
    country = reg.country_of(ctx.code).code
    codes = [ctx.code] + [c for c in ctx.peer_codes if c != ctx.code] + [country]
    sub = f[f["indicator"].isin(ids) & f["territory_code"].isin(codes)].dropna(subset=["value"])
    ids = [i for i in ids if (sub[(sub["indicator"] == i) & (sub["territory_code"] == ctx.code)]).shape[0]]
    if not ids:
        return None, [], []
    sub = sub[sub["indicator"].isin(ids)]
    labels, units = _catalogue_names(ids, ctx.lang)
    labels["__highlight__"] = ctx.name
    ranks = {}
    for i in ids:
        try:
            ranks[i] = (*_ranks(ctx, i, ctx.years[1]), ctx.years[1])
        except (ImportError, AttributeError, CityIndicatorsError) as exc:
            log.info("no rank for %s: %s", i, exc)
    labels["__country__"] = reg.get(country).name(ctx.lang)
    # the report's own municipality too: a peer of its name (Kauno m. beside Kauno r.) keeps its qualifier
    full = {c: reg.get(c).name(ctx.lang) for c in [ctx.code, *ctx.peer_codes]}
    labels_of = short_names(full)
    names = {c: labels_of[c] for c in ctx.peer_codes}
    breaks = series_breaks(ctx, ids, sorted(set(sub["year"].astype(int))) or [0])
    fig = plotting.indicator_panels(sub, ctx.code, ctx.lang, title=t(title_key, ctx.lang, name=ctx.name),
                                    labels=labels, units=units, ranks=ranks, label=label, synthetic=ctx.synthetic,
                                    country=country, names=names, breaks=[x for x, _ in _break_marks(breaks)],
                                    data_names={c: full[c] for c in ctx.peer_codes})
    return fig, ids, breaks


#: A municipality name's type words and the qualifier that tells a city from a district of one name.
_NAME_TAILS = ((" r. sav.", " r."), (" m. sav.", " m."), (" sav.", ""), (" d. mun.", " d."), (" c. mun.", " c."),
               (" t. mun.", " t."), (" mun.", ""), (" District Municipality", " District"),
               (" City Municipality", " City"), (" Town Municipality", " Town"), (" Municipality", ""))


def _short_name(name: str) -> tuple[str, str]:
    """A municipality's name without the type words, and its qualifier ("Zarasų r. sav." ->
    ``("Zarasų", " r.")``; "Kalvarijos sav." -> ``("Kalvarijos", "")``)."""
    for tail, qualifier in _NAME_TAILS:
        if name.endswith(tail):
            return name[: -len(tail)], qualifier
    return name, ""


def short_names(names: Mapping[str, str]) -> dict[str, str]:
    """Chart labels of municipalities (code -> name): each name without its type words ("Zarasų r.
    sav." -> "Zarasų"), but with the qualifier where two of them share the rest ("Šiaulių m.",
    "Šiaulių r.", which both read "Šiaulių" on the Kaunas district's peers chart)."""
    parts = {c: _short_name(n) for c, n in names.items()}
    stems = Counter(stem for stem, _ in parts.values())
    return {c: stem + qualifier if stems[stem] > 1 else stem for c, (stem, qualifier) in parts.items()}


def ageing(ctx: ReportContext):
    """Section: ageing indicators of the municipality against its peers, with the rank of the
    last year among all municipalities."""
    _heading(ctx, "h_ageing")
    fig, _, breaks = _panels(ctx, AGEING_INDICATORS, "t_ageing", "ageing_indicators")
    if fig is None:
        ctx.show_markdown(t("no_data", ctx.lang))
        return None
    show_figure(fig)
    ctx.show_markdown(peers_statement(ctx))
    _say_breaks(ctx, breaks)
    return fig


def peers_statement(ctx: ReportContext) -> str:
    """Which territories the grey and dashed lines of the peer charts are, and how the peers were
    chosen (for similarity peers: by which indicators)."""
    reg = ctx.register
    country = reg.country_of(ctx.code).name(ctx.lang)
    if str(ctx.peers_spec).lower().startswith("similar"):
        nb = comparison(ctx, show=False)
        how = similarity_statement(ctx, nb.attrs)
    else:
        how = t("peers_group", ctx.lang, group=ctx.peer_name,
                names=", ".join(reg.get(c).name(ctx.lang) for c in ctx.peer_codes if c != ctx.code))
    return f"{t('peers_lines', ctx.lang, country=country)} {how}"


def working_age(ctx: ReportContext):
    """Section: working-age population by the legal definition (16 to the pension age)."""
    _heading(ctx, "h_working_age")
    f = ctx.indicators
    sub = f[(f["territory_code"] == ctx.code) & f["indicator"].isin(["working_age_population", "working_age_share"])]
    sub = sub.dropna(subset=["value"])
    if sub.empty:
        ctx.show_markdown(t("no_data", ctx.lang))
        return None
    fig = plotting.working_age(sub, **ctx.plot_kw())
    show_figure(fig)
    found = [x for x in ctx.findings if x.key == "working_age"]
    if found:
        ctx.show_markdown(found[0].text)
    return fig


def migration(ctx: ReportContext):
    """Section: net migration by age over the key period (cohort-residual), youth singled out."""
    from ...indicators.compute import cohort_net_migration

    _heading(ctx, "h_migration")
    y0, y1 = ctx.years
    cnm = cohort_net_migration(ctx.code, years=range(y0, y1), data=ctx.counts, sex="total")
    if cnm.empty or cnm["value"].isna().all():
        ctx.show_markdown(t("no_data", ctx.lang))
        return None
    by_age = cnm.groupby("age", as_index=False)["value"].sum()
    by_age["age"] = by_age["age"].astype(int)
    # the events of the calendar years y0 .. y1-1 (1 January y0 to 1 January y1), as the findings under the
    # chart say them ("2001–2017 m."), not the key period's last population year
    by_age["period"] = F.year_span(y0, y1 - 1)
    top = cnm.loc[cnm["open_age"].astype(bool), "age"]
    fig = plotting.youth_outflow(by_age, open_age=int(top.max()) if len(top) else None, **ctx.plot_kw())
    show_figure(fig)
    text = [x.text for x in ctx.findings if x.key in ("net_migration", "youth_migration")]
    if text:
        ctx.show_markdown(" ".join(text))
    return fig


def labour(ctx: ReportContext):
    """Section: labour-market indicators: the series of the ``labour`` dataset as panels against
    the peers, then every imported published indicator the catalogue knows, each in its own
    year, with the mean of the similar municipalities and the rank. Says which dataset is
    missing when there is neither."""
    _heading(ctx, "h_labour")
    fig, _, _ = _panels(ctx, LABOUR_INDICATORS, "t_labour", "labour_market")
    if fig is not None:
        show_figure(fig)
    pub = published_indicators(ctx)
    table = None
    if pub:
        years = latest_years(ctx, pub, ctx.years[1]) or {}
        if not years:  # the cross-section may be later than the key period: use its own year
            p = ctx.published
            p = p[p["territory_code"] == ctx.code]
            years = {i: int(p.loc[p["indicator"] == i, "year"].max()) for i in pub}
        nb = comparison(ctx, show=False)
        table = compare_in_years(ctx, years, nb.attrs["similar_codes"])
        table = table.rename(columns={"peer_mean": "similar"}).drop(columns=["peers", "country", "county"])
        yrs = sorted(set(years.values()))
        ctx.show_markdown(t("published_intro", ctx.lang, years=", ".join(map(str, yrs))))
        disp = _comparison_display(ctx, table)
        show_table(plotting.comparison_table(disp, ctx.lang, n=ctx.n, synthetic=ctx.synthetic,
                                             caption=t("t_published", ctx.lang, name=ctx.name)),
                   data=_comparison_display(ctx, table, formatted=False))
    if fig is None and table is None:
        ctx.show_markdown(t("labour_missing", ctx.lang, **labour_how_to_get(ctx.lang, ctx.data_dir)))
    elif fig is None:
        ctx.show_markdown(t("labour_series_missing", ctx.lang, **labour_how_to_get(ctx.lang, ctx.data_dir)))
    return table if table is not None else fig


def labour_how_to_get(lang: str, data_dir=None) -> dict[str, str]:
    """The fields ``fetch`` and ``import_`` of the labour section's missing-data texts: how a user gets
    the ``labour`` dataset (``cityindicators fetch`` of the catalogue's labour datasets that name a
    flow, the data directory's ``catalogue.yaml`` included) and a table of published indicators
    (``cityindicators import indicators``), each followed by the build, as the README's *Real data* does."""
    from ...sources.osp.catalogue import load_catalogue

    names = [n for n, e in load_catalogue(data_dir).items() if e.table == "labour" and e.resolved]
    fetch = f"`cityindicators fetch {' '.join(names)}`"
    return {"fetch": t("then_build", lang, step=fetch),
            "import_": t("then_build", lang, step=t("import_indicators_step", lang))}
