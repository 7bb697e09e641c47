"""Printing or writing result tables for every CLI command, in one place.

pandas and numpy are imported inside the functions that need them: the quick commands
(``municipalities``, ``scenarios --list``) print plain rows with :func:`emit_rows` and start
without them.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from .._io import atomic_write_bytes, atomic_write_text
from ..i18n import MINUS, NO_VALUE, rows_written_note
from ..spreadsheet import neutralise_sheet, spreadsheet_safe, spreadsheet_safe_frame

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("table", "csv", "json")
#: Help of a command's ``--format`` whose default is the table.
FORMAT_HELP = ("table (default; for reading: '−' for minus, '–' for no data, persons rounded to whole persons), "
               "csv or json (for programs: full precision, an empty cell or null for no data)")


def fmt_number(v, missing: str = NO_VALUE) -> str:
    """A value for the aligned table: whole numbers without decimals, others to 2 places, a
    negative one with the minus sign (U+2212) the reports print; a missing one ``missing``."""
    if _is_missing(v):
        return missing
    import numpy as np

    if isinstance(v, (int, np.integer)):
        return _with_minus(f"{int(v):d}")
    if isinstance(v, (float, np.floating)):
        if float(v).is_integer() and abs(v) >= 1:
            return _with_minus(f"{v:.0f}")
        return _with_minus(f"{v:.2f}" if abs(v) >= 0.01 or v == 0 else f"{v:.4g}")
    return str(v)


def fmt_persons(v, missing: str = NO_VALUE) -> str:
    """A number of persons for the aligned table: rounded to whole persons (a projection's
    fractional persons are read as people), with the minus sign; a missing one ``missing``."""
    if _is_missing(v):
        return missing
    return _with_minus(f"{round(float(v)):d}")  # an int: never "-0"


def _is_missing(v) -> bool:
    import numpy as np
    import pandas as pd

    return v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and bool(np.isnan(v)))


def _with_minus(number_text: str) -> str:
    """``number_text`` with its leading hyphen, if any, as the minus sign (an exponent's is left)."""
    return MINUS + number_text[1:] if number_text.startswith("-") else number_text


def _column_for_reading(values: pd.Series, missing: str = NO_VALUE) -> list[str]:
    """A numeric column as pandas prints it in a table (one precision for the whole column), its
    negatives with the minus sign, a missing value ``missing`` (not pandas' "NaN")."""
    lines = values.to_frame().to_string(index=False, header=False, na_rep=missing).splitlines()
    return [_with_minus(line.strip()) for line in lines]


def emit(frame: pd.DataFrame, fmt: str, output: str | None = None, numeric: Sequence[str] = (),
         persons: Sequence[str] = (), persons_rows: Sequence[bool] | None = None, missing: str = NO_VALUE,
         lang: str = "en") -> None:
    """Print ``frame`` as an aligned table, CSV or JSON records, or write it atomically to ``output``.

    An ``output`` ending in ``.xlsx`` is written as a one-sheet workbook whatever ``fmt`` says.
    CSV text cells pass :func:`~cityindicators.spreadsheet.spreadsheet_safe` and XLSX ones
    :func:`~cityindicators.spreadsheet.neutralise_sheet`, so a name such as ``=HYPERLINK(...)``
    opens as text, not as a formula. ``numeric`` names columns
    rounded for display in the table format, ``persons`` columns of persons shown there to whole
    persons (only in the rows ``persons_rows`` marks, when given; the others as ``numeric``), with
    ``missing`` for a missing value in every column (default :data:`~cityindicators.i18n.NO_VALUE`, the
    no-data mark of the reports' tables; CSV and XLSX leave the cell empty, JSON writes null, and they
    keep full precision). The table,
    printed for reading, writes negative numbers with the minus sign (U+2212) as the reports do;
    CSV, JSON and XLSX, read by programs, keep the ASCII hyphen (or a number). The note on stderr
    that the rows were written to ``output`` is in ``lang`` (the command's ``--lang``, if it has one).
    """
    import pandas as pd

    if output and str(output).lower().endswith(".xlsx"):
        atomic_write_bytes(output, _xlsx_bytes(frame))
        print(rows_written_note(len(frame), output, lang), file=sys.stderr)
        return
    buf = io.StringIO()
    if fmt == "csv":
        spreadsheet_safe_frame(frame).to_csv(buf, index=False)
    elif fmt == "json":
        buf.write(frame.to_json(orient="records", force_ascii=False, indent=1) + "\n")
    else:
        shown = frame.copy()
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200):
            whole = [True] * len(shown) if persons_rows is None else list(persons_rows)
            for col in shown.columns:
                if col in persons:
                    shown[col] = [fmt_persons(v, missing) if w else fmt_number(v, missing)
                                  for v, w in zip(shown[col].astype(object), whole)]
                elif col in numeric:
                    shown[col] = [fmt_number(v, missing) for v in shown[col].astype(object)]
                elif len(shown) and pd.api.types.is_numeric_dtype(shown[col]) and not pd.api.types.is_bool_dtype(shown[col]):
                    shown[col] = _column_for_reading(shown[col], missing)  # the table is read: "−3.2", as the reports print it
            buf.write((shown.to_string(index=False) if len(shown) else "(no rows)") + "\n")
    _write(buf.getvalue(), len(frame), output, lang)


def emit_rows(rows: Sequence[Mapping[str, object]], fmt: str) -> None:
    """:func:`emit` to standard output for plain rows of text (all with the same keys), without pandas.

    The same three formats: an aligned table (columns left-aligned), CSV with a header (text
    cells spreadsheet-safe, as in :func:`emit`), JSON records.
    """
    columns = list(rows[0]) if rows else []
    buf = io.StringIO()
    if fmt == "csv":
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([spreadsheet_safe(c) for c in columns])
        writer.writerows([["" if r[c] is None else spreadsheet_safe(r[c]) for c in columns] for r in rows])
    elif fmt == "json":
        buf.write(json.dumps(list(rows), ensure_ascii=False, indent=1) + "\n")
    elif not rows:
        buf.write("(no rows)\n")
    else:
        cells = [columns] + [["" if r[c] is None else str(r[c]) for c in columns] for r in rows]
        widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
        for line in cells:
            buf.write(" ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip() + "\n")
    sys.stdout.write(buf.getvalue())


def refuse_special_inputs(args: Any) -> None:
    """Stop a command one of whose arguments names a device, a pipe or a socket (``--national-control
    /dev/zero``, ``--catalogue`` linked to one), before anything reads it: a reader would wait for a
    writer, or read until the memory is full. Folders and regular files are left to the command.

    Raises
    ------
    ConfigError
        Naming the path.
    """
    from .._io import refuse_special_file
    from ..exceptions import ConfigError

    for v in _argument_texts(args):
        if "/" in v or "." in v:  # else a name (a territory, a scenario), not a path
            refuse_special_file(v, ConfigError, hint="give a file")


def _argument_texts(args: Any) -> list[str]:
    """The non-empty text values of the parsed ``args`` (a list option's each), but the outputs'
    (``--output``, ``--output-dir``) and the handler: the arguments that may name an input."""
    out = []
    for attr, value in vars(args).items():
        if attr in ("output", "output_dir", "handler"):
            continue
        out += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v]
    return out


def refuse_unsafe_output(args: Any) -> None:
    """Stop a command whose ``--output FILE`` (or ``plan workbook FILE``) or ``--output-dir DIR``
    would destroy what it reads or what the store keeps, before anything runs.

    Refused: an ``--output-dir`` that is a file or lies under one, an output that is one of the command's own input files (``plan check p.yaml
    --output p.yaml`` would replace the plan by its results) or one of the data directory's
    groups and scenario files, and any output inside the data
    directory's ``raw/``, ``generations/`` or ``processed/`` (a file there changes a snapshot or a
    published table; a report there would be removed with its generation by the next build).
    Paths are compared after resolving links, so ``processed`` (a link) counts as its generation.

    Raises
    ------
    ConfigError
        Naming the option, the path and what it would overwrite.
    """
    from pathlib import Path

    from .._io import file_in_the_way
    from ..config import DataPaths
    from ..exceptions import ConfigError

    targets = [(option, getattr(args, attr)) for attr, option in (("output", "output"), ("output_dir", "--output-dir"))
               if isinstance(getattr(args, attr, None), str) and getattr(args, attr)]
    if not targets:
        return
    paths = DataPaths.of(getattr(args, "data_dir", None))
    # processed first: a path through that link is named by it, not by the generation it points to
    store = [(folder.name, folder.resolve()) for folder in sorted(paths.store_folders, key=lambda f: f != paths.processed)]
    # every other argument that names an existing file, and the data directory's own settings
    # (its groups and scenario files, read by every command that resolves or projects)
    inputs = [p for p in [paths.groups_file(), *sorted((paths.root / "scenarios").glob("*.y*ml"))] if p.is_file()]
    inputs += [Path(v) for v in _argument_texts(args) if Path(v).is_file()]
    for option, given in targets:
        blocking = file_in_the_way(Path(given).expanduser().absolute()) if option == "--output-dir" else None
        if blocking is not None:  # each report failed on it, then the batch's summary file could not be written
            what = "is a file" if blocking == Path(given).expanduser().absolute() else f"lies under {blocking}, which is a file"
            raise ConfigError(f"{args.command}: {option} {given}: {what}, not a folder")
        target = Path(given).expanduser().resolve()
        for name, folder in store:
            if target == folder or folder in target.parents:
                raise ConfigError(f"{option} {given}: inside the data directory's {name}/ folder, which only "
                                  f"the store writes; choose a path outside {paths.root}/raw, generations and processed")
        for source in inputs:
            if target == source.resolve():
                raise ConfigError(f"{option} {given}: it is the input file {source} of this command; writing there "
                                  "would replace it: choose another file")


def _write(text: str, n_rows: int, output: str | None, lang: str = "en") -> None:
    if output:
        atomic_write_text(output, text)
        print(rows_written_note(n_rows, output, lang), file=sys.stderr)
    else:
        sys.stdout.write(text)


def _xlsx_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as a one-sheet XLSX workbook, text cells neutralised, numbers as numbers."""
    import pandas as pd

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="data")
        neutralise_sheet(writer.sheets["data"])  # text cells as typed, never formulas
    return buf.getvalue()
