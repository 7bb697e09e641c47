"""Each axis's ticks worked out once while a chart is saved (chart_ticks): matplotlib's own
pictures, and ticks worked out afresh whenever what they depend on changes."""

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
    assert svg.getvalue().replace(b"\n", b"") != b"" and _without_ids(svg.getvalue()) == _without_ids(fresh.getvalue())


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
