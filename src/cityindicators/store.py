"""The data store: the build of raw snapshots into canonical tables, and loading.

Stages (after OWID's ETL): a *raw snapshot* is a file exactly as fetched or imported, stored
once under ``data/raw/<source>/<dataset>/<YYYY-MM-DD>-<hash>.<ext>`` with a provenance sidecar
(:mod:`cityindicators.snapshots`, whose functions this module re-exports for older callers).
:func:`build` parses every snapshot with its registered parser into canonical frames,
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
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from . import __version__, _io, generations
from ._io import (
    atomic_write_parquet,
    exclusive_lock,
    fault_point,
    read_sidecar,
    sha256_bytes,  # noqa: F401 - re-exported for older callers
    sha256_file,
    sidecar_path,
    write_sidecar,
)
from .config import DataPaths, kept_data
from .cube import DIMS, SEXES, Cube
from .exceptions import CityIndicatorsError, DatasetNotFoundError, DataValidationError
from .geography import get_register
from .schema import (
    BOTH_SEXES,
    DATASETS,
    LINE,
    age_resolved_pairs,
    canonical,
    check_ages_add_up,
    check_open_ages,
    dataset_spec,
    key_codes,
    sex_level,
    sexes_add_up_warnings,
    tidy,
)
from .snapshots import (  # noqa: F401 - the raw-snapshot functions, re-exported for older callers
    HASH_DIGITS,
    REMOVE_HINT,
    RawSnapshots,
    SnapshotWriter,
    StoredSnapshot,
    latest_snapshot,
    list_snapshots,
    snapshot_date,
    snapshot_id,
    snapshot_order_key,
    snapshot_path,
    store_snapshot,
    write_snapshot,
)
from .sources import registry as _registry

__all__ = [
    "PARSERS",
    "SPECIFICITY",
    "BuildReport",
    "PopulationArray",
    "StoredSnapshot",
    "SnapshotWriter",
    "RawSnapshots",
    "HASH_DIGITS",
    "snapshot_date",
    "register_parser",
    "store_snapshot",
    "write_snapshot",
    "snapshot_path",
    "latest_snapshot",
    "list_snapshots",
    "parse_snapshot",
    "build",
    "load",
    "load_levels",
    "stored_table",
    "available_datasets",
    "current_tables",
    "processed_provenance",
    "population_array",
]

log = logging.getLogger(__name__)

#: Parser name -> function(path, meta) -> {dataset: canonical frame}: the sources' register
#: (:mod:`cityindicators.sources.registry`), where each source module registers its parsers.
PARSERS = _registry.PARSERS
register_parser = _registry.register_parser

#: How specific a source is: higher wins when two snapshots cover the same cell.
SPECIFICITY: dict[str, int] = {"tidy": 40, "osp": 30, "indicators": 25, "osp-extract": 20, "demo": 10}


#: Processed tables read by :func:`load`, keyed by (path, modification time).
_CACHE: dict[tuple[str, float], pd.DataFrame] = {}


def parse_snapshot(path: Path) -> dict[str, pd.DataFrame]:
    """Parse one snapshot into validated canonical frames, ``{dataset: frame}``.

    A parser's all-ages rows come back as their own table (``population`` -> ``population``
    and ``population_total``; :func:`cityindicators.schema.canonical`).
    """
    if path.is_symlink():  # its content lives elsewhere and can change without the store knowing
        raise DataValidationError(f"{path}: a symbolic link (to {os.readlink(path)}), not a snapshot the store wrote; "
                                  "remove it and import the file with 'cityindicators import'")
    try:
        meta = read_sidecar(path)
    except (OSError, ValueError) as exc:  # (a JSON error is a ValueError)
        raise DataValidationError(f"{path}: its sidecar {sidecar_path(path).name} cannot be read ({exc})") from None
    if not isinstance(meta, dict):
        raise DataValidationError(f"{path}: its sidecar {sidecar_path(path).name} is not a JSON object")
    name = meta.get("parser")
    if not name:
        raise DataValidationError(f"{path}: its sidecar names no parser")
    if meta.get("sha256") and sha256_file(path) != meta["sha256"]:
        raise DataValidationError(
            f"{path}: the raw snapshot changed after it was stored (sha256 differs from its sidecar); raw snapshots "
            "are immutable: re-import or re-fetch it instead of editing it"
        )
    known = _registry.parsers()
    if name not in known:
        raise DataValidationError(f"{path}: unknown parser {name!r}; known: {sorted(known)}")
    frames = known[name](path, meta)
    source = str(path.relative_to(path.parents[3])) if len(path.parents) > 3 else str(path)
    frames = {dataset: frame.assign(source=source) for dataset, frame in frames.items()}
    # the ages are checked against the all-ages table once, on the merged tables (see _build_locked)
    checked = canonical(frames, str(path), check_totals=False)
    return {dataset: _without_lines(frame) for dataset, frame in checked.items()}


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
    dropped: list[str] = field(default_factory=list)  # tables of the previous build whose snapshots are gone
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [f"built {len(self.tables)} table(s) from {len(self.inputs)} snapshot(s) in {self.seconds:.2f} s"]
        for name, rows in sorted(self.tables.items()):
            extra = f" ({self.overridden[name]} cell(s) covered by several sources)" if self.overridden.get(name) else ""
            lines.append(f"  {name}: {rows:,} rows{extra}")
        for name in self.dropped:
            lines.append(f"  {name}: no longer published (its raw snapshots are no longer stored)")
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
        key=lambda i: (SPECIFICITY.get(parts[i][1].get("source", ""), 0), snapshot_order_key(parts[i][0], parts[i][1])),
        reverse=True,
    )
    prec = {i: pos for pos, i in enumerate(ranked)}
    allrows = pd.concat(frames, ignore_index=True)
    allrows["_prec"] = allrows["_rank"].map(prec)
    allrows = allrows.sort_values("_prec", kind="mergesort")
    blank = allrows["value"].isna()
    if blank.any():
        # a blank cell says the figure is not known to that file, not that it is gone: a known value
        # of another snapshot wins over it whatever their precedence (a tidy file's "NaN" made the
        # demo's births of that cell NaN without a word)
        allrows = allrows.assign(_blank=blank).sort_values(["_blank", "_prec"], kind="mergesort")
    dup = allrows.duplicated(keys, keep="first")
    covered = int(allrows.duplicated(keys, keep=False).sum() - dup.sum())
    winners = allrows[~dup]
    kept_known = _known_kept_over_blanks(allrows, winners, keys, dataset) if blank.any() else []
    winners = winners.drop(columns=["_blank"], errors="ignore")
    decisions = []
    for i, (path, meta, frame) in enumerate(parts):
        kept = int((winners["_rank"] == i).sum())
        decisions.append(
            {"input": str(path), "sha256": meta.get("sha256"), "source": meta.get("source"), "rows": len(frame),
             "rows_kept": kept, "rows_superseded": len(frame) - kept, "precedence": prec[i]}
        )
    merged = tidy(winners.drop(columns=["_rank", "_prec"]), dataset)
    warnings = [w for _, _, frame in parts for w in frame.attrs.get("validation_warnings", [])] + kept_known
    return merged, {"inputs": decisions, "cells_with_several_sources": covered, "validation_warnings": warnings}


def _known_kept_over_blanks(allrows: pd.DataFrame, winners: pd.DataFrame, keys: list[str], dataset: str) -> list[str]:
    """One warning counting the cells where a blank value of a snapshot of higher precedence (a
    later or more specific one) was passed over for a known value of another, [] if none."""
    blanks = allrows.loc[allrows["_blank"], [*keys, "_prec", "source"]].drop_duplicates(keys)
    known = winners.loc[~winners["_blank"], [*keys, "_prec"]]
    hit = blanks.merge(known, on=keys, suffixes=("", "_known"))
    hit = hit[hit["_prec"] < hit["_prec_known"]]
    if hit.empty:
        return []
    first = hit.iloc[0]
    where = ", ".join(f"{k}={first[k]}" for k in keys)
    return [f"{dataset}: {len(hit)} blank value(s) of a snapshot that would otherwise win did not replace the known "
            f"value(s) of another, which are kept (first: {where}, blank in {first['source']})"]


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
        report = _build_locked(paths, _with_companions(datasets) if datasets else None)
    _CACHE.clear()
    report.seconds = time.perf_counter() - t0
    log.info(report.summary())
    return report


def _companions(name: str) -> set[str]:
    """A table and the tables built with it: an age-resolved one and its all-ages table."""
    for singles, totals in age_resolved_pairs().items():
        if name in (singles, totals):
            return {singles, totals}
    return {name}


def _with_companions(datasets: Iterable[str]) -> set[str]:
    return set().union(*(_companions(d) for d in datasets))


def _check_totals(merged: dict[str, tuple[pd.DataFrame, dict]], paths: DataPaths) -> None:
    """The ages-add-up check between each age-resolved table and its all-ages table, as merged."""
    for singles, totals in age_resolved_pairs().items():
        if singles in merged and totals in merged:
            try:
                found = check_ages_add_up(merged[singles][0], merged[totals][0], singles, origin="build")
            except DataValidationError as exc:
                # the figures of one snapshot disagree with another's: name every snapshot of the pair
                ids = sorted({snapshot_id(d["input"]) for name in (singles, totals)
                              for d in merged[name][1]["inputs"] if d["rows_kept"]})
                raise DataValidationError(
                    f"build failed; nothing in {paths.processed} was changed. {exc}\nsnapshots of {singles} and "
                    f"{totals}: {', '.join(ids)}; {REMOVE_HINT}") from None
            merged[totals][1]["validation_warnings"] += found


def _check_open_ages(merged: dict[str, tuple[pd.DataFrame, dict]], paths: DataPaths) -> None:
    """The open age groups checked on the merged tables (:func:`~.schema.check_open_ages`): a
    single age above the open group may come from one snapshot and the open group from another."""
    for name, (frame, _) in merged.items():
        try:
            check_open_ages(frame, name, origin="build")
        except DataValidationError as exc:
            raise DataValidationError(f"build failed; nothing in {paths.processed} was changed. {exc}; remove the "
                                      "wrong snapshot ('cityindicators snapshots remove ID', its ID as named here: "
                                      "raw/...), import the corrected file and run 'cityindicators build' again") from None


def _parse_all(paths: DataPaths, snaps: list[Path], wanted: set[str] | None) -> dict[str, list[tuple[Path, dict, pd.DataFrame]]]:
    by_dataset: dict[str, list[tuple[Path, dict, pd.DataFrame]]] = {}
    errors: list[str] = []
    for snap in snaps:
        try:
            frames = parse_snapshot(snap)
        except CityIndicatorsError as exc:
            errors.append(f"snapshot {snapshot_id(snap)}: {exc}")
            continue
        meta = read_sidecar(snap)
        for name, frame in frames.items():
            if wanted is None or name in wanted:
                by_dataset.setdefault(name, []).append((snap, meta, frame))
    if errors:
        raise DataValidationError(
            f"build failed; nothing in {paths.processed} was changed. {len(errors)} input(s) failed:\n- " + "\n- ".join(errors)
            + f"\n{REMOVE_HINT}"
        )
    return by_dataset


def _build_locked(paths: DataPaths, wanted: set[str] | None) -> BuildReport:
    snaps = list_snapshots(paths.root)
    by_dataset = _parse_all(paths, snaps, wanted)
    fault_point("build.parsed")
    report = BuildReport(inputs=[str(s) for s in snaps])
    merged = {name: _merge(name, parts) for name, parts in by_dataset.items()}
    _check_open_ages(merged, paths)
    _check_totals(merged, paths)
    for name, (frame, decisions) in merged.items():  # each file's own sexes added up; the merged table's may not
        decisions["validation_warnings"] += sexes_add_up_warnings(frame, name)
    rebuilt = _with_companions(merged)
    built_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    previous = generations.current_tables(paths, known=set(DATASETS))
    with generations.publish_generation(paths) as folder:
        for name, (frame, decisions) in merged.items():
            _write_table(folder, name, frame, decisions, built_at)
            fault_point("build.table-written")
            report.tables[name] = len(frame)
            report.overridden[name] = decisions["cells_with_several_sources"]
            report.warnings += decisions["validation_warnings"]
        present = {snapshot_id(s) for s in snaps}
        for name, table in previous.items():  # tables this build did not touch stay as they were
            if name in rebuilt:  # (a table built with another, e.g. population_total, is never left stale)
                continue
            if not _inputs_present(table, present):  # 'snapshots remove' took its inputs: its figures go too
                report.dropped.append(name)
                continue
            for src in (table, sidecar_path(table)):
                if src.exists():
                    _link_or_copy(src, folder / src.name)
    return report


def _inputs_present(table: Path, present: set[str]) -> bool:
    """Whether every raw snapshot a published table was built from is still stored."""
    try:
        inputs = read_sidecar(table).get("inputs", [])
    except (OSError, ValueError, AttributeError):  # no readable record: carried over as before
        return True
    return all(snapshot_id(d["input"]) in present for d in inputs if isinstance(d, dict) and d.get("input"))


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
            if frame["age"].isna().any():  # all-ages rows beside single ages: the shape before population_total
                raise DataValidationError(
                    f"{path}: built by an older version of cityindicators (all-ages rows without an age); "
                    "run 'cityindicators build' to rebuild the processed tables from the raw snapshots"
                )
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


def stored_table(dataset: str, data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The processed table ``dataset`` of the published build as stored, every row and sex level:
    what :func:`load` filters. Kept per file and modification time, shared: treat it as read-only.

    Raises
    ------
    DatasetNotFoundError
        The dataset is not built (the message lists the built ones).
    """
    path = current_tables(data_dir).get(dataset) or DataPaths.of(data_dir).processed_table(dataset)
    if not path.exists():
        raise DatasetNotFoundError(
            f"dataset {dataset!r} is not built in {path.parent} (run 'cityindicators build'; available: "
            f"{', '.join(available_datasets(data_dir)) or 'none'})"
        )
    return _load_cached(path)


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
        ``life_expectancy``, ``urban_rural``, ``density`` or ``published_indicators``; the
        all-ages figures of the age-resolved tables are ``population_total``, ``deaths_total``
        and ``migration_total``.
    territories
        Names or codes in any form the register resolves ("Visaginas", "30", "LT-59").
    years, age
        Values to keep (``None``: all). ``population``, ``deaths`` and ``migration`` hold single
        ages only, so a frame sums correctly by any key.
    sex
        One sex level, never both mixed, so that a sum over ``sex`` counts no one twice:
        ``None`` (the default): ``male`` and ``female``; ``"total"``: both sexes, one row per
        key (the published figure, else male + female in a table of counts); ``"male"`` or
        ``"female"``: that sex. A caller that wants the split and the total in one frame asks
        for all three, ``("male", "female", "total")``, and adds over ``sex`` only after
        choosing. A table whose source gives both sexes only (the real extract's deaths) has
        no male/female rows: its figures come with ``sex="total"``. The default then refuses
        rather than return nothing (``DataValidationError`` naming the dataset and the call), and
        warns when it leaves out some keys given for both sexes only.
    data_dir
        A data directory, or a :class:`~cityindicators.workspace.Workspace`, whose table is
        read once and filtered here at each call.

    Examples
    --------
    >>> load("population", territories="Visaginas", years=range(2010, 2016), sex="total")  # doctest: +SKIP

    Raises
    ------
    DatasetNotFoundError
        The dataset is not built.
    DataValidationError
        An unknown ``sex`` label; or, by default, rows given for both sexes only (the message
        says ``sex='total'``).
    """
    rows = _selected_rows(dataset, territories, years, age, data_dir)
    if "sex" not in dataset_spec(dataset).keys:
        return rows.reset_index(drop=True).copy()
    out = sex_level(rows, dataset, sex)
    if sex is None:
        _check_total_only(rows, out, dataset)
    return out.copy()


def load_levels(dataset: str, territories: str | Sequence[str] | None = None,
                data_dir: str | os.PathLike | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(load(dataset), load(dataset, sex="total"))``, the rows selected once: the two sexes and
    the both-sexes figures of a table with a ``sex`` key, each a frame of its own."""
    if "sex" not in dataset_spec(dataset).keys:
        raise DataValidationError(f"{dataset}: no sex split; use load({dataset!r})")
    rows = _selected_rows(dataset, territories, None, None, data_dir)
    return sex_level(rows, dataset).copy(), sex_level(rows, dataset, BOTH_SEXES).copy()


def _selected_rows(dataset: str, territories, years, age, data_dir) -> pd.DataFrame:
    """The stored rows of ``dataset`` of the territories, years and ages asked for (every sex level)."""
    spec = dataset_spec(dataset)
    kept = kept_data(data_dir)
    # a workspace: its table, read once per build (it reads it with stored_table of its folder)
    frame = kept.table(dataset) if kept is not None else stored_table(dataset, data_dir)
    mask = pd.Series(True, index=frame.index)
    terr = _as_list(territories)
    if terr is not None:
        reg = get_register(data_dir)
        codes = [t if str(t).startswith("G:") else reg.resolve(t).code for t in terr]
        mask &= frame["territory_code"].isin(codes)
    yrs = _as_list(years)
    if yrs is not None:
        mask &= frame["year"].isin([int(y) for y in yrs])
    ag = _as_list(age)
    if ag is not None and "age" in spec.keys:
        mask &= frame["age"].isin([int(a) for a in ag])
    return frame if mask.all() else frame[mask]  # (callers copy what they return)


def _check_total_only(rows: pd.DataFrame, split: pd.DataFrame, dataset: str) -> None:
    """Refuse the default (male/female) view of rows given for both sexes only, and warn when it
    leaves out some keys given so: a caller must not get nothing, or part, without a word."""
    total = (rows["sex"] == BOTH_SEXES).to_numpy(bool)  # (compared in pandas: the column is Arrow text)
    if not total.any():
        return
    if split.empty:
        raise DataValidationError(
            f"{dataset}: the rows asked for are published for both sexes only, with no men and women; "
            f"load({dataset!r}, ..., sex='total') gives them")
    key = key_codes(rows, [k for k in dataset_spec(dataset).key_columns if k != "sex"])
    n = int((~np.isin(key[total], key[~total])).sum())
    if n:
        log.warning("%s: %d key(s) are given for both sexes only and are left out of the male/female rows; "
                    "load(%r, ..., sex='total') gives them", dataset, n, dataset)


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

    @property
    def cube(self) -> Cube:
        """The same array as a :class:`~cityindicators.cube.Cube` (a view: nothing copied)."""
        return Cube(self.values, DIMS, {"territory": self.codes, "year": self.years, "sex": SEXES, "age": self.ages})


def population_array(frame: pd.DataFrame) -> PopulationArray:
    """Dense ``[territory, year, sex, age]`` array from the male/female rows of a population frame."""
    rows = frame[frame["sex"].isin(SEXES)]
    if rows.empty:
        raise DataValidationError("population frame has no single-age male/female rows")
    top = int(rows["age"].max())
    cube = Cube.from_tidy(rows, DIMS, {"sex": SEXES, "age": np.arange(top + 1)})
    return PopulationArray(cube.values, cube.coords["territory"], cube.coords["year"], cube.coords["age"], top)
