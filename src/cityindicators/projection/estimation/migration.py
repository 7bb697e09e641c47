"""Stage 5 of the estimation: the net migration schedule (in and out, as rates and counts).

Formulas in :mod:`.estimation` ("Migration", "Default migration schedule", "Children's
migration", "In-migrant pool", "Atypical years", "Convergence"): cohort residuals of the
migration window under each year's mortality, weighted, down-weighted when atypical and smoothed
over age; combined with the Hamilton-Perry-implied rates; children tied to their mothers' rate;
the in-migrant pool and the long-run rate of convergence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ...exceptions import ProjectionError
from ..agegroups import FEMALE
from ..base_rates import first_year_survivors
from ..lifetable import life_table
from ..settings import EstimationSettings
from .common import series
from .inputs import EstimationInputs
from .mortality import Mortality

__all__ = ["Migration", "estimate_migration", "level_shifted_profile"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    """Net migration schedule of the first projection year and what it is scaled with later.

    Attributes
    ----------
    in_rate, out_rate, in_count, out_count
        Inflow and outflow per survivor and in persons per year ``[T, 2, omega+1]``.
    longrun_rate
        The long-run net rate per survivor ``[T, 2, omega+1]`` (the ``own_mean`` convergence target).
    pool_base, pool_window
        Population ``[2, omega+1]`` of the in-migrant pool at the base year and over the window's
        ends, None when ``inflow_pool`` is off.
    notes
        Per territory: ``migration`` (the method) and ``family_share`` (the children's shares).
    """

    in_rate: np.ndarray
    out_rate: np.ndarray
    in_count: np.ndarray
    out_count: np.ndarray
    longrun_rate: np.ndarray
    pool_base: np.ndarray | None
    pool_window: np.ndarray | None
    notes: dict[str, dict[str, object]]


def estimate_migration(migration: pd.DataFrame, inp: EstimationInputs, mortality: Mortality, male_share: np.ndarray,
                       P0: np.ndarray, asfr: np.ndarray, st: EstimationSettings, pool: Sequence[str]) -> Migration:
    """Net migration of the territories of ``inp`` from the cohort residuals of the window.

    ``migration`` is the optional table of gross flows of all ages of both sexes
    (``ProjectionData.total("migration_total")``), ``male_share``, ``P0`` and ``asfr`` the
    other stages' results (the survivors of the first year weigh the children's shares),
    ``pool`` the municipalities the family shares and the in-migrant pool are pooled over.

    Raises
    ------
    ProjectionError
        A territory without a complete population and births year in the migration window.
    """
    codes, Y, k, P, yi = inp.codes, inp.base_year, inp.data_open_age, inp.population, inp.year_index
    ev_years = inp.event_years
    m, m_y = mortality.rates, mortality.rates_by_year
    T, omega = len(codes), st.open_age
    A = omega + 1
    notes: dict[str, dict[str, object]] = {c: {} for c in codes}
    NM, SV, SVB = _cohort_residuals(inp, m_y, m, male_share)
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
    longrun_rate = _longrun_net_rate(NM, SV, ~excluded, K, omega)
    in_pool = np.isin(codes, list(pool))
    if not in_pool.any():
        in_pool = np.ones(T, dtype=bool)
    if st.migration_profile == "recent":  # the pattern of the window's last usable years, its level the whole window's
        recent = np.isin(ev_years, win_years[-int(st.migration_profile_years):])
        profile = _longrun_net_rate(NM, SV, recent, K, k)
    else:
        profile = _profile_rate(st.migration_profile, NM, SV, okm, in_pool, longrun_rate[..., : k + 1])
    if profile is not None:  # the window's level, the age-sex pattern of a longer history or of the country
        nm_s = level_shifted_profile(nm_s, sv_s, profile)
    net_rate_d = nm_s / np.maximum(sv_s, 1e-9)
    net_count_d = nm_s / nyears
    # gross flows (optional): crude outflow rates of the window
    out_crude = _gross_outflow(migration, codes, ev_years, mwin, P, yi)
    net_rate = np.concatenate([net_rate_d, np.repeat(net_rate_d[..., k:], omega - k, axis=-1)], axis=-1)
    cnt = np.concatenate([net_count_d[..., :k], np.zeros((T, 2, omega - k + 1))], axis=-1)
    cnt[..., k:] = net_count_d[..., k:k + 1] * (P0[..., k:] / np.maximum(P0[..., k:].sum(-1, keepdims=True), 1e-9))
    base_net = net_rate if st.migration_model == "rate" else cnt
    inflow = np.maximum(base_net, 0)
    outflow = np.maximum(-base_net, 0)
    if st.migration_model == "mixed":  # net losses as rates on the residents, net gains as counts
        inflow, outflow = np.maximum(cnt, 0), np.maximum(-net_rate, 0)
    pattern = {"history": "; age-sex pattern of the whole history at the window's level",
               "country": "; age-sex pattern of all municipalities over the window at its own level",
               "recent": f"; age-sex pattern of {', '.join(str(y) for y in win_years[-int(st.migration_profile_years):])} "
                         "at the whole window's level"}
    for i, c in enumerate(codes):
        notes[c]["migration"] = (
            f"cohort residuals {win_label} (year weights decaying {st.migration_decay:g}), "
            f"smoothed over age (sigma {sigma[i]:.2g} years), {st.migration_model}s"
            f"{pattern.get(st.migration_profile, '')}"
        )
    # what the outflow is, which a scenario's migration.outflow_scale scales (ProjectionResult.gross_outflow):
    # the gross outflow of the data ("used", model 'rate' only), else the net losses by age and sex, with
    # gross flows in the data left aside ("unused") or none in the data ("absent", e.g. the lt-osp extract)
    in_data = np.isfinite(out_crude) if out_crude is not None else np.zeros(T, dtype=bool)
    for i, c in enumerate(codes):
        notes[c]["gross_outflow"] = ("used" if st.migration_model == "rate" else "unused") if in_data[i] else "absent"
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
                notes[codes[i]]["migration"] += "; outflow from gross emigration and departures"
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
        hp_nm = p1_sum - svb_sum
        if profile is not None:
            hp_nm = level_shifted_profile(hp_nm, svb_sum, profile)
        hp_d = hp_nm / np.maximum(svb_sum, 1e-9)
        hp = np.concatenate([hp_d, np.repeat(hp_d[..., k:], omega - k, axis=-1)], axis=-1)
        in_rate = (1 - w) * in_rate + w * np.maximum(hp, 0)
        out_rate = (1 - w) * out_rate + w * np.maximum(-hp, 0)
        in_count = (1 - w) * in_count
        out_count = (1 - w) * out_count
        for c in codes:
            notes[c]["migration"] = (f"{1 - w:g} x [{notes[c]['migration']}] + {w:g} x Hamilton-Perry-implied "
                                     f"rates (equal-weight cohort change {win_label} over "
                                     "base survival)")

    # children migrate with their parents: the mothers' net rate times a pooled share by age
    if st.child_migration == "family":
        in_rate, out_rate, in_count, out_count = _family_model(
            (in_rate, out_rate, in_count, out_count), P0, m, asfr, male_share, in_pool, st, codes, notes)
    pool_base = pool_win = None
    if st.inflow_pool:
        pool_base, pool_win = _inflow_pool(inp, in_pool, st)
        for c in codes:
            notes[c]["migration"] += (f"; gains held as counts below age {st.inflow_pool_max_age} follow the size "
                                      "of the in-migrant pool (the cohort in all municipalities)")
    return Migration(in_rate=in_rate, out_rate=out_rate, in_count=in_count, out_count=out_count,
                     longrun_rate=longrun_rate, pool_base=pool_base, pool_window=pool_win, notes=notes)


def level_shifted_profile(nm: np.ndarray, sv: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Net migrants ``[..., 2, a]`` with the crude level of ``nm / sv`` and the age-sex pattern of ``profile``.

    ``nm``, ``sv``: the window's net migrants and survivors by sex and age (summed over its years);
    ``profile``: net rates per survivor of a longer history or of the country (same shape, or
    broadcastable). With ``c = sum nm / sum sv`` (the window's crude net rate) and ``c_p = sum
    profile sv / sum sv`` (the profile's on the window's survivors), the rate of age ``x`` becomes
    ``r_x = profile_x + (c - c_p) g_x`` with ``g_x = |profile_x| / (sum |profile| sv / sum sv)``
    (weighted mean 1: the level difference goes where people move, not to ages that hardly do); so
    ``sum r sv = c sum sv``: the level stays the window's. Returns ``r sv``. Where the profile is all
    zero, ``g`` is 1 (the difference spread evenly).
    """
    prof = np.broadcast_to(profile, nm.shape)
    svs = np.maximum(sv.sum((-2, -1), keepdims=True), 1e-9)
    c = nm.sum((-2, -1), keepdims=True) / svs
    c_p = (prof * sv).sum((-2, -1), keepdims=True) / svs
    mean_abs = (np.abs(prof) * sv).sum((-2, -1), keepdims=True) / svs
    g = np.where(mean_abs > 0, np.abs(prof) / np.where(mean_abs > 0, mean_abs, 1.0), 1.0)
    return (prof + (c - c_p) * g) * sv


def _profile_rate(source: str, NM: np.ndarray, SV: np.ndarray, okm: np.ndarray, in_pool: np.ndarray,
                  longrun: np.ndarray) -> np.ndarray | None:
    """Net rates ``[T, 2, k + 1]`` whose age-sex pattern the schedule takes (``migration_profile``), or None.

    ``history``: the territory's own net rates over every usable year up to the base (``longrun``, the
    ``own_mean`` rates, excluded years left out); ``country``: the net rates of all municipalities of
    the pool together over the window's years (``okm`` ``[T, y]``, the same for all territories).
    """
    if source == "window":
        return None
    if source == "history":
        return longrun
    use = (okm & in_pool[:, None]).astype(float)
    nm = np.einsum("ty,tysx->sx", use, np.nan_to_num(NM))
    sv = np.einsum("ty,tysx->sx", use, np.nan_to_num(SV))
    return np.broadcast_to(nm / np.maximum(sv, 1e-9), NM.shape[:1] + NM.shape[2:])


def _cohort_residuals(inp: EstimationInputs, m_y: np.ndarray, m: np.ndarray,
                      male_share: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Net migrants ``NM``, survivors ``SV`` (each year's schedule ``m_y``) and survivors ``SVB``
    under the base schedule ``m``, ``[T, y, 2, k+1]`` by age at the end of each event year.

    ``NM_{y+1,x+1} = P_{y+1,x+1} - P_{y,x} S_{y,x}``; age 0 from the births by sex (else the
    total split by ``male_share``), the open group fed by the last two ages; NaN for event years
    without both populations.
    """
    k, P, yi, ev_years = inp.data_open_age, inp.population, inp.year_index, inp.event_years
    B_tot, B_m, B_f = inp.births_total, inp.births_male, inp.births_female
    T = len(inp.codes)
    S_dy, Sb_dy = _data_survival(m_y, k, FEMALE[None, None, :])  # [T, y, 2, k], [T, y, 2]
    S_b, Sb_b = _data_survival(m, k, FEMALE[None, :])  # base schedule on the data grid
    SVB = np.full((T, len(ev_years), 2, k + 1), np.nan)  # survivors under the base schedule
    share = np.stack([male_share, 1 - male_share], axis=-1)  # [T, 2]
    NM = np.full((T, len(ev_years), 2, k + 1), np.nan)
    SV = np.full_like(NM, np.nan)
    for j, y in enumerate(ev_years):  # loop over event years (residuals, not the projection step)
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
    return NM, SV, SVB


def _family_model(flows: tuple[np.ndarray, ...], P0: np.ndarray, m: np.ndarray, asfr: np.ndarray,
                  male_share: np.ndarray, in_pool: np.ndarray, st: EstimationSettings, codes: Sequence[str],
                  notes: dict[str, dict[str, object]]) -> tuple[np.ndarray, ...]:
    """Children's migration tied to their mothers' net rate (``child_migration='family'``).

    ``flows`` = (in_rate, out_rate, in_count, out_count) ``[T, 2, A]``; the children's ages of
    the returned copies are ``phi_x r^W`` (see "Children's migration" in :mod:`.estimation`), the
    shares ``phi_x`` pooled over the territories ``in_pool``. Unchanged (and logged) when the
    mothers have no net migration to scale.
    """
    in_rate, out_rate, in_count, out_count = flows
    surv = first_year_survivors(P0, m, asfr, male_share)
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
            notes[c]["migration"] += (f"; ages {c0}-{c1}: family model, {phi.mean():.2f} (mean share) x the "
                                      f"net rate of women {p0}-{p1} ({1000 * r_par[i]:+.1f} per 1,000)")
            notes[c]["family_share"] = phi.round(4).tolist()
    else:
        log.info("family migration model skipped: no parental net migration in the window")
    return in_rate, out_rate, in_count, out_count


def _inflow_pool(inp: EstimationInputs, in_pool: np.ndarray, st: EstimationSettings) -> tuple[np.ndarray, np.ndarray]:
    """Population ``[2, omega+1]`` of the in-migrant pool (the territories ``in_pool``) at 1 January
    of the base year, and its mean over the ends of the migration window's years."""
    P, yi, Y, k, A = inp.population, inp.year_index, inp.base_year, inp.data_open_age, st.open_age + 1
    ends = [y for y in range(Y - st.migration_window + 1, Y + 1) if y in yi]
    Pp = np.nan_to_num(P[in_pool])  # [Tp, Yh, 2, k+1]
    pool_base = np.zeros((2, A))
    pool_win = np.zeros((2, A))
    pool_base[:, : k + 1] = Pp[:, yi[Y]].sum(0)
    pool_win[:, : k + 1] = Pp[:, [yi[y] for y in ends]].sum(0).mean(0)
    return pool_base, pool_win


def _data_survival(m_full: np.ndarray, k: int, female) -> tuple[np.ndarray, np.ndarray]:
    """Survival ratios on the data grid ``0..k`` from rates on ``0..omega``."""
    lt = life_table(m_full, female)
    L, T = lt["L"], lt["T"]
    S = np.empty(L.shape[:-1] + (k,))
    S[..., : k - 1] = L[..., 1:k] / L[..., : k - 1]
    S[..., k - 1] = T[..., k] / T[..., k - 1]
    return S, L[..., 0]


def _gauss_kernels(n: int, sigma: np.ndarray) -> np.ndarray:
    """Row-normalised Gaussian smoothing matrices ``[T, n, n]`` (identity where ``sigma`` is 0)."""
    x = np.arange(n)
    d2 = ((x[:, None] - x[None, :]) ** 2)[None]
    s = np.asarray(sigma, dtype=float)[:, None, None]
    k = np.where(s > 0, np.exp(-0.5 * d2 / np.where(s > 0, s, 1) ** 2), (d2 == 0).astype(float))
    return k / k.sum(axis=2, keepdims=True)


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


def _gross_outflow(migration: pd.DataFrame, codes, ev_years, mwin, P, yi) -> np.ndarray | None:
    """Crude outflow rate (emigrants + internal departures per resident) over the window, or None."""
    if migration is None or migration.empty:
        return None
    flows = [f for f in ("emigrants", "internal_departures") if f in set(migration["flow"])]
    if not flows:
        return None
    out = np.zeros((len(codes), len(ev_years)))
    seen = np.zeros_like(out, dtype=bool)
    for f in flows:
        s = series(migration[migration["flow"] == f], codes, ev_years)
        seen |= np.isfinite(s)
        out += np.nan_to_num(s)
    pops = np.full(out.shape, np.nan)
    for j, y in enumerate(ev_years):
        if y in yi:
            pops[:, j] = np.nansum(P[:, yi[y]], axis=(1, 2))
    ok = seen & mwin[None, :] & np.isfinite(pops)
    res = np.where(ok, out, 0).sum(1) / np.maximum(np.where(ok, pops, 0).sum(1), 1)
    return np.where(ok.any(1), res, np.nan)
