"""What a report was made from: the processed tables read, the library versions, the input files,
and the fingerprint of them all (a report whose fingerprint is unchanged is not run again); and the
part of it a reader is told in the report's footer (the sources and years of the data, not the hashes).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from .. import __version__
from .._io import read_sidecar, sha256_bytes, sha256_file
from ..build_cache import code_version
from .parameters import FILE_PARAMETERS

__all__ = ["data_snapshot", "RECORDED_LIBRARIES", "library_versions", "input_files", "scenario_contents",
           "fingerprint", "data_sources", "report_footer", "without_local_paths"]


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
RECORDED_LIBRARIES = ("pandas", "numpy", "matplotlib", "papermill", "nbconvert", "xlsxwriter", "playwright")


def library_versions() -> dict[str, str | None]:
    """Installed versions of :data:`RECORDED_LIBRARIES` (``None`` when one is not installed),
    read from the package metadata without importing them."""
    return dict(_installed_versions())


@functools.lru_cache(maxsize=1)
def _installed_versions() -> tuple[tuple[str, str | None], ...]:
    # once per process: each lookup scans the installed distributions (some 9 ms for the seven),
    # and a batch asks for every report's fingerprint and manifest, in the batch process and the
    # worker. A library upgraded meanwhile is not what this process (and its warm kernel) runs anyway.
    from importlib.metadata import PackageNotFoundError, version

    out: list[tuple[str, str | None]] = []
    for lib in RECORDED_LIBRARIES:
        try:
            out.append((lib, version(lib)))
        except PackageNotFoundError:
            out.append((lib, None))
    return tuple(out)


def input_files(parameters: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """``{parameter: {path, sha256}}`` of the input files a report's parameters name."""
    return {k: {"path": str(parameters[k]), "sha256": sha256_file(parameters[k])}
            for k in FILE_PARAMETERS if parameters.get(k) and Path(parameters[k]).is_file()}


#: Parameters of the templates that project: their reports depend on the scenario files' contents.
PROJECTING_PARAMETERS = ("scenarios", "projection_scenarios", "plan")


def scenario_contents(data_dir: str | os.PathLike | None) -> dict[str, Any]:
    """``{name: resolved keys}`` of every scenario a report on ``data_dir`` can load (the user's and the
    shipped ones, each with what it ``extends`` merged in), or ``{"error": message}`` when one cannot be
    read (the report then fails on it, and runs again once the file is mended)."""
    from ..exceptions import CityIndicatorsError
    from ..projection.scenarios import list_scenarios

    try:
        return {name: sc.to_dict() for name, sc in sorted(list_scenarios(data_dir).items())}
    except CityIndicatorsError as exc:
        return {"error": str(exc)}


def fingerprint(notebook_sha: str, parameters: Mapping[str, Any], snapshot: Mapping[str, Mapping[str, Any]]) -> str:
    """The digest of everything a report is made from; a report whose fingerprint is unchanged is not run
    again. A projecting report's includes the scenarios' resolved contents, not only their names: an edited
    scenario file (or the baseline that another one extends) changes the report."""
    doc = {
        "input_files": {k: v["sha256"] for k, v in input_files(parameters).items()},
        "notebook": notebook_sha,
        "parameters": parameters,
        "package_version": __version__,
        # the code itself (a digest of the package's files): an edited checkout or an upgrade that kept
        # the version number makes different reports, which must not be skipped as unchanged
        "code": code_version(),
        "versions": library_versions(),
        "data": {k: v["sha256"] for k, v in sorted(snapshot.items())},
    }
    if any(k in parameters for k in PROJECTING_PARAMETERS):
        doc["scenarios"] = scenario_contents(parameters.get("data_dir"))
    return sha256_bytes(json.dumps(doc, sort_keys=True, default=str).encode("utf-8"))



#: How the footer names the data, by the ``source`` of a raw snapshot (its sidecar's); the extract is
#: Statistics Lithuania's figures as the API's are.
_FOOTER_SOURCES = {"osp": "footer_src_osp", "osp-extract": "footer_src_osp", "indicators": "footer_src_indicators",
                   "tidy": "footer_src_tidy", "demo": "footer_src_demo"}


def data_sources(snapshot: Mapping[str, Mapping[str, Any]], synthetic: bool) -> list[str]:
    """The ``source`` of every raw input of the snapshot's tables, each once, sorted: only ``demo``
    for a ``synthetic`` territory, and never ``demo`` for a real one (demo and real data may share a
    data directory, and a real municipality's report reads no synthetic figures)."""
    found = {str(inp.get("source") or "") for table in snapshot.values() for inp in table.get("inputs", [])}
    found.discard("")
    return sorted({"demo"} & found if synthetic else found - {"demo"})


def report_footer(lang: str, generated_at: str, sources: Sequence[str], years: tuple[int, int] | None) -> str:
    """The footer a reader sees: the day the report was made (``generated_at``: an ISO date or
    time), where its data come from (:func:`data_sources`) and the years they cover
    (:meth:`~cityindicators.workspace.Workspace.population_year_spans`), and the package's version. The fingerprint stays in the manifest:
    a hash tells a planner nothing."""
    from ..i18n import t

    order = list(_FOOTER_SOURCES)  # Statistics Lithuania first; a source not known here last, by its name
    ranked = sorted(sources, key=lambda s: (order.index(s) if s in order else len(order), s))
    names = list(dict.fromkeys(t(_FOOTER_SOURCES[s], lang) if s in _FOOTER_SOURCES else s for s in ranked))
    data = ", ".join(names) or t("footer_src_none", lang)
    if years is not None:
        span = str(years[0]) if years[0] == years[1] else f"{years[0]}–{years[1]}"
        data = t("footer_data_years", lang, sources=data, years=span)
    return t("footer", lang, date=str(generated_at)[:10], data=data, version=__version__)


#: What the published notebook says in place of the data directory the report was run on.
_DATA_DIR_NOTE = "the data directory of this run is in manifest.json (parameters.data_dir)"


def without_local_paths(nb: Any) -> Any:
    """The executed notebook ``nb`` (changed in place and returned) without the paths of the
    machine that ran it, for publishing beside the report.

    papermill records the template's and the output's absolute paths in the notebook's metadata
    and writes every parameter into the injected cell: ``data_dir = "/home/analyst/..."`` or a plan
    file's path would be published with the report. The paths stay in ``manifest.json``; here the
    template and output are named by their file names, ``data_dir`` is empty (a template's default:
    ``$CITYINDICATORS_DATA_DIR`` or the nearest ``data/``) with a comment that says where the run's
    is, and any other parameter that is an absolute path (a plan or scenario file) is its file name.
    """
    meta = nb.get("metadata", {}).get("papermill")
    if meta is None:
        return nb
    for key in ("input_path", "output_path"):
        if isinstance(meta.get(key), str):
            meta[key] = Path(meta[key]).name
    params = meta.get("parameters") or {}

    def local(value: Any) -> Any:
        if isinstance(value, list):
            return [local(v) for v in value]
        return Path(value).name if isinstance(value, str) and os.path.isabs(value) else value

    changed = {}
    for name, value in params.items():
        new = "" if name == "data_dir" and value else local(value)
        if new != value:
            changed[name] = params[name] = new
    if not changed:
        return nb
    for cell in nb.get("cells", []):
        if "injected-parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        lines = cell["source"].splitlines() if isinstance(cell["source"], str) else "".join(cell["source"]).splitlines()
        for i, line in enumerate(lines):
            name = line.split(" = ", 1)[0]
            if name in changed:
                note = f"  # {_DATA_DIR_NOTE}" if name == "data_dir" else ""
                lines[i] = f"{name} = {json.dumps(changed[name], ensure_ascii=False)}{note}"
        cell["source"] = "\n".join(lines) + "\n"
    return nb
