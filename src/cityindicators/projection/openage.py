"""Splitting an open top age group (e.g. 85+) into single years up to a higher open group.

Method: stable-population split with a Kannisto-type old-age mortality schedule.
The published open group ``P(k+)`` is shared out over ages ``k..omega`` in proportion to
the person-years of the territory's own life table, discounted by the growth rate ``r`` of
the open group,

.. math::

    P(x) = P(k+) \\frac{L_x e^{-r (x - k)}}{\\sum_{j=k}^{omega} L_j e^{-r (j - k)}},
    \\qquad x = k..omega, \\qquad L_{omega} := T_{omega},

which is the age distribution above age ``k`` of a stable population growing at ``r`` with the
given mortality (Preston, Heuveline & Guillot 2001, *Demography*, ch. 7; with ``r = 0`` the
stationary split ``P(x) = P(k+) L_x / T_k`` of ch. 3.8, the method behind the
"extinct-generation"/survivor-ratio family of Thatcher, Kannisto & Andreev 2002, *Demographic
Research* 6). A growing open group (larger cohorts arriving at ``k``) is younger inside than
a stationary one, a shrinking one older. :func:`~cityindicators.projection.estimation.estimate_rates`
takes ``r`` from the territory's own open group over the last five years
(``EstimationSettings.open_age_split``, ``open_age_growth_years``), bounded to +-10 % a year. The mortality schedule above 80 is the logistic (Kannisto) form of
:func:`cityindicators.projection.model_schedules.model_mortality`, so rates level off at the oldest
ages instead of growing without bound. The split preserves the open-group total exactly.
Cohort-size differences among the oldest (for Lithuania the small cohorts born during the
First World War) are ignored; their effect on totals above 85 is a few per cent of the group.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import ProjectionError
from .lifetable import life_table

__all__ = ["split_open_age"]


def split_open_age(values: np.ndarray, m: np.ndarray, female: np.ndarray | bool = False,
                   growth: np.ndarray | None = None) -> np.ndarray:
    """Extend a population ``[..., 0..k]`` (``k`` open) to ``[..., 0..omega]`` (``omega`` open).

    Parameters
    ----------
    values
        Population by single year of age; the last age ``k`` is an open group.
    m
        Central death rates ``[..., 0..omega]`` broadcastable against ``values[..., :1]``;
        its length fixes ``omega``.
    female
        Which rows of ``m`` are female (only the infant separation factor depends on it).
    growth
        Annual growth rate ``r`` of the open group, broadcastable against ``values[..., 0]``
        (stable-population split); None or 0 = stationary split.

    Returns
    -------
    numpy.ndarray
        ``[..., 0..omega]``; ages below ``k`` unchanged; ages ``k..omega`` sum to ``values[..., k]``.
    """
    values = np.asarray(values, dtype=float)
    k = values.shape[-1] - 1
    omega = np.asarray(m).shape[-1] - 1
    if omega < k:
        raise ProjectionError(f"cannot split open group {k}+ to a lower open age {omega}+")
    if omega == k:
        return values.copy()
    lt = life_table(np.asarray(m, dtype=float), female)
    L, T = lt["L"], lt["T"]
    w = np.concatenate([L[..., k:omega], T[..., omega:omega + 1]], axis=-1)
    if growth is not None:  # stable population: N(x) ~ L_x exp(-r (x - k))
        w = w * np.exp(-np.asarray(growth, dtype=float)[..., None] * np.arange(omega - k + 1))
    share = w / w.sum(-1, keepdims=True)
    lead = np.broadcast_shapes(values.shape[:-1], share.shape[:-1])
    out = np.empty(lead + (omega + 1,))
    out[..., :k] = values[..., :k]
    out[..., k:] = values[..., k:k + 1] * share
    return out
