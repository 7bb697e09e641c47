"""Estimation of the base rates of a projection, with documented fallbacks.

Everything is computed for all territories at once on arrays ``[territory, sex, age]``
(``sex`` 0 = male, 1 = female; ages ``0..omega``, ``omega`` an open group, default 100+).
Calendar year ``y`` events (births, deaths) fall between the populations of 1 January ``y``
and ``y + 1``; their exposure is the mid-year population ``(P_y + P_{y+1}) / 2``. A projection
from base year ``Y`` uses population data up to 1 January ``Y`` and events up to year ``Y - 1``.

Mortality
    *Age-specific* when the ``deaths`` table has single ages for the territory (rates
    ``D_x / E_x`` pooled over the window). *Otherwise* a model schedule

    .. math::  m(x) = m_0 e^{-2x} + c + \\frac{a e^{b (x - 60)}}{1 + a e^{b (x - 60)}}, \\quad x \\ge 1

    (a decaying childhood term, a Makeham constant ``c`` and a logistic Gompertz-Kannisto
    senescent term with fixed slope ``b`` by sex; Thatcher, Kannisto & Vaupel 1998,
    *The Force of Mortality at Ages 80 to 120*), with ``m(0)`` from the observed infant
    mortality, and the level ``a`` solved so that the life expectancy equals the published
    ``e_0`` of the territory's county (else the country; else one derived from single-age
    deaths of the data) averaged over the window, then rescaled to the mean of the last
    ``e0_window`` years. The
    municipality's schedule is this county schedule multiplied at ages 1+ by its standardised
    mortality ratio (indirect standardisation)

    .. math::  SMR = \\frac{O + k}{E + k}, \\quad E = \\sum_{y,s,x \\ge 1} m^{county}_{s}(x) E_{y,s,x}

    with observed deaths ``O`` at ages 1+ and a credibility prior of ``k`` expected deaths
    (``smr_prior_deaths``) that pulls small municipalities towards the county. Infant
    mortality ``q_0 = (D_0 + k q_0^{county}) / (B + k)`` is shrunk the same way.

Estimated Gompertz slope (option, off by default)
    With ``gompertz_slope_estimate`` the slope ``b`` by sex is estimated from the data up to the
    base year instead of fixed: from the cohort survival of the country (the country's single-age
    population; else the sum over the municipalities) at ages 60-84 (``gompertz_slope_ages``),
    where international migration is small, over the ``mortality_window`` years before ``Y``,
    ``m_x(t) = -log(P_{x+1}(t+1) / P_x(t))``. Under the schedule above (adult ages, childhood term
    negligible) ``log(mu / (1 - mu)) = log a + b (x - 60)`` with ``mu = m - c``, so ``b`` is the
    least-squares slope of the logit of ``m_x - c`` on age over all window years and ages, clipped
    to ``gompertz_slope_bounds`` (0.06-0.13); the level ``a`` is then calibrated to the published
    life expectancy as before. With fewer than two window years the fixed slope is used. On the
    lt-osp extract it gives (male, female) about (0.083, 0.119) for base year 2006, falling to
    (0.065-0.067, 0.096-0.101) for 2009-2014. It narrows but does not close the one back-test cell
    the default loses (65+ at horizon 9: +0.075 instead of +0.21 points against Hamilton-Perry), so
    it is not the default (``docs/BACKTEST.md``).

Fertility
    *Age-specific* rates from ``ProjectionData.asfr`` when given. *Otherwise* the standard
    Hadwiger age pattern (Chandola, Coleman & Hiorns 1999, *Population Studies* 53)

    .. math::  h(x) = \\frac{H}{R \\sqrt{\\pi}} \\left(\\frac{R}{x}\\right)^{3/2}
               \\exp\\left[-H^2 \\left(\\frac{R}{x} + \\frac{x}{R} - 2\\right)\\right]

    on ages 15-49 (``x`` = age + 0.5), normalised to sum to one, is scaled so that it reproduces
    the observed births: ``TFR = sum_y B_y / sum_{y,x} h(x) W_{y,x}`` with ``W`` the mid-year
    women. The sex ratio at birth is the share of boys among births, shrunk towards the
    country's share with a prior of ``srb_prior_births`` births.

Migration
    Net migration by age and sex from *cohort residuals* over the last ``migration_window``
    years: ``NM_{y+1,x+1} = P_{y+1,x+1} - P_{y,x} S_{y,x}`` (births ``B_y S_b`` for age 0, the
    open group fed by the last two ages), where the survival ratios ``S_y`` of each year come
    from the territory's schedule scaled to that year's published (county) life expectancy, so
    falling mortality is not mistaken for migration. Years are weighted: each earlier year by
    ``migration_decay`` relative to the next, and atypical years (crude net rate more than
    ``migration_robust`` robust standard deviations from the window median) are down-weighted
    Huber-style. Counts and survivor exposures are smoothed over age with a Gaussian kernel
    whose width shrinks with the territory's size (``migration_smoothing`` years at 20,000
    residents), so noisy single ages of small municipalities borrow from their neighbours.
    The default ``migration_model='mixed'`` keeps net *losses* by age and sex as rates on the
    survivors (emigration scales with the population at risk) and net *gains* as mean annual
    counts (in-migrants come from outside the territory; Rogers 1990, "Requiem for the net
    migrant", *Geographical Analysis* 22); ``rate`` and ``count`` use one form for both.
    With gross flows in the ``migration`` table (emigrants + internal departures) the outflow is
    the observed crude outflow rate spread by the age profile of net losses, and the inflow the
    net plus that outflow; without them negative net cells count as outflow and positive ones
    as inflow (the ``low-emigration`` scenario scales the outflow part).

Default migration schedule (a forecast combination)
    The baseline net-migration schedule is the equal-weight average (``pooled_migration_weight``
    0.5) of two estimates of the same window: (a) the decayed, robust, smoothed, ``mixed``
    cohort residuals above, and (b) the *Hamilton-Perry-implied* rates
    ``r_x = sum_y P_{x+1}(y+1) / sum_y P_x(y) S^{base}_x - 1``: the equal-weight pooled cohort
    change of the window (what a cohort-change-ratio projection applies) divided by the base
    schedule's survival, unsmoothed. Projected with the base mortality, (b) alone reproduces
    the Hamilton-Perry cohort changes at ages 1+, including the local old-age survival that the
    county-calibrated schedule misses; (a) follows recent years and handles atypical ones.
    Combining two forecasts with different error patterns (Smith, Tayman & Swanson 2013, *A
    Practitioner's Guide to State and Local Population Projections*, ch. 13; Wilson 2015,
    *Journal of Population Research* 32) is more accurate on average than either. The
    combination is made on the *schedule*: (b) enters as in-rates (positive cells) and
    out-rates (negative cells), (a) keeps its form scaled by 0.5, so births and deaths remain the
    cohort-component ones, the accounting identity holds exactly, and scenarios scale or shift
    the combined schedule as before (``low-emigration`` halves both out-rate parts).

Children's migration (family model)
    Children move with their parents. With the default ``child_migration='family'`` the net
    migration of ages 0-14 (by age at the end of the year, both sexes) is

    .. math::  r^{child}_{x} = \\phi_x \\, r^{W}, \\qquad
               \\phi_x = \\frac{\\sum_i N_{i,x}}{\\sum_i r^{W}_i S_{i,x}}

    where ``r^W`` is the territory's net migration rate of women 25-44 (the mothers' ages) in the
    schedule above (rates and counts over the first year's survivors ``S``) and ``phi_x`` the
    share by single age, pooled over the municipalities of the data ``i`` (the ratio of their
    children's net migrants ``N`` to what their mothers' rates would give), bounded below by 0.
    This is the family (childhood) component of the Rogers-Castro model migration schedule
    (Rogers & Castro 1981, *Model Migration Schedules*, IIASA RR-81-30), in which the children's
    rates mirror the parents'. The child residuals of one municipality are noisy (a few families
    make them) and, held as counts or rates of their own, drift away from the adults' migration
    they come with; tying them to the mothers' rate keeps households together in the projection.
    ``child_migration='own'`` keeps the children's own residual schedule.

In-migrant pool
    The net gains held as counts (the ``mixed`` model) come from the rest of the country. With
    ``inflow_pool`` the count part at ages below ``inflow_pool_max_age`` (50) is scaled in each
    projection year with the size of the cohort in all municipalities against the window it was
    estimated on (see :mod:`.schedule`), a pool-migration model (Rees 1986, in Woods & Rees eds.,
    *Population Structures and Models*): when the much smaller cohorts born in the 1990s reach
    the ages of moving to town, the number of in-migrants falls with them. Mortality is ignored
    in the cohort shift, hence the age limit.

Atypical years
    ``migration_excluded_years`` leaves event years out of every migration window and of the
    long-run mean. The default, ``(2010, 2011)``, drops Lithuania's 2010 declaration wave (many
    residents who had left in earlier years declared their departure that year, when the
    compulsory health-insurance contribution made it worth doing) and the 2011 census year
    (populations of 1 January 2011-2012 revised to the census). Without it the Huber weights of
    ``migration_robust`` still down-weight a year whose crude net rate is atypical for the
    territory.

Convergence
    ``migration_convergence`` moves the net migration schedule from the window's level towards
    a long-run level over ``migration_convergence_years`` (:func:`.schedule.convergence_weights`):
    ``zero``, or ``own_mean``, the territory's net rate per survivor by age and sex pooled over
    every usable event year up to the base year with equal weights and the same age smoothing
    (:attr:`BaseRates.mig_longrun_rate`), as EUROPOP and Statistics Norway's regional projections
    converge their migration assumptions.

Defaults are what the out-of-sample back-test protocol selects (:func:`.backtest.nested_backtest`,
``docs/BACKTEST.md``): among its candidate settings, the one with the best record on every
back-test of the data (origins 2006-2017, horizons to 2018) is shipped; each origin's own score
uses the setting chosen on the back-tests observable by then. The chosen one is a five-year
window (``migration_window=5``, equal year weights ``migration_decay=1``) without the event years
2010-2011, no convergence, no combination of the total; with the ``baseline`` scenario's life
expectancy rising by 0.15 years a year. The other settings (``migration_robust=4``,
``migration_smoothing=1``, ``migration_model='mixed'``, ``pooled_migration_weight=0.5``,
``child_migration='family'``, ``inflow_pool=True`` below age 50, ``open_age_split='stable'``,
``fertility_window=2``, ``e0_window=5``) were chosen in an earlier round on back-tests of the
same extract up to 2015 and are not re-selected by the protocol.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np
import pandas as pd

from ..exceptions import ProjectionError
from .data import ProjectionData
from .lifetable import E0Scaler, life_expectancy, life_table, survival_ratios
from .openage import split_open_age

__all__ = [
    "EstimationSettings",
    "BaseRates",
    "estimate_rates",
    "model_mortality",
    "calibrate_mortality",
    "hadwiger",
    "BROAD_AGE_GROUPS",
]

log = logging.getLogger(__name__)

#: Broad age groups used in reports, back-tests and stochastic quantiles: label -> (lo, hi).
BROAD_AGE_GROUPS: dict[str, tuple[int, int | None]] = {"0-14": (0, 14), "15-64": (15, 64), "65+": (65, None)}

SEXES = ("male", "female")
#: Years before the base year whose totals give the exponential trend of the forecast combination.
TOTAL_TREND_YEARS = 5
#: Long-run levels net migration can converge to (``EstimationSettings.migration_convergence``).
CONVERGENCE_TARGETS = ("none", "zero", "own_mean")
FEMALE = np.array([False, True])


@dataclass(frozen=True)
class EstimationSettings:
    """Tunable choices of the estimation (defaults are the back-tested ones).

    Parameters
    ----------
    migration_window
        Years of cohort residuals averaged for net migration.
    migration_smoothing, smoothing_reference_population
        Standard deviation (years of age) of the Gaussian kernel smoothing the residuals of a
        territory of ``smoothing_reference_population`` residents; it scales with
        ``sqrt(reference / population)`` (residual noise falls with size), within 0.25-6 years.
    migration_decay
        Weight of each earlier year of the window relative to the next (1 = equal weights;
        0.7 = the year before last counts 70 % of the last).
    migration_robust
        Huber constant ``c`` for down-weighting atypical years of the window: a year whose crude
        net migration rate lies more than ``c`` robust standard deviations (1.4826 x MAD, at
        least 2 per 1,000) from the window median gets weight ``c sd / |deviation|`` (0 = off).
        Guards against one-off register effects such as Lithuania's 2010 declaration wave.
    migration_model
        ``rate`` (net migration per survivor, by age and sex), ``count`` (mean annual persons)
        or ``mixed`` (losses as rates, gains as counts).
    pooled_migration_weight
        Weight of the Hamilton-Perry-implied rates (equal-weight pooled cohort change of the
        window over the base survival) in the default net-migration schedule; the decayed
        robust residual estimate gets ``1 - weight`` (0 = residuals only, 1 = the cohort-change
        ratios only). See "Default migration schedule" in the module docstring.
    child_migration, family_child_ages, family_parent_ages
        ``family`` (default): net migration of children (``family_child_ages``, by age at the end
        of the year, both sexes) is the net migration rate of women of ``family_parent_ages``
        (the mothers' ages) of the same territory times a share ``phi_x`` by single age pooled
        over the municipalities of the data (children migrate with their parents; the family
        component of Rogers & Castro 1981). ``own``: children's own residual rates.
    inflow_pool, inflow_pool_max_age
        Scale the net gains held as counts at ages below ``inflow_pool_max_age`` with the size
        of the national pool the in-migrants come from (the cohort's population in the
        municipalities of the data against the window's mean), see "Default migration schedule".
    open_age_split, open_age_growth_years
        How the data's open age group (85+) of the base population is split into single ages up
        to ``open_age``: ``stable`` (default) weights the life table's person-years by
        ``exp(-r (x - k))`` with ``r`` the territory's annual growth of the open group over the
        last ``open_age_growth_years`` years (bounded to +-0.1); ``stationary`` uses ``r = 0``
        (see :mod:`.openage`).
    mortality_window, fertility_window
        Years of deaths (for the SMR) and births (for the TFR) pooled.
    e0_window
        Most recent years of published life expectancy that set the base mortality level
        (each earlier year's own level is used for that year's residuals).
    trend_years
        Years of history the ``trend`` scenario fits its slopes on.
    open_age
        Open top age of the projection (at least 100).
    gompertz_slope, makeham
        Fixed slope ``b`` and Makeham constant ``c`` of the model schedule, (male, female).
    gompertz_slope_estimate, gompertz_slope_ages, gompertz_slope_bounds
        When ``gompertz_slope_estimate`` is true the slope ``b`` by sex is estimated from the
        cohort survival of the country (else the sum of the municipalities) at
        ``gompertz_slope_ages`` over the ``mortality_window`` years before the base year, clipped
        to ``gompertz_slope_bounds``, and ``gompertz_slope`` is only the fallback (see "Estimated
        Gompertz slope" in the module docstring).
    migration_excluded_years
        Event years left out of every migration window (the residuals of year ``y`` are the
        moves between 1 January ``y`` and ``y + 1``), e.g. ``(2010,)`` for Lithuania's 2010
        declaration wave of emigrants who had left in earlier years; see "Atypical years".
    migration_convergence, migration_convergence_years
        ``none`` holds the window's schedule; ``zero`` and ``own_mean`` move the net migration
        schedule linearly from it (year 0 of the projection) to the long-run level, reached after
        ``migration_convergence_years`` years and held after: ``zero`` is no net migration,
        ``own_mean`` the territory's own net rates by age and sex over the whole history up to the
        base year (excluded years left out), see "Convergence".
    total_combination_weight
        Weight ``w`` of the exponential trend of the territory's total population in a forecast
        combination of the total (0 = the cohort-component total); see :mod:`.schedule`.
    smr_prior_deaths, infant_prior_births, srb_prior_births
        Credibility priors pulling small territories towards their county/country.
    hadwiger_h, hadwiger_r
        Shape parameters of the standard fertility pattern (mean age at birth 29.4 years, Lithuania's level around 2010-2015).
    """

    migration_window: int = 5
    migration_smoothing: float = 1.0
    smoothing_reference_population: float = 20_000.0
    migration_decay: float = 1.0
    migration_robust: float = 4.0
    migration_model: str = "mixed"
    mortality_window: int = 5
    e0_window: int = 5
    fertility_window: int = 2
    trend_years: int = 10
    open_age: int = 100
    gompertz_slope: tuple[float, float] = (0.075, 0.095)
    makeham: tuple[float, float] = (8e-4, 2e-4)
    gompertz_slope_estimate: bool = False
    gompertz_slope_ages: tuple[int, int] = (60, 84)
    gompertz_slope_bounds: tuple[float, float] = (0.06, 0.13)
    smr_prior_deaths: float = 50.0
    infant_prior_births: float = 2000.0
    srb_prior_births: float = 5000.0
    hadwiger_h: float = 3.5
    hadwiger_r: float = 29.5
    pooled_migration_weight: float = 0.5
    child_migration: str = "family"
    family_child_ages: tuple[int, int] = (0, 14)
    family_parent_ages: tuple[int, int] = (25, 44)
    inflow_pool: bool = True
    inflow_pool_max_age: int = 50
    open_age_split: str = "stable"
    open_age_growth_years: int = 5
    migration_excluded_years: tuple[int, ...] = (2010, 2011)
    migration_convergence: str = "none"
    migration_convergence_years: int = 20
    total_combination_weight: float = 0.0

    def __post_init__(self) -> None:
        if self.migration_convergence not in CONVERGENCE_TARGETS:
            raise ProjectionError(f"migration_convergence must be one of {', '.join(CONVERGENCE_TARGETS)}, "
                                  f"got {self.migration_convergence!r}")
        if int(self.migration_convergence_years) < 1:
            raise ProjectionError(f"migration_convergence_years must be at least 1, got {self.migration_convergence_years}")
        if not 0.0 <= self.total_combination_weight <= 1.0:
            raise ProjectionError(f"total_combination_weight must be within [0, 1], got {self.total_combination_weight}")
        if not all(isinstance(y, (int, np.integer)) and not isinstance(y, bool) for y in self.migration_excluded_years):
            raise ProjectionError(f"migration_excluded_years must be calendar years, got {self.migration_excluded_years!r}")
        if self.child_migration not in ("family", "own"):
            raise ProjectionError(f"child_migration must be 'family' or 'own', got {self.child_migration!r}")
        (c0, c1), (p0, p1) = self.family_child_ages, self.family_parent_ages
        if not (0 <= c0 <= c1 < p0 <= p1 <= 49):
            raise ProjectionError("family_child_ages and family_parent_ages must be ordered age ranges "
                                  f"(children below parents, parents within 15-49), got {self.family_child_ages}, "
                                  f"{self.family_parent_ages}")
        (a0, a1), (b0, b1) = self.gompertz_slope_ages, self.gompertz_slope_bounds
        if not 30 <= a0 < a1 - 4:
            raise ProjectionError(f"gompertz_slope_ages must span at least 5 years from age 30, got {self.gompertz_slope_ages}")
        if not 0 < b0 <= b1:
            raise ProjectionError(f"gompertz_slope_bounds must be 0 < low <= high, got {self.gompertz_slope_bounds}")
        if not 1 <= self.inflow_pool_max_age <= 80:
            raise ProjectionError(f"inflow_pool_max_age must be within 1-80, got {self.inflow_pool_max_age}")
        if self.open_age_split not in ("stable", "stationary"):
            raise ProjectionError(f"open_age_split must be 'stable' or 'stationary', got {self.open_age_split!r}")
        if self.open_age_growth_years < 1:
            raise ProjectionError(f"open_age_growth_years must be at least 1, got {self.open_age_growth_years}")
        if not 0.0 <= self.pooled_migration_weight <= 1.0:
            raise ProjectionError(f"pooled_migration_weight must be within [0, 1], got {self.pooled_migration_weight}")
        if self.migration_model not in ("rate", "count", "mixed"):
            raise ProjectionError(f"migration_model must be 'rate', 'count' or 'mixed', got {self.migration_model!r}")
        if self.open_age < 100:
            raise ProjectionError(f"open_age must be at least 100, got {self.open_age}")
        for name in ("migration_window", "mortality_window", "fertility_window", "trend_years", "e0_window"):
            if int(getattr(self, name)) < 1:
                raise ProjectionError(f"{name} must be at least 1")


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
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def e0_scaler(self) -> E0Scaler:
        """The :class:`E0Scaler` of :attr:`mortality`, built once (copies made by ``replace`` share it)."""
        hit = self._cache.get("e0_scaler")
        if hit is None or hit[0] is not self.mortality:
            hit = self._cache["e0_scaler"] = (self.mortality, E0Scaler(self.mortality))
        return hit[1]

    @property
    def open_age(self) -> int:
        return int(self.ages[-1])

    def subset(self, codes: Sequence[str]) -> "BaseRates":
        """The same rates for some of the territories, in the given order."""
        idx = [self.codes.index(c) for c in codes]
        arrays = {
            name: getattr(self, name)[idx]
            for name in ("population", "mortality", "e0", "asfr", "tfr", "male_share", "mig_in_rate",
                         "mig_out_rate", "mig_in_count", "mig_out_count", "tfr_hist", "e0_hist", "netmig_hist")
        }
        for name in ("mig_longrun_rate", "total_trend"):
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)[idx]
        return replace(self, codes=tuple(codes), details={c: self.details.get(c, {}) for c in codes}, **arrays)

    def net_migration(self) -> np.ndarray:
        """Expected net migrants of the first projection year ``[T, 2, A]`` (persons)."""
        surv = _first_year_survivors(self.population, self.mortality, self.asfr, self.male_share)
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


def _first_year_survivors(P0: np.ndarray, m: np.ndarray, asfr: np.ndarray, male_share: np.ndarray) -> np.ndarray:
    """Survivors ``[T, 2, A]`` of the first projection year by age at its end (age 0: surviving births)."""
    S, Sb = survival_ratios(m, FEMALE[None, :])
    surv = np.empty_like(P0)
    surv[..., 1:] = P0[..., :-1] * S
    surv[..., -1] += P0[..., -1] * S[..., -1]
    births = (asfr[:, None, :] * P0[:, 1:2, :]).sum(-1)[:, 0]
    share = np.stack([male_share, 1 - male_share], axis=-1)
    surv[..., 0] = births[:, None] * share * Sb
    return surv


# -- model schedules ----------------------------------------------------------------------
def model_mortality(
    level: np.ndarray, m0: np.ndarray, omega: int, slope: np.ndarray, makeham: np.ndarray
) -> np.ndarray:
    """Model central death rates ``[..., 0..omega]`` (see the module docstring).

    Parameters
    ----------
    level
        ``log a`` of the senescent term (broadcast over leading axes).
    m0
        Infant central death rate (age 0).
    slope, makeham
        Gompertz slope ``b`` and Makeham constant ``c``.
    """
    x = np.arange(omega + 1, dtype=float)
    level, m0, slope, makeham = (np.asarray(v, dtype=float)[..., None] for v in (level, m0, slope, makeham))
    z = np.exp(level + slope * (x - 60.0))
    m = m0 * np.exp(-2.0 * x) + makeham + z / (1.0 + z)
    m = np.where(x == 0, m0, m)
    return m


def calibrate_mortality(
    e0: np.ndarray, m0: np.ndarray, female: np.ndarray, omega: int, slope: np.ndarray, makeham: np.ndarray
) -> np.ndarray:
    """Model schedules ``[..., 0..omega]`` whose life expectancy equals ``e0`` (vectorised bisection on ``log a``)."""
    e0 = np.asarray(e0, dtype=float)
    lo = np.full(e0.shape, -12.0)
    hi = np.full(e0.shape, 4.0)
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        e = life_expectancy(model_mortality(mid, m0, omega, slope, makeham), female)
        too_low_mortality = e > e0  # raise the level
        lo = np.where(too_low_mortality, mid, lo)
        hi = np.where(too_low_mortality, hi, mid)
    return model_mortality(0.5 * (lo + hi), m0, omega, slope, makeham)


def _estimate_gompertz_slope(
    P: np.ndarray, years: Sequence[int], Y: int, window: int, ages: tuple[int, int], makeham: np.ndarray,
    bounds: tuple[float, float],
) -> np.ndarray:
    """Gompertz slope ``b`` by sex ``[2]`` from the cohort survival of a population ``P[year, sex, age]``.

    For each year ``t`` of the window ``Y - window .. Y - 1`` with populations at ``t`` and
    ``t + 1`` and each age ``x`` with ``ages[0] <= x < x + 1 <= ages[1]`` (below the open group),
    ``m_x = -log(P_{x+1}(t+1) / P_x(t))``; its senescent part ``mu = m - c`` (``c`` the Makeham
    constant) is logit-transformed, ``log(mu / (1 - mu))``, which is linear in age with slope
    ``b`` under the model schedule, and ``b`` is the least-squares slope over all years and ages,
    clipped to ``bounds``. NaN for a sex without at least two years of usable cells.
    """
    years = [int(y) for y in years]
    k = P.shape[-1] - 1
    lo, hi = int(ages[0]), min(int(ages[1]), k - 1)
    xs, zs = [[], []], [[], []]
    for t in range(Y - window, Y):
        if t not in years or t + 1 not in years or hi <= lo:
            continue
        p0 = P[years.index(t), :, lo:hi]
        p1 = P[years.index(t + 1), :, lo + 1:hi + 1]
        with np.errstate(all="ignore"):
            m = -np.log(p1 / p0)
            mu = m - np.asarray(makeham, dtype=float)[:, None]
            z = np.log(mu / (1 - mu))
        for s in range(2):
            ok = np.isfinite(z[s]) & (mu[s] > 0) & (mu[s] < 1)
            xs[s].append(np.arange(lo, hi, dtype=float)[ok])
            zs[s].append(z[s][ok])
    out = np.full(2, np.nan)
    for s in range(2):
        n_years = sum(len(x) > 1 for x in xs[s])
        if n_years < 2:
            continue
        x, z = np.concatenate(xs[s]), np.concatenate(zs[s])
        dx = x - x.mean()
        out[s] = np.clip((dx * (z - z.mean())).sum() / (dx**2).sum(), *bounds)
    return out


def hadwiger(h: float, r: float, omega: int) -> np.ndarray:
    """Standard fertility age pattern ``[0..omega]``, non-zero on ages 15-49, summing to one."""
    ages = np.arange(omega + 1, dtype=float)
    x = ages + 0.5
    f = (h / (r * np.sqrt(np.pi))) * (r / x) ** 1.5 * np.exp(-(h**2) * (r / x + x / r - 2.0))
    f[(ages < 15) | (ages > 49)] = 0.0
    return f / f.sum()


# -- helpers ------------------------------------------------------------------------------
def _gauss_kernels(n: int, sigma: np.ndarray) -> np.ndarray:
    """Row-normalised Gaussian smoothing matrices ``[T, n, n]`` (identity where ``sigma`` is 0)."""
    x = np.arange(n)
    d2 = ((x[:, None] - x[None, :]) ** 2)[None]
    s = np.asarray(sigma, dtype=float)[:, None, None]
    k = np.where(s > 0, np.exp(-0.5 * d2 / np.where(s > 0, s, 1) ** 2), (d2 == 0).astype(float))
    return k / k.sum(axis=2, keepdims=True)


def _ols_slope(y: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Slope per row of ``y[..., H]`` against ``years`` ignoring NaNs (0 when under 3 points)."""
    ok = np.isfinite(y)
    n = ok.sum(-1)
    xm = np.where(ok, years, 0).sum(-1) / np.maximum(n, 1)
    ym = np.where(ok, y, 0).sum(-1) / np.maximum(n, 1)
    dx = np.where(ok, years - xm[..., None], 0)
    dy = np.where(ok, y - ym[..., None], 0)
    sxx = (dx**2).sum(-1)
    slope = (dx * dy).sum(-1) / np.where(sxx == 0, 1, sxx)
    return np.where(n >= 3, slope, 0.0)


def _series(frame: pd.DataFrame, codes: Sequence[str], years: Sequence[int], sex: str | None = "total",
            age: int | None | str = "any") -> np.ndarray:
    """``[T, Y]`` array of ``value`` for one sex (and age: None = all-ages rows, int, or 'any')."""
    f = frame
    if sex is not None and "sex" in f.columns:
        f = f[f["sex"] == sex]
    if age != "any" and "age" in f.columns:
        f = f[f["age"].isna()] if age is None else f[f["age"] == age]
    out = np.full((len(codes), len(years)), np.nan)
    if f.empty:
        return out
    ti = pd.Index(codes).get_indexer(f["territory_code"].astype(str))
    yi = pd.Index(list(years)).get_indexer(f["year"].astype(int))
    ok = (ti >= 0) & (yi >= 0)
    out[ti[ok], yi[ok]] = f["value"].to_numpy(dtype=float)[ok]
    return out


def _population_array(frame: pd.DataFrame):
    try:
        from ..store import population_array
    except ImportError:  # pragma: no cover - store is part of the package
        raise ProjectionError("cityindicators.store is not available") from None
    return population_array(frame)


def _reference_code(code: str, available: set[str], register) -> tuple[str, str]:
    """County (else country) with published life expectancy for ``code``; (code, how)."""
    if code in available:
        return code, "own published e0"
    try:
        t = register.get(code)
    except Exception:
        t = None
    if t is not None and t.county_code and t.county_code in available:
        return t.county_code, "county e0"
    if t is not None:
        c = register.country_of(code).code
        if c in available:
            return c, "country e0"
    raise ProjectionError(
        f"territory {code!r}: no published life expectancy for it, its county or its country in the "
        "life_expectancy table; it is needed to calibrate the mortality schedule"
    )


def _aggregate_open(m_full: np.ndarray, k: int, female) -> np.ndarray:
    """Rates on the data grid ``0..k`` (``k`` open): the open rate is ``l_k / T_k``."""
    lt = life_table(m_full, female)
    out = m_full[..., : k + 1].copy()
    out[..., k] = lt["l"][..., k] / lt["T"][..., k]
    return out


def _data_survival(m_full: np.ndarray, k: int, female) -> tuple[np.ndarray, np.ndarray]:
    """Survival ratios on the data grid ``0..k`` from rates on ``0..omega``."""
    lt = life_table(m_full, female)
    L, T = lt["L"], lt["T"]
    S = np.empty(L.shape[:-1] + (k,))
    S[..., : k - 1] = L[..., 1:k] / L[..., : k - 1]
    S[..., k - 1] = T[..., k] / T[..., k - 1]
    return S, L[..., 0]


# -- estimation ---------------------------------------------------------------------------
def estimate_rates(
    data: ProjectionData,
    territories: Sequence[str],
    base_year: int,
    settings: EstimationSettings | None = None,
    register=None,
) -> BaseRates:
    """Estimate base population and rates for ``territories`` from data up to ``base_year``.

    Parameters
    ----------
    data
        Input tables; only population up to 1 January ``base_year`` and events up to
        ``base_year - 1`` are read.
    territories
        Territory codes (already resolved).
    base_year
        Year of the base population.
    settings
        Estimation choices (:class:`EstimationSettings`).
    register
        Territory register for county look-ups (default :func:`geography.get_register`).

    Raises
    ------
    ProjectionError
        No base population, too few years for the windows, or no life expectancy to calibrate to.

    Notes
    -----
    The family share of children's migration and the in-migrant pool are pooled over the
    municipalities of the data (the reference pool). When ``territories`` do not include all of
    them, the estimation runs on the territories plus the pool and returns the territories'
    rates, so a territory's rates do not depend on which others are projected with it.
    """
    st = settings or EstimationSettings()
    if register is None:
        from ..geography import get_register

        register = get_register()
    codes = tuple(str(c) for c in territories)
    if not codes:
        raise ProjectionError("no territories to project")
    Y = int(base_year)
    pool: tuple[str, ...] = ()
    if st.child_migration == "family" or st.inflow_pool:
        pool = _reference_pool(data, register, codes, Y)
        extra = tuple(c for c in pool if c not in codes)
        if extra:
            try:
                full = _estimate_rates(data, codes + extra, Y, st, register, pool)
            except ProjectionError as exc:  # a pool member lacks data: pool over the given territories
                log.warning("reference pool unusable (%s); pooling over the projected territories only", exc)
                pool = tuple(c for c in pool if c in codes)
            else:
                return full.subset(codes)
    return _estimate_rates(data, codes, Y, st, register, pool)


def _reference_pool(data: ProjectionData, register, codes: Sequence[str], Y: int) -> tuple[str, ...]:
    """Municipalities (real, or the demonstration set for synthetic codes) with population at ``Y``."""
    try:
        munis = [t.code for t in register.municipalities(synthetic=str(codes[0]).startswith("X"))]
    except Exception:  # pragma: no cover - registers without municipalities
        return ()
    pop = data.population
    have = set(pop.loc[(pop["year"].astype(int) == Y) & pop["age"].notna(), "territory_code"].astype(str))
    return tuple(c for c in munis if c in have)


def _estimate_rates(data: ProjectionData, codes: tuple[str, ...], Y: int, st: EstimationSettings, register,
                    pool: Sequence[str]) -> BaseRates:
    """:func:`estimate_rates` on ``codes``; pooled quantities over ``pool`` (all of ``codes`` when empty)."""
    omega = st.open_age
    A = omega + 1

    pop = data.population
    pop = pop[pop["year"].astype(int) <= Y]
    pa = _population_array(pop[pop["territory_code"].astype(str).isin(codes)])
    missing = [c for c in codes if c not in pa.codes]
    if missing:
        raise ProjectionError(f"no single-age population for territory code(s) {missing} up to {Y}")
    if Y not in pa.years:
        raise ProjectionError(f"no population at 1 January {Y} (years available: {pa.years[0]}-{pa.years[-1]})")
    order = [pa.codes.index(c) for c in codes]
    years = np.array(pa.years)
    P = pa.values[order]  # [T, Yh, 2, k+1]
    k = pa.open_age
    if k > omega:
        raise ProjectionError(f"data open age {k}+ is above the projection open age {omega}+")
    if np.isnan(P[:, years == Y]).any():
        bad = [codes[i] for i in np.where(np.isnan(P[:, years == Y]).any(axis=(1, 2, 3)))[0]]
        raise ProjectionError(f"base population {Y} has missing ages/sexes for {bad}")
    T = len(codes)
    details: dict[str, dict[str, object]] = {c: {} for c in codes}

    # --- events by year ----------------------------------------------------------------
    ev_years = list(range(int(years[0]), Y))
    births = data.births
    deaths = data.deaths
    B_tot = _series(births, codes, ev_years, "total")
    B_m = _series(births, codes, ev_years, "male")
    B_f = _series(births, codes, ev_years, "female")
    B_tot = np.where(np.isnan(B_tot), B_m + B_f, B_tot)
    D_tot = _series(deaths, codes, ev_years, "total", None)
    D_inf = _series(deaths, codes, ev_years, "total", 0)
    # mid-year exposure [T, y, 2, k+1] for event years with both populations
    yi = {int(y): i for i, y in enumerate(years)}
    E = np.full((T, len(ev_years), 2, k + 1), np.nan)
    for j, y in enumerate(ev_years):
        if y in yi and y + 1 in yi:
            E[:, j] = 0.5 * (P[:, yi[y]] + P[:, yi[y + 1]])

    # --- sex ratio at birth -------------------------------------------------------------
    country_code = None
    try:
        country_code = register.country(synthetic=codes[0].startswith("X")).code
    except Exception:  # pragma: no cover
        pass
    srb_rows = births[births["sex"].isin(["male", "female"])]
    boys_all = srb_rows.loc[srb_rows["sex"] == "male", "value"].sum()
    girls_all = srb_rows.loc[srb_rows["sex"] == "female", "value"].sum()
    nat = srb_rows[srb_rows["territory_code"].astype(str) == str(country_code)]
    nb, ng = nat.loc[nat["sex"] == "male", "value"].sum(), nat.loc[nat["sex"] == "female", "value"].sum()
    if nb + ng > 0:
        p_ref, how = nb / (nb + ng), "country"
    elif boys_all + girls_all > 0:
        p_ref, how = boys_all / (boys_all + girls_all), "pooled"
    else:
        p_ref, how = 1.055 / 2.055, "standard 1.055"
    bm = np.nansum(B_m, axis=1)
    bf = np.nansum(B_f, axis=1)
    male_share = (bm + st.srb_prior_births * p_ref) / (bm + bf + st.srb_prior_births)
    for i, c in enumerate(codes):
        details[c]["srb"] = f"own births by sex shrunk to {how} share" if bm[i] + bf[i] > 0 else f"{how} share"

    # --- mortality ----------------------------------------------------------------------
    le = data.life_expectancy
    le = le[le["year"].astype(int) < Y]
    mw = list(range(Y - st.mortality_window, Y))
    le_codes = set(le["territory_code"].astype(str))
    if not set(codes) <= le_codes:
        derived = _derived_life_expectancy(data, Y, exclude=le_codes)
        if not derived.empty:
            le = pd.concat([le, derived], ignore_index=True)
            le_codes |= set(derived["territory_code"])
    refs = [_reference_code(c, le_codes, register) for c in codes]
    ref_codes = sorted({r for r, _ in refs})
    le_years = sorted(le["year"].astype(int).unique())
    e0_ref_hist = np.stack([_series(le, ref_codes, le_years, s) for s in SEXES], axis=1)  # [R, 2, H]
    e0_ref_tot = _series(le, ref_codes, le_years, "total")
    gap = np.nanmean(e0_ref_hist[:, 1] - e0_ref_hist[:, 0]) if np.isfinite(e0_ref_hist).any() else 10.0
    gap = 10.0 if not np.isfinite(gap) else gap
    # sex-specific e0 missing: derive from the total with the mean female-male gap
    e0_ref_hist[:, 0] = np.where(np.isnan(e0_ref_hist[:, 0]), e0_ref_tot - gap / 2, e0_ref_hist[:, 0])
    e0_ref_hist[:, 1] = np.where(np.isnan(e0_ref_hist[:, 1]), e0_ref_tot + gap / 2, e0_ref_hist[:, 1])
    in_w = np.isin(le_years, mw)
    if not in_w.any():
        in_w = np.asarray(le_years) == max(le_years)
    e0_ref = np.nanmean(np.where(in_w, e0_ref_hist, np.nan), axis=-1)  # [R, 2]
    if np.isnan(e0_ref).any():
        bad = [ref_codes[i] for i in np.where(np.isnan(e0_ref).any(-1))[0]]
        raise ProjectionError(f"no life expectancy by sex in {mw[0]}-{mw[-1]} for {bad}")
    # infant mortality of the references
    B_ref = _series(births, ref_codes, ev_years, "total")
    D0_ref = _series(deaths, ref_codes, ev_years, "total", 0)
    wmask = np.isin(ev_years, mw)
    okr = wmask & np.isfinite(B_ref) & np.isfinite(D0_ref)
    q0_ref = np.where(okr, D0_ref, 0).sum(1) / np.maximum(np.where(okr, B_ref, 0).sum(1), 1)
    q0_ref = np.where(okr.any(1), q0_ref, 0.005)
    slope = np.array(st.gompertz_slope, dtype=float)[None, :]
    makeham = np.array(st.makeham)[None, :]
    slope_how = "fixed Gompertz slope"
    if st.gompertz_slope_estimate:
        b_est, slope_src = _national_gompertz_slope(data, register, country_code, pool or codes, Y, st)
        if np.isfinite(b_est).all():
            slope = b_est[None, :]
            slope_how = (f"Gompertz slope estimated from {slope_src} cohort survival {Y - st.mortality_window}-"
                         f"{Y - 1}, ages {st.gompertz_slope_ages[0]}-{st.gompertz_slope_ages[1]}: "
                         f"{b_est[0]:.4f} (male), {b_est[1]:.4f} (female)")
        else:
            slope_how = "fixed Gompertz slope (too few years to estimate it)"
    m0_ref = np.broadcast_to((q0_ref / (1 - 0.9 * q0_ref))[:, None], e0_ref.shape)
    m_ref = calibrate_mortality(e0_ref, m0_ref, FEMALE[None, :], omega, slope, makeham)  # [R, 2, A]
    ridx = [ref_codes.index(r) for r, _ in refs]
    # year-specific reference schedules: the window schedule scaled to each year's published e0
    ref_scaler = E0Scaler(m_ref)
    le_pos = np.array([le_years.index(y) if y in le_years else -1 for y in ev_years])
    e0_ref_y = np.where(le_pos[None, None, :] >= 0, e0_ref_hist[..., np.maximum(le_pos, 0)], e0_ref[..., None])
    e0_ref_y = np.where(np.isfinite(e0_ref_y), e0_ref_y, e0_ref[..., None])  # [R, 2, y]
    k_ref_y = ref_scaler.factor(np.moveaxis(e0_ref_y, -1, 0))  # [y, R, 2]
    recent = np.asarray(le_years)[np.isfinite(e0_ref_hist).all(axis=(0, 1))]
    recent = recent[recent < Y][-st.e0_window:]
    e0_ref_now = np.nanmean(e0_ref_hist[..., np.isin(le_years, recent)], axis=-1) if len(recent) else e0_ref
    k_ref_now = ref_scaler.factor(e0_ref_now)  # [R, 2]
    m_county = m_ref[ridx]  # [T, 2, A], window level
    m_county_y = m_county[:, None] * np.moveaxis(k_ref_y[:, ridx], 0, 1)[..., None]  # [T, y, 2, A]

    # infant mortality, shrunk towards the reference
    ok0 = wmask & np.isfinite(B_tot) & np.isfinite(D_inf)
    D0w = np.where(ok0, D_inf, 0).sum(1)
    B0w = np.where(ok0, B_tot, 0).sum(1)
    q0 = (D0w + st.infant_prior_births * q0_ref[ridx]) / (B0w + st.infant_prior_births)
    m0 = q0 / (1 - 0.9 * q0)
    # expected deaths under the county schedule of each year
    m_cd = _aggregate_open(m_county_y, k, FEMALE[None, None, :])  # [T, y, 2, k+1]
    Ew = np.where(wmask[None, :, None, None], E, np.nan)
    okd = wmask & np.isfinite(D_tot) & np.isfinite(E).all(axis=(2, 3))
    exp1 = np.where(okd, np.nansum(m_cd[..., 1:] * Ew[..., 1:], axis=(2, 3)), 0).sum(1)
    inf_known = okd & np.isfinite(D_inf)
    obs1 = np.where(inf_known, D_tot - np.nan_to_num(D_inf), 0).sum(1)
    # years without infant deaths: compare all-ages deaths with expected including infants
    exp_all_extra = np.where(okd & ~inf_known, np.nansum(m_cd * Ew, axis=(2, 3)), 0).sum(1)
    obs_all_extra = np.where(okd & ~inf_known, D_tot, 0).sum(1)
    O = obs1 + obs_all_extra
    Ex = exp1 + exp_all_extra
    smr = (O + st.smr_prior_deaths) / (Ex + st.smr_prior_deaths)
    m_y = m_county_y.copy()  # the territory's schedule of each window year (for residuals)
    m_y[..., 1:] *= smr[:, None, None, None]
    m_y[..., 0] = m0[:, None, None]
    m = m_county * k_ref_now[ridx][..., None]  # base: the level of the last e0_window years
    m[..., 1:] *= smr[:, None, None]
    m[..., 0] = m0[:, None]
    for i, c in enumerate(codes):
        details[c]["mortality"] = (
            f"model schedule calibrated to {refs[i][1]} ({refs[i][0]}) of {recent[0] if len(recent) else '?'}-"
            f"{recent[-1] if len(recent) else '?'}, indirect standardisation (SMR {smr[i]:.3f})"
            if okd[i].any() else f"model schedule calibrated to {refs[i][1]} ({refs[i][0]}), no deaths data (SMR 1)"
        )
        details[c]["smr"] = float(smr[i])
        details[c]["mortality"] += f"; {slope_how}"
    # age-specific deaths where published for every single age of the window
    ds = deaths[deaths["age"].notna() & deaths["sex"].isin(SEXES)]
    if not ds.empty:
        m_before = m.copy()
        m = _age_specific_mortality(ds, codes, mw, ev_years, E, k, m, details)
        changed = (m != m_before).any(axis=(1, 2))
        m_y[changed] = m[changed][:, None]
    e0 = life_expectancy(m, FEMALE[None, :])

    # --- base population split to omega ---------------------------------------------------
    # stable-population split: person-years L_x discounted by the open group's own growth rate r
    # (exp(-r (x - k)), Preston, Heuveline & Guillot 2001, ch. 7); r = 0 is the stationary split
    r_open = None
    y0 = min((y for y in yi if Y - st.open_age_growth_years <= y <= Y), default=Y)
    if st.open_age_split == "stable" and y0 < Y:
        now, then = P[:, yi[Y], :, k], P[:, yi[y0], :, k]
        ok = np.isfinite(then) & (then > 0) & (now > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r_open = np.where(ok, np.clip(np.log(now / np.where(ok, then, 1.0)) / (Y - y0), -0.1, 0.1), 0.0)
    P0 = split_open_age(P[:, yi[Y]], m, FEMALE[None, :], growth=r_open)
    for i, c in enumerate(codes):
        details[c]["open_age"] = (f"{k}+ split by the stable population, growth of {k}+ {y0}-{Y}"
                                  if r_open is not None else f"{k}+ split by the stationary population (growth 0)")
        details[c]["open_age_growth"] = tuple(float(v) for v in (r_open[i] if r_open is not None else (0.0, 0.0)))

    # --- fertility ----------------------------------------------------------------------
    std = hadwiger(st.hadwiger_h, st.hadwiger_r, k)  # on the data grid (ages <= 49 < k)
    fw = np.isin(ev_years, list(range(Y - st.fertility_window, Y)))
    expo_std = np.einsum("tyx,x->ty", np.nan_to_num(E[:, :, 1]), std)  # [T, y]
    okf = np.isfinite(B_tot) & np.isfinite(E[:, :, 1]).all(-1)
    tfr_hist_ev = np.where(okf, B_tot / np.where(expo_std > 0, expo_std, np.nan), np.nan)
    okfw = okf & fw
    tfr = np.where(okfw, B_tot, 0).sum(1) / np.maximum(np.where(okfw, expo_std, 0).sum(1), 1e-9)
    asfr = np.zeros((T, A))
    asfr[:, : k + 1] = tfr[:, None] * std[None, :]
    for i, c in enumerate(codes):
        details[c]["fertility"] = "standard Hadwiger pattern scaled to observed births"
        if not okfw[i].any():
            raise ProjectionError(f"territory {c!r}: no births with population in {Y - st.fertility_window}-{Y - 1}")
    if not data.asfr.empty:
        af = data.asfr
        for i, c in enumerate(codes):
            rows = af[af["territory_code"].astype(str) == c]
            if rows.empty:
                continue
            a = np.zeros(A)
            ages = rows["age"].astype(int).to_numpy()
            a[np.clip(ages, 0, omega)] = rows["value"].to_numpy(dtype=float)
            asfr[i] = a
            tfr[i] = a.sum()
            details[c]["fertility"] = "age-specific rates given"

    # --- migration: cohort residuals on the data grid ------------------------------------
    S_dy, Sb_dy = _data_survival(m_y, k, FEMALE[None, None, :])  # [T, y, 2, k], [T, y, 2]
    S_b, Sb_b = _data_survival(m, k, FEMALE[None, :])  # base schedule on the data grid
    SVB = np.full((T, len(ev_years), 2, k + 1), np.nan)  # survivors under the base schedule
    share = np.stack([male_share, 1 - male_share], axis=-1)  # [T, 2]
    NM = np.full((T, len(ev_years), 2, k + 1), np.nan)
    SV = np.full_like(NM, np.nan)
    for j, y in enumerate(ev_years):  # loop over window years only (residuals, not the projection step)
        if y not in yi or y + 1 not in yi:
            continue
        p0, p1 = P[:, yi[y]], P[:, yi[y + 1]]
        sv = np.empty_like(p0)
        S_d, Sb_d = S_dy[:, j], Sb_dy[:, j]
        sv[..., 1:] = p0[..., :-1] * S_d
        sv[..., k] += p0[..., k] * S_d[..., k - 1]
        bs = np.stack([B_m[:, j], B_f[:, j]], axis=-1)
        bs = np.where(np.isfinite(bs).all(-1, keepdims=True), bs, B_tot[:, j, None] * share)
        sv[..., 0] = bs * Sb_d
        SV[:, j] = sv
        NM[:, j] = p1 - sv
        svb = np.empty_like(p0)
        svb[..., 1:] = p0[..., :-1] * S_b
        svb[..., k] += p0[..., k] * S_b[..., k - 1]
        svb[..., 0] = bs * Sb_b
        SVB[:, j] = svb
    excluded = np.isin(ev_years, [int(y) for y in st.migration_excluded_years])
    mwin = np.isin(ev_years, list(range(Y - st.migration_window, Y))) & ~excluded
    okm = mwin[None, :] & np.isfinite(NM).all(axis=(2, 3))
    if not okm.any(1).all():
        bad = [codes[i] for i in np.where(~okm.any(1))[0]]
        left_out = f" (years {list(st.migration_excluded_years)} excluded)" if st.migration_excluded_years else ""
        raise ProjectionError(
            f"no complete population/births years in the migration window {Y - st.migration_window}-{Y - 1}"
            f"{left_out} for {bad}"
        )
    win_years = sorted({int(ev_years[j]) for j in np.where(okm.any(0))[0]})
    win_label = f"{win_years[0]}-{win_years[-1]}" + (
        f" without {', '.join(str(y) for y in sorted(st.migration_excluded_years) if win_years[0] < y < win_years[-1])}"
        if any(win_years[0] < y < win_years[-1] for y in st.migration_excluded_years) else "")
    wts = st.migration_decay ** (Y - 1 - np.asarray(ev_years, dtype=float))  # recent years weigh more
    wok = np.where(okm, wts[None, :], 0.0)
    if st.migration_robust > 0:
        crude = np.where(okm, np.nansum(NM, axis=(2, 3)) / np.maximum(np.nansum(SV, axis=(2, 3)), 1e-9), np.nan)
        with np.errstate(all="ignore"):
            med = np.nanmedian(np.where(okm, crude, np.nan), axis=1, keepdims=True)
            sd = np.maximum(1.4826 * np.nanmedian(np.abs(crude - med), axis=1, keepdims=True), 0.002)
            dev = np.abs(crude - med)
            huber = np.where(dev > st.migration_robust * sd, st.migration_robust * sd / np.where(dev > 0, dev, 1), 1.0)
        wok = wok * np.where(okm, np.nan_to_num(huber, nan=1.0), 0.0)
    nm_sum = np.einsum("ty,tysx->tsx", wok, np.nan_to_num(NM))  # [T, 2, k+1]
    sv_sum = np.einsum("ty,tysx->tsx", wok, np.nan_to_num(SV))
    nyears = wok.sum(1)[:, None, None]
    size = np.nansum(P[:, yi[Y]], axis=(1, 2))
    sigma = np.clip(st.migration_smoothing * np.sqrt(st.smoothing_reference_population / np.maximum(size, 1)),
                    0.25, 6.0) if st.migration_smoothing > 0 else np.zeros(T)
    K = _gauss_kernels(k + 1, sigma)  # [T, A, A]
    nm_s = np.einsum("tab,tsb->tsa", K, nm_sum)
    sv_s = np.einsum("tab,tsb->tsa", K, sv_sum)
    net_rate_d = nm_s / np.maximum(sv_s, 1e-9)
    net_count_d = nm_s / nyears
    longrun_rate = _longrun_net_rate(NM, SV, ~excluded, K, omega)
    # gross flows (optional): crude outflow rates of the window
    out_crude = _gross_outflow(data.migration, codes, ev_years, mwin, P, yi)
    net_rate = np.concatenate([net_rate_d, np.repeat(net_rate_d[..., k:], omega - k, axis=-1)], axis=-1)
    cnt = np.concatenate([net_count_d[..., :k], np.zeros((T, 2, omega - k + 1))], axis=-1)
    cnt[..., k:] = net_count_d[..., k:k + 1] * (P0[..., k:] / np.maximum(P0[..., k:].sum(-1, keepdims=True), 1e-9))
    base_net = net_rate if st.migration_model == "rate" else cnt
    inflow = np.maximum(base_net, 0)
    outflow = np.maximum(-base_net, 0)
    if st.migration_model == "mixed":  # net losses as rates on the residents, net gains as counts
        inflow, outflow = np.maximum(cnt, 0), np.maximum(-net_rate, 0)
    for i, c in enumerate(codes):
        details[c]["migration"] = (
            f"cohort residuals {win_label} (year weights decaying {st.migration_decay:g}), "
            f"smoothed over age (sigma {sigma[i]:.2g} years), {st.migration_model}s"
        )
    if out_crude is not None:
        has = np.isfinite(out_crude)
        if st.migration_model == "rate" and has.any():
            prof = np.where(outflow.sum((1, 2), keepdims=True) > 0, outflow, 1.0)
            popw = P0
            scale = out_crude / np.maximum((prof * popw).sum((1, 2)) / popw.sum((1, 2)), 1e-12)
            gross_out = prof * scale[:, None, None]
            new_out = np.where(has[:, None, None], gross_out, outflow)
            new_in = np.where(has[:, None, None], base_net + gross_out, inflow)
            outflow, inflow = new_out, np.maximum(new_in, 0)
            for i in np.where(has)[0]:
                details[codes[i]]["migration"] += "; outflow from gross emigration and departures"
    zeros = np.zeros((T, 2, A))
    if st.migration_model == "rate":
        in_rate, out_rate, in_count, out_count = inflow, outflow, zeros, zeros.copy()
    elif st.migration_model == "mixed":
        in_rate, out_rate, in_count, out_count = zeros, outflow, inflow, zeros.copy()
    else:
        in_rate, out_rate, in_count, out_count = zeros, zeros.copy(), inflow, outflow
    # forecast combination with the Hamilton-Perry-implied schedule: equal-weight pooled cohort
    # change of the window over the base-year survival, unsmoothed (see the module docstring)
    w = st.pooled_migration_weight
    if w > 0:
        okw = okm.astype(float)
        p1_sum = np.einsum("ty,tysx->tsx", okw, np.nan_to_num(NM + SV))
        svb_sum = np.einsum("ty,tysx->tsx", okw, np.nan_to_num(SVB))
        hp_d = (p1_sum - svb_sum) / np.maximum(svb_sum, 1e-9)
        hp = np.concatenate([hp_d, np.repeat(hp_d[..., k:], omega - k, axis=-1)], axis=-1)
        in_rate = (1 - w) * in_rate + w * np.maximum(hp, 0)
        out_rate = (1 - w) * out_rate + w * np.maximum(-hp, 0)
        in_count = (1 - w) * in_count
        out_count = (1 - w) * out_count
        for c in codes:
            details[c]["migration"] = (f"{1 - w:g} x [{details[c]['migration']}] + {w:g} x Hamilton-Perry-implied "
                                       f"rates (equal-weight cohort change {win_label} over "
                                       "base survival)")

    # children migrate with their parents: the mothers' net rate times a pooled share by age
    in_pool = np.isin(codes, list(pool))
    if not in_pool.any():
        in_pool = np.ones(T, dtype=bool)
    if st.child_migration == "family":
        surv = _first_year_survivors(P0, m, asfr, male_share)
        net = (in_rate - out_rate) * surv + in_count - out_count
        (c0, c1), (p0, p1) = st.family_child_ages, st.family_parent_ages
        mothers = surv[:, 1, p0:p1 + 1].sum(-1)
        r_par = np.where(mothers > 0, net[:, 1, p0:p1 + 1].sum(-1) / np.where(mothers > 0, mothers, 1), 0.0)  # [T]
        ch = slice(c0, c1 + 1)
        num = net[in_pool][:, :, ch].sum((0, 1))
        den = (r_par[in_pool, None, None] * surv[in_pool][:, :, ch]).sum((0, 1))
        if np.all(np.abs(den) > 1e-9 * np.maximum(surv[in_pool][:, :, ch].sum((0, 1)), 1.0)):
            in_rate, out_rate, in_count, out_count = (a.copy() for a in (in_rate, out_rate, in_count, out_count))
            phi = np.maximum(num / den, 0.0)  # [children's ages]; children do not move against their parents
            child = phi[None, None, :] * r_par[:, None, None] * np.ones((1, 2, 1))
            in_rate[..., ch], out_rate[..., ch] = np.maximum(child, 0), np.maximum(-child, 0)
            in_count[..., ch], out_count[..., ch] = 0.0, 0.0
            for i, c in enumerate(codes):
                details[c]["migration"] += (f"; ages {c0}-{c1}: family model, {phi.mean():.2f} (mean share) x the "
                                            f"net rate of women {p0}-{p1} ({1000 * r_par[i]:+.1f} per 1,000)")
                details[c]["family_share"] = phi.round(4).tolist()
        else:
            log.info("family migration model skipped: no parental net migration in the window")
    pool_base = pool_win = None
    if st.inflow_pool:
        ends = [y for y in range(Y - st.migration_window + 1, Y + 1) if y in yi]
        Pp = np.nan_to_num(P[in_pool])  # [Tp, Yh, 2, k+1]
        pool_base = np.zeros((2, A))
        pool_win = np.zeros((2, A))
        pool_base[:, : k + 1] = Pp[:, yi[Y]].sum(0)
        pool_win[:, : k + 1] = Pp[:, [yi[y] for y in ends]].sum(0).mean(0)
        for c in codes:
            details[c]["migration"] += (f"; gains held as counts below age {st.inflow_pool_max_age} follow the size "
                                        "of the in-migrant pool (the cohort in all municipalities)")

    # --- histories ---------------------------------------------------------------------
    hist_years = np.array(ev_years)
    tot = np.nansum(P, axis=(2, 3))  # [T, Yh]
    tw = [y for y in range(Y - TOTAL_TREND_YEARS, Y + 1) if y in yi]
    total_trend = _ols_slope(np.log(np.maximum(tot[:, [yi[y] for y in tw]], 1.0)), np.array(tw, dtype=float))
    netmig_hist = np.full((T, len(ev_years)), np.nan)
    for j, y in enumerate(ev_years):
        if y in yi and y + 1 in yi:
            netmig_hist[:, j] = (tot[:, yi[y + 1]] - tot[:, yi[y]] - B_tot[:, j] + D_tot[:, j]) / tot[:, yi[y]]
    le_idx = np.array([le_years.index(y) if y in le_years else -1 for y in ev_years])
    e0_hist = np.full((T, 2, len(ev_years)), np.nan)
    okl = le_idx >= 0
    e0_ref_t = e0_ref_hist[ridx]  # [T, 2, H]
    e0_hist[..., okl] = e0_ref_t[..., le_idx[okl]] + (e0 - e0_ref_now[ridx])[..., None]

    log.info("estimated base rates for %d territories, base year %d", T, Y)
    return BaseRates(
        codes=codes, base_year=Y, ages=np.arange(A), population=P0, mortality=m, e0=e0, asfr=asfr, tfr=tfr,
        male_share=male_share, mig_in_rate=in_rate, mig_out_rate=out_rate, mig_in_count=in_count,
        mig_out_count=out_count, hist_years=hist_years, tfr_hist=tfr_hist_ev, e0_hist=e0_hist,
        netmig_hist=netmig_hist, settings=st, details=details, inflow_pool_base=pool_base,
        inflow_pool_window=pool_win, mig_longrun_rate=longrun_rate, total_trend=total_trend,
    )


def _longrun_net_rate(NM: np.ndarray, SV: np.ndarray, usable: np.ndarray, K: np.ndarray, omega: int) -> np.ndarray:
    """Long-run net migration rate ``[T, 2, omega + 1]`` per survivor: all ``usable`` event years pooled.

    ``NM``, ``SV`` are the cohort residuals and survivors ``[T, y, 2, k + 1]`` of every event year,
    ``K`` the territories' age-smoothing kernels; the rate is ``K (sum_y NM) / K (sum_y SV)``
    with equal year weights (a long-run mean is not meant to follow recent years), the open
    group's rate held above the data's open age.
    """
    ok = usable[None, :] & np.isfinite(NM).all(axis=(2, 3)) & np.isfinite(SV).all(axis=(2, 3))
    nm = np.einsum("ty,tysx->tsx", ok.astype(float), np.nan_to_num(NM))
    sv = np.einsum("ty,tysx->tsx", ok.astype(float), np.nan_to_num(SV))
    rate = np.einsum("tab,tsb->tsa", K, nm) / np.maximum(np.einsum("tab,tsb->tsa", K, sv), 1e-9)
    k = rate.shape[-1] - 1
    return np.concatenate([rate, np.repeat(rate[..., k:], omega - k, axis=-1)], axis=-1)


def _national_gompertz_slope(data: ProjectionData, register, country_code, codes: Sequence[str], Y: int,
                             st: EstimationSettings) -> tuple[np.ndarray, str]:
    """Gompertz slope by sex from the country's single-age population (else the sum over ``codes``)."""
    pop = data.population
    pop = pop[(pop["year"].astype(int) <= Y) & pop["age"].notna() & pop["sex"].isin(SEXES)]
    src = "the country's"
    sub = pop[pop["territory_code"].astype(str) == str(country_code)] if country_code is not None else pop.iloc[:0]
    if sub.empty:
        sub, src = pop[pop["territory_code"].astype(str).isin([str(c) for c in codes])], "the municipalities' summed"
    if sub.empty:
        return np.full(2, np.nan), src
    pa = _population_array(sub)
    P = np.nansum(pa.values, axis=0) if pa.values.shape[0] > 1 else pa.values[0]  # [Yh, 2, k+1]
    if pa.values.shape[0] > 1:  # years where any territory is missing are not summed
        P = np.where(np.isfinite(pa.values).all(axis=0), P, np.nan)
    b = _estimate_gompertz_slope(P, pa.years, Y, st.mortality_window, st.gompertz_slope_ages, np.array(st.makeham),
                                 st.gompertz_slope_bounds)
    return b, src


def _derived_life_expectancy(data: ProjectionData, Y: int, exclude: set[str]) -> pd.DataFrame:
    """Life expectancy by year and sex from single-age deaths ``D_x / E_x`` (territories with
    complete single-age deaths by sex and no published figure); used when none is published."""
    ds = data.deaths
    ds = ds[ds["age"].notna() & ds["sex"].isin(SEXES) & (ds["year"].astype(int) < Y)
            & ~ds["territory_code"].astype(str).isin(exclude)]
    if ds.empty:
        return pd.DataFrame(columns=["territory_code", "year", "sex", "value"])
    pop = data.population
    pop = pop[pop["territory_code"].astype(str).isin(set(ds["territory_code"].astype(str))) & (pop["year"].astype(int) <= Y)]
    pa = _population_array(pop)
    k = pa.open_age
    years = list(pa.years)
    ev = [y for y in years[:-1] if y + 1 in years]
    D = np.full((len(pa.codes), len(ev), 2, k + 1), np.nan)
    ti = pd.Index(pa.codes).get_indexer(ds["territory_code"].astype(str))
    yi = pd.Index(ev).get_indexer(ds["year"].astype(int))
    si = (ds["sex"] == "female").to_numpy().astype(int)
    ai = np.minimum(ds["age"].to_numpy(dtype=int), k)
    ok = (ti >= 0) & (yi >= 0)
    Dz = np.zeros_like(D)
    seen = np.zeros(D.shape, dtype=bool)
    np.add.at(Dz, (ti[ok], yi[ok], si[ok], ai[ok]), ds["value"].to_numpy(dtype=float)[ok])
    seen[ti[ok], yi[ok], si[ok], ai[ok]] = True
    E = 0.5 * (pa.values[:, [years.index(y) for y in ev]] + pa.values[:, [years.index(y) + 1 for y in ev]])
    complete = seen.all(-1) & np.isfinite(E).all(-1) & (E > 0).all(-1)  # [T, y, 2]
    m = np.where(E > 0, Dz / np.where(E > 0, E, 1), 0.0)
    # the open group's rate is l_k / T_k; a life table on the data grid reproduces it exactly
    e0 = life_expectancy(np.maximum(m, 1e-6), FEMALE[None, None, :])
    t_i, y_i, s_i = np.nonzero(complete)
    return pd.DataFrame({"territory_code": np.asarray(pa.codes)[t_i], "year": np.asarray(ev)[y_i],
                         "sex": np.asarray(SEXES)[s_i], "value": e0[t_i, y_i, s_i]})


def _gross_outflow(migration: pd.DataFrame, codes, ev_years, mwin, P, yi) -> np.ndarray | None:
    """Crude outflow rate (emigrants + internal departures per resident) over the window, or None."""
    if migration is None or migration.empty:
        return None
    mig = migration[migration["age"].isna() & (migration["sex"] == "total")]
    flows = [f for f in ("emigrants", "internal_departures") if f in set(mig["flow"])]
    if not flows:
        return None
    out = np.zeros((len(codes), len(ev_years)))
    seen = np.zeros_like(out, dtype=bool)
    for f in flows:
        s = _series(mig[mig["flow"] == f], codes, ev_years, "total")
        seen |= np.isfinite(s)
        out += np.nan_to_num(s)
    pops = np.full(out.shape, np.nan)
    for j, y in enumerate(ev_years):
        if y in yi:
            pops[:, j] = np.nansum(P[:, yi[y]], axis=(1, 2))
    ok = seen & mwin[None, :] & np.isfinite(pops)
    res = np.where(ok, out, 0).sum(1) / np.maximum(np.where(ok, pops, 0).sum(1), 1)
    return np.where(ok.any(1), res, np.nan)


def _age_specific_mortality(ds, codes, mw, ev_years, E, k, m, details) -> np.ndarray:
    """Replace model rates by observed ``D_x / E_x`` where every data age is published."""
    m = m.copy()
    yidx = {y: j for j, y in enumerate(ev_years)}
    for i, c in enumerate(codes):
        rows = ds[(ds["territory_code"].astype(str) == c) & ds["year"].astype(int).isin(mw)]
        if rows.empty:
            continue
        D = np.zeros((2, k + 1))
        Ex = np.zeros((2, k + 1))
        complete = True
        for (y, sex), g in rows.groupby(["year", "sex"]):
            ages = g["age"].astype(int).to_numpy()
            if set(range(k + 1)) - set(ages.tolist()) or int(y) not in yidx:
                complete = False
                break
            s = SEXES.index(sex)
            D[s, np.minimum(ages, k)] += g["value"].to_numpy(dtype=float)
            Ex[s] += np.nan_to_num(E[i, yidx[int(y)], s])
        if not complete or (Ex <= 0).any():
            continue
        obs = D / Ex
        # ages >= k keep the model shape, scaled to the observed open-group rate
        model_open = _aggregate_open(m[i], k, FEMALE)[:, k]
        m[i, :, :k] = obs[:, :k]
        m[i, :, k:] *= (obs[:, k] / np.maximum(model_open, 1e-12))[:, None]
        details[c]["mortality"] = "age-specific death rates of the window"
        details[c].pop("smr", None)
    return m
