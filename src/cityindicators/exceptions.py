"""Exceptions raised by cityindicators.

All errors derive from :class:`CityIndicatorsError`, so a caller can catch one type. Messages
name the file, row, field or key at fault and the expected form.
"""

from __future__ import annotations

__all__ = [
    "CityIndicatorsError",
    "ConfigError",
    "StorageError",
    "FetchError",
    "ParseError",
    "DataValidationError",
    "DatasetNotFoundError",
    "UnknownTerritoryError",
    "AmbiguousTerritoryError",
    "ProjectionError",
    "ReportParameterError",
    "ReportExecutionError",
]


class CityIndicatorsError(Exception):
    """Base class of every error raised by cityindicators."""


class ConfigError(CityIndicatorsError):
    """A configuration file or setting is invalid (names the key and the allowed values)."""


class StorageError(CityIndicatorsError):
    """A file could not be written or read (read-only folder, full disk, a folder where a file
    should be ...); names the path and the problem. Nothing stored was changed."""


class FetchError(CityIndicatorsError):
    """A remote source could not be reached or answered with an error."""


class ParseError(CityIndicatorsError):
    """A response or file could not be parsed (names the file and position)."""


class DataValidationError(CityIndicatorsError):
    """Data failed a validation check (names the file, rows and field)."""


class DatasetNotFoundError(CityIndicatorsError):
    """A processed dataset or raw snapshot that was asked for does not exist."""


class UnknownTerritoryError(CityIndicatorsError, LookupError):
    """A territory name or code could not be resolved."""

    def __init__(self, message: str, query: str = "", suggestions: list[str] | None = None):
        super().__init__(message)
        self.query = query
        self.suggestions = list(suggestions or [])


class AmbiguousTerritoryError(UnknownTerritoryError):
    """A territory name matches more than one territory."""

    def __init__(self, message: str, query: str = "", candidates: list[str] | None = None):
        super().__init__(message, query=query, suggestions=candidates)
        self.candidates = list(candidates or [])


class ProjectionError(CityIndicatorsError):
    """A projection could not be run (bad inputs, no data, unreachable target...)."""


class ReportParameterError(CityIndicatorsError):
    """A report was given unknown or invalid parameters."""


class ReportExecutionError(CityIndicatorsError):
    """A report notebook failed while executing."""
