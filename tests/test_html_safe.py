"""Text from data or users is escaped where it becomes HTML (issue 11)."""

from __future__ import annotations

import pandas as pd

from cityindicators import plotting
from cityindicators.html_safe import caption_html, escape_html, markdown_literal, styled_table
from cityindicators.reports import sections

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>.csv"
#: A name typed by a user with every Markdown and HTML hazard of issue 12 (as conftest.HOSTILE_NAME).
HOSTILE = "*a* _b_ # [x](y) <script>x</script> `c` | d"


def test_escape_and_caption():
    assert escape_html(SCRIPT) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert escape_html('a "b" & \'c\'') == "a &quot;b&quot; &amp; &#x27;c&#x27;"
    assert caption_html(SCRIPT, IMG) == ("&lt;script&gt;alert(1)&lt;/script&gt;<br>"
                                         "<small>&lt;img src=x onerror=alert(1)&gt;.csv</small>")
    assert caption_html("", "n") == "<small>n</small>"


def _rendered(markdown: str) -> str:
    """``markdown`` as the report's HTML shows it: escaped as show_markdown does, rendered by nbconvert."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(escape_html(markdown, quote=False))


def test_markdown_literal_shows_a_name_as_written():
    # a backtick opens no code span, an asterisk or underscores no emphasis, brackets no link
    assert markdown_literal("plan`a*.yaml") == "plan\\`a\\*\\.yaml"
    for name in ("plan`2030`.yaml", "`plan.yaml", "plan*1*_a_.yaml", "[x](y).yaml", "a\\b.yaml", "a&b <c>.yaml",
                 "# 1. plan.yaml", "plan~~x~~.yaml"):
        html = _rendered(f"Plan file: {markdown_literal(name)} (end).")
        assert html.strip() == f"<p>Plan file: {escape_html(name, quote=False)} (end).</p>", name
    assert markdown_literal("a\n b") == "a b"  # one line: a line break would end the sentence's paragraph


def test_styled_table_escapes_cells_headers_and_caption():
    frame = pd.DataFrame({SCRIPT: [IMG, "ok"], "v": [1.25, None]})
    out = styled_table(frame, {"v": lambda v: f"{v:.1f}"}, caption=SCRIPT, note=IMG).to_html()
    assert "<script" not in out and "<img" not in out
    assert out.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # header and caption
    assert out.count("&lt;img src=x onerror=alert(1)&gt;.csv") == 2  # cell and note
    assert ">1.2<" in out or ">1.3<" in out
    assert ">–<" in out


def test_styled_table_takes_its_no_data_mark_from_i18n():
    """The default na_rep is i18n.NO_VALUE itself, not a literal en dash of its own that could drift from it."""
    import inspect

    from cityindicators import html_safe, i18n

    assert inspect.signature(styled_table).parameters["na_rep"].default is i18n.NO_VALUE
    assert "\u2013" not in inspect.getsource(html_safe) and "–" not in inspect.getsource(html_safe.styled_table)
    out = styled_table(pd.DataFrame({"v": [None, 1.0]})).to_html()
    assert f">{i18n.NO_VALUE}<" in out


def test_comparison_styler_escapes_a_peer_group_name():
    frame = pd.DataFrame({"Rodiklis": ["Gyventojai"], "Reikšmė": [20249.0], f"Palyg. grupė: {SCRIPT}": [1.0],
                          "Vieta": [3]})
    out = plotting.comparison_table(frame, "lt", n=60, caption=f"{SCRIPT} ir palyginamosios").to_html()
    assert "<script" not in out and "&lt;script&gt;" in out


def test_markdown_is_escaped(monkeypatch):
    shown = []
    monkeypatch.setattr(sections.display, "_display", lambda obj, **kw: shown.append(obj))
    sections.show_markdown(f"## {SCRIPT}\n- {IMG} & co")
    assert shown[0].data == "## &lt;script&gt;alert(1)&lt;/script&gt;\n- &lt;img src=x onerror=alert(1)&gt;.csv &amp; co"


def test_source_label_names_the_file_not_the_path():
    meta = {"source": "tidy", "original_path": f"/home/user/{IMG}"}
    assert sections.source_label(meta, "lt") == f"Naudotojo failas {IMG}"
    assert sections.source_label({"source": "osp", "flow_id": "S3R167_M3010203"}, "en") == \
        "Official Statistics Portal (Statistics Lithuania), table S3R167_M3010203"
    assert sections.source_label({"source": "demo"}, "en") == "cityindicators demo data generator"


def test_styled_table_aligns_words_left_and_figures_right():
    import re

    frame = pd.DataFrame({"Scenarijus": ["Bazinis", "Be migracijos"], "2050 m.": [1067.0, 576.0],
                          "Šaltinis": ["failas a.csv", None], "Vieta": [3, 12]})
    page = styled_table(frame, {"2050 m.": lambda v: f"{v:.0f}"}).to_html()
    # the page's rules: "#T_x .col0 { text-align: left; }" for the columns of text, header and cells
    left = {int(c) for c in re.findall(r"#T_\w+ \.col(\d+) \{\s*text-align: left;", page)}
    assert left == {0, 2}
    assert styled_table(frame.iloc[:0]).to_html().count("text-align") == 0  # no rows: nothing to align




def test_markdown_with_literals_shows_user_names_as_written_and_leaves_the_reports_markup():
    from cityindicators.html_safe import markdown_with_literals

    md = markdown_with_literals(f"## Scenario\n\n- **{HOSTILE}**: 12 residents.\n- {HOSTILE} again.", [HOSTILE])
    html = _rendered(md)
    shown = escape_html(HOSTILE, quote=False)
    assert html.count(shown) == 2, html  # both quotes as typed: no <em>, link, code span or script of theirs
    assert "<em>" not in html and 'href="y"' not in html and "<code>" not in html and "<script" not in html
    assert "<h2" in html and "<strong>" in html and html.count("<li>") == 2  # the report's own markup
    # one pass, longest first: a name inside another is not escaped twice; a name of bare punctuation is left
    assert markdown_with_literals("a*b and a*b*c", ["a*b", "a*b*c"]) == "a\\*b and a\\*b\\*c"
    assert markdown_with_literals("- x", ["-"]) == "- x"


def test_show_markdown_escapes_the_names_it_is_given_and_keeps_none_for_the_next_call(monkeypatch):
    from cityindicators.reports.sections import display

    shown = []
    monkeypatch.setattr(display, "_display", lambda obj, **kw: shown.append(obj))
    display.show_markdown(f"- The scenario {HOSTILE} keeps 12 residents.", [HOSTILE])
    html = _rendered_shown(shown[-1].data)
    assert escape_html(HOSTILE, quote=False) in html and "<em>" not in html
    display.show_markdown(f"{HOSTILE}", ("other",))  # another report's names: the first one's are not remembered
    assert "<em>" in _rendered_shown(shown[-1].data)


def _rendered_shown(markdown_escaped: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(markdown_escaped)  # show_markdown escaped the HTML already
