"""Statistics Lithuania (OSP) SDMX 2.1 REST API: client, dataset catalogue, fetch and parser.

The transport (:class:`OspClient`) is kept apart from parsing (:mod:`.sdmx_parse`):

- **Base URLs** are a list, tried in order: the current path
  ``https://osp-rs.stat.gov.lt/ords/ipospp/ospp/rest_xml/`` first, the documented
  ``https://osp-rs.stat.gov.lt/rest_xml/`` (which answers 301 to the current one) as fallback;
  the same for ``rest_json``. Override with ``base_urls=``, ``--base-url`` or the environment
  variable ``CITYINDICATORS_OSP_BASE_URL`` (comma-separated). Redirects are followed.
- **Retries**: timeouts, connection errors, truncated bodies, HTTP 429 and 5xx are retried with
  exponential backoff (``backoff * 2**attempt`` seconds; ``Retry-After`` honoured for 429, up to
  60 s). When every attempt on one base URL fails, or it answers 404 with a non-SDMX body (the
  path itself is gone), the next base URL is tried, except one on a host that did not answer
  at all. A 404 carrying an SDMX error message (no data for the query) is final, and so is a
  redirect loop.
- **Limits**: the read timeout bounds each silence, an *attempt deadline* the whole attempt
  (a server dripping a byte at a time is cut off), and a *fetch deadline* a request with all
  its retries, waits and fallbacks (:func:`fetch_dataset` gives one deadline to a dataset's
  data and names requests together). A body larger than ``max_bytes`` is refused, and data
  bodies are streamed to a temporary file beside the snapshot rather than held in memory.
  Defaults: :data:`DEFAULT_LIMITS`; the environment variables of :data:`LIMIT_ENV` override
  them.
- **Credentials** in a base URL (``http://user:token@host/``, ``?token=...``) are used but
  never shown: every URL in a message, log line or sidecar goes through
  :func:`cityindicators._redact.redact`.
- **TLS** is verified by default; ``verify=False`` (``--insecure``) or a CA-bundle path is an
  explicit choice, logged as a warning. A CA bundle that does not exist (the path given, or
  ``$REQUESTS_CA_BUNDLE``/``$CURL_CA_BUNDLE``) is a one-line :class:`ConfigError`.
- Every request sends ``User-Agent: cityindicators/<version> (+municipal strategic planning)``.
- **Periods are mandatory** for data queries (``startPeriod``/``endPeriod``; the service rejects
  ``startTime``), as responses can be very large.

The body is checked by content, not by content type (the XML endpoint has answered
``application/force-download``): HTML pages, empty and non-SDMX bodies are errors.

:func:`fetch` downloads catalogue datasets and writes each response as an immutable raw
snapshot (source ``osp``) through the snapshot writer it is handed
(:class:`cityindicators.snapshots.SnapshotWriter`; by default the raw store of the data
directory), after checking that it parses to the canonical table; :func:`parse_snapshot` (registered as the store parser ``osp-sdmx``)
turns a snapshot back into canonical frames.

One job per module: :mod:`.limits` (timeouts, deadlines, size cap), :mod:`.queries` (query
paths and periods), :mod:`.client` (transport: base URLs, retries, deadlines, TLS),
:mod:`.response` (the answer checked and its body read), :mod:`.catalogue` (the dataset
catalogue), :mod:`.parse` (the store parser), :mod:`.fetch` (datasets into raw snapshots) and
:mod:`.search` (dataflow search). This package re-exports their public names, so
``from cityindicators.sources import osp; osp.fetch(...)`` keeps working.
"""

from __future__ import annotations

from ..._debris import owner_tag
from ..._lazy import make_lazy
from .catalogue import CatalogueEntry, load_catalogue, packaged_catalogue_path
from .limits import DEFAULT_LIMITS, LIMIT_ENV, FetchLimits, limits_from_env
from .parse import PARSER_NAME, canonical_frames, parse_snapshot  # registers the store parser

#: The transport's names, imported on first use (:mod:`cityindicators._lazy`): they import
#: requests (some 0.15 CPU s), which reading the catalogue or a snapshot, as a report's kernel
#: does, never needs.
_LAZY: dict[str, str] = {
    "BASE_URL_ENV": "client",
    "JSON_BASE_URLS": "client",
    "USER_AGENT": "client",
    "XML_BASE_URLS": "client",
    "OspClient": "client",
    "LICENCE_NOTE": "fetch",
    "SOURCE": "fetch",
    "FetchResult": "fetch",
    "fetch": "fetch",
    "fetch_dataset": "fetch",
    "OspResponse": "response",
    "load_dataflow_list": "search",
    "search_dataflows": "search",
}

__all__ = [
    "XML_BASE_URLS",
    "JSON_BASE_URLS",
    "BASE_URL_ENV",
    "DEFAULT_LIMITS",
    "LIMIT_ENV",
    "FetchLimits",
    "limits_from_env",
    "USER_AGENT",
    "LICENCE_NOTE",
    "PARSER_NAME",
    "SOURCE",
    "OspResponse",
    "OspClient",
    "CatalogueEntry",
    "load_catalogue",
    "packaged_catalogue_path",
    "FetchResult",
    "fetch",
    "fetch_dataset",
    "parse_snapshot",
    "canonical_frames",
    "load_dataflow_list",
    "search_dataflows",
    "owner_tag",
]

make_lazy(__name__)
