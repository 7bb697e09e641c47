"""The accuracy section: how the projection method would have done on past data."""

from __future__ import annotations

import logging

import pandas as pd

from ...exceptions import CityIndicatorsError
from ...html_safe import styled_table
from ...i18n import fmt_number, t
from ...schema import both_sexes_key
from .. import findings as F
from .. import shared
from .context import ReportContext
from .display import _heading, show_table

log = logging.getLogger(__name__)


def accuracy(ctx: ReportContext, horizon: int = 5) -> F.Finding | None:
    """Section: how the projection method would have done on past data.

    The default method and the naive baselines are back-tested over all municipalities from the data
    up to ``base - horizon`` (shorter when the data start later) to the projection's base year
    ``base``, whose population is published. Where the report has the build's out-of-sample errors
    (:attr:`ReportContext.backtest_errors`, behind the calibrated fan chart) the back-test is theirs:
    the method with the settings the protocol chose on back-tests known at that origin
    (:func:`~cityindicators.projection.backtest.out_of_sample_result`), since the shipped settings were
    chosen on this back-test too; else the shipped settings' (:func:`~cityindicators.projection.backtest.backtest`),
    and the text says which. Shows the municipality's signed error by broad age group beside the mean
    absolute error over all municipalities and that of the best naive method, and one sentence on the total.
    """
    from ...projection.backtest import BASE_PERIOD, DEFAULT_METHOD, GROUPS, backtest, out_of_sample_result

    _heading(ctx, "h_accuracy")
    lang = ctx.lang
    res = ctx.projection
    data = ctx.workspace.projection_data()
    pop = data.population
    first = int(pop["year"].min())
    last = res.base_year
    h = min(int(horizon), last - first - BASE_PERIOD)
    if h < 1:
        ctx.show_markdown(t("not_available", lang, what=t("h_accuracy", lang).lower()))
        return None
    y0 = last - h
    register = ctx.register
    oos = None if ctx.backtest_errors is None else out_of_sample_result(ctx.backtest_errors, y0, h)
    if oos is not None and ctx.code not in set(oos.errors["territory_code"]):
        oos = None  # (a territory outside the protocol's municipalities: its own back-test, the shipped settings')
    try:
        # the same for every municipality's report: computed once per batch (kept on disk for its workers)
        bt = oos or shared.computed_once(("backtest-all", y0, h), ctx.data_dir,
                                         lambda: backtest(data, y0, h, territories="all", register=register),
                                         on_disk=True)
        own = bt if ctx.code in set(bt.errors["territory_code"]) else backtest(data, y0, h, territories=[ctx.code],
                                                                               register=register)
    except CityIndicatorsError as exc:
        log.warning("back-test for the accuracy section failed: %s", exc)
        ctx.show_markdown(t("not_available", lang, what=t("h_accuracy", lang).lower()))
        return None
    n = int(bt.errors.loc[bt.errors["method"] == DEFAULT_METHOD, "territory_code"].nunique())
    wins = bt.wins()
    mine = own.errors[(own.errors["method"] == DEFAULT_METHOD) & (own.errors["territory_code"] == ctx.code)]
    mine = mine.set_index("group")
    rows = []
    for g in GROUPS:
        rows.append({
            t("col_age_group", lang): F.age_group_label(g, lang),  # "0–14 m.", as the broad-groups chart says it
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
    sample = t("f_accuracy_out_of_sample" if oos is not None else "f_accuracy_in_sample", lang, y0=y0)
    ctx.show_markdown(" ".join([found.text, sample, *(f.text for f in extra)]))
    found.values["out_of_sample"] = oos is not None
    return found


def accuracy_context(ctx: ReportContext, bt, own, y0: int, h: int) -> list[F.Finding]:
    """The back-test's mean absolute error of the municipality's size class and a flag when its own
    error in a group reached :data:`~cityindicators.reports.findings.LARGE_ERROR_PCT`.

    The class is the one the uncertainty section names (:attr:`ReportContext.size_class`, by the
    population at the projection's base year), so that one municipality has one size class in one
    report; the municipalities pooled are those of that class at the back-test's origin ``y0``, as
    the band pools its past errors (classed where each projection started, not by the outcome)."""
    from ...projection.backtest import DEFAULT_METHOD, GROUPS
    from ...projection.sizeclasses import size_class, size_class_label

    e = bt.errors[(bt.errors["method"] == DEFAULT_METHOD)]
    pop = ctx.data[both_sexes_key("population_total")]
    p0 = pop[pop["year"] == y0].set_index("territory_code")["value"]
    classes = pd.Series(size_class(p0.to_numpy()), index=p0.index.astype(str))
    out = []
    mine = ctx.size_class
    tot = e[(e["group"] == "total") & e["territory_code"].astype(str).map(classes).eq(mine)]
    if len(tot):
        then = classes.get(ctx.code)
        out.append(F.accuracy_size_class(size_class_label(mine, ctx.lang), float(tot["error_pct"].abs().mean()),
                                         int(len(tot)), y0, ctx.lang, name=ctx.name, base_year=ctx.projection.base_year,
                                         size_then=None if then is None or then == mine else size_class_label(then, ctx.lang)))
    m = own.errors[(own.errors["method"] == DEFAULT_METHOD) & (own.errors["territory_code"] == ctx.code)
                   & own.errors["group"].astype(str).isin(GROUPS)]  # the groups of the table (not the median age)
    flag = F.accuracy_flag(dict(zip(m["group"], m["error_pct"].astype(float))), y0, h, ctx.lang)
    if flag is not None:
        out.append(flag)
    return out
