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


#: Cells that mean "no figure" in published tables (kept as missing where blanks are allowed).
BLANK_CELLS = ("", "nan", "NaN", "..", "-", ":")
# Thousands groups: "20,249", "1,234,567.5" (comma groups) and "1.234.567,5" (dot groups).
_COMMA_GROUPS = r"[+-]?[1-9]\d{0,2}(?:,\d{3})+"
_DOT_GROUPS = r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+"


def _comma_role(cells: pd.Series) -> tuple[str, str | None]:
    """How a column's cells use the comma: ``decimal``, ``thousands``, ``ambiguous`` or ``mixed``.

    Decided for the whole column, so that one cell cannot be read one way and its neighbour the
    other: "12,5" or "0,123" or "1.234,5" show a decimal comma; "1,234,567" or "1,234.5" show a
    thousands separator; "20,249" alone could be either (ambiguous). Returns the role and, for
    ``ambiguous``/``mixed``, a cell that shows why.
    """
    with_comma = cells[cells.str.contains(",", regex=False)]
    if with_comma.empty:
        return "none", None
    both = with_comma.str.contains(".", regex=False)
    comma_last = with_comma.str.rfind(",") > with_comma.str.rfind(".")
    groups = with_comma.str.fullmatch(_COMMA_GROUPS)
    several = with_comma.str.count(",") > 1
    decimal = (both & comma_last) | (~both & ~groups)
    thousands = (both & ~comma_last) | (~both & groups & several)
    dots = cells[~cells.str.contains(",", regex=False) & cells.str.contains(".", regex=False)]
    if decimal.any() and (thousands.any() or len(dots)):
        example = with_comma[thousands].iloc[0] if thousands.any() else dots.iloc[0]
        return "mixed", example
    if decimal.any():
        return "decimal", None
    if thousands.any():
        return "thousands", None
    return "ambiguous", with_comma.iloc[0]


def _normalise_numbers(cells: pd.Series, role: str) -> pd.Series:
    """Cells rewritten with ``.`` as the decimal mark and no thousands separators."""
    if role == "decimal":
        dotted = cells.str.fullmatch(_DOT_GROUPS + r"(?:,\d+)?")
        cells = cells.where(~dotted, cells.str.replace(".", "", regex=False))
        return cells.str.replace(",", ".", regex=False)
    if role == "thousands":
        grouped = cells.str.fullmatch(_COMMA_GROUPS + r"(?:\.\d+)?")
        # a comma that is not a clean thousands group stays, and the cell is then not a number
        return cells.where(~grouped, cells.str.replace(",", "", regex=False))
    return cells


def _quote_rows(frame: pd.DataFrame, mask: pd.Series, col: str, n: int = 5) -> str:
    rows = frame.loc[mask, [_LINE, col]].head(n)
    return "; ".join(f"row {r[_LINE]}: {r[col]!r}" for _, r in rows.iterrows())


def to_numbers(frame: pd.DataFrame, columns: Iterable[str], path: Path | str, *, allow_blank: bool = True,
               non_negative: bool = False, integer: bool = False) -> pd.DataFrame:
    """Convert text columns to numbers; a cell that is not a finite number is an error naming row and field.

    Blank cells become NaN when ``allow_blank``. Spaces (also no-break spaces) inside a number are
    thousands separators ("20 249"). A comma is read as the column shows it is used: as a decimal
    comma ("12,5") or as a thousands separator ("1,234,567"; "20,249" in a column of whole
    numbers); a comma that could be either in a column of fractional values, or a column that
    mixes the two conventions, is refused rather than guessed. ``inf`` and ``nan`` written as
    numbers, and values too large for a float, are refused. With ``integer`` (counts) every value
    must be a whole number.
    """
    out = frame.copy()
    for col in columns:
        raw = out[col].astype(str).str.strip()
        raw = raw.str.replace(r"[\s\u00a0\u202f]", "", regex=True)
        blank = raw.isin(BLANK_CELLS) if allow_blank else raw.eq("")
        role, example = _comma_role(raw[~blank])
        if role == "ambiguous" and integer:
            role = "thousands"  # in a column of counts a comma before three digits can only group thousands
        if role in ("ambiguous", "mixed"):
            at = out.loc[raw.eq(example)].iloc[0]
            why = ("could be a decimal comma or a thousands separator" if role == "ambiguous"
                   else "the column mixes decimal commas and thousands separators")
            raise ParseError(
                f"{path}: row {at[_LINE]}: field {col!r}: {at[col]!r} {why}; write numbers with a decimal point "
                "and no thousands separator (e.g. 20249 or 20.249)"
            )
        cells = _normalise_numbers(raw, role)
        nums = pd.to_numeric(cells.where(~blank), errors="coerce")
        if pd.api.types.is_bool_dtype(nums) or nums.dtype == object:
            nums = nums.astype(float)
        nonfinite = np.isinf(nums.to_numpy(dtype=float))
        bad = (nums.isna() & ~blank) | nonfinite
        if not allow_blank:
            bad |= blank
        if bad.any():
            raise ParseError(f"{path}: field {col!r}: not a finite number in {int(bad.sum())} row(s): "
                             f"{_quote_rows(out, bad, col)}")
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
