"""Run one report: check its parameters, skip it when its inputs are unchanged, execute the
notebook on a warm kernel in a staging folder, export it and replace the report on disk.

A failed run never touches the previous good report: its executed notebook, with papermill's
error marker, is kept in ``reports/<template>/<territory>.failed/``.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import nbformat

from .. import __version__
from .._debris import owner_tag, remove_stale
from .._io import (atomic_write_bytes, atomic_write_json, atomic_write_text, fault_point, fsync_dir, fsync_tree,
                   os_error_reason, safe_child, sha256_bytes, sha256_file)
from ..exceptions import CityIndicatorsError, DatasetNotFoundError, ReportExecutionError
from . import exports, html_export, kernels, stopping, timings
from .html_export import export_html, extract_charts, print_copy, slug, start_pdf
from .kernels import LocalKernelManager  # noqa: F401 (named here for older callers)
from .parameters import validate_parameters
from .provenance import (data_snapshot, data_sources, fingerprint as _fingerprint, input_files, library_versions,
                         report_footer)
from .template import template_path, template_specs
from ..workspace import Workspace, as_workspace

__all__ = ["MANIFEST", "CELL_TIMEOUT", "ReportResult", "ReportPlan", "PendingReport", "report_dir", "plan_report",
           "run_report", "finish_report", "LocalKernelManager"]

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
#: Seconds a single cell may run before the report is stopped as failed.
CELL_TIMEOUT = 600


def report_dir(template: str, territory_code: str, output_dir: str | os.PathLike = "reports",
               workspace: "Workspace | str | os.PathLike | None" = None) -> Path:
    """``<output_dir>/<template>/<code>-<name>/`` for a territory (``X13-eglynas``, ``30-visaginas``),
    named by the register of ``workspace`` (a data directory or :class:`~cityindicators.workspace.Workspace`;
    default the default data directory)."""
    terr = as_workspace(workspace).register.get(territory_code)
    # absolute: a warm kernel's working directory is the previous report's folder, so a relative
    # path handed to it (staging folder, exports) would land inside that folder
    output_dir = Path(output_dir).absolute()
    # the template's name comes from the user: "...ipynb" must not make the folder "<output_dir>/.."
    folder = safe_child(output_dir, Path(template).stem, what="report template name")
    return safe_child(folder, f"{terr.code}-{slug(terr.base_name_en)}", what="territory folder")



@dataclass
class ReportResult:
    """Outcome of one report run (picklable, returned from worker processes)."""

    template: str
    territory_code: str
    territory_name: str
    status: str  # "ok", "skipped" or "failed"
    output_dir: str
    error: str = ""
    failed_notebook: str = ""
    seconds: float = 0.0
    #: A report run with ``print_later``: written in its staging folder up to its PDF, which
    #: :func:`finish_report` prints before it puts the report in place (``None`` once finished).
    pending: "PendingReport | None" = None

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "skipped")


@dataclass
class PendingReport:
    """What :func:`finish_report` needs to print a report's PDF and put the report in place:
    its staging and final folders, the manifest so far, the files written (with their hashes)
    and the time spent until then (picklable: a batch worker hands it to the batch process)."""

    staging: str
    final: str
    failed_dir: str
    html: str
    manifest: dict[str, Any]
    files: list[str]
    hashes: dict[str, str]
    timings: dict[str, Any]
    seconds: float
    #: The page printed to PDF (:func:`~.html_export.print_copy`, removed once printed); empty: ``html``.
    print_html: str = ""


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _recover(final: Path) -> None:
    """Clear what killed runs left beside ``final``: put back a report left aside by a replace
    interrupted between its two renames, remove the aside copy of a replace that was done,
    and staging folders whose run is provably gone (:mod:`cityindicators._debris`)."""
    olds = sorted(final.parent.glob(f".{final.name}.old-*"))
    if not final.exists() and olds:
        os.replace(olds[-1], final)
        olds = olds[:-1]
        log.warning("restored %s from an interrupted replace", final)
    for old in olds:  # the replace that made them finished; only its clean-up was cut short
        shutil.rmtree(old, ignore_errors=True)
    remove_stale(final.parent, ".staging-*")


def _replace_dir(staging: Path, final: Path) -> None:
    """Move ``staging`` to ``final``; the old ``final`` is renamed aside first, removed last.
    ``staging``'s files must be on disk already (:func:`~cityindicators._io.fsync_tree`); the
    renames are flushed here."""
    old = None
    with stopping.critical_section():  # a signal waits until the folder is the old or the new
        if final.exists():
            old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(final, old)
            fault_point("report.replacing")
        os.replace(staging, final)
    fsync_dir(final.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class ReportPlan:
    """What a report run is: its template, checked parameters, folder and fingerprint, known
    before anything runs (so a batch can tell in its own process which reports are unchanged)."""

    path: Path
    name: str
    params: dict[str, Any]
    workspace: Workspace
    code: str
    territory: Any
    lang: str
    final: Path
    snapshot: dict[str, Any]
    notebook_sha256: str
    fingerprint: str

    def up_to_date(self, previous: Mapping[str, Any] | None = None) -> bool:
        """The report on disk was made from the same inputs and has all its files (``previous``:
        its manifest, when the caller has read it already)."""
        previous = _read_manifest(self.final) if previous is None else previous
        return (previous.get("status") == "ok" and previous.get("fingerprint") == self.fingerprint
                and all((self.final / f).exists() for f in previous.get("files", [])))

    def result(self, status: str, **kw: Any) -> ReportResult:
        return ReportResult(self.name, self.code, self.territory.name(self.lang), status, str(self.final), **kw)


def _population_years(plan: ReportPlan) -> tuple[int, int] | None:
    """First and last year of the report's territory in the population table (``None``: not built)."""
    try:
        return plan.workspace.population_year_spans().get(plan.code)
    except DatasetNotFoundError:
        return None


def plan_report(
    template: str | os.PathLike,
    territory: str,
    parameters: Mapping[str, Any] | None = None,
    language: str | None = None,
    output_dir: str | os.PathLike = "reports",
    data_dir: "str | os.PathLike | Workspace | None" = None,
    notebooks_dir: str | os.PathLike | None = None,
    snapshot: Mapping[str, Mapping[str, Any]] | None = None,
    print_charts: bool = True,
) -> ReportPlan:
    """Check the parameters of one report and work out its folder and fingerprint (nothing is
    run or written). Arguments as :func:`run_report`.

    Raises
    ------
    ReportParameterError
        Invalid parameters.
    """
    path = template_path(template, notebooks_dir)
    name = path.stem
    specs = template_specs(path)
    given: dict[str, Any] = dict(parameters or {})
    given["territory"] = territory
    if language is not None and "language" in specs:
        given["language"] = language
    # The kernel runs in a staging folder: hand it an absolute data directory.
    ws = as_workspace(data_dir)
    if "data_dir" in specs and not given.get("data_dir"):
        given["data_dir"] = str(ws.root)
    params = validate_parameters(path, given)
    if params.get("data_dir"):  # the template's own data_dir parameter wins
        ws = as_workspace(params["data_dir"])
    code = params["territory"]
    terr = ws.register.get(code)
    lang = params.get("language", "en")
    final = report_dir(name, code, output_dir, workspace=ws)
    snap = dict(snapshot) if snapshot is not None else data_snapshot(ws.root)
    nb_sha = sha256_file(path)
    fingerprint = _fingerprint(nb_sha, params, snap)
    if not print_charts:  # other files: a report with print charts is not the same report
        fingerprint = sha256_bytes(f"{fingerprint}:no-print-charts".encode())
    return ReportPlan(path, name, params, ws, code, terr, lang, final, snap, nb_sha, fingerprint)


def run_report(
    template: str | os.PathLike,
    territory: str,
    parameters: Mapping[str, Any] | None = None,
    language: str | None = None,
    output_dir: str | os.PathLike = "reports",
    data_dir: "str | os.PathLike | Workspace | None" = None,
    force: bool = False,
    notebooks_dir: str | os.PathLike | None = None,
    kernel_name: str | None = None,
    snapshot: Mapping[str, Mapping[str, Any]] | None = None,
    cell_timeout: int = CELL_TIMEOUT,
    print_charts: bool = True,
    print_later: bool = False,
) -> ReportResult:
    """Run one report and write it under ``<output_dir>/<template>/<territory>/``.

    Parameters
    ----------
    template
        Template name (``situation_analysis``, ``scenarios``) or path to a notebook.
    territory
        Municipality name or code in any form the register resolves.
    parameters
        Further template parameters (checked against its ``parameters`` cell).
    language
        ``lt`` or ``en``; passed as the ``language`` parameter when the template has one.
    data_dir
        Data directory or :class:`~cityindicators.workspace.Workspace`; passed as ``data_dir``
        (absolute) when the template has one.
    force
        Run even when the inputs are unchanged since the report on disk.
    snapshot
        Pre-computed :func:`data_snapshot` (a batch computes it once).
    print_charts
        Also write every chart as SVG and 300-dpi PNG (``False``: the screen PNG only, which
        saves about two thirds of the charts' time in a large batch).
    print_later
        Stop before the PDF: the report stays in its staging folder and the result's
        ``pending`` is handed to :func:`finish_report` (a batch worker runs its next report
        while the batch process prints this one with its one browser).

    Returns
    -------
    ReportResult
        ``status`` ``ok``, ``skipped`` (inputs unchanged) or ``failed`` (``error`` and
        ``failed_notebook`` say what and where).

    Raises
    ------
    ReportParameterError
        Invalid parameters (nothing is run).
    """
    t_start = time.perf_counter()
    started_at = _now()
    plan = plan_report(template, territory, parameters, language, output_dir, data_dir, notebooks_dir, snapshot,
                       print_charts)
    path, name, params, code, terr, lang = plan.path, plan.name, plan.params, plan.code, plan.territory, plan.lang
    final, snap, nb_sha, fingerprint = plan.final, plan.snapshot, plan.notebook_sha256, plan.fingerprint
    t_validated = time.perf_counter()

    final.parent.mkdir(parents=True, exist_ok=True)
    _recover(final)
    result = plan.result("ok")
    if not force and plan.up_to_date():
        log.info("%s %s: inputs unchanged, report kept (%s)", name, code, final)
        result.status = "skipped"
        result.seconds = time.perf_counter() - t_start
        return result

    # a thread's first report: its kernel starts (and imports the report modules) while the
    # runner imports papermill and makes the run's folder and manifest (nothing when it has one)
    kernels.start_kernel_ahead(kernel_name)
    # what the runner needs once the cells have run, made ready while the kernel runs them (a
    # process's first report otherwise waited for it after the cells): the HTML exporter, and the
    # browser, unless the PDF is left to the batch process (which starts its own)
    html_export.start_exporter(lang)
    if not print_later:
        from .pdf import start_browser

        start_browser()
    import papermill as pm

    staging = final.parent / f".staging-{final.name}.{owner_tag()}"
    staging.mkdir(parents=True)
    stopping.register_staging(staging)
    out_nb = staging / f"{name}.ipynb"
    failed_dir = final.parent / f"{final.name}.failed"
    manifest: dict[str, Any] = {
        "template": name,
        "territory": {"code": code, "name_lt": terr.name_lt, "name_en": terr.name_en, "synthetic": terr.synthetic},
        "language": lang,
        "parameters": params,
        "package_version": __version__,
        "python": sys.version.split()[0],
        "versions": library_versions(),
        "notebook": {"path": str(path), "sha256": nb_sha},
        "data": snap,
        "input_files": input_files(params),
        "fingerprint": fingerprint,
        "started_at": started_at,
        "print_charts": print_charts,
    }
    error = ""
    printing: Callable[[], list[str]] | None = None  # the PDF being printed (html_export.start_pdf)
    t_exec0 = time.perf_counter()
    watch = timings.Stopwatch()
    kernel = None
    try:
        kernel = kernels.ready_kernel(staging, kernel_name, print_charts)
        watch.lap("kernel_s")
        # written once, at the end (no saves between cells: kernels.WarmKernelEngine); the executed
        # notebook is also returned, so the exports below need not read the file back
        nb = pm.execute_notebook(
            str(path), str(out_nb), parameters=params, kernel_name=kernel.kernel_name, progress_bar=False,
            log_output=False, execution_timeout=cell_timeout, report_mode=False, engine_name=kernels.ENGINE,
            request_save_on_cell_execute=False, report_kernel=kernel,
        )
        kernel.finish()
    except Exception as exc:  # papermill raises its own errors and kernel errors of many types
        error = _short_error(exc)
        if not out_nb.exists() and kernel is not None and kernel.notebook is not None:
            # a timeout or a dead kernel: papermill wrote nothing; what ran is kept for the analyst
            nbformat.write(kernel.notebook, out_nb)
        if not getattr(exc, "ename", None):  # not an error raised in a cell: the kernel may be busy or dead
            kernels.discard_kernel()
    t_exec1 = time.perf_counter()
    watch.lap("execute_s")
    fault_point("report.executed")  # crash-safety tests kill the run here, and at the two below
    if error:
        manifest.update(status="failed", error=error, finished_at=_now(),
                        timings={"validate_s": round(t_validated - t_start, 3), "execute_s": round(t_exec1 - t_exec0, 3)})
        try:
            _keep_failed(failed_dir, out_nb, manifest)
            result.failed_notebook = str(failed_dir / out_nb.name)
            log.error("%s %s failed: %s (notebook kept in %s)", name, code, error, failed_dir)
        except (OSError, CityIndicatorsError) as exc:
            # a full disk fails the run and then the keeping of its notebook: the run's own error is the
            # one to tell, with this one after it, and no half-kept folder is left
            shutil.rmtree(failed_dir, ignore_errors=True)
            error += f"; the failed notebook could not be kept: {_short_error(exc)}"
            log.error("%s %s failed: %s", name, code, error)
        shutil.rmtree(staging, ignore_errors=True)
        result.status, result.error = "failed", error
        result.seconds = time.perf_counter() - t_start
        return result
    try:
        from .shared import read_uses

        manifest["shared"] = read_uses(staging)  # what the kernel computed, read or kept of the batch's shared inputs
        title_key = f"title_{name}"
        from ..i18n import TEXTS, t

        title = t(title_key, lang, name=terr.name(lang)) if title_key in TEXTS else f"{name}: {terr.name(lang)}"
        # what a reader needs: the day, the data's sources and years (the fingerprint is in the manifest)
        footer = report_footer(lang, started_at, data_sources(snap, terr.synthetic), _population_years(plan))
        html = export_html(nb, title=title, lang=lang, footer=footer)
        # the staging folder's files are flushed to disk all at once before it is published
        # (finish_report), not one by one as they are written
        atomic_write_text(staging / f"{name}.html", html, durable=False)
        watch.lap("html_s")
        charts = extract_charts(nb)
        (staging / "charts").mkdir(exist_ok=True)
        for fname, png in charts:
            atomic_write_bytes(staging / "charts" / fname, png, durable=False)
        extra = sorted(f"charts/{p.name}" for p in (staging / "charts").iterdir()
                       if p.suffix == ".svg" or p.stem.endswith(f"_{exports.HIRES_DPI}dpi"))
        watch.lap("chart_files_s")
        # the page for the PDF printer, its charts read from charts/ (a scratch file: removed once printed)
        print_html = f".{name}.print.html"
        (staging / print_html).write_text(print_copy(html, nb), encoding="utf-8")
        watch.lap("print_page_s")
        # a report finished here is printed while the workbook is written (Chromium is a process of
        # its own, so on two cores the two overlap); a batch worker leaves the PDF to the batch process
        printing = None if print_later else start_pdf(staging / f"{name}.html", manifest, staging / print_html)
        extra += exports.write_tables(staging, name)
        watch.lap("tables_s")
        files = [f"{name}.ipynb", f"{name}.html"] + [f"charts/{f}" for f, _ in charts] + extra
        hashes = {f: sha256_file(staging / f) for f in files}
        watch.lap("hashes_s")
    except Exception as exc:
        if printing is not None:
            printing()  # the printer's file is in the staging folder: done with it before it goes
        shutil.rmtree(staging, ignore_errors=True)
        raise ReportExecutionError(f"{name} {code}: export failed: {exc}") from exc
    pending = PendingReport(
        str(staging), str(final), str(failed_dir), f"{name}.html", manifest, files, hashes,
        # where the time went (benchmarks/bench_reports.py prints it): the runner's steps, each
        # section's cell, and the part of the cells spent drawing and saving charts
        {"validate_s": round(t_validated - t_start, 3), "execute_s": round(t_exec1 - t_exec0, 3),
         "export_s": round(time.perf_counter() - t_exec1, 3), "steps": watch.laps, "steps_cpu": watch.cpu_laps,
         "cells": timings.cell_seconds(nb), "charts_in_cells_s": timings.chart_seconds(nb)},
        time.perf_counter() - t_start, print_html)
    result.pending = pending
    if print_later:
        stopping.release_staging(staging)  # the process that prints it owns it from now on
        return result
    return finish_report(result, printing)


def finish_report(result: ReportResult, printing: Callable[[], list[str]] | None = None) -> ReportResult:
    """Print the PDF of a report run with ``print_later`` (:func:`run_report`), hash it, write
    the manifest and put the report in place of the previous one; returns the result, finished.
    ``printing``: the wait for a PDF already being printed (:func:`~.html_export.start_pdf`);
    the step ``pdf_s`` is then the time spent waiting for it.

    Raises
    ------
    ReportExecutionError
        The report could not be put in place (its staging folder is then removed).
    """
    p = result.pending
    if p is None:
        return result
    t0 = time.perf_counter()
    staging, final, manifest = Path(p.staging), Path(p.final), p.manifest
    try:
        printed_from = staging / p.print_html if p.print_html else None
        pdf_files = (printing or start_pdf(staging / p.html, manifest, printed_from))()
        if printed_from is not None:
            printed_from.unlink(missing_ok=True)  # not a file of the report
        t_pdf = time.perf_counter()
        files = p.files + pdf_files
        hashes = dict(p.hashes, **{f: sha256_file(staging / f) for f in pdf_files})
        t_end = time.perf_counter()
        steps = dict(p.timings["steps"])
        steps["pdf_s"] = round(t_pdf - t0, 3)
        steps["hashes_s"] = round(steps.get("hashes_s", 0.0) + t_end - t_pdf, 3)
        manifest.update(status="ok", finished_at=_now(), files=files, file_hashes=hashes, timings={
            "validate_s": p.timings["validate_s"], "execute_s": p.timings["execute_s"],
            "export_s": round(p.timings["export_s"] + t_end - t0, 3), "total_s": round(p.seconds + t_end - t0, 3),
            "steps": steps, "steps_cpu": p.timings["steps_cpu"], "cells": p.timings["cells"],
            "charts_in_cells_s": p.timings["charts_in_cells_s"]})
        atomic_write_json(staging / MANIFEST, manifest, durable=False)
        # every file of the report (the kernel's, the browser's and the runner's, all written
        # without flushing) on disk before the rename publishes them: one pass, the flushes at once
        fsync_tree(staging)
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReportExecutionError(f"{result.template} {result.territory_code}: export failed: {exc}") from exc
    fault_point("report.exported")
    _replace_dir(staging, final)
    failed_dir = Path(p.failed_dir)
    if failed_dir.exists():
        shutil.rmtree(failed_dir, ignore_errors=True)
    result.pending = None
    result.seconds = p.seconds + time.perf_counter() - t0
    log.info("%s %s: report written to %s in %.1f s", result.template, result.territory_code, final, result.seconds)
    return result


def _keep_failed(failed_dir: Path, out_nb: Path, manifest: Mapping[str, Any]) -> None:
    """Keep a failed run's notebook (if it was written) and its manifest in ``failed_dir``, in place
    of the previous failed run's."""
    if failed_dir.exists():
        shutil.rmtree(failed_dir)
    failed_dir.mkdir(parents=True)
    if out_nb.exists():
        shutil.move(str(out_nb), failed_dir / out_nb.name)
    atomic_write_json(failed_dir / MANIFEST, manifest)


def _short_error(exc: BaseException) -> str:
    """One line saying why a run failed: the notebook's error with its cell, the file and plain reason
    of an :class:`OSError` ("x.ipynb: no space left on the device"), else the error with its type."""
    ename = getattr(exc, "ename", None)
    if ename:  # papermill.PapermillExecutionError: the error raised in the notebook
        cell = getattr(exc, "exec_count", None)
        return " ".join(f"{ename}: {getattr(exc, 'evalue', '')} (cell {cell})".split())
    if isinstance(exc, OSError) and exc.errno is not None:  # not a cell's timeout (a TimeoutError without one)
        return f"{exc.filename}: {os_error_reason(exc)}" if exc.filename else os_error_reason(exc)
    if isinstance(exc, CityIndicatorsError):  # its message names the file and the reason already
        return " ".join(str(exc).split())
    return " ".join(f"{type(exc).__name__}: {exc}".split())

