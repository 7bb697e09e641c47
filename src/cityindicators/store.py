"""The data store: immutable raw snapshots, the build into canonical tables, and loading.

Stages (after OWID's ETL): a *raw snapshot* is a file exactly as fetched or imported, stored
once under ``data/raw/<source>/<dataset>/<YYYY-MM-DD>.<ext>`` with a provenance sidecar
(``<file>.meta.json``: source, URL or original path, retrieved-at, sha256, size, licence,
parser). :func:`build` parses every snapshot with its registered parser into canonical frames,
validates them (:func:`cityindicators.schema.validate`), merges them per dataset and writes
``data/processed/<dataset>.parquet`` atomically with a sidecar listing its inputs and their
hashes. :func:`load` gives a processed table as a tidy DataFrame, filtered.

Merging: when several snapshots cover the same cell (same key), the one of the most specific
source wins (a user's own tidy file over the SDMX API over a bulk extract over demonstration
data; see :data:`SPECIFICITY`), and among equals the newest. How many cells each input gave
and lost is recorded in the processed sidecar.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import __version__, _io, generations
from ._io import (
    UnsafePathError,
    atomic_copy_file,
    atomic_write_bytes,
    atomic_write_parquet,
    exclusive_lock,
    fault_point,
    read_sidecar,
    safe_child,
    sha256_bytes,
    sha256_file,
    sidecar_path,
    write_sidecar,
)
from .config import DataPaths
from .exceptions import CityIndicatorsError, DatasetNotFoundError, DataValidationError
from .geography import get_register
from .schema import DATASETS, LINE, dataset_spec, tidy, validate

__all__ = [
    "PARSERS",
    "SPECIFICITY",
    "BuildReport",
    "PopulationArray",
    "StoredSnapshot",
    "register_parser",
    "store_snapshot",
    "write_snapshot",
    "snapshot_path",
    "latest_snapshot",
    "list_snapshots",
    "parse_snapshot",
    "build",
    "load",
    "available_datasets",
    "current_tables",
    "processed_provenance",
    "population_array",
]

log = logging.getLogger(__name__)

Parser = Callable[[Path, dict], "dict[str, pd.DataFrame]"]

#: Parser name -> function(path, meta) -> {dataset: canonical frame}.
PARSERS: dict[str, Parser] = {}
#: Modules that register parsers when imported (imported lazily by :func:`parse_snapshot`).
PARSER_MODULES = ("cityindicators.sources.extract", "cityindicators.sources.files", "cityindicators.sources.osp")

#: How specific a source is: higher wins when two snapshots cover the same cell.
SPECIFICITY: dict[str, int] = {"tidy": 40, "osp": 30, "indicators": 25, "osp-extract": 20, "demo": 10}


#: Processed tables read by :func:`load`, keyed by (path, modification time).
_CACHE: dict[tuple[str, float], pd.DataFrame] = {}


def register_parser(name: str, func: Parser) -> None:
    """Register ``func`` as the parser named ``name`` (used in snapshot sidecars)."""
    PARSERS[name] = func


def _ensure_parsers() -> None:
    for mod in PARSER_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:  # a source module not present in this install
            if exc.name != mod:
                raise
            log.debug("parser module %s not available", mod)


# -- raw snapshots ------------------------------------------------------------------------
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


def _order_key(path: Path, meta: Mapping[str, Any] | None = None) -> tuple[str, str, str]:
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
    return max(same_day, key=_order_key) if same_day else folder / f"{day}.{ext}"


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
        out += sorted(_snapshots_in(folder), key=_order_key)
    return out


def latest_snapshot(source: str, dataset: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The newest snapshot of ``source``/``dataset``, or ``None``."""
    cands = _snapshots_in(_snapshot_folder(source, dataset, data_dir))
    return max(cands, key=_order_key) if cands else None


def parse_snapshot(path: Path) -> dict[str, pd.DataFrame]:
    """Parse one snapshot into validated canonical frames, ``{dataset: frame}``."""
    meta = read_sidecar(path)
    name = meta.get("parser")
    if not name:
        raise DataValidationError(f"{path}: its sidecar names no parser")
    if meta.get("sha256") and sha256_file(path) != meta["sha256"]:
        raise DataValidationError(
            f"{path}: the raw snapshot changed after it was stored (sha256 differs from its sidecar); raw snapshots "
            "are immutable: re-import or re-fetch it instead of editing it"
        )
    _ensure_parsers()
    if name not in PARSERS:
        raise DataValidationError(f"{path}: unknown parser {name!r}; known: {sorted(PARSERS)}")
    frames = PARSERS[name](path, meta)
    out = {}
    for dataset, frame in frames.items():
        frame = frame.copy()
        frame["source"] = str(path.relative_to(path.parents[3])) if len(path.parents) > 3 else str(path)
        checked = validate(tidy(frame, dataset), dataset, origin=str(path))
        out[dataset] = _without_lines(checked)
    return out


def _without_lines(frame: pd.DataFrame) -> pd.DataFrame:
    """A validated frame without the source-line column (kept only for messages)."""
    if LINE not in frame.columns:
        return frame
    out = frame.drop(columns=[LINE])
    out.attrs = dict(frame.attrs)
    return out


# -- build ---------------------------------------------------------------------------------
@dataclass
class BuildReport:
    """What a build did: tables written, rows, inputs, time."""

    tables: dict[str, int] = field(default_factory=dict)  # dataset -> rows
    inputs: list[str] = field(default_factory=list)
    overridden: dict[str, int] = field(default_factory=dict)  # dataset -> cells decided by precedence
    warnings: list[str] = field(default_factory=list)  # small inconsistencies reported by validation
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [f"built {len(self.tables)} table(s) from {len(self.inputs)} snapshot(s) in {self.seconds:.2f} s"]
        for name, rows in sorted(self.tables.items()):
            extra = f" ({self.overridden[name]} cell(s) covered by several sources)" if self.overridden.get(name) else ""
            lines.append(f"  {name}: {rows:,} rows{extra}")
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)


def _merge(dataset: str, parts: list[tuple[Path, dict, pd.DataFrame]]) -> tuple[pd.DataFrame, dict]:
    spec = dataset_spec(dataset)
    keys = list(spec.key_columns)
    frames = []
    for i, (path, meta, frame) in enumerate(parts):
        f = frame.copy()
        f["_rank"] = i
        frames.append(f)
    # precedence 0 = wins: most specific source first, then the newest snapshot
    ranked = sorted(
        range(len(parts)),
        key=lambda i: (SPECIFICITY.get(parts[i][1].get("source", ""), 0), _order_key(parts[i][0], parts[i][1])),
        reverse=True,
    )
    prec = {i: pos for pos, i in enumerate(ranked)}
    allrows = pd.concat(frames, ignore_index=True)
    allrows["_prec"] = allrows["_rank"].map(prec)
    allrows = allrows.sort_values("_prec", kind="mergesort")
    dup = allrows.duplicated(keys, keep="first")
    covered = int(allrows.duplicated(keys, keep=False).sum() - dup.sum())
    winners = allrows[~dup]
    decisions = []
    for i, (path, meta, frame) in enumerate(parts):
        kept = int((winners["_rank"] == i).sum())
        decisions.append(
            {"input": str(path), "sha256": meta.get("sha256"), "source": meta.get("source"), "rows": len(frame),
             "rows_kept": kept, "rows_superseded": len(frame) - kept, "precedence": prec[i]}
        )
    merged = tidy(winners.drop(columns=["_rank", "_prec"]), dataset)
    warnings = [w for _, _, frame in parts for w in frame.attrs.get("validation_warnings", [])]
    return merged, {"inputs": decisions, "cells_with_several_sources": covered, "validation_warnings": warnings}


def build(data_dir: str | os.PathLike | None = None, datasets: Iterable[str] | None = None) -> BuildReport:
    """Turn every raw snapshot into canonical tables, published together under ``data/processed/``.

    All snapshots are parsed and validated before anything is written; if any fails, the
    error names every failing file and nothing in ``data/processed/`` changes. The tables and
    their sidecars are written into a new build generation that replaces the previous one in
    one atomic switch (:mod:`cityindicators.generations`): readers see the whole previous build
    or the whole new one, and a build killed at any point leaves the previous one in place.
    With ``datasets``, only those are rebuilt and the other tables are carried over unchanged.
    """
    t0 = time.perf_counter()
    paths = DataPaths.of(data_dir)
    if not list_snapshots(data_dir):
        raise DatasetNotFoundError(
            f"no raw snapshots under {paths.raw}; run 'cityindicators fetch', 'cityindicators import ...' "
            "or 'cityindicators demo' first"
        )
    with exclusive_lock(paths.lock_file, "build"):
        generations.remove_stale(paths)
        report = _build_locked(paths, set(datasets) if datasets else None)
    _CACHE.clear()
    report.seconds = time.perf_counter() - t0
    log.info(report.summary())
    return report


def _parse_all(paths: DataPaths, snaps: list[Path], wanted: set[str] | None) -> dict[str, list[tuple[Path, dict, pd.DataFrame]]]:
    by_dataset: dict[str, list[tuple[Path, dict, pd.DataFrame]]] = {}
    errors: list[str] = []
    for snap in snaps:
        try:
            frames = parse_snapshot(snap)
        except CityIndicatorsError as exc:
            errors.append(str(exc))
            continue
        meta = read_sidecar(snap)
        for name, frame in frames.items():
            if wanted is None or name in wanted:
                by_dataset.setdefault(name, []).append((snap, meta, frame))
    if errors:
        raise DataValidationError(
            f"build failed; nothing in {paths.processed} was changed. {len(errors)} input(s) failed:\n- " + "\n- ".join(errors)
        )
    return by_dataset


def _build_locked(paths: DataPaths, wanted: set[str] | None) -> BuildReport:
    snaps = list_snapshots(paths.root)
    by_dataset = _parse_all(paths, snaps, wanted)
    fault_point("build.parsed")
    report = BuildReport(inputs=[str(s) for s in snaps])
    merged = {name: _merge(name, parts) for name, parts in by_dataset.items()}
    built_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    previous = generations.current_tables(paths, known=set(DATASETS))
    with generations.publish_generation(paths) as folder:
        for name, (frame, decisions) in merged.items():
            _write_table(folder, name, frame, decisions, built_at)
            fault_point("build.table-written")
            report.tables[name] = len(frame)
            report.overridden[name] = decisions["cells_with_several_sources"]
            report.warnings += decisions["validation_warnings"]
        for name, table in previous.items():  # tables this build did not touch stay as they were
            if name not in merged:
                for src in (table, sidecar_path(table)):
                    if src.exists():
                        _link_or_copy(src, folder / src.name)
    return report


def _write_table(folder: Path, name: str, frame: pd.DataFrame, decisions: dict, built_at: str) -> None:
    target = folder / f"{name}.parquet"
    atomic_write_parquet(target, frame)
    synthetic = any(read_sidecar(Path(d["input"])).get("synthetic") for d in decisions["inputs"])
    write_sidecar(
        target,
        {
            "dataset": name,
            "description": DATASETS[name].description,
            "rows": len(frame),
            "built_at": built_at,
            "package_version": __version__,
            "sha256": sha256_file(target),
            "synthetic": bool(synthetic),
            **decisions,
        },
    )


def _link_or_copy(src: Path, dest: Path) -> None:
    """Carry an unchanged file into a new generation (a hard link; a copy where links fail)."""
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)
        _io.fsync_file(dest)


# -- loading -------------------------------------------------------------------------------
def _load_cached(path: Path) -> pd.DataFrame:
    key = (str(path.resolve()), path.stat().st_mtime)
    frame = _CACHE.get(key)
    if frame is None:
        frame = pd.read_parquet(path)
        if "age" in frame:
            frame["age"] = frame["age"].astype("Int64")
        for k in [k for k in _CACHE if k[0] == key[0]]:
            del _CACHE[k]
        _CACHE[key] = frame
    return frame



def current_tables(data_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """``{dataset: parquet path}`` of the published build, all from one generation.

    Only real tables (no temporary files of a build in progress or killed); the paths stay
    readable while the next build runs. Use this, not a listing of ``processed/``, when
    several tables must come from the same build (a report's data fingerprint).
    """
    return generations.current_tables(DataPaths.of(data_dir), known=set(DATASETS))


def available_datasets(data_dir: str | os.PathLike | None = None) -> list[str]:
    """Processed datasets present in the data directory."""
    return sorted(current_tables(data_dir))


def processed_provenance(data_dir: str | os.PathLike | None = None) -> dict[str, dict]:
    """The sidecars of every processed table (inputs, hashes, build time), by dataset."""
    return {name: read_sidecar(path) for name, path in current_tables(data_dir).items()}


def _as_list(x) -> list | None:
    if x is None:
        return None
    if isinstance(x, (str, int, np.integer)):
        return [x]
    return list(x)


def load(
    dataset: str,
    territories: str | Sequence[str] | None = None,
    years: int | Sequence[int] | range | None = None,
    sex: str | Sequence[str] | None = None,
    age: int | Sequence[int] | None = None,
    data_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Load a processed dataset as a tidy DataFrame, filtered.

    Parameters
    ----------
    dataset
        ``population``, ``births``, ``deaths``, ``migration``, ``labour``, ``median_age``,
        ``life_expectancy``, ``urban_rural``, ``density`` or ``published_indicators``.
    territories
        Names or codes in any form the register resolves ("Visaginas", "30", "LT-59").
    years, sex, age
        Values to keep (``age=None`` keeps all ages including the all-ages rows).

    Examples
    --------
    >>> load("population", territories="Visaginas", years=range(2010, 2016), sex="total")  # doctest: +SKIP
    """
    spec = dataset_spec(dataset)
    path = current_tables(data_dir).get(dataset) or DataPaths.of(data_dir).processed_table(dataset)
    if not path.exists():
        raise DatasetNotFoundError(
            f"dataset {dataset!r} is not built in {path.parent} (run 'cityindicators build'; available: "
            f"{', '.join(available_datasets(data_dir)) or 'none'})"
        )
    frame = _load_cached(path)
    mask = pd.Series(True, index=frame.index)
    terr = _as_list(territories)
    if terr is not None:
        reg = get_register(data_dir)
        codes = [t if str(t).startswith("G:") else reg.resolve(t).code for t in terr]
        mask &= frame["territory_code"].isin(codes)
    yrs = _as_list(years)
    if yrs is not None:
        mask &= frame["year"].isin([int(y) for y in yrs])
    sx = _as_list(sex)
    if sx is not None and "sex" in spec.keys:
        mask &= frame["sex"].isin(sx)
    ag = _as_list(age)
    if ag is not None and "age" in spec.keys:
        mask &= frame["age"].isin([int(a) for a in ag])
    return frame[mask].reset_index(drop=True).copy()


# -- dense arrays ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PopulationArray:
    """Population as a dense array ``values[territory, year, sex, age]``.

    ``sex`` 0 = male, 1 = female; ``ages`` run 0..``open_age``, the last an open group
    (``open_age`` and over). Missing cells are NaN.
    """

    values: np.ndarray
    codes: tuple[str, ...]
    years: tuple[int, ...]
    ages: np.ndarray
    open_age: int

    def total(self) -> np.ndarray:
        """All-ages, both-sexes totals ``[territory, year]``."""
        return np.nansum(self.values, axis=(2, 3))


def population_array(frame: pd.DataFrame) -> PopulationArray:
    """Dense ``[territory, year, sex, age]`` array from the single-age male/female rows of a population frame."""
    rows = frame[frame["sex"].isin(["male", "female"]) & frame["age"].notna()]
    if rows.empty:
        raise DataValidationError("population frame has no single-age male/female rows")
    codes = tuple(sorted(rows["territory_code"].unique()))
    years = tuple(int(y) for y in sorted(rows["year"].unique()))
    top = int(rows["age"].max())
    ages = np.arange(top + 1)
    ti = pd.Index(codes).get_indexer(rows["territory_code"])
    yi = pd.Index(years).get_indexer(rows["year"])
    si = (rows["sex"] == "female").to_numpy().astype(int)
    ai = rows["age"].to_numpy(dtype=int)
    values = np.full((len(codes), len(years), 2, top + 1), np.nan)
    values[ti, yi, si, ai] = rows["value"].to_numpy(dtype=float)
    return PopulationArray(values, codes, years, ages, top)
