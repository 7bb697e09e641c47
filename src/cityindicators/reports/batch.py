"""Run many reports: worker processes (``concurrent.futures``) or a Dask distributed cluster,
a progress bar, carrying on past failures; a batch stops cleanly on SIGTERM/SIGINT
(:mod:`.stopping`) and writes ``batch-summary.json``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from .._debris import owner_tag
from .._io import atomic_write_json, safe_child, storage_error
from ..exceptions import (CityIndicatorsError, ReportExecutionError, ReportParameterError, StorageError,
                          UnknownTerritoryError)
from . import stopping
from .parameters import validate_parameters
from .provenance import data_snapshot
from .run import (ReportResult, _now, _read_manifest, _recover, _short_error, finish_report, plan_report,
                  report_dir, run_report)
from .template import TEMPLATES, template_path, template_specs
from ..workspace import Workspace, as_workspace

__all__ = ["BatchSummary", "batch_territories", "run_batch"]

log = logging.getLogger(__name__)


@dataclass
class BatchSummary:
    """Results of a batch, in the order of the jobs."""

    results: list[ReportResult] = field(default_factory=list)
    seconds: float = 0.0
    stopped_by: str = ""  # the signal that stopped the batch ("SIGTERM"), empty if it ran to the end
    #: Why ``batch-summary.json`` could not be written (a full disk), empty when it was: the results
    #: are then told by :meth:`text` only, so they must not be lost with the file.
    summary_error: str = ""

    @property
    def failed(self) -> list[ReportResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.stopped_by and not self.summary_error

    @property
    def exit_code(self) -> int:
        """0 when every report is written or unchanged; 1 when some failed or ``batch-summary.json``
        could not be written; 128 + the signal's number when a signal stopped the batch (130 for
        SIGINT, 143 for SIGTERM)."""
        if self.stopped_by:
            return 128 + int(getattr(signal, self.stopped_by))
        return 0 if self.ok else 1

    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "skipped": 0, "failed": 0, "stopped": 0}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def text(self) -> str:
        """A plain summary naming every failed report and where its notebook is."""
        c = self.counts()
        lines = [f"{len(self.results)} report(s) in {self.seconds:.1f} s: {c['ok']} written, {c['skipped']} unchanged "
                 f"(skipped), {c['failed']} failed"]
        if self.stopped_by:
            lines[0] = (f"batch stopped by {self.stopped_by}: " + lines[0] + f", {c['stopped']} not finished "
                        "(their previous reports are kept)")
        for r in self.failed:
            lines.append(f"  FAILED {r.template} {r.territory_code} {r.territory_name}: {r.error}"
                         + (f"\n         notebook: {r.failed_notebook}" if r.failed_notebook else ""))
        if self.summary_error:
            lines.append(f"  the batch summary file was not written: {self.summary_error}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "stopped_by": self.stopped_by or None, "counts": self.counts(),
                "results": [asdict(r) for r in self.results]}


def batch_territories(spec: str | Sequence[str], data_dir: "str | os.PathLike | Workspace | None" = None) -> list[str]:
    """Territory codes of a batch: ``all`` = every municipality present in the processed
    population table (the 60 real ones, or the synthetic demo set for demo data)."""
    ws = as_workspace(data_dir)
    reg = ws.register
    if isinstance(spec, str) and spec != "all":
        spec = [spec]
    if spec != "all":
        try:
            return [reg.resolve(s).code for s in spec]  # type: ignore[union-attr]
        except UnknownTerritoryError as exc:
            raise ReportParameterError(f"--territory: {exc}") from exc
    table = ws.paths.processed_table("population")
    if not table.exists():
        raise ReportParameterError(f"--territory all: no population table at {table}; run 'cityindicators build'")
    import pyarrow.parquet as pq

    present = set(pq.read_table(table, columns=["territory_code"]).column(0).to_pylist())
    codes = [t.code for t in reg if t.kind == "municipality" and t.code in present]
    if not codes:
        raise ReportParameterError(f"--territory all: no municipality in {table}")
    return codes


@dataclass(frozen=True)
class _Job:
    template: str
    territory: str
    parameters: dict
    language: str | None
    output_dir: str
    data_dir: str | None
    force: bool
    notebooks_dir: str | None
    snapshot: dict
    print_charts: bool = True
    print_later: bool = False  # leave the PDF (and putting the report in place) to the batch process


def _run_job(job: _Job) -> ReportResult:
    """Run one batch job; never raises (a worker's error becomes a failed result)."""
    logging.getLogger("papermill").setLevel(logging.WARNING)
    try:
        return run_report(job.template, job.territory, job.parameters, job.language, job.output_dir, job.data_dir,
                          job.force, job.notebooks_dir, snapshot=job.snapshot, print_charts=job.print_charts,
                          print_later=job.print_later)
    except Exception as exc:
        return _failed_job(job, exc)


def _failed_job(job: _Job, exc: BaseException) -> ReportResult:
    """The result of a job whose run raised ``exc``."""
    name = Path(job.template).stem
    try:
        tname = as_workspace(job.data_dir).register.get(job.territory).name(job.language or "lt")
    except CityIndicatorsError:
        tname = job.territory
    return ReportResult(name, job.territory, tname, "failed", "", error=_short_error(exc))


def _finish_here(job: _Job, result: ReportResult) -> ReportResult:
    """Finish a worker's report in this process (its PDF, with this process's one browser, and
    putting it in place), so the worker runs its next report meanwhile; never raises."""
    if result.pending is None:
        return result
    # the staging folder is this process's now: renamed to its owner tag, so that no other run
    # takes it for the debris of a finished worker, and removed here if the batch is stopped
    staging = Path(result.pending.staging)
    mine = staging.with_name(f"{staging.name.rsplit('.', 3)[0]}.{owner_tag()}")
    try:
        os.replace(staging, mine)
        stopping.register_staging(mine)
        result.pending.staging = str(mine)
        return finish_report(result)
    except Exception as exc:
        shutil.rmtree(mine, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        return _failed_job(job, exc)


def run_batch(
    territories: str | Sequence[str],
    templates: Sequence[str] = TEMPLATES,
    language: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    output_dir: str | os.PathLike = "reports",
    data_dir: "str | os.PathLike | Workspace | None" = None,
    force: bool = False,
    notebooks_dir: str | os.PathLike | None = None,
    progress: bool = True,
    write_summary: bool = True,
    print_charts: bool = True,
) -> BatchSummary:
    """Run every template for every territory, carrying on past failures.

    Parameters
    ----------
    territories
        ``"all"`` (see :func:`batch_territories`), one name or a list of names/codes.
    templates
        Template names or notebook paths.
    parameters
        Extra parameters; each goes to the templates that declare it (a name no template
        declares is an error).
    jobs
        Worker processes on this machine (1 = run here, one after the other).
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:port``); the jobs then run on
        its workers and ``jobs`` is ignored.
    progress
        Show a tqdm progress bar on stderr.
    write_summary
        Write ``<output_dir>/batch-summary.json``.
    print_charts
        Also write every chart as SVG and 300-dpi PNG (``False``: the screen PNG only).

    Returns
    -------
    BatchSummary

    Raises
    ------
    ReportParameterError
        Invalid parameters for some template (checked for every template before any run).
    """
    t0 = time.perf_counter()
    if jobs < 1:
        raise ReportParameterError(f"--jobs must be at least 1, got {jobs}")
    most = max(2, os.cpu_count() or 1)
    if jobs > most and not scheduler:
        # each worker holds a kernel and its tables (a few hundred MB): --jobs 1000 would start a
        # worker per report, run out of memory and gain nothing on this machine's processors
        log.warning("--jobs %d is more than the %d processors of this machine: running %d worker processes",
                    jobs, most, most)
        jobs = most
    ws = as_workspace(data_dir)
    codes = batch_territories(territories, ws)
    params = dict(parameters or {})
    data_abs = str(ws.root)
    # Check the parameters of every template once, before starting anything.
    per_template: dict[str, dict] = {}
    declared: set[str] = set()
    for tpl in templates:
        path = template_path(tpl, notebooks_dir)
        specs = template_specs(path)
        declared |= set(specs)
        mine = {k: v for k, v in params.items() if k in specs}
        probe = dict(mine, territory=codes[0])
        if language is not None and "language" in specs:
            probe["language"] = language
        if "data_dir" in specs and not mine.get("data_dir"):
            probe["data_dir"] = data_abs
        validate_parameters(path, probe)
        safe_child(output_dir, path.stem, what="report template name")
        per_template[str(path)] = mine
    stray = sorted(set(params) - declared)
    if stray:
        raise ReportParameterError(f"parameter(s) {', '.join(stray)} are declared by none of the templates")
    snap = data_snapshot(data_abs)
    # worker processes here leave each report's PDF to this process: one browser for the batch,
    # printing while the workers run their next reports (Dask workers may be other machines)
    print_later = jobs > 1 and not scheduler
    job_list = [
        _Job(tpl, code, per_template[tpl], language, str(Path(output_dir).absolute()), data_abs, force,
             str(notebooks_dir) if notebooks_dir else None, snap, print_charts, print_later)
        for code in codes for tpl in per_template
    ]
    from tqdm.auto import tqdm

    results: dict[int, ReportResult] = {}
    stopped_by = ""
    bar = tqdm(total=len(job_list), desc="reports", unit="report", disable=not progress, file=sys.stderr)
    with stopping.stop_on_signals():
        try:
            # unchanged reports are told here: no worker (nor its interpreter and kernel) is started for them
            todo, seconds = (_unchanged_jobs(job_list, results) if not force
                             else (dict(enumerate(job_list)), None))
            bar.update(len(results))
            todo = _other_templates_meanwhile(_longest_first(todo, seconds))
            if scheduler and todo:
                _run_dask(todo, scheduler, bar, results)
            elif jobs == 1 or len(todo) <= 1:
                for i, job in todo.items():
                    bar.set_postfix_str(f"{Path(job.template).stem} {job.territory}")
                    results[i] = _run_job(job)
                    bar.update(1)
            else:
                _run_pool(todo, jobs, bar, results)
        except stopping.BatchStopped as stop:
            stopped_by = stop.name
            log.warning("%s: stopping the batch (workers, kernels, unfinished reports)", stop.name)
            stopping.quiet()
            stopping.end_descendants()
            stopping.remove_staging()
        finally:
            stopping.quiet()
            bar.close()
        not_run = f"not finished: the batch was stopped by {stopped_by}; the previous report is kept"
        summary = BatchSummary(
            [results[i] if i in results else _unfinished_job(job, not_run) for i, job in enumerate(job_list)],
            time.perf_counter() - t0, stopped_by=stopped_by,
        )
        if write_summary:
            _write_summary(summary, Path(output_dir))
    log.info(summary.text())
    return summary


def _write_summary(summary: BatchSummary, output_dir: Path) -> None:
    """Write ``<output_dir>/batch-summary.json``; a failure (a full disk) is kept in
    ``summary.summary_error`` instead of raised, so that the caller still tells which report was
    written and which failed, and why."""
    try:
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error(exc, output_dir, "create") from None
        atomic_write_json(output_dir / "batch-summary.json", {"finished_at": _now(), **summary.to_dict()})
    except StorageError as exc:
        log.warning("%s", exc)
        summary.summary_error = str(exc)


def _unchanged_jobs(job_list: list[_Job], results: dict[int, ReportResult]) -> tuple[dict[int, _Job], dict[int, float | None]]:
    """Put the result ``skipped`` of every job whose report on disk has the same fingerprint
    into ``results``; return the others by their index (those to run) and what each of those
    took when it last ran (``total_s`` of the manifest on disk, read once here; ``None`` if
    unknown)."""
    todo: dict[int, _Job] = {}
    seconds: dict[int, float | None] = {}
    for i, job in enumerate(job_list):
        previous: dict = {}
        try:
            plan = plan_report(job.template, job.territory, job.parameters, job.language, job.output_dir, job.data_dir,
                               job.notebooks_dir, snapshot=job.snapshot, print_charts=job.print_charts)
            if plan.final.parent.is_dir():
                _recover(plan.final)  # as a run does first: what killed runs left (a report left aside put back)
            previous = _read_manifest(plan.final)
            unchanged = plan.up_to_date(previous)
        except CityIndicatorsError:  # the run itself reports the error as a failed report
            unchanged = False
        if unchanged:
            log.info("%s %s: inputs unchanged, report kept (%s)", plan.name, plan.code, plan.final)
            results[i] = plan.result("skipped")
        else:
            todo[i] = job
            seconds[i] = _total_seconds(previous)
    return todo, seconds


def _total_seconds(manifest: Mapping[str, Any]) -> float | None:
    """What the run that wrote ``manifest`` took (``None`` when it does not say)."""
    try:
        total = manifest.get("timings", {}).get("total_s")
        return float(total) if total is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def _longest_first(todo: dict[int, _Job], seconds: Mapping[int, float | None] | None = None) -> dict[int, _Job]:
    """The jobs (by their index) in the order to start them: the longest first, so that the
    batch does not end with one worker on a long report while the other has nothing left.

    A report's length is what its previous run took (``seconds``, as :func:`_unchanged_jobs`
    read it; without it, ``total_s`` in the manifest of the report on disk), else the mean of
    the known runs of its template; a template with no known run counts as its number of code
    cells (the scenarios template has more sections than the situation analysis, and takes
    longer), after every known length. Ties keep the batch's order.
    """
    if seconds is None:
        seconds = {}
        for i, job in todo.items():
            try:
                folder = report_dir(Path(job.template).stem, job.territory, job.output_dir, workspace=job.data_dir)
                seconds[i] = _total_seconds(_read_manifest(folder))
            except CityIndicatorsError:  # the run itself reports what is wrong
                seconds[i] = None
    by_template: dict[str, list[float]] = {}
    for i, s in seconds.items():
        if s is not None:
            by_template.setdefault(todo[i].template, []).append(s)
    cells = {tpl: _code_cells(tpl) for tpl in {job.template for job in todo.values()}}

    def length(i: int) -> tuple[int, float]:
        known = seconds[i] if seconds[i] is not None else (
            sum(by_template[todo[i].template]) / len(by_template[todo[i].template])
            if todo[i].template in by_template else None)
        return (1, known) if known is not None else (0, cells[todo[i].template])

    return {i: todo[i] for i in sorted(todo, key=length, reverse=True)}


def _other_templates_meanwhile(order: dict[int, _Job]) -> dict[int, _Job]:
    """``order`` (the jobs by their index, in the order to start them) with the other jobs of the
    first job's template moved after all the jobs of the other templates (each part in its order).

    The first report of a template computes what all its reports share, once for the batch and
    under a lock on disk (:mod:`.shared`; the scenarios report's back-test errors of every
    municipality: some 20 CPU s on the real extract). A second report of that template started
    meanwhile waits for the lock, its worker idle; the other templates' reports need none of it,
    so the other workers run those meanwhile. A batch of one template keeps its order.
    """
    jobs = list(order.items())
    if not jobs:
        return order
    first = jobs[0][1].template
    later = [(i, job) for i, job in jobs[1:] if job.template == first]
    others = [(i, job) for i, job in jobs[1:] if job.template != first]
    return dict(jobs[:1] + others + later)


def _code_cells(template: str) -> int:
    """Number of code cells of a template notebook (0 when it cannot be read)."""
    try:
        cells = json.loads(Path(template).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return 0
    return sum(1 for c in cells if c.get("cell_type") == "code")


def _run_pool(todo: dict[int, _Job], jobs: int, bar, results: dict[int, ReportResult]) -> None:
    """Run the jobs (by their index) in ``jobs`` worker processes, filling ``results`` as they finish.

    On :class:`~.stopping.BatchStopped` the jobs not started are cancelled and the results of
    those finished are kept before the exception goes on.
    """
    import multiprocessing as mp

    # spawn: a clean interpreter per worker (no inherited threads or open kernels).
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn"),
                               initializer=stopping.init_worker)
    futures = {}
    try:
        futures = {pool.submit(_run_job, job): i for i, job in todo.items()}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # the worker process itself died
                res = _lost_job(todo[i], exc)
            results[i] = _finish_here(todo[i], res)
            bar.update(1)
    except stopping.BatchStopped:
        pool.shutdown(wait=False, cancel_futures=True)
        for fut, i in futures.items():
            if i not in results and fut.done() and not fut.cancelled() and fut.exception() is None:
                res = fut.result()
                if res.pending is None:
                    results[i] = res
                else:  # run but not yet printed and put in place: not finished
                    shutil.rmtree(res.pending.staging, ignore_errors=True)
        raise
    finally:
        from .pdf import close_browsers

        close_browsers()  # the batch's browser goes with its reports
    pool.shutdown(wait=True)


def _unfinished_job(job: _Job, why: str) -> ReportResult:
    """The result of a job that a stopped batch did not finish."""
    return ReportResult(Path(job.template).stem, job.territory, job.territory, "stopped", "", error=why)


def _lost_job(job: _Job, exc: BaseException) -> ReportResult:
    """The result of a job whose worker died before it could report."""
    return ReportResult(Path(job.template).stem, job.territory, job.territory, "failed", "", error=_short_error(exc))


def _run_dask(todo: dict[int, _Job], scheduler: str, bar, results: dict[int, ReportResult]) -> None:
    """Send the jobs to a Dask distributed scheduler and collect the results as they finish
    into ``results`` (a stopped batch cancels the jobs not finished)."""
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise ReportExecutionError("--scheduler needs the 'distributed' package") from exc
    from .._redact import MASK, redact

    def shown(text: object) -> str:  # distributed quotes the address without its scheme: its user info too
        userinfo = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/@]+)@", scheduler)
        text = str(text).replace(userinfo.group(1), MASK) if userinfo else str(text)
        return redact(text)

    try:
        client = Client(scheduler, timeout="20s")
    except ValueError as exc:  # "missing port number in address 'x'", "invalid address ..."
        raise ReportParameterError(f"--scheduler {shown(scheduler)}: not a Dask scheduler address ({shown(exc)}); "
                                   "give one such as tcp://127.0.0.1:8786") from None
    except (OSError, TimeoutError) as exc:
        raise ReportExecutionError(f"cannot reach the Dask scheduler at {shown(scheduler)}: {shown(exc)}") from None
    futures = []
    try:
        index = {}
        for i, job in todo.items():
            fut = client.submit(_run_job, job, key=f"report-{i}-{uuid.uuid4().hex[:6]}", pure=False)
            futures.append(fut)
            index[fut.key] = i
        for fut in dask_completed(futures):
            i = index[fut.key]
            try:
                results[i] = fut.result()
            except Exception as exc:  # worker lost
                results[i] = _lost_job(todo[i], exc)
            bar.update(1)
    except stopping.BatchStopped:
        client.cancel([f for f in futures if not f.done()])
        raise
    finally:
        client.close()
