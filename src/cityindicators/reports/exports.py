"""Files of a report besides its HTML: charts as SVG and 300-dpi PNG, and the tables and the
data behind every chart as an XLSX workbook and CSV files.

Two halves, one on each side of the kernel:

* in the kernel, :func:`save_chart` and :func:`save_table` (called by
  :func:`~cityindicators.reports.sections.show_figure` and ``show_table``) write into the
  folder named by ``$CITYINDICATORS_REPORT_EXPORT`` (set by the report runner, unset in
  JupyterLab, where nothing is written): the SVG and the 300-dpi PNG of each chart, and each
  table or chart's data with its title, unit and source as a pickle under ``.data/``;
* in the runner, :func:`write_tables` turns those into ``<template>.xlsx`` (one sheet per
  table or chart, named by its title in the report's language, a heading block with the title, unit, source and territory above the table)
  and ``tables/NN_<name>.csv`` (the same tables; ``tables/index.csv`` lists their titles,
  units and sources), then removes ``.data/``.

No cell from the data opens as a live formula: in the workbook such text is a text cell shown
as typed (the ``quotePrefix`` cells of :func:`cityindicators.spreadsheet.neutralise_sheet`, made
as the rows are written), in the CSV it has an apostrophe in front
(:func:`cityindicators.spreadsheet.spreadsheet_safe`).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import pickle
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "EXPORT_ENV",
    "PRINT_CHARTS_ENV",
    "print_charts",
    "HIRES_DPI",
    "export_dir",
    "reset",
    "set_context",
    "set_section",
    "chart_stem",
    "render_chart",
    "chart_raster",
    "screen_png",
    "downscaled_png",
    "save_chart",
    "save_table",
    "TableRecord",
    "CHART_DATA_HEADERS",
    "chart_data_headers",
    "CHART_DATA_VALUES",
    "chart_data_values",
    "read_records",
    "write_tables",
]

#: Environment variable naming the folder a report's extra files are written to.
EXPORT_ENV = "CITYINDICATORS_REPORT_EXPORT"
#: Environment variable that, set to ``0`` by the runner (``report --no-print-charts``), leaves
#: out the SVG and 300-dpi PNG of the charts: two thirds of the time of a report's charts.
PRINT_CHARTS_ENV = "CITYINDICATORS_REPORT_PRINT_CHARTS"
#: Resolution of the print-quality PNG of each chart.
HIRES_DPI = 300
#: Resolution of the PNG shown in JupyterLab and embedded in the HTML.
SCREEN_DPI = 120
DATA_FOLDER = ".data"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass
class _State:
    """What the kernel side counts and knows during one report."""

    charts: int = 0
    items: int = 0
    section: str = ""
    heading: str = ""  # the section's heading as the report shows it, when not an i18n key's
    lang: str = "en"
    territory: str = ""
    synthetic: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


_STATE = _State()


def export_dir() -> Path | None:
    """The folder of the report being written, or ``None`` (JupyterLab: write nothing)."""
    value = os.environ.get(EXPORT_ENV)
    return Path(value) if value else None


def print_charts() -> bool:
    """Whether charts are also written as SVG and 300-dpi PNG (yes unless the runner says no)."""
    return os.environ.get(PRINT_CHARTS_ENV, "1") != "0"


def reset() -> None:
    """Start counting charts and tables from one again (a new report in the same kernel)."""
    global _STATE
    _STATE = _State()


def set_context(lang: str, territory: str, synthetic: bool) -> None:
    """The report's language and territory, written above every sheet."""
    _STATE.lang, _STATE.territory, _STATE.synthetic = lang, territory, synthetic


def set_section(key: str, heading: str = "") -> None:
    """The section being shown (an i18n heading key such as ``h_comparison``): names its tables;
    ``heading``, the section's heading in the report's language, for a key of another text table
    (the monitoring report's)."""
    _STATE.section = key[2:] if key.startswith("h_") else key
    _STATE.heading = heading


def chart_stem(label: str) -> str:
    """File stem of the next chart: ``NN_<label>`` (``03_pyramid``)."""
    _STATE.charts += 1
    safe = re.sub(r"[^a-z0-9_]+", "_", (label or "chart").lower()).strip("_") or "chart"
    return f"{_STATE.charts:02d}_{safe}"


def render_chart(fig, fmt: str, dpi: int = SCREEN_DPI, bbox=None) -> bytes:
    """``fig`` as PNG or SVG bytes by matplotlib's own ``savefig``, trimmed to its content
    (``bbox``, in inches, when already known), on white; SVG text stays text
    (:data:`SVG_RC`)."""
    import matplotlib as mpl

    from .. import chart_legend, chart_text, chart_ticks

    buf = io.BytesIO()
    with _no_placeholder_layout(fig), mpl.rc_context(SVG_RC), chart_text.shared_text_metrics(), \
            chart_ticks.ticks_computed_once(), chart_legend.legends_laid_out_once():
        fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches=bbox if bbox is not None else "tight", facecolor="white",
                    metadata={"Date": None} if fmt == "svg" else None)  # no time of writing in the file
    return buf.getvalue()


#: SVG text as ``<text>`` elements in the chart's font (DejaVu Sans, then any sans-serif), not as
#: glyph outlines: a quarter less time to write, files less than half the size, and text a
#: planner can select, search and edit. The ids of clip paths and markers salted alike every
#: time (not by a random salt), so the same chart is the same file.
SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "cityindicators"}


@contextlib.contextmanager
def _no_placeholder_layout(fig):
    """``fig`` without the placeholder layout engine that ``tight_layout`` leaves behind: it lays
    out nothing, but makes every ``savefig`` draw the whole figure once more first."""
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    if type(engine) is not PlaceHolderLayoutEngine:
        yield
        return
    fig._layout_engine = None  # set_layout_engine(None) would read rcParams and may pick one
    try:
        yield
    finally:
        fig._layout_engine = engine


def chart_raster(fig, dpi: int):
    """``fig`` drawn once by Agg at ``dpi``: ``(image, box)``, the RGB pixels (a ``uint8`` array
    of rows x columns x 3, the top row first) trimmed to the figure's content and matplotlib's
    padding, and that area in inches, widened to whole pixels (to be used for the SVG too, so
    that both show the same area).

    The same picture as ``savefig(bbox_inches="tight")`` but from one drawing, where ``savefig``
    draws the figure once to find its content and once more to paint it; the text measured and
    laid out once per kernel (:mod:`cityindicators.chart_text`). The image is ``None`` when
    content lies outside the canvas (a title wider than the figure), which only ``savefig``
    with the box can paint; both are ``None`` when the canvas is not Agg's.
    """
    import math

    import matplotlib as mpl
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import Bbox

    from .. import chart_legend, chart_text, chart_ticks

    if not isinstance(fig.canvas, FigureCanvasAgg):
        return None, None
    old_dpi, old_face = fig.dpi, fig.patch.get_facecolor()
    try:
        fig.dpi = dpi
        fig.patch.set_facecolor("white")
        renderer = chart_text.agg_renderer(fig)
        with chart_text.shared_text_metrics(), chart_ticks.ticks_computed_once(), \
                chart_legend.legends_laid_out_once():
            fig.draw(renderer)
            # the text extents were measured by this very drawing, so the box costs no new layout
            content = fig.get_tightbbox(renderer)
        box = content.padded(mpl.rcParams["savefig.pad_inches"])
        # whole pixels, so the crop is the raster savefig would paint for this area
        x0, x1 = math.floor(box.x0 * dpi + 1e-6), math.ceil(box.x1 * dpi - 1e-6)
        y0, y1 = math.floor(box.y0 * dpi + 1e-6), math.ceil(box.y1 * dpi - 1e-6)
        box = Bbox.from_extents(x0 / dpi, y0 / dpi, x1 / dpi, y1 / dpi)
        width, height = int(renderer.width), int(renderer.height)
        if content.x0 * dpi < -1 or content.y0 * dpi < -1 or content.x1 * dpi > width + 1 \
                or content.y1 * dpi > height + 1:
            return None, box
        rgba = np.asarray(renderer.buffer_rgba())  # a view of the canvas, the top row first
        top, left = height - y1, x0  # the box's corner on the canvas (rows counted from the top)
        rows = slice(max(top, 0), min(height - y0, height))
        cols = slice(max(left, 0), min(x1, width))
        image = np.empty((y1 - y0, x1 - x0, 3), dtype=np.uint8)
        r0, c0 = rows.start - top, cols.start - left
        r1, c1 = r0 + rows.stop - rows.start, c0 + cols.stop - cols.start
        # the padding may reach past the canvas: white there, as savefig paints it
        image[:r0], image[r1:], image[r0:r1, :c0], image[r0:r1, c1:] = 255, 255, 255, 255
        inner = image[r0:r1, c0:c1]
        for channel in range(3):  # one at a time: a third of the time of copying the RGB triples at once
            inner[..., channel] = rgba[rows, cols, channel]
        return image, box
    finally:
        fig.dpi = old_dpi
        fig.patch.set_facecolor(old_face)


def _atomic_write(path: Path, content: bytes) -> None:
    """Write a file of the report's staging folder: whole or not at all, not yet flushed to disk
    (the runner flushes the folder at once before it publishes it: :func:`~cityindicators._io.fsync_tree`)."""
    from .._io import atomic_write_bytes

    atomic_write_bytes(path, content, durable=False)


def downscaled_png(picture, dpi: int, from_dpi: int = HIRES_DPI) -> bytes:
    """A picture drawn at ``from_dpi`` (RGB pixels as :func:`chart_raster` gives them, a Pillow
    image or PNG bytes) resampled to ``dpi``, as a PNG: cheaper than drawing the figure once
    more, and the same picture. Resampled by area averaging (box filter): the right filter for a
    raster drawn 2.5 times too fine, and a third of Lanczos's time."""
    from PIL import Image

    if isinstance(picture, (bytes, bytearray)):
        picture = Image.open(io.BytesIO(picture)).convert("RGB")
    elif not isinstance(picture, Image.Image):
        picture = Image.fromarray(picture)  # rows x columns x 3 bytes: RGB
    size = (round(picture.width * dpi / from_dpi), round(picture.height * dpi / from_dpi))
    return _png_bytes(picture.resize(size, Image.BOX), dpi)


def _png_bytes(image, dpi: int, compress_level: int = 6) -> bytes:
    """``image`` (RGB pixels, or a Pillow image) as a PNG of ``dpi``, its rows unfiltered and
    compressed by zlib-ng (the zlib format, read by every PNG decoder).

    Pillow's encoder tries PNG's row filters on every row, which costs more than the compression
    itself and makes a chart's file no smaller (flat colours and thin lines: the raw rows
    compress as well); it offers no way to leave them out, so the few bytes of the format are
    written here (PNG specification, ISO/IEC 15948: IHDR, pHYs, IDAT, IEND). zlib-ng's deflate
    (the ``zlib-ng`` package) compresses a chart's rows in a third of zlib's time at its levels
    2-6, into files a tenth smaller at level 2 than zlib's at 3.
    """
    import struct
    import zlib

    import numpy as np
    from zlib_ng import zlib_ng

    if not isinstance(image, np.ndarray):
        image = image.convert("RGB") if image.mode != "RGB" else image
    pixels = np.asarray(image)
    height, width = pixels.shape[:2]
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 0  # filter type 0 (none) before each row
    rows[:, 1:] = pixels.reshape(height, 3 * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    per_metre = round(dpi / 0.0254)
    return b"".join((
        b"\x89PNG\r\n\x1a\n",
        chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),  # 8-bit RGB
        chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),  # pixels per metre
        chunk(b"IDAT", zlib_ng.compress(memoryview(rows), compress_level)),  # no copy of the rows
        chunk(b"IEND", b""),
    ))


#: zlib-ng level of the 300-dpi PNGs: level 2 compresses a report's unfiltered rows a tenth
#: smaller than zlib's level 3 (itself as small as Pillow's level 1) in a third of its time; the
#: screen PNGs (a sixth of the pixels, embedded in the HTML) take level 6.
HIRES_COMPRESS_LEVEL = 2


def screen_png(fig, dpi: int = SCREEN_DPI) -> bytes:
    """The PNG of ``fig`` shown in JupyterLab and the HTML: one drawing at ``dpi``, trimmed to
    its content (:func:`chart_raster`)."""
    image, box = chart_raster(fig, dpi)
    if image is None:
        return render_chart(fig, "png", dpi, bbox=box)
    return _png_bytes(image, dpi)


def save_chart(fig, stem: str, folder: Path, dpi: int = SCREEN_DPI) -> bytes:
    """Write ``charts/<stem>.svg`` and ``charts/<stem>_300dpi.png`` and the chart's data (the
    frame the chart function drew, :func:`cityindicators.plotting.chart_data`) for the workbook;
    return the screen PNG at ``dpi``.

    The figure is drawn twice in all: once by Agg at 300 dpi (:func:`chart_raster`), written as
    the 300-dpi PNG and resampled to the screen PNG, and once as SVG of the same area; the PNGs
    are encoded and written in a thread of their own while the SVG is drawn (zlib, Pillow and the
    file writes let go of Python's lock: the same CPU time, less waiting on a machine with a core
    to spare). Without print charts (:func:`print_charts`) only the screen PNG is drawn, at
    ``dpi``, and no SVG or 300-dpi file is written.
    """
    from .. import chart_ticks, plotting

    charts = folder / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    if not print_charts():
        screen = screen_png(fig, dpi)
    else:
        with chart_ticks.ticks_computed_once():  # the same ticks for both drawings
            image, bbox = chart_raster(fig, HIRES_DPI)
            if image is None:  # not an Agg canvas, or content outside the figure: savefig paints it
                image = render_chart(fig, "png", HIRES_DPI, bbox=bbox)
            pngs = _png_writer().submit(_write_pngs, image, charts / f"{stem}_{HIRES_DPI}dpi.png", dpi)
            svg = render_chart(fig, "svg", bbox=bbox)
        screen = pngs.result()
        _atomic_write(charts / f"{stem}.svg", svg)
    data = plotting.chart_data(fig)
    if data is not None:
        _save_record(folder, TableRecord(
            name=stem.split("_", 1)[1], kind="chart", title=plotting.chart_title(fig),
            unit=plotting.chart_unit(fig, _STATE.lang), source=plotting.chart_source(fig), frame=data,
            chart=f"charts/{stem}.png", labels=plotting.chart_value_labels(fig)))
    return screen


@functools.lru_cache(maxsize=1)
def _png_writer():
    """One thread of the kernel that encodes and writes the PNGs of the chart being saved."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="chart-png")


def _write_pngs(picture, path: Path, dpi: int) -> bytes:
    """Write the 300-dpi PNG of ``picture`` (RGB pixels, or the PNG itself when savefig painted
    it) to ``path``; return the screen PNG at ``dpi`` resampled from it."""
    hires = picture if isinstance(picture, bytes) else _png_bytes(picture, HIRES_DPI, HIRES_COMPRESS_LEVEL)
    _atomic_write(path, hires)
    return downscaled_png(picture, dpi, HIRES_DPI)


def save_table(table: Any, folder: Path, title: str = "", unit: str = "", source: str = "",
               data: pd.DataFrame | None = None) -> None:
    """Record a displayed table (a frame or a pandas ``Styler``, whose raw values are taken, or
    ``data`` when given) for the workbook, named after the section it is shown in."""
    frame = table.data if hasattr(table, "data") and not isinstance(table, pd.DataFrame) else table
    if data is not None:
        frame = data
    if not isinstance(frame, pd.DataFrame):
        return
    caption = getattr(table, "caption", None) or ""
    title = title or _without_colour_note(_plain(str(caption))) or _section_title()
    if not source:
        from .. import plotting

        source = plotting.source_text(_STATE.lang, synthetic=_STATE.synthetic)
    _save_record(folder, TableRecord(name=_STATE.section or "table", kind="table", title=title, unit=unit,
                                     source=source, frame=frame.reset_index(drop=True)))


def _source_cell(source: str, lang: str) -> str:
    """A chart's source line as a cell beside the label "Šaltinis" / "Source": without its own "Šaltinis: "
    (the cell read "Šaltinis | Šaltinis: Oficialiosios statistikos portalas ...")."""
    from ..i18n import TEXTS

    prefix = TEXTS["source_line"][lang].split("{source}")[0]
    return source[len(prefix):] if prefix and source.startswith(prefix) else source


def _section_title() -> str:
    from ..i18n import TEXTS, t

    key = f"h_{_STATE.section}"
    if _STATE.heading:
        return _STATE.heading
    return t(key, _STATE.lang) if key in TEXTS else _STATE.section


def _without_colour_note(title: str) -> str:
    """``title`` without the note on the report's rank colours (a sheet has no colours)."""
    from ..i18n import TEXTS

    for text in TEXTS["rank_colour_note"].values():
        # {n}: a number (thin-space or comma thousands) and its noun ("60 savivaldybių", "60 municipalities")
        pattern = re.escape(text).replace(re.escape("{n}"), r"\d[\d\u202f,]* \w+")
        title = re.sub(r"\s*" + pattern, "", title)
    return title.strip()


def _plain(html: str) -> str:
    """Caption text without HTML tags and entities (captions may carry ``<br><small>`` notes)."""
    import html as _html

    return _html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


@dataclass
class TableRecord:
    """One sheet of the workbook: a table shown in the report or the data behind a chart."""

    name: str
    kind: str  # "table" or "chart"
    title: str
    unit: str
    source: str
    frame: pd.DataFrame
    chart: str = ""
    territory: str = ""
    lang: str = "en"
    #: Heading of the section it was shown in (a short name for its sheet).
    heading: str = ""
    #: A chart's names of the codes in its frame, ``column -> {code: name}``
    #: (:func:`cityindicators.plotting.chart_value_labels`: the scenarios' labels ...).
    labels: dict[str, dict[str, str]] = field(default_factory=dict)


def _save_record(folder: Path, record: TableRecord) -> None:
    _STATE.items += 1
    record.territory, record.lang = _STATE.territory, _STATE.lang
    record.heading = _section_title() if _STATE.section else ""
    target = folder / DATA_FOLDER / f"{_STATE.items:03d}.pkl"
    target.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(target, pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))


def read_records(folder: Path) -> list[TableRecord]:
    """The records the kernel wrote into ``folder/.data``, in the order they were shown."""
    out = []
    for p in sorted((folder / DATA_FOLDER).glob("*.pkl")):
        # written by our own kernel a moment ago in the report's staging folder
        out.append(pickle.loads(p.read_bytes()))
    return out


#: Headers of the chart-data sheets: the canonical columns of the frames the charts drew (plotting's
#: and the monitoring report's) -> the i18n key of their header, as the table sheets have theirs.
#: ``group`` is an age group in every chart that has one (broad and service age groups).
CHART_DATA_HEADERS = {
    "year": "col_year", "value": "col_value", "sex": "col_sex", "age": "col_age", "group": "col_age_group",
    "component": "col_component", "indicator": "col_indicator", "unit": "col_unit",
    "territory_code": "col_territory_code", "territory": "col_territory", "period": "col_period",
    "series": "col_series", "scenario": "col_scenario", "quantile": "col_quantile",
}


def chart_data_headers(columns, lang: str) -> list[str]:
    """The headers of a chart-data sheet's ``columns`` in ``lang`` (:data:`CHART_DATA_HEADERS`; a
    column not listed there keeps its name)."""
    from ..i18n import t

    return [t(CHART_DATA_HEADERS[c], lang) if c in CHART_DATA_HEADERS else str(c) for c in columns]


#: Values of the chart-data sheets named as the charts and tables name them: a column of the frames
#: the charts drew -> its codes -> the i18n key of their name. Indicators (and the components of
#: change, which are indicators too) are named by the catalogue, units by its unit labels, scenarios
#: by the labels the chart was given (:func:`chart_data_values`).
CHART_DATA_VALUES: dict[str, dict[str, str]] = {
    "sex": {"male": "male", "female": "female", "total": "total"},
    "series": {"observed": "observed", "projected": "projection_line",
               "with_target_inflow": "series_with_target_inflow", "target": "series_target"},
    "group": {"0-14": "g_0_14", "15-64": "g_15_64", "65+": "g_65_plus", "0-6": "sg_0_6", "7-17": "sg_7_17",
              "18-29": "sg_18_29", "30-64": "sg_30_64", "65-79": "sg_65_79", "80+": "sg_80_plus"},
    "component": {"total_change": "total_change"},
}


def chart_data_values(frame: pd.DataFrame, lang: str,
                      labels: dict[str, dict[str, str]] | None = None) -> pd.DataFrame:
    """``frame`` (a chart's data, canonical column names) with the codes of its categorical columns
    replaced by their names in ``lang``: sexes, series, age groups (:data:`CHART_DATA_VALUES`),
    indicators and components (the catalogue's names), units (its unit labels) and whatever the
    chart itself named (``labels``, ``column -> {code: name}``: the scenarios' ``label_lt`` or
    ``label_en``), so that a planner's pasted sheet says what the chart's legend says. Numbers,
    territory codes and values without a name are kept as they are."""
    from ..i18n import TEXTS, t
    from ..indicators.catalogue import CATALOGUE, unit_label

    labels = labels or {}
    out = frame.copy()
    for col in out.columns:
        if col not in CHART_DATA_VALUES and col not in labels and col not in ("indicator", "component", "unit"):
            continue
        if out[col].dtype.kind in "iufb":  # numbers are data, never codes
            continue
        names = {code: t(key, lang) for code, key in CHART_DATA_VALUES.get(col, {}).items()}
        if col in ("indicator", "component", "unit"):
            codes = {v for v in out[col].dropna().unique() if isinstance(v, str)}
            if col == "unit":
                names.update({c: unit_label(c, lang) for c in codes})
            else:  # the catalogue's name, as tables name it (deaths there are positive counts, as here)
                names.update({c: CATALOGUE[c].name(lang) for c in codes if c in CATALOGUE})
                names.update({c: t(c, lang) for c in codes if c not in names and c in TEXTS})
        names.update(labels.get(col, {}))
        out[col] = out[col].map(lambda v, names=names: names.get(v, v) if isinstance(v, str) else v)
    return out


_HEAD = {
    "lt": {"unit": "Matavimo vienetas", "source": "Šaltinis", "territory": "Teritorija", "chart": "Diagrama",
           "sheets": "Lapai", "sheet": "Lapas", "title": "Pavadinimas", "file": "Failas", "kind": "Rūšis",
           "table": "lentelė", "chart_kind": "diagramos duomenys"},
    "en": {"unit": "Unit", "source": "Source", "territory": "Territory", "chart": "Chart",
           "sheets": "Sheets", "sheet": "Sheet", "title": "Title", "file": "File", "kind": "Kind",
           "table": "table", "chart_kind": "chart data"},
}


#: Excel's longest sheet name.
SHEET_NAME_MAX = 31


def _display_title(r: TableRecord) -> str:
    """The record's title without the territory's name (written on the sheet anyway)."""
    title = re.sub(r"\s+", " ", r.title or "").strip()
    if r.territory:
        for sep in (", ", " – ", " - "):
            title = title.replace(sep + r.territory, "")
    return title.strip(" ,.;:–-") or r.name


def _sheet_title(r: TableRecord, room: int, heading_shared: bool = False) -> str:
    """What names the record's sheet in ``room`` characters: its title (without the territory)
    when it fits, else the heading of its section when that fits and no other sheet's record has
    it (the monitoring report's criteria share "Kriterijai": their sheets are named by their cut
    titles, "03 E3. Senatvės demografinės…", which say which criterion), else the title, to be cut."""
    title = _display_title(r)
    if len(_clean_sheet_text(title)) <= room:
        return title
    heading = r.heading or ""
    if heading and not heading_shared and len(_clean_sheet_text(heading)) <= room:
        return heading
    return title


def _clean_sheet_text(text: str) -> str:
    """``text`` without the characters Excel refuses in a sheet name, spaces collapsed."""
    return re.sub(r"\s+", " ", _SHEET_FORBIDDEN.sub(" ", text)).strip().strip("'").strip()


def _fit_sheet_name(text: str) -> str:
    """``text`` without the characters Excel refuses in a sheet name (``[]:*?/\\``, a leading or
    trailing apostrophe), cut at a word to :data:`SHEET_NAME_MAX` characters with an ellipsis."""
    text = _clean_sheet_text(text)
    if len(text) <= SHEET_NAME_MAX:
        return text
    cut = text[: SHEET_NAME_MAX - 1]
    if text[len(cut)] != " " and " " in cut[SHEET_NAME_MAX // 2:]:  # in the middle of a word: cut before it
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:–-'") + "…"


def _telling_apart(title: str, other: str) -> str:
    """``title`` shortened to what tells it from ``other``, a title it begins like: its first word,
    an ellipsis and its words after those they share ("Gyventojų … ir tikslas" beside "Gyventojų
    skaičius pagal scenarijus"), so that two sheets are not both "Gyventojų skaičius pagal…"."""
    words, others = title.split(), other.split()
    k = 0
    while k < min(len(words), len(others)) and words[k] == others[k]:
        k += 1
    return f"{words[0]} … {' '.join(words[k:])}" if 0 < k < len(words) else title


def _sheet_names(records: list[TableRecord]) -> list[str]:
    """The sheets' display names: number and title in the report's language, or the section's
    heading when the title is too long and the heading is the record's alone ("07 Priklausomybės
    koeficientai"), at most 31 characters, none of the characters Excel refuses, unique
    (case-insensitively, as Excel compares them) and never Excel's reserved "History". A title cut
    like an earlier one keeps what tells it apart (:func:`_telling_apart`)."""
    names: list[str] = []
    used: set[str] = set()
    headings = Counter(r.heading for r in records if r.heading)
    cut_from: dict[str, str] = {}  # a cut name without its number -> the title it was cut from
    for i, r in enumerate(records, 1):
        text = _sheet_title(r, SHEET_NAME_MAX - len(f"{i:02d} "), heading_shared=headings[r.heading] > 1)
        name = _fit_sheet_name(f"{i:02d} {text}")
        stem = name[3:]
        if stem in cut_from and cut_from[stem] != text:  # cut alike from another title: say what differs
            name = _fit_sheet_name(f"{i:02d} {_telling_apart(text, cut_from[stem])}")
        elif name.endswith("…"):
            cut_from.setdefault(stem, text)
        k = 2
        while name.casefold() in used or name.casefold() == "history":
            suffix = f" ({k})"
            name = name[: SHEET_NAME_MAX - len(suffix)] + suffix
            k += 1
        used.add(name.casefold())
        names.append(name)
    return names


def _file_stems(records: list[TableRecord]) -> list[str]:
    """CSV file stems: number and id (``03_population_trend``), plain ASCII for any file system."""
    return [f"{i:02d}_{re.sub(r'[^A-Za-z0-9_]+', '_', r.name)}" for i, r in enumerate(records, 1)]


def write_tables(folder: Path, template: str) -> list[str]:
    """Write ``<template>.xlsx`` and ``tables/*.csv`` from the kernel's records in ``folder``;
    return the files written (relative to ``folder``). ``.data/`` is removed.

    Sheets are named by their titles in the report's language (:func:`_sheet_names`), CSV files
    by number and id. Text that a spreadsheet would run as a formula is a text cell as typed in
    the workbook (:func:`_write_row`, with the ``quotePrefix`` style that
    :func:`~cityindicators.spreadsheet.neutralise_sheet` gives such cells) and has an apostrophe
    in front in the CSV (:func:`~cityindicators.spreadsheet.spreadsheet_safe`).

    The workbook is written by XlsxWriter: the same cells, types, styles and column widths as
    openpyxl's write-only mode wrote, in about a third less time (this function, CSV included, on
    the real extract: situation analysis 0.18 -> 0.11 CPU s, scenarios 0.32 -> 0.23); the tables'
    rows written column by column (:func:`_write_body`) take a fifth off that (0.12 -> 0.10 and
    0.22 -> 0.17, the best of twelve runs each).
    """
    import xlsxwriter

    from .._io import atomic_write_text
    from ..spreadsheet import spreadsheet_safe_frame

    records = read_records(folder)
    shutil.rmtree(folder / DATA_FOLDER, ignore_errors=True)
    if not records:
        return []
    lang = records[0].lang if records[0].lang in _HEAD else "en"
    head = _HEAD[lang]
    names = _sheet_names(records)
    (folder / "tables").mkdir(exist_ok=True)
    buf = io.BytesIO()
    # text is written as typed: never turned into a formula, a link or a number
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False, "nan_inf_to_errors": True})
    styles = _Styles(wb)
    index = wb.add_worksheet(head["sheets"])  # the first sheet; its rows are written as the sheets are
    index_header = [head["sheet"], head["title"], head["kind"], head["unit"], head["source"], head["file"]]
    _write_row(index, 0, index_header, styles)
    index_rows = []
    files = []
    for name, stem, r in zip(names, _file_stems(records), records):
        frame = _plain_frame(r.frame)
        if r.kind == "chart":  # the frame a chart drew has canonical columns and codes; a reader gets words
            frame = chart_data_values(frame, lang, r.labels)
            frame.columns = chart_data_headers(frame.columns, lang)
        csv_name = f"tables/{stem}.csv"
        atomic_write_text(folder / csv_name, spreadsheet_safe_frame(frame).to_csv(index=False), durable=False)
        files.append(csv_name)
        kind = head["table"] if r.kind == "table" else head["chart_kind"]
        source = _source_cell(r.source, lang)
        index_rows.append([name, r.title, kind, r.unit, source, csv_name])
        _write_row(index, len(index_rows), index_rows[-1], styles)
        ws = wb.add_worksheet(name)
        for i, col in enumerate(frame.columns):
            # a width of w characters, as the file states it (Calibri 11's digits are 7 pixels wide)
            ws.set_column_pixels(i, i, 7 * min(max(12, len(str(col)) + 2), 48))
        heading = [[r.title], [head["unit"], r.unit], [head["source"], source], [head["territory"], r.territory]]
        if r.chart:
            heading.append([head["chart"], r.chart])
        for row, values in enumerate(heading):
            _write_row(ws, row, values, styles, bold=row == 0)
        row = len(heading) + 1  # a blank row, then the table's header
        _write_row(ws, row, list(frame.columns), styles, bold=True)
        _write_body(ws, row + 1, frame, styles)
    index_frame = pd.DataFrame(index_rows, columns=index_header)
    atomic_write_text(folder / "tables/index.csv", spreadsheet_safe_frame(index_frame).to_csv(index=False),
                      durable=False)
    files.append("tables/index.csv")
    wb.close()
    _atomic_write(folder / f"{template}.xlsx", buf.getvalue())
    return [f"{template}.xlsx", *files]


class _Styles:
    """The workbook's cell styles: bold (the title and header rows), ``quotePrefix`` (text a
    spreadsheet would run as a formula, shown as typed) and both."""

    def __init__(self, wb) -> None:
        self.bold = wb.add_format({"bold": True})
        self.quoted = wb.add_format({"quote_prefix": True})
        self.bold_quoted = wb.add_format({"bold": True, "quote_prefix": True})


def _write_row(ws, row: int, values: list, styles: _Styles, bold: bool = False) -> None:
    """``values`` into row ``row`` of the XlsxWriter sheet ``ws`` (:func:`_write_value`); every
    cell bold with ``bold``."""
    for col, v in enumerate(values):
        _write_value(ws, row, col, v, styles, bold)


def _write_value(ws, row: int, col: int, v: Any, styles: _Styles, bold: bool = False) -> None:
    """``v`` into one cell of the XlsxWriter sheet ``ws``: text as text (formula-like text with
    the ``quotePrefix`` style: never evaluated, what
    :func:`~cityindicators.spreadsheet.neutralise_sheet` does to a sheet in memory), numbers and
    booleans as such, ``None`` and empty text as an empty cell (styled in a bold row, as openpyxl
    left it)."""
    from ..spreadsheet import formula_like

    plain = styles.bold if bold else None
    if v is None or v == "":
        if plain is not None:
            ws.write_blank(row, col, None, plain)
        return
    if isinstance(v, str):
        quoted = formula_like(v)
        ws.write_string(row, col, v, (styles.bold_quoted if bold else styles.quoted) if quoted else plain)
    elif isinstance(v, bool):
        ws.write_boolean(row, col, v, plain)
    elif isinstance(v, (int, float)):
        ws.write_number(row, col, v, plain)
    else:  # dates and the like: XlsxWriter's own conversion
        ws.write(row, col, v, plain)


def _write_body(ws, first_row: int, frame: pd.DataFrame, styles: _Styles) -> None:
    """The rows of ``frame`` into the sheet ``ws`` from row ``first_row`` on, each cell as
    :func:`_write_value` writes :func:`_cell` of it, column by column: a column of numpy numbers
    or booleans is known to hold nothing else (NaN an empty cell), so its cells are written
    without asking each what it is (about half the time of a workbook's cells)."""
    import numpy as np

    from ..spreadsheet import formula_like

    for col in range(frame.shape[1]):
        column = frame.iloc[:, col]
        values = column.tolist()  # Python numbers, booleans, text (and NaN, None or pd.NA)
        kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else ""
        if kind == "b":
            for row, v in enumerate(values, first_row):
                ws.write_boolean(row, col, v)
        elif kind in "iuf" and kind:
            for row, v in enumerate(values, first_row):
                if v == v:  # not NaN
                    ws.write_number(row, col, v)
        else:  # text mostly: plain text written at once, the rest as _write_value says
            for row, v in enumerate(values, first_row):
                if type(v) is str and v and not formula_like(v):
                    ws.write_string(row, col, v)
                else:
                    _write_value(ws, row, col, _cell(v), styles)


def _plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns as text, categorical and nullable values as plain Python values."""
    out = frame.copy()
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
    return out


def _cell(value: Any) -> Any:
    """A value for a workbook cell: NaN/NA as an empty cell, numpy scalars as Python numbers."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    return value
