"""The cohort-component projection engine (pure numpy, no I/O).

State: the population at 1 January by sex and single year of age ``P[..., sex, age]``,
ages ``0..omega`` with ``omega`` an open group; any leading axes (territory, trajectory) are
projected at once, so the only Python loop is over the projection years.

One annual step from 1 January ``t`` to 1 January ``t + 1`` (Preston, Heuveline & Guillot
2001, ch. 6; Wachter, *Essential Demographic Methods*, 2014, ch. 5):

1. *Ageing.* The cohort aged ``x`` at ``t`` is aged ``x + 1`` at ``t + 1``; the open group
   collects ages ``omega - 1`` and ``omega``: ``C_{x+1} = P_x``, ``C_omega = P_{omega-1} + P_omega``.
2. *Deaths.* ``D_{x+1} = C_{x+1} (1 - S_x)`` with the survival ratios ``S`` of
   :func:`~cityindicators.projection.lifetable.survival_ratios`.
3. *Net migration* of ages 1+: ``N_x = r_x (C_x - D_x) + n_x``, a rate ``r`` applied to the
   survivors plus a count ``n`` (persons), bounded below by ``-(C_x - D_x)`` so no cell turns
   negative. What the bound keeps from leaving, ``max(-(C_x - D_x) - r_x (C_x - D_x) - n_x, 0)``
   summed over sex and age, is the year's *migration shortfall*: zero unless a scenario asks for
   more emigrants than a group has (an added outflow larger than the municipality, say).
4. *Births.* ``B = sum_x f_x (F_x(t) + F_x(t + 1)) / 2`` with age-specific fertility ``f`` and
   women ``F`` (women of reproductive age at ``t + 1`` are already known after step 3); boys
   ``B p`` and girls ``B (1 - p)``.
5. *Age 0.* ``C_0 = B_s``, ``D_0 = B_s (1 - S_b)``, ``N_0`` as in step 3.
6. ``P_{x}(t + 1) = C_x - D_x + N_x`` for every age and sex.

Deaths and net migrants are indexed by the age at the end of the year (age 0 = born in the
year). Because step 6 defines the new population from the components, the accounting identity
``P(t+1) = P(t) + B - D + N`` holds cell by cell exactly (and in totals up to floating-point
summation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import ProjectionError

__all__ = ["StepResult", "EngineResult", "project_step", "cohort_component"]


@dataclass
class StepResult:
    """One projection step: ``population`` at ``t + 1`` ``[..., 2, A]``, ``births`` ``[..., 2]``
    (boys, girls), ``deaths`` and ``net_migration`` ``[..., 2, A]`` by age at the end of the year."""

    population: np.ndarray
    births: np.ndarray
    deaths: np.ndarray
    net_migration: np.ndarray


@dataclass
class EngineResult:
    """All steps stacked: ``population`` ``[n + 1, ..., 2, A]`` (base year first) and components
    ``births`` ``[n, ..., 2]``, ``deaths`` and ``net_migration`` ``[n, ..., 2, A]`` (events of year ``t``
    at index ``t - base``); ``migration_shortfall`` ``[n, ...]``: the persons of each year's net
    migration that the lower bound kept from leaving, summed over sex and age (see the module
    docstring; ``None`` from callers that do not count it)."""

    population: np.ndarray
    births: np.ndarray
    deaths: np.ndarray
    net_migration: np.ndarray
    migration_shortfall: np.ndarray | None = None


def project_step(
    P: np.ndarray,
    S: np.ndarray,
    Sb: np.ndarray,
    asfr: np.ndarray,
    male_share: np.ndarray,
    mig_rate: np.ndarray,
    mig_count: np.ndarray,
    work: dict[str, np.ndarray] | None = None,
    shortfall: np.ndarray | None = None,
) -> StepResult:
    """Advance the population one year (see the module docstring for the formulas).

    Parameters
    ----------
    P
        Population at 1 January ``[..., 2, A]`` (sex 0 male, 1 female).
    S
        Survival ratios ``[..., 2, A - 1]`` (last: the open group fed by ``omega - 1`` and ``omega``).
    Sb
        Survival of the year's births to 31 December ``[..., 2]``.
    asfr
        Births per woman-year by age ``[..., A]``.
    male_share
        Share of boys among births ``[...]``.
    mig_rate, mig_count
        Net migration per survivor and in persons ``[..., 2, A]`` (age at the end of the year).
    work
        Optional buffers reused from step to step (a dict, filled on the first call): the
        returned arrays are then views of them, overwritten by the next call with the same
        ``work``, and ``P`` must not be the previous call's ``population``. The stochastic mode
        passes two in turn, so thousands of trajectories allocate no new arrays each year.
    shortfall
        Optional array ``[...]`` (the leading axes) to which the year's migration shortfall is
        added: the persons the lower bound of net migration kept from leaving (see the module
        docstring). Left out by the stochastic mode, where it would cost a pass over every trajectory.
    """
    # written with in-place operations (the stochastic mode runs this on [trajectories, T, 2, A]
    # arrays; fewer temporaries halve its memory traffic); the arithmetic is the formulas' own
    shape = np.broadcast_shapes(P.shape, S.shape[:-1] + (P.shape[-1],))
    buf = _buffers(work, shape)
    C, D, surv, N, new = buf["C"], buf["D"], buf["surv"], buf["N"], buf["new"]
    C[..., 0] = 0.0
    C[..., 1:] = P[..., :-1]
    C[..., -1] += P[..., -1]
    D[..., 0] = 0.0
    np.subtract(1.0, S, out=D[..., 1:])
    D[..., 1:] *= C[..., 1:]
    np.subtract(C, D, out=surv)
    np.multiply(mig_rate, surv, out=N)
    N += mig_count
    np.negative(surv, out=new)
    if shortfall is not None:  # ages 1+ (age 0 is bounded by its own survivors below)
        shortfall += np.maximum(new[..., 1:] - N[..., 1:], 0.0).sum(axis=(-2, -1))
    np.maximum(N, new, out=N)
    np.add(surv, N, out=new)
    # births: exposure of women = mean of 1 January t and t + 1 (ages 1+ of t + 1 known now)
    women = P[..., 1, :] + new[..., 1, :]
    women *= 0.5
    women *= asfr
    B = women.sum(-1)
    share = np.stack([male_share, 1.0 - male_share], axis=-1)
    Bs = B[..., None] * share
    C[..., 0] = Bs
    D[..., 0] = Bs * (1.0 - Sb)
    s0 = C[..., 0] - D[..., 0]
    asked0 = mig_rate[..., 0] * s0 + mig_count[..., 0]
    if shortfall is not None:
        shortfall += np.maximum(-s0 - asked0, 0.0).sum(axis=-1)
    N[..., 0] = np.maximum(asked0, -s0)
    np.subtract(C, D, out=new)
    new += N
    return StepResult(population=new, births=Bs, deaths=D, net_migration=N)


def _buffers(work: dict[str, np.ndarray] | None, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """The step's arrays ``C, D, surv, N, new`` of ``shape``: fresh, or ``work``'s (allocated once)."""
    names = ("C", "D", "surv", "N", "new")
    if work is None:
        return {n: np.empty(shape) for n in names}
    if not work or work["C"].shape != shape:
        work.update({n: np.empty(shape) for n in names})
    return work


def cohort_component(
    P0: np.ndarray,
    S: np.ndarray,
    Sb: np.ndarray,
    asfr: np.ndarray,
    male_share: np.ndarray,
    mig_rate: np.ndarray,
    mig_count: np.ndarray,
) -> EngineResult:
    """Project ``P0`` for ``n`` years; every schedule argument has a leading year axis of length ``n``.

    Shapes as in :func:`project_step` with ``n`` in front (use :func:`numpy.broadcast_to` for
    constant schedules).

    Raises
    ------
    ProjectionError
        Inconsistent shapes or negative inputs.
    """
    P0 = np.asarray(P0, dtype=float)
    n = S.shape[0]
    for name, arr in (("Sb", Sb), ("asfr", asfr), ("male_share", male_share), ("mig_rate", mig_rate),
                      ("mig_count", mig_count)):
        if arr.shape[0] != n:
            raise ProjectionError(f"schedule {name!r} has {arr.shape[0]} years, survival ratios have {n}")
    if S.shape[-1] != P0.shape[-1] - 1:
        raise ProjectionError(f"survival ratios have {S.shape[-1]} ages, population {P0.shape[-1]} (expected one fewer)")
    if (P0 < 0).any() or not np.isfinite(P0).all():
        raise ProjectionError("base population has negative or missing cells")
    pops = np.empty((n + 1,) + np.broadcast_shapes(P0.shape, S.shape[1:-1] + (P0.shape[-1],)))
    pops[0] = P0
    births = np.empty((n,) + pops.shape[1:-1])
    deaths = np.empty((n,) + pops.shape[1:])
    mig = np.empty_like(deaths)
    short = np.zeros((n,) + pops.shape[1:-2])
    for t in range(n):  # the only loop: projection years
        r = project_step(pops[t], S[t], Sb[t], asfr[t], male_share[t], mig_rate[t], mig_count[t], shortfall=short[t])
        pops[t + 1], births[t], deaths[t], mig[t] = r.population, r.births, r.deaths, r.net_migration
    return EngineResult(population=pops, births=births, deaths=deaths, net_migration=mig, migration_shortfall=short)
