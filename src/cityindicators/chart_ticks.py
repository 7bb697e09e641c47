"""A chart's ticks computed once per saving, however many drawings and layouts ask.

matplotlib works out an axis's ticks (the locator's positions, the formatter's labels, the tick
artists moved to them) every time anything needs them: the drawing of the axis, the box of its
tick labels, the placement of its own and of every sibling axis's label. Saving a chart draws it
twice (Agg at 300 dpi, then SVG) and finds its content box in between, and a panel's axis does
the same work some ten times over: a quarter of the CPU time of saving a chart. Between those
drawings nothing the ticks depend on changes (the view limits, the locator and formatter, the
panel's size in inches, never the resolution), so :func:`ticks_computed_once` keeps each axis's
result for the block and hands it back while all of those are as they were; anything else
changed, and the ticks are worked out afresh.

The pictures are matplotlib's own (``tests/test_chart_ticks.py``).
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from matplotlib.axis import Axis

__all__ = ["ticks_computed_once"]

#: ``id(axis) -> (axis, key, ticks)`` while a block is open; ``None`` outside one.
_TICKS: dict[int, tuple] | None = None


def _state(axis) -> tuple:
    """What an axis's ticks depend on: its view limits, locators and formatters (the objects:
    none is reconfigured while a chart is saved), its scale, and the panel's size in inches (the
    number of ticks an automatic locator picks follows the axis's length), but neither the
    figure's resolution nor the panel's place (savefig moves it to crop the figure)."""
    dpi = axis.axes.figure.dpi
    return (tuple(axis.get_view_interval()), id(axis.major.locator), id(axis.major.formatter),
            id(axis.minor.locator), id(axis.minor.formatter), axis.get_scale(),
            round(axis.axes.bbox.width / dpi, 6), round(axis.axes.bbox.height / dpi, 6))  # as drawn, in inches


def _update_ticks_once(original):
    def update_ticks(self):
        memo = _TICKS
        if memo is None:
            return original(self)
        key = _state(self)
        kept = memo.get(id(self))
        if kept is not None and kept[0] is self and kept[1] == key:
            return list(kept[2])
        ticks = original(self)
        memo[id(self)] = (self, key, list(ticks))  # the axis kept too: its id stays its own
        return ticks

    update_ticks._cityindicators_once = True
    return update_ticks


@contextlib.contextmanager
def ticks_computed_once() -> Iterator[None]:
    """While in the block, every axis works its ticks out once for as long as their inputs stay
    as they were (see the module's docstring). Inside another such block it shares that block's
    ticks; without matplotlib's ``Axis._update_ticks`` (present from 3.1 on) it does nothing."""
    global _TICKS
    original = getattr(Axis, "_update_ticks", None)
    if original is None or _TICKS is not None:
        yield
        return
    _TICKS = {}
    Axis._update_ticks = _update_ticks_once(original)
    try:
        yield
    finally:
        Axis._update_ticks = original
        _TICKS = None
