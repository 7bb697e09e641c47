"""From base rates and a scenario to the year-by-year inputs of the engine.

A :class:`ScenarioSchedule` holds the *paths* of the summary assumptions by projection year,
``tfr[n, T]``, ``e0[n, T, sex]``, a shift of the crude net migration rate ``mig_shift[n, T]``
and an added inflow ``added[n, T]`` (persons), plus the fixed age shapes. Its
:meth:`~ScenarioSchedule.engine_inputs` turns any paths (also with an extra trajectory axis,
as the stochastic mode draws them) into survival ratios, fertility and migration arrays.

Rules (year ``y`` = calendar year of the events, base year ``Y``, ``j = y - Y``):

* fertility ``hold``: ``TFR_y = TFR_0``; ``trend``: ``TFR_y = TFR_0 + s sum_{i=1..j} d^i``
  with ``s`` the OLS slope of the last ``trend_years`` of TFR (from the last break of
  ``tfr_trend_breaks`` on when it leaves three years, :func:`trend_fit_years`) and damping ``d``, the added change
  at most ``max_change`` either way, moving to the reference TFR (all municipalities) in
  ``convergence_years`` when set, clipped to the scenario's bounds in every year (a base TFR
  outside them starts at the nearest bound, or with ``bounds_entry_years`` at its own level, moving into
  them in that many years; :func:`~cityindicators.projection.bounds.tfr_path`); ``path``: linear interpolation from ``(Y, TFR_0)`` through the given points, then held.
  The age pattern ``asfr / TFR`` of the base is kept.
* mortality: first-year gain ``g = 0`` (hold), the given gain, or the OLS slope of the
  territory's life-expectancy history bounded to ``bounds`` (trend); later gains slow towards
  the scenario's ceiling, ``C - e0_j = (C - e0_0)(1 - g / (C - e0_0))^j``
  (:func:`~cityindicators.projection.bounds.e0_path`). Rates at all ages are
  scaled by one factor per territory, sex and year to hit ``e0_y``
  (:class:`~cityindicators.projection.lifetable.E0Scaler`).
* migration: net = ``level (inflow_scale * in - outflow_scale * out)``; ``zero`` drops it;
  ``trend`` adds ``delta_y = s sum_{i=1..j} d^i`` to the crude net rate (``s`` the OLS slope of the
  balancing-equation net migration rate, the window's excluded years left out when
  ``migration_trend_excludes``), the sum kept within ``bounds``, spread over age and
  sex by the territory's gross-migration age profile; the added inflow is a constant number of
  persons a year shared out by its profile.
* convergence (``EstimationSettings.migration_convergence``): the schedule of year ``Y + j`` is
  ``(1 - lambda_j) * window schedule + lambda_j * long-run schedule`` with
  ``lambda_j = min(max(j - S, 0) / N, 1)``, ``S`` years held (``migration_convergence_start``)
  and ``N`` years of convergence (:func:`convergence_weights`, :func:`convergence_span`); the
  long-run schedule is nil (``zero``) or the territory's own long-run net rates (``own_mean``,
  times the scenario's ``level``). The count part, the in-migrant pool, the scenario's scalings of
  the window's schedule and its damped trend of the crude rate (``migration.mode: trend``) all
  fade with ``1 - lambda_j``: the long-run level replaces the whole estimated assumption. A
  scenario's added inflow does not fade (it is a policy assumption of its own).
* long-run migration, the shipped default (``zero``, ``S = 12``, ``N = 28``): the window's
  schedule and its damped trend are held for the 12 years the back-test scores
  (:data:`~cityindicators.projection.settings.LONGEST_BACKTESTED_HORIZON`, origin 2006 to the last
  year 2018), so every back-tested projection is, to the bit, the one ``docs/BACKTEST.md``
  scores; then net migration moves linearly to zero, reached 40 years after the base year (2058
  from 2018), the year the ``baseline`` TFR reaches its long-run level
  (``fertility.convergence_years: 40``, :mod:`.bounds`): both components arrive at their long-run
  assumptions together. Why a rule at all: the window (2013-2017 from 2018) is a period of heavy
  net emigration, and held for 32 years it takes the median municipality to about half its
  population by 2050; no back-test can say how long such a level lasts, so beyond the tested
  horizon the projection follows a documented assumption instead, as long-range projections do.
  Sources, as checked (only what they state): Eurostat's EUROPOP2008 convergence scenario
  (metadata of proj_08c; Giannakouris 2008, *Statistics in Focus* 72/2008) assumes that the
  differences between the countries fade out in the very long run: fertility and mortality
  converge to the "forerunner" countries' levels and international migration flows converge to
  zero net migration, all by one convergence year, 2150 (EUROPOP2010's convergence scenario
  likewise); Abel (2018, *Demographic Research* 38(54)) notes that most global projections set
  net migration on trajectories towards zero, and calls the assumption common but poorly
  justified. Statistics Norway's municipal projections (cohort-component, with fertility,
  mortality, internal migration, immigration and emigration; a main alternative and variants)
  are not a source for this rule: what was checked of them says nothing of a long-run migration
  level. This rule takes EUROPOP's target (zero net migration) and its tie to the year the
  fertility assumption reaches its long-run level; holding the window for the 12 tested years and
  converging over 28 more (not to 2150) are this tool's own choices. Why zero: the other targets carry the same emigration on. The
  territory's own long-run mean (``own_mean``) pools 2001-2017, a history of net emigration
  throughout (EU accession 2004, the 2009 crisis), and barely moves the long run; the country's
  age profile scaled would hand every municipality Lithuania's net emigration. Zero is the neutral
  long-run assumption that needs no figure the data do not hold (none after 2018 informs it) and,
  in a plan, reads plainly: "in the long run, as many arrive as leave". Internal migration
  (suburbanisation around the cities) converges to zero with it; a user who expects it to last
  sets ``own_mean`` or ``none``. With the age-structure combination the rule is consistent: its
  shift of the median age is held, not extrapolated, after the same 12 years
  (:data:`AGE_STRUCTURE_HELD_AFTER`), and as it keeps each year's total it adds (almost) no net
  migrants: in the long run the total follows births, deaths and the converging migration.
* migration path (scenario key ``migration.path``, ``{year: scaling}``): both weights above are
  multiplied by a factor interpolated linearly from 1 at the base year through the given years,
  held after the last; a scenario's ``convergence_target``, ``convergence_start_year`` (the first
  calendar year of the convergence) and ``convergence_year`` (the calendar year the long-run level
  is reached) override the estimation settings.
* age-structure combination (``EstimationSettings.age_structure_weight = w``): the population of
  year ``Y + h`` is the cohort-component one tilted so that its median age is
  ``M_h = CC_h + l_h (T_h - CC_h)``, ``T_h`` the exponential trend of the territory's median age
  (the ``exponential`` back-test baseline), ``l_h = w min(h / age_structure_years, 1)^p`` (``p`` =
  ``age_structure_power``, 1 shipped: linear); beyond
  :data:`AGE_STRUCTURE_HELD_AFTER` years the shift ``M_h - CC_h`` is held. The tilt keeps the
  total (:func:`tilt_to_median`); the difference enters as net migrants
  (:func:`age_structure_adjustment`).
* in-migrant pool (``EstimationSettings.inflow_pool``): the part of the inflow held as counts at
  ages ``x`` below ``inflow_pool_max_age`` is multiplied in event year ``Y + j`` by
  ``pool_Y(x - j - 1) / pool_window(x)``, the base-year population of the cohort in all
  municipalities (the pool the in-migrants come from, shifted along the cohort; births held for
  cohorts not yet born) over the pool of that age in the window the counts were estimated on. In a
  country whose cohorts shrink (as Lithuania's births did in the 1990s) a fixed number of
  in-migrants would otherwise mean ever higher in-migration rates from the origin population
  (Rees 1986, pool-migration model).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..exceptions import ProjectionError
from .base_rates import BaseRates
from .bounds import e0_path, tfr_path
from .agegroups import median_age
from .engine import EngineResult, cohort_component, project_step
from .estimation.common import ols_slope as _ols_slope
from .lifetable import E0Scaler
from .scenarios import Migration, Scenario, profile_weights
from .settings import LONGEST_BACKTESTED_HORIZON, TREND_YEARS_AFTER_BREAK

__all__ = ["E0Scaler", "ScenarioSchedule", "build_schedule", "run_schedule", "trend_fit_years",
           "combination_adjustment", "convergence_weights", "convergence_span",
           "tilt_to_median", "age_structure_adjustment", "age_structure_adjustments", "build_schedules",
           "AGE_STRUCTURE_HELD_AFTER", "AGE_TILT_WIDTH"]

#: Years after which the age-structure combination's shift of the median age is held: the longest horizon
#: the back-test scores (2006 -> 2018); a trend of the median age is not carried further than it was tested.
AGE_STRUCTURE_HELD_AFTER = LONGEST_BACKTESTED_HORIZON
#: Width (years of age) of the tilt of :func:`tilt_to_median`: ages more than about two widths from the
#: median are all scaled by nearly the same factor, so the tilt moves people across the middle ages, not
#: into the oldest.
AGE_TILT_WIDTH = 10.0


@dataclass
class ScenarioSchedule:
    """Assumption paths of one scenario for a set of territories (see the module docstring)."""

    scenario: Scenario
    rates: BaseRates
    years: np.ndarray  # event years Y..Y+n-1
    tfr: np.ndarray  # [n, T]
    e0: np.ndarray  # [n, T, 2]
    mig_shift: np.ndarray  # [n, T]
    added: np.ndarray  # [n, T] persons per year
    asfr_shape: np.ndarray  # [T, A]
    mig_rate: np.ndarray  # [T, 2, A]
    mig_count: np.ndarray  # [T, 2, A]
    shift_profile: np.ndarray  # [T, 2, A], population-weighted mean 1
    added_profile: np.ndarray  # [T, 2, A], sums to 1
    scaler: E0Scaler
    pool_count: np.ndarray | None = None  # [T, 2, A] inflow counts that follow the pool
    pool_ratio: np.ndarray | None = None  # [n, 2, A] pool size of year j over the window's
    recent_weight: np.ndarray | None = None  # [n] weight of the window's schedule (1 = held)
    target_weight: np.ndarray | None = None  # [n] weight of the long-run schedule
    target_rate: np.ndarray | None = None  # [T, 2, A] long-run net rate per survivor
    combination_count: np.ndarray | None = None  # [n, T, 2, A] persons: the forecast-combination adjustment
    #: [n, T] persons: the migration shortfall (:class:`EngineResult`) of the cohort-component run the
    #: age-structure combination started from, set by :func:`age_structure_adjustments`. The
    #: combination's migrants make up for what the bound kept from leaving (they bring the projection
    #: to the tilt of that run), so the final run's own shortfall would not show an outflow asked for
    #: and refused.
    shortfall_before_combination: np.ndarray | None = None

    def engine_inputs(self, tfr: np.ndarray, e0: np.ndarray, shift: np.ndarray, added: np.ndarray,
                      year: int | None = None):
        """Engine arrays ``(S, Sb, asfr, male_share, mig_rate, mig_count)`` for paths with leading axes ``[...]``.

        ``tfr``, ``shift``, ``added`` are ``[..., T]``; ``e0`` is ``[..., T, 2]``. With ``year``
        (index of one projection year) the paths are of that year only; without it their first
        leading axis is the projection year (needed for the in-migrant pool, which varies by year).
        """
        S, Sb = self.scaler.survival(e0)
        asfr = tfr[..., None] * self.asfr_shape
        male = np.broadcast_to(self.rates.male_share, tfr.shape)
        extra = tfr.ndim - 2 if year is None else 0  # axes between the year axis and the territory axis

        def by_year(arr: np.ndarray, inner: int) -> np.ndarray:
            """``arr[n, ...]`` for this year, or with its year axis aligned to the paths' leading axis."""
            if year is not None:
                return arr[year]
            return arr.reshape(arr.shape[:1] + (1,) * (extra + inner) + arr.shape[1:])

        held = 1.0 if self.recent_weight is None else by_year(self.recent_weight, 3)
        rate = held * self.mig_rate + shift[..., None, None] * self.shift_profile
        if self.target_rate is not None:
            rate = rate + by_year(self.target_weight, 3) * self.target_rate
        count = held * self.mig_count + added[..., None, None] * self.added_profile
        if self.pool_count is not None:
            count = count + held * self.pool_count * (by_year(self.pool_ratio, 1) - 1.0)
        if self.combination_count is not None:
            count = count + by_year(self.combination_count, 0)
        return S, Sb, asfr, male, rate, count

    def deterministic_inputs(self):
        """Engine arrays with the year axis first."""
        return self.engine_inputs(self.tfr, self.e0, self.mig_shift, self.added)


def _damped(slope: np.ndarray, damping: float, n: int) -> np.ndarray:
    """``[n, ...]``: ``slope * sum_{i=1..j} damping^i`` for ``j = 0..n-1``."""
    j = np.arange(n)
    cum = np.array([sum(damping**i for i in range(1, jj + 1)) for jj in j])
    return cum.reshape((n,) + (1,) * np.ndim(slope)) * slope


def _bounded(base: np.ndarray, path: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Clip ``path`` to [lo, hi] but never move it past the base value itself."""
    return np.clip(path, np.minimum(lo, base), np.maximum(hi, base))


def build_schedule(rates: BaseRates, scenario: Scenario, to_year: int) -> ScenarioSchedule:
    """Assumption paths of ``scenario`` for the event years ``base_year .. to_year - 1``."""
    return build_schedules([(rates, scenario)], to_year)[0]


def build_schedules(pairs: "list[tuple[BaseRates, Scenario]]", to_year: int) -> list[ScenarioSchedule]:
    """:func:`build_schedule` of every ``(rates, scenario)`` pair, the age-structure adjustments of those
    that have one solved together (:func:`age_structure_adjustments`: the tilt's bisection costs about
    the same for one territory as for several, so a report's five scenarios pay for it once); each
    schedule is, to the bit, the one built alone."""
    schedules = [_schedule_before_age_structure(rates, scenario, to_year) for rates, scenario in pairs]
    together: dict[tuple, list[int]] = {}
    for i, sch in enumerate(schedules):
        st = sch.rates.settings
        if st.age_structure_weight > 0 and sch.scenario.migration.mode != "zero" and \
                sch.rates.median_age_trend is not None and len(sch.years) > 0:
            key = (st.age_structure_weight, st.age_structure_years, st.age_structure_damping, st.age_structure_power,
                   len(sch.years), sch.rates.ages.size)
            together.setdefault(key, []).append(i)
    for (wa, years, damping, power, _, _), idx in together.items():
        for i, extra in zip(idx, age_structure_adjustments([schedules[i] for i in idx], wa, years, damping=damping,
                                                           power=power)):
            sch = schedules[i]
            sch.combination_count = extra if sch.combination_count is None else sch.combination_count + extra
    return schedules


def added_inflow_per_year(added_inflow, population: np.ndarray) -> np.ndarray:
    """Persons a year of a scenario's ``migration.added_inflow`` for territories of base population
    ``population[T]``: its ``persons`` plus ``per_1000`` of the base population (both keys add up)."""
    return added_inflow.persons + added_inflow.per_1000 * np.asarray(population, dtype=float) / 1000.0


def _schedule_before_age_structure(rates: BaseRates, scenario: Scenario, to_year: int) -> ScenarioSchedule:
    """:func:`build_schedule` but for the age-structure adjustment (added by :func:`build_schedules`)."""
    Y = rates.base_year
    n = int(to_year) - Y
    years = np.arange(Y, Y + n)
    T = len(rates.codes)
    st = rates.settings
    hist_mask = rates.hist_years >= Y - st.trend_years

    # fertility
    f = scenario.fertility
    tfr0 = rates.tfr
    if f.mode == "hold":
        tfr = np.broadcast_to(tfr0, (n, T)).copy()
    elif f.mode == "trend":
        tfr_mask = trend_fit_years(rates.hist_years, Y, st.trend_years, st.tfr_trend_breaks)
        slope = _ols_slope(np.where(tfr_mask, rates.tfr_hist, np.nan), rates.hist_years)
        if f.convergence_years and rates.tfr_reference is None:
            raise ProjectionError("a converging TFR trend needs rates with tfr_reference")
        tfr = tfr_path(tfr0, slope, f.damping, n, f.bounds, f.max_change, rates.tfr_reference, f.convergence_years,
                       f.bounds_entry_years)
    else:
        px = np.array([Y] + [y for y, _ in f.path if y > Y], dtype=float)
        tfr = np.empty((n, T))
        for i in range(T):  # a handful of path points per territory
            py = np.array([tfr0[i]] + [v for y, v in f.path if y > Y])
            tfr[:, i] = np.interp(years, px, py)
    shape = np.where(tfr0[:, None] > 0, rates.asfr / np.where(tfr0[:, None] > 0, tfr0[:, None], 1), 0)

    # mortality
    mo = scenario.mortality
    if mo.mode == "hold":
        gain = np.zeros((T, 2))
    elif mo.mode == "gain":
        gain = np.full((T, 2), mo.e0_gain_per_year)
    else:
        gain = np.clip(_ols_slope(np.where(hist_mask, rates.e0_hist, np.nan), rates.hist_years), *mo.bounds)
    e0 = e0_path(rates.e0, gain, n, mo.e0_ceiling)  # gains slow towards the ceiling (see .bounds)

    # migration
    mi = scenario.migration
    zeros = np.zeros_like(rates.mig_in_rate)
    if mi.mode == "zero":
        mig_rate, mig_count = zeros, zeros.copy()
    else:
        mig_rate = mi.level * (mi.inflow_scale * rates.mig_in_rate - mi.outflow_scale * rates.mig_out_rate)
        mig_count = mi.level * (mi.inflow_scale * rates.mig_in_count - mi.outflow_scale * rates.mig_out_count)
    P0 = rates.population
    gross = rates.mig_in_rate + rates.mig_out_rate + (rates.mig_in_count + rates.mig_out_count) / np.maximum(P0, 1.0)
    mean_g = (gross * P0).sum((1, 2)) / np.maximum(P0.sum((1, 2)), 1e-9)
    shift_profile = np.where(mean_g[:, None, None] > 0, gross / np.where(mean_g > 0, mean_g, 1)[:, None, None], 1.0)
    mig_shift = np.zeros((n, T))
    if mi.mode == "trend":
        mig_mask = hist_mask
        if st.migration_trend_excludes:  # the years left out of the window are left out of its trend too
            mig_mask = hist_mask & ~np.isin(rates.hist_years, [int(y) for y in st.migration_excluded_years])
        slope = _ols_slope(np.where(mig_mask, rates.netmig_hist, np.nan), rates.hist_years)
        c0 = (rates.net_migration().sum((1, 2)) / P0.sum((1, 2))) if T else np.zeros(0)
        path = _bounded(c0, c0 + _damped(slope, mi.damping, n), *mi.bounds)
        mig_shift = path - c0

    a = mi.added_inflow
    own = rates.mig_in_rate * P0 + rates.mig_in_count
    added_profile = np.broadcast_to(profile_weights(a.profile_spec(), P0.shape[-1], own=own), P0.shape).copy()
    per_year = added_inflow_per_year(a, P0.sum((1, 2)))  # [T]
    start = a.from_year if a.from_year is not None else Y
    added = np.where((years >= start)[:, None], per_year[None, :], 0.0) if a.active else np.zeros((n, T))

    pool_count = pool_ratio = None
    if mi.mode != "zero" and rates.inflow_pool_base is not None and rates.inflow_pool_window is not None:
        pool_ratio = _pool_ratio(rates.inflow_pool_base, rates.inflow_pool_window, n, st.inflow_pool_max_age)
        pool_count = mi.level * mi.inflow_scale * rates.mig_in_count
        pool_count = np.where(np.arange(P0.shape[-1]) < st.inflow_pool_max_age, pool_count, 0.0)
        if not pool_count.any():
            pool_count = pool_ratio = None

    recent_weight = target_weight = target_rate = None
    if mi.mode != "zero":
        conv = mi.convergence_target or st.migration_convergence
        start, conv_years = convergence_span(Y, st, mi, scenario.source or scenario.name)
        recent_weight, target_weight = convergence_weights(n, conv, conv_years, start)
        if conv != "none":  # the long-run level replaces the whole estimated assumption, its trend too
            mig_shift = mig_shift * recent_weight[:, None]
        if mi.path:  # a scaling of net migration by year: linear from 1 at the base year through the points
            scale = np.interp(years, [Y] + [y for y, _ in mi.path if y > Y], [1.0] + [v for y, v in mi.path if y > Y])
            recent_weight, target_weight = recent_weight * scale, target_weight * scale
        if conv == "own_mean":
            if rates.mig_longrun_rate is None:
                raise ProjectionError("convergence to the own long-run mean needs rates with mig_longrun_rate")
            target_rate = mi.level * rates.mig_longrun_rate

    sch = ScenarioSchedule(
        scenario=scenario, rates=rates, years=years, tfr=tfr, e0=e0, mig_shift=mig_shift, added=added,
        asfr_shape=shape, mig_rate=mig_rate, mig_count=mig_count, shift_profile=shift_profile,
        added_profile=added_profile, scaler=rates.e0_scaler(), pool_count=pool_count,
        pool_ratio=pool_ratio, recent_weight=recent_weight, target_weight=target_weight, target_rate=target_rate,
    )
    w = st.total_combination_weight
    if w > 0 and mi.mode != "zero" and rates.total_trend is not None and n > 0:
        held = Migration()
        ref = sch if mi == held else build_schedule(
            replace(rates, settings=replace(st, total_combination_weight=0.0)), replace(scenario, migration=held), to_year)
        sch.combination_count = combination_adjustment(ref, w)
    return sch


def trend_fit_years(hist_years: np.ndarray, base_year: int, trend_years: int, breaks=(),
                    after_break: int = TREND_YEARS_AFTER_BREAK) -> np.ndarray:
    """Mask of the event years ``hist_years`` a trend is fitted on: the last ``trend_years`` before
    ``base_year`` (``y >= base_year - trend_years``), and, when a year ``b`` of ``breaks`` leaves at least
    ``after_break`` years ``b .. base_year - 1``, only those from the latest such ``b`` on (a level break of
    the series, as the 2011 census's revision of the TFR's women, must not read as a slope)."""
    y = np.asarray(hist_years)
    mask = y >= int(base_year) - int(trend_years)
    usable = [int(b) for b in breaks if int(base_year) - int(b) >= after_break]
    if usable:
        mask &= y >= max(usable)
    return mask


def run_schedule(sch: ScenarioSchedule) -> EngineResult:
    """Run the engine on a schedule's deterministic paths."""
    S, Sb, asfr, male, rate, count = sch.deterministic_inputs()
    return cohort_component(sch.rates.population, S, Sb, asfr, male, rate, count)


def combination_adjustment(sch: ScenarioSchedule, weight: float, passes: int = 3) -> np.ndarray:
    """Migrants ``[n, T, 2, A]`` that bring the schedule's total to the forecast combination.

    The combined total of year ``Y + h`` is ``C_h = (1 - w) CC_h + w P_Y exp(g h)``: the
    cohort-component total ``CC_h`` of ``sch`` averaged with the exponential trend of the last
    five years' totals (``g`` = :attr:`BaseRates.total_trend`; Smith, Tayman & Swanson 2013,
    ch. 13; Wilson 2015). The difference is carried by extra net migrants of each year ``j``,
    ``a_j`` persons shared over sex and age like the cohort-component population at the end of
    that year (so the combination changes the level, not the age structure). ``a_j`` starts at
    ``(C_{j+1} - C_j) - (CC_{j+1} - CC_j)`` and is corrected ``passes`` times by the increments of
    the remaining gap (the extra migrants also have children and die). Because the adjustment
    is migration inside the engine, births, deaths and migrants still add up to the population
    change exactly; the components report it as part of net migration.
    """
    base = run_schedule(sch).population  # [n + 1, T, 2, A]
    cc = base.sum((-2, -1))
    n = cc.shape[0] - 1
    trend = cc[0] * np.exp(sch.rates.total_trend[None, :] * np.arange(n + 1)[:, None])
    target = (1 - weight) * cc + weight * trend
    shape = base[1:] / np.maximum(base[1:].sum((-2, -1), keepdims=True), 1e-9)
    adj = np.diff(target - cc, axis=0)  # [n, T]
    trial = replace(sch, combination_count=None)
    for _ in range(passes):
        trial.combination_count = adj[..., None, None] * shape
        got = run_schedule(trial).population.sum((-2, -1))
        gap = np.concatenate([np.zeros_like(cc[:1]), (target - got)[1:]])
        adj = adj + np.diff(gap, axis=0)
    return adj[..., None, None] * shape


def tilt_to_median(pop: np.ndarray, target: np.ndarray, width: float = AGE_TILT_WIDTH, iterations: int = 36,
                   bound: float = 3.0) -> np.ndarray:
    """``pop[..., 2, A]`` tilted over age so that its median age is ``target[...]``, its total unchanged.

    ``Q_x = c P_x exp(b tanh((x - m) / width))`` with ``m`` the median age of ``P`` and ``c`` the
    factor that keeps the total; ``b`` (within ``+-bound``) is found by bisection, as the median of
    ``Q`` rises with ``b``. The tilt is smooth and bounded: ages well below the median are scaled by
    about ``c e^-b``, ages well above by ``c e^b``, so the age pattern within the young and within the
    old is the cohort-component one. ``b = 0`` (the population itself) where the target is the median.
    """
    pop = np.asarray(pop, dtype=float)
    x = np.arange(pop.shape[-1], dtype=float)
    m0 = median_age(pop)
    target = np.broadcast_to(np.asarray(target, dtype=float), m0.shape)
    shape = np.tanh((x - m0[..., None]) / float(width))  # [..., A]
    total = pop.sum((-2, -1))

    def tilted(b: np.ndarray) -> np.ndarray:
        q = pop * np.exp(b[..., None] * shape)[..., None, :]
        return q * (total / np.maximum(q.sum((-2, -1)), 1e-300))[..., None, None]

    lo, hi = np.full(m0.shape, -float(bound)), np.full(m0.shape, float(bound))
    for _ in range(iterations):  # halves the interval of b each time: 36 steps leave it within 1e-10
        mid = (lo + hi) / 2
        low = median_age(tilted(mid)) < target
        lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
    return tilted(np.where(target == m0, 0.0, (lo + hi) / 2))


def age_structure_adjustment(sch: ScenarioSchedule, weight: float, years: int,
                             held_after: int = AGE_STRUCTURE_HELD_AFTER, damping: float = 1.0,
                             power: float = 1.0) -> np.ndarray:
    """Net migrants ``[n, T, 2, A]`` that turn the schedule's projection into the age-structure
    combination (:func:`age_structure_adjustments` of the one schedule)."""
    return age_structure_adjustments([sch], weight, years, held_after, damping, power)[0]


def age_structure_adjustments(schedules: "list[ScenarioSchedule]", weight: float, years: int,
                              held_after: int = AGE_STRUCTURE_HELD_AFTER, damping: float = 1.0,
                              power: float = 1.0) -> list[np.ndarray]:
    """Net migrants ``[n, T, 2, A]`` of each schedule that turn its projection into the age-structure combination.

    The median age of year ``Y + h`` becomes ``M_h = CC_h + l_h (T_h - CC_h)`` with ``CC_h`` the
    cohort-component median of ``sch``, ``T_h = exp(a + s h)`` the exponential trend of the
    territory's median age (:attr:`BaseRates.median_age_trend`) and ``l_h = weight min(h / years,
    1)``: the trend counts more the further ahead, as the back-test shows it does better than the
    cohort-component age structure at long horizons and worse at short ones (a forecast combination of
    different methods, Smith, Tayman & Swanson 2013, ch. 13; Wilson 2015). Beyond ``held_after``
    years the shift ``M_h - CC_h`` is held. With ``damping = d < 1`` the trend is damped,
    ``T_h = exp(a + s (d + d^2 + ... + d^h))`` (Gardner & McKenzie 1985), as the migration trend is.
    With ``power = p`` the weight rises as ``l_h = weight min(h / years, 1)^p`` (``p > 1``: the trend
    counts less at short horizons, more at long ones).
    The target population of each year is
    :func:`tilt_to_median` of the cohort-component one (same total), and the migrants are solved year
    by year so that the engine reproduces it exactly (one step for the survivors, a second for the
    births, which depend on the women at the end of the year); births, deaths and migrants then add up
    to the change, the adjustment reported as migration.

    The schedules (of the same projection years and ages) are solved together, their territories side
    by side on one axis: every step below is cell by cell or by territory, so each schedule's migrants
    are those it would get alone, to the bit (tests/test_projection_age_structure.py).
    """
    sizes = [len(sch.rates.codes) for sch in schedules]
    runs = [run_schedule(sch) for sch in schedules]
    for sch, run in zip(schedules, runs):
        sch.shortfall_before_combination = run.migration_shortfall
    pop = np.concatenate([run.population for run in runs], axis=1)  # [n + 1, T, 2, A]
    n = pop.shape[0] - 1
    h = np.arange(1, n + 1, dtype=float)[:, None]
    cc = median_age(pop[1:])  # [n, T]
    trend = np.concatenate([sch.rates.median_age_trend for sch in schedules])
    a, s = trend[:, 0], trend[:, 1]
    steps = h if damping == 1.0 else _damped(np.ones(1), damping, n + 1)[1:]  # [n, 1]: h, or d + ... + d^h
    shift = weight * np.minimum(h / float(years), 1.0) ** power * (np.exp(a[None, :] + s[None, :] * steps) - cc)
    if n > held_after:
        shift[held_after:] = shift[held_after - 1]
    target = tilt_to_median(pop[1:], cc + shift)
    inputs = [sch.deterministic_inputs() for sch in schedules]  # (S, Sb, asfr, male, rate, count) each
    S, Sb, asfr, male, rate, count = (
        np.concatenate([np.broadcast_to(arr[k], (n, T) + arr[k].shape[-tail:] if tail else (n, T))
                        for arr, T in zip(inputs, sizes)], axis=1)
        for k, tail in enumerate((2, 1, 1, 0, 2, 2)))
    # every year at once (the year axis as a leading axis of the step): each year starts from the target of
    # the year before, known up front, so no year waits for another; cell by cell the arithmetic is the
    # year-by-year loop's (tests/test_projection_age_structure.py compares the two to the bit)
    P = np.concatenate([pop[:1], target[:-1]])
    step = project_step(P, S, Sb, asfr, male, rate, count)
    surv = step.population - step.net_migration  # survivors: ages 1+ do not depend on the migrants
    # net migrants N = rate * surv + count must be target - surv: the count part (ages 1+; age 0 below)
    solved = target - surv - rate * surv
    births = project_step(P, S, Sb, asfr, male, rate, solved)  # women of t + 1 now the target's
    s0 = births.population[..., 0] - births.net_migration[..., 0]
    solved[..., 0] = target[..., 0] - s0 - rate[..., 0] * s0
    return [np.ascontiguousarray(part) for part in np.split(solved - count, np.cumsum(sizes)[:-1], axis=1)]


def convergence_span(base_year: int, settings, migration: Migration, source: str = "scenario") -> tuple[int, int]:
    """``(start, years)`` of the migration convergence: years held after the base year, then years to the long-run level.

    From the estimation settings (``migration_convergence_start``, ``migration_convergence_years``)
    unless the scenario sets the calendar years ``convergence_start_year`` (the first year of the
    convergence) or ``convergence_year`` (the year the long-run level is reached); a start before
    the base year starts at the base year. A ``convergence_year`` not after the start is an error
    naming ``source`` (the scenario's file) and the key: it can be judged only once the base year is known.
    """
    Y = int(base_year)
    start = (max(int(migration.convergence_start_year) - Y, 0) if migration.convergence_start_year is not None
             else int(settings.migration_convergence_start))
    if migration.convergence_year is None:
        return start, int(settings.migration_convergence_years)
    years = int(migration.convergence_year) - Y - start
    if years < 1:
        raise ProjectionError(
            f"{source}: key 'migration.convergence_year': {migration.convergence_year} is not after the year the "
            f"convergence starts, {Y + start} (base year {Y} + {start} years held); set "
            "'migration.convergence_start_year' too")
    return start, years


def convergence_weights(n: int, target: str, years: int, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``(recent[n], long_run[n])`` of the window's and the long-run schedule by projection year.

    Event year ``Y + j`` uses ``lambda_j = min(max(j - start, 0) / years, 1)``: the window's
    schedule up to year ``start`` (held ``start`` years, the first ``start + 1`` event years at
    weight 1), the long-run level from year ``start + years`` on, linear in between (see "Long-run
    migration" in the module docstring). ``none`` keeps ``(1, 0)``; for ``zero`` the long-run
    schedule is nil, so only the first weight matters.
    """
    if target == "none":
        return np.ones(n), np.zeros(n)
    lam = np.clip((np.arange(n) - int(start)) / float(years), 0.0, 1.0)
    return 1.0 - lam, lam


def _pool_ratio(base: np.ndarray, window: np.ndarray, n: int, max_age: int) -> np.ndarray:
    """``[n, 2, A]``: ``base[x - j - 1] / window[x]`` for ages below ``max_age`` (cohort-shifted pool), else 1."""
    A = base.shape[-1]
    x = np.arange(A)
    src = np.maximum(x[None, :] - np.arange(n)[:, None] - 1, 0)  # [n, A]; unborn cohorts: base age 0
    num = base[:, src]  # [2, n, A]
    ratio = np.where(window[:, None, :] > 0, num / np.where(window[:, None, :] > 0, window[:, None, :], 1.0), 1.0)
    ratio = np.where(x[None, None, :] < max_age, ratio, 1.0)
    return np.moveaxis(ratio, 1, 0)
