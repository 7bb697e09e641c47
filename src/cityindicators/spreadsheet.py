"""Cells that a spreadsheet opens as text, never as a live formula (CSV/formula injection).

A CSV or XLSX cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is run as a formula by Excel and LibreOffice (``=HYPERLINK(...)`` in a group name becomes a
link that can send data away). Every text cell written for a spreadsheet goes through
:func:`spreadsheet_safe`, which puts an apostrophe in front of such text (OWASP's advice: the
spreadsheet shows the text as typed and the apostrophe is visible to anyone reading the raw
CSV). Numbers stay numbers, and text that is only a plain number ("-3.5") is left alone, since
no spreadsheet runs it as a formula.

This is a leaf module (pandas only, imported by the frame function), so the CLI and the report exports can both use it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: the CLI's quick commands start without pandas
    import pandas as pd

__all__ = ["FORMULA_TRIGGERS", "spreadsheet_safe", "spreadsheet_safe_frame"]

#: First characters that make a spreadsheet treat a text cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# A plain decimal number ("-3.5", "+12", "-1e-3"): safe as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(value: Any) -> Any:
    """``value`` as a spreadsheet cell that cannot run as a formula.

    Text starting with one of :data:`FORMULA_TRIGGERS` gets a leading apostrophe
    (``"=1+1"`` → ``"'=1+1"``); every other value, numbers included, is returned unchanged.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


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
