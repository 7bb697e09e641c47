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


def _styled_ticks() -> Figure:
    """Panels whose ticks carry settings of their own: the new ticks take them from the first."""
    fig = _panels()
    left, right = fig.axes
    left.tick_params(axis="x", labelrotation=30, labelsize=7, colors="#009E73", direction="in", pad=6)
    right.yaxis.grid(True)
    right.tick_params(axis="y", length=8, width=2, grid_color="#CC79A7", grid_alpha=0.6)
    left.xaxis.get_major_ticks()[0].label1.set_bbox({"facecolor": "#F0E442"})  # the first tick's own: not copied
    return fig


def _block_svg(fig: Figure) -> bytes:
    svg = io.BytesIO()
    with chart_ticks.ticks_computed_once():
        fig.savefig(svg, format="svg", metadata={"Date": None})
    return svg.getvalue()


def test_new_ticks_are_copies_of_one_matplotlib_made_and_draw_the_same_picture(monkeypatch):
    own = {dpi: _pixels(_styled_ticks(), dpi) for dpi in (300, 72)}
    with monkeypatch.context() as m:  # the block with every new tick made by matplotlib
        m.setattr(chart_ticks, "_ticks_copied", lambda original: original)
        fresh = _block_svg(_styled_ticks())
    made: list = []
    original = Axis._get_tick
    monkeypatch.setattr(Axis, "_get_tick", lambda self, major: made.append(self) or original(self, major))
    fig = _styled_ticks()
    made.clear()
    with chart_ticks.ticks_computed_once():
        at_300, at_72 = _pixels(fig, 300), _pixels(fig, 72)
        svg = _block_svg(fig)
    assert np.array_equal(at_300, own[300]) and np.array_equal(at_72, own[72])
    assert _without_ids(svg) == _without_ids(fresh) and all(c in svg for c in (b"#009e73", b"#cc79a7"))
    axes = [a for ax in fig.axes for a in (ax.xaxis, ax.yaxis)]
    # one new tick an axis made by matplotlib (the first tick was there), the others copied; the
    # left x axis had all its ticks already (made before the block, to set the first one's box)
    assert min(len(a.majorTicks) for a in axes) >= 4
    assert sorted(map(id, made)) == sorted(id(a) for a in axes if a is not fig.axes[0].xaxis)
    left = fig.axes[0].xaxis.majorTicks
    assert left[0].label1.get_bbox_patch() is not None and all(t.label1.get_bbox_patch() is None for t in left[1:])
    assert all(t.label1.get_rotation() == 30 and t.label1.get_fontsize() == 7 for t in left)


def test_copied_ticks_have_artists_of_their_own():
    fig = _panels()
    with chart_ticks.ticks_computed_once():
        fig.canvas.draw()
    ticks = fig.axes[0].yaxis.majorTicks
    a, b = ticks[2], ticks[3]
    assert a.label1 is not b.label1 and a.gridline is not b.gridline and a.tick1line is not b.tick1line
    a.label1.set_fontsize(15)  # in place, on the text's font
    a.label1.set_color("#D55E00")
    a.gridline.set_linewidth(3)
    assert b.label1.get_fontsize() != 15 and b.label1.get_color() != "#D55E00" and b.gridline.get_linewidth() != 3
    assert a.label1.get_text() != b.label1.get_text() and a.get_loc() != b.get_loc()
    calls: list = []
    a.label1.add_callback(calls.append)
    b.label1.set(color="#000000")
    assert not calls  # a change of one tells nothing to the other's listeners
    a.label1.set(color="#000000")
    assert calls


def test_only_ticks_with_nothing_to_share_are_copied():
    """A tick holding a listener, a box around its label or sticky edges is made by matplotlib
    (a copy would share them); so is a tick of another kind than matplotlib's x and y ticks."""
    from matplotlib.axis import XTick

    fig = _panels()
    tick = fig.axes[0].xaxis.get_major_ticks(2)[1]
    assert chart_ticks._copyable(tick)
    listened = fig.axes[0].xaxis.get_major_ticks(3)[2]
    listened.gridline.add_callback(print)
    boxed = fig.axes[0].yaxis.get_major_ticks(2)[1]
    boxed.label1.set_bbox({"facecolor": "#F0E442"})
    sticky = fig.axes[1].xaxis.get_major_ticks(2)[1]
    sticky.label2.sticky_edges.x.append(0.0)

    class OwnTick(XTick):
        pass

    other = OwnTick(fig.axes[0], 0)
    assert not any(chart_ticks._copyable(t) for t in (listened, boxed, sticky, other))


def test_tick_label_boxes_are_measured_once_per_renderer_while_the_ticks_stay(monkeypatch):
    measured: list = []
    original = Axis._get_ticklabel_bboxes
    def counted(self, ticks, renderer):
        measured.append((self, renderer))
        return original(self, ticks, renderer)

    monkeypatch.setattr(Axis, "_get_ticklabel_bboxes", counted)
    fig = _panels()
    fig.canvas.draw()
    unpatched = len(measured)
    measured.clear()
    renderer = fig.canvas.get_renderer()
    with chart_ticks.ticks_computed_once():
        fig.draw(renderer)
        fig.get_tightbbox(renderer)  # asks for every axis's label boxes again
        once = len(measured)
        boxes = fig.axes[0].xaxis._get_ticklabel_bboxes(fig.axes[0].xaxis._update_ticks(), renderer)[0]
        assert len(measured) == once  # the kept answer
        fig.axes[0].set_xlim(2000, 2050)  # other ticks: measured afresh
        wider = fig.axes[0].xaxis._get_ticklabel_bboxes(fig.axes[0].xaxis._update_ticks(), renderer)[0]
        assert len(measured) == once + 1
        svg = io.BytesIO()
        fig.savefig(svg, format="svg")  # another renderer: measured afresh
    assert once == 4 and unpatched > once  # four axes, once each
    assert len(measured) > once + 1 and [b.x0 for b in boxes] != [b.x0 for b in wider]
