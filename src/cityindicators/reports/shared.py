"""What every report of a batch computes the same way, computed once per batch.

The reports of a batch differ by territory, but a few of their inputs are the same for all:
the count arrays of every territory (:func:`~cityindicators.indicators._counts.build_counts`),
the indicators of every territory and year, the back-test of all municipalities behind the
accuracy section, the reference rates of all municipalities behind every projection and the
interval model fitted on the back-test's errors behind the calibrated fan chart. A
batch worker keeps its kernel warm from report to report (:mod:`.kernels`), so these are kept
here in memory, keyed by what they are and by the version of the data they come from (the
processed tables' resolved paths, sizes and modification times): a new build is new data,
computed afresh.

The costlier ones (``on_disk=True``) are also kept on disk, in the build's generation folder
(``processed/derived/shared/``, so a new build starts without them and they go with their
generation): the first report of a batch that needs one computes it under a file lock, and
every other worker of the batch, and every later run on the same build, reads it instead of
computing it again. The files are pickles written by this package into the user's own data
directory, read only from there. Callers must treat what they get as read-only.

Every use is noted (``computed``, ``read`` from disk, ``kept`` in memory from an earlier
report): in a report kernel in memory, written once into ``<report folder>/.shared.json`` when
the report's cells have all run (:func:`write_uses`, called by the runner through
:meth:`~cityindicators.reports.kernels.ReportKernel.finish`), which the runner moves into the
report's manifest (``"shared"``), so a batch can show that each was computed once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import threading
from pathlib import Path
from typing import Any, Callable, Hashable, Iterator, TypeVar

__all__ = ["data_version", "computed_once", "clear", "disk_folder", "USES_FILE", "write_uses", "read_uses"]

T = TypeVar("T")
log = logging.getLogger(__name__)

_MEMO: dict[tuple, Any] = {}
_lock = threading.Lock()
#: Results kept at most (a worker runs reports of one data version, rarely two).
MAX_ITEMS = 16
#: File in a report's folder where the kernel notes its uses of shared results.
USES_FILE = ".shared.json"


def data_version(data_dir: str | Path) -> tuple:
    """The version of the processed tables of ``data_dir``: their resolved paths (a build
    switches to a new generation folder), sizes and modification times
    (:func:`cityindicators.workspace.data_version`)."""
    from ..config import DataPaths
    from ..workspace import data_version as tables_version

    return tables_version(DataPaths.of(data_dir))


def disk_folder(data_dir: str | os.PathLike) -> Path:
    """``processed/derived/shared/`` of the build ``data_dir`` currently publishes."""
    from ..config import DataPaths

    return DataPaths.of(data_dir).processed.resolve() / "derived" / "shared"


def _label(key: Hashable) -> str:
    """A key as text: ``("backtest-all", 2013, 5)`` -> ``backtest-all 2013 5``."""
    return " ".join(str(k) for k in key) if isinstance(key, tuple) else str(key)


#: This report's uses, noted in memory: ``(report folder, {label: how})``.
_USES: list[tuple[Path, dict[str, str]]] = []


def _note(key: Hashable, how: str) -> None:
    """Note a use for the report being written (nothing outside a report run); the notes are
    written once, when the report's cells have all run (:func:`write_uses`)."""
    from .exports import export_dir

    folder = export_dir()
    if folder is None:
        return
    with _lock:
        if not _USES or _USES[0][0] != folder:  # a new report (the one before failed unwritten)
            _USES[:] = [(folder, {})]
        _USES[0][1][_label(key)] = how


def write_uses() -> None:
    """Write this report's notes into ``<report folder>/.shared.json`` and forget them (the
    report kernel, once its cells have all run; :func:`read_uses` is the runner's side)."""
    with _lock:
        noted, _USES[:] = (_USES[0] if _USES else None), []
    if noted is None or not noted[0].is_dir():
        return
    try:
        (noted[0] / USES_FILE).write_text(json.dumps(noted[1]), encoding="utf-8")
    except OSError as exc:  # a note lost is no reason to fail a report
        log.debug("shared-use note not written: %s", exc)


def read_uses(folder: Path) -> dict[str, str]:
    """The uses a report's kernel noted in ``folder`` (the file is removed)."""
    path = Path(folder) / USES_FILE
    try:
        uses = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    finally:
        path.unlink(missing_ok=True)
    return {str(k): str(v) for k, v in uses.items()}


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created), held by one process of the batch at a time."""
    import fcntl

    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_CODE_VERSION: list[str] = []


def code_version() -> str:
    """The package's version and a digest of its source files (names, sizes, modification
    times): a result kept on disk by other code, even of the same version number (an edited
    checkout), is not the result of this code.

    Computed once per process, only by a process that reads or writes the disk cache (a report
    kernel, a batch worker): some 120 ``stat`` calls, 16 ms measured on a loaded 2-core
    machine, against the seconds of the results it keys. The installed version alone would
    not tell an edited checkout from the code that wrote a file; the modules a result depends
    on would have to be listed by hand and kept up to date."""
    if not _CODE_VERSION:
        from .. import __version__

        root = Path(__file__).resolve().parents[1]
        h = hashlib.sha256(__version__.encode())
        for p in sorted(root.rglob("*.py")):
            st = p.stat()
            h.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}".encode())
        _CODE_VERSION.append(h.hexdigest()[:16])
    return _CODE_VERSION[0]


def _disk_path(folder: Path, key: Hashable) -> Path:
    digest = hashlib.sha256(f"{code_version()}|{key!r}".encode()).hexdigest()[:16]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in _label(key))[:60]
    return folder / f"{stem}-{digest}.pickle"


def _from_disk(data_dir: str | Path, key: Hashable, compute: Callable[[], T]) -> tuple[T, str]:
    """``compute()`` through the build's disk cache: read when there, else computed (under a
    lock, so parallel workers compute it once) and written atomically. A folder that cannot be
    written only loses the cache; an unreadable file is computed again."""
    from .._io import atomic_write_bytes

    folder = disk_folder(data_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("shared results not kept on disk (%s): computing %s", exc, _label(key))
        return compute(), "computed"
    path = _disk_path(folder, key)
    with _file_lock(path.with_suffix(".lock")):
        if path.is_file():
            try:
                with open(path, "rb") as fh:
                    return pickle.load(fh), "read"
            except Exception as exc:  # damaged or from another version of a library: computed again
                log.warning("shared result %s unreadable (%s): computing it again", path, exc)
        value = compute()
        try:
            atomic_write_bytes(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as exc:
            log.warning("shared result not kept at %s: %s", path, exc)
        return value, "computed"


def computed_once(key: Hashable, data_dir: str | Path, compute: Callable[[], T], on_disk: bool = False) -> T:
    """``compute()`` for ``key`` and this version of the data, computed on the first call only
    (in this process; with ``on_disk`` once for every process on the same build)."""
    full = (key, data_version(data_dir))
    with _lock:
        if full in _MEMO:
            value = _MEMO[full]
            how = "kept"
        else:
            how = ""
    if not how:
        value, how = _from_disk(data_dir, key, compute) if on_disk else (compute(), "computed")
        with _lock:
            if len(_MEMO) >= MAX_ITEMS:
                _MEMO.pop(next(iter(_MEMO)))
            _MEMO[full] = value
    _note(key, how)
    return value


def clear() -> None:
    """Forget every kept result (in this process's memory; the disk cache goes with its build)."""
    with _lock:
        _MEMO.clear()
