"""What every file import shares: its result, the refusal of a table without rows, and the
validation of every parsed table before anything is stored (:mod:`.extract`, :mod:`.files`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._io import read_sidecar
from ..exceptions import DataValidationError
from ..schema import canonical
from ..snapshots import StoredSnapshot

__all__ = ["ImportResult", "check_not_empty", "stated_date_meta", "record_snapshot", "validation_warnings"]


@dataclass
class ImportResult:
    """Snapshots written by an import, snapshots already stored with identical bytes, and rows read."""

    snapshots: list[Path]
    rows: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        parts = "; ".join(f"{name}: {n:,} rows" for name, n in self.rows.items())
        if self.snapshots:
            lines = [f"imported {len(self.snapshots)} file(s): {parts}"]
        else:
            lines = [f"nothing new to import ({parts})"]
        lines += [f"unchanged: {p} already holds these exact bytes; nothing written" for p in self.unchanged]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def check_not_empty(frames: dict[str, pd.DataFrame], path: Path, allow_empty: bool) -> None:
    """An import that yields a table without rows is an error unless the user allows it.

    A header-only file is more often a failed export than a statement that nothing happened,
    and importing it would hide the gap; ``--allow-empty`` says it is meant.
    """
    if allow_empty:
        return
    for name, frame in frames.items():
        if frame.empty or frame["value"].isna().all():
            raise DataValidationError(
                f"{path}: no data rows for {name} (a header only, or every value blank); nothing was stored. "
                "Use --allow-empty if the table is meant to be empty"
            )


def stated_date_meta(source_date: str | None) -> dict[str, str]:
    """``{"source_date": day}`` for the sidecar of a file whose own date (the day its publisher
    released it) the user states at import, ``{}`` for none: the sources table of a report gives
    it as the source's date, where otherwise only the data's latest year and the import day are
    known. ``day`` is ``YYYY-MM-DD``.

    Raises
    ------
    DataValidationError
        ``source_date`` is not a calendar day written ``YYYY-MM-DD``, or is after today.
    """
    import datetime as _dt

    if not source_date:
        return {}
    try:
        day = _dt.date.fromisoformat(str(source_date))
    except ValueError:
        day = None
    if day is None or len(str(source_date)) != 10:
        raise DataValidationError(f"--source-date {source_date!r}: not a day written YYYY-MM-DD (e.g. 2018-03-15)")
    today = _dt.date.today()
    if day > today:  # a mistyped year (2099) would date the report's source after the report itself
        raise DataValidationError(f"--source-date {source_date}: after today ({today.isoformat()}); the day the file "
                                  f"was released is in the past")
    return {"source_date": day.isoformat()}


def validation_warnings(frames: dict[str, pd.DataFrame], path: Path) -> list[str]:
    """Validate every parsed table of ``path`` as the build will (:func:`cityindicators.schema.canonical`:
    all-ages rows to their own table, each table validated, the single ages checked against the
    all-ages figures; it raises on the first error, naming the file and line) and return the warnings.

    The frames are taken out of ``frames`` (an extract's tables are large; each parsed frame is
    freed once it is checked); count their rows first.
    """
    checked = canonical({name: frames.pop(name).assign(source=str(path)) for name in list(frames)}, str(path))
    return [w for frame in checked.values() for w in frame.attrs.get("validation_warnings", [])]


def record_snapshot(result: ImportResult, stored: StoredSnapshot, stated: dict[str, str] | None = None) -> None:
    """Add a stored snapshot to ``result`` as new or unchanged. ``stated``: the import's
    :func:`stated_date_meta`; a snapshot already stored keeps its sidecar (snapshots are never
    rewritten), so a date it does not hold is said not to be recorded."""
    (result.snapshots if stored.new else result.unchanged).append(stored.path)
    if stated and not stored.new:
        kept = (read_sidecar(stored.path) or {}).get("source_date")
        if kept != stated["source_date"]:
            result.warnings.append(f"{stored.path}: already stored (with source date {kept or 'none'}); "
                                   f"--source-date {stated['source_date']} is not recorded for it")
