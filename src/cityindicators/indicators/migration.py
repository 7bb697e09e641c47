"""Migration: net migration as a residual, registered flows, and cohort-residual net migration.

Net migration including statistical adjustment (Eurostat *demo_gind*): for calendar year t,
``NM = (P(1 Jan t+1) - P(1 Jan t)) - (B - D)``, the population change not explained by natural
change; its crude rate is per 1,000 average population.

Registered flows (dataset ``migration``: emigrants, immigrants, internal arrivals and
departures, and the nets) are reported where available, with crude rates per 1,000 average
population; a missing net is computed from its two flows.

Cohort-residual net migration by age and sex
--------------------------------------------
For the cohort aged ``a`` at 1 January t+1 (``a`` >= 1)::

    NM(a, t) = P(a, t+1) - P(a-1, t) x s(a-1, t)

for the open group ``NM(top) = P(top, t+1) - P(top-1, t) s(top-1) - P(top, t) s(top)``, and
for the cohort born in year t ``NM(0, t) = P(0, t+1) - (B(t) - d0(t))``, ``d0`` the deaths of
those newborns before 1 January t+1. ``year`` in the results is t (the period t -> t+1) and
``age`` the age at 1 January t+1.

Survival ``s = 1 - q``. Where deaths by single age are given (dataset ``deaths`` with ages),
the pattern is the observed one, ``q(a) = 1 - exp(-(m(a) + m(a+1)) / 2)`` with
``m = D(age) / average P(age)``. Municipal deaths by age are not generally published, so by default
the one-year death probabilities are a *documented approximation*: a standard age pattern
(Gompertz-Makeham hazard ``mu(x) = c + A exp(B x)`` with ``B = 0.09`` per year, male level twice
the female one, see :func:`standard_death_probabilities`, evaluated at the cohort's mean exact
age during the year, ``a + 1``) scaled per territory, year (and sex where deaths by sex exist)
so that the deaths it implies equal the registered deaths ``D(t)`` (indirect standardisation).
``d0`` is :data:`NEWBORN_SHARE_OF_INFANT_DEATHS` of the year's infant deaths (or
:data:`NEWBORN_LOSS_RATE` x births when infant deaths are missing). A consequence, checked by
the tests: the residuals of all ages and both sexes add up exactly to the total net migration
``NM`` above. The age pattern matters only for how migration is spread over ages; a national
life table can be given instead as ``survival`` (its pattern is then scaled in the same way).
Births of unknown sex are split 105.5 boys per 100 girls.

The youth outflow is the sum over the cohorts aged 15-29 at 1 January t+1 (negative = net
outflow), with a rate per 1,000 average residents aged 15-29.
"""

from __future__ import annotations

import numpy as np

from ._counts import FEMALE, MALE, TOTAL, Counts, average_population, ratio
from .structure import OPEN_GROUP_MEAN_OFFSET
from .vital import average_population_of, births, deaths

__all__ = [
    "GOMPERTZ_B",
    "NEWBORN_SHARE_OF_INFANT_DEATHS",
    "NEWBORN_LOSS_RATE",
    "MALE_BIRTH_SHARE",
    "standard_death_probabilities",
    "cohort_residuals",
    "FUNCTIONS",
]

#: Gompertz slope of the standard mortality pattern (per year of age).
GOMPERTZ_B = 0.09
#: Standard hazard parameters (c, A) by sex: male, female (the level is rescaled to the data).
_MAKEHAM = {MALE: (6e-4, 7.4e-5), FEMALE: (2e-4, 3.7e-5)}
#: Share of a year's infant deaths that occur to babies born in that same calendar year.
NEWBORN_SHARE_OF_INFANT_DEATHS = 0.7
#: Deaths before 1 January among the year's births when infant deaths are not published.
NEWBORN_LOSS_RATE = 0.0035
#: Share of boys among births of unknown sex (105.5 boys per 100 girls).
MALE_BIRTH_SHARE = 105.5 / 205.5

YOUTH_AGES = (15, 29)


def standard_death_probabilities(open_age: int) -> np.ndarray:
    """One-year death probabilities ``q[sex(0 male, 1 female), a]`` of the standard pattern.

    For the cohort aged ``a`` at 1 January (mean exact age ``a + 1`` during the year; the open
    group at ``open_age + OPEN_GROUP_MEAN_OFFSET + 0.5``): ``q = 1 - exp(-mu)``,
    ``mu(x) = c + A exp(GOMPERTZ_B x)``. Only the shape matters: it is rescaled to the deaths.
    """
    x = np.arange(open_age + 1, dtype=float) + 1.0
    x[-1] = open_age + OPEN_GROUP_MEAN_OFFSET + 0.5
    q = np.empty((2, open_age + 1))
    for s, (c, a) in _MAKEHAM.items():
        q[s] = 1.0 - np.exp(-(c + a * np.exp(GOMPERTZ_B * x)))
    return q


def _split_by_sex(total: np.ndarray, by_sex: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """``[T, Y, 2]`` male/female values: given ones, else ``total`` split by ``shares``."""
    out = by_sex[:, :, :2].copy()
    split = total[..., None] * shares
    missing = np.isnan(out).any(axis=-1, keepdims=True)
    return np.where(missing, split, out)


def cohort_residuals(c: Counts, survival: np.ndarray | None = None) -> np.ndarray:
    """Cohort-residual net migration ``[territory, year t, sex(0 male, 1 female), age at t+1]``.

    Parameters
    ----------
    c
        Count arrays (population by single age and sex, births, deaths, infant deaths).
    survival
        Optional one-year survival probabilities ``[2, A]`` for cohorts aged ``a`` at
        1 January (e.g. from a national life table) used as the age pattern instead of the
        standard one; still rescaled to the registered deaths where those exist.

    Returns
    -------
    numpy.ndarray
        Persons; NaN where an input is missing (including the last year, which has no
        1 January t+1 population).
    """
    T, Y = c.shape
    if not c.has_ages or Y == 0:
        return np.full((T, Y, 2, max(c.pop.shape[-1], 1)), np.nan)
    top = c.open_age
    A = top + 1
    P = c.pop[:, :, :2, :]  # [T, Y, 2, A]
    P_next = np.full_like(P, np.nan)
    P_next[:, :-1] = P[:, 1:]

    # births and newborn deaths by sex
    b_tot = c.births[:, :, TOTAL]
    b_sex = _split_by_sex(b_tot, c.births, np.array([MALE_BIRTH_SHARE, 1 - MALE_BIRTH_SHARE]))
    b_share = ratio(b_sex, b_sex.sum(-1, keepdims=True))
    b_share = np.where(np.isnan(b_share), np.array([MALE_BIRTH_SHARE, 1 - MALE_BIRTH_SHARE]), b_share)
    inf_tot = c.infant_deaths[:, :, TOTAL]
    inf_sex = _split_by_sex(inf_tot, c.infant_deaths, b_share)
    newborn_deaths = np.where(np.isnan(inf_sex), b_sex * NEWBORN_LOSS_RATE, inf_sex * NEWBORN_SHARE_OF_INFANT_DEATHS)

    # death probabilities: an age pattern scaled to the registered deaths
    q_std = (1.0 - np.asarray(survival, dtype=float)) if survival is not None else standard_death_probabilities(top)
    if q_std.shape != (2, A):
        raise ValueError(f"survival must have shape (2, {A}) (sex, age 0..{top}), got {q_std.shape}")
    q_std = np.broadcast_to(q_std[None, None], P.shape)
    if c.deaths_age is not None and survival is None:
        # observed pattern where deaths by age exist: m(a) = D(a) / average P(a); the cohort
        # aged a at 1 January lives through ages a and a+1 during the year
        m = ratio(c.deaths_age[:, :, :2, :], (P + P_next) / 2.0)
        m_next = np.concatenate([m[..., 1:], m[..., -1:]], axis=-1)
        q_obs = 1.0 - np.exp(-(m + m_next) / 2.0)
        complete = ~np.isnan(q_obs).any(axis=-1, keepdims=True)
        q_std = np.where(complete, q_obs, q_std)
    base = (P * q_std).sum(-1)  # [T, Y, 2] deaths implied by the pattern
    d_tot = c.deaths[:, :, TOTAL]
    k_joint = ratio(d_tot - newborn_deaths.sum(-1), base.sum(-1))  # [T, Y]
    k_sex = ratio(c.deaths[:, :, :2] - newborn_deaths, base)  # [T, Y, 2]
    k = np.where(np.isnan(k_sex), k_joint[..., None], k_sex)
    if survival is not None:
        k = np.where(np.isnan(k) & ~np.isnan(base), 1.0, k)  # no deaths: use the life table as is
    k = np.maximum(k, 0.0)
    q = np.minimum(k[..., None] * q_std, 1.0)  # [T, Y, 2, A]
    survivors = P * (1.0 - q)

    R = np.empty((T, Y, 2, A))
    R[..., 0] = P_next[..., 0] - (b_sex - newborn_deaths)
    R[..., 1:top] = P_next[..., 1:top] - survivors[..., 0:top - 1]
    R[..., top] = P_next[..., top] - survivors[..., top - 1] - survivors[..., top]
    return R


def _youth(R: np.ndarray) -> np.ndarray:
    lo, hi = YOUTH_AGES
    if R.shape[-1] <= hi:
        return np.full(R.shape[:2], np.nan)
    return R[..., lo:hi + 1].sum(axis=(-1, -2))


# -- indicators ----------------------------------------------------------------------------
def net_migration(c: Counts) -> np.ndarray:
    p = c.pop_all[:, :, TOTAL]
    change = np.full_like(p, np.nan)
    change[:, :-1] = p[:, 1:] - p[:, :-1]
    return change - (births(c) - deaths(c))


def crude_net_migration_rate(c: Counts) -> np.ndarray:
    return ratio(net_migration(c), average_population_of(c), 1000.0)


def _residuals(c: Counts) -> np.ndarray:
    if "cohort_residuals" not in c.cache:
        c.cache["cohort_residuals"] = cohort_residuals(c)
    return c.cache["cohort_residuals"]


def net_migration_15_29(c: Counts) -> np.ndarray:
    return _youth(_residuals(c))


def net_migration_rate_15_29(c: Counts) -> np.ndarray:
    lo, hi = YOUTH_AGES
    return ratio(net_migration_15_29(c), average_population(c.age_sum(lo, hi)), 1000.0)


def _flow(name: str):
    def f(c: Counts) -> np.ndarray:
        arr = c.flows.get(name)
        return c.empty() if arr is None else arr[:, :, TOTAL].copy()

    return f


def _flow_rate(name: str):
    get = _flow(name)

    def f(c: Counts) -> np.ndarray:
        return ratio(get(c), average_population_of(c), 1000.0)

    return f


_FLOW_IDS = {
    "emigrants": ("emigrants", "emigration_rate"),
    "immigrants": ("immigrants", "immigration_rate"),
    "net_international": ("net_international_migration", "net_international_migration_rate"),
    "internal_arrivals": ("internal_arrivals", "internal_arrival_rate"),
    "internal_departures": ("internal_departures", "internal_departure_rate"),
    "net_internal": ("net_internal_migration", "net_internal_migration_rate"),
}

#: indicator id -> function(Counts) -> [territory, year]
FUNCTIONS = {f.__name__: f for f in (net_migration, crude_net_migration_rate, net_migration_15_29,
                                     net_migration_rate_15_29)}
for _flow_name, (_count_id, _rate_id) in _FLOW_IDS.items():
    FUNCTIONS[_count_id] = _flow(_flow_name)
    FUNCTIONS[_rate_id] = _flow_rate(_flow_name)
