"""The charts' fixed layout (chart_layout): text measured as matplotlib lays it out, panels placed
as tight_layout would place them without its layout drawing, titles wrapped to fit."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from cityindicators import chart_layout, plotting


def _drawn(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


@pytest.mark.parametrize("text", ["Gyventojai", "Gyventojų dalis 65+\n(3-ioji vieta iš 60)", "a\n\nb (c)"])
def test_text_size_is_matplotlibs_own_extent(text):
    fig = plt.figure(dpi=72)  # 72 dpi: window extents in points
    label = fig.text(0.1, 0.5, text, fontsize=10)
    box = label.get_window_extent(_drawn(fig))
    width, height = chart_layout.text_size(text, label.get_fontproperties())
    # (the drawn box may be up to half a point higher: the baseline is placed on a whole pixel)
    assert width == pytest.approx(box.width, abs=0.01) and height == pytest.approx(box.height, abs=0.5)
    plt.close(fig)


def _panels():
    years = np.arange(2001, 2019)
    rows = []
    for ind in ("share_65_plus", "old_age_dependency_ratio", "ageing_index"):
        for i, code in enumerate(["59", "13", "21", "LT"]):
            rows += [(ind, code, y, 10 + i + 0.3 * (y - 2001) * (1 + i)) for y in years]
    frame = pd.DataFrame(rows, columns=["indicator", "territory_code", "year", "value"])
    return plotting.indicator_panels(frame, "59", "lt", title="Senėjimas", country="LT",
                                     names={"13": "Zarasų", "21": "Ignalinos"},
                                     ranks={"share_65_plus": (3, 60, 2018)})


def _pyramid():
    rows = [(y, s, a, 300.0 - 3 * a) for y in (2001, 2018) for s in ("male", "female") for a in range(86)]
    return plotting.pyramid_overlay(pd.DataFrame(rows, columns=["year", "sex", "age", "value"]), (2001, 2018),
                                    lang="lt", name="Visagino sav.")


def _trend():
    frame = pd.DataFrame({"year": np.arange(2001, 2019), "value": np.linspace(29000, 19000, 18)})
    return plotting.population_trend(frame, "lt", "Visagino sav.", key_period=(2001, 2018))


@pytest.mark.parametrize("build", [_trend, _pyramid, _panels])
def test_layout_is_tight_layouts_and_keeps_every_panel_clear(build):
    """The margins found from the text are within 1.5 % of the figure of tight_layout's (same
    rule, same rect); drawn, no panel's decorations leave the canvas, touch another panel's or
    reach the title or the legend under the panels."""
    fig = build()
    ours = np.array([getattr(fig.subplotpars, k) for k in ("left", "right", "bottom", "top", "wspace", "hspace")])
    rect = (0, fig.subplotpars.bottom, 1, 0.97)
    renderer = _drawn(fig)
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes if ax.get_visible()]
    width, height = renderer.width, renderer.height
    for box in boxes:
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height
        assert not box.overlaps(fig._suptitle.get_window_extent(renderer))
        assert not any(box.overlaps(leg.get_window_extent(renderer)) for leg in fig.legends)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    # tight_layout's margins for the same figure: the bottom as the source line left it
    fig.tight_layout(rect=(0, 0.06 if not fig.legends else rect[1], 1, 0.97))
    theirs = np.array([getattr(fig.subplotpars, k) for k in ("left", "right", "bottom", "top", "wspace", "hspace")])
    assert np.abs(ours[[0, 1, 3]] - theirs[[0, 1, 3]]).max() < 0.015
    if len(fig.axes) > 1:  # the gaps between panels, as a share of a panel
        assert np.abs(ours[4:] - theirs[4:]).max() < 0.05
    plt.close(fig)


def test_title_wider_than_the_figure_is_wrapped_to_fit():
    title = ("Amžiaus piramidė, Visagino sav., scenarijus „Bazinis (dabartiniai rodikliai ir slopstančios jų "
             "tendencijos)“")
    rows = [(y, s, a, 300.0 - 3 * a) for y in (2018, 2030) for s in ("male", "female") for a in range(86)]
    fig = plotting.pyramid_overlay(pd.DataFrame(rows, columns=["year", "sex", "age", "value"]), (2018, 2030),
                                   lang="lt", title=title, label="scenario_pyramids", projection=True)
    sup = fig._suptitle
    assert "\n" in sup.get_text() and sup.get_text().replace("\n", " ") == title  # the same words
    renderer = _drawn(fig)
    box = sup.get_window_extent(renderer)
    assert box.x0 >= 0 and box.x1 <= renderer.width  # inside the figure
    assert not fig.axes[0].get_tightbbox(renderer).overlaps(box)  # and the pyramid below it
    plt.close(fig)


def test_short_title_stays_on_one_line():
    fig = _trend()
    assert "\n" not in fig._suptitle.get_text()
    plt.close(fig)
