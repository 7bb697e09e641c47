r"""The status of a plan criterion in a year: the straight path, the gap and the status rule.

A criterion sets a base value ``B`` in the base year ``y0`` and a target ``T`` in the target
year ``y1``, with a direction: ``at_least`` (the value should be ``T`` or more), ``at_most``
(``T`` or less) or ``reach`` (``T`` within a tolerance ``tol``).

*Planned path*: the straight line from base to target,
``P(y) = B + (T - B) (y - y0) / (y1 - y0)`` for ``y0 <= y <= y1``, and ``T`` after ``y1``.

*Gap*: ``A(y) - P(y)``, the actual value minus the planned path, in the criterion's unit
(positive = above the path, which is good for ``at_least`` and bad for ``at_most``).

*Progress*: the share of the planned change achieved, ``s = (A - B) / (T - B)``; *time
elapsed*: ``tau = (y - y0) / (y1 - y0)``. The status, in this order:

1. ``no_data`` - no actual value for the year (or the year is before the base year);
2. ``reached`` - ``A >= T`` (at least), ``A <= T`` (at most), ``|A - T| <= tol`` (reach);
3. ``on_track`` - in the base year (nothing was due yet), or ``s >= tau`` (at or ahead of
   the straight path), before the target year;
4. ``behind`` - ``0 < s < tau``: moving towards the target, but slower than planned;
5. ``off_track`` - no progress or a move away from the target (``s <= 0``), the target
   year has come without the target being reached, a target equal to the base that is not
   held, or a value past the target that does not meet it (``s > 1``: a ``reach`` target
   overshot by more than the tolerance, or an ``at_least`` target below the base value that
   the value has fallen under).

The default tolerance of ``reach`` is 1 % of ``|T|`` (:data:`REACH_TOLERANCE`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["DIRECTIONS", "STATUSES", "REACH_TOLERANCE", "planned_path", "progress_share", "elapsed_share",
           "criterion_status", "meets_target"]

DIRECTIONS = ("at_least", "at_most", "reach")
#: Status codes, from the best to the worst, then no data.
STATUSES = ("reached", "on_track", "behind", "off_track", "no_data")
#: Default tolerance of a ``reach`` target, as a share of ``|T|``.
REACH_TOLERANCE = 0.01


def planned_path(years, base_year: int, base_value: float, target_year: int, target_value: float) -> np.ndarray:
    """The straight path from ``base_value`` in ``base_year`` to ``target_value`` in ``target_year``
    (held at the target after it; NaN before the base year)."""
    y = np.asarray(years, dtype=float)
    tau = np.clip((y - base_year) / (target_year - base_year), 0.0, 1.0)
    path = base_value + (target_value - base_value) * tau
    return np.where(y < base_year, np.nan, path)


def progress_share(actual, base_value: float, target_value: float) -> np.ndarray:
    """Share of the planned change achieved, ``(A - B) / (T - B)`` (NaN when ``T == B``)."""
    a = np.asarray(actual, dtype=float)
    if target_value == base_value:
        return np.full(a.shape, np.nan)
    return (a - base_value) / (target_value - base_value)


def elapsed_share(years, base_year: int, target_year: int) -> np.ndarray:
    """Share of the plan's time elapsed, ``(y - y0) / (y1 - y0)``, clipped to [0, 1]."""
    y = np.asarray(years, dtype=float)
    return np.clip((y - base_year) / (target_year - base_year), 0.0, 1.0)


def default_tolerance(direction: str, target_value: float, tolerance: float | None = None) -> float:
    """The tolerance of a criterion: the given one, else 1 % of ``|T|`` for ``reach`` and 0 otherwise."""
    if tolerance is not None:
        return float(tolerance)
    return REACH_TOLERANCE * abs(target_value) if direction == "reach" else 0.0


def meets_target(value, target_value: float, direction: str, tolerance: float | None = None) -> np.ndarray:
    """Whether ``value`` meets the target (NaN values do not)."""
    v = np.asarray(value, dtype=float)
    tol = default_tolerance(direction, target_value, tolerance)
    with np.errstate(invalid="ignore"):
        if direction == "at_least":
            return v >= target_value - tol
        if direction == "at_most":
            return v <= target_value + tol
        return np.abs(v - target_value) <= tol


def criterion_status(actual, years, base_year: int, base_value: float, target_year: int, target_value: float,
                     direction: str, tolerance: float | None = None) -> np.ndarray:
    """Status code of each ``(year, actual value)`` by the rule of the module docstring.

    Returns
    -------
    numpy.ndarray
        Strings of :data:`STATUSES`, one per year.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    a = np.asarray(actual, dtype=float)
    y = np.asarray(years, dtype=float)
    s = progress_share(a, base_value, target_value)
    tau = elapsed_share(y, base_year, target_year)
    with np.errstate(invalid="ignore"):
        reached = meets_target(a, target_value, direction, tolerance)
        overshoot = s > 1  # past the target in the planned direction, yet not meeting it
        due = y >= target_year
        conditions = [
            np.isnan(a) | (y < base_year),
            reached,
            due | overshoot | np.isnan(s),
            (y == base_year) | (s >= tau),
            s > 0,
        ]
    choices = ["no_data", "reached", "off_track", "on_track", "behind"]
    return np.select(conditions, choices, default="off_track").astype(object)
