"""What comes back from the OSP API: the checked response (:class:`OspResponse`), the failures
the client retries or falls back on, and the reading of a body (size cap, truncation, SDMX
by content, not by content type) and of an error body's message."""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import requests

from ..._redact import redact
from ...exceptions import FetchError
from .._http import HEAD_BYTES, AttemptWatch, BodyTooLarge, copy_body
from ..sdmx_parse import sniff_format

__all__ = ["OspResponse", "receive"]

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


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


def receive(resp: requests.Response, url: str, params: dict[str, str], watch: AttemptWatch, into: Path | None, *,
            max_bytes: int, progress: Callable[[int, int | None], None] | None = None) -> OspResponse:
    """Check one answer and read its body (streamed into ``into`` when given), capped at ``max_bytes``.

    Raises :class:`_Transient` for what is worth retrying, :class:`_TryNextBase` when this base
    URL does not serve the API, :class:`FetchError` for a final failure.
    """
    status = resp.status_code
    ctype = resp.headers.get("Content-Type", "")
    where = redact(resp.url)
    if status >= 400:
        head = _error_head(resp)
        kind = sniff_format(head)
        if status in RETRY_STATUS:
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
    size, head, content = _read_body(resp, watch, into, where, max_bytes, progress)
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


def _error_head(resp: requests.Response) -> bytes:
    """The first bytes of an error body (enough for its message; the rest is not read)."""
    try:
        return next(resp.iter_content(chunk_size=HEAD_BYTES), b"")
    except (requests.exceptions.RequestException, OSError):
        return b""


def _read_body(resp: requests.Response, watch: AttemptWatch, into: Path | None, where: str, cap: int,
               progress: Callable[[int, int | None], None] | None) -> tuple[int, bytes, bytes | None]:
    """Size, first bytes and (without ``into``) the whole body, checked for size and length."""
    expected = resp.headers.get("Content-Length")
    total = int(expected) if expected and expected.isdigit() else None
    if total is not None and total > cap and not resp.headers.get("Content-Encoding"):
        raise FetchError(f"{where}: the response is {_mib(total)}, more than the limit of {_mib(cap)} "
                         "(raise it with --max-size)")
    on_chunk = (lambda n: progress(n, total)) if progress is not None else None
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
