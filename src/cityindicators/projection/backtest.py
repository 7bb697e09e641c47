"""Back-testing: project from data up to a base year and compare with what happened.

For a base year ``Y`` and horizon ``H`` every method sees population data up to 1 January
``Y`` (and births/deaths up to ``Y - 1``) only, and its populations of ``Y + H`` are compared
with the published ones for the total and the groups 0-14, 15-64 and 65+ of each municipality:

* ``APE = |F - A| / A * 100`` (absolute percentage error); ``MAPE`` is its mean over
  territories, ``MSPE`` (mean signed percentage error) the mean of ``(F - A) / A * 100``
  (positive = projections too high);
* baselines on the same data: ``constant`` (``F = P_Y``), ``linear`` and ``exponential``
  (OLS of ``P`` or ``log P`` on the years ``Y - 5 .. Y``), and ``hamilton-perry`` (cohort-change
  ratios: ``P_{x+1}(t+1) = P_x(t) * CCR_x`` with ``CCR_x = sum_y P_{x+1}(y+1) / sum_y P_x(y)``
  over ``y = Y-5 .. Y-1``, the open group fed by the last two ages, and age 0 from the
  child-woman ratio ``P_0(y+1) / W_{15-49}(y)`` by sex; Hamilton & Perry 1962, Swanson, Schlottmann
  & Schmidt 2010, *Population Research and Policy Review* 29), iterated ``H`` times.

The default method is the cohort-component projection under the ``baseline`` scenario with
the default :class:`~cityindicators.projection.rates.EstimationSettings`: net migration is an
equal-weight combination of the robust cohort residuals and the Hamilton-Perry-implied rates of
the same window, children 0-14 migrate with their mothers (family model) and in-migrant counts
follow the size of the national pool (see :mod:`.rates`). Results on the lt-osp extract (base
years 2006-2014, horizons 1-9, MAPE averaged over base years; full table in
``docs/BACKTEST.md``): it beats every baseline in 35 of the 36 (horizon, group) cells and at
2010+5 on all four groups (by 0.004 MAPE points only on 15-64). It trails Hamilton-Perry on 65+
at horizon 9 (3.71 against 3.50, one base year, 2006), where Hamilton-Perry wins by offsetting
errors within the group (it under-projects 85+ by 6 % and over-projects 65-74 by 1.5 %), not by
tracking the single ages better.

Calibrating the stochastic intervals: the back-test errors of the default method at horizon
``h`` give an empirical distribution of ``log(F / A)``; :func:`empirical_interval_scale`
compares its 10-90 % spread with the spread of the stochastic trajectories at the same
horizon and returns the factor by which the innovation standard deviations
(:attr:`StochasticSettings.scale`) should be multiplied so that the nominal 80 % interval
would have covered 80 % of the past errors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..exceptions import ProjectionError
from .api import resolve_territories, run_schedule
from .data import ProjectionData
from .rates import BROAD_AGE_GROUPS, EstimationSettings, _population_array, estimate_rates
from .scenarios import load_scenario
from .schedule import build_schedule

__all__ = ["BacktestResult", "backtest", "backtest_grid", "METHODS", "DEFAULT_METHOD", "empirical_interval_scale"]

log = logging.getLogger(__name__)

DEFAULT_METHOD = "cohort-component"
METHODS = (DEFAULT_METHOD, "constant", "linear", "exponential", "hamilton-perry")
GROUPS = ("total", *BROAD_AGE_GROUPS)
BASE_PERIOD = 5


def _groups(pop: np.ndarray) -> np.ndarray:
    """``[..., 4]`` total, 0-14, 15-64, 65+ from ``[..., sex, age]``."""
    p = pop.sum(-2)
    cols = [p.sum(-1)] + [p[..., lo:(None if hi is None else hi + 1)].sum(-1) for lo, hi in BROAD_AGE_GROUPS.values()]
    return np.stack(cols, axis=-1)


def _hamilton_perry(P: np.ndarray, H: int) -> np.ndarray:
    """Project ``P[T, y, 2, A]`` (last year = base, ``BASE_PERIOD + 1`` years) ``H`` years by 1-year CCRs."""
    p0, p1 = P[:, :-1], P[:, 1:]
    num = np.zeros(P.shape[:1] + P.shape[2:])
    den = np.zeros_like(num)
    num[..., 1:] = p1[..., 1:].sum(1)
    den[..., 1:] = p0[..., :-1].sum(1)
    den[..., -1] += p0[..., -1].sum(1)
    ccr = num / np.maximum(den, 1e-9)
    women = p0[:, :, 1, 15:50].sum(-1).sum(1)  # [T]
    cwr = p1[..., 0].sum(1) / np.maximum(women, 1e-9)[:, None]  # [T, 2]
    cur = P[:, -1].copy()
    for _ in range(H):
        nxt = np.empty_like(cur)
        nxt[..., 1:] = cur[..., :-1] * ccr[..., 1:]
        nxt[..., -1] += cur[..., -1] * ccr[..., -1]
        nxt[..., 0] = cwr * cur[:, 1, 15:50].sum(-1)[:, None]
        cur = nxt
    return cur


def _extrapolate(g: np.ndarray, years: np.ndarray, target: int, log_scale: bool) -> np.ndarray:
    """OLS line through ``g[T, y, k]`` against ``years`` evaluated at ``target``."""
    y = np.log(np.maximum(g, 1e-9)) if log_scale else g
    x = years - years.mean()
    slope = (x[None, :, None] * (y - y.mean(1, keepdims=True))).sum(1) / (x**2).sum()
    pred = y.mean(1) + slope * (target - years.mean())
    return np.exp(pred) if log_scale else pred


@dataclass
class BacktestResult:
    """Errors of every method for one base year and horizon.

    Attributes
    ----------
    errors
        ``method, territory_code, group, forecast, actual, error_pct`` (signed, per cent).
    table
        ``method, group, mape, mspe, n``: mean absolute and mean signed percentage errors.
    """

    base_year: int
    horizon: int
    errors: pd.DataFrame
    table: pd.DataFrame

    def wins(self) -> pd.DataFrame:
        """Per group: the default method's MAPE, the best baseline's and whether the default is lower."""
        t = self.table.pivot(index="group", columns="method", values="mape")
        base = t.drop(columns=[DEFAULT_METHOD])
        return pd.DataFrame({
            "default_mape": t[DEFAULT_METHOD], "best_baseline": base.idxmin(axis=1),
            "best_baseline_mape": base.min(axis=1), "beats_all": t[DEFAULT_METHOD] < base.min(axis=1),
        }).reindex(list(GROUPS))


def backtest(
    data: ProjectionData,
    base_year: int,
    horizon: int,
    territories: str | Sequence[str] | None = "all",
    settings: EstimationSettings | None = None,
    scenario: str = "baseline",
    register=None,
) -> BacktestResult:
    """Back-test the default method (cohort-component, ``scenario``) against naive baselines.

    Raises
    ------
    ProjectionError
        No actual population for ``base_year + horizon`` or too little history before ``base_year``.
    """
    if register is None:
        from ..geography import get_register

        register = get_register()
    Y, H = int(base_year), int(horizon)
    if H < 1:
        raise ProjectionError(f"horizon must be at least 1 year, got {H}")
    codes = resolve_territories(territories, data, register)
    pop = data.population
    pa = _population_array(pop[pop["territory_code"].astype(str).isin(codes)])
    years = np.array(pa.years)
    need = list(range(Y - BASE_PERIOD, Y + 1))
    if Y + H not in pa.years:
        raise ProjectionError(f"no actual population for {Y + H} to compare with (data: {years[0]}-{years[-1]})")
    if not set(need) <= set(pa.years):
        raise ProjectionError(f"back-test base year {Y} needs population for {need[0]}-{Y} (data from {years[0]})")
    order = [pa.codes.index(c) for c in codes]
    P = pa.values[order]
    hist = P[:, [pa.years.index(y) for y in need]]  # [T, 6, 2, A]
    actual = _groups(P[:, pa.years.index(Y + H)])

    fc: dict[str, np.ndarray] = {}
    rates = estimate_rates(data, codes, Y, settings, register=register)
    arr = run_schedule(build_schedule(rates, load_scenario(scenario), Y + H))
    fc[DEFAULT_METHOD] = _groups(arr.population[H])
    g_hist = _groups(hist)  # [T, 6, 4]
    fc["constant"] = g_hist[:, -1]
    fc["linear"] = np.maximum(_extrapolate(g_hist, np.array(need, dtype=float), Y + H, False), 0)
    fc["exponential"] = _extrapolate(g_hist, np.array(need, dtype=float), Y + H, True)
    fc["hamilton-perry"] = _groups(_hamilton_perry(hist, H))

    rows = []
    for method in METHODS:
        err = (fc[method] - actual) / actual * 100
        for k, g in enumerate(GROUPS):
            rows.append(pd.DataFrame({"method": method, "territory_code": codes, "group": g,
                                      "forecast": fc[method][:, k], "actual": actual[:, k], "error_pct": err[:, k]}))
    errors = pd.concat(rows, ignore_index=True)
    table = errors.groupby(["method", "group"], sort=False)["error_pct"].agg(
        mape=lambda e: e.abs().mean(), mspe="mean", n="count").reset_index()
    log.info("back-test %d+%d over %d territories", Y, H, len(codes))
    return BacktestResult(Y, H, errors, table)


def backtest_grid(
    data: ProjectionData,
    base_years: Sequence[int] | None = None,
    horizons: Sequence[int] | None = None,
    settings: EstimationSettings | None = None,
    territories: str | Sequence[str] | None = "all",
) -> pd.DataFrame:
    """Back-test every (base year, horizon) pair the data allow.

    Defaults: every base year with ``BASE_PERIOD`` years of history before it, every horizon up
    to the last population year. Returns the tables stacked with ``base_year`` and ``horizon``.
    """
    yrs = sorted(int(y) for y in data.population.loc[data.population["age"].notna(), "year"].unique())
    first, last = yrs[0], yrs[-1]
    base_years = list(base_years or range(first + BASE_PERIOD, last))
    out = []
    for Y in base_years:
        for H in (horizons or range(1, last - Y + 1)):
            if Y + H > last:
                continue
            r = backtest(data, Y, H, territories=territories, settings=settings)
            out.append(r.table.assign(base_year=Y, horizon=H))
    if not out:
        raise ProjectionError("the data allow no back-test (need six years of history and a later year)")
    return pd.concat(out, ignore_index=True)


def empirical_interval_scale(errors: pd.DataFrame, model_spread: float, group: str = "total",
                             lower: float = 0.1, upper: float = 0.9) -> float:
    """Factor for :attr:`StochasticSettings.scale` from back-test errors.

    Parameters
    ----------
    errors
        :attr:`BacktestResult.errors` (one base year and horizon ``h``).
    model_spread
        The stochastic model's mean ``log(q_upper / q_lower)`` of the same group at horizon ``h``
        (e.g. from a run with ``scale=1``).

    Returns
    -------
    float
        ``empirical spread / model spread``, where the empirical spread is the
        ``upper - lower`` quantile range of ``log(F / A)`` of the default method. Multiplying
        the innovation standard deviations by it makes the model's 10-90 % band as wide as the
        band that would have covered 80 % of the past errors (to first order: quantile spreads
        grow linearly with the innovation scale).
    """
    e = errors[(errors["method"] == DEFAULT_METHOD) & (errors["group"] == group)]
    le = np.log(e["forecast"].to_numpy() / e["actual"].to_numpy())
    spread = float(np.quantile(le, upper) - np.quantile(le, lower))
    if model_spread <= 0:
        raise ProjectionError("model spread must be positive")
    return spread / model_spread
