"""The PDF printer reuses one browser page from report to report: each PDF is its own report's,
and the console errors returned are those of the report just printed, not of an earlier one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cityindicators.reports import pdf

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(pdf.pdf_unavailable()), reason=pdf.pdf_unavailable() or "Chromium available"),
]


def _page(folder: Path, name: str, pages: int, script: str = "") -> Path:
    """An A4 document of ``pages`` pages (a forced break before each after the first)."""
    body = "".join(f'<p style="break-before: {"page" if i else "auto"}">{name} {i + 1}</p>' for i in range(pages))
    path = folder / f"{name}.html"
    path.write_text(f"<!doctype html><html><head><style>@page {{ size: A4; }}</style></head>"
                    f"<body>{body}{script}</body></html>", encoding="utf-8")
    return path


def _pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", path.read_bytes()))


def test_reports_printed_in_a_row_keep_their_own_pages_and_errors(tmp_path):
    bad = _page(tmp_path, "bad", 1, "<script>console.error('broken chart')</script>")
    good = _page(tmp_path, "good", 3)
    try:
        first = pdf.write_pdf(bad, tmp_path / "bad.pdf")
        second = pdf.write_pdf(good, tmp_path / "good.pdf")
        third = pdf.write_pdf(bad, tmp_path / "bad-again.pdf")
    finally:
        pdf.close_browsers()
    assert first == ["broken chart"] and second == [] and third == ["broken chart"]
    assert [_pages(tmp_path / f"{n}.pdf") for n in ("bad", "good", "bad-again")] == [1, 3, 1]


def _images(pdf_path: Path) -> list[bytes]:
    """The image objects of a PDF: size, colours, filter and compressed length of each."""
    return re.findall(rb"/Subtype\s*/Image[^>]*", pdf_path.read_bytes())


def test_print_copy_gives_the_pdf_of_the_page_itself(tmp_path):
    import base64
    import io

    import nbformat
    from PIL import Image

    from cityindicators.reports.html_export import export_html, extract_charts, print_copy

    # the batch prints the page with its charts read from charts/ instead of embedded: the same images
    nb = nbformat.v4.new_notebook()
    for i, (size, colour) in enumerate((((300, 200), "red"), ((200, 300), "blue")), 1):
        buf = io.BytesIO()
        Image.new("RGB", size, colour).save(buf, format="PNG")
        cell = nbformat.v4.new_code_cell("s.chart(ctx)")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(buf.getvalue()).decode()},
                                               metadata={"cityindicators_file": f"0{i}_chart"})]
        nb.cells.append(cell)
    html = export_html(nb, title="t", lang="en")
    (tmp_path / "report.html").write_text(html, encoding="utf-8")
    (tmp_path / "charts").mkdir()
    for fname, png in extract_charts(nb):
        (tmp_path / "charts" / fname).write_bytes(png)
    (tmp_path / ".report.print.html").write_text(print_copy(html, nb), encoding="utf-8")
    try:
        assert pdf.write_pdf(tmp_path / "report.html", tmp_path / "embedded.pdf") == []
        assert pdf.write_pdf(tmp_path / ".report.print.html", tmp_path / "referenced.pdf") == []
    finally:
        pdf.close_browsers()
    embedded = _images(tmp_path / "embedded.pdf")
    assert len(embedded) == 2 and b"/Width 300" in embedded[0] and b"/Width 200" in embedded[1]
    assert _images(tmp_path / "referenced.pdf") == embedded


def _pdf_pages_text(path: Path) -> list[str]:
    """The text of each page of a PDF (poppler's pdftotext; the test is skipped without it)."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian's poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")


def test_sentences_after_a_table_start_on_the_table_s_page(tmp_path):
    # the assumption sentences follow their table: too long for the rest of the page as a whole,
    # they used to go all to the next page; now they start under the table and continue overleaf
    import nbformat

    from cityindicators.reports.html_export import export_html

    rows = "".join(f"<tr><td>row {i}</td><td>{i}</td></tr>" for i in range(25))
    sentences = "\n".join(f"- Sentence {i}: " + "words that fill a line of the page " * 6 for i in range(1, 16))
    outputs = [("text/markdown", "## Assumptions"), ("text/html", f"<table><caption>Table</caption>{rows}</table>"),
               ("text/markdown", sentences)]
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("s.assumptions(ctx)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={mime: text}) for mime, text in outputs]
    nb.cells.append(cell)
    (tmp_path / "report.html").write_text(export_html(nb, title="t", lang="en"), encoding="utf-8")
    try:
        assert pdf.write_pdf(tmp_path / "report.html", tmp_path / "report.pdf") == []
    finally:
        pdf.close_browsers()
    pages = _pdf_pages_text(tmp_path / "report.pdf")
    assert "row 24" in pages[0] and "Sentence 1:" in pages[0]
    assert "Sentence 15:" in pages[1]  # the list continues on the next page


def _report_page(folder: Path, title: str, text: str, colour: str, size: tuple[int, int]) -> Path:
    """A report's print copy in ``folder`` (its chart in ``folder/charts``), as the runner writes it."""
    import base64
    import io

    import nbformat
    from PIL import Image

    from cityindicators.reports.html_export import export_html, extract_charts, print_copy

    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("s.chart(ctx)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": f"## {text}\n\n[up](#top)"}),
                    nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(buf.getvalue()).decode()},
                                           metadata={"cityindicators_file": "01_chart"})]
    nb.cells.append(cell)
    html = export_html(nb, title=title, lang="lt")
    (folder / "charts").mkdir(parents=True)
    for fname, png in extract_charts(nb):
        (folder / "charts" / fname).write_bytes(png)
    page = folder / ".report.print.html"
    page.write_text(print_copy(html, nb), encoding="utf-8")
    return page


def _pdf_title(path: Path) -> str:
    import subprocess

    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Title:"))


def test_a_report_swapped_into_the_page_prints_as_loaded_afresh(tmp_path):
    # reports with the same head (style sheets) are put into the loaded page by swapping its
    # body: the PDF has the report's own title, text and images, as if the page were loaded anew
    first = _report_page(tmp_path / "a", "Alytaus ataskaita", "Alytus", "red", (300, 200))
    second = _report_page(tmp_path / "b", "Birštono ataskaita", "Birštonas", "blue", (200, 300))
    try:
        assert pdf.write_pdf(first, tmp_path / "a.pdf") == []
        assert pdf.write_pdf(second, tmp_path / "b-swapped.pdf") == []
        assert pdf._pool().run(lambda: pdf._local.browser.swaps) == 1  # the second was swapped in
        pdf.close_browsers()
        assert pdf.write_pdf(second, tmp_path / "b-loaded.pdf") == []
        assert pdf._pool().run(lambda: pdf._local.browser.swaps) == 0
    finally:
        pdf.close_browsers()
    swapped, loaded = tmp_path / "b-swapped.pdf", tmp_path / "b-loaded.pdf"
    assert _images(swapped) == _images(loaded) and b"/Width 200" in _images(swapped)[0]
    assert _pdf_pages_text(swapped) == _pdf_pages_text(loaded) and "Birštonas" in _pdf_pages_text(swapped)[0]
    assert "Alytus" not in "".join(_pdf_pages_text(swapped))
    assert _pdf_title(swapped) == _pdf_title(loaded) == "Birštono ataskaita"


def test_only_a_page_that_would_print_the_same_is_swapped_in():
    head = '<!DOCTYPE html><html lang="lt"><head><meta charset="utf-8"><title>A &amp; B</title><style>p {}</style></head>'
    parts = pdf._swappable(head + '<body class="x"><img src="charts/1.png"><a href="#s">s</a>'
                           '<img src="data:image/png;base64,AAAA"></body></html>\n', "file:///r/a/")
    assert parts is not None and parts.title == "A & B" and "<title></title>" in parts.head
    assert parts.body == ('<img src="file:///r/a/charts/1.png"><a href="#s">s</a>'
                          '<img src="data:image/png;base64,AAAA">')
    other_title = pdf._swappable(head.replace("A &amp; B", "C") + "<body class=\"x\"></body></html>", "file:///r/b/")
    assert other_title is not None and other_title.head == parts.head
    for body in ("<script>x()</script>", '<img src="a.png" onerror="x()">', "<img srcset='a.png 2x'>",
                 '<div style="background: url(a.png)"></div>', '<link rel="stylesheet" href="a.css">'):
        assert pdf._swappable(f"{head}<body>{body}</body></html>", "file:///r/") is None, body
    assert pdf._swappable(head.replace("<style>", '<link href="a.css"><style>') + "<body></body></html>", "file:///") is None
    assert pdf._swappable("<html><body>no head</body></html>", "file:///") is None
    data = '<div style="background: url(data:image/png;base64,AA)"></div>'  # data names no file
    assert pdf._swappable(f"{head}<body>{data}</body></html>", "file:///r/").body == data


def test_a_browser_started_ahead_prints_the_reports_and_is_not_started_again(tmp_path):
    # the runner starts the browser while the kernel runs the cells; the report printed next
    # uses that browser (its warm-up print on an empty page shows nowhere) and a second start
    # while it runs changes nothing (no other browser, no reload of the page in it)
    bad = _page(tmp_path, "bad", 1, "<script>console.error('broken chart')</script>")
    good = _page(tmp_path, "good", 3)
    try:
        pdf.close_browsers()
        pdf.start_browser()
        first = pdf.write_pdf(good, tmp_path / "good.pdf")
        browser = pdf._pool().run(lambda: pdf._local.browser)
        pdf.start_browser()
        second = pdf.write_pdf(bad, tmp_path / "bad.pdf")
        assert pdf._pool().run(lambda: pdf._local.browser) is browser
    finally:
        pdf.close_browsers()
    assert first == [] and second == ["broken chart"]
    assert [_pages(tmp_path / f"{n}.pdf") for n in ("good", "bad")] == [3, 1]
