"""Projection scenarios: YAML files of assumptions, strict validation, round-trip load/dump.

Shipped scenarios live in the package (``cityindicators/resources/scenarios/*.yaml``; the
repository's ``config/scenarios`` links there); users add their own as ``<data-dir>/scenarios/<name>.yaml``
(these win over shipped ones of the same name) or pass a file path.

File format (every key optional except ``name``; defaults shown)::

    name: baseline                 # slug: lower case letters, digits, '-' and '_'
    extends: null                  # a scenario name or a .yaml path: that scenario with this file's keys merged in
    label_en: Baseline             # display names
    label_lt: Bazinis
    description: Recent rates held constant.
    allow_implausible: false       # true accepts values outside the plausible ranges (see .bounds)
    fertility:
      mode: hold                   # hold | trend | path
      path: {2030: 1.6, 2050: 1.7} # mode path: TFR by year, linear in between, held after
      bounds: [1.0, 2.1]           # mode trend: TFR stays within (from the first year, or see the next key)
      bounds_entry_years: null     # mode trend: a base TFR outside the bounds moves into them in this many years
      damping: 0.9                 # mode trend: slope multiplied by this each year
      max_change: 0.3              # mode trend: the trend adds at most this (children per woman, either way)
      convergence_years: null      # mode trend: years until the TFR of all municipalities at the origin is reached
    mortality:
      mode: hold                   # hold | trend | gain
      e0_gain_per_year: 0.0        # mode gain: years of life expectancy gained per year
      bounds: [0.0, 0.4]           # mode trend: first-year annual gain kept within
      e0_ceiling: [82.0, 87.0]     # modes trend, gain: gains slow towards this (men, women)
    migration:
      mode: hold                   # hold | trend | zero
      level: 1.0                   # modes hold, trend: multiplies inflow and outflow
      outflow_scale: 1.0           # modes hold, trend: 0.5 halves the outflow
      inflow_scale: 1.0            # modes hold, trend
      bounds: [-0.03, 0.03]        # mode trend: crude net migration rate kept within (per person)
      damping: 0.8                 # mode trend: slope multiplied by this each year
      path: {2030: 0.8, 2040: 0.5} # modes hold, trend: net migration scaled by year (linear from 1 at the
                                   #   base year, held after)
      window: null                 # modes hold, trend (zero too with an added inflow of profile own): years of the
                                   #   migration window (default: the estimation settings')
      excluded_years: null         # every mode: event years left out of the window, e.g. [2010, 2011]
      convergence_target: null     # modes hold, trend: none | zero | own_mean (default: the estimation settings', zero)
      convergence_start_year: null # modes hold, trend: first calendar year of the convergence (default: base year + 12)
      convergence_year: null       # modes hold, trend: year the long-run level is reached (default: start + 28)
      added_inflow:                # every mode: an extra constant annual net inflow
        per_1000: 0.0              # persons per 1,000 base-year residents per year, and/or
        persons: 0.0               # persons per year (per territory; both given: they add up; judged
                                   #   per 1,000 of each territory's residents, as per_1000 is)
        profile: young_families    # a named profile or a mapping {"25-39": 0.6, "0-9": 0.4}
        from_year: null            # first calendar year of the inflow (default: base year)
    combination:                   # forecast combinations (default: the estimation settings')
      total_weight: null           # weight of the total's exponential trend, 0-1 (shipped 0)
      age_structure_weight: null   # weight of the median age's exponential trend, 0-1 (shipped 0.5)
      age_structure_years: null    # years over which that weight rises (shipped 10)

Each key of ``fertility``, ``mortality`` and ``migration`` goes with the modes its comment names (every mode
where it names none; :data:`MODE_KEYS`): a key the section's mode does not use would change nothing, so it is
refused, naming the file, the key, the modes that use it and the section's mode (``migration.damping applies
only with mode: trend``); an unknown key is refused naming the closest valid one (``dampng``: did you mean
``damping``?). A ``null`` for a key the mode does not use is accepted: it sets nothing.

A file with ``extends: NAME`` (or a path, relative to the file's folder) says only what differs from
another scenario, e.g. ``attraction.yaml`` is the ``baseline`` with an ``added_inflow``. Resolution
(:func:`load_scenario`, :func:`list_scenarios`): the parent is read first, valid on its own (an error in it
names its file, "extended by" this one); then this file's keys are merged into it and the result is
validated again as any scenario, errors naming this file. The merge: the sections ``fertility``,
``mortality``, ``migration``, ``migration.added_inflow`` and ``combination`` key by key; every other value
(a number, a list such as ``bounds``, a year ``path``, an inflow ``profile``) replaces the parent's whole;
``null`` removes the inherited key, so that the default applies (``migration: null``, the whole section).
Keys a section inherits that its resolved mode does not use (:data:`MODE_KEYS`) are left behind: ``revival``,
``migration.mode: hold`` over ``trend``, has no ``damping``; the same key written in the file itself is refused.
``name``, ``label_en``, ``label_lt`` and ``description`` are never inherited: they name and describe the
file's own scenario (``name`` stays required; labels left out are empty, as in any file); everything else,
``allow_implausible`` too, is. A name is looked up like :func:`load_scenario`'s (the data directory's
scenarios first, so a user's file may extend a shipped one, and a user's ``baseline.yaml`` that overrides
the shipped baseline is the parent of the shipped variants too); a file that extends its own name extends
the next one of that name (a user's ``baseline.yaml`` may extend the shipped baseline). Chains are
allowed; a cycle or an unknown parent is a :class:`ConfigError` naming the file and the key ``extends``.
A resolved :class:`Scenario` records its parents (:attr:`Scenario.parents`) and equals the same scenario
written out in full; :func:`dump_scenario` writes it so, self-contained.

Named age-sex profiles of added inflows: see :data:`PROFILES`. Values outside the plausible
ranges of :mod:`.bounds` are refused unless ``allow_implausible: true``; life-expectancy gains
slow towards the ceiling (:func:`.bounds.e0_path`).
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import yaml

from .._io import atomic_write_text, read_yaml
from ..config import DataPaths, resource_path
from ..exceptions import ConfigError
from .bounds import E0_CEILING, TFR_TREND_MAX_CHANGE, check_plausible
from .settings import CONVERGENCE_TARGETS, EstimationSettings

if TYPE_CHECKING:  # numpy is imported where used: `cityindicators scenarios --list` starts without it
    import numpy as np

__all__ = [
    "Fertility",
    "Mortality",
    "Migration",
    "AddedInflow",
    "Scenario",
    "PROFILES",
    "profile_weights",
    "load_scenario",
    "dump_scenario",
    "list_scenarios",
    "scenario_dirs",
    "outflow_scaling",
]

log = logging.getLogger(__name__)

#: Named profiles of an added inflow: age band -> share of migrants (both sexes, split 50/50).
PROFILES: dict[str, dict[str, float]] = {
    # couples of 25-39 with children under 10, a few older relatives
    "young_families": {"0-9": 0.35, "25-39": 0.55, "40-49": 0.10},
    "young_adults": {"18-34": 1.0},
    "working_age": {"20-59": 1.0},
    "retirees": {"60-74": 1.0},
}
#: Profile that follows the territory's own estimated inflow by age and sex.
OWN_PROFILE = "own"

_FERT_MODES = ("hold", "trend", "path")
_MORT_MODES = ("hold", "trend", "gain")
_MIG_MODES = ("hold", "trend", "zero")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

#: The keys of the sections with a ``mode``, in the order error messages list them.
SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "fertility": ("mode", "path", "bounds", "damping", "max_change", "convergence_years", "bounds_entry_years"),
    "mortality": ("mode", "e0_gain_per_year", "bounds", "e0_ceiling"),
    "migration": ("mode", "level", "outflow_scale", "inflow_scale", "bounds", "damping", "added_inflow", "path",
                  "window", "excluded_years", "convergence_target", "convergence_start_year", "convergence_year"),
}

#: The keys of the sections with a ``mode`` that only some modes use, with those modes (a key not listed
#: is used by every mode: ``mode``, ``migration.added_inflow``, ``migration.excluded_years``, which the
#: estimation of mortality by age leaves out too). A key the scenario's mode does not use would change
#: nothing, most often a mode left out or mistyped, so :meth:`Scenario.from_dict` refuses it.
MODE_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "fertility": {"path": ("path",), **dict.fromkeys(
        ("bounds", "bounds_entry_years", "damping", "max_change", "convergence_years"), ("trend",))},
    "mortality": {"e0_gain_per_year": ("gain",), "bounds": ("trend",), "e0_ceiling": ("trend", "gain")},
    "migration": {**dict.fromkeys(("level", "outflow_scale", "inflow_scale", "path", "window", "convergence_target",
                                   "convergence_start_year", "convergence_year"), ("hold", "trend")),
                  "bounds": ("trend",), "damping": ("trend",)},
}


def _key_applies(section: str, key: str, mode: str, values: Mapping) -> bool:
    """Whether ``section.key`` changes anything under ``mode``; ``values``: the section's keys."""
    modes = MODE_KEYS.get(section, {}).get(key)
    if modes is None or mode in modes:
        return True
    # without migration the window still shapes an added inflow of the territory's own profile
    inflow = values.get("added_inflow")
    return (section, key) == ("migration", "window") and isinstance(inflow, Mapping) \
        and inflow.get("profile") == OWN_PROFILE


def _check_mode_keys(d: Mapping, section: str, mode: str, source: str) -> dict[str, Any]:
    """The keys of section ``d`` that its ``mode`` uses; a key it does not use is a :class:`ConfigError`
    naming the key and the modes that use it (a ``null``, the default, is dropped unsaid)."""
    used = {}
    for key, value in d.items():
        if _key_applies(section, key, mode, d):
            used[key] = value
        elif value is not None:
            modes = " or ".join(MODE_KEYS[section][key])
            own = " or with an added_inflow of profile 'own'" if (section, key) == ("migration", "window") else ""
            raise _err(source, f"{section}.{key}", f"applies only with mode: {modes}{own} (this scenario has "
                       f"{section}.mode: {mode}{'' if 'mode' in d else ', the default'}); set the mode or leave "
                       "the key out")
    return used


def _without_inherited_unused_keys(merged: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """``merged`` (a parent's keys with ``own``, a file's, merged in) without the keys a section inherited that
    its resolved mode does not use: a file that sets ``migration.mode: zero`` over a trend leaves the
    trend's ``damping`` behind, unsaid. A key the file writes itself stays, to be refused naming it."""
    out = dict(merged)
    for section, modes in (("fertility", _FERT_MODES), ("mortality", _MORT_MODES), ("migration", _MIG_MODES)):
        values, written = out.get(section), own.get(section)
        if not isinstance(values, Mapping) or values.get("mode", "hold") not in modes:
            continue  # from_dict names what is wrong
        written = written if isinstance(written, Mapping) else {}
        mode = values.get("mode", "hold")
        out[section] = {k: v for k, v in values.items()
                        if k in written or _key_applies(section, k, mode, values)}
    return out


def _err(source: str, key: str, msg: str) -> ConfigError:
    return ConfigError(f"{source}: key {key!r}: {msg}")


def _shown(v: Any) -> str:
    """A value of the file as an error message quotes it: a number or a short one-line text as written,
    anything else by what it is ("a mapping of 3 keys", "a list of 2 items", "a text of 300 characters"),
    so that the message stays one line and does not echo a fragment of the file."""
    if v is None:
        return "an empty value"
    if isinstance(v, (bool, int, float)):
        return repr(v)
    if isinstance(v, str):
        return repr(v) if len(v) <= 40 and v.isprintable() else f"a text of {len(v)} characters"
    if isinstance(v, Mapping):
        return f"a mapping of {len(v)} {'key' if len(v) == 1 else 'keys'}"
    if isinstance(v, (list, tuple)):
        return f"a list of {len(v)} {'item' if len(v) == 1 else 'items'}"
    return f"a {type(v).__name__}"  # a date, say


def _check_keys(d: Mapping, allowed: tuple[str, ...], source: str, where: str) -> None:
    if not isinstance(d, Mapping):
        raise _err(source, where, f"expected a mapping with keys {list(allowed)}, got {type(d).__name__}")
    unknown = [k for k in d if k not in allowed]
    if unknown:
        # a typo ('dampng', 'migraton') is the usual unknown key: name the key it most likely meant
        close = difflib.get_close_matches(str(unknown[0]), allowed, n=1, cutoff=0.6)
        raise _err(source, f"{where}.{unknown[0]}" if where else str(unknown[0]),
                   f"unknown key{f' (did you mean {close[0]!r}?)' if close else ''}; allowed keys: "
                   f"{', '.join(allowed)}")


#: A number in scientific notation without a point ("1e5", "2E-3"): YAML 1.1 (PyYAML) reads it as
#: text, where a user and every other YAML reader see a number.
_EXPONENT_ONLY = re.compile(r"[-+]?\d+[eE][-+]?\d+")


def _num(v: Any, source: str, key: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(v, str) and _EXPONENT_ONLY.fullmatch(v.strip()):
        v = float(v)  # then judged by the range as any number ('1e308' was "expected a number")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _err(source, key, f"expected a number, got {_shown(v)}")
    v = float(v)
    if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
        raise _err(source, key, f"value {v!r} is outside the allowed range {rng}")
    return v


def _pair(v: Any, source: str, key: str) -> tuple[float, float]:
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise _err(source, key, f"expected [lower, upper], got {_shown(v)}")
    lo, hi = (_num(x, source, key) for x in v)
    if lo > hi:
        raise _err(source, key, f"lower bound {lo} is above upper bound {hi}")
    return (lo, hi)


def _year(v: Any, source: str, key: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 1900 <= v <= 2200:
        raise _err(source, key, f"expected a calendar year (integer 1900-2200), got {_shown(v)}")
    return int(v)


def _path_year(y: Any) -> int | None:
    """A year key of a path as an integer ("2030" quoted too); None for anything else: 2030.5 is a
    mistake, not 2030."""
    if isinstance(y, int) and not isinstance(y, bool):
        return y
    if isinstance(y, str) and y.strip().isdigit():
        return int(y)
    return None


def _year_path(v: Any, source: str, key: str, what: str) -> tuple[tuple[int, float], ...]:
    """A mapping year -> value (0-10) as ``((year, value), ...)`` sorted by year; ``what`` names
    the value with an example for the error message."""
    if not isinstance(v, Mapping) or not v:
        raise _err(source, key, f"expected a mapping year -> {what}")
    items = []
    for y, x in v.items():
        yi = _path_year(y)
        if yi is None:
            raise _err(source, key, f"year {_shown(y)} is not an integer")
        if not 1900 <= yi <= 2200:  # as a year key elsewhere (_year): 3000 was kept, a path no projection reaches
            raise _err(source, key, f"year {yi} is outside the calendar years 1900-2200")
        items.append((yi, _num(x, source, f"{key}.{yi}", 0.0, 10.0)))
    return tuple(sorted(items))


def _migration_path_and_window(mi: Mapping, source: str) -> dict[str, Any]:
    """The migration keys that set the estimation window and the path of the schedule over time."""
    out: dict[str, Any] = {}
    if "path" in mi:
        out["path"] = _year_path(mi["path"], source, "migration.path", "scaling of net migration, e.g. {2030: 0.5}")
    if mi.get("window") is not None:
        w = mi["window"]
        if isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= 50:
            raise _err(source, "migration.window", f"expected a number of years 1-50, got {_shown(w)}")
        out["window"] = int(w)
    if mi.get("excluded_years") is not None:
        ex = mi["excluded_years"]
        if not isinstance(ex, (list, tuple)):
            raise _err(source, "migration.excluded_years",
                       f"expected a list of years, e.g. [2010, 2011], got {_shown(ex)}")
        out["excluded_years"] = tuple(sorted(_year(y, source, "migration.excluded_years") for y in ex))
    if mi.get("convergence_target") is not None:
        out["convergence_target"] = _mode(mi["convergence_target"], CONVERGENCE_TARGETS, source, "migration.convergence_target")
    for key in ("convergence_start_year", "convergence_year"):
        if mi.get(key) is not None:
            out[key] = _year(mi[key], source, f"migration.{key}")
    if out.get("convergence_year", 9999) <= out.get("convergence_start_year", 0):
        raise _err(source, "migration.convergence_year", f"{out['convergence_year']} must be after "
                   f"migration.convergence_start_year ({out['convergence_start_year']})")
    return out


#: Keys of a scenario's ``combination`` section and the :class:`~cityindicators.projection.settings.EstimationSettings`
#: fields they set.
COMBINATION_KEYS = {"total_weight": "total_combination_weight", "age_structure_weight": "age_structure_weight",
                    "age_structure_years": "age_structure_years"}


def _combination(d: Any, source: str) -> tuple[tuple[str, float], ...]:
    """The ``combination`` section as ``((settings field, value), ...)``, only the keys given."""
    _check_keys(d, tuple(COMBINATION_KEYS), source, "combination")
    out = []
    for key, field_name in COMBINATION_KEYS.items():
        v = d.get(key)
        if v is None:
            continue
        where = f"combination.{key}"
        if key == "age_structure_years":
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 100:
                raise _err(source, where, f"expected a whole number of years 1-100, got {_shown(v)}")
            out.append((field_name, int(v)))
        else:
            out.append((field_name, _num(v, source, where, 0.0, 1.0)))
    return tuple(out)


def _years_or_none(v: Any, source: str, key: str) -> int | None:
    """A whole number of years (at least 1) or None."""
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise _err(source, key, f"expected a whole number of years (at least 1) or null, got {_shown(v)}")
    return int(v)


def _mode(v: Any, allowed: tuple[str, ...], source: str, key: str) -> str:
    if v not in allowed:
        raise _err(source, key, f"{_shown(v)} is not allowed; allowed values: {', '.join(allowed)}")
    return str(v)


def _parse_band(band: str, source: str, key: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(band))
    if not m or int(m.group(1)) > int(m.group(2)):
        raise _err(source, key, f"{_shown(band)} is not an age band like '25-39' (lower-upper, inclusive)")
    return int(m.group(1)), int(m.group(2))


def _check_profile(v: Any, source: str, key: str) -> str | dict[str, float]:
    if isinstance(v, str):
        if v not in PROFILES and v != OWN_PROFILE:
            raise _err(source, key, f"unknown profile {_shown(v)}; allowed values: {', '.join([*PROFILES, OWN_PROFILE])} "
                                    "or a mapping of age bands to shares")
        return v
    if isinstance(v, Mapping) and v:
        out: dict[str, float] = {}
        for band, w in v.items():
            _parse_band(band, source, f"{key}.{band}")
            out[str(band)] = _num(w, source, f"{key}.{band}", lo=0.0)
        if sum(out.values()) <= 0:
            raise _err(source, key, "profile shares must not all be zero")
        return out
    raise _err(source, key, f"expected a profile name ({', '.join([*PROFILES, OWN_PROFILE])}) or a mapping "
                            f"of age bands to shares, got {_shown(v)}")


def profile_weights(profile: str | Mapping[str, float], ages: int, own: np.ndarray | None = None) -> np.ndarray:
    """Shares ``[..., 2, ages]`` (sum 1 over sex and age) of an inflow profile.

    ``profile`` is a name of :data:`PROFILES`, ``"own"`` (then ``own[..., 2, ages]``, e.g. the
    territory's estimated inflow in persons, gives the shape), or a mapping ``"lo-hi" -> share``
    (uniform within each band, half men, half women).
    """
    import numpy as np

    if isinstance(profile, str) and profile == OWN_PROFILE:
        if own is None:
            raise ConfigError("profile 'own' needs the territory's estimated inflow")
        own = np.maximum(np.asarray(own, dtype=float), 0)
        tot = own.sum(axis=(-2, -1), keepdims=True)
        flat = np.full(own.shape, 1.0 / (2 * ages))
        return np.where(tot > 0, own / np.where(tot > 0, tot, 1), flat)
    bands = PROFILES[profile] if isinstance(profile, str) else dict(profile)
    w = np.zeros(ages)
    for band, share in bands.items():
        lo, hi = _parse_band(band, "profile", band)
        hi = min(hi, ages - 1)
        if lo <= hi:
            w[lo:hi + 1] += share / (hi - lo + 1)
    w = w / w.sum()
    return np.stack([w / 2, w / 2])


@dataclass(frozen=True)
class Fertility:
    """Fertility assumption: ``hold`` the base TFR, continue its ``trend`` (damped, bounded) or follow a ``path``.

    A trend adds at most ``max_change`` children per woman and, with ``convergence_years``, moves to
    the long-run level (the TFR of all municipalities of the data at the origin) in that many years;
    with ``bounds_entry_years`` a base TFR outside ``bounds`` starts from its observed level and moves
    into them in that many years instead of starting at the bound (:func:`.bounds.tfr_path`)."""

    mode: str = "hold"
    path: tuple[tuple[int, float], ...] = ()
    bounds: tuple[float, float] = (1.0, 2.1)
    damping: float = 0.9
    max_change: float = TFR_TREND_MAX_CHANGE
    convergence_years: int | None = None
    bounds_entry_years: int | None = None


@dataclass(frozen=True)
class Mortality:
    """Mortality assumption: ``hold`` base life expectancy, continue its ``trend`` (bounded first-year
    gain), or a fixed first-year ``gain``; gains slow towards ``e0_ceiling`` (men, women), see :mod:`.bounds`."""

    mode: str = "hold"
    e0_gain_per_year: float = 0.0
    bounds: tuple[float, float] = (0.0, 0.4)
    e0_ceiling: tuple[float, float] = E0_CEILING


@dataclass(frozen=True)
class AddedInflow:
    """A constant annual net inflow on top of the estimated migration (persons or per 1,000 residents)."""

    per_1000: float = 0.0
    persons: float = 0.0
    profile: str | tuple[tuple[str, float], ...] = "young_families"
    from_year: int | None = None

    def profile_spec(self) -> str | dict[str, float]:
        return self.profile if isinstance(self.profile, str) else dict(self.profile)

    @property
    def active(self) -> bool:
        return bool(self.per_1000 or self.persons)


@dataclass(frozen=True)
class Migration:
    """Migration assumption: ``hold`` estimated rates, ``trend`` (damped, bounded), or ``zero``; with scalings and an added inflow."""

    mode: str = "hold"
    level: float = 1.0
    outflow_scale: float = 1.0
    inflow_scale: float = 1.0
    bounds: tuple[float, float] = (-0.03, 0.03)
    damping: float = 0.8
    added_inflow: AddedInflow = field(default_factory=AddedInflow)
    path: tuple[tuple[int, float], ...] = ()
    window: int | None = None
    excluded_years: tuple[int, ...] | None = None
    convergence_target: str | None = None
    convergence_start_year: int | None = None
    convergence_year: int | None = None

    def estimation_overrides(self) -> dict[str, Any]:
        """The :class:`~cityindicators.projection.settings.EstimationSettings` fields this scenario sets."""
        out: dict[str, Any] = {}
        if self.window is not None:
            out["migration_window"] = self.window
        if self.excluded_years is not None:
            out["migration_excluded_years"] = tuple(self.excluded_years)
        return out


@dataclass(frozen=True)
class Scenario:
    """A named set of assumptions (see the module docstring for the file format)."""

    name: str
    label_en: str = ""
    label_lt: str = ""
    description: str = ""
    fertility: Fertility = field(default_factory=Fertility)
    mortality: Mortality = field(default_factory=Mortality)
    migration: Migration = field(default_factory=Migration)
    allow_implausible: bool = False
    combination: tuple[tuple[str, float], ...] = ()  # (EstimationSettings field, value) of the section given
    source: str = field(default="", compare=False)
    #: ``(name, file)`` of the scenarios its file extends, nearest first (empty: a file of its own). Neither
    #: compared nor in the repr: a resolved scenario equals the same scenario written out in full.
    parents: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    def schedule_overrides(self) -> dict[str, Any]:
        """The :class:`~cityindicators.projection.settings.EstimationSettings` fields of the schedule
        (not of the estimation) this scenario sets: its ``combination`` section."""
        return dict(self.combination)

    # -- (de)serialisation ----------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "scenario") -> "Scenario":
        """Validate a mapping (e.g. parsed YAML); raises :class:`ConfigError` naming the key and allowed values.

        The mapping is a resolved one: ``extends`` is resolved by :func:`load_scenario`, which reads the parent."""
        if isinstance(d, Mapping) and "extends" in d:
            raise _err(source, "extends", "a parent scenario is resolved when the scenario is loaded: "
                                          "use load_scenario (a file or a mapping), not Scenario.from_dict")
        # 'extends' is refused above, but a file may mistype it: it is one of a file's keys
        _check_keys(d, ("name", "extends", "label_en", "label_lt", "description", "allow_implausible", "fertility",
                        "mortality", "migration", "combination"), source, "")
        allow = d.get("allow_implausible", False)
        if not isinstance(allow, bool):
            raise _err(source, "allow_implausible", f"expected true or false, got {_shown(allow)}")
        name = d.get("name")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise _err(source, "name",
                       f"required; a slug of lower-case letters, digits, '-' and '_', got {_shown(name)}")
        for k in ("label_en", "label_lt", "description"):
            if k in d and not isinstance(d[k], str):
                raise _err(source, k, f"expected text, got {_shown(d[k])}")

        f = d.get("fertility") or {}
        _check_keys(f, SECTION_KEYS["fertility"], source, "fertility")
        fmode = _mode(f.get("mode", "hold"), _FERT_MODES, source, "fertility.mode")
        f = _check_mode_keys(f, "fertility", fmode, source)
        path: tuple[tuple[int, float], ...] = ()
        if "path" in f:
            path = _year_path(f["path"], source, "fertility.path", "TFR, e.g. {2030: 1.6}")
        if fmode == "path" and not path:
            raise _err(source, "fertility.path", "required when fertility.mode is 'path'")
        fert = Fertility(
            mode=fmode, path=path,
            bounds=_pair(f["bounds"], source, "fertility.bounds") if "bounds" in f else Fertility.bounds,
            damping=_num(f.get("damping", Fertility.damping), source, "fertility.damping", 0.0, 1.0),
            max_change=_num(f.get("max_change", Fertility.max_change), source, "fertility.max_change", 0.0, 10.0),
            convergence_years=_years_or_none(f.get("convergence_years"), source, "fertility.convergence_years"),
            bounds_entry_years=_years_or_none(f.get("bounds_entry_years"), source, "fertility.bounds_entry_years"),
        )

        mo = d.get("mortality") or {}
        _check_keys(mo, SECTION_KEYS["mortality"], source, "mortality")
        mmode = _mode(mo.get("mode", "hold"), _MORT_MODES, source, "mortality.mode")
        mo = _check_mode_keys(mo, "mortality", mmode, source)
        ceiling = mo.get("e0_ceiling", list(E0_CEILING))
        if not isinstance(ceiling, (list, tuple)) or len(ceiling) != 2:
            raise _err(source, "mortality.e0_ceiling", f"expected [men, women] in years, got {_shown(ceiling)}")
        mort = Mortality(
            mode=mmode,
            e0_gain_per_year=_num(mo.get("e0_gain_per_year", 0.0), source, "mortality.e0_gain_per_year", -2.0, 2.0),
            bounds=_pair(mo["bounds"], source, "mortality.bounds") if "bounds" in mo else Mortality.bounds,
            e0_ceiling=tuple(_num(v, source, "mortality.e0_ceiling", 0.0, 130.0) for v in ceiling),
        )

        mi = d.get("migration") or {}
        _check_keys(mi, SECTION_KEYS["migration"], source, "migration")
        mimode = _mode(mi.get("mode", "hold"), _MIG_MODES, source, "migration.mode")
        mi = _check_mode_keys(mi, "migration", mimode, source)
        mig_extra = _migration_path_and_window(mi, source)
        ai = mi.get("added_inflow") or {}
        _check_keys(ai, ("per_1000", "persons", "profile", "from_year"), source, "migration.added_inflow")
        prof = _check_profile(ai.get("profile", "young_families"), source, "migration.added_inflow.profile")
        fy = ai.get("from_year")
        if fy is not None and (isinstance(fy, bool) or not isinstance(fy, int)):
            raise _err(source, "migration.added_inflow.from_year",
                       f"expected a year (integer) or null, got {_shown(fy)}")
        added = AddedInflow(
            per_1000=_num(ai.get("per_1000", 0.0), source, "migration.added_inflow.per_1000", -1000.0, 1000.0),
            persons=_num(ai.get("persons", 0.0), source, "migration.added_inflow.persons"),
            profile=prof if isinstance(prof, str) else tuple(prof.items()),
            from_year=fy,
        )
        mig = Migration(
            mode=mimode,
            level=_num(mi.get("level", 1.0), source, "migration.level", 0.0, 10.0),
            outflow_scale=_num(mi.get("outflow_scale", 1.0), source, "migration.outflow_scale", 0.0, 10.0),
            inflow_scale=_num(mi.get("inflow_scale", 1.0), source, "migration.inflow_scale", 0.0, 10.0),
            bounds=_pair(mi["bounds"], source, "migration.bounds") if "bounds" in mi else Migration.bounds,
            damping=_num(mi.get("damping", Migration.damping), source, "migration.damping", 0.0, 1.0),
            added_inflow=added, **mig_extra,
        )
        sc = cls(name=name, label_en=d.get("label_en", ""), label_lt=d.get("label_lt", ""),
                 description=d.get("description", ""), fertility=fert, mortality=mort, migration=mig,
                 allow_implausible=allow, combination=_combination(d.get("combination") or {}, source), source=source)
        check_plausible(sc, source)
        return sc

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping with every key the modes use (:data:`MODE_KEYS`), suitable for YAML
        (``from_dict(to_dict())`` round-trips)."""
        d = asdict(self)
        d.pop("source")
        d.pop("parents")
        d["fertility"]["path"] = {int(y): float(v) for y, v in self.fertility.path}
        if not d["fertility"]["path"]:
            d["fertility"].pop("path")
        for key in ("convergence_years", "bounds_entry_years"):
            if d["fertility"][key] is None:
                d["fertility"].pop(key)
        for sect in ("fertility", "mortality", "migration"):
            if "bounds" in d[sect]:
                d[sect]["bounds"] = list(d[sect]["bounds"])
        d["mortality"]["e0_ceiling"] = list(d["mortality"]["e0_ceiling"])
        ai = d["migration"]["added_inflow"]
        ai["profile"] = self.migration.added_inflow.profile_spec()
        mig = d["migration"]
        mig["path"] = {int(y): float(v) for y, v in self.migration.path}
        for key in ("path", "window", "excluded_years", "convergence_target", "convergence_start_year",
                    "convergence_year"):
            if mig[key] in (None, {}, ()):
                mig.pop(key)
        if "excluded_years" in mig:
            mig["excluded_years"] = [int(y) for y in mig["excluded_years"]]
        for sect in MODE_KEYS:  # the keys the mode does not use would be refused on reading
            d[sect] = {k: v for k, v in d[sect].items() if _key_applies(sect, k, d[sect]["mode"], d[sect])}
        fields = {v: k for k, v in COMBINATION_KEYS.items()}
        d["combination"] = {fields[f]: v for f, v in self.combination}
        if not d["combination"]:
            d.pop("combination")
        return d

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def with_added_inflow(self, persons: float, profile: str | Mapping[str, float] | None = None,
                          from_year: int | None = None) -> "Scenario":
        """A copy with the added annual inflow replaced by ``persons`` per year (used by target seeking).

        The copy allows implausible values: every other value was judged when the scenario was read,
        and the inflow is the one a target needs, which the target's own message reports however
        large it is (:func:`~cityindicators.projection.bounds.check_added_inflow` would refuse it)."""
        prof = profile if profile is not None else self.migration.added_inflow.profile_spec()
        prof = _check_profile(prof, self.name, "profile")
        ai = AddedInflow(per_1000=0.0, persons=float(persons),
                         profile=prof if isinstance(prof, str) else tuple(prof.items()),
                         from_year=from_year if from_year is not None else self.migration.added_inflow.from_year)
        return replace(self, migration=replace(self.migration, added_inflow=ai), allow_implausible=True)

    def summary(self, settings: EstimationSettings | None = None, reading: bool = False) -> dict[str, str]:
        """One line per component, for assumption tables in reports; the long-run rule of net migration
        is the scenario's own or that of ``settings`` (default: the shipped ``EstimationSettings()``).

        With ``reading`` (an aligned table printed for people) a negative bound has the minus sign
        "−" (U+2212) and a range of two non-negative bounds the en dash ("1–2.1"), as the reports
        write them; without it (CSV, JSON, for programs) the ASCII hyphen ("-30 to 30", "1-2.1")."""
        f, mo, mi = self.fertility, self.mortality, self.migration
        fert = {"hold": "TFR held at the base level",
                "trend": f"TFR trend continued (damping {f.damping:g}, at most {f.max_change:g} children per woman "
                         f"up or down, within {_bounds_text(*f.bounds, reading)}"
                         + (f" (a base outside them moves into them in {f.bounds_entry_years} years)"
                            if f.bounds_entry_years else "")
                         + (f"; the country's level in {f.convergence_years} years)" if f.convergence_years else ")"),
                "path": "TFR path " + ", ".join(f"{y}: {v:g}" for y, v in f.path)}[f.mode]
        towards = f", slowing towards {mo.e0_ceiling[0]:g} (men) and {mo.e0_ceiling[1]:g} (women) years"
        mort = {"hold": "life expectancy held",
                "gain": f"life expectancy +{mo.e0_gain_per_year:g} years in the first year{towards}",
                "trend": f"life expectancy trend continued (first-year gain {_bounds_text(*mo.bounds, reading)} years"
                         f"{towards})"}[mo.mode]
        parts = {"hold": "recent net migration rates held", "zero": "no migration",
                 "trend": f"net migration trend continued (damping {mi.damping:g}, crude rate within "
                          f"{_bounds_text(1000 * mi.bounds[0], 1000 * mi.bounds[1], reading, ' to ')} per 1,000)"}[mi.mode]
        if mi.mode != "zero":
            if mi.level != 1:
                parts += f", level x{mi.level:g}"
            if mi.inflow_scale != 1:
                parts += f", inflow x{mi.inflow_scale:g}"
            parts += ", " + _long_run_phrase(mi, settings or EstimationSettings())
            if mi.outflow_scale != 1:
                # what is scaled depends on the data and the model: with the shipped 'mixed' model the net losses
                model = (settings or EstimationSettings()).migration_model
                parts += (f"; outflow x{mi.outflow_scale:g} \u2013 "
                          + outflow_scaling(mi.outflow_scale, "either" if model == "rate" else "net"))
        a = mi.added_inflow
        if a.active:
            # both keys add up (the schedule's inflow is persons + per_1000 * residents / 1000): a file that
            # extends one with the other key has both
            amount = " and ".join([f"{a.persons:g} persons"] * bool(a.persons)
                                  + [f"{a.per_1000:g} per 1,000 residents"] * bool(a.per_1000))
            prof = a.profile if isinstance(a.profile, str) else ", ".join(f"{b}: {w:g}" for b, w in a.profile)
            parts += f"; plus {amount} a year ({prof}) throughout"
        return {"fertility": fert, "mortality": mort, "migration": parts}


#: What ``migration.outflow_scale`` scales, by :attr:`~cityindicators.projection.api.ProjectionResult.gross_outflow`
#: of the territory (``used``, ``unused``, ``absent``) or, without data, by the model (``net``: not ``rate``;
#: ``either``: ``rate``, gross flows where the data have them).
OUTFLOW_KINDS = ("used", "unused", "absent", "net", "either")


def outflow_scaling(scale: float, kind: str = "absent", lang: str = "en") -> str:
    """In words, what a scenario's ``migration.outflow_scale`` of ``scale`` does (``kind``: :data:`OUTFLOW_KINDS`).

    Without gross flows (the lt-osp extract: population, births and deaths), and with the shipped
    ``migration_model='mixed'`` whatever the data, the schedule's outflow is the negative part of its
    net migration by age and sex (:mod:`.estimation.migration`), so 0.5 halves the net losses and keeps
    the net gains: "the net outflow is halved: the negative net migration rates (net losses by age and
    sex) are halved; gross flows (emigrants, departures) are not in the data"."""
    from ..i18n import check_language, t

    if kind not in OUTFLOW_KINDS:
        raise ValueError(f"outflow kind {kind!r}: expected one of {OUTFLOW_KINDS}")
    lang = check_language(lang)
    x = f"{scale:g}".replace(".", "," if lang == "lt" else ".")
    sg, pl = t("outflow_halved" if scale == 0.5 else "outflow_times", lang, x=x).split("|")
    return t(f"outflow_{kind}", lang, sg=sg, pl=pl)


def _bounds_text(lo: float, hi: float, reading: bool, between: str | None = None) -> str:
    """The range ``lo`` to ``hi`` in a scenario summary: joined by ``between`` (default: "-", or for
    ``reading`` the en dash, or " to " when a bound is negative, since "−3–3" reads badly), a
    negative bound with the minus sign "−" when ``reading``."""
    from ..i18n import MINUS

    def shown(v: float) -> str:
        text = f"{v:g}"
        return MINUS + text[1:] if reading and text.startswith("-") else text

    if between is None:
        between = (" to " if min(lo, hi) < 0 else "\u2013") if reading else "-"  # the en dash of "0\u201314"
    return f"{shown(lo)}{between}{shown(hi)}"


def _long_run_phrase(mi: Migration, st: EstimationSettings) -> str:
    """The long-run rule of net migration in words: the scenario's keys, else the settings' (the shipped default
    when ``st`` is ``EstimationSettings()``); see :func:`~cityindicators.projection.schedule.convergence_span`."""
    rule = mi.convergence_target or st.migration_convergence
    if rule == "none":
        return "for the whole projection"
    start = (f"to {mi.convergence_start_year}" if mi.convergence_start_year is not None
             else f"for {st.migration_convergence_start} years after the base year")
    if mi.convergence_year is not None:
        end = f"reached in {mi.convergence_year}"
    elif mi.convergence_start_year is not None:
        end = f"reached {st.migration_convergence_years} years later"
    else:
        end = f"reached {st.migration_convergence_start + st.migration_convergence_years} years after the base year"
    level = "zero" if rule == "zero" else "the territory's own long-run mean"
    return f"{start}, then moving linearly to {level}, {end}"


# -- files ------------------------------------------------------------------------------------
def scenario_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for ``<name>.yaml``: the user's ``<data-dir>/scenarios`` first, then the shipped ones."""
    return [DataPaths.of(data_dir).root / "scenarios", resource_path("scenarios")]


#: Keys a file never inherits from the scenario it extends: they name and describe its own scenario.
OWN_KEYS = ("name", "label_en", "label_lt", "description")
#: The mappings of the file format merged key by key with the parent's (with the mappings merged inside
#: them); every other value replaces the parent's whole, a year path or an inflow profile too: a path
#: {2030: 0.5} written over {2030: 0.8, 2050: 0.6} is that one path, not the two mixed.
MERGED_SECTIONS: dict[str, dict] = {"fertility": {}, "mortality": {}, "migration": {"added_inflow": {}},
                                    "combination": {}}


def merge_scenario_keys(parent: Mapping[str, Any], child: Mapping[str, Any],
                        sections: Mapping[str, Mapping] = MERGED_SECTIONS) -> dict[str, Any]:
    """``parent`` with the keys of ``child`` merged in: a section of ``sections`` key by key, any other value
    replacing the parent's, a ``None`` (``null``) removing the parent's key so that the default applies."""
    out = dict(parent)
    for key, value in child.items():
        base = out.get(key)
        if value is None:
            out.pop(key, None)
        elif key in sections and isinstance(value, Mapping) and (base is None or isinstance(base, Mapping)):
            out[key] = merge_scenario_keys(base or {}, value, sections[key])
        else:
            out[key] = value
    return out


def _is_path(spec: str) -> bool:
    """Whether a scenario given as text is a file path (else a name)."""
    return Path(spec).suffix in (".yaml", ".yml") or os.sep in spec or "/" in spec


def _file_of_name(name: str, data_dir: str | os.PathLike | None, skip: Path | None = None) -> Path | None:
    """The first ``<name>.yaml`` of :func:`scenario_dirs` (not ``skip``, a resolved path), None when there is none."""
    for folder in scenario_dirs(data_dir):
        path = folder / f"{name}.yaml"
        if path.is_file() and (skip is None or path.resolve() != skip):
            return path
    return None


def _available_names(data_dir: str | os.PathLike | None) -> str:
    """The names of the scenario files, for error messages (from the file names: no file is parsed)."""
    names = {p.stem for folder in scenario_dirs(data_dir) if folder.is_dir() for p in folder.glob("*.yaml")}
    return ", ".join(sorted(names)) or "(none)"


def _check_file_name(sc: Scenario, path: Path, name: str) -> Scenario:
    if sc.name != name:
        raise ConfigError(f"{path}: key 'name' is {sc.name!r} but the file is named {name!r}")
    return sc


def _parent_file(spec: Any, source: str, folder: Path, data_dir: str | os.PathLike | None,
                 own: Path | None) -> tuple[Path, str | None]:
    """The file an ``extends`` value names and the name it was asked by (None for a path). A path is relative
    to the extending file's folder; a name is looked up like :func:`load_scenario`'s, leaving out the
    extending file ``own`` itself, so that a user's ``baseline.yaml`` may extend the shipped baseline."""
    if not isinstance(spec, str) or not spec.strip():
        raise _err(source, "extends",
                   f"expected the name of a scenario or a path to a .yaml file, got {_shown(spec)}")
    if _is_path(spec):
        path = Path(spec).expanduser()
        path = path if path.is_absolute() else folder / path
        if not path.is_file():
            raise _err(source, "extends", f"scenario file {path} does not exist")
        return path, None
    path = _file_of_name(spec, data_dir, skip=own)
    if path is None:
        if own is not None and _file_of_name(spec, data_dir) is not None:
            raise _err(source, "extends", f"{spec!r} is this file itself and there is no other scenario of that "
                                          "name to extend (a user's file may extend a shipped one of its name)")
        raise _err(source, "extends", f"unknown scenario {spec!r}; allowed values: {_available_names(data_dir)} "
                                      "(or a path to a .yaml file)")
    return path, spec


def _resolve(doc: Mapping[str, Any], source: str, folder: Path, data_dir: str | os.PathLike | None,
             chain: tuple[Path, ...], cache: dict[Path, tuple[Scenario, Mapping[str, Any]]]
             ) -> tuple[Scenario, Mapping[str, Any]]:
    """The scenario of a parsed file or mapping and the keys it is validated from (what a file extending it
    inherits): with ``extends``, the parent's keys (the parent read first, valid on its own) with this one's
    merged in, validated again with errors naming ``source``. ``chain``: the resolved paths of the files
    being read, this one last, to stop at a cycle."""
    if "extends" not in doc:
        return Scenario.from_dict(doc, source=source), doc
    path, asked_as = _parent_file(doc["extends"], source, folder, data_dir, chain[-1] if chain else None)
    real = path.resolve()
    if real in chain:
        cycle = " -> ".join(str(p) for p in (*chain[chain.index(real):], real))
        raise _err(source, "extends", f"the scenario files extend each other in a cycle: {cycle}")
    try:
        parent, parent_keys = _read_resolved(path, data_dir, chain, cache)
        if asked_as is not None:
            _check_file_name(parent, path, asked_as)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (extended by {source})") from None
    keys = _without_inherited_unused_keys(
        merge_scenario_keys({k: v for k, v in parent_keys.items() if k not in OWN_KEYS},
                            {k: v for k, v in doc.items() if k != "extends"}), doc)
    sc = Scenario.from_dict(keys, source=source)
    return replace(sc, parents=((parent.name, parent.source), *parent.parents)), keys


def _read_resolved(path: Path, data_dir: str | os.PathLike | None, chain: tuple[Path, ...],
                   cache: dict[Path, tuple[Scenario, Mapping[str, Any]]]) -> tuple[Scenario, Mapping[str, Any]]:
    """:func:`_resolve` of a file; ``cache`` keeps the files read within one call (the shipped variants each
    extend the baseline)."""
    key = path.resolve()
    if key not in cache:
        doc = read_yaml(path, "scenario file")  # strict UTF-8; names the path on any failure
        if not isinstance(doc, Mapping):
            raise ConfigError(f"{path}: a scenario file must be a mapping with at least the key 'name'")
        cache[key] = _resolve(doc, str(path), path.parent, data_dir, (*chain, key), cache)
    return cache[key]


def _read(path: Path, data_dir: str | os.PathLike | None = None,
          cache: dict[Path, tuple[Scenario, Mapping[str, Any]]] | None = None) -> Scenario:
    """The scenario of a file, its ``extends`` resolved."""
    return _read_resolved(path, data_dir, (), {} if cache is None else cache)[0]


def list_scenarios(data_dir: str | os.PathLike | None = None) -> dict[str, Scenario]:
    """All available scenarios by name (user files override shipped ones of the same name)."""
    out: dict[str, Scenario] = {}
    cache: dict[Path, tuple[Scenario, Mapping[str, Any]]] = {}
    for folder in reversed(scenario_dirs(data_dir)):
        if folder.is_dir():
            for path in sorted(folder.glob("*.yaml")):
                sc = _read(path, data_dir, cache=cache)
                out[sc.name] = sc
    return out


def load_scenario(spec: "str | os.PathLike | Scenario | Mapping[str, Any]",
                  data_dir: str | os.PathLike | None = None) -> Scenario:
    """A scenario by name, file path, mapping or :class:`Scenario` (returned as is).

    A file or mapping with ``extends`` is resolved: its parent (by name through :func:`scenario_dirs`, or a
    path, relative to the file's folder or, for a mapping, to the working directory) with its keys merged in.

    Raises
    ------
    ConfigError
        Unknown name (the message lists the available ones), an invalid file, an unknown parent or a cycle.
    """
    if isinstance(spec, Scenario):
        return spec
    if isinstance(spec, Mapping):
        return _resolve(spec, "scenario", Path.cwd(), data_dir, (), {})[0]
    s = str(spec)
    if _is_path(s):
        p = Path(s)
        if not p.exists():
            raise ConfigError(f"scenario file {p} does not exist")
        return _read(p, data_dir)
    path = _file_of_name(s, data_dir)
    if path is not None:
        return _check_file_name(_read(path, data_dir), path, s)
    raise ConfigError(f"unknown scenario {s!r}; allowed values: {_available_names(data_dir)} (or a path to a .yaml file)")


def dump_scenario(scenario: Scenario, path: str | os.PathLike) -> Path:
    """Write a scenario as YAML, atomically: resolved, every key its modes use written out and no ``extends``,
    so that the file is the same scenario wherever it is read and no longer follows its parent."""
    return atomic_write_text(path, scenario.to_yaml())
