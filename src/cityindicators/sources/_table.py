"""Reading delimited and spreadsheet files strictly, with errors that name file, row and field.

Row numbers in messages are the line numbers a user sees in a text editor or spreadsheet
(the header is row 1).
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..exceptions import AmbiguousTerritoryError, DataValidationError, ParseError, UnknownTerritoryError
from ..geography import Register, normalise_name

__all__ = ["read_text_table", "read_any_table", "to_numbers", "map_territories", "map_unique", "NON_TERRITORY_LABELS", "check_unique"]

log = logging.getLogger(__name__)

#: Labels that published tables carry as rows but that are not territories (dropped with a warning).
NON_TERRITORY_LABELS = {
    normalise_name(x)
    for x in ("Vidutinė Lietuvos savivaldybė", "Average municipality", "Savivaldybių vidurkis", "Municipal average")
}

_LINE = "_line"


def _decode(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(
            f"{path}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at row {line}, byte {exc.start}); "
            "save the file as UTF-8 (in Excel: 'CSV UTF-8')"
        ) from None
    if "\x00" in text:
        raise ParseError(f"{path}: contains NUL bytes; it is not a text table (UTF-16 or a binary file?)")
    return text


def read_text_table(
    path: str | Path,
    required: Sequence[str],
    *,
    delimiter: str | None = None,
    optional: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a delimited text file strictly into a frame of strings with a ``_line`` column.

    Parameters
    ----------
    required
        Columns that must be present (exact names as in the header).
    delimiter
        The expected delimiter; when given, a file written with another one is an error that
        says which. When ``None``, it is sniffed among ``, ; \\t``.

    Raises
    ------
    ParseError
        Not UTF-8, wrong delimiter, missing columns, a row with a wrong number of fields
        (including a truncated last row), or an empty file.
    """
    path = Path(path)
    text = _decode(path, path.read_bytes())
    if not text.strip():
        raise ParseError(f"{path}: the file is empty")
    header = text.splitlines()[0]
    if delimiter is None:
        counts = {d: header.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=counts.get)
        if counts[delimiter] == 0 and len(required) > 1:
            raise ParseError(f"{path}: cannot find a delimiter (',', ';' or tab) in the header row {header!r}")
    elif header.count(delimiter) == 0 and len(required) > 1:
        found = [name for d, name in ((",", "comma"), (";", "semicolon"), ("\t", "tab")) if d != delimiter and d in header]
        hint = f" it seems to use {found[0]} instead" if found else ""
        want = {",": "comma", ";": "semicolon", "\t": "tab"}.get(delimiter, repr(delimiter))
        raise ParseError(f"{path}: row 1 (header): expected {want}-separated columns {list(required)};{hint}")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = list(reader)
    head = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in head]
    if missing:
        raise ParseError(f"{path}: row 1 (header): missing column(s) {missing}; found {head}; expected {list(required)}")
    n = len(head)
    body = rows[1:]
    for i, r in enumerate(body, start=2):
        if len(r) != n and any(cell.strip() for cell in r):
            last = i == len(rows) and not text.endswith(("\n", "\r"))
            why = " (the file seems truncated)" if last else ""
            raise ParseError(f"{path}: row {i}: {len(r)} field(s), expected {n} ({', '.join(head)}){why}")
    numbered = [(i, r) for i, r in enumerate(body, start=2) if any(cell.strip() for cell in r)]
    frame = pd.DataFrame([r for _, r in numbered], columns=head, dtype=str)
    frame[_LINE] = [i for i, _ in numbered]
    keep = [c for c in head if c in set(required) | set(optional)] + [_LINE]
    return frame.loc[:, keep]


def read_any_table(
    path: str | Path, required: Sequence[str], optional: Sequence[str] = (), *, all_columns: bool = False
) -> pd.DataFrame:
    """Read a CSV/TSV (delimiter sniffed) or an XLSX sheet (the first) into strings with ``_line``.

    Column names are matched case-insensitively and with surrounding spaces ignored; the
    returned frame uses the names in ``required``/``optional``.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        try:
            raw = pd.read_excel(path, dtype=str, sheet_name=0)
        except Exception as exc:  # openpyxl raises many types for broken files
            raise ParseError(f"{path}: cannot read as a spreadsheet: {exc}") from exc
        raw.columns = [str(c).strip() for c in raw.columns]
        raw = raw.dropna(how="all")
        raw[_LINE] = raw.index.to_numpy() + 2
    else:
        text_head = _decode(path, path.read_bytes()).splitlines()[:1]
        header = text_head[0] if text_head else ""
        counts = {d: header.count(d) for d in (",", ";", "\t")}
        delim = max(counts, key=counts.get)
        raw = read_text_table(path, required=[], delimiter=delim, optional=[c.strip() for c in header.split(delim)])
    if all_columns:
        return raw.fillna("")
    lower = {c.lower(): c for c in raw.columns if c != _LINE}
    wanted = list(required) + list(optional)
    rename = {}
    for w in wanted:
        if w.lower() in lower:
            rename[lower[w.lower()]] = w
    missing = [c for c in required if c.lower() not in lower]
    if missing:
        raise ParseError(
            f"{path}: row 1 (header): missing column(s) {missing}; found {[c for c in raw.columns if c != _LINE]}"
        )
    out = raw.rename(columns=rename)
    return out.loc[:, [c for c in wanted if c in out.columns] + [_LINE]].fillna("")


def to_numbers(frame: pd.DataFrame, columns: Iterable[str], path: Path | str, *, allow_blank: bool = True,
               non_negative: bool = False, integer: bool = False) -> pd.DataFrame:
    """Convert text columns to numbers; text in a numeric cell is an error naming row and field.

    Blank cells become NaN when ``allow_blank``. Decimal commas ("12,5") are accepted.
    """
    out = frame.copy()
    for col in columns:
        raw = out[col].astype(str).str.strip().str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
        raw = raw.str.replace(",", ".", regex=False)
        blank = raw.isin(["", "nan", "NaN", "..", "-", ":"]) if allow_blank else raw.eq("")
        nums = pd.to_numeric(raw.where(~blank), errors="coerce")
        bad = nums.isna() & ~blank
        if not allow_blank:
            bad |= blank
        if bad.any():
            rows = out.loc[bad, [_LINE, col]].head(5)
            quoted = "; ".join(f"row {r[_LINE]}: {r[col]!r}" for _, r in rows.iterrows())
            raise ParseError(f"{path}: field {col!r}: not a number in {int(bad.sum())} row(s): {quoted}")
        if integer:
            frac = nums.notna() & (nums != np.round(nums))
            if frac.any():
                r = out.loc[frac].iloc[0]
                raise ParseError(f"{path}: row {r[_LINE]}: field {col!r}: {r[col]!r} is not a whole number (a count)")
        if non_negative:
            neg = nums < 0
            if neg.any():
                rows = out.loc[neg, [_LINE, col]].head(5)
                quoted = "; ".join(f"row {r[_LINE]}: {r[col]}" for _, r in rows.iterrows())
                raise DataValidationError(f"{path}: field {col!r}: negative count in {int(neg.sum())} row(s): {quoted}")
        out[col] = nums.astype(float)
    return out


def map_territories(frame: pd.DataFrame, column: str, register: Register, path: Path | str) -> pd.DataFrame:
    """Add ``territory_code`` resolved from ``column``; drop legacy codes and known non-territory rows.

    Unknown or ambiguous names raise :class:`UnknownTerritoryError` naming the file, the first
    row of each name and the candidates or closest names.
    """
    names = frame[column].astype(str).str.strip()
    folded = map_unique(names, normalise_name)
    drop_nt = folded.isin(NON_TERRITORY_LABELS)
    if drop_nt.any():
        log.warning("%s: dropping %d row(s) that are not territories: %s", path, int(drop_nt.sum()),
                    sorted(names[drop_nt].unique()))
    codes: dict[str, str | None] = {}
    errors, ambiguous = [], []
    for name in names[~drop_nt].unique():
        try:
            codes[name] = register.resolve(name).code
        except UnknownTerritoryError as exc:
            if name in ("51",):
                log.warning("%s: dropping legacy territory code %r", path, name)
                codes[name] = None
                continue
            first = int(frame.loc[names == name, _LINE].iloc[0])
            errors.append(f"row {first}: field {column!r}: {exc}")
            ambiguous.append(isinstance(exc, AmbiguousTerritoryError))
    if errors and all(ambiguous):
        raise AmbiguousTerritoryError(f"{path}: {len(errors)} ambiguous territory name(s):\n  " + "\n  ".join(errors[:10]))
    if errors:
        raise UnknownTerritoryError(f"{path}: {len(errors)} territory name(s) not resolved:\n  " + "\n  ".join(errors[:10]))
    out = frame.loc[~drop_nt].copy()
    out["territory_code"] = names[~drop_nt].map(codes)
    out = out[out["territory_code"].notna()]
    out.attrs["dropped_non_territory_rows"] = int(drop_nt.sum())
    return out


def map_unique(values: pd.Series, func) -> pd.Series:
    """``values.map(func)``, calling ``func`` once per distinct value (tables repeat names a lot)."""
    uniq = pd.unique(values)
    return values.map(dict(zip(uniq, (func(u) for u in uniq))))


def check_unique(frame: pd.DataFrame, keys: Sequence[str], path: Path | str) -> None:
    """Duplicate keys are an error quoting the rows."""
    dup = frame.duplicated(list(keys), keep=False)
    if dup.any():
        rows = frame.loc[dup].sort_values(list(keys)).head(6)
        quoted = "; ".join(
            f"row {r[_LINE]}: " + ", ".join(f"{k}={r[k]}" for k in keys) for _, r in rows.iterrows()
        )
        raise DataValidationError(f"{path}: duplicate rows for the same key {list(keys)} ({int(dup.sum())} rows): {quoted}")
