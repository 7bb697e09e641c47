"""The input tables of a projection, in the canonical tidy form of ``store``.

A :class:`ProjectionData` bundles the frames the estimation reads. It is built from the
processed store (:meth:`ProjectionData.from_store`) or from any frames in the canonical form
(:meth:`ProjectionData.from_frames`, used by tests and by callers with their own data), so the
estimation and the engine never do I/O themselves.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd

from ..exceptions import DatasetNotFoundError, ProjectionError
from ..schema import require_single_ages, split_sexes
from ..schema import both_sexes as both_sexes_of

__all__ = ["ProjectionData"]

log = logging.getLogger(__name__)

_REQUIRED = {
    "population": ("territory_code", "year", "sex", "age", "value"),
    "population_total": ("territory_code", "year", "sex", "value"),
    "births": ("territory_code", "year", "sex", "value"),
    "deaths": ("territory_code", "year", "sex", "age", "value"),
    "deaths_total": ("territory_code", "year", "sex", "value"),
    "life_expectancy": ("territory_code", "year", "sex", "value"),
    "migration": ("territory_code", "year", "flow", "sex", "age", "value"),
    "migration_total": ("territory_code", "year", "flow", "sex", "value"),
    "asfr": ("territory_code", "age", "value"),
}


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in _REQUIRED[name]})


@dataclass
class ProjectionData:
    """Tidy input frames of a projection.

    Attributes
    ----------
    Every frame with a ``sex`` column holds the two sexes only (``male``, ``female``), so it
    sums correctly by any key; the both-sexes figures of each are :meth:`total` (``sex =
    "total"``: published, else male + female). Frames given with both levels (an older
    caller's) are split into the two when the bundle is made.

    population
        Residents at 1 January (``territory_code, year, sex, age, value``; single ages with the
        top one open, flagged by ``open_age`` when present).
    population_total
        Optional published all-ages residents (the estimation does not need them; kept for
        comparisons with the published totals).
    births
        Live births by sex (the both-sexes figures: ``total("births")``).
    deaths
        Deaths by single age (0 = infants; more single ages are used when present).
    deaths_total
        Deaths of all ages (the published totals; the real extract gives them for both sexes
        only: ``total("deaths_total")``).
    life_expectancy
        Published life expectancy at birth (country and counties suffice).
    migration, migration_total
        Optional gross and net flows (``flow`` emigrants, immigrants, internal_arrivals,
        internal_departures...) by single age and of all ages.
    asfr
        Optional age-specific fertility rates (births per woman-year) by ``territory_code`` and
        ``age``; when given for a territory they replace the standard age pattern.
    """

    population: pd.DataFrame
    population_total: pd.DataFrame = field(default_factory=lambda: _empty("population_total"))
    births: pd.DataFrame = field(default_factory=lambda: _empty("births"))
    deaths: pd.DataFrame = field(default_factory=lambda: _empty("deaths"))
    deaths_total: pd.DataFrame = field(default_factory=lambda: _empty("deaths_total"))
    life_expectancy: pd.DataFrame = field(default_factory=lambda: _empty("life_expectancy"))
    migration: pd.DataFrame = field(default_factory=lambda: _empty("migration"))
    migration_total: pd.DataFrame = field(default_factory=lambda: _empty("migration_total"))
    asfr: pd.DataFrame = field(default_factory=lambda: _empty("asfr"))
    #: the both-sexes frame of each input with a ``sex`` column, by name (:meth:`total`); made
    #: from the frames when not given (:meth:`from_store` gives the store's)
    both_sexes: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name, cols in _REQUIRED.items():
            frame = getattr(self, name)
            if frame is None:
                frame = _empty(name)
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise ProjectionError(
                    f"projection input {name!r} lacks column(s) {missing}; expected columns {list(cols)}"
                )
            if name in ("population", "deaths", "migration"):
                require_single_ages(frame, name, origin="projection input")
            if "sex" in cols:
                if name not in self.both_sexes:
                    self.both_sexes[name] = both_sexes_of(frame, name)
                frame = split_sexes(frame)
            setattr(self, name, frame)
        if self.population.empty:
            raise ProjectionError("projection input 'population' is empty"
                                  + (" of men and women (the projection needs the population by sex)"
                                     if len(self.total("population")) else ""))

    def total(self, name: str) -> pd.DataFrame:
        """The both-sexes frame of input ``name`` (``sex = "total"``, one row per key)."""
        if name not in self.both_sexes:
            raise ProjectionError(f"projection input {name!r} has no sex split; inputs with one: "
                                  f"{', '.join(sorted(self.both_sexes))}")
        return self.both_sexes[name]

    @classmethod
    def from_frames(cls, **frames: pd.DataFrame | None) -> "ProjectionData":
        """Build from canonical frames given by dataset name (``population=...``, ``births=...``)."""
        unknown = set(frames) - set(_REQUIRED)
        if unknown:
            raise ProjectionError(f"unknown projection input(s) {sorted(unknown)}; allowed: {sorted(_REQUIRED)}")
        return cls(**{k: v for k, v in frames.items() if v is not None})

    @classmethod
    def from_store(
        cls,
        territories: Sequence[str] | None = None,
        data_dir: str | os.PathLike | None = None,
    ) -> "ProjectionData":
        """Load the inputs from the processed store of ``data_dir``.

        The counties and the country of the territories are loaded as well, because their
        published life expectancy calibrates the mortality schedules. ``population_total``,
        ``migration`` and ``migration_total`` are optional; deaths are needed by age or of all ages.
        A :class:`~cityindicators.workspace.Workspace` (``data_dir``) reads them once: all
        territories' inputs are its own (shared, read-only), a few territories' are cut from its tables.
        """
        from .. import store
        from ..config import kept_data
        from ..geography import get_register

        kept = kept_data(data_dir)
        if kept is not None and territories is None:
            return kept.projection_data()
        reg = get_register(data_dir)
        codes: list[str] | None = None
        if territories is not None:
            wanted = [reg.resolve(t).code for t in territories]
            extra: set[str] = set()
            for c in wanted:
                t = reg.get(c)
                if t.county_code:
                    extra.add(t.county_code)
                extra.add(reg.country_of(c).code)
            codes = sorted(set(wanted) | extra)
        frames: dict[str, pd.DataFrame] = {}
        both: dict[str, pd.DataFrame] = {}
        for name in ("population", "population_total", "births", "deaths", "deaths_total", "life_expectancy",
                     "migration", "migration_total"):
            try:
                frames[name], both[name] = store.load_levels(name, codes, data_dir)
            except DatasetNotFoundError:
                if name in ("population", "births") or (name == "deaths_total" and "deaths" not in frames):
                    raise
                log.info("optional projection input %r not built; continuing without it", name)
        return cls(**frames, both_sexes=both)

    def codes(self) -> list[str]:
        """Territory codes with single-age population data."""
        return sorted(self.population["territory_code"].astype(str).unique())
