"""Age groups and the sex axis of the projection arrays: a leaf module (imports numpy and the cube's
sex axis :data:`cityindicators.cube.SEXES`, index 0 = male, 1 = female).

Reports, back-tests, stochastic quantiles and the estimates table all count the same broad age
groups; they take the definition and the sums from here, so no module of the projection has to
import another one's results for them.
"""

from __future__ import annotations

import numpy as np

from ..cube import SEXES

__all__ = ["BROAD_AGE_GROUPS", "SEXES", "FEMALE", "group_sums", "median_age"]

#: Broad age groups used in reports, back-tests and stochastic quantiles: label -> (lo, hi).
BROAD_AGE_GROUPS: dict[str, tuple[int, int | None]] = {"0-14": (0, 14), "15-64": (15, 64), "65+": (65, None)}

#: ``FEMALE[s]`` is true for the female index of the sex axis (life tables take it for the infant
#: separation factor).
FEMALE = np.array([False, True])


def group_sums(pop: np.ndarray) -> dict[str, np.ndarray]:
    """Totals and broad age groups of ``pop[..., A]`` summed over age: ``{"total", "0-14", "15-64", "65+"}``."""
    out = {"total": pop.sum(-1)}
    for label, (lo, hi) in BROAD_AGE_GROUPS.items():
        out[label] = pop[..., lo:(None if hi is None else hi + 1)].sum(-1)
    return out


def median_age(pop: np.ndarray) -> np.ndarray:
    """Median age ``[...]`` of populations ``[..., sex, age]`` by single years of age.

    Age ``x`` covers ``[x, x + 1)`` with its people spread evenly, so the median is
    ``x + (N / 2 - C_{x-1}) / P_x`` at the first age ``x`` whose cumulative count ``C_x`` reaches
    half the total ``N`` (``C_{-1} = 0``). The open group is treated as one year wide, which does
    not matter while the median lies below it.
    """
    p = np.asarray(pop, dtype=float).sum(-2)
    cum = np.cumsum(p, axis=-1)
    half = cum[..., -1:] / 2
    x = np.argmax(cum >= half, axis=-1)[..., None]
    below = np.take_along_axis(cum, x, -1) - np.take_along_axis(p, x, -1)
    px = np.take_along_axis(p, x, -1)
    return (x + (half - below) / np.where(px > 0, px, 1.0))[..., 0]
