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
