r"""Empirical prediction intervals from out-of-sample errors, and their coverage.

A projection's 80 % interval should contain what later happens in about 80 % of cases. The
stochastic model's band (:mod:`.stochastic`) is built from the year-to-year noise of the
histories and says nothing about how wrong the *method* has been; on the lt-osp extract its
10-90 % band contained the later published total for only about one municipality in eight.
These intervals come instead from the method's own past errors (Rayer, Smith & Tayman 2009,
"Empirical prediction intervals for county population forecasts", *Population Research and
Policy Review* 28: 773-793; Smith, Tayman & Swanson 2013, ch. 13):

* errors of the back-test (:func:`~cityindicators.projection.backtest.out_of_sample_errors`,
  method ``default``) as log ratios ``e = log(F / A)`` (positive: the projection was too high),
  by measure (total, 0-14, 15-64, 65+, median age) and *size class* of the territory's
  population at the origin (:data:`SIZE_CLASSES`; small municipalities err more);
* errors grow about in proportion to the horizon ``h`` (Rayer et al. 2009; Smith et al. 2013),
  so the errors of all horizons are pooled as ``|e| / h`` and the interval at level ``L`` (0.8)
  for a projection ``F`` at horizon ``h`` is

  .. math::  \left[F e^{-k q h},\; F e^{k q h}\right], \qquad q = Q_L\!\left(\frac{|e|}{h}\right),

  ``Q_L`` the ``L`` quantile over the errors of the measure and size class (over all classes
  when the class has fewer than ``min_errors``); symmetric on the log scale, because the sign of
  past errors changes from period to period;
* the factor ``k`` recalibrates for what pooled past errors miss (errors of one origin are
  correlated across territories, so a few origins understate the spread): ``k`` is the ``L``
  quantile of ``|e| / (q' h)`` over the cases that intervals made at *earlier* origins (with their
  own ``q'``) would have had to cover and whose outcome is known by now, per measure (1 without
  such cases). It is a nested, time-ordered calibration: it uses no outcome later than the origin.

Honesty of the coverage. :func:`interval_coverage` scores origin ``Y`` only with intervals
built from the errors observable by 1 January ``Y`` (back-tests with ``origin + horizon <= Y``),
``q`` and ``k`` alike, so the reported coverage is out of sample: the way a user at ``Y`` would
have used them. The exponent 1 of the horizon is the literature's, not fitted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..exceptions import ProjectionError

__all__ = ["SIZE_CLASSES", "SIZE_CLASSES_LT", "out_of_sample_errors_cached", "size_class", "base_sizes", "log_errors", "IntervalModel",
           "fit_interval_model", "apply_intervals", "interval_coverage"]

#: Size classes by residents at the origin: label -> (lower, upper) with ``lower <= P < upper``.
SIZE_CLASSES: dict[str, tuple[float, float]] = {
    "under 20,000": (0.0, 20_000.0),
    "20,000-39,999": (20_000.0, 40_000.0),
    "40,000 and over": (40_000.0, np.inf),
}
#: Lithuanian labels of the size classes.
SIZE_CLASSES_LT: dict[str, str] = {
    "under 20,000": "iki 20 000",
    "20,000-39,999": "20 000–39 999",
    "40,000 and over": "40 000 ir daugiau",
}


def size_class(population: "float | np.ndarray | pd.Series") -> np.ndarray:
    """Label of :data:`SIZE_CLASSES` for each population."""
    p = np.atleast_1d(np.asarray(population, dtype=float))
    out = np.empty(p.shape, dtype=object)
    for label, (lo, hi) in SIZE_CLASSES.items():
        out[(p >= lo) & (p < hi)] = label
    return out


def base_sizes(population: pd.DataFrame) -> pd.DataFrame:
    """``territory_code, base_year, size_class`` from a population frame's all-ages totals
    (single ages summed where no all-ages row is published)."""
    pop = population[population["sex"].isin(["male", "female"]) & population["age"].notna()]
    tot = pop.groupby(["territory_code", "year"], sort=False)["value"].sum().reset_index()
    tot = tot.rename(columns={"year": "base_year"})
    tot["size_class"] = size_class(tot["value"].to_numpy())
    return tot[["territory_code", "base_year", "size_class"]]


def _log_errors(errors: pd.DataFrame, sizes: pd.DataFrame, method: str) -> pd.DataFrame:
    e = errors[(errors["method"] == method) & (errors["forecast"] > 0) & (errors["actual"] > 0)]
    e = e.assign(territory_code=e["territory_code"].astype(str), group=e["group"].astype(str))
    e = e.merge(sizes, on=["territory_code", "base_year"], how="left")
    if e["size_class"].isna().any():
        missing = e.loc[e["size_class"].isna(), ["territory_code", "base_year"]].iloc[0].tolist()
        raise ProjectionError(f"no base population to classify territory {missing[0]} at origin {missing[1]}")
    return e.assign(log_error=np.log(e["forecast"].to_numpy(float) / e["actual"].to_numpy(float)))


@dataclass
class IntervalModel:
    """Empirical interval widths fitted on the errors observable by 1 January ``origin``.

    Attributes
    ----------
    widths
        ``group, size_class, q, n, source``: ``q`` the ``level`` quantile of ``|log(F/A)| / h`` and
        the number of errors behind it (``source`` ``class`` or ``all classes``).
    factors
        ``k`` by group (the nested recalibration; 1 where no earlier interval could be scored).
    """

    origin: int
    level: float
    widths: pd.DataFrame
    factors: pd.Series

    def half_width(self, group: Sequence[str], size_class: Sequence[str], horizon: Sequence[int]) -> np.ndarray:
        """``k q h`` (log scale) for each case; NaN where the group has no errors."""
        w = pd.DataFrame({"group": list(group), "size_class": list(size_class)}).merge(
            self.widths[["group", "size_class", "q"]], on=["group", "size_class"], how="left")
        k = pd.Series(list(group)).map(self.factors).fillna(1.0).to_numpy(float)
        return k * w["q"].to_numpy(float) * np.asarray(horizon, dtype=float)


def _widths(log_errors: pd.DataFrame, level: float, min_errors: int) -> pd.DataFrame:
    """``group, size_class, q, n, source`` from the errors given (all of them)."""
    z = log_errors.assign(z=np.abs(log_errors["log_error"]) / log_errors["horizon"].astype(float))
    rows = []
    for group, zg in z.groupby("group", sort=False):
        if len(zg) < min_errors:
            continue
        q_all = float(np.quantile(zg["z"], level))
        for cls in SIZE_CLASSES:
            own = zg.loc[zg["size_class"] == cls, "z"]
            if len(own) >= min_errors:
                rows.append((str(group), cls, float(np.quantile(own, level)), len(own), "class"))
            else:
                rows.append((str(group), cls, q_all, len(zg), "all classes"))
    return pd.DataFrame(rows, columns=["group", "size_class", "q", "n", "source"])


def fit_interval_model(log_errors: pd.DataFrame, origin: int, level: float = 0.8, min_errors: int = 20,
                       calibrate: bool = True, _widths_at: dict[int, pd.DataFrame] | None = None) -> IntervalModel:
    """The interval model a user at 1 January ``origin`` could have fitted (see the module docstring).

    ``log_errors`` has ``base_year, horizon, group, size_class, log_error`` (see
    :func:`log_errors`); only rows with ``base_year + horizon <= origin`` are used.

    Raises
    ------
    ProjectionError
        ``level`` outside (0, 1), or no error observable by ``origin``.
    """
    if not 0 < level < 1:
        raise ProjectionError(f"interval level must lie strictly between 0 and 1, got {level}")
    e = log_errors
    cache = {} if _widths_at is None else _widths_at  # widths by origin (interval_coverage reuses them)

    def widths_at(Y: int) -> pd.DataFrame:
        if Y not in cache:
            cache[Y] = _widths(e[(e["base_year"] + e["horizon"]) <= Y], level, min_errors)
        return cache[Y]

    seen = e[(e["base_year"] + e["horizon"]) <= origin]
    widths = widths_at(int(origin))
    if widths.empty:
        raise ProjectionError(f"no back-test errors observable by {origin} to build intervals from")
    factors = pd.Series(1.0, index=widths["group"].unique())
    if calibrate:
        cases = []
        for Y in sorted(int(y) for y in seen["base_year"].unique()):  # intervals made at earlier origins
            w = widths_at(Y)
            if w.empty:
                continue
            cur = seen[seen["base_year"] == Y].merge(w[["group", "size_class", "q"]], on=["group", "size_class"])
            cases.append(cur.assign(r=np.abs(cur["log_error"]) / (cur["q"] * cur["horizon"].astype(float))))
        if cases:
            r = pd.concat(cases, ignore_index=True)
            k = r[np.isfinite(r["r"])].groupby("group")["r"].quantile(level)
            factors.update(k)
    return IntervalModel(origin=int(origin), level=float(level), widths=widths, factors=factors)


def log_errors(errors: pd.DataFrame, population: pd.DataFrame, method: str = "default") -> pd.DataFrame:
    """The back-test rows of ``method`` with ``size_class`` (at the origin) and ``log_error = log(F / A)``."""
    return _log_errors(errors, base_sizes(population), method)


def apply_intervals(forecast: pd.DataFrame, model: IntervalModel) -> pd.DataFrame:
    """``forecast`` (``group, size_class, horizon, value`` and any other columns) with ``lower`` and
    ``upper``: ``value * exp(-/+ k q h)`` of ``model``."""
    hw = model.half_width(forecast["group"], forecast["size_class"], forecast["horizon"])
    return forecast.assign(lower=forecast["value"].to_numpy(float) * np.exp(-hw),
                           upper=forecast["value"].to_numpy(float) * np.exp(hw))


def interval_coverage(errors: pd.DataFrame, population: pd.DataFrame, level: float = 0.8,
                      method: str = "default", min_errors: int = 20) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Out-of-sample coverage of the empirical intervals (see the module docstring).

    Parameters
    ----------
    errors
        Back-test errors (``base_year, horizon, territory_code, group, method, forecast, actual``).
    population
        The population frame the back-test was run on (sizes at each origin).

    Returns
    -------
    (by_horizon, cases)
        ``by_horizon``: ``group, horizon, coverage, n, origins`` (share of cases whose actual lay
        inside the interval built only from errors observable at their origin); ``cases``: one row
        per scored case with ``half_width`` (``k q h``) and ``inside``.
    """
    e = log_errors(errors, population, method)
    parts, cache = [], {}
    for Y in sorted(int(y) for y in e["base_year"].unique()):
        if len(e[(e["base_year"] + e["horizon"]) <= Y]) < min_errors:
            continue  # too few errors observable yet: no interval at this origin
        try:
            model = fit_interval_model(e, Y, level, min_errors, _widths_at=cache)
        except ProjectionError:
            continue
        cur = e[e["base_year"] == Y]
        hw = model.half_width(cur["group"], cur["size_class"], cur["horizon"])
        cur = cur.assign(half_width=hw)[np.isfinite(hw)]
        parts.append(cur.assign(inside=np.abs(cur["log_error"]) <= cur["half_width"]))
    if not parts:
        raise ProjectionError("no origin has earlier back-test errors to build intervals from")
    cases = pd.concat(parts, ignore_index=True)
    by = cases.groupby(["group", "horizon"], sort=False).agg(
        coverage=("inside", "mean"), n=("inside", "size"), origins=("base_year", "nunique")).reset_index()
    return by, cases


_ERRORS_CACHE: dict[tuple, pd.DataFrame] = {}


def out_of_sample_errors_cached(data, data_dir=None) -> pd.DataFrame:
    """:func:`~cityindicators.projection.backtest.out_of_sample_errors` of ``data``, computed once per
    process for the same data (keyed by ``data_dir`` and a hash of the population, births and deaths),
    so that a batch of reports on one data directory runs the back-test once."""
    from .backtest import out_of_sample_errors

    key = (str(data_dir),) + tuple(int(pd.util.hash_pandas_object(getattr(data, n), index=False).sum())
                                   for n in ("population", "births", "deaths"))
    if key not in _ERRORS_CACHE:
        _ERRORS_CACHE.clear()  # one data set at a time: the frames are large
        _ERRORS_CACHE[key] = out_of_sample_errors(data)
    return _ERRORS_CACHE[key]
