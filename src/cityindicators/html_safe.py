"""Text from data or users as HTML that cannot run: the escaping boundary of the reports.

A report's HTML is made of Markdown outputs (rendered by nbconvert, which passes raw HTML
through) and pandas ``Styler`` tables (whose cells, headers and captions pandas writes as they
are). Names from ``groups.yaml``, imported file names, scenario labels and every sentence built
from them are therefore escaped here, where the text becomes HTML: :func:`escape_html` for
Markdown and captions, :func:`styled_table` for tables (cells and headers escaped by pandas'
own ``escape="html"``). A group named ``<script>alert(1)</script>`` shows as that text. Names a user
typed are Markdown-escaped too where a sentence quoting them is shown (:func:`markdown_with_literals`,
through :func:`markdown_literal`, which the plan file's name takes): a scenario labelled ``*a* [x](y)``
is that text, not emphasis and a link.
"""

from __future__ import annotations

import html
import re
from typing import Any, Callable, Iterable, Mapping

import pandas as pd

# i18n is a leaf like this module (docs/ARCHITECTURE.md; it imports only exceptions and grammar): the
# tables' no-data mark is its one constant, not a second literal here that could drift from it
from .i18n import NO_VALUE

__all__ = ["escape_html", "markdown_literal", "markdown_with_literals", "caption_html", "styled_table"]


def escape_html(text: Any, quote: bool = True) -> str:
    """``text`` with ``& < >`` (and with ``quote``, ``" '``) replaced by HTML entities.

    Markdown syntax is unaffected. Quotes need escaping only inside attributes, so Markdown text
    (where quotes stay readable in the notebook) is escaped with ``quote=False``.
    """
    return html.escape(str(text), quote=quote)


# ASCII punctuation that Markdown may read as markup; a backslash before any of them shows it as
# written (CommonMark). ``& < >`` are left to escape_html, which show_markdown applies after: a
# backslash there would show the entity ("&amp;") instead of the character.
_MARKDOWN_PUNCTUATION = re.compile(r"""([!"#$%'()*+,\-./:;=?@\[\\\]^_`{|}~])""")


def markdown_literal(text: Any) -> str:
    """``text`` (a file name, a user's name) as Markdown that shows it as written: every markup
    character backslash-escaped, so a backtick or an asterisk in ``plan`a*.yaml`` opens no code
    span or emphasis. Not a code span: inside one, the HTML escaping of ``&`` would show."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def markdown_with_literals(markdown: str, literals: Iterable[Any]) -> str:
    """``markdown`` with every occurrence of each of ``literals`` (names a user typed: scenario labels,
    plan, criterion and group names) as :func:`markdown_literal` shows it, so that a scenario called
    ``*a_b* [x](y)`` is that text in a sentence, not emphasis and a link.

    The sentences are composed as plain text (a finding is quoted as written, in a table or elsewhere)
    and become Markdown only where they are shown: escaping the names there, in one pass with the
    longest first, leaves the report's own markup alone and never escapes a name twice. A backslash
    before punctuation shows that punctuation, so a name met by chance inside other words changes
    nothing a reader sees. Names without a letter or digit are left out: one of bare punctuation
    ("-") would match the report's own list markers."""
    names = sorted({str(x) for x in literals if x and _MARKDOWN_PUNCTUATION.search(str(x))
                    and any(ch.isalnum() for ch in str(x))}, key=len, reverse=True)
    if not names:
        return markdown
    pattern = re.compile("|".join(re.escape(n) for n in names))
    return pattern.sub(lambda m: markdown_literal(m.group()), markdown)


def caption_html(caption: str = "", note: str = "") -> str:
    """A table caption: the escaped ``caption`` and, below it in small type, the escaped ``note``."""
    parts = [escape_html(caption)] if caption else []
    if note:
        parts.append(f"<small>{escape_html(note)}</small>")
    return "<br>".join(parts)


def styled_table(frame: pd.DataFrame, formatter: Mapping[str, Callable] | Callable | None = None,
                 caption: str = "", note: str = "", na_rep: str = NO_VALUE) -> "pd.io.formats.style.Styler":
    """``frame`` as a ``Styler`` without index whose text cells, column headers and caption are
    escaped; ``formatter`` formats the cells (pandas escapes text before formatting it), a missing
    cell shows ``na_rep`` (the no-data mark of every table, :data:`~cityindicators.i18n.NO_VALUE`). Columns
    of text are left-aligned, columns of numbers right-aligned."""
    styler = frame.style.format(formatter, escape="html", na_rep=na_rep)
    styler = styler.format_index(escape="html", axis=1).hide(axis="index")
    # columns of words (scenarios, sources, definitions) left-aligned like text, header and cells;
    # figures stay right-aligned
    words = [c for c in frame.columns if len(frame) and (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]))
             and all(isinstance(v, str) or pd.isna(v) for v in frame[c])]
    if words:
        styler = styler.set_table_styles({c: [{"selector": "", "props": "text-align: left;"}] for c in words},
                                         overwrite=False)
    text = caption_html(caption, note)
    return styler.set_caption(text) if text else styler
