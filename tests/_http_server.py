"""A scripted HTTP server on 127.0.0.1 for the client tests (tests/test_osp_client.py) and the
network-reply reliability tests (tests/reliability/test_net_fetch.py); no test touches the network.

Besides status, headers and body a reply can wait before answering, drip its headers or body one
byte at a time, announce more bytes than it sends, leave out the length, or send a gzip body.
"""

from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """One scripted answer (defaults: 200, empty XML body, sent at once)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    drip_headers: float = 0.0  # seconds between the bytes of the status line and headers
    drip_body: float = 0.0  # seconds between the bytes of the body
    truncate_to: int | None = None  # announce len(body) but send only this many bytes
    no_length: bool = False  # no Content-Length: the body ends when the connection closes
    gzip: bool = False  # send the body gzip-compressed (Content-Encoding: gzip)


class ScriptedServer:
    """``add(path, Reply(...), ...)`` scripts the answers of one path, used in turn (the last repeats);
    ``base()`` is the URL of the folder ``default_base`` (a client's base URL)."""

    def __init__(self, default_base: str = "api") -> None:
        self.default_base = default_base
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                outer.requests.append({"path": parts.path, "query": parse_qs(parts.query),
                                       "headers": dict(self.headers)})
                replies = outer.routes.get(parts.path)
                if not replies:
                    reply = Reply(404, b"<html><head><title>Not Found</title></head></html>",
                                  {"Content-Type": "text/html"})
                else:
                    reply = replies.pop(0) if len(replies) > 1 else replies[0]
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    outer._answer(self, reply)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        body = gzip.compress(reply.body) if reply.gzip else reply.body
        headers = {"Content-Type": "application/xml", **reply.headers}
        if reply.gzip:
            headers["Content-Encoding"] = "gzip"
        if not reply.no_length:
            headers["Content-Length"] = str(len(body))
        if reply.no_length or reply.truncate_to is not None:
            headers["Connection"] = "close"
        head = f"HTTP/1.1 {reply.status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        out = handler.wfile
        if reply.drip_headers:
            for b in head.encode():
                out.write(bytes([b]))
                out.flush()
                time.sleep(reply.drip_headers)
        else:
            out.write(head.encode())
        sent = body if reply.truncate_to is None else body[: reply.truncate_to]
        if reply.drip_body:
            for b in sent:
                out.write(bytes([b]))
                out.flush()
                time.sleep(reply.drip_body)
        else:
            out.write(sent)
        out.flush()
        if reply.no_length or reply.truncate_to is not None:
            handler.close_connection = True

    @property
    def root(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def base(self, name: str | None = None, userinfo: str = "") -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{userinfo + '@' if userinfo else ''}{host}:{port}/{name or self.default_base}/"

    def add(self, path: str, *replies: Reply) -> None:
        self.routes["/" + path.lstrip("/")] = list(replies)

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests if r["path"] == "/" + path.lstrip("/"))

    def start(self) -> "ScriptedServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
