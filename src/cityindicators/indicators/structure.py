"""Population structure indicators (population at 1 January, by single year of age and sex).

Each function takes :class:`~cityindicators.indicators._counts.Counts` and returns a
``[territory, year]`` float array; zero denominators give NaN. Shares use the sum over single
ages as denominator, so that the shares of complementary age groups add to 100; a territory
without age detail gets NaN for every age-based indicator (its total population is still
reported). Definitions: Eurostat, *Population structure indicators* (demo_pjanind).

The array kernels (:func:`median_age_of`, :func:`mean_age_of`) work on any ``[..., age]``
array and are public so that the projection and reports can reuse them.
"""

from __future__ import annotations

import numpy as np

from ._counts import FEMALE, MALE, TOTAL, Counts, next_year, ratio

__all__ = [
    "OPEN_GROUP_MEAN_OFFSET",
    "median_age_of",
    "mean_age_of",
    "FUNCTIONS",
]

#: Assumed mean age of the open top group above its lower bound (85+ counted at 89 years).
#: Moving it by one year moves the mean age of a population with 3 % aged 85+ by 0.03 years.
OPEN_GROUP_MEAN_OFFSET = 4.0


def median_age_of(pop: np.ndarray) -> np.ndarray:
    """Median age of populations by single year of age ``pop[..., age]`` (last age open).

    Linear interpolation within the single year ``[a, a+1)`` where the cumulated population
    first reaches half the total: ``m = a + (P/2 - C(a)) / P(a)``, ``C(a)`` the residents
    younger than ``a``. NaN when the total is zero or missing, or when the median falls in the
    open group (not defined).

    Examples
    --------
    >>> median_age_of(np.array([2.0, 2.0, 4.0]))  # half = 4, reached at the end of age 1
    array(2.)
    """
    pop = np.asarray(pop, dtype=float)
    total = pop.sum(axis=-1)
    half = total / 2.0
    cum = np.cumsum(pop, axis=-1)
    with np.errstate(invalid="ignore"):
        reached = cum >= half[..., None]
    idx = np.argmax(reached, axis=-1)
    p_at = np.take_along_axis(pop, idx[..., None], axis=-1)[..., 0]
    before = np.take_along_axis(cum, idx[..., None], axis=-1)[..., 0] - p_at
    med = idx + ratio(half - before, p_at)
    bad = ~(total > 0) | (idx >= pop.shape[-1] - 1)
    return np.where(bad, np.nan, med)


def mean_age_of(pop: np.ndarray, open_offset: float = OPEN_GROUP_MEAN_OFFSET) -> np.ndarray:
    """Mean age of populations ``pop[..., age]``: ages at mid-year of age (a + 0.5), the open
    top group at its lower bound + ``open_offset``. NaN for a zero or missing total."""
    pop = np.asarray(pop, dtype=float)
    A = pop.shape[-1]
    mid = np.arange(A, dtype=float) + 0.5
    if A:
        mid[-1] = (A - 1) + open_offset
    return ratio((pop * mid).sum(axis=-1), pop.sum(axis=-1))


def _share(c: Counts, num: np.ndarray) -> np.ndarray:
    return ratio(num, c.pop_sum[:, :, TOTAL], 100.0)


def population(c: Counts) -> np.ndarray:
    return c.pop_all[:, :, TOTAL].copy()


def population_male(c: Counts) -> np.ndarray:
    return c.pop_all[:, :, MALE].copy()


def population_female(c: Counts) -> np.ndarray:
    return c.pop_all[:, :, FEMALE].copy()


def population_change(c: Counts) -> np.ndarray:
    p = population(c)
    return next_year(p) - p


def population_growth_rate(c: Counts) -> np.ndarray:
    p = population(c)
    return ratio(next_year(p) - p, p, 100.0)


def share_0_14(c: Counts) -> np.ndarray:
    return _share(c, c.age_sum(0, 14))


def share_15_64(c: Counts) -> np.ndarray:
    return _share(c, c.age_sum(15, 64))


def share_65_plus(c: Counts) -> np.ndarray:
    return _share(c, c.age_sum(65))


def share_80_plus(c: Counts) -> np.ndarray:
    return _share(c, c.age_sum(80))


def old_age_dependency_ratio(c: Counts) -> np.ndarray:
    return ratio(c.age_sum(65), c.age_sum(15, 64), 100.0)


def young_age_dependency_ratio(c: Counts) -> np.ndarray:
    return ratio(c.age_sum(0, 14), c.age_sum(15, 64), 100.0)


def total_dependency_ratio(c: Counts) -> np.ndarray:
    return ratio(c.age_sum(0, 14) + c.age_sum(65), c.age_sum(15, 64), 100.0)


def ageing_index(c: Counts) -> np.ndarray:
    return ratio(c.age_sum(65), c.age_sum(0, 14), 100.0)


def potential_support_ratio(c: Counts) -> np.ndarray:
    return ratio(c.age_sum(15, 64), c.age_sum(65))


def median_age(c: Counts) -> np.ndarray:
    if not c.has_ages:
        return c.empty()
    return median_age_of(c.pop[:, :, TOTAL, :])


def mean_age(c: Counts) -> np.ndarray:
    if not c.has_ages:
        return c.empty()
    return mean_age_of(c.pop[:, :, TOTAL, :])


def sex_ratio(c: Counts) -> np.ndarray:
    return ratio(c.pop_all[:, :, MALE], c.pop_all[:, :, FEMALE], 100.0)


#: indicator id -> function(Counts) -> [territory, year]
FUNCTIONS = {
    f.__name__: f
    for f in (
        population, population_male, population_female, population_change, population_growth_rate,
        share_0_14, share_15_64, share_65_plus, share_80_plus, old_age_dependency_ratio,
        young_age_dependency_ratio, total_dependency_ratio, ageing_index, potential_support_ratio,
        median_age, mean_age, sex_ratio,
    )
}
