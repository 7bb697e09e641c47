"""A report's HTML page (self-contained, no code, printable), its PNG charts and its PDF.

The other formats (SVG and 300-dpi charts, the workbook and CSV tables) are in :mod:`.exports`;
the PDF is printed by :mod:`.pdf`.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any, Callable

import nbformat

__all__ = ["NOTES_TAG", "export_html", "extract_charts", "print_copy", "start_exporter", "start_pdf", "slug"]

log = logging.getLogger(__name__)

#: Cell tag of analyst notes: shown in JupyterLab, left out of the HTML report.
NOTES_TAG = "notes"


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")



_PRINT_CSS = """
body { max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
.jp-Cell { padding: 0; }
.jp-OutputArea-output table { border-collapse: collapse; }
/* a table's first column holds text (indicator, scenario, age group): left-aligned like text */
.jp-RenderedHTMLCommon.jp-OutputArea-output td:first-child,
.jp-RenderedHTMLCommon.jp-OutputArea-output th:first-child { text-align: left; }
.ci-report-footer { margin-top: 2rem; font-size: 0.8em; color: #555; border-top: 1px solid #ccc; padding-top: .5rem; }
@page { size: A4; margin: 15mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  /* an image, a table, a row or a list item is not split; a cell may be (a section's table and its
     sentences are often longer than a page: kept whole, the section began a page late, after an
     empty first page) */
  img, table, tr, li { break-inside: avoid; page-break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
  /* JupyterLab prints every output whole (break-inside: avoid-page on a display: table box), so
     the sentences after a table or chart, too long for the rest of its page, all went to the
     next one: a text output may split between paragraphs and list items, and a table or chart
     keeps the note or sentences that follow it on its page */
  .jp-OutputArea-child { display: block; }
  .jp-OutputArea-child:has(> .jp-RenderedMarkdown) { break-inside: auto; page-break-inside: auto; }
  .jp-OutputArea-child:has(table, img) { break-after: avoid; page-break-after: avoid; }
  p { orphans: 2; widows: 2; }
  /* every section after the first starts a page */
  .jp-Cell:has(h2) ~ .jp-Cell:has(h2) { break-before: page; page-break-before: always; }
  /* tables fit the 180 mm between the margins: smaller type, headers wrap, rank column inside */
  /* as specific as JupyterLab's 'table-layout: fixed' (equal columns, which split the words of a
     long scenario name), which comes later in the page; columns sized to their words */
  .jp-RenderedHTMLCommon.jp-OutputArea-output table { width: 100%; max-width: 100%; table-layout: auto; font-size: 8pt; }
  .jp-OutputArea-output th, .jp-OutputArea-output td { white-space: normal; padding: 2px 4px; overflow-wrap: break-word; }
  .jp-OutputArea-output, .jp-Cell-outputWrapper, .jp-OutputArea { overflow: visible; max-width: 100%; }
  a { color: inherit; text-decoration: none; }
}
"""

# A template on top of JupyterLab's: no scripts from the network (require.js, MathJax, mermaid),
# so the report opens offline and prints; the print rules above.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{% block extra_css %}<style type="text/css">""" + _PRINT_CSS + """</style>{% endblock extra_css %}
{% block data_png scoped %}<div class="jp-RenderedImage jp-OutputArea-output">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}" alt="{{ output.metadata.get('cityindicators_alt', 'chart') | escape_html }}">
</div>{% endblock data_png %}
{% block body_footer %}<footer class="ci-report-footer">{{ resources.ci_footer }}</footer>
{{ super() }}{% endblock body_footer %}
"""


def _report_notebook(nb: nbformat.NotebookNode, images: list[str] | None = None) -> nbformat.NotebookNode:
    """The executed notebook as the reader sees it: no analyst notes, no stderr. A new notebook
    and new cells (``nb`` is left as it is) that share the cells' contents, outputs included,
    with ``nb``: the exporter copies the whole notebook before it changes anything (a copy
    here too cost a second deep copy of every chart's data).

    With ``images`` (a list, filled here) every PNG's base64 text is appended to it and stands
    in the new notebook as a short placeholder (:func:`_placeholder`), which
    :func:`export_html` puts back into the page."""
    out = nbformat.NotebookNode({k: v for k, v in nb.items() if k != "cells"})
    out.metadata = copy.copy(nb.metadata)  # the title is set on it
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if NOTES_TAG in tags or "parameters" in tags or "injected-parameters" in tags:
            continue
        if cell.cell_type == "code":
            outputs = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            if not outputs:
                continue
            if images is not None:
                outputs = [_with_placeholder(o, images) for o in outputs]
            cell = nbformat.NotebookNode(cell, outputs=outputs)
        cells.append(cell)
    out.cells = cells
    return out


#: What stands for the ``n``-th PNG while the page is made: letters, digits and dashes only,
#: which no filter of the template changes (the real base64 text is put back afterwards).
_PLACEHOLDER = "cityindicators-png-{n}-end"
_PLACEHOLDER_RE = re.compile(r'src="data:image/png;base64,cityindicators-png-(\d+)-end"')


def _with_placeholder(output: nbformat.NotebookNode, images: list[str]) -> nbformat.NotebookNode:
    """``output`` (a new node when it holds a PNG) with its PNG replaced by a placeholder."""
    data = output.get("data")
    if not data or "image/png" not in data:
        return output
    images.append(data["image/png"])
    return nbformat.NotebookNode(output, data=nbformat.NotebookNode(
        data, **{"image/png": _PLACEHOLDER.format(n=len(images) - 1)}))


_exporters = threading.local()


def _exporter(lang: str):
    """This thread's HTML exporter for ``lang``, made once: building one loads and compiles the
    JupyterLab templates, a good part of the export's time, and the exporter keeps no state
    from one notebook to the next. One that :func:`start_exporter` is making is waited for."""
    cache = getattr(_exporters, "by_lang", None)
    if cache is None:
        cache = _exporters.by_lang = {}
    if lang not in cache:
        making = getattr(_exporters, "making", {}).pop(lang, None)
        try:
            cache[lang] = making.result() if making is not None else _new_exporter(lang)
        except Exception as exc:  # made in the background: made again here, where an error is the caller's
            log.debug("HTML exporter made in the background failed: %s", exc)
            cache[lang] = _new_exporter(lang)
    return cache[lang]


def _new_exporter(lang: str):
    import jinja2
    from nbconvert import HTMLExporter

    return HTMLExporter(
        extra_loaders=[jinja2.DictLoader({"cityreport.html.j2": _TEMPLATE})],
        template_file="cityreport.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code=lang,
        # the notebook checked once, after all the preprocessors, instead of after each of
        # them (a dozen checks of the whole notebook, its charts' data included)
        optimistic_validation=True,
    )


def _ready_exporter(lang: str):
    """A new exporter for ``lang`` that has exported once: nbconvert imported, the templates
    compiled (the exporter keeps them), the modules of the first export loaded."""
    exporter = _new_exporter(lang)
    exporter.from_notebook_node(nbformat.v4.new_notebook(), resources={"ci_footer": ""})
    return exporter


def start_exporter(lang: str) -> None:
    """Make this thread's exporter for ``lang`` (:func:`_exporter`) in a thread of its own and
    return at once: importing nbconvert and compiling the templates, about 0.7 CPU s that the
    first report of a process paid after its cells, is then done while the kernel runs them
    (the runner's process waits for the kernel meanwhile). The exporter is handed to this
    thread only, as the ones it makes itself are; nothing happens when it has one already."""
    if lang in getattr(_exporters, "by_lang", {}) or lang in getattr(_exporters, "making", {}):
        return
    from concurrent.futures import Future

    making: Future = Future()

    def make() -> None:
        try:
            making.set_result(_ready_exporter(lang))
        except BaseException as exc:  # handed to the thread that takes the exporter
            making.set_exception(exc)

    if not hasattr(_exporters, "making"):
        _exporters.making = {}
    _exporters.making[lang] = making
    threading.Thread(target=make, name="cityindicators-html-exporter", daemon=True).start()


def export_html(nb: nbformat.NotebookNode, title: str = "", lang: str = "en", footer: str = "") -> str:
    """A self-contained HTML page of an executed notebook without code.

    Inputs and prompts are left out, images are embedded as data URIs, no script is loaded
    from the network, and print rules give A4 pages without charts split across pages.
    """
    exporter = _exporter(lang)
    # the charts' base64 text (most of the page) is kept out of the exporter: nbconvert parses
    # and writes the whole page again with BeautifulSoup (to add alt texts and tab stops), which
    # took twice as long with the images in it; put back afterwards, the page is the same
    images: list[str] = []
    report_nb = _report_notebook(nb, images)
    if not all(isinstance(text, str) and _BASE64.fullmatch(text) for text in images):  # exported as it is
        report_nb, images = _report_notebook(nb), []
    if title:
        report_nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(report_nb, resources={"ci_footer": footer})
    return _PLACEHOLDER_RE.sub(lambda m: f'src="data:image/png;base64,{images[int(m.group(1))]}"', body) if images else body


#: Base64 text (line breaks allowed): nothing in it that HTML escapes, so it is written as it is.
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")


def _chart_images(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """The PNG images of an executed notebook as ``(file name, base64 text)``, in order."""
    out: list[tuple[str, str]] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if "image/png" not in data:
                continue
            meta = o.get("metadata", {})
            name = slug(str(meta.get("cityindicators_chart", "chart"))).replace("-", "_") or "chart"
            # the stem the kernel gave the chart's SVG and 300-dpi PNG, so that the three files match
            stem = meta.get("cityindicators_file") or f"{len(out) + 1:02d}_{name}"
            out.append((f"{stem}.png", data["image/png"]))
    return out


def extract_charts(nb: nbformat.NotebookNode) -> list[tuple[str, bytes]]:
    """The PNG images of an executed notebook as ``(file name, bytes)``, in order.

    Charts displayed by :mod:`cityindicators.reports.sections` carry their name in the output
    metadata (``cityindicators_chart``); other images are named ``chart``.
    """
    import base64

    return [(fname, base64.b64decode(b64)) for fname, b64 in _chart_images(nb)]


_EMBEDDED_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=\s]+)"')


def print_copy(html: str, nb: nbformat.NotebookNode, charts_folder: str = "charts") -> str:
    """The page ``html`` (:func:`export_html` of ``nb``) for the PDF printer: every chart that
    :func:`extract_charts` writes into ``charts_folder`` is referenced there (``src="charts/
    03_pyramid.png"``) instead of embedded. The same picture from the same bytes, but Chromium
    reads a file faster than it decodes a data URI in the page: about 0.2 CPU s less a report.
    Printed from the report's folder, then removed."""
    files = {b64: f"{charts_folder}/{fname}" for fname, b64 in _chart_images(nb)}
    return _EMBEDDED_PNG.sub(lambda m: f'src="{files[m.group(1)]}"' if m.group(1) in files else m.group(0), html)


_PDF_WARNED: set[str] = set()


def start_pdf(html: Path, manifest: dict[str, Any], printed_from: Path | None = None) -> Callable[[], list[str]]:
    """Start printing the HTML (or its :func:`print_copy` ``printed_from``) to ``<template>.pdf``
    beside it; returns the function that waits for it and gives the files written (the PDF's
    name). Without Chromium (or when printing fails) the report goes on without PDF: the wait
    gives no file, and the reason is said once in the log and in the manifest."""
    from . import pdf

    target = html.with_suffix(".pdf")
    why = pdf.pdf_unavailable()
    printing = None
    if not why:
        try:
            printing = pdf.start_pdf(printed_from or html, target)
        except Exception as exc:  # a browser that cannot take the job must not cost the report
            why = _print_failure(exc)

    def wait() -> list[str]:
        reason = why
        if printing is not None:
            try:
                errors = printing.result()
                if errors:
                    log.warning("%s: the page logged errors while printing: %s", html.name, "; ".join(errors[:3]))
                return [target.name]
            except Exception as exc:  # a browser crash must not cost the report
                reason = _print_failure(exc)
        manifest["pdf"] = reason
        if reason not in _PDF_WARNED:
            _PDF_WARNED.add(reason)
            log.warning("%s (the HTML report is written)", reason)
        return []

    return wait


def _print_failure(exc: BaseException) -> str:
    return f"no PDF: printing failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"

