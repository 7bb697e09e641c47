"""A socket that accepts connections and never answers (network-fault reliability tests); the
scripted server that misbehaves on purpose is tests/_http_server.py.
"""

from __future__ import annotations

import socket


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
