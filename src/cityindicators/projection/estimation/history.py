"""Stage 6 of the estimation: annual histories for trends and the stochastic model.

The crude net migration rate of each event year from the balancing equation
``(P_{y+1} - P_y - B_y + D_y) / P_y``; the territory's life expectancy by year (the reference's
published series shifted by the territory's difference from its recent level); the
exponential growth rate of the total population, the OLS slope of ``log P`` over the years
``Y - 5 .. Y``; and the exponential trend of the median age over the same years (the partner of the
age-structure combination, :func:`~cityindicators.projection.schedule.age_structure_adjustment`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..agegroups import median_age
from .common import ols_slope
from .inputs import EstimationInputs
from .mortality import Mortality

__all__ = ["History", "TOTAL_TREND_YEARS", "estimate_history"]

#: Years before the base year whose totals give the exponential trend of the forecast combination.
TOTAL_TREND_YEARS = 5


@dataclass(frozen=True)
class History:
    """Histories over the event years ``years`` ``[H]``: ``netmig`` ``[T, H]`` (per person),
    ``e0`` ``[T, 2, H]``; the total's trend ``total_trend`` ``[T]`` (per year) and the median age's
    ``median_age_trend`` ``[T, 2]``: the OLS line of ``log`` median age on the years ``Y - 5 .. Y``,
    its value at ``Y`` and its slope (per year), so ``m(Y + h) = exp(a + s h)`` (the ``exponential``
    back-test baseline of the median age)."""

    years: np.ndarray
    netmig: np.ndarray
    e0: np.ndarray
    total_trend: np.ndarray
    median_age_trend: np.ndarray


def estimate_history(inp: EstimationInputs, mortality: Mortality) -> History:
    """The histories of the territories of ``inp`` (see the module docstring)."""
    P, yi, Y, T, ev_years = inp.population, inp.year_index, inp.base_year, len(inp.codes), inp.event_years
    B_tot, D_tot = inp.births_total, inp.deaths_total
    le_years, e0_ref_hist, ridx = mortality.le_years, mortality.ref_e0_history, mortality.ref_index
    e0, e0_ref_now = mortality.e0, mortality.ref_e0_now
    hist_years = np.array(ev_years)
    tot = np.nansum(P, axis=(2, 3))  # [T, Yh]
    tw = [y for y in range(Y - TOTAL_TREND_YEARS, Y + 1) if y in yi]
    xw = np.array(tw, dtype=float)
    total_trend = ols_slope(np.log(np.maximum(tot[:, [yi[y] for y in tw]], 1.0)), xw)
    pw = P[:, [yi[y] for y in tw]]  # [T, len(tw), 2, k + 1]
    seen = np.isfinite(pw).all((-2, -1)) & (np.nansum(pw, axis=(-2, -1)) > 0)
    log_med = np.where(seen, np.log(np.maximum(median_age(np.nan_to_num(pw)), 0.5)), np.nan)
    med_slope = ols_slope(log_med, xw)  # 0 with fewer than three years
    n_seen = np.maximum(seen.sum(1), 1)
    x_mean = np.where(seen, xw, 0.0).sum(1) / n_seen
    # the fitted line at the base year (the base year's own median age when no year was seen)
    med_level = np.where(seen, log_med, 0.0).sum(1) / n_seen + med_slope * (Y - x_mean)
    median_age_trend = np.stack([med_level, med_slope], axis=-1)
    netmig_hist = np.full((T, len(ev_years)), np.nan)
    for j, y in enumerate(ev_years):
        if y in yi and y + 1 in yi:
            netmig_hist[:, j] = (tot[:, yi[y + 1]] - tot[:, yi[y]] - B_tot[:, j] + D_tot[:, j]) / tot[:, yi[y]]
    le_idx = np.array([le_years.index(y) if y in le_years else -1 for y in ev_years])
    e0_hist = np.full((T, 2, len(ev_years)), np.nan)
    okl = le_idx >= 0
    e0_ref_t = e0_ref_hist[ridx]  # [T, 2, H]
    e0_hist[..., okl] = e0_ref_t[..., le_idx[okl]] + (e0 - e0_ref_now[ridx])[..., None]
    return History(years=hist_years, netmig=netmig_hist, e0=e0_hist, total_trend=total_trend,
                   median_age_trend=median_age_trend)
