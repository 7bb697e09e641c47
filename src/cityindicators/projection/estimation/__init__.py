"""Estimation of the base rates of a projection, with documented fallbacks.

:func:`estimate_rates` runs six stages, each a module with one function that returns its arrays
and its record of methods (``notes``, merged into :attr:`BaseRates.details`):
:mod:`.inputs` (the tidy frames as arrays; the base population's open group split),
:mod:`.sex_ratio`, :mod:`.mortality`, :mod:`.fertility`, :mod:`.migration` and :mod:`.history`.
Settings are :class:`~cityindicators.projection.settings.EstimationSettings`, the result
:class:`~cityindicators.projection.base_rates.BaseRates`, the model schedules in
:mod:`cityindicators.projection.model_schedules`.

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

Mortality falling at its own pace by age (option, off by default)
    The projection years' rates follow the scenario's life-expectancy path. By default every age is
    scaled by one factor (:class:`..lifetable.E0Scaler`). With ``mortality_improvement="by_age"`` the
    log rate of age ``x`` moves by ``b_x kappa_t`` instead (the Lee-Carter form, Lee & Carter 1992,
    ``kappa_t`` solved for the year's life expectancy as the UN's projections do, Sevcikova et al.
    2016), with ``b`` estimated at the base year (:func:`.mortality.improvement_by_age`): the
    least-squares trend of the log cohort hazard ``-log(P_{x+1}(t+1) / P_x(t))`` of the country's
    five-year age groups within ``gompertz_slope_ages`` over the last ``trend_years`` event years
    without ``migration_excluded_years`` (the census revision is no survival), over the pace the
    plain scaling gives the country's own life expectancy in those years, bounded to 0-3 and 1 below
    the ages fitted (the data have no deaths by age to estimate the young ages' pace). The life
    expectancy of each year, and so the level of mortality, is the same either way; only which
    ages gain moves. Tried in the back-test and not chosen out of sample (``docs/BACKTEST.md``, "This round").

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

Age pattern from a longer history
    ``migration_profile`` (default ``window``) can take the age-sex pattern of the net rates from
    the territory's whole history (``history``, excluded years left out) or from all
    municipalities together over the window (``country``) while the crude level stays the window's:
    ``r_x = p_x + (c - c_p) g_x`` (:func:`.migration.level_shifted_profile`), or from the territory's
    own last ``migration_profile_years`` usable years of the window (``recent``: the age pattern changes
    faster than the level). Tried in the back-test and not chosen out of sample (``docs/BACKTEST.md``,
    "The previous round" and "This round").

Convergence
    ``migration_convergence`` holds the net migration schedule of the window for
    ``migration_convergence_start`` years and then moves it towards a long-run level over
    ``migration_convergence_years`` (:func:`.schedule.convergence_weights`): ``zero``, or
    ``own_mean``, the territory's net rate per survivor by age and sex pooled over every usable
    event year up to the base year with equal weights and the same age smoothing
    (:attr:`BaseRates.mig_longrun_rate`); EUROPOP2008's convergence scenario moves net migration to
    zero by its convergence year (sources in "Long-run migration" of :mod:`.schedule`). The default holds it for the 12 back-tested years and
    reaches zero 40 years after the base year ("Long-run migration" in :mod:`.schedule`).

Defaults are what the out-of-sample back-test protocol selects (:func:`.backtest.nested_backtest`,
``docs/BACKTEST.md``): among its candidate settings, the one with the best record on every
back-test of the data (origins 2006-2017, horizons to 2018) is shipped; each origin's own score
uses the setting chosen on the back-tests observable by then. The chosen one is a five-year
window (``migration_window=5``, equal year weights ``migration_decay=1``) without the event years
2010-2011, no convergence within the back-tested horizons (after them the long-run rule of
:mod:`.schedule`, which no back-test scores), no combination of the total; the ``baseline`` scenario adds the damped
ten-year trend of the crude net migration rate (``migration.mode: trend``, damping 0.6, fitted
without 2010-2011 too, ``migration_trend_excludes``) and of the
TFR (damping 0.9, within 1.0-2.1) and raises life expectancy by 0.15 years a year. The other settings (``migration_robust=4``,
``migration_smoothing=1``, ``migration_model='mixed'``, ``pooled_migration_weight=0.5``,
``child_migration='family'``, ``inflow_pool=True`` below age 50, ``open_age_split='stable'``,
``fertility_window=2``, ``e0_window=5``) were chosen in an earlier round on back-tests of the
same extract up to 2015 and are not re-selected by the protocol.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from ...exceptions import ProjectionError
from ..base_rates import BaseRates
from ..data import ProjectionData
from ..settings import EstimationSettings
from .fertility import estimate_fertility
from .history import estimate_history
from .inputs import read_inputs, split_base_population
from .migration import estimate_migration
from .mortality import estimate_mortality
from .sex_ratio import sex_ratio_at_birth

__all__ = ["estimate_rates", "reference_pool", "pools_synthetic"]

log = logging.getLogger(__name__)


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
        from ...geography import get_register

        register = get_register()
    codes = tuple(str(c) for c in territories)
    if not codes:
        raise ProjectionError("no territories to project")
    Y = int(base_year)
    pool: tuple[str, ...] = ()
    if st.child_migration == "family" or st.inflow_pool:
        pool = reference_pool(data, register, codes, Y)
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


def pools_synthetic(code: str) -> bool:
    """Whether :func:`reference_pool` pools the demonstration set for ``code`` (else the real municipalities)."""
    return str(code).startswith("X")


def reference_pool(data: ProjectionData, register, codes: Sequence[str], Y: int) -> tuple[str, ...]:
    """Municipalities (real, or the demonstration set for synthetic codes) with population at ``Y``."""
    try:
        munis = [t.code for t in register.municipalities(synthetic=pools_synthetic(codes[0]))]
    except Exception:  # pragma: no cover - registers without municipalities
        return ()
    pop = data.population
    have = set(pop.loc[pop["year"].astype(int) == Y, "territory_code"].astype(str))
    return tuple(c for c in munis if c in have)


def _estimate_rates(data: ProjectionData, codes: tuple[str, ...], Y: int, st: EstimationSettings, register,
                    pool: Sequence[str]) -> BaseRates:
    """:func:`estimate_rates` on ``codes``; pooled quantities over ``pool`` (all of ``codes`` when empty)."""
    inputs = read_inputs(data, codes, Y, st, register)
    srb = sex_ratio_at_birth(data.births, inputs, st)
    mortality = estimate_mortality(data, inputs, st, register, pool)
    base = split_base_population(inputs, mortality.rates, st)
    fertility = estimate_fertility(data.asfr, inputs, st, pool)
    migration = estimate_migration(data.total("migration_total"), inputs, mortality, srb.male_share, base.population,
                                   fertility.asfr, st, pool)
    history = estimate_history(inputs, mortality)
    details: dict[str, dict[str, object]] = {c: {} for c in codes}
    for stage in (srb, mortality, base, fertility, migration):  # in this order: the keys' order of the notes
        for c in codes:
            details[c].update(stage.notes[c])

    log.info("estimated base rates for %d territories, base year %d", len(codes), Y)
    return BaseRates(
        codes=codes, base_year=Y, ages=np.arange(st.open_age + 1), population=base.population,
        mortality=mortality.rates, e0=mortality.e0, asfr=fertility.asfr, tfr=fertility.tfr,
        male_share=srb.male_share, mig_in_rate=migration.in_rate, mig_out_rate=migration.out_rate,
        mig_in_count=migration.in_count, mig_out_count=migration.out_count, hist_years=history.years,
        tfr_hist=fertility.tfr_history, e0_hist=history.e0, netmig_hist=history.netmig, settings=st,
        details=details, inflow_pool_base=migration.pool_base, inflow_pool_window=migration.pool_window,
        mig_longrun_rate=migration.longrun_rate, total_trend=history.total_trend,
        median_age_trend=history.median_age_trend,
        tfr_reference=fertility.tfr_reference, improvement_by_age=mortality.improvement,
    )
