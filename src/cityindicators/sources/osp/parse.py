"""The store parser ``osp-sdmx``: an OSP response or snapshot turned into canonical frames
by the rules of its catalogue entry."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from ...exceptions import ParseError
from ..registry import register_parser
from ..sdmx_parse import annualise, read_sdmx, to_canonical
from .catalogue import _ENTRY_KEYS, CatalogueEntry, load_catalogue

__all__ = ["PARSER_NAME", "canonical_frames", "parse_snapshot"]

log = logging.getLogger(__name__)

PARSER_NAME = "osp-sdmx"


def canonical_frames(content: bytes | Path, entry: CatalogueEntry, *, origin: str) -> dict[str, pd.DataFrame]:
    """Parse one OSP response into ``{table: canonical frame}`` for ``entry``.

    Applies the entry's filters, unit and roles (:func:`.sdmx_parse.to_canonical`), reduces
    sub-annual periods by ``period_rule`` (:func:`.sdmx_parse.annualise`) and keeps only
    single ages, the open group and all-ages rows when the response has five-year groups
    (the canonical tables are by single year; groups are dropped with a log line).
    """
    data = read_sdmx(content, origin=origin)
    if data.frame.empty:
        log.warning("%s: the response has no observations", origin)
    frame = to_canonical(
        data, entry.table, filters=entry.filters, dimensions=entry.dimensions, unit=entry.unit,
        flow=entry.flow, indicator=entry.indicator, dataset=entry.name,
    )
    frame = annualise(frame, entry.period_rule, origin=origin)
    if "age_span" in frame:
        groups = frame["age_span"].fillna(1) > 1
        if groups.any():
            log.info("%s: dropping %d observation(s) of multi-year age groups (canonical tables use single ages)",
                     origin, int(groups.sum()))
        frame = frame[~groups].drop(columns="age_span").reset_index(drop=True)
    return {entry.table: frame}


def _entry_for_snapshot(path: Path, meta: Mapping[str, Any]) -> CatalogueEntry:
    origin = str(path)
    spec = meta.get("catalogue_entry")
    name = str(meta.get("dataset") or (spec or {}).get("name") or path.parent.name)
    # The data directory of a snapshot raw/osp/<dataset>/<file> is three levels up.
    data_dir = path.parents[3] if len(path.parents) > 3 and path.parents[2].name == "raw" else None
    cat = load_catalogue(data_dir) if data_dir is not None or not isinstance(spec, Mapping) else {}
    current = cat.get(name)
    flow_id = (spec or {}).get("flow_id") if isinstance(spec, Mapping) else meta.get("flow_id")
    if current is not None and (flow_id is None or current.flow_id == flow_id):
        return current
    if isinstance(spec, Mapping):
        clean = {k: v for k, v in spec.items() if k in _ENTRY_KEYS}
        return CatalogueEntry.from_dict(name, clean, f"{origin} (sidecar)")
    raise ParseError(f"{origin}: sidecar has no catalogue entry and dataset {name!r} is not in the catalogue")


def parse_snapshot(path: Path, meta: dict) -> dict[str, pd.DataFrame]:
    """Store parser ``osp-sdmx``: an OSP snapshot -> ``{table: canonical frame}``.

    The parsing rules (filters, unit, roles, period rule) come from the current catalogue of
    the snapshot's data directory, so a user's correction in ``<data-dir>/catalogue.yaml``
    applies on the next build; when the catalogue no longer has the dataset with the same
    flow, the entry recorded in the sidecar at fetch time (``meta["catalogue_entry"]``) is used.
    """
    path = Path(path)
    entry = _entry_for_snapshot(path, meta)
    return canonical_frames(path.read_bytes(), entry, origin=str(path))


register_parser(PARSER_NAME, parse_snapshot)
