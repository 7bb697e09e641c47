"""The register of Lithuanian territories: codes, names, name resolution and groups.

Three code systems are kept apart and never mixed: OSP/LAU codes (``30`` = Visaginas, the
key of every table), ISO 3166-2:LT codes (``LT-59`` = Visaginas) and NUTS-3 county codes
(``LT029`` = Utena county). The register (``resources/territories.csv``) holds the country,
its 10 counties and 60 municipalities, plus a clearly flagged synthetic demonstration set
(codes starting with ``X``).

Name resolution accepts every form users and sources write: short Lithuanian OSP labels
("Visagino sav."), long names ("Visagino savivaldybė"), English names ("Visaginas
Municipality"), older English OSP labels ("Visaginas mun.", "Alytus t. mun.", "Utena
county", "Republic of Lithuania"), the bare place name when it is unique ("Visaginas"), OSP
codes ("30"), ISO codes ("LT-59"), and any of these in another case or without Lithuanian
letters ("siauliu m. sav"). An ambiguous name raises :class:`AmbiguousTerritoryError` listing
the candidates; an unknown one raises :class:`UnknownTerritoryError` with the closest names.
"""

from __future__ import annotations

import csv
import difflib
import logging
import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from ._io import read_yaml_with_nodes
from .config import DataPaths, resource_path
from .exceptions import AmbiguousTerritoryError, ConfigError, UnknownTerritoryError

__all__ = [
    "Territory",
    "Group",
    "Register",
    "get_register",
    "normalise_name",
    "LEGACY_CODES",
    "SIZE_CLASSES",
    "size_class",
]

#: The longest text :meth:`Register.resolve` takes for a name (the longest territory name is under 60 characters).
MAX_NAME_LENGTH = 200

log = logging.getLogger(__name__)

#: OSP codes that appear in responses but are not current territories: dropped with a warning.
LEGACY_CODES: dict[str, str] = {"51": "Marijampolės r. sav. (legacy code, merged; dropped)"}

#: Size classes by population at 1 January: (id, lower bound inclusive, upper bound exclusive).
SIZE_CLASSES: tuple[tuple[str, float, float], ...] = (
    ("small", 0, 20_000),
    ("medium", 20_000, 50_000),
    ("large", 50_000, 150_000),
    ("major", 150_000, float("inf")),
)

_KINDS = ("country", "county", "municipality")


def size_class(population: float) -> str:
    """Size class of a territory with ``population`` residents (see :data:`SIZE_CLASSES`)."""
    for name, lo, hi in SIZE_CLASSES:
        if lo <= population < hi:
            return name
    raise ValueError(f"population must be a non-negative number, got {population!r}")


def normalise_name(text: str) -> str:
    """Fold a name for matching: lower case, no diacritics, dots and extra spaces removed."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace(".", " ").replace(",", " ").replace("–", "-")
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Territory:
    """One territory of the register."""

    code: str
    kind: str
    name_lt: str
    name_lt_long: str
    name_en: str
    osp_label_en: str
    iso: str = ""
    nuts3: str = ""
    type: str = ""
    county_code: str = ""
    synthetic: bool = False

    def name(self, lang: str = "lt") -> str:
        """Display name in ``lang`` (``lt`` short OSP label, ``en`` English name)."""
        return self.name_en if lang == "en" else self.name_lt

    @property
    def base_name_en(self) -> str:
        """The English place name without the municipality type ("Visaginas")."""
        n = self.name_en
        for suffix in (" City Municipality", " District Municipality", " Municipality", " County", " (synthetic)"):
            n = n.replace(suffix, "")
        return n


@dataclass(frozen=True)
class Group:
    """A named group of territories (peer group or aggregate territory)."""

    id: str
    name_lt: str
    name_en: str
    members: tuple[str, ...]
    kind: str = "user"
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        """Code of the group used as an aggregate territory in tables."""
        return f"G:{self.id}"

    def name(self, lang: str = "lt") -> str:
        return self.name_en if lang == "en" else self.name_lt


class Register:
    """Territories, name resolution and groups.

    Use :func:`get_register` for the shared default instance.
    """

    def __init__(self, territories: Iterable[Territory], groups: Mapping[str, Group] | None = None):
        self._by_code: dict[str, Territory] = {}
        for t in territories:
            if t.code in self._by_code:
                raise ConfigError(f"territory register: duplicate code {t.code!r}")
            if t.kind not in _KINDS:
                raise ConfigError(f"territory register: code {t.code!r} has kind {t.kind!r}; allowed: {_KINDS}")
            self._by_code[t.code] = t
        self._groups: dict[str, Group] = dict(groups or {})
        self._index: dict[str, set[str]] = {}
        for t in self._by_code.values():
            for alias in self._aliases(t):
                self._index.setdefault(normalise_name(alias), set()).add(t.code)
        self._iso = {t.iso.upper(): t.code for t in self._by_code.values() if t.iso}

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path: str | os.PathLike, groups: Mapping[str, Group] | None = None) -> "Register":
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        territories = [
            Territory(
                code=r["code"], kind=r["kind"], name_lt=r["name_lt"], name_lt_long=r["name_lt_long"],
                name_en=r["name_en"], osp_label_en=r["osp_label_en"], iso=r["iso"], nuts3=r["nuts3"],
                type=r["type"], county_code=r["county_code"], synthetic=r["synthetic"].strip().lower() == "true",
            )
            for r in rows
        ]
        return cls(territories, groups)

    @staticmethod
    def _aliases(t: Territory) -> set[str]:
        names = {t.code, t.name_lt, t.name_lt_long, t.name_en, t.osp_label_en, t.base_name_en}
        base = t.base_name_en
        stem = re.sub(r"\s+(m\.|r\.)?\s*sav\.$", "", t.name_lt).strip()  # "Visagino", "Kauno"
        if t.kind == "municipality":
            names |= {f"{base} mun.", f"{base} municipality"}
            names.add(f"{stem} savivaldybė")
            if t.type == "city":
                names |= {f"{base} city", f"{base} c. mun.", f"{base} t. mun.", f"{stem} m.", f"{stem} miestas",
                          f"{stem} m. savivaldybė", f"{stem} miesto sav."}
            elif t.type == "district":
                names |= {f"{base} district", f"{base} d. mun.", f"{stem} r.", f"{stem} rajonas",
                          f"{stem} r. savivaldybė", f"{stem} rajono sav."}
        elif t.kind == "county":
            names |= {f"{base} county", t.name_lt.replace(" apskritis", " apskr."), t.nuts3}
        elif t.kind == "country":
            if not t.synthetic:
                names |= {"Lithuania", "Lietuva", "Republic of Lithuania", "LT", "Lietuvos Respublika"}
        return {n for n in names if n}

    # -- look-ups -------------------------------------------------------------------------
    def __iter__(self):
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Territory:
        """The territory with OSP code ``code``."""
        try:
            return self._by_code[str(code)]
        except KeyError:
            raise UnknownTerritoryError(f"unknown territory code {code!r}", query=str(code)) from None

    def name(self, code: str, lang: str = "lt") -> str:
        """Display name of a territory or group code."""
        if str(code).startswith("G:"):
            return self.group(str(code)[2:]).name(lang)
        return self.get(code).name(lang)

    def country(self, synthetic: bool = False) -> Territory:
        return next(t for t in self if t.kind == "country" and t.synthetic == synthetic)

    def counties(self, synthetic: bool = False) -> list[Territory]:
        return [t for t in self if t.kind == "county" and t.synthetic == synthetic]

    def municipalities(self, synthetic: bool = False) -> list[Territory]:
        """The municipalities (60 real ones; the demo set when ``synthetic``), by code."""
        return [t for t in self if t.kind == "municipality" and t.synthetic == synthetic]

    def county_of(self, code: str) -> Territory:
        t = self.get(code)
        if not t.county_code:
            raise UnknownTerritoryError(f"territory {code!r} ({t.name_lt}) has no county", query=code)
        return self.get(t.county_code)

    def country_of(self, code: str) -> Territory:
        return self.country(synthetic=self.get(code).synthetic)

    def is_legacy(self, code: str) -> bool:
        return str(code) in LEGACY_CODES

    def resolve(self, name: str | int) -> Territory:
        """Resolve a name or code in any accepted form to a :class:`Territory`.

        Raises
        ------
        AmbiguousTerritoryError
            The name fits several territories; the message lists them.
        UnknownTerritoryError
            Nothing fits; the message suggests the closest names.
        """
        raw = str(name).strip()
        if not raw:
            raise UnknownTerritoryError("empty territory name", query=raw)
        if len(raw) > MAX_NAME_LENGTH:  # quoted whole, a pasted paragraph made the one-line error a page
            raise UnknownTerritoryError(f"unknown territory {raw[:40]!r}... ({len(raw):,} characters; no territory "
                                        f"name is longer than {MAX_NAME_LENGTH})", query=raw[:MAX_NAME_LENGTH])
        if raw in self._by_code:
            return self._by_code[raw]
        if re.fullmatch(r"\d", raw) and f"0{raw}" in self._by_code:  # "9" read as a number
            return self._by_code[f"0{raw}"]
        if raw in LEGACY_CODES:
            raise UnknownTerritoryError(
                f"territory code {raw!r} is a legacy OSP code ({LEGACY_CODES[raw]}), not a current territory",
                query=raw,
            )
        if raw.upper() in self._iso:
            return self._by_code[self._iso[raw.upper()]]
        key = normalise_name(raw)
        codes = self._index.get(key)
        if codes is None and key.endswith(" savivaldybe"):
            codes = self._index.get(key[: -len("savivaldybe")] + "sav")
        if codes and len(codes) == 1:
            return self._by_code[next(iter(codes))]
        if codes:
            cands = sorted(codes)
            listed = "; ".join(f"{c} {self._by_code[c].name_lt} ({self._by_code[c].name_en})" for c in cands)
            raise AmbiguousTerritoryError(
                f"territory name {raw!r} is ambiguous: it fits {listed}. Write one of these names or codes.",
                query=raw,
                candidates=[self._by_code[c].name_lt for c in cands],
            )
        close = difflib.get_close_matches(key, list(self._index), n=5, cutoff=0.6)
        suggestions: list[str] = []
        for k in close:
            for c in sorted(self._index[k]):
                nm = self._by_code[c].name_lt
                if nm not in suggestions:
                    suggestions.append(nm)
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        raise UnknownTerritoryError(f"unknown territory {raw!r}.{hint}", query=raw, suggestions=suggestions)

    def resolve_code(self, name: str | int) -> str:
        return self.resolve(name).code

    def map_names(self, names: Iterable[str], *, source: str = "input") -> dict[str, str | None]:
        """Resolve many names at once; legacy codes map to ``None`` with a warning.

        Unknown or ambiguous names raise, naming ``source`` and every name at fault.
        """
        out: dict[str, str | None] = {}
        errors: list[str] = []
        for n in dict.fromkeys(str(x) for x in names):
            if n.strip() in LEGACY_CODES:
                log.warning("%s: dropping legacy territory code %r (%s)", source, n, LEGACY_CODES[n.strip()])
                out[n] = None
                continue
            try:
                out[n] = self.resolve(n).code
            except UnknownTerritoryError as exc:
                errors.append(str(exc))
        if errors:
            raise UnknownTerritoryError(f"{source}: {len(errors)} territory name(s) not resolved: " + " | ".join(errors[:10]))
        return out

    # -- groups --------------------------------------------------------------------------
    def groups(self) -> dict[str, Group]:
        """User-defined named groups (packaged ones plus the data directory's)."""
        return dict(self._groups)

    def with_groups(self, groups: Mapping[str, Group]) -> "Register":
        merged = dict(self._groups)
        merged.update(groups)
        # The territories are the same: share their name index instead of building it again
        # (half the start-up time of ``cityindicators resolve``).
        reg = object.__new__(Register)
        reg._by_code, reg._index, reg._iso, reg._groups = self._by_code, self._index, self._iso, merged
        return reg

    def group(self, spec: str, population: Mapping[str, float] | None = None) -> Group:
        """A group by specification.

        ``spec`` is one of: a user-defined group id (``VIZA``); ``county:<name or code>``
        (the county's municipalities); ``type:city|district|municipality``;
        ``size:small|medium|large|major`` (needs ``population``, a mapping code ->
        residents); ``municipalities`` (all municipalities; ``municipalities:demo`` for the
        synthetic set).
        """
        spec = spec.strip()
        if spec.startswith("G:"):
            spec = spec[2:]
        if spec in self._groups:
            return self._groups[spec]
        kind, _, arg = spec.partition(":")
        kind = kind.strip().lower()
        arg = arg.strip()
        if kind == "county":
            county = self.resolve(arg)
            if county.kind != "county":
                raise UnknownTerritoryError(f"group {spec!r}: {arg!r} is not a county", query=arg)
            members = tuple(t.code for t in self if t.kind == "municipality" and t.county_code == county.code)
            return Group(f"county:{county.code}", county.name_lt, county.name_en, members, kind="county")
        if kind == "type":
            allowed = ("city", "district", "municipality")
            if arg not in allowed:
                raise ConfigError(f"group {spec!r}: type must be one of {allowed}")
            members = tuple(t.code for t in self.municipalities() if t.type == arg)
            names = {"city": ("Miestų savivaldybės", "City municipalities"),
                     "district": ("Rajonų savivaldybės", "District municipalities"),
                     "municipality": ("Kitos savivaldybės", "Other municipalities")}[arg]
            return Group(f"type:{arg}", names[0], names[1], members, kind="type")
        if kind == "size":
            allowed = tuple(c[0] for c in SIZE_CLASSES)
            if arg not in allowed:
                raise ConfigError(f"group {spec!r}: size class must be one of {allowed}")
            if population is None:
                raise ConfigError(f"group {spec!r} needs population figures to assign size classes")
            members = tuple(sorted(c for c, p in population.items()
                                   if c in self._by_code and self._by_code[c].kind == "municipality"
                                   and p == p and size_class(float(p)) == arg))
            lo, hi = next((lo, hi) for n, lo, hi in SIZE_CLASSES if n == arg)
            rng = f"{int(lo):,}–{int(hi):,}" if hi != float("inf") else f"{int(lo):,}+"
            return Group(f"size:{arg}", f"Savivaldybės, {rng} gyv.", f"Municipalities, {rng} residents", members, kind="size")
        if kind == "municipalities":
            synthetic = arg == "demo"
            members = tuple(t.code for t in self.municipalities(synthetic=synthetic))
            return Group(spec, "Visos savivaldybės", "All municipalities", members, kind="all")
        known = ", ".join(sorted(self._groups)) or "(none)"
        raise UnknownTerritoryError(
            f"unknown group {spec!r}. Named groups: {known}; or county:NAME, type:city|district|municipality, "
            "size:small|medium|large|major, municipalities",
            query=spec,
        )


def load_groups(path: str | os.PathLike, register: Register) -> dict[str, Group]:
    """Read named groups from a YAML file (``groups: {ID: {name_lt, name_en, members: [...]}}``).

    An invalid group is a :class:`ConfigError` naming the file, the line and the key, as the
    scenario and plan files' errors do."""
    path = Path(path)
    doc, root = read_yaml_with_nodes(path, "groups file")
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, dict):
        line = _line(_value_nodes(root).get("groups", root))
        raise ConfigError(f"{path}: {line}key 'groups': expected a top-level key 'groups' mapping group ids to "
                          "definitions")
    groups_node = _value_nodes(root)["groups"]
    group_nodes = _value_nodes(groups_node, keys=True)
    out: dict[str, Group] = {}
    for gid, spec in groups.items():
        # a key YAML read as another type ('yes' as True) or brought in by a merge key: the 'groups' line
        key_node, spec_node = group_nodes.get(str(gid), (groups_node, None))
        if not isinstance(spec, dict) or not isinstance(spec.get("members"), list) or not spec["members"]:
            members_node = _value_nodes(spec_node).get("members", key_node)
            raise ConfigError(f"{path}: {_line(members_node)}group {gid!r}, key 'members': expected a non-empty list "
                              "of territories")
        unknown = set(spec) - {"name_lt", "name_en", "members"}
        if unknown:
            # the first in the file (one brought in by a merge key: at the group's line)
            first = next((k for k in _value_nodes(spec_node, keys=True) if k in unknown), sorted(unknown)[0])
            line = _line(_value_nodes(spec_node, keys=True).get(first, (key_node,))[0])
            raise ConfigError(f"{path}: {line}group {gid!r}, key {first!r}: unknown key(s) "
                              f"{sorted(unknown)}; allowed: name_lt, name_en, members")
        members, m_nodes = [], _value_nodes(spec_node).get("members")
        m_nodes = m_nodes.value if getattr(m_nodes, "id", "") == "sequence" else [key_node] * len(spec["members"])
        for m, m_node in zip(spec["members"], m_nodes):
            try:
                members.append(register.resolve(m).code)
            except UnknownTerritoryError as exc:
                raise ConfigError(f"{path}: {_line(m_node)}group {gid!r}, key 'members': {exc}") from exc
        out[str(gid)] = Group(str(gid), spec.get("name_lt", str(gid)), spec.get("name_en", str(gid)), tuple(members))
    return out


def _value_nodes(node, keys: bool = False) -> dict:
    """The YAML mapping ``node``'s value nodes by key text (with ``keys``: (key node, value node)
    pairs); empty for a node that is no mapping."""
    if getattr(node, "id", "") != "mapping":  # also None (no node)
        return {}
    return {str(k.value): ((k, v) if keys else v) for k, v in node.value}


def _line(node) -> str:
    """``"line 12, "`` of a YAML node (nothing for an empty file)."""
    return f"line {node.start_mark.line + 1}, " if node is not None else ""


@lru_cache(maxsize=8)
def _load_register(groups_file: str | None) -> Register:
    base = Register.from_csv(resource_path("territories.csv"))
    reg = base.with_groups(load_groups(resource_path("groups.yaml"), base))
    if groups_file and Path(groups_file).exists():
        reg = reg.with_groups(load_groups(groups_file, reg))
    return reg


def get_register(data_dir: str | os.PathLike | None = None) -> Register:
    """The territory register, with the user's groups from ``<data-dir>/groups.yaml`` when present."""
    groups_file = DataPaths.of(data_dir).groups_file()
    return _load_register(str(groups_file.resolve()) if groups_file.exists() else None)
