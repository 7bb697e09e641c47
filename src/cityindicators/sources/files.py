"""Import of user files: tidy tables (CSV/XLSX) and long published-indicator tables.

``import_tidy(file, dataset)`` reads a table with the columns ``territory, year, [sex], [age],
value`` (plus the dataset's other keys, e.g. ``flow`` for migration, ``indicator`` and ``unit``
for labour). Column names are matched case-insensitively and in Lithuanian too (``savivaldybė``,
``metai``, ``lytis``, ``amžius``, ``reikšmė``); sexes may be written ``total/male/female``,
``iš viso/vyrai/moterys``, ``men/women`` or OSP codes ``0/1/2``; ages as integers, ``85+`` for
an open group, or ``total`` / blank for all ages. Territory names are resolved through the
register in any accepted form.

``import_indicators(file)`` reads a long indicator table in the form of
``lt-municipal-2016/indicators.csv`` (municipality, county, indicator, name_lt, name_en, unit,
year, value) into ``published_indicators``. Rows such as "Vidutinė Lietuvos savivaldybė" (the
average municipality, not a territory) are dropped with a warning. The checks of its units and
values against the indicator catalogue are handed in by the caller (``check=``; the CLI hands
:func:`cityindicators.indicators.published.check_published_table`): this layer may not see it.

Both validate the whole file first and only then copy it, byte for byte, into
``data/raw/<source>/<dataset>/<date>.<ext>`` with a provenance sidecar.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

import pandas as pd

from .._io import refuse_special_file
from ..exceptions import DatasetNotFoundError, DataValidationError, ParseError
from ..geography import get_register, normalise_name
from ..schema import DATASETS, LINE
from ..snapshots import RawSnapshots, SnapshotWriter
from ._import import ImportResult, check_not_empty, record_snapshot, stated_date_meta, validation_warnings
from ._table import check_filled, check_unique, map_territories, map_unique, read_any_table, to_numbers
from .registry import register_parser

__all__ = ["parse_tidy_file", "parse_indicator_file", "import_tidy", "import_indicators", "SEX_ALIASES"]

log = logging.getLogger(__name__)

COLUMN_ALIASES = {
    "territory": ("territory", "territory_code", "municipality", "savivaldybe", "teritorija", "name", "region"),
    "year": ("year", "metai", "laikotarpis", "time_period", "period"),
    "sex": ("sex", "lytis", "gender"),
    "age": ("age", "amzius"),
    "value": ("value", "reiksme", "obs_value", "count"),
    "open_age": ("open_age",),
    "flow": ("flow", "srautas"),
    "indicator": ("indicator", "rodiklis"),
    "area": ("area", "vietove"),
    "unit": ("unit", "vienetas", "matvnt"),
    "name_lt": ("name_lt",),
    "name_en": ("name_en",),
}

SEX_ALIASES = {
    normalise_name(k): v
    for v, keys in {
        "total": ("total", "both", "both sexes", "is viso", "iš viso", "abi lytys", "0", "t"),
        "male": ("male", "males", "men", "man", "vyrai", "vyras", "1", "m"),
        "female": ("female", "females", "women", "woman", "moterys", "moteris", "2", "f"),
    }.items()
    for k in keys
}
_ALL_AGES = {normalise_name(x) for x in ("", "total", "all", "all ages", "is viso", "iš viso", "-1", "g000g999")}


def _canonical_columns(path: Path, dataset: str) -> pd.DataFrame:
    spec = DATASETS[dataset]
    needed = ["territory", "year", *[k for k in spec.keys], "value"]
    optional = [c for c in ("open_age", "unit", "name_lt", "name_en") if c not in needed]
    frame = read_any_table(path, required=[], all_columns=True)
    cols = {normalise_name(c): c for c in frame.columns if c != "_line"}
    rename, missing = {}, []
    for canon in needed + optional:
        hit = next((cols[normalise_name(a)] for a in COLUMN_ALIASES.get(canon, (canon,)) if normalise_name(a) in cols), None)
        if hit is not None:
            rename[hit] = canon
        elif canon in needed:
            missing.append(canon)
    if missing:
        found = [c for c in frame.columns if c != "_line"]
        raise ParseError(f"{path}: row 1 (header): missing column(s) {missing} for dataset {dataset!r}; found {found}")
    return frame.rename(columns=rename).loc[:, [*rename.values(), "_line"]]


def parse_tidy_file(path: str | os.PathLike, dataset: str) -> dict[str, pd.DataFrame]:
    """Parse a tidy CSV/XLSX file into ``{dataset: frame}`` in canonical columns."""
    path = Path(path)
    if dataset not in DATASETS:
        raise DataValidationError(f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}")
    spec = DATASETS[dataset]
    frame = _canonical_columns(path, dataset)
    frame = to_numbers(frame, ["year"], path, allow_blank=False, integer=True)
    frame = to_numbers(frame, ["value"], path, allow_blank=True, non_negative=spec.counts and not spec.signed,
                       integer=spec.counts)
    if "sex" in spec.keys:
        sx = map_unique(frame["sex"].astype(str), normalise_name).map(SEX_ALIASES)
        if sx.isna().any():
            r = frame.loc[sx.isna()].iloc[0]
            raise ParseError(f"{path}: row {r['_line']}: field 'sex': {r['sex']!r} is not a sex; use total, male or female")
        frame["sex"] = sx
    if "age" in spec.keys:
        text = frame["age"].astype(str).str.strip()
        is_all = map_unique(text, normalise_name).isin(_ALL_AGES)
        plus = text.str.endswith("+")
        num = pd.to_numeric(text.str.rstrip("+").where(~is_all), errors="coerce")
        bad = num.isna() & ~is_all
        if bad.any():
            r = frame.loc[bad].iloc[0]
            raise ParseError(f"{path}: row {r['_line']}: field 'age': {r['age']!r} is not an age (write 0, 1, ..., 85+ or total)")
        # an age is counted in whole years: rounding 30.5 to 30 would overwrite the real age 30's figure
        frac = num.notna() & (num != num.round())
        if frac.any():
            r = frame.loc[frac].iloc[0]
            raise ParseError(f"{path}: row {r['_line']}: field 'age': {r['age']!r} is not a whole number (an age in years)")
        frame["age"] = pd.array(num.round(), dtype="Int64")
        opened = frame["open_age"].astype(str).str.lower().isin(["true", "1", "yes"]) if "open_age" in frame else False
        frame["open_age"] = plus | opened
    frame = map_territories(frame, "territory", get_register(), path)
    for k in spec.keys:
        if k not in ("sex", "age"):
            frame[k] = frame[k].astype(str).str.strip()
    check_unique(frame, ["territory_code", "year", *spec.keys], path)
    keep = [c for c in ("territory_code", "year", *spec.keys, *spec.extra, "value", LINE) if c in frame]
    return {dataset: frame.loc[:, keep].reset_index(drop=True)}


def parse_indicator_file(path: str | os.PathLike) -> dict[str, pd.DataFrame]:
    """Parse a long published-indicator table into ``{"published_indicators": frame}``."""
    path = Path(path)
    required = ["municipality", "indicator", "unit", "year", "value"]
    frame = read_any_table(path, required=required, optional=["county", "name_lt", "name_en"])
    check_filled(frame, ["indicator"], path)
    frame = to_numbers(frame, ["year"], path, allow_blank=False, integer=True)
    frame = to_numbers(frame, ["value"], path, allow_blank=True)
    frame = map_territories(frame, "municipality", get_register(), path)
    check_unique(frame, ["territory_code", "year", "indicator"], path)
    out = frame.assign(
        name_lt=frame.get("name_lt", ""), name_en=frame.get("name_en", ""),
        status=frame["value"].isna().map({True: "missing", False: None}),
    )
    _warn_missing(out, path)
    return {"published_indicators": out.loc[:, ["territory_code", "year", "indicator", "unit", "name_lt", "name_en", "value", "status", LINE]]}


def _warn_missing(frame: pd.DataFrame, path: Path) -> None:
    """Say how many blank values ("", "-", "..", ":", NaN) a file holds: they are kept as missing,
    which a user who meant a 0 or a figure left out by mistake would otherwise not learn."""
    if frame["value"].isna().any():
        log.warning("%s: %d missing value(s) kept as missing", path, int(frame["value"].isna().sum()))


def _parse_tidy_snapshot(path: Path, meta: dict) -> dict[str, pd.DataFrame]:
    return parse_tidy_file(path, meta["target"])


def _parse_indicator_snapshot(path: Path, meta: dict) -> dict[str, pd.DataFrame]:
    return parse_indicator_file(path)


register_parser("tidy", _parse_tidy_snapshot)
register_parser("indicators", _parse_indicator_snapshot)


def import_tidy(
    file: str | os.PathLike,
    dataset: str,
    data_dir: str | os.PathLike | None = None,
    *,
    source: str = "tidy",
    extra_meta: dict | None = None,
    allow_empty: bool = False,
    writer: SnapshotWriter | None = None,
    source_date: str | None = None,
) -> ImportResult:
    """Validate a tidy file and store it as a new raw snapshot of ``dataset``.

    A file without data rows is an error unless ``allow_empty``; a file whose exact bytes are
    already stored is reported as unchanged and nothing is written. The snapshot goes through
    ``writer`` (default: the raw store of ``data_dir``). ``source_date``: the file's own date
    (``YYYY-MM-DD``), recorded for the reports' sources table (:func:`~._import.stated_date_meta`).
    """
    stated = stated_date_meta(source_date)
    path = _existing_file(file)
    frames = parse_tidy_file(path, dataset)
    check_not_empty(frames, path, allow_empty)
    _warn_missing(frames[dataset], path)  # at import only: the build says what became of them
    rows = {dataset: len(frames[dataset])}
    warnings = validation_warnings(frames, path)
    meta = {"parser": "tidy", "target": dataset, "original_path": str(path.resolve()), "allow_empty": allow_empty,
            **(extra_meta or {}), **stated}
    result = ImportResult([], rows, warnings)
    record_snapshot(result, (writer or RawSnapshots(data_dir)).store(source, dataset, path, _extension(path), meta),
                    stated)
    return result


def import_indicators(file: str | os.PathLike, data_dir: str | os.PathLike | None = None, *,
                      allow_empty: bool = False, writer: SnapshotWriter | None = None,
                      source_date: str | None = None,
                      check: Callable[[pd.DataFrame, Path], list[str]] | None = None) -> ImportResult:
    """Validate a long indicator table and store it as a new raw snapshot (named by the file's stem)
    through ``writer`` (default: the raw store of ``data_dir``); ``source_date`` as :func:`import_tidy`'s.

    ``check(table, path)`` is run on the parsed table before anything is stored: it raises to refuse
    the file and returns warnings to add. The CLI hands the catalogue's checks
    (:func:`cityindicators.indicators.published.check_published_table`), which this layer may not import.
    """
    stated = stated_date_meta(source_date)
    path = _existing_file(file)
    frames = parse_indicator_file(path)
    check_not_empty(frames, path, allow_empty)
    table = frames["published_indicators"]
    rows, dropped = {"published_indicators": len(table)}, table.attrs.get("dropped_non_territory_rows", 0)
    warnings = validation_warnings(frames, path)
    if check is not None:
        warnings += check(table, path)
    meta = {"parser": "indicators", "original_path": str(path.resolve()), "allow_empty": allow_empty,
            "dropped_non_territory_rows": dropped, **stated}
    result = ImportResult([], rows, warnings)
    # the stem names the snapshot folder; the store refuses one that would leave raw/indicators/
    writer = writer or RawSnapshots(data_dir)
    record_snapshot(result, writer.store("indicators", path.stem, path, _extension(path), meta), stated)
    return result


def _existing_file(file: str | os.PathLike) -> Path:
    path = Path(file)
    if not path.exists():
        raise DatasetNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise DatasetNotFoundError(f"{path}: not a file (a folder)")
    refuse_special_file(path, DatasetNotFoundError)
    return path


def _extension(path: Path) -> str:
    return path.suffix.lstrip(".").lower() or "csv"
