"""Checks of the run parameters the projection owns (scenario names, base year, horizon,
target year and size, trajectories), registered in :mod:`cityindicators.parameter_checks`;
a report checks them before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..exceptions import ReportParameterError
from ..parameter_checks import check_year, non_negative_check, register_check, year_check

__all__ = ["check_scenarios", "check_base_year"]


def check_scenarios(value: Any, params: dict, data_dir: Path | None) -> list:
    """At least one scenario, every name shipped or in ``<data-dir>/scenarios``."""
    if not value:
        raise ReportParameterError("parameter 'scenarios': give at least one scenario name")
    twice = sorted({s for s in value if list(value).count(s) > 1})
    if twice:  # found by the projection only once the notebook ran, as a failed report
        raise ReportParameterError(f"parameter 'scenarios': {', '.join(map(repr, twice))} given more than once")
    from .scenarios import list_scenarios

    try:
        known = set(list_scenarios(data_dir=data_dir) if data_dir else list_scenarios())
    except Exception:  # a broken scenario folder is reported by the projection itself
        known = set()
    unknown = [s for s in value if known and s not in known]
    if unknown:
        raise ReportParameterError(f"parameter 'scenarios': unknown scenario(s) {unknown}; available: {sorted(known)}")
    return list(value)


def check_scenarios_or_none(value: Any, params: dict, data_dir: Path | None) -> list:
    """No scenario (the report projects none), or names as for :func:`check_scenarios`."""
    return list(value) if not value else check_scenarios(value, params, data_dir)


def check_base_year(value: Any, params: dict, data_dir: Path | None) -> int:
    """0 (the latest year in the data) or a year."""
    return 0 if value == 0 else check_year("base_year", value)


register_check("scenarios", check_scenarios)
register_check("projection_scenarios", check_scenarios_or_none)
register_check("base_year", check_base_year)
register_check("horizon", year_check("horizon"))
register_check("target_year", year_check("target_year"))
for _name in ("trajectories", "target", "working_age_target"):
    register_check(_name, non_negative_check(_name))
