"""Each axis's ticks worked out once while a chart is saved (chart_ticks): matplotlib's own
pictures, and ticks worked out afresh whenever what they depend on changes; the lines of an
axis's ticks drawn at once, the same picture, unless its ticks differ."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator

from cityindicators import chart_ticks


def _panels() -> Figure:
    fig = Figure(figsize=(6, 3), dpi=100)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, sharey=True)  # shared axes: the label placement asks the siblings
    left.plot([2001, 2010, 2018], [1500, 2250, 2000])
    right.bar([1, 2, 3], [800, 1200, 400])
    left.set_xlabel("Metai")
    left.set_ylabel("Gyventojai")
    right.set_xlabel("Grupė")
    return fig


def _pixels(fig: Figure, dpi: float) -> np.ndarray:
    fig.dpi = dpi
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def _without_ids(svg: bytes) -> bytes:
    """The SVG without its clip-path ids (salted by the figure object's identity)."""
    import re

    return re.sub(rb'(id="|url\(#|href="#)[^"\)]+', rb"\1", svg)


def _geometry(svg: bytes) -> tuple[list, list, list]:
    """What an SVG draws, however it is grouped: the straight segments of its paths (each with
    its style), the places its markers are put at, and its texts, each sorted."""
    import re

    text = svg.decode()
    segments = []
    for d, style in re.findall(r'<path d="([^"]+)"(?: clip-path="[^"]*")? style="([^"]*)"', text):
        points = re.findall(r"([ML]) ([-0-9.e]+) ([-0-9.e]+)", d)
        segments += [(a[1:], b[1:], style) for a, b in zip(points, points[1:]) if b[0] == "L"]
    uses = re.findall(r'<use xlink:href="#[^"]+" x="([^"]+)" y="([^"]+)" style="([^"]*)"', text)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", text) + re.findall(r"<!-- (.*?) -->", text)  # as text or glyphs
    return sorted(segments), sorted(uses), sorted(texts)


def _labels(axis) -> list[str]:
    return [tick.label1.get_text() for tick in axis._update_ticks()]


def test_pictures_are_matplotlibs_own_and_each_axis_works_its_ticks_out_once(monkeypatch):
    own = {dpi: _pixels(_panels(), dpi) for dpi in (300, 72)}
    fig = _panels()
    computed: list = []
    original = Axis._update_ticks
    monkeypatch.setattr(Axis, "_update_ticks", lambda self: computed.append(self) or original(self))
    with chart_ticks.ticks_computed_once():
        at_300, at_72 = _pixels(fig, 300), _pixels(fig, 72)  # two drawings at two resolutions
        svg = io.BytesIO()
        fig.savefig(svg, format="svg", metadata={"Date": None}, bbox_inches="tight")  # and a moved, cropped one
    assert np.array_equal(at_300, own[300]) and np.array_equal(at_72, own[72])
    # four axes: each worked out once, where matplotlib does it a dozen times a drawing
    assert len(computed) == len({id(axis) for axis in computed}) == 4
    fresh = io.BytesIO()
    _panels().savefig(fresh, format="svg", metadata={"Date": None}, bbox_inches="tight")
    # the same segments, marks and texts, the tick lines of each axis one path and one row of marks
    segments, marks, texts = _geometry(svg.getvalue())
    assert (segments, marks, texts) == _geometry(fresh.getvalue()) and len(marks) >= 10 and texts
    assert svg.getvalue().count(b"id=\"line2d_") < fresh.getvalue().count(b"id=\"line2d_")


def test_tick_lines_are_drawn_at_once_only_when_alike():
    """The grid lines and marks of all ticks in one line each: the same picture at both
    resolutions; a tick styled apart from the others has its axis drawn tick by tick."""
    import matplotlib.lines as mlines

    drawn: list = []
    original = mlines.Line2D.draw

    def counting(self, renderer):
        drawn.append(self)
        return original(self, renderer)

    def styled() -> Figure:
        fig = _panels()
        fig.axes[0].xaxis.get_major_ticks()[1].tick1line.set_markeredgecolor("#D55E00")  # one tick mark apart
        return fig

    def lines_drawn(fig: Figure) -> int:
        fig.canvas.draw()  # the ticks made
        drawn.clear()
        mlines.Line2D.draw = counting
        try:
            with chart_ticks.ticks_computed_once():
                fig.canvas.draw()
        finally:
            mlines.Line2D.draw = original
        return len(drawn)

    plain = _panels()
    ticks = sum(len(a._update_ticks()) for ax in plain.axes for a in (ax.xaxis, ax.yaxis))
    at_once, apart = lines_drawn(plain), lines_drawn(styled())
    assert at_once < ticks  # matplotlib draws two lines (a grid line and a mark) per tick
    assert apart >= at_once + len(styled().axes[0].xaxis._update_ticks()) - 1  # that axis tick by tick
    own = {dpi: _pixels(styled(), dpi) for dpi in (300, 72)}
    fresh = io.BytesIO()
    styled().savefig(fresh, format="svg", metadata={"Date": None})
    fig = styled()
    with chart_ticks.ticks_computed_once():
        at_300, at_72 = _pixels(fig, 300), _pixels(fig, 72)
        svg = io.BytesIO()
        fig.savefig(svg, format="svg", metadata={"Date": None})
    assert np.array_equal(at_300, own[300]) and np.array_equal(at_72, own[72])
    assert _geometry(svg.getvalue()) == _geometry(fresh.getvalue()) and b"#d55e00" in svg.getvalue()


def test_ticks_follow_new_limits_locators_and_sizes_inside_the_block():
    fig = _panels()
    ax = fig.axes[0]
    with chart_ticks.ticks_computed_once():
        before = _labels(ax.xaxis)
        ax.set_xlim(2000, 2050)
        wider = _labels(ax.xaxis)
        ax.xaxis.set_major_locator(FixedLocator([2000, 2025, 2050]))
        fixed = _labels(ax.xaxis)
        fig.set_size_inches(2, 3)  # a narrow panel: fewer automatic ticks on the y axis
        narrow = _labels(fig.axes[1].xaxis)
    expected = _panels()
    assert before == _labels(expected.axes[0].xaxis)
    expected.axes[0].set_xlim(2000, 2050)
    assert wider == _labels(expected.axes[0].xaxis) != before
    assert fixed == ["2000", "2025", "2050"]
    expected.set_size_inches(2, 3)
    assert narrow == _labels(expected.axes[1].xaxis)


def test_outside_the_block_matplotlib_works_ticks_out_as_ever():
    fig = _panels()
    ax = fig.axes[0]
    with chart_ticks.ticks_computed_once():
        with chart_ticks.ticks_computed_once():  # nested: one memory, left with the outer block
            _labels(ax.xaxis)
        assert chart_ticks._TICKS
    assert chart_ticks._TICKS is None and not hasattr(Axis._update_ticks, "_cityindicators_once")
    ax.set_xlim(1990, 2000)
    assert _labels(ax.xaxis)[0].startswith("1990")
