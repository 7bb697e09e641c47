"""Honest packaging: what the package imports is declared, what is declared is used, and the CI
step for the declared minimums pins exactly the lower bounds."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "cityindicators"
#: Declared but not imported: they run the notebooks (kernel) and are the workbench (JupyterLab).
RUNTIME_TOOLS = {"ipykernel", "jupyterlab"}
#: Imported where present, in the dev extra: without playwright the reports come without PDF
#: and say so (reports/pdf.py).
OPTIONAL = {"playwright"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(extra: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = project["optional-dependencies"][extra] if extra else project["dependencies"]
    names = set()
    for req in reqs:
        m = re.match(r"\s*([A-Za-z0-9._-]+)\s*(?:\[([^\]]*)\])?", req)
        names.add(_normal(m.group(1)))
        names |= {_normal(e) for e in (m.group(2) or "").split(",") if e.strip()}  # dask[distributed]
    return names


def _imported_distributions() -> dict[str, set[str]]:
    """Distribution -> the package's modules that import it (third-party imports only)."""
    dists = packages_distributions()
    out: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top in sys.stdlib_module_names or top in ("cityindicators", "__future__"):
                    continue
                if top == "pytest":  # cityindicators.testing: optional, for the consultant's own tests
                    continue
                for dist in dists.get(top, [top]):
                    out.setdefault(_normal(dist), set()).add(str(path.relative_to(SRC)))
    return out


def test_every_imported_package_is_declared():
    declared = _declared()
    missing = {d: sorted(m) for d, m in _imported_distributions().items() if d not in declared | OPTIONAL}
    assert not missing, f"imported but not in pyproject's dependencies: {missing}"


def test_every_declared_dependency_is_imported():
    # dask is declared as dask[distributed] for the distributed scheduler, which is imported
    unused = _declared() - set(_imported_distributions()) - RUNTIME_TOOLS - {"dask"}
    assert not unused, f"declared in pyproject but imported nowhere in the package: {sorted(unused)}"


def _min_constraints():
    spec = importlib.util.spec_from_file_location("min_constraints", ROOT / ".ci" / "min_constraints.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_min_constraints_pin_the_lower_bounds(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\ndependencies = ["pandas>=2.1.1", "dask[distributed]>=2024.1", "plain",'
        ' "numpy >= 1.24.4, <3"]\n[project.optional-dependencies]\ndev = ["pytest>=7.4"]\nother = ["no>=1"]\n',
        encoding="utf-8")
    pins = _min_constraints().minimum_pins(pyproject)
    assert pins == ["pandas==2.1.1", "dask==2024.1", "numpy==1.24.4", "pytest==7.4"]


def test_min_constraints_cover_every_bounded_dependency():
    pins = {p.split("==")[0] for p in _min_constraints().minimum_pins()}
    assert {"pandas", "numpy", "pandera", "ipykernel", "nbconvert", "pytest"} <= pins
