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


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, format="PNG")
    return buf.getvalue()


def _chart_nb(*charts: tuple[str, bytes]) -> nbformat.NotebookNode:
    import base64

    nb = nbformat.v4.new_notebook()
    for stem, png in charts:
        cell = nbformat.v4.new_code_cell("s.chart(ctx)")
        cell.outputs = [nbformat.v4.new_output(
            "display_data", data={"image/png": base64.b64encode(png).decode()},
            metadata={"cityindicators_chart": stem.split("_", 1)[1], "cityindicators_file": stem})]
        nb.cells.append(cell)
    return nb


def test_print_copy_references_each_chart_file_instead_of_embedding_it():
    import base64

    from cityindicators.reports.html_export import extract_charts, print_copy

    red, blue = _png(30, 20, (255, 0, 0)), _png(20, 30, (0, 0, 255))
    nb = _chart_nb(("01_population", red), ("02_pyramid", blue))
    html = export_html(nb, title="t", lang="en")
    copy = print_copy(html, nb)
    assert [f for f, _ in extract_charts(nb)] == ["01_population.png", "02_pyramid.png"]
    assert 'src="charts/01_population.png"' in copy and 'src="charts/02_pyramid.png"' in copy
    assert 'src="data:image/png' not in copy and 'src="data:image/png' in html
    # nothing else changed: the embedded images put back give the page itself
    back = copy.replace("charts/01_population.png", "data:image/png;base64," + base64.b64encode(red).decode())
    back = back.replace("charts/02_pyramid.png", "data:image/png;base64," + base64.b64encode(blue).decode())
    assert back == html


def test_page_is_what_the_exporter_writes_with_the_images_in_it():
    """The charts' base64 text is kept out of nbconvert's pass over the page and put back
    afterwards: the page is the same, byte for byte, as the exporter writes it with the images
    in it (also when one image's text is not plain base64 and the page is exported as it is)."""
    import base64

    from cityindicators.reports.html_export import _exporter, _report_notebook

    red, blue = _png(30, 20, (255, 0, 0)), _png(20, 30, (0, 0, 255))
    plain = _chart_nb(("01_population", red), ("02_pyramid", blue), ("03_pyramid", red))
    odd = _chart_nb(("01_population", red))
    odd.cells[0].outputs[0].data["image/png"] = "iVBOR&quot;<x>"  # not base64: left to the exporter
    for nb in (plain, odd):
        whole = _report_notebook(nb)
        whole.metadata["title"] = "Ataskaita"
        expected, _ = _exporter("lt").from_notebook_node(whole, resources={"ci_footer": "f"})
        assert export_html(nb, title="Ataskaita", lang="lt", footer="f") == expected
    page = export_html(plain, title="t", lang="en")
    assert page.count(base64.b64encode(red).decode()) == 2 and page.count(base64.b64encode(blue).decode()) == 1
    assert "cityindicators-png-" not in page


def test_an_exporter_made_ahead_is_this_thread_s_and_writes_the_same_page():
    """start_exporter makes the exporter in a thread of its own while the kernel runs: it is
    handed to the thread that asked for it (another thread makes its own, as exporters are not
    shared between threads) and the page it writes is the one a new exporter writes."""
    import threading

    from cityindicators.reports import html_export

    nb = _chart_nb(("01_population", _png(30, 20, (255, 0, 0))))
    fresh, _ = html_export._new_exporter("lt").from_notebook_node(
        html_export._report_notebook(nb), resources={"ci_footer": "f"})
    seen: dict[str, object] = {}

    def ask() -> None:
        html_export.start_exporter("lt")
        making = html_export._exporters.making["lt"]
        html_export.start_exporter("lt")  # a second call while it is being made: no second one
        assert html_export._exporters.making["lt"] is making
        seen["made"] = making.result()
        seen["taken"] = html_export._exporter("lt")
        seen["again"] = html_export._exporter("lt")
        seen["page"], _ = seen["taken"].from_notebook_node(html_export._report_notebook(nb), resources={"ci_footer": "f"})

    def other() -> None:
        seen["other"] = html_export._exporter("lt")

    for target in (ask, other):  # new threads: no exporter of theirs yet
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    assert seen["taken"] is seen["made"] is seen["again"]
    assert seen["other"] is not seen["made"]
    assert seen["page"] == fresh
