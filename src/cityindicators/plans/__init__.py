"""Monitoring a strategic plan's evaluation criteria against the data and the projection.

Main entry points
-----------------
- :func:`load_plan` - read and validate a plan file (YAML or XLSX) into a :class:`Plan`;
- :meth:`Plan.check` - every criterion and year: actual value, planned path, gap, status
  (rule in :mod:`cityindicators.plans.status`);
- :meth:`Plan.outlook` - projected value by scenario, probability and inflow needed for
  demographic criteria, a labelled trend for the others (:mod:`cityindicators.plans.outlook`);
- :meth:`Plan.summary` - the monitoring table, one row per criterion.

>>> import cityindicators as ci                                   # doctest: +SKIP
>>> plan = ci.load_plan("examples/plans/eglynas.yaml")            # doctest: +SKIP
>>> plan.check()                                                  # doctest: +SKIP
"""

from __future__ import annotations

from .files import PlanError
from .outlook import linear_trend, plan_outlook, plan_summary, probability_from_quantiles, projectable
from .plan import Criterion, Plan, load_plan, normalise_unit
from .status import DIRECTIONS, STATUSES, criterion_status, elapsed_share, planned_path, progress_share

__all__ = [
    "PlanError",
    "Plan",
    "Criterion",
    "load_plan",
    "normalise_unit",
    "DIRECTIONS",
    "STATUSES",
    "criterion_status",
    "planned_path",
    "progress_share",
    "elapsed_share",
    "plan_outlook",
    "plan_summary",
    "linear_trend",
    "probability_from_quantiles",
    "projectable",
]
