"""Helpers for your own tests of analyses built on cityindicators (pytest or plain asserts).

- :func:`block_network` - no test of yours reaches the internet by accident: connections to
  anything but this machine (loopback) raise :class:`NetworkBlockedError`. The project's own
  test suite runs under it.
- :func:`demo_data_dir` - a data directory with the synthetic demonstration data built
  (fictional territories ``X00``-``X18``), for tests that need a store without real data.
- :func:`assert_tidy_equal` - two tidy frames hold the same rows, whatever their order: rows
  are matched by key columns and values compared with a tolerance; a failure lists the keys
  missing on either side and the values that differ.

With pytest, ``pytest_plugins = ["cityindicators.testing"]`` in your ``conftest.py`` also gives
the fixtures ``ci_no_network`` (autouse: the whole session is blocked) and ``ci_demo_data_dir``
(one demo data directory per test module).
"""

from __future__ import annotations

import socket
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

if TYPE_CHECKING:
    import os

    import pandas as pd

__all__ = ["NetworkBlockedError", "block_network", "demo_data_dir", "assert_tidy_equal", "KEY_COLUMNS"]

#: Column names that identify a row of a tidy table (canonical names of the package), in the
#: order a difference is reported; :func:`assert_tidy_equal` uses those present as default keys.
KEY_COLUMNS = ("scenario", "territory_code", "indicator", "flow", "area", "sex", "age", "age_group",
               "year", "quantile")


class NetworkBlockedError(RuntimeError):
    """A test tried to connect to an address outside this machine."""


def _is_loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return not isinstance(host, str) or host.startswith("127.") or host in ("localhost", "::1")


@contextmanager
def block_network() -> Iterator[None]:
    """Within the block, sockets refuse to connect anywhere but loopback (127.0.0.0/8, ::1).

    Local test servers on 127.0.0.1 and Unix sockets (Jupyter kernels) keep working. Blocks
    nest; the previous ``socket.connect`` comes back at the end.
    """
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def _check(sock: socket.socket, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise NetworkBlockedError(f"test tried to reach the network: {address!r}")

    def connect(self, address):
        _check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        _check(self, address)
        return real_connect_ex(self, address)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex


def demo_data_dir(path: str | os.PathLike) -> Path:
    """Build the synthetic demonstration data into the data directory ``path`` and return it.

    The data are deterministic (fixed seed), so a test may quote figures computed from them by
    library functions. They are fictional ("Demoland", codes ``X00``-``X18``), never real
    statistics.
    """
    from .demo import build_demo

    path = Path(path)
    build_demo(path)
    return path


def assert_tidy_equal(left: pd.DataFrame, right: pd.DataFrame, keys: Sequence[str] | None = None,
                      rtol: float = 1e-9, atol: float = 0.0, max_listed: int = 10) -> None:
    """Assert that two tidy frames hold the same rows, in any order.

    Rows are matched by ``keys`` (default: the columns of :data:`KEY_COLUMNS` present in
    ``left``); every other column is compared, numbers within ``rtol``/``atol`` (as
    ``numpy.isclose``) and the rest exactly, missing values equal to missing values. Column order
    and the row index do not matter.

    Raises
    ------
    AssertionError
        Naming the columns that differ, keys that occur twice, keys found on one side only and
        values that differ (the first ``max_listed`` of each, with their counts).
    """
    import numpy as np
    import pandas as pd

    if set(left.columns) != set(right.columns):
        raise AssertionError(
            "tidy frames have different columns: only in left "
            f"{sorted(set(left.columns) - set(right.columns))}, only in right {sorted(set(right.columns) - set(left.columns))}")
    keys = [c for c in KEY_COLUMNS if c in left.columns] if keys is None else list(keys)
    missing = [k for k in keys if k not in left.columns]
    if missing:
        raise AssertionError(f"key column(s) {missing} not in the frames (columns: {list(left.columns)})")
    if not keys:
        raise AssertionError(f"no key columns: pass keys=[...] (columns: {list(left.columns)})")
    values = [c for c in left.columns if c not in keys]
    problems: list[str] = []

    def listed(frame: pd.DataFrame) -> str:
        shown = frame.head(max_listed).to_string(index=False)
        more = f"\n  ... and {len(frame) - max_listed} more" if len(frame) > max_listed else ""
        return "\n  " + shown.replace("\n", "\n  ") + more

    for side, frame in (("left", left), ("right", right)):
        dup = frame[frame.duplicated(keys, keep=False)]
        if len(dup):
            problems.append(f"{len(dup)} rows of {side} share their keys {keys}:{listed(dup[keys])}")
    if problems:
        raise AssertionError("\n".join(problems))

    # Key columns as objects, so that an Int64 age in one frame matches an int64 age in the
    # other, and missing keys (all-ages rows) match each other.
    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.reset_index(drop=True).copy()
        for k in keys:
            out[k] = out[k].astype(object).where(out[k].notna(), None)
        return out

    merged = keyed(left).merge(keyed(right), on=keys, how="outer", suffixes=("_left", "_right"), indicator=True)
    for side, tag in (("left", "left_only"), ("right", "right_only")):
        only = merged.loc[merged["_merge"] == tag, keys]
        if len(only):
            problems.append(f"{len(only)} keys only in {side}:{listed(only)}")
    both = merged[merged["_merge"] == "both"]
    for col in values:
        a, b = both[f"{col}_left"], both[f"{col}_right"]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b) \
                and not pd.api.types.is_bool_dtype(a):
            x, y = a.to_numpy(dtype=float, na_value=np.nan), b.to_numpy(dtype=float, na_value=np.nan)
            same = np.isclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
        else:
            same = ((a == b) | (a.isna() & b.isna())).fillna(False).to_numpy(dtype=bool)
        if not same.all():
            diff = both.loc[~same, keys + [f"{col}_left", f"{col}_right"]]
            problems.append(f"column {col!r}: {len(diff)} of {len(both)} matched rows differ "
                            f"(rtol={rtol:g}, atol={atol:g}):{listed(diff)}")
    if problems:
        raise AssertionError("tidy frames differ:\n" + "\n".join(problems))


try:  # pytest fixtures for ``pytest_plugins = ["cityindicators.testing"]``; pytest is optional
    import pytest
except ImportError:  # pragma: no cover - the helpers above work without pytest
    pytest = None

if pytest is not None:

    @pytest.fixture(autouse=True, scope="session")
    def ci_no_network():
        """The whole test session runs under :func:`block_network`."""
        with block_network():
            yield

    @pytest.fixture(scope="module")
    def ci_demo_data_dir(tmp_path_factory) -> Path:
        """A data directory with the demo data built, one per test module (a module that writes
        into it cannot disturb another)."""
        return demo_data_dir(tmp_path_factory.mktemp("demo") / "data")
