"""The HTTP client of the OSP SDMX API (:class:`OspClient`): base URLs tried in order,
retries with backoff, the attempt and fetch deadlines, TLS settings (see :mod:`.` for the rules)."""

from __future__ import annotations

import logging
import os
import re
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

import requests

from ... import __version__
from ..._redact import redact
from ...exceptions import ConfigError, FetchError, ParseError
from .._http import AttemptWatch, mount_deadline_adapter
from ..sdmx_parse import parse_structure
from . import queries
from .limits import FetchLimits, limits_from_env
from .response import OspResponse, _DeadlinePassed, _Transient, _TryNextBase, receive

__all__ = ["XML_BASE_URLS", "JSON_BASE_URLS", "BASE_URL_ENV", "USER_AGENT", "OspClient"]

log = logging.getLogger(__name__)

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
                return receive(resp, url, params, watch, into, max_bytes=self.limits.max_bytes, progress=self.progress)
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
        path, params = queries.data_query(flow, start, end, key)
        return self.get(path, params, into=into)

    def dataflow(self, flow: str | None = None) -> OspResponse:
        """``GET {base}/dataflow/`` (the whole list, ~7 MB) or ``dataflow/LSD/{flow}/latest``."""
        return self.get(queries.dataflow_path(flow))

    def datastructure(self, dsd: str, references: str = "children") -> OspResponse:
        """``GET {base}/datastructure/LSD/{dsd}/latest?references=children``.

        ``dsd`` may be a flow id: its ``M...`` half is used (S3R167_M3010203 -> M3010203).
        """
        return self.get(*queries.datastructure_query(dsd, references))

    def flow_names(self, flow: str) -> dict[str, Any]:
        """Names and description of ``flow`` in lt and en from its dataflow message."""
        resp = self.dataflow(flow)
        info = parse_structure(resp.content, origin=resp.url)["dataflows"].get(flow)
        if info is None:
            raise ParseError(f"{resp.url}: dataflow message does not describe {flow!r}")
        return info
