"""Checks of named run parameters, registered by the modules that own the parameter.

A report template declares parameters (``territory``, ``scenarios``, ``plan``...); each one's
value is checked before anything runs by the function its owner registered here: the
projection checks ``scenarios`` and ``base_year`` (:mod:`cityindicators.projection.parameters`),
the plans check ``plan`` (:mod:`cityindicators.plans.parameters`), the reports the rest
(:mod:`cityindicators.reports.parameters`). A leaf module, so that an owner below the reports
registers without importing them. A check is ``check(value, params, data_dir) -> value``: it
returns the normalised value or raises :class:`~cityindicators.exceptions.ReportParameterError`
naming the parameter. ``data_dir`` is the report's data directory as a workspace (path-like,
:class:`~cityindicators.config.KeptData`: hand it on as ``data_dir=``), or ``None``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from .exceptions import ReportParameterError

__all__ = ["Check", "CHECKS", "register_check", "check_year", "year_check", "non_negative_check"]

Check = Callable[[Any, dict, "Path | None"], Any]
#: parameter name -> its owner's check
CHECKS: dict[str, Check] = {}


def register_check(name: str, check: Check) -> Check:
    """Register ``check`` for the parameter ``name`` (a second owner of the same name is a bug)."""
    owner = CHECKS.get(name)
    if owner is not None and owner is not check and getattr(owner, "__qualname__", "") != check.__qualname__:
        raise ValueError(f"parameter {name!r} has a check already ({owner.__module__}.{owner.__qualname__})")
    CHECKS[name] = check
    return check


def check_year(name: str, y: Any) -> int:
    """``y`` as a year between 1950 and 2100, or an error naming the parameter."""
    if not isinstance(y, int) or isinstance(y, bool) or not 1950 <= y <= 2100:
        raise ReportParameterError(f"parameter {name!r}: {y!r} is not a year between 1950 and 2100")
    return y


def year_check(name: str) -> Check:
    """The check of a parameter that holds one year."""
    def check(value: Any, params: dict, data_dir: Path | None) -> Any:
        return check_year(name, value)

    check.__qualname__ = f"year_check.{name}"
    return check


def non_negative_check(name: str) -> Check:
    """The check of a count that may be zero (``None`` allowed)."""
    def check(value: Any, params: dict, data_dir: Path | None) -> Any:
        if value is not None and value < 0:
            raise ReportParameterError(f"parameter {name!r}: must be zero or positive, got {value!r}")
        return value

    check.__qualname__ = f"non_negative_check.{name}"
    return check
