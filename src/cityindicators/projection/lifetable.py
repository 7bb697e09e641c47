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

__all__ = ["life_table", "life_expectancy", "survival_ratios", "E0Scaler"]

_FEMALE = np.array([False, True])


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
    return _survival_of_table(life_table(m, female))


def _survival_of_table(lt: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`survival_ratios` of the columns of a :func:`life_table` already computed."""
    L, T = lt["L"], lt["T"]
    S = np.empty(L.shape[:-1] + (L.shape[-1] - 1,))
    with np.errstate(divide="ignore", invalid="ignore"):  # extinct cohorts (L = 0) survive with ratio 0
        S[..., :-1] = np.where(L[..., :-2] > 0, L[..., 1:-1] / L[..., :-2], 0.0)
        S[..., -1] = np.where(T[..., -2] > 0, T[..., -1] / T[..., -2], 0.0)
    return np.clip(S, 0.0, 1.0), np.clip(L[..., 0], 0.0, 1.0)


class E0Scaler:
    """Scale base mortality ``m[T, 2, A]`` (sex 0 male, 1 female) to target life expectancies (tabulated once).

    For ``log k`` on a grid in [-3.5, 1.5] (step 0.025; ``k`` from 0.03 to 4.5) the life expectancy ``e0(k m)`` and the
    survival ratios of ``k m`` are tabulated once. A target ``e0`` of shape ``[..., T, 2]`` is
    located on the grid and the survival ratios are interpolated linearly in ``log k`` between
    the two neighbouring grid schedules, so millions of targets (years x trajectories) cost no
    life-table computation. A target equal to the base ``e0`` lands exactly on ``k = 1``.

    With ``b`` (``[..., A]`` broadcastable to ``m``, non-negative) the schedules are ``m exp(b log k)``
    instead: the log rate of age ``x`` moves by ``b_x log k``, a Lee-Carter form ``log m_x(t) = log
    m_x + b_x kappa_t`` with ``kappa`` solved to hit the target life expectancy (as the UN's projections
    do with given life expectancies, Sevcikova et al. 2016). ``b = 1`` at every age is the plain scaling.
    """

    def __init__(self, m: np.ndarray, grid: int = 201, b: np.ndarray | None = None):
        self.m = np.asarray(m, dtype=float)
        self.logk = np.linspace(-3.5, 1.5, grid)
        self.b = None if b is None else np.broadcast_to(np.asarray(b, dtype=float), self.m.shape)
        fem = np.broadcast_to(_FEMALE, self.m.shape[:-1])[..., None]
        if self.b is None:
            mk = self.m[..., None, :] * np.exp(self.logk)[:, None]  # [T, 2, K, A]
        else:
            mk = self.m[..., None, :] * np.exp(self.logk[:, None] * self.b[..., None, :])
        lt = life_table(mk, fem)  # one table for both: it is most of the cost of a projection's set-up
        self.table = lt["T"][..., 0]  # [T, 2, K] life expectancy (radix 1), decreasing in k
        self.S_grid, self.Sb_grid = _survival_of_table(lt)  # [T, 2, K, A-1], [T, 2, K]
        self._dS: np.ndarray | None = None

    def _locate(self, e0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e0 = np.asarray(e0, dtype=float)
        T, two, K = self.table.shape
        if e0.shape[-2:] != (T, two):
            raise ValueError(f"life expectancies of shape {e0.shape} do not end in ({T}, {two})")
        # i = the number of grid values above e0 (the table decreases in k): one binary search per
        # territory and sex instead of comparing every target with the whole grid
        flat = e0.reshape(-1, T * two)
        i = np.empty(flat.shape, dtype=np.intp)
        asc = self.table.reshape(T * two, K)[:, ::-1]
        for c in range(T * two):
            i[:, c] = K - np.searchsorted(asc[c], flat[:, c], side="right")
        i = np.clip(i.reshape(e0.shape), 1, K - 1)
        ti, si = np.arange(T)[:, None], np.arange(two)[None, :]
        e_hi = self.table[ti, si, i - 1]
        e_lo = self.table[ti, si, i]
        den = e_hi - e_lo
        w = np.clip((e_hi - e0) / np.where(den == 0, 1, den), 0, 1)
        return i, w

    def factor(self, e0: np.ndarray) -> np.ndarray:
        """Factors ``k`` (shape of ``e0``) with ``e0(k m) = e0`` (clipped to the grid)."""
        i, w = self._locate(e0)
        return np.exp(self.logk[i - 1] + w * (self.logk[1] - self.logk[0]))

    def __call__(self, e0: np.ndarray) -> np.ndarray:
        """Scaled rates ``k m`` (``m k^b`` with ``b``) ``[..., T, 2, A]``."""
        k = self.factor(e0)[..., None]
        return self.m * (k if self.b is None else k**self.b)

    def survival(self, e0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Survival ratios ``(S [..., T, 2, A-1], Sb [..., T, 2])`` of the schedules with life expectancy ``e0``."""
        i, w = self._locate(e0)
        T, two = self.table.shape[:2]
        ti = np.arange(T)[:, None]
        si = np.arange(two)[None, :]
        if self._dS is None:  # differences of neighbouring grid schedules, computed once
            self._dS = np.diff(self.S_grid, axis=2)
        S = self._dS[ti, si, i - 1]  # S0 + w (S1 - S0), in place
        S *= w[..., None]
        S += self.S_grid[ti, si, i - 1]
        b0, b1 = self.Sb_grid[ti, si, i - 1], self.Sb_grid[ti, si, i]
        Sb = b0 + w * (b1 - b0)
        return S, Sb
