"""Stage 3 of the estimation: mortality schedules by territory, for the base year and each event year.

Formulas in :mod:`.estimation` ("Mortality", "Estimated Gompertz slope"): the model schedule
(:mod:`..model_schedules`) calibrated to the published life expectancy of the territory's
county (else country; else one derived from single-age deaths), scaled to the territory by an
indirect standardisation with a credibility prior; age-specific rates ``D_x / E_x`` where
deaths are published for every single age.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ...exceptions import ProjectionError
from ..agegroups import FEMALE, SEXES
from ..data import ProjectionData
from ..lifetable import E0Scaler, life_expectancy, life_table
from ..model_schedules import calibrate_mortality
from ..settings import EstimationSettings
from .common import ols_slope, population_array, series
from .inputs import EstimationInputs

__all__ = ["Mortality", "estimate_mortality", "estimate_gompertz_slope", "aggregate_open", "improvement_by_age",
           "IMPROVEMENT_GROUP", "IMPROVEMENT_BOUNDS"]


@dataclass(frozen=True)
class Mortality:
    """Central death rates and the reference life expectancy the histories need.

    Attributes
    ----------
    rates
        Base schedule ``[T, 2, omega+1]`` (the level of the last ``e0_window`` years).
    rates_by_year
        The territory's schedule of each event year ``[T, y, 2, omega+1]`` (for the residuals).
    e0
        Life expectancy ``[T, 2]`` of :attr:`rates`.
    le_years, ref_e0_history, ref_index, ref_e0_now
        Years of the published life expectancy, its series ``[R, 2, H]`` for the reference
        territories, each territory's reference (position in ``R``) and the references' recent
        level ``[R, 2]`` (what :attr:`e0` differs from).
    notes
        Per territory: ``mortality`` (the method) and ``smr`` (when the model schedule is used).
    improvement
        ``[T, 2, omega+1]``: the relative pace of mortality decline by age (:func:`improvement_by_age`
        of the country, the same for every territory; 1 at every age when it cannot be estimated) with
        ``mortality_improvement="by_age"``, else None.
    """

    rates: np.ndarray
    rates_by_year: np.ndarray
    e0: np.ndarray
    le_years: list[int]
    ref_e0_history: np.ndarray
    ref_index: list[int]
    ref_e0_now: np.ndarray
    notes: dict[str, dict[str, object]]
    improvement: np.ndarray | None = None


def estimate_mortality(data: ProjectionData, inp: EstimationInputs, st: EstimationSettings, register,
                       pool: Sequence[str]) -> Mortality:
    """Mortality schedules of the territories of ``inp`` (see the module docstring).

    ``pool`` is the reference set whose summed population gives an estimated Gompertz slope when
    the country has none (``codes`` when empty).

    Raises
    ------
    ProjectionError
        No published life expectancy for a territory, its county or country, or none by sex in
        the mortality window.
    """
    codes, Y, k, omega = inp.codes, inp.base_year, inp.data_open_age, st.open_age
    deaths = data.deaths
    ev_years, E = inp.event_years, inp.exposure
    B_tot, D_tot, D_inf = inp.births_total, inp.deaths_total, inp.deaths_infant
    country_code = inp.country_code
    notes: dict[str, dict[str, object]] = {c: {} for c in codes}
    le, le_tot = (f[f["year"].astype(int) < Y] for f in (data.life_expectancy, data.total("life_expectancy")))
    mw = list(range(Y - st.mortality_window, Y))
    le_codes = set(le["territory_code"].astype(str)) | set(le_tot["territory_code"].astype(str))
    if not set(codes) <= le_codes:
        derived = _derived_life_expectancy(data, Y, exclude=le_codes)
        if not derived.empty:
            le = pd.concat([le, derived], ignore_index=True)
            le_codes |= set(derived["territory_code"])
    refs = [_reference_code(c, le_codes, register) for c in codes]
    ref_codes = sorted({r for r, _ in refs})
    le_years = sorted(set(le["year"].astype(int)) | set(le_tot["year"].astype(int)))
    e0_ref_hist = np.stack([series(le, ref_codes, le_years, s) for s in SEXES], axis=1)  # [R, 2, H]
    e0_ref_tot = series(le_tot, ref_codes, le_years)
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
    B_ref = series(data.total("births"), ref_codes, ev_years)
    D0_ref = series(data.total("deaths"), ref_codes, ev_years, age=0)
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
    m_cd = aggregate_open(m_county_y, k, FEMALE[None, None, :])  # [T, y, 2, k+1]
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
        notes[c]["mortality"] = (
            f"model schedule calibrated to {refs[i][1]} ({refs[i][0]}) of {recent[0] if len(recent) else '?'}-"
            f"{recent[-1] if len(recent) else '?'}, indirect standardisation (SMR {smr[i]:.3f})"
            if okd[i].any() else f"model schedule calibrated to {refs[i][1]} ({refs[i][0]}), no deaths data (SMR 1)"
        )
        notes[c]["smr"] = float(smr[i])
        notes[c]["mortality"] += f"; {slope_how}"
    # age-specific deaths where published for every single age of the window
    if not deaths.empty:
        m_before = m.copy()
        m = _age_specific_mortality(deaths, codes, mw, ev_years, E, k, m, notes)
        changed = (m != m_before).any(axis=(1, 2))
        m_y[changed] = m[changed][:, None]
    e0 = life_expectancy(m, FEMALE[None, :])
    improvement = None
    if st.mortality_improvement == "by_age":  # estimated only when used: it reads the country's whole history
        b = _national_improvement(data, register, country_code, pool or codes, Y, st, slope[0], makeham[0])
        improvement = np.broadcast_to(b, (len(codes),) + b.shape).copy()
    return Mortality(rates=m, rates_by_year=m_y, e0=e0, le_years=le_years, ref_e0_history=e0_ref_hist,
                     ref_index=ridx, ref_e0_now=e0_ref_now, notes=notes, improvement=improvement)


#: Width (years of age) of the age groups whose cohort hazards :func:`improvement_by_age` fits one trend to.
IMPROVEMENT_GROUP = 5
#: Bounds of the relative pace ``b_x`` of :func:`improvement_by_age` (0: that age's rates do not fall).
IMPROVEMENT_BOUNDS = (0.0, 3.0)


def improvement_by_age(P: np.ndarray, years: Sequence[int], fit_years: Sequence[int], ages: tuple[int, int],
                       e0: np.ndarray, m: np.ndarray, group: int = IMPROVEMENT_GROUP,
                       bounds: tuple[float, float] = IMPROVEMENT_BOUNDS) -> np.ndarray:
    """Relative pace ``b [2, A]`` of the fall of the log death rate by sex and age, from cohort survival.

    ``P[year, sex, age]`` is a population by single age (the data's open age last), ``fit_years`` the
    event years ``t`` (with populations at ``t`` and ``t + 1``) to fit on, ``ages`` the range where the
    cohort change is mortality rather than migration, ``e0[2, len(fit_years)]`` the population's
    published life expectancy of each fit year and ``m[2, A]`` a mortality schedule of it.

    * Cohort hazard of age ``x`` in year ``t``: ``h = -log(P_{x+1}(t+1) / P_x(t))`` for the ages from
      ``ages[0]`` below ``ages[1]`` and below the last age before the open one; per group of ``group`` single
      ages (the last may be shorter) the mean of ``log h`` and its least-squares slope over the fit years,
      ``-r_g`` (``r_g``: the group's pace of decline a year).
    * The pace the plain scaling gives every age: ``kappa_t = log k_t`` with ``e0(k_t m) = e0_t``
      (:class:`~cityindicators.projection.lifetable.E0Scaler`), ``r_e`` minus its slope.
    * ``b_g = r_g / r_e`` within ``bounds`` at each group's mid-age, interpolated linearly between them, held
      above the last; below ``ages[0]`` it moves linearly to 1 ten years lower and is 1 below that (the
      young ages' deaths are not in the data: they keep the plain scaling's pace).

    ``b = 1`` at every age (the plain scaling) for a sex whose life expectancy does not rise
    (``r_e <= 0.001``) or without three fit years. The Lee-Carter form ``log m_x(t) = log m_x + b_x kappa_t``
    (Lee & Carter 1992) with ``kappa_t`` solved for a given life expectancy, as the UN projects mortality by
    age from projected life expectancies (Sevcikova et al. 2016); here ``b`` is estimated relative to the
    plain scaling, from cohort survival since the data have no deaths by age.
    """
    years = [int(y) for y in years]
    A = m.shape[-1]
    k = P.shape[-1] - 1
    lo, hi = int(ages[0]), min(int(ages[1]), k - 1)
    fit = [int(t) for t in fit_years if int(t) in years and int(t) + 1 in years]
    b = np.ones((2, A))
    if len(fit) < 3 or hi - lo < 2:
        return b
    starts = list(range(lo, hi, group))  # the last group may be shorter
    logh = np.full((len(fit), 2, len(starts)), np.nan)
    for i, t in enumerate(fit):
        p0, p1 = P[years.index(t)], P[years.index(t + 1)]
        with np.errstate(all="ignore"):
            h = -np.log(p1[:, lo + 1:hi + 1] / p0[:, lo:hi])  # ages lo .. hi-1
            lh = np.where(h > 0, np.log(np.where(h > 0, h, 1.0)), np.nan)
        for g, a in enumerate(starts):
            logh[i, :, g] = np.nanmean(lh[:, a - lo:a - lo + group], axis=-1) if np.isfinite(lh[:, a - lo:a - lo + group]).any() else np.nan
    x = np.asarray(fit, dtype=float)
    r_g = -ols_slope(np.moveaxis(logh, 0, -1), x)  # [2, G]
    e0 = np.asarray(e0, dtype=float)[:, [[int(t) for t in fit_years].index(t) for t in fit]]  # [2, fit]
    known = np.isfinite(e0)
    filled = np.where(known, e0, np.nanmean(np.where(known, e0, np.nan), axis=1, keepdims=True))
    kappa = np.log(E0Scaler(m[None]).factor(filled.T[:, None, :]))[:, 0].T  # [2, fit]
    r_e = -ols_slope(np.where(known, kappa, np.nan), x)  # [2]
    mids = np.array([(a + min(a + group, hi) - 1) / 2 for a in starts])
    ages_all = np.arange(A, dtype=float)
    for s in range(2):
        if not r_e[s] > 1e-3 or not np.isfinite(r_g[s]).all():
            continue
        b_g = np.clip(r_g[s] / r_e[s], *bounds)
        b[s] = np.interp(ages_all, np.concatenate([[lo - 10.0], mids]), np.concatenate([[1.0], b_g]))
    return b


def _national_improvement(data: ProjectionData, register, country_code, codes: Sequence[str], Y: int,
                          st: EstimationSettings, slope: np.ndarray, makeham: np.ndarray) -> np.ndarray:
    """:func:`improvement_by_age` of the country (else the municipalities summed) for base year ``Y``: the event
    years of the last ``trend_years`` without ``migration_excluded_years`` (the census revision of the register
    is no cohort survival), ages ``gompertz_slope_ages``, the country's life expectancy (1 everywhere without it)."""
    A = st.open_age + 1
    fit = [t for t in range(Y - st.trend_years, Y) if t not in {int(y) for y in st.migration_excluded_years}]
    P, years, _ = _national_population(data, country_code, codes, Y)
    le = data.life_expectancy
    if P is None or country_code is None or le.empty:
        return np.ones((2, A))
    le = le[(le["territory_code"].astype(str) == str(country_code)) & (le["year"].astype(int) < Y)]
    e0 = np.stack([series(le, [str(country_code)], fit, s)[0] for s in SEXES])  # [2, fit]
    if not np.isfinite(e0).any(axis=1).all():
        return np.ones((2, A))
    e0_mean = np.nanmean(e0, axis=1)
    m = calibrate_mortality(e0_mean[None], np.full((1, 2), 0.005), FEMALE[None, :], st.open_age,
                            np.asarray(slope)[None], np.asarray(makeham)[None])[0]
    return improvement_by_age(P, years, fit, st.gompertz_slope_ages, e0, m)


def estimate_gompertz_slope(
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


def aggregate_open(m_full: np.ndarray, k: int, female) -> np.ndarray:
    """Rates on the data grid ``0..k`` (``k`` open): the open rate is ``l_k / T_k``."""
    lt = life_table(m_full, female)
    out = m_full[..., : k + 1].copy()
    out[..., k] = lt["l"][..., k] / lt["T"][..., k]
    return out


def _national_gompertz_slope(data: ProjectionData, register, country_code, codes: Sequence[str], Y: int,
                             st: EstimationSettings) -> tuple[np.ndarray, str]:
    """Gompertz slope by sex from the country's single-age population (else the sum over ``codes``)."""
    P, years, src = _national_population(data, country_code, codes, Y)
    if P is None:
        return np.full(2, np.nan), src
    b = estimate_gompertz_slope(P, years, Y, st.mortality_window, st.gompertz_slope_ages, np.array(st.makeham),
                                 st.gompertz_slope_bounds)
    return b, src


def _national_population(data: ProjectionData, country_code, codes: Sequence[str], Y: int):
    """``(P [year, sex, age], years, source)``: the country's single-age population up to ``Y`` (else the sum over
    ``codes``, years with any of them missing NaN); ``P`` None when there is neither."""
    pop = data.population
    pop = pop[pop["year"].astype(int) <= Y]
    src = "the country's"
    sub = pop[pop["territory_code"].astype(str) == str(country_code)] if country_code is not None else pop.iloc[:0]
    if sub.empty:
        sub, src = pop[pop["territory_code"].astype(str).isin([str(c) for c in codes])], "the municipalities' summed"
    if sub.empty:
        return None, [], src
    pa = population_array(sub)
    P = np.nansum(pa.values, axis=0) if pa.values.shape[0] > 1 else pa.values[0]  # [Yh, 2, k+1]
    if pa.values.shape[0] > 1:  # years where any territory is missing are not summed
        P = np.where(np.isfinite(pa.values).all(axis=0), P, np.nan)
    return P, list(pa.years), src


def _derived_life_expectancy(data: ProjectionData, Y: int, exclude: set[str]) -> pd.DataFrame:
    """Life expectancy by year and sex from single-age deaths ``D_x / E_x`` (territories with
    complete single-age deaths by sex and no published figure); used when none is published."""
    ds = data.deaths
    ds = ds[(ds["year"].astype(int) < Y)
            & ~ds["territory_code"].astype(str).isin(exclude)]
    if ds.empty:
        return pd.DataFrame(columns=["territory_code", "year", "sex", "value"])
    pop = data.population
    pop = pop[pop["territory_code"].astype(str).isin(set(ds["territory_code"].astype(str))) & (pop["year"].astype(int) <= Y)]
    pa = population_array(pop)
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
        model_open = aggregate_open(m[i], k, FEMALE)[:, k]
        m[i, :, :k] = obs[:, :k]
        m[i, :, k:] *= (obs[:, k] / np.maximum(model_open, 1e-12))[:, None]
        details[c]["mortality"] = "age-specific death rates of the window"
        details[c].pop("smr", None)
    return m
