"""Results derived from one build of the processed tables, computed once per build.

Some results depend only on the processed tables of a data directory and take seconds to
minutes: the out-of-sample back-test errors behind the calibrated bands, the interval model
fitted on them, the reference rates of all municipalities. :func:`computed_once` keeps them in
memory, keyed by what they are and by the version of the tables (:func:`data_version`: their
resolved paths, sizes and modification times, so a new build is new data, computed afresh),
and with ``on_disk=True`` also in the build's generation folder (``processed/derived/shared/``,
:func:`disk_folder`: a new build starts without them, and they are removed when the next build is
published), one file per result: the result of other code for the same key is removed when
this code's is written. The first process that needs an on-disk result computes it under a
file lock; every other process on the same build (the workers of a report batch, a later run,
a plan's outlook) reads it instead of computing it again. The files are pickles written by this package into the user's
own data directory, read only from there, keyed by the package's code (:func:`code_version`).
Callers must treat what they get as read-only.

A leaf below the projection, the plans and the reports, which all use it (the reports note
each use in the report's manifest through :func:`add_observer`, :mod:`cityindicators.reports.shared`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import threading
from pathlib import Path
from typing import Any, Callable, Hashable, Iterator, TypeVar

__all__ = ["data_version", "computed_once", "clear", "disk_folder", "code_version", "add_observer", "label",
           "MAX_ITEMS"]

T = TypeVar("T")
log = logging.getLogger(__name__)

_MEMO: dict[tuple, Any] = {}
_lock = threading.Lock()
#: Results kept at most (a process works on one data version, rarely two).
MAX_ITEMS = 16
#: Called with ``(key, how)`` on every use (``computed``, ``read`` from disk, ``kept`` in memory).
_OBSERVERS: list[Callable[[Hashable, str], None]] = []


def data_version(data_dir: "str | os.PathLike") -> tuple:
    """The version of the processed tables of ``data_dir`` (a folder or a
    :class:`~cityindicators.config.DataPaths`): the generation folder ``processed`` links to (a
    build switches to a new one) and each table's name, size and modification time."""
    from .config import DataPaths

    proc = (data_dir if isinstance(data_dir, DataPaths) else DataPaths.of(data_dir)).processed.resolve()
    return (str(proc),) + tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                                       for p in proc.glob("*.parquet")))


def disk_folder(data_dir: "str | os.PathLike") -> Path:
    """``processed/derived/shared/`` of the build ``data_dir`` currently publishes."""
    from .config import DataPaths
    from .generations import DERIVED

    return DataPaths.of(data_dir).processed.resolve() / DERIVED / "shared"


def label(key: Hashable) -> str:
    """A key as text: ``("backtest-all", 2013, 5)`` -> ``backtest-all 2013 5``."""
    return " ".join(str(k) for k in key) if isinstance(key, tuple) else str(key)


def add_observer(observer: Callable[[Hashable, str], None]) -> None:
    """Have ``observer(key, how)`` called on every use of :func:`computed_once` (once per observer)."""
    with _lock:
        if observer not in _OBSERVERS:
            _OBSERVERS.append(observer)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    """An exclusive lock on ``path`` (created), held by one process at a time; yields ``False``
    without a lock when the file cannot be created (a read-only data directory: the results kept
    there can still be read, and the others are computed without being kept)."""
    import fcntl

    try:
        fh = open(path, "a+b")
    except OSError as exc:
        log.info("shared results of %s not locked (%s): read or computed, not kept", path.parent, exc)
        yield False
        return
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_CODE_VERSION: list[str] = []


def code_version() -> str:
    """The package's version and a digest of its files, the code and the resources it reads
    (the shipped scenarios, the register of breaks; names, sizes, modification times): a result
    kept on disk by other code, even of the same version number (an edited checkout), is not the
    result of this code.

    Computed once per process, only by a process that reads or writes the disk cache: some 140
    ``stat`` calls, 2 ms of CPU (9 ms measured on a 2-core machine at load 5-7), against the
    seconds of the results it keys. The installed version alone would not tell an edited checkout from the
    code that wrote a file; the modules a result depends on would have to be listed by hand and
    kept up to date."""
    if not _CODE_VERSION:
        from . import __version__

        root = Path(__file__).resolve().parent
        h = hashlib.sha256(__version__.encode())
        for p in sorted(root.rglob("*")):
            if "__pycache__" in p.parts or not p.is_file():
                continue
            st = p.stat()
            h.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}".encode())
        _CODE_VERSION.append(h.hexdigest()[:16])
    return _CODE_VERSION[0]


def _disk_paths(folder: Path, key: Hashable) -> tuple[Path, Path]:
    """``(result, lock)`` of ``key`` in ``folder``: ``<label>-<key digest>-<code digest>.pickle``
    and ``<label>-<key digest>.lock``, one lock per key whatever the code, so that the writer of
    this code's result can remove the results of other code under it."""
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in label(key))[:60]
    own = f"{stem}-{hashlib.sha256(repr(key).encode()).hexdigest()[:12]}"
    return folder / f"{own}-{code_version()}.pickle", folder / f"{own}.lock"


def _remove_other_versions(path: Path) -> None:
    """Remove the results of ``path``'s key written by other code (``path`` named by :func:`_disk_paths`):
    nothing reads them again, and the build keeps one result per key."""
    own = path.name.rsplit("-", 1)[0]
    for other in path.parent.glob(f"{own}-*.pickle"):
        if other != path and other.name.rsplit("-", 1)[0] == own:
            other.unlink(missing_ok=True)


def _from_disk(data_dir: "str | os.PathLike", key: Hashable, compute: Callable[[], T]) -> tuple[T, str]:
    """``compute()`` through the build's disk cache: read when there, else computed (under a
    lock, so parallel processes compute it once) and written atomically. A folder that cannot be
    written only loses the cache; an unreadable file is computed again."""
    from ._io import atomic_write_bytes

    folder = disk_folder(data_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("shared results not kept on disk (%s): computing %s", exc, label(key))
        return compute(), "computed"
    path, lock = _disk_paths(folder, key)
    with _file_lock(lock) as locked:
        if path.is_file():
            try:
                with open(path, "rb") as fh:
                    return pickle.load(fh), "read"
            except Exception as exc:  # damaged or from another version of a library: computed again
                log.warning("shared result %s unreadable (%s): computing it again", path, exc)
        value = compute()
        if not locked:  # nowhere to keep it
            return value, "computed"
        try:
            atomic_write_bytes(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            _remove_other_versions(path)
        except OSError as exc:
            log.warning("shared result not kept at %s: %s", path, exc)
        return value, "computed"


def computed_once(key: Hashable, data_dir: "str | os.PathLike", compute: Callable[[], T],
                  on_disk: bool = False) -> T:
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
    for observer in list(_OBSERVERS):
        observer(key, how)
    return value


def clear() -> None:
    """Forget every kept result (in this process's memory; the disk cache goes with its build)."""
    with _lock:
        _MEMO.clear()
