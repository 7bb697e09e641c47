"""The paths and parameters of the SDMX queries the OSP API answers, checked before anything is
sent: periods are mandatory for data (``startPeriod``/``endPeriod``; the service rejects
``startTime``), as responses can be very large."""

from __future__ import annotations

import re

from ...exceptions import ConfigError

__all__ = ["data_query", "dataflow_path", "datastructure_query"]

_PERIOD = re.compile(r"^\d{4}(-Q[1-4]|-\d{2})?$")


def data_query(flow: str, start: str | int, end: str | int, key: str | None = None) -> tuple[str, dict[str, str]]:
    """Path and parameters of ``data/{flow}[/{key}]?startPeriod=..&endPeriod=..``.

    ``start`` and ``end`` are ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``, start not after end;
    ``flow`` is a dataflow id (``S3R629_M3010217``; ``LSD,S3R629_M3010217`` is accepted too).
    """
    start_s, end_s = str(start).strip(), str(end).strip()
    for name, val in (("start", start_s), ("end", end_s)):
        if not _PERIOD.match(val):
            raise ConfigError(f"OSP data query {flow}: {name} period {val!r} must be YYYY, YYYY-Qn or YYYY-MM")
    if start_s[:4] > end_s[:4] or (start_s[:4] == end_s[:4] and start_s > end_s):
        raise ConfigError(f"OSP data query {flow}: start period {start_s} is after end period {end_s}")
    if not re.match(r"^(LSD,)?[A-Za-z0-9_]+$", flow):
        raise ConfigError(f"OSP data query: flow id {flow!r} is not of the form S3R629_M3010217")
    path = f"data/{flow}" + (f"/{key}" if key else "")
    return path, {"startPeriod": start_s, "endPeriod": end_s}


def dataflow_path(flow: str | None = None) -> str:
    """``dataflow/`` (the whole list, ~7 MB) or ``dataflow/LSD/{flow}/latest``."""
    return f"dataflow/LSD/{flow}/latest" if flow else "dataflow/"


def datastructure_query(dsd: str, references: str = "children") -> tuple[str, dict[str, str]]:
    """Path and parameters of ``datastructure/LSD/{dsd}/latest?references=children``.

    ``dsd`` may be a flow id: its ``M...`` half is used (S3R167_M3010203 -> M3010203).
    """
    m = re.search(r"(M\d+)", dsd) if "_" in dsd else None
    dsd_id = m.group(1) if m else dsd
    return f"datastructure/LSD/{dsd_id}/latest", {"references": references}
