"""Single-year life tables and projection survival ratios, vectorised over leading axes.

All functions take central death rates ``m[..., age]`` for ages ``0..omega`` where the last
age is an open group (``omega`` and over) and work on any leading shape (territory, sex,
trajectory...), so no Python loop runs over territories or trajectories.

Formulas (Preston, Heuveline & Guillot, *Demography*, 2001, ch. 3 and 6):

* ``a_x = 0.5`` for ages 1..omega-1; ``a_0`` by the Coale-Demeny rule
  (males ``0.045 + 2.684 m_0``, females ``0.053 + 2.800 m_0`` when ``m_0 < 0.107``;
  ``0.330`` and ``0.350`` above);
* ``q_x = m_x / (1 + (1 - a_x) m_x)``, ``l_{x+1} = l_x (1 - q_x)``, ``l_0 = 1``;
* ``L_x = l_{x+1} + a_x d_x``; open group ``L_omega = l_omega / m_omega``;
* ``T_x = sum_{y >= x} L_y``, ``e_0 = T_0``.

Projection survival ratios for a population at 1 January by completed age
(Preston et al. 2001, sec. 6.2): ``S_b = L_0 / l_0`` for the births of the year,
``S_x = L_{x+1} / L_x`` for ``x = 0..omega-2`` and, for the open group fed by ages
``omega-1`` and ``omega``, ``S_{omega-1} = T_omega / T_{omega-1}``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["life_table", "life_expectancy", "survival_ratios"]


def _a0(m0: np.ndarray, female: np.ndarray | bool) -> np.ndarray:
    """Coale-Demeny separation factor of age 0."""
    male_a0 = np.where(m0 < 0.107, 0.045 + 2.684 * m0, 0.330)
    fem_a0 = np.where(m0 < 0.107, 0.053 + 2.800 * m0, 0.350)
    return np.where(female, fem_a0, male_a0)


def life_table(m: np.ndarray, female: np.ndarray | bool = False) -> dict[str, np.ndarray]:
    """Life-table columns ``l, L, T`` (radix 1) from central death rates.

    Parameters
    ----------
    m
        Central death rates ``[..., age]``, ages ``0..omega``; the last is the open group.
    female
        Broadcastable to ``m.shape[:-1]``: which rows are female (for ``a_0``).

    Returns
    -------
    dict
        ``l`` (survivors at exact age), ``L`` (person-years), ``T`` (person-years above).
    """
    m = np.maximum(np.asarray(m, dtype=float), 1e-12)
    a = np.full(m.shape, 0.5)
    a[..., 0] = _a0(m[..., 0], female)
    q = m / (1.0 + (1.0 - a) * m)
    q = np.minimum(q, 1.0)
    q[..., -1] = 1.0
    surv = np.cumprod(1.0 - q, axis=-1)
    l = np.concatenate([np.ones(m.shape[:-1] + (1,)), surv[..., :-1]], axis=-1)
    d = l * q
    L = l - d + a * d
    L[..., -1] = l[..., -1] / m[..., -1]
    T = np.cumsum(L[..., ::-1], axis=-1)[..., ::-1]
    return {"l": l, "L": L, "T": T}


def life_expectancy(m: np.ndarray, female: np.ndarray | bool = False) -> np.ndarray:
    """Life expectancy at birth ``e_0 = T_0 / l_0`` (years) from central death rates ``[..., age]``."""
    return life_table(m, female)["T"][..., 0]


def survival_ratios(m: np.ndarray, female: np.ndarray | bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Projection survival ratios from central death rates.

    Returns
    -------
    (S, S_b)
        ``S[..., x]`` for ``x = 0..omega-1``: the share of those aged ``x`` (``omega-1``: aged
        ``omega-1`` or over) at 1 January who are alive a year later; ``S_b[...]``: the share
        of the year's births alive at the end of the year.
    """
    lt = life_table(m, female)
    L, T = lt["L"], lt["T"]
    S = np.empty(L.shape[:-1] + (L.shape[-1] - 1,))
    S[..., :-1] = L[..., 1:-1] / L[..., :-2]
    S[..., -1] = T[..., -1] / T[..., -2]
    return np.clip(S, 0.0, 1.0), np.clip(L[..., 0], 0.0, 1.0)
