"""Where a chart's panels go: subplot margins computed from the text around each panel.

matplotlib's ``tight_layout`` finds the margins by laying the whole figure out once (every tick
label, title and legend measured through the artists' machinery) before the figure is drawn
for real: some 0.15 CPU s a chart, as much as drawing it. :func:`fit_subplots` gives the same
margins (tight_layout's rule: the decorations of every panel inside ``rect`` with ``pad`` font
sizes to spare, ``pad`` between panels) from the few texts that decide them, each measured
once by the font's metrics (:func:`text_size`, cached for the kernel's lifetime): the tick
labels the locators and formatters give, axis labels, panel titles, a legend outside its panel
and labels written past a panel's right edge. The figure's suptitle is wrapped onto a second
line when it is wider than the figure (:func:`fit_title`).
"""

from __future__ import annotations

import functools
import textwrap

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Annotation, Text

__all__ = ["text_size", "fit_subplots", "fit_title"]

#: Space kept around and between panels, in font sizes (tight_layout's default).
PAD = 1.08


@functools.lru_cache(maxsize=1)
def _measuring_text() -> tuple[Text, object]:
    """One text object on a 72-dpi figure (sizes in points) and its renderer, reused for every
    measurement."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(dpi=72)
    canvas = FigureCanvasAgg(fig)
    return fig.text(0, 0, ""), canvas.get_renderer()


@functools.lru_cache(maxsize=8192)
def _text_size(text: str, prop: FontProperties) -> tuple[float, float]:
    label, renderer = _measuring_text()
    label.set_text(text)
    label.set_fontproperties(prop)
    box = label.get_window_extent(renderer)
    return box.width, box.height


def text_size(text: str, prop: FontProperties) -> tuple[float, float]:
    """Width and height in points of ``text`` (one or more lines) in the font ``prop``: the box
    matplotlib's own text layout gives it (its line spacing differs between versions)."""
    return _text_size(text, prop.copy())  # FontProperties are mutable: the cache keys on a copy


def _visible_text(t: Text) -> bool:
    return t.get_visible() and bool(t.get_text())


def _tick_label_sizes(axis) -> list[tuple[float, float, float]]:
    """``(position in the axis fraction, width, height)`` of each major tick label the axis will
    draw: the locator's ticks inside the view interval, through its formatter."""
    tick = axis.get_major_ticks(1)[0]  # created now or at the drawing: the same labels
    label = tick.label1
    if not (label.get_visible() and tick.get_visible()):
        return []
    lo, hi = axis.get_view_interval()
    lo, hi = min(lo, hi), max(lo, hi)
    locs = [x for x in axis.get_major_locator()() if lo - 1e-9 * (hi - lo) <= x <= hi + 1e-9 * (hi - lo)]
    if not locs or hi <= lo:
        return []
    texts = axis.get_major_formatter().format_ticks(locs)
    prop = label.get_fontproperties()
    return [((x - lo) / (hi - lo), *text_size(s, prop)) for x, s in zip(locs, texts) if s]


def _tick_space(axis) -> float:
    tick = axis.get_major_ticks(1)[0]
    return max(tick.get_tick_padding(), 0.0) + tick.get_pad()


def _axis_label(axis) -> float:
    """Depth in points of the axis label beside the tick labels (its height plus the label pad)."""
    label = axis.label
    if not _visible_text(label):
        return 0.0
    return text_size(label.get_text(), label.get_fontproperties())[1] + axis.labelpad


def _margins(ax, width: float, height: float) -> np.ndarray:
    """How far in points the decorations of ``ax`` (``width`` x ``height`` points) reach past
    its left, right, bottom and top edges."""
    left = right = bottom = top = 0.0
    xs = _tick_label_sizes(ax.xaxis)
    if xs:
        bottom = _tick_space(ax.xaxis) + max(h for _, _, h in xs)
        # centred labels: the first and the last may stand out sideways
        left = max(0.0, max(w / 2 - f * width for f, w, _ in xs))
        right = max(0.0, max(w / 2 - (1 - f) * width for f, w, _ in xs))
    bottom += _axis_label(ax.xaxis)
    ys = _tick_label_sizes(ax.yaxis)
    if ys:
        left = max(left, _tick_space(ax.yaxis) + max(w for _, w, _ in ys))
        top = max(0.0, max(h / 2 - (1 - f) * height for f, _, h in ys))
        bottom = max(bottom, max(h / 2 - f * height for f, _, h in ys))
    left += _axis_label(ax.yaxis)
    titles = [x for x in (ax.title, ax._left_title, ax._right_title) if _visible_text(x)]
    for title in titles:
        w, h = text_size(title.get_text(), title.get_fontproperties())
        top = max(top, h + mpl.rcParams["axes.titlepad"])
        if title is ax._left_title:
            right = max(right, w - width)
    return np.maximum([left, right, bottom, top], _outside(ax, width, height))


def _outside(ax, width: float, height: float) -> np.ndarray:
    """How far past the left, right, bottom and top edges of ``ax`` reach a legend anchored
    right of it and labels written outside it (annotations not clipped to the panel, placed in
    data coordinates: the names at the ends of the peer lines)."""
    reach = np.zeros(4)
    legend = ax.get_legend()
    if legend is not None and legend.get_visible():
        anchor = ax.transAxes.inverted().transform_bbox(legend.get_bbox_to_anchor())
        if anchor.x0 >= 1.0:
            size = legend.prop.get_size_in_points()
            texts = [text_size(t.get_text(), legend.prop)[0] for t in legend.get_texts()] or [0.0]
            pads = 2 * legend.borderpad + legend.handlelength + legend.handletextpad + legend.borderaxespad
            reach[1] = (anchor.x0 - 1.0) * width + pads * size + max(texts)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    if x1 <= x0 or y1 <= y0:
        return reach
    for text in ax.texts:
        if not (isinstance(text, Annotation) and text.get_annotation_clip() is False and text.anncoords == "data"
                and _visible_text(text)):
            continue
        w, h = text_size(text.get_text(), text.get_fontproperties())
        x = (text.xyann[0] - x0) / (x1 - x0) * width
        y = (text.xyann[1] - y0) / (y1 - y0) * height
        left = x - {"left": 0.0, "center": w / 2, "right": w}[text.get_ha()]
        below = y - {"top": h, "center": h / 2, "center_baseline": h / 2, "baseline": h / 4, "bottom": 0.0}[
            text.get_va()]
        reach = np.maximum(reach, [-left, left + w - width, -below, below + h - height])
    return reach


def fit_subplots(fig: Figure, rect: tuple[float, float, float, float] = (0, 0, 1, 1), pad: float = PAD) -> None:
    """Set the subplot parameters of ``fig`` (a grid of panels from ``plt.subplots``) so that
    every panel's tick labels, axis labels, title, outside legend and outside labels lie inside
    ``rect`` (figure fraction: left, bottom, right, top) with ``pad`` font sizes to spare, and
    ``pad`` between neighbouring panels: tight_layout's result without its layout drawing.

    Computed twice: the ticks a locator chooses depend on the panel's size, which the first
    pass sets.
    """
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_subplotspec() is not None]
    if not axes:
        return
    fig_w, fig_h = fig.get_size_inches() * 72
    pad_pt = pad * FontProperties(size=mpl.rcParams["font.size"]).get_size_in_points()
    nrows, ncols = axes[0].get_subplotspec().get_gridspec().get_geometry()
    r_left, r_bottom, r_right, r_top = rect
    # tight_layout keeps the suptitle's height and a pad free below the top of ``rect``
    sup = fig._suptitle
    title = 0.0
    if sup is not None and sup.get_in_layout() and _visible_text(sup):
        title = text_size(sup.get_text(), sup.get_fontproperties())[1] + pad_pt
    for _ in range(2):
        # margins[i, j] = (left, right, bottom, top) of the panel in row i, column j
        margins = np.zeros((nrows, ncols, 4))
        for ax in axes:
            spec = ax.get_subplotspec()
            pos = ax.get_position()
            m = _margins(ax, pos.width * fig_w, pos.height * fig_h)
            for i in range(spec.rowspan.start, spec.rowspan.stop):
                for j in range(spec.colspan.start, spec.colspan.stop):
                    margins[i, j] = np.maximum(margins[i, j], m)
        left = r_left + (margins[:, 0, 0].max() + pad_pt) / fig_w
        right = r_right - (margins[:, -1, 1].max() + pad_pt) / fig_w
        bottom = r_bottom + (margins[-1, :, 2].max() + pad_pt) / fig_h
        top = r_top - (margins[0, :, 3].max() + pad_pt + title) / fig_h
        params = dict(left=left, right=right, bottom=bottom, top=top)
        if ncols > 1:
            gap = (margins[:, :-1, 1] + margins[:, 1:, 0]).max() + pad_pt
            panel = (right - left - (ncols - 1) * gap / fig_w) / ncols
            params["wspace"] = gap / fig_w / panel if panel > 0 else None
        if nrows > 1:
            gap = (margins[:-1, :, 2] + margins[1:, :, 3]).max() + pad_pt
            panel = (top - bottom - (nrows - 1) * gap / fig_h) / nrows
            params["hspace"] = gap / fig_h / panel if panel > 0 else None
        if left >= right or bottom >= top or None in params.values():
            return  # decorations larger than the figure: left as they are (as tight_layout does)
        fig.subplots_adjust(**params)


def fit_title(fig: Figure, title: str, x: float = 0.01, **kw) -> Text:
    """``fig``'s suptitle at ``x`` (left-aligned), wrapped at word boundaries onto as many lines
    as it needs to end inside the figure (``x`` to spare on the right too)."""
    sup = fig.suptitle(title, x=x, ha="left", **kw)
    prop = sup.get_fontproperties()
    room = fig.get_figwidth() * 72 * (1 - 2 * x)
    width = text_size(title, prop)[0]
    if width > room:
        # the longest wrap whose lines all fit, from the share of the title that would fit
        chars = int(len(title) * room / width) + 1
        while chars > 10:
            text = "\n".join(textwrap.wrap(title, chars, break_long_words=False))
            if text_size(text, prop)[0] <= room:
                sup.set_text(text)
                break
            chars -= 1
    return sup
