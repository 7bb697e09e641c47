"""Cells that a spreadsheet opens as text, never as a live formula (CSV/formula injection).

A CSV or XLSX cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is run as a formula by Excel and LibreOffice (``=HYPERLINK(...)`` in a group name becomes a
link that can send data away). Every text cell written for a spreadsheet goes through
:func:`spreadsheet_safe`, which puts an apostrophe in front of such text (OWASP's advice: the
spreadsheet shows the text as typed and the apostrophe is visible to anyone reading the raw
CSV). Numbers stay numbers, and text that is only a plain number ("-3.5") is left alone, since
no spreadsheet runs it as a formula.

An XLSX workbook can say "this is text" itself, so there the text stays as typed (no
apostrophe in the cell's value): :func:`neutralise_sheet` stores such cells as text cells with
the ``quotePrefix`` style, which Excel and LibreOffice show as typed and never evaluate, even
after the cell is edited.

This is a leaf module (pandas only, imported by the frame function), so the CLI and the report exports can both use it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: the CLI's quick commands start without pandas
    import pandas as pd

__all__ = ["FORMULA_TRIGGERS", "formula_like", "spreadsheet_safe", "spreadsheet_safe_frame", "neutralise_sheet"]

#: First characters that make a spreadsheet treat a text cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# A plain decimal number ("-3.5", "+12", "-1e-3"): safe as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def formula_like(value: Any) -> bool:
    """True for text a spreadsheet would run as a formula (it starts with one of
    :data:`FORMULA_TRIGGERS` and is not a plain number)."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value)


def spreadsheet_safe(value: Any) -> Any:
    """``value`` as a CSV cell that cannot run as a formula.

    Text starting with one of :data:`FORMULA_TRIGGERS` gets a leading apostrophe
    (``"=1+1"`` → ``"'=1+1"``); every other value, numbers included, is returned unchanged.
    """
    return "'" + value if formula_like(value) else value


def neutralise_sheet(ws: Any) -> Any:
    """Make every formula-like text cell of the openpyxl worksheet ``ws`` a text cell with the
    ``quotePrefix`` style: the user sees the text as typed, and no spreadsheet evaluates it.
    Returns ``ws``.

    openpyxl stores a string starting with ``=`` as a formula; the cell's type is set back to
    text (``"s"``), which the workbook then holds as a string, not as a formula.
    """
    for row in ws.iter_rows():
        for cell in row:
            if formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
    return ws


def spreadsheet_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names pass :func:`spreadsheet_safe`.

    Numeric columns are returned as they are (same dtype), so a CSV or XLSX keeps real numbers.
    """
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        column = out[col]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out[col] = column.map(spreadsheet_safe)
    out.columns = [spreadsheet_safe(c) for c in out.columns]
    return out
