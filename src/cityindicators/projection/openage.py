"""Splitting an open top age group (e.g. 85+) into single years up to a higher open group.

Method: stationary-population split with a Kannisto-type old-age mortality schedule.
The published open group ``P(k+)`` is shared out over ages ``k..omega`` in proportion to
the person-years of the territory's own life table,

.. math::

    P(x) = P(k+) \\frac{L_x}{T_k}, \\qquad x = k..omega-1, \\qquad
    P(omega+) = P(k+) \\frac{T_\\omega}{T_k},

which is the age distribution a population with constant births and the given mortality
would have above age ``k`` (Preston, Heuveline & Guillot 2001, ch. 3.8; the method behind the
"extinct-generation"/survivor-ratio family of Thatcher, Kannisto & Andreev 2002, *Demographic
Research* 6). The mortality schedule above 80 is the logistic (Kannisto) form of
:func:`cityindicators.projection.rates.model_mortality`, so rates level off at the oldest
ages instead of growing without bound. The split preserves the open-group total exactly.
Cohort-size differences among the oldest (for Lithuania the small cohorts born during the
First World War) are ignored; their effect on totals above 85 is a few per cent of the group.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import ProjectionError
from .lifetable import life_table

__all__ = ["split_open_age"]


def split_open_age(values: np.ndarray, m: np.ndarray, female: np.ndarray | bool = False) -> np.ndarray:
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
    share = np.concatenate([L[..., k:omega], T[..., omega:omega + 1]], axis=-1) / T[..., k:k + 1]
    lead = np.broadcast_shapes(values.shape[:-1], share.shape[:-1])
    out = np.empty(lead + (omega + 1,))
    out[..., :k] = values[..., :k]
    out[..., k:] = values[..., k:k + 1] * share
    return out
