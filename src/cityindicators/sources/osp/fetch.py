"""Fetching catalogue datasets into raw snapshots (source ``osp``): the body streamed to a
temporary file, checked to parse to its canonical table, then stored with its provenance."""

from __future__ import annotations

import datetime as _dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..._debris import owner_tag, remove_stale
from ..._io import read_sidecar
from ..._redact import redact
from ...config import DataPaths
from ...exceptions import ConfigError, DatasetNotFoundError, FetchError, ParseError
from ...snapshots import RawSnapshots, SnapshotWriter
from .catalogue import CatalogueEntry, load_catalogue
from .client import OspClient
from .parse import PARSER_NAME, canonical_frames
from .response import OspResponse

__all__ = ["SOURCE", "LICENCE_NOTE", "FetchResult", "fetch", "fetch_dataset"]

log = logging.getLogger(__name__)

LICENCE_NOTE = "Statistics Lithuania open data; reuse with attribution, see osp.stat.gov.lt"
SOURCE = "osp"


@dataclass
class FetchResult:
    """Outcome of fetching one dataset."""

    dataset: str
    path: Path
    action: str  # "fetched", "reused" (same-day snapshot) or "offline" (newest snapshot)
    rows: int | None = None


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _flow_info(client: OspClient, entry: CatalogueEntry) -> dict[str, Any]:
    """Names of the entry's flow; a failed lookup is a warning (the data are what matters)."""
    try:
        return client.flow_names(entry.flow_id or "")
    except (FetchError, ParseError) as exc:
        log.warning("%s: could not read the names of flow %s: %s", entry.name, entry.flow_id, exc)
        return {}


def _snapshot_meta(entry: CatalogueEntry, resp: OspResponse, flow_info: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance sidecar of a fetched snapshot (URLs already redacted by the client)."""
    names = flow_info.get("name", {})
    return {
        "url": redact(resp.url),
        "requested_url": redact(resp.requested_url),
        "redirects": resp.history,
        "query": resp.params,
        "http_status": resp.status,
        "content_type": resp.content_type,
        "format": resp.format,
        "flow_id": entry.flow_id,
        "flow_name": names.get("en") or names.get("lt") or entry.title,
        "flow_name_lt": names.get("lt"),
        "flow_name_en": names.get("en"),
        "flow_description": flow_info.get("description") or None,
        "licence": LICENCE_NOTE,
        "producer": "Statistics Lithuania (Valstybės duomenų agentūra), agency LSD",
        "parser": PARSER_NAME,
        "table": entry.table,
        "confirmed": entry.confirmed,
        "catalogue_entry": entry.as_dict(),
    }


def fetch_dataset(
    entry: CatalogueEntry,
    *,
    start: int | str | None = None,
    end: int | str | None = None,
    data_dir: str | os.PathLike | None = None,
    offline: bool = False,
    force: bool = False,
    client: OspClient | None = None,
    names: bool = True,
    writer: SnapshotWriter | None = None,
) -> FetchResult:
    """Fetch one catalogue dataset into a raw snapshot through ``writer`` (see :func:`fetch`)."""
    writer = writer or RawSnapshots(data_dir)
    if offline:
        snap = writer.latest(SOURCE, entry.name)
        if snap is None:
            raise DatasetNotFoundError(
                f"--offline: no snapshot of {SOURCE}/{entry.name} under {writer.folder(SOURCE, entry.name).parent}; "
                "fetch it once while online"
            )
        log.info("offline: using %s", snap)
        return FetchResult(entry.name, snap, "offline")
    if not entry.resolved:
        raise ConfigError(
            f"dataset {entry.name!r} has no flow_id (unresolved: {entry.note or 'see the catalogue'}); "
            f"set 'flow_id' for it in {DataPaths.of(data_dir).root / 'catalogue.yaml'}"
        )
    client = client or OspClient()
    ext = client.fmt
    today = _dt.date.today().isoformat()
    existing = writer.of_day(SOURCE, entry.name, ext, today)
    start_s = str(start if start is not None else entry.start)
    end_s = str(end if end is not None else _dt.date.today().year)
    if existing.exists() and not force:
        old = read_sidecar(existing).get("query", {})
        if old and (old.get("startPeriod"), old.get("endPeriod")) != (start_s, end_s):
            log.warning("%s: reusing today's snapshot for %s-%s, not %s-%s (use --force to fetch again)",
                        entry.name, old.get("startPeriod"), old.get("endPeriod"), start_s, end_s)
        log.info("%s: reusing today's snapshot %s", entry.name, existing)
        return FetchResult(entry.name, existing, "reused")
    # The body goes to a temporary file beside the snapshot (a killed fetch's one is removed
    # by the next fetch), and becomes the snapshot by a rename.
    folder = existing.parent
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale(folder, ".*.part")
    part = folder / f".{entry.name}.{owner_tag()}.part"
    path = None
    try:
        with client.deadline_scope():
            resp = client.data(entry.flow_id, start_s, end_s, key=entry.key, into=part)
            if resp.format != ext:
                ext = resp.format
            try:
                frames = canonical_frames(part, entry, origin=resp.url)
            except ParseError as exc:
                raise FetchError(f"{entry.name}: the response could not be used, nothing was stored: {exc}") from None
            flow_info = _flow_info(client, entry) if names else {}
        meta = _snapshot_meta(entry, resp, flow_info)
        path = writer.store(SOURCE, entry.name, part, ext, meta).path
    finally:
        part.unlink(missing_ok=True)
        if path is None and created:  # a failed first fetch leaves no empty folder behind
            _remove_if_empty(folder)
    rows = sum(len(f) for f in frames.values())
    log.info("%s: %s (%d bytes, %d canonical rows)", entry.name, path, resp.size, rows)
    return FetchResult(entry.name, path, "fetched", rows)


def fetch(
    datasets: Iterable[str] | None = None,
    *,
    start: int | str | None = None,
    end: int | str | None = None,
    data_dir: str | os.PathLike | None = None,
    offline: bool = False,
    force: bool = False,
    client: OspClient | None = None,
    progress: bool = False,
    catalogue: Mapping[str, CatalogueEntry] | None = None,
    writer: SnapshotWriter | None = None,
) -> list[FetchResult]:
    """Fetch catalogue datasets from the OSP API into raw snapshots ``raw/osp/<dataset>/<date>.<ext>``.

    Parameters
    ----------
    datasets
        Catalogue names; all resolved entries when None (unresolved ones are skipped with a
        warning).
    start, end
        Period bounds (years); default the entry's ``start`` and the current year.
    offline
        Do not use the network: return the newest snapshot of each dataset, or raise
        :class:`DatasetNotFoundError` when one has none.
    force
        Fetch again even if a snapshot of today exists (snapshots are immutable: a different
        answer is stored as a new one, identical bytes are not stored twice).
    progress
        Show a progress bar (tqdm) over datasets and bytes.
    writer
        Where the snapshots go (:class:`cityindicators.snapshots.SnapshotWriter`); default the
        raw store of ``data_dir``, which also holds the catalogue override.

    Returns
    -------
    list of FetchResult
    """
    cat = dict(catalogue) if catalogue is not None else load_catalogue(data_dir)
    if datasets:
        names = list(dict.fromkeys(datasets))
        unknown = [n for n in names if n not in cat]
        if unknown:
            raise DatasetNotFoundError(f"unknown OSP dataset(s) {unknown}; the catalogue has: {', '.join(sorted(cat))}")
    else:
        names = [n for n, e in cat.items() if e.resolved]
        for n in (n for n, e in cat.items() if not e.resolved):
            log.warning("skipping %s: no flow_id in the catalogue (%s)", n, cat[n].note or "unresolved")
    from tqdm.auto import tqdm

    results: list[FetchResult] = []
    if client is None and not offline:
        client = OspClient()
    with tqdm(total=len(names), desc="OSP fetch", unit="dataset", disable=not progress) as bar:
        byte_bar = tqdm(desc="download", unit="B", unit_scale=True, leave=False, disable=not progress)
        if client is not None:
            def _on_bytes(n: int, total: int | None) -> None:
                if total and byte_bar.total != total:
                    byte_bar.reset(total=total)
                byte_bar.update(n)

            client.progress = _on_bytes
        try:
            for name in names:
                bar.set_postfix_str(name)
                byte_bar.reset()
                results.append(fetch_dataset(cat[name], start=start, end=end, data_dir=data_dir, offline=offline,
                                             force=force, client=client, writer=writer))
                bar.update(1)
        finally:
            byte_bar.close()
            if client is not None:
                client.progress = None
    return results
