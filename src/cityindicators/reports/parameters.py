"""Report parameters: conversion of command-line strings, type checks and the value checks.

:func:`validate_parameters` checks a run's parameters against its template's ``parameters``
cell (:mod:`.template`) and then each well-known parameter with its validator in
:data:`VALIDATORS` (an unknown territory, a language other than ``lt``/``en``, years out of
order...), raising :class:`ReportParameterError` before anything runs.
"""

from __future__ import annotations

import ast
import copy
import os
from pathlib import Path
from typing import Any, Callable, Mapping

import nbformat

from ..config import DataPaths, resource_path
from ..exceptions import CityIndicatorsError, ReportParameterError, UnknownTerritoryError
from ..geography import get_register
from ..i18n import LANGUAGES
from .template import read_parameters, template_path, template_specs

__all__ = ["VALIDATORS", "FILE_PARAMETERS", "validate_parameters", "check_notebook_parameters", "report_data_dir"]


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
    "working_age_target": _v_non_negative("working_age_target"),
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

