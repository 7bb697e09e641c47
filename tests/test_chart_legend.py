"""Legends laid out once per drawing or measurement (chart_legend): matplotlib's own pictures,
each box's size worked out once a call, and nothing kept from one call to the next."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.offsetbox import TextArea

from cityindicators import chart_legend
from test_chart_ticks import _pixels  # a figure's pixels drawn at a resolution


def _legends() -> Figure:
    """A legend at the "best" place among the data, one with a title outside its panel, and a
    figure legend in columns with a label on two lines."""
    fig = Figure(figsize=(7, 3.5), dpi=100)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    for i, colour in enumerate(("#0072B2", "#E69F00", "#009E73")):
        left.plot([2001, 2010, 2018], [1500 + 300 * i, 2250 - 100 * i, 2000 + 50 * i], color=colour,
                  label=f"Scenarijus {i + 1}")
    left.legend(loc="best")
    right.bar([1, 2, 3], [800, 1200, 400], label="Gimę")
    right.plot([1, 3], [900, 500], "k--", label="Bendra kaita")
    right.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="Komponentai")
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, [*labels[:2], "Ilgas pavadinimas\nper dvi eilutes"], loc="lower center", ncol=3)
    fig.subplots_adjust(bottom=0.3, right=0.75)
    return fig


def _svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buf.getvalue()


def test_pictures_are_matplotlibs_own_and_each_text_box_is_sized_once_a_drawing(monkeypatch):
    own = {dpi: _pixels(_legends(), dpi) for dpi in (300, 72)}
    import matplotlib as mpl

    with mpl.rc_context({"svg.hashsalt": "legend"}):
        own_svg = _svg(_legends())
    sized: list = []
    original = TextArea.get_bbox
    monkeypatch.setattr(TextArea, "get_bbox", lambda self, renderer: sized.append(self) or original(self, renderer))
    fig = _legends()
    _pixels(fig, 100)
    unpatched = len(sized)
    sized.clear()
    with chart_legend.legends_laid_out_once():
        at_300, at_72 = _pixels(fig, 300), _pixels(fig, 72)
        drawings = len(sized)
        with mpl.rc_context({"svg.hashsalt": "legend"}):
            svg = _svg(fig)  # a drawing to find the content, then the SVG's, both measuring the legends
    assert np.array_equal(at_300, own[300]) and np.array_equal(at_72, own[72])
    assert svg == own_svg
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    texts = sum(len(legend.texts) + bool(legend.get_title().get_text()) for legend in legends)
    # a drawing sizes each legend text (and the title) once; matplotlib sized them several times
    assert drawings == 2 * texts and unpatched >= 3 * texts


def test_nothing_is_kept_from_one_drawing_to_the_next():
    """A legend changed between two drawings in the block is drawn as changed, as matplotlib
    draws it; the block leaves matplotlib as it was."""
    def changed(fig: Figure) -> Figure:
        legend = fig.axes[0].get_legend()
        legend.texts[0].set_text("Kitas, daug ilgesnis pavadinimas")
        fig.axes[0].lines[0].set_ydata([2600, 2600, 2600])  # the "best" place elsewhere
        return fig

    expected = _pixels(changed(_legends()), 100)
    fig = _legends()
    with chart_legend.legends_laid_out_once():
        with chart_legend.legends_laid_out_once():  # nested: the outer block's
            before = _pixels(fig, 100)
        after = _pixels(changed(fig), 100)
    assert not np.array_equal(before, after) and np.array_equal(after, expected)
    from matplotlib.legend import Legend

    assert not any(getattr(getattr(Legend, name), "_cityindicators_once", False)
                   for name in ("draw", "get_window_extent", "get_tightbbox"))
    assert not hasattr(TextArea.get_bbox, "_cityindicators_once")


def test_a_legend_stretched_to_a_width_is_left_to_matplotlib(monkeypatch):
    def stretched() -> Figure:
        fig = _legends()
        fig.axes[0].legend(loc="upper left", mode="expand", ncol=2)
        return fig

    own = _pixels(stretched(), 100)
    sized: list = []
    original = TextArea.get_bbox
    monkeypatch.setattr(TextArea, "get_bbox", lambda self, renderer: sized.append(self) or original(self, renderer))
    fig = stretched()
    with chart_legend.legends_laid_out_once():
        picture = _pixels(fig, 100)
    expanded = fig.axes[0].get_legend()
    assert np.array_equal(picture, own)
    assert sum(box in expanded.texts for box in (s._text for s in sized)) > len(expanded.texts)  # sized as ever
