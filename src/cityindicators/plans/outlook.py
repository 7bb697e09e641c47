r"""Where a plan's criteria are heading: the projection for demographic criteria, a trend for the rest.

*Demographic criteria* are those whose indicator the population projection produces: every
indicator computed from the population by age and sex alone (population, working-age share,
shares of age groups, dependency ratios, median age...) and the components births, deaths,
natural change and net migration. For them, with the public projection API:

- the projected value in the target year under each scenario (:func:`~cityindicators.projection.project`;
  the indicator is computed from the projected population with the indicator library, so it
  follows the same definition as the observed one);
- for the population, the probability of meeting the target from the stochastic projection of
  the first scenario: the share of trajectories on the target's side, read off the 1st ... 99th
  percentiles of the total population in the target year (linear interpolation between
  percentiles; beyond them reported as below 1 % or above 99 %). The stochastic mode keeps the
  totals and broad age groups of each trajectory only, so for ratios no probability is given.
  The stochastic model is fitted on every municipality of the data, as for the scenario report's
  fan chart, so that the plan's band and probability are the report's for the same territory,
  scenario, horizon, trajectories and seed.
  The trajectories are calibrated to the method's past errors (:mod:`~cityindicators.projection.calibration`:
  each year's 10-90 % band as wide as the empirical 80 % interval of the back-test errors known by
  the base year; the back-test runs once per data build): uncalibrated, the band leaves out the
  method's own errors and was narrower than they were (``docs/INTERVALS.md``). On data too short
  for a back-test the band stays uncalibrated and the column ``band`` says so;
- the constant annual added net inflow that would meet the target
  (:func:`~cityindicators.projection.find_inflow`), with its age profile named, for population
  and working-age population (at least) and the old-age dependency ratio (at most).

*Other criteria* get a **trend**, not a forecast: the least-squares line through the last
``trend_years`` observed values, extended to the target year, with an 80 % prediction interval
``yhat +- t_{0.9, n-2} s sqrt(1 + 1/n + (x - xbar)^2 / Sxx)``.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from ..exceptions import CityIndicatorsError
from .status import default_tolerance, meets_target

if TYPE_CHECKING:  # pragma: no cover
    from .plan import Criterion, Plan

__all__ = ["COMPONENT_INDICATORS", "INFLOW_KINDS", "projected_indicators", "PROBABILITY_QUANTILES", "projectable",
           "linear_trend",
           "probability_from_quantiles", "plan_outlook", "plan_summary", "OUTLOOK_COLUMNS"]

log = logging.getLogger(__name__)

#: Indicators taken from the projected components (events of the calendar year).
COMPONENT_INDICATORS = ("births", "deaths", "natural_change", "net_migration")
#: Indicator and direction -> the keyword of :func:`find_inflow` that seeks the inflow.
INFLOW_KINDS = {("population", "at_least"): "population", ("working_age_population", "at_least"): "working_age",
                ("old_age_dependency_ratio", "at_most"): "max_old_age_dependency"}
#: Percentiles of the stochastic projection the probability is read from.
PROBABILITY_QUANTILES = tuple(round(p / 100, 2) for p in range(1, 100))
#: Two-sided coverage of the trend's prediction interval.
TREND_COVERAGE = 0.8

OUTLOOK_COLUMNS = ["criterion", "method", "scenario", "year", "target", "value", "low", "high", "meets",
                   "probability", "band", "inflow", "inflow_status", "inflow_profile", "trend_from", "trend_to", "note"]


def projectable(indicator: str) -> bool:
    """Whether the projection produces ``indicator`` (population-only indicators and components)."""
    from ..indicators import CATALOGUE

    if indicator in COMPONENT_INDICATORS:
        return True
    e = CATALOGUE.get(indicator)
    return e is not None and tuple(e.datasets) == ("population",) and e.topic in ("structure", "working_age")


def linear_trend(years, values, at_year: int, coverage: float = TREND_COVERAGE) -> tuple[float, float, float]:
    """Least-squares line through ``(years, values)`` at ``at_year``: ``(value, low, high)``, the
    bounds of the ``coverage`` prediction interval (NaN bounds with fewer than 3 points)."""
    from scipy.special import stdtrit  # Student's t quantile; scipy.stats costs a second to import

    x = np.asarray(years, dtype=float)
    y = np.asarray(values, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = len(x)
    if n < 2:
        return (float(y[0]) if n else math.nan), math.nan, math.nan
    xbar = x.mean()
    sxx = ((x - xbar) ** 2).sum()
    slope = ((x - xbar) * (y - y.mean())).sum() / sxx
    yhat = y.mean() + slope * (at_year - xbar)
    if n < 3:
        return float(yhat), math.nan, math.nan
    resid = y - (y.mean() + slope * (x - xbar))
    s = math.sqrt((resid ** 2).sum() / (n - 2))
    half = float(stdtrit(n - 2, 0.5 + coverage / 2)) * s * math.sqrt(1 + 1 / n + (at_year - xbar) ** 2 / sxx)
    return float(yhat), float(yhat - half), float(yhat + half)


def probability_from_quantiles(quantiles: Sequence[float], values: Sequence[float], target: float,
                               direction: str, tolerance: float = 0.0) -> float:
    """Probability that the value meets the target, from its quantiles ``values`` at probabilities
    ``quantiles`` (the empirical distribution function, interpolated linearly; clipped to the
    outermost quantiles, so with 1 %...99 % the result lies in [0.01, 0.99])."""
    p = np.asarray(quantiles, dtype=float)
    v = np.maximum.accumulate(np.asarray(values, dtype=float))  # quantiles are monotone; guard rounding

    def cdf(x: float) -> float:
        # np.interp needs increasing x; ties (a flat stretch) take the largest probability
        xs, idx = np.unique(v[::-1], return_index=True)
        ps = p[::-1][idx]
        return float(np.interp(x, xs, ps, left=p[0], right=p[-1]))

    if direction == "at_least":
        return 1.0 - cdf(target)
    if direction == "at_most":
        return cdf(target)
    return max(0.0, cdf(target + tolerance) - cdf(target - tolerance))


def projected_indicators(res, ids: Sequence[str], code: str) -> pd.DataFrame:
    """``scenario, indicator, year, value`` of ``ids`` from a projection of one territory."""
    from ..indicators import compute_indicators

    parts = []
    pop = res.population[res.population["territory_code"] == code]
    pop_ids = [i for i in ids if i not in COMPONENT_INDICATORS]
    if pop_ids:
        for sc, g in pop.groupby("scenario", sort=False):
            f = g.drop(columns="scenario").copy()
            f["age"] = f["age"].astype("Int64")
            f["open_age"] = f["age"] == res.open_age
            ind = compute_indicators(pop_ids, data={"population": f}, dropna=True)
            ind["scenario"] = sc
            parts.append(ind[["scenario", "indicator", "year", "value"]])
    comp_ids = [i for i in ids if i in COMPONENT_INDICATORS]
    if comp_ids:
        # the yearly balance has the totals of the components without building them by age
        bal = res.balance()
        by = bal[bal["territory_code"] == code].set_index(["scenario", "year"])
        values = {"births": by["births"], "deaths": by["deaths"], "net_migration": by["net_migration"],
                  "natural_change": by["births"] - by["deaths"]}
        for i in comp_ids:
            s = values[i].rename("value").reset_index()
            s["indicator"] = i
            parts.append(s[["scenario", "indicator", "year", "value"]])
    if not parts:
        return pd.DataFrame(columns=["scenario", "indicator", "year", "value"])
    return pd.concat(parts, ignore_index=True)


def _row(c: "Criterion", **kw) -> dict:
    row = {k: np.nan for k in OUTLOOK_COLUMNS}
    row.update(criterion=c.id, year=c.target_year, target=c.target_value, scenario="", note="", inflow_status="",
               inflow_profile="", method="none")
    row.update(kw)
    return row


def _inflow_row(plan: "Plan", c: "Criterion", res, scenario: str) -> dict:
    from ..projection import find_inflow

    kind = INFLOW_KINDS.get((c.indicator, c.direction))
    if kind is None:
        return {"inflow_status": "not_available"}
    try:
        tr = find_inflow(plan.territory.code, year=c.target_year, scenario=scenario, rates=res.rates,
                         profile=plan.inflow_profile, data_dir=plan.data_dir, **{kind: c.target_value})
    except CityIndicatorsError as exc:
        log.warning("inflow for %s could not be found: %s", c.id, exc)
        return {"inflow_status": "not_available"}
    inflow = np.nan if tr.inflow is None else float(tr.inflow)
    return {"inflow": inflow, "inflow_status": tr.status, "inflow_profile": tr.profile}


def plan_outlook(plan: "Plan", scenarios: Sequence[str] | None = None, trajectories: int = 500,
                 seed: int = 2026) -> pd.DataFrame:
    """The outlook of every criterion in its target year.

    Parameters
    ----------
    plan
        A loaded plan.
    scenarios
        Projection scenarios (default the plan's).
    trajectories
        Stochastic trajectories for the probability (0 = none).
    seed
        Random seed of the stochastic projection.

    Returns
    -------
    pandas.DataFrame
        :data:`OUTLOOK_COLUMNS`; ``method`` is ``projection`` (one row per scenario), ``trend``
        (one row), ``observed`` (the target year is in the data) or ``none`` (too few
        observations). ``low``/``high`` are the 10 %/90 % stochastic quantiles (population,
        first scenario) or the trend's 80 % prediction interval; ``probability`` (0-1) is only
        for the population, ``band`` says whether its stochastic band is ``calibrated`` to the
        method's past errors or ``uncalibrated`` (no back-test on the data); ``inflow`` (persons a year) with ``inflow_status`` as
        :class:`~cityindicators.projection.TargetResult` has it (``met``, ``met_at_lower_bound``,
        ``unreachable``) or ``not_available``.
    """
    key = ("outlook", tuple(scenarios or plan.scenarios), int(trajectories), int(seed))
    if key in plan.cache:
        return plan.cache[key].copy()
    scen = list(scenarios or plan.scenarios)
    last = plan.last_data_year or 0
    rows = []
    demo = [c for c in plan.criteria if projectable(c.indicator) and c.values is None and c.target_year > last]
    if demo:
        rows += _projection_rows(plan, demo, scen, trajectories, seed)
    for c in plan.criteria:
        if c in demo:
            continue
        s = plan.series(c.id).dropna()
        if c.target_year in s.index:
            v = float(s[c.target_year])
            rows.append(_row(c, method="observed", value=v, meets=bool(meets_target(v, c.target_value, c.direction,
                                                                                    c.tolerance))))
            continue
        s = s[s.index <= last].iloc[-plan.trend_years:]
        if len(s) < 3:
            rows.append(_row(c, method="none", note="fewer than 3 observed years"))
            continue
        v, lo, hi = linear_trend(s.index, s.to_numpy(), c.target_year)
        meets = bool(meets_target(v, c.target_value, c.direction, c.tolerance))
        rows.append(_row(c, method="trend", value=v, low=lo, high=hi, trend_from=int(s.index[0]),
                         trend_to=int(s.index[-1]), meets=meets))
    order = {c.id: i for i, c in enumerate(plan.criteria)}
    out = pd.DataFrame(rows, columns=OUTLOOK_COLUMNS)
    out = out.sort_values("criterion", key=lambda s: s.map(order), kind="stable", ignore_index=True)
    plan.cache[key] = out
    return out.copy()


def _projection_rows(plan: "Plan", demo: list, scen: list[str], trajectories: int, seed: int) -> list[dict]:
    from ..projection import ProjectionData, project
    from ..projection.build_intervals import INTERVAL_LEVEL, backtest_errors_of_build, interval_model_of_build

    code = plan.territory.code
    to_year = max(c.target_year for c in demo) + 1  # events of the target year end on 1 January after it
    # the inputs of every territory (the workspace's, when the plan has one), read once for both projections
    data = ProjectionData.from_store(None, data_dir=plan.data_dir)
    res = project(code, to_year=to_year, scenario=scen, data=data, data_dir=plan.data_dir)
    plan.cache["projection"] = res
    proj = projected_indicators(res, sorted({c.indicator for c in demo}), code)
    quant = None
    band = ""
    if trajectories and any(c.indicator == "population" for c in demo):
        # the back-test errors and the interval model of the build, computed once for every plan and
        # report on it (projection/build_intervals.py); None: data too short, the band uncalibrated
        errors = backtest_errors_of_build(data, plan.data_dir, purpose="the probability's stochastic band")
        model = None if errors is None else interval_model_of_build(errors, data, plan.data_dir, res.base_year,
                                                                    INTERVAL_LEVEL)
        # the reference rates of the projection above: the rates are not estimated again, and the stochastic
        # model is fitted on all municipalities, as for the scenario report (not on the plan's territory alone)
        st = project(code, to_year=to_year, scenario=next(iter(res.scenarios.values())), reference=res.reference,
                     data=data, data_dir=plan.data_dir, stochastic=int(trajectories), seed=seed,
                     quantiles=PROBABILITY_QUANTILES, interval_level=INTERVAL_LEVEL, interval_model=model,
                     calibrate_stochastic=model is not None)
        q = st.quantiles  # of both sexes, all ages
        quant = q[q["territory_code"] == code]
        plan.cache["quantiles"] = quant
        band = "calibrated" if model is not None else "uncalibrated"
        plan.cache["band"] = band
    rows = []
    for c in demo:
        sub = proj[(proj["indicator"] == c.indicator) & (proj["year"] == c.target_year)].set_index("scenario")["value"]
        inflow = _inflow_row(plan, c, res, scen[0])
        for k, sc in enumerate(scen):
            v = float(sub.get(sc, np.nan))
            row = _row(c, method="projection", scenario=sc, value=v, trend_from=res.base_year,
                       meets=bool(meets_target(v, c.target_value, c.direction, c.tolerance)))
            if k == 0:
                row.update(inflow)
                if quant is not None and c.indicator == "population":
                    qy = quant[quant["year"] == c.target_year].sort_values("quantile")
                    qd = dict(zip(qy["quantile"].round(2), qy["value"]))
                    row.update(low=qd.get(0.1, np.nan), high=qd.get(0.9, np.nan), band=band,
                               probability=probability_from_quantiles(qy["quantile"], qy["value"], c.target_value,
                                                                      c.direction,
                                                                      default_tolerance(c.direction, c.target_value,
                                                                                        c.tolerance)))
            rows.append(row)
    return rows


def plan_summary(plan: "Plan", lang: str = "en", scenarios: Sequence[str] | None = None, trajectories: int = 500,
                 seed: int = 2026) -> pd.DataFrame:
    """The monitoring table: one row per criterion with its latest status and its outlook.

    Columns: ``criterion, name, indicator, unit, direction, base_year, base_value, target_year,
    target_value, year, actual, planned, gap, status, status_label, outlook_method,
    outlook_scenario, outlook_value, outlook_low, outlook_high, scenario_min, scenario_max,
    probability, band, inflow, inflow_profile`` (``status_label`` and ``name`` in ``lang``; the outlook
    of the first scenario, or the trend).
    """
    from .texts import status_label

    latest = plan.latest().set_index("criterion")
    out = plan_outlook(plan, scenarios, trajectories, seed)
    rows = []
    for c in plan.criteria:
        r = latest.loc[c.id]
        o = out[out["criterion"] == c.id]
        first = o.iloc[0]
        proj = o[o["method"] == "projection"]["value"]
        rows.append({
            "criterion": c.id, "name": c.name(lang), "indicator": c.indicator, "unit": c.unit,
            "direction": c.direction, "base_year": c.base_year, "base_value": c.base_value,
            "target_year": c.target_year, "target_value": c.target_value, "year": int(r["year"]),
            "actual": r["actual"], "planned": r["planned"], "gap": r["gap"], "status": r["status"],
            "status_label": status_label(r["status"], lang), "outlook_method": first["method"],
            "outlook_scenario": first["scenario"], "outlook_value": first["value"], "outlook_low": first["low"],
            "outlook_high": first["high"], "scenario_min": proj.min() if len(proj) else np.nan,
            "scenario_max": proj.max() if len(proj) else np.nan, "probability": first["probability"],
            "band": first["band"],
            "inflow": first["inflow"], "inflow_profile": first["inflow_profile"],
        })
    return pd.DataFrame(rows)
