"""Batches that stop when told: SIGTERM or SIGINT end the workers, their kernels and their
staging folders, keep every previous good report and let the batch say what it finished.

A batch is the parent of everything it starts: worker processes (``--jobs N``), the kernels
papermill starts in them (in sessions of their own, so a process-group signal would miss
them) and multiprocessing's resource tracker. The tree of child processes is what the batch
owns, so that is what it stops (:func:`end_descendants`, with psutil):

- in the batch process, :func:`stop_on_signals` turns the first SIGTERM/SIGINT into
  :class:`BatchStopped` (a ``BaseException``, so no ``except Exception`` of a report run takes
  it for a failed report); the batch then cancels what has not started, ends its workers and
  kernels and removes the staging folders of unfinished reports;
- each worker process runs :func:`init_worker`: on a signal it ends its own kernels, removes
  its staging folders and exits at once;
- the two renames that replace a report (:func:`critical_section`) are never split by a
  signal: it waits until both are done, so a report folder is always the old one or the new.

The resource tracker ignores signals by design and exits by itself once the batch and its
workers are gone.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = [
    "BatchStopped",
    "stop_on_signals",
    "init_worker",
    "critical_section",
    "register_staging",
    "release_staging",
    "remove_staging",
    "end_descendants",
]

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: Seconds the processes of a stopped batch get to exit after SIGTERM before SIGKILL.
GRACE = 10.0


class BatchStopped(BaseException):
    """A signal asked the batch to stop."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


# Staging folders of report runs in this process that may still exist (a renamed one is gone).
_STAGING: set[Path] = set()
_state = {"critical": 0, "pending": None, "on_signal": None}


def register_staging(path: Path) -> None:
    """Remember a staging folder, so that a stopped run removes it."""
    _STAGING.add(Path(path))


def release_staging(path: Path) -> None:
    """Forget a staging folder that another process now finishes (and removes if stopped)."""
    _STAGING.discard(Path(path))


def remove_staging() -> None:
    """Remove the staging folders of this process's unfinished report runs."""
    for path in list(_STAGING):
        shutil.rmtree(path, ignore_errors=True)
        _STAGING.discard(path)


@contextmanager
def critical_section() -> Iterator[None]:
    """A signal that arrives inside is acted on when the block is over."""
    _state["critical"] += 1
    try:
        yield
    finally:
        _state["critical"] -= 1
        pending = _state["pending"]
        if not _state["critical"] and pending is not None:
            _state["pending"] = None
            _act(pending)


def _on_signal(signum: int, frame) -> None:
    if _state["critical"]:
        _state["pending"] = signum
        return
    _act(signum)


def _act(signum: int) -> None:
    action = _state["on_signal"]
    if action is not None:
        action(signum)


#: Loggers that would report the abandoned runs of a stopped batch as errors (dead kernels,
#: tasks never awaited): the batch's own summary says what happened.
_NOISY = ("papermill", "nbclient", "asyncio", "traitlets", "jupyter_client", "distributed")


def _raise_stop(signum: int) -> None:
    _state["on_signal"] = None  # the first signal stops the batch; later ones are not repeated
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    # the processes go first, so that no run notices its kernel dying and reports it
    end_descendants()
    raise BatchStopped(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside, the first SIGTERM or SIGINT raises :class:`BatchStopped` in this process.

    Only the main thread can own signals; elsewhere (a batch started from a thread) this does
    nothing. The previous handlers are put back on the way out.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    _state["on_signal"] = _raise_stop
    for s in SIGNALS:
        signal.signal(s, _on_signal)
    try:
        yield
    finally:
        _state["on_signal"] = None
        for s, handler in previous.items():
            signal.signal(s, handler)


def quiet() -> None:
    """From now on signals are noted but do nothing (the batch is finishing its summary)."""
    _state["on_signal"] = None


def init_worker() -> None:
    """Initializer of batch worker processes: a signal ends this worker, its kernels first."""
    _state["on_signal"] = _exit_worker
    for s in SIGNALS:
        signal.signal(s, _on_signal)


def _exit_worker(signum: int) -> None:
    _state["on_signal"] = None
    try:
        end_descendants(grace=0.0)
        remove_staging()
    finally:
        os._exit(128 + signum)


def _is_resource_tracker(proc) -> bool:
    try:
        return any("resource_tracker" in part for part in proc.cmdline())
    except Exception:  # gone or not ours to read
        return False


def _is_worker(proc) -> bool:
    try:
        return any("multiprocessing.spawn" in part or "multiprocessing.forkserver" in part for part in proc.cmdline())
    except Exception:
        return False


def end_descendants(grace: float = GRACE) -> int:
    """Stop every process below this one and return how many there were.

    Batch workers get SIGTERM (their handler removes their staging folders) and ``grace``
    seconds before SIGKILL; kernels, which hold nothing worth saving, get SIGKILL at once (a
    kernel told to stop politely prints tracebacks about its closed sockets). The resource
    tracker is left alone: it ignores signals and exits by itself when the last process using
    it is gone.
    """
    import psutil

    try:
        procs = [p for p in psutil.Process().children(recursive=True) if not _is_resource_tracker(p)]
    except psutil.Error:
        return 0
    workers = [p for p in procs if _is_worker(p)] if grace > 0 else []
    for p in workers:
        _send(p, "terminate")
    for p in procs:
        if p not in workers:
            _send(p, "kill")
    _, alive = psutil.wait_procs(procs, timeout=max(grace, 2.0))
    for p in alive:
        _send(p, "kill")
    if alive:
        psutil.wait_procs(alive, timeout=2.0)
        log.warning("stopped %d process(es) that did not end within %.0f s of SIGTERM", len(alive), grace)
    return len(procs)


def _send(proc, how: str) -> None:
    import psutil

    try:
        getattr(proc, how)()
    except psutil.Error:
        pass
