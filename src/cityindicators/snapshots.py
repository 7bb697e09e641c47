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
from typing import Any, Mapping, Protocol, Sequence

from . import __version__, generations
from ._io import (
    UnsafePathError,
    atomic_copy_file,
    atomic_write_bytes,
    exclusive_lock,
    fault_point,
    fsync_dir,
    read_sidecar,
    safe_child,
    sha256_bytes,
    sha256_file,
    sidecar_path,
    storage_error,
    write_sidecar,
)
from .config import DataPaths
from .exceptions import CityIndicatorsError, DatasetNotFoundError, StorageError

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
    "snapshot_meta",
    "latest_snapshot",
    "list_snapshots",
    "snapshot_id",
    "snapshot_records",
    "find_snapshots",
    "remove_snapshots",
    "REMOVE_HINT",
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


def snapshot_meta(path: Path) -> dict[str, Any]:
    """A snapshot's sidecar, or ``{}`` when it cannot be read as a JSON object.

    For listing and ordering, which must go on past a damaged sidecar (the build names it, and
    ``snapshots remove`` removes it): :func:`cityindicators.store.parse_snapshot` refuses it.
    """
    try:
        meta = read_sidecar(path)
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def snapshot_order_key(path: Path, meta: Mapping[str, Any] | None = None) -> tuple[str, str, str]:
    """Older snapshots sort first: by date, then the time stored, then name."""
    meta = snapshot_meta(path) if meta is None else meta
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
        if snapshot_meta(snap).get("sha256") == sha:
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


#: What a message about a bad snapshot tells the user to do (after naming its id).
REMOVE_HINT = "remove a wrong snapshot with 'cityindicators snapshots remove ID', then run 'cityindicators build' again"


def snapshot_id(path: str | os.PathLike) -> str:
    """The id of the snapshot at ``path``: its path relative to the data directory,
    ``raw/<source>/<dataset>/<file>``.

    It is what the processed tables' ``source`` column and the build's messages name, what
    ``cityindicators snapshots list`` shows and what ``snapshots remove`` takes: stable (the
    file's name holds its date and content hash and never changes) and unique, where a short hash
    alone is not (the same bytes imported as two datasets are two snapshots of one hash).
    """
    return "/".join(Path(path).parts[-4:])


def snapshot_records(data_dir: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """One row per raw snapshot (:func:`list_snapshots`' order): ``id`` (:func:`snapshot_id`),
    ``source``, ``dataset``, ``date`` stored, ``rows``, ``size`` in bytes and ``origin`` (the
    imported file or the URL).

    ``rows`` is what the snapshot's sidecar records, else the rows it gave the published build
    (its tables' sidecars count each input's), else ``None`` (stored after the last build).
    """
    built = _rows_in_build(DataPaths.of(data_dir))
    out = []
    for path in list_snapshots(data_dir):
        meta = snapshot_meta(path)
        sid = snapshot_id(path)
        out.append({
            "id": sid,
            "source": meta.get("source") or path.parent.parent.name,
            "dataset": meta.get("dataset") or path.parent.name,
            "date": snapshot_date(path),
            "rows": meta.get("rows", built.get(sid)),
            "size": meta.get("size"),
            "origin": meta.get("original_path") or meta.get("url") or "",
        })
    return out


def _rows_in_build(paths: DataPaths) -> dict[str, int]:
    """``{snapshot id: rows}`` that each input gave the published build (summed over the
    tables it went to: a population file gives ``population`` and ``population_total``)."""
    rows: dict[str, int] = {}
    for table in generations.current_tables(paths).values():
        try:
            inputs = read_sidecar(table).get("inputs", [])
        except (OSError, ValueError, AttributeError):  # an unreadable sidecar: no count, not an error of the listing
            continue
        for entry in inputs:
            if isinstance(entry, dict) and isinstance(entry.get("rows"), int) and entry.get("input"):
                sid = snapshot_id(entry["input"])
                rows[sid] = rows.get(sid, 0) + entry["rows"]
    return rows


def find_snapshots(ids: Sequence[str], data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The snapshots of this data directory named by ``ids``, each once, in the order given.

    An id is :func:`snapshot_id` (``raw/<source>/<dataset>/<file>``), or a path (absolute, or
    relative to the working directory) of the same file, as a build's error quotes it. Only
    the snapshots :func:`list_snapshots` finds can be named: no path is made from an id, so
    ``raw/../groups.yaml``, a sidecar or a file outside ``raw/`` is never one.

    Raises
    ------
    DatasetNotFoundError
        Naming the first id that is no snapshot of this data directory.
    """
    paths = DataPaths.of(data_dir)
    known = {snapshot_id(p): p for p in list_snapshots(data_dir)}
    by_file = {_real_place(p): p for p in known.values()}
    found: list[Path] = []
    for given in ids:
        snap = (known.get(given.replace(os.sep, "/")) or by_file.get(_real_place(given))) if given else None
        if snap is None:
            raise DatasetNotFoundError(
                f"{given!r} is not a raw snapshot of {paths.root}; 'cityindicators snapshots list' gives the ids "
                "(raw/<source>/<dataset>/<file>)")
        if snap not in found:
            found.append(snap)
    return found


def _real_place(path: str | os.PathLike) -> str:
    """``path`` with its folder's links resolved, not its own: a snapshot that is a link is
    named by where the link stands, never by the file it points to."""
    path = os.path.abspath(path)
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def remove_snapshots(ids: Sequence[str], data_dir: str | os.PathLike | None = None) -> list[str]:
    """Remove the raw snapshots named by ``ids`` (see :func:`find_snapshots`), each with its
    sidecar; return their ids.

    Every id is checked before anything is removed: one unknown id removes nothing. Each
    snapshot goes as it came, the other way round: its sidecar first (a snapshot exists only
    with its sidecar, so the build no longer sees it), then its file; a command killed between
    the two leaves a file without sidecar, which the next writer removes
    (:func:`cityindicators.generations.remove_stale`). A folder of a source or dataset left
    empty is removed too. Holds the data directory's lock, as every writer does. The published
    tables keep the snapshot's figures until the next ``build``.

    Raises
    ------
    DatasetNotFoundError
        An id is no snapshot of this data directory (nothing removed).
    StorageError
        A file could not be removed (the message says which snapshots were removed before).
    """
    paths = DataPaths.of(data_dir)
    with exclusive_lock(paths.lock_file, "remove snapshots"):
        generations.remove_stale(paths)
        snaps = find_snapshots(ids, data_dir)
        raw = Path(os.path.realpath(paths.raw))
        for snap in snaps:  # a source folder that is a link would take the removal outside raw/
            if raw not in Path(os.path.realpath(snap.parent)).parents:
                raise CityIndicatorsError(f"{snapshot_id(snap)}: its folder lies outside {paths.raw} (through a "
                                          "link); nothing was removed")
        removed: list[str] = []
        for snap in snaps:
            try:
                _remove_one(snap)
            except OSError as exc:
                done = f"; removed before it: {', '.join(removed)}" if removed else "; nothing was removed"
                raise StorageError(f"{storage_error(exc, snap, 'remove the snapshot')}{done}") from None
            removed.append(snapshot_id(snap))
        for folder in dict.fromkeys(p for s in snaps for p in (s.parent, s.parent.parent)):
            try:
                folder.rmdir()  # only when empty
            except OSError:
                pass
    return removed


def _remove_one(snap: Path) -> None:
    side = sidecar_path(snap)
    side.unlink()
    fsync_dir(snap.parent)
    fault_point("snapshot.sidecar-removed")
    snap.unlink(missing_ok=True)
    fsync_dir(snap.parent)


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
