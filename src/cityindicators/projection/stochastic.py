r"""Stochastic projections: random trajectories of TFR, life expectancy and net migration.

Around the deterministic paths of a scenario, each trajectory ``i`` perturbs three summary
assumptions of every territory:

* fertility: ``log TFR_{i,t} = log TFR^{scen}_t + u_{i,t}``, ``u_t = phi_F u_{t-1} + sigma_F eps``;
* mortality: ``e0_{i,t,s} = e0^{scen}_{t,s} + sum_{j<=t} sigma_{E,s} eps_j`` (a random walk: the
  uncertainty of life expectancy accumulates);
* migration: the crude net migration rate is shifted by ``d_{i,t}``,
  ``d_t = phi_M d_{t-1} + sigma_M eps``, spread over age and sex by the territory's gross
  migration profile (see :mod:`~cityindicators.projection.schedule`),

with all processes starting from zero before the base year (the base year's events are the first
perturbed: the data at the origin end with the previous year's), so the median stays close to the
deterministic scenario.

Calibration. ``simulate(calibration=...)`` (:mod:`.calibration`) scales each territory's
trajectories around their median, year by year, so that the band of its total is as wide as the
empirical interval of the method's past errors at that horizon and size class; uncalibrated, the
band holds only the random variation above, which leaves out the method's own errors (on the
back-test of the lt-osp extract it is several times too narrow: docs/INTERVALS.md).

Correlation between territories. Good and bad years are shared: a recession or an opening of
labour markets abroad moves migration everywhere, a mortality crisis moves every county's life
expectancy. The innovations of one process are therefore equicorrelated across territories
(a one-factor model),

.. math::  \varepsilon_{k,t} = \sqrt{\rho}\, z_t + \sqrt{1 - \rho}\, \eta_{k,t},

with ``z`` common to all territories and ``eta`` their own, all independent standard normal
draws from :func:`numpy.random.default_rng`.

Independence of the run's composition. A territory's trajectories must not depend on which
other territories are projected in the same call. The draws are therefore keyed, not indexed
by position: from the run's ``seed`` each stream gets its own :class:`numpy.random.SeedSequence`
with ``spawn_key = (process, key)``, where ``key`` is the territory code (fertility and
migration), the content of the life-expectancy series (mortality: municipalities that share
their county's series share one draw) or 0 for the common factors ``z``. The model's pooled
parameters (``phi``, the ``sigma`` prior, ``rho``) are fitted on a fixed *reference* set, the
municipalities of the data (``simulate(reference=...)``, which :func:`~cityindicators.projection.project`
passes), so Visaginas with the same seed has the same quantiles alone, with Druskininkai or
inside ``G:VIZA``. ``rho`` of each process is the
mean pairwise correlation of the fitted innovations (the AR(1) residuals of TFR and migration;
the annual changes of life expectancy) of the territories' histories, clipped to
``[0, max_correlation]``. Life expectancy of municipalities comes from their county's published
series, so municipalities whose series move identically (one county) share one draw, and the two
sexes of a series are units of their own (``rho`` is estimated over the distinct series and sexes).
Without this the trajectories of a sum of territories (:func:`simulate` ``aggregates``) would be
far too narrow. ``correlated=False`` draws every territory independently.

Fitting (per territory, on the history of :class:`~cityindicators.projection.base_rates.BaseRates`,
the last ``history_years``): ``phi`` is the pooled least-squares AR(1) coefficient of the
demeaned series of all territories (bounded to ``[0, 0.98]``); ``sigma`` is each territory's
residual standard deviation, shrunk towards the pooled one with ``prior_years`` pseudo-years
(``sigma^2 = (n s^2 + k s_pool^2) / (n + k)``) because the series are short; the random-walk
``sigma_E`` is the standard deviation of annual changes of the life-expectancy series (the
county's, for municipalities). ``scale`` multiplies every ``sigma`` (one scale for every
horizon; the calibration to the method's past errors is by horizon, see *Calibration* above).

Vectorisation: trajectories are an extra leading array axis; all draws are made up front
(``[N, years, T]``, a few tens of MB for 1,000 x 35 x 60), and the projection runs over chunks
of ``chunk`` trajectories so the working arrays stay near ``chunk x T x 2 x A`` floats. Only
totals and broad age groups by sex are kept for each trajectory.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..cube import SEXES_AND_TOTAL
from ..exceptions import ProjectionError
from .agegroups import BROAD_AGE_GROUPS, group_sums
from .base_rates import BaseRates
from .calibration import StochasticCalibration, band_scale_factors, scale_deviations
from .scenarios import Scenario, load_scenario
from .sizeclasses import size_class
from .schedule import ScenarioSchedule, build_schedule

__all__ = ["StochasticSettings", "StochasticModel", "StochasticResult", "fit_stochastic_model", "simulate"]

log = logging.getLogger(__name__)

GROUP_LABELS = ("total", "0-14", "15-64", "65+")

#: Bytes of memory a run holds per trajectory, projected year and territory at its peak (the draws
#: and their AR(1) paths in float64, the kept group totals by sex in float32 and the copies the
#: quantiles are read from), measured with tracemalloc on all 60 municipalities to 2050 (some 110
#: bytes; rounded up, as the allocator's overhead comes on top).
BYTES_PER_TRAJECTORY_YEAR = 160
#: Share of the machine's available memory a run may plan to use: a mistyped number of
#: trajectories (a million instead of a thousand) is refused at once, not left to swap or to be
#: killed by the system with nothing said.
MEMORY_SHARE = 0.8


@dataclass(frozen=True)
class StochasticSettings:
    """Options of the stochastic mode (see the module docstring)."""

    scale: float = 1.0
    chunk: int = 200
    history_years: int = 15
    prior_years: float = 5.0
    phi_bounds: tuple[float, float] = (0.0, 0.98)
    correlated: bool = True
    max_correlation: float = 0.95

    def __post_init__(self) -> None:
        if self.scale < 0 or self.chunk < 1:
            raise ProjectionError("stochastic scale must be >= 0 and chunk >= 1")
        if not 0 <= self.max_correlation < 1:
            raise ProjectionError("stochastic max_correlation must lie in [0, 1)")


@dataclass
class StochasticModel:
    """Fitted parameters: ``tfr_phi``, ``mig_phi`` (scalars, pooled); ``tfr_sigma [T]``,
    ``e0_sigma [T, 2]``, ``mig_sigma [T]`` (per territory); the cross-territory correlations
    ``tfr_rho``, ``e0_rho``, ``mig_rho`` and ``e0_unit [T]``, the index of each territory's
    distinct life-expectancy series (territories with the same index share their draws)."""

    codes: tuple[str, ...]
    tfr_phi: float
    tfr_sigma: np.ndarray
    e0_sigma: np.ndarray
    mig_phi: float
    mig_sigma: np.ndarray
    tfr_rho: float = 0.0
    e0_rho: float = 0.0
    mig_rho: float = 0.0
    e0_unit: np.ndarray | None = None
    e0_key: np.ndarray | None = None

    def subset(self, codes: Sequence[str]) -> "StochasticModel":
        """The same model (pooled parameters unchanged) for some of its territories, in the given order."""
        idx = [self.codes.index(c) for c in codes]
        unit = None if self.e0_unit is None else np.asarray(self.e0_unit)[idx]
        key = None if self.e0_key is None else np.asarray(self.e0_key)[idx]
        return replace(self, codes=tuple(codes), tfr_sigma=self.tfr_sigma[idx], e0_sigma=self.e0_sigma[idx],
                       mig_sigma=self.mig_sigma[idx], e0_unit=unit, e0_key=key)

    def to_frame(self) -> pd.DataFrame:
        """``territory_code, parameter, value`` (for the assumptions appendix of a report)."""
        rows = []
        for i, c in enumerate(self.codes):
            rows += [(c, "tfr_phi", self.tfr_phi), (c, "tfr_sigma_log", self.tfr_sigma[i]),
                     (c, "e0_sigma_male", self.e0_sigma[i, 0]), (c, "e0_sigma_female", self.e0_sigma[i, 1]),
                     (c, "migration_phi", self.mig_phi), (c, "migration_sigma", self.mig_sigma[i]),
                     (c, "tfr_correlation", self.tfr_rho), (c, "e0_correlation", self.e0_rho),
                     (c, "migration_correlation", self.mig_rho)]
        return pd.DataFrame(rows, columns=["territory_code", "parameter", "value"])


def mean_correlation(series: np.ndarray, min_periods: int = 3) -> float:
    """Mean pairwise correlation of the rows of ``series[U, H]`` (NaN = missing, pairwise complete;
    pairs with fewer than ``min_periods`` common years or a constant row are left out); 0 with
    fewer than two usable rows."""
    x = np.asarray(series, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        return 0.0
    c = pd.DataFrame(x.T).corr(min_periods=min_periods).to_numpy()
    v = c[np.triu_indices_from(c, 1)]
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else 0.0


def _distinct_rows(x: np.ndarray, decimals: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Index of the distinct row of each row of ``x[U, H]`` (NaN-aware, rounded) and the distinct rows."""
    key = np.nan_to_num(np.round(x, decimals), nan=np.inf)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return inverse.reshape(-1), x[first]


def _series_keys(x: np.ndarray, decimals: int = 6) -> np.ndarray:
    """A stable 32-bit key of each row of ``x[U, H]`` from its rounded content (NaN-aware): equal
    rows get equal keys whatever other rows there are."""
    key = np.nan_to_num(np.round(np.asarray(x, dtype=float), decimals), nan=np.inf) + 0.0  # -0.0 -> 0.0
    return np.array([zlib.crc32(np.ascontiguousarray(row).tobytes()) for row in key], dtype=np.int64)


def _code_key(code: str) -> int:
    """A stable 32-bit key of a territory code (Python's ``hash`` of a string changes between runs)."""
    return zlib.crc32(str(code).encode("utf-8"))


def _ar1(x: np.ndarray, bounds: tuple[float, float], prior: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Pooled AR(1) ``phi``, shrunk per-row innovation sd and the residuals ``[T, H-1]`` of ``x[T, H]``
    (NaN = missing)."""
    d = x - np.nanmean(x, axis=1, keepdims=True)
    a, b = d[:, :-1], d[:, 1:]
    ok = np.isfinite(a) & np.isfinite(b)
    den = np.where(ok, a * a, 0).sum()
    phi = float(np.clip(np.where(ok, a * b, 0).sum() / den, *bounds)) if den > 0 else 0.0
    res = np.where(ok, b - phi * a, np.nan)
    n = ok.sum(1)
    s2 = np.where(n > 1, np.nansum(res**2, axis=1) / np.maximum(n - 1, 1), 0.0)
    pooled = float(np.nansum(res**2) / max(ok.sum() - 1, 1))
    return phi, np.sqrt((n * s2 + prior * pooled) / (n + prior)), res


def fit_stochastic_model(rates: BaseRates, settings: StochasticSettings | None = None) -> StochasticModel:
    """Fit the AR(1)/random-walk parameters to the territories' histories (see the module docstring)."""
    st = settings or StochasticSettings()
    keep = rates.hist_years >= rates.base_year - st.history_years
    tfr_phi, tfr_sigma, tfr_res = _ar1(np.log(np.where(rates.tfr_hist[:, keep] > 0, rates.tfr_hist[:, keep], np.nan)),
                                       st.phi_bounds, st.prior_years)
    mig_phi, mig_sigma, mig_res = _ar1(rates.netmig_hist[:, keep], st.phi_bounds, st.prior_years)
    de = np.diff(rates.e0_hist[..., keep], axis=-1)  # [T, 2, H-1]
    e0_unit, e0_series = _distinct_rows(de.reshape(de.shape[0], -1))
    hi = st.max_correlation
    if st.correlated:
        rho = [float(np.clip(mean_correlation(r), 0.0, hi)) for r in
               (tfr_res, mig_res, e0_series.reshape(-1, de.shape[-1]))]  # e0: distinct series x sex
    else:
        rho, e0_unit = [0.0, 0.0, 0.0], np.arange(de.shape[0])
    n = np.isfinite(de).sum(-1)
    s2 = np.where(n > 1, np.nanvar(de, axis=-1, ddof=1) if de.shape[-1] > 1 else 0.0, 0.0)
    pooled = np.nanvar(de) if np.isfinite(de).sum() > 1 else 0.25
    e0_sigma = np.sqrt((n * np.nan_to_num(s2) + st.prior_years * pooled) / (n + st.prior_years))
    e0_key = (_series_keys(de.reshape(de.shape[0], -1)) if st.correlated
              else np.array([_code_key(c) for c in rates.codes], dtype=np.int64))
    return StochasticModel(rates.codes, tfr_phi, np.nan_to_num(tfr_sigma), np.nan_to_num(e0_sigma),
                           mig_phi, np.nan_to_num(mig_sigma), tfr_rho=rho[0], mig_rho=rho[1], e0_rho=rho[2],
                           e0_unit=e0_unit, e0_key=e0_key)


@dataclass
class StochasticResult:
    """Quantiles of the trajectories.

    Attributes
    ----------
    quantiles
        ``scenario, territory_code, year, sex, age_group, quantile, value`` with ``age_group`` in
        total, 0-14, 15-64, 65+ and ``sex`` in total, male, female.
    model
        The fitted :class:`StochasticModel`.
    n
        Number of trajectories.
    calibration, factors
        With ``simulate(calibration=...)``: what the band is calibrated to
        (:class:`~.calibration.StochasticCalibration`) and the factors applied, ``territory_code,
        year, horizon, size_class, factor`` (the territories' own, not the aggregates'); else None.
    """

    quantiles: pd.DataFrame
    model: StochasticModel
    n: int
    calibration: StochasticCalibration | None = None
    factors: pd.DataFrame | None = None

    @property
    def calibrated(self) -> bool:
        return self.calibration is not None

    def describe(self) -> str:
        """One sentence for the reader: whether the band is calibrated, and to what."""
        if self.calibration is None:
            return ("not calibrated: the band holds only the random variation of fertility, mortality and "
                    "migration like the past's, not the method's own errors (docs/INTERVALS.md compares the two)")
        return self.calibration.describe()


def _one_factor(rng: np.random.Generator, shape: tuple[int, ...], rho: float) -> np.ndarray:
    """Standard normal draws of ``shape = (n, years, units...)``, equicorrelated with ``rho`` across units."""
    own = rng.standard_normal(shape)
    if rho <= 0:
        return own
    common = rng.standard_normal(shape[:2]).reshape(shape[:2] + (1,) * (len(shape) - 2))
    return np.sqrt(rho) * common + np.sqrt(1.0 - rho) * own


#: Stream numbers of the three processes in the spawn keys of the draws.
_TFR, _E0, _MIG = 1, 2, 3


def _keyed_normals(entropy: int, process: int, keys: Sequence[int], shape: tuple[int, ...], rho: float) -> np.ndarray:
    """Standard normals ``[*shape, len(keys)]``, one stream per key, equicorrelated with ``rho`` across keys.

    Unit ``k`` gets ``sqrt(rho) z + sqrt(1 - rho) eta_k`` with ``eta_k`` drawn from the stream
    ``SeedSequence(entropy, spawn_key=(process, keys[k] + 1))`` and the common ``z`` from
    ``spawn_key=(process, 0)``, so a unit's draws depend only on the seed and its own key, not on
    which or how many other units there are.
    """
    def stream(key: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(process, int(key))))

    own = np.stack([stream(int(k) + 1).standard_normal(shape) for k in keys], axis=-1) if len(keys) else \
        np.zeros(shape + (0,))
    if rho <= 0:
        return own
    common = stream(0).standard_normal(shape[:2]).reshape(shape[:2] + (1,) * (own.ndim - 2))
    return np.sqrt(rho) * common + np.sqrt(1.0 - rho) * own


def _entropy(seed: "int | np.random.SeedSequence | None") -> int:
    """The entropy of a seed (a fresh random one for None); a seed that is no whole number of 0 or
    more is an error that says so (numpy's own is "expected non-negative integer")."""
    if not (seed is None or isinstance(seed, np.random.SeedSequence)
            or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0)):
        raise ProjectionError(f"the random seed must be a whole number of 0 or more, got {seed!r}")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    ent = ss.entropy
    return int(ent) if np.ndim(ent) == 0 else int.from_bytes(np.asarray(ent, dtype=np.uint32).tobytes(), "little")


def memory_needed(n: int, years: int, territories: int) -> int:
    """Bytes a run of ``n`` trajectories of ``territories`` (aggregates counted) over ``years``
    projected years holds at its peak, about (:data:`BYTES_PER_TRAJECTORY_YEAR`)."""
    return int(n) * max(int(years), 1) * max(int(territories), 1) * BYTES_PER_TRAJECTORY_YEAR


def check_memory(n: int, years: int, territories: int, available: int | None = None) -> None:
    """Refuse a run that would need more than :data:`MEMORY_SHARE` of the memory ``available``
    (default: what the machine has available now), saying how many trajectories would fit."""
    if available is None:
        import psutil

        available = psutil.virtual_memory().available
    budget = MEMORY_SHARE * available
    need = memory_needed(n, years, territories)
    if need <= budget:
        return
    fits = int(budget // memory_needed(1, years, territories))
    gib = 2 ** 30
    raise ProjectionError(
        f"{n:,} stochastic trajectories of {territories:,} territor{'y' if territories == 1 else 'ies'} over "
        f"{years} year{'' if years == 1 else 's'} would need about {need / gib:,.1f} GiB of memory and "
        f"{available / gib:,.1f} GiB is available: at most {fits:,} trajectories fit")


def draw_paths(sch: ScenarioSchedule, model: StochasticModel, n: int,
               seed: "int | np.random.SeedSequence | None" = None,
               scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trajectories ``tfr [N, n, T]``, ``e0 [N, n, T, 2]``, ``shift [N, n, T]`` around the schedule's paths.

    Draws are keyed by territory code (and life-expectancy series), see the module docstring:
    a territory's paths for a seed are the same whatever else is projected with it.
    """
    ny, T = sch.tfr.shape
    ent = _entropy(seed)
    codes = [_code_key(c) for c in model.codes]
    ekeys = np.array(codes, dtype=np.int64) if model.e0_key is None else np.asarray(model.e0_key)
    uniq, unit = np.unique(ekeys, return_inverse=True)
    ef = _keyed_normals(ent, _TFR, codes, (n, ny), model.tfr_rho) * (scale * model.tfr_sigma)
    # life expectancy: one stream per distinct series, both sexes inside it ([n, ny, 2, U] -> [n, ny, T, 2])
    ee = np.moveaxis(_keyed_normals(ent, _E0, uniq.tolist(), (n, ny, 2), model.e0_rho), -1, 2)[:, :, unit.reshape(-1)]
    ee = ee * (scale * model.e0_sigma)
    em = _keyed_normals(ent, _MIG, codes, (n, ny), model.mig_rho) * (scale * model.mig_sigma)
    u = np.zeros((n, ny, T))
    d = np.zeros((n, ny, T))
    # AR(1) recursions over years from the base year's events on: at the origin the data end with the
    # previous year's events, so the first projected year is as uncertain as any (and without a
    # spread there the band of horizon 1 would be a point, with nothing to calibrate)
    u[:, 0], d[:, 0] = ef[:, 0], em[:, 0]
    for t in range(1, ny):
        u[:, t] = model.tfr_phi * u[:, t - 1] + ef[:, t]
        d[:, t] = model.mig_phi * d[:, t - 1] + em[:, t]
    tfr = sch.tfr[None] * np.exp(u)
    e0 = sch.e0[None] + np.cumsum(ee, axis=1)
    shift = sch.mig_shift[None] + d
    return tfr, e0, shift


def _aggregate_members(aggregates: Mapping[str, Sequence[str]] | None, codes: Sequence[str]) -> dict[str, list[int]]:
    """Indices of the members of each aggregate; errors name an unknown member or a clashing code."""
    out: dict[str, list[int]] = {}
    pos = {c: i for i, c in enumerate(codes)}
    for code, mem in (aggregates or {}).items():
        if code in pos:
            raise ProjectionError(f"aggregate code {code!r} is also one of the projected territories")
        mem = [str(m) for m in mem]
        unknown = [m for m in mem if m not in pos]
        if unknown or not mem:
            raise ProjectionError(f"aggregate {code!r}: members {unknown or mem} are not among the projected "
                                  f"territories {list(codes)}")
        out[str(code)] = [pos[m] for m in dict.fromkeys(mem)]
    return out


def _group_totals(P: np.ndarray, starts: Sequence[int], out: np.ndarray) -> None:
    """``out[..., G]`` = total and the contiguous broad age groups starting at ``starts`` of
    ``P[..., A]`` (the values of :func:`group_sums` in one pass over the ages)."""
    groups = np.add.reduceat(P, starts, axis=-1)
    out[..., 0] = groups.sum(-1)
    out[..., 1:] = groups


def _advance(P: np.ndarray, S: np.ndarray, Sb: np.ndarray, asfr: np.ndarray, male_share: np.ndarray,
             mig_rate: np.ndarray, mig_count: np.ndarray, new: np.ndarray, tmp: np.ndarray) -> None:
    """One step of :func:`~cityindicators.projection.engine.project_step` that writes only the new
    population into ``new`` (``tmp`` a scratch array of the same shape): the trajectories need no
    deaths or migrants, so the step is fused to ``max(C S (1 + r) + n, 0)`` per cell, the same
    formulas rearranged (survivors ``C S``; net migrants ``max(r C S + n, -C S)``), which agree
    with the engine's to rounding (``tests/test_projection_stochastic_speed.py``)."""
    new[..., 0] = 0.0
    new[..., 1:] = P[..., :-1]
    new[..., -1] += P[..., -1]
    new[..., 1:] *= S
    np.multiply(mig_rate, new, out=tmp)
    new += tmp
    new += mig_count
    np.maximum(new, 0.0, out=new)
    # births: exposure of women = mean of 1 January t and t + 1 (ages 1+ of t + 1 known now)
    women = P[..., 1, :] + new[..., 1, :]
    women *= 0.5
    women *= asfr
    B = women.sum(-1)
    s0 = B[..., None] * np.stack([male_share, 1.0 - male_share], axis=-1) * Sb  # [..., 2] surviving births
    new[..., 0] = np.maximum(s0 + mig_rate[..., 0] * s0 + mig_count[..., 0], 0.0)


def simulate(
    rates: BaseRates,
    scenario: str | Scenario,
    to_year: int,
    n: int = 1000,
    seed: int | None = None,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    settings: StochasticSettings | None = None,
    aggregates: Mapping[str, Sequence[str]] | None = None,
    reference: BaseRates | None = None,
    calibration: StochasticCalibration | None = None,
    schedule: ScenarioSchedule | None = None,
) -> StochasticResult:
    """Run ``n`` stochastic trajectories of ``scenario`` and return quantiles by year.

    Parameters
    ----------
    rates
        Base rates (with histories) of the territories.
    scenario
        The central scenario.
    to_year
        Last projection year.
    n
        Number of trajectories (default 1,000).
    seed
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same quantiles.
    quantiles
        Probabilities to report (each in (0, 1)).
    settings
        :class:`StochasticSettings`.
    aggregates
        Optional sums of territories, ``{code: member codes}`` (for example
        ``{"G:ALL": rates.codes}``): their quantiles are those of the summed trajectories, so they
        reflect the correlation between the members, and are returned under ``code``.
    reference
        Rates of a fixed reference set containing ``rates.codes`` (normally all municipalities of
        the data) on which the model's pooled parameters are fitted; then a territory's quantiles
        do not depend on the other territories of ``rates``. Default: fit on ``rates`` itself.
    calibration
        Scale each territory's band, year by year, to the width of the empirical interval of the
        method's past errors (:mod:`.calibration`); None: the model's own spread.
    schedule
        The deterministic schedule of ``scenario`` on ``rates`` to ``to_year``
        (:func:`~cityindicators.projection.schedule.build_schedule`) when the caller has it
        (:func:`~cityindicators.projection.project` built it for the deterministic projection): not
        built again (with its age-structure adjustment it is the costly part of the set-up).
    """
    st = settings or StochasticSettings()
    members = _aggregate_members(aggregates, rates.codes)
    if n < 1:
        raise ProjectionError(f"number of trajectories must be at least 1, got {n}")
    check_memory(n, int(to_year) - rates.base_year, len(rates.codes) + len(members))
    qs = np.asarray(list(quantiles), dtype=float)
    if ((qs <= 0) | (qs >= 1)).any():
        raise ProjectionError(f"quantiles must lie strictly between 0 and 1, got {list(quantiles)}")
    sc = load_scenario(scenario)
    if schedule is None:
        sch = build_schedule(rates, sc, int(to_year))
    elif schedule.rates is not rates or schedule.scenario != sc or len(schedule.years) != int(to_year) - rates.base_year:
        raise ProjectionError(f"the schedule given is not that of scenario {sc.name!r} on these rates to {to_year}")
    else:
        sch = schedule
    if reference is not None:
        missing = [c for c in rates.codes if c not in reference.codes]
        if missing:
            raise ProjectionError(f"stochastic reference rates lack territory code(s) {missing}")
        model = fit_stochastic_model(reference, st).subset(rates.codes)
    else:
        model = fit_stochastic_model(rates, st)
    tfr, e0, shift = draw_paths(sch, model, n, seed, st.scale)
    ny, T = sch.tfr.shape
    out = np.empty((n, ny + 1, T, 2, len(GROUP_LABELS)), dtype=np.float32)  # groups by sex, per trajectory
    starts = [lo for lo, _ in BROAD_AGE_GROUPS.values()]
    if starts != sorted(starts) or starts[0] != 0:
        raise ProjectionError("broad age groups must be contiguous from age 0")  # what _group_totals assumes
    for c0 in range(0, n, st.chunk):
        c1 = min(n, c0 + st.chunk)
        P = np.broadcast_to(rates.population, (c1 - c0,) + rates.population.shape).copy()
        nxt, tmp = np.empty_like(P), np.empty_like(P)  # reused every year: no allocation per step
        out[c0:c1, 0] = np.stack(list(group_sums(P).values()), axis=-1)
        for t in range(ny):
            S, Sb, asfr, male, rate, count = sch.engine_inputs(tfr[c0:c1, t], e0[c0:c1, t], shift[c0:c1, t],
                                                               sch.added[t], year=t)
            _advance(P, S, Sb, asfr, male, rate, count, nxt, tmp)
            P, nxt = nxt, P
            _group_totals(P, starts, out[c0:c1, t + 1])
    factors = None
    if calibration is not None:
        factors = _calibrate(out, rates, calibration)
    if members:
        out = np.concatenate([out, np.stack([out[:, :, idx].sum(axis=2) for idx in members.values()], axis=2)], axis=2)
    codes = tuple(rates.codes) + tuple(members)
    T = len(codes)
    both = out.sum(axis=3, keepdims=True)
    full = np.concatenate([out, both], axis=3)  # the cube's sex axis: male, female, total
    qv = np.quantile(full, qs, axis=0)  # [Q, ny+1, T, 3, G]
    Q = len(qs)
    years = np.arange(rates.base_year, rates.base_year + ny + 1)
    G = len(GROUP_LABELS)
    shape = (Q, ny + 1, T, 3, G)
    idx = np.indices(shape).reshape(len(shape), -1)
    frame = pd.DataFrame({
        "scenario": sc.name,
        "territory_code": np.asarray(codes, dtype=object)[idx[2]],
        "year": years[idx[1]],
        "sex": np.asarray(SEXES_AND_TOTAL, dtype=object)[idx[3]],
        "age_group": np.asarray(GROUP_LABELS, dtype=object)[idx[4]],
        "quantile": qs[idx[0]],
        "value": qv.reshape(-1).astype(float),
    }).sort_values(["territory_code", "year", "sex", "age_group", "quantile"], kind="stable", ignore_index=True)
    log.info("stochastic projection: %d trajectories, %d territories, %d-%d", n, len(rates.codes), years[0], years[-1])
    return StochasticResult(frame, model, n, calibration=calibration, factors=factors)


def _calibrate(out: np.ndarray, rates: BaseRates, calibration: StochasticCalibration) -> pd.DataFrame:
    """Scale the trajectories ``out [N, years, T, 2, G]`` in place to the calibration's widths
    (:mod:`.calibration`): one factor per territory, year and measure (the total, each broad group)
    from the band of its both-sexes series, applied to each sex around its own median; with
    ``factor_of="total"`` the total's factor for every group and the total summed again. Returns
    the factors."""
    level = calibration.level
    both = out.sum(axis=3, dtype=float)  # [N, years, T, G]
    q_lo, m, q_hi = np.quantile(both, [(1 - level) / 2, 0.5, (1 + level) / 2], axis=0)
    base = rates.population.sum(axis=(1, 2))
    horizons = np.arange(out.shape[1])
    t_lo, t_hi = calibration.targets(base, horizons, GROUP_LABELS)
    f = band_scale_factors(q_lo, m, q_hi, t_lo, t_hi)  # [years, T, G]
    if calibration.factor_of == "total":
        f = np.broadcast_to(f[..., :1], f.shape).copy()
        out[..., 1:] = scale_deviations(out[..., 1:], f[:, :, None, 1:])
        out[..., 0] = out[..., 1:].sum(axis=-1)
    else:
        out[:] = scale_deviations(out, f[:, :, None, :])
    years = rates.base_year + horizons
    idx = np.indices(f.shape).reshape(3, -1)
    return pd.DataFrame({"territory_code": np.asarray(rates.codes, dtype=object)[idx[1]], "year": years[idx[0]],
                         "horizon": horizons[idx[0]], "size_class": size_class(base)[idx[1]],
                         "group": np.asarray(GROUP_LABELS, dtype=object)[idx[2]], "factor": f.reshape(-1)})
