"""Run report notebooks: the names of the report pipeline in one place, for callers and tests.

The pipeline is split by job (read the module of the step you change):

* :mod:`.template` - where a template is found, its ``parameters`` cell parsed once per version;
* :mod:`.parameters` - conversion and checks of parameter values (:data:`VALIDATORS`);
* :mod:`.provenance` - the data snapshot, library versions and fingerprint of a report;
* :mod:`.html_export` - the HTML page, PNG charts and PDF of an executed notebook;
* :mod:`.run` - one report (:func:`run_report`; :func:`finish_report` prints the PDF of one run
  with ``print_later`` and puts it in place);
* :mod:`.batch` - many reports in workers or on Dask (:func:`run_batch`).
"""

from __future__ import annotations

from .batch import BatchSummary, batch_territories, run_batch
from .html_export import NOTES_TAG, export_html, extract_charts
from .parameters import FILE_PARAMETERS, VALIDATORS, check_notebook_parameters, report_data_dir, validate_parameters
from .provenance import RECORDED_LIBRARIES, data_snapshot, library_versions
from .provenance import fingerprint as _fingerprint
from .run import (CELL_TIMEOUT, MANIFEST, LocalKernelManager, PendingReport, ReportResult, _recover, finish_report,
                  report_dir, run_report)
from .template import NOTEBOOKS_ENV, TEMPLATES, ParameterSpec, read_parameters, template_path
from ..exceptions import ReportExecutionError, ReportParameterError  # noqa: F401 (callers catch them from here)

__all__ = [
    "TEMPLATES",
    "ParameterSpec",
    "ReportResult",
    "BatchSummary",
    "template_path",
    "read_parameters",
    "validate_parameters",
    "data_snapshot",
    "report_data_dir",
    "check_notebook_parameters",
    "library_versions",
    "report_dir",
    "run_report",
    "finish_report",
    "PendingReport",
    "run_batch",
    "batch_territories",
    "export_html",
    "extract_charts",
    # constants and helpers of the pipeline's modules, named here for older callers
    "NOTEBOOKS_ENV", "NOTES_TAG", "MANIFEST", "CELL_TIMEOUT", "VALIDATORS", "FILE_PARAMETERS", "RECORDED_LIBRARIES",
    "LocalKernelManager",
]

