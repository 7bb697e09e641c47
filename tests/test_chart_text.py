"""The charts' text measured and laid out once per kernel (chart_text): the very pixels and
sizes matplotlib's own Agg and SVG renderers give, whichever renderer measured first."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from cityindicators import chart_text


def _texty_figure() -> Figure:
    fig = Figure(figsize=(4, 3))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.plot([2001, 2010, 2018], [1.5, 2.25, 2.0])
    ax.set_xlabel("Metai")
    ax.set_ylabel("Gyventojų skaičius, tūkst.")  # drawn at 90 degrees
    ax.set_title("Šiaulių r. sav.: ąčęėįšųūž ĄČĘĖĮŠŲŪŽ", loc="left")
    ax.annotate("pasvirasis užrašas", (2005, 2.0), rotation=30, fontsize=7)
    ax.text(2002, 1.6, "mmm 000 — 1 001", fontsize=13, fontweight="bold")
    fig.text(0.01, 0.01, "Šaltinis: Lietuvos statistikos departamentas", fontsize=7.5)
    fig.suptitle("Dviejų eilučių\nantraštė", x=0.6, fontsize=12, fontweight="bold")  # line spacing from the font's tables
    return fig


def _pixels(fig: Figure, renderer) -> np.ndarray:
    with chart_text.shared_text_metrics():
        fig.draw(renderer)
    return np.asarray(renderer.buffer_rgba()).copy()


@pytest.mark.parametrize("dpi", [120, 300])
def test_agg_pixels_are_matplotlibs_own_drawn_once_or_from_the_caches(dpi):
    fig = _texty_figure()
    fig.dpi = dpi
    width, height = fig.canvas.get_width_height(physical=True)
    fig.canvas.draw()  # by matplotlib's own renderer
    own = np.asarray(fig.canvas.buffer_rgba()).copy()
    chart_text._BITMAPS.clear()
    chart_text._glyph_layout.cache_clear()
    chart_text._HEIGHTS.clear()
    first = _pixels(fig, chart_text.agg_renderer(fig))
    again = _pixels(fig, chart_text.agg_renderer(fig))  # every glyph and layout from the caches
    assert first.shape == own.shape == (height, width, 4)
    assert np.array_equal(first, own)
    assert np.array_equal(again, own)
    if chart_text.caches_glyphs():  # an older matplotlib draws its text itself: nothing is kept
        assert chart_text._BITMAPS and chart_text._glyph_layout.cache_info().hits > 0
    else:
        assert not chart_text._BITMAPS


@pytest.mark.skipif(not chart_text.caches_glyphs(), reason="this matplotlib draws a whole string at once "
                    "(glyph-by-glyph drawing is matplotlib 3.11's): no glyph is kept")
def test_a_repeated_letter_is_rendered_once():
    fig = Figure(figsize=(3, 1), dpi=300)
    fig.text(0.1, 0.5, "00000000", fontsize=10)
    chart_text._BITMAPS.clear()
    _pixels(fig, chart_text.agg_renderer(fig))
    zeros = [k for k in chart_text._BITMAPS if k[1] == 10]
    assert len(zeros) == 1  # hinted advances are whole pixels: one bitmap for eight zeros


def test_sizes_measured_by_one_renderer_serve_another_of_the_same_kind_and_dpi():
    prop = FontProperties(family=["DejaVu Sans", "sans-serif"], size=9)
    text = "Darbingo amžiaus gyventojai 2018"
    first, second, other_dpi = RendererAgg(10, 10, 300), RendererAgg(10, 10, 300), RendererAgg(10, 10, 72)
    expected = first.get_text_width_height_descent(text, prop, False)
    expected_72 = other_dpi.get_text_width_height_descent(text, prop, False)
    chart_text._SIZES.clear()
    with chart_text.shared_text_metrics():
        import matplotlib.text as mpl_text

        assert mpl_text._get_text_metrics_with_cache(first, text, prop, False, 300) == expected

        def not_again(*_):
            raise AssertionError("measured again")

        second.get_text_width_height_descent = not_again
        assert mpl_text._get_text_metrics_with_cache(second, text, prop, False, 300) == expected
        # another resolution is another measurement
        assert mpl_text._get_text_metrics_with_cache(other_dpi, text, prop, False, 72) == expected_72
        assert expected_72 != expected
        prop.set_size(11)  # the key holds the font's state when measured, not the mutable object
        assert mpl_text._get_text_metrics_with_cache(first, text, prop, False, 300) != expected
    # matplotlib's own cache is back after the block
    assert not getattr(mpl_text._get_text_metrics_with_cache, "_cityindicators_shared", False)


def test_svg_with_shared_sizes_is_matplotlibs_own():
    """The SVG backend's layout (positions of every text) is the same with the shared sizes."""
    def svg(shared: bool) -> bytes:
        fig = _texty_figure()
        buf = io.BytesIO()
        with matplotlib.rc_context({"svg.hashsalt": "test", "svg.fonttype": "none"}):
            if shared:
                with chart_text.shared_text_metrics():
                    fig.savefig(buf, format="svg", metadata={"Date": None})
            else:
                fig.savefig(buf, format="svg", metadata={"Date": None})
        return buf.getvalue()

    chart_text._SIZES.clear()
    assert svg(False) == svg(True) == svg(True)  # measured, then from the shared sizes


def test_a_texts_layout_is_kept_for_its_string_font_alignment_and_rotation():
    """Inside the block a text's layout into lines comes from the kept ones when everything it
    depends on is the same; another alignment, rotation, size, line spacing or dpi is laid out
    afresh: every layout the one matplotlib gives outside the block."""
    import matplotlib.text as mpl_text

    def layouts(fig) -> list:
        renderer = chart_text.agg_renderer(fig)
        def plain(value):  # the layout's numbers rounded, in lists (its shape differs between versions)
            if hasattr(value, "bounds"):
                return plain(value.bounds)
            if isinstance(value, str):
                return value
            if isinstance(value, (tuple, list)):
                return [plain(v) for v in value]
            return round(float(value), 9)

        return [plain(text._get_layout(renderer)) for text in fig.texts]

    def figure(dpi: float) -> Figure:
        fig = Figure(figsize=(4, 2), dpi=dpi)
        FigureCanvasAgg(fig)
        two_lines = "Šaltinis: 2018\nantra eilutė"
        for kw in ({}, {"ha": "right"}, {"va": "top"}, {"multialignment": "right"}, {"rotation": 90},
                   {"rotation_mode": "anchor", "rotation": 30}, {"rotation": 30}, {"fontsize": 14},
                   {"linespacing": 2}):
            fig.text(0.5, 0.5, two_lines, **kw)  # each differs from the first in one property
        return fig

    own = {dpi: layouts(figure(dpi)) for dpi in (72, 300)}
    assert all(a != b for i, a in enumerate(own[300]) for b in own[300][i + 1:])
    chart_text._LAYOUTS.clear()
    laid_out = []
    original = mpl_text.Text._get_layout
    mpl_text.Text._get_layout = lambda self, r: laid_out.append(self) or original(self, r)
    try:
        with chart_text.shared_text_metrics():
            first = layouts(figure(300))
            after_first = len(laid_out)
            again = layouts(figure(300))  # new figures, the same texts: every layout kept
            after_again = len(laid_out)
            other = layouts(figure(72))
    finally:
        mpl_text.Text._get_layout = original
    assert first == again == own[300] and other == own[72]
    assert after_first == after_again == 9 and len(laid_out) == 18  # nine layouts at each dpi, none twice
    assert len(chart_text._LAYOUTS) == 18


def test_rotation_matrix_in_fixed_point_worked_by_hand():
    """FreeType's 16.16 rotation of a text's angle: 0 and 90 degrees by hand, 30 degrees from
    cos 30 = 0.866025 (56756 / 65536) and sin 30 = 0.5 (32768 / 65536); kept read-only."""
    from cityindicators.chart_text import _rotation

    cos, sin, matrix, key = _rotation(0.0)
    assert (cos, sin, key) == (1.0, 0.0, (65536, 0, 0, 65536))
    assert _rotation(90.0)[3] == (0, -65536, 65536, 0)
    assert _rotation(30.0)[3] == (56756, -32768, 32768, 56756)
    assert not matrix.flags.writeable
