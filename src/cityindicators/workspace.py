"""One data directory as one object: its paths, register, catalogue, scenarios, tables and counts.

A :class:`Workspace` stands for a data directory. Everything derived from it that several
steps of a command or a report need (the territory register, the indicator catalogue, the
scenarios, the loaded tables, the count arrays, the projection inputs) is computed on first
use and kept, so a report resolves its territory, reads its tables and builds its counts once.
What depends on the processed tables is kept per *generation* of them: after a new
``cityindicators build`` the workspace reads the new tables (:meth:`Workspace.data_version`).

Every function that takes ``data_dir=`` takes a workspace as well: a workspace is a path-like
object (``os.fspath(ws)`` is its folder), so code below this module that only needs paths
keeps working unchanged, and code above it turns either form into a workspace with
:func:`as_workspace`. The common entry points below it read through the workspace's cache
when handed one (they see it as :class:`~cityindicators.config.KeptData`, without importing
this module): :func:`~cityindicators.store.load` filters its table,
:func:`~cityindicators.indicators.compute_indicators`, the comparisons, ranks and changes
compute on its count arrays, and :meth:`~cityindicators.projection.data.ProjectionData.from_store`
(so ``project`` and ``find_inflow``) takes its projection inputs::

    ws = Workspace("data")             # or as_workspace(data_dir): a path, None or a Workspace
    ws.register.resolve("Visaginas")
    compute_indicators(["share_65_plus"], "Visaginas", data_dir=ws)    # builds ws.counts() once
    comparison_table("Visaginas", 2018, data_dir=ws)                   # the same counts
    project("Visaginas", to_year=2040, data_dir=ws)                    # ws.projection_data()

The workspace sits above the store, indicators and projection (it calls them) and below the
reports and the command line (which use it); the modules it calls are imported on first use,
so creating one costs no pandas import (the quick CLI commands stay quick).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Hashable, TypeVar

from .build_cache import computed_once, data_version
from .config import DataPaths, resolve_data_dir

if TYPE_CHECKING:  # pragma: no cover - types only
    import pandas as pd

    from .geography import Register
    from .indicators._counts import Counts
    from .projection.data import ProjectionData

__all__ = ["Workspace", "as_workspace", "data_version"]

T = TypeVar("T")


class Workspace(os.PathLike):
    """A data directory with what is derived from it, each computed once.

    Parameters
    ----------
    data_dir
        The folder (default ``$CITYINDICATORS_DATA_DIR`` or ``./data``); kept absolute, since
        report kernels run in other working directories.
    """

    def __init__(self, data_dir: str | os.PathLike | None = None):
        self.root: Path = resolve_data_dir(data_dir).expanduser().resolve()
        self.paths = DataPaths(self.root)
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._derived: dict[Hashable, Any] = {}

    def __fspath__(self) -> str:
        return str(self.root)

    def __str__(self) -> str:  # where a path is printed or formatted, the folder
        return str(self.root)

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    def __reduce__(self):  # to a worker process as its folder; what was computed stays here
        return (Workspace, (str(self.root),))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Workspace) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    # -- what does not depend on the processed tables ----------------------------------------

    @property
    def register(self) -> "Register":
        """The territory register with this directory's groups (``groups.yaml``)."""
        from .geography import get_register

        return get_register(self.root)  # cached by the groups file it reads

    @property
    def catalogue(self) -> "pd.DataFrame":
        """The indicator catalogue (one row per indicator)."""
        from .indicators.catalogue import catalogue_frame

        return catalogue_frame()

    def scenarios(self) -> dict[str, Any]:
        """Scenarios by name: shipped ones and this directory's ``scenarios/*.yaml``."""
        from .projection.scenarios import list_scenarios

        return list_scenarios(data_dir=self.root)

    # -- what is derived from the processed tables (kept per generation) ---------------------

    def data_version(self) -> tuple:
        """:func:`data_version` of this directory's processed tables."""
        return data_version(self.paths)

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` kept under ``key`` until the processed tables change.

        For computations of the layers above (a report's indicators of every territory):
        what is returned is shared, so callers must treat it as read-only.
        """
        version = self.data_version()
        with self._lock:
            if version != self._version:
                self._derived.clear()
                self._version = version
            if key in self._derived:
                return self._derived[key]
        value = compute()
        with self._lock:
            if self._version == version:
                self._derived[key] = value
        return value

    def tables(self) -> dict[str, "pd.DataFrame"]:
        """The processed tables the indicators read (:func:`cityindicators.indicators.load_data`:
        ``tables()["births"]`` men and women, ``tables()[both_sexes_key("births")]`` both sexes)."""
        from .indicators import load_data

        return self.derived("tables", lambda: self._kept_with_build("tables", lambda: load_data(data_dir=self)))

    def table(self, dataset: str) -> "pd.DataFrame":
        """One processed table as stored, every row and sex level
        (:func:`cityindicators.store.stored_table`), read once per generation and shared
        (read-only): :func:`~cityindicators.store.load` handed this workspace filters it."""
        from . import store

        return self.derived(("table", dataset), lambda: store.stored_table(dataset, data_dir=self.root))

    def years_and_ages(self, dataset: str) -> "pd.DataFrame":
        """The distinct ``year`` values of a stored table, with ``age`` for a table by age (one row
        per year and age): what a summary of the table needs (the years it covers, whether deaths
        by age hold age 0 only), kept with the build so that a new process does not read the table."""

        def compute() -> "pd.DataFrame":
            frame = self.table(dataset)
            return frame[[c for c in ("year", "age") if c in frame.columns]].drop_duplicates(ignore_index=True)

        return self.derived(("years-ages", dataset), lambda: self._kept_with_build(f"years-ages {dataset}", compute))

    def population_year_spans(self) -> dict[str, tuple[int, int]]:
        """Each territory's first and last year of population by single age, kept with the build: a
        report's command checks its years against them, and writes them in the report's footer, without
        reading the table (some 0.6 s in a new process on the lt-osp extract)."""

        def compute() -> dict[str, tuple[int, int]]:
            pop = self.table("population")
            years = pop.groupby(pop["territory_code"].astype(str), sort=False)["year"].agg(["min", "max"])
            return {str(c): (int(lo), int(hi)) for c, lo, hi in years.itertuples()}

        return self.derived("population-year-spans",
                            lambda: self._kept_with_build("population-year-spans", compute))

    def latest_population_years(self) -> dict[str, int]:
        """Each territory's latest year of population by single age (the base a projection takes when
        none is given; :meth:`population_year_spans`)."""
        return {code: last for code, (_, last) in self.population_year_spans().items()}

    def counts(self) -> "Counts":
        """The count arrays of every territory (:func:`~cityindicators.indicators._counts.build_counts`)."""
        from .indicators._counts import build_counts

        return self.derived("counts", lambda: self._kept_with_build("counts", lambda: build_counts(self.tables())))

    def _kept_with_build(self, what: str, compute: Callable[[], T]) -> T:
        """``compute()``, kept on disk with the build (:func:`~cityindicators.build_cache.computed_once`):
        a new process, such as each report's kernel, reads one file instead of reading and splitting
        every table (the tables 0.7 s, the counts 0.2 s on the lt-osp extract; read back, some 0.05 s).
        The key names the tables' files as they are (a table rewritten in place is not the one kept)
        and the pandas and pyarrow that pickled it (another version may not read it alike). Nothing
        built (no ``processed`` folder): computed, and no folder made for it."""
        if not self.paths.processed.is_dir():
            return compute()
        import pandas as pd
        import pyarrow

        key = ("workspace", what, pd.__version__, pyarrow.__version__, self.data_version())
        return computed_once(key, self.root, compute, on_disk=True)

    def projection_data(self) -> "ProjectionData":
        """The projection's inputs for every territory (:meth:`ProjectionData.from_store`)."""
        from .projection.data import ProjectionData

        # the folder, not the workspace: from_store hands a workspace's call back to this method
        return self.derived("projection_data", lambda: ProjectionData.from_store(data_dir=self.root))


_WORKSPACES: dict[Path, Workspace] = {}
_WS_LOCK = threading.Lock()
#: Workspaces kept at most by :func:`as_workspace` (a process rarely uses more than two folders).
MAX_WORKSPACES = 8


def as_workspace(where: str | os.PathLike | Workspace | None = None) -> Workspace:
    """The workspace of ``where``: itself when it is one, else the process's one workspace of
    that folder (so two calls with the same path share what was computed)."""
    if isinstance(where, Workspace):
        return where
    root = resolve_data_dir(where).expanduser().resolve()
    with _WS_LOCK:
        ws = _WORKSPACES.get(root)
        if ws is None:
            if len(_WORKSPACES) >= MAX_WORKSPACES:
                _WORKSPACES.pop(next(iter(_WORKSPACES)))
            ws = _WORKSPACES[root] = Workspace(root)
        return ws
