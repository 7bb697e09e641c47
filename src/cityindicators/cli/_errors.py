"""The one place where errors become the CLI's one-line messages (never a traceback)."""

from __future__ import annotations

from .._io import os_error_reason
from ..exceptions import CityIndicatorsError


def error_line(exc: BaseException) -> str:
    """``error: ...`` for an exception that reached the command line.

    Errors of the package carry their own message (naming the file, row or field). An
    :class:`OSError` from any other place (opening an input, a folder given where a file is
    expected) is described by its path and a plain reason; a :class:`UnicodeDecodeError` says
    that some input is not UTF-8; a :class:`MemoryError` (``--stochastic 100000000000``) that the
    command asked for more memory than there is.
    """
    if isinstance(exc, CityIndicatorsError):
        return f"error: {exc}"
    if isinstance(exc, UnicodeDecodeError):
        return (f"error: an input file is not UTF-8 text (invalid byte 0x{exc.object[exc.start]:02x} at byte "
                f"{exc.start}); save it as UTF-8")
    if isinstance(exc, MemoryError):
        # numpy's reason says how much it wanted ("Unable to allocate 3.64 TiB for an array ...")
        reason = (str(exc).splitlines() or [""])[0]
        return ("error: not enough memory for this command" + (f" ({reason})" if reason else "")
                + "; ask for less (fewer territories, years or --stochastic trajectories)")
    if isinstance(exc, OSError):
        where = exc.filename or "a file"
        other = f" -> {exc.filename2}" if exc.filename2 else ""
        return f"error: {where}{other}: {os_error_reason(exc)}"
    return f"error: {type(exc).__name__}: {exc}"
