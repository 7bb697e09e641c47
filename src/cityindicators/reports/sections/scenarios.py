"""The scenario chapter: its set-up (:func:`setup_scenarios`, the projections) and the sections
of the assumptions, the projected population, age groups, dependency and the fan chart."""

from __future__ import annotations

import logging
import os
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ... import plotting
from ...exceptions import CityIndicatorsError, ReportParameterError
from ...i18n import fmt_int, fmt_number, t
from ...projection.build_intervals import INTERVAL_LEVEL  # of the intervals and the calibrated band (80 %)
from ...html_safe import styled_table
from .. import findings as F
from .. import shared
from .context import ReportContext, setup, show_title
from .breaks import _break_marks, _say_breaks, series_breaks
from .display import _heading, show_figure, show_table

log = logging.getLogger(__name__)


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
        Stochastic trajectories for the fan chart (0 = none) and the random seed. The band is
        calibrated to the empirical 80 % interval of the method's past errors
        (:mod:`~cityindicators.projection.calibration`; the back-test runs once per data build,
        about two minutes on the lt-osp extract); on data too short for a back-test it is shown
        uncalibrated, and the text says so.
    intervals
        Show the empirical 80 % interval (:mod:`~cityindicators.projection.intervals`, from the
        out-of-sample back-test of the data, computed once per data and process; about two
        minutes on the lt-osp extract) in the fan chart instead of the stochastic band.

    Returns
    -------
    ReportContext
        ``projection`` holds the :class:`~cityindicators.projection.api.ProjectionResult`.
    """
    from ...projection.api import project

    ctx = setup(territory, language, years=None, peers="all", data_dir=data_dir, template="scenarios",
                indicators=("population",), show=False, scenarios=list(scenarios), horizon=int(horizon),
                base_year=int(base_year), trajectories=int(trajectories), seed=int(seed), **params)
    # the inputs of every territory, read once for the three projections below and the accuracy section
    data = ctx.workspace.projection_data()
    try:
        result = project(ctx.code, base_year=int(base_year) or None, to_year=int(horizon), scenario=list(scenarios),
                         data=data, data_dir=ctx.data_dir, reference=batch_reference(ctx, data, int(base_year)))
    except CityIndicatorsError as exc:
        raise ReportParameterError(f"projection of {ctx.code} ({ctx.territory.name_lt}): {exc}") from exc
    ctx.projection = result
    # scenario labels may be a user's (<data-dir>/scenarios/*.yaml): the sentences quoting them show them as written
    ctx.user_texts += tuple(x for n, s in result.scenarios.items() for x in (s.label_lt or n, s.label_en or n))
    ctx.years = (ctx.data_years[0], result.base_year)
    first = next(iter(result.scenarios.values()))  # as loaded for the projection, not read again
    band = bool(trajectories and int(trajectories) > 0)
    if band or intervals:
        errors, model, median_model = _interval_inputs(ctx, data, result.base_year, bool(intervals))
        ctx.backtest_errors = errors
        # from the data, not the rates: the stochastic model is then fitted on all municipalities,
        # as in `project --stochastic`, and the quantiles do not depend on the report's territory set;
        # the rates of that set are the deterministic projection's, not estimated a second time. The
        # band is calibrated to the empirical interval of the method's past errors (projection/calibration.py),
        # the interval models fitted once per batch for the band and the intervals
        unc = project(ctx.code, base_year=result.base_year, to_year=int(horizon), scenario=first,
                      data=data, data_dir=ctx.data_dir, stochastic=int(trajectories) if band else None,
                      seed=int(seed), interval_errors=errors if intervals else None, interval_level=INTERVAL_LEVEL,
                      calibrate_stochastic=band and errors is not None, interval_model=model,
                      median_age_model=median_model, reference=result.reference)
        if band:
            ctx.quantiles = unc.quantiles
            ctx.stochastic_calibrated = errors is not None
        if intervals:
            ctx.intervals = unc.intervals  # all ages
            ctx.median_age_intervals = unc.intervals_for("median_age")
    if show:
        show_title(ctx, "scenarios", result.base_year)
    return ctx


def _interval_inputs(ctx: ReportContext, data, base_year: int, intervals: bool):
    """``(errors, model, median_age_model)``: the back-test errors of the data build and the interval
    models fitted on them for ``base_year``, each computed once per build for every worker of a
    batch (:mod:`~cityindicators.projection.build_intervals`; the median age's model only for the
    ``intervals``); all ``None`` when the data are too short for a back-test and the ``intervals``
    do not need one (the stochastic band is then shown uncalibrated, and the report says so)."""
    from ...projection.build_intervals import (backtest_errors_of_build, interval_model_of_build,
                                               median_age_model_of_build)

    try:
        errors = backtest_errors_of_build(data, ctx.data_dir, required=intervals, purpose="the stochastic band")
    except CityIndicatorsError as exc:
        raise ReportParameterError(f"empirical intervals of {ctx.code} ({ctx.territory.name_lt}): {exc}") from exc
    if errors is None:
        return None, None, None
    model = interval_model_of_build(errors, data, ctx.data_dir, base_year, INTERVAL_LEVEL)
    median = median_age_model_of_build(errors, data, ctx.data_dir, base_year, INTERVAL_LEVEL) if intervals else None
    return errors, model, median


def batch_reference(ctx: ReportContext, data, base_year: int = 0):
    """The reference rates of the projection of the report's municipality (itself first, then
    every other municipality of the data; :func:`~cityindicators.projection.api.reference_rates`),
    from those of all municipalities estimated once per batch and base year (``0``: the
    municipality's latest year), or ``None`` for a territory outside that set (the projection
    then estimates its own). Pooled sums then add the municipalities in one order for every
    report: the rates agree with a projection's own estimate to about 1e-16 per person."""
    from ...projection.api import reference_rates
    from ...projection.estimation import pools_synthetic, reference_pool

    def latest_years() -> dict[str, int]:
        pop = data.population
        last = pop.groupby(pop["territory_code"].astype(str), sort=False)["year"].max()
        return {str(c): int(y) for c, y in last.items()}

    # the latest year of every territory and the pool of municipalities, found once per data version (a
    # scan of every territory's population rows each, some 20 ms a report)
    latest = shared.computed_once(("latest-population-years",), ctx.data_dir, latest_years)
    if ctx.code not in latest:
        return None
    year = int(base_year) or latest[ctx.code]
    synthetic = pools_synthetic(ctx.code)  # the pool is the demonstration set's or the real municipalities'
    pool = shared.computed_once(("reference-pool", year, synthetic), ctx.data_dir,
                                lambda: reference_pool(data, ctx.register, [ctx.code], year))
    if ctx.code not in pool:
        return None
    every = shared.computed_once(("reference-rates", year, synthetic), ctx.data_dir,
                                 lambda: reference_rates(data, [pool[0]], year, None, ctx.register), on_disk=True)
    return every.subset([ctx.code, *(c for c in every.codes if c != ctx.code)])


def _scenario_labels(ctx: ReportContext) -> dict[str, str]:
    res = ctx.projection
    return {n: (s.label_lt if ctx.lang == "lt" else s.label_en) or n for n, s in res.scenarios.items()}


def _assumption(ctx: ReportContext, scenario: str, what: str, year: int) -> float:
    """Assumption ``what`` (a column of the assumption paths) of ``scenario`` in ``year`` for the
    report's municipality (NaN where the projection has none)."""
    path = ctx.assumption_paths.get(scenario)
    if path is None or year not in path.index:
        return np.nan
    return float(path.at[year, what])


def _assumption_mean(ctx: ReportContext, scenario: str, what: str) -> float:
    """The mean of assumption ``what`` of ``scenario`` over the projection years (NaN: none)."""
    path = ctx.assumption_paths.get(scenario)
    return float(path[what].mean()) if path is not None and len(path) else np.nan


def observed_tfr(res, scenario: str, code: str) -> tuple[float, int, int]:
    """``(TFR, first year, last year)``: the TFR the projection of ``scenario`` estimated for territory
    ``code`` from the births of the fertility window (the event years before the base year), as
    observed, before any bound of the scenario (NaN for a territory the schedule does not hold)."""
    rates = res.schedules[scenario].rates
    first, last = rates.base_year - rates.settings.fertility_window, rates.base_year - 1
    if code not in rates.codes:
        return np.nan, first, last
    return float(rates.tfr[rates.codes.index(code)]), first, last


def tfr_bounds_applied(res, scenario: str, observed: float) -> tuple[float, float] | None:
    """The scenario's TFR bounds when they move its path off the observed TFR from the base year on
    (a ``trend`` scenario whose observed TFR lies outside them: the path starts at the nearest
    bound, or with ``fertility.bounds_entry_years`` enters them in that many years,
    :func:`~cityindicators.projection.bounds.tfr_path`); None otherwise."""
    f = res.scenarios[scenario].fertility
    lo, hi = (float(b) for b in f.bounds)
    if f.mode != "trend" or not np.isfinite(observed) or lo <= observed <= hi:
        return None
    return lo, hi


def assumptions(ctx: ReportContext) -> pd.DataFrame:
    """Section: the assumptions of every scenario (TFR, life expectancy, migration): the TFR as
    observed (the base of every scenario, before any scenario's bounds, which apply to the path
    ahead) and at the horizon, life expectancy at the horizon, migration on average."""
    _heading(ctx, "h_assumptions")
    res = ctx.projection
    y0, y1 = res.base_year, res.to_year - 1  # assumptions hold for the years of events
    lang = ctx.lang
    labels = _scenario_labels(ctx)

    def val(sc: str, what: str, year: int) -> float:
        return _assumption(ctx, sc, what, year)

    def mean(sc: str, what: str) -> float:
        return _assumption_mean(ctx, sc, what)

    rows = []
    for sc in res.scenarios:
        tfr_obs, first, last = observed_tfr(res, sc, ctx.code)
        rows.append({
            t("col_scenario", lang): labels[sc],
            t("a_tfr_observed", lang, years=F.year_span(first, last)): tfr_obs,
            t("a_tfr", lang, year=y1): val(sc, "tfr", y1),
            t("a_e0_male", lang, year=y1): val(sc, "e0_male", y1),
            t("a_e0_female", lang, year=y1): val(sc, "e0_female", y1),
            t("a_net_migration", lang): mean(sc, "net_migration"),
            t("a_added_inflow", lang): mean(sc, "added_inflow"),
        })
    table = pd.DataFrame(rows)
    fmt = {c: (lambda v: fmt_number(v, lang, 2)) for c in table.columns[1:3]}
    fmt.update({c: (lambda v: fmt_number(v, lang, 1)) for c in table.columns[3:5]})
    fmt.update({c: (lambda v: fmt_int(v, lang)) for c in table.columns[5:]})
    note = t("synthetic_note", lang) if ctx.synthetic else ""
    show_table(styled_table(table, fmt, t("t_assumptions", lang, name=ctx.name), note))
    texts, note = F.combination_said_once(assumption_findings(ctx), lang)
    # a scaled outflow says what it scales: with net migration only, the net losses (not an observed emigration)
    texts = [x + "".join(" " + f.text for f in outflow_findings(ctx, sc) + shortfall_findings(ctx, sc))
             for x, sc in zip(texts, res.scenarios)]
    ctx.show_markdown("\n".join(f"- {x}" for x in texts) + (f"\n\n{note}" if note else ""))
    return table


def outflow_findings(ctx: ReportContext, scenario: str) -> list[F.Finding]:
    """The sentence on what ``scenario``'s ``migration.outflow_scale`` scales for the report's territory
    (:func:`~cityindicators.reports.findings.outflow_scaled`), none when it scales nothing (1, or no migration)."""
    res = ctx.projection
    mi = res.scenarios[scenario].migration
    if mi.mode == "zero" or mi.outflow_scale == 1:
        return []
    return [F.outflow_scaled(_scenario_labels(ctx)[scenario], mi.outflow_scale, res.gross_outflow[ctx.code], ctx.lang)]


def shortfall_findings(ctx: ReportContext, scenario: str) -> list[F.Finding]:
    """The sentence saying that ``scenario`` asked more residents of the report's territory to leave than
    some age groups had, and how many did not (none when all could, as in every plausible scenario);
    at least one person in all, as the command line's warning."""
    short = ctx.projection.migration_shortfall
    rows = short[(short["scenario"] == scenario) & (short["territory_code"] == ctx.code)]
    persons = float(rows["persons"].sum())
    if persons < 1.0:
        return []
    return [F.migration_shortfall(_scenario_labels(ctx)[scenario], int(rows["year"].min()), int(rows["year"].max()),
                                  persons, ctx.lang)]


def assumption_findings(ctx: ReportContext, mid_year: int = 2030) -> list[F.Finding]:
    """Each scenario's assumptions in plain words: net migration per 1,000 residents in the base
    year, in ``mid_year`` (the middle of the period when it is outside) and in the last year of
    events; the TFR from its observed value (the fertility window's, before the scenario's bounds)
    and life expectancy by sex from the base year to the last year of events."""
    res = ctx.projection
    y0, y1 = res.base_year, res.to_year - 1
    ymid = int(mid_year) if y0 < int(mid_year) < y1 else (y0 + y1) // 2
    labels = _scenario_labels(ctx)

    def val(sc: str, what: str, year: int) -> float:
        return _assumption(ctx, sc, what, year)

    out = []
    for sc in res.scenarios:
        tfr_obs, first, last = observed_tfr(res, sc, ctx.code)
        out.append(F.scenario_assumptions(
            labels[sc], y0, ymid, y1, tuple(val(sc, "net_migration_rate", y) for y in (y0, ymid, y1)),
            (tfr_obs, val(sc, "tfr", y1)),
            (val(sc, "e0_male", y0), val(sc, "e0_male", y1)),
            (val(sc, "e0_female", y0), val(sc, "e0_female", y1)), ctx.lang, _migration_long_run(res, sc),
            res.scenarios[sc].migration.added_inflow.active, tfr_years=(first, last),
            tfr_bounds=tfr_bounds_applied(res, sc, tfr_obs),
            tfr_bounds_from=y0 + (res.scenarios[sc].fertility.bounds_entry_years or 0),  # they hold from then on
            # a combination with a trend is carried as migration: the schedule says whether there is one
            combined=res.schedules[sc].combination_count is not None))
    return out


def _migration_long_run(res, scenario: str) -> tuple[str, int, int] | None:
    """``(rule, first year of the convergence, year the long-run level is reached)`` of a scenario's
    net migration, as its schedule applies it; None without migration."""
    from ...projection.schedule import convergence_span

    sc, st = res.scenarios[scenario], res.schedules[scenario].rates.settings
    if sc.migration.mode == "zero":
        return None
    rule = sc.migration.convergence_target or st.migration_convergence
    start, years = convergence_span(res.base_year, st, sc.migration)
    return rule, res.base_year + start, res.base_year + start + years


def _observed(ctx: ReportContext) -> pd.DataFrame:
    s = ctx.series("population").dropna()
    s = s[s.index <= ctx.projection.base_year]
    return pd.DataFrame({"year": s.index, "value": s.values})


def observed_breaks(ctx: ReportContext, observed: pd.DataFrame, indicator: str = "population"
                    ) -> tuple[list[tuple[int, str, str]], list[tuple[float, str]]]:
    """The register's breaks of ``indicator`` within the years of the ``observed`` series a scenario
    chart draws before its projections, as records (said under a chart) and as chart marks."""
    years = [int(y) for y in observed["year"]] if len(observed) else []
    found = series_breaks(ctx, [indicator], years) if years else []
    return found, _break_marks(found)


def scenario_population(ctx: ReportContext) -> list[F.Finding]:
    """Section: total population by scenario to the horizon, with one sentence per scenario."""
    _heading(ctx, "h_scenario_population")
    res = ctx.projection
    tot = ctx.projected_totals  # both sexes
    labels = _scenario_labels(ctx)
    observed = _observed(ctx)
    breaks, marks = observed_breaks(ctx, observed)
    fig = plotting.scenario_lines(tot[["scenario", "year", "value"]], observed=observed, scenario_labels=labels,
                                  breaks=marks, **ctx.plot_kw())
    show_figure(fig)
    _say_breaks(ctx, breaks)  # once, under the first chart with the observed series; the others mark them only
    found = []
    for sc in res.scenarios:
        g = tot[tot["scenario"] == sc].set_index("year")["value"]
        found.append(F.scenario_outcome(labels[sc], res.base_year, res.to_year, float(g[res.base_year]),
                                        float(g[res.to_year]), ctx.lang))
    beyond = beyond_backtest_finding(ctx)
    ctx.show_markdown("\n".join(f"- {f.text}" for f in found) + f"\n\n{beyond.text}")
    return found + [beyond]


def beyond_backtest_finding(ctx: ReportContext) -> F.Finding:
    """Where the back-test stops vouching for the first scenario's projection of the territory: its
    change over the back-tested horizons and beyond them, as natural change and migration
    (:meth:`~cityindicators.projection.api.ProjectionResult.change_by_period`)."""
    from ...projection.settings import LONGEST_BACKTESTED_HORIZON

    res = ctx.projection
    first = next(iter(res.scenarios))
    ch = res.change_by_period()
    rows = ch[(ch["scenario"] == first) & (ch["territory_code"] == ctx.code)].to_dict("records")
    return F.beyond_backtest(_scenario_labels(ctx)[first], LONGEST_BACKTESTED_HORIZON, rows, ctx.lang)


def broad_groups(ctx: ReportContext):
    """Section: broad age groups (0-14, 15-64, 65+) by scenario."""
    _heading(ctx, "h_broad_groups")
    bg = ctx.projection.broad_groups()  # both sexes, without the all-ages group
    bg = bg[bg["territory_code"] == ctx.code]
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
    projected population of ``res`` (a :class:`~cityindicators.projection.api.ProjectionResult`,
    or a mapping ``scenario -> ProjectionResult``: the trajectories of several searches at once),
    by scenario: columns ``scenario, year, indicator, value``."""
    from ...indicators import compute_indicators

    runs = list(res.items()) if isinstance(res, Mapping) else [(res, None)]
    counts = _projected_counts(runs, code)
    if counts is None:  # a nationally controlled projection or a group: from the population frame
        counts = _frame_counts(runs, code)
    ind = compute_indicators(list(ids), data=counts)
    order = {sc: i for i, (sc, _, _) in enumerate(_runs(runs, code))}
    ind = ind.rename(columns={"territory_code": "scenario"})
    ind = ind.sort_values("scenario", key=lambda c: c.map(order), kind="mergesort", ignore_index=True)
    return ind[["scenario", "year", "indicator", "value"]]


def _runs(runs: list, code: str):
    """``(scenario, ProjectionResult, scenario name in that result)`` of every projection in
    ``runs`` (``(scenario, result)`` pairs of target trajectories, or ``[(result, None)]``)."""
    for key, r in runs:
        if r is None:  # one projection of every scenario
            yield from ((sc, key, sc) for sc in key.scenarios)
        else:  # one trajectory: the single scenario of its result, named here by the report's scenario
            yield key, r, next(iter(r.scenarios))


def _projected_counts(runs: list, code: str):
    """The :class:`~cityindicators.indicators._counts.Counts` of ``code``'s projected population,
    one territory per scenario (all ages by sex and both sexes as male + female, as
    :func:`~cityindicators.indicators._counts.build_counts` makes them from the population
    frame), straight from the engine's arrays: the frame's round trip through a pivot per
    report is most of the indicators' time. ``None`` where the frame is not the arrays (a
    national control scales it; a group's rows are sums) or the years differ."""
    from ...indicators._counts import Counts

    pops, names, years = [], [], None
    for sc, r, own in _runs(runs, code):
        codes = list(r.rates.codes)
        if r.uncontrolled is not None or code not in codes or own not in r.arrays or \
                r.arrays[own].population.shape[-1] != r.open_age + 1:
            return None
        arr = r.arrays[own].population  # [year, territory, sex, age]
        these = np.arange(r.base_year, r.base_year + arr.shape[0])
        if years is not None and not np.array_equal(years, these):
            return None
        years = these
        pops.append(arr[:, codes.index(code)])
        names.append(str(sc))
    if not pops:
        return None
    two = np.stack(pops)  # [scenario, year, sex, age]
    pop = np.empty(two.shape[:2] + (3,) + two.shape[3:])
    pop[:, :, :2] = two
    pop[:, :, 2] = two[:, :, 0] + two[:, :, 1]
    missing = np.full(pop.shape[:3], np.nan)
    return Counts(codes=tuple(names), years=years, open_age=int(pop.shape[-1]) - 1, pop=pop, pop_all=pop.sum(axis=-1),
                  births=missing, deaths=missing.copy(), infant_deaths=missing.copy())


def _frame_counts(runs: list, code: str):
    """The count arrays of :func:`_projected_counts` built from the population frames (every
    scenario at once, each as a territory of its own)."""
    from ...indicators._counts import build_counts

    parts = [r.population[(r.population["territory_code"] == code) & (r.population["scenario"] == own)].assign(
        scenario=sc) for sc, r, own in _runs(runs, code)]
    pop = pd.concat(parts, ignore_index=True)
    open_age = runs[0][0].open_age if runs[0][1] is None else runs[0][1].open_age
    f = pop.assign(territory_code=pop["scenario"]).drop(columns="scenario")
    f["age"] = f["age"].astype("Int64")
    f["open_age"] = f["age"] == open_age
    return build_counts({"population": f})


def dependency(ctx: ReportContext):
    """Section: old-age and total dependency ratios by scenario, computed from the projected
    population with the indicator library."""
    _heading(ctx, "h_dependency")
    frame = ctx.projected_indicators
    frame = frame[frame["indicator"].isin(["old_age_dependency_ratio", "total_dependency_ratio"])].reset_index(drop=True)
    fig = plotting.dependency_ratios(frame, scenario_labels=_scenario_labels(ctx), **ctx.plot_kw())
    show_figure(fig)
    return fig


def fan_chart(ctx: ReportContext) -> F.Finding | None:
    """Section: fan chart of the first scenario: the empirical 80 % interval (with ``intervals``),
    else the stochastic projection's 10-90 % band and median, calibrated to the method's past
    errors where the data allowed a back-test; the sentence says which band it is."""
    _heading(ctx, "h_uncertainty")
    iv = ctx.intervals
    if iv is not None and not iv.empty:
        return _empirical_fan(ctx, iv)
    q = ctx.quantiles
    if q is None or q.empty:
        ctx.show_markdown(t("not_available", ctx.lang, what=t("h_uncertainty", ctx.lang).lower()))
        return None
    q = q[q["territory_code"] == ctx.code]  # (the quantiles of both sexes, all ages)
    calibrated = bool(ctx.stochastic_calibrated)
    observed = _observed(ctx)
    fig = plotting.fan_chart(q[["year", "quantile", "value"]], observed=observed, calibrated=calibrated,
                             scenario=_scenario_labels(ctx)[next(iter(ctx.projection.scenarios))],
                             breaks=observed_breaks(ctx, observed)[1], **ctx.plot_kw())
    show_figure(fig)
    last = q[q["year"] == q["year"].max()].set_index("quantile")["value"]
    qs = sorted(last.index)
    year, lo, med, hi = int(q["year"].max()), float(last[qs[0]]), float(last.get(0.5, np.nan)), float(last[qs[-1]])
    if calibrated:
        from ...projection.sizeclasses import size_class_label

        found = F.fan_calibrated(year, lo, med, hi, size_class_label(ctx.size_class, ctx.lang), ctx.projection.base_year,
                                 ctx.lang)
    else:
        found = F.fan_interval(year, lo, med, hi, ctx.lang)
    ctx.show_markdown(found.text)
    return found


def _empirical_fan(ctx: ReportContext, iv: pd.DataFrame) -> F.Finding:
    """The fan chart and sentence of the empirical 80 % interval of the first scenario (the total), and the
    median age's interval ten years on."""
    from ...projection.backtest import POOLED_HORIZONS
    from ...projection.sizeclasses import size_class_label

    res = ctx.projection
    first = next(iter(res.scenarios))
    sub = iv[(iv["territory_code"] == ctx.code) & (iv["scenario"] == first)]  # (the intervals of all ages)
    sub = sub.sort_values("year")
    lo_p, hi_p = (1 - float(sub["level"].iloc[0])) / 2, (1 + float(sub["level"].iloc[0])) / 2
    q = pd.concat([sub[["year"]].assign(quantile=p, value=sub[col].to_numpy())
                   for p, col in ((lo_p, "lower"), (0.5, "value"), (hi_p, "upper"))], ignore_index=True)
    observed = _observed(ctx)
    at_base = observed.loc[observed["year"] == res.base_year, "value"]
    if len(at_base) and len(sub) and int(sub["year"].min()) > res.base_year:
        # the intervals start a year after the base; the projection starts from the base population, known
        # exactly: drawn from there, the band joins the observed line instead of leaving a gap
        q = pd.concat([pd.DataFrame({"year": res.base_year, "quantile": [lo_p, 0.5, hi_p],
                                     "value": float(at_base.iloc[0])}), q], ignore_index=True)
    fig = plotting.fan_chart(q, observed=observed, empirical=True, scenario=_scenario_labels(ctx)[first],
                             breaks=observed_breaks(ctx, observed)[1], **ctx.plot_kw())
    show_figure(fig)
    last = sub.iloc[-1]
    size = str(last["size_class"])
    found = F.empirical_interval(int(last["year"]), float(last["lower"]), float(last["value"]), float(last["upper"]),
                                 size_class_label(size, ctx.lang), res.base_year,
                                 ctx.lang)
    text = found.text
    # the median age's own band, where the back-test's headline horizons reach: a log-scale band
    # carried 30 years ahead would say little about an age
    year = min(int(last["year"]), res.base_year + max(POOLED_HORIZONS))
    med = ctx.median_age_intervals if ctx.median_age_intervals is not None else pd.DataFrame(columns=iv.columns)
    med = med[(med["territory_code"] == ctx.code) & (med["scenario"] == first) & (med["year"] == year)]
    if len(med):
        m = med.iloc[0]
        text += "\n\n" + F.median_age_interval(int(m["year"]), float(m["lower"]), float(m["value"]), float(m["upper"]),
                                                ctx.lang).text
    ctx.show_markdown(text)
    return found
