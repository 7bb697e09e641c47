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
]
