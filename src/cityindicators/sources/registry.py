"""The register of source parsers: each source module registers the parser(s) that turn its
raw snapshots into canonical frames; the build looks them up here by the name a snapshot's
sidecar records (``meta["parser"]``).

A leaf of the ``sources`` layer: it imports nothing of the package, so a source registers
itself without importing :mod:`cityindicators.store`, and the store finds every parser by
importing the modules of :data:`SOURCE_MODULES` (below it) on first use.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

if TYPE_CHECKING:  # pandas is not imported for a type
    import pandas as pd

__all__ = ["Parser", "PARSERS", "SOURCE_MODULES", "register_parser", "parsers"]

log = logging.getLogger(__name__)

#: ``parser(path, meta) -> {processed dataset: canonical frame}``.
Parser = Callable[[Path, dict], "dict[str, pd.DataFrame]"]

#: Parser name -> function; filled by the source modules when they are imported.
PARSERS: dict[str, Parser] = {}

#: The modules that register parsers when imported (the ``sources`` layer's own).
SOURCE_MODULES = ("cityindicators.sources.extract", "cityindicators.sources.files", "cityindicators.sources.osp")


def register_parser(name: str, func: Parser) -> None:
    """Register ``func`` as the parser named ``name`` (the name snapshot sidecars record).

    Registering the same function again (a module imported twice) is harmless; another
    function under a name already taken is refused, as old snapshots would silently change
    meaning.
    """
    known = PARSERS.get(name)
    if known is not None and _qualified(known) != _qualified(func):
        raise ValueError(f"parser name {name!r} is already registered for {_qualified(known)}; "
                         f"{_qualified(func)} needs a name of its own")
    PARSERS[name] = func


def _qualified(func: Callable) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


def parsers() -> Mapping[str, Parser]:
    """Every registered parser, after importing the source modules that register them."""
    for mod in SOURCE_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:  # a source module not present in this install
            if exc.name != mod:
                raise
            log.debug("source module %s not available", mod)
    return PARSERS
