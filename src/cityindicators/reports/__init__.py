"""Reports: parameterised notebooks, their runner, HTML export, batches and texts.

Submodules: :mod:`.findings` (key-finding sentences from computed values), :mod:`.sections`
(one call per notebook section), and the pipeline that runs a template: :mod:`.template`
(the ``parameters`` cell, parsed once), :mod:`.parameters` (value checks), :mod:`.provenance`
(data snapshot, fingerprint), :mod:`.html_export` (HTML, charts, PDF), :mod:`.run` (one report),
:mod:`.batch` (many); :mod:`.runner` names them all for older callers. Texts in Lithuanian and English live in :mod:`cityindicators.i18n`,
below :mod:`cityindicators.plotting`. The runner is imported on use, so that importing the
package stays light.
"""

from __future__ import annotations

from .._deferred_imports import defer_rfc3987_syntax

# nbformat's import (the runner's) would otherwise compile an IRI grammar no report uses: 1.8 CPU s
defer_rfc3987_syntax()

__all__ = ["run_report", "run_batch", "validate_parameters", "read_parameters", "TEMPLATES"]


def __getattr__(name: str):
    if name in __all__:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
