"""Parsers for Statistics Lithuania's SDMX 2.1 messages, and their mapping to canonical columns.

Two steps, kept apart:

1. :func:`read_sdmx` turns a response body (SDMX-ML ``GenericData`` or SDMX-JSON) into an
   :class:`SdmxData`: one row per observation, one text column per dimension (named exactly
   as the response names it), ``value`` (float, NaN when missing) and ``status`` (the
   ``OBS_STATUS`` symbol or null). Nothing is renamed or dropped here.
2. :func:`to_canonical` maps that frame to the canonical tidy columns (``territory_code``,
   ``year``, ``sex``, ``age``, ``open_age`` ...) using dimension *roles* recognised from the
   ids found in the response (case-insensitive patterns, overridable per catalogue entry),
   the territory register, and the OSP code lists for sex and age.

Why not sdmx1
-------------
``sdmx1`` (``import sdmx``) reads OSP's SDMX-ML GenericData correctly, but its SDMX-JSON
reader rejects OSP's JSON responses: the data-set attribute ``DS_TIME_FORMAT`` carries an
integer value id (``{"id": 3}``) and sdmx1 raises ``TypeError: IdentifiableArtefact.id must
be str``. Using sdmx1 for one format and another parser for the other would give two code
paths with different handling of missing cells and status flags. Both formats are small and
fully described (DATA_SOURCES.md section 1), so this module parses both with the standard
library (``xml.etree.ElementTree.iterparse``, streaming, and ``json``) into one intermediate
frame; the tests cross-check the XML reader against sdmx1 on a real recorded response.

Decisions
---------
- Territory codes go through the register: ``00`` country, ``01``-``10`` counties, ``11``-``94``
  municipalities. The legacy code ``51`` is dropped with a warning; the NUTS-2 regions ``LT01``
  and ``LT02`` are dropped with an info log line (the register, and every canonical table, has
  no NUTS-2 level). Any other unknown code raises :class:`ParseError` naming the code(s).
- Sex ``0``/``1``/``2`` -> ``total``/``male``/``female``.
- Age: ``0``..``84`` single years; ``g085`` (any ``gNNN`` or ``gNNNg999``) is the open top group
  (``age`` = lower bound, ``open_age`` True); ``g000g999`` all ages (``age`` <NA>);
  ``gxxx`` unknown age is dropped with a log line; five-year groups ``gNNNgMMM`` give
  ``age`` = lower bound and ``age_span`` = width (the column appears only when groups occur).
- Time ``LAIKOTARPIS``: ``2024`` -> year 2024; ``2026K2`` and ``2026M07`` keep the year and add
  a ``period`` column (``2026-Q2``, ``2026-07``) that appears only when sub-annual periods occur.
- Missing cells are never zero: ``value`` stays NaN and ``status`` holds the ``OBS_STATUS``
  symbol (e.g. ``nebuvo``), or ``confidential`` when a cell is null without a symbol.
"""

from __future__ import annotations

import io
import json
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from ..exceptions import ParseError
from ..geography import LEGACY_CODES, Register, get_register

__all__ = [
    "SdmxData",
    "ROLE_PATTERNS",
    "SEX_CODES",
    "TABLE_COLUMNS",
    "CONFIDENTIAL",
    "read_sdmx",
    "read_generic_xml",
    "read_sdmx_json",
    "sniff_format",
    "parse_structure",
    "parse_age_code",
    "parse_period",
    "detect_roles",
    "to_canonical",
    "annualise",
]

log = logging.getLogger(__name__)

#: Status given to a null cell that carries no ``OBS_STATUS`` symbol.
CONFIDENTIAL = "confidential"

#: Regular expressions (matched case-insensitively against dimension ids) that give a
#: dimension its role. A catalogue entry may name the id of a role explicitly instead.
ROLE_PATTERNS: dict[str, str] = {
    "time": r"^(laikotarpis|time_period|time)$",
    "territory": r"savivaldyb|teritorij|regdb|^ref_area$",
    "sex": r"^(lytis|sex)$",
    "age": r"amziu|amzia|^age$",
    "unit": r"^(matvnt|unit_measure|unit)$",
}

#: OSP sex codes.
SEX_CODES: dict[str, str] = {"0": "total", "1": "male", "2": "female"}

#: Key columns (besides territory_code, year) of each target table, in canonical order.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "population": ("sex", "age"),
    "births": ("sex",),
    "deaths": ("sex", "age"),
    "migration": ("flow", "sex", "age"),
    "labour": ("indicator", "sex"),
    "median_age": ("sex",),
}

_NUTS2 = re.compile(r"^LT0\d$", re.IGNORECASE)
_SDMX_MESSAGE_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"


# --------------------------------------------------------------------------------------
# Intermediate form
# --------------------------------------------------------------------------------------
@dataclass
class SdmxData:
    """Observations of one SDMX data message, before any renaming.

    Attributes
    ----------
    frame
        One row per observation: a ``str`` column per dimension (ids as in the response),
        ``value`` (float64, NaN = missing) and ``status`` (``OBS_STATUS`` symbol or None).
    dimensions
        Dimension ids in the order of the message.
    attributes
        Data-set level attributes (``DS_LAST_UPDATE``, ``DS_REGIONAL``, ...), as text.
    names
        Flow name by language when the message carries one (SDMX-JSON: ``lt`` only).
    format
        ``"xml"`` or ``"json"``.
    origin
        The file or URL the message came from (quoted in error messages).
    """

    frame: pd.DataFrame
    dimensions: list[str]
    attributes: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    format: str = "xml"
    origin: str = "response"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def _to_bytes(content: bytes | str | Path) -> bytes:
    if isinstance(content, Path):
        return content.read_bytes()
    if isinstance(content, str):
        return content.encode("utf-8")
    return bytes(content)


def sniff_format(content: bytes) -> str:
    """Say what a response body is: ``"xml"``, ``"json"``, ``"html"`` or ``"empty"``.

    Looks at the first non-blank characters only: the OSP XML endpoint has answered with the
    content type ``application/force-download``, so the header cannot be trusted.
    """
    head = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        return "empty"
    if head.startswith((b"<!doctype html", b"<html")) or (b"<html" in head and not head.startswith(b"<?xml")):
        return "html"
    if head.startswith(b"<"):
        return "xml"
    if head.startswith((b"{", b"[")):
        return "json"
    return "unknown"


def read_sdmx(content: bytes | str | Path, *, origin: str | None = None) -> SdmxData:
    """Parse an SDMX data message in either format (detected from the body).

    Raises
    ------
    ParseError
        The body is empty, an HTML page, truncated, an SDMX error message, or not SDMX.
    """
    if origin is None:
        origin = str(content) if isinstance(content, Path) else "response"
    data = _to_bytes(content)
    kind = sniff_format(data)
    if kind == "xml":
        return read_generic_xml(data, origin=origin)
    if kind == "json":
        return read_sdmx_json(data, origin=origin)
    if kind == "html":
        title = re.search(rb"<title[^>]*>(.*?)</title>", data[:4096], re.IGNORECASE | re.DOTALL)
        t = title.group(1).decode("utf-8", "replace").strip() if title else "no title"
        raise ParseError(f"{origin}: got an HTML page ({t!r}) instead of an SDMX message")
    if kind == "empty":
        raise ParseError(f"{origin}: empty response body; expected an SDMX-ML or SDMX-JSON message")
    excerpt = data[:80].decode("utf-8", "replace")
    raise ParseError(f"{origin}: not an SDMX message (starts with {excerpt!r})")


def _float(text: Any, origin: str, where: str) -> float:
    if text is None or text == "":
        return np.nan
    try:
        return float(text)
    except (TypeError, ValueError):
        raise ParseError(f"{origin}: {where}: observation value {text!r} is not a number") from None


#: The SDMX-ML data messages (only GenericData is read).
_DATA_MESSAGES = ("GenericData", "StructureSpecificData", "GenericTimeSeriesData")


def _raise_xml_error(root_tag: str, elem: ET.Element, origin: str) -> None:
    msgs = []
    for em in elem.iter():
        if _local(em.tag) == "ErrorMessage":
            text = " ".join((t.text or "").strip() for t in em.iter() if _local(t.tag) == "Text").strip()
            msgs.append(f"{em.get('code', '?')}: {text}")
    raise ParseError(f"{origin}: the service answered with an SDMX error message: {'; '.join(msgs) or root_tag}")


def _sdmx_events(data: bytes, origin: str, expected: str, known: tuple[str, ...] = ()
                 ) -> Iterator[tuple[str, ET.Element, str]]:
    """``(event, element, local name)`` of a streamed SDMX-ML message whose root is ``expected``.

    The root is checked first: an SDMX error message is raised as such (:class:`ParseError`
    with its codes and texts), another SDMX message of ``known`` as unsupported, anything else
    as not the message asked for.
    """
    root_seen = False
    for event, elem in ET.iterparse(io.BytesIO(data), events=("start", "end")):
        name = _local(elem.tag)
        if not root_seen:
            root_seen = True
            if name == "Error":
                # Parse the whole (small) error message, then report it.
                _raise_xml_error(name, ET.fromstring(data), origin)
            if name in known and name != expected:
                raise ParseError(f"{origin}: {name} messages are not supported; ask for {expected}")
            if name != expected:
                raise ParseError(f"{origin}: root element is {name!r}; expected an SDMX {expected} message")
        yield event, elem, name


def read_generic_xml(content: bytes | str | Path, *, origin: str = "response") -> SdmxData:
    """Parse SDMX-ML 2.1 ``GenericData`` (streaming).

    Handles ``dimensionAtObservation="AllDimensions"`` (OSP's form: every ``g:Obs`` holds a
    ``g:ObsKey`` with all dimensions, time included, and no ``Series``) and, for robustness,
    the series form (``g:Series/g:SeriesKey`` + ``g:ObsDimension``).
    """
    data = _to_bytes(content)
    records: list[dict[str, str]] = []
    values: list[float] = []
    statuses: list[str | None] = []
    dims: dict[str, None] = {}
    ds_attrs: dict[str, str] = {}
    series_key: dict[str, str] = {}
    path: list[str] = []
    dataset_elem: ET.Element | None = None
    try:
        for event, elem, name in _sdmx_events(data, origin, "GenericData", _DATA_MESSAGES):
            if event == "start":
                path.append(name)
                if name == "DataSet":
                    dataset_elem = elem
                continue
            path.pop()
            if name == "Obs":
                key = dict(series_key)
                val: Any = None
                status = None
                for child in elem:
                    cn = _local(child.tag)
                    if cn == "ObsKey":
                        for v in child:
                            key[v.get("id", "")] = v.get("value", "")
                    elif cn == "ObsDimension":
                        key[child.get("id") or "TIME_PERIOD"] = child.get("value", "")
                    elif cn == "ObsValue":
                        val = child.get("value")
                    elif cn == "Attributes":
                        for v in child:
                            if v.get("id", "").upper() == "OBS_STATUS":
                                status = v.get("value") or None
                n = len(records)
                for k in key:
                    dims.setdefault(k, None)
                records.append(key)
                values.append(_float(val, origin, f"observation {n + 1} {key}"))
                statuses.append(status)
                elem.clear()
                if dataset_elem is not None and path and path[-1] == "DataSet":
                    dataset_elem.remove(elem)  # keep memory flat on large responses
            elif name == "SeriesKey":
                series_key = {v.get("id", ""): v.get("value", "") for v in elem}
            elif name == "Series":
                series_key = {}
                elem.clear()
                if dataset_elem is not None and path and path[-1] == "DataSet":
                    dataset_elem.remove(elem)
            elif name == "Attributes" and path and path[-1] == "DataSet":
                ds_attrs.update({v.get("id", ""): v.get("value", "") for v in elem})
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (None, None))
        raise ParseError(
            f"{origin}: XML is malformed or truncated at line {line}, column {col} "
            f"(after {len(records)} observation(s)): {exc}"
        ) from None
    dim_list = list(dims)
    frame = pd.DataFrame.from_records(records, columns=dim_list) if records else pd.DataFrame(columns=dim_list)
    for d in dim_list:
        if frame[d].isna().any():
            raise ParseError(f"{origin}: some observations lack dimension {d!r}")
        frame[d] = frame[d].astype(str)
    frame["value"] = np.asarray(values, dtype="float64")
    frame["status"] = pd.Series(statuses, dtype="object")
    return SdmxData(frame, dim_list, ds_attrs, {}, "xml", origin)


def _json_name(obj: Mapping[str, Any]) -> dict[str, str]:
    if isinstance(obj.get("names"), dict):
        return {str(k): str(v) for k, v in obj["names"].items()}
    name = obj.get("name")
    if isinstance(name, dict):
        return {str(k): str(v) for k, v in name.items()}
    return {"lt": str(name)} if name else {}


def read_sdmx_json(content: bytes | str | Path, *, origin: str = "response") -> SdmxData:
    """Parse an SDMX-JSON data message.

    Dimensions come from ``structure.dimensions.observation[]`` (and ``series[]`` if present);
    observation keys are positions into each dimension's ``values[]``, which OSP does not
    sort, so every position is mapped to its code id. Each observation is
    ``[value, attribute index, ...]`` in the order of ``structure.attributes.observation``.
    """
    data = _to_bytes(content)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ParseError(f"{origin}: JSON is not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"{origin}: JSON is malformed or truncated at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(doc, dict):
        raise ParseError(f"{origin}: expected an SDMX-JSON object, got {type(doc).__name__}")
    if "errors" in doc and "dataSets" not in doc:
        errs = doc.get("errors") or []
        txt = "; ".join(f"{e.get('code', '?')}: {e.get('message') or e.get('detail') or e}" if isinstance(e, dict) else str(e)
                        for e in errs)
        raise ParseError(f"{origin}: the service answered with an SDMX error message: {txt}")
    try:
        structure = doc["structure"]
        obs_dims = structure["dimensions"].get("observation") or []
        ser_dims = structure["dimensions"].get("series") or []
        data_sets = doc["dataSets"]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ParseError(f"{origin}: SDMX-JSON message lacks {exc}; expected structure.dimensions and dataSets") from None

    def _dim_table(dlist: list[dict]) -> tuple[list[str], list[np.ndarray]]:
        ids, codes = [], []
        for i, d in enumerate(dlist):
            if not isinstance(d, dict) or "id" not in d or "values" not in d:
                raise ParseError(f"{origin}: dimension {i} lacks 'id' or 'values'")
            ids.append(str(d["id"]))
            codes.append(np.asarray([str(v.get("id")) for v in d["values"]], dtype=object))
        return ids, codes

    # Keys are positions in the order the dimensions are listed (series part, then
    # observation part); ``keyPosition`` is the place in the full SDMX key, not needed here.
    s_ids, s_codes = _dim_table(ser_dims)
    o_ids, o_codes = _dim_table(obs_dims)
    attrs = structure.get("attributes") or {}
    obs_attr_ids = [str(a.get("id", "")).upper() for a in attrs.get("observation") or []]
    obs_attr_vals = [[None if v.get("id") is None else str(v.get("id")) for v in a.get("values", [])]
                     for a in attrs.get("observation") or []]
    status_pos = obs_attr_ids.index("OBS_STATUS") if "OBS_STATUS" in obs_attr_ids else None
    ds_attrs: dict[str, str] = {}
    for i, a in enumerate(attrs.get("dataSet") or []):
        vals = a.get("values") or []
        if vals:
            ds_attrs[str(a.get("id"))] = str(vals[0].get("id"))

    keys: list[str] = []
    s_prefix: list[str] = []
    raw: list[list] = []
    if not data_sets:
        raise ParseError(f"{origin}: SDMX-JSON message has no dataSets")
    ds = data_sets[0]
    if ser_dims:
        for skey, series in (ds.get("series") or {}).items():
            for okey, obs in (series.get("observations") or {}).items():
                s_prefix.append(skey)
                keys.append(okey)
                raw.append(obs)
    else:
        observations = ds.get("observations") or {}
        keys = list(observations)
        raw = list(observations.values())

    dim_ids = s_ids + o_ids
    n = len(keys)
    frame = pd.DataFrame(index=range(n))

    def _decode(key_strings: list[str], ids: list[str], codes: list[np.ndarray]) -> None:
        if not ids:
            return
        if n:
            parts = pd.Series(key_strings).str.split(":", expand=True)
            if parts.shape[1] != len(ids):
                raise ParseError(
                    f"{origin}: observation key {key_strings[0]!r} has {parts.shape[1]} positions; "
                    f"the structure lists {len(ids)} dimensions {ids}"
                )
            try:
                pos = parts.astype("int64").to_numpy()
            except ValueError:
                raise ParseError(f"{origin}: observation keys are not of the form 'i:j:k' (e.g. {key_strings[0]!r})") from None
        for j, (d, c) in enumerate(zip(ids, codes)):
            if not n:
                frame[d] = pd.Series(dtype=str)
                continue
            col = pos[:, j]
            if (col < 0).any() or (col >= len(c)).any():
                bad = key_strings[int(np.argmax((col < 0) | (col >= len(c))))]
                raise ParseError(f"{origin}: observation key {bad!r} points past the {len(c)} values of dimension {d!r}")
            frame[d] = c[col]

    _decode(s_prefix, s_ids, s_codes)
    _decode(keys, o_ids, o_codes)
    vals = np.empty(n, dtype="float64")
    statuses: list[str | None] = [None] * n
    for i, obs in enumerate(raw):
        if not isinstance(obs, list) or not obs:
            raise ParseError(f"{origin}: observation {keys[i]!r} is {obs!r}; expected [value, attributes...]")
        vals[i] = _float(obs[0], origin, f"observation {keys[i]!r}")
        if status_pos is not None and len(obs) > status_pos + 1 and obs[status_pos + 1] is not None:
            idx = obs[status_pos + 1]
            try:
                statuses[i] = obs_attr_vals[status_pos][int(idx)]
            except (IndexError, ValueError, TypeError):
                raise ParseError(f"{origin}: observation {keys[i]!r}: OBS_STATUS index {idx!r} out of range") from None
    frame["value"] = vals
    frame["status"] = pd.Series(statuses, dtype="object")
    return SdmxData(frame, dim_ids, ds_attrs, _json_name(structure), "json", origin)


# --------------------------------------------------------------------------------------
# Structure messages
# --------------------------------------------------------------------------------------
def parse_structure(content: bytes | str | Path, *, origin: str = "response") -> dict[str, Any]:
    """Read an SDMX-ML structure message (``dataflow`` or ``datastructure`` query).

    Returns
    -------
    dict
        ``{"dataflows": {id: {"name": {lang: text}, "description": {lang: text}, "dsd": id}},
        "dimensions": {dsd_id: [(position, id, codelist_id), ...]},
        "codelists": {id: {"name": {lang: text}, "codes": {code: {lang: text}}}}}``.
    """
    data = _to_bytes(content)
    kind = sniff_format(data)
    if kind != "xml":
        raise ParseError(f"{origin}: expected an SDMX-ML structure message, got {kind}")
    out: dict[str, Any] = {"dataflows": {}, "dimensions": {}, "codelists": {}}
    try:
        for event, elem, name in _sdmx_events(data, origin, "Structure"):
            if event == "start":
                continue
            if name == "Dataflow":
                names = _lang_texts(elem, "Name")
                ref = next((r for r in elem.iter() if _local(r.tag) == "Ref"), None)
                out["dataflows"][elem.get("id", "")] = {
                    "name": names,
                    "description": _lang_texts(elem, "Description"),
                    "dsd": ref.get("id") if ref is not None else None,
                    "agency": elem.get("agencyID"),
                }
                elem.clear()
            elif name == "Codelist":
                codes = {c.get("id", ""): _lang_texts(c, "Name") for c in elem if _local(c.tag) == "Code"}
                out["codelists"][elem.get("id", "")] = {"name": _lang_texts(elem, "Name"), "codes": codes}
                elem.clear()
            elif name == "DataStructure":
                dims = []
                for d in elem.iter():
                    if _local(d.tag) in ("Dimension", "TimeDimension"):
                        cl = next((r.get("id") for r in d.iter() if _local(r.tag) == "Ref" and r.get("class") == "Codelist"), None)
                        dims.append((int(d.get("position") or len(dims) + 1), d.get("id", ""), cl))
                out["dimensions"][elem.get("id", "")] = sorted(dims)
                elem.clear()
    except ET.ParseError as exc:
        line, col = getattr(exc, "position", (None, None))
        raise ParseError(f"{origin}: XML is malformed or truncated at line {line}, column {col}: {exc}") from None
    return out


def _lang_texts(elem: ET.Element, tag: str) -> dict[str, str]:
    out = {}
    for child in elem:
        if _local(child.tag) == tag:
            lang = child.get("{http://www.w3.org/XML/1998/namespace}lang", "")
            out[lang] = (child.text or "").strip()
    return out


# --------------------------------------------------------------------------------------
# Code mapping
# --------------------------------------------------------------------------------------
_AGE_SINGLE = re.compile(r"^\d{1,3}$")
_AGE_OPEN = re.compile(r"^g(\d{3})(?:g999)?$", re.IGNORECASE)
_AGE_GROUP = re.compile(r"^g(\d{3})g(\d{3})$", re.IGNORECASE)


def parse_age_code(code: str) -> tuple[int | None, bool, int | None] | None:
    """Decode an OSP age code.

    Returns
    -------
    tuple or None
        ``(age, open_age, span)``: ``age`` the (lower) age in years or None for all ages,
        ``open_age`` True for the open top group, ``span`` the width in years (1 for single
        years, None for all ages and the open group). None for the unknown-age code ``gxxx``.

    Raises
    ------
    ValueError
        The code is none of the known forms.
    """
    c = str(code).strip()
    if c.lower() == "gxxx":
        return None
    if _AGE_SINGLE.match(c):
        return int(c), False, 1
    m = _AGE_GROUP.match(c)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo == 0 and hi == 999:
            return None, False, None
        if hi == 999:
            return lo, True, None
        if hi < lo:
            raise ValueError(f"age group {c!r} ends before it starts")
        return lo, False, hi - lo + 1
    m = _AGE_OPEN.match(c)
    if m:
        return int(m.group(1)), True, None
    raise ValueError(f"unknown age code {c!r}; expected 0..130, gNNN, gNNNgMMM, g000g999 or gxxx")


_PERIODS = (
    (re.compile(r"^(\d{4})$"), lambda m: (int(m[1]), None)),
    (re.compile(r"^(\d{4})[KQ]([1-4])$", re.IGNORECASE), lambda m: (int(m[1]), f"{m[1]}-Q{m[2]}")),
    (re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE), lambda m: (int(m[1]), f"{m[1]}-Q{m[2]}")),
    (re.compile(r"^(\d{4})M(\d{2})$", re.IGNORECASE), lambda m: (int(m[1]), f"{m[1]}-{m[2]}")),
    (re.compile(r"^(\d{4})-(\d{2})$"), lambda m: (int(m[1]), f"{m[1]}-{m[2]}")),
    (re.compile(r"^(\d{4})[SH]([12])$", re.IGNORECASE), lambda m: (int(m[1]), f"{m[1]}-S{m[2]}")),
)


def parse_period(code: str) -> tuple[int, str | None]:
    """Decode an OSP time code: ``2024`` -> (2024, None); ``2026K2`` -> (2026, "2026-Q2");
    ``2026M07`` -> (2026, "2026-07"). Raises ValueError for other forms."""
    c = str(code).strip()
    for rx, fn in _PERIODS:
        m = rx.match(c)
        if m:
            return fn(m)
    raise ValueError(f"unknown time period {c!r}; expected YYYY, YYYYKn, YYYYMmm")


def detect_roles(dimensions: Iterable[str], overrides: Mapping[str, str] | None = None,
                 *, origin: str = "response") -> dict[str, str]:
    """Give each dimension id found in a response its role (time, territory, sex, age, unit).

    Matching is case-insensitive (:data:`ROLE_PATTERNS`). ``overrides`` maps a role to a
    dimension id (any case) and wins over the patterns. Dimensions that get no role are left
    out of the result; :func:`to_canonical` requires each of them to hold a single code.
    """
    dims = list(dimensions)
    lower = {d.casefold(): d for d in dims}
    roles: dict[str, str] = {}
    for role, dim in (overrides or {}).items():
        if role not in ROLE_PATTERNS:
            raise ParseError(f"{origin}: unknown dimension role {role!r}; roles are {sorted(ROLE_PATTERNS)}")
        if dim.casefold() not in lower:
            raise ParseError(f"{origin}: dimension {dim!r} (role {role}) is not in the response; it has {dims}")
        roles[role] = lower[dim.casefold()]
    taken = set(roles.values())
    for role, pattern in ROLE_PATTERNS.items():
        if role in roles:
            continue
        hits = [d for d in dims if d not in taken and re.search(pattern, d, re.IGNORECASE)]
        if len(hits) > 1:
            raise ParseError(f"{origin}: several dimensions look like {role}: {hits}; name one in the catalogue entry")
        if hits:
            roles[role] = hits[0]
            taken.add(hits[0])
    if "time" not in roles:
        raise ParseError(f"{origin}: no time dimension (LAIKOTARPIS) among {dims}")
    return roles


def _match_filter(frame: pd.DataFrame, dims: list[str], filters: Mapping[str, Any], origin: str) -> pd.DataFrame:
    lower = {d.casefold(): d for d in dims}
    mask = np.ones(len(frame), dtype=bool)
    for dim, wanted in (filters or {}).items():
        d = lower.get(str(dim).casefold())
        if d is None:
            raise ParseError(f"{origin}: filter on dimension {dim!r}, which is not in the response; it has {dims}")
        codes = [str(w) for w in (wanted if isinstance(wanted, (list, tuple)) else [wanted])]
        present = set(frame[d].unique())
        if not present & set(codes):
            raise ParseError(
                f"{origin}: filter {dim}={codes} matches nothing; the response has codes {sorted(present)[:20]}"
            )
        mask &= frame[d].isin(codes).to_numpy()
    return frame.loc[mask]


def _map_territories(codes: pd.Series, register: Register, origin: str) -> pd.Series:
    """Map OSP territory codes to register codes; None for codes that are dropped."""
    mapping: dict[str, str | None] = {}
    unknown: list[str] = []
    nuts2: list[str] = []
    for c in codes.unique():
        s = str(c).strip()
        if s in register and not register.get(s).synthetic:
            mapping[c] = s
        elif s in LEGACY_CODES:
            log.warning("%s: dropping legacy territory code %r (%s)", origin, s, LEGACY_CODES[s])
            mapping[c] = None
        elif _NUTS2.match(s):
            nuts2.append(s)
            mapping[c] = None
        else:
            unknown.append(s)
    if unknown:
        raise ParseError(
            f"{origin}: unknown territory code(s) {sorted(unknown)}: not in the register "
            "(expected 00, 01-10, 11-94, the NUTS-2 regions LT01/LT02 or the legacy 51)"
        )
    if nuts2:
        log.info("%s: dropping NUTS-2 region code(s) %s (no NUTS-2 level in the register)", origin, sorted(nuts2))
    return codes.map(mapping)


def to_canonical(
    data: SdmxData,
    table: str,
    *,
    filters: Mapping[str, Any] | None = None,
    dimensions: Mapping[str, str] | None = None,
    unit: str | None = None,
    flow: str | None = None,
    indicator: str | None = None,
    register: Register | None = None,
    dataset: str | None = None,
) -> pd.DataFrame:
    """Map parsed observations to the canonical columns of ``table``.

    Parameters
    ----------
    data
        Output of :func:`read_sdmx`.
    table
        Target table: one of :data:`TABLE_COLUMNS` (``population``, ``births``, ``deaths``,
        ``migration``, ``labour``, ``median_age``).
    filters
        ``{dimension id: code or [codes]}`` keeping only matching observations (ids matched
        case-insensitively). Every dimension without a role must be reduced to one code by a
        filter, else :class:`ParseError` lists its codes.
    dimensions
        Role overrides ``{role: dimension id}`` (roles: time, territory, sex, age, unit).
    unit
        Unit code (``MATVNT``) to keep when the response has several; for ``labour`` it also
        fills the ``unit`` column when the response has no unit dimension.
    flow, indicator
        Constant ``flow`` (migration) or ``indicator`` (labour) value.

    Returns
    -------
    pandas.DataFrame
        ``territory_code`` (str), ``year`` (int64), [``period``], the table's key columns
        (``sex``; ``age`` Int64 with ``open_age`` bool [and ``age_span``]; ``flow``;
        ``indicator`` with ``unit``), ``value`` (float64) and ``status`` (object), sorted by key.
    """
    origin = data.origin if dataset is None else f"{data.origin} [{dataset}]"
    if table not in TABLE_COLUMNS:
        raise ParseError(f"{origin}: unknown target table {table!r}; expected one of {sorted(TABLE_COLUMNS)}")
    keys = TABLE_COLUMNS[table]
    if "flow" in keys and not flow:
        raise ParseError(f"{origin}: table 'migration' needs a flow value (emigrants, immigrants, ...)")
    if "indicator" in keys and not indicator:
        raise ParseError(f"{origin}: table 'labour' needs an indicator value")
    register = register or get_register()
    dims = list(data.dimensions)
    roles = detect_roles(dims, dimensions, origin=origin)
    frame = _match_filter(data.frame, dims, filters or {}, origin)

    # unit
    if "unit" in roles:
        u = roles["unit"]
        if unit is not None:
            present = sorted(frame[u].unique())
            if unit not in present and present:
                raise ParseError(f"{origin}: unit {unit!r} not in the response; its {u} codes are {present}")
            frame = frame[frame[u] == unit]
        units = frame[u].unique()
        if len(units) > 1:
            raise ParseError(f"{origin}: several units {sorted(units)} in dimension {u!r}; set 'unit' in the catalogue entry")

    # age in a table without age: keep the all-ages rows
    if "age" in roles and "age" not in keys:
        a = roles["age"]
        total = frame[a].str.lower() == "g000g999"
        if not total.any() and frame[a].nunique() > 1:
            raise ParseError(f"{origin}: table {table!r} has no age column and dimension {a!r} has no all-ages code g000g999")
        if total.any():
            frame = frame[total]

    # every other dimension must be down to one code
    role_dims = set(roles.values())
    for d in dims:
        if d in role_dims:
            continue
        codes = frame[d].unique()
        if len(codes) > 1:
            raise ParseError(
                f"{origin}: dimension {d!r} has {len(codes)} codes {sorted(codes)[:12]}; "
                f"add a filter for it (filters: {{{d}: CODE}}) to the catalogue entry"
            )

    # Rows to drop: territories outside the register's levels (legacy, NUTS-2), unknown age.
    terr = None
    if "territory" in roles:
        terr = _map_territories(frame[roles["territory"]], register, origin)
    amap: dict[str, Any] = {}
    if "age" in keys and "age" in roles:
        a = frame[roles["age"]]
        for c in a.unique():
            try:
                amap[c] = parse_age_code(c)
            except ValueError as exc:
                raise ParseError(f"{origin}: dimension {roles['age']!r}: {exc}") from None
        unknown_age = a.map(lambda c: amap[c] is None).astype(bool)
        if unknown_age.any():
            log.info("%s: dropping %d observation(s) of unknown age (gxxx)", origin, int(unknown_age.sum()))
    else:
        unknown_age = pd.Series(False, index=frame.index)
    keep = ~unknown_age
    if terr is not None:
        keep &= terr.notna()
    frame = frame[keep]

    out = pd.DataFrame(index=frame.index)
    if terr is not None:
        out["territory_code"] = terr[keep].astype(str)
    else:
        log.info("%s: no territory dimension; rows are for the country (00)", origin)
        out["territory_code"] = "00"

    # time
    tcodes = frame[roles["time"]]
    tmap: dict[str, tuple[int, str | None]] = {}
    for c in tcodes.unique():
        try:
            tmap[c] = parse_period(c)
        except ValueError as exc:
            raise ParseError(f"{origin}: dimension {roles['time']!r}: {exc}") from None
    out["year"] = tcodes.map({c: v[0] for c, v in tmap.items()}).astype("int64")
    if any(v[1] for v in tmap.values()):
        out["period"] = tcodes.map({c: v[1] for c, v in tmap.items()}).astype(object)

    if "flow" in keys:
        out["flow"] = flow
    if "indicator" in keys:
        out["indicator"] = indicator

    # sex
    if "sex" in keys:
        if "sex" in roles:
            s = frame[roles["sex"]]
            bad = sorted(set(s.unique()) - set(SEX_CODES))
            if bad:
                raise ParseError(f"{origin}: dimension {roles['sex']!r}: unknown sex code(s) {bad}; expected 0, 1, 2")
            out["sex"] = s.map(SEX_CODES)
        else:
            out["sex"] = "total"

    # age
    if "age" in keys:
        if "age" in roles:
            a = frame[roles["age"]]
            known = {c: v for c, v in amap.items() if v is not None}
            out["age"] = pd.array(a.map({c: v[0] for c, v in known.items()}).tolist(), dtype="Int64")
            out["open_age"] = a.map({c: v[1] for c, v in known.items()}).astype(bool)
            if any(v[2] and v[2] > 1 for v in known.values()):
                out["age_span"] = pd.array(a.map({c: v[2] for c, v in known.items()}).tolist(), dtype="Int64")
        else:
            out["age"] = pd.array([pd.NA] * len(out), dtype="Int64")
            out["open_age"] = False

    if "indicator" in keys:
        out["unit"] = frame[roles["unit"]].astype(str) if "unit" in roles else (unit or "")

    value = frame["value"].astype("float64")
    status = frame["status"].astype(object).where(frame["status"].notna(), None)
    status = status.where(~(value.isna() & status.isna()), CONFIDENTIAL)
    out["value"] = value
    out["status"] = status.astype(object)

    key_cols = ["territory_code", "year"] + (["period"] if "period" in out else []) + [k for k in keys]
    if "age_span" in out:
        key_cols.append("age_span")
    dup = out.duplicated(key_cols, keep=False)
    if dup.any():
        shown = out.loc[dup, key_cols + ["value"]].head(6).to_string(index=False)
        raise ParseError(f"{origin}: {int(dup.sum())} observations share a key {key_cols}:\n{shown}")
    out = out.sort_values(key_cols, kind="mergesort", na_position="first").reset_index(drop=True)
    return out


def annualise(frame: pd.DataFrame, rule: str = "annual", *, origin: str = "response") -> pd.DataFrame:
    """Reduce sub-annual observations (a ``period`` column) to one row per year.

    ``rule``: ``annual`` keeps the annual observations and drops sub-annual ones (an error if
    there are none); ``mean`` takes the mean of a year's quarters (4) or months (12), only
    for complete years with every value present (status ``mean-of-periods``); ``last`` keeps
    the last period of each year. A frame without ``period`` is returned unchanged.
    """
    if "period" not in frame:
        return frame
    sub = frame["period"].notna()
    if rule == "annual":
        if not (~sub).any():
            raise ParseError(
                f"{origin}: only sub-annual periods (e.g. {frame['period'].dropna().iloc[0]}); "
                "set period_rule: mean or last in the catalogue entry"
            )
        return frame[~sub].drop(columns="period").reset_index(drop=True)
    keys = [c for c in frame.columns if c not in ("period", "value", "status")]
    sf = frame[sub]
    if rule == "last":
        sf = sf.sort_values("period", kind="mergesort")
        out = sf.groupby(keys, dropna=False, sort=False).tail(1).drop(columns="period")
    elif rule == "mean":
        per_year = sf["period"].str.contains("-Q").map({True: 4, False: 12})
        sf = sf.assign(_need=per_year.to_numpy())
        g = sf.groupby(keys, dropna=False, sort=False)
        agg = g.agg(value=("value", "mean"), _n=("value", "count"), _need=("_need", "max")).reset_index()
        incomplete = agg["_n"] < agg["_need"]
        if incomplete.any():
            log.info("%s: %d year(s) with incomplete sub-annual periods left out of the annual mean", origin, int(incomplete.sum()))
        out = agg[~incomplete].drop(columns=["_n", "_need"])
        out["status"] = "mean-of-periods"
    else:
        raise ParseError(f"{origin}: unknown period_rule {rule!r}; expected annual, mean or last")
    annual = frame[~sub].drop(columns="period")
    res = pd.concat([annual, out[annual.columns]], ignore_index=True) if len(annual) else out.reset_index(drop=True)
    res = res.drop_duplicates(keys, keep="first")
    return res.sort_values(keys, kind="mergesort", na_position="first").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# The message's own dates, for citing it
# --------------------------------------------------------------------------------------
_LAST_UPDATE_XML = re.compile(rb'id="DS_LAST_UPDATE"\s+value="(\d{4}-\d{2}-\d{2})')
_PREPARED_XML = re.compile(rb"<(?:\w+:)?Prepared>(\d{4}-\d{2}-\d{2})")
_PREPARED_JSON = re.compile(rb'"prepared"\s*:\s*"(\d{4}-\d{2}-\d{2})')


def message_dates(path: str | Path, head_bytes: int = 1 << 16) -> dict[str, str]:
    """The dates an SDMX data message gives itself, read from its first ``head_bytes`` only (a
    report cites them without parsing the whole snapshot): ``last_update``, the data set's
    ``DS_LAST_UPDATE`` attribute (the day Statistics Lithuania last updated the table; in
    SDMX-ML it precedes the observations), and ``prepared``, the day the message was made (the
    header's ``Prepared``). Dates as ``YYYY-MM-DD``; a date not found is left out."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(head_bytes)
    except OSError:
        return {}
    out = {}
    for key, pattern in (("last_update", _LAST_UPDATE_XML), ("prepared", _PREPARED_XML), ("prepared", _PREPARED_JSON)):
        m = pattern.search(head)
        if m and key not in out:
            out[key] = m.group(1).decode("ascii")
    return out
