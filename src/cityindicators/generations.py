"""Build generations: every build publishes all its tables at once, or nothing.

A build writes its tables and sidecars into a new folder ``generations/.tmp-<id>/``, flushes
them to disk, renames the folder to ``generations/<id>/`` and then switches the link
``processed -> generations/<id>`` in one atomic rename. A reader that opens
``processed/<dataset>.parquet`` therefore sees either the whole previous build or the whole new
one, never a mix, and a build killed at any point leaves the previous one published.

Readers that open several tables and need them from one build (a report's data fingerprint)
call :func:`current_tables` once and read those paths: they stay valid while later builds run,
because the previous generation is kept until the build after next.

Leftovers of a killed build (``.tmp-*`` folders, temporary files) are removed by the next
writer, which holds the data directory's lock (:func:`cityindicators._io.exclusive_lock`) and so
knows that no other writer is running. A data directory from before generations (a real
``processed/`` folder) is moved into ``generations/`` at the first build.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ._io import fault_point, fsync_dir, storage_error
from .config import DataPaths

__all__ = ["current_dir", "current_tables", "publish_generation", "remove_stale", "DERIVED"]

log = logging.getLogger(__name__)

_TMP = ".tmp-"
#: A generation's folder of results computed from its tables (:mod:`cityindicators.build_cache`).
DERIVED = "derived"
#: Name of a snapshot file as :func:`cityindicators.snapshots.store_snapshot` makes it.
_ORPHAN = re.compile(r"\d{4}-\d{2}-\d{2}-[0-9a-f]{6,64}\.[A-Za-z0-9]{1,10}")


def current_dir(paths: DataPaths) -> Path | None:
    """The folder of the published build (``processed`` resolved), or ``None`` before any build."""
    proc = paths.processed
    if not proc.is_dir():
        return None
    return Path(os.path.realpath(proc))


def current_tables(paths: DataPaths, known: set[str] | None = None) -> dict[str, Path]:
    """``{dataset: path}`` of the published tables, all from one build (hidden and unknown files left out)."""
    folder = current_dir(paths)
    if folder is None:
        return {}
    out = {}
    for table in sorted(folder.glob("*.parquet")):
        if table.name.startswith(".") or not table.is_file() or (known is not None and table.stem not in known):
            continue
        out[table.stem] = table
    return out


def _new_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + os.urandom(3).hex()


@contextmanager
def publish_generation(paths: DataPaths) -> Iterator[Path]:
    """Yield an empty folder for a new build; on success publish it as the current build.

    Must be called while holding the data directory's lock. On an exception the folder is
    removed and the published build stays as it was.
    """
    gens = paths.generations
    gens.mkdir(parents=True, exist_ok=True)
    gid = _new_id()
    tmp = gens / f"{_TMP}{gid}"
    try:
        tmp.mkdir()
    except OSError as exc:
        raise storage_error(exc, tmp, "start a new build") from None
    previous = current_dir(paths)
    try:
        yield tmp
        fsync_dir(tmp)
        final = gens / gid
        os.replace(tmp, final)
        fsync_dir(gens)
        fault_point("build.generation-complete")
        _switch(paths, final)
        fault_point("build.switched")
        if previous is not None:
            # what was computed from the previous build is of no later use: every reader keys its
            # results by the build published now (its tables stay a while for readers that
            # resolved them a moment ago; one of those that finds a result gone computes it again)
            shutil.rmtree(previous / DERIVED, ignore_errors=True)
    except OSError as exc:  # a failed rename or link: the published build is untouched
        shutil.rmtree(tmp, ignore_errors=True)
        raise storage_error(exc, paths.processed, "publish the new build") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(paths, keep={final, previous})


def _switch(paths: DataPaths, target: Path) -> None:
    """Point ``processed`` at ``target`` with one atomic rename of a new link over the old one."""
    root = paths.root
    proc = paths.processed
    if proc.is_dir() and not proc.is_symlink():
        _adopt_legacy(paths)
    link = root / f".processed-{target.name}.tmp"
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, root), link)
    os.replace(link, proc)
    fsync_dir(root)


def _adopt_legacy(paths: DataPaths) -> None:
    """Move a ``processed/`` folder of an older version (or made by hand) into ``generations/``."""
    proc = paths.processed
    for debris in proc.glob(".*"):  # temporary files of a killed old-style build
        if debris.is_file():
            debris.unlink()
    if not any(proc.iterdir()):
        proc.rmdir()
        return
    dest = paths.generations / f"legacy-{_new_id()}"
    os.replace(proc, dest)
    fsync_dir(paths.root)
    log.info("moved the old processed/ folder to %s", dest)


def _prune(paths: DataPaths, keep: set[Path | None]) -> None:
    """Remove generations other than the current and the previous one (kept for readers that
    resolved it a moment ago)."""
    keep_real = {Path(os.path.realpath(k)) for k in keep if k is not None}
    for gen in paths.generations.iterdir():
        if gen.is_dir() and not gen.name.startswith(".") and Path(os.path.realpath(gen)) not in keep_real:
            shutil.rmtree(gen, ignore_errors=True)


def remove_stale(paths: DataPaths) -> list[Path]:
    """Remove what killed writers left behind; call only while holding the data directory's lock.

    Removed: unfinished build folders (``generations/.tmp-*``), link files of an interrupted
    switch, temporary files of atomic writes in the raw store (``.<name>.<random>.tmp``) and
    snapshot files whose sidecar was never written (``<date>-<hash>.<ext>`` alone: a snapshot
    exists only with its sidecar). Since the caller holds the lock, no writer that could still
    be using them is alive.
    """
    removed: list[Path] = []
    if paths.generations.is_dir():
        for gen in paths.generations.glob(f"{_TMP}*"):
            shutil.rmtree(gen, ignore_errors=True)
            removed.append(gen)
    if paths.root.is_dir():
        for link in paths.root.glob(".processed-*.tmp"):
            link.unlink(missing_ok=True)
            removed.append(link)
    if paths.raw.is_dir():
        for tmp in paths.raw.glob("*/*/.*.tmp"):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
        for data in paths.raw.glob("*/*/*"):  # a snapshot killed between its file and its sidecar
            if _ORPHAN.fullmatch(data.name) and not data.with_name(data.name + ".meta.json").exists():
                data.unlink(missing_ok=True)
                removed.append(data)
    for p in removed:
        log.info("removed the leftover of a killed command: %s", p)
    return removed
