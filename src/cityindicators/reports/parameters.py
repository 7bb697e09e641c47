"""Report parameters: conversion of command-line strings, type checks and the value checks.

:func:`validate_parameters` checks a run's parameters against its template's ``parameters``
cell (:mod:`.template`) and then each well-known parameter with the check its owner
registered in :mod:`cityindicators.parameter_checks` (an unknown territory, a language other
than ``lt``/``en``, years out of order, an unknown scenario, a plan for another
municipality...), raising :class:`ReportParameterError` before anything runs. The reports
register the checks of their own parameters here; the projection and the plans register
theirs in :mod:`cityindicators.projection.parameters` and :mod:`cityindicators.plans.parameters`.
"""

from __future__ import annotations

import ast
import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..config import DataPaths
from ..exceptions import CityIndicatorsError, ReportParameterError, UnknownTerritoryError
from ..geography import get_register
from ..i18n import LANGUAGES
from ..parameter_checks import CHECKS, Check, check_year, non_negative_check, register_check
from ..workspace import as_workspace
from .template import read_parameters, template_path, template_specs

if TYPE_CHECKING:
    import nbformat  # a report's kernel checks its parameters without importing it

__all__ = ["VALIDATORS", "PARAMETER_OWNERS", "FILE_PARAMETERS", "validate_parameters", "check_notebook_parameters", "report_data_dir"]


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
    y0, y1 = (check_year("years", y) for y in value)
    if y0 >= y1:
        raise ReportParameterError(f"parameter 'years': the first year must be before the last, got {value!r}")
    return [y0, y1]


def _v_years_list(value: Any, params: dict, data_dir: Path | None) -> Any:
    return [check_year("pyramid_years", y) for y in value]


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
    checks = _checks(values)
    for name, value in values.items():
        check = checks.get(name)
        if check is not None and name != "data_dir":
            out[name] = check(value, out, as_workspace(ddir))
    return out


# The reports' own parameters; the projection and the plans register theirs in their modules.
for _name, _check in (("territory", _v_territory), ("language", _v_language), ("years", _v_years),
                      ("pyramid_years", _v_years_list), ("peers", _v_peers), ("data_dir", _v_data_dir),
                      ("n_similar", non_negative_check("n_similar"))):
    register_check(_name, _check)
_PROJECTION, _PLANS = "cityindicators.projection.parameters", "cityindicators.plans.parameters"
#: Where the check of a parameter owned by another area is registered: that module is imported
#: when a template declares the parameter (the plans, heavy to import, only for a monitoring report).
PARAMETER_OWNERS = {"scenarios": _PROJECTION, "projection_scenarios": _PROJECTION, "base_year": _PROJECTION,
                    "horizon": _PROJECTION, "target_year": _PROJECTION, "trajectories": _PROJECTION,
                    "target": _PROJECTION, "working_age_target": _PROJECTION, "plan": _PLANS}
#: Checks of the values of well-known parameters (name -> check returning the normalised value):
#: the registry of :mod:`cityindicators.parameter_checks`.
VALIDATORS = CHECKS


def _checks(names) -> dict[str, Check]:
    """The registered checks, the modules of the owners of ``names`` imported first."""
    import importlib

    for module in dict.fromkeys(PARAMETER_OWNERS[n] for n in names if n in PARAMETER_OWNERS):
        importlib.import_module(module)
    return CHECKS


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
    if not isinstance(template, (str, os.PathLike)):  # a notebook read already
        specs, label = read_parameters(template), "<notebook>"
    else:
        path = template_path(template, notebooks_dir)
        specs, label = template_specs(path), path.stem
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
    checks = _checks(values)
    for name in values:
        check = checks.get(name)
        if check is not None and name != "data_dir":
            # the process's workspace of the folder: a batch checking many plans computes their
            # indicators on count arrays built once
            values[name] = check(values[name], values, as_workspace(data_dir) if data_dir else None)
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
    base, said = values.get("base_year") or 0, ""
    if not base and "base_year" in values and data_dir:
        # 0: the territory's latest year, the projection's base; found here so that a year before it is
        # refused as for a base year given
        base = latest_population_year(values.get("territory"), as_workspace(data_dir))
        said = " (the latest year of the territory's population data; base_year 0)"
    if base:
        # a target year was found only after the projection ran, as an internal error of the target section;
        # a pyramid year was left out of its chart without a word
        for name in ("target_year", "pyramid_years"):
            ys = values.get(name)
            early = [y for y in ([ys] if isinstance(ys, int) else (ys or [])) if y <= base]
            if early:
                shown = early[0] if isinstance(ys, int) else early
                raise ReportParameterError(f"template {label!r}: {name} {shown} must be after the base_year {base}{said}")
    trajectories, horizon = values.get("trajectories"), values.get("horizon")
    if trajectories and horizon and base:
        # a mistyped count (a billion) was refused by the projection only once the notebook ran
        from ..projection.stochastic import check_memory

        try:
            check_memory(int(trajectories), int(horizon) - base, 1)
        except CityIndicatorsError as exc:
            raise ReportParameterError(f"template {label!r}: parameter 'trajectories': {exc}") from None
    return values


def latest_population_year(code: Any, workspace) -> int:
    """The latest year of ``code``'s population by single age in ``workspace``: the base year a
    projection takes when none is given (:func:`~cityindicators.projection.api.project`); 0 when the
    data directory has no such table or the territory no rows in it (the report then says so itself)."""
    if not isinstance(code, str):
        return 0
    try:
        return workspace.latest_population_years().get(code, 0)
    except (CityIndicatorsError, OSError):
        return 0

