"""How long a fetch takes before its error against a dripping and a dead server, and the memory of
a large streamed response (all against local servers on 127.0.0.1; no network).

    python benchmarks/bench_fetch_deadline.py            # the default limits (about 7 minutes, idle)
    python benchmarks/bench_fetch_deadline.py --scale 10 # every limit divided by 10 (quick check)
    python benchmarks/bench_fetch_deadline.py --size 200 # MB of the streamed response (default 200)

Prints, for each server, the wall time until the fetch of one dataset fails and its message;
for the large response, the time and the process's peak RSS (the body goes to a file, so the
peak stays near the interpreter's own size whatever the response's).
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

from _common import peak_rss_mib

from cityindicators.exceptions import FetchError
from cityindicators.sources.osp import DEFAULT_LIMITS, OspClient

FLOW = "S3R629_M3010217"


def _serve(handler) -> tuple[socket.socket, int]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)

    def loop() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=handler, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return srv, srv.getsockname()[1]


def _drip(conn: socket.socket) -> None:
    """Answers at once, then sends one byte of the body every 0.5 s."""
    try:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 1000000\r\n\r\n")
        while True:
            conn.sendall(b"<")
            time.sleep(0.5)
    except OSError:
        pass
    finally:
        conn.close()


def _large(size: int):
    def handler(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
                         + f"Content-Length: {size}\r\nConnection: close\r\n\r\n".encode())
            block = b"<" + b"x" * (2**16 - 1)
            sent = 0
            while sent < size:
                piece = block[: min(len(block), size - sent)]
                conn.sendall(piece)
                sent += len(piece)
        except OSError:
            pass
        finally:
            conn.close()
    return handler


def _time_failure(label: str, client: OspClient) -> None:
    t0 = time.perf_counter()
    try:
        client.data(FLOW, 2020, 2021)
        outcome = "unexpectedly succeeded"
    except FetchError as exc:
        outcome = " ".join(str(exc).split("\n- ")[1:] or [str(exc)])
    print(f"{label}: failed after {time.perf_counter() - t0:.1f} s ({outcome})", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0, help="divide every limit by this (default 1: the defaults)")
    ap.add_argument("--size", type=int, default=200, help="MB of the large streamed response (default 200)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the failures are printed below, once
    s = args.scale
    limits = replace(DEFAULT_LIMITS, connect_timeout=DEFAULT_LIMITS.connect_timeout / s,
                     read_timeout=DEFAULT_LIMITS.read_timeout / s,
                     attempt_deadline=DEFAULT_LIMITS.attempt_deadline / s, deadline=DEFAULT_LIMITS.deadline / s)
    print(f"limits: timeout {limits.read_timeout:g} s of silence, attempt {limits.attempt_deadline:g} s, "
          f"fetch deadline {limits.deadline:g} s, {limits.retries} retries, backoff {1 / s:g} s, "
          f"size cap {limits.max_bytes // 2**20} MB", flush=True)

    # the large response first: peak RSS is a high-water mark of the whole process
    size = args.size * 2**20
    srv, port = _serve(_large(size))
    rss0 = peak_rss_mib()
    client = OspClient([f"http://127.0.0.1:{port}/api/"], limits=replace(limits, max_bytes=size + 1))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        resp = client.data(FLOW, 2020, 2021, into=Path(tmp) / "body.part")
        seconds = time.perf_counter() - t0
        print(f"streamed response of {resp.size / 2**20:.0f} MB to disk: {seconds:.2f} s, "
              f"process peak RSS {peak_rss_mib():.0f} MiB (before: {rss0:.0f} MiB)", flush=True)
    srv.close()

    srv, port = _serve(_drip)
    _time_failure("drip server (1 byte every 0.5 s)",
                  OspClient([f"http://127.0.0.1:{port}/api/"], limits=limits, backoff=1 / s))
    srv.close()

    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead.listen(16)  # the kernel accepts connections; nobody ever answers
    port = dead.getsockname()[1]
    _time_failure("dead server (accepts, never answers), two base URLs on it",
                  OspClient([f"http://127.0.0.1:{port}/ords/ipospp/ospp/rest_xml/", f"http://127.0.0.1:{port}/rest_xml/"],
                            limits=limits, backoff=1 / s))
    dead.close()
    print(f"worst case of a fetch: {limits.deadline:g} s per dataset", flush=True)


if __name__ == "__main__":
    sys.exit(main())
