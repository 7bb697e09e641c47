r"""Empirical prediction intervals from out-of-sample errors, and their coverage.

A projection's 80 % interval should contain what later happens in about 80 % of cases. The
stochastic model's band (:mod:`.stochastic`) is built from the year-to-year noise of the
histories and says nothing about how wrong the *method* has been; uncalibrated, it was too narrow
on the lt-osp back-test, most of all for the children (docs/INTERVALS.md), and
:mod:`.calibration` scales it to the intervals of this module. These intervals come instead
from the method's own past errors (Rayer, Smith & Tayman 2009, "Empirical prediction intervals
for county population forecasts", *Population Research and Policy Review* 28: 773-793; Smith,
Tayman & Swanson 2013, ch. 13):

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

Options of :func:`fit_interval_model` (the defaults above are the literature's method, the
*prior* variant): ``growth="fitted"`` replaces the exponent 1 of the horizon by ``b``, the slope of
``log Q_h`` on ``log h`` over the horizons observed at the origin (:func:`growth_exponents`;
``"fitted-min1"`` that slope but at least 1, ``"fast"`` a fixed 1.5: :data:`GROWTH_LAWS`);
``small_sample=True`` widens the bounds by :func:`small_sample_factor` of the number of origins
behind them (errors of one origin share its shocks: a few origins are a few draws);
``common=True`` separates each origin's shared shock from the territories' own errors and sizes
it with Student's t (:func:`common_shocks`); ``calibrate=False`` drops ``k``;
``asymmetric=("median_age",)`` bounds a measure by the ``(1 -/+ L) / 2`` quantiles of the signed
errors instead of ``+/- q`` (not among the variants chosen from: the median age's lean changed
sign at the 2011 census).

Which variant. :data:`INTERVAL_VARIANTS` are the 24 combinations of the first four options.
The variant is chosen like the back-test's settings, nested and time-ordered
(:func:`select_interval_variant`, :func:`nested_interval_coverage`): at origin ``Y`` each
variant's intervals made at earlier origins are scored on the cases known by ``Y`` (the mean over
measures and horizons of ``|coverage - L|``); among those within one standard error (across the
origins scored) of the best score, the one that covered most of the known cases is chosen (the
``cautious`` rule: the record holds only the horizons already observed, and what it cannot show
is a band too narrow beyond them), the prior where none could be scored. The
choice on all the errors of the lt-osp extract is shipped (:data:`DEFAULT_VARIANT`,
:func:`shipped_interval_model`); docs/INTERVALS.md reports the coverage of the choice made origin
by origin, beside the previous rule's (``closest``: the lowest score), the diagnosis of its
misses (:func:`coverage_diagnosis`) and each variant's own record. For the median age coverage
stays below the goal from horizon 4 on: its long horizons are scored only on origins 2007-2010,
whose projections ran across the 2011 census revision, a step larger than any error known before.

The median age (years) has its own intervals, from its own errors:
:func:`~cityindicators.projection.api.empirical_intervals` applies the model of
:data:`MEDIAN_AGE_VARIANT` (:func:`shipped_median_age_model`: the same rule's choice for the median
age alone, among :data:`MEDIAN_AGE_VARIANTS`, which add growth laws that do not let the band grow
slower than the horizon) to the group ``median_age`` of the projected population's median ages
(:func:`median_ages`).

Honesty of the coverage. :func:`interval_coverage` scores origin ``Y`` only with intervals
built from the errors observable by 1 January ``Y`` (back-tests with ``origin + horizon <= Y``),
``q``, ``b`` and ``k`` alike, so the reported coverage is out of sample: the way a user at ``Y``
would have used them; :func:`nested_interval_coverage` adds the choice of the variant to what
is made at ``Y``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..exceptions import ProjectionError
from .agegroups import median_age
from .sizeclasses import SIZE_CLASSES, SIZE_CLASSES_LT, size_class

__all__ = ["SIZE_CLASSES", "SIZE_CLASSES_LT", "ASYMMETRIC_GROUPS", "EXPONENT_BOUNDS",
           "size_class", "base_sizes", "log_errors", "IntervalModel", "growth_exponents", "fit_interval_model",
           "apply_intervals", "median_ages", "interval_coverage", "coverage_diagnosis", "common_shocks",
           "INTERVAL_VARIANTS",
           "MEDIAN_AGE_VARIANTS", "MEDIAN_AGE_VARIANT", "MEDIAN_AGE_GROUP", "GROWTH_LAWS", "PRIOR_VARIANT", "DEFAULT_VARIANT", "SELECTION_RULES", "select_interval_variant", "NestedCoverage",
           "nested_interval_coverage", "choose_variants",
           "shipped_interval_model", "shipped_median_age_model"]

def base_sizes(population: pd.DataFrame) -> pd.DataFrame:
    """``territory_code, base_year, size_class`` from a population frame (the sum of its single
    ages of both sexes)."""
    pop = population[population["sex"].isin(["male", "female"])]
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
    # plain object columns: the interval code selects and merges on them many times, which is slow on
    # pyarrow-backed strings
    return e.assign(log_error=np.log(e["forecast"].to_numpy(float) / e["actual"].to_numpy(float))).astype(
        {"territory_code": object, "group": object, "size_class": object, "method": object})


#: Measures whose errors lean one way on the lt-osp back-test (the median age: bias -3.8 % at ten
#: years), the candidates for asymmetric bounds (``asymmetric=``). Not the default: out of sample
#: the lean changed sign with the 2011 census revision, and asymmetric bounds covered less
#: (docs/INTERVALS.md compares the variants).
ASYMMETRIC_GROUPS: tuple[str, ...] = ("median_age",)
#: Bounds of the fitted growth exponent ``b`` of the errors with the horizon (1: proportional).
EXPONENT_BOUNDS: tuple[float, float] = (0.5, 2.0)


@dataclass
class IntervalModel:
    """Empirical interval bounds fitted on the errors observable by 1 January ``origin``.

    Attributes
    ----------
    widths
        ``group, size_class, lower, center, upper, q, n, source``: quantiles of the standardised
        errors ``z = log(F/A) / h^b`` (symmetric groups: ``-q, 0, q`` with ``q`` the ``level``
        quantile of ``|z|``; asymmetric ones: the ``(1 -/+ level) / 2`` and 0.5 quantiles of
        ``z``), the number of errors behind them and ``source`` ``class`` or ``all classes``.
    exponents
        ``b`` by group: the growth of the errors with the horizon (see :func:`fit_interval_model`).
    factors
        ``k`` by group (the nested recalibration; 1 where no earlier interval could be scored).
    reach
        With ``small_sample="horizon"``: the longest horizon known of each origin behind the
        errors, so that the widening at horizon ``h`` counts the origins that have reached it.
    """

    origin: int
    level: float
    widths: pd.DataFrame
    factors: pd.Series
    exponents: pd.Series | None = None
    reach: np.ndarray | None = None

    def bounds(self, group: Sequence[str], size_class: Sequence[str], horizon: Sequence[int]
               ) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi)``: the interval of the log error ``log(F/A)`` for each case,
        ``h^b (m + c k (l - m))`` and ``h^b (m + c k (u - m))`` (``c`` the ``inflation`` of the
        widths, 1 by default; with :attr:`reach`, :func:`small_sample_factor` of the number of
        origins whose known errors reach horizon ``h``, at least 1); NaN where the group has no errors."""
        g = pd.Series(np.asarray(group, dtype=object))
        w = pd.DataFrame({"group": g, "size_class": np.asarray(size_class, dtype=object)}).merge(
            self.widths[["group", "size_class", "lower", "center", "upper", "inflation"]], on=["group", "size_class"],
            how="left")
        k = g.map(self.factors).fillna(1.0).to_numpy(float) * w["inflation"].to_numpy(float)
        h = np.asarray(horizon, dtype=float)
        if self.reach is not None:
            reached = np.maximum((np.asarray(self.reach)[None, :] >= h[:, None]).sum(axis=1), 1)
            factor = {n: small_sample_factor(int(n), self.level) for n in np.unique(reached)}
            k = k * np.array([factor[n] for n in reached])
        b = np.ones(len(g)) if self.exponents is None else g.map(self.exponents).fillna(1.0).to_numpy(float)
        scale = h ** b
        m = w["center"].to_numpy(float)
        lo = scale * (m + k * (w["lower"].to_numpy(float) - m))
        hi = scale * (m + k * (w["upper"].to_numpy(float) - m))
        return lo, hi

    def half_width(self, group: Sequence[str], size_class: Sequence[str], horizon: Sequence[int]) -> np.ndarray:
        """Half the width of :meth:`bounds` on the log scale (``k q h^b`` for a symmetric group)."""
        lo, hi = self.bounds(group, size_class, horizon)
        return (hi - lo) / 2.0


def _quantile_row(z: np.ndarray, level: float, asymmetric: bool) -> tuple[float, float, float]:
    """``(lower, center, upper)`` of standardised errors ``z`` (see :class:`IntervalModel`)."""
    if asymmetric:
        lo, mid, hi = np.quantile(z, [(1 - level) / 2, 0.5, (1 + level) / 2])
        return float(lo), float(mid), float(hi)
    q = float(np.quantile(np.abs(z), level))
    return -q, 0.0, q


def small_sample_factor(origins: int, level: float) -> float:
    r"""``t_{(1+L)/2, d} / z_{(1+L)/2}`` with ``d`` the number of origins behind the errors: how much
    wider a prediction interval must be when its spread is estimated from few independent draws.

    The errors of one origin share that period's shocks (the 2010 declaration wave, the 2011
    census), so the quantiles rest on about as many independent draws as there are origins, not
    on their thousands of rows; Student's t with ``d`` degrees of freedom against the normal
    quantile is the usual widening of a prediction interval whose scale is estimated (1 with no
    origin count). For ``L = 0.8``: 2.40 with one origin, 1.47 with two, 1.07 with ten."""
    if origins < 1:
        return 1.0
    from scipy import stats

    p = (1 + level) / 2
    return float(stats.t.ppf(p, origins) / stats.norm.ppf(p))


def common_shocks(z: pd.DataFrame, level: float) -> tuple[np.ndarray, float]:
    r"""Split standardised errors into the shock their origin shared and the territories' own parts.

    ``z`` has ``base_year, horizon, z`` (one group). The common shock of an (origin, horizon) cell is
    the mean ``c`` of its ``z`` over territories; returns the own parts ``d = z - c`` (in the order
    of ``z``) and the half-width the common shock needs at ``level``,

    .. math::  q_c = t_{(1+L)/2,\, n_o}\, \sqrt{\overline{c^2}},

    the root mean square of the cells' ``c`` (about zero: a past lean counts as error, its sign
    is not assumed to repeat) times Student's t quantile with as many degrees of freedom ``n_o`` as
    there are origins: the shock of a new origin is one more draw from a spread estimated on
    ``n_o`` draws, while the own parts rest on thousands of rows."""
    cell = z.groupby(["base_year", "horizon"], sort=False)["z"].transform("mean").to_numpy(float)
    cells = z.groupby(["base_year", "horizon"], sort=False)["z"].mean().to_numpy(float)
    from scipy import stats

    n_o = int(z["base_year"].nunique())
    q_c = float(stats.t.ppf((1 + level) / 2, n_o) * np.sqrt(np.mean(cells ** 2)))
    return z["z"].to_numpy(float) - cell, q_c


def _widths(log_errors: pd.DataFrame, level: float, min_errors: int, exponents: pd.Series | None = None,
            asymmetric: Sequence[str] = (), small_sample: bool = False, common: bool = False) -> pd.DataFrame:
    """``group, size_class, lower, center, upper, q, n, origins, inflation, source`` from the errors given
    (all of them); ``inflation`` is :func:`small_sample_factor` (1 without ``small_sample``), applied
    by :meth:`IntervalModel.bounds` on top of the recalibration. ``common``: the bounds are
    ``+/- sqrt((c q_d)^2 + q_c^2)``, ``q_d`` the ``level`` quantile of the own parts' ``|d|``, ``q_c``
    the common shock's half-width (:func:`common_shocks`, already widened by Student's t) and ``c``
    the small-sample factor of the own parts (1 without ``small_sample``; ``inflation`` is then 1,
    so each part is widened once)."""
    b = 1.0 if exponents is None else log_errors["group"].map(exponents).fillna(1.0).to_numpy(float)
    z = log_errors.assign(z=log_errors["log_error"].to_numpy(float) / log_errors["horizon"].astype(float) ** b)
    rows = []
    for group, zg in z.groupby("group", sort=False):
        if len(zg) < min_errors:
            continue
        asym = str(group) in asymmetric
        q_c = 0.0
        if common:
            d, q_c = common_shocks(zg, level)
            zg = zg.assign(z=d)

        def row(x: pd.DataFrame) -> tuple[float, float, float, float]:
            """``lower, center, upper, inflation`` of the errors ``x``."""
            c = small_sample_factor(int(x["base_year"].nunique()), level) if small_sample else 1.0
            lo, mid, hi = _quantile_row(x["z"].to_numpy(float), level, asym)
            if common:
                q = float(np.hypot(c * hi, q_c))
                return -q, 0.0, q, 1.0
            return lo, mid, hi, c

        q_all = row(zg)
        for cls in SIZE_CLASSES:
            own = zg.loc[zg["size_class"] == cls]
            if len(own) >= min_errors:
                rows.append((str(group), cls, *row(own), len(own), own["base_year"].nunique(), "class"))
            else:
                rows.append((str(group), cls, *q_all, len(zg), zg["base_year"].nunique(), "all classes"))
    out = pd.DataFrame(rows, columns=["group", "size_class", "lower", "center", "upper", "inflation", "n", "origins",
                                      "source"])
    out.insert(5, "q", (out["upper"] - out["lower"]) / 2.0)
    return out


def growth_exponents(log_errors: pd.DataFrame, level: float = 0.8, min_errors: int = 20,
                     bounds: tuple[float, float] = EXPONENT_BOUNDS) -> pd.Series:
    r"""``b`` by group: the slope of the least-squares line ``log Q_h = a + b log h`` through the
    ``level`` quantiles ``Q_h`` of ``|log(F/A)|`` at each horizon ``h`` with at least ``min_errors``
    errors (all size classes), clipped to ``bounds``; 1 (errors proportional to the horizon,
    Rayer et al. 2009) for a group with fewer than two such horizons.

    Long horizons, observed at few origins, so borrow the growth the shorter ones show."""
    out = {}
    for group, eg in log_errors.groupby("group", sort=False):
        qs = [(h, float(np.quantile(np.abs(x), level))) for h, x in eg.groupby("horizon")["log_error"]
              if len(x) >= min_errors]
        qs = [(h, q) for h, q in qs if q > 0]
        if len(qs) < 2:
            out[str(group)] = 1.0
            continue
        lh, lq = np.log([h for h, _ in qs]), np.log([q for _, q in qs])
        slope = float(np.polyfit(lh, lq, 1)[0])
        out[str(group)] = float(np.clip(slope, *bounds))
    return pd.Series(out, dtype=float)


#: The laws of the errors' growth with the horizon ``h`` (the exponent ``b`` of ``h^b``):
#: ``linear`` ``b = 1`` (Rayer et al. 2009), ``fitted`` the slope of :func:`growth_exponents`,
#: ``fitted-min1`` that slope but never below 1 (the errors grow at least in proportion to the
#: horizon), ``fast`` ``b = 1.5`` (faster than in proportion, fixed).
GROWTH_LAWS: dict[str, float | None] = {"linear": 1.0, "fitted": None, "fitted-min1": None, "fast": 1.5}


def _growth(seen: pd.DataFrame, growth: str, level: float, min_errors: int) -> pd.Series | None:
    """``b`` by group for the growth law ``growth`` (:data:`GROWTH_LAWS`) on the errors ``seen``;
    None for ``linear`` (``b = 1``)."""
    if growth == "linear":
        return None
    if GROWTH_LAWS[growth] is not None:
        return pd.Series(GROWTH_LAWS[growth], index=pd.Index(seen["group"].unique()), dtype=float)
    b = growth_exponents(seen, level, min_errors)
    return b.clip(lower=1.0) if growth == "fitted-min1" else b


def _case_ratio(cases: pd.DataFrame) -> np.ndarray:
    """How far each case lies out in its own direction, in units of the interval's half there:
    ``(z - m) / (u - m)`` above the centre, ``(z - m) / (l - m)`` below (``|z| / q`` when symmetric)."""
    d = cases["z"].to_numpy(float) - cases["center"].to_numpy(float)
    up = cases["upper"].to_numpy(float) - cases["center"].to_numpy(float)
    down = cases["center"].to_numpy(float) - cases["lower"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d >= 0, d / up, -d / down)


def fit_interval_model(log_errors: pd.DataFrame, origin: int, level: float = 0.8, min_errors: int = 20,
                       calibrate: bool = True, growth: str = "linear", asymmetric: Sequence[str] = (),
                       small_sample: bool | str = False, common: bool = False,
                       _cache: dict | None = None) -> IntervalModel:
    """The interval model a user at 1 January ``origin`` could have fitted (see the module docstring).

    ``log_errors`` has ``base_year, horizon, group, size_class, log_error`` (see
    :func:`log_errors`); only rows with ``base_year + horizon <= origin`` are used. ``growth``
    ``"linear"`` (the default, the literature's) keeps ``b = 1``, ``"fitted"`` fits the exponent
    ``b`` of the horizon on the errors observable (:func:`growth_exponents`), ``"fitted-min1"``
    fits it but keeps it at least 1, ``"fast"`` fixes it at 1.5 (:data:`GROWTH_LAWS`); ``asymmetric`` names
    the groups whose bounds are quantiles of the signed errors (e.g. :data:`ASYMMETRIC_GROUPS`);
    ``small_sample`` widens the bounds by :func:`small_sample_factor` of the number of origins
    behind them (``True``) or of those whose known errors reach the horizon of the case
    (``"horizon"``: an interval beyond the horizons observed rests on few origins); ``common``
    separates each origin's shared shock from the territories' own errors
    (:func:`common_shocks`); ``calibrate=False`` leaves out the recalibration factor ``k``. The
    defaults are the method of Rayer et al. (2009) with the recalibration; :data:`INTERVAL_VARIANTS`
    names the combinations the time-ordered choice (:func:`select_interval_variant`) picks from.

    Raises
    ------
    ProjectionError
        ``level`` outside (0, 1), an unknown ``growth``, or no error observable by ``origin``.
    """
    if not 0 < level < 1:
        raise ProjectionError(f"interval level must lie strictly between 0 and 1, got {level}")
    if growth not in GROWTH_LAWS:
        raise ProjectionError(f"interval growth must be one of {tuple(GROWTH_LAWS)}, got {growth!r}")
    if common and asymmetric:
        raise ProjectionError("interval option common (symmetric bounds) cannot be combined with asymmetric")
    if small_sample not in (False, True, "horizon"):
        raise ProjectionError(f"interval small_sample must be False, True or 'horizon', got {small_sample!r}")
    by_horizon = small_sample == "horizon"
    e = log_errors
    # widths and exponents by origin, and the cases scored against them (interval_coverage reuses them)
    cache = {} if _cache is None else _cache

    def model_at(Y: int) -> tuple[pd.DataFrame, pd.Series]:
        if Y not in cache:
            seen_y = e[(e["base_year"] + e["horizon"]) <= Y]
            b = _growth(seen_y, growth, level, min_errors)
            cache[Y] = (_widths(seen_y, level, min_errors, b, asymmetric, small_sample is True, common), b)
        return cache[Y]

    seen = e[(e["base_year"] + e["horizon"]) <= origin]
    widths, exps = model_at(int(origin))
    if widths.empty:
        raise ProjectionError(f"no back-test errors observable by {origin} to build intervals from")
    def ratios_at(Y: int) -> pd.DataFrame | None:
        """Every case of origin ``Y`` against the interval made at ``Y`` (:func:`_case_ratio`); the
        caller keeps those known by its origin."""
        if ("ratios", Y) not in cache:
            w, b = model_at(Y)
            cur = None
            if not w.empty:
                cur = e[e["base_year"] == Y].merge(w[["group", "size_class", "lower", "center", "upper"]],
                                                   on=["group", "size_class"])
                bb = 1.0 if b is None else cur["group"].map(b).fillna(1.0).to_numpy(float)
                cur = cur.assign(z=cur["log_error"].to_numpy(float) / cur["horizon"].astype(float) ** bb)
                cur = cur.assign(r=_case_ratio(cur))[["base_year", "horizon", "group", "r"]]
            cache[("ratios", Y)] = cur
        return cache[("ratios", Y)]

    factors = pd.Series(1.0, index=widths["group"].unique())
    if calibrate:
        cases = []
        for Y in sorted(int(y) for y in seen["base_year"].unique()):  # intervals made at earlier origins
            r = ratios_at(Y)
            if r is not None:
                cases.append(r[(r["base_year"] + r["horizon"]) <= origin])
        if cases:
            r = pd.concat(cases, ignore_index=True)
            k = r[np.isfinite(r["r"])].groupby("group")["r"].quantile(level)
            factors.update(k)
    reach = seen.groupby("base_year")["horizon"].max().to_numpy() if by_horizon else None
    return IntervalModel(origin=int(origin), level=float(level), widths=widths, factors=factors, exponents=exps,
                         reach=reach)


def log_errors(errors: pd.DataFrame, population: pd.DataFrame, method: str = "default") -> pd.DataFrame:
    """The back-test rows of ``method`` with ``size_class`` (at the origin) and ``log_error = log(F / A)``."""
    return _log_errors(errors, base_sizes(population), method)


def median_ages(population: pd.DataFrame) -> pd.DataFrame:
    """``scenario, territory_code, year, value``: the median age (years) of both sexes of a population
    frame by single years of age (``scenario, territory_code, year, sex, age, value``, male and female
    rows), as the back-test measures it (:func:`.agegroups.median_age`), so that its errors bound it."""
    pop = population[population["sex"].isin(["male", "female"])]
    keys = ["scenario", "territory_code", "year"]
    wide = pop.groupby([*keys, "age"], sort=False, observed=True)["value"].sum().unstack("age", fill_value=0.0)
    wide = wide.reindex(columns=sorted(wide.columns), fill_value=0.0)
    value = median_age(wide.to_numpy(float)[:, None, :])  # [case, one sex level, age]
    return wide.index.to_frame(index=False).assign(value=value)[[*keys, "value"]]


def apply_intervals(forecast: pd.DataFrame, model: IntervalModel) -> pd.DataFrame:
    """``forecast`` (``group, size_class, horizon, value`` and any other columns) with ``lower`` and
    ``upper``: ``value * exp(-hi)`` and ``value * exp(-lo)`` for the log-error bounds ``(lo, hi)``
    of :meth:`IntervalModel.bounds` (``value * exp(-/+ k q h^b)`` when symmetric)."""
    lo, hi = model.bounds(forecast["group"], forecast["size_class"], forecast["horizon"])
    v = forecast["value"].to_numpy(float)
    return forecast.assign(lower=v * np.exp(-hi), upper=v * np.exp(-lo))


def interval_coverage(errors: pd.DataFrame, population: pd.DataFrame, level: float = 0.8,
                      method: str = "default", min_errors: int = 20, growth: str = "linear",
                      asymmetric: Sequence[str] = (), small_sample: bool | str = False, common: bool = False,
                      calibrate: bool = True, _cache: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
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
        per scored case with the log-error bounds ``lo``, ``hi`` (:meth:`IntervalModel.bounds`),
        ``half_width``, ``inside`` and ``errors_behind``, ``origins_behind`` (how many earlier
        errors, and from how many origins, the case's interval was built on).
    """
    e = log_errors(errors, population, method)
    parts, cache = [], ({} if _cache is None else _cache)  # a shared cache: variants differing only in calibrate
    for Y in sorted(int(y) for y in e["base_year"].unique()):
        if len(e[(e["base_year"] + e["horizon"]) <= Y]) < min_errors:
            continue  # too few errors observable yet: no interval at this origin
        try:
            model = fit_interval_model(e, Y, level, min_errors, calibrate=calibrate, growth=growth,
                                       asymmetric=asymmetric, small_sample=small_sample, common=common, _cache=cache)
        except ProjectionError:
            continue
        cur = e[e["base_year"] == Y].reset_index(drop=True)
        lo, hi = model.bounds(cur["group"], cur["size_class"], cur["horizon"])
        behind = cur[["group", "size_class"]].merge(model.widths[["group", "size_class", "n", "origins"]],
                                                    on=["group", "size_class"], how="left")
        cur = cur.assign(lo=lo, hi=hi, half_width=(hi - lo) / 2.0, errors_behind=behind["n"].to_numpy(),
                         origins_behind=behind["origins"].to_numpy())[np.isfinite(lo) & np.isfinite(hi)]
        parts.append(cur.assign(inside=(cur["log_error"] >= cur["lo"]) & (cur["log_error"] <= cur["hi"])))
    if not parts:
        raise ProjectionError("no origin has earlier back-test errors to build intervals from")
    cases = pd.concat(parts, ignore_index=True)
    by = cases.groupby(["group", "horizon"], sort=False).agg(
        coverage=("inside", "mean"), n=("inside", "size"), origins=("base_year", "nunique")).reset_index()
    return by, cases


def coverage_diagnosis(cases: pd.DataFrame, level: float = 0.8) -> pd.DataFrame:
    """Why coverage misses, per ``group, horizon`` of :func:`interval_coverage`'s ``cases``.

    Columns: ``coverage``; ``above`` and ``below``, the shares of cases whose published value lay
    above the interval (``log(F/A) < lo``: the projection was too low) and below it (too high);
    ``scale``, the ``level`` quantile of ``|log(F/A) - c|`` over the mean half-width (``c`` the
    interval's centre; above 1: too narrow even when centred); ``errors_behind`` and
    ``origins_behind``, the medians over the cases of the earlier errors and origins their
    intervals were built on; ``verdict``: ``"off-centre"`` when the misses fall three times or more
    as often on one side as on the other and together exceed ``1 - level``, ``"too narrow"``
    when they exceed it otherwise, ``"too wide"`` when coverage exceeds ``level`` by more than
    half the missing share ``(1 - level) / 2``, else ``"ok"``.
    """
    c = cases.assign(above=cases["log_error"] < cases["lo"], below=cases["log_error"] > cases["hi"],
                     dev=(cases["log_error"] - (cases["lo"] + cases["hi"]) / 2.0).abs())
    g = c.groupby(["group", "horizon"], sort=False)
    out = g.agg(coverage=("inside", "mean"), above=("above", "mean"), below=("below", "mean"),
                half_width=("half_width", "mean"), errors_behind=("errors_behind", "median"),
                origins_behind=("origins_behind", "median"), n=("inside", "size")).reset_index()
    out.insert(5, "scale", g["dev"].quantile(level).to_numpy() / out.pop("half_width").to_numpy())
    miss = out["above"] + out["below"]
    lean = np.maximum(out["above"], out["below"]) >= 3 * np.minimum(out["above"], out["below"])
    out["verdict"] = np.select([(miss > 1 - level) & lean, miss > 1 - level, out["coverage"] > level + (1 - level) / 2],
                               ["off-centre", "too narrow", "too wide"], "ok")
    return out


def _variants(growths: Sequence[str] = ("linear", "fitted")) -> dict[str, dict]:
    """Every combination of the four options of :func:`fit_interval_model` that act on symmetric
    bounds: ``k`` (recalibrated) or ``raw``, a growth law of ``growths`` (:data:`GROWTH_LAWS`; by
    default ``linear``, ``b = 1``, or ``fitted``), without a
    small-sample widening, with one by the origins behind the errors (``t``) or by those that reached
    the horizon (``th``), with or without the ``common`` shock; the prior first."""
    out = {}
    for cal, growth, small, common in itertools.product((True, False), tuple(growths), (False, True, "horizon"),
                                                        (False, True)):
        t = {False: "", True: "-t", "horizon": "-th"}[small]
        name = f"{'k' if cal else 'raw'}-{growth}{t}{'-common' if common else ''}"
        out[name] = {"calibrate": cal, "growth": growth, "small_sample": small, "common": common}
    return out


#: The interval variants the time-ordered choice picks from (:func:`select_interval_variant`):
#: name -> keyword options of :func:`fit_interval_model`. The asymmetric bounds are left out: their
#: premise, a lean that repeats, failed out of sample (the median age's lean changed sign at the
#: 2011 census).
INTERVAL_VARIANTS: dict[str, dict] = _variants()
#: The variants a time-ordered choice for the median age alone picks from
#: (:func:`nested_interval_coverage` on its errors; docs/INTERVALS.md): those of
#: :data:`INTERVAL_VARIANTS` and the same with errors growing at least in proportion to the horizon
#: (``fitted-min1``) or faster (``fast``, ``h^1.5``). Its misses are long-horizon ones (the 2011
#: census moved every median age in one step); a law that grows faster is the candidate remedy.
MEDIAN_AGE_VARIANTS: dict[str, dict] = {**INTERVAL_VARIANTS, **_variants(("fitted-min1", "fast"))}
#: The variant an origin without any scored earlier interval uses: the literature's method
#: (Rayer, Smith & Tayman 2009) with the recalibration, the default of :func:`fit_interval_model`.
PRIOR_VARIANT = "k-linear"
#: The variant the time-ordered choice makes on all the back-test errors of the lt-osp extract (the
#: one shipped: :func:`shipped_interval_model`); a real-data test checks that the choice is still
#: this one, and docs/INTERVALS.md shows the choice origin by origin.
DEFAULT_VARIANT = "k-fitted-t"


#: The variant of the median age's own band: the choice of :func:`select_interval_variant` among
#: :data:`MEDIAN_AGE_VARIANTS` on all the median age's back-test errors of the lt-osp extract
#: (docs/INTERVALS.md shows the choice origin by origin; a real-data test checks it).
MEDIAN_AGE_VARIANT = "k-fitted-min1-th"
#: The ``group`` of the median age's errors (years; :func:`median_ages`).
MEDIAN_AGE_GROUP = "median_age"


def shipped_interval_model(log_errors: pd.DataFrame, origin: int, level: float = 0.8) -> IntervalModel:
    """:func:`fit_interval_model` with the options of :data:`DEFAULT_VARIANT`."""
    return fit_interval_model(log_errors, origin, level, **INTERVAL_VARIANTS[DEFAULT_VARIANT])


def shipped_median_age_model(log_errors: pd.DataFrame, origin: int, level: float = 0.8) -> IntervalModel:
    """:func:`fit_interval_model` on the median age's errors with the options of :data:`MEDIAN_AGE_VARIANT`
    (bounds for the group ``median_age`` only)."""
    own = log_errors[log_errors["group"] == MEDIAN_AGE_GROUP]
    return fit_interval_model(own, origin, level, **MEDIAN_AGE_VARIANTS[MEDIAN_AGE_VARIANT])


#: How :func:`select_interval_variant` picks among the variants: ``"cautious"`` (the shipped rule)
#: or ``"closest"`` (the previous round's rule, kept for comparison in docs/INTERVALS.md).
SELECTION_RULES: tuple[str, ...] = ("cautious", "closest")


def select_interval_variant(cases: Mapping[str, pd.DataFrame], origin: int, level: float = 0.8,
                            prior: str = PRIOR_VARIANT, rule: str = "cautious") -> tuple[str, float, int]:
    """The variant a user at 1 January ``origin`` would choose from the earlier intervals' record.

    ``cases`` maps each variant to its scored cases (:func:`interval_coverage`); only those whose
    outcome is known by ``origin`` (``base_year + horizon <= origin``) count. Each variant is scored
    by the mean over (measure, horizon) cells of ``|coverage - level|``. ``rule="closest"``: the
    lowest score wins. ``rule="cautious"``: every variant whose score lies within one standard
    error of the lowest is as good as the best on this record, and among them the one that covered
    the largest share of the known cases wins. The standard error is that of the best variant's
    score across the origins scored (its score computed origin by origin, ``sd / sqrt(n)``): the
    cases of one origin share its shocks, so the record holds about as many draws as origins;
    with one origin every variant is within. Why the larger coverage among equals: the record at an
    origin holds only the horizons already observed, and the failure it cannot show is the
    interval too narrow at longer horizons and across breaks it has not seen; the wider variant
    is the safer choice until the record tells them apart. Ties go to the earlier variant in
    ``cases``; ``prior`` when no case is known yet. Returns ``(name, score, cells)``, ``score`` NaN
    and ``cells`` 0 for the prior without evidence.
    """
    if rule not in SELECTION_RULES:
        raise ProjectionError(f"interval selection rule must be one of {SELECTION_RULES}, got {rule!r}")
    scores, errs, covered, cells = {}, {}, {}, 0
    for name, c in cases.items():
        known = c[(c["base_year"] + c["horizon"]) <= origin]
        if known.empty:
            continue
        cov = known.groupby(["group", "horizon"], sort=False)["inside"].mean()
        scores[name] = float((cov - level).abs().mean())
        cells = len(cov)
        if rule == "cautious":
            own = (known.groupby(["base_year", "group", "horizon"], sort=False)["inside"].mean() - level).abs()
            per_origin = own.groupby(level="base_year").mean()
            errs[name] = float(per_origin.std(ddof=1) / np.sqrt(len(per_origin))) if len(per_origin) > 1 else np.inf
            covered[name] = float(known["inside"].mean())
    if not scores:
        return prior, float("nan"), 0
    order = list(cases)
    best = min(scores, key=lambda n: (scores[n], order.index(n)))
    if rule == "cautious":
        within = [n for n in scores if scores[n] <= scores[best] + errs[best]]
        best = max(within, key=lambda n: (covered[n], -order.index(n)))
    return best, scores[best], cells


@dataclass
class NestedCoverage:
    """Result of :func:`nested_interval_coverage`.

    Attributes
    ----------
    by_horizon, cases
        As :func:`interval_coverage`, for the intervals of the variant chosen at each origin.
    selection
        ``base_year, variant, score, cells``: the choice for each scored origin and the one for
        projections after the last (``base_year`` one past the last origin).
    variants
        Each variant's own ``(by_horizon, cases)``.
    """

    by_horizon: pd.DataFrame
    cases: pd.DataFrame
    selection: pd.DataFrame
    variants: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = field(repr=False)

    @property
    def chosen(self) -> str:
        """The variant chosen on every back-test error: the one to ship (:data:`DEFAULT_VARIANT`)."""
        return str(self.selection["variant"].iloc[-1])


def nested_interval_coverage(errors: pd.DataFrame, population: pd.DataFrame, level: float = 0.8,
                             variants: Mapping[str, dict] | None = None, method: str = "default",
                             min_errors: int = 20, rule: str = "cautious") -> NestedCoverage:
    """Out-of-sample coverage of intervals whose variant is itself chosen out of sample.

    Every variant's intervals are built at each origin from the errors known then
    (:func:`interval_coverage`); origin ``Y`` is then scored with the intervals of the variant
    :func:`select_interval_variant` (with ``rule``) picks from the cases known by ``Y``. A nested, time-ordered
    choice like the back-test's choice of settings: no outcome after ``Y`` enters the interval
    or the choice of its variant.
    """
    variants = dict(INTERVAL_VARIANTS if variants is None else variants)
    caches: dict[tuple, dict] = {}  # the widths do not depend on calibrate: fitted once for both
    runs = {}
    for name, opts in variants.items():
        key = tuple(sorted((k, str(v)) for k, v in opts.items() if k != "calibrate"))
        runs[name] = interval_coverage(errors, population, level, method, min_errors, **opts,
                                       _cache=caches.setdefault(key, {}))
    return choose_variants(runs, int(errors["base_year"].max()) + 1, level, rule)


def choose_variants(runs: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]], after: int, level: float = 0.8,
                    rule: str = "cautious") -> NestedCoverage:
    """The time-ordered choice of :func:`nested_interval_coverage` among variants already scored
    (``runs``: name -> :func:`interval_coverage`, the prior first), at every origin scored and for
    projections from ``after`` (one past the last origin); another ``rule`` re-chooses on the same runs."""
    cases = {name: c for name, (_, c) in runs.items()}
    origins = sorted(int(y) for y in set().union(*(c["base_year"].unique() for c in cases.values())))
    rows, parts = [], []
    for Y in [*origins, int(after)]:
        name, score, cells = select_interval_variant(cases, Y, level, prior=next(iter(runs)), rule=rule)
        rows.append({"base_year": Y, "variant": name, "score": score, "cells": cells})
        parts.append(cases[name][cases[name]["base_year"] == Y])
    chosen = pd.concat(parts, ignore_index=True)
    by = chosen.groupby(["group", "horizon"], sort=False).agg(
        coverage=("inside", "mean"), n=("inside", "size"), origins=("base_year", "nunique")).reset_index()
    return NestedCoverage(by_horizon=by, cases=chosen, selection=pd.DataFrame(rows), variants=dict(runs))
