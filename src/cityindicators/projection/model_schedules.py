"""Model schedules: the mortality model (a childhood term, a Makeham constant and a logistic
Gompertz-Kannisto senescent term) and the Hadwiger fertility pattern; formulas in
:mod:`.estimation`.
"""

from __future__ import annotations

import numpy as np

from .lifetable import life_expectancy

__all__ = ["model_mortality", "calibrate_mortality", "hadwiger"]


def model_mortality(
    level: np.ndarray, m0: np.ndarray, omega: int, slope: np.ndarray, makeham: np.ndarray
) -> np.ndarray:
    """Model central death rates ``[..., 0..omega]`` (formula in :mod:`.estimation`).

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


def hadwiger(h: float, r: float, omega: int) -> np.ndarray:
    """Standard fertility age pattern ``[0..omega]``, non-zero on ages 15-49, summing to one."""
    ages = np.arange(omega + 1, dtype=float)
    x = ages + 0.5
    f = (h / (r * np.sqrt(np.pi))) * (r / x) ** 1.5 * np.exp(-(h**2) * (r / x + x / r - 2.0))
    f[(ages < 15) | (ages > 49)] = 0.0
    return f / f.sum()
