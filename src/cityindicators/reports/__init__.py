"""Reports: parameterised notebooks, their runner, HTML export, batches and texts.

Submodules: :mod:`.i18n` (every label in Lithuanian and English), :mod:`.findings` (key-finding
sentences from computed values), :mod:`.sections` (one call per notebook section),
:mod:`.runner` (parameter checks, papermill execution, export, manifest, batches).
The submodules are imported on use so that ``plotting`` can use :mod:`.i18n` without pulling in
the runner.
"""

from __future__ import annotations

__all__ = ["run_report", "run_batch", "validate_parameters", "read_parameters", "TEMPLATES"]


def __getattr__(name: str):
    if name in __all__:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
