"""Check of the run parameter the plans own (``plan``: a plan file for the report's territory),
registered in :mod:`cityindicators.parameter_checks`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import resource_path
from ..exceptions import CityIndicatorsError, ReportParameterError
from ..parameter_checks import register_check

__all__ = ["check_plan"]


def check_plan(value: Any, params: dict, data_dir: Path | None) -> str:
    """A plan file for the report's territory, checked in full before anything runs (absolute path,
    as the kernel runs in a staging folder); empty = the shipped demonstration plan."""
    from .plan import load_plan

    path = Path(value) if value else resource_path("plans", "eglynas.yaml")
    try:
        plan = load_plan(path, data_dir=data_dir)
    except CityIndicatorsError as exc:
        raise ReportParameterError(f"parameter 'plan': {exc}") from exc
    code = params.get("territory")
    if code and plan.territory.code != code:
        raise ReportParameterError(f"parameter 'plan': {path} is a plan for {plan.territory.name_lt} "
                                   f"({plan.territory.code}), not for territory {code}")
    return str(path.resolve())


register_check("plan", check_plan)
