"""Debris of killed runs: temporary names that say who owns them, and removal of stale ones.

A run that is killed (``kill -9``, a power cut) cannot clean up after itself. So every
temporary file or folder a long step leaves beside its target carries its owner in its name,
``.<what>.<host>.<pid>.<tag>`` with the part :func:`owner_tag` returns, and the next run
removes the debris it can *prove* stale: the owner ran on this host and its process is gone,
or the debris is older than :data:`MAX_AGE` seconds (no run lasts that long; this also covers
a PID reused by another process and debris from another host).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import time
import uuid
from pathlib import Path

__all__ = ["owner_tag", "is_stale", "remove_stale", "MAX_AGE"]

log = logging.getLogger(__name__)

#: Seconds after which debris is stale whoever owns it (one day).
MAX_AGE = 24 * 3600.0

_OWNER = re.compile(r"\.(?P<host>[A-Za-z0-9_-]+)\.(?P<pid>\d+)\.(?P<tag>[0-9a-f]{8})(?:\.[A-Za-z0-9]+)?$")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def owner_tag() -> str:
    """``<host>.<pid>.<random>``: the part of a temporary name that identifies its owner."""
    return f"{_host()}.{os.getpid()}.{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def is_stale(path: Path, now: float | None = None) -> bool:
    """Whether ``path`` (a name made with :func:`owner_tag`) belongs to no live run."""
    try:
        age = (now if now is not None else time.time()) - path.lstat().st_mtime
    except FileNotFoundError:
        return False
    if age > MAX_AGE:
        return True
    m = _OWNER.search(path.name)
    if m is None or m.group("host") != _host():
        return False
    pid = int(m.group("pid"))
    return pid != os.getpid() and not _pid_alive(pid)


def remove_stale(folder: Path, pattern: str) -> list[Path]:
    """Remove the entries of ``folder`` matching the glob ``pattern`` that are stale; return them."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in sorted(folder.glob(pattern)):
        if not is_stale(entry):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("could not remove the stale %s: %s", entry, exc)
            continue
        log.info("removed %s, left by a run that no longer exists", entry)
        removed.append(entry)
    return removed
