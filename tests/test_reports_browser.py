"""Open a generated HTML report in headless Chromium (Debian's ``chromium`` package, driven by
Playwright for Python with the system browser; no browser download), print it at A4 width, and
check the PDF the runner printed with the same browser."""

from __future__ import annotations

import os
import shutil
import re
from pathlib import Path

import pytest

from cityindicators.reports import runner

CHROMIUM = os.environ.get("CITYINDICATORS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def report_html(tmp_path_factory) -> Path:
    from cityindicators.demo import build_demo

    data = tmp_path_factory.mktemp("demo") / "data"
    build_demo(data)
    out = tmp_path_factory.mktemp("reports")
    res = runner.run_report("situation_analysis", "X13", language="lt", output_dir=out, data_dir=data)
    assert res.status == "ok", res.error
    return Path(res.output_dir) / "situation_analysis.html"


#: Width between the margins of an A4 page (210 mm - 2 x 15 mm) in CSS pixels (96 per inch).
A4_CONTENT_PX = int(180 / 25.4 * 96)


def test_nothing_cut_off_at_a4_width(report_html):
    """Printed at the width of an A4 page, no table (the rank column included), image or text
    reaches past the right margin, and every section after the first starts a page."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": A4_CONTENT_PX, "height": 1100})
            page.emulate_media(media="print")
            page.goto(report_html.resolve().as_uri(), wait_until="load")
            width = page.evaluate("document.documentElement.clientWidth")
            scroll = page.evaluate("document.documentElement.scrollWidth")
            overflow = page.eval_on_selector_all(
                "table, img, th:last-child, td:last-child",
                f"els => els.filter(e => e.getBoundingClientRect().right > {width} + 1)"
                ".map(e => e.tagName + ' ' + e.textContent.slice(0, 30))")
            breaks = page.eval_on_selector_all(
                ".jp-Cell", "els => els.filter(e => e.querySelector('h2'))"
                ".map(e => getComputedStyle(e).breakBefore)")
            ranks = page.eval_on_selector_all("th", "els => els.map(e => e.textContent.trim())")
            # columns sized to their words (JupyterLab's fixed layout gave equal columns and split
            # the words of long names); a section's cell may break across pages (kept whole, a
            # section longer than the rest of a page left that page empty)
            layouts = page.eval_on_selector_all(
                ".jp-OutputArea-output table", "els => els.map(e => getComputedStyle(e).tableLayout)")
            cell_breaks = page.eval_on_selector_all(
                ".jp-Cell", "els => els.map(e => getComputedStyle(e).breakInside)")
            first_column = page.eval_on_selector_all(
                ".jp-OutputArea-output td:first-child, .jp-OutputArea-output th:first-child",
                "els => els.map(e => getComputedStyle(e).textAlign)")
        finally:
            browser.close()
    assert scroll <= width + 1, f"page {scroll}px wide at {width}px"
    assert not overflow, f"cut off at A4 width: {overflow}"
    assert "Vieta" in ranks  # the rank column is there, and inside the page
    assert len(breaks) >= 5 and breaks[0] != "page" and set(breaks[1:]) == {"page"}
    assert layouts and set(layouts) == {"auto"}, layouts
    assert "avoid" not in cell_breaks
    assert first_column and set(first_column) == {"left"}  # the text column reads as text


def test_pdf_is_a4_with_a_page_per_section(report_html):
    folder = report_html.parent
    pdf = folder / "situation_analysis.pdf"
    assert pdf.exists(), "the runner prints a PDF when Chromium is there"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    boxes = {tuple(round(float(x)) for x in m.split()) for m in re.findall(rb"/MediaBox \[([^\]]+)\]", data)}
    assert boxes == {(0, 0, 595, 842)}, boxes  # A4 in points
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    sections = report_html.read_text(encoding="utf-8").count("<h2")
    assert pages >= sections - 1 >= 5  # a page for each section after the first, at least
    import json

    manifest = json.loads((folder / "manifest.json").read_text())
    assert "situation_analysis.pdf" in manifest["files"] and "pdf" not in manifest


def test_html_report_in_chromium(report_html, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    failed_requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: failed_requests.append(r.url))
            page.goto(report_html.resolve().as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => ({ok: e.complete && e.naturalWidth > 0, alt: e.alt}))")
            code_visible = page.eval_on_selector_all(
                ".jp-InputArea, .jp-CodeMirrorEditor, .highlight pre",
                "els => els.filter(e => e.offsetParent !== null).length")
            title = page.title()
            heading = page.inner_text("h1")
            lang = page.get_attribute("html", "lang")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=False)
            page.emulate_media(media="print")
            pdf_ok = True
        finally:
            browser.close()
    assert len(images) >= 6, "every chart is an image"
    assert all(i["ok"] for i in images), f"images not loaded: {images}"
    assert all(i["alt"] for i in images)
    assert code_visible == 0, "code cells are visible"
    assert not errors, f"console errors: {errors}"
    assert not failed_requests, f"requests failed: {failed_requests}"
    assert "situacijos analizė" in title and "Eglyno" in heading
    assert lang == "lt"
    assert shot.stat().st_size > 10_000 and pdf_ok
    keep = os.environ.get("CITYINDICATORS_SCREENSHOT_DIR")
    if keep:  # for looking at it by eye
        shutil.copy(shot, Path(keep) / "report.png")


HOSTILE_GROUP = "<script>alert(1)</script>"
HOSTILE_FILE = "<img src=x onerror=alert(1)>.csv"


@pytest.fixture(scope="module")
def hostile_report_html(tmp_path_factory) -> Path:
    """A report whose peer group (groups.yaml) and imported file carry HTML that would run."""
    from cityindicators.demo import build_demo
    from cityindicators.sources.files import import_tidy
    from cityindicators.store import build

    data = tmp_path_factory.mktemp("hostile") / "data"
    build_demo(data)
    (data / "groups.yaml").write_text(
        f"groups:\n  evil:\n    name_lt: \"{HOSTILE_GROUP}\"\n    name_en: \"{HOSTILE_GROUP}\"\n"
        "    members: [X11, X12, X14]\n", encoding="utf-8")
    src = tmp_path_factory.mktemp("files") / HOSTILE_FILE
    src.write_text("territory,year,sex,value\nX13,2010,total,120\n", encoding="utf-8")
    import_tidy(src, "births", data_dir=data)
    build(data_dir=data)
    out = tmp_path_factory.mktemp("reports")
    res = runner.run_report("situation_analysis", "X13", language="lt", output_dir=out, data_dir=data,
                            parameters={"peers": "evil"})
    assert res.status == "ok", res.error
    return Path(res.output_dir) / "situation_analysis.html"


def test_hostile_names_are_shown_as_text_and_never_run(hostile_report_html):
    sync_api = pytest.importorskip("playwright.sync_api")
    html = hostile_report_html.read_text(encoding="utf-8")
    assert HOSTILE_GROUP not in html and "<img src=x" not in html
    dialogs: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(hostile_report_html.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            text = page.inner_text("body")
            broken = page.eval_on_selector_all("img", "els => els.filter(e => !(e.naturalWidth > 0)).length")
        finally:
            browser.close()
    assert not dialogs, f"a script ran: {dialogs}"
    assert not errors, errors
    assert broken == 0, "an injected <img> was rendered"
    assert HOSTILE_GROUP in text, "the group's name is shown as text"
    assert HOSTILE_FILE in text, "the imported file's name is shown as text in the sources table"
