"""Checks of an imported table of published indicators against the catalogue.

``cityindicators import indicators`` stores the file as it is (``sources/files.py``, which may not
see the catalogue); the CLI hands it :func:`check_published_table`, which the import runs on the
parsed table before anything is stored:

- a row whose unit is not the catalogue's unit of its indicator (after
  :func:`~.catalogue.normalise_unit`: ``proc.`` is ``%``, ``fraction`` is ``fraction of
  population``; a blank unit claims none and is read in the catalogue's) is refused: a rate per
  1,000 given as a percentage, or thousands of euros as euros, would be quoted by the reports in
  the catalogue's unit;
- a value outside the indicator's :attr:`~.catalogue.Indicator.bounds` (a share below 0 or
  above 100, a negative count or amount) is refused;
- indicators the catalogue does not know are imported (a later catalogue may know them) with one
  warning naming them: the reports quote only the catalogue's published indicators.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError
from ..schema import LINE
from .catalogue import CATALOGUE, PUBLISHED_PREFIX, Indicator

__all__ = ["check_published_table"]

#: Unknown indicators named in the warning; more are counted.
_NAMED = 10


def check_published_table(table: pd.DataFrame, path: str | Path) -> list[str]:
    """Check ``table`` (``parse_indicator_file``'s ``published_indicators``: ``indicator``,
    ``unit``, ``value`` and the file's line of each row) against the catalogue.

    Returns
    -------
    list[str]
        Warnings: one naming the indicators the catalogue does not know, if any.

    Raises
    ------
    DataValidationError
        The first row (in file order) whose unit is not the catalogue's, then the first whose
        value is outside its indicator's bounds; the one-line message names the file, the row
        (its line in the file), the field, the catalogue's unit and how many rows share the fault.
    """
    unknown: list[str] = []
    unit_faults: list[pd.DataFrame] = []
    range_faults: list[tuple[pd.DataFrame, Indicator]] = []
    for name, rows in table.groupby("indicator", sort=False):
        entry = CATALOGUE.get(_published_id(str(name)))
        if entry is None:
            unknown.append(str(name))
            continue
        units = rows["unit"].fillna("").astype(str)
        # each distinct spelling checked once; a blank unit claims none
        bad = [u for u in units.unique() if u.strip() and not entry.unit_matches(u)]
        wrong = rows[units.isin(bad)]
        if len(wrong):
            unit_faults.append(wrong.assign(_expected=entry.unit))
        outside = rows[_outside(rows["value"].to_numpy(dtype=float), entry.bounds)]
        if len(outside):
            range_faults.append((outside, entry))
    if unit_faults:
        _refuse_units(pd.concat(unit_faults), path)
    if range_faults:
        _refuse_values(range_faults, path)
    return [_unknown_warning(unknown, path)] if unknown else []


def _published_id(indicator: str) -> str:
    return indicator if indicator.startswith(PUBLISHED_PREFIX) else PUBLISHED_PREFIX + indicator


def _outside(values: np.ndarray, bounds: tuple[float | None, float | None]) -> np.ndarray:
    """Rows whose (known) value is below the least or above the greatest bound; a blank is missing,
    not out of range."""
    low, high = bounds
    out = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        if low is not None:
            out |= values < low
        if high is not None:
            out |= values > high
    return out


def _row(frame: pd.DataFrame, i: int = 0) -> str:
    return f"row {int(frame[LINE].iloc[i])}" if LINE in frame else "a row"


def _more(n: int) -> str:
    return f" (and {n - 1} more row(s))" if n > 1 else ""


def _refuse_units(faults: pd.DataFrame, path) -> None:
    faults = faults.sort_values(LINE, kind="mergesort") if LINE in faults else faults
    first = faults.iloc[0]
    raise DataValidationError(
        f"{path}: {_row(faults)}: field 'unit': {first['unit']!r} is not the catalogue's unit of indicator "
        f"{first['indicator']!r} ({first['_expected']!r}){_more(len(faults))}; nothing was stored. "
        f"Give the values in {first['_expected']!r}")


def _refuse_values(faults: list[tuple[pd.DataFrame, Indicator]], path) -> None:
    def line(item):
        rows = item[0]
        return int(rows[LINE].min()) if LINE in rows else 0

    rows, entry = min(faults, key=line)
    rows = rows.sort_values(LINE, kind="mergesort") if LINE in rows else rows
    first = rows.iloc[0]
    n = sum(len(r) for r, _ in faults)
    raise DataValidationError(
        f"{path}: {_row(rows)}: field 'value': {first['value']:g} of indicator {first['indicator']!r} (unit "
        f"{entry.unit!r}) {_why_outside(entry)}{_more(n)}; nothing was stored")


def _why_outside(entry: Indicator) -> str:
    low, high = entry.bounds
    if low is not None and high is not None:
        return f"is outside {low:g}-{high:g}" + (" (a share in percent)" if entry.unit == "%" else "")
    if low is not None:
        return "is negative, which it cannot be" if low == 0 else f"is below {low:g}, its least value"
    return f"is above {high:g}, its greatest value"


def _unknown_warning(names: list[str], path) -> str:
    shown = ", ".join(names[:_NAMED]) + (f" and {len(names) - _NAMED} more" if len(names) > _NAMED else "")
    return (f"{path}: {len(names)} indicator(s) not in the catalogue: {shown}; imported, but the reports will "
            f"not use them (see 'cityindicators indicators --list')")
