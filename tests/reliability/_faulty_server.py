"""A local HTTP server on 127.0.0.1 that misbehaves on purpose (network-fault reliability tests).

``FaultyServer.add(path, Fault(...), ...)`` scripts the answers of one path, used in turn (the
last one repeats). Besides status, headers and body a fault can drip its headers or body one
byte at a time, announce more bytes than it sends, leave out the length, or send a gzip body.
``dead_server()`` is a socket that accepts connections and never answers.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Fault:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drip_headers: float = 0.0  # seconds between the bytes of the status line and headers
    drip_body: float = 0.0  # seconds between the bytes of the body
    truncate_to: int | None = None  # announce len(body) but send only this many bytes
    no_length: bool = False  # no Content-Length: the body ends when the connection closes
    gzip: bool = False  # send the body gzip-compressed (Content-Encoding: gzip)


class FaultyServer:
    def __init__(self) -> None:
        self.routes: dict[str, list[Fault]] = {}
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
                faults = outer.routes.get(parts.path)
                if not faults:
                    fault = Fault(404, b"<html><head><title>Not Found</title></head></html>",
                                  {"Content-Type": "text/html"})
                else:
                    fault = faults.pop(0) if len(faults) > 1 else faults[0]
                try:
                    outer._answer(self, fault)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, fault: Fault) -> None:
        body = gzip.compress(fault.body) if fault.gzip else fault.body
        headers = {"Content-Type": "application/xml", **fault.headers}
        if fault.gzip:
            headers["Content-Encoding"] = "gzip"
        if not fault.no_length:
            headers["Content-Length"] = str(len(body))
        if fault.no_length or fault.truncate_to is not None:
            headers["Connection"] = "close"
        head = f"HTTP/1.1 {fault.status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        out = handler.wfile
        if fault.drip_headers:
            for b in head.encode():
                out.write(bytes([b]))
                out.flush()
                time.sleep(fault.drip_headers)
        else:
            out.write(head.encode())
        sent = body if fault.truncate_to is None else body[: fault.truncate_to]
        if fault.drip_body:
            for b in sent:
                out.write(bytes([b]))
                out.flush()
                time.sleep(fault.drip_body)
        else:
            out.write(sent)
        out.flush()
        if fault.no_length or fault.truncate_to is not None:
            handler.close_connection = True

    @property
    def root(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def base(self, name: str = "api", userinfo: str = "") -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{userinfo + '@' if userinfo else ''}{host}:{port}/{name}/"

    def add(self, path: str, *faults: Fault) -> None:
        self.routes["/" + path.lstrip("/")] = list(faults)

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests if r["path"] == "/" + path.lstrip("/"))

    def start(self) -> "FaultyServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class DeadServer:
    """Accepts TCP connections (the kernel completes the handshake) and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)

    def base(self, name: str = "api") -> str:
        host, port = self.sock.getsockname()
        return f"http://{host}:{port}/{name}/"

    def close(self) -> None:
        self.sock.close()
