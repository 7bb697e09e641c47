"""The OSP dataset catalogue: :class:`CatalogueEntry` (one dataset: flow, table, filters, roles,
period rule) and :func:`load_catalogue` (the packaged ``sources/catalogue.yaml`` with the data
directory's ``catalogue.yaml`` merged over it)."""

from __future__ import annotations

import copy
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ...config import DataPaths
from ...exceptions import ConfigError
from .. import sdmx_parse

__all__ = ["CatalogueEntry", "load_catalogue", "packaged_catalogue_path"]

log = logging.getLogger(__name__)

_TABLES = tuple(sdmx_parse.TABLE_COLUMNS)
_FLOWS = ("emigrants", "immigrants", "net_international", "internal_arrivals", "internal_departures", "net_internal")
_ENTRY_KEYS = {
    "table", "flow_id", "title", "confirmed", "note", "unit", "filters", "key", "flow", "indicator",
    "dimensions", "period_rule", "start",
}


@dataclass(frozen=True)
class CatalogueEntry:
    """One dataset of the OSP catalogue (see ``sources/catalogue.yaml``)."""

    name: str
    table: str
    flow_id: str | None
    title: str = ""
    confirmed: bool = False
    note: str = ""
    unit: str | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None
    flow: str | None = None
    indicator: str | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    period_rule: str = "annual"
    start: int = 2010

    @property
    def resolved(self) -> bool:
        """Whether the entry names a flow (unresolved entries cannot be fetched)."""
        return bool(self.flow_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "table": self.table, "flow_id": self.flow_id, "title": self.title,
            "confirmed": self.confirmed, "note": self.note, "unit": self.unit, "filters": dict(self.filters),
            "key": self.key, "flow": self.flow, "indicator": self.indicator, "dimensions": dict(self.dimensions),
            "period_rule": self.period_rule, "start": self.start,
        }

    @classmethod
    def from_dict(cls, name: str, spec: Mapping[str, Any], origin: str = "catalogue") -> "CatalogueEntry":
        """Build and check an entry; :class:`ConfigError` names the file, entry and key at fault."""
        where = f"{origin}: dataset {name!r}"
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{where}: expected a mapping of settings, got {type(spec).__name__}")
        unknown = set(spec) - _ENTRY_KEYS - {"name"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}")
        table = spec.get("table")
        if table not in _TABLES:
            raise ConfigError(f"{where}: 'table' is {table!r}; expected one of {list(_TABLES)}")
        if not isinstance(spec.get("confirmed"), bool):
            raise ConfigError(f"{where}: 'confirmed' must be true or false")
        flow_id = spec.get("flow_id")
        if flow_id is not None and not re.match(r"^[A-Za-z0-9_]+$", str(flow_id)):
            raise ConfigError(f"{where}: 'flow_id' {flow_id!r} is not of the form S3R629_M3010217")
        if table == "migration" and spec.get("flow") not in _FLOWS:
            raise ConfigError(f"{where}: table migration needs 'flow' in {list(_FLOWS)}, got {spec.get('flow')!r}")
        if table == "labour" and not spec.get("indicator"):
            raise ConfigError(f"{where}: table labour needs an 'indicator' name")
        rule = spec.get("period_rule", "annual")
        if rule not in ("annual", "mean", "last"):
            raise ConfigError(f"{where}: 'period_rule' is {rule!r}; expected annual, mean or last")
        for k in ("filters", "dimensions"):
            if spec.get(k) is not None and not isinstance(spec.get(k), Mapping):
                raise ConfigError(f"{where}: {k!r} must be a mapping of dimension id to code(s)")
        try:
            start = int(spec.get("start", 2010))
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: 'start' must be a year") from None
        return cls(
            name=name, table=table, flow_id=str(flow_id) if flow_id else None, title=str(spec.get("title") or ""),
            confirmed=spec["confirmed"], note=str(spec.get("note") or "").strip(),
            unit=None if spec.get("unit") is None else str(spec["unit"]),
            filters=dict(spec.get("filters") or {}), key=spec.get("key"), flow=spec.get("flow"),
            indicator=spec.get("indicator"), dimensions=dict(spec.get("dimensions") or {}),
            period_rule=rule, start=start,
        )


def _read_yaml(path: Path) -> dict[str, Any]:
    # the one YAML reader of the package: strict UTF-8, a key written twice, no device, no alias bomb
    from ..._io import read_yaml

    doc = read_yaml(path, "catalogue") or {}
    datasets = doc.get("datasets") if isinstance(doc, dict) else None
    if not isinstance(datasets, dict):
        raise ConfigError(f"{path}: expected a top-level key 'datasets' mapping dataset names to entries")
    return datasets


def packaged_catalogue_path() -> Path:
    """The catalogue shipped with the package."""
    return Path(__file__).parents[1] / "catalogue.yaml"


def load_catalogue(data_dir: str | os.PathLike | None = None, path: str | os.PathLike | None = None
                   ) -> dict[str, CatalogueEntry]:
    """The dataset catalogue: the packaged one with ``<data-dir>/catalogue.yaml`` merged over it.

    The user file has the same form (``datasets: {name: {...}}``); each of its entries is
    merged key by key over the packaged entry of the same name (``filters`` and
    ``dimensions`` replace, not merge), or added when new. ``path`` names another override
    file instead of the data directory's.
    """
    base = _read_yaml(packaged_catalogue_path())
    merged = copy.deepcopy(base)
    override = Path(path) if path is not None else DataPaths.of(data_dir).root / "catalogue.yaml"
    origins = {name: str(packaged_catalogue_path()) for name in merged}
    if override.exists():
        for name, spec in _read_yaml(override).items():
            if not isinstance(spec, Mapping):
                raise ConfigError(f"{override}: dataset {name!r}: expected a mapping of settings")
            merged[name] = {**merged.get(name, {}), **spec}
            origins[name] = str(override)
        log.info("OSP catalogue: merged %s over the packaged catalogue", override)
    elif path is not None:
        raise ConfigError(f"catalogue override file {override} does not exist")
    return {name: CatalogueEntry.from_dict(str(name), spec, origins[name]) for name, spec in merged.items()}
