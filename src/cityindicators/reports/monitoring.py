"""Sections of the monitoring report (template ``monitoring``): a plan's criteria against the data.

The template calls :func:`setup_monitoring` once, then one function per section:
:func:`summary_table` (statuses in colour *and* words), :func:`criteria` (one small chart and
the sentences a council report can quote for every criterion), :func:`method` (the status
rule and the caveats) and :func:`sources`. Every number comes from :mod:`cityindicators.plans`.
"""

from __future__ import annotations

import datetime as _dt
import html
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .. import __version__
from ..config import resource_path
from ..exceptions import CityIndicatorsError, ReportParameterError
from ..grammar import count_phrase
from ..html_safe import markdown_literal
from ..i18n import NO_VALUE, check_language, fmt_number, percent_as_written, t
from ..indicators.catalogue import unit_label as catalogue_unit_label
from ..plans import Plan, load_plan
from ..plans.outlook import COMPONENT_INDICATORS, linear_trend, projected_indicators
from ..plans.texts import (METHOD_LABELS, STATUS_COLOURS, column_labels, direction_label, format_value,
                           probability_text, profile_label, status_label, text)
from ..workspace import as_workspace
from . import exports
from .sections.display import ShowsMarkdown, show_figure, show_table

__all__ = ["MonitoringContext", "setup_monitoring", "summary_table", "summary_frame", "summary_styler", "status_counts", "criteria", "criterion_sentences", "method",
           "sources", "unit_label", "format_value", "criterion_chart"]

#: How units are written after a number, by language.
_UNITS = {"persons": {"lt": "asm.", "en": "persons"}, "EUR": {"lt": "Eur", "en": "EUR"},
          "years": {"lt": "m.", "en": "years"}, "per 1000": {"lt": "‰", "en": "per 1,000"}}


def unit_label(unit: str, lang: str) -> str:
    """The unit as written after a number in ``lang`` (``persons`` -> ``asm.``; others as the
    catalogue writes them in tables)."""
    return _UNITS.get(unit, {}).get(lang) or catalogue_unit_label(unit, lang)


@dataclass
class MonitoringContext(ShowsMarkdown):
    """What the sections share: the plan, the language and the computed tables."""

    plan: Plan
    lang: str
    check: pd.DataFrame
    outlook: pd.DataFrame
    summary: pd.DataFrame
    projected: pd.DataFrame
    cache: dict[str, Any] = field(default_factory=dict, repr=False)
    #: Names users typed that the sentences may quote, shown as written by :meth:`show_markdown` (as
    #: :attr:`~.sections.context.ReportContext.user_texts`).
    user_texts: tuple[str, ...] = ()

    @property
    def synthetic(self) -> bool:
        return self.plan.territory.synthetic

    @property
    def name(self) -> str:
        return self.plan.territory.name(self.lang)


def setup_monitoring(territory: str, plan: str, scenarios: Sequence[str] = (), trajectories: int = 500,
                     seed: int = 2026, language: str = "lt", data_dir: str | os.PathLike | None = None,
                     show: bool = True) -> MonitoringContext:
    """Load and check the plan, compute its outlook and show the title.

    Raises
    ------
    ReportParameterError
        An invalid plan file, or a plan for another territory than ``territory``.
    """
    lang = check_language(language)
    # the process's workspace of the folder: a warm kernel's next report reuses its tables,
    # count arrays and projection inputs
    ws = as_workspace(data_dir or None)
    try:
        p = load_plan(plan or resource_path("plans", "eglynas.yaml"), data_dir=ws, lang=lang)  # its warnings shown in the report
    except CityIndicatorsError as exc:
        raise ReportParameterError(f"plan: {exc}") from exc
    code = p.territory.code
    if ws.register.resolve(territory).code != code:
        raise ReportParameterError(f"plan {plan} is for {p.territory.name_lt} ({code}), not for {territory!r}")
    scen = list(scenarios) or None
    outlook = p.outlook(scenarios=scen, trajectories=int(trajectories), seed=int(seed))
    summary = p.summary(lang, scenarios=scen, trajectories=int(trajectories), seed=int(seed))
    res = p.cache.get("projection")
    projected_ids = set(outlook.loc[outlook["method"] == "projection", "criterion"])
    ids = sorted({c.indicator for c in p.criteria if c.id in projected_ids})
    projected = projected_indicators(res, ids, code) if res is not None and ids else pd.DataFrame(
        columns=["scenario", "indicator", "year", "value"])
    # what the user typed into the plan (its name and source note, the criteria's names) and the labels of a user's scenarios:
    # the sentences quoting them show them as written
    scen_labels = [x for s in (res.scenarios.values() if res is not None else ()) for x in (s.label_lt, s.label_en)]
    typed = (p.name_lt, p.name_en, p.source_lt, p.source_en, p.source,
             *(x for c in p.criteria for x in (c.name_lt, c.name_en)), *scen_labels)
    ctx = MonitoringContext(p, lang, p.check(), outlook, summary, projected, user_texts=tuple(x for x in typed if x))
    exports.set_context(lang, ctx.name, ctx.synthetic)  # heading and source of the report's workbook sheets
    if show:
        ctx.show_markdown(f"# {t('title_monitoring', lang, name=ctx.name)}")
        if ctx.synthetic:
            ctx.show_markdown(t("synthetic_banner", lang))
        # show_markdown escapes the text (plan names are user text); nothing is escaped twice here
        ctx.show_markdown(text("subtitle", lang, plan=p.name(lang), y0=p.period[0], y1=p.period[1],
                           date=_dt.date.today().isoformat(), version=__version__, last=p.last_data_year))
        for w in p.warnings:
            ctx.show_markdown(f"*{markdown_literal(w)}*")  # a warning quotes the file's own text
    return ctx


# -- summary -------------------------------------------------------------------------------------


#: The no-break space that keeps the words of one part of a table cell on one line.
_NBSP = "\u00a0"


def _target_text(c, lang: str) -> str:
    """"ne mažiau kaip 20 000 asm. (2030 m.)" / "at least 20,000 persons (2030)".

    Where the summary's narrow column wraps, a value keeps the first word of its unit ("20 000 asm.")
    and the year its "m." ("(2030 m.)") on its line (no-break spaces); the words of the direction
    may wrap, or the table would be wider than an A4 page."""
    unit = unit_label(c.unit, lang).split(" ", 1)
    value = _NBSP.join([format_value(c.target_value, c.unit, lang), unit[0]]) + "".join(" " + u for u in unit[1:])
    year = t("col_year_of", lang, year=c.target_year).replace(" ", _NBSP)
    return percent_as_written(f"{direction_label(c.direction, lang)} {value} ({year})", lang)


def summary_frame(ctx: MonitoringContext) -> pd.DataFrame:
    """The summary table as the report shows it: one row per criterion, values as text in the
    report language (canonical column names)."""
    lang = ctx.lang
    rows = []
    for c, (_, s) in zip(ctx.plan.criteria, ctx.summary.iterrows()):
        outlook = NO_VALUE
        if s["outlook_method"] in ("projection", "trend", "observed"):
            outlook = f"{format_value(s['outlook_value'], c.unit, lang)} ({METHOD_LABELS[s['outlook_method']][lang]})"
        rows.append({
            "criterion": c.id, "name": c.name(lang), "target_value": _target_text(c, lang),
            "year": int(s["year"]), "actual": format_value(s["actual"], c.unit, lang, versus=c.target_value),
            "planned": format_value(s["planned"], c.unit, lang),
            "gap": fmt_number(s["gap"], lang, 0 if c.unit in ("persons", "EUR") else 1, sign=True),
            "status_label": s["status_label"], "outlook_value": outlook,
            "probability": probability_text(s["probability"], lang),  # NaN: the no-data mark
        })
    return pd.DataFrame(rows)


def summary_styler(ctx: MonitoringContext, table: pd.DataFrame):
    """``table`` (:func:`summary_frame`) styled: labels in the report language, the status cell in
    its colour beside its word, every cell HTML-escaped (names are typed into the plan by users)."""
    lang = ctx.lang
    colour = {status_label(k, lang): v for k, v in STATUS_COLOURS.items()}
    shown = table.rename(columns=column_labels(table.columns, lang))
    status_col = column_labels(["status_label"], lang)["status_label"]
    words = list(column_labels(["name", "target_value"], lang).values())  # text, not figures: left-aligned
    styler = (shown.style.format(escape="html").hide(axis="index")
              .map(lambda v: f"background-color: {colour.get(v, '#FFFFFF')}; font-weight: bold", subset=[status_col])
              .set_properties(subset=[c for c in words if c in shown], **{"text-align": "left"}))
    caption = html.escape(ctx.plan.name(lang))
    if ctx.synthetic:
        caption += f"<br><small>{t('synthetic_note', lang)}</small>"
    return styler.set_caption(caption)


def summary_table(ctx: MonitoringContext) -> pd.DataFrame:
    """Section: one row per criterion; the status cell carries the word and its colour."""
    ctx.show_markdown(f"## {text('h_summary', ctx.lang)}")
    table = summary_frame(ctx)
    exports.set_section("h_summary", text("h_summary", ctx.lang))
    # the workbook gets the numbers, not the text, under the headers the report shows
    show_table(summary_styler(ctx, table), data=ctx.summary.rename(columns=column_labels(ctx.summary.columns, ctx.lang)))
    ctx.show_markdown(status_counts(ctx))
    return table


def status_counts(ctx: MonitoringContext) -> str:
    """One sentence: how many criteria have each status in their latest year (``reached – 1, ...``);
    a count after a dash needs no agreement with a noun."""
    from ..plans import STATUSES

    n = ctx.summary["status"].value_counts()
    counts = ", ".join(f"{status_label(s, ctx.lang).lower()} – {int(n[s])}" for s in STATUSES if s in n)
    return text("s_counts", ctx.lang, year=ctx.plan.last_data_year, counts=counts)


# -- one criterion ---------------------------------------------------------------------------------


def criterion_sentences(ctx: MonitoringContext, cid: str) -> list[str]:
    """The sentences about criterion ``cid`` that a council report can quote, in the report language."""
    lang = ctx.lang
    c = ctx.plan.criterion(cid)
    s = ctx.summary[ctx.summary["criterion"] == cid].iloc[0]
    u = unit_label(c.unit, lang)
    out = []
    if s["actual"] == s["actual"]:
        out.append(text("s_status", lang, name=c.name(lang), year=int(s["year"]),
                        actual=format_value(s["actual"], c.unit, lang, versus=c.target_value),
                        planned=format_value(s["planned"], c.unit, lang),
                        unit=u, status=s["status_label"].lower()))
    out.append(text("s_target", lang, direction=direction_label(c.direction, lang),
                    target=format_value(c.target_value, c.unit, lang), unit=u, target_year=c.target_year))
    o = ctx.outlook[ctx.outlook["criterion"] == cid]
    first = o.iloc[0]
    if first["method"] == "projection":
        scen = ctx.plan.cache.get("projection").scenarios
        label = scen[first["scenario"]].label_lt if lang == "lt" else scen[first["scenario"]].label_en
        out.append(text("s_projection", lang, scenario=label or first["scenario"], target_year=c.target_year,
                        value=format_value(first["value"], c.unit, lang), unit=u))
        if len(o) > 1:
            out.append(text("s_range", lang, lo=format_value(o["value"].min(), c.unit, lang),
                            hi=format_value(o["value"].max(), c.unit, lang), unit=u))
        if first["probability"] == first["probability"]:
            calibrated = first["band"] == "calibrated"
            out.append(text("s_probability_calibrated" if calibrated else "s_probability", lang,
                            p=probability_text(first["probability"], lang),
                            lo=format_value(first["low"], c.unit, lang), hi=format_value(first["high"], c.unit, lang),
                            unit=u))
        if first["inflow_status"] == "met":
            n = round(float(first["inflow"]))
            count = count_phrase(fmt_number(n, lang, 0), n, "resident", lang, case="acc")  # "pritraukti 21 gyventoją"
            out.append(text("s_inflow", lang, count=count, profile=profile_label(first["inflow_profile"], lang)))
        elif first["inflow_status"] == "met_at_lower_bound":
            out.append(text("s_inflow_zero", lang))
        elif first["inflow_status"] == "unreachable":
            out.append(text("s_inflow_unreachable", lang))
    elif first["method"] == "trend":
        out.append(text("s_trend", lang, y0=int(first["trend_from"]), y1=int(first["trend_to"]),
                        target_year=c.target_year, value=format_value(first["value"], c.unit, lang),
                        lo=format_value(first["low"], c.unit, lang), hi=format_value(first["high"], c.unit, lang),
                        unit=u))
    elif first["method"] == "observed":
        out.append(text("s_observed", lang, target_year=c.target_year, value=format_value(first["value"], c.unit, lang),
                        unit=u))
    else:
        out.append(text("s_no_outlook", lang))
    return out


def criterion_chart(ctx: MonitoringContext, cid: str):
    """A small chart of one criterion: the actual values, the planned path, the target, and the
    projection (scenario lines and, for the population, the 10-90 % fan) or the trend band."""
    from ..plotting import _decimal, _finish, _new_figure, _scenario_colours, _year_axis

    lang = ctx.lang
    c = ctx.plan.criterion(cid)
    fig, axes = _new_figure(f"criterion_{cid}", figsize=(6.4, 3.6))
    ax = axes[0, 0]
    obs = ctx.plan.series(cid).dropna()
    obs = obs[obs.index >= c.base_year - 10]
    y_path = np.arange(c.base_year, c.target_year + 1)
    from ..plans import planned_path

    ax.plot(y_path, planned_path(y_path, c.base_year, c.base_value, c.target_year, c.target_value), ls="--",
            color="#555555", lw=1.4, label=text("l_path", lang))
    o = ctx.outlook[ctx.outlook["criterion"] == cid]
    method = o["method"].iloc[0] if len(o) else "none"
    projection = method == "projection"
    if projection:
        q = ctx.plan.cache.get("quantiles")
        if c.indicator == "population" and q is not None:
            w = q.pivot_table(index="year", columns="quantile", values="value").sort_index()
            w = w[w.index <= c.target_year]
            lo = next(k for k in w.columns if abs(k - 0.1) < 1e-9)
            hi = next(k for k in w.columns if abs(k - 0.9) < 1e-9)
            ax.fill_between(w.index, w[lo], w[hi], color="#0072B2", alpha=0.2, lw=0, label=text("l_fan", lang))
        p = ctx.projected[ctx.projected["indicator"] == c.indicator]
        labels = ctx.plan.cache["projection"].scenarios
        lines = dict(list(p.groupby("scenario", sort=False)))
        # each scenario in its colour of the scenarios report (plotting._scenario_colours)
        for k, (sc, colour) in enumerate(_scenario_colours(lines, ctx.plan.scenarios).items()):
            g = lines[sc]
            g = g[g["year"] <= c.target_year].sort_values("year")
            name = (labels[sc].label_lt if lang == "lt" else labels[sc].label_en) or sc
            ax.plot(g["year"], g["value"], lw=1.6 if k == 0 else 1.0, color=colour, label=name)
    elif method == "trend":
        r = o.iloc[0]
        years = np.arange(int(r["trend_to"]), c.target_year + 1)
        s = obs[(obs.index >= r["trend_from"]) & (obs.index <= r["trend_to"])]
        band = np.array([linear_trend(s.index, s.to_numpy(), y) for y in years])
        ax.fill_between(years, band[:, 1], band[:, 2], color="#999999", alpha=0.25, lw=0)
        ax.plot(years, band[:, 0], ls=":", color="#333333", lw=1.6, label=text("l_trend", lang))
    ax.plot(obs.index, obs.to_numpy(), color="#000000", lw=2.0, marker="o", ms=2.5, label=text("l_actual", lang))
    ax.plot([c.target_year], [c.target_value], marker="D", ms=7, color="#D55E00", ls="none",
            label=text("l_target", lang))
    stock = c.unit == "persons" and c.indicator not in COMPONENT_INDICATORS  # residents, not a yearly flow
    ax.set_ylabel(t("persons", lang) if stock else unit_label(c.unit, lang))
    ax.yaxis.set_major_formatter(_decimal(lang, 0 if c.unit in ("persons", "EUR") else 1))
    _year_axis(ax, lang)
    ax.legend(loc="best", fontsize=7.5)
    # the lines as drawn, for the report's workbook (read by plotting.chart_data)
    fig.cityindicators_data = pd.DataFrame(
        [(ln.get_label(), int(x), float(y)) for ln in ax.get_lines() if not ln.get_label().startswith("_")
         for x, y in zip(ln.get_xdata(), ln.get_ydata())], columns=["series", "year", "value"])
    fig.cityindicators_unit = c.unit
    return _finish(fig, f"{c.id}. {c.name(lang)}", lang, None, ctx.synthetic, projection=projection)


def criteria(ctx: MonitoringContext) -> dict[str, list[str]]:
    """Section: for every criterion a small chart and its sentences; returns ``{id: sentences}``."""
    ctx.show_markdown(f"## {text('h_criteria', ctx.lang)}")
    exports.set_section("h_criteria", text("h_criteria", ctx.lang))
    out = {}
    for c in ctx.plan.criteria:
        show_figure(criterion_chart(ctx, c.id), alt=f"{c.id}. {c.name(ctx.lang)}")
        out[c.id] = criterion_sentences(ctx, c.id)
        ctx.show_markdown(" ".join(out[c.id]))
    ctx.cache["sentences"] = out
    return out


def method(ctx: MonitoringContext) -> str:
    """Section: how the status is set, and the caveats of the probability and the trend."""
    ctx.show_markdown(f"## {text('h_method', ctx.lang)}")
    caveat = "caveat_calibrated" if ctx.plan.cache.get("band") == "calibrated" else "caveat"
    body = f"{text('method', ctx.lang)}\n\n{text(caveat, ctx.lang)}"
    ctx.show_markdown(body)
    return body


def sources(ctx: MonitoringContext) -> str:
    """Section: the plan (its name, its source and its file) and the data source.

    The file's checksum is not printed: a plan's reader needs the source and its date, and the
    checksum is kept in the report's ``manifest.json`` (``input_files.plan``), as issue 12 asks."""
    lang = ctx.lang
    ctx.show_markdown(f"## {text('h_sources', lang)}")
    p = ctx.plan
    note = p.source_in(lang)  # the note in the report's language
    src = text("source_plan_note", lang, note=note) if note else ""
    data = t("source_demo" if ctx.synthetic else "source_osp", lang)
    body = (text("source_plan", lang, plan=p.name(lang), source=src, data=data)
            + " " + text("source_plan_file", lang, file=markdown_literal(p.path.name)))  # a "`" opens no code span
    ctx.show_markdown(body)
    return body
