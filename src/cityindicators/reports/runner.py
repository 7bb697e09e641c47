"""Run report notebooks: parameter checks, papermill execution, HTML export, manifest, batches.

A report is a template notebook (``notebooks/<template>.ipynb``) executed by papermill for one
territory. :func:`run_report` does one report:

1. reads the template's ``parameters`` cell (:func:`read_parameters`) and checks the given
   parameters against it (:func:`validate_parameters`): an unknown name, a value of the wrong
   type or an invalid value (unknown territory, language other than ``lt``/``en``...) raises
   :class:`ReportParameterError` before anything runs (papermill itself only warns);
2. computes the *fingerprint* of its inputs (the processed data hashes, the notebook, the
   parameters, the package version); when the report already on disk has the same
   fingerprint the run is skipped unless ``force``;
3. executes the notebook in a staging folder on this thread's warm kernel (:mod:`.kernels`),
   exports a self-contained HTML without code (images embedded, printable CSS) and its A4 PDF
   (:mod:`.pdf`), saves the charts as PNG (the kernel adds SVG and 300-dpi PNG), turns the
   tables and chart data the kernel kept into ``<template>.xlsx`` and CSV (:mod:`.exports`) and
   writes ``manifest.json`` (parameters, package and library versions, data snapshots and
   hashes, timings);
4. replaces ``reports/<template>/<territory>/`` by the staging folder. A failed run never
   touches the previous good report: its executed notebook, with papermill's error marker, is
   kept in ``reports/<template>/<territory>.failed/``.

:func:`run_batch` runs many reports in worker processes (``concurrent.futures``) or on a Dask
distributed cluster, with a progress bar, carrying on past failures.
"""

from __future__ import annotations

import ast
import copy
import datetime as _dt
import json
import logging
import os
import re
import shutil
import signal
import sys
import time
import unicodedata
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import nbformat

from .. import __version__
from .._debris import owner_tag, remove_stale
from .._io import (atomic_write_bytes, atomic_write_json, atomic_write_text, fault_point, read_sidecar, safe_child,
                   sha256_bytes, sha256_file)
from ..config import DataPaths, resolve_data_dir, resource_path
from ..exceptions import CityIndicatorsError, ReportExecutionError, ReportParameterError, UnknownTerritoryError
from ..geography import get_register
from ..i18n import LANGUAGES
from . import stopping
from . import exports

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
    "run_batch",
    "batch_territories",
    "export_html",
    "extract_charts",
]

log = logging.getLogger(__name__)

#: Shipped report templates (``notebooks/<name>.ipynb``), in the order a batch runs them.
TEMPLATES: tuple[str, ...] = ("situation_analysis", "scenarios")
#: Environment variable naming an extra folder of templates.
NOTEBOOKS_ENV = "CITYINDICATORS_NOTEBOOKS"
#: Cell tag of analyst notes: shown in JupyterLab, left out of the HTML report.
NOTES_TAG = "notes"
MANIFEST = "manifest.json"
#: Seconds a single cell may run before the report is stopped as failed.
CELL_TIMEOUT = 600


# -- templates and parameters ------------------------------------------------------------------


def _template_dirs(notebooks_dir: str | os.PathLike | None = None) -> list[Path]:
    dirs = []
    if notebooks_dir:
        dirs.append(Path(notebooks_dir))
    if os.environ.get(NOTEBOOKS_ENV):
        dirs.append(Path(os.environ[NOTEBOOKS_ENV]))
    # shipped with the package (in a checkout a link to <repo>/notebooks, in a wheel a copy)
    dirs.append(resource_path("notebooks"))
    dirs.append(Path.cwd() / "notebooks")
    return dirs


def template_path(template: str | os.PathLike, notebooks_dir: str | os.PathLike | None = None) -> Path:
    """Path of a template given by name (``situation_analysis``) or as a path to an ``.ipynb``.

    Raises
    ------
    ReportParameterError
        No such template; the message lists the folders searched and the templates found.
    """
    p = Path(template)
    if p.suffix == ".ipynb":
        if p.exists():
            return p.resolve()
        raise ReportParameterError(f"template notebook {p} does not exist")
    dirs = _template_dirs(notebooks_dir)
    for d in dirs:
        cand = d / f"{template}.ipynb"
        if cand.exists():
            return cand.resolve()
    found = sorted({q.stem for d in dirs if d.is_dir() for q in d.glob("*.ipynb")})
    raise ReportParameterError(
        f"unknown report template {str(template)!r}; available: {', '.join(found) or '(none)'} "
        f"(searched {', '.join(str(d) for d in dirs)})"
    )


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of a template: name, annotated type, default literal and its comment."""

    name: str
    annotation: str
    default: Any
    comment: str = ""


def _parameters_cell(nb: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ReportParameterError(f"{path}: expected exactly one cell tagged 'parameters', found {len(cells)}")
    if cells[0].cell_type != "code":
        raise ReportParameterError(f"{path}: the 'parameters' cell must be a code cell")
    return cells[0]


def read_parameters(notebook: str | os.PathLike | nbformat.NotebookNode) -> dict[str, ParameterSpec]:
    """Read the ``parameters`` cell of a template.

    The cell must hold only assignments ``name: type = literal  # comment`` (or without the
    annotation, the type then being that of the literal).

    Raises
    ------
    ReportParameterError
        No or several ``parameters`` cells, or a statement that is not a literal assignment.
    """
    if isinstance(notebook, nbformat.NotebookNode):
        nb, path = notebook, Path("<notebook>")
    else:
        path = Path(notebook)
        nb = nbformat.read(path, as_version=4)
    source = _parameters_cell(nb, path).source
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ReportParameterError(f"{path}: parameters cell is not valid Python: {exc}") from exc
    lines = source.splitlines()
    specs: dict[str, ParameterSpec] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value_node, annotation = node.target.id, node.value, ast.unparse(node.annotation)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value_node, annotation = node.targets[0].id, node.value, ""
        else:
            raise ReportParameterError(
                f"{path}: parameters cell line {node.lineno}: only 'name: type = literal  # comment' is allowed, "
                f"got {ast.get_source_segment(source, node)!r}"
            )
        try:
            default = ast.literal_eval(value_node)
        except ValueError as exc:
            raise ReportParameterError(f"{path}: parameter {name!r} must have a literal default") from exc
        line = lines[node.lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line[node.end_col_offset or 0:] else ""
        specs[name] = ParameterSpec(name, annotation or type(default).__name__, default, comment)
    return specs


#: Parsed ``parameters`` cells by (path, modification time, size): a batch parses each
#: template once, not once per report and again per check.
_SPECS_CACHE: dict[tuple[str, int, int], dict[str, ParameterSpec]] = {}


def _template_specs(path: Path) -> dict[str, ParameterSpec]:
    """:func:`read_parameters` of a template file, parsed once per version of the file."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _SPECS_CACHE:
        _SPECS_CACHE[key] = read_parameters(path)
    return _SPECS_CACHE[key]


def _type_ok(value: Any, annotation: str) -> bool:
    """Whether ``value`` fits a simple annotation (str, int, float, bool, list[...], dict, X | None)."""
    try:
        node = ast.parse(annotation, mode="eval").body
    except SyntaxError:
        return True

    def fits(v: Any, n: ast.AST) -> bool:
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr):
            return fits(v, n.left) or fits(v, n.right)
        if isinstance(n, ast.Constant) and n.value is None:
            return v is None
        if isinstance(n, ast.Name):
            kind = n.id
            if kind == "None":
                return v is None
            if kind == "bool":
                return isinstance(v, bool)
            if kind == "int":
                return isinstance(v, int) and not isinstance(v, bool)
            if kind == "float":
                return isinstance(v, (int, float)) and not isinstance(v, bool)
            if kind == "str":
                return isinstance(v, str)
            if kind in ("list", "tuple"):
                return isinstance(v, (list, tuple))
            if kind == "dict":
                return isinstance(v, dict)
            return True
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):
            outer = n.value.id
            if outer in ("list", "tuple"):
                return isinstance(v, (list, tuple)) and all(fits(x, n.slice) for x in v)
            if outer == "dict":
                return isinstance(v, dict)
            if outer == "Optional":
                return v is None or fits(v, n.slice)
        return True

    return fits(value, node)


def _coerce(value: Any, annotation: str) -> Any:
    """Turn command-line strings into the annotated type (``"2040"`` -> 2040, ``"a,b"`` -> list)."""
    if not isinstance(value, str) or _type_ok(value, annotation):
        return value
    text = value.strip()
    try:
        lit = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        lit = None
    if lit is not None and _type_ok(lit, annotation):
        return lit
    if annotation.startswith(("list", "tuple")):
        items = [x.strip() for x in text.split(",") if x.strip()]
        conv = []
        for x in items:
            try:
                conv.append(ast.literal_eval(x))
            except (ValueError, SyntaxError):
                conv.append(x)
        return conv
    return value


def _check_year(name: str, y: Any) -> int:
    if not isinstance(y, int) or isinstance(y, bool) or not 1950 <= y <= 2100:
        raise ReportParameterError(f"parameter {name!r}: {y!r} is not a year between 1950 and 2100")
    return y


def _v_territory(value: Any, params: dict, data_dir: Path | None) -> Any:
    try:
        terr = get_register(data_dir).resolve(value)
    except UnknownTerritoryError as exc:
        raise ReportParameterError(f"parameter 'territory': {exc}") from exc
    if terr.kind != "municipality":
        raise ReportParameterError(
            f"parameter 'territory': {value!r} is a {terr.kind} ({terr.name_lt}); reports are made for municipalities"
        )
    return terr.code


def _v_language(value: Any, params: dict, data_dir: Path | None) -> Any:
    if value not in LANGUAGES:
        raise ReportParameterError(f"parameter 'language': {value!r} is not supported; allowed: {', '.join(LANGUAGES)}")
    return value


def _v_years(value: Any, params: dict, data_dir: Path | None) -> Any:
    if isinstance(value, (list, tuple)) and len(value) == 0:
        return []  # the first and the last year of the data
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ReportParameterError(f"parameter 'years': expected [first, last] or [], got {value!r}")
    y0, y1 = (_check_year("years", y) for y in value)
    if y0 >= y1:
        raise ReportParameterError(f"parameter 'years': the first year must be before the last, got {value!r}")
    return [y0, y1]


def _v_year(name: str) -> Callable:
    def check(value: Any, params: dict, data_dir: Path | None) -> Any:
        return _check_year(name, value)

    return check


def _v_base_year(value: Any, params: dict, data_dir: Path | None) -> Any:
    return 0 if value == 0 else _check_year("base_year", value)


def _v_years_list(value: Any, params: dict, data_dir: Path | None) -> Any:
    return [_check_year("pyramid_years", y) for y in value]


def _v_peers(value: Any, params: dict, data_dir: Path | None) -> Any:
    if value in ("county", "type", "size", "similar", "municipalities", "all"):
        return value
    try:
        get_register(data_dir).group(value, population={})
    except CityIndicatorsError as exc:
        raise ReportParameterError(
            f"parameter 'peers': {exc}. Also allowed: county, type, size, similar, all"
        ) from exc
    return value


def _v_data_dir(value: Any, params: dict, data_dir: Path | None) -> Any:
    if value in ("", None):
        return value
    folder = Path(value).expanduser().resolve()
    if not DataPaths.of(folder).processed.is_dir():
        raise ReportParameterError(f"parameter 'data_dir': no processed tables in {folder / 'processed'}; "
                                   "run 'cityindicators build' (or 'cityindicators demo')")
    return str(folder)


def report_data_dir(value: str | os.PathLike | None = "") -> Path:
    """The data directory of a notebook run: ``value``, else ``$CITYINDICATORS_DATA_DIR``, else
    the nearest ``data/`` with processed tables in the working directory or its parents (so
    that a template opened in JupyterLab from ``notebooks/`` finds the project's ``data/``).

    Raises
    ------
    ReportParameterError
        None found; the message names the absolute paths looked in.
    """
    from ..config import DATA_DIR_ENV, find_data_dir

    if value:
        return Path(_v_data_dir(str(value), {}, None))
    if os.environ.get(DATA_DIR_ENV):
        try:
            return Path(_v_data_dir(os.environ[DATA_DIR_ENV], {}, None))
        except ReportParameterError as exc:
            raise ReportParameterError(f"${DATA_DIR_ENV}: {exc}") from exc
    found = find_data_dir()
    if found is None:
        raise ReportParameterError(
            f"parameter 'data_dir' is empty and no data/processed was found in {Path.cwd().resolve()} or its "
            f"parents (nor is ${DATA_DIR_ENV} set); run 'make report' or 'cityindicators demo', or set data_dir")
    return found.resolve()


def check_notebook_parameters(**values: Any) -> dict[str, Any]:
    """The checks the command line makes, for a notebook run by hand (``setup`` calls this):
    the data directory found (:func:`report_data_dir`), then each named parameter's check of
    :data:`VALIDATORS` against that data. Returns the normalised values, ``data_dir`` absolute."""
    out = dict(values)
    ddir = report_data_dir(values.get("data_dir"))
    out["data_dir"] = str(ddir)
    for name, value in values.items():
        check = VALIDATORS.get(name)
        if check is not None and name != "data_dir":
            out[name] = check(value, out, ddir)
    return out


def _v_scenarios(value: Any, params: dict, data_dir: Path | None) -> Any:
    if not value:
        raise ReportParameterError("parameter 'scenarios': give at least one scenario name")
    try:
        from ..projection import scenarios as _sc  # type: ignore[attr-defined]

        lister = getattr(_sc, "list_scenarios", None) or getattr(_sc, "available_scenarios", None)
    except ImportError:
        lister = None
    if lister is not None:
        try:
            known = set(lister() if not data_dir else _call_with_data_dir(lister, data_dir))
        except Exception:  # a broken scenario folder is reported by the projection itself
            known = set()
        unknown = [s for s in value if known and s not in known]
        if unknown:
            raise ReportParameterError(f"parameter 'scenarios': unknown scenario(s) {unknown}; available: {sorted(known)}")
    return list(value)


def _call_with_data_dir(func: Callable, data_dir: Path) -> Any:
    try:
        return func(data_dir=data_dir)
    except TypeError:
        return func()


def _v_non_negative(name: str) -> Callable:
    def check(value: Any, params: dict, data_dir: Path | None) -> Any:
        if value is not None and value < 0:
            raise ReportParameterError(f"parameter {name!r}: must be zero or positive, got {value!r}")
        return value

    return check


def _v_plan(value: Any, params: dict, data_dir: Path | None) -> Any:
    """A plan file for the report's territory, checked in full before anything runs (absolute path,
    as the kernel runs in a staging folder); empty = the shipped demonstration plan."""
    from ..plans import load_plan

    path = Path(value) if value else resource_path("plans", "eglynas.yaml")
    try:
        plan = load_plan(path, data_dir=data_dir)
    except CityIndicatorsError as exc:
        raise ReportParameterError(f"parameter 'plan': {exc}") from exc
    code = params.get("territory")
    if code and plan.territory.code != code:
        raise ReportParameterError(f"parameter 'plan': {path} is a plan for {plan.territory.name_lt} "
                                   f"({plan.territory.code}), not for territory {code}")
    return str(path.resolve())


def _v_scenarios_or_none(value: Any, params: dict, data_dir: Path | None) -> Any:
    return list(value) if not value else _v_scenarios(value, params, data_dir)


#: Checks of the values of well-known parameters; each returns the normalised value.
VALIDATORS: dict[str, Callable[[Any, dict, Path | None], Any]] = {
    "territory": _v_territory,
    "language": _v_language,
    "years": _v_years,
    "horizon": _v_year("horizon"),
    "base_year": _v_base_year,
    "target_year": _v_year("target_year"),
    "pyramid_years": _v_years_list,
    "trajectories": _v_non_negative("trajectories"),
    "peers": _v_peers,
    "data_dir": _v_data_dir,
    "scenarios": _v_scenarios,
    "target": _v_non_negative("target"),
    "n_similar": _v_non_negative("n_similar"),
    "plan": _v_plan,
    "projection_scenarios": _v_scenarios_or_none,
}
#: Parameters that name input files: their SHA-256 is in the fingerprint and the manifest.
FILE_PARAMETERS = ("plan",)


def validate_parameters(
    template: str | os.PathLike | nbformat.NotebookNode,
    parameters: Mapping[str, Any],
    notebooks_dir: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Check ``parameters`` against the template's ``parameters`` cell; return the full set.

    Unknown names, values of the wrong type and invalid values (an unknown territory, a
    language other than ``lt``/``en``, years out of order...) raise. Strings from the command
    line are converted to the annotated type first. The result holds every parameter of the
    template (defaults filled in), with the territory as its code and ``data_dir`` absolute.

    Raises
    ------
    ReportParameterError
        Naming every parameter at fault, the expected type and the allowed names.
    """
    if isinstance(template, nbformat.NotebookNode):
        specs, label = read_parameters(template), "<notebook>"
    else:
        path = template_path(template, notebooks_dir)
        specs, label = _template_specs(path), path.stem
    unknown = sorted(set(parameters) - set(specs))
    if unknown:
        allowed = ", ".join(f"{s.name} ({s.annotation})" for s in specs.values())
        raise ReportParameterError(f"template {label!r}: unknown parameter(s) {', '.join(unknown)}; allowed: {allowed}")
    values = {name: copy.deepcopy(spec.default) for name, spec in specs.items()}
    errors = []
    for name, value in parameters.items():
        value = _coerce(value, specs[name].annotation)
        if not _type_ok(value, specs[name].annotation):
            errors.append(f"{name} must be {specs[name].annotation}, got {value!r} ({type(value).__name__})")
        values[name] = value
    if errors:
        raise ReportParameterError(f"template {label!r}: invalid parameter(s): " + "; ".join(errors))
    data_dir = values.get("data_dir") or None
    if "data_dir" in values:
        values["data_dir"] = _v_data_dir(values["data_dir"], values, None)
        data_dir = values["data_dir"] or None
    for name in values:
        check = VALIDATORS.get(name)
        if check is not None and name != "data_dir":
            values[name] = check(values[name], values, Path(data_dir) if data_dir else None)
    horizon = values.get("horizon")
    if horizon is not None:
        after = {"base_year": [values.get("base_year") or 0], "years": values.get("years", [])[-1:]}
        for name, ys in after.items():
            if any(y and horizon <= y for y in ys):
                raise ReportParameterError(f"template {label!r}: horizon {horizon} must be after {name} {ys[0]}")
        for name in ("target_year", "pyramid_years"):
            ys = values.get(name)
            ys = [ys] if isinstance(ys, int) else (ys or [])
            late = [y for y in ys if y > horizon]
            if late:
                raise ReportParameterError(f"template {label!r}: {name} {late} after the horizon {horizon}")
    return values


# -- provenance and fingerprints ---------------------------------------------------------------


def data_snapshot(data_dir: str | os.PathLike | None = None) -> dict[str, dict[str, Any]]:
    """The processed tables a report can read: path, SHA-256, build time and their raw inputs.

    Only the tables of the published build (:func:`cityindicators.store.current_tables`: no
    temporary files of a build in progress or killed), all from one generation. Taken from the
    ``.meta.json`` sidecars written by ``cityindicators build``; a table without a sidecar is
    hashed here.
    """
    from .. import store

    out: dict[str, dict[str, Any]] = {}
    for name, table in sorted(store.current_tables(data_dir).items()):
        side = read_sidecar(table)
        out[name] = {
            "path": str(table.resolve()),
            "sha256": side.get("sha256") or sha256_file(table),
            "built_at": side.get("built_at"),
            "synthetic": bool(side.get("synthetic", False)),
            "inputs": [
                {k: d.get(k) for k in ("input", "sha256", "source", "rows_kept")} for d in side.get("inputs", [])
            ],
        }
    return out


#: Libraries whose versions can change a report's figures or look, recorded in its manifest.
RECORDED_LIBRARIES = ("pandas", "numpy", "matplotlib", "papermill", "nbconvert", "openpyxl", "playwright")


def library_versions() -> dict[str, str | None]:
    """Installed versions of :data:`RECORDED_LIBRARIES` (``None`` when one is not installed),
    read from the package metadata without importing them."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for lib in RECORDED_LIBRARIES:
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            out[lib] = None
    return out


def _input_files(parameters: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """``{parameter: {path, sha256}}`` of the input files a report's parameters name."""
    return {k: {"path": str(parameters[k]), "sha256": sha256_file(parameters[k])}
            for k in FILE_PARAMETERS if parameters.get(k) and Path(parameters[k]).is_file()}


def _fingerprint(notebook_sha: str, parameters: Mapping[str, Any], snapshot: Mapping[str, Mapping[str, Any]]) -> str:
    doc = {
        "input_files": {k: v["sha256"] for k, v in _input_files(parameters).items()},
        "notebook": notebook_sha,
        "parameters": parameters,
        "package_version": __version__,
        "versions": library_versions(),
        "data": {k: v["sha256"] for k, v in sorted(snapshot.items())},
    }
    return sha256_bytes(json.dumps(doc, sort_keys=True, default=str).encode("utf-8"))


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def report_dir(template: str, territory_code: str, output_dir: str | os.PathLike = "reports") -> Path:
    """``<output_dir>/<template>/<code>-<name>/`` for a territory (``X13-eglynas``, ``30-visaginas``)."""
    terr = get_register().get(territory_code)
    # absolute: a warm kernel's working directory is the previous report's folder, so a relative
    # path handed to it (staging folder, exports) would land inside that folder
    output_dir = Path(output_dir).absolute()
    # the template's name comes from the user: "...ipynb" must not make the folder "<output_dir>/.."
    folder = safe_child(output_dir, Path(template).stem, what="report template name")
    return safe_child(folder, f"{terr.code}-{_slug(terr.base_name_en)}", what="territory folder")


# -- HTML export and charts --------------------------------------------------------------------

_PRINT_CSS = """
body { max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
.jp-Cell { padding: 0; }
.jp-OutputArea-output table { border-collapse: collapse; }
.ci-report-footer { margin-top: 2rem; font-size: 0.8em; color: #555; border-top: 1px solid #ccc; padding-top: .5rem; }
@page { size: A4; margin: 15mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  .jp-Cell, .jp-OutputArea-output, img, table { break-inside: avoid; page-break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
  /* every section after the first starts a page */
  .jp-Cell:has(h2) ~ .jp-Cell:has(h2) { break-before: page; page-break-before: always; }
  /* tables fit the 180 mm between the margins: smaller type, headers wrap, rank column inside */
  .jp-OutputArea-output table { width: 100%; max-width: 100%; table-layout: auto; font-size: 8pt; }
  .jp-OutputArea-output th, .jp-OutputArea-output td { white-space: normal; padding: 2px 4px; overflow-wrap: anywhere; }
  .jp-OutputArea-output, .jp-Cell-outputWrapper, .jp-OutputArea { overflow: visible; max-width: 100%; }
  a { color: inherit; text-decoration: none; }
}
"""

# A template on top of JupyterLab's: no scripts from the network (require.js, MathJax, mermaid),
# so the report opens offline and prints; the print rules above.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{% block extra_css %}<style type="text/css">""" + _PRINT_CSS + """</style>{% endblock extra_css %}
{% block data_png scoped %}<div class="jp-RenderedImage jp-OutputArea-output">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}" alt="{{ output.metadata.get('cityindicators_alt', 'chart') | escape_html }}">
</div>{% endblock data_png %}
{% block body_footer %}<footer class="ci-report-footer">{{ resources.ci_footer }}</footer>
{{ super() }}{% endblock body_footer %}
"""


def _report_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Copy of an executed notebook as the reader sees it: no analyst notes, no stderr."""
    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if NOTES_TAG in tags or "parameters" in tags or "injected-parameters" in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            if not cell.outputs:
                continue
        cells.append(cell)
    out.cells = cells
    return out


def export_html(nb: nbformat.NotebookNode, title: str = "", lang: str = "en", footer: str = "") -> str:
    """A self-contained HTML page of an executed notebook without code.

    Inputs and prompts are left out, images are embedded as data URIs, no script is loaded
    from the network, and print rules give A4 pages without charts split across pages.
    """
    import jinja2
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        extra_loaders=[jinja2.DictLoader({"cityreport.html.j2": _TEMPLATE})],
        template_file="cityreport.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code=lang,
    )
    report_nb = _report_notebook(nb)
    if title:
        report_nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(report_nb, resources={"ci_footer": footer})
    return body


def extract_charts(nb: nbformat.NotebookNode) -> list[tuple[str, bytes]]:
    """The PNG images of an executed notebook as ``(file name, bytes)``, in order.

    Charts displayed by :mod:`cityindicators.reports.sections` carry their name in the output
    metadata (``cityindicators_chart``); other images are named ``chart``.
    """
    import base64

    out: list[tuple[str, bytes]] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if "image/png" not in data:
                continue
            meta = o.get("metadata", {})
            name = _slug(str(meta.get("cityindicators_chart", "chart"))).replace("-", "_") or "chart"
            # the stem the kernel gave the chart's SVG and 300-dpi PNG, so that the three files match
            stem = meta.get("cityindicators_file") or f"{len(out) + 1:02d}_{name}"
            out.append((f"{stem}.png", base64.b64decode(data["image/png"])))
    return out


# -- one report --------------------------------------------------------------------------------


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

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "skipped")


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
    """Move ``staging`` to ``final``; the old ``final`` is renamed aside first, removed last."""
    old = None
    with stopping.critical_section():  # a signal waits until the folder is the old or the new
        if final.exists():
            old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(final, old)
            fault_point("report.replacing")
        os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def run_report(
    template: str | os.PathLike,
    territory: str,
    parameters: Mapping[str, Any] | None = None,
    language: str | None = None,
    output_dir: str | os.PathLike = "reports",
    data_dir: str | os.PathLike | None = None,
    force: bool = False,
    notebooks_dir: str | os.PathLike | None = None,
    kernel_name: str | None = None,
    snapshot: Mapping[str, Mapping[str, Any]] | None = None,
    cell_timeout: int = CELL_TIMEOUT,
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
        Data directory; passed as ``data_dir`` (absolute) when the template has one.
    force
        Run even when the inputs are unchanged since the report on disk.
    snapshot
        Pre-computed :func:`data_snapshot` (a batch computes it once).

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
    path = template_path(template, notebooks_dir)
    name = path.stem
    specs = _template_specs(path)
    given: dict[str, Any] = dict(parameters or {})
    given["territory"] = territory
    if language is not None and "language" in specs:
        given["language"] = language
    # The kernel runs in a staging folder: hand it an absolute data directory.
    data_dir = resolve_data_dir(data_dir).resolve()
    if "data_dir" in specs and not given.get("data_dir"):
        given["data_dir"] = str(data_dir)
    params = validate_parameters(path, given)
    code = params["territory"]
    terr = get_register(params.get("data_dir") or data_dir).get(code)
    lang = params.get("language", "en")
    t_validated = time.perf_counter()

    final = report_dir(name, code, output_dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    _recover(final)
    data_root = params.get("data_dir") or data_dir
    snap = dict(snapshot) if snapshot is not None else data_snapshot(data_root)
    nb_bytes = path.read_bytes()
    nb_sha = sha256_bytes(nb_bytes)
    fingerprint = _fingerprint(nb_sha, params, snap)
    result = ReportResult(name, code, terr.name(lang), "ok", str(final))
    previous = _read_manifest(final)
    if (not force and previous.get("status") == "ok" and previous.get("fingerprint") == fingerprint
            and all((final / f).exists() for f in previous.get("files", []))):
        log.info("%s %s: inputs unchanged, report kept (%s)", name, code, final)
        result.status = "skipped"
        result.seconds = time.perf_counter() - t_start
        return result

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
        "input_files": _input_files(params),
        "fingerprint": fingerprint,
        "started_at": started_at,
    }
    error = ""
    t_exec0 = time.perf_counter()
    try:
        from . import kernels

        kernel = kernels.ready_kernel(staging, kernel_name)
        pm.execute_notebook(
            str(path), str(out_nb), parameters=params, kernel_name=kernel.kernel_name, progress_bar=False,
            log_output=False, execution_timeout=cell_timeout, report_mode=False, engine_name=kernels.ENGINE,
            report_kernel=kernel,
        )
    except Exception as exc:  # papermill raises its own errors and kernel errors of many types
        error = _short_error(exc)
        if not getattr(exc, "ename", None):  # not an error raised in a cell: the kernel may be busy or dead
            kernels.discard_kernel()
    t_exec1 = time.perf_counter()
    fault_point("report.executed")  # crash-safety tests kill the run here, and at the two below
    if error:
        manifest.update(status="failed", error=error, finished_at=_now(),
                        timings={"validate_s": round(t_validated - t_start, 3), "execute_s": round(t_exec1 - t_exec0, 3)})
        if failed_dir.exists():
            shutil.rmtree(failed_dir)
        failed_dir.mkdir(parents=True)
        if out_nb.exists():
            shutil.move(str(out_nb), failed_dir / out_nb.name)
        atomic_write_json(failed_dir / MANIFEST, manifest)
        shutil.rmtree(staging, ignore_errors=True)
        log.error("%s %s failed: %s (notebook kept in %s)", name, code, error, failed_dir)
        result.status, result.error = "failed", error
        result.failed_notebook = str(failed_dir / out_nb.name)
        result.seconds = time.perf_counter() - t_start
        return result
    try:
        nb = nbformat.read(out_nb, as_version=4)
        title_key = f"title_{name}"
        from ..i18n import TEXTS, t

        title = t(title_key, lang, name=terr.name(lang)) if title_key in TEXTS else f"{name}: {terr.name(lang)}"
        footer = f"cityindicators {__version__} · {started_at} · {fingerprint[:12]}"
        html = export_html(nb, title=title, lang=lang, footer=footer)
        atomic_write_text(staging / f"{name}.html", html)
        charts = extract_charts(nb)
        (staging / "charts").mkdir(exist_ok=True)
        for fname, png in charts:
            atomic_write_bytes(staging / "charts" / fname, png)
        extra = sorted(f"charts/{p.name}" for p in (staging / "charts").iterdir()
                       if p.suffix == ".svg" or p.stem.endswith(f"_{exports.HIRES_DPI}dpi"))
        extra += exports.write_tables(staging, name)
        extra += _write_pdf(staging / f"{name}.html", manifest)
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReportExecutionError(f"{name} {code}: export failed: {exc}") from exc
    t_end = time.perf_counter()
    files = [f"{name}.ipynb", f"{name}.html"] + [f"charts/{f}" for f, _ in charts] + extra
    manifest.update(
        status="ok", finished_at=_now(), files=files,
        file_hashes={f: sha256_file(staging / f) for f in files},
        timings={"validate_s": round(t_validated - t_start, 3), "execute_s": round(t_exec1 - t_exec0, 3),
                 "export_s": round(t_end - t_exec1, 3), "total_s": round(t_end - t_start, 3)},
    )
    atomic_write_json(staging / MANIFEST, manifest)
    fault_point("report.exported")
    _replace_dir(staging, final)
    if failed_dir.exists():
        shutil.rmtree(failed_dir, ignore_errors=True)
    result.seconds = time.perf_counter() - t_start
    log.info("%s %s: report written to %s in %.1f s", name, code, final, result.seconds)
    return result


_PDF_WARNED: set[str] = set()


def _write_pdf(html: Path, manifest: dict[str, Any]) -> list[str]:
    """Print the HTML to ``<template>.pdf`` beside it; without Chromium (or when printing
    fails) the report goes on without PDF, says why once in the log and in the manifest."""
    from . import pdf

    why = pdf.pdf_unavailable()
    if not why:
        target = html.with_suffix(".pdf")
        try:
            errors = pdf.write_pdf(html, target)
            if errors:
                log.warning("%s: the page logged errors while printing: %s", html.name, "; ".join(errors[:3]))
            return [target.name]
        except Exception as exc:  # a browser crash must not cost the report
            why = f"no PDF: printing failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    manifest["pdf"] = why
    if why not in _PDF_WARNED:
        _PDF_WARNED.add(why)
        log.warning("%s (the HTML report is written)", why)
    return []


try:  # the kernel talks to the runner over local IPC sockets rather than TCP on loopback
    from jupyter_client.manager import AsyncKernelManager as _AsyncKernelManager

    class LocalKernelManager(_AsyncKernelManager):
        """Kernel manager of report runs: IPC transport (no TCP ports, no warning about them)."""

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

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            ipc_dir = getattr(self, "_ipc_dir", None)
            if ipc_dir and not restart:
                shutil.rmtree(ipc_dir, ignore_errors=True)
except ImportError:  # pragma: no cover - jupyter_client is a papermill dependency
    LocalKernelManager = None  # type: ignore[assignment,misc]


def _short_error(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:  # papermill.PapermillExecutionError: the error raised in the notebook
        cell = getattr(exc, "exec_count", None)
        return f"{ename}: {getattr(exc, 'evalue', '')} (cell {cell})".strip()
    return f"{type(exc).__name__}: {exc}"


# -- batches -----------------------------------------------------------------------------------


@dataclass
class BatchSummary:
    """Results of a batch, in the order of the jobs."""

    results: list[ReportResult] = field(default_factory=list)
    seconds: float = 0.0
    stopped_by: str = ""  # the signal that stopped the batch ("SIGTERM"), empty if it ran to the end

    @property
    def failed(self) -> list[ReportResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.stopped_by

    @property
    def exit_code(self) -> int:
        """0 when every report is written or unchanged; 1 when some failed; 128 + the signal's
        number when a signal stopped the batch (130 for SIGINT, 143 for SIGTERM)."""
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
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "stopped_by": self.stopped_by or None, "counts": self.counts(),
                "results": [asdict(r) for r in self.results]}


def batch_territories(spec: str | Sequence[str], data_dir: str | os.PathLike | None = None) -> list[str]:
    """Territory codes of a batch: ``all`` = every municipality present in the processed
    population table (the 60 real ones, or the synthetic demo set for demo data)."""
    if isinstance(spec, str) and spec != "all":
        spec = [spec]
    if spec != "all":
        reg = get_register(data_dir)
        try:
            return [reg.resolve(s).code for s in spec]  # type: ignore[union-attr]
        except UnknownTerritoryError as exc:
            raise ReportParameterError(f"--territory: {exc}") from exc
    reg = get_register(data_dir)
    table = DataPaths.of(data_dir).processed_table("population")
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


def _run_job(job: _Job) -> ReportResult:
    """Run one batch job; never raises (a worker's error becomes a failed result)."""
    logging.getLogger("papermill").setLevel(logging.WARNING)
    try:
        return run_report(job.template, job.territory, job.parameters, job.language, job.output_dir, job.data_dir,
                          job.force, job.notebooks_dir, snapshot=job.snapshot)
    except Exception as exc:
        name = Path(job.template).stem
        try:
            tname = get_register(job.data_dir).get(job.territory).name(job.language or "lt")
        except CityIndicatorsError:
            tname = job.territory
        return ReportResult(name, job.territory, tname, "failed", "", error=_short_error(exc))


def run_batch(
    territories: str | Sequence[str],
    templates: Sequence[str] = TEMPLATES,
    language: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    output_dir: str | os.PathLike = "reports",
    data_dir: str | os.PathLike | None = None,
    force: bool = False,
    notebooks_dir: str | os.PathLike | None = None,
    progress: bool = True,
    write_summary: bool = True,
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
    codes = batch_territories(territories, data_dir)
    params = dict(parameters or {})
    data_abs = str(resolve_data_dir(data_dir).resolve())
    # Check the parameters of every template once, before starting anything.
    per_template: dict[str, dict] = {}
    declared: set[str] = set()
    for tpl in templates:
        path = template_path(tpl, notebooks_dir)
        specs = _template_specs(path)
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
    job_list = [
        _Job(tpl, code, per_template[tpl], language, str(Path(output_dir).absolute()), data_abs, force,
             str(notebooks_dir) if notebooks_dir else None, snap)
        for code in codes for tpl in per_template
    ]
    from tqdm.auto import tqdm

    results: dict[int, ReportResult] = {}
    stopped_by = ""
    bar = tqdm(total=len(job_list), desc="reports", unit="report", disable=not progress, file=sys.stderr)
    with stopping.stop_on_signals():
        try:
            if scheduler:
                _run_dask(job_list, scheduler, bar, results)
            elif jobs == 1 or len(job_list) == 1:
                for i, job in enumerate(job_list):
                    bar.set_postfix_str(f"{Path(job.template).stem} {job.territory}")
                    results[i] = _run_job(job)
                    bar.update(1)
            else:
                _run_pool(job_list, jobs, bar, results)
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
            Path(output_dir).mkdir(parents=True, exist_ok=True)
            atomic_write_json(Path(output_dir) / "batch-summary.json", {"finished_at": _now(), **summary.to_dict()})
    log.info(summary.text())
    return summary


def _run_pool(job_list: list[_Job], jobs: int, bar, results: dict[int, ReportResult]) -> None:
    """Run the jobs in ``jobs`` worker processes, filling ``results`` as they finish.

    On :class:`~.stopping.BatchStopped` the jobs not started are cancelled and the results of
    those finished are kept before the exception goes on.
    """
    import multiprocessing as mp

    # spawn: a clean interpreter per worker (no inherited threads or open kernels).
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn"),
                               initializer=stopping.init_worker)
    futures = {}
    try:
        futures = {pool.submit(_run_job, job): i for i, job in enumerate(job_list)}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                results[i] = fut.result()
            except Exception as exc:  # the worker process itself died
                results[i] = _lost_job(job_list[i], exc)
            bar.update(1)
    except stopping.BatchStopped:
        pool.shutdown(wait=False, cancel_futures=True)
        for fut, i in futures.items():
            if i not in results and fut.done() and not fut.cancelled() and fut.exception() is None:
                results[i] = fut.result()
        raise
    pool.shutdown(wait=True)


def _unfinished_job(job: _Job, why: str) -> ReportResult:
    """The result of a job that a stopped batch did not finish."""
    return ReportResult(Path(job.template).stem, job.territory, job.territory, "stopped", "", error=why)


def _lost_job(job: _Job, exc: BaseException) -> ReportResult:
    """The result of a job whose worker died before it could report."""
    return ReportResult(Path(job.template).stem, job.territory, job.territory, "failed", "", error=_short_error(exc))


def _run_dask(job_list: list[_Job], scheduler: str, bar, results: dict[int, ReportResult]) -> None:
    """Send the jobs to a Dask distributed scheduler and collect the results as they finish
    into ``results`` (a stopped batch cancels the jobs not finished)."""
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise ReportExecutionError("--scheduler needs the 'distributed' package") from exc
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ReportExecutionError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    futures = []
    try:
        futures = [client.submit(_run_job, job, key=f"report-{i}-{uuid.uuid4().hex[:6]}", pure=False)
                   for i, job in enumerate(job_list)]
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in dask_completed(futures):
            i = index[fut.key]
            try:
                results[i] = fut.result()
            except Exception as exc:  # worker lost
                results[i] = _lost_job(job_list[i], exc)
            bar.update(1)
    except stopping.BatchStopped:
        client.cancel([f for f in futures if not f.done()])
        raise
    finally:
        client.close()
