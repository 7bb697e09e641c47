"""Raw snapshots: files exactly as fetched or imported, stored once and never changed.

A snapshot is ``data/raw/<source>/<dataset>/<YYYY-MM-DD>-<hash>.<ext>`` with a provenance
sidecar (``<file>.meta.json``: source, URL or original path, retrieved-at, sha256, size,
licence, parser). This module sits below :mod:`cityindicators.sources`: a source is handed a
:class:`SnapshotWriter` (by default :class:`RawSnapshots` of a data directory) and never
imports the store; :mod:`cityindicators.store` builds the canonical tables from what is here.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Protocol

from . import __version__, generations
from ._io import (
    UnsafePathError,
    atomic_copy_file,
    atomic_write_bytes,
    exclusive_lock,
    fault_point,
    read_sidecar,
    safe_child,
    sha256_bytes,
    sha256_file,
    write_sidecar,
)
from .config import DataPaths
from .exceptions import CityIndicatorsError

__all__ = [
    "HASH_DIGITS",
    "StoredSnapshot",
    "SnapshotWriter",
    "RawSnapshots",
    "store_snapshot",
    "write_snapshot",
    "snapshot_path",
    "snapshot_date",
    "snapshot_order_key",
    "latest_snapshot",
    "list_snapshots",
]

log = logging.getLogger(__name__)


def _today() -> str:
    return _dt.date.today().isoformat()


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EXT = re.compile(r"[A-Za-z0-9]{1,10}")
#: Hex digits of the content hash in a snapshot's name (date plus short hash).
HASH_DIGITS = 10


@dataclass(frozen=True)
class StoredSnapshot:
    """A raw snapshot and whether this call stored it (``False``: identical bytes were already there)."""

    path: Path
    new: bool


def _snapshot_folder(source: str, dataset: str, data_dir) -> Path:
    raw = DataPaths.of(data_dir).raw
    return safe_child(safe_child(raw, source, what="source name"), dataset, what="dataset name")


def _check_ext(ext: str) -> str:
    ext = ext.lstrip(".")
    if not _EXT.fullmatch(ext):
        raise UnsafePathError(f"file extension {ext!r} cannot name a snapshot (letters and digits only)")
    return ext.lower()


def snapshot_date(path: Path) -> str:
    """The date a snapshot was stored, from its name (``YYYY-MM-DD`` or ``YYYY-MM-DD-<hash>``)."""
    return path.name[:10]


def snapshot_order_key(path: Path, meta: Mapping[str, Any] | None = None) -> tuple[str, str, str]:
    """Older snapshots sort first: by date, then the time stored, then name."""
    meta = read_sidecar(path) if meta is None else meta
    return (snapshot_date(path), str(meta.get("retrieved_at", "")), path.name)


def snapshot_path(source: str, dataset: str, ext: str, data_dir=None, date: str | None = None) -> Path:
    """The newest snapshot of ``source``/``dataset`` stored on ``date`` (today) with extension
    ``ext``; when there is none, a path of that day that does not exist.

    Snapshot names carry a short content hash (:func:`store_snapshot`), so a path cannot be
    known before the content; callers use this to ask whether a day already has one.
    """
    ext = _check_ext(ext)
    day = date or _today()
    folder = _snapshot_folder(source, dataset, data_dir)
    same_day = [p for p in _snapshots_in(folder) if snapshot_date(p) == day and p.suffix == f".{ext}"]
    return max(same_day, key=snapshot_order_key) if same_day else folder / f"{day}.{ext}"


def _snapshots_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    out = []
    for side in folder.glob("*.meta.json"):
        data = side.with_name(side.name[: -len(".meta.json")])
        if not data.name.startswith(".") and data.is_file():
            out.append(data)
    return out


def _identical_snapshot(folder: Path, sha: str) -> Path | None:
    for snap in sorted(_snapshots_in(folder)):
        if read_sidecar(snap).get("sha256") == sha:
            return snap
    return None


def store_snapshot(
    source: str,
    dataset: str,
    content: bytes | os.PathLike,
    ext: str,
    meta: Mapping[str, Any],
    data_dir: str | os.PathLike | None = None,
    date: str | None = None,
) -> StoredSnapshot:
    """Store ``content`` (bytes, or a file copied in a stream) as a new immutable raw snapshot.

    The snapshot is ``raw/<source>/<dataset>/<date>-<hash>.<ext>``: the date (today) plus the
    first :data:`HASH_DIGITS` hex digits of the content's SHA-256, so two different imports on one
    day never share a name, and nothing stored is ever replaced. When identical bytes are already
    stored for this source and dataset, nothing is written and that snapshot is returned with
    ``new=False``. The data file is written first and its sidecar last (both atomically): a
    snapshot exists for the build only once its sidecar does.
    """
    if "parser" not in meta:
        raise CityIndicatorsError(f"snapshot meta for {source}/{dataset} must name its 'parser'")
    ext = _check_ext(ext)
    day = date or _today()
    if not _DATE.fullmatch(day):
        raise CityIndicatorsError(f"snapshot date {day!r} is not YYYY-MM-DD")
    paths = DataPaths.of(data_dir)
    folder = _snapshot_folder(source, dataset, data_dir)
    with exclusive_lock(paths.lock_file, "import"):
        generations.remove_stale(paths)
        return _store_locked(source, dataset, content, ext, meta, folder, day)


def _store_locked(source, dataset, content, ext, meta, folder: Path, day: str) -> StoredSnapshot:
    if isinstance(content, (bytes, bytearray)):
        sha, size = sha256_bytes(bytes(content)), len(content)
    else:
        sha, size = sha256_file(content), os.path.getsize(content)
    same = _identical_snapshot(folder, sha)
    if same is not None:
        log.info("%s/%s: identical to the stored snapshot %s; nothing written", source, dataset, same)
        return StoredSnapshot(same, False)
    path = folder / f"{day}-{sha[:HASH_DIGITS]}.{ext}"
    if isinstance(content, (bytes, bytearray)):
        atomic_write_bytes(path, bytes(content))
    else:
        atomic_copy_file(content, path)
    fault_point("snapshot.data-written")
    side = {
        "source": source,
        "dataset": dataset,
        "retrieved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds"),
        "sha256": sha,
        "size": size,
        "package_version": __version__,
        **dict(meta),
    }
    write_sidecar(path, side)
    return StoredSnapshot(path, True)


def write_snapshot(
    source: str,
    dataset: str,
    content: bytes,
    ext: str,
    meta: Mapping[str, Any],
    data_dir: str | os.PathLike | None = None,
    date: str | None = None,
    force: bool = False,
) -> Path:
    """Store ``content`` as a raw snapshot (see :func:`store_snapshot`) and return its path.

    ``force`` is accepted for older callers and has no effect: snapshots are immutable, a new
    content always gets a new snapshot and identical content is never stored twice.
    """
    return store_snapshot(source, dataset, content, ext, meta, data_dir=data_dir, date=date).path


def list_snapshots(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Every raw snapshot that has a sidecar, by source and dataset, oldest first within each."""
    raw = DataPaths.of(data_dir).raw
    if not raw.is_dir():
        return []
    out = []
    for folder in sorted(p for p in raw.glob("*/*") if p.is_dir()):
        out += sorted(_snapshots_in(folder), key=snapshot_order_key)
    return out


def latest_snapshot(source: str, dataset: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The newest snapshot of ``source``/``dataset``, or ``None``."""
    cands = _snapshots_in(_snapshot_folder(source, dataset, data_dir))
    return max(cands, key=snapshot_order_key) if cands else None


class SnapshotWriter(Protocol):
    """What a source needs of the raw store: write a snapshot, find the newest one, find the
    one of a day. :class:`RawSnapshots` is the store's; tests hand sources their own."""

    def store(self, source: str, dataset: str, content: bytes | os.PathLike, ext: str,
              meta: Mapping[str, Any]) -> StoredSnapshot:
        """Store ``content`` as a new immutable snapshot (see :func:`store_snapshot`)."""
        ...

    def latest(self, source: str, dataset: str) -> Path | None:
        """The newest snapshot of ``source``/``dataset``, or ``None``."""
        ...

    def of_day(self, source: str, dataset: str, ext: str, date: str | None = None) -> Path:
        """The newest snapshot of that day (today), or a path of that day that does not exist."""
        ...

    def folder(self, source: str, dataset: str) -> Path:
        """Where the snapshots of ``source``/``dataset`` are kept (for messages)."""
        ...


@dataclass(frozen=True)
class RawSnapshots:
    """The :class:`SnapshotWriter` of the raw store of one data directory (``None``: the default one)."""

    data_dir: str | os.PathLike | None = None

    def store(self, source: str, dataset: str, content: bytes | os.PathLike, ext: str,
              meta: Mapping[str, Any]) -> StoredSnapshot:
        return store_snapshot(source, dataset, content, ext, meta, data_dir=self.data_dir)

    def latest(self, source: str, dataset: str) -> Path | None:
        return latest_snapshot(source, dataset, self.data_dir)

    def of_day(self, source: str, dataset: str, ext: str, date: str | None = None) -> Path:
        return snapshot_path(source, dataset, ext, self.data_dir, date)

    def folder(self, source: str, dataset: str) -> Path:
        return _snapshot_folder(source, dataset, self.data_dir)
