"""The HTML exporter is made once per language and thread: reports exported one after the other
each keep their own title, footer, language and content."""

from __future__ import annotations

import nbformat

from cityindicators.reports.html_export import export_html


def _nb(text: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("s.x(ctx)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": text})]
    nb.cells.append(cell)
    return nb


def test_reports_exported_in_a_row_keep_their_own_title_footer_and_language():
    first = export_html(_nb("Alytus gyventojai"), title="Alytaus ataskaita", lang="lt", footer="pirmas-f1x")
    second = export_html(_nb("Visaginas residents"), title="Visaginas report", lang="en", footer="second-f2x")
    third = export_html(_nb("Druskininkai gyventojai"), title="Druskininkų ataskaita", lang="lt", footer="trečias-f3x")
    assert '<html lang="lt">' in first and '<html lang="en">' in second and '<html lang="lt">' in third
    for html, own, others in ((first, ("Alytaus ataskaita", "pirmas-f1x", "Alytus"), ("Visaginas", "f2x", "f3x")),
                              (second, ("Visaginas report", "second-f2x", "Visaginas"), ("Alytus", "f1x", "f3x")),
                              (third, ("Druskininkų ataskaita", "trečias-f3x", "Druskininkai"), ("Alytus", "f2x"))):
        assert all(x in html for x in own), own
        assert not any(x in html for x in others), others
    assert "s.x(ctx)" not in first  # no code
