"""The charts' text measured, laid out and rendered once per kernel, whichever figure or
format asks.

matplotlib keeps a text's measured size per renderer object, and every figure has its own Agg
renderer and every SVG file a new one: the same tick labels, titles, legend entries and source
lines are measured again for each chart and each format (some 30 microseconds a character).
Agg (matplotlib 3.11) also lays every string out again and has FreeType render each of its
glyphs at each drawing (some 0.1 ms a glyph at 300 dpi, a third of a chart's Agg drawing). All
three are pure functions of the string or glyph, the font, the resolution and the position
within a pixel, so they are kept here for the kernel's lifetime, keyed by everything they
depend on:

* :func:`shared_text_metrics` - while drawing, the sizes of texts measured by Agg (at one
  resolution) or by the SVG backend, shared across renderers of the same kind, and each text's
  layout into lines (matplotlib lays a text out at every drawing and every measurement of its
  box, some 0.03 CPU s a chart);
* :class:`GlyphCachingRendererAgg` - matplotlib's Agg renderer whose layout of a string into
  glyphs is done once, and each glyph rendered once per size, angle and position within the
  pixel (matplotlib versions that draw a whole string at once are left as they are); it also
  gives each font's ascent, descent and line gap from one reading of the font's tables
  (:func:`font_height_metrics`), which matplotlib 3.11 reads for every text at every layout.

The pictures are matplotlib's own, pixel for pixel (``tests/test_chart_text.py``).
"""

from __future__ import annotations

import contextlib
import functools
import math
from typing import Iterator

import matplotlib as mpl
import matplotlib.text as mpl_text
from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag

__all__ = ["shared_text_metrics", "GlyphCachingRendererAgg", "agg_renderer", "font_height_metrics", "caches_glyphs"]

#: Texts kept measured and laid out (a report has some 500 distinct ones).
CACHE_SIZE = 16384

#: Settings that change which font a text is set in, or how its glyphs are placed.
_RC_KEYS = ("text.hinting", "text.hinting_factor", "text.kerning_factor", "font.family", "font.sans-serif",
            "font.serif", "font.monospace", "font.cursive", "font.fantasy", "mathtext.fontset")


def _rc_key() -> tuple:
    return tuple(str(mpl.rcParams.get(k)) for k in _RC_KEYS)


@functools.lru_cache(maxsize=1)
def _renderer_classes() -> tuple[type, type]:
    """matplotlib's mixed-mode and SVG renderers, imported once (asked for every text drawn)."""
    from matplotlib.backends.backend_mixed import MixedModeRenderer
    from matplotlib.backends.backend_svg import RendererSVG

    return MixedModeRenderer, RendererSVG


def _measuring_kind(renderer):
    """``(kind, resolution)`` of a renderer whose text sizes depend on nothing else, else ``None``:
    Agg's at its dpi, and the SVG backend's (sizes from the font outlines, at any dpi)."""
    MixedModeRenderer, RendererSVG = _renderer_classes()
    inner = renderer._renderer if isinstance(renderer, MixedModeRenderer) else renderer
    if isinstance(inner, RendererAgg):  # GlyphCachingRendererAgg measures as Agg does
        return "agg", float(inner.dpi)
    if type(inner) is RendererSVG:
        return "svg", None
    return None


def _font_key(prop) -> tuple:
    """What a FontProperties says (its own hash's fields), as an immutable key."""
    return (tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(), prop.get_stretch(),
            prop.get_size_in_points(), prop.get_file(), prop.get_math_fontfamily())


#: ``(kind, resolution, settings, text, font, dpi) -> (width, height, descent)``, for the kernel.
_SIZES: dict[tuple, tuple[float, float, float]] = {}


def _shared_metrics(original, rc: tuple):
    def metrics(renderer, text, fontprop, ismath, dpi):
        kind = _measuring_kind(renderer)
        if kind is None or ismath:
            return original(renderer, text, fontprop, ismath, dpi)
        key = (*kind, rc, text, _font_key(fontprop), dpi)
        size = _SIZES.get(key)
        if size is None:
            if len(_SIZES) >= CACHE_SIZE:
                _SIZES.clear()
            size = _SIZES[key] = renderer.get_text_width_height_descent(text, fontprop, ismath)
        return size

    metrics._cityindicators_shared = True
    return metrics


#: ``(kind, resolution, settings, text, font, alignment...) -> Text._get_layout's result``, for the kernel.
_LAYOUTS: dict[tuple, tuple] = {}


def _kept_layout(original, rc: tuple):
    """``Text._get_layout`` (where a text's lines go around its anchor, in pixels) kept per
    renderer kind and everything the layout reads: the string, font, figure dpi, alignment,
    rotation and line spacing. Texts that wrap (their lines follow their place in the figure)
    and mathematical or TeX texts are laid out by matplotlib every time."""
    def layout(self, renderer):
        kind = _measuring_kind(renderer)
        text = self.get_text()
        if kind is None or self.get_wrap() or self.get_usetex() or "$" in text:
            return original(self, renderer)
        key = (*kind, rc, text, _font_key(self._fontproperties), self.figure.dpi, self._linespacing,
               self._get_multialignment(), self.get_rotation(), self._horizontalalignment,
               self._verticalalignment, self.get_rotation_mode())
        kept = _LAYOUTS.get(key)
        if kept is None:
            if len(_LAYOUTS) >= CACHE_SIZE:
                _LAYOUTS.clear()
            bbox, lines, corner = original(self, renderer)
            kept = _LAYOUTS[key] = (bbox.frozen(), tuple(lines), corner)
        bbox, lines, corner = kept
        return bbox.frozen(), list(lines), corner  # a box of the caller's own: Bbox is mutable

    layout._cityindicators_shared = True
    return layout


def _svg_font_height_metrics(renderer, prop) -> tuple:
    """The SVG renderer's font heights (matplotlib 3.11 reads them for every text it lays out):
    at 72 dpi, the resolution ``print_svg`` draws at."""
    return font_height_metrics(prop, 72.0)


@contextlib.contextmanager
def shared_text_metrics() -> Iterator[None]:
    """While in the block, text sizes measured by any Agg renderer at a dpi (or any SVG
    renderer) serve every other: matplotlib's own per-renderer cache, shared for the kernel;
    so does each text's layout into lines (:func:`_kept_layout`), and the SVG renderer reads a
    font's heights once (:func:`font_height_metrics`) as :class:`GlyphCachingRendererAgg` does.
    Does nothing on a matplotlib without that cache (``matplotlib.text._get_text_metrics_with_cache``,
    3.6 and later) or inside another such block."""
    from matplotlib.backends.backend_svg import RendererSVG

    original = getattr(mpl_text, "_get_text_metrics_with_cache", None)
    if original is None or getattr(original, "_cityindicators_shared", False):
        yield
        return
    rc = _rc_key()
    layout = mpl_text.Text._get_layout
    svg_heights = not hasattr(RendererSVG, "_get_font_height_metrics")
    mpl_text._get_text_metrics_with_cache = _shared_metrics(original, rc)
    mpl_text.Text._get_layout = _kept_layout(layout, rc)
    if svg_heights:
        RendererSVG._get_font_height_metrics = _svg_font_height_metrics
    try:
        yield
    finally:
        mpl_text._get_text_metrics_with_cache = original
        mpl_text.Text._get_layout = layout
        if svg_heights:
            del RendererSVG._get_font_height_metrics


@functools.lru_cache(maxsize=CACHE_SIZE)
def _glyph_layout(font, text: str, size: float, dpi: float, flags, features, language) -> tuple:
    """``(font, glyph index, x, y)`` of each glyph of ``text`` set in ``font`` (sized by the
    caller), as matplotlib's Agg renderer lays it out."""
    return tuple((item.ft_object, item.glyph_index, item.x, item.y)
                 for item in font._layout(text, flags=flags, features=features, language=language))


#: ``(font, settings, dpi) -> (ascent, descent, line gap)`` in pixels, for the kernel.
_HEIGHTS: dict[tuple, tuple] = {}


def font_height_metrics(prop, dpi: float) -> tuple:
    """``(ascent, descent, line gap)`` in pixels of the font ``prop`` at ``dpi``, read from its
    OS/2 or hhea table as matplotlib's ``Text._get_layout`` reads them, once per kernel;
    ``(None, None, None)`` when the font has neither (matplotlib then measures)."""
    from matplotlib.font_manager import fontManager, get_font

    key = (_font_key(prop), _rc_key(), dpi)
    heights = _HEIGHTS.get(key)
    if heights is None:
        heights = None, None, None
        font = get_font(fontManager._find_fonts_by_props(prop))
        for table_name, gap_key, ascent_key, descent_key in (
                ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"), ("hhea", "lineGap", "ascent", "descent")):
            table = font.get_sfnt_table(table_name)
            if table is not None:
                scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * dpi / 72
                heights = table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
                break
        _HEIGHTS[key] = heights
    return heights


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


#: ``(font, size, dpi, glyph, flags, mode, rotation, x and y within the pixel in 64ths) ->
#: (bitmap, left, top)``: glyphs rendered by FreeType, for the kernel.
_BITMAPS: dict[tuple, tuple] = {}
#: Glyph bitmaps kept (some 1 kB each at 300 dpi).
BITMAP_CACHE_SIZE = 20000


class GlyphCachingRendererAgg(RendererAgg):
    """matplotlib's Agg renderer, each string laid out into glyphs once per font, size and dpi,
    and each glyph rendered by FreeType once per size, dpi, angle and position within a pixel
    (its 64ths, as matplotlib places glyphs): the same pixels, pasted where matplotlib would
    paste them. Hinted glyph advances are whole pixels, so a string's glyphs all share its
    position within the pixel and a repeated letter is rendered once."""

    #: matplotlib's own glyph-by-glyph drawing (3.11), which this renderer reproduces.
    _LAYS_OUT_GLYPHS = hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
    #: the font's private methods that drawing relies on (matplotlib 3.11)
    _FONT_METHODS = ("_layout", "_set_transform", "_render_glyph")

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath or not self._LAYS_OUT_GLYPHS:
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        font = self._prepare_font(prop)
        if not all(hasattr(font, name) for name in self._FONT_METHODS):
            return super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
        size = prop.get_size_in_points()
        features = _hashable(mtext.get_fontfeatures()) if mtext is not None and hasattr(mtext, "get_fontfeatures") \
            else None
        language = _hashable(mtext.get_language()) if mtext is not None and hasattr(mtext, "get_language") else None
        flags = get_hinting_flag()
        self._draw_glyphs(gc, x, y, angle, size, flags,
                          _glyph_layout(font, s, size, float(self.dpi), flags, features, language))

    def _get_font_height_metrics(self, prop):
        """The font's ascent, descent and line gap at its size and this renderer's dpi (the
        figure's, as the report draws), which matplotlib 3.11 reads from the font's tables
        for every text at every layout; ``(None, None, None)`` sends it back to its own way."""
        return font_height_metrics(prop, float(self.dpi))

    def _draw_glyphs(self, gc, x, y, angle, size, flags, glyphs) -> None:
        """matplotlib's ``_draw_text_glyphs_and_boxes`` for a string's glyphs (no slant or
        stretch, no boxes), each glyph's bitmap rendered once."""
        import numpy as np
        from matplotlib.ft2font import RenderMode

        cos, sin, matrix, rotation = _rotation(float(angle))
        antialiased = gc.get_antialiased()
        mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
        dpi, height = self.dpi, self.height
        for font, index, dx, dy in glyphs:  # dy is upwards
            # matplotlib's position of the glyph in 64ths of a pixel (FreeType's y is upwards)
            px = round(0x40 * (x + dx * cos - dy * sin))
            py = round(0x40 * (height - y + dx * sin + dy * cos))
            key = (font, size, dpi, index, flags, mode, rotation, px & 63, py & 63)
            glyph = _BITMAPS.get(key)
            if glyph is None:
                # rendered at its place within a pixel; whole pixels only move the bitmap
                font.set_size(size, dpi)
                font._set_transform(matrix, [px & 63, py & 63])
                bitmap = font._render_glyph(index, flags, mode)
                buffer = np.array(bitmap.buffer)
                if not antialiased:
                    buffer *= 0xff
                if len(_BITMAPS) >= BITMAP_CACHE_SIZE:
                    _BITMAPS.clear()
                glyph = _BITMAPS[key] = (buffer, bitmap.left, bitmap.top)
            buffer, left, top = glyph
            # draw_text_image's y is downwards and the bitmap's bottom side
            self._renderer.draw_text_image(buffer, left + (px >> 6), int(height) - top - (py >> 6) + buffer.shape[0],
                                           0, gc)


@functools.lru_cache(maxsize=64)
def _rotation(angle: float) -> tuple:
    """``(cos, sin, matrix, key)`` of a text's angle in degrees: FreeType's rotation matrix in
    16.16 fixed point, as matplotlib builds it for each text drawn, and its entries as a key
    (a chart's texts stand at two or three angles). The matrix is only read."""
    import numpy as np

    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int)
    matrix.setflags(write=False)
    return cos, sin, matrix, tuple(matrix.ravel())


def caches_glyphs() -> bool:
    """Whether this matplotlib draws text glyph by glyph with the private methods
    :class:`GlyphCachingRendererAgg` reuses (3.11); older versions draw a whole string at once,
    and the renderer leaves their text to them."""
    from matplotlib.ft2font import FT2Font

    return GlyphCachingRendererAgg._LAYS_OUT_GLYPHS and all(
        hasattr(FT2Font, name) for name in GlyphCachingRendererAgg._FONT_METHODS)


def agg_renderer(fig) -> RendererAgg:
    """A :class:`GlyphCachingRendererAgg` the size of ``fig`` at its current dpi, to draw it
    with ``fig.draw(renderer)``."""
    width, height = fig.canvas.get_width_height(physical=True) if _physical_size() else fig.bbox.size
    return GlyphCachingRendererAgg(width, height, fig.dpi)


@functools.lru_cache(maxsize=1)
def _physical_size() -> bool:
    import inspect

    from matplotlib.backend_bases import FigureCanvasBase

    return "physical" in inspect.signature(FigureCanvasBase.get_width_height).parameters
