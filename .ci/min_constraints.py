"""Print a pip constraints file pinning every declared ``>=`` minimum of pyproject.toml.

``python .ci/min_constraints.py > /tmp/min.txt`` turns ``pandas>=2.1.1`` into
``pandas==2.1.1`` for the dependencies and the ``dev`` extra (an extra such as
``dask[distributed]`` is pinned by its package name). ``.ci/run`` installs the project with
these constraints in a separate venv and runs the fast tests, so a declared minimum that does
not work fails CI. Requirements without a lower bound are left out (pip picks the newest).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the TOML reader that pip itself carries
    from pip._vendor import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
_LOWER = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)")


def minimum_pins(pyproject: Path = PYPROJECT, extras: tuple[str, ...] = ("dev",)) -> list[str]:
    """``name==minimum`` for every requirement with a ``>=`` bound, in file order."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = list(project.get("dependencies", []))
    for extra in extras:
        requirements += project.get("optional-dependencies", {}).get(extra, [])
    pins = []
    for req in requirements:
        m = _LOWER.match(req)
        if m:
            pins.append(f"{m.group(1)}=={m.group(2)}")
    return pins


if __name__ == "__main__":
    sys.stdout.write("".join(f"{pin}\n" for pin in minimum_pins()))
