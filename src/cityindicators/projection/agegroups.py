"""Age groups and the sex axis of the projection arrays: a leaf module (imports numpy and the cube's
sex axis :data:`cityindicators.cube.SEXES`, index 0 = male, 1 = female).

Reports, back-tests, stochastic quantiles and the estimates table all count the same broad age
groups; they take the definition and the sums from here, so no module of the projection has to
import another one's results for them.
"""

from __future__ import annotations

import numpy as np

from ..cube import SEXES

__all__ = ["BROAD_AGE_GROUPS", "SEXES", "FEMALE", "group_sums"]

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
