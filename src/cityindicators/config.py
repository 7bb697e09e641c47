"""Settings: where the data directory is, and where packaged resources live."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover - types only
    import pandas as pd

__all__ = ["DATA_DIR_ENV", "SHARED_DATA_ENV", "DataPaths", "resolve_data_dir", "find_data_dir", "resource_path",
           "KeptData", "kept_data"]

#: Environment variable that sets the data directory (the CLI's ``--data-dir`` wins over it).
DATA_DIR_ENV = "CITYINDICATORS_DATA_DIR"
#: Environment variable that points tests and benchmarks at the real shared data folder.
SHARED_DATA_ENV = "CITYINDICATORS_SHARED_DATA"


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the data directory: the argument, else ``$CITYINDICATORS_DATA_DIR``, else ``./data``."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path("data")


def find_data_dir(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest ``data`` folder with processed tables in ``start`` (default the working
    directory) or one of its parents: a notebook opened in JupyterLab runs in ``notebooks/``,
    while the project's data are in ``../data``. ``None`` when there is none."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / "processed").is_dir():
            return folder / "data"
    return None


@runtime_checkable
class KeptData(Protocol):
    """A data directory that keeps what was read from it: a
    :class:`~cityindicators.workspace.Workspace`, as the store, the indicators and the projection
    see it. They sit below the workspace and may not import it; handed one for ``data_dir``,
    they take its kept tables, count arrays and projection inputs (:func:`kept_data`) instead of
    reading and building them again, so a notebook's ``ws = Workspace(path)`` followed by
    several calls reads each table once."""

    def __fspath__(self) -> str: ...

    def table(self, dataset: str) -> "pd.DataFrame":
        """The processed table ``dataset``, whole (shared: read-only)."""

    def counts(self) -> Any:
        """The count arrays of every territory (:class:`~cityindicators.indicators._counts.Counts`)."""

    def projection_data(self) -> Any:
        """The projection inputs of every territory (:class:`~cityindicators.projection.data.ProjectionData`)."""


def kept_data(data_dir: Any) -> KeptData | None:
    """``data_dir`` when it keeps what was read from it (a workspace), else ``None`` (a path:
    read afresh)."""
    return data_dir if isinstance(data_dir, KeptData) else None


@dataclass(frozen=True)
class DataPaths:
    """The layout of a data directory.

    ``raw/<source>/<dataset>/<date>-<hash>.<ext>`` holds immutable snapshots with ``.meta.json``
    sidecars; ``processed/<dataset>.parquet`` the canonical tables with sidecars, where
    ``processed`` is a link to the current build generation ``generations/<id>/`` (switched
    atomically by each build).
    """

    root: Path

    @classmethod
    def of(cls, data_dir: str | os.PathLike | None = None) -> "DataPaths":
        return cls(resolve_data_dir(data_dir))

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "processed"

    @property
    def generations(self) -> Path:
        """Folder of build generations; ``processed`` links to the current one."""
        return self.root / "generations"

    @property
    def lock_file(self) -> Path:
        """Lock held by every command that writes to the data directory (one writer at a time)."""
        return self.root / ".lock"

    @property
    def store_folders(self) -> tuple[Path, ...]:
        """The folders that only the store writes (raw snapshots, build generations and the
        ``processed`` link to one): a report or an output file put there would be read as data,
        break a snapshot's hash, or be removed with its generation by a later build."""
        return (self.raw, self.generations, self.processed)

    def processed_table(self, dataset: str) -> Path:
        return self.processed / f"{dataset}.parquet"

    def groups_file(self) -> Path:
        """User-defined territory groups of this data directory (optional)."""
        return self.root / "groups.yaml"


def resource_path(*parts: str) -> Path:
    """Path of a file shipped inside the package under ``cityindicators/resources``."""
    return Path(str(resources.files("cityindicators").joinpath("resources", *parts)))
