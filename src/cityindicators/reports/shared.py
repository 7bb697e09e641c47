"""What every report of a batch computes the same way, computed once per batch.

The reports of a batch differ by territory, but a few of their inputs are the same for all:
the count arrays of every territory (:func:`~cityindicators.indicators._counts.build_counts`),
the indicators of every territory and year, the back-test of all municipalities behind the
accuracy section, the reference rates of all municipalities behind every projection and the
interval model fitted on the back-test's errors behind the calibrated fan chart. A
batch worker keeps its kernel warm from report to report (:mod:`.kernels`), so these are kept
in memory, keyed by what they are and by the version of the data they come from, and the
costlier ones (``on_disk=True``) also on disk in the build's generation folder, computed by one
worker under a file lock and read by the others: :mod:`cityindicators.build_cache`, the leaf
that keeps them (the projection and the plans use it too: the back-test errors and interval
models of a build, :mod:`cityindicators.projection.build_intervals`), re-exported here.

Every use is noted (``computed``, ``read`` from disk, ``kept`` in memory from an earlier
report): in a report kernel in memory, written once into ``<report folder>/.shared.json`` when
the report's cells have all run (:func:`write_uses`, called by the runner through
:meth:`~cityindicators.reports.kernels.ReportKernel.finish`), which the runner moves into the
report's manifest (``"shared"``), so a batch can show that each was computed once.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Hashable

from ..build_cache import MAX_ITEMS, clear, code_version, computed_once, data_version, disk_folder
from ..build_cache import add_observer as _add_observer
from ..build_cache import label as _label

__all__ = ["data_version", "computed_once", "clear", "disk_folder", "USES_FILE", "write_uses", "read_uses",
           "code_version", "MAX_ITEMS"]

log = logging.getLogger(__name__)
_lock = threading.Lock()
#: File in a report's folder where the kernel notes its uses of shared results.
USES_FILE = ".shared.json"


#: This report's uses, noted in memory: ``(report folder, {label: how})``.
_USES: list[tuple[Path, dict[str, str]]] = []


def _note(key: Hashable, how: str) -> None:
    """Note a use for the report being written (nothing outside a report run); the notes are
    written once, when the report's cells have all run (:func:`write_uses`)."""
    from .exports import export_dir

    folder = export_dir()
    if folder is None:
        return
    with _lock:
        if not _USES or _USES[0][0] != folder:  # a new report (the one before failed unwritten)
            _USES[:] = [(folder, {})]
        _USES[0][1][_label(key)] = how


def write_uses() -> None:
    """Write this report's notes into ``<report folder>/.shared.json`` and forget them (the
    report kernel, once its cells have all run; :func:`read_uses` is the runner's side)."""
    with _lock:
        noted, _USES[:] = (_USES[0] if _USES else None), []
    if noted is None or not noted[0].is_dir():
        return
    try:
        (noted[0] / USES_FILE).write_text(json.dumps(noted[1]), encoding="utf-8")
    except OSError as exc:  # a note lost is no reason to fail a report
        log.debug("shared-use note not written: %s", exc)


def read_uses(folder: Path) -> dict[str, str]:
    """The uses a report's kernel noted in ``folder`` (the file is removed)."""
    path = Path(folder) / USES_FILE
    try:
        uses = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    finally:
        path.unlink(missing_ok=True)
    return {str(k): str(v) for k, v in uses.items()}


_add_observer(_note)  # every use of the build cache in a report kernel is noted for its manifest
