"""Report templates: where a template notebook is found and what its ``parameters`` cell declares.

A template is a notebook (``notebooks/<name>.ipynb``, or any ``.ipynb`` path) whose one cell
tagged ``parameters`` holds literal assignments ``name: type = default  # comment``.
:func:`template_specs` parses that cell once per version of the file (path, modification time,
size), so a run or a batch reads each template once however many checks look at it.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import resource_path
from ..exceptions import ReportParameterError

if TYPE_CHECKING:
    import nbformat

__all__ = ["TEMPLATES", "NOTEBOOKS_ENV", "ParameterSpec", "template_path", "read_parameters", "template_specs"]

#: Shipped report templates (``notebooks/<name>.ipynb``), in the order a batch runs them.
TEMPLATES: tuple[str, ...] = ("situation_analysis", "scenarios")
#: Environment variable naming an extra folder of templates.
NOTEBOOKS_ENV = "CITYINDICATORS_NOTEBOOKS"


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


def _read_notebook(path: Path) -> "nbformat.NotebookNode":
    """The template at ``path``, or a :class:`ReportParameterError` naming it when it is no notebook: an
    empty file, another kind of file renamed ``.ipynb``, or JSON without a notebook's cells were an
    internal error (NotJSONError, TypeError) or an unnamed input that is not UTF-8."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except UnicodeDecodeError:
        raise ReportParameterError(f"{path}: not a Jupyter notebook (not UTF-8 text)") from None
    except (ValueError, nbformat.ValidationError, AttributeError, TypeError, KeyError) as exc:
        # NotJSONError is a ValueError; JSON of another shape fails the schema or the reader
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ReportParameterError(f"{path}: not a Jupyter notebook ({first[:120]})") from None
    return nb


def read_parameters(notebook: str | os.PathLike | nbformat.NotebookNode) -> dict[str, ParameterSpec]:
    """Read the ``parameters`` cell of a template.

    The cell must hold only assignments ``name: type = literal  # comment`` (or without the
    annotation, the type then being that of the literal).

    Raises
    ------
    ReportParameterError
        No or several ``parameters`` cells, or a statement that is not a literal assignment.
    """
    if not isinstance(notebook, (str, os.PathLike)):  # a notebook read already
        nb, path = notebook, Path("<notebook>")
    else:
        import nbformat  # imported here: a report's kernel checks its parameters without it

        path = Path(notebook)
        nb = _read_notebook(path)
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


def template_specs(path: Path) -> dict[str, ParameterSpec]:
    """:func:`read_parameters` of a template file, parsed once per version of the file."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _SPECS_CACHE:
        _SPECS_CACHE[key] = read_parameters(path)
    return _SPECS_CACHE[key]

