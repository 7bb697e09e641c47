"""Reading delimited and spreadsheet files strictly, with errors that name file, row and field.

Row numbers in messages are the line numbers a user sees in a text editor or spreadsheet
(the header is row 1).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from ..exceptions import AmbiguousTerritoryError, DataValidationError, ParseError, UnknownTerritoryError
from ..geography import Register, normalise_name

__all__ = ["UniqueKeys", "iter_text_table", "read_text_table", "read_any_table", "open_workbook", "formulas_without_values", "to_numbers", "map_territories", "map_unique", "NON_TERRITORY_LABELS", "check_unique", "check_filled"]

log = logging.getLogger(__name__)

#: Labels that published tables carry as rows but that are not territories (dropped with a warning).
NON_TERRITORY_LABELS = {
    normalise_name(x)
    for x in ("Vidutinė Lietuvos savivaldybė", "Average municipality", "Savivaldybių vidurkis", "Municipal average")
}

_LINE = "_line"


#: Rows per chunk when a text table is read in a stream (memory stays flat whatever the file size).
CHUNK_ROWS = 200_000
#: Bytes per block of the layout pass (UTF-8, NUL bytes, fields per line).
_BLOCK = 4 << 20
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


#: How the files a text table is often mistaken for begin: the ZIP of an XLSX workbook, an old XLS.
_NOT_TEXT = ((b"PK\x03\x04", "an XLSX workbook (a ZIP file); rename it .xlsx"),
             (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook; save it as .xlsx or as CSV UTF-8"))


def _decode(path: Path, data: bytes, line_offset: int = 0, byte_offset: int = 0) -> str:
    if byte_offset == 0:  # "not UTF-8: save as CSV UTF-8" or "NUL bytes" misled about a workbook renamed .csv
        for magic, what in _NOT_TEXT:
            if data.startswith(magic):
                raise ParseError(f"{path}: not a text table but {what}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = line_offset + data[: exc.start].count(b"\n") + 1
        raise ParseError(
            f"{path}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at row {line}, byte {byte_offset + exc.start}); "
            "save the file as UTF-8 (in Excel: 'CSV UTF-8')"
        ) from None
    if "\x00" in text:
        raise ParseError(f"{path}: contains NUL bytes; it is not a text table (UTF-16 or a binary file?)")
    return text


def _header_line(path: Path, limit: int = 1 << 20) -> str:
    """The first line of a text file (decoded strictly); "" for an empty or blank file."""
    with open(path, "rb") as fh:
        data = fh.read(limit)
        while b"\n" not in data and len(data) == limit:  # a header longer than the limit: read on
            more = fh.read(limit)
            if not more:
                break
            data += more
            limit *= 2
    if not data.strip():
        return ""
    head = data.split(b"\n", 1)[0]
    if not head.strip(b" \t\r\xef\xbb\xbf"):
        raise ParseError(f"{path}: row 1 (header) is blank; the first line must name the columns")
    return _decode(path, head).rstrip("\r")


def _wrong_field_count(data: bytes, delimiter: str, n: int) -> tuple[int, int] | None:
    """(line offset in ``data``, fields) of its first line that has not ``n`` fields and is not blank."""
    if b'"' in data:  # quoted cells may hold delimiters: let the csv module count
        rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
        for i, row in enumerate(rows):
            if len(row) != n and any(cell.strip() for cell in row):
                return i, len(row)
        return None
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    if not len(ends) or ends[-1] != len(arr) - 1:
        ends = np.append(ends, len(arr))  # a last line without its newline
    seps = np.concatenate([[0], np.cumsum(arr == ord(delimiter), dtype=np.int64)])
    starts = np.concatenate([[0], ends[:-1] + 1])
    fields = seps[ends] - seps[starts] + 1
    for i in np.flatnonzero(fields != n):
        line = data[starts[i]: ends[i]]
        if line.strip(b" \t\r" + delimiter.encode()):
            return int(i), int(fields[i])
    return None


def _check_layout(path: Path, delimiter: str, head: list[str]) -> None:
    """One streaming pass over the file: UTF-8 text, no NUL bytes, ``len(head)`` fields on every line.

    Done before any row is parsed, in blocks, so that a damaged file is refused quickly and in
    little memory, naming the row (its line number) and, for a short last row, that the file
    seems truncated.
    """
    n, lines, offset, carry = len(head), 0, 0, b""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        while True:
            block = fh.read(_BLOCK)
            data = carry + block
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            if data:
                _decode(path, data, lines, offset)
                bad = _wrong_field_count(data, delimiter, n)
                if bad is not None:
                    row = lines + bad[0] + 1
                    last = offset + len(data) == size and not data.endswith((b"\n", b"\r"))
                    is_last_line = last and data.count(b"\n") == bad[0]
                    why = " (the file seems truncated)" if is_last_line else ""
                    raise ParseError(f"{path}: row {row}: {bad[1]} field(s), expected {n} ({', '.join(head)}){why}")
                lines += data.count(b"\n")
                offset += len(data)
            if not block:
                return


def _table_header(path: Path, required: Sequence[str], delimiter: str | None) -> tuple[list[str], str]:
    header = _header_line(path)
    if not header.strip():
        raise ParseError(f"{path}: the file is empty")
    if delimiter is None:
        counts = {d: header.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=counts.get)
        if counts[delimiter] == 0 and len(required) > 1:
            raise ParseError(f"{path}: cannot find a delimiter (',', ';' or tab) in the header row {header!r}")
    elif header.count(delimiter) == 0 and len(required) > 1:
        found = [name for d, name in _DELIMITER_NAMES.items() if d != delimiter and d in header]
        hint = f" it seems to use {found[0]} instead" if found else ""
        want = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
        raise ParseError(f"{path}: row 1 (header): expected {want}-separated columns {list(required)};{hint}")
    head = [h.strip() for h in next(csv.reader([header], delimiter=delimiter))]
    _refuse_repeated_columns(path, head)
    missing = [c for c in required if c not in head]
    if missing:
        raise ParseError(f"{path}: row 1 (header): missing column(s) {missing}; found {head}; expected {list(required)}")
    return head, delimiter


def _refuse_repeated_columns(path: Path, head: Sequence[str]) -> None:
    """A column named twice is an error: which of the two holds the figures cannot be known.

    Names are compared as :func:`read_any_table` matches them (case and surrounding spaces ignored).
    """
    seen: dict[str, int] = {}
    for name in head:
        seen[name.lower()] = seen.get(name.lower(), 0) + 1
    repeated = [name for name in dict.fromkeys(head) if seen[name.lower()] > 1 and name]
    if repeated:
        raise ParseError(f"{path}: row 1 (header): column {repeated[0]!r} appears {seen[repeated[0].lower()]} times; "
                         "every column must have its own name")


def iter_text_table(
    path: str | Path,
    required: Sequence[str],
    *,
    delimiter: str | None = None,
    optional: Sequence[str] = (),
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[pd.DataFrame]:
    """Read a delimited text file strictly, in chunks of strings with a ``_line`` column.

    Memory does not grow with the file: the layout is checked in one streaming pass
    (:func:`_check_layout`), then the rows are read ``chunk_rows`` at a time by pandas' C
    parser. Blank rows are left out. ``_line`` is the row's line number in the file (the
    header is row 1; a cell with a line break inside quotes shifts the numbers after it).

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
    head, delimiter = _table_header(path, required, delimiter)
    _check_layout(path, delimiter, head)
    keep = [c for c in head if c in set(required) | set(optional)]
    try:
        reader = pd.read_csv(path, sep=delimiter, dtype=str, na_filter=False, skip_blank_lines=False, header=0,
                             chunksize=chunk_rows, encoding="utf-8-sig", engine="c")
        for chunk in reader:
            chunk.columns = head
            chunk[_LINE] = chunk.index + 2
            maybe_blank = chunk[head[0]].str.strip().eq("")
            if maybe_blank.any():
                cells = chunk.loc[maybe_blank, head]
                blank = cells.apply(lambda col: col.str.strip().eq("")).all(axis=1)
                chunk = chunk.drop(index=blank[blank].index)
            yield chunk.loc[:, keep + [_LINE]].reset_index(drop=True)
    except pd.errors.ParserError as exc:
        raise ParseError(f"{path}: cannot read as a {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}-separated table: "
                         f"{_parser_message(exc)}") from None


#: Longest cell an error quotes whole; a longer one is quoted by its start and length.
CELL_QUOTE_MAX = 40


def _cell(value) -> str:
    """A cell as an error quotes it: as written when short, else its start and its length (a cell of
    200,000 digits made a 200,000-character "one-line" error)."""
    text = str(value)
    if len(text) <= CELL_QUOTE_MAX:
        return repr(value)
    return f"{text[:20]!r}... (a cell of {len(text):,} characters)"


def _parser_message(exc: Exception) -> str:
    """pandas' parser error on one line, with the file's line as the other messages count it (the
    header row 1): its "EOF inside string starting at row 4" counts rows from 0, for row 5."""
    text = str(exc).strip().splitlines()[-1]
    text = re.sub(r"^Error tokenizing data\. C error: ", "", text)
    return re.sub(r"EOF inside string starting at row (\d+)",
                  lambda m: f"row {int(m.group(1)) + 1}: a quote opened there is never closed", text)


def read_text_table(
    path: str | Path,
    required: Sequence[str],
    *,
    delimiter: str | None = None,
    optional: Sequence[str] = (),
) -> pd.DataFrame:
    """The whole of a delimited text file as one frame of strings with ``_line`` (see :func:`iter_text_table`)."""
    chunks = list(iter_text_table(path, required, delimiter=delimiter, optional=optional))
    if not chunks:
        head, _ = _table_header(Path(path), required, delimiter)
        return pd.DataFrame({c: pd.Series(dtype=str) for c in head if c in set(required) | set(optional)} | {_LINE: []})
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


def open_workbook(path: str | Path):
    """The XLSX workbook at ``path``, opened once for all that is read of it: read-only (its
    sheets are parsed as they are read, from the archive that stays open; close it after use),
    each formula cell read as its saved value.

    Raises
    ------
    ParseError
        The file is no readable workbook, with openpyxl's reason.
    """
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for broken files (zipfile, KeyError ...)
        raise ParseError(f"{path}: not a readable Excel workbook (.xlsx): {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


@contextmanager
def _formulas_shown(workbook) -> Iterator[None]:
    """Within the block, the read-only ``workbook``'s sheets read each formula cell as its
    formula (``data_type == "f"``) instead of its saved value.

    openpyxl keeps one of the two a load (``data_only``); a read-only sheet parses its XML anew
    at every pass and asks its workbook then which to keep, so the one load serves both passes
    (a second load would open and unpack the file again).
    """
    saved = workbook._data_only
    workbook._data_only = False
    try:
        yield
    finally:
        workbook._data_only = saved


def formulas_without_values(workbook, sheet: str | None = None) -> list[tuple[str, int, str, str]]:
    """The formula cells of one sheet (``sheet``, else the first) of the XLSX ``workbook`` (from
    :func:`open_workbook`) that have no saved value, as ``(coordinate, row, header, formula)``;
    ``header`` is the text of the column's first cell.

    A workbook saved by a spreadsheet program keeps each formula's last value beside it, and
    that value is what the importers read. One written by another program (openpyxl, a script)
    often has none: its cells would be read as empty, and a row of formulas dropped as blank,
    without a word. The importers call this to say so instead.
    """
    ws = workbook[sheet] if sheet else workbook.worksheets[0]
    formulas = {}
    header: dict[int, str] = {}
    with _formulas_shown(workbook):
        for row in ws.iter_rows():
            for cell in row:
                if getattr(cell, "row", None) == 1 and cell.value is not None:
                    header[cell.column] = str(cell.value).strip()
                if getattr(cell, "data_type", None) == "f":
                    formulas[(cell.row, cell.column)] = (cell.coordinate, str(cell.value))
    if not formulas:
        return []
    out = []
    for row in ws.iter_rows():
        for cell in row:
            key = (getattr(cell, "row", None), getattr(cell, "column", None))
            if key in formulas and cell.value is None:
                coordinate, formula = formulas[key]
                out.append((coordinate, key[0], header.get(key[1], ""), formula))
    return out


def _refuse_formulas_without_values(path: Path, cells: list[tuple[str, int, str, str]]) -> None:
    """Stop on a formula cell of the sheet read that has no saved value (``cells``, from
    :func:`formulas_without_values`): it would be read as an empty cell, or its row dropped as blank."""
    if cells:
        coordinate, row, header, formula = cells[0]
        more = f" (and {len(cells) - 1} more formula cell(s) like it)" if len(cells) > 1 else ""
        raise ParseError(f"{path}: row {row}: field {header!r} (cell {coordinate}) is a formula, {formula}, with no "
                         f"saved value{more}; type the values, or open and save the workbook in a spreadsheet program")


def _data_sheet(path: Path, workbook) -> str:
    """The name of the one visible sheet of ``workbook`` that holds cells, the sheet a table is read from.

    The first sheet may be hidden (a lookup, an old version) and the data on another: reading
    sheet 0 took the hidden one without a word. Visible sheets without a cell (Excel's default
    'Sheet2') are passed over; two that hold cells are refused, as which is the table cannot be known.
    """
    visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
    filled = [ws.title for ws in visible if _has_cells(ws)]
    if len(filled) > 1:
        raise ParseError(f"{path}: the workbook has {len(filled)} visible sheets with data ({', '.join(map(repr, filled))}); "
                         "keep the data on one sheet, or save that sheet as CSV")
    if filled:
        return filled[0]
    if not visible:
        raise ParseError(f"{path}: the workbook has no visible sheet; show the sheet that holds the data, or save it as CSV")
    return visible[0].title


def _has_cells(ws) -> bool:
    # stops at the first cell with a value: a sheet of data is not read through here
    return any(cell.value is not None for row in ws.iter_rows() for cell in row)


def _read_data_sheet(path: Path) -> pd.DataFrame:
    """The one visible sheet of the XLSX workbook at ``path`` (:func:`_data_sheet`) as strings (the
    header row the columns), refused when a formula in it has no saved value; the file is opened
    once for all."""
    workbook = open_workbook(path)
    try:
        try:
            sheet = _data_sheet(path, workbook)
            cells = formulas_without_values(workbook, sheet)
            # the engine named: pandas reads the open workbook, not the file again
            raw = pd.read_excel(workbook, dtype=str, sheet_name=sheet, engine="openpyxl")
        except ParseError:
            raise
        except Exception as exc:  # a damaged sheet inside a readable archive
            raise ParseError(f"{path}: not a readable Excel workbook (.xlsx): {_first_line(exc)}") from None
        _refuse_formulas_without_values(path, cells)
        return raw
    finally:
        workbook.close()


def read_any_table(
    path: str | Path, required: Sequence[str], optional: Sequence[str] = (), *, all_columns: bool = False
) -> pd.DataFrame:
    """Read a CSV/TSV (delimiter sniffed) or an XLSX sheet (the only visible one) into strings with ``_line``.

    Column names are matched case-insensitively and with surrounding spaces ignored; the
    returned frame uses the names in ``required``/``optional``.
    """
    path = Path(path)
    if path.suffix.lower() == ".xls":
        raise ParseError(f"{path}: an Excel 97-2003 workbook (.xls) cannot be read; save it as .xlsx or CSV")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = _read_data_sheet(path)
        raw.columns = [str(c).strip() for c in raw.columns]
        if len(raw.columns) and all(c.startswith("Unnamed: ") for c in raw.columns):
            # pandas names the columns of a blank first row 'Unnamed: 0', ...: said as the text files say it
            raise ParseError(f"{path}: row 1 (header) is blank; the first row must name the columns")
        raw = raw.dropna(how="all")
        raw[_LINE] = raw.index.to_numpy() + 2
    else:
        header = _header_line(path)
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
# Spaces (also no-break and narrow no-break ones) as thousands separators: "20 249", "1 234 567,5".
_SPACES = r"[\s\u00a0\u202f]"
_SPACE_GROUPS = r"[+-]?[1-9]\d{0,2}(?:" + _SPACES + r"\d{3})+(?:[.,]\d+)?"


def _comma_role(cells: pd.Series, plain: pd.Series | None = None) -> tuple[str, str | None]:
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
    if plain is not None and len(plain) and decimal.any():
        plain = plain.astype(str)
        dots = pd.concat([dots, plain[plain.str.contains(".", regex=False)].head(1)])
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
    return "; ".join(f"row {r[_LINE]}: {_cell(r[col])}" for _, r in rows.iterrows())


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
        out[col] = _column_numbers(out, col, path, allow_blank=allow_blank, non_negative=non_negative, integer=integer)
    return out


def _column_numbers(out: pd.DataFrame, col: str, path, *, allow_blank: bool, non_negative: bool,
                    integer: bool) -> pd.Series:
    # Fast path: most cells are plain numbers that pandas' C parser reads directly; only the
    # others (blanks, spaces, commas, text) go through the careful reading below.
    direct = _plain_numbers(out[col])
    nums = direct.astype(float)
    rest = direct.isna()
    if rest.any():
        nums = nums.copy()
        nums[rest] = _careful_numbers(out.loc[rest], col, path, allow_blank, out.loc[~rest], integer)
    nonfinite = np.isinf(nums.to_numpy(dtype=float))
    if nonfinite.any():
        raise ParseError(f"{path}: field {col!r}: not a finite number in {int(nonfinite.sum())} row(s): "
                         f"{_quote_rows(out, pd.Series(nonfinite, index=out.index), col)}")
    if integer:
        frac = nums.notna() & (nums != np.round(nums))
        if frac.any():
            r = out.loc[frac].iloc[0]
            raise ParseError(f"{path}: row {r[_LINE]}: field {col!r}: {_cell(r[col])} is not a whole number (a count)")
        # past 2**53 a float no longer holds every whole number, and the table's integers would
        # wrap round (a year of 99999999999999999999 was reported as -9223372036854775808)
        huge = nums.abs() > 2.0**53
        if huge.any():
            r = out.loc[huge].iloc[0]
            raise ParseError(f"{path}: row {r[_LINE]}: field {col!r}: {_cell(r[col])} is too large for a whole number")
    if non_negative:
        neg = nums < 0
        if neg.any():
            rows = out.loc[neg, [_LINE, col]].head(5)
            quoted = "; ".join(f"row {r[_LINE]}: {r[col]}" for _, r in rows.iterrows())
            raise DataValidationError(f"{path}: field {col!r}: negative count in {int(neg.sum())} row(s): {quoted}")
    return nums


def _plain_numbers(cells: pd.Series) -> pd.Series:
    """Cells read as plain numbers (NaN where a cell is not one), by Arrow's parser when the whole
    column is plain, else by pandas'."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(cells.to_numpy(dtype=object), type=pa.string())
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        return pd.Series(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), index=cells.index)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        direct = pd.to_numeric(cells, errors="coerce")
        return direct.astype(float) if direct.dtype == object or pd.api.types.is_bool_dtype(direct) else direct


#: A date cell of a workbook as pandas reads it as text.
_DATE_CELL = r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?"


def _careful_numbers(out: pd.DataFrame, col: str, path, allow_blank: bool, plain: pd.DataFrame,
                     integer: bool) -> pd.Series:
    """Numbers of the cells pandas could not read directly: blanks, grouped digits, decimal commas.

    ``plain`` are the column's other cells (read directly): a dot among them tells that the
    column writes decimals with a point, which a decimal comma elsewhere would contradict.
    """
    raw = out[col].astype(str).str.strip()
    # a spreadsheet's date cell (a year typed 1.1.2020 becomes one) reads "2020-01-01 00:00:00": said as a date,
    # not as "spaces that do not group thousands"
    dated = raw.str.fullmatch(_DATE_CELL)
    if dated.any():
        r = out.loc[dated].iloc[0]
        raise ParseError(f"{path}: row {r[_LINE]}: field {col!r}: the cell is a date ({r[col][:10]}), not a number; "
                         "format the column as numbers")
    # a space inside a number groups thousands ("20 249"); elsewhere ("1 2 3", "20 2490") it is a typo or two
    # figures in one cell, which reading the digits together would turn into another number
    spaced = raw.str.contains(_SPACES, regex=True)
    if spaced.any():
        loose = spaced & ~raw.str.fullmatch(_SPACE_GROUPS)
        if loose.any():
            r = out.loc[loose].iloc[0]
            raise ParseError(f"{path}: row {r[_LINE]}: field {col!r}: {_cell(r[col])} has spaces that do not group "
                             "thousands; write 20249 or 20 249")
    raw = raw.str.replace(_SPACES, "", regex=True)
    blank = raw.isin(BLANK_CELLS) if allow_blank else raw.eq("")
    role, example = _comma_role(raw[~blank], plain[col])
    if role == "ambiguous" and integer:
        role = "thousands"  # in a column of counts a comma before three digits can only group thousands
    if role in ("ambiguous", "mixed"):
        hit = out.loc[raw.eq(example)]
        at = hit.iloc[0] if len(hit) else plain.loc[plain[col].astype(str).eq(example)].iloc[0]
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
    bad = (nums.isna() & ~blank) | np.isinf(nums.to_numpy(dtype=float))
    if not allow_blank:
        bad |= blank
    if bad.any():
        raise ParseError(f"{path}: field {col!r}: not a finite number in {int(bad.sum())} row(s): "
                         f"{_quote_rows(out, bad, col)}")
    return nums.astype(float)


def _names_error(path, errors: list[str], what: str, shown: int = 3) -> str:
    """One line for the names a file's rows could not be resolved to: the one, or how many and the
    first ``shown`` of them (a line each made the error several lines)."""
    if len(errors) == 1:
        return f"{path}: {errors[0]}"
    more = f"; and {len(errors) - shown} more" if len(errors) > shown else ""
    return f"{path}: {len(errors)} {what}: " + "; ".join(errors[:shown]) + more


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
        raise AmbiguousTerritoryError(_names_error(path, errors, "ambiguous territory names"))
    if errors:
        raise UnknownTerritoryError(_names_error(path, errors, "territory names not resolved"))
    out = frame.loc[~drop_nt].copy()
    out["territory_code"] = names[~drop_nt].map(codes)
    out = out[out["territory_code"].notna()]
    out.attrs["dropped_non_territory_rows"] = int(drop_nt.sum())
    return out


def map_unique(values: pd.Series, func) -> pd.Series:
    """``values.map(func)``, calling ``func`` once per distinct value (tables repeat names a lot)."""
    uniq = pd.unique(values)
    return values.map(dict(zip(uniq, (func(u) for u in uniq))))


def _key_text(value) -> str:
    """A key's value as the file wrote it: a year or an age as "2019", not "2019.0" (a row read
    by ``iterrows`` turns whole numbers into floats when the row also holds a float)."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def check_filled(frame: pd.DataFrame, columns: Iterable[str], path: Path | str) -> None:
    """A blank cell in one of the text ``columns`` that name what a row is (an indicator's id) is an
    error quoting the rows: a row of no indicator would be stored as one named ''."""
    for col in columns:
        blank = frame[col].isna() | frame[col].astype(str).str.strip().eq("")
        if blank.any():
            rows = ", ".join(f"row {_key_text(x)}" for x in frame.loc[blank, _LINE].head(5))
            raise DataValidationError(f"{path}: field {col!r}: empty in {int(blank.sum())} row(s): {rows}")


def check_unique(frame: pd.DataFrame, keys: Sequence[str], path: Path | str) -> None:
    """Duplicate keys are an error quoting the rows."""
    dup = frame.duplicated(list(keys), keep=False)
    if dup.any():
        rows = frame.loc[dup].sort_values(list(keys)).head(6)
        quoted = "; ".join(
            f"row {_key_text(r[_LINE])}: " + ", ".join(f"{k}={_key_text(r[k])}" for k in keys)
            for _, r in rows.iterrows()
        )
        raise DataValidationError(f"{path}: duplicate rows for the same key {list(keys)} ({int(dup.sum())} rows): {quoted}")


class UniqueKeys:
    """Duplicate keys across the chunks of one file, found as the chunks arrive.

    Keeps only the key columns and line numbers of the rows seen, and a 64-bit hash of each key,
    so that a file that repeats itself is refused at its first repeated row, in little memory.
    """

    def __init__(self, keys: Sequence[str], path: Path | str):
        self.keys, self.path = list(keys), path
        self._hashes: list[np.ndarray] = []
        self._rows: list[pd.DataFrame] = []

    def add(self, chunk: pd.DataFrame) -> None:
        check_unique(chunk, self.keys, self.path)
        hashes = pd.util.hash_pandas_object(chunk[self.keys], index=False).to_numpy()
        if self._hashes:
            hit = np.isin(hashes, np.concatenate(self._hashes))
            if hit.any():  # confirm on the keys themselves (a hash collision is not a duplicate)
                seen = pd.concat(self._rows, ignore_index=True)
                pairs = chunk.loc[hit, [*self.keys, _LINE]].merge(seen, on=self.keys, suffixes=("", "_first"))
                if len(pairs):
                    quoted = "; ".join(
                        f"row {_key_text(r[_LINE + '_first'])} and row {_key_text(r[_LINE])}: "
                        + ", ".join(f"{k}={_key_text(r[k])}" for k in self.keys)
                        for _, r in pairs.head(3).iterrows()
                    )
                    raise DataValidationError(
                        f"{self.path}: duplicate rows for the same key {self.keys} (at least {len(pairs)}): {quoted}"
                    )
        self._hashes.append(hashes)
        self._rows.append(chunk.loc[:, [*self.keys, _LINE]])
