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


def test_without_print_charts_only_the_screen_png_and_the_data_are_kept(figure, tmp_path, monkeypatch):
    monkeypatch.setenv(exports.PRINT_CHARTS_ENV, "0")
    exports.reset()
    exports.set_context("lt", "Eglynas", True)
    screen = exports.save_chart(figure, "01_population_trend", tmp_path)
    assert not list((tmp_path / "charts").iterdir())  # no SVG, no 300-dpi PNG
    assert np.array_equal(_pixels(screen), _pixels(exports.render_chart(figure, "png", exports.SCREEN_DPI)))
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
