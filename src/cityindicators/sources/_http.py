"""HTTP limits that requests does not have: an overall deadline per attempt and a capped body.

requests' read timeout bounds the wait for *each* byte, so a server that drips one byte every
half second holds a request for as long as it likes. :class:`AttemptWatch` gives an attempt
a wall-clock deadline: a timer thread shuts down the attempt's sockets when it passes, which
wakes the blocked read at once (headers or body alike). The sockets are known because
:class:`DeadlineAdapter` gives its connection pools a connection class that registers each
socket with the attempt's watch just before waiting for the response.

:func:`copy_body` streams a response body into a file object, stopping at a size cap.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import IO, Callable

import requests
from requests.adapters import HTTPAdapter

__all__ = ["AttemptWatch", "DeadlineAdapter", "BodyTooLarge", "copy_body", "HEAD_BYTES"]

#: Bytes of the body kept in memory for sniffing the format and quoting error pages.
HEAD_BYTES = 1 << 16

_current = threading.local()


class AttemptWatch:
    """Context manager: the sockets used inside it are shut down ``seconds`` after it starts.

    ``expired`` tells afterwards whether the deadline cut the attempt short (the error the
    transport raised then is only a consequence).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = max(0.0, float(seconds))
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "AttemptWatch":
        _current.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        _current.watch = None

    def register(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Shut the connection down under a blocked reader (a duplicate descriptor works for TLS too)."""
    try:
        fd = sock.fileno()
        if fd < 0:
            return
        dup = socket.socket(fileno=os.dup(fd))
        try:
            dup.shutdown(socket.SHUT_RDWR)
        finally:
            dup.close()
    except OSError:  # already closed or never connected
        pass


def _register_current(sock: socket.socket | None) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.register(sock)


_TRACKED: dict[type, type] = {}


def _tracked(conn_cls: type) -> type:
    """A subclass of urllib3's connection class that registers its socket with the watch."""
    if getattr(conn_cls, "_registers_with_watch", False):
        return conn_cls
    if conn_cls not in _TRACKED:
        def getresponse(self, *args, **kwargs):
            _register_current(getattr(self, "sock", None))
            return conn_cls.getresponse(self, *args, **kwargs)

        _TRACKED[conn_cls] = type(f"Watched{conn_cls.__name__}", (conn_cls,),
                                  {"getresponse": getresponse, "_registers_with_watch": True})
    return _TRACKED[conn_cls]


class DeadlineAdapter(HTTPAdapter):
    """requests adapter whose connections can be cut by the current :class:`AttemptWatch`."""

    def get_connection_with_tls_context(self, *args, **kwargs):  # requests >= 2.32.2
        pool = super().get_connection_with_tls_context(*args, **kwargs)
        pool.ConnectionCls = _tracked(pool.ConnectionCls)
        return pool

    def get_connection(self, *args, **kwargs):  # older requests
        pool = super().get_connection(*args, **kwargs)
        pool.ConnectionCls = _tracked(pool.ConnectionCls)
        return pool


def mount_deadline_adapter(session: requests.Session) -> None:
    """Route the session's http and https requests through a :class:`DeadlineAdapter`."""
    for prefix in ("http://", "https://"):
        if not isinstance(session.get_adapter(prefix), DeadlineAdapter):
            session.mount(prefix, DeadlineAdapter())


class BodyTooLarge(Exception):
    """The body passed the size cap (``size`` bytes read so far)."""

    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


def copy_body(resp: requests.Response, sink: IO[bytes], max_bytes: int | None,
              on_chunk: Callable[[int], None] | None = None) -> tuple[int, bytes]:
    """Stream the (decoded) body of ``resp`` into ``sink``.

    Returns the number of bytes written and the first :data:`HEAD_BYTES` of the body.
    Raises :class:`BodyTooLarge` as soon as more than ``max_bytes`` arrive (a compressed body
    counts by its decoded size, so a small gzip bomb is stopped too); transport errors are
    requests' own, with the bytes read so far as ``bytes_read``.
    """
    got = 0
    head = bytearray()
    try:
        for chunk in resp.iter_content(chunk_size=HEAD_BYTES):
            got += len(chunk)
            if max_bytes is not None and got > max_bytes:
                raise BodyTooLarge(got)
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            sink.write(chunk)
            if on_chunk is not None:
                on_chunk(len(chunk))
    except requests.exceptions.RequestException as exc:
        exc.bytes_read = got  # for the message: how far the body came
        raise
    return got, bytes(head)
