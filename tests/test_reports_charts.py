"""A report's chart files come from one layout and one raster: the same pictures as matplotlib's
own ``savefig(bbox_inches="tight")`` at 300 dpi, the screen PNG resampled from them."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cityindicators import plotting
from cityindicators.reports import exports


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.fixture
def figure():
    import matplotlib.pyplot as plt

    frame = pd.DataFrame({"year": [2001, 2002, 2003, 2004], "value": [1200.0, 1150.0, 1100.0, 1090.0]})
    fig = plotting.population_trend(frame, lang="lt", name="Eglynas", synthetic=True)
    yield fig
    plt.close(fig)


def test_hires_png_is_matplotlibs_own_picture_and_screen_png_its_resampling(figure, tmp_path):
    exports.reset()
    screen = exports.save_chart(figure, "01_population_trend", tmp_path)
    hires_file = (tmp_path / "charts" / "01_population_trend_300dpi.png").read_bytes()
    own = exports.render_chart(figure, "png", exports.HIRES_DPI)  # savefig's tight box at 300 dpi
    assert np.array_equal(_pixels(hires_file), _pixels(own))
    assert Image.open(io.BytesIO(hires_file)).info["dpi"][0] == pytest.approx(300, abs=1)
    assert np.array_equal(_pixels(screen), _pixels(exports.downscaled_png(own, exports.SCREEN_DPI)))
    small = Image.open(io.BytesIO(screen))
    big = Image.open(io.BytesIO(hires_file))
    assert small.size == (round(big.width * 120 / 300), round(big.height * 120 / 300))
    svg = (tmp_path / "charts" / "01_population_trend.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_chart_bbox_is_savefigs_tight_box(figure):
    bbox = exports.chart_bbox(figure)
    png = Image.open(io.BytesIO(exports.render_chart(figure, "png", exports.HIRES_DPI)))
    # savefig's own tight output has the size of that box at 300 dpi (to the pixel)
    assert abs(png.width - bbox.width * 300) <= 1 and abs(png.height - bbox.height * 300) <= 1
    assert bbox.width <= figure.get_figwidth() + 0.2  # trimmed, never much wider than the figure
