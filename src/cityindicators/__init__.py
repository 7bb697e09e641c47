"""cityindicators: socio-economic analysis workbench for Lithuanian municipalities.

``import cityindicators`` is light: the public functions below are imported on first use
(PEP 562 module ``__getattr__``), so the command line's quick commands (``resolve``,
``--help``) start without loading pandas, pandera or numpy. ``ci.load``, ``ci.project`` and
the others work as plain attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

from ._lazy import make_lazy  # noqa: E402
from .exceptions import (  # noqa: E402 - light: no third-party imports
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

#: Public name -> the module that defines it, imported when the name is first used.
_LAZY: dict[str, str] = {
    "Group": "geography",
    "Register": "geography",
    "Territory": "geography",
    "get_register": "geography",
    "available_datasets": "store",
    "build": "store",
    "load": "store",
    "population_array": "store",
    "compute_indicators": "indicators",
    "comparison_table": "indicators",
    "rank_table": "indicators",
    "project": "projection",
    "find_inflow": "projection",
    "list_scenarios": "projection",
    "load_scenario": "projection",
    "load_plan": "plans",
}

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
    *_LAZY,
]


make_lazy(__name__)


if TYPE_CHECKING:  # for type checkers and IDEs: the names as eager imports
    from .geography import Group, Register, Territory, get_register
    from .indicators import comparison_table, compute_indicators, rank_table
    from .plans import load_plan
    from .projection import find_inflow, list_scenarios, load_scenario, project
    from .store import available_datasets, build, load, population_array
