"""Finding a dataflow: a saved dataflow list read, or the live one searched by words
(case and Lithuanian diacritics ignored)."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Mapping, Sequence

from ..._io import os_error_reason
from ...exceptions import ConfigError, FetchError, ParseError
from ..sdmx_parse import parse_structure, sniff_format
from .client import OspClient

__all__ = ["load_dataflow_list", "search_dataflows"]


def load_dataflow_list(path: str | os.PathLike) -> list[dict[str, str]]:
    """Read a saved dataflow list: JSON ``[{id, name_lt, name_en}, ...]`` or a saved
    ``dataflow/`` SDMX-ML response."""
    p = Path(path)
    try:
        content = p.read_bytes()
    except OSError as exc:  # said as every other reader says it ("[Errno 21] Is a directory" before)
        raise FetchError(f"cannot read the dataflow catalogue {p}: {os_error_reason(exc)}") from None
    if not content.strip():
        raise ParseError(f"{p}: the dataflow catalogue is empty; save the dataflow list (JSON or SDMX-ML) into it")
    if sniff_format(content) == "xml":
        return _dataflows_from_structure(content, str(p))
    try:
        doc = json.loads(content.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"{p}: not a JSON dataflow list: {exc}") from None
    if not isinstance(doc, list) or not all(isinstance(d, dict) and "id" in d for d in doc):
        raise ParseError(f"{p}: expected a JSON list of objects with id, name_lt, name_en")
    return [{"id": str(d["id"]), "name_lt": str(d.get("name_lt") or ""), "name_en": str(d.get("name_en") or "")} for d in doc]


def _dataflows_from_structure(content: bytes, origin: str) -> list[dict[str, str]]:
    flows = parse_structure(content, origin=origin)["dataflows"]
    return [{"id": fid, "name_lt": f["name"].get("lt", ""), "name_en": f["name"].get("en", "")} for fid, f in flows.items()]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def search_dataflows(
    text: str,
    flows: Sequence[Mapping[str, str]] | None = None,
    *,
    client: OspClient | None = None,
    lang: str = "lt",
    limit: int | None = 20,
) -> list[dict[str, str]]:
    """Dataflows whose id or names (lt or en) match every word of ``text``.

    A word matches part of the id or the beginning of a word of a name ("amž" finds
    "amžius"); matching ignores case and Lithuanian diacritics. Without ``flows`` the live list is read
    from the API (``GET dataflow/``). Results are sorted by id; each has ``id``, ``name``
    (in ``lang``), ``name_lt`` and ``name_en``.
    """
    if lang not in ("lt", "en"):
        raise ConfigError(f"search language must be 'lt' or 'en', got {lang!r}")
    if flows is None:
        client = client or OspClient()
        resp = client.dataflow()
        flows = _dataflows_from_structure(resp.content, resp.url)
    words = [_fold(w) for w in text.split() if w.strip()]
    hits = []
    for f in flows:
        fid = _fold(f.get("id", ""))
        tokens = re.findall(r"[^\W_]+", _fold(" ".join((f.get("id", ""), f.get("name_lt", ""), f.get("name_en", "")))))
        # a word matches the start of a word of the names, or any part of the id
        if all(w in fid or any(t.startswith(w) for t in tokens) for w in words):
            name = f.get(f"name_{lang}") or f.get("name_lt") or f.get("name_en") or ""
            hits.append({"id": f["id"], "name": name, "name_lt": f.get("name_lt", ""), "name_en": f.get("name_en", "")})
    hits.sort(key=lambda h: h["id"])
    return hits[:limit] if limit else hits
