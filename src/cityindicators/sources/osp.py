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
snapshot through :mod:`cityindicators.store` (source ``osp``), after checking that it parses to
the canonical table; :func:`parse_snapshot` (registered as the store parser ``osp-sdmx``)
turns a snapshot back into canonical frames.
"""

from __future__ import annotations

import copy
import datetime as _dt
import io
import json
import logging
import os
import re
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

import pandas as pd
import requests
import yaml

from .. import __version__
from .._redact import redact
from ..config import DataPaths
from ..exceptions import ConfigError, DatasetNotFoundError, FetchError, ParseError
from . import sdmx_parse
from ._http import HEAD_BYTES, AttemptWatch, BodyTooLarge, copy_body, mount_deadline_adapter
from .._debris import owner_tag, remove_stale
from .sdmx_parse import annualise, parse_structure, read_sdmx, sniff_format, to_canonical

__all__ = [
    "XML_BASE_URLS",
    "JSON_BASE_URLS",
    "BASE_URL_ENV",
    "DEFAULT_LIMITS",
    "LIMIT_ENV",
    "FetchLimits",
    "USER_AGENT",
    "LICENCE_NOTE",
    "PARSER_NAME",
    "OspResponse",
    "OspClient",
    "CatalogueEntry",
    "load_catalogue",
    "FetchResult",
    "fetch",
    "fetch_dataset",
    "parse_snapshot",
    "canonical_frames",
    "load_dataflow_list",
    "search_dataflows",
]

log = logging.getLogger(__name__)

#: SDMX-ML endpoints: the current path first, the documented one (301 to the current) after.
XML_BASE_URLS: tuple[str, ...] = (
    "https://osp-rs.stat.gov.lt/ords/ipospp/ospp/rest_xml/",
    "https://osp-rs.stat.gov.lt/rest_xml/",
)
#: SDMX-JSON endpoints, same order.
JSON_BASE_URLS: tuple[str, ...] = (
    "https://osp-rs.stat.gov.lt/ords/ipospp/ospp/rest_json/",
    "https://osp-rs.stat.gov.lt/rest_json/",
)
#: Environment variable with base URL(s) to use instead of the defaults (comma-separated).
BASE_URL_ENV = "CITYINDICATORS_OSP_BASE_URL"
USER_AGENT = f"cityindicators/{__version__} (+municipal strategic planning)"
LICENCE_NOTE = "Statistics Lithuania open data; reuse with attribution, see osp.stat.gov.lt"
PARSER_NAME = "osp-sdmx"
SOURCE = "osp"

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FetchLimits:
    """How long a request may take and how large its answer may be.

    connect_timeout, read_timeout
        Seconds to open the connection; seconds of silence allowed between two bytes.
    attempt_deadline
        Seconds one attempt (connect, headers and whole body) may take.
    deadline
        Seconds one request may take with all its retries, waits and base-URL fallbacks;
        :func:`fetch_dataset` gives it to a whole dataset (data and names together).
    max_bytes
        Largest body accepted (decoded size).
    retries
        Extra attempts per base URL after the first, for transient failures.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    attempt_deadline: float = 180.0
    deadline: float = 300.0
    max_bytes: int = 256 * 2**20
    retries: int = 2

    def worst_case_dead_server(self, backoff: float = 1.0) -> float:
        """Seconds a request to a host that accepts connections but never answers costs:
        every attempt waits one read timeout, with the backoff waits between them."""
        waits = sum(backoff * 2**i for i in range(self.retries))
        return min(self.deadline, (self.retries + 1) * self.read_timeout + waits)


#: The defaults of every fetch: a dataset costs at most ``deadline`` seconds (5 minutes).
DEFAULT_LIMITS = FetchLimits()
#: Environment variables overriding the limits (seconds; megabytes for the size).
LIMIT_ENV: dict[str, str] = {
    "read_timeout": "CITYINDICATORS_OSP_TIMEOUT",
    "attempt_deadline": "CITYINDICATORS_OSP_ATTEMPT_DEADLINE",
    "deadline": "CITYINDICATORS_OSP_DEADLINE",
    "max_bytes": "CITYINDICATORS_OSP_MAX_MB",
}


def limits_from_env(base: FetchLimits = DEFAULT_LIMITS) -> FetchLimits:
    """``base`` with the values of the :data:`LIMIT_ENV` variables that are set."""
    changes: dict[str, Any] = {}
    for name, var in LIMIT_ENV.items():
        text = os.environ.get(var, "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not value > 0 or value == float("inf"):
            raise ConfigError(f"${var}={text!r}: expected a positive number of "
                              f"{'megabytes' if name == 'max_bytes' else 'seconds'}")
        changes[name] = int(value * 2**20) if name == "max_bytes" else value
    return replace(base, **changes)


def _check_ca_bundle(verify: bool | str) -> None:
    """A CA bundle that does not exist is a clear error now, not an OSError deep in requests."""
    if isinstance(verify, str):
        if not os.path.exists(verify):
            raise ConfigError(f"CA bundle {verify}: no such file (it should hold the certificates that verify TLS)")
        return
    if verify is not True:
        return
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # the order in which requests reads them
        value = os.environ.get(var)
        if value:
            if not os.path.exists(value):
                raise ConfigError(f"${var}={value}: no such file; it should name the CA bundle that verifies "
                                  "TLS certificates (fix the path or unset the variable)")
            return
_PERIOD = re.compile(r"^\d{4}(-Q[1-4]|-\d{2})?$")


# --------------------------------------------------------------------------------------
# Transport
# --------------------------------------------------------------------------------------
@dataclass
class OspResponse:
    """One successful HTTP exchange."""

    url: str  # final URL after redirects (credentials redacted)
    requested_url: str  # (credentials redacted)
    status: int
    content: bytes | None  # the body; None when it was streamed to ``path``
    content_type: str
    params: dict[str, str]
    format: str  # "xml" or "json" (sniffed from the body)
    history: list[int] = field(default_factory=list)  # redirect statuses
    path: Path | None = None  # the file holding the body, when streamed (the caller owns it)
    size: int = 0  # bytes of the body

    def body(self) -> bytes | Path:
        """The body in memory, or the path of the file holding it."""
        return self.path if self.content is None and self.path is not None else (self.content or b"")


class _Transient(Exception):
    """A failure worth retrying (timeout, connection, 429/5xx, truncated body)."""

    def __init__(self, message: str, retry_after: float | None = None, unreachable: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.unreachable = unreachable  # the host never answered (no point in its other base URLs)


class _TryNextBase(Exception):
    """This base URL does not serve the API (404/HTML): try the next one."""


class _DeadlinePassed(Exception):
    """The fetch deadline passed: no further attempt on any base URL."""


class OspClient:
    """HTTP client of the OSP SDMX API.

    Parameters
    ----------
    base_urls
        Base URLs tried in order (each ending in ``/``); default :data:`XML_BASE_URLS` or
        :data:`JSON_BASE_URLS` by ``fmt``, or ``$CITYINDICATORS_OSP_BASE_URL``.
    fmt
        ``"xml"`` (SDMX-ML, default: its structure messages carry lt and en names) or ``"json"``.
    limits
        Timeouts, deadlines, size cap and retries (:class:`FetchLimits`); default
        :data:`DEFAULT_LIMITS` with the :data:`LIMIT_ENV` variables applied.
    timeout, retries
        Shortcuts overriding ``limits``: seconds ``(connect, read)`` or one number for both;
        extra attempts per base URL.
    backoff
        Base of the exponential wait between attempts, seconds.
    verify
        TLS verification: True (default), False (explicit override, logged) or a CA-bundle path.
    session
        A ``requests.Session`` to use (tests inject one); a new one otherwise.
    sleep
        Function used to wait (tests pass a no-op).
    """

    def __init__(
        self,
        base_urls: Sequence[str] | str | None = None,
        *,
        fmt: str = "xml",
        limits: FetchLimits | None = None,
        timeout: float | tuple[float, float] | None = None,
        retries: int | None = None,
        backoff: float = 1.0,
        verify: bool | str = True,
        session: requests.Session | None = None,
        user_agent: str = USER_AGENT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if fmt not in ("xml", "json"):
            raise ConfigError(f"OSP client: format must be 'xml' or 'json', got {fmt!r}")
        if base_urls is None:
            env = os.environ.get(BASE_URL_ENV, "").strip()
            base_urls = [u for u in env.split(",") if u.strip()] if env else (
                XML_BASE_URLS if fmt == "xml" else JSON_BASE_URLS)
        if isinstance(base_urls, str):
            base_urls = [base_urls]
        self.base_urls = [u.strip().rstrip("/") + "/" for u in base_urls]
        if not self.base_urls:
            raise ConfigError("OSP client: no base URL given")
        for u in self.base_urls:
            if not re.match(r"^https?://", u):
                raise ConfigError(f"OSP client: base URL {redact(u)!r} must start with http:// or https://")
        self.fmt = fmt
        limits = limits if limits is not None else limits_from_env()
        if timeout is not None:
            connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
            limits = replace(limits, connect_timeout=float(connect), read_timeout=float(read))
        if retries is not None:
            limits = replace(limits, retries=max(0, int(retries)))
        self.limits = limits
        self.backoff = float(backoff)
        _check_ca_bundle(verify)
        self.verify = verify
        if verify is False:
            log.warning("TLS certificate verification is OFF for the OSP API (explicit override)")
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent
        mount_deadline_adapter(self.session)
        self.sleep = sleep
        self.progress: Callable[[int, int | None], None] | None = None
        self._scope_end: float | None = None

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.limits.connect_timeout, self.limits.read_timeout)

    @property
    def retries(self) -> int:
        return self.limits.retries

    @contextmanager
    def deadline_scope(self) -> Iterator[None]:
        """Requests inside share one fetch deadline (``limits.deadline`` from now)."""
        if self._scope_end is not None:  # an outer scope already bounds them
            yield
            return
        self._scope_end = time.monotonic() + self.limits.deadline
        try:
            yield
        finally:
            self._scope_end = None

    # -- low level ----------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, str] | None = None, *, into: Path | None = None) -> OspResponse:
        """GET ``path`` (relative to a base URL) with retries and base-URL fallback.

        ``into`` names a file to stream the body into (created or overwritten; the caller
        removes it); without it the body is returned in memory. Both are capped at
        ``limits.max_bytes``.

        Raises
        ------
        FetchError
            Every base URL failed, the deadline passed or the body is too large; the message
            lists each URL and what happened.
        """
        params = dict(params or {})
        failures: list[str] = []
        end = self._scope_end if self._scope_end is not None else time.monotonic() + self.limits.deadline
        silent_hosts: set[str] = set()
        for i, base in enumerate(self.base_urls):
            url = base + path.lstrip("/")
            host = urlsplit(base).netloc
            if host in silent_hosts:
                failures.append(f"{redact(url)}: not tried, its host did not answer")
                continue
            try:
                return self._get_with_retries(url, params, end, into)
            except _TryNextBase as exc:
                failures.append(f"{redact(url)}: {exc}")
            except _Transient as exc:
                failures.append(f"{redact(url)}: {exc} (after {self.retries + 1} attempt(s))")
                if exc.unreachable:
                    silent_hosts.add(host)
            except _DeadlinePassed as exc:
                failures.append(f"{redact(url)}: {exc}")
                break
            if i + 1 < len(self.base_urls):  # the error says it all when there is nothing left to try
                log.warning("OSP: %s; trying the next base URL", failures[-1])
        if len(failures) == 1:
            raise FetchError(f"OSP request failed: {failures[0]}")
        raise FetchError("OSP request failed on every base URL:\n- " + "\n- ".join(failures))

    def _get_with_retries(self, url: str, params: dict[str, str], end: float, into: Path | None) -> OspResponse:
        attempt = 0
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise _DeadlinePassed(f"the fetch deadline of {self.limits.deadline:g} s passed")
            try:
                return self._get_once(url, params, min(self.limits.attempt_deadline, remaining), into)
            except _Transient as exc:
                if attempt >= self.retries:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else self.backoff * (2 ** attempt)
                if time.monotonic() + wait >= end:
                    raise _DeadlinePassed(
                        f"{exc}; the fetch deadline of {self.limits.deadline:g} s passed after {attempt + 1} attempt(s)"
                    ) from None
                log.info("OSP: %s: %s; retry %d/%d in %.1f s", redact(url), exc, attempt + 1, self.retries, wait)
                self.sleep(wait)
                attempt += 1

    def _get_once(self, url: str, params: dict[str, str], seconds: float, into: Path | None) -> OspResponse:
        """One attempt, cut off after ``seconds`` whatever the server does."""
        with AttemptWatch(seconds) as watch:
            resp = self._send(url, params, watch)
            try:
                return self._receive(resp, url, params, watch, into)
            finally:
                resp.close()

    def _send(self, url: str, params: dict[str, str], watch: AttemptWatch) -> requests.Response:
        """Send the request and read the headers; failures become :class:`_Transient` or final."""
        try:
            return self.session.get(url, params=params, timeout=self.timeout, verify=self.verify,
                                    allow_redirects=True, stream=True)
        except requests.exceptions.TooManyRedirects:
            raise FetchError(f"{redact(url)}: redirect loop (more than {self.session.max_redirects} redirects)") from None
        except requests.exceptions.RequestException as exc:
            if watch.expired:
                raise _Transient(f"no answer within the attempt deadline ({watch.seconds:.1f} s)",
                                 unreachable=True) from None
            if isinstance(exc, requests.exceptions.SSLError):
                raise FetchError(f"{redact(url)}: TLS certificate check failed ({redact(exc)}); "
                                 "pass a CA bundle or, knowingly, --insecure") from None
            if isinstance(exc, requests.exceptions.Timeout):
                raise _Transient(f"timed out ({exc.__class__.__name__})", unreachable=True) from None
            unreachable = isinstance(exc, requests.exceptions.ConnectionError)
            raise _Transient(f"connection failed ({exc.__class__.__name__}: {redact(exc)})",
                             unreachable=unreachable) from None
        except OSError as exc:  # e.g. a CA bundle that cannot be read
            raise FetchError(f"{redact(url)}: {redact(exc)}") from None

    def _receive(self, resp: requests.Response, url: str, params: dict[str, str], watch: AttemptWatch,
                 into: Path | None) -> OspResponse:
        status = resp.status_code
        ctype = resp.headers.get("Content-Type", "")
        where = redact(resp.url)
        if status >= 400:
            head = self._error_head(resp)
            kind = sniff_format(head)
            if status in _RETRY_STATUS:
                retry_after = None
                if status == 429:
                    try:
                        retry_after = min(60.0, float(resp.headers.get("Retry-After", "")))
                    except ValueError:
                        retry_after = None
                raise _Transient(f"HTTP {status}", retry_after=retry_after)
            if status == 404 and kind not in ("xml", "json"):
                raise _TryNextBase(f"HTTP 404 with a {kind} body (the API path may have moved)")
            detail = redact(_error_detail(head, kind))
            raise FetchError(f"{where}: HTTP {status}{': ' + detail if detail else ''}")
        size, head, content = self._read_body(resp, watch, into, where)
        kind = sniff_format(head)
        if kind == "html":
            raise _TryNextBase(f"HTTP {status} but an HTML page instead of SDMX ({redact(_error_detail(head, kind))})")
        if kind not in ("xml", "json"):
            raise FetchError(f"{where}: HTTP {status} but the body is {kind}, not SDMX (content type {ctype!r})")
        first = resp.history[0] if resp.history else resp
        return OspResponse(
            url=where, requested_url=redact(first.request.url or url), status=status, content=content,
            content_type=ctype, params=params, format=kind, history=[r.status_code for r in resp.history],
            path=into, size=size,
        )

    def _error_head(self, resp: requests.Response) -> bytes:
        """The first bytes of an error body (enough for its message; the rest is not read)."""
        try:
            return next(resp.iter_content(chunk_size=HEAD_BYTES), b"")
        except (requests.exceptions.RequestException, OSError):
            return b""

    def _read_body(self, resp: requests.Response, watch: AttemptWatch, into: Path | None, where: str
                   ) -> tuple[int, bytes, bytes | None]:
        """Size, first bytes and (without ``into``) the whole body, checked for size and length."""
        expected = resp.headers.get("Content-Length")
        total = int(expected) if expected and expected.isdigit() else None
        cap = self.limits.max_bytes
        if total is not None and total > cap and not resp.headers.get("Content-Encoding"):
            raise FetchError(f"{where}: the response is {_mib(total)}, more than the limit of {_mib(cap)} "
                             "(raise it with --max-size)")
        on_chunk = (lambda n: self.progress(n, total)) if self.progress is not None else None
        sink = open(into, "wb") if into is not None else io.BytesIO()
        content = None
        try:
            size, head = copy_body(resp, sink, cap, on_chunk)
            if into is None:
                content = sink.getvalue()
            else:  # on disk before it is renamed into a snapshot
                sink.flush()
                os.fsync(sink.fileno())
        except BodyTooLarge as exc:
            raise FetchError(f"{where}: the response passed the limit of {_mib(cap)} "
                             f"(stopped after {_mib(exc.size)}; raise it with --max-size)") from None
        except requests.exceptions.RequestException as exc:
            if watch.expired:
                raise _Transient(f"cut off at the attempt deadline ({watch.seconds:.1f} s)") from None
            got = getattr(exc, "bytes_read", 0)
            if isinstance(exc, requests.exceptions.Timeout):
                raise _Transient(f"timed out while reading the body after {got} bytes") from None
            announced = f" before the {total} bytes announced" if total is not None else ""
            raise _Transient(f"body truncated: the connection broke{announced} ({exc.__class__.__name__})") from None
        finally:
            sink.close()
        if watch.expired:  # a body without a length ends "normally" when its socket is shut
            raise _Transient(f"cut off at the attempt deadline ({watch.seconds:.1f} s) after {size} bytes")
        if total is not None and size < total and not resp.headers.get("Content-Encoding"):
            raise _Transient(f"body truncated: {size} of {total} bytes")
        return size, head, content

    # -- SDMX queries -------------------------------------------------------------------
    def data(self, flow: str, start: str | int, end: str | int, key: str | None = None, *,
             into: Path | None = None) -> OspResponse:
        """``GET {base}/data/{flow}[/{key}]?startPeriod=..&endPeriod=..``.

        Parameters
        ----------
        flow
            Dataflow id (``S3R629_M3010217``; ``LSD,S3R629_M3010217`` is accepted too).
        start, end
            Period bounds, both required: ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``.
        key
            Optional SDMX series key (dot-separated codes in dimension order).
        into
            File to stream the body into (see :meth:`get`).
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
        return self.get(path, {"startPeriod": start_s, "endPeriod": end_s}, into=into)

    def dataflow(self, flow: str | None = None) -> OspResponse:
        """``GET {base}/dataflow/`` (the whole list, ~7 MB) or ``dataflow/LSD/{flow}/latest``."""
        return self.get(f"dataflow/LSD/{flow}/latest" if flow else "dataflow/")

    def datastructure(self, dsd: str, references: str = "children") -> OspResponse:
        """``GET {base}/datastructure/LSD/{dsd}/latest?references=children``.

        ``dsd`` may be a flow id: its ``M...`` half is used (S3R167_M3010203 -> M3010203).
        """
        m = re.search(r"(M\d+)", dsd) if "_" in dsd else None
        dsd_id = m.group(1) if m else dsd
        return self.get(f"datastructure/LSD/{dsd_id}/latest", {"references": references})

    def flow_names(self, flow: str) -> dict[str, Any]:
        """Names and description of ``flow`` in lt and en from its dataflow message."""
        resp = self.dataflow(flow)
        info = parse_structure(resp.content, origin=resp.url)["dataflows"].get(flow)
        if info is None:
            raise ParseError(f"{resp.url}: dataflow message does not describe {flow!r}")
        return info


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def _error_detail(content: bytes, kind: str) -> str:
    text = content[:20000].decode("utf-8", "replace")
    if kind == "html":
        m = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        return f"HTML page {m.group(1).strip()!r}" if m else "HTML page"
    if kind == "xml":
        texts = re.findall(r"<(?:\w+:)?Text[^>]*>(.*?)</(?:\w+:)?Text>", text, re.DOTALL)
        codes = re.findall(r"ErrorMessage[^>]*code=\"([^\"]*)\"", text)
        if texts:
            return f"SDMX error {codes[0] if codes else ''}: {' '.join(t.strip() for t in texts)}".replace("  ", " ")
    if kind == "json":
        try:
            doc = json.loads(text)
            errs = doc.get("errors") if isinstance(doc, dict) else None
            if errs:
                return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errs)
        except ValueError:
            pass
    return text[:200].strip().replace("\n", " ")


# --------------------------------------------------------------------------------------
# Dataset catalogue
# --------------------------------------------------------------------------------------
_TABLES = tuple(sdmx_parse.TABLE_COLUMNS)
_FLOWS = ("emigrants", "immigrants", "net_international", "internal_arrivals", "internal_departures", "net_internal")
_ENTRY_KEYS = {
    "table", "flow_id", "title", "confirmed", "note", "unit", "filters", "key", "flow", "indicator",
    "dimensions", "period_rule", "start",
}


@dataclass(frozen=True)
class CatalogueEntry:
    """One dataset of the OSP catalogue (see ``sources/catalogue.yaml``)."""

    name: str
    table: str
    flow_id: str | None
    title: str = ""
    confirmed: bool = False
    note: str = ""
    unit: str | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None
    flow: str | None = None
    indicator: str | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    period_rule: str = "annual"
    start: int = 2010

    @property
    def resolved(self) -> bool:
        """Whether the entry names a flow (unresolved entries cannot be fetched)."""
        return bool(self.flow_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "table": self.table, "flow_id": self.flow_id, "title": self.title,
            "confirmed": self.confirmed, "note": self.note, "unit": self.unit, "filters": dict(self.filters),
            "key": self.key, "flow": self.flow, "indicator": self.indicator, "dimensions": dict(self.dimensions),
            "period_rule": self.period_rule, "start": self.start,
        }

    @classmethod
    def from_dict(cls, name: str, spec: Mapping[str, Any], origin: str = "catalogue") -> "CatalogueEntry":
        """Build and check an entry; :class:`ConfigError` names the file, entry and key at fault."""
        where = f"{origin}: dataset {name!r}"
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{where}: expected a mapping of settings, got {type(spec).__name__}")
        unknown = set(spec) - _ENTRY_KEYS - {"name"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}")
        table = spec.get("table")
        if table not in _TABLES:
            raise ConfigError(f"{where}: 'table' is {table!r}; expected one of {list(_TABLES)}")
        if not isinstance(spec.get("confirmed"), bool):
            raise ConfigError(f"{where}: 'confirmed' must be true or false")
        flow_id = spec.get("flow_id")
        if flow_id is not None and not re.match(r"^[A-Za-z0-9_]+$", str(flow_id)):
            raise ConfigError(f"{where}: 'flow_id' {flow_id!r} is not of the form S3R629_M3010217")
        if table == "migration" and spec.get("flow") not in _FLOWS:
            raise ConfigError(f"{where}: table migration needs 'flow' in {list(_FLOWS)}, got {spec.get('flow')!r}")
        if table == "labour" and not spec.get("indicator"):
            raise ConfigError(f"{where}: table labour needs an 'indicator' name")
        rule = spec.get("period_rule", "annual")
        if rule not in ("annual", "mean", "last"):
            raise ConfigError(f"{where}: 'period_rule' is {rule!r}; expected annual, mean or last")
        for k in ("filters", "dimensions"):
            if spec.get(k) is not None and not isinstance(spec.get(k), Mapping):
                raise ConfigError(f"{where}: {k!r} must be a mapping of dimension id to code(s)")
        try:
            start = int(spec.get("start", 2010))
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: 'start' must be a year") from None
        return cls(
            name=name, table=table, flow_id=str(flow_id) if flow_id else None, title=str(spec.get("title") or ""),
            confirmed=spec["confirmed"], note=str(spec.get("note") or "").strip(),
            unit=None if spec.get("unit") is None else str(spec["unit"]),
            filters=dict(spec.get("filters") or {}), key=spec.get("key"), flow=spec.get("flow"),
            indicator=spec.get("indicator"), dimensions=dict(spec.get("dimensions") or {}),
            period_rule=rule, start=start,
        )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the catalogue: {exc}") from None
    datasets = doc.get("datasets") if isinstance(doc, dict) else None
    if not isinstance(datasets, dict):
        raise ConfigError(f"{path}: expected a top-level key 'datasets' mapping dataset names to entries")
    return datasets


def packaged_catalogue_path() -> Path:
    """The catalogue shipped with the package."""
    return Path(__file__).with_name("catalogue.yaml")


def load_catalogue(data_dir: str | os.PathLike | None = None, path: str | os.PathLike | None = None
                   ) -> dict[str, CatalogueEntry]:
    """The dataset catalogue: the packaged one with ``<data-dir>/catalogue.yaml`` merged over it.

    The user file has the same form (``datasets: {name: {...}}``); each of its entries is
    merged key by key over the packaged entry of the same name (``filters`` and
    ``dimensions`` replace, not merge), or added when new. ``path`` names another override
    file instead of the data directory's.
    """
    base = _read_yaml(packaged_catalogue_path())
    merged = copy.deepcopy(base)
    override = Path(path) if path is not None else DataPaths.of(data_dir).root / "catalogue.yaml"
    origins = {name: str(packaged_catalogue_path()) for name in merged}
    if override.exists():
        for name, spec in _read_yaml(override).items():
            if not isinstance(spec, Mapping):
                raise ConfigError(f"{override}: dataset {name!r}: expected a mapping of settings")
            merged[name] = {**merged.get(name, {}), **spec}
            origins[name] = str(override)
        log.info("OSP catalogue: merged %s over the packaged catalogue", override)
    elif path is not None:
        raise ConfigError(f"catalogue override file {override} does not exist")
    return {name: CatalogueEntry.from_dict(str(name), spec, origins[name]) for name, spec in merged.items()}


# --------------------------------------------------------------------------------------
# Parsing snapshots
# --------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------
@dataclass
class FetchResult:
    """Outcome of fetching one dataset."""

    dataset: str
    path: Path
    action: str  # "fetched", "reused" (same-day snapshot) or "offline" (newest snapshot)
    rows: int | None = None


def _store():
    from .. import store  # imported lazily: store sits above sources in the layering

    return store


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _flow_info(client: OspClient, entry: CatalogueEntry) -> dict[str, Any]:
    """Names of the entry's flow; a failed lookup is a warning (the data are what matters)."""
    try:
        return client.flow_names(entry.flow_id or "")
    except (FetchError, ParseError) as exc:
        log.warning("%s: could not read the names of flow %s: %s", entry.name, entry.flow_id, exc)
        return {}


def _snapshot_meta(entry: CatalogueEntry, resp: OspResponse, flow_info: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance sidecar of a fetched snapshot (URLs already redacted by the client)."""
    names = flow_info.get("name", {})
    return {
        "url": redact(resp.url),
        "requested_url": redact(resp.requested_url),
        "redirects": resp.history,
        "query": resp.params,
        "http_status": resp.status,
        "content_type": resp.content_type,
        "format": resp.format,
        "flow_id": entry.flow_id,
        "flow_name": names.get("en") or names.get("lt") or entry.title,
        "flow_name_lt": names.get("lt"),
        "flow_name_en": names.get("en"),
        "flow_description": flow_info.get("description") or None,
        "licence": LICENCE_NOTE,
        "producer": "Statistics Lithuania (Valstybės duomenų agentūra), agency LSD",
        "parser": PARSER_NAME,
        "table": entry.table,
        "confirmed": entry.confirmed,
        "catalogue_entry": entry.as_dict(),
    }


def fetch_dataset(
    entry: CatalogueEntry,
    *,
    start: int | str | None = None,
    end: int | str | None = None,
    data_dir: str | os.PathLike | None = None,
    offline: bool = False,
    force: bool = False,
    client: OspClient | None = None,
    names: bool = True,
) -> FetchResult:
    """Fetch one catalogue dataset into a raw snapshot (see :func:`fetch`)."""
    store = _store()
    if offline:
        snap = store.latest_snapshot(SOURCE, entry.name, data_dir)
        if snap is None:
            raise DatasetNotFoundError(
                f"--offline: no snapshot of {SOURCE}/{entry.name} under {DataPaths.of(data_dir).raw / SOURCE}; "
                "fetch it once while online"
            )
        log.info("offline: using %s", snap)
        return FetchResult(entry.name, snap, "offline")
    if not entry.resolved:
        raise ConfigError(
            f"dataset {entry.name!r} has no flow_id (unresolved: {entry.note or 'see the catalogue'}); "
            f"set 'flow_id' for it in {DataPaths.of(data_dir).root / 'catalogue.yaml'}"
        )
    client = client or OspClient()
    ext = client.fmt
    today = _dt.date.today().isoformat()
    existing = store.snapshot_path(SOURCE, entry.name, ext, data_dir, today)
    start_s = str(start if start is not None else entry.start)
    end_s = str(end if end is not None else _dt.date.today().year)
    if existing.exists() and not force:
        from .._io import read_sidecar

        old = read_sidecar(existing).get("query", {})
        if old and (old.get("startPeriod"), old.get("endPeriod")) != (start_s, end_s):
            log.warning("%s: reusing today's snapshot for %s-%s, not %s-%s (use --force to fetch again)",
                        entry.name, old.get("startPeriod"), old.get("endPeriod"), start_s, end_s)
        log.info("%s: reusing today's snapshot %s", entry.name, existing)
        return FetchResult(entry.name, existing, "reused")
    # The body goes to a temporary file beside the snapshot (a killed fetch's one is removed
    # by the next fetch), and becomes the snapshot by a rename.
    folder = existing.parent
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale(folder, ".*.part")
    part = folder / f".{entry.name}.{owner_tag()}.part"
    path = None
    try:
        with client.deadline_scope():
            resp = client.data(entry.flow_id, start_s, end_s, key=entry.key, into=part)
            if resp.format != ext:
                ext = resp.format
            try:
                frames = canonical_frames(part, entry, origin=resp.url)
            except ParseError as exc:
                raise FetchError(f"{entry.name}: the response could not be used, nothing was stored: {exc}") from None
            flow_info = _flow_info(client, entry) if names else {}
        meta = _snapshot_meta(entry, resp, flow_info)
        path = store.write_snapshot(SOURCE, entry.name, part, ext, meta, data_dir=data_dir, force=force)
    finally:
        part.unlink(missing_ok=True)
        if path is None and created:  # a failed first fetch leaves no empty folder behind
            _remove_if_empty(folder)
    rows = sum(len(f) for f in frames.values())
    log.info("%s: %s (%d bytes, %d canonical rows)", entry.name, path, resp.size, rows)
    return FetchResult(entry.name, path, "fetched", rows)


def fetch(
    datasets: Iterable[str] | None = None,
    *,
    start: int | str | None = None,
    end: int | str | None = None,
    data_dir: str | os.PathLike | None = None,
    offline: bool = False,
    force: bool = False,
    client: OspClient | None = None,
    progress: bool = False,
    catalogue: Mapping[str, CatalogueEntry] | None = None,
) -> list[FetchResult]:
    """Fetch catalogue datasets from the OSP API into raw snapshots ``raw/osp/<dataset>/<date>.<ext>``.

    Parameters
    ----------
    datasets
        Catalogue names; all resolved entries when None (unresolved ones are skipped with a
        warning).
    start, end
        Period bounds (years); default the entry's ``start`` and the current year.
    offline
        Do not use the network: return the newest snapshot of each dataset, or raise
        :class:`DatasetNotFoundError` when one has none.
    force
        Fetch again even if a snapshot of today exists (it is replaced).
    progress
        Show a progress bar (tqdm) over datasets and bytes.

    Returns
    -------
    list of FetchResult
    """
    cat = dict(catalogue) if catalogue is not None else load_catalogue(data_dir)
    if datasets:
        names = list(dict.fromkeys(datasets))
        unknown = [n for n in names if n not in cat]
        if unknown:
            raise DatasetNotFoundError(f"unknown OSP dataset(s) {unknown}; the catalogue has: {', '.join(sorted(cat))}")
    else:
        names = [n for n, e in cat.items() if e.resolved]
        for n in (n for n, e in cat.items() if not e.resolved):
            log.warning("skipping %s: no flow_id in the catalogue (%s)", n, cat[n].note or "unresolved")
    from tqdm.auto import tqdm

    results: list[FetchResult] = []
    if client is None and not offline:
        client = OspClient()
    with tqdm(total=len(names), desc="OSP fetch", unit="dataset", disable=not progress) as bar:
        byte_bar = tqdm(desc="download", unit="B", unit_scale=True, leave=False, disable=not progress)
        if client is not None:
            def _on_bytes(n: int, total: int | None) -> None:
                if total and byte_bar.total != total:
                    byte_bar.reset(total=total)
                byte_bar.update(n)

            client.progress = _on_bytes
        try:
            for name in names:
                bar.set_postfix_str(name)
                byte_bar.reset()
                results.append(fetch_dataset(cat[name], start=start, end=end, data_dir=data_dir, offline=offline,
                                             force=force, client=client))
                bar.update(1)
        finally:
            byte_bar.close()
            if client is not None:
                client.progress = None
    return results


# --------------------------------------------------------------------------------------
# Dataflow search
# --------------------------------------------------------------------------------------
def load_dataflow_list(path: str | os.PathLike) -> list[dict[str, str]]:
    """Read a saved dataflow list: JSON ``[{id, name_lt, name_en}, ...]`` or a saved
    ``dataflow/`` SDMX-ML response."""
    p = Path(path)
    try:
        content = p.read_bytes()
    except OSError as exc:
        raise FetchError(f"cannot read the dataflow catalogue {p}: {exc}") from None
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


def _register_parser() -> None:
    try:
        store = _store()
    except ImportError:  # pragma: no cover - store is part of the package
        return
    register = getattr(store, "register_parser", None)
    if register is not None:
        register(PARSER_NAME, parse_snapshot)


_register_parser()
