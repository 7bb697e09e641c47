r"""Calibration of the stochastic band to the method's own past errors.

The stochastic model (:mod:`.stochastic`) draws fertility, mortality and migration like the
past's year-to-year noise; it leaves out the error of the method itself (a wrong trend, a
census revision), so its band is far narrower than the errors of the back-test. The
empirical intervals (:mod:`.intervals`) have the right width, by horizon and size class, but no
shape: no joint distribution across territories, ages and years, which probabilities of a
target and sums of territories need. Calibration keeps the stochastic shape and takes the
empirical width.

For each territory and each year at horizon ``h`` let ``X_i`` be trajectory ``i``'s total
population (both sexes), ``q_lo``, ``m``, ``q_hi`` its ``(1 - L) / 2``, 0.5 and ``(1 + L) / 2``
quantiles over the trajectories (``L`` the interval's level, 0.8), and ``[lo, hi]`` the
empirical interval of the log error ``log(F / A)`` at ``h`` for the territory's size class
(:meth:`~.intervals.IntervalModel.bounds`, measure ``total``). Centred on the stochastic median
``m``, the empirical interval of the population is ``[m e^{-hi}, m e^{-lo}]``; the factor

.. math::  f_h = \frac{m\,(e^{-lo} - e^{-hi})}{q_{hi} - q_{lo}}

makes the trajectories' band as wide: each series ``Y`` of the territory (men and women)
becomes ``m_Y + f_h (Y - m_Y)`` with ``m_Y`` its own median over the trajectories
(:func:`scale_deviations`); the both-sexes series, their sum, moves by the same affine map, so
its band (quantiles move with the map) is then exactly the empirical width. The factor depends
only on the territory's own trajectories and size class: a territory's calibrated band does not
depend on what else is projected. Sums of territories (aggregates) are summed from the
calibrated members' trajectories, keeping the model's correlation between them.

The broad age groups 0-14, 15-64 and 65+ get their own factors the same way, from their own
band and their own empirical interval (``factor_of="own"``, the default): the total's factor
does not serve them (out of sample on the lt-osp extract it left the 0-14 group covered about
half the time; docs/INTERVALS.md shows both). A trajectory's calibrated groups then no longer
add up exactly to its calibrated total (each is scaled around its own median); quantiles do
not add in any case. ``factor_of="total"`` scales every group by the total's factor and sums
the total again from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import ProjectionError
from .sizeclasses import size_class

__all__ = ["StochasticCalibration", "band_scale_factors", "scale_deviations", "MIN_RELATIVE_SPREAD", "FACTOR_MODES"]

#: Whose band sets the factor of a broad age group: its ``own`` (each group, and the total,
#: scaled to its own empirical width) or the ``total``'s (one factor for all: a trajectory's
#: groups still add up to its total).
FACTOR_MODES = ("own", "total")

#: A band narrower than this share of the median (a base year, a territory without people) has
#: no shape to scale: its factor is 1.
MIN_RELATIVE_SPREAD = 1e-9


def band_scale_factors(lower: np.ndarray, median: np.ndarray, upper: np.ndarray,
                       target_lo: np.ndarray, target_hi: np.ndarray) -> np.ndarray:
    r"""Factors ``f = m (e^{-lo} - e^{-hi}) / (q_hi - q_lo)`` (see the module docstring).

    ``lower``, ``median``, ``upper``: the trajectories' quantiles ``q_lo``, ``m``, ``q_hi``;
    ``target_lo``, ``target_hi``: the empirical interval of the log error ``log(F / A)``
    (broadcast against them). Where the band is narrower than :data:`MIN_RELATIVE_SPREAD` of the
    median, or the target is missing (NaN), the factor is 1 (nothing to scale, nothing to scale to).
    """
    lo, m, hi = (np.asarray(a, dtype=float) for a in (lower, median, upper))
    t_lo, t_hi = np.asarray(target_lo, dtype=float), np.asarray(target_hi, dtype=float)
    if np.any(t_hi < t_lo):
        raise ProjectionError("calibration target: the upper bound of the log error lies below the lower one")
    spread = hi - lo
    usable = (spread > MIN_RELATIVE_SPREAD * np.abs(m)) & np.isfinite(t_lo) & np.isfinite(t_hi)
    width = m * (np.exp(-t_lo) - np.exp(-t_hi))
    return np.where(usable, width / np.where(usable, spread, 1.0), 1.0)


def scale_deviations(series: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """``m + f (Y - m)`` for trajectories ``series[N, ...]`` (``m`` the median over axis 0, per
    element), ``factors`` broadcast against ``series[0]``; never below zero (a population)."""
    y = np.asarray(series)
    m = np.median(y, axis=0)
    out = m + np.asarray(factors, dtype=y.dtype) * (y - m)
    return np.maximum(out, 0, out=out)


@dataclass(frozen=True)
class StochasticCalibration:
    """What the stochastic band is calibrated to: an empirical interval model
    (:class:`~.intervals.IntervalModel`, fitted on the back-test errors known by its origin) and
    a label for the reader (the variant's name); ``factor_of`` (:data:`FACTOR_MODES`) whose band
    sets the factor of each broad age group.

    :meth:`targets` gives the interval of the log error by measure, size class and horizon.
    """

    model: object
    variant: str
    factor_of: str = "own"

    def __post_init__(self) -> None:
        if self.factor_of not in FACTOR_MODES:
            raise ProjectionError(f"calibration factor_of must be one of {FACTOR_MODES}, got {self.factor_of!r}")

    @property
    def level(self) -> float:
        return float(self.model.level)

    @property
    def origin(self) -> int:
        """Errors known by 1 January of this year built the interval."""
        return int(self.model.origin)

    def targets(self, populations, horizons, groups=("total",)) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi) [H, T, G]``: the interval of ``log(F / A)`` of each measure ``groups`` at each
        horizon for territories of the given base populations (classed by
        :func:`.sizeclasses.size_class`); horizon 0 (the base year) is ``(0, 0)``."""
        sizes = size_class(populations)
        h = np.asarray(horizons, dtype=int)
        hh, ss, gg = np.meshgrid(h, sizes, np.asarray(list(groups), dtype=object), indexing="ij")
        lo, hi = self.model.bounds(gg.ravel(), ss.ravel(), hh.ravel())
        lo, hi = lo.reshape(hh.shape), hi.reshape(hh.shape)
        base = hh <= 0
        return np.where(base, 0.0, lo), np.where(base, 0.0, hi)

    def describe(self) -> str:
        """One sentence: what the band is calibrated to."""
        lo, hi = 50 * (1 - self.level), 50 * (1 + self.level)
        return (f"calibrated to the empirical {100 * self.level:.0f} % interval of the method's past errors (variant "
                f"{self.variant}, from the back-test errors known by {self.origin}): its {lo:.0f}-{hi:.0f} % band "
                "of each territory's total"
                + (" and of each broad age group" if self.factor_of == "own" else "")
                + " is as wide as that interval, year by year")
