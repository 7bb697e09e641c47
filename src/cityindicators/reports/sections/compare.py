"""The comparison section: the municipality against the country, its county, its most similar
municipalities and its peers, each indicator in its own latest year."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import pandas as pd

from ... import plotting
from ...i18n import fmt_number, t
from .breaks import _say_breaks, series_breaks
from .context import COMPARISON_INDICATORS, ReportContext, known_published_ids
from .display import _heading, show_table
from .names import _catalogue_names, _unit, shown_decimals, shown_unit, shown_values


def published_indicators(ctx: ReportContext) -> list[str]:
    """Ids of the imported published indicators (``import indicators``) that the catalogue
    knows and that have a value for the report's municipality."""
    known = known_published_ids()
    if "published_indicators" not in ctx.data:
        return []
    pub = ctx.published
    have = set(pub.loc[pub["territory_code"] == ctx.code, "indicator"])
    return [i for i in known if i in have]


def latest_years(ctx: ReportContext, ids: Iterable[str], year: int) -> dict[str, int]:
    """Each indicator's latest year up to ``year`` with a value for the report's municipality
    (vital events end a year before the population at 1 January); indicators without one are
    left out."""
    out = {}
    for i in ids:
        s = ctx.series(i).dropna()
        s = s[s.index <= year]
        if len(s):
            out[i] = int(s.index.max())
    return out


def compare_in_years(ctx: ReportContext, years: dict[str, int], peers: Sequence[str]) -> pd.DataFrame:
    """:func:`~cityindicators.indicators.comparison_table` of each indicator in its own year
    (``years``: id -> year) against the group ``peers``, with a ``year`` column, in the order
    of ``years``."""
    from ...indicators import comparison_table

    parts = []
    for y in sorted(set(years.values())):
        ids = [i for i, iy in years.items() if iy == y]
        part = comparison_table(ctx.code, y, peers=list(peers), indicators=ids, data=ctx.counts,
                                data_dir=ctx.data_dir, lang=ctx.lang)
        part.insert(1, "year", y)
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    order = {i: n for n, i in enumerate(years)}
    return table.sort_values("indicator", key=lambda c: c.map(order), kind="mergesort", ignore_index=True)


def comparison(ctx: ReportContext, year: int | None = None, k: int = 5, show: bool = True) -> pd.DataFrame:
    """Section: comparison table with the country, the county, the ``k`` most similar
    municipalities and (when it is another group) the peer group, coloured by the rank among
    all municipalities.

    Every indicator is compared in its own latest year with data (column ``year``). Values come
    from :func:`cityindicators.indicators.comparison_table`; the group columns are the *mean of
    the members' own values* (``peer_mean``), so counts are comparable with the municipality's.
    The similarity criteria (features and their years) are stated under the table.
    """
    if not show:
        return ctx.comparison_table(year, k)
    _heading(ctx, "h_comparison")
    table = ctx.comparison_table(year, k)
    disp = _comparison_display(ctx, table)
    caption = t("t_comparison", ctx.lang, name=ctx.name)
    show_table(plotting.comparison_table(disp, ctx.lang, n=ctx.n, caption=caption, synthetic=ctx.synthetic),
               data=_comparison_display(ctx, table, formatted=False))
    ctx.show_markdown(similarity_statement(ctx, table.attrs))
    _say_breaks(ctx, comparison_breaks(ctx, table))
    return table


def _comparison_frame(ctx: ReportContext, year: int, k: int) -> pd.DataFrame:
    """The comparison table of :func:`comparison` in ``year`` with the ``k`` most similar
    municipalities (``attrs``: their codes, the similarity features and their years)."""
    from ...indicators import similar_municipalities

    counts = ctx.counts
    years = latest_years(ctx, COMPARISON_INDICATORS, year)
    nb = similar_municipalities(ctx.code, year, k, data=counts, data_dir=ctx.data_dir, lang=ctx.lang)
    similar_codes = list(nb["territory_code"])
    spec = str(ctx.peers_spec).lower()
    own_peers = not (spec.startswith("similar") or spec == "county")  # those repeat another column
    table = compare_in_years(ctx, years, similar_codes).rename(columns={"peer_mean": "similar"})
    if own_peers:
        table["peers"] = compare_in_years(ctx, years, ctx.peer_codes)["peer_mean"].to_numpy()
    else:
        table = table.drop(columns="peers")
    table.attrs.update(similar_codes=similar_codes, similar_features=dict(nb.attrs.get("features", {})),
                       feature_years=dict(nb.attrs.get("feature_years", {})))
    return table


def comparison_breaks(ctx: ReportContext, table: pd.DataFrame) -> list[tuple[int, str, str]]:
    """Breaks of the municipality in the years its comparison table uses (an exceptional year)."""
    out = []
    for ind, y in zip(table["indicator"], table["year"]):
        out += [b for b in series_breaks(ctx, [ind], [int(y)]) if b[1] == "outlier"]
    return sorted(set(out))


def similarity_statement(ctx: ReportContext, attrs: dict[str, Any]) -> str:
    """"Most similar municipalities (by ... in 2018): A, B, C." from the similarity attrs."""
    reg = ctx.register
    labels, _ = _catalogue_names(attrs.get("similar_features", {}), ctx.lang)
    years = attrs.get("feature_years", {})
    criteria = ", ".join(f"{labels[f].lower()} ({years[f]})" if f in years else labels[f].lower()
                         for f in attrs.get("similar_features", {}))
    names = ", ".join(reg.get(c).name(ctx.lang) for c in attrs.get("similar_codes", []))
    return t("similar_list", ctx.lang, criteria=criteria, names=names)


def _comparison_display(ctx: ReportContext, table: pd.DataFrame, formatted: bool = True) -> pd.DataFrame:
    """The comparison table with display headers; counts of persons and euros shown as whole
    numbers, rates and shares to one decimal (as text, so that each row keeps its own precision),
    a published fraction of the population per 1,000 residents (:data:`~.names.SHOWN_AS`, in the
    workbook's copy too); the rank stays a number."""
    lang = ctx.lang
    labels, _ = _catalogue_names(table["indicator"], lang)
    cols = {
        "value": t("col_value", lang), "country": t("col_country", lang), "county": t("col_county", lang),
        "similar": t("col_similar", lang), "peers": t("col_peer_group_mean", lang, name=ctx.peer_name),
    }
    out = pd.DataFrame({t("col_indicator", lang): table["indicator"].map(labels).to_numpy(),
                        t("col_unit", lang): [_unit(shown_unit(str(u)), lang) for u in table["unit"]],
                        # shown as text ("2016", not "2 016,0"); the workbook's copy keeps a number
                        t("col_year", lang): (table["year"].astype(str) if formatted
                                              else pd.to_numeric(table["year"], errors="coerce").astype("Int64")).to_numpy()})
    units = table["unit"].to_numpy()
    decimals = shown_decimals(units)
    for src, dst in cols.items():
        if src in table:
            vals = shown_values(pd.to_numeric(table[src], errors="coerce").to_numpy(dtype=float), units)
            # unformatted: the workbook's copy keeps the numbers as numbers
            out[dst] = [fmt_number(v, lang, int(d)) for v, d in zip(vals, decimals)] if formatted else vals
    out[t("col_rank", lang)] = pd.to_numeric(table["rank"], errors="coerce").to_numpy(dtype=float)
    return out
