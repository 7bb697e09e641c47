"""A report's chart files come from one Agg drawing and one SVG drawing: the same pictures as
matplotlib's own ``savefig`` of the same area at 300 dpi, that area savefig's tight box widened to
whole pixels, the screen PNG resampled from the 300-dpi one."""

from __future__ import annotations

import io
import re

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
    _, box = exports.chart_raster(figure, exports.HIRES_DPI)
    own = exports.render_chart(figure, "png", exports.HIRES_DPI, bbox=box)  # savefig of that area
    ours, theirs = _pixels(hires_file), _pixels(own)
    if ours.shape == theirs.shape:  # matplotlib 3.11 (tested): the very same picture
        assert np.array_equal(ours, theirs)
    else:
        # matplotlib 3.7 (the declared minimum) drops the last partial pixel of the box and
        # places the drawing a fraction of a pixel differently: one column or row less, the
        # same picture to within that shift
        assert 0 <= ours.shape[0] - theirs.shape[0] <= 1 and 0 <= ours.shape[1] - theirs.shape[1] <= 1
        h, w = theirs.shape[:2]
        assert np.abs(ours[:h, :w].astype(float) - theirs).mean() < 2
    assert Image.open(io.BytesIO(hires_file)).info["dpi"][0] == pytest.approx(300, abs=1)
    assert np.array_equal(_pixels(screen), _pixels(exports.downscaled_png(hires_file, exports.SCREEN_DPI)))
    small = Image.open(io.BytesIO(screen))
    big = Image.open(io.BytesIO(hires_file))
    assert small.size == (round(big.width * 120 / 300), round(big.height * 120 / 300))
    svg = (tmp_path / "charts" / "01_population_trend.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    # the SVG shows the same area, its text as text with a generic fallback font
    width_pt = float(re.search(r'<svg[^>]*\swidth="([0-9.]+)pt"', svg).group(1))
    assert width_pt == pytest.approx(box.width * 72, abs=0.01)
    assert ">Eglynas" in svg or "Eglynas</text>" in svg
    assert "sans-serif" in svg


def test_chart_raster_is_savefigs_tight_box_to_the_pixel(figure):
    pixels, box = exports.chart_raster(figure, exports.HIRES_DPI)
    assert pixels.dtype == np.uint8 and pixels.shape[2] == 3  # RGB rows, the top one first
    image = Image.fromarray(pixels)
    png = Image.open(io.BytesIO(exports.render_chart(figure, "png", exports.HIRES_DPI)))
    # savefig's own tight output, at most one pixel narrower or lower (the box is widened to
    # whole pixels) and the same picture
    assert image.size == (round(box.width * 300), round(box.height * 300))
    assert 0 <= image.width - png.width <= 1 and 0 <= image.height - png.height <= 1
    assert box.width <= figure.get_figwidth() + 0.2  # trimmed, never much wider than the figure
    ours = np.asarray(image.convert("L"), dtype=float)
    theirs = np.asarray(png.convert("L"), dtype=float)
    h, w = min(ours.shape[0], theirs.shape[0]), min(ours.shape[1], theirs.shape[1])
    assert (ours < 128).sum() == pytest.approx((theirs < 128).sum(), rel=0.02)  # as much ink
    assert np.abs(ours[:h, :w] - theirs[:h, :w]).mean() < 8  # at most a sub-pixel shift


def test_content_outside_the_figure_is_painted_by_savefig(tmp_path):
    """A title wider than its figure lies outside the canvas: the chart is still whole."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [0, 1])
    fig.suptitle("A title much wider than this small figure, reaching well past its right edge", x=0.01, ha="left")
    try:
        image, box = exports.chart_raster(fig, exports.HIRES_DPI)
        assert image is None and box.width > 4  # the box holds the whole title
        exports.reset()
        exports.save_chart(fig, "01_wide", tmp_path)
        hires = Image.open(tmp_path / "charts" / "01_wide_300dpi.png")
        assert hires.width == pytest.approx(box.width * 300, abs=1)
        _, small_box = exports.chart_raster(fig, exports.SCREEN_DPI)
        screen = exports.screen_png(fig)
        assert Image.open(io.BytesIO(screen)).width == pytest.approx(small_box.width * exports.SCREEN_DPI, abs=1)
    finally:
        plt.close(fig)


def test_without_print_charts_only_the_screen_png_and_the_data_are_kept(figure, tmp_path, monkeypatch):
    monkeypatch.setenv(exports.PRINT_CHARTS_ENV, "0")
    exports.reset()
    exports.set_context("lt", "Eglynas", True)
    screen = exports.save_chart(figure, "01_population_trend", tmp_path)
    assert not list((tmp_path / "charts").iterdir())  # no SVG, no 300-dpi PNG
    _, box = exports.chart_raster(figure, exports.SCREEN_DPI)
    assert np.array_equal(_pixels(screen), _pixels(exports.render_chart(figure, "png", exports.SCREEN_DPI, bbox=box)))
    [record] = exports.read_records(tmp_path)  # the chart's data still go to the workbook
    assert record.kind == "chart" and record.frame["value"].tolist() == [1200.0, 1150.0, 1100.0, 1090.0]
    exports.reset()


@pytest.mark.slow
def test_report_without_print_charts_is_another_report(demo_dir, tmp_path):
    import json

    from cityindicators.reports.run import run_report

    lean = run_report("situation_analysis", "X13", language="en", data_dir=demo_dir, output_dir=tmp_path,
                      print_charts=False)
    assert lean.status == "ok", lean.error
    folder = tmp_path / "situation_analysis" / "X13-eglynas"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["print_charts"] is False
    assert not [f for f in manifest["files"] if f.endswith((".svg", "_300dpi.png"))]
    assert len([f for f in manifest["files"] if f.startswith("charts/")]) >= 6  # the screen PNGs
    assert "situation_analysis.xlsx" in manifest["files"]
    # the same inputs with print charts are not "unchanged": the report is made again, with them
    full = run_report("situation_analysis", "X13", language="en", data_dir=demo_dir, output_dir=tmp_path)
    assert full.status == "ok"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["print_charts"] is True and any(f.endswith(".svg") for f in manifest["files"])


def test_png_writer_gives_the_pixels_and_resolution_back():
    """The chart PNGs are written here (unfiltered rows): any decoder reads the same pixels."""
    import zlib

    pixels = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]],
                       [[0, 0, 0], [255, 255, 255], [12, 34, 56]]], dtype=np.uint8)
    png = exports._png_bytes(Image.fromarray(pixels, "RGB"), 300, 6)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    decoded = Image.open(io.BytesIO(png))
    decoded.verify()  # chunk lengths and CRCs
    decoded = Image.open(io.BytesIO(png))
    assert decoded.mode == "RGB" and decoded.size == (3, 2)
    assert np.array_equal(np.asarray(decoded), pixels)
    assert decoded.info["dpi"][0] == pytest.approx(300, abs=0.01)  # 11811 pixels per metre
    # by hand: each row is the filter byte 0 and the row's nine bytes
    start = png.index(b"IDAT") + 4
    length = int.from_bytes(png[start - 8:start - 4], "big")
    assert zlib.decompress(png[start:start + length]) == b"\x00" + pixels[0].tobytes() + b"\x00" + pixels[1].tobytes()
    rgba = Image.fromarray(np.dstack([pixels, np.full((2, 3), 255, np.uint8)]), "RGBA")
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(exports._png_bytes(rgba, 120)))), pixels)


def test_svg_of_the_same_chart_is_the_same_file(figure):
    """No time of writing and no random ids: a chart drawn again is byte for byte the same SVG."""
    _, box = exports.chart_raster(figure, exports.HIRES_DPI)
    first = exports.render_chart(figure, "svg", bbox=box)
    assert first == exports.render_chart(figure, "svg", bbox=box)
    assert b"<dc:date>" not in first and b"clip-path=\"url(#p" in first
