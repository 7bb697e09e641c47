"""What every file import shares: its result, the refusal of a table without rows, and the
validation of every parsed table before anything is stored (:mod:`.extract`, :mod:`.files`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..exceptions import DataValidationError
from ..schema import canonical
from ..snapshots import StoredSnapshot

__all__ = ["ImportResult", "check_not_empty", "record_snapshot", "validation_warnings"]


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


def validation_warnings(frames: dict[str, pd.DataFrame], path: Path) -> list[str]:
    """Validate every parsed table of ``path`` as the build will (:func:`cityindicators.schema.canonical`:
    all-ages rows to their own table, each table validated, the single ages checked against the
    all-ages figures; it raises on the first error, naming the file and line) and return the warnings.

    The frames are taken out of ``frames`` (an extract's tables are large; each parsed frame is
    freed once it is checked); count their rows first.
    """
    checked = canonical({name: frames.pop(name).assign(source=str(path)) for name in list(frames)}, str(path))
    return [w for frame in checked.values() for w in frame.attrs.get("validation_warnings", [])]


def record_snapshot(result: ImportResult, stored: StoredSnapshot) -> None:
    """Add a stored snapshot to ``result`` as new or unchanged."""
    (result.snapshots if stored.new else result.unchanged).append(stored.path)
