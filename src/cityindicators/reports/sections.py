"""One short call per notebook section.

A template notebook calls :func:`setup` once with its parameters, then one function of this
module per section. Each section function displays its heading, chart or table and sentences
in the report language, and returns what it showed (a figure, a frame, findings) so that an
analyst in JupyterLab can look further. Numbers come from the indicator and projection
libraries; the charts from :mod:`cityindicators.plotting`.

Charts are displayed as PNG images that carry their name in the output metadata, so the
report runner saves them as files (see :func:`show_figure`).
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
import os
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from .. import __version__
from .. import plotting
from ..exceptions import CityIndicatorsError, ReportParameterError
from ..geography import Territory
from ..grammar import count_phrase
from ..html_safe import escape_html, styled_table
from . import exports, shared
from . import findings as F
from .timings import CHART_SECONDS_KEY
from .._io import read_sidecar
from ..i18n import TEXTS, check_language, fmt_int, fmt_number, t

__all__ = [
    "ReportContext",
    "setup",
    "show_figure",
    "show_markdown",
    "show_table",
    "key_findings",
    "situation_findings",
    "population_trend",
    "pyramid",
    "components",
    "ageing",
    "working_age",
    "migration",
    "labour",
    "comparison",
    "sources",
    "setup_scenarios",
    "assumptions",
    "scenario_population",
    "broad_groups",
    "scenario_pyramids",
    "dependency",
    "fan_chart",
    "target",
    "service_groups",
    "annex",
]

log = logging.getLogger(__name__)

#: Indicators of the ageing section, in the order of the panels.
AGEING_INDICATORS = ("share_65_plus", "old_age_dependency_ratio", "ageing_index", "median_age")
#: Labour-market indicators shown where the data have them.
LABOUR_INDICATORS = ("registered_unemployed_ratio", "employment_rate", "employed_share",
                     "industry_employment_share", "earnings_relative_to_country")
#: Indicators of the comparison table.
COMPARISON_INDICATORS = ("population", "population_growth_rate", "share_0_14", "share_65_plus",
                         "old_age_dependency_ratio", "ageing_index", "median_age", "working_age_share",
                         "crude_birth_rate", "crude_death_rate", "crude_net_migration_rate",
                         "net_migration_rate_15_29", "registered_unemployed_ratio")
#: Every indicator a situation analysis reads (computed once in :func:`setup`).
SITUATION_INDICATORS = tuple(dict.fromkeys(
    ("population", "births", "deaths", "natural_change", "net_migration", "net_migration_15_29",
     "working_age_population", "working_age_share", *AGEING_INDICATORS, *COMPARISON_INDICATORS, *LABOUR_INDICATORS)))


# -- display helpers ---------------------------------------------------------------------------


def _display(obj: Any, **kw) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    display(obj, **kw)


def show_markdown(text: str) -> None:
    """Display Markdown text (headings, sentences, lists).

    The text is HTML-escaped here, the boundary where it becomes HTML: it carries names from
    the data and the user (groups, scenario labels, files), and the report's Markdown holds no
    HTML of its own.
    """
    from IPython.display import Markdown

    _display(Markdown(escape_html(text, quote=False)))


def show_figure(fig, alt: str = "", dpi: int = exports.SCREEN_DPI) -> None:
    """Display a figure as a PNG that the runner saves as ``charts/NN_<label>.png``.

    The PNG is rendered here (not by the inline backend) so that its resolution and size are
    the same in JupyterLab, in the HTML report and in the saved file. When the report runner
    runs the notebook, the chart is also written as SVG and as a 300-dpi PNG, and its data go
    to the report's workbook (:mod:`cityindicators.reports.exports`). The figure is closed.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image

    t0 = time.perf_counter()
    label = fig.get_label() or "chart"
    stem = exports.chart_stem(label)
    folder = exports.export_dir()
    if folder is not None:
        png = exports.save_chart(fig, stem, folder, dpi)
    else:
        png = exports.render_chart(fig, "png", dpi)
    if not alt:
        alt = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else label
    width = int(fig.get_figwidth() * 100)
    plt.close(fig)
    _display(Image(data=png, format="png", width=width),
             metadata={"cityindicators_chart": label, "cityindicators_file": stem, "cityindicators_alt": alt,
                       CHART_SECONDS_KEY: round(time.perf_counter() - t0, 3)})


def show_table(table: Any, data: pd.DataFrame | None = None) -> None:
    """Display a frame or a pandas ``Styler`` as an HTML table (and, when the report runner runs
    the notebook, keep its values, or ``data`` when the displayed cells are formatted text, for
    the report's workbook)."""
    folder = exports.export_dir()
    if folder is not None:
        exports.save_table(table, folder, data=data)
    _display(table)


# -- context -----------------------------------------------------------------------------------


@dataclass
class ReportContext:
    """What the sections of a report share: the territory, language, period, peers and data.

    Everything a section reads is a field, set by :func:`setup` / :func:`setup_scenarios`, or a
    cached property computed on first use (:attr:`findings`, :attr:`published`,
    :meth:`comparison_table`), so no section depends on another having run before it, and
    nothing is computed twice in a report.
    """

    territory: Territory
    lang: str
    years: tuple[int, int]
    peers_spec: str
    data_dir: Path
    peer_codes: list[str]
    peer_name: str
    municipalities: list[str]
    data: dict[str, pd.DataFrame]
    indicators: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    params: dict[str, Any] = field(default_factory=dict)
    #: Count arrays of every territory (:func:`~cityindicators.indicators._counts.build_counts`), built once.
    counts: Any = field(default=None, repr=False)
    #: Years with population data of the report's territory.
    data_years: list[int] = field(default_factory=list)
    #: The data directory as a :class:`~cityindicators.workspace.Workspace` (tables, register, counts).
    workspace: Any = field(default=None, repr=False)
    #: Scenario chapter: the :class:`~cityindicators.projection.api.ProjectionResult` of every scenario.
    projection: Any = field(default=None, repr=False)
    #: Scenario chapter: stochastic quantiles of the first scenario (``None``: no fan chart).
    quantiles: pd.DataFrame | None = field(default=None, repr=False)
    #: Scenario chapter: empirical 80 % interval (``None``: not asked for).
    intervals: pd.DataFrame | None = field(default=None, repr=False)
    _comparisons: dict[tuple, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.workspace is None:  # a context made by hand, from a data directory
            from ..workspace import as_workspace

            self.workspace = as_workspace(self.data_dir)

    @property
    def register(self):
        """The territory register of the report's data directory."""
        return self.workspace.register

    @property
    def code(self) -> str:
        return self.territory.code

    @property
    def name(self) -> str:
        return self.territory.name(self.lang)

    @property
    def synthetic(self) -> bool:
        return self.territory.synthetic

    @property
    def n(self) -> int:
        """Number of municipalities ranked (60 real, or the demo set)."""
        return len(self.municipalities)

    def series(self, indicator: str, code: str | None = None) -> pd.Series:
        """``year -> value`` of one indicator for one territory (default the report's)."""
        f = self.indicators
        sub = f[(f["indicator"] == indicator) & (f["territory_code"] == (code or self.code))]
        return sub.set_index("year")["value"].sort_index()

    def value(self, indicator: str, year: int, code: str | None = None) -> float:
        s = self.series(indicator, code)
        return float(s.get(year, np.nan))

    def plot_kw(self) -> dict[str, Any]:
        return {"lang": self.lang, "name": self.name, "synthetic": self.synthetic}

    @cached_property
    def findings(self) -> list[F.Finding]:
        """The key findings (:func:`situation_findings`); the working-age and migration sections
        quote some of them."""
        return situation_findings(self)

    @cached_property
    def published(self) -> pd.DataFrame:
        """Values of the imported published indicators the catalogue knows, for every municipality."""
        from ..indicators.catalogue import PUBLISHED_PREFIX, catalogue_frame
        from ..indicators.compute import compute_indicators

        known = [i for i in catalogue_frame()["id"] if str(i).startswith(PUBLISHED_PREFIX)]
        return compute_indicators(known, territories=self.municipalities, data=self.counts,
                                  data_dir=self.data_dir).dropna(subset=["value"])

    def comparison_table(self, year: int | None = None, k: int = 5) -> pd.DataFrame:
        """The comparison table of :func:`comparison` (not shown), computed once per ``year``, ``k``."""
        key = (int(year or self.years[1]), int(k))
        if key not in self._comparisons:
            self._comparisons[key] = _comparison_frame(self, *key)
        return self._comparisons[key]


def setup(
    territory: str,
    language: str = "lt",
    years: Sequence[int] | None = None,
    peers: str = "similar",
    data_dir: str | os.PathLike | None = None,
    template: str = "situation_analysis",
    indicators: Iterable[str] | None = SITUATION_INDICATORS,
    show: bool = True,
    **params: Any,
) -> ReportContext:
    """Load the data, compute the indicators once and show the report's title.

    Parameters
    ----------
    territory
        Municipality name or code.
    language
        ``lt`` or ``en``.
    years
        ``[first, last]`` year of the key period (default: the first and last year of the data).
    peers
        Peer group (see :func:`cityindicators.indicators.peer_group`): ``similar`` (default, the
        most similar municipalities), ``county`` (the municipality's county), ``type``,
        ``size``, ``all``, a named group (``VIZA``) or a group specification
        (``county:Utena``).
    data_dir
        Data directory (default ``$CITYINDICATORS_DATA_DIR`` or ``./data``).
    template
        ``situation_analysis`` or ``scenarios`` (chooses the title).
    indicators
        Indicators computed up front for every territory and year (``None``: none).
    params
        Further template parameters kept in :attr:`ReportContext.params`.

    Returns
    -------
    ReportContext

    Raises
    ------
    ReportParameterError
        Unknown territory or peer group, or years outside the data.
    """
    from ..indicators import compute_indicators, peer_group
    from ..workspace import as_workspace

    from .parameters import check_notebook_parameters

    # the command line's checks, for a notebook run by hand too (JupyterLab: the data directory
    # is looked for from the notebook's folder upwards, and an error names where it looked)
    given: dict[str, Any] = {"territory": territory, "language": language, "peers": peers, "data_dir": data_dir or ""}
    if years is not None:
        given["years"] = list(years)
    checked = check_notebook_parameters(**given)
    lang = check_language(checked["language"])
    ws = as_workspace(checked["data_dir"])
    ddir = ws.root
    reg = ws.register
    # the check above gave the territory's code: no second resolution of the name
    terr = reg.get(checked["territory"])
    data = ws.tables()
    totals = data.get("population_total", data.get("population"))  # (single ages only: their years)
    totals = totals[totals["sex"] == "total"] if totals is not None else pd.DataFrame(columns=["territory_code", "year"])
    # The defaults come from the territory's own years: a data directory may also hold other
    # territories (the synthetic demo set beside the real extract) covering other years.
    data_years = sorted(int(y) for y in totals.loc[totals["territory_code"] == terr.code, "year"].unique())
    if not data_years:
        raise ReportParameterError(f"territory {terr.code} ({terr.name_lt}) has no population data in {ddir}")
    if years is None or len(years) == 0:
        years = (data_years[0], data_years[-1])
    y0, y1 = int(years[0]), int(years[-1])
    if y0 < data_years[0] or y1 > data_years[-1]:
        raise ReportParameterError(
            f"years {y0}-{y1}: the data of {terr.name_lt} cover {data_years[0]}-{data_years[-1]}")
    present = set(totals["territory_code"])
    municipalities = [m.code for m in reg.municipalities(synthetic=terr.synthetic) if m.code in present]
    # once per data version and process: every computation below, and every report of a batch
    # worker's warm kernel, reuses the count arrays and the indicators of all territories
    counts = ws.counts()
    if peers in ("all", "municipalities"):
        peer_codes, peer_name = list(municipalities), t("peers", lang)
    else:
        try:
            group, _ = peer_group(terr.code, y1, peers, data=counts, data_dir=ddir)
        except CityIndicatorsError as exc:
            raise ReportParameterError(f"peers {peers!r}: {exc}") from exc
        peer_codes, peer_name = [c for c in group.members if c in present], group.name(lang)
    frame = pd.DataFrame(columns=["indicator", "territory_code", "year", "value", "unit"])
    if indicators is not None:
        ids = tuple(indicators)
        frame = shared.computed_once(("indicators", ids), ddir,
                                     lambda: compute_indicators(list(ids), data=counts, data_dir=ddir))
    ctx = ReportContext(terr, lang, (y0, y1), peers, ddir, peer_codes, peer_name, municipalities, data, frame,
                        dict(params), counts=counts, data_years=data_years, workspace=ws)
    exports.set_context(lang, terr.name(lang), terr.synthetic)
    if show:
        show_markdown(f"# {t(f'title_{template}', lang, name=ctx.name)}")
        if terr.synthetic:
            show_markdown(t("synthetic_banner", lang))
        show_markdown(t("subtitle", lang, date=_dt.date.today().isoformat(), version=__version__,
                        years=f"{data_years[0]}–{data_years[-1]}"))
    return ctx


def _heading(ctx: ReportContext, key: str) -> None:
    exports.set_section(key)
    show_markdown(f"## {t(key, ctx.lang)}")


def _ranks(ctx: ReportContext, indicator: str, year: int) -> tuple[float, int]:
    """Rank (1 = best by polarity) of the report's municipality among all municipalities."""
    from ..indicators import rank_table

    table = rank_table(indicator, year, data=ctx.counts, data_dir=ctx.data_dir, lang=ctx.lang,
                       synthetic=ctx.synthetic)
    row = table[table["territory_code"] == ctx.code]
    rank = row["rank"].iloc[0] if len(row) else pd.NA
    return (float(rank) if rank is not pd.NA else np.nan), int(table["rank"].notna().sum())


# -- situation analysis ------------------------------------------------------------------------


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
    from ..indicators import indicator_changes, rank_values

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
    show_markdown("\n".join(f"- {f.text}" for f in found))
    return found


def series_breaks(ctx: ReportContext, indicators: Sequence[str], years: Sequence[int]) -> list[tuple[int, str, str]]:
    """``(year, kind, note)`` of the register's breaks of the report's municipality (its own and
    those of every territory) that concern ``indicators`` within ``years``."""
    from ..indicators.breaks import breaks_for

    lo, hi = min(years), max(years)
    seen = {}
    for ind in indicators:
        for r in breaks_for(ind, ctx.code).itertuples():
            if lo <= r.year <= hi:
                seen[(r.year, r.kind, r.series)] = (int(r.year), r.kind, getattr(r, f"note_{ctx.lang}"))
    return sorted(seen.values())


def _break_marks(breaks: Sequence[tuple[int, str, str]]) -> list[tuple[float, str]]:
    """Chart marks ``(x, label)`` of breaks: a step in a level series sits between the year
    before and its year, an exceptional year on the year; the label is the note's head."""
    return [(y - 0.5 if kind == "level" else float(y), note.split(":")[0]) for y, kind, note in breaks]


def _say_breaks(ctx: ReportContext, breaks: Sequence[tuple[int, str, str]]) -> None:
    if breaks:
        show_markdown(t("breaks_note", ctx.lang, notes="; ".join(note for _, _, note in breaks)))


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
    sub = pop[(pop["territory_code"] == ctx.code) & pop["year"].isin(years) & pop["sex"].isin(["male", "female"])]
    if sub.empty:
        show_markdown(t("not_available", ctx.lang, what=t("age", ctx.lang)))
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
        show_markdown(t("not_available", ctx.lang, what=t("births", ctx.lang)))
        return None
    breaks = series_breaks(ctx, ["net_migration"], list(frame["year"]))
    fig = plotting.components_of_change(frame, key_period=ctx.years, breaks=_break_marks(breaks), **ctx.plot_kw())
    show_figure(fig)
    _say_breaks(ctx, breaks)
    return fig


def _catalogue_names(ids: Iterable[str], lang: str) -> tuple[dict[str, str], dict[str, str]]:
    from ..indicators.catalogue import get_indicator

    labels, units = {}, {}
    for i in ids:
        try:
            ind = get_indicator(i)
            labels[i], units[i] = ind.name(lang), _unit(ind.unit, lang)
        except CityIndicatorsError:
            labels[i], units[i] = i, ""
    return labels, units


def _unit(unit: str, lang: str) -> str:
    from ..indicators.catalogue import unit_label

    return unit_label(unit, lang)


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
    names = {c: _short_name(reg.get(c).name(ctx.lang)) for c in ctx.peer_codes}
    breaks = series_breaks(ctx, ids, sorted(set(sub["year"].astype(int))) or [0])
    fig = plotting.indicator_panels(sub, ctx.code, ctx.lang, title=t(title_key, ctx.lang, name=ctx.name),
                                    labels=labels, units=units, ranks=ranks, label=label, synthetic=ctx.synthetic,
                                    country=country, names=names, breaks=[x for x, _ in _break_marks(breaks)])
    return fig, ids, breaks


def _short_name(name: str) -> str:
    """A municipality's name without the type words, for chart labels ("Zarasų r. sav." -> "Zarasų")."""
    for tail in (" r. sav.", " m. sav.", " sav.", " d. mun.", " c. mun.", " t. mun.", " mun.", " District Municipality",
                 " City Municipality", " Town Municipality", " Municipality"):
        if name.endswith(tail):
            return name[: -len(tail)]
    return name


def ageing(ctx: ReportContext):
    """Section: ageing indicators of the municipality against its peers, with the rank of the
    last year among all municipalities."""
    _heading(ctx, "h_ageing")
    fig, _, breaks = _panels(ctx, AGEING_INDICATORS, "t_ageing", "ageing_indicators")
    if fig is None:
        show_markdown(t("no_data", ctx.lang))
        return None
    show_figure(fig)
    show_markdown(peers_statement(ctx))
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
        show_markdown(t("no_data", ctx.lang))
        return None
    fig = plotting.working_age(sub, **ctx.plot_kw())
    show_figure(fig)
    found = [x for x in ctx.findings if x.key == "working_age"]
    if found:
        show_markdown(found[0].text)
    return fig


def migration(ctx: ReportContext):
    """Section: net migration by age over the key period (cohort-residual), youth singled out."""
    from ..indicators.compute import cohort_net_migration

    _heading(ctx, "h_migration")
    y0, y1 = ctx.years
    cnm = cohort_net_migration(ctx.code, years=range(y0, y1), data=ctx.counts)
    cnm = cnm[cnm["sex"] == "total"]
    if cnm.empty or cnm["value"].isna().all():
        show_markdown(t("no_data", ctx.lang))
        return None
    by_age = cnm.groupby("age", as_index=False)["value"].sum()
    by_age["age"] = by_age["age"].astype(int)
    by_age["period"] = f"{y0}–{y1}"
    fig = plotting.youth_outflow(by_age, **ctx.plot_kw())
    show_figure(fig)
    text = [x.text for x in ctx.findings if x.key in ("net_migration", "youth_migration")]
    if text:
        show_markdown(" ".join(text))
    return fig


def published_indicators(ctx: ReportContext) -> list[str]:
    """Ids of the imported published indicators (``import indicators``) that the catalogue
    knows and that have a value for the report's municipality."""
    from ..indicators.catalogue import PUBLISHED_PREFIX, catalogue_frame

    known = [i for i in catalogue_frame()["id"] if str(i).startswith(PUBLISHED_PREFIX)]
    if "published_indicators" not in ctx.data:
        return []
    pub = ctx.published
    have = set(pub.loc[pub["territory_code"] == ctx.code, "indicator"])
    return [i for i in known if i in have]


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
        show_markdown(t("published_intro", ctx.lang, years=", ".join(map(str, yrs))))
        disp = _comparison_display(ctx, table)
        show_table(plotting.comparison_table(disp, ctx.lang, n=ctx.n, synthetic=ctx.synthetic,
                                             caption=t("t_published", ctx.lang, name=ctx.name)),
                   data=_comparison_display(ctx, table, formatted=False))
    if fig is None and table is None:
        show_markdown(t("labour_missing", ctx.lang))
    elif fig is None:
        show_markdown(t("labour_series_missing", ctx.lang))
    return table if table is not None else fig


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
    from ..indicators import comparison_table

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
    show_markdown(similarity_statement(ctx, table.attrs))
    _say_breaks(ctx, comparison_breaks(ctx, table))
    return table


def _comparison_frame(ctx: ReportContext, year: int, k: int) -> pd.DataFrame:
    """The comparison table of :func:`comparison` in ``year`` with the ``k`` most similar
    municipalities (``attrs``: their codes, the similarity features and their years)."""
    from ..indicators import similar_municipalities

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
    """The comparison table with display headers; counts shown as whole numbers, others to one
    decimal (as text, so that each row keeps its own precision); the rank stays a number."""
    lang = ctx.lang
    labels, units = _catalogue_names(table["indicator"], lang)
    cols = {
        "value": t("col_value", lang), "country": t("col_country", lang), "county": t("col_county", lang),
        "similar": t("col_similar", lang), "peers": t("col_peer_group_mean", lang, name=ctx.peer_name),
    }
    out = pd.DataFrame({t("col_indicator", lang): table["indicator"].map(labels).to_numpy(),
                        t("col_unit", lang): table["indicator"].map(units).to_numpy(),
                        t("col_year", lang): table["year"].astype(str).to_numpy()})
    # counts whole, fractions (published net migration) to 3 places, the rest to one
    units = table["unit"].to_numpy()
    decimals = np.where(units == "persons", 0, np.where(units == "fraction of population", 3, 1))
    for src, dst in cols.items():
        if src in table:
            vals = pd.to_numeric(table[src], errors="coerce").to_numpy(dtype=float)
            # unformatted: the workbook's copy keeps the numbers as numbers
            out[dst] = [fmt_number(v, lang, int(d)) for v, d in zip(vals, decimals)] if formatted else vals
    out[t("col_rank", lang)] = pd.to_numeric(table["rank"], errors="coerce").to_numpy(dtype=float)
    return out


def sources(ctx: ReportContext) -> pd.DataFrame:
    """Section: the sources of the data behind the report, each with its own date.

    One row per dataset and input: the dataset's name, its source as a reader cites it
    (Statistics Lithuania's table code, an extract file, the user's own file, the demo
    generator), the source's date and what that date is (:func:`source_date`), and the years
    the data cover. Internal paths and hashes stay in the report's ``manifest.json``.
    """
    from ..store import processed_provenance

    _heading(ctx, "h_sources")
    lang = ctx.lang
    rows = []
    for dataset, side in processed_provenance(ctx.data_dir).items():
        frame = ctx.data.get(dataset)
        years: list[int] = []
        if frame is not None and len(frame):
            years = [int(frame["year"].min()), int(frame["year"].max())]
        yrs = "" if not years else str(years[0]) if years[0] == years[1] else f"{years[0]}–{years[1]}"
        for inp in side.get("inputs", []) or [{}]:
            path = _snapshot_path(ctx.data_dir, inp)
            meta = (read_sidecar(path) if path is not None else {}) or {"source": inp.get("source", "")}
            rows.append({
                t("col_dataset", lang): t(f"ds_{dataset}", lang) if f"ds_{dataset}" in TEXTS else dataset,
                t("col_source", lang): source_label(meta, lang),
                t("col_source_date", lang): source_date(meta, path, years, lang),
                t("col_years", lang): yrs,
            })
    table = pd.DataFrame(rows).drop_duplicates(ignore_index=True)
    note = t("source_osp", lang) if not ctx.synthetic else t("synthetic_note", lang)
    show_markdown(f"{note}; {t('source_calc', lang, version=__version__)}.")
    show_table(styled_table(table))
    return table


def _snapshot_path(data_dir: Path, inp: dict[str, Any]) -> Path | None:
    """The raw snapshot a processed table's input names; a path recorded relative to another
    working directory is looked up under ``data_dir/raw``."""
    path = Path(str(inp.get("input") or ""))
    if not path.name:
        return None
    if not path.exists() and "raw" in path.parts:
        path = data_dir.joinpath(*path.parts[path.parts.index("raw"):])
    return path


def source_date(meta: dict[str, Any], path: Path | None, years: Sequence[int], lang: str) -> str:
    """The date a reader cites a source by, and what it is: for a Statistics Lithuania API
    response the day the source last updated the table (the message's ``DS_LAST_UPDATE``), else
    the day it prepared the response, else the day it was retrieved; for the published
    indicators their reference year (the years of the data); for a file the day it was imported;
    for the demonstration data the day it was generated. ``years``: first and last year of the
    data (may be empty)."""
    from ..sources.sdmx_parse import message_dates

    source = meta.get("source", "")
    day = str(meta.get("retrieved_at", ""))[:10]
    if source == "osp":
        own = message_dates(path) if path is not None else {}
        if own.get("last_update"):
            return t("date_updated", lang, date=own["last_update"])
        if own.get("prepared"):
            return t("date_prepared", lang, date=own["prepared"])
        return t("date_retrieved", lang, date=day) if day else ""
    if source == "indicators" and years:
        key = "date_reference_year" if years[0] == years[-1] else "date_reference_years"
        return t(key, lang, date=str(years[0]) if years[0] == years[-1] else f"{years[0]}–{years[-1]}")
    if not day:
        return ""
    return t("date_generated" if source == "demo" else "date_imported", lang, date=day)


def source_label(meta: dict[str, Any], lang: str) -> str:
    """How a reader cites a raw snapshot, from its provenance sidecar ``meta``."""
    source = meta.get("source", "")
    name = Path(str(meta.get("original_path") or "")).name
    if source == "osp":
        return t("src_osp_table", lang, table=meta.get("flow_id") or meta.get("table") or "")
    if source == "demo":
        return t("source_demo", lang)
    if source in ("osp-extract", "tidy", "indicators") and name:
        return t(f"src_{source.replace('-', '_')}", lang, file=name)
    return source or t("no_data", lang)


# -- scenarios ---------------------------------------------------------------------------------


def setup_scenarios(
    territory: str,
    scenarios: Sequence[str] = ("baseline",),
    horizon: int = 2050,
    base_year: int = 0,
    language: str = "lt",
    data_dir: str | os.PathLike | None = None,
    trajectories: int = 1000,
    seed: int = 2026,
    show: bool = True,
    intervals: bool = False,
    **params: Any,
) -> ReportContext:
    """Set up the scenario chapter: load the data and project the municipality under every
    scenario to ``horizon`` (and, with ``trajectories`` > 0, the stochastic quantiles of the
    first scenario), then show the title.

    Parameters
    ----------
    scenarios
        Scenario names (shipped or in ``<data-dir>/scenarios``).
    horizon
        Last projection year.
    base_year
        Base year (population at 1 January); 0 = the latest year in the data.
    trajectories, seed
        Stochastic trajectories for the fan chart (0 = none) and the random seed.
    intervals
        Show the empirical 80 % interval (:mod:`~cityindicators.projection.intervals`, from the
        out-of-sample back-test of the data, computed once per data and process; about two
        minutes on the lt-osp extract) in the fan chart instead of the stochastic band.

    Returns
    -------
    ReportContext
        ``projection`` holds the :class:`~cityindicators.projection.api.ProjectionResult`.
    """
    from ..projection.api import project

    ctx = setup(territory, language, years=None, peers="all", data_dir=data_dir, template="scenarios",
                indicators=("population",), show=False, scenarios=list(scenarios), horizon=int(horizon),
                base_year=int(base_year), trajectories=int(trajectories), seed=int(seed), **params)
    # the inputs of every territory, read once for the three projections below and the accuracy section
    data = ctx.workspace.projection_data()
    try:
        result = project(ctx.code, base_year=int(base_year) or None, to_year=int(horizon), scenario=list(scenarios),
                         data=data, data_dir=ctx.data_dir)
    except CityIndicatorsError as exc:
        raise ReportParameterError(f"projection of {ctx.code} ({ctx.territory.name_lt}): {exc}") from exc
    ctx.projection = result
    ctx.years = (ctx.data_years[0], result.base_year)
    if trajectories and int(trajectories) > 0:
        # from the data, not the rates: the stochastic model is then fitted on all municipalities,
        # as in `project --stochastic`, and the quantiles do not depend on the report's territory set;
        # the rates of that set are the deterministic projection's, not estimated a second time
        stoch = project(ctx.code, base_year=result.base_year, to_year=int(horizon), scenario=list(scenarios)[0],
                        data=data, data_dir=ctx.data_dir, stochastic=int(trajectories), seed=int(seed),
                        reference=result.reference)
        ctx.quantiles = stoch.quantiles
    if intervals:
        from ..projection.intervals import out_of_sample_errors_cached

        emp = project(ctx.code, base_year=result.base_year, to_year=int(horizon), scenario=list(scenarios)[0],
                      data=data, data_dir=ctx.data_dir, interval_errors=out_of_sample_errors_cached(data, ctx.data_dir),
                      reference=result.reference)
        ctx.intervals = emp.intervals
    if show:
        show_markdown(f"# {t('title_scenarios', ctx.lang, name=ctx.name)}")
        if ctx.synthetic:
            show_markdown(t("synthetic_banner", ctx.lang))
        show_markdown(t("subtitle", ctx.lang, date=_dt.date.today().isoformat(), version=__version__,
                        years=f"{ctx.data_years[0]}–{result.base_year}"))
    return ctx


def _scenario_labels(ctx: ReportContext) -> dict[str, str]:
    res = ctx.projection
    return {n: (s.label_lt if ctx.lang == "lt" else s.label_en) or n for n, s in res.scenarios.items()}


def assumptions(ctx: ReportContext) -> pd.DataFrame:
    """Section: the assumptions of every scenario (TFR, life expectancy, migration) in the base
    year and the horizon, from the projection's assumption paths."""
    _heading(ctx, "h_assumptions")
    res = ctx.projection
    a = res.assumptions
    a = a[a["territory_code"] == ctx.code]
    y0, y1 = res.base_year, res.to_year - 1  # assumptions hold for the years of events
    lang = ctx.lang
    labels = _scenario_labels(ctx)

    def val(sc: str, what: str, sex: str, year: int) -> float:
        sub = a[(a["scenario"] == sc) & (a["assumption"] == what) & (a["sex"] == sex) & (a["year"] == year)]
        return float(sub["value"].iloc[0]) if len(sub) else np.nan

    def mean(sc: str, what: str) -> float:
        sub = a[(a["scenario"] == sc) & (a["assumption"] == what) & (a["sex"] == "total")]
        return float(sub["value"].mean()) if len(sub) else np.nan

    rows = []
    for sc in res.scenarios:
        rows.append({
            t("col_scenario", lang): labels[sc],
            t("a_tfr", lang, year=y0): val(sc, "tfr", "female", y0),
            t("a_tfr", lang, year=y1): val(sc, "tfr", "female", y1),
            t("a_e0_male", lang, year=y1): val(sc, "e0", "male", y1),
            t("a_e0_female", lang, year=y1): val(sc, "e0", "female", y1),
            t("a_net_migration", lang): mean(sc, "net_migration"),
            t("a_added_inflow", lang): mean(sc, "added_inflow"),
        })
    table = pd.DataFrame(rows)
    fmt = {c: (lambda v: fmt_number(v, lang, 2)) for c in table.columns[1:3]}
    fmt.update({c: (lambda v: fmt_number(v, lang, 1)) for c in table.columns[3:5]})
    fmt.update({c: (lambda v: fmt_int(v, lang)) for c in table.columns[5:]})
    note = t("synthetic_note", lang) if ctx.synthetic else ""
    show_table(styled_table(table, fmt, t("t_assumptions", lang, name=ctx.name), note))
    found = assumption_findings(ctx)
    show_markdown("\n".join(f"- {f.text}" for f in found))
    return table


def assumption_findings(ctx: ReportContext, mid_year: int = 2030) -> list[F.Finding]:
    """Each scenario's assumptions in plain words: net migration per 1,000 residents in the base
    year, in ``mid_year`` (the middle of the period when it is outside) and in the last year of
    events; TFR and life expectancy by sex from the base year to the last year of events."""
    res = ctx.projection
    a = res.assumptions
    a = a[a["territory_code"] == ctx.code]
    y0, y1 = res.base_year, res.to_year - 1
    ymid = int(mid_year) if y0 < int(mid_year) < y1 else (y0 + y1) // 2
    labels = _scenario_labels(ctx)

    def val(sc: str, what: str, sex: str, year: int) -> float:
        sub = a[(a["scenario"] == sc) & (a["assumption"] == what) & (a["sex"] == sex) & (a["year"] == year)]
        return float(sub["value"].iloc[0]) if len(sub) else np.nan

    out = []
    for sc in res.scenarios:
        out.append(F.scenario_assumptions(
            labels[sc], y0, ymid, y1, tuple(val(sc, "net_migration_rate", "total", y) for y in (y0, ymid, y1)),
            (val(sc, "tfr", "female", y0), val(sc, "tfr", "female", y1)),
            (val(sc, "e0", "male", y0), val(sc, "e0", "male", y1)),
            (val(sc, "e0", "female", y0), val(sc, "e0", "female", y1)), ctx.lang))
    return out


def _observed(ctx: ReportContext) -> pd.DataFrame:
    s = ctx.series("population").dropna()
    s = s[s.index <= ctx.projection.base_year]
    return pd.DataFrame({"year": s.index, "value": s.values})


def scenario_population(ctx: ReportContext) -> list[F.Finding]:
    """Section: total population by scenario to the horizon, with one sentence per scenario."""
    _heading(ctx, "h_scenario_population")
    res = ctx.projection
    tot = res.totals()
    tot = tot[(tot["sex"] == "total") & (tot["territory_code"] == ctx.code)]
    labels = _scenario_labels(ctx)
    fig = plotting.scenario_lines(tot[["scenario", "year", "value"]], observed=_observed(ctx), scenario_labels=labels,
                                  **ctx.plot_kw())
    show_figure(fig)
    found = []
    for sc in res.scenarios:
        g = tot[tot["scenario"] == sc].set_index("year")["value"]
        found.append(F.scenario_outcome(labels[sc], res.base_year, res.to_year, float(g[res.base_year]),
                                        float(g[res.to_year]), ctx.lang))
    show_markdown("\n".join(f"- {f.text}" for f in found))
    return found


def broad_groups(ctx: ReportContext):
    """Section: broad age groups (0-14, 15-64, 65+) by scenario."""
    _heading(ctx, "h_broad_groups")
    bg = ctx.projection.broad_groups()
    bg = bg[(bg["sex"] == "total") & (bg["territory_code"] == ctx.code) & (bg["age_group"] != "total")]
    frame = bg.rename(columns={"age_group": "group"})[["scenario", "year", "group", "value"]]
    fig = plotting.broad_groups(frame, scenario_labels=_scenario_labels(ctx), **ctx.plot_kw())
    show_figure(fig)
    return fig


def scenario_pyramids(ctx: ReportContext, years: Sequence[int] | None = None, scenario: str | None = None):
    """Section: population pyramids of chosen projection years against the base year."""
    _heading(ctx, "h_scenario_pyramids")
    res = ctx.projection
    scenario = scenario or next(iter(res.scenarios))
    years = [int(y) for y in (years or [res.to_year]) if res.base_year < int(y) <= res.to_year]
    years = [res.base_year] + sorted(set(years))
    pop = res.population
    sub = pop[(pop["scenario"] == scenario) & (pop["territory_code"] == ctx.code) & pop["year"].isin(years)]
    label = _scenario_labels(ctx)[scenario]
    fig = plotting.pyramid_overlay(sub[["year", "sex", "age", "value"]], years, label="scenario_pyramids",
                                   title=t("t_scenario_pyramid", ctx.lang, name=ctx.name, scenario=label),
                                   projection=True, **ctx.plot_kw())
    show_figure(fig)
    return fig


def projected_indicators(res, code: str, ids: Sequence[str]) -> pd.DataFrame:
    """Indicators ``ids`` of territory ``code`` computed with the indicator library from the
    projected population of ``res`` (a :class:`~cityindicators.projection.api.ProjectionResult`),
    by scenario: columns ``scenario, year, indicator, value``."""
    from ..indicators import compute_indicators

    pop = res.population[res.population["territory_code"] == code]
    # every scenario at once, each as a territory of its own: one set of count arrays for all
    f = pop.assign(territory_code=pop["scenario"]).drop(columns="scenario")
    f["age"] = f["age"].astype("Int64")
    f["open_age"] = f["age"] == res.open_age
    ind = compute_indicators(list(ids), data={"population": f})
    order = {sc: i for i, sc in enumerate(pop["scenario"].unique())}
    ind = ind.rename(columns={"territory_code": "scenario"})
    ind = ind.sort_values("scenario", key=lambda c: c.map(order), kind="mergesort", ignore_index=True)
    return ind[["scenario", "year", "indicator", "value"]]


def dependency(ctx: ReportContext):
    """Section: old-age and total dependency ratios by scenario, computed from the projected
    population with the indicator library."""
    _heading(ctx, "h_dependency")
    frame = projected_indicators(ctx.projection, ctx.code, ["old_age_dependency_ratio", "total_dependency_ratio"])
    fig = plotting.dependency_ratios(frame, scenario_labels=_scenario_labels(ctx), **ctx.plot_kw())
    show_figure(fig)
    return fig


def fan_chart(ctx: ReportContext) -> F.Finding | None:
    """Section: fan chart of the stochastic projection (10-90 % interval and median)."""
    _heading(ctx, "h_uncertainty")
    iv = ctx.intervals
    if iv is not None and not iv.empty:
        return _empirical_fan(ctx, iv)
    q = ctx.quantiles
    if q is None or q.empty:
        show_markdown(t("not_available", ctx.lang, what=t("h_uncertainty", ctx.lang).lower()))
        return None
    q = q[(q["territory_code"] == ctx.code) & (q["sex"] == "total") & (q["age_group"] == "total")]
    fig = plotting.fan_chart(q[["year", "quantile", "value"]], observed=_observed(ctx), **ctx.plot_kw())
    show_figure(fig)
    last = q[q["year"] == q["year"].max()].set_index("quantile")["value"]
    qs = sorted(last.index)
    found = F.fan_interval(int(q["year"].max()), float(last[qs[0]]), float(last.get(0.5, np.nan)),
                           float(last[qs[-1]]), ctx.lang)
    show_markdown(found.text)
    return found


def _empirical_fan(ctx: ReportContext, iv: pd.DataFrame) -> F.Finding:
    """The fan chart and sentence of the empirical 80 % interval of the first scenario."""
    from ..projection.intervals import SIZE_CLASSES_LT

    res = ctx.projection
    first = next(iter(res.scenarios))
    sub = iv[(iv["territory_code"] == ctx.code) & (iv["age_group"] == "total") & (iv["scenario"] == first)]
    sub = sub.sort_values("year")
    lo_p, hi_p = (1 - float(sub["level"].iloc[0])) / 2, (1 + float(sub["level"].iloc[0])) / 2
    q = pd.concat([sub[["year"]].assign(quantile=p, value=sub[col].to_numpy())
                   for p, col in ((lo_p, "lower"), (0.5, "value"), (hi_p, "upper"))], ignore_index=True)
    fig = plotting.fan_chart(q, observed=_observed(ctx), **ctx.plot_kw())
    show_figure(fig)
    last = sub.iloc[-1]
    size = str(last["size_class"])
    found = F.empirical_interval(int(last["year"]), float(last["lower"]), float(last["value"]), float(last["upper"]),
                                 SIZE_CLASSES_LT.get(size, size) if ctx.lang == "lt" else size, res.base_year,
                                 ctx.lang)
    show_markdown(found.text)
    return found


def target(ctx: ReportContext, population: int = 0, year: int | None = None,
           profile: str = "young_families") -> list[F.Finding]:
    """Section: the constant annual net inflow of the migrant ``profile`` (default young
    families) that every scenario needs for ``population`` residents in ``year`` (0 = keep the
    base-year population), said plainly when a scenario meets the target already, with a chart of
    the scenarios, the scenarios with that inflow and the target line."""
    _heading(ctx, "h_target")
    res = ctx.projection
    year = int(year or res.to_year)
    tot = res.totals()
    tot = tot[(tot["sex"] == "total") & (tot["territory_code"] == ctx.code)]
    goal = float(population) if population else float(tot.loc[tot["year"] == res.base_year, "value"].iloc[0])

    def totals(p) -> pd.DataFrame:
        p = p.totals()
        return p[(p["sex"] == "total") & (p["territory_code"] == ctx.code)][["year", "value"]]

    found, results, with_inflow = inflows_by_scenario(ctx, "population", goal, year, profile, totals)
    fig = plotting.scenario_lines(tot[["scenario", "year", "value"]], observed=_observed(ctx),
                                  scenario_labels=_scenario_labels(ctx), target=target_line(ctx, "population", goal, year),
                                  with_inflow=with_inflow, label="target", **ctx.plot_kw())
    show_figure(fig)
    show_markdown("\n".join(f"- {f.text}" for f in found))
    return found


def inflows_by_scenario(ctx: ReportContext, kind: str, goal: float, year: int, profile: str,
                        measure: Callable[[Any], pd.DataFrame]) -> tuple[list[F.Finding], dict[str, Any], pd.DataFrame | None]:
    """For every scenario of the projection, the constant annual inflow of ``profile`` that meets
    the target ``kind`` (a :data:`~cityindicators.projection.target.TARGET_KINDS` name) of
    ``goal`` in ``year``: one sentence each, the :class:`~cityindicators.projection.target.TargetResult`
    by scenario, and the paths with that inflow (``measure`` of each trajectory: ``year, value``)
    as ``scenario, year, value`` (``None`` when no scenario needs an inflow)."""
    from ..projection.target import find_inflow

    res = ctx.projection
    labels = _scenario_labels(ctx)
    a = res.assumptions
    added = a[(a["territory_code"] == ctx.code) & (a["assumption"] == "added_inflow") & (a["sex"] == "total")]
    found, results, paths = [], {}, []
    for sc, scenario in res.scenarios.items():
        tr = find_inflow(ctx.code, year=year, scenario=sc, profile=profile, rates=res.rates, data_dir=ctx.data_dir,
                         **{kind: goal})
        results[sc] = tr
        own = float(added.loc[added["scenario"] == sc, "value"].mean()) if scenario.migration.added_inflow.active else None
        found.append(F.target_outcome(labels[sc], goal, year, tr.status, tr.inflow, tr.without, profile, ctx.lang,
                                      kind=kind, own_inflow=own))
        if tr.status == "met" and tr.projection is not None:
            paths.append(measure(tr.projection).assign(scenario=sc))
    return found, results, (pd.concat(paths, ignore_index=True) if paths else None)


def target_line(ctx: ReportContext, kind: str, goal: float, year: int) -> tuple[int, float, str]:
    """The target as :func:`~cityindicators.plotting.scenario_lines` draws it: year, value, legend label."""
    phrase = count_phrase(fmt_int(goal, ctx.lang), round(goal), F.TARGET_NOUNS[kind], ctx.lang)
    return year, goal, t("target_label", ctx.lang, year=year, target=phrase)


def accuracy(ctx: ReportContext, horizon: int = 5) -> F.Finding | None:
    """Section: how the projection method would have done on past data.

    The default method and the naive baselines are back-tested
    (:func:`~cityindicators.projection.backtest.backtest`) over all municipalities from the data up
    to ``base - horizon`` (shorter when the data start later) to the projection's base year
    ``base``, whose population is published. Shows the municipality's signed error by broad age
    group beside the mean absolute error over all municipalities and that of the best naive
    method, and one sentence on the total.
    """
    from ..projection.backtest import BASE_PERIOD, DEFAULT_METHOD, GROUPS, backtest

    _heading(ctx, "h_accuracy")
    lang = ctx.lang
    res = ctx.projection
    data = ctx.workspace.projection_data()
    pop = data.population
    first = int(pop["year"].min())
    last = res.base_year
    h = min(int(horizon), last - first - BASE_PERIOD)
    if h < 1:
        show_markdown(t("not_available", lang, what=t("h_accuracy", lang).lower()))
        return None
    y0 = last - h
    register = ctx.register
    try:
        # the same for every municipality's report: computed once per batch worker
        bt = shared.computed_once(("backtest-all", y0, h), ctx.data_dir,
                                  lambda: backtest(data, y0, h, territories="all", register=register))
        own = bt if ctx.code in set(bt.errors["territory_code"]) else backtest(data, y0, h, territories=[ctx.code],
                                                                               register=register)
    except CityIndicatorsError as exc:
        log.warning("back-test for the accuracy section failed: %s", exc)
        show_markdown(t("not_available", lang, what=t("h_accuracy", lang).lower()))
        return None
    n = int(bt.errors.loc[bt.errors["method"] == DEFAULT_METHOD, "territory_code"].nunique())
    wins = bt.wins()
    mine = own.errors[(own.errors["method"] == DEFAULT_METHOD) & (own.errors["territory_code"] == ctx.code)]
    mine = mine.set_index("group")
    rows = []
    for g in GROUPS:
        rows.append({
            t("col_age_group", lang): t("age_total", lang) if g == "total" else g.replace("-", "–"),  # 0–14: a range takes an en dash
            t("col_bt_error", lang, name=ctx.name): float(mine.loc[g, "error_pct"]),
            t("col_bt_mape", lang, n=n): float(wins.loc[g, "default_mape"]),
            t("col_bt_best", lang): t(f"m_{wins.loc[g, 'best_baseline']}", lang),
            t("col_bt_best_mape", lang): float(wins.loc[g, "best_baseline_mape"]),
        })
    table = pd.DataFrame(rows)
    cols = list(table.columns)
    fmt = {cols[1]: (lambda v: fmt_number(v, lang, 1, sign=True)), cols[2]: (lambda v: fmt_number(v, lang, 1)),
           cols[4]: (lambda v: fmt_number(v, lang, 1))}
    note = t("synthetic_note", lang) if ctx.synthetic else ""
    show_table(styled_table(table, fmt, t("t_accuracy", lang, y0=y0, y1=last), note))
    found = F.backtest_accuracy(ctx.name, y0, last, float(mine.loc["total", "forecast"]),
                                float(mine.loc["total", "actual"]), float(wins.loc["total", "default_mape"]),
                                str(wins.loc["total", "best_baseline"]), float(wins.loc["total", "best_baseline_mape"]),
                                n, lang)
    extra = accuracy_context(ctx, bt, own, y0, h)
    show_markdown(" ".join([found.text, *(f.text for f in extra)]))
    return found


def accuracy_context(ctx: ReportContext, bt, own, y0: int, h: int) -> list[F.Finding]:
    """The back-test's mean absolute error of the municipality's size class (at ``y0``) and a flag
    when its own error in a group reached :data:`~cityindicators.reports.findings.LARGE_ERROR_PCT`."""
    from ..projection.backtest import DEFAULT_METHOD, GROUPS
    from ..projection.intervals import SIZE_CLASSES_LT, size_class

    e = bt.errors[(bt.errors["method"] == DEFAULT_METHOD)]
    pop = ctx.data["population_total"]
    p0 = pop[(pop["year"] == y0) & (pop["sex"] == "total")].set_index("territory_code")["value"]
    classes = pd.Series(size_class(p0.to_numpy()), index=p0.index.astype(str))
    out = []
    mine = classes.get(ctx.code)
    if mine is not None:
        tot = e[(e["group"] == "total") & e["territory_code"].astype(str).map(classes).eq(mine)]
        if len(tot):
            label = SIZE_CLASSES_LT.get(mine, mine) if ctx.lang == "lt" else mine
            out.append(F.accuracy_size_class(label, float(tot["error_pct"].abs().mean()), int(len(tot)), ctx.lang))
    m = own.errors[(own.errors["method"] == DEFAULT_METHOD) & (own.errors["territory_code"] == ctx.code)]
    flag = F.accuracy_flag(dict(zip(m["group"], m["error_pct"].astype(float))), y0, h, ctx.lang)
    if flag is not None:
        out.append(flag)
    return out


# Sections a planner needs beyond the analysis live in :mod:`.planner`, which builds on the
# helpers above; the notebooks reach them through this module.
def service_groups(ctx: ReportContext, years: Sequence[int] | None = None) -> pd.DataFrame:
    """Section: age groups for service planning by scenario (see :func:`.planner.service_groups`)."""
    from .planner import service_groups as section

    return section(ctx, years)


def working_age_target(ctx: ReportContext, working_age: int = 0, year: int | None = None,
                       profile: str = "young_families") -> list[F.Finding]:
    """Section: the working-age target by scenario (see :func:`.planner.working_age_target`)."""
    from .planner import working_age_target as section

    return section(ctx, working_age, year, profile)


def annex(ctx: ReportContext, indicators: Sequence[str] | None = None) -> pd.DataFrame:
    """Section: the annex of indicator definitions (see :func:`.planner.annex`)."""
    from .planner import annex as section

    return section(ctx, indicators)
