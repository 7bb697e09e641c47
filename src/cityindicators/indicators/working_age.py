"""Working age by Lithuanian law: from 16 to the statutory old-age pension age.

Pension-age schedule (``pension_age``), by year Y and sex, in years (source: DATA_SOURCES.md
section 2, the State Social Insurance Pensions Law and its amendments):

* until 1994: men 60, women 55 (working age 16-59 and 16-54);
* 1995-2000: raised by 2 months a year for men and 4 months a year for women, to 61 y 0 m
  and 57 y 0 m in 2000 (this step is inferred: it is the only schedule that joins the 1994
  ages to the 6-month steps from 2001 that the sources state);
* 2001-2011: raised by 6 months a year until men reach 62 y 6 m (2003) and women 60 y 0 m
  (2006), then constant;
* 2012-2026: men 62 y 6 m + 2 m x (Y - 2011), women 60 y + 4 m x (Y - 2011), reaching 65 for
  both in 2026; 65 from then on.

The pension age in force in year Y applies to the population at 1 January Y.

Rule for a fractional pension age (applied everywhere in the package)
------------------------------------------------------------------
Population tables give *completed* ages at 1 January. A resident of completed age ``a`` has an
exact age in ``[a, a+1)``; we assume birthdays are spread evenly over the year, so the share of
the cohort still below a pension age ``p`` is ``w(a) = clip(p - a, 0, 1)``. The working-age
population at 1 January Y is therefore::

    W = sum over a >= 16 of P(a) x clip(p(Y, sex) - a, 0, 1)

and the pension-age population is ``sum over a >= 16 of P(a) x (1 - w(a))``. Example: women in
2012 (p = 60 y 4 m = 60.333): all of age 59 count, one third of age 60, none of 61.

Why this rule: it is the expected count that an exact-date-of-birth count (what a population
register gives) would produce, so it is unbiased; it is exact when the pension age is a whole
number; and it moves smoothly with the 2- and 4-month steps, so year-to-year changes reflect
the law rather than rounding. The alternative "midpoint" rule (a cohort is of working age
when ``a + 0.5 < p``) rounds the pension age to whole cohorts and makes a whole cohort jump
class every few years; it is available as ``rule="midpoint"`` for sensitivity checks only.
The lower bound (16) is a whole number, so completed age 16 is fully of working age.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import ConfigError
from ._counts import FEMALE, MALE, TOTAL, Counts, ratio

__all__ = [
    "WORKING_AGE_MIN",
    "RULES",
    "pension_age",
    "working_age_weights",
    "pension_age_weights",
    "working_age_population",
    "working_age_share",
    "pension_age_population",
    "pension_age_share",
]

#: Lower bound of the working age (completed years).
WORKING_AGE_MIN = 16
RULES = ("proportional", "midpoint")


def pension_age(year: int | np.ndarray, sex: str | int) -> np.ndarray:
    """Statutory old-age pension age (years, fractional) in force in ``year`` for ``sex``.

    Parameters
    ----------
    year
        Calendar year(s).
    sex
        ``"male"``/``0`` or ``"female"``/``1``.

    Returns
    -------
    numpy.ndarray
        Pension age in years, same shape as ``year`` (a 0-d array for a scalar).

    Examples
    --------
    >>> float(pension_age(2012, "female"))  # 60 y 4 m
    60.333333333333336
    >>> float(pension_age(2026, "male"))
    65.0
    """
    y = np.asarray(year, dtype=float)
    if sex in ("male", 0):
        early = 60.0 + np.clip(y - 1994, 0, 6) * 2 / 12           # 1995-2000: +2 m a year -> 61
        mid = 61.0 + np.clip(y - 2000, 0, 3) * 0.5                 # 2001-2003: +6 m a year -> 62.5
        late = 62.5 + np.clip(y - 2011, 0, 15) * 2 / 12            # 2012-2026: +2 m a year -> 65
    elif sex in ("female", 1):
        early = 55.0 + np.clip(y - 1994, 0, 6) * 4 / 12           # 1995-2000: +4 m a year -> 57
        mid = 57.0 + np.clip(y - 2000, 0, 6) * 0.5                 # 2001-2006: +6 m a year -> 60
        late = 60.0 + np.clip(y - 2011, 0, 15) * 4 / 12            # 2012-2026: +4 m a year -> 65
    else:
        raise ConfigError(f"sex must be 'male' or 'female' (0/1), got {sex!r}")
    return np.where(y <= 2000, early, np.where(y <= 2011, mid, late))


def working_age_weights(years: np.ndarray, ages: np.ndarray, rule: str = "proportional") -> np.ndarray:
    """Share of each single-year cohort at 1 January that is of working age.

    Parameters
    ----------
    years
        Calendar years ``[Y]``.
    ages
        Completed ages ``[A]`` (the last may be an open group; it is above any pension age).
    rule
        ``"proportional"`` (the package rule, see the module docstring) or ``"midpoint"``.

    Returns
    -------
    numpy.ndarray
        Weights ``[Y, 2 (male, female), A]`` in [0, 1].
    """
    if rule not in RULES:
        raise ConfigError(f"working-age rule must be one of {RULES}, got {rule!r}")
    years = np.asarray(years, dtype=float)
    a = np.asarray(ages, dtype=float)[None, None, :]
    p = np.stack([pension_age(years, "male"), pension_age(years, "female")], axis=-1)[:, :, None]
    if rule == "proportional":
        w = np.clip(p - a, 0.0, 1.0)
    else:
        w = (a + 0.5 < p).astype(float)
    return np.where(a >= WORKING_AGE_MIN, w, 0.0)


def pension_age_weights(years: np.ndarray, ages: np.ndarray, rule: str = "proportional") -> np.ndarray:
    """Share of each cohort at or above the pension age ``[Y, 2, A]`` (complement above 16)."""
    a = np.asarray(ages, dtype=float)[None, None, :]
    return np.where(a >= WORKING_AGE_MIN, 1.0 - working_age_weights(years, ages, rule), 0.0)


# -- indicators on count arrays -------------------------------------------------------------
def _weighted(c: Counts, weights_fn) -> np.ndarray:
    if not c.has_ages:
        return c.empty()
    w = weights_fn(c.years, c.ages)  # [Y, 2, A]
    return (c.pop[:, :, MALE, :] * w[None, :, 0, :]).sum(-1) + (c.pop[:, :, FEMALE, :] * w[None, :, 1, :]).sum(-1)


def working_age_population(c: Counts) -> np.ndarray:
    """Working-age residents at 1 January ``[territory, year]`` (needs ages by sex)."""
    return _weighted(c, working_age_weights)


def pension_age_population(c: Counts) -> np.ndarray:
    """Residents at or above the pension age at 1 January ``[territory, year]``."""
    return _weighted(c, pension_age_weights)


def working_age_share(c: Counts) -> np.ndarray:
    """Working-age population / population (sum of ages) x 100."""
    return ratio(working_age_population(c), c.pop_sum[:, :, TOTAL], 100.0)


def pension_age_share(c: Counts) -> np.ndarray:
    """Pension-age population / population (sum of ages) x 100."""
    return ratio(pension_age_population(c), c.pop_sum[:, :, TOTAL], 100.0)


#: indicator id -> function(Counts) -> [territory, year]
FUNCTIONS = {f.__name__: f for f in (working_age_population, working_age_share, pension_age_population,
                                     pension_age_share)}
