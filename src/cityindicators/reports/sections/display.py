"""Showing a section's output: Markdown, charts and tables, and the section heading.

Charts are displayed as PNG images that carry their name in the output metadata, so the
report runner saves them as files (see :func:`show_figure`).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, Iterable

import pandas as pd

from .. import exports
from ..timings import CHART_SECONDS_KEY
from ...html_safe import escape_html, markdown_with_literals
from ...i18n import t

if TYPE_CHECKING:  # the context shows its title through this module
    from .context import ReportContext



def _display(obj: Any, **kw) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    display(obj, **kw)


#: A number and the unit or abbreviation written after it with a space ("25,5 %", "2018 m.",
#: "39 999 gyv."): the space that a line must not break at.
_NUMBER_UNIT_SPACE = re.compile(r"(?<=\d) (?=(?:%|‰|m\.|gyv\.|mėn\.|proc\.|p\. p\.)(?!\w))")


def glue_units(text: str) -> str:
    """``text`` with a no-break space between a number and its unit or abbreviation ("+25,5 %",
    "(2018 m.)", "20 000–39 999 gyv."), so that a printed line never starts with the unit of the
    number that ends the line before (read in the A4 PDFs: "(+25,5" / "%, palyginti")."""
    return _NUMBER_UNIT_SPACE.sub("\u00a0", text)


def show_markdown(text: str, names: Iterable[str] = ()) -> None:
    """Display Markdown text (headings, sentences, lists).

    The text becomes Markdown and HTML here: the ``names`` users typed that it may quote (a report's
    ``ctx.user_texts``) are Markdown-escaped (:func:`~cityindicators.html_safe.markdown_with_literals`:
    a scenario label with ``*`` or ``[x](y)`` shows as written), then the whole is HTML-escaped, as it
    carries names from the data and the user (groups, scenario labels, files) and the report's Markdown
    holds no HTML of its own. A number keeps its unit on its line (:func:`glue_units`; after the names
    are found: a name quoted as typed, its spaces as typed).
    """
    from IPython.display import Markdown

    _display(Markdown(escape_html(glue_units(markdown_with_literals(text, names)), quote=False)))


class ShowsMarkdown:
    """What a report's context adds to :func:`show_markdown`: the names its users typed.

    A context class (the reports' and the monitoring report's dataclasses) that has a ``user_texts``
    field inherits :meth:`show_markdown`, so a section writes ``ctx.show_markdown(text)`` and cannot
    forget the names: a forgotten argument would show a scenario label typed with ``*`` as italics.
    """

    def show_markdown(self, text: str) -> None:
        """:func:`show_markdown` of ``text``, quoting this report's ``user_texts`` as written."""
        show_markdown(text, self.user_texts)


def show_figure(fig, alt: str = "", dpi: int = exports.SCREEN_DPI) -> None:
    """Display a figure as a PNG that the runner saves as ``charts/NN_<label>.png``.

    The PNG is rendered here (not by the inline backend) so that its resolution and size are
    the same in JupyterLab, in the HTML report and in the saved file. When the report runner
    runs the notebook, the chart is also written as SVG and as a 300-dpi PNG, and its data go
    to the report's workbook (:mod:`cityindicators.reports.exports`). The figure is closed.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image

    t0 = time.perf_counter()
    label = fig.get_label() or "chart"
    stem = exports.chart_stem(label)
    folder = exports.export_dir()
    if folder is not None:
        png = exports.save_chart(fig, stem, folder, dpi)
    else:
        png = exports.screen_png(fig, dpi)
    if not alt:
        from ... import plotting  # (imported by the sections already)

        alt = plotting.chart_title(fig) or label
    width = int(fig.get_figwidth() * 100)
    plt.close(fig)
    _display(Image(data=png, format="png", width=width),
             metadata={"cityindicators_chart": label, "cityindicators_file": stem, "cityindicators_alt": alt,
                       CHART_SECONDS_KEY: round(time.perf_counter() - t0, 3)})


def show_table(table: Any, data: pd.DataFrame | None = None) -> None:
    """Display a frame or a pandas ``Styler`` as an HTML table (and, when the report runner runs
    the notebook, keep its values, or ``data`` when the displayed cells are formatted text, for
    the report's workbook)."""
    folder = exports.export_dir()
    if folder is not None:
        exports.save_table(table, folder, data=data)
    _display(table)



def _heading(ctx: ReportContext, key: str) -> None:
    exports.set_section(key)
    ctx.show_markdown(f"## {t(key, ctx.lang)}")
