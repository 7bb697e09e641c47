"""Back-testing: project from data up to a base year and compare with what happened.

For a base year ``Y`` and horizon ``H`` every method sees population data up to 1 January
``Y`` (and births/deaths up to ``Y - 1``) only, and its populations of ``Y + H`` are compared
with the published ones for the total, the groups 0-14, 15-64 and 65+ and the median age of each
municipality (the measures of the out-of-sample protocol below; the median age's errors in per
cent of the published median age):

* ``APE = |F - A| / A * 100`` (absolute percentage error); ``MAPE`` is its mean over
  territories, the bias (mean signed percentage error) the mean of ``(F - A) / A * 100``
  (positive = projections too high) and ``P90`` the 90th percentile of the APEs, as the protocol's
  summary has them (:meth:`NestedBacktest.summary`);
* baselines on the same data: ``constant`` (``F = P_Y``), ``linear`` and ``exponential``
  (OLS of ``P`` or ``log P`` on the years ``Y - 5 .. Y``; for the median age its own series), and
  ``hamilton-perry`` (cohort-change ratios: ``P_{x+1}(t+1) = P_x(t) * CCR_x`` with
  ``CCR_x = sum_y P_{x+1}(y+1) / sum_y P_x(y)`` over ``y = Y-5 .. Y-1``, the open group fed by the
  last two ages, and age 0 from the child-woman ratio ``P_0(y+1) / W_{15-49}(y)`` by sex; Hamilton &
  Perry 1962, Swanson, Schlottmann & Schmidt 2010, *Population Research and Policy Review* 29),
  iterated ``H`` times.

The default method is the cohort-component projection under the ``baseline`` scenario with
the default :class:`~cityindicators.projection.settings.EstimationSettings` (see :mod:`.estimation`).

The out-of-sample protocol (:func:`nested_backtest`; the page ``docs/BACKTEST.md`` is written
from it by ``scripts/backtest_report.py``): every origin ``Y`` with five years of history, every
horizon to the last population year, every candidate setting (:func:`default_candidates`) and
the baselines; the ``default`` forecast of origin ``Y`` uses the candidate chosen
(:func:`select_candidate`, one-standard-error rule on the mean over cells and measures of
``log(MAPE / geometric mean MAPE)``, the cells that cross the 2011 census revision weighing
less, :func:`future_break_weight`) on the back-tests ``(Y', h')`` with ``Y' + h' <= Y`` only, so the reported
errors are out of sample for the choice of settings as well; beside it, the combination
``top3`` averages the age-sex populations of the three best-scored candidates, chosen the same
way (:data:`COMBINATION_SIZES`). Measures: total,
0-14, 15-64, 65+ and the median age (:func:`median_age`); MAPE, bias (mean signed error) and the
90th percentile of absolute errors by horizon (:meth:`NestedBacktest.summary`).
:func:`out_of_sample_errors` gives the tidy per-(origin, horizon, territory, group) errors of
the default and the baselines, e.g. for prediction intervals.

The errors give the empirical prediction intervals (:mod:`.intervals`) and, through them, the
calibration of the stochastic band (:mod:`.calibration`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import pandas as pd

from ..exceptions import ProjectionError
from .agegroups import BROAD_AGE_GROUPS, median_age
from .api import resolve_territories, run_schedule
from .data import ProjectionData
from .estimation import estimate_rates
from .estimation.common import population_array as _population_array
from .bounds import TFR_TREND_MAX_CHANGE
from .scenarios import Fertility, Migration, load_scenario
from .schedule import build_schedule
from .settings import EstimationSettings

__all__ = ["BacktestResult", "backtest", "backtest_grid", "METHODS", "DEFAULT_METHOD",
           "Candidate", "default_candidates", "NestedBacktest", "nested_backtest", "out_of_sample_errors",
           "out_of_sample_result",
           "select_candidate", "median_age", "MEASURES", "BASELINES", "SELECTED", "SELECTED_MIN", "SELECTED_EQUAL",
           "ranked_candidates", "cell_weights", "census_breaks", "future_break_weight", "COMBINATION_SIZES",
           "REGISTER_BREAK_YEARS", "early_convergence_twins", "error_summary", "pooled_mape"]

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
    return _hamilton_perry_path(P, H)[-1]


def _hamilton_perry_path(P: np.ndarray, H: int) -> np.ndarray:
    """``[H, T, 2, A]``: the Hamilton-Perry populations of years ``1..H`` after the base (see the module docstring)."""
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
    path = np.empty((H,) + cur.shape)
    for h in range(H):
        nxt = np.empty_like(cur)
        nxt[..., 1:] = cur[..., :-1] * ccr[..., 1:]
        nxt[..., -1] += cur[..., -1] * ccr[..., -1]
        nxt[..., 0] = cwr * cur[:, 1, 15:50].sum(-1)[:, None]
        cur = path[h] = nxt
    return path


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
        ``method, territory_code, group, forecast, actual, error_pct`` (signed, per cent); ``group``
        one of :data:`MEASURES` (the median age's forecast and actual in years).
    table
        ``method, group, mape, bias, p90, n``: mean absolute and mean signed percentage errors and the
        90th percentile of the absolute ones, over ``n`` territories.
    """

    base_year: int
    horizon: int
    errors: pd.DataFrame
    table: pd.DataFrame

    @classmethod
    def from_errors(cls, base_year: int, horizon: int, errors: pd.DataFrame) -> "BacktestResult":
        """The result of per-territory ``errors`` (``method, territory_code, group, forecast, actual,
        error_pct``), its ``table`` summed from them."""
        table = _error_measures(errors, ["method", "group"], n=("error_pct", "count"))
        return cls(int(base_year), int(horizon), errors, table)

    def wins(self) -> pd.DataFrame:
        """Per measure (the total, the groups, the median age; those the errors have, in that order): the
        default method's MAPE, the best baseline's and whether the default is lower."""
        t = self.table.pivot(index="group", columns="method", values="mape")
        base = t.drop(columns=[DEFAULT_METHOD])
        return pd.DataFrame({
            "default_mape": t[DEFAULT_METHOD], "best_baseline": base.idxmin(axis=1),
            "best_baseline_mape": base.min(axis=1), "beats_all": t[DEFAULT_METHOD] < base.min(axis=1),
        }).reindex([m for m in MEASURES if m in t.index])


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
    actual = _measures(P[:, pa.years.index(Y + H)])

    fc: dict[str, np.ndarray] = {}
    rates = estimate_rates(data, codes, Y, settings, register=register)
    arr = run_schedule(build_schedule(rates, load_scenario(scenario), Y + H))
    fc[DEFAULT_METHOD] = _measures(arr.population[H])
    m_hist = _measures(hist)  # [T, 6, 5]: the trends of the median age extrapolate its own series
    fc["constant"] = m_hist[:, -1]
    fc["linear"] = np.maximum(_extrapolate(m_hist, np.array(need, dtype=float), Y + H, False), 0)
    fc["exponential"] = _extrapolate(m_hist, np.array(need, dtype=float), Y + H, True)
    fc["hamilton-perry"] = _measures(_hamilton_perry(hist, H))

    rows = []
    for method in METHODS:
        err = (fc[method] - actual) / actual * 100
        for k, g in enumerate(MEASURES):
            rows.append(pd.DataFrame({"method": method, "territory_code": codes, "group": g,
                                      "forecast": fc[method][:, k], "actual": actual[:, k], "error_pct": err[:, k]}))
    errors = pd.concat(rows, ignore_index=True)
    log.info("back-test %d+%d over %d territories", Y, H, len(codes))
    return BacktestResult.from_errors(Y, H, errors)


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
    yrs = sorted(int(y) for y in data.population["year"].unique())
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


# -- the out-of-sample protocol: rolling origins, every horizon, nested selection ------------------
#: Measures scored by the protocol: the groups above and the median age (years).
MEASURES = (*GROUPS, "median_age")
BASELINES = METHODS[1:]
#: Method label of the nested, time-ordered selection among the candidates.
SELECTED = "default"
#: The same protocol with the plain-minimum rule instead of the one-standard-error rule (for comparison).
SELECTED_MIN = "default-min"
#: The one-SE choice with every cell weighing the same (the rule before the census break was weighted).
SELECTED_EQUAL = "default-equal-weights"
#: Horizons pooled in the headline comparison.
POOLED_HORIZONS = tuple(range(1, 11))
#: Years between two censuses: a cell of horizon ``h`` projected from a future origin crosses a
#: census revision with a chance of about ``min(h / CENSUS_INTERVAL, 1)`` (:func:`future_break_weight`).
CENSUS_INTERVAL = 10
#: Margin below which ``mean + se`` of the one-SE rule counts as zero (a tie, kept by the prior).
TIE_TOLERANCE = 1e-12
#: Sizes ``k`` of the combinations ``top{k}`` scored beside the default (:func:`nested_backtest`).
COMBINATION_SIZES = (3,)


def _measures(pop: np.ndarray) -> np.ndarray:
    """``[..., 5]``: total, 0-14, 15-64, 65+ and median age of ``[..., sex, age]``."""
    return np.concatenate([_groups(pop), median_age(pop)[..., None]], axis=-1)


@dataclass(frozen=True)
class Candidate:
    """One setting the protocol may choose: a name, the estimation settings and the scenario's modes.

    ``e0_gain`` is the first-year gain of life expectancy (0 = held) unless ``e0_trend`` continues
    the territory's own bounded trend instead; ``tfr_trend`` continues the TFR's damped, bounded
    trend (converging to the reference TFR in :data:`TFR_CONVERGENCE_YEARS` years) instead of
    holding it; ``migration_trend`` (a damping factor ``d``, None = held) adds the damped trend of
    the crude net migration rate to the window's schedule (see :mod:`.schedule`);
    ``tfr_bounds_entry_years`` (a TFR trend only; None = the bounds from the first year) lets a base TFR
    outside the bounds start from its observed level and move into them in that many years
    (``fertility.bounds_entry_years``, :func:`.bounds.tfr_path`).
    """

    name: str
    settings: EstimationSettings
    e0_gain: float = 0.0
    e0_trend: bool = False
    tfr_trend: bool = False
    migration_trend: float | None = None
    tfr_bounds_entry_years: int | None = None

    def scenario(self):
        """The shipped ``baseline`` scenario's other keys with this candidate's modes: independent of how
        ``baseline.yaml`` sets fertility, mortality and the migration mode."""
        sc = load_scenario("baseline")
        e0_mode = "trend" if self.e0_trend else ("gain" if self.e0_gain else "hold")
        mortality = replace(sc.mortality, mode=e0_mode, e0_gain_per_year=0.0 if self.e0_trend else float(self.e0_gain))
        fertility = replace(sc.fertility, mode="trend" if self.tfr_trend else "hold", damping=Fertility.damping,
                            bounds=Fertility.bounds, max_change=TFR_TREND_MAX_CHANGE,
                            convergence_years=TFR_CONVERGENCE_YEARS if self.tfr_trend else None,
                            bounds_entry_years=self.tfr_bounds_entry_years if self.tfr_trend else None)
        if self.migration_trend is None:
            migration = replace(sc.migration, mode="hold", damping=Migration.damping)
        else:
            migration = replace(sc.migration, mode="trend", damping=float(self.migration_trend))
        return replace(sc, mortality=mortality, fertility=fertility, migration=migration)


#: Years in which the TFR trend of a candidate moves to the reference TFR (all municipalities at the
#: origin): a plausibility choice, not the back-test's (its horizons of at most 12 years see at most
#: 30 % of the way); see "Fertility trend" in :mod:`.bounds`.
TFR_CONVERGENCE_YEARS = 40

#: Weight of the median age's trend in the age-structure candidates (``EstimationSettings.age_structure_weight``).
AGE_STRUCTURE_WEIGHT = 0.5

#: Event years every candidate leaves out of its migration windows: the 2010 declaration wave of emigrants who
#: had left in earlier years and the 2011 census year (the register revised to the census), see docs/BACKTEST.md.
REGISTER_BREAK_YEARS = (2010, 2011)

#: Damping factors of the migration-trend candidates (``Candidate.migration_trend``).
MIGRATION_TREND_DAMPINGS = (0.6, 0.7, 0.8)


def default_candidates() -> tuple[Candidate, ...]:
    """The modest candidate set of the protocol (the first is the prior choice, see docs/BACKTEST.md).

    Every candidate leaves the 2010 declaration wave and the 2011 census year out of its migration
    windows and of the fit of its migration trend (:data:`REGISTER_BREAK_YEARS`,
    ``EstimationSettings.migration_trend_excludes``) and carries the age-structure combination of weight
    :data:`AGE_STRUCTURE_WEIGHT` (the median age tilted toward its own exponential trend, the
    weight rising over ten years; see :mod:`.schedule`): two treatments of the method itself, made
    structural after the previous rounds' back-tests had been seen (docs/BACKTEST.md says so).
    Within that method the protocol chooses among:

    * 24 settings: migration window 5 or 10 years; net migration held, or converging to the
      territory's own long-run mean in 15 years or to zero in 30 years (from the base year,
      ``migration_convergence_start=0``); life expectancy held or
      rising by 0.15 years a year; the total combined with its exponential trend with weight 0 or 0.5;
    * 12 trend settings: the five-year window, the net migration rate's own trend continued with
      damping 0.6, 0.7 or 0.8, life expectancy rising by 0.15 years a year or continuing its own
      bounded trend, the TFR held or continuing its damped trend.

    The first, ``w5-x2010-2011-age0.5`` (the method of four rounds ago with the two treatments), is
    the prior. Names keep ``-x2010-2011`` and ``-age0.5`` so that they read as in earlier rounds.
    """
    tail = f"-x{REGISTER_BREAK_YEARS[0]}-{REGISTER_BREAK_YEARS[-1]}"
    age = f"-age{AGE_STRUCTURE_WEIGHT:g}"
    out = []
    for window in (5, 10):
        for conv, years in (("none", 20), ("own_mean", 15), ("zero", 30)):
            for gain in (0.0, 0.15):
                for w in (0.0, 0.5):
                    name = (f"w{window}{tail}{'' if conv == 'none' else f'-{conv}{years}'}"
                            f"{f'-e0+{gain:g}' if gain else ''}{f'-comb{w:g}' if w else ''}{age}")
                    out.append(Candidate(name, EstimationSettings(
                        migration_window=window, migration_excluded_years=REGISTER_BREAK_YEARS,
                        migration_convergence=conv, migration_convergence_start=0, migration_convergence_years=years,
                        total_combination_weight=w, age_structure_weight=AGE_STRUCTURE_WEIGHT), e0_gain=gain))
    for damping in MIGRATION_TREND_DAMPINGS:
        for e0_trend in (False, True):
            for tfr_trend in (False, True):
                name = (f"w5{tail}-mtrend{damping:g}{'-e0trend' if e0_trend else '-e0+0.15'}"
                        f"{'-tfrtrend' if tfr_trend else ''}{age}")
                out.append(Candidate(name, EstimationSettings(
                    migration_window=5, migration_excluded_years=REGISTER_BREAK_YEARS,
                    age_structure_weight=AGE_STRUCTURE_WEIGHT), e0_gain=0.0 if e0_trend else 0.15, e0_trend=e0_trend,
                    tfr_trend=tfr_trend, migration_trend=damping))
    return tuple(out)


#: Years from the origin to zero net migration of the pre-registered variant of this round
#: (:func:`early_convergence_twins`): the shipped long-run rule's end point, 12 + 28 years.
EARLY_CONVERGENCE_YEARS = 40


def early_convergence_twins(candidates: Sequence[Candidate] | None = None,
                            years: int = EARLY_CONVERGENCE_YEARS) -> tuple[Candidate, ...]:
    """Twins of the trend candidates (``migration_trend`` set) of ``candidates`` (default: :func:`default_candidates`)
    whose net migration, trend included, converges to zero from the origin, reached ``years`` later
    (``migration_convergence="zero"``, ``migration_convergence_start=0``), instead of being held for the
    back-tested years first: the variant pre-registered in docs/BACKTEST.md ("This round"), run with
    ``nested_backtest(data, candidates=default_candidates() + early_convergence_twins())``. Names end in
    ``-zero{years}``."""
    out = []
    for c in candidates if candidates is not None else default_candidates():
        if c.migration_trend is None:
            continue
        st = replace(c.settings, migration_convergence="zero", migration_convergence_start=0,
                     migration_convergence_years=int(years))
        out.append(replace(c, name=f"{c.name}-zero{int(years)}", settings=st))
    return tuple(out)


def _estimation_key(st: EstimationSettings) -> EstimationSettings:
    """The settings with the fields that act only on the schedule reset (one estimation serves them all)."""
    return replace(st, migration_convergence="none", migration_convergence_start=0, migration_convergence_years=20,
                   total_combination_weight=0.0, age_structure_weight=0.0, tfr_trend_breaks=(),
                   migration_trend_excludes=True, age_structure_damping=1.0, age_structure_power=1.0)


def _origin_forecasts(data: ProjectionData, Y: int, last: int, candidates: Sequence[Candidate], codes: list[str],
                      P: np.ndarray, years: list[int], register,
                      populations: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Forecast measures ``[H, T, 5]`` for horizons ``1..last - Y`` of every candidate and baseline; with
    ``populations`` (a dict to fill) each candidate's populations ``[H, T, 2, A]`` too."""
    H = last - Y
    out: dict[str, np.ndarray] = {}
    estimated: dict[EstimationSettings, object] = {}
    for c in candidates:
        key = _estimation_key(c.settings)
        if key not in estimated:
            estimated[key] = estimate_rates(data, codes, Y, key, register=register)
        rates = replace(estimated[key], settings=c.settings)
        pop = run_schedule(build_schedule(rates, c.scenario(), last)).population[1:]
        out[c.name] = _measures(pop)
        if populations is not None:
            populations[c.name] = pop
    need = [years.index(y) for y in range(Y - BASE_PERIOD, Y + 1)]
    hist = P[:, need]
    m_hist = _measures(hist)  # [T, 6, 5]
    x = np.arange(Y - BASE_PERIOD, Y + 1, dtype=float)
    targets = range(Y + 1, last + 1)
    out["constant"] = np.broadcast_to(m_hist[:, -1], (H,) + m_hist[:, -1].shape).copy()
    out["linear"] = np.stack([np.maximum(_extrapolate(m_hist, x, t, False), 0) for t in targets])
    out["exponential"] = np.stack([_extrapolate(m_hist, x, t, True) for t in targets])
    out["hamilton-perry"] = _measures(_hamilton_perry_path(hist, H))
    return out


@dataclass
class NestedBacktest:
    """Result of :func:`nested_backtest`.

    Attributes
    ----------
    errors
        Tidy ``base_year, horizon, territory_code, group, method, forecast, actual, error,
        error_pct`` (``error = F - A`` in persons, or years for ``median_age``; ``error_pct`` signed,
        per cent of ``A``) for every candidate, the baselines, ``default`` (the nested choice),
        ``default-min`` (the same with the plain-minimum rule), ``default-equal-weights`` (the
        one-SE choice with equal cell weights, when the census cells are down-weighted) and
        ``top{k}`` (the combinations).
    selection
        ``base_year, selected, cells, selected_by_min`` (the candidate chosen to score that origin,
        the number of fully observed (origin, horizon) back-tests it was chosen on, and the
        choice of the plain-minimum rule, whose forecasts are the method ``default-min``), and
        ``selected_equal_weights`` when the census cells are down-weighted.
    chosen
        The candidate the protocol selects on all the data: the shipped default.
    candidates
        The candidate set.
    scores
        Per (base_year, horizon) cell, each candidate's score (the mean over measures of
        ``log(MAPE / geometric mean MAPE)``).
    combinations
        ``base_year, k, members``: the candidates averaged by the method ``top{k}`` at that origin.
    ranked
        The candidates by their mean score on all back-tests, best first (the members of a
        combination to ship).
    break_weight
        The weight of the cells that cross a census break in the scores (1 = equal weights).
    """

    errors: pd.DataFrame
    selection: pd.DataFrame
    chosen: Candidate
    candidates: tuple[Candidate, ...]
    scores: pd.DataFrame | None = None
    combinations: pd.DataFrame | None = None
    ranked: tuple[str, ...] = ()
    break_weight: float = 1.0

    def out_of_sample_errors(self) -> pd.DataFrame:
        """The rows of ``default`` (out of sample for the choice too) and of the baselines."""
        return self.errors[self.errors["method"].isin((SELECTED, *BASELINES))].reset_index(drop=True)

    def summary(self, methods: Sequence[str] = (SELECTED, *BASELINES)) -> pd.DataFrame:
        """By ``method, group, horizon``: ``mape``, ``bias`` (mean signed % error), ``p90`` (90th
        percentile of absolute % errors) over all origins and territories, and ``origins``."""
        return error_summary(self.errors, methods)

    def pooled(self, horizons: Sequence[int] = POOLED_HORIZONS,
               methods: Sequence[str] = (SELECTED, *BASELINES)) -> pd.DataFrame:
        """MAPE by ``group`` (rows) and method (columns), the mean over ``horizons`` of each horizon's MAPE."""
        return pooled_mape(self.summary(methods), horizons, methods)

    def worst(self, method: str = SELECTED, horizons: Sequence[int] = POOLED_HORIZONS, n: int = 3) -> pd.DataFrame:
        """The ``n`` territories with the largest MAPE of ``method`` over ``horizons``, per group."""
        e = self.errors[(self.errors["method"] == method) & self.errors["horizon"].isin(list(horizons))]
        # observed=True: the columns may be categorical, and an older pandas (the declared minimum) would
        # otherwise add every group x territory pair without errors, as empty rows, and warn
        by = e.assign(ape=e["error_pct"].abs()).groupby(["group", "territory_code"], observed=True)
        t = pd.concat([by["ape"].mean().rename("mape"), by["error_pct"].mean().rename("bias")], axis=1).reset_index()
        return (t.sort_values(["group", "mape"], ascending=[True, False]).groupby("group", sort=False, observed=True)
                .head(n).reset_index(drop=True))


def error_summary(errors: pd.DataFrame, methods: Sequence[str] = (SELECTED, *BASELINES)) -> pd.DataFrame:
    """By ``method, group, horizon`` of the protocol's tidy ``errors`` (all of them, or those of some
    territories): ``mape``, ``bias`` (mean signed % error), ``p90`` (90th percentile of absolute % errors)
    over their origins and territories, and ``origins`` (how many)."""
    return _error_measures(errors[errors["method"].isin(methods)], ["method", "group", "horizon"],
                           origins=("base_year", "nunique"))


def _error_measures(errors: pd.DataFrame, by: list[str], **counts) -> pd.DataFrame:
    """Per ``by`` of tidy ``errors``: ``mape``, ``bias`` and ``p90`` of ``error_pct``, then ``counts``
    (named aggregations): the one definition of the measures of a single back-test and of the protocol."""
    e = errors.assign(ape=errors["error_pct"].abs())
    g = e.groupby(by, sort=False, observed=True)  # pandas < 3: no unobserved rows of categorical columns
    return g.agg(mape=("ape", "mean"), bias=("error_pct", "mean"), p90=("ape", lambda a: float(np.quantile(a, 0.9))),
                 **counts).reset_index()


def pooled_mape(summary: pd.DataFrame, horizons: Sequence[int] = POOLED_HORIZONS,
                methods: Sequence[str] = (SELECTED, *BASELINES)) -> pd.DataFrame:
    """MAPE by ``group`` (rows, :data:`MEASURES`) and method (columns) of an :func:`error_summary`: the mean
    over ``horizons`` of each horizon's MAPE (each horizon weighs the same)."""
    s = summary[summary["horizon"].isin(list(horizons))]
    return s.pivot_table(index="group", columns="method", values="mape", aggfunc="mean", observed=True).reindex(
        index=list(MEASURES), columns=list(methods))


def census_breaks() -> tuple[int, ...]:
    """Years of the level breaks of every territory's population in the register of breaks (the 2011 census)."""
    from ..indicators.breaks import ALL_TERRITORIES, breaks_for  # the register lives with the indicators

    reg = breaks_for("population")
    return tuple(sorted(int(y) for y in reg.loc[(reg["kind"] == "level") & (reg["territory"] == ALL_TERRITORIES), "year"]))


def cell_weights(index: pd.MultiIndex, breaks: Sequence[int], weight: float) -> pd.Series:
    """Weight of each back-test cell ``(base_year, horizon)`` in the nested score: ``weight`` when its
    target year crosses a level break (``Y' < b <= Y' + h'``: projected from before a census revision to
    after it), else 1."""
    y = index.get_level_values("base_year").to_numpy()
    h = index.get_level_values("horizon").to_numpy()
    crosses = np.zeros(len(index), dtype=bool)
    for b in breaks:
        crosses |= (y < b) & (b <= y + h)
    return pd.Series(np.where(crosses, float(weight), 1.0), index=index)


def future_break_weight(index: pd.MultiIndex, breaks: Sequence[int], interval: int = CENSUS_INTERVAL) -> float:
    """Weight of the cells that cross a break so that they count as often as in future back-tests.

    A cell of horizon ``h`` from a future origin crosses a census of an ``interval``-yearly round
    with a chance of about ``min(h / interval, 1)``; ``f`` is its mean over the cells ``index``
    (``base_year, horizon``), ``c`` the share of them that do cross one of ``breaks``. Weighing
    the crossing cells by ``w = f (1 - c) / (c (1 - f))`` makes their weighted share
    ``c w / (c w + 1 - c)`` equal to ``f``; 1 when ``c <= f`` (never up-weighted).
    """
    h = index.get_level_values("horizon").to_numpy(dtype=float)
    if not len(h):
        return 1.0
    f = float(np.minimum(h / interval, 1.0).mean())
    c = float((cell_weights(index, breaks, 0.0).to_numpy() == 0).mean())
    if c <= f or f >= 1.0:
        return 1.0
    return f * (1 - c) / (c * (1 - f))


def _cell_scores(errors: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Per (base_year, horizon): each candidate's mean over measures of ``log(MAPE / geometric mean MAPE)``."""
    e = errors[errors["method"].isin(list(names))]
    mape = e.assign(ape=e["error_pct"].abs()).groupby(["base_year", "horizon", "group", "method"])["ape"].mean()
    lm = np.log(mape.clip(lower=1e-9)).unstack("method")[list(names)]
    rel = lm.sub(lm.mean(axis=1), axis=0)
    return rel.groupby(level=["base_year", "horizon"]).mean()


def _usable(scores: pd.DataFrame, up_to: int) -> np.ndarray:
    """Mask of the cells ``(Y', h')`` fully observed by 1 January ``up_to`` (``Y' + h' <= up_to``)."""
    idx = scores.index
    return np.asarray((idx.get_level_values("base_year") + idx.get_level_values("horizon")) <= up_to)


def ranked_candidates(scores: pd.DataFrame, up_to: int, names: Sequence[str],
                      weights: pd.Series | None = None) -> list[str]:
    """``names`` ordered by their mean cell score (weighted by ``weights``) on the cells observed by
    ``up_to``, best first (ties in the given order); the given order when no cell is observed."""
    ok = _usable(scores, up_to) if len(scores) else np.zeros(0, dtype=bool)
    if not ok.any():
        return list(names)
    used = scores[ok][list(names)]
    w = np.ones(len(used)) if weights is None else weights.reindex(used.index).to_numpy(dtype=float)
    mean = (used.to_numpy() * w[:, None]).sum(0) / w.sum()
    order = np.argsort(mean, kind="stable")
    return [names[i] for i in order]


def select_candidate(scores: pd.DataFrame, up_to: int, names: Sequence[str], rule: str = "one-se",
                     weights: pd.Series | None = None) -> tuple[str, int]:
    """The candidate chosen on the back-tests fully observed by 1 January ``up_to``.

    A back-test (origin ``Y'``, horizon ``h'``) is usable when ``Y' + h' <= up_to``; with none the
    first candidate (the prior choice) is returned. ``rule="min"``: the lowest mean cell score
    (ties to the earlier candidate). ``rule="one-se"`` (default): that candidate only if its
    mean score is below the prior's by more than one standard error of the per-cell difference
    (the one-standard-error rule, Breiman et al. 1984; Hastie, Tibshirani & Friedman 2009,
    sec. 7.10), else the prior: a handful of short back-tests is not evidence enough to leave
    it. Returns ``(name, number of cells used)``.

    ``weights`` (per cell, e.g. :func:`cell_weights`) weigh the cells in the mean and in the
    standard error: with ``w`` the weights and ``d`` the per-cell differences,
    ``mean = sum w d / sum w`` and ``se = sqrt(n / (n - 1) * sum w (d - mean)^2 / sum w) *
    sqrt(sum w^2) / sum w`` (equal weights give the plain ``sd / sqrt(n)``).

    A difference exactly one standard error below zero is a tie and keeps the prior: it happens on
    a few cells where the candidates agree on all but one (e.g. ``d = (0, -a, 0)`` gives ``mean =
    -a / 3`` and ``se = a / 3``), and rounding (:data:`TIE_TOLERANCE`) must not decide it.
    """
    if rule not in ("one-se", "min"):
        raise ProjectionError(f"selection rule must be 'one-se' or 'min', got {rule!r}")
    ok = _usable(scores, up_to)
    if not ok.any():
        return names[0], 0
    used = scores[ok][list(names)]
    best = ranked_candidates(scores, up_to, names, weights)[0]
    if rule == "min" or best == names[0]:
        return best, int(ok.sum())
    d = (used[best] - used[names[0]]).to_numpy()
    w = np.ones(len(d)) if weights is None else weights.reindex(used.index).to_numpy(dtype=float)
    mean = float((w * d).sum() / w.sum())
    n = len(d)
    if n > 1:
        var = n / (n - 1) * float((w * (d - mean) ** 2).sum() / w.sum())
        se = float(np.sqrt(var) * np.sqrt((w**2).sum()) / w.sum())
    else:
        se = np.inf
    return (best if mean + se < -TIE_TOLERANCE else names[0]), int(ok.sum())


def nested_backtest(
    data: ProjectionData,
    candidates: Sequence[Candidate] | None = None,
    base_years: Sequence[int] | None = None,
    territories: str | Sequence[str] | None = "all",
    register=None,
    combine: Sequence[int] = COMBINATION_SIZES,
    break_weight: float | None = None,
) -> NestedBacktest:
    """Rolling-origin back-test with a nested, time-ordered choice of settings.

    Every origin ``Y`` (default: each base year with ``BASE_PERIOD`` years of history before it
    and at least one later population year) is projected with every candidate and every
    baseline to every horizon the data allow. The ``default`` forecast of origin ``Y`` is the
    candidate chosen by :func:`select_candidate` on the back-tests fully observed by ``Y`` (so no
    data after ``Y`` enters either the projection or the choice). ``chosen`` is the selection on
    all back-tests: the setting to ship.

    ``combine`` (sizes ``k``): also the method ``top{k}``, at each origin the mean of the age-sex
    populations of the ``k`` candidates with the best mean score on the back-tests observed by
    then (:func:`ranked_candidates`; a forecast combination, Smith, Tayman & Swanson 2013 ch. 13),
    out of sample like ``default`` (sizes above the number of candidates are left out).
    ``break_weight``: the weight in the nested score of the cells whose target year crosses a
    census level break of the register (:func:`cell_weights`; 1 = none; None = the weight of
    :func:`future_break_weight` for the protocol's cells); when it is below 1 the method
    ``default-equal-weights`` is the one-SE choice with equal weights, for comparison.

    Raises
    ------
    ProjectionError
        The data allow no back-test.
    """
    if register is None:
        from ..geography import get_register

        register = get_register()
    cands = tuple(candidates or default_candidates())
    names = [c.name for c in cands]
    if len(set(names)) != len(names):
        raise ProjectionError(f"candidate names must be distinct, got {names}")
    if any(int(k) < 1 for k in combine):
        raise ProjectionError(f"combination sizes must be at least 1, got {tuple(combine)}")
    combine = tuple(int(k) for k in combine if int(k) <= len(cands))
    if break_weight is not None and not 0.0 <= break_weight <= 1.0:
        raise ProjectionError(f"break_weight must be within [0, 1], got {break_weight}")

    def weights(scores: pd.DataFrame) -> pd.Series | None:
        return cell_weights(scores.index, breaks, break_weight) if breaks else None

    codes = resolve_territories(territories, data, register)
    pop = data.population
    pa = _population_array(pop[pop["territory_code"].astype(str).isin(codes)])
    years = [int(y) for y in pa.years]
    first, last = years[0], years[-1]
    origins = sorted(int(y) for y in (base_years or range(first + BASE_PERIOD, last)))
    origins = [Y for Y in origins if Y < last and all(y in years for y in range(Y - BASE_PERIOD, Y + 1))]
    if not origins:
        raise ProjectionError("the data allow no back-test (need six years of history and a later year)")
    P = pa.values[[pa.codes.index(c) for c in codes]]
    if break_weight is None:  # from the protocol's design (its cells), not from any error
        design = pd.MultiIndex.from_tuples([(Y, h) for Y in origins for h in range(1, last - Y + 1)],
                                           names=["base_year", "horizon"])
        break_weight = future_break_weight(design, census_breaks())
    breaks = census_breaks() if break_weight != 1.0 else ()
    frames, score_parts, combos = [], [], []
    for Y in origins:
        H = last - Y
        actual = _measures(P[:, [years.index(Y + h) for h in range(1, H + 1)]].transpose(1, 0, 2, 3))  # [H, T, 5]
        pops: dict[str, np.ndarray] | None = {} if combine else None
        fc = _origin_forecasts(data, Y, last, cands, codes, P, years, register, populations=pops)
        own = [_tidy_errors(Y, method, f, actual, codes) for method, f in fc.items()]
        score_parts.append(_cell_scores(pd.concat(own[:len(cands)], ignore_index=True), names))
        if pops:
            # ranked on the cells observed by Y: those of earlier origins only (Y' + h' <= Y, h' >= 1)
            earlier = pd.concat(score_parts[:-1]) if len(score_parts) > 1 else score_parts[-1].iloc[:0]
            ranked = ranked_candidates(earlier, Y, names, weights(earlier))
            for k in combine:
                top = ranked[:int(k)]
                mean_pop = np.mean([pops[n] for n in top], axis=0)
                own.append(_tidy_errors(Y, f"top{int(k)}", _measures(mean_pop), actual, codes))
                combos.append({"base_year": Y, "k": int(k), "members": tuple(top)})
        frames.extend(own)
        log.info("nested back-test: origin %d, %d horizons, %d candidates", Y, H, len(cands))
    errors = pd.concat(frames, ignore_index=True)
    scores = pd.concat(score_parts)
    w = weights(scores)
    rows, chosen_frames = [], []
    for Y in origins:
        name, cells = select_candidate(scores, Y, names, weights=w)
        plain, _ = select_candidate(scores, Y, names, rule="min", weights=w)
        rows.append({"base_year": Y, "selected": name, "cells": cells, "selected_by_min": plain})
        chosen_frames.append(errors[(errors["method"] == name) & (errors["base_year"] == Y)].assign(method=SELECTED))
        chosen_frames.append(errors[(errors["method"] == plain) & (errors["base_year"] == Y)].assign(method=SELECTED_MIN))
        if w is not None:
            equal, _ = select_candidate(scores, Y, names)
            rows[-1]["selected_equal_weights"] = equal
            chosen_frames.append(errors[(errors["method"] == equal) & (errors["base_year"] == Y)]
                                 .assign(method=SELECTED_EQUAL))
    final, _ = select_candidate(scores, last, names, weights=w)
    ranked_all = ranked_candidates(scores, last, names, w)
    errors = pd.concat([errors, *chosen_frames], ignore_index=True)
    errors["method"] = errors["method"].astype("category")
    errors["group"] = errors["group"].astype("category")
    return NestedBacktest(errors=errors, selection=pd.DataFrame(rows), chosen=cands[names.index(final)],
                          candidates=cands, scores=scores, combinations=pd.DataFrame(combos),
                          ranked=tuple(ranked_all), break_weight=float(break_weight))


def _tidy_errors(Y: int, method: str, fc: np.ndarray, actual: np.ndarray, codes: Sequence[str]) -> pd.DataFrame:
    """Long frame of forecasts ``fc[H, T, 5]`` against ``actual`` (same shape)."""
    H, T, G = fc.shape
    h, t, g = np.meshgrid(np.arange(1, H + 1), np.arange(T), np.arange(G), indexing="ij")
    err = fc - actual
    return pd.DataFrame({
        "base_year": Y, "horizon": h.ravel(), "territory_code": np.asarray(codes, dtype=object)[t.ravel()],
        "group": np.asarray(MEASURES, dtype=object)[g.ravel()], "method": method, "forecast": fc.ravel(),
        "actual": actual.ravel(), "error": err.ravel(), "error_pct": (err / actual * 100).ravel(),
    })


def out_of_sample_result(errors: pd.DataFrame, base_year: int, horizon: int) -> BacktestResult | None:
    """The back-test from ``base_year`` over ``horizon`` years as :func:`backtest` gives it, taken from the
    nested protocol's ``errors`` (:func:`out_of_sample_errors`): its default is the method with the
    settings the protocol chose on back-tests known by ``base_year``, out of sample for that choice too
    (the shipped settings were chosen on every origin, this one included). ``None`` when ``errors``
    have no default row of that origin and horizon."""
    cell = errors[(errors["base_year"] == int(base_year)) & (errors["horizon"] == int(horizon))
                  & errors["group"].astype(str).isin(MEASURES)]
    method = cell["method"].astype(str)
    if not method.eq(SELECTED).any():
        return None
    cell = cell[method.isin((SELECTED, *BASELINES))]
    out = pd.DataFrame({
        "method": cell["method"].astype(str).replace({SELECTED: DEFAULT_METHOD}).to_numpy(),
        "territory_code": cell["territory_code"].astype(str).to_numpy(),
        "group": cell["group"].astype(str).to_numpy(),
        "forecast": cell["forecast"].to_numpy(float), "actual": cell["actual"].to_numpy(float),
        "error_pct": cell["error_pct"].to_numpy(float)})
    return BacktestResult.from_errors(base_year, horizon, out)


def out_of_sample_errors(data: ProjectionData, **kwargs) -> pd.DataFrame:
    """Per (origin, horizon, territory, group) errors of the nested default and the baselines.

    A tidy frame (see :attr:`NestedBacktest.errors`) with ``method`` in ``default``,
    ``constant``, ``linear``, ``exponential``, ``hamilton-perry``; keyword arguments go to
    :func:`nested_backtest`. Prediction intervals built from it are honest: every ``default``
    row is out of sample for the projection and for the choice of its settings.
    """
    return nested_backtest(data, **kwargs).out_of_sample_errors()
