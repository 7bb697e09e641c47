"""Lazy re-exports for package ``__init__`` modules (PEP 562).

A package lists its public names and the submodule that defines each (``_LAZY``) and calls
:func:`make_lazy`; a submodule is imported the first time one of its names is used. This keeps
``import cityindicators`` (and so the command line's quick commands) free of pandas, pandera
and numpy, while ``cityindicators.load`` and ``from cityindicators.projection import project``
work as before.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__all__ = ["make_lazy"]


class _LazyPackage(types.ModuleType):
    """A package whose public names (its ``_LAZY`` mapping) are imported on first use."""

    def __getattr__(self, name: str) -> Any:
        lazy = self.__dict__.get("_LAZY", {})
        if name in lazy:
            value = getattr(importlib.import_module(f".{lazy[name]}", self.__name__), name)
            super().__setattr__(name, value)  # later look-ups find it without coming here
            return value
        if not name.startswith("__"):  # ``ci.store``: a submodule as attribute, as after an import
            try:
                return importlib.import_module(f".{name}", self.__name__)
            except ModuleNotFoundError as exc:
                if exc.name != f"{self.__name__}.{name}":
                    raise  # the submodule exists but one of its own imports is missing
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing a submodule sets it as an attribute of its package. Where a public name is
        # also the name of its module (``projection.backtest``, the function, in
        # ``projection/backtest.py``), the function must win, as it did with eager imports.
        lazy = self.__dict__.get("_LAZY", {})
        if (lazy.get(name) == name and isinstance(value, types.ModuleType)
                and value.__name__ == f"{self.__name__}.{name}"):
            value = getattr(value, name)
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(self.__dict__) | set(self.__dict__.get("_LAZY", {})))


def make_lazy(package: str) -> None:
    """Make the names of the package's ``_LAZY`` mapping (name -> submodule) import on first use.

    Call at the end of the package's ``__init__``: ``make_lazy(__name__)``.
    """
    sys.modules[package].__class__ = _LazyPackage
