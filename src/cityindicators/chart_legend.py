"""A chart's legends laid out once each time one is drawn or measured.

A matplotlib legend is a tree of boxes (a column of rows, each row a handle and a text), and each
box works its size out from its children's every time it is asked. Drawing a legend asks the top
box for its extent, then draws it, which asks again, and every box drawn asks for its children's
sizes once more: a text's box is worked out some five times a drawing, and a legend placed at the
"best" place searches for it twice.

Within one drawing or one measurement of a legend nothing those answers depend on changes (the
renderer, the texts and their fonts, the handles, the data the "best" place avoids; moving a box
changes no size), so inside :func:`legends_laid_out_once` each box of a legend being drawn or
measured works its size out once for that call and hands the same answer back; the next call
(another renderer, or the same one later) works everything out afresh. A legend whose boxes
stretch to a width (``mode="expand"``) is left to matplotlib.

The pictures are matplotlib's own (``tests/test_chart_legend.py``).
"""

from __future__ import annotations

import contextlib
import functools
from typing import Iterator

from matplotlib.legend import Legend
from matplotlib.offsetbox import HPacker, OffsetBox, TextArea, VPacker
from matplotlib.transforms import Bbox

__all__ = ["legends_laid_out_once"]

#: While a legend is drawn or measured: ``(renderer, {key: (box, answer)})``; ``None`` otherwise.
_CALL: tuple | None = None


def _in_one_call(original):
    """``Legend.draw``, ``get_window_extent`` or ``get_tightbbox`` with its boxes' answers kept
    for the call."""
    @functools.wraps(original)  # (with matplotlib's marks, such as the drawing's rasterization support)
    def method(self, renderer=None, *args, **kwargs):
        global _CALL
        if _CALL is not None or renderer is None or self._mode == "expand":
            return original(self, renderer, *args, **kwargs)
        _CALL = (renderer, {})
        try:
            return original(self, renderer, *args, **kwargs)
        finally:
            _CALL = None

    method._cityindicators_once = True
    return method


def _kept(original):
    """A box's ``get_bbox`` or ``_get_bbox_and_child_offsets``, answered once per legend call."""
    @functools.wraps(original)
    def method(self, renderer):
        call = _CALL
        if call is None or renderer is not call[0]:
            return original(self, renderer)
        key = (id(self), original)
        kept = call[1].get(key)
        if kept is None:
            kept = call[1][key] = (self, original(self, renderer))  # the box kept too: its id stays its own
        return kept[1]

    method._cityindicators_once = True
    return method


def _offset_kept(original):
    """``OffsetBox.get_offset`` of a box placed by a function (a legend's top box, placed by
    ``Legend._findoffset``: at the "best" place, a search among the data) once per legend call
    and extent; the other boxes' offsets are set by their parents as they are drawn, and read."""
    @functools.wraps(original)
    def get_offset(self, *args, **kwargs):
        call = _CALL
        if call is None or kwargs or len(args) != 2 or args[1] is not call[0] or not callable(self._offset) \
                or not isinstance(args[0], Bbox):
            return original(self, *args, **kwargs)
        key = (id(self), "offset", tuple(args[0].bounds))
        kept = call[1].get(key)
        if kept is None:
            kept = call[1][key] = (self, original(self, *args))
        return kept[1]

    get_offset._cityindicators_once = True
    return get_offset


#: ``(class, method name, wrapper)`` of what the block replaces.
_PATCHES = ((Legend, "draw", _in_one_call), (Legend, "get_window_extent", _in_one_call),
            (Legend, "get_tightbbox", _in_one_call), (OffsetBox, "get_offset", _offset_kept),
            (VPacker, "_get_bbox_and_child_offsets", _kept), (HPacker, "_get_bbox_and_child_offsets", _kept),
            (TextArea, "get_bbox", _kept))


@contextlib.contextmanager
def legends_laid_out_once() -> Iterator[None]:
    """While in the block, each box of a legend works its size out once per drawing or
    measurement of the legend (see the module's docstring). Nested blocks share the outer one;
    a matplotlib without one of the methods replaced is left as it is."""
    if any(getattr(vars(cls).get(name), "_cityindicators_once", False) for cls, name, _ in _PATCHES) \
            or not all(name in vars(cls) for cls, name, _ in _PATCHES):
        yield
        return
    originals = [(cls, name, vars(cls)[name]) for cls, name, _ in _PATCHES]
    for (cls, name, wrap), (_, _, original) in zip(_PATCHES, originals):
        setattr(cls, name, wrap(original))
    try:
        yield
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)
