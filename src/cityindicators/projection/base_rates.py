"""The result of the rate estimation: :class:`BaseRates` (base population and rates by territory).

Arrays are ``[territory, sex, age]`` with ``sex`` 0 = male, 1 = female (:data:`.agegroups.SEXES`)
and ages ``0..omega``; :func:`first_year_survivors` is the survivor count both the estimation
(children's migration) and :meth:`BaseRates.net_migration` weigh rates with.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
import pandas as pd

from ..cube import Cube
from .agegroups import BROAD_AGE_GROUPS, FEMALE, SEXES
from .lifetable import E0Scaler, survival_ratios
from .settings import EstimationSettings

__all__ = ["BaseRates", "first_year_survivors"]

#: Axes of the arrays of :class:`BaseRates` that are not ``[territory, sex, age]`` (as stored).
_CUBE_DIMS: dict[str, tuple[str, ...]] = {
    "e0": ("territory", "sex"), "asfr": ("territory", "age"), "tfr": ("territory",),
    "male_share": ("territory",), "total_trend": ("territory",), "tfr_reference": ("territory",), "tfr_hist": ("territory", "year"),
    "netmig_hist": ("territory", "year"), "e0_hist": ("territory", "sex", "year"),
}


@dataclass
class BaseRates:
    """Base-year population and rates of a set of territories (arrays ``[territory, sex, age]``).

    Attributes
    ----------
    codes, base_year, ages
        Territories, the base year (population at 1 January) and ages ``0..omega``.
    population
        Base population ``[T, 2, A]`` with the open group split to ``omega``.
    mortality
        Central death rates ``[T, 2, A]``; ``e0`` ``[T, 2]`` their life expectancy.
    asfr, tfr
        Age-specific fertility ``[T, A]`` (per woman-year) and its sum.
    male_share
        Share of boys among births ``[T]``.
    mig_in_rate, mig_out_rate
        Inflow and outflow per survivor ``[T, 2, A]`` (net = in - out); zero in ``count`` mode.
    mig_in_count, mig_out_count
        Inflow and outflow in persons per year ``[T, 2, A]``; zero in ``rate`` mode.
    hist_years, tfr_hist, e0_hist, netmig_hist
        Annual histories for trends and the stochastic model: TFR ``[T, H]``, life expectancy
        ``[T, 2, H]`` (county series shifted by the territory's difference) and the crude net
        migration rate ``[T, H]`` (per person) from the balancing equation.
    details
        Per-territory notes: which method/fallback produced each rate.
    inflow_pool_base, inflow_pool_window
        Population ``[2, A]`` by sex and age of the municipalities of the data (the national
        pool of in-migrants) at 1 January of the base year and its mean over the migration
        window's end-of-year populations; None when ``inflow_pool`` is off. The schedule scales
        the count part of the inflow with the cohort-shifted ratio of the two.
    mig_longrun_rate
        The territory's long-run net migration rate per survivor ``[T, 2, A]`` (all event years
        of the data up to the base year but the excluded ones, equal weights, smoothed like the
        window's), the ``own_mean`` target of convergence; None for rates built by hand.
    total_trend
        Exponential growth rate ``[T]`` of the total population: the OLS slope of ``log P`` on the
        years ``Y - 5 .. Y`` (as the ``exponential`` back-test baseline), the partner of the
        forecast combination (``total_combination_weight``); None for rates built by hand.
    median_age_trend
        ``[T, 2]``: the OLS line of the log median age on the years ``Y - 5 .. Y``, its value at
        ``Y`` and its slope per year (as the ``exponential`` back-test baseline of the median age), the
        partner of the age-structure combination (``age_structure_weight``); None for rates built by hand.
    tfr_reference
        The TFR of all municipalities of the data over the fertility window ``[T]`` (one value,
        repeated): the long-run level of a converging TFR trend; None for rates built by hand.
    improvement_by_age
        ``[T, 2, A]``: the relative pace ``b_x`` at which the log death rate of each age falls as life
        expectancy rises (1 = every age at the same pace), estimated from the country's cohort survival
        (:func:`~cityindicators.projection.estimation.mortality.improvement_by_age`), estimated and used
        when ``settings.mortality_improvement`` is ``by_age``; None otherwise and for rates built by hand
        (the plain scaling).
    """

    codes: tuple[str, ...]
    base_year: int
    ages: np.ndarray
    population: np.ndarray
    mortality: np.ndarray
    e0: np.ndarray
    asfr: np.ndarray
    tfr: np.ndarray
    male_share: np.ndarray
    mig_in_rate: np.ndarray
    mig_out_rate: np.ndarray
    mig_in_count: np.ndarray
    mig_out_count: np.ndarray
    hist_years: np.ndarray
    tfr_hist: np.ndarray
    e0_hist: np.ndarray
    netmig_hist: np.ndarray
    settings: EstimationSettings = field(default_factory=EstimationSettings)
    details: dict[str, dict[str, object]] = field(default_factory=dict)
    inflow_pool_base: np.ndarray | None = None
    inflow_pool_window: np.ndarray | None = None
    mig_longrun_rate: np.ndarray | None = None
    total_trend: np.ndarray | None = None
    median_age_trend: np.ndarray | None = None
    tfr_reference: np.ndarray | None = None
    improvement_by_age: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def e0_scaler(self) -> E0Scaler:
        """The :class:`E0Scaler` of :attr:`mortality`, built once (copies made by ``replace`` share it); with
        ``settings.mortality_improvement == "by_age"`` its rates move by age as :attr:`improvement_by_age` says."""
        b = self.improvement_by_age if self.settings.mortality_improvement == "by_age" else None
        hit = self._cache.get("e0_scaler")
        if hit is None or hit[0] is not self.mortality or hit[1] is not b:  # copies share the cache
            hit = self._cache["e0_scaler"] = (self.mortality, b, E0Scaler(self.mortality, b=b))
        return hit[2]

    @property
    def open_age(self) -> int:
        return int(self.ages[-1])

    def cube(self, name: str) -> Cube:
        """The array ``name`` (``population``, ``mortality``, ``asfr``, ``mig_in_rate``, ``e0_hist``, ...)
        as a :class:`~cityindicators.cube.Cube` in the package's axis order (a view: nothing copied).

        Axes by name: ``[T, 2, A]`` arrays are (territory, sex, age), ``e0`` (territory, sex),
        ``asfr`` (territory, age), ``tfr``, ``male_share``, ``total_trend`` (territory), the
        histories (territory, year) and ``e0_hist`` (territory, year, sex), its years
        :attr:`hist_years`.
        """
        dims = _CUBE_DIMS.get(name, ("territory", "sex", "age"))
        values = getattr(self, name)
        if values is None:
            raise KeyError(f"BaseRates.{name} is not set")
        coords = {"territory": self.codes, "sex": SEXES, "age": self.ages, "year": self.hist_years}
        return Cube(values, dims, {d: coords[d] for d in dims}).in_order()

    def subset(self, codes: Sequence[str]) -> "BaseRates":
        """The same rates for some of the territories, in the given order."""
        idx = [self.codes.index(c) for c in codes]
        arrays = {
            name: getattr(self, name)[idx]
            for name in ("population", "mortality", "e0", "asfr", "tfr", "male_share", "mig_in_rate",
                         "mig_out_rate", "mig_in_count", "mig_out_count", "tfr_hist", "e0_hist", "netmig_hist")
        }
        for name in ("mig_longrun_rate", "total_trend", "median_age_trend", "tfr_reference", "improvement_by_age"):
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)[idx]
        return replace(self, codes=tuple(codes), details={c: self.details.get(c, {}) for c in codes}, **arrays)

    def net_migration(self) -> np.ndarray:
        """Expected net migrants of the first projection year ``[T, 2, A]`` (persons)."""
        surv = first_year_survivors(self.population, self.mortality, self.asfr, self.male_share)
        return (self.mig_in_rate - self.mig_out_rate) * surv + self.mig_in_count - self.mig_out_count

    def report(self) -> pd.DataFrame:
        """The estimates a user should see and may change, one row each.

        Columns ``territory_code, indicator, sex, value, unit, method``. Indicators: ``tfr``
        (children per woman), ``e0`` (years), ``male_births_per_female`` (sex ratio at birth),
        ``smr`` (standardised mortality ratio against the county), ``net_migration`` by broad age
        group (persons per year, first projection year), ``net_migration_rate`` (per 1,000) and
        ``open_age_growth`` (annual growth of the data's open age group, which sets the split of
        the base population above it).
        """
        rows: list[dict[str, object]] = []
        nm = self.net_migration()
        for i, code in enumerate(self.codes):
            det = self.details.get(code, {})
            rows.append(dict(territory_code=code, indicator="tfr", sex="female", value=float(self.tfr[i]),
                             unit="children per woman", method=det.get("fertility", "")))
            for s, sex in enumerate(SEXES):
                rows.append(dict(territory_code=code, indicator="e0", sex=sex, value=float(self.e0[i, s]),
                                 unit="years", method=det.get("mortality", "")))
            p = float(self.male_share[i])
            rows.append(dict(territory_code=code, indicator="male_births_per_female", sex="total",
                             value=p / (1 - p), unit="ratio", method=det.get("srb", "")))
            if "smr" in det:
                rows.append(dict(territory_code=code, indicator="smr", sex="total", value=float(det["smr"]),
                                 unit="ratio", method=det.get("mortality", "")))
            for label, (lo, hi) in {**BROAD_AGE_GROUPS, "total": (0, None)}.items():
                sl = slice(lo, None if hi is None else hi + 1)
                for s, sex in enumerate(SEXES):
                    rows.append(dict(territory_code=code, indicator=f"net_migration_{label}", sex=sex,
                                     value=float(nm[i, s, sl].sum()), unit="persons per year",
                                     method=det.get("migration", "")))
            rows.append(dict(territory_code=code, indicator="net_migration_rate", sex="total",
                             value=1000 * float(nm[i].sum() / self.population[i].sum()), unit="per 1,000",
                             method=det.get("migration", "")))
            for s, sex in enumerate(SEXES if "open_age_growth" in det else ()):
                rows.append(dict(territory_code=code, indicator="open_age_growth", sex=sex,
                                 value=det["open_age_growth"][s], unit="per year", method=det["open_age"]))
        return pd.DataFrame(rows)


def first_year_survivors(P0: np.ndarray, m: np.ndarray, asfr: np.ndarray, male_share: np.ndarray) -> np.ndarray:
    """Survivors ``[T, 2, A]`` of the first projection year by age at its end (age 0: surviving births)."""
    S, Sb = survival_ratios(m, FEMALE[None, :])
    surv = np.empty_like(P0)
    surv[..., 1:] = P0[..., :-1] * S
    surv[..., -1] += P0[..., -1] * S[..., -1]
    births = (asfr[:, None, :] * P0[:, 1:2, :]).sum(-1)[:, 0]
    share = np.stack([male_share, 1 - male_share], axis=-1)
    surv[..., 0] = births[:, None] * share * Sb
    return surv
