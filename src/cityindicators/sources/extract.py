"""Import of Statistics Lithuania table extracts in the "lithuania_in_numbers" layout.

The layout (see ``shared/data/README.md``): semicolon-separated UTF-8 files with a header row,
territories named by OSP's English short labels ("Visaginas mun.", "Alytus t. mun.",
"Utena county", "Republic of Lithuania"), and wide value columns:

============================  ===========================================  ==================
file                          columns                                      canonical table
============================  ===========================================  ==================
``population.csv``            Territory; Year; Age; Total; Men; Women      ``population``
``births.csv``                Territory; Year; Total; Boys; Girls          ``births``
``deaths.csv``                Territory; Year; Total; Infant               ``deaths``
``life_expectancy.csv``       Territory; Year; Total; Men; Women           ``life_expectancy``
``urban_rural.csv``           Territory; Year; Total; Urban; Rural         ``urban_rural``
``density.csv``               Territory; Year; Density                     ``density``
============================  ===========================================  ==================

In ``population.csv`` age ``-1`` is all ages and ``85`` is the open group 85 and over. Blank
cells (unpublished breakdowns) are left out rather than stored as zero.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from ..exceptions import DatasetNotFoundError, ParseError
from ..geography import get_register
from ..schema import LINE
from ..snapshots import RawSnapshots, SnapshotWriter
from ._import import ImportResult, check_not_empty, record_snapshot, stated_date_meta, validation_warnings
from ._table import UniqueKeys, iter_text_table, map_territories, read_text_table, to_numbers
from .registry import register_parser

__all__ = ["EXTRACT_FILES", "parse_extract_file", "import_osp_extract", "ImportResult", "check_not_empty"]

log = logging.getLogger(__name__)

SOURCE = "osp-extract"
LICENCE = (
    "Statistics Lithuania (Oficialiosios statistikos portalas) figures; reuse with attribution to "
    "Statistics Lithuania. Republished extract."
)

#: file stem -> (canonical table, value columns -> (key column, key value), whether counts)
EXTRACT_FILES: dict[str, tuple[str, dict[str, tuple[str, object]], bool]] = {
    "population": ("population", {"Total": ("sex", "total"), "Men": ("sex", "male"), "Women": ("sex", "female")}, True),
    "births": ("births", {"Total": ("sex", "total"), "Boys": ("sex", "male"), "Girls": ("sex", "female")}, True),
    "deaths": ("deaths", {"Total": ("age", None), "Infant": ("age", 0)}, True),
    "life_expectancy": ("life_expectancy", {"Total": ("sex", "total"), "Men": ("sex", "male"), "Women": ("sex", "female")}, False),
    "urban_rural": ("urban_rural", {"Total": ("area", "total"), "Urban": ("area", "urban"), "Rural": ("area", "rural")}, True),
    "density": ("density", {"Density": ("", None)}, False),
}

#: Top single age of the extract's population table; it is an open group (85 and over).
OPEN_AGE = 85


def parse_extract_file(path: str | os.PathLike, stem: str | None = None) -> dict[str, pd.DataFrame]:
    """Parse one extract file into ``{canonical table: frame}`` (not yet tidied).

    Raises :class:`ParseError` / :class:`DataValidationError` / :class:`UnknownTerritoryError`
    naming the file, row and field for: a wrong delimiter, missing columns, text in numeric
    cells, negative counts, duplicate rows, unknown or ambiguous territories, non-UTF-8 or
    truncated files.
    """
    path = Path(path)
    stem = stem or path.stem
    if stem not in EXTRACT_FILES:
        raise ParseError(f"{path}: not a known extract table; expected one of {sorted(EXTRACT_FILES)}")
    table, value_cols, counts = EXTRACT_FILES[stem]
    has_age = stem == "population"
    required = ["Territory", "Year", *(["Age"] if has_age else []), *value_cols]
    keys = UniqueKeys(["territory_code", "Year", *(["Age"] if has_age else [])], path)
    # The file is read in chunks (memory stays flat for any size); each chunk is checked and
    # turned into canonical rows at once, so a damaged file is refused at its first bad row.
    parts = [_canonical_rows(chunk, path, stem, keys) for chunk in iter_text_table(path, required, delimiter=";")]
    if not parts:
        parts = [_canonical_rows(read_text_table(path, required, delimiter=";"), path, stem, keys)]
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return {table: out}


def _canonical_rows(raw: pd.DataFrame, path: Path, stem: str, keys: UniqueKeys) -> pd.DataFrame:
    """Canonical long rows of one chunk of an extract table, checked (numbers, ages, territories, unique keys)."""
    table, value_cols, counts = EXTRACT_FILES[stem]
    has_age = stem == "population"
    raw = to_numbers(raw, ["Year"], path, allow_blank=False, integer=True)
    if has_age:
        raw = to_numbers(raw, ["Age"], path, allow_blank=False, integer=True)
        bad = (raw["Age"] < -1) | (raw["Age"] > OPEN_AGE)
        if bad.any():
            r = raw.loc[bad].iloc[0]
            raise ParseError(f"{path}: row {r['_line']}: field 'Age': {r['Age']:g} outside -1 (all ages) .. {OPEN_AGE} ({OPEN_AGE}+)")
    # Blank cells are unpublished figures (left out). Only the population table must be
    # complete: a blank total there means a damaged file.
    main = next(iter(value_cols))
    raw = to_numbers(raw, list(value_cols), path, allow_blank=True, non_negative=counts, integer=counts and table != "density")
    if has_age and raw[main].isna().any():
        r = raw.loc[raw[main].isna()].iloc[0]
        raise ParseError(f"{path}: row {r['_line']}: field {main!r} is blank")
    raw = map_territories(raw, "Territory", get_register(), path)
    keys.add(raw)
    id_cols = [*keys.keys, "_line"]
    long = raw.melt(id_vars=id_cols, value_vars=list(value_cols), var_name="_col", value_name="value")
    long = long[long["value"].notna()]
    out = pd.DataFrame({"territory_code": long["territory_code"], "year": long["Year"].astype(int), "value": long["value"],
                        LINE: long["_line"]})
    key = next(iter(value_cols.values()))[0]  # the column the wide value columns spread over
    if key:
        out[key] = long["_col"].map({c: v for c, (_, v) in value_cols.items()}).to_numpy()
    if table == "deaths":
        out["sex"] = "total"
        out["age"] = pd.array(out["age"], dtype="Int64")
    if has_age:
        age = long["Age"].astype(int)
        out["age"] = age.where(age >= 0).astype("Int64")
        out["open_age"] = age.eq(OPEN_AGE).to_numpy()
    return out.reset_index(drop=True)


def _parse_snapshot(path: Path, meta: dict) -> dict[str, pd.DataFrame]:
    return parse_extract_file(path, stem=meta.get("table_file") or path.parent.name)


register_parser("osp-extract", _parse_snapshot)


def import_osp_extract(directory: str | os.PathLike, data_dir: str | os.PathLike | None = None, *,
                       allow_empty: bool = False, writer: SnapshotWriter | None = None,
                       source_date: str | None = None) -> ImportResult:
    """Import every known table of an extract folder into raw snapshots.

    Each file is parsed and validated first; only when all pass are they copied, byte for
    byte, to ``data/raw/osp-extract/<table>/<date>-<hash>.csv`` with a provenance sidecar. A bad
    file stops the import before anything is stored; so does a table without rows, unless
    ``allow_empty``. A file whose exact bytes are already stored is left as it is (reported as
    unchanged). The snapshots go through ``writer`` (default: the raw store of ``data_dir``).
    ``source_date``: the extract's own date (``YYYY-MM-DD``, the day it was published), recorded in
    the sidecars for the reports' sources table (:func:`~._import.stated_date_meta`).
    """
    stated = stated_date_meta(source_date)  # a wrong date is refused before anything is read
    directory = Path(directory)
    if not directory.is_dir():
        raise DatasetNotFoundError(f"{directory}: not a folder")
    found = [(directory / f"{stem}.csv", stem) for stem in EXTRACT_FILES if (directory / f"{stem}.csv").exists()]
    if not found:
        raise DatasetNotFoundError(
            f"{directory}: no extract tables found; expected any of {', '.join(s + '.csv' for s in EXTRACT_FILES)}"
        )
    parsed, warnings = {}, []
    for path, stem in found:
        frames = parse_extract_file(path, stem)
        check_not_empty(frames, path, allow_empty)
        parsed[stem] = (path, {name: len(frame) for name, frame in frames.items()})
        warnings += validation_warnings(frames, path)
    writer = writer or RawSnapshots(data_dir)
    result = ImportResult([], {}, warnings)
    for stem, (path, counts) in parsed.items():
        stored = writer.store(
            SOURCE,
            stem,
            path,
            "csv",
            {
                "parser": "osp-extract",
                "table_file": stem,
                "original_path": str(path.resolve()),
                "producer": "Statistics Lithuania",
                "licence": LICENCE,
                "tables": sorted(counts),
                "allow_empty": allow_empty,
                **stated,
            },
        )
        record_snapshot(result, stored, stated)
        for name, n in counts.items():
            result.rows[name] = result.rows.get(name, 0) + n
    return result
