"""What every report of a batch computes the same way, computed once per process.

The reports of a batch differ by territory, but a few of their inputs are the same for all:
the count arrays of every territory (:func:`~cityindicators.indicators._counts.build_counts`),
the indicators of every territory and year, and the back-test of all municipalities behind the
accuracy section. A batch worker keeps its kernel warm from report to report
(:mod:`.kernels`), so these are kept here, keyed by what they are and by the version of the
data they come from (the processed tables' resolved paths, sizes and modification times): a new
build is new data, computed afresh. Callers must treat what they get as read-only.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Hashable, TypeVar

__all__ = ["data_version", "computed_once", "clear"]

T = TypeVar("T")

_MEMO: dict[tuple, Any] = {}
_lock = threading.Lock()
#: Results kept at most (a worker runs reports of one data version, rarely two).
MAX_ITEMS = 16


def data_version(data_dir: str | Path) -> tuple:
    """The version of the processed tables of ``data_dir``: their resolved paths (a build
    switches to a new generation folder), sizes and modification times
    (:func:`cityindicators.workspace.data_version`)."""
    from ..config import DataPaths
    from ..workspace import data_version as tables_version

    return tables_version(DataPaths.of(data_dir))


def computed_once(key: Hashable, data_dir: str | Path, compute: Callable[[], T]) -> T:
    """``compute()`` for ``key`` and this version of the data, computed on the first call only."""
    full = (key, data_version(data_dir))
    with _lock:
        if full in _MEMO:
            return _MEMO[full]
    value = compute()
    with _lock:
        if len(_MEMO) >= MAX_ITEMS:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[full] = value
    return value


def clear() -> None:
    """Forget every kept result."""
    with _lock:
        _MEMO.clear()
