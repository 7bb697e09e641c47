"""The sources section: where the data behind a report come from, each with its own date."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from ... import __version__
from ..._io import read_sidecar
from ...html_safe import styled_table
from ...i18n import TEXTS, t
from .context import ReportContext
from .display import _heading, show_table


def sources(ctx: ReportContext) -> pd.DataFrame:
    """Section: the sources of the data behind the report, each with its own date.

    One row per dataset and input: the dataset's name, its source as a reader cites it
    (Statistics Lithuania's table code, an extract file, the user's own file, the demo
    generator), the source's date and what that date is (:func:`source_date`), and the years
    the data cover. Internal paths and hashes stay in the report's ``manifest.json``.
    """
    from ...store import processed_provenance

    _heading(ctx, "h_sources")
    lang = ctx.lang
    rows = []
    for dataset, side in processed_provenance(ctx.data_dir).items():
        # the stored table's years and ages, every row's (the indicators' view of it may be a part: births by sex
        # from a later year, deaths by age not at all); found once per build, not by reading every table
        frame = ctx.workspace.years_and_ages(dataset)
        years: list[int] = []
        if frame is not None and len(frame):
            years = [int(frame["year"].min()), int(frame["year"].max())]
        yrs = "" if not years else str(years[0]) if years[0] == years[1] else f"{years[0]}–{years[1]}"
        for inp in side.get("inputs", []) or [{}]:
            path = _snapshot_path(ctx.data_dir, inp)
            meta = (read_sidecar(path) if path is not None else {}) or {"source": inp.get("source", "")}
            rows.append({
                t("col_dataset", lang): dataset_label(dataset, frame, lang),
                t("col_source", lang): source_label(meta, lang),
                t("col_source_date", lang): source_date(meta, path, years, lang),
                t("col_years", lang): yrs,
            })
    table = pd.DataFrame(rows).drop_duplicates(ignore_index=True)
    note = t("source_osp", lang) if not ctx.synthetic else t("synthetic_note", lang)
    ctx.show_markdown(f"{note}; {t('source_calc', lang, version=__version__)}.")
    show_table(styled_table(table))
    return table


def dataset_label(dataset: str, frame: pd.DataFrame | None, lang: str) -> str:
    """The name a reader sees for a stored dataset: its catalogue name, except that a table of
    deaths by age that holds age 0 only (Statistics Lithuania's extract gives infant deaths and the
    total, no other ages) is called infant deaths, not "deaths by age"."""
    if (dataset == "deaths" and frame is not None and len(frame) and "age" in frame
            and set(pd.unique(frame["age"].astype(int))) == {0}):
        return t("ds_deaths_infant", lang)
    return t(f"ds_{dataset}", lang) if f"ds_{dataset}" in TEXTS else dataset


def _snapshot_path(data_dir: Path, inp: dict[str, Any]) -> Path | None:
    """The raw snapshot a processed table's input names; a path recorded relative to another
    working directory is looked up under ``data_dir/raw``."""
    path = Path(str(inp.get("input") or ""))
    if not path.name:
        return None
    if not path.exists() and "raw" in path.parts:
        path = data_dir.joinpath(*path.parts[path.parts.index("raw"):])
    return path


def source_date(meta: dict[str, Any], path: Path | None, years: Sequence[int], lang: str) -> str:
    """The date a reader cites a source by, and what it is: for a Statistics Lithuania API
    response the day the source last updated the table (the message's ``DS_LAST_UPDATE``), else
    the day it prepared the response, else the day it was retrieved from it; for a file (an
    extract, a tidy file, the published indicators) the date the user stated for it at import
    (``--source-date``), else the data's reference year (the published indicators) or latest year;
    for the demonstration data the day it was generated. The day a file was imported into the
    local store is not the source's date: it is given, said to be the import day, only where
    nothing else is known. ``years``: first and last year of the data (may be empty)."""
    from ...sources.sdmx_parse import message_dates

    source = meta.get("source", "")
    day = str(meta.get("retrieved_at", ""))[:10]
    if meta.get("source_date"):
        return t("date_stated", lang, date=str(meta["source_date"]))
    if source == "osp":
        own = message_dates(path) if path is not None else {}
        if own.get("last_update"):
            return t("date_updated", lang, date=own["last_update"])
        if own.get("prepared"):
            return t("date_prepared", lang, date=own["prepared"])
        return t("date_retrieved", lang, date=day) if day else ""
    if source == "demo":
        return t("date_generated", lang, date=day) if day else ""
    if source == "indicators" and years:
        key = "date_reference_year" if years[0] == years[-1] else "date_reference_years"
        return t(key, lang, date=str(years[0]) if years[0] == years[-1] else f"{years[0]}–{years[-1]}")
    if years:
        return t("date_latest_year", lang, year=years[-1])
    return t("date_imported", lang, date=day) if day else ""


def source_label(meta: dict[str, Any], lang: str) -> str:
    """How a reader cites a raw snapshot, from its provenance sidecar ``meta``."""
    source = meta.get("source", "")
    name = Path(str(meta.get("original_path") or "")).name
    if source == "osp":
        return t("src_osp_table", lang, table=meta.get("flow_id") or meta.get("table") or "")
    if source == "demo":
        return t("source_demo", lang)
    if source in ("osp-extract", "tidy", "indicators") and name:
        return t(f"src_{source.replace('-', '_')}", lang, file=name)
    return source or t("no_data", lang)

