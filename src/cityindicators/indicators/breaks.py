"""The register of known breaks in the series: where a change or a comparison misleads.

``resources/breaks.csv`` lists, for a territory (``*`` = every territory), a year, the series
it concerns (indicator ids or dataset names, space-separated) and a note in both languages.
Two kinds:

``level``
    the series steps at ``year`` (a census revision, a changed area): values from ``year`` on
    are not comparable with those before, so a change from ``y0 < year`` to ``y1 >= year``
    crosses it.
``outlier``
    the value of ``year`` itself is exceptional (the 2010 declaration wave of emigrants): any
    period that contains ``year`` contains it.

Reports mark the breaks on their charts and say them in the text; comparisons keep a
territory's own break out of z-scores (:func:`cityindicators.indicators.comparison_table`).
Breaks of every territory (``*``) move all municipalities alike and do not distort z-scores.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Iterable

import pandas as pd

from ..exceptions import CityIndicatorsError, ConfigError

__all__ = ["ALL_TERRITORIES", "load_breaks", "breaks_for", "break_records", "break_crossed", "break_notes",
           "own_break_mask"]

#: Territory code of a break that concerns every territory.
ALL_TERRITORIES = "*"
_KINDS = ("level", "outlier")
_COLUMNS = ["territory", "year", "series", "kind", "note_lt", "note_en"]


@lru_cache(maxsize=None)
def load_breaks() -> pd.DataFrame:
    """The register as a frame (columns ``territory, year, series, kind, note_lt, note_en``;
    ``series`` is a tuple of ids), one row per break."""
    path = resources.files("cityindicators") / "resources" / "breaks.csv"
    with path.open(encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype={"territory": str, "series": str}, keep_default_na=False)
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigError(f"{path}: missing column(s) {missing}")
    bad = frame[~frame["kind"].isin(_KINDS)]
    if len(bad):
        raise ConfigError(f"{path}: line {int(bad.index[0]) + 2}: kind must be one of {_KINDS}, "
                          f"got {bad['kind'].iloc[0]!r}")
    frame["year"] = frame["year"].astype(int)
    frame["series"] = [tuple(s.split()) for s in frame["series"]]
    return frame[_COLUMNS]


def _series_of(indicator: str) -> set[str]:
    """The ids a break row may name for ``indicator``: the id and its datasets."""
    from .catalogue import get_indicator

    names = {indicator}
    try:
        names.update(get_indicator(indicator).datasets)
    except CityIndicatorsError:  # a published indicator outside the catalogue: its id only
        pass
    return names


@lru_cache(maxsize=None)
def _positions_for(indicator: str) -> tuple[int, ...]:
    """Positions in the register of the rows concerning ``indicator``, found once per indicator:
    a report asks for the same indicators' breaks some 60 times, and the register is the
    package's own file, read once."""
    names = _series_of(indicator)
    return tuple(i for i, s in enumerate(load_breaks()["series"]) if names & set(s))


@lru_cache(maxsize=None)
def _records_for(indicator: str) -> tuple:
    return tuple(load_breaks().iloc[list(_positions_for(indicator))].itertuples(index=False, name="Break"))


def break_records(indicator: str, territory: str | None = None) -> tuple:
    """The rows of :func:`breaks_for` as named tuples (``r.territory, r.year, r.series, r.kind,
    r.note_lt, r.note_en``), for loops over breaks: no frame built."""
    rows = _records_for(indicator)
    if territory is None:
        return rows
    return tuple(r for r in rows if r.territory in (ALL_TERRITORIES, str(territory)))


def breaks_for(indicator: str, territory: str | None = None) -> pd.DataFrame:
    """Breaks concerning ``indicator`` (named, or through one of its datasets), for
    ``territory`` (its own and those of every territory) or, with ``None``, for any."""
    reg = load_breaks()
    rows = reg.iloc[list(_positions_for(indicator))]
    if territory is not None:
        rows = rows[rows["territory"].isin([ALL_TERRITORIES, str(territory)])]
    return rows.reset_index(drop=True)


def break_crossed(kind: str, year: int, y0: int, y1: int | None = None) -> bool:
    """Whether a break of ``kind`` at ``year`` affects the change from ``y0`` to ``y1`` (with
    ``y1`` None: the value of ``y0`` alone)."""
    if y1 is None:
        return kind == "outlier" and year == y0
    lo, hi = min(y0, y1), max(y0, y1)
    return lo < year <= hi if kind == "level" else lo <= year <= hi


def break_notes(indicators: Iterable[str], territory: str, y0: int, y1: int | None = None,
                lang: str = "lt") -> list[tuple[int, str]]:
    """``(year, note)`` of the breaks of ``territory`` that affect ``indicators`` between ``y0``
    and ``y1`` (each break once), by year."""
    seen: dict[tuple, tuple[int, str]] = {}
    for ind in indicators:
        for r in break_records(ind, territory):
            if break_crossed(r.kind, r.year, y0, y1):
                seen[(r.territory, r.year, r.series)] = (int(r.year), getattr(r, f"note_{lang}"))
    return sorted(seen.values())


def own_break_mask(indicators: list[str], territories: list[str], y0: int, y1: int | None = None):
    """Boolean array [indicator, territory]: True where a break of that territory itself (not
    one of every territory) affects the indicator from ``y0`` to ``y1`` (or in ``y0``)."""
    import numpy as np

    mask = np.zeros((len(indicators), len(territories)), dtype=bool)
    pos = {c: j for j, c in enumerate(territories)}
    for i, ind in enumerate(indicators):
        for r in break_records(ind):
            if r.territory != ALL_TERRITORIES and r.territory in pos and break_crossed(r.kind, r.year, y0, y1):
                mask[i, pos[r.territory]] = True
    return mask
