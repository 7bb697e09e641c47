"""Warm kernels: one Jupyter kernel per runner thread, reused from report to report.

Starting a kernel and importing pandas, matplotlib and the package takes about 3 s, more than
half of a report. A batch therefore keeps one kernel per worker (per thread, so that Dask
workers running several jobs at once never share one). Once a report's cells have all run, the
kernel clears its namespace and hands the memory the report freed back to the system
(:meth:`ReportKernel.finish` sends that clean-up without waiting for it, so the kernel does it
while the runner writes the report's HTML, workbook and PDF; after a failed report it is done
before the next one); before each report it is pointed at the report's staging folder and the
chart and table counters are reset (:meth:`ReportKernel.prepare`). What survives the clean-up is
frozen (:func:`gc.freeze`): Python's garbage collector then leaves the kernel's long-lived
objects alone and walks only each report's own.
What stays warm is only what a fresh kernel would compute the same way: imported
modules and the caches of the store, the indicator library and :mod:`.shared`, which are keyed
by the data files' paths and modification times.

A thread's first kernel is started ahead (:func:`start_kernel_ahead`), by the command line
before anything else and by the runner before it imports papermill and prepares the run: the
kernel starts and imports the report modules meanwhile, instead of after.

A kernel that failed in any other way than a cell raising an error (it died, or a cell ran past
its timeout and may still be busy) is shut down and the next report starts a new one.

papermill runs the notebook on that kernel through the engine registered here under
:data:`ENGINE` (papermill's own nbclient engine, handed the running kernel instead of starting one).
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from jupyter_client.manager import AsyncKernelManager as _AsyncKernelManager

__all__ = ["ENGINE", "LocalKernelManager", "ReportKernel", "start_kernel_ahead", "warm_kernel", "ready_kernel",
           "discard_kernel", "close_kernels"]

log = logging.getLogger(__name__)

#: Name of the papermill engine that executes on a :class:`ReportKernel`.
ENGINE = "cityindicators-warm"
#: Seconds a new kernel may take to answer (a crowded machine needed more than 60).
START_TIMEOUT = 180
#: Seconds the preparation of a kernel for the next report may take (generous: a loaded machine).
PREPARE_TIMEOUT = 300
#: Every how many reports a kernel's preparation collects all its objects, the frozen ones too
#: (:meth:`ReportKernel.prepare`); the others collect only what the previous report made.
FULL_COLLECTION_EVERY = 20
#: What a kernel started ahead imports as it starts (every template's setup cell imports it):
#: pandas, matplotlib and the package, some 1.1 CPU s.
AHEAD_IMPORTS = "import cityindicators.reports.sections"

_local = threading.local()
_all: list["ReportKernel"] = []
_lock = threading.Lock()


def _run(coro_fn, *args, **kw):
    from jupyter_core.utils import run_sync

    return run_sync(coro_fn)(*args, **kw)


#: The variable that turns off debugpy's check of frozen modules, and the warning it writes.
_DEBUGPY_QUIET = "PYDEVD_DISABLE_FILE_VALIDATION"
_environ_lock = threading.RLock()


@contextmanager
def _debugpy_quiet() -> Iterator[None]:
    """Within the block, this process's environment has :data:`_DEBUGPY_QUIET` set to 1 (unless
    the user gave it a value); after it, the environment is as it was.

    A lock keeps the change to one block at a time: another thread's block ending would otherwise
    remove the variable while this one still needs it."""
    with _environ_lock:
        given = _DEBUGPY_QUIET in os.environ
        if not given:
            os.environ[_DEBUGPY_QUIET] = "1"
        try:
            yield
        finally:
            if not given:
                os.environ.pop(_DEBUGPY_QUIET, None)

#: How a report's kernel is started instead of ``python -m ipykernel_launcher``: the launcher's
#: own lines, after making debugpy unimportable, so that ipykernel leaves its debugger out. Its
#: import (debugpy and the pydevd bundle) was some 0.2 CPU s, half of a bare kernel's start,
#: and a report's kernel is never debugged (a notebook opened in JupyterLab has its own kernel).
LAUNCH_WITHOUT_DEBUGGER = (
    "import sys\n"
    "from pathlib import Path\n"
    "sys.modules['debugpy'] = None\n"  # ipykernel.debugger: ImportError, so no debugger
    "if sys.path[0] == '' or Path(sys.path[0]) == Path.cwd():\n"
    "    del sys.path[0]\n"  # as the launcher does: the working directory is not a place to import from
    "from ipykernel import kernelapp as app\n"
    "app.launch_new_instance()\n"
)


class LocalKernelManager(_AsyncKernelManager):
    """Kernel manager of report runs: IPC transport (no TCP ports, no warning about them), and
    an IPython kernel started without its debugger (:data:`LAUNCH_WITHOUT_DEBUGGER`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        if kwargs["transport"] == "ipc" and "ip" not in kwargs:
            # jupyter_client names IPC sockets "kernel-ipc-<n>" in the working directory and picks
            # <n> by looking for free names: kernels started at once by parallel workers in the same
            # folder then bind the same sockets ("Invalid Signature"). A private folder per kernel
            # (mode 0700, so no other user can talk to it) keeps every kernel's sockets its own.
            import tempfile

            self._ipc_dir = tempfile.mkdtemp(prefix="ci-kernel-")
            kwargs["ip"] = os.path.join(self._ipc_dir, "ipc")
        super().__init__(**kwargs)

    @property
    def kernel_spec(self):
        # Looking up the kernel spec imports ipykernel.kernelspec in this process; with ipykernel 6.x
        # (the declared minimum) that imports its debugger, and debugpy then writes a "frozen modules"
        # warning to the command's stderr, before its own error line. debugpy reads the variable as it
        # is imported, so it is set for the lookup only, not for the rest of the user's process.
        with _debugpy_quiet():
            return super().kernel_spec

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        for i in range(len(cmd) - 1):  # a kernel spec of another kind is started as it says
            if cmd[i] == "-m" and cmd[i + 1] == "ipykernel_launcher":
                return cmd[:i] + ["-c", LAUNCH_WITHOUT_DEBUGGER] + cmd[i + 2:]
        return cmd

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        ipc_dir = getattr(self, "_ipc_dir", None)
        if ipc_dir and not restart:
            shutil.rmtree(ipc_dir, ignore_errors=True)


class ReportKernel:
    """A running kernel (IPC transport) with its client, for one thread. With ``wait=False``
    the kernel is started and not waited for (:meth:`wait_ready` does that); ``imports``: code
    the kernel runs as it starts (IPython's ``exec_lines``)."""

    def __init__(self, kernel_name: str | None = None, wait: bool = True, imports: str = ""):
        self.kernel_name = kernel_name or "python3"
        self.km = LocalKernelManager(kernel_name=self.kernel_name)  # IPC sockets in a private folder
        # history in memory: parallel kernels would otherwise contend for one SQLite file; the kernel's own
        # log errors only: ipykernel 6.20 (the declared minimum) warns "debugpy_stream undefined" on the
        # command's stderr at every start, the debugger being left out on purpose (LAUNCH_WITHOUT_DEBUGGER)
        arguments = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
        if imports:  # run before the kernel answers; %reset clears the names, the modules stay
            arguments.append(f"--IPKernelApp.exec_lines={imports}")
        _run(self.km.start_kernel, extra_arguments=arguments)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.ready = False
        if wait:
            self.wait_ready()
        self.reports = 0
        #: The request id of the clean-up sent by :meth:`finish` (checked by :meth:`prepare`).
        self._cleaning: str | None = None
        #: The notebook being executed on this kernel (set by the engine, cleared by :meth:`prepare`).
        self.notebook = None

    def wait_ready(self) -> None:
        """Wait until the kernel answers (at once when it has already)."""
        if not self.ready:
            _run(self.kc.wait_for_ready, timeout=START_TIMEOUT)
            self.ready = True

    def alive(self) -> bool:
        try:
            return bool(_run(self.km.is_alive))
        except Exception:  # a manager in a broken state is as good as dead
            return False

    def _cleanup_code(self) -> str:
        """Code that frees what the previous report left in the kernel and freezes the rest."""
        # the objects frozen by the previous clean-ups are walked again (and their garbage freed)
        # every FULL_COLLECTION_EVERY reports, so that what a cache dropped is not kept forever
        full = self.reports % FULL_COLLECTION_EVERY == 0
        return (
            ("__import__('gc').unfreeze()\n" if full else "")
            + "%reset -f\n"
            # nothing imported here that the kernel has not imported yet (a fresh kernel is clean)
            "import sys as _sys\n"
            "_sys.modules['matplotlib.pyplot'].close('all') if 'matplotlib.pyplot' in _sys.modules else None\n"
            # the previous report's frames and figures are freed now; hand the pages back to the
            # system (glibc keeps freed memory otherwise, and a worker's kernel grows report by report)
            "import gc as _gc\n"
            "_gc.collect()\n"
            # pyarrow's allocator keeps what the tables' reading freed (some 40 MB on the lt-osp extract)
            "_sys.modules['pyarrow'].default_memory_pool().release_unused() if 'pyarrow' in _sys.modules else None\n"
            "if _sys.platform.startswith('linux'):\n"
            "    try:\n"
            "        __import__('ctypes').CDLL('libc.so.6').malloc_trim(0)\n"
            "    except (OSError, AttributeError):\n"
            "        pass\n"
            # what is alive now is the kernel's own (modules, the caches of the store, the indicators and
            # .shared), some 300,000 objects: frozen, so that the collections of the next reports (the
            # two of %reset, this one, and the automatic ones while the cells run) walk only what those
            # reports make, about 0.6 CPU s less a report
            "_gc.freeze()\n"
            "del _sys, _gc\n"
            "get_ipython()._cityindicators_clean = True\n"  # checked (and cleared) by the next preparation
        )

    def prepare(self, folder: Path, print_charts: bool = True) -> None:
        """Clear the namespace (unless :meth:`finish` has started that already) and get ready
        for the report written into ``folder`` (with or without the charts' SVG and 300-dpi PNG)."""
        import os

        from .exports import EXPORT_ENV, PRINT_CHARTS_ENV

        # the package's settings as the runner has them now, not as they were at the kernel's start
        settings = {k: v for k, v in os.environ.items() if k.startswith("CITYINDICATORS_")}
        settings[EXPORT_ENV] = str(folder)
        settings[PRINT_CHARTS_ENV] = "1" if print_charts else "0"
        self.notebook = None  # the previous report's
        sent, self._cleaning = self._cleaning, None
        # chdir first: the previous report's folder, the kernel's working directory, may be gone.
        # The kernel runs requests in order: the clean-up sent by finish() has run before this, and
        # had it failed half-way its mark would be missing (the kernel is then replaced)
        code = (
            f"__import__('os').chdir({str(folder)!r})\n"
            + (self._cleanup_code() if not sent else "")
            + "if not getattr(get_ipython(), '_cityindicators_clean', False):\n"
            "    raise RuntimeError('the clean-up after the previous report did not finish')\n"
            "get_ipython()._cityindicators_clean = False\n"
            "import os as _os, sys as _sys\n"
            "[_os.environ.pop(k) for k in list(_os.environ) if k.startswith('CITYINDICATORS_')]\n"
            f"_os.environ.update({settings!r})\n"
            "_sys.modules['cityindicators.reports.exports'].reset() "
            "if 'cityindicators.reports.exports' in _sys.modules else None\n"
            "del _os, _sys\n"
            "get_ipython().execution_count = 0\n"
        )
        reply = _run(self.kc.execute_interactive, code, store_history=False, timeout=PREPARE_TIMEOUT,
                     output_hook=lambda msg: None)
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"kernel preparation failed: {reply['content'].get('evalue', reply['content'])}")
        self.reports += 1

    def finish(self) -> None:
        """What the kernel writes once a report's cells have all run: its notes of the shared
        results it used (:func:`cityindicators.reports.shared.write_uses`). Then the clean-up for
        the next report is sent without waiting for it: the kernel frees the report's objects
        while the runner writes the report's HTML, workbook and PDF (:meth:`prepare` checks it ran)."""
        code = ("__import__('sys').modules['cityindicators.reports.shared'].write_uses() "
                "if 'cityindicators.reports.shared' in __import__('sys').modules else None")
        reply = _run(self.kc.execute_interactive, code, store_history=False, timeout=PREPARE_TIMEOUT,
                     output_hook=lambda msg: None)
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"kernel finish failed: {reply['content'].get('evalue', reply['content'])}")
        # its reply is not waited for (execute_interactive skips replies to other requests)
        self._cleaning = self.kc.execute(self._cleanup_code(), store_history=False)

    def shutdown(self) -> None:
        try:
            self.kc.stop_channels()
            _run(self.km.shutdown_kernel, now=True)
        except Exception as exc:  # already gone
            log.debug("kernel shutdown: %s", exc)


def _keep(k: ReportKernel) -> ReportKernel:
    _local.kernel = k
    with _lock:
        _all.append(k)
    return k


def start_kernel_ahead(kernel_name: str | None = None) -> None:
    """Start this thread's kernel, importing :data:`AHEAD_IMPORTS`, and return at once (nothing
    happens when the thread has a kernel): the command line calls it first, and the runner
    before it prepares a run, so that the kernel starts and imports pandas, matplotlib and the
    report modules while they import their own modules and check the parameters;
    :func:`warm_kernel` waits for it. Without a report to run it is shut down at exit with the
    others (:func:`close_kernels`)."""
    if getattr(_local, "kernel", None) is None:
        _keep(ReportKernel(kernel_name, wait=False, imports=AHEAD_IMPORTS))


def warm_kernel(kernel_name: str | None = None) -> ReportKernel:
    """This thread's kernel, started when there is none (or when it died), ready."""
    k = getattr(_local, "kernel", None)
    if k is not None and (k.kernel_name != (kernel_name or "python3") or not k.alive()):
        discard_kernel()
        k = None
    if k is not None and not k.ready:
        try:
            k.wait_ready()
        except Exception as exc:  # a kernel started ahead that never answered: start afresh
            log.warning("kernel started ahead not usable (%s); starting a new one", exc)
            discard_kernel()
            k = None
    return k if k is not None else _keep(ReportKernel(kernel_name))


def ready_kernel(folder: Path, kernel_name: str | None = None, print_charts: bool = True) -> ReportKernel:
    """This thread's kernel, prepared for the report written into ``folder``; a kernel that
    cannot be prepared is replaced by a new one (once). The papermill engine :data:`ENGINE`
    runs the report on it."""
    _register_engine()
    k = warm_kernel(kernel_name)
    try:
        k.prepare(folder, print_charts)
    except Exception as exc:  # a broken kernel: start afresh
        log.warning("warm kernel not usable (%s); starting a new one", exc)
        discard_kernel()
        k = warm_kernel(kernel_name)
        k.prepare(folder, print_charts)
    return k


def discard_kernel() -> None:
    """Shut this thread's kernel down (after a failure that may have left it busy)."""
    k = getattr(_local, "kernel", None)
    _local.kernel = None
    if k is not None:
        k.shutdown()
        with _lock:
            if k in _all:
                _all.remove(k)


def close_kernels() -> None:
    """Shut every warm kernel of this process down (end of a batch, exit)."""
    with _lock:
        kernels = list(_all)
        _all.clear()
    for k in kernels:
        k.shutdown()
    _local.kernel = None


atexit.register(close_kernels)


_registered = False


def _register_engine() -> None:
    """Register :data:`ENGINE` with papermill (once; papermill is imported here, not when this
    module is: the command line starts its kernel before it imports papermill)."""
    global _registered
    if _registered:
        return
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class WarmKernelEngine(NBClientEngine):
        """papermill's nbclient engine on an already running :class:`ReportKernel`."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            kernel: ReportKernel = kwargs.pop("report_kernel")
            kwargs.pop("input_path", None)  # unused downstream (as in papermill's own engine)
            client = PapermillNotebookClient(
                nb_man, km=kernel.km, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logger, log_output=log_output, stdout_file=stdout_file,
                stderr_file=stderr_file, **kwargs)
            client.kc = kernel.kc  # nbclient then neither starts a kernel nor stops this one
            # papermill would write the whole notebook (charts embedded) before and after every cell,
            # so that a long run can be watched; a report takes seconds. The runner asks for no saves
            # during the run (request_save_on_cell_execute=False: the engine gets no output path) and
            # papermill writes the notebook once at the end, with its error marker after a failed
            # cell. A timeout or a dead kernel ends the run before that write: the notebook as far as
            # it ran is kept here for the runner to write into the failed report's folder.
            kernel.notebook = nb_man.nb
            try:
                return client.execute()
            finally:  # before papermill writes it: the notebook published with the report names no local path
                from .provenance import without_local_paths

                without_local_paths(nb_man.nb)

    papermill_engines.register(ENGINE, WarmKernelEngine)
    _registered = True
