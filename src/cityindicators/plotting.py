"""Charts of the reports, built from tidy frames.

Every function takes a tidy frame (the columns are named in its docstring), the report
language and a few display options, and returns a :class:`matplotlib.figure.Figure` whose label
(``fig.get_label()``) names the chart, so that the report runner can save it as
``<label>.png``. Each chart has a title and axis labels with units in the report language
(:mod:`cityindicators.i18n`), a source line under the plot and, for synthetic
demonstration data, a note saying so. Colours come from the Okabe-Ito palette, which stays
distinguishable under the common forms of colour blindness; the municipality of the report is
drawn in a strong colour and its peers in grey.

The functions do no I/O and never call ``plt.show``; the caller displays or saves the figure.
"""

from __future__ import annotations

import functools
import itertools
import logging
from typing import Iterable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

from . import __version__
from .chart_layout import fit_subplots, fit_title
from .html_safe import caption_html
from .i18n import fmt_number, rank_colour_note, rank_text, t, tick_labels

__all__ = [
    "OKABE_ITO",
    "HIGHLIGHT",
    "PEER_GREY",
    "source_text",
    "add_source",
    "population_trend",
    "pyramid_overlay",
    "components_of_change",
    "ageing_indicators",
    "working_age",
    "youth_outflow",
    "indicator_panels",
    "comparison_table",
    "scenario_lines",
    "broad_groups",
    "dependency_ratios",
    "fan_chart",
    "chart_data",
    "chart_value_labels",
    "chart_title",
    "chart_unit",
    "chart_source",
]

log = logging.getLogger(__name__)

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
#: Colour of the report's municipality.
HIGHLIGHT = "#0072B2"
#: Colour of peers and of context series.
PEER_GREY = "#9A9A9A"
#: Years over which a pyramid spreads its open top group (85+), drawn at the mean per year.
OPEN_GROUP_SPAN = 5
#: The country's line in comparisons (dark, dashed).
COUNTRY_COLOUR = "#333333"
MALE_COLOUR = "#0072B2"
FEMALE_COLOUR = "#E69F00"

_FIGSIZE = (9.0, 4.8)
_RC = {
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 11.5,
    "axes.titleweight": "bold",
    # panel titles at the top of their panel, where matplotlib's automatic placement puts them
    # when nothing stands above the panel (no top ticks here), without measuring the whole y
    # axis for each title at every drawing
    "axes.titley": 1.0,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": False,
    # DejaVu Sans has every Lithuanian letter; the generic family after it is the fallback an SVG
    # viewer without DejaVu uses for the text (kept as text, not outlines)
    "font.family": ["DejaVu Sans", "sans-serif"],
}


def source_text(lang: str, source: str | None = None, projection: bool = False, synthetic: bool = False) -> str:
    """The source line: the data source and the calculation, in ``lang``."""
    parts = [source or t("source_demo" if synthetic else "source_osp", lang), t("source_projection" if projection else "source_calc", lang, version=__version__)]
    return t("source_line", lang, source="; ".join(parts))


def add_source(fig: Figure, lang: str, source: str | None = None, synthetic: bool = False, projection: bool = False) -> Figure:
    """Write the source line (and the synthetic-data note) under the plot area of ``fig``."""
    text = source_text(lang, source, projection, synthetic)
    if synthetic:
        text = f"{t('synthetic_note', lang)}. {text}"
    fig.text(0.01, 0.005, text, ha="left", va="bottom", fontsize=7.5, color="#444444" if not synthetic else "#B00000",
             wrap=True)
    fig.cityindicators_source = text  # for the sheet of the chart's data (chart_source)
    fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, 0.16))
    return fig


def _new_figure(label: str, nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] = _FIGSIZE, **kw) -> tuple[Figure, np.ndarray]:
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **kw)
    fig.set_label(label)
    for ax in axes.flat:
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
        ax.grid(True, alpha=0.3)
        # ticks at round steps (1, 2 or 5 times a power of ten), not matplotlib's 2.5 as well:
        # "10, 15, 20, 25", not "10,0, 12,5, 15,0"
        ax.yaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10]))
    return fig, axes


def _thousands(lang: str) -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: fmt_number(v, lang, decimals=0))


class _FewestDecimals(Formatter):
    """An axis's tick labels with the fewest decimals, at most ``decimals``, that write every tick
    as it is (:func:`~cityindicators.i18n.tick_labels`): "125", not "125,0"."""

    def __init__(self, lang: str, decimals: int) -> None:
        self.lang, self.decimals = lang, decimals

    def format_ticks(self, values):
        return tick_labels(values, self.lang, self.decimals)

    def __call__(self, x, pos=None) -> str:  # one value alone (the cursor's, say): at most ``decimals``
        return tick_labels([x], self.lang, self.decimals)[0]


def _decimal(lang: str, decimals: int = 1) -> Formatter:
    return _FewestDecimals(lang, decimals)


def _year_axis(ax, lang: str) -> None:
    ax.set_xlabel(t("year", lang))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{int(round(v))}"))
    ax.xaxis.get_major_locator().set_params(integer=True)


def _finish(fig: Figure, title: str, lang: str, source: str | None, synthetic: bool, projection: bool = False,
            legend_below: tuple[list, list] | None = None) -> Figure:
    # the title on two lines when it is wider than the figure (the panels go below it)
    fit_title(fig, title, x=0.01, fontsize=12, fontweight="bold")
    top = 0.97
    if legend_below and legend_below[0]:
        # a shared legend under the panels, so that it covers no line
        handles, labels = legend_below
        # long labels (scenario names) in fewer columns, so the legend stays as wide as the chart
        longest = max(len(str(x)) for x in labels)
        ncol = min(len(labels), 3 if longest <= 40 else 2 if longest <= 70 else 1)
        # margins from the panels' text (chart_layout), not tight_layout's extra layout drawing
        fit_subplots(fig, rect=(0, 0.06 + 0.045 * int(np.ceil(len(labels) / ncol)), 1, top))
        fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.045), ncol=ncol,
                   frameon=False, fontsize=9)
    else:
        fit_subplots(fig, rect=(0, 0.06, 1, top))
    add_source(fig, lang, source, synthetic, projection)
    return fig


# -- situation analysis ------------------------------------------------------------------------


def mark_breaks(ax, breaks: Sequence[tuple[float, str]] | None) -> None:
    """Dotted vertical lines at known breaks in the series, each labelled along the line.

    ``breaks`` holds ``(x, label)``: the x position (a year, or half a year before it for a step
    between two years) and a short label (from the register of breaks).
    """
    marks = sorted(breaks or ())
    for i, (x, label) in enumerate(marks):
        ax.axvline(x, color="#555555", lw=1.0, ls=":", zorder=1)
        # a label stands right of its line, unless the next break is less than a year on: then
        # left of it, so that the two labels (2010's wave, 2011's census) do not run over each other;
        # on a light ground, to be read over the bars
        left = i + 1 < len(marks) and marks[i + 1][0] - x < 1.0
        ax.annotate(label, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(-3 if left else 3, -4),
                    textcoords="offset points", rotation=90, va="top", ha="right" if left else "left", fontsize=7,
                    color="#444444", bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1.0})


def population_trend(
    frame: pd.DataFrame,
    lang: str = "lt",
    name: str = "",
    key_period: Sequence[int] | None = None,
    source: str | None = None,
    synthetic: bool = False,
    breaks: Sequence[tuple[float, str]] | None = None,
) -> Figure:
    """Population at 1 January by year, with the key period shaded and known breaks marked.

    Parameters
    ----------
    frame
        Columns ``year``, ``value`` (residents).
    key_period
        ``(first, last)`` year of the key period; its end values are labelled.
    breaks
        ``(x, label)`` of known breaks (see :func:`mark_breaks`).
    """
    fig, axes = _new_figure("population_trend")
    ax = axes[0, 0]
    data = frame.sort_values("year")
    ax.plot(data["year"], data["value"] / 1000, color=HIGHLIGHT, lw=2.2, marker="o", ms=3)
    if key_period is not None and len(data):
        y0, y1 = int(key_period[0]), int(key_period[-1])
        ax.axvspan(y0, y1, color=OKABE_ITO[1], alpha=0.15, lw=0, label=t("key_period", lang, y0=y0, y1=y1))
        for y in (y0, y1):
            row = data[data["year"] == y]
            if len(row):
                v = float(row["value"].iloc[0])
                ax.annotate(fmt_number(v, lang, 0), (y, v / 1000), textcoords="offset points", xytext=(0, 8),
                            ha="center", fontsize=9, color="#222222")
        ax.legend(loc="best")
    mark_breaks(ax, breaks)
    ax.set_ylabel(t("persons_k", lang))
    ax.yaxis.set_major_formatter(_decimal(lang, 1))
    _year_axis(ax, lang)
    return _finish(fig, t("t_population_trend", lang, name=name), lang, source, synthetic)


def pyramid_overlay(
    frame: pd.DataFrame,
    years: Sequence[int],
    lang: str = "lt",
    name: str = "",
    title: str | None = None,
    label: str = "pyramid",
    source: str | None = None,
    synthetic: bool = False,
    projection: bool = False,
) -> Figure:
    """Population pyramid of two years overlaid: the later year filled, the earlier one as an outline.

    Parameters
    ----------
    frame
        Columns ``year``, ``sex`` (``male``/``female``), ``age`` (single years; the top age is the
        open group) and ``value`` (residents).
    years
        Years to draw; the last is filled, the others drawn as outlines.
    """
    fig, axes = _new_figure(label, figsize=(8.0, 6.2))
    ax = axes[0, 0]
    data = frame[frame["sex"].isin(["male", "female"])].copy()
    data["age"] = data["age"].astype(int)
    years = [int(y) for y in years]
    styles = [dict(fill=False, lw=1.4, colour=c) for c in ("#000000", "#8C8C8C", "#CC79A7", "#56B4E9")[: len(years) - 1]]
    styles += [dict(fill=True, lw=0, colour="")]
    for year, style in zip(years, styles):
        sub = data[data["year"] == year].pivot_table(index="age", columns="sex", values="value", aggfunc="sum").fillna(0)
        if sub.empty:
            continue
        # The top age is an open group (85+): drawn as a hatched band of OPEN_GROUP_SPAN years
        # at its mean per single year, so that it does not look like one very full year of age.
        top = int(sub.index.max())
        single = sub.drop(index=top)
        ages = single.index.to_numpy()
        # every single age up to the open group (an age without rows is a bar of nothing)
        full = single.reindex(range(int(ages.min()) if len(ages) else top, top), fill_value=0.0)
        for sex, sign, colour in (("male", -1, MALE_COLOUR), ("female", 1, FEMALE_COLOUR)):
            vals = sign * single.get(sex, pd.Series(0.0, index=single.index)).to_numpy()
            open_val = sign * float(sub.get(sex, pd.Series(0.0, index=sub.index)).loc[top]) / OPEN_GROUP_SPAN
            lab = f"{t(sex, lang)} {year}"
            band = top - 0.5 + OPEN_GROUP_SPAN / 2
            if style["fill"]:
                # the bars of the single ages as one outline (adjacent bars of height 1): one
                # artist to build and draw instead of one rectangle per age
                full_vals = sign * full.get(sex, pd.Series(0.0, index=full.index)).to_numpy()
                ax.stairs(full_vals, np.append(full.index.to_numpy() - 0.5, top - 0.5), orientation="horizontal",
                          baseline=0, fill=True, color=colour, alpha=0.65, label=lab)
                ax.barh([band], [open_val], height=OPEN_GROUP_SPAN, color=colour, alpha=0.35, hatch="///",
                        edgecolor=colour, lw=0)
            else:
                ax.step(vals, ages, where="mid", color=style["colour"], lw=style["lw"],
                        ls="-" if sex == "male" else "--", label=lab)
                ax.plot([open_val, open_val], [top - 0.5, top - 0.5 + OPEN_GROUP_SPAN], color=style["colour"],
                        lw=style["lw"], ls="-" if sex == "male" else "--")
        ax.annotate(t("open_group", lang, age=top), (0, top - 0.5 + OPEN_GROUP_SPAN), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7, color="#444444")
    ax.axvline(0, color="#333333", lw=0.8)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_number(abs(v), lang, decimals=0)))
    ax.set_xlabel(t("persons", lang))
    ax.set_ylabel(t("age", lang))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    y0, y1 = years[0], years[-1]
    return _finish(fig, title or t("t_pyramid", lang, name=name, y0=y0, y1=y1), lang, source, synthetic, projection)


def components_of_change(
    frame: pd.DataFrame,
    lang: str = "lt",
    name: str = "",
    key_period: Sequence[int] | None = None,
    source: str | None = None,
    synthetic: bool = False,
    breaks: Sequence[tuple[float, str]] | None = None,
) -> Figure:
    """Births, deaths and net migration by year as stacked bars, with the total change as a line.

    The total change is drawn only for years with all three components: a year without net
    migration (no population at the end of the year) has only natural change, which is not the
    total. The legend sits under the chart, never over the title.

    Parameters
    ----------
    frame
        Columns ``year``, ``component`` (``births``, ``deaths``, ``net_migration``) and ``value``
        (persons; deaths as positive counts, drawn below zero).
    breaks
        ``(x, label)`` of known breaks (see :func:`mark_breaks`).
    """
    fig, axes = _new_figure("components_of_change")
    ax = axes[0, 0]
    wide = frame.pivot_table(index="year", columns="component", values="value", aggfunc="sum").sort_index()
    years = wide.index.to_numpy()
    births = wide.get("births", pd.Series(0.0, index=wide.index)).fillna(0).to_numpy()
    deaths = -wide.get("deaths", pd.Series(0.0, index=wide.index)).fillna(0).to_numpy()
    net = wide.get("net_migration", pd.Series(np.nan, index=wide.index)).to_numpy()
    ax.bar(years, births, color=OKABE_ITO[2], label=t("births", lang), width=0.8)
    ax.bar(years, deaths, color=OKABE_ITO[3], label=t("deaths", lang), width=0.8)
    net0 = np.nan_to_num(net)
    bottom = np.where(net0 >= 0, births, deaths)
    ax.bar(years, net0, bottom=bottom, color=OKABE_ITO[5], label=t("net_migration", lang), width=0.8, alpha=0.9)
    complete = np.isfinite(net) & np.isfinite(wide.get("births", pd.Series(np.nan, index=wide.index)).to_numpy()) \
        & np.isfinite(wide.get("deaths", pd.Series(np.nan, index=wide.index)).to_numpy())
    total = np.where(complete, births + deaths + net0, np.nan)
    ax.plot(years, total, color="#000000", lw=1.8, marker="o", ms=3, label=t("total_change", lang))
    # the line drawn, for the workbook's sheet beside the bars' components (its years only)
    fig.cityindicators_extra = pd.DataFrame({"year": years[complete], "component": "total_change",
                                             "value": total[complete]})
    ax.axhline(0, color="#333333", lw=0.8)
    if key_period is not None:
        # named in the legend, as on the population chart: the bars before it (births and deaths are
        # published from earlier years) are outside the period the report analyses
        y0, y1 = int(key_period[0]), int(key_period[-1])
        ax.axvspan(y0 - 0.5, y1 + 0.5, color=OKABE_ITO[1], alpha=0.08, lw=0, label=t("key_period", lang, y0=y0, y1=y1))
    mark_breaks(ax, breaks)
    ax.set_ylabel(t("events", lang))
    ax.yaxis.set_major_formatter(_thousands(lang))
    _year_axis(ax, lang)
    return _finish(fig, t("t_components", lang, name=name), lang, source, synthetic,
                   legend_below=ax.get_legend_handles_labels())


def indicator_panels(
    frame: pd.DataFrame,
    highlight: str,
    lang: str = "lt",
    title: str = "",
    labels: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    ranks: Mapping[str, tuple[int, int]] | None = None,
    label: str = "indicators",
    source: str | None = None,
    synthetic: bool = False,
    ncols: int = 2,
    country: str | None = None,
    names: Mapping[str, str] | None = None,
    breaks: Sequence[float] | None = None,
    data_names: Mapping[str, str] | None = None,
) -> Figure:
    """Small multiples, one panel per indicator: the municipality highlighted, its peers in grey
    (each labelled at its last point with its name from ``names``, up to 12 peers), the
    country as a dashed line.

    Parameters
    ----------
    frame
        Columns ``indicator``, ``territory_code``, ``year``, ``value``.
    highlight
        Territory code drawn in the highlight colour; every other code is a grey peer line.
    labels, units
        Display name and unit of each indicator (the unit goes on the y axis).
    ranks
        ``indicator -> (rank, n)`` or ``(rank, n, year)`` shown in the panel title ("rank 3 of 60
        in 2015").
    country
        Territory code of the country line (always drawn when it is in ``frame``).
    names
        Territory code -> short name for the labels of the grey lines.
    breaks
        x positions of known breaks, drawn as dotted lines in every panel (said in the text).
    data_names
        Territory code -> name in the chart's data (its workbook sheet, read without the chart
        beside it: "Zarasų r. sav." where the line's label says "Zarasų"); default ``names``.
    """
    indicators = list(dict.fromkeys(frame["indicator"]))
    n = max(len(indicators), 1)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = _new_figure(label, nrows, ncols, figsize=(4.6 * ncols, 3.2 * nrows + 0.9))
    labels = dict(labels or {})
    units = dict(units or {})
    ranks = dict(ranks or {})
    for ax, ind in zip(axes.flat, indicators):
        sub = frame[frame["indicator"] == ind]
        peers = [c for c in dict.fromkeys(sub["territory_code"]) if c not in (highlight, country)]
        ends = []
        lines = []
        for code, g in sub[sub["territory_code"].isin(peers)].dropna(subset=["value"]).groupby(
                "territory_code", sort=False):
            g = g.sort_values("year")
            lines.append(np.column_stack([g["year"].to_numpy(float), g["value"].to_numpy(float)]))
            if names and code in names and len(peers) <= 12:
                ends.append((names[code], float(g["year"].iloc[-1]), float(g["value"].iloc[-1])))
        if lines:
            # the grey lines as one artist (built and drawn at once), styled as one line each
            ax.add_collection(LineCollection(lines, colors=PEER_GREY, linewidths=0.9, alpha=0.8, zorder=2,
                                             capstyle="projecting", joinstyle="round"))
        if country is not None:
            g = sub[sub["territory_code"] == country].sort_values("year")
            ax.plot(g["year"], g["value"], color=COUNTRY_COLOUR, lw=1.6, ls="--")
        own = sub[sub["territory_code"] == highlight].sort_values("year")
        ax.plot(own["year"], own["value"], color=HIGHLIGHT, lw=2.4, marker="o", ms=2.5)
        label_peer_lines(ax, ends)
        head = labels.get(ind, ind)
        if ind in ranks and ranks[ind][0] == ranks[ind][0]:
            r = ranks[ind]
            head += f"\n({rank_text(int(r[0]), int(r[1]), lang, int(r[2]) if len(r) > 2 else None)})"
        ax.set_title(head, fontsize=10, loc="left")
        for x in breaks or ():
            ax.axvline(x, color="#555555", lw=1.0, ls=":", zorder=1)
            # the break's year at the top of its line (a step between two years is the later one's), so that
            # a panel copied alone still says what the line is; the notes are said under the chart
            ax.annotate(str(int(np.ceil(x))), (x, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -2),
                        textcoords="offset points", va="top", ha="left", fontsize=6.5, color="#444444")
        ax.set_ylabel(units.get(ind, ""))
        ax.yaxis.set_major_formatter(_decimal(lang, 1))
        _year_axis(ax, lang)
    for ax in list(axes.flat)[len(indicators):]:
        ax.set_visible(False)
    # the workbook's sheet names each line as the chart does (its codes alone would not say which peer is which)
    fig.cityindicators_names = {**{str(c): str(v) for c, v in (data_names or names or {}).items()},
                                str(highlight): labels.get("__highlight__", str(highlight)),
                                **({str(country): labels.get("__country__", t("col_country", lang))} if country else {})}
    handles = [plt.Line2D([], [], color=HIGHLIGHT, lw=2.4), plt.Line2D([], [], color=PEER_GREY, lw=0.9)]
    legend = [labels.get("__highlight__", highlight), t("peers", lang)]
    if country is not None:
        handles.append(plt.Line2D([], [], color=COUNTRY_COLOUR, lw=1.6, ls="--"))
        legend.append(labels.get("__country__", t("col_country", lang)))
    # the legend goes under the panels, never over the title
    return _finish(fig, title, lang, source, synthetic, legend_below=(handles, legend))


#: Smallest vertical distance between two peer labels, as a share of the panel's height.
LABEL_GAP = 0.055


def spread_labels(values: Sequence[float], gap: float) -> list[float]:
    """Positions for labels at ``values`` no two closer than ``gap``, each as near its value as
    the others allow (labels keep their order; a run of labels too close is spread evenly about
    its mean). Returned in the order of ``values``."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    # clusters of labels closer than the gap, each laid out evenly around its own mean
    clusters: list[list[int]] = []
    for i in order:
        clusters.append([i])
        while len(clusters) > 1:
            a, b = clusters[-2], clusters[-1]
            top_a = np.mean([values[j] for j in a]) + gap * (len(a) - 1) / 2
            low_b = np.mean([values[j] for j in b]) - gap * (len(b) - 1) / 2
            if low_b - top_a >= gap:
                break
            clusters[-2:] = [a + b]
    out = [0.0] * len(values)
    for c in clusters:
        centre = float(np.mean([values[j] for j in c]))
        for k, j in enumerate(c):
            out[j] = centre + gap * (k - (len(c) - 1) / 2)
    return out


def label_peer_lines(ax, ends: Sequence[tuple[str, float, float]]) -> None:
    """Name each grey line at its last point (``(name, year, value)``), moved apart vertically so
    that no two names overlap."""
    if not ends:
        return
    lo, hi = ax.get_ylim()
    ys = spread_labels([v for _, _, v in ends], LABEL_GAP * (hi - lo))
    for (name, x, y), y_text in zip(ends, ys):
        # a quarter of a year right of the line's end, so the name does not touch it
        ax.annotate(name, (x, y), xytext=(x + 0.25, y_text), textcoords="data", fontsize=6, color="#666666",
                    va="center", ha="left", annotation_clip=False)
    ax.set_ylim(lo, hi)


def ageing_indicators(frame: pd.DataFrame, highlight: str, lang: str = "lt", name: str = "", **kw) -> Figure:
    """Ageing indicators (share 65+, old-age dependency ratio, ageing index, median age) of the
    municipality against its peers, each with its rank; see :func:`indicator_panels`."""
    kw.setdefault("label", "ageing_indicators")
    labels = dict(kw.pop("labels", {}) or {})
    labels.setdefault("__highlight__", name)
    return indicator_panels(frame, highlight, lang, title=t("t_ageing", lang, name=name), labels=labels, **kw)


def working_age(
    frame: pd.DataFrame,
    lang: str = "lt",
    name: str = "",
    source: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Working-age population (bars, thousand persons) and its share of all residents (line, %),
    in two panels side by side rather than on two y axes of one chart.

    Parameters
    ----------
    frame
        Columns ``indicator`` (``working_age_population``, ``working_age_share``), ``year``, ``value``.
    """
    wide = frame.pivot_table(index="year", columns="indicator", values="value", aggfunc="first").sort_index()
    panels = [c for c in ("working_age_population", "working_age_share") if c in wide]
    fig, axes = _new_figure("working_age", 1, max(len(panels), 1), figsize=(4.8 * max(len(panels), 1), 3.6))
    for ax, col in zip(axes.flat, panels):
        if col == "working_age_population":
            ax.bar(wide.index, wide[col] / 1000, color=OKABE_ITO[5], width=0.8)
            ax.set_ylabel(t("persons_k", lang))
        else:
            ax.plot(wide.index, wide[col], color=OKABE_ITO[3], lw=2.2, marker="o", ms=3)
            ax.set_ylabel("%")
        ax.set_title(t(col, lang), fontsize=10, loc="left")
        ax.yaxis.set_major_formatter(_decimal(lang, 1))
        _year_axis(ax, lang)
    return _finish(fig, t("t_working_age", lang, name=name), lang, source, synthetic)


def youth_outflow(
    frame: pd.DataFrame,
    lang: str = "lt",
    name: str = "",
    youth: tuple[int, int] = (15, 29),
    source: str | None = None,
    synthetic: bool = False,
    open_age: int | None = None,
) -> Figure:
    """Net migration by age (cohort-residual estimate), with the youth ages shaded.

    Parameters
    ----------
    frame
        Columns ``age`` (age at the end of the period, 1 January, as
        :func:`~cityindicators.indicators.compute.cohort_net_migration` gives it and as the youth
        indicators count it), ``value`` (net migrants, persons) and optionally ``period`` (one
        line per period, e.g. ``"2001–2008"``).
    open_age
        The open top age group (85 for 85+): drawn hatched over :data:`OPEN_GROUP_SPAN` years at
        its mean per single year, as the pyramid draws it, and labelled, so that the sum of many
        ages does not read as one very large year of age.
    """
    fig, axes = _new_figure("youth_outflow")
    ax = axes[0, 0]
    data = frame.copy()
    if "period" not in data:
        data["period"] = ""
    periods = list(dict.fromkeys(data["period"]))
    ax.axvspan(youth[0] - 0.5, youth[1] + 0.5, color=OKABE_ITO[1], alpha=0.15, lw=0, label=t("youth_band", lang))
    centre = None if open_age is None else open_age - 0.5 + OPEN_GROUP_SPAN / 2
    open_label = None if open_age is None else t("open_group", lang, age=open_age)  # said in the legend
    if len(periods) == 1:
        g = data.groupby("age")["value"].sum()
        single = g[g.index != open_age]
        colours = np.where((single.index >= youth[0]) & (single.index <= youth[1]), OKABE_ITO[3], PEER_GREY)
        ax.bar(single.index, single.values, color=colours, width=0.9, label=periods[0] or t("net_migration", lang))
        if open_age in g.index:
            ax.bar([centre], [float(g[open_age]) / OPEN_GROUP_SPAN], width=OPEN_GROUP_SPAN - 0.1, color=PEER_GREY,
                   alpha=0.45, hatch="///", edgecolor=PEER_GREY, lw=0, label=open_label)
    else:
        for i, p in enumerate(periods):
            g = data[data["period"] == p].groupby("age")["value"].sum()
            colour = OKABE_ITO[i % len(OKABE_ITO)]
            single = g[g.index != open_age]
            ax.plot(single.index, single.values, color=colour, lw=1.8, label=str(p))
            if open_age in g.index:
                mean = float(g[open_age]) / OPEN_GROUP_SPAN
                ax.plot([open_age - 0.5, open_age - 0.5 + OPEN_GROUP_SPAN], [mean, mean], color=colour, lw=1.8, ls=":",
                        label=open_label if i == 0 else None)
    ax.axhline(0, color="#333333", lw=0.8)
    ax.set_xlabel(t("age_at_end", lang))
    ax.set_ylabel(t("net_migrants", lang))
    ax.yaxis.set_major_formatter(_thousands(lang))
    # the legend under the chart, off the bars (the open group's bar sits where it used to be)
    return _finish(fig, t("t_youth_outflow", lang, name=name), lang, source, synthetic,
                   legend_below=ax.get_legend_handles_labels())


# -- comparison table --------------------------------------------------------------------------


def comparison_table(
    frame: pd.DataFrame,
    lang: str = "lt",
    n: int | None = None,
    caption: str = "",
    synthetic: bool = False,
    rank_column: str | None = None,
    value_column: str | None = None,
    decimals: int = 1,
):
    """A comparison table as a pandas ``Styler``, the value and rank cells coloured by rank.

    Parameters
    ----------
    frame
        One row per indicator, already with display column names; ``rank_column`` holds the rank
        (1 = best by the indicator's polarity, missing when the indicator has no polarity).
    n
        Number of ranked municipalities (for the colour scale and the note).

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    from matplotlib import colors as mcolors

    rank_column = rank_column or t("col_rank", lang)
    value_column = value_column or t("col_value", lang)
    ranks = pd.to_numeric(frame.get(rank_column), errors="coerce") if rank_column in frame else pd.Series(dtype=float)
    n = int(n or (ranks.max() if len(ranks.dropna()) else 1))
    # Blue (best) to orange (worst): a diverging scale from the Okabe-Ito hues, readable in greyscale.
    cmap = mcolors.LinearSegmentedColormap.from_list("rank", ["#0072B2", "#F7F7F7", "#E69F00"])

    def colour(r: float) -> str:
        if r != r:  # NaN: unranked
            return ""
        pos = 0.0 if n <= 1 else (float(r) - 1) / (n - 1)
        rgba = cmap(pos)
        lum = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]
        return f"background-color: {mcolors.to_hex(rgba)}; color: {'#000000' if lum > 0.55 else '#FFFFFF'}"

    def style_rows(row: pd.Series) -> list[str]:
        css = colour(float(pd.to_numeric(row.get(rank_column), errors="coerce"))) if rank_column in row else ""
        return [css if c in (rank_column, value_column) else "" for c in row.index]

    def fmt(v):
        if isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool):
            return fmt_number(float(v), lang, decimals=decimals)
        return "" if v is None else str(v)

    fmt_cols = {c: fmt for c in frame.columns if c != rank_column}
    if rank_column in frame:
        fmt_cols[rank_column] = lambda v: "" if v is None or v != v else str(int(v))
    # one format() call: a second one would reset the formats of the other columns (pandas >= 3)
    # text cells, headers (a peer group's name) and the caption are escaped: they come from data
    styler = frame.style.apply(style_rows, axis=1).format(fmt_cols, escape="html").format_index(escape="html", axis=1)
    note = rank_colour_note(n, lang)
    if synthetic:
        note = f"{t('synthetic_note', lang)}. {note}"
    styler = styler.set_caption(caption_html(caption, note))
    styler = styler.hide(axis="index").set_table_styles(
        [{"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold;"},
         {"selector": "td, th", "props": "padding: 3px 6px; font-size: 0.85em;"},
         # headers wrap and numbers stay on one line, so the rank column fits an A4 page
         {"selector": "th", "props": "white-space: normal; max-width: 8em; vertical-align: bottom;"},
         {"selector": "td", "props": "white-space: nowrap;"},
         {"selector": "td:first-child", "props": "white-space: normal; max-width: 14em; text-align: left;"}]
    )
    return styler


# -- scenarios ---------------------------------------------------------------------------------


#: The shipped scenarios, each with its colour in every chart of every report (the plan
#: monitoring's lines as the scenarios report's), in that report's default order.
SHIPPED_SCENARIO_COLOURS: dict[str, str] = dict(zip(
    ("baseline", "trend", "zero-migration", "low-emigration", "attraction", "revival"), OKABE_ITO))


def _scenario_colours(scenarios: Iterable[str], order: Iterable[str] = ()) -> dict[str, str]:
    """A colour for each of ``scenarios``, listed by their place in ``order`` (the report's
    scenarios, as its ``scenario_labels`` list them), then in ``scenarios``.

    A shipped scenario has its own colour (:data:`SHIPPED_SCENARIO_COLOURS`) and any other takes,
    in that order, one of the palette's that no scenario of the chart has (never black, the
    observed line's): a scenario has one colour in every chart, whatever the order of a chart's
    rows (the service groups' came sorted by name, and the baseline was orange there and blue
    beside it) and in every report (the monitoring's baseline, zero-migration and attraction)."""
    present = list(dict.fromkeys(scenarios))
    wanted = set(present)
    ranked = [s for s in dict.fromkeys([*order, *present]) if s in wanted]
    taken = {SHIPPED_SCENARIO_COLOURS[s] for s in ranked if s in SHIPPED_SCENARIO_COLOURS}
    palette = [c for c in OKABE_ITO if c != "#000000"]
    free = itertools.cycle([c for c in palette if c not in taken] or palette)
    return {s: SHIPPED_SCENARIO_COLOURS.get(s) or next(free) for s in ranked}


def scenario_lines(
    frame: pd.DataFrame,
    lang: str = "lt",
    name: str = "",
    observed: pd.DataFrame | None = None,
    scenario_labels: Mapping[str, str] | None = None,
    source: str | None = None,
    synthetic: bool = False,
    target: tuple[int, float, str] | None = None,
    with_inflow: pd.DataFrame | None = None,
    label: str = "scenario_population",
    title: str | None = None,
    breaks: Sequence[tuple[float, str]] | None = None,
) -> Figure:
    """Total population (or another count of residents, named by ``title``) by scenario to the
    horizon, with the observed series (its known breaks marked: ``breaks`` as in :func:`mark_breaks`).

    Parameters
    ----------
    frame
        Columns ``scenario``, ``year``, ``value`` (residents).
    observed
        Columns ``year``, ``value``: the observed population, drawn in black.
    target
        ``(year, residents, label)``: the target drawn as a dashed horizontal line to its year
        and a diamond at the year.
    with_inflow
        Columns ``scenario``, ``year``, ``value``: each scenario with the inflow that meets the
        target, drawn dashed in the scenario's colour.
    title
        The chart's title; default the population's (with or without the target).
    """
    fig, axes = _new_figure(label)
    ax = axes[0, 0]
    labels = dict(scenario_labels or {})
    if observed is not None and len(observed):
        o = observed.sort_values("year")
        ax.plot(o["year"], o["value"] / 1000, color="#000000", lw=2.4, label=t("observed", lang))
    dashed = False
    for sc, colour in _scenario_colours(frame["scenario"], labels).items():
        g = frame[frame["scenario"] == sc].sort_values("year")
        ax.plot(g["year"], g["value"] / 1000, color=colour, lw=1.9, label=labels.get(sc, sc))
        if with_inflow is not None and len(with_inflow[with_inflow["scenario"] == sc]):
            w = with_inflow[with_inflow["scenario"] == sc].sort_values("year")
            # in the scenario's colour; one legend entry says what all dashed lines are
            ax.plot(w["year"], w["value"] / 1000, color=colour, lw=1.4, ls="--")
            dashed = True
    if dashed:
        ax.plot([], [], color=PEER_GREY, lw=1.4, ls="--", label=t("with_inflow", lang))
    mark_breaks(ax, breaks)
    if target is not None:
        year, value, text = target
        start = float(frame["year"].min()) if len(frame) else year
        ax.hlines(value / 1000, start, year, colors=COUNTRY_COLOUR, linestyles=(0, (4, 3)), lw=1.2)
        ax.plot([year], [value / 1000], marker="D", color=COUNTRY_COLOUR, ms=6, ls="none", label=text)
    ax.set_ylabel(t("persons_k", lang))
    ax.yaxis.set_major_formatter(_decimal(lang, 1))
    _year_axis(ax, lang)
    if title is None:
        title = t("t_target", lang, name=name) if target is not None else t("t_scenarios", lang, name=name)
    return _finish(fig, title, lang, source, synthetic, projection=True, legend_below=ax.get_legend_handles_labels())


def broad_groups(
    frame: pd.DataFrame,
    lang: str = "lt",
    name: str = "",
    scenario_labels: Mapping[str, str] | None = None,
    source: str | None = None,
    synthetic: bool = False,
    groups: Sequence[str] | None = None,
    group_labels: Mapping[str, str] | None = None,
    label: str = "broad_groups",
    title: str | None = None,
) -> Figure:
    """Age groups by scenario, one panel per group (three panels a row).

    Parameters
    ----------
    frame
        Columns ``scenario``, ``year``, ``group``, ``value``.
    groups, group_labels
        Group order and panel titles; default the broad groups ``0-14``, ``15-64``, ``65+``.
    """
    keys = {"0-14": "g_0_14", "15-64": "g_15_64", "65+": "g_65_plus"}
    order = list(groups) if groups is not None else list(keys)
    titles = dict(group_labels) if group_labels is not None else {g: t(k, lang) for g, k in keys.items()}
    groups = [g for g in order if g in set(frame["group"])]
    ncols = min(max(len(groups), 1), 3)
    nrows = int(np.ceil(max(len(groups), 1) / ncols))
    fig, axes = _new_figure(label, nrows, ncols, figsize=(12.0, 3.6 * nrows + 0.8))
    labels = dict(scenario_labels or {})
    colours = _scenario_colours(frame["scenario"], labels)
    # each group's line of each scenario split off in one pass: a filter and a sort per line
    # were a quarter of the service groups' chart's building (30 lines)
    lines = dict(list(frame.sort_values("year", kind="stable").groupby(["group", "scenario"], sort=False)))
    for ax, grp in zip(axes.flat, groups):
        sub = frame[frame["group"] == grp]
        for sc, colour in colours.items():
            g = lines.get((grp, sc), frame.iloc[:0])
            ax.plot(g["year"], g["value"] / 1000, color=colour, lw=1.8, label=labels.get(sc, sc))
        ax.set_title(titles.get(grp, grp), loc="left", fontsize=10)
        ax.set_ylabel(t("persons_k", lang))
        ax.yaxis.set_major_formatter(_decimal(lang, 2 if sub["value"].max() < 10_000 else 1))
        _year_axis(ax, lang)
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    below = axes.flat[0].get_legend_handles_labels() if groups else None
    return _finish(fig, title or t("t_broad_groups", lang, name=name), lang, source, synthetic, projection=True,
                   legend_below=below)


def dependency_ratios(
    frame: pd.DataFrame,
    lang: str = "lt",
    name: str = "",
    scenario_labels: Mapping[str, str] | None = None,
    source: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Old-age and total dependency ratios by scenario.

    Parameters
    ----------
    frame
        Columns ``scenario``, ``year``, ``indicator`` (``old_age_dependency_ratio``,
        ``total_dependency_ratio``), ``value`` (persons per 100 aged 15-64).
    """
    inds = [i for i in ("old_age_dependency_ratio", "total_dependency_ratio") if i in set(frame["indicator"])]
    fig, axes = _new_figure("dependency_ratios", 1, max(len(inds), 1), figsize=(11.0, 4.4))
    labels = dict(scenario_labels or {})
    colours = _scenario_colours(frame["scenario"], labels)
    for ax, ind in zip(axes.flat, inds):
        sub = frame[frame["indicator"] == ind]
        for sc, colour in colours.items():
            g = sub[sub["scenario"] == sc].sort_values("year")
            ax.plot(g["year"], g["value"], color=colour, lw=1.8, label=labels.get(sc, sc))
        ax.set_title(t(ind, lang), loc="left", fontsize=10)
        ax.set_ylabel(t("per_100", lang))
        ax.yaxis.set_major_formatter(_decimal(lang, 0))
        _year_axis(ax, lang)
    below = axes.flat[0].get_legend_handles_labels() if inds else None
    return _finish(fig, t("t_dependency", lang, name=name), lang, source, synthetic, projection=True,
                   legend_below=below)


def fan_chart(
    frame: pd.DataFrame,
    lang: str = "lt",
    name: str = "",
    observed: pd.DataFrame | None = None,
    source: str | None = None,
    synthetic: bool = False,
    empirical: bool = False,
    calibrated: bool = False,
    scenario: str | None = None,
    breaks: Sequence[tuple[float, str]] | None = None,
) -> Figure:
    """Fan chart of a stochastic projection: the median and the bands between quantiles.

    Parameters
    ----------
    frame
        Columns ``year``, ``quantile`` (fractions, e.g. 0.1, 0.5, 0.9) and ``value`` (residents).
    observed
        Columns ``year``, ``value``.
    empirical
        The band is the empirical interval of a deterministic projection (quantile 0.5 is the
        projection itself): titled and labelled so, not as a stochastic median.
    calibrated
        The stochastic band is calibrated to the method's past errors
        (:mod:`~cityindicators.projection.calibration`): titled so.
    scenario
        The label of the scenario the band is drawn about, named in the title (a report shows
        one band among several scenarios' lines).
    breaks
        Known breaks of the observed series, as in :func:`mark_breaks`.
    """
    fig, axes = _new_figure("fan_chart")
    ax = axes[0, 0]
    wide = frame.pivot_table(index="year", columns="quantile", values="value", aggfunc="first").sort_index() / 1000
    qs = sorted(float(q) for q in wide.columns)
    lows = [q for q in qs if q < 0.5]
    for i, lo in enumerate(sorted(lows)):
        hi = round(1 - lo, 6)
        hi_col = next((c for c in wide.columns if abs(float(c) - hi) < 1e-9), None)
        lo_col = next(c for c in wide.columns if abs(float(c) - lo) < 1e-9)
        if hi_col is None:
            continue
        ax.fill_between(wide.index, wide[lo_col], wide[hi_col], color=HIGHLIGHT, alpha=0.18 + 0.12 * i, lw=0,
                        label=t("interval_80" if abs(hi - lo - 0.8) < 1e-9 else "interval", lang,
                                lo=fmt_number(lo * 100, lang, 0), hi=fmt_number(hi * 100, lang, 0)))
    med = next((c for c in wide.columns if abs(float(c) - 0.5) < 1e-9), None)
    if med is not None:
        ax.plot(wide.index, wide[med], color=HIGHLIGHT, lw=2.2,
                label=t("projection_line" if empirical else "median", lang))
    if observed is not None and len(observed):
        o = observed.sort_values("year")
        ax.plot(o["year"], o["value"] / 1000, color="#000000", lw=2.2, label=t("observed", lang))
    mark_breaks(ax, breaks)
    ax.set_ylabel(t("persons_k", lang))
    ax.yaxis.set_major_formatter(_decimal(lang, 1))
    _year_axis(ax, lang)
    ax.legend(loc="best")
    title = t("t_fan_empirical" if empirical else "t_fan_calibrated" if calibrated else "t_fan", lang, name=name)
    if scenario:
        title = t("t_of_scenario", lang, title=title, scenario=scenario)
    return _finish(fig, title, lang, source, synthetic, projection=True)


# -- the data behind each chart ------------------------------------------------------------------

#: Unit of the values each chart function draws (a frame with a ``unit`` column says it per row).
CHART_UNITS: dict[str, str] = {
    "population_trend": "persons", "pyramid_overlay": "persons", "components_of_change": "persons",
    "indicator_panels": "", "ageing_indicators": "", "working_age": "", "youth_outflow": "persons",
    "scenario_lines": "persons", "broad_groups": "persons", "dependency_ratios": "per 100 aged 15-64", "fan_chart": "persons",
}
# other units as the indicator catalogue writes them (one unit per indicator in tables, texts, charts)
_DATA_UNITS = {"persons": ("asmenys", "persons")}


def _keeps_data(func, unit: str):
    """``func`` whose figure keeps the frame it drew (with the observed series, when given)."""

    @functools.wraps(func)
    def chart(frame: pd.DataFrame, *args, **kw) -> Figure:
        fig = func(frame, *args, **kw)
        data = frame.reset_index(drop=True)
        observed = kw.get("observed")
        if observed is not None and len(observed):
            # the observed line beside the projected ones, marked in a column of its own
            data = pd.concat([observed.assign(series="observed"), data.assign(series="projected")], ignore_index=True)
        data = _with_target_rows(data, kw.get("with_inflow"), kw.get("target"))
        names = getattr(fig, "cityindicators_names", None)
        if names and "territory_code" in data.columns:
            data.insert(data.columns.get_loc("territory_code") + 1, "territory",
                        data["territory_code"].astype(str).map(names))
        extra = getattr(fig, "cityindicators_extra", None)  # what the function drew beyond its frame
        if extra is not None and len(extra):
            data = pd.concat([data, extra], ignore_index=True)
        fig.cityindicators_data = data
        fig.cityindicators_unit = unit
        # the names the chart gave the codes of its frame, for the workbook's sheet to name them alike
        # (reports.exports.chart_data_values); the scenarios' names are known only to the caller
        given = {"scenario": kw.get("scenario_labels"), "group": kw.get("group_labels"),
                 "indicator": {k: v for k, v in (kw.get("labels") or {}).items() if not str(k).startswith("__")}}
        fig.cityindicators_value_labels = {col: {str(k): str(v) for k, v in m.items()} for col, m in given.items() if m}
        return fig

    return chart


def _with_target_rows(data: pd.DataFrame, with_inflow: pd.DataFrame | None,
                      target: tuple[int, float, str] | None) -> pd.DataFrame:
    """``data`` with what a target chart draws beside the scenarios (:func:`scenario_lines`): each
    scenario with the inflow that meets the target (``series`` ``with_target_inflow``, the dashed
    lines) and the target itself (``target``, the diamond), so that a workbook's sheet holds every
    line of the chart; ``data`` unchanged without them."""
    extra = []
    if with_inflow is not None and len(with_inflow):
        extra.append(with_inflow.reset_index(drop=True).assign(series="with_target_inflow"))
    if target is not None:
        extra.append(pd.DataFrame({"year": [int(target[0])], "value": [float(target[1])], "series": ["target"]}))
    if not extra:
        return data
    if "series" not in data.columns:
        data = data.assign(series="projected")
    return pd.concat([data, *extra], ignore_index=True)


# Wrapped here, in one place, rather than at each definition: every chart function keeps its data.
for _name, _unit in CHART_UNITS.items():
    globals()[_name] = _keeps_data(globals()[_name], _unit)
del _name, _unit


def chart_data(fig: Figure) -> pd.DataFrame | None:
    """The frame a chart function of this module drew on ``fig`` (``None`` for other figures)."""
    return getattr(fig, "cityindicators_data", None)


def chart_value_labels(fig: Figure) -> dict[str, dict[str, str]]:
    """The names a chart function of this module gave the codes of its frame: ``column -> {code:
    name}`` (the scenarios' labels, the age groups' and indicators' panel titles it was given)."""
    return dict(getattr(fig, "cityindicators_value_labels", {}) or {})


def chart_title(fig: Figure) -> str:
    """The figure's title (its suptitle, else the first axes title) on one line: a long title is
    wrapped to the chart's width, and a sheet's title or an image's alt text has no line breaks."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        title = sup.get_text()
    else:
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        title = titles[0] if titles else fig.get_label()
    return " ".join(title.split())


def chart_unit(fig: Figure, lang: str) -> str:
    """Unit of the chart's data values in ``lang``."""
    from .indicators.catalogue import unit_label

    unit = getattr(fig, "cityindicators_unit", "")
    if not unit:  # one per row: the column named as the sheet heads it (reports.exports.CHART_DATA_HEADERS)
        return t("unit_in_column", lang, column=t("col_unit", lang))
    pair = _DATA_UNITS.get(unit)
    return (pair[0] if lang == "lt" else pair[1]) if pair else unit_label(unit, lang)


def chart_source(fig: Figure) -> str:
    """The source line written under the chart."""
    return getattr(fig, "cityindicators_source", "")
