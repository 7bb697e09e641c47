"""cityindicators: socio-economic analysis workbench for Lithuanian municipalities."""

from __future__ import annotations

__version__ = "0.1.0"

from .exceptions import (  # noqa: E402
    AmbiguousTerritoryError,
    CityIndicatorsError,
    ConfigError,
    DataValidationError,
    DatasetNotFoundError,
    FetchError,
    ParseError,
    ProjectionError,
    ReportExecutionError,
    ReportParameterError,
    UnknownTerritoryError,
)
from .geography import Group, Register, Territory, get_register  # noqa: E402
from .store import available_datasets, build, load, population_array  # noqa: E402

__all__ = [
    "__version__",
    "AmbiguousTerritoryError",
    "CityIndicatorsError",
    "ConfigError",
    "DataValidationError",
    "DatasetNotFoundError",
    "FetchError",
    "ParseError",
    "ProjectionError",
    "ReportExecutionError",
    "ReportParameterError",
    "UnknownTerritoryError",
    "Group",
    "Register",
    "Territory",
    "get_register",
    "available_datasets",
    "build",
    "load",
    "population_array",
    "load_plan",
]


def __getattr__(name: str):
    # ``ci.load_plan`` without importing the indicator and projection libraries at package import
    if name == "load_plan":
        from .plans import load_plan

        return load_plan
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
