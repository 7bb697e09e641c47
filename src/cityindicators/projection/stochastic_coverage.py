"""Out-of-sample coverage of the stochastic band, uncalibrated and calibrated, on the back-test.

At every origin ``Y`` the intervals scored (:func:`~.intervals.nested_interval_coverage`), the
stochastic model is run the way a user at ``Y`` would have run it: rates estimated from the data
up to ``Y`` with the setting the back-test chose at ``Y`` (:attr:`~.backtest.NestedBacktest.selection`,
the ``default`` method's candidate), its scenario, every municipality, and trajectories to the
last year of the data. Its band is scored against the later published populations twice: as the
model gives it, and calibrated (:mod:`.calibration`) to the empirical interval of the variant the
time-ordered rule chose at ``Y``, fitted on the back-test errors known by ``Y``
(``origin + horizon <= Y``). Nothing after ``Y`` enters the band of origin ``Y``: the coverage is
out of sample for the calibration as for the intervals (docs/INTERVALS.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pandas as pd

from ..exceptions import ProjectionError
from .calibration import StochasticCalibration
from .estimation import estimate_rates
from .intervals import INTERVAL_VARIANTS, fit_interval_model, log_errors
from .stochastic import GROUP_LABELS, simulate

__all__ = ["StochasticCoverage", "stochastic_coverage", "median_factor_by_horizon", "BANDS"]

#: The bands scored: the model's own, the calibrated one (each measure its own factor, shipped) and
#: the one calibrated with the total's factor for every group.
BANDS = ("uncalibrated", "calibrated", "calibrated-total-factor")


@dataclass
class StochasticCoverage:
    """Result of :func:`stochastic_coverage`.

    Attributes
    ----------
    cases
        One row per ``band, base_year, horizon, territory_code, group``: the band's bounds
        ``lower``, ``upper``, its ``median``, the deterministic ``forecast`` of the back-test, the
        published ``actual`` and ``inside``.
    factors
        ``base_year, horizon, territory_code, size_class, group, factor``: the calibration factors
        of the band ``calibrated`` (the empirical width over the model's, :mod:`.calibration`).
    origins
        ``base_year, candidate, variant``: the setting and the interval variant used at each origin.
    trajectories
        Trajectories per origin.
    """

    cases: pd.DataFrame
    factors: pd.DataFrame
    origins: pd.DataFrame
    trajectories: int = 0

    def by_horizon(self) -> pd.DataFrame:
        """``band, group, horizon, coverage, n, origins``."""
        return self.cases.groupby(["band", "group", "horizon"], sort=False).agg(
            coverage=("inside", "mean"), n=("inside", "size"), origins=("base_year", "nunique")).reset_index()

    def pooled(self) -> pd.DataFrame:
        """Coverage over every case: ``band`` rows, ``group`` columns."""
        return self.cases.groupby(["band", "group"], sort=False)["inside"].mean().unstack("group")


def stochastic_coverage(data, backtest, intervals, n: int = 300, seed: int = 2026, level: float = 0.8,
                        groups: Sequence[str] = GROUP_LABELS, bands: Sequence[str] = BANDS,
                        register=None) -> StochasticCoverage:
    """Score the stochastic band of every origin the intervals were scored at (see the module docstring).

    Parameters
    ----------
    data
        The :class:`~.data.ProjectionData` the back-test ran on.
    backtest
        Its :class:`~.backtest.NestedBacktest` (errors, the candidate chosen at each origin).
    intervals
        The :class:`~.intervals.NestedCoverage` of its errors (the variant chosen at each origin).
    n, seed
        Trajectories per origin and the seed (the same for every origin).
    bands
        Which of :data:`BANDS` to score (the factors are those of ``calibrated``, when scored).
    """
    unknown = [b for b in bands if b not in BANDS]
    if unknown:
        raise ProjectionError(f"unknown stochastic band(s) {unknown}: choose from {BANDS}")
    errors = backtest.out_of_sample_errors()
    default = errors[errors["method"] == "default"]
    le = log_errors(errors, data.population)
    chosen = backtest.selection.set_index("base_year")["selected"]
    names = [c.name for c in backtest.candidates]
    variants = intervals.selection.set_index("base_year")["variant"]
    scored = sorted(int(y) for y in intervals.cases["base_year"].unique())
    if not scored:
        raise ProjectionError("no origin with scored intervals to run the stochastic band from")
    codes = sorted(str(c) for c in default["territory_code"].unique())
    last = int((default["base_year"] + default["horizon"]).max())
    lo_p, hi_p = (1 - level) / 2, (1 + level) / 2
    cases, factors, origins = [], [], []
    for Y in scored:
        cand = backtest.candidates[names.index(chosen.loc[Y])]
        variant = str(variants.loc[Y])
        model = fit_interval_model(le, Y, level, **INTERVAL_VARIANTS[variant])
        rates = estimate_rates(data, codes, Y, cand.settings, register=register)
        outcome = default[(default["base_year"] == Y) & default["group"].isin(groups)]
        outcome = outcome[["horizon", "territory_code", "group", "forecast", "actual"]].astype(
            {"territory_code": object, "group": object})
        for band in bands:
            calibration = None if band == "uncalibrated" else StochasticCalibration(
                model, variant, factor_of="total" if band == "calibrated-total-factor" else "own")
            run = simulate(rates, cand.scenario(), last, n=n, seed=seed, quantiles=(lo_p, 0.5, hi_p),
                           reference=rates, calibration=calibration)
            q = run.quantiles
            q = q[(q["sex"] == "total") & q["age_group"].isin(groups) & (q["year"] > Y)]
            wide = q.pivot_table(index=["territory_code", "year", "age_group"], columns="quantile",
                                 values="value").reset_index()
            wide = wide.rename(columns={lo_p: "lower", 0.5: "median", hi_p: "upper", "age_group": "group"})
            wide = wide.assign(horizon=wide["year"] - Y).drop(columns="year")
            part = outcome.merge(wide, on=["horizon", "territory_code", "group"], how="inner")
            part = part.assign(band=band, base_year=Y,
                               inside=(part["actual"] >= part["lower"]) & (part["actual"] <= part["upper"]))
            cases.append(part)
            if band == "calibrated":
                factors.append(run.factors[run.factors["horizon"] > 0].assign(base_year=Y).drop(columns="year"))
        origins.append({"base_year": Y, "candidate": cand.name, "variant": variant})
    cols = ["band", "base_year", "horizon", "territory_code", "group", "lower", "median", "upper", "forecast",
            "actual", "inside"]
    return StochasticCoverage(
        cases=pd.concat(cases, ignore_index=True)[cols],
        factors=pd.concat(factors, ignore_index=True)[["base_year", "horizon", "territory_code", "size_class",
                                                       "group", "factor"]] if factors else pd.DataFrame(),
        origins=pd.DataFrame(origins), trajectories=int(n))


def median_factor_by_horizon(cov: StochasticCoverage) -> pd.DataFrame:
    """The median over origins and territories of the calibration factor by horizon (rows) and
    measure (columns): how many times wider than the model's own band the empirical interval was."""
    return cov.factors.groupby(["horizon", "group"], sort=False)["factor"].median().unstack("group")

