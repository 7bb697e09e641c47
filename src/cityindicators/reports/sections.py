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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from .. import __version__
from .. import plotting
from ..config import DataPaths, resolve_data_dir
from ..exceptions import CityIndicatorsError, ReportParameterError
from ..geography import Territory, get_register, size_class
from . import findings as F
from .i18n import check_language, fmt_int, fmt_number, t

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
    """Display Markdown text (headings, sentences, lists)."""
    from IPython.display import Markdown

    _display(Markdown(text))


def show_figure(fig, alt: str = "", dpi: int = 150) -> None:
    """Display a figure as a PNG that the runner saves as ``charts/NN_<label>.png``.

    The PNG is rendered here (not by the inline backend) so that its resolution and size are
    the same in JupyterLab, in the HTML report and in the saved file; the figure is closed.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    label = fig.get_label() or "chart"
    if not alt:
        alt = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else label
    width = int(fig.get_figwidth() * 100)
    plt.close(fig)
    _display(Image(data=buf.getvalue(), format="png", width=width),
             metadata={"cityindicators_chart": label, "cityindicators_alt": alt})


def show_table(table: Any) -> None:
    """Display a frame or a pandas ``Styler`` as an HTML table."""
    _display(table)


# -- context -----------------------------------------------------------------------------------


@dataclass
class ReportContext:
    """What the sections of a report share: the territory, language, period, peers and data."""

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
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

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


def _peer_codes(terr: Territory, spec: str, data_dir: Path, population: pd.Series) -> tuple[list[str], str, str]:
    reg = get_register(data_dir)
    lang_names = ("", "")
    if spec == "county":
        g = reg.group(f"county:{terr.county_code}")
    elif spec == "type":
        g = reg.group(f"type:{terr.type}") if not terr.synthetic else None
        if g is None:
            members = [m.code for m in reg.municipalities(synthetic=True) if m.type == terr.type]
            return members, f"type:{terr.type}", f"type:{terr.type}"
    elif spec == "size":
        pop = population.to_dict()
        cls = size_class(float(pop.get(terr.code, np.nan))) if pop.get(terr.code) == pop.get(terr.code) else "small"
        members = [c for c, p in pop.items() if p == p and size_class(float(p)) == cls
                   and c in {m.code for m in reg.municipalities(synthetic=terr.synthetic)}]
        return members, f"size:{cls}", f"size:{cls}"
    elif spec in ("all", "municipalities"):
        members = [m.code for m in reg.municipalities(synthetic=terr.synthetic)]
        g = None
        return members, t("peers", "lt"), t("peers", "en")
    elif spec == "similar":
        return [], "similar", "similar"  # filled by the comparison (k nearest neighbours)
    else:
        g = reg.group(spec)
    lang_names = (g.name_lt, g.name_en)
    return list(g.members), lang_names[0], lang_names[1]


def setup(
    territory: str,
    language: str = "lt",
    years: Sequence[int] | None = None,
    peers: str = "county",
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
        Peer group: ``county`` (the municipality's county), ``type``, ``size``, ``similar``
        (most similar municipalities), ``all``, or a named group (``VIZA``) or group
        specification (``county:Utena``).
    data_dir
        Data directory (default ``$CITYINDICATORS_DATA_DIR`` or ``./data``).
    template
        ``situation_analysis`` or ``scenarios`` (chooses the title).
    indicators
        Indicators computed up front (``None``: none).
    params
        Further template parameters kept in :attr:`ReportContext.params` (scenarios, horizon,
        target...).

    Returns
    -------
    ReportContext
    """
    from ..indicators.compute import compute_indicators, load_data

    lang = check_language(language)
    ddir = resolve_data_dir(data_dir or None).resolve()
    reg = get_register(ddir)
    try:
        terr = reg.resolve(territory)
    except CityIndicatorsError as exc:
        raise ReportParameterError(f"territory: {exc}") from exc
    data = load_data(data_dir=ddir)
    pop = data["population"]
    totals = pop[(pop["sex"] == "total") & pop["age"].isna()]
    data_years = sorted(totals["year"].unique().tolist())
    if years is None or len(years) == 0:
        years = (data_years[0], data_years[-1])
    y0, y1 = int(years[0]), int(years[-1])
    if terr.code not in set(totals["territory_code"]):
        raise ReportParameterError(f"territory {terr.code} ({terr.name_lt}) has no population data in {ddir}")
    ty = totals[totals["territory_code"] == terr.code]["year"]
    if y0 < ty.min() or y1 > ty.max():
        raise ReportParameterError(f"years {y0}-{y1}: the data of {terr.name_lt} cover {ty.min()}-{ty.max()}")
    municipalities = [m.code for m in reg.municipalities(synthetic=terr.synthetic) if m.code in set(totals["territory_code"])]
    last_pop = totals[totals["year"] == y1].set_index("territory_code")["value"]
    peer_codes, name_lt, name_en = _peer_codes(terr, peers, ddir, last_pop)
    peer_codes = [c for c in peer_codes if c in municipalities]
    frame = pd.DataFrame()
    if indicators is not None:
        frame = compute_indicators(list(indicators), territories=None, data=data, data_dir=ddir)
    ctx = ReportContext(terr, lang, (y0, y1), peers, ddir, peer_codes, name_lt if lang == "lt" else name_en,
                        municipalities, data, frame, dict(params))
    if show:
        title_key = f"title_{template}"
        show_markdown(f"# {t(title_key, lang, name=ctx.name)}")
        if terr.synthetic:
            show_markdown(t("synthetic_banner", lang))
        show_markdown(t("subtitle", lang, date=_dt.date.today().isoformat(), version=__version__,
                        years=f"{data_years[0]}–{data_years[-1]}"))
    return ctx


def _heading(ctx: ReportContext, key: str) -> None:
    show_markdown(f"## {t(key, ctx.lang)}")


def _ranks(ctx: ReportContext, indicator: str, year: int) -> tuple[float, int]:
    """Rank (1 = best by polarity) of the report's municipality among all municipalities."""
    from ..indicators import compare as cmp  # the indicator library's ranking

    table = cmp.rank_indicator(indicator, year, data=ctx.data, territories=ctx.municipalities)
    row = table[table["territory_code"] == ctx.code]
    return (float(row["rank"].iloc[0]) if len(row) else np.nan), int(table["rank"].notna().sum())


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
    """Rank of the municipality's change of ``indicator`` between the key years, among all
    municipalities: ``rank_fall`` (1 = largest fall) and ``rank_growth`` (1 = largest rise)."""
    from ..indicators import compare as cmp

    y0, y1 = ctx.years
    view = cmp.change_view(indicator, y0, y1, data=ctx.data, territories=ctx.municipalities)
    col = "change_pct" if "change_pct" in view and view["change_pct"].notna().any() else "change"
    vals = view.set_index("territory_code")[col]
    return {
        "rank_fall": float(vals.rank(ascending=True, method="min").get(ctx.code, np.nan)),
        "rank_growth": float(vals.rank(ascending=False, method="min").get(ctx.code, np.nan)),
        "value": float(vals.get(ctx.code, np.nan)),
    }


def key_findings(ctx: ReportContext) -> list[F.Finding]:
    """Section: the key findings as a list of sentences."""
    found = situation_findings(ctx)
    _heading(ctx, "h_findings")
    show_markdown("\n".join(f"- {f.text}" for f in found))
    ctx.cache["findings"] = found
    return found


def population_trend(ctx: ReportContext):
    """Section: population at 1 January by year with the key period marked."""
    _heading(ctx, "h_population")
    s = ctx.series("population").dropna()
    fig = plotting.population_trend(s.rename("value").reset_index(), key_period=ctx.years, **ctx.plot_kw())
    show_figure(fig)
    return fig


def pyramid(ctx: ReportContext, years: Sequence[int] | None = None):
    """Section: population pyramid of the first and last year of the key period, overlaid."""
    _heading(ctx, "h_pyramid")
    years = list(years or ctx.years)
    pop = ctx.data["population"]
    sub = pop[(pop["territory_code"] == ctx.code) & pop["year"].isin(years) & pop["sex"].isin(["male", "female"])
              & pop["age"].notna()]
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
    fig = plotting.components_of_change(frame, key_period=ctx.years, **ctx.plot_kw())
    show_figure(fig)
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


_UNITS = {"persons": ("asm.", "persons"), "%": ("%", "%"), "years": ("metai", "years"),
          "per 1000": ("‰ (1 000 gyv.)", "per 1,000"), "per 100": ("100-ui", "per 100"), "ratio": ("santykis", "ratio")}


def _unit(unit: str, lang: str) -> str:
    pair = _UNITS.get(unit)
    return (pair[0] if lang == "lt" else pair[1]) if pair else unit


def _panels(ctx: ReportContext, ids: Sequence[str], title_key: str, label: str):
    f = ctx.indicators
    codes = [ctx.code] + [c for c in ctx.peer_codes if c != ctx.code]
    sub = f[f["indicator"].isin(ids) & f["territory_code"].isin(codes)].dropna(subset=["value"])
    ids = [i for i in ids if (sub[(sub["indicator"] == i) & (sub["territory_code"] == ctx.code)]).shape[0]]
    if not ids:
        return None, []
    sub = sub[sub["indicator"].isin(ids)]
    labels, units = _catalogue_names(ids, ctx.lang)
    labels["__highlight__"] = ctx.name
    ranks = {}
    for i in ids:
        try:
            ranks[i] = _ranks(ctx, i, ctx.years[1])
        except (ImportError, AttributeError, CityIndicatorsError) as exc:
            log.info("no rank for %s: %s", i, exc)
    fig = plotting.indicator_panels(sub, ctx.code, ctx.lang, title=t(title_key, ctx.lang, name=ctx.name),
                                    labels=labels, units=units, ranks=ranks, label=label, synthetic=ctx.synthetic)
    return fig, ids


def ageing(ctx: ReportContext):
    """Section: ageing indicators of the municipality against its peers, with the rank of the
    last year among all municipalities."""
    _heading(ctx, "h_ageing")
    fig, _ = _panels(ctx, AGEING_INDICATORS, "t_ageing", "ageing_indicators")
    if fig is None:
        show_markdown(t("no_data", ctx.lang))
        return None
    show_figure(fig)
    return fig


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
    found = [x for x in ctx.cache.get("findings", []) if x.key == "working_age"]
    if found:
        show_markdown(found[0].text)
    return fig


def migration(ctx: ReportContext):
    """Section: net migration by age over the key period (cohort-residual), youth singled out."""
    from ..indicators.compute import cohort_net_migration

    _heading(ctx, "h_migration")
    y0, y1 = ctx.years
    cnm = cohort_net_migration(ctx.code, years=range(y0, y1), data=ctx.data)
    cnm = cnm[cnm["sex"] == "total"]
    if cnm.empty or cnm["value"].isna().all():
        show_markdown(t("no_data", ctx.lang))
        return None
    by_age = cnm.groupby("age", as_index=False)["value"].sum()
    by_age["age"] = by_age["age"].astype(int)
    by_age["period"] = f"{y0}–{y1}"
    fig = plotting.youth_outflow(by_age, **ctx.plot_kw())
    show_figure(fig)
    text = [x.text for x in ctx.cache.get("findings", []) if x.key in ("net_migration", "youth_migration")]
    if text:
        show_markdown(" ".join(text))
    return fig


def labour(ctx: ReportContext):
    """Section: labour-market indicators where the data have them."""
    _heading(ctx, "h_labour")
    fig, ids = _panels(ctx, LABOUR_INDICATORS, "t_labour", "labour_market")
    if fig is None:
        show_markdown(t("not_available", ctx.lang, what=t("h_labour", ctx.lang).lower()))
        return None
    show_figure(fig)
    return fig


def comparison(ctx: ReportContext, year: int | None = None, k: int = 5):
    """Section: comparison table with the country, county, peer group and the most similar
    municipalities, coloured by the rank among all municipalities."""
    from ..indicators import compare as cmp

    _heading(ctx, "h_comparison")
    year = int(year or ctx.years[1])
    peers = ctx.peer_codes if ctx.peers_spec != "similar" else None
    table = cmp.comparison_table(ctx.code, year, indicators=list(COMPARISON_INDICATORS), peers=peers, k=k,
                                 data=ctx.data, data_dir=ctx.data_dir)
    disp = _comparison_display(ctx, table)
    styler = plotting.comparison_table(disp, ctx.lang, n=ctx.n, caption=t("t_comparison", ctx.lang, name=ctx.name, year=year),
                                       synthetic=ctx.synthetic)
    show_table(styler)
    similar = table.attrs.get("similar") if hasattr(table, "attrs") else None
    if similar:
        reg = get_register(ctx.data_dir)
        show_markdown(t("similar_list", ctx.lang, names=", ".join(reg.get(c).name(ctx.lang) for c in similar)))
    return table


def _comparison_display(ctx: ReportContext, table: pd.DataFrame) -> pd.DataFrame:
    lang = ctx.lang
    labels, units = _catalogue_names(table["indicator"], lang)
    cols = {
        "value": t("col_value", lang), "country": t("col_country", lang), "county": t("col_county", lang),
        "peer_group": t("col_peer_group", lang), "peer_median": t("col_peer_median", lang),
        "similar": t("col_similar", lang), "rank": t("col_rank", lang), "percentile": t("col_percentile", lang),
    }
    out = pd.DataFrame({t("col_indicator", lang): table["indicator"].map(labels),
                        t("col_unit", lang): table["indicator"].map(units)})
    for src, dst in cols.items():
        if src in table:
            out[dst] = table[src].to_numpy()
    return out


def sources(ctx: ReportContext) -> pd.DataFrame:
    """Section: the data behind the report: datasets, raw snapshots, dates and hashes."""
    from ..store import processed_provenance

    _heading(ctx, "h_sources")
    lang = ctx.lang
    rows = []
    for dataset, side in processed_provenance(ctx.data_dir).items():
        frame = ctx.data.get(dataset)
        yrs = f"{int(frame['year'].min())}–{int(frame['year'].max())}" if frame is not None and len(frame) else ""
        for inp in side.get("inputs", []) or [{}]:
            path = Path(inp.get("input", "") or dataset)
            rows.append({
                t("col_dataset", lang): dataset,
                t("col_file", lang): f"{path.parent.parent.name}/{path.parent.name}/{path.name}" if inp else "",
                t("col_retrieved", lang): path.stem if inp else "",
                t("col_years", lang): yrs,
                t("col_sha", lang): (inp.get("sha256") or side.get("sha256") or "")[:12],
            })
    table = pd.DataFrame(rows)
    note = t("source_osp", lang) if not ctx.synthetic else t("synthetic_note", lang)
    show_markdown(f"{note}. {t('source_calc', lang, version=__version__)}.")
    show_table(table.style.hide(axis="index"))
    return table
