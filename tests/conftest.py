"""Shared test fixtures.

No test touches the network: sockets to anything but loopback are refused for the whole run.
Real-data tests find ../shared/data (or $CITYINDICATORS_SHARED_DATA) and skip with a reason
when it is absent.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path:
    env = os.environ.get("CITYINDICATORS_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


SHARED_DATA = _shared_data_dir()

_real_connect = socket.socket.connect


def _guarded_connect(self, address):  # pragma: no cover - exercised only on a leak
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")) and self.family in (
        socket.AF_INET,
        socket.AF_INET6,
    ):
        raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _block_network():
    socket.socket.connect = _guarded_connect
    yield
    socket.socket.connect = _real_connect


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real shared data folder; skips the test when it is absent."""
    if not (SHARED_DATA / "lt-osp" / "population.csv").exists():
        pytest.skip(f"real data folder not found at {SHARED_DATA} (set CITYINDICATORS_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """An empty data directory."""
    d = tmp_path / "data"
    (d / "raw").mkdir(parents=True)
    (d / "processed").mkdir()
    return d


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    """A data directory with the synthetic demo store built (one per test module, so a module
    that writes into it cannot disturb another)."""
    from cityindicators.demo import build_demo

    d = tmp_path_factory.mktemp("demo") / "data"
    build_demo(d)
    return d
