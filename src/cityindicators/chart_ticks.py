"""A chart's ticks computed once per saving, however many drawings and layouts ask, and their
lines drawn at once.

matplotlib works out an axis's ticks (the locator's positions, the formatter's labels, the tick
artists moved to them) every time anything needs them: the drawing of the axis, the box of its
tick labels, the placement of its own and of every sibling axis's label. Saving a chart draws it
twice (Agg at 300 dpi, then SVG) and finds its content box in between, and a panel's axis does
the same work some ten times over: a quarter of the CPU time of saving a chart. Between those
drawings nothing the ticks depend on changes (the view limits, the locator and formatter, the
panel's size in inches, never the resolution), so :func:`ticks_computed_once` keeps each axis's
result for the block and hands it back while all of those are as they were; anything else
changed, and the ticks are worked out afresh.

Inside the same block an axis draws the grid lines of all its ticks as one line and their tick
marks as one line of markers (:func:`_drawn_at_once`), where matplotlib draws two or three lines
for every tick, each with its own graphics context, path and transform: some 0.03 CPU s a
chart over its two drawings (the labels are drawn as before, one text each). Only ticks whose
lines are alike in everything that decides their drawing are drawn so; any other axis is drawn
tick by tick.

Also inside the block, an axis that needs more ticks than it has (the first drawing of a chart
asks for all of them: some 20 a chart) makes the first of them as matplotlib does and the
others as copies of that one (:func:`_ticks_copied`). matplotlib builds each new tick afresh
(two lines with their markers, a grid line, two texts, every property looked up in the rc
settings) and then copies the first tick's properties onto it, recreating the markers: some
0.4 ms a tick, a quarter of a chart's first drawing. Two ticks so made are alike in every
property, so a copy of the first with artists of its own is the tick matplotlib would make.

The boxes of an axis's tick labels, which a drawing asks for three or four times (to draw the
axis, to place its label and each sibling axis's label, to find the chart's content), are
measured once per renderer too (:func:`_label_boxes_once`), for as long as the ticks, their
labels and the panel's place are as they were.

The pictures are matplotlib's own (``tests/test_chart_ticks.py``).
"""

from __future__ import annotations

import contextlib
import copy
import math
from typing import Iterator

from matplotlib.axis import Axis, Tick, XAxis, XTick, YAxis, YTick
from matplotlib.cbook import CallbackRegistry
from matplotlib.lines import Line2D
from matplotlib.text import Text

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


#: The tick lines of each kind (grid line, first and second tick mark).
_LINES = ("gridline", "tick1line", "tick2line")


def _line_style(line: Line2D) -> tuple | None:
    """Everything that decides how a tick's line is drawn but its place, or ``None`` when the
    line has something a line of many ticks would not draw alike (path effects, a sketch, a
    link, an id, a filter, rasterizing, a draw style or marker subsampling)."""
    if (line.get_path_effects() or line.get_sketch_params() is not None or line.get_gid() is not None
            or line.get_url() is not None or line.get_agg_filter() is not None or line.get_rasterized()
            or line.get_drawstyle() != "default" or line.get_markevery() is not None or line.get_animated()
            or type(line) is not Line2D):
        return None
    return (line.get_visible(), id(line.get_transform()), line.get_clip_on(), id(line.clipbox), id(line._clippath),
            repr(line.get_color()), line.get_alpha(), line.get_linewidth(), line.get_linestyle(),
            repr(getattr(line, "_dash_pattern", None)), repr(line.get_gapcolor()), line.get_marker(),
            line.get_markersize(), line.get_markeredgewidth(), repr(line.get_markeredgecolor()),
            repr(line.get_markerfacecolor()),
            repr(line.get_markerfacecoloralt()), line.get_fillstyle(), line.get_antialiased(), line.get_snap(),
            line.get_solid_capstyle(), line.get_solid_joinstyle(), line.get_dash_capstyle(),
            line.get_dash_joinstyle(), line.get_zorder())


def _lines_at_once(ticks: list) -> list[Line2D] | None:
    """One line for each kind of line of ``ticks`` (visible ticks whose lines of each kind are
    alike, :func:`_line_style`): the ticks' segments one after the other, separated by a gap
    (NaN) where the line is stroked; ``None`` when the ticks' lines differ in anything."""
    if not ticks or not all(type(tick).draw is Tick.draw and tick.get_visible() for tick in ticks):
        return None
    out = []
    for name in _LINES:
        first = getattr(ticks[0], name)
        if not first.get_visible():
            if any(getattr(tick, name).get_visible() for tick in ticks[1:]):
                return None
            continue
        style = _line_style(first)
        if style is None or any(_line_style(getattr(tick, name)) != style for tick in ticks[1:]):
            return None
        stroked = first.get_linestyle() not in ("None", "none", " ", "")
        xs, ys = [], []
        for tick in ticks:
            line = getattr(tick, name)
            xs.extend(line.get_xdata(orig=False))
            ys.extend(line.get_ydata(orig=False))
            if stroked:  # a gap between the ticks' segments (markers alone need none)
                xs.append(math.nan)
                ys.append(math.nan)
        # a copy of the first tick's line (its style, transform, clipping and marker), never
        # added to the figure: it tells nothing that it changed, and only its data are its own
        batch = copy.copy(first)
        batch.stale_callback = None
        batch.set_data(xs, ys)
        out.append(batch)
    return out


#: While an axis draws its ticks at once: ``(ids of its ticks, [lines not yet drawn])``.
_DRAWING: tuple[set, list] | None = None


def _axis_draw_at_once(original):
    def draw(self, renderer):
        global _DRAWING
        memo = _TICKS
        if memo is None or _DRAWING is not None or not self.get_visible():
            return original(self, renderer)
        ticks = self._update_ticks()  # as the drawing will find them (computed once in the block)
        key = ("lines", id(self))
        kept = memo.get(key)
        state = (_state(self), tuple(id(tick) for tick in ticks))
        if kept is not None and kept[0] is self and kept[1] == state:
            lines = kept[2]
        else:
            lines = _lines_at_once(ticks)
            memo[key] = (self, state, lines)
        if lines is None:
            return original(self, renderer)
        _DRAWING = ({id(tick) for tick in ticks}, list(lines))
        try:
            return original(self, renderer)
        finally:
            _DRAWING = None

    draw._cityindicators_once = True
    return draw


def _tick_draw_at_once(original):
    def draw(self, renderer):
        drawing = _DRAWING
        if drawing is None or id(self) not in drawing[0]:
            return original(self, renderer)
        # matplotlib's Tick.draw with the lines of all the axis's ticks drawn by the first one
        renderer.open_group(self.__name__, gid=self.get_gid())
        while drawing[1]:
            drawing[1].pop(0).draw(renderer)
        self.label1.draw(renderer)
        self.label2.draw(renderer)
        renderer.close_group(self.__name__)
        self.stale = False

    draw._cityindicators_once = True
    return draw


#: A tick's artists (those of matplotlib's ``Tick.get_children``), and the kind of each.
_ARTISTS = (("tick1line", Line2D), ("tick2line", Line2D), ("gridline", Line2D), ("label1", Text), ("label2", Text))


def _own_state(artist) -> bool:
    """Whether ``artist`` holds nothing a copy would share with it by mistake: no callbacks, no
    container to be removed from, no sticky edges (older matplotlib versions give every artist
    empty lists of them: a copy gets lists of its own) and, for a text, no box around it (an
    artist of its own); a tick that matplotlib has just made holds none of these."""
    sticky = artist._sticky_edges
    return (not artist._callbacks.callbacks and artist._remove_method is None
            and (sticky is None or not (sticky.x or sticky.y)) and getattr(artist, "_bbox_patch", None) is None)


def _copyable(tick) -> bool:
    """Whether ``tick`` is one of matplotlib's plain x or y ticks with plain artists that
    :func:`_tick_copy` copies whole."""
    return (type(tick) in (XTick, YTick) and _own_state(tick)
            and all(type(getattr(tick, name, None)) is kind and _own_state(getattr(tick, name))
                    for name, kind in _ARTISTS))


def _artist_copy(artist):
    """A copy of ``artist`` with every property of it and callbacks of its own (none: see
    :func:`_own_state`). Its data, font, markers and transforms are either replaced whole when
    changed (data, markers, transforms: shared, as matplotlib shares the transforms between its
    ticks) or changed in place (the font: copied)."""
    new = object.__new__(type(artist))
    new.__dict__.update(artist.__dict__)
    new._callbacks = CallbackRegistry(signals=["pchanged"])
    if artist._sticky_edges is not None:
        new._sticky_edges = type(artist._sticky_edges)([], [])
    if isinstance(artist, Text):
        new._fontproperties = artist._fontproperties.copy()
    else:
        new._xorig, new._yorig = copy.copy(artist._xorig), copy.copy(artist._yorig)
    return new


def _tick_copy(tick):
    """A tick like ``tick`` (see :func:`_copyable`) in every property, with artists of its own."""
    new = object.__new__(type(tick))
    new.__dict__.update(tick.__dict__)
    new._callbacks = CallbackRegistry(signals=["pchanged"])
    for name, _kind in _ARTISTS:
        setattr(new, name, _artist_copy(getattr(tick, name)))
    return new


def _ticks_copied(original):
    """``Axis.get_major_ticks`` whose new ticks after the first are copies of the first new one
    (matplotlib's own making, the first tick's properties copied onto it)."""
    def get_major_ticks(self, numticks=None):
        if numticks is None or type(self) not in (XAxis, YAxis):
            return original(self, numticks)
        have = len(self.majorTicks)
        if numticks - have >= 2:
            original(self, have + 1)
            made = self.majorTicks[-1]
            if _copyable(made):
                while len(self.majorTicks) < numticks:
                    self.majorTicks.append(_tick_copy(made))
        return original(self, numticks)

    get_major_ticks._cityindicators_once = True
    return get_major_ticks


def _label_boxes_once(original):
    """``Axis._get_ticklabel_bboxes`` kept per axis and renderer while the ticks (the same
    objects, with the same label texts), the axis's state (:func:`_state`) and the panel's place
    in the figure's pixels are as they were."""
    def get_ticklabel_bboxes(self, ticks, renderer=None):
        memo = _TICKS
        if memo is None or renderer is None:
            return original(self, ticks, renderer)
        key = ("boxes", id(self))
        state = (_state(self), tuple(self.axes.bbox.bounds), self.axes.figure.dpi,
                 tuple((id(tick), tick.label1.get_text(), tick.label2.get_text()) for tick in ticks))
        kept = memo.get(key)
        if kept is None or kept[0] is not self or kept[1] is not renderer or kept[2] != state:
            kept = memo[key] = (self, renderer, state, original(self, ticks, renderer))  # both kept alive
        first, second = kept[3]
        return list(first), list(second)  # lists of their own: callers add to them

    get_ticklabel_bboxes._cityindicators_once = True
    return get_ticklabel_bboxes


@contextlib.contextmanager
def ticks_computed_once() -> Iterator[None]:
    """While in the block, every axis works its ticks out once for as long as their inputs stay
    as they were, draws their lines at once, makes new ticks as copies of one made by
    matplotlib and measures its labels' boxes once per renderer (see the module's docstring).
    Inside another such block it shares that block's ticks; without matplotlib's
    ``Axis._update_ticks`` (present from 3.1 on) it does nothing."""
    global _TICKS
    original = getattr(Axis, "_update_ticks", None)
    if original is None or _TICKS is not None:
        yield
        return
    _TICKS = {}
    axis_draw, tick_draw, major_ticks = Axis.draw, Tick.draw, Axis.get_major_ticks
    label_boxes = getattr(Axis, "_get_ticklabel_bboxes", None)  # (matplotlib 3.5 on)
    Axis._update_ticks = _update_ticks_once(original)
    Axis.draw = _axis_draw_at_once(axis_draw)
    Tick.draw = _tick_draw_at_once(tick_draw)
    Axis.get_major_ticks = _ticks_copied(major_ticks)
    if label_boxes is not None:
        Axis._get_ticklabel_bboxes = _label_boxes_once(label_boxes)
    try:
        yield
    finally:
        Axis._update_ticks = original
        Axis.draw, Tick.draw, Axis.get_major_ticks = axis_draw, tick_draw, major_ticks
        if label_boxes is not None:
            Axis._get_ticklabel_bboxes = label_boxes
        _TICKS = None
