"""Third-party modules whose import costs seconds and that the package's processes hardly use,
imported when first used instead.

``rfc3987_syntax`` compiles its IRI grammar when imported: about 1.8 CPU s, more than the rest of
a report worker's imports together. It is installed with JupyterLab (``jupyter-events`` asks
for ``jsonschema[format-nongpl]``), and ``jsonschema`` imports it at its own import, which
``nbformat`` does, for a ``"format": "iri"`` check that no notebook schema uses. Every process
that runs reports (the command line, each batch worker) paid it. :func:`defer_rfc3987_syntax`
puts a stand-in into :data:`sys.modules`; the real module is imported the first time anything
of it is used (``is_valid_syntax`` called, any other name looked up), so whoever needs the check
gets the same answers, later.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

__all__ = ["defer_rfc3987_syntax"]

RFC3987_SYNTAX = "rfc3987_syntax"


class _Deferred(types.ModuleType):
    """Stand-in of a module not imported yet: any name looked up imports the real one (which
    then replaces the stand-in in :data:`sys.modules`) and is taken from it."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name not in ("__all__", "__version__"):
            raise AttributeError(name)  # import machinery and introspection: no reason to load
        return getattr(_real(self.__name__), name)


def _real(name: str) -> types.ModuleType:
    """The real module ``name``, imported now in place of its stand-in (once)."""
    if isinstance(sys.modules.get(name), _Deferred):
        del sys.modules[name]
    return importlib.import_module(name)


def _is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
    # what jsonschema binds at its import: the real function, called on first use
    return _real(RFC3987_SYNTAX).is_valid_syntax(*args, **kwargs)


def defer_rfc3987_syntax() -> None:
    """Put a stand-in of ``rfc3987_syntax`` into :data:`sys.modules` unless it is imported
    already or not installed (then nothing changes)."""
    if RFC3987_SYNTAX in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(RFC3987_SYNTAX)
    except (ImportError, ValueError):
        return
    if spec is None:
        return
    stand_in = _Deferred(RFC3987_SYNTAX)
    stand_in.__spec__ = spec
    stand_in.__path__ = list(spec.submodule_search_locations or [])  # its submodules import as usual
    stand_in.is_valid_syntax = _is_valid_syntax  # type: ignore[attr-defined]
    sys.modules[RFC3987_SYNTAX] = stand_in
