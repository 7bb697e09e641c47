"""Tunable choices of the rate estimation (:class:`EstimationSettings`), checked when made.

The methods these settings steer are described in :mod:`.estimation`; the defaults are the
back-tested ones (``docs/BACKTEST.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

from ..exceptions import ProjectionError  # no numpy here: scenario files are read (`scenarios --list`) without it

__all__ = ["EstimationSettings", "CONVERGENCE_TARGETS", "MIGRATION_PROFILES", "MORTALITY_IMPROVEMENTS", "TREND_YEARS_AFTER_BREAK", "LONGEST_BACKTESTED_HORIZON"]

#: Long-run levels net migration can converge to (``EstimationSettings.migration_convergence``).
CONVERGENCE_TARGETS = ("none", "zero", "own_mean")
#: Fewest years after a break of the TFR series that its trend is fitted on (``EstimationSettings.tfr_trend_breaks``).
TREND_YEARS_AFTER_BREAK = 3
#: Sources of the age-sex pattern of net migration (``EstimationSettings.migration_profile``).
MIGRATION_PROFILES = ("window", "history", "country", "recent")
#: How death rates follow the life-expectancy path (``EstimationSettings.mortality_improvement``).
MORTALITY_IMPROVEMENTS = ("uniform", "by_age")

#: The longest horizon (years) the back-test scores (origin 2006, last year of the data 2018): what a
#: setting does beyond it is not judged by ``docs/BACKTEST.md``. The default migration holds the window's
#: schedule that long before its long-run rule begins, and the age-structure combination holds its shift
#: after it (:data:`~cityindicators.projection.schedule.AGE_STRUCTURE_HELD_AFTER`).
LONGEST_BACKTESTED_HORIZON = 12
#: The longest span, in years, a setting counted in years may have (the years migration is held, the years of its
#: convergence, of the age-structure weight's rise): longer than any projection runs (1950 to 2100), so a longer one
#: would change nothing more, and a number too large for numpy's integers would be an internal error.
MAX_SPAN_YEARS = 200


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
        ratios only). See "Default migration schedule" in :mod:`.estimation`.
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
    migration_trend_excludes
        Leave ``migration_excluded_years`` out of the fit of the net migration trend
        (``migration.mode: trend``) too, not only out of the window (default): the balancing
        equation's net migration of the event year 2010 carries the declaration wave and the 2011
        census revision of the population, a level break that would otherwise read as part of a
        slope. False fits on every one of the last ``trend_years``.
    tfr_trend_breaks
        Years at which the TFR series breaks (e.g. ``(2011,)``: the census revised the women of the
        denominator): the TFR trend's slope is fitted only on the years from the last such break
        on, when at least :data:`TREND_YEARS_AFTER_BREAK` of them are seen by the base year
        (:func:`~cityindicators.projection.schedule.trend_fit_years`); () fits on all ``trend_years``.
    open_age
        Open top age of the projection (at least 100).
    gompertz_slope, makeham
        Fixed slope ``b`` and Makeham constant ``c`` of the model schedule, (male, female).
    mortality_improvement
        How the death rates of the projection years follow the life-expectancy path: ``uniform`` (default)
        scales every age by one factor; ``by_age`` moves the log rate of age ``x`` by ``b_x`` times one
        amount (a Lee-Carter form), ``b`` the pace of each age's decline relative to the plain scaling
        estimated from the country's cohort survival at ``gompertz_slope_ages`` over the last
        ``trend_years`` event years without ``migration_excluded_years``
        (:func:`~cityindicators.projection.estimation.mortality.improvement_by_age`). The life expectancy
        of every year is the same either way.
    gompertz_slope_estimate, gompertz_slope_ages, gompertz_slope_bounds
        When ``gompertz_slope_estimate`` is true the slope ``b`` by sex is estimated from the
        cohort survival of the country (else the sum of the municipalities) at
        ``gompertz_slope_ages`` over the ``mortality_window`` years before the base year, clipped
        to ``gompertz_slope_bounds``, and ``gompertz_slope`` is only the fallback (see "Estimated
        Gompertz slope" in :mod:`.estimation`).
    migration_excluded_years
        Event years left out of every migration window (the residuals of year ``y`` are the
        moves between 1 January ``y`` and ``y + 1``), e.g. ``(2010,)`` for Lithuania's 2010
        declaration wave of emigrants who had left in earlier years; see "Atypical years".
    migration_profile
        Where the age-sex pattern of the net migration schedule comes from: ``window`` (the
        window's own residuals), ``history`` (the territory's net rates over its whole history up
        to the base year, excluded years left out: the ``own_mean`` rates), ``country`` (the net
        rates of all municipalities together over the window) or ``recent`` (the territory's own net
        rates over the last ``migration_profile_years`` usable years of the window: the pattern by age
        changes faster than the level). Its level (the crude net rate) is always the window's; see
        :func:`~cityindicators.projection.estimation.migration.level_shifted_profile`.
    migration_convergence, migration_convergence_start, migration_convergence_years
        The long-run rule of net migration. ``none`` holds the window's schedule for the whole
        projection; ``zero`` and ``own_mean`` hold it for ``migration_convergence_start`` years, then
        move it linearly to the long-run level, reached ``migration_convergence_years`` years later
        and held after: ``zero`` is no net migration, ``own_mean`` the territory's own net rates by
        age and sex over the whole history up to the base year (excluded years left out), see
        "Convergence" in :mod:`.estimation` and :func:`~cityindicators.projection.schedule.convergence_weights`.
        The default, zero net migration reached 40 years after the base year (held 12 years, the
        longest back-tested horizon, :data:`LONGEST_BACKTESTED_HORIZON`, then 28 years of linear
        convergence; the year the ``baseline`` TFR reaches its long-run level), leaves every
        back-tested horizon as the back-test scored it; see "Long-run migration" in :mod:`.schedule`
        for the reasons and sources.
    total_combination_weight
        Weight ``w`` of the exponential trend of the territory's total population in a forecast
        combination of the total (0 = the cohort-component total); see :mod:`.schedule`.
    age_structure_weight, age_structure_years
        Weight ``w`` of the exponential trend of the territory's median age in the age-structure
        combination (0 = the cohort-component age structure) and the years over which the weight
        rises linearly to ``w``; see :func:`~cityindicators.projection.schedule.age_structure_adjustment`.
    age_structure_damping
        Damping ``d`` of that trend of the median age (1 = the exponential trend itself; ``d < 1`` adds
        ``s d^j`` in year ``j`` to its log, a damped trend).
    age_structure_power
        Shape ``p`` of the rise of that weight, ``l_h = w min(h / N, 1)^p`` (1 = linear; ``p > 1``
        counts the trend less at short horizons and more at long ones).
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
    migration_trend_excludes: bool = True
    tfr_trend_breaks: tuple[int, ...] = ()
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
    migration_profile: str = "window"
    mortality_improvement: str = "uniform"
    migration_profile_years: int = 3
    migration_convergence: str = "zero"
    migration_convergence_start: int = LONGEST_BACKTESTED_HORIZON
    migration_convergence_years: int = 28  # zero reached 40 years after the base, with the baseline's TFR
    total_combination_weight: float = 0.0
    age_structure_weight: float = 0.5
    age_structure_years: int = 10
    age_structure_damping: float = 1.0
    age_structure_power: float = 1.0

    def __post_init__(self) -> None:
        if self.migration_convergence not in CONVERGENCE_TARGETS:
            raise ProjectionError(f"migration_convergence must be one of {', '.join(CONVERGENCE_TARGETS)}, "
                                  f"got {self.migration_convergence!r}")
        if self.mortality_improvement not in MORTALITY_IMPROVEMENTS:
            raise ProjectionError(f"mortality_improvement must be one of {', '.join(MORTALITY_IMPROVEMENTS)}, "
                                  f"got {self.mortality_improvement!r}")
        if self.migration_profile not in MIGRATION_PROFILES:
            raise ProjectionError(f"migration_profile must be one of {', '.join(MIGRATION_PROFILES)}, "
                                  f"got {self.migration_profile!r}")
        if int(self.migration_convergence_years) < 1:
            raise ProjectionError(f"migration_convergence_years must be at least 1, got {self.migration_convergence_years}")
        if int(self.migration_convergence_start) < 0:
            raise ProjectionError(f"migration_convergence_start must be at least 0, got {self.migration_convergence_start}")
        for name in ("migration_convergence_years", "migration_convergence_start", "age_structure_years"):
            if int(getattr(self, name)) > MAX_SPAN_YEARS:
                raise ProjectionError(f"{name} must be at most {MAX_SPAN_YEARS} years (longer than any projection), "
                                      f"got {getattr(self, name)}")
        if not 0.0 <= self.total_combination_weight <= 1.0:
            raise ProjectionError(f"total_combination_weight must be within [0, 1], got {self.total_combination_weight}")
        if not 0.0 <= self.age_structure_weight <= 1.0:
            raise ProjectionError(f"age_structure_weight must be within [0, 1], got {self.age_structure_weight}")
        if not 0.0 < self.age_structure_damping <= 1.0:
            raise ProjectionError(f"age_structure_damping must be within (0, 1], got {self.age_structure_damping}")
        if not 0.0 < self.age_structure_power <= 10.0:
            raise ProjectionError(f"age_structure_power must be within (0, 10], got {self.age_structure_power}")
        if int(self.age_structure_years) < 1:
            raise ProjectionError(f"age_structure_years must be at least 1, got {self.age_structure_years}")
        if not all(isinstance(y, Integral) and not isinstance(y, bool) for y in self.migration_excluded_years):
            raise ProjectionError(f"migration_excluded_years must be calendar years, got {self.migration_excluded_years!r}")
        if not all(isinstance(y, Integral) and not isinstance(y, bool) for y in self.tfr_trend_breaks):
            raise ProjectionError(f"tfr_trend_breaks must be calendar years, got {self.tfr_trend_breaks!r}")
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
        for name in ("migration_window", "mortality_window", "fertility_window", "trend_years", "e0_window",
                     "migration_profile_years"):
            if int(getattr(self, name)) < 1:
                raise ProjectionError(f"{name} must be at least 1")
