"""Series breaks of the report's municipality: found in the register, marked on charts, said
under them."""

from __future__ import annotations

from typing import Sequence

from ...i18n import t
from .context import ReportContext


def series_breaks(ctx: ReportContext, indicators: Sequence[str], years: Sequence[int]) -> list[tuple[int, str, str]]:
    """``(year, kind, note)`` of the register's breaks of the report's municipality (its own and
    those of every territory) that concern ``indicators`` within ``years``."""
    from ...indicators.breaks import break_records

    lo, hi = min(years), max(years)
    seen = {}
    for ind in indicators:
        for r in break_records(ind, ctx.code):
            if lo <= r.year <= hi:
                seen[(r.year, r.kind, r.series)] = (int(r.year), r.kind, getattr(r, f"note_{ctx.lang}"))
    return sorted(seen.values())


def _break_marks(breaks: Sequence[tuple[int, str, str]]) -> list[tuple[float, str]]:
    """Chart marks ``(x, label)`` of breaks: a step in a level series sits between the year
    before and its year, an exceptional year on the year; the label is the note's head, before
    any explanation in parentheses ("2011 m. gyventojų surašymas"): the whole note, said under the
    chart, ran along the line beyond the plot."""
    return [(y - 0.5 if kind == "level" else float(y), note.split(":")[0].split(" (")[0].strip())
            for y, kind, note in breaks]


def _say_breaks(ctx: ReportContext, breaks: Sequence[tuple[int, str, str]]) -> None:
    if breaks:
        ctx.show_markdown(t("breaks_note", ctx.lang, notes="; ".join(note for _, _, note in breaks)))

