"""A strategic plan's evaluation criteria: :func:`load_plan` validates a plan file against the
register, the indicator catalogue and the data, and :class:`Plan` checks the criteria.

Plan file keys (YAML; a workbook has the same keys, see :mod:`.files`)::

    name_lt: Eglyno strateginis plėtros planas 2021–2030   # plan name (name_en optional)
    territory: Eglyno sav.                                  # any name or code the register resolves
    period: 2021-2030                                       # or [2021, 2030]
    source_lt: Planas, patvirtintas 2020 m.   # where the plan comes from, in each report language
    source_en: Plan approved in 2020           # (optional; or one `source` for both)
    base_value_tolerance: 2        # percent: a stated base value further from the data is a warning
    scenarios: [baseline, zero-migration, attraction]       # projection scenarios (optional)
    inflow_profile: young_families                          # profile of the inflow needed (optional)
    criteria:
      - id: E1
        name_lt: Gyventojų skaičius
        name_en: Residents
        indicator: population       # catalogue id (cityindicators indicators --list), pub_<id>, or own
        unit: persons               # must agree with the catalogue's unit
        base_year: 2020
        base_value: 26500           # optional: read from the data when omitted
        target_year: 2030
        target_value: 27000
        direction: at_least         # at_least | at_most | reach
        tolerance: 0                # optional (reach: default 1 % of the target)
        source: "Plan, p. 12"
        values: {2019: 5.1, 2020: 4.8}   # only for an own indicator that is not in the data

Every error names the file, the line (or cell) and the key; all errors of a file are reported
together, one a line.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..exceptions import CityIndicatorsError, DatasetNotFoundError, UnknownTerritoryError
from ..geography import Territory, get_register
from .files import PlanError, RawPlan, read_plan_file
from .status import DIRECTIONS, criterion_status, elapsed_share, planned_path, progress_share
from .texts import text as plan_text

if TYPE_CHECKING:  # pragma: no cover - types only
    from ..config import KeptData

__all__ = ["Criterion", "Plan", "load_plan", "plan_file_problems", "PLAN_KEYS", "CRITERION_KEYS", "DEFAULT_SCENARIOS",
           "DEFAULT_BASE_TOLERANCE", "normalise_unit"]

log = logging.getLogger(__name__)

PLAN_KEYS = ("name_lt", "name_en", "territory", "period", "source", "source_lt", "source_en", "base_value_tolerance",
             "scenarios",
             "inflow_profile", "trend_years")
CRITERION_KEYS = ("id", "name_lt", "name_en", "indicator", "unit", "base_year", "base_value", "target_year",
                  "target_value", "direction", "tolerance", "source", "values", "base_value_tolerance")
_REQUIRED = ("id", "name_lt", "indicator", "base_year", "target_year", "target_value", "direction")
#: Scenarios a plan is projected under when it names none.
DEFAULT_SCENARIOS = ("baseline", "zero-migration", "attraction")
#: Percent by which a stated base value may differ from the data before a warning.
DEFAULT_BASE_TOLERANCE = 2.0
_CHECK_COLUMNS = ("criterion", "indicator", "unit", "direction", "year", "actual", "planned", "gap", "progress",
                  "elapsed", "status")

_DIRECTION_ALIASES = {
    "at_least": ("at_least", "at least", ">=", "≥", "ne mažiau", "ne mažiau kaip", "min", "minimum"),
    "at_most": ("at_most", "at most", "<=", "≤", "ne daugiau", "ne daugiau kaip", "max", "maximum"),
    "reach": ("reach", "=", "equal", "pasiekti"),
}


def normalise_unit(unit: str) -> str:
    """The catalogue spelling of a unit (``asm.`` -> ``persons``, ``proc.`` -> ``%``): the rule
    :func:`cityindicators.indicators.catalogue.normalise_unit` applies to published tables too."""
    from ..indicators.catalogue import normalise_unit as catalogue_spelling

    return catalogue_spelling(unit)


def _direction(value: Any) -> str | None:
    v = re.sub(r"[\s_-]+", " ", str(value).strip().lower())
    for canon, aliases in _DIRECTION_ALIASES.items():
        if v in {re.sub(r"[\s_-]+", " ", a) for a in aliases}:
            return canon
    return None


@dataclass(frozen=True)
class Criterion:
    """One evaluation criterion of a plan (values in the criterion's unit)."""

    id: str
    name_lt: str
    name_en: str
    indicator: str
    unit: str
    base_year: int
    base_value: float
    target_year: int
    target_value: float
    direction: str
    source: str = ""
    tolerance: float | None = None
    base_from_data: bool = False
    values: Mapping[int, float] | None = None  # own indicator: values typed in the plan

    def name(self, lang: str = "lt") -> str:
        return self.name_en if lang == "en" else self.name_lt


@dataclass
class Plan:
    """A validated plan: its territory, period and criteria, and the observed indicator values.

    Attributes
    ----------
    actuals
        ``criterion, year, value``: the observed value of each criterion's indicator for the
        plan's territory (from the data, or typed in the plan for an own indicator).
    warnings
        Messages about the file that do not stop the check (a base value that disagrees with
        the data), each naming the file, line and key.
    """

    path: Path
    name_lt: str
    name_en: str
    territory: Territory
    period: tuple[int, int]
    criteria: list[Criterion]
    actuals: pd.DataFrame
    data_dir: Path | KeptData | None = None
    source: str = ""
    source_lt: str = ""
    source_en: str = ""
    scenarios: tuple[str, ...] = DEFAULT_SCENARIOS
    inflow_profile: str = "young_families"
    trend_years: int = 10
    warnings: list[str] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def name(self, lang: str = "lt") -> str:
        return self.name_en if lang == "en" else self.name_lt

    def source_in(self, lang: str = "lt") -> str:
        """Where the plan comes from, in ``lang`` (``source_lt``/``source_en``; ``source`` when the
        file gives the note in one form only)."""
        return (self.source_en if lang == "en" else self.source_lt) or self.source

    @property
    def last_data_year(self) -> int | None:
        """The latest year with an observed value of any criterion."""
        a = self.actuals.dropna(subset=["value"])
        return int(a["year"].max()) if len(a) else None

    def criterion(self, cid: str) -> Criterion:
        for c in self.criteria:
            if c.id == cid:
                return c
        raise PlanError(f"{self.path}: no criterion {cid!r}; criteria: {', '.join(c.id for c in self.criteria)}")

    def series(self, cid: str) -> pd.Series:
        """``year -> observed value`` of criterion ``cid``."""
        if "series" not in self.cache:  # split the actuals once: the check and the charts read them often
            self.cache["series"] = {k: g.set_index("year")["value"].sort_index()
                                    for k, g in self.actuals.groupby("criterion", sort=False)}
        s = self.cache["series"].get(cid)
        return s.copy() if s is not None else pd.Series(dtype=float, index=pd.Index([], dtype="int64", name="year"),
                                                        name="value")

    def check(self) -> pd.DataFrame:
        """Every criterion in every year from its base year to the later of its target year and the
        last year of the data: the actual value, the planned path, the gap and the status.

        Returns
        -------
        pandas.DataFrame
            ``criterion, indicator, unit, direction, year, actual, planned, gap, progress,
            elapsed, status`` (see :mod:`cityindicators.plans.status` for the definitions and the
            rule); ``progress`` and ``elapsed`` are shares (0-1).
        """
        if "check" in self.cache:
            return self.cache["check"].copy()
        last = self.last_data_year or 0
        parts: dict[str, list] = {k: [] for k in _CHECK_COLUMNS}
        for c in self.criteria:  # numpy per criterion, one frame at the end (30 criteria in milliseconds)
            years = np.arange(c.base_year, max(c.target_year, last) + 1)
            s = self.series(c.id)
            actual = np.full(len(years), np.nan)
            inside = s[(s.index >= years[0]) & (s.index <= years[-1])]
            actual[inside.index.to_numpy() - years[0]] = inside.to_numpy(dtype=float)
            planned = planned_path(years, c.base_year, c.base_value, c.target_year, c.target_value)
            n = len(years)
            for key, value in (("criterion", c.id), ("indicator", c.indicator), ("unit", c.unit),
                               ("direction", c.direction)):
                parts[key].append(np.full(n, value, dtype=object))
            parts["year"].append(years.astype("int64"))
            parts["actual"].append(actual)
            parts["planned"].append(planned)
            parts["gap"].append(actual - planned)
            parts["progress"].append(progress_share(actual, c.base_value, c.target_value))
            parts["elapsed"].append(elapsed_share(years, c.base_year, c.target_year))
            parts["status"].append(criterion_status(actual, years, c.base_year, c.base_value, c.target_year,
                                                    c.target_value, c.direction, c.tolerance))
        if not self.criteria:
            return pd.DataFrame(columns=list(_CHECK_COLUMNS))
        frame = pd.DataFrame({k: np.concatenate(v) for k, v in parts.items()})
        self.cache["check"] = frame
        return frame.copy()

    def latest(self) -> pd.DataFrame:
        """One row per criterion: the row of :meth:`check` of the latest year with an actual value
        (the base year's row, status ``no_data``, when there is none)."""
        chk = self.check()
        seen = chk[chk["actual"].notna()].groupby("criterion", sort=False).tail(1)
        first = chk.groupby("criterion", sort=False).head(1)
        rows = pd.concat([seen, first[~first["criterion"].isin(seen["criterion"])]])
        order = {c.id: i for i, c in enumerate(self.criteria)}
        return rows.sort_values("criterion", key=lambda s: s.map(order), kind="stable", ignore_index=True)

    def outlook(self, scenarios: Sequence[str] | None = None, trajectories: int = 500, seed: int = 2026):
        """The projection or trend outlook of every criterion (see :func:`.outlook.plan_outlook`)."""
        from .outlook import plan_outlook

        return plan_outlook(self, scenarios=scenarios, trajectories=trajectories, seed=seed)

    def summary(self, lang: str = "en", scenarios: Sequence[str] | None = None, trajectories: int = 500,
                seed: int = 2026) -> pd.DataFrame:
        """The monitoring table: one row per criterion (see :func:`.outlook.plan_summary`)."""
        from .outlook import plan_summary

        return plan_summary(self, lang=lang, scenarios=scenarios, trajectories=trajectories, seed=seed)


# -- loading and validation --------------------------------------------------------------------


class _Errors:
    """Collects the errors of one file so that all are reported at once."""

    def __init__(self, raw: RawPlan):
        self.raw = raw
        self.items: list[str] = []

    def add(self, message: str, key: str, index: int | None = None) -> None:
        label = key if index is None else f"criteria[{index + 1}].{key}"
        self.items.append(f"{self.raw.place(key, index)}, key {label!r}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise PlanError("\n".join(self.items) if len(self.items) > 1 else self.items[0])


def _year(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)) and 1900 <= int(value) <= 2100:
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return _year(int(value))
    if isinstance(value, str) and value.strip().isdigit():
        return _year(int(value.strip()))
    return None


#: A number of one to three digits (not 0), a comma or a point, and three digits ("20,000", "20.000"):
#: a thousands separator in one convention, a decimal mark in the other ("0,500" is a decimal only).
_GROUPED = re.compile(r"[-+]?[1-9]\d{0,2}[,.]\d{3}")


def _ambiguous_number(value: Any) -> bool:
    """Whether ``value`` is text such as ``"20,000"`` or ``"20.000"``, which reads as twenty in
    Lithuanian (decimal comma) and as twenty thousand in English: a plan's target of 20 residents
    where 20,000 were meant is refused rather than guessed."""
    return isinstance(value, str) and _GROUPED.fullmatch(value.strip()) is not None


def _number(value: Any) -> float | None:
    """A finite number from a plan's cell: a number, or text with a decimal comma or point and
    spaces grouping thousands ("20 249", "25,5"); ``None`` for anything else, infinity and text
    such as "20,000" whose mark could group thousands (:func:`_ambiguous_number`)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, str):
        if _ambiguous_number(value):
            return None
        text = value.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # Lithuanian decimal comma
        try:
            number = float(text)
        except ValueError:
            return None
        return number if np.isfinite(number) else None  # "1e400" is text to YAML and infinite to float()
    return None


def _as_written(value: Any) -> str:
    """A plan's value as an error quotes it: as written (``repr``), a spreadsheet's date cell as the
    date it shows ("the date 2020-01-01", not ``datetime.datetime(2020, 1, 1, 0, 0)``)."""
    import datetime as dt

    if isinstance(value, dt.datetime) and value.time() != dt.time():
        return f"the date and time {value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):  # a datetime too
        return f"the date {value:%Y-%m-%d}"
    return repr(value)


def _not_a_number(value: Any) -> str:
    """The error for a cell that :func:`_number` refused."""
    if _ambiguous_number(value):
        text = value.strip()
        return (f"{value!r} is ambiguous (a thousands separator or a decimal mark?): write "
                f"{re.sub(r'[,.]', '', text)} or {float(text.replace(',', '.')):g}")
    return f"expected a finite number, got {_as_written(value)}"


def _period(value: Any) -> tuple[int, int] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        a, b = _year(value[0]), _year(value[1])
    elif isinstance(value, str) and re.fullmatch(r"\s*\d{4}\s*[-–—]\s*\d{4}\s*", value):
        a, b = (_year(x) for x in re.split(r"[-–—]", value))
    else:
        return None
    return (a, b) if a and b and a < b else None


def _unknown_keys(given: Sequence[str], allowed: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for k in given:
        if k not in allowed:
            close = difflib.get_close_matches(k, list(allowed), n=1, cutoff=0.6)
            out.append((k, f"unknown key{f' (did you mean {close[0]!r}?)' if close else ''}; allowed: "
                           f"{', '.join(allowed)}"))
    return out


def _plan_values(raw: RawPlan, errors: _Errors, data_dir) -> dict[str, Any]:
    for key, msg in _unknown_keys(list(raw.values), PLAN_KEYS):
        errors.add(msg, key)
    v = {k: x for k, x in raw.values.items() if x not in (None, "")}  # an empty cell is an absent key
    out: dict[str, Any] = {}
    name = v.get("name_lt") or v.get("name_en")
    if not name:
        errors.add("the plan needs a name (name_lt, and name_en for English reports)", "name_lt")
    out["name_lt"] = str(v.get("name_lt") or name or "")
    out["name_en"] = str(v.get("name_en") or out["name_lt"])
    terr = v.get("territory")
    out["territory"] = None
    if terr in (None, ""):
        errors.add("the plan needs a territory (a municipality name or code)", "territory")
    else:
        try:
            out["territory"] = get_register(data_dir).resolve(terr)
        except UnknownTerritoryError as exc:
            errors.add(f"the register does not know this territory: {exc}", "territory")
    period = _period(v.get("period"))
    if period is None:
        errors.add(f"expected 'YYYY-YYYY' or [first, last] with first < last, got {_as_written(v.get('period'))}", "period")
    out["period"] = period
    tol = _number(v.get("base_value_tolerance", DEFAULT_BASE_TOLERANCE))
    if tol is None or tol < 0:
        errors.add(f"expected a percentage of zero or more, got {_as_written(v.get('base_value_tolerance'))}",
                   "base_value_tolerance")
    out["base_value_tolerance"] = tol if tol is not None else DEFAULT_BASE_TOLERANCE
    scen = v.get("scenarios") or list(DEFAULT_SCENARIOS)
    if isinstance(scen, str):
        scen = [s.strip() for s in scen.split(",") if s.strip()]
        if not scen:  # a cell of commas and spaces: no scenario to project, an internal error further on
            errors.add(f"expected scenario names separated by commas, got {_as_written(v.get('scenarios'))}", "scenarios")
    out["scenarios"] = tuple(str(s) for s in scen)
    if v.get("scenarios") and out["scenarios"]:
        from ..projection import list_scenarios

        try:
            known = set(list_scenarios(data_dir=data_dir))
        except TypeError:
            known = set(list_scenarios())
        unknown = [s for s in out["scenarios"] if s not in known]
        if unknown:
            errors.add(f"unknown scenario(s) {unknown}; available: {', '.join(sorted(known))}", "scenarios")
    out["inflow_profile"] = str(v.get("inflow_profile") or "young_families")
    from ..projection import PROFILES

    if out["inflow_profile"] not in PROFILES and out["inflow_profile"] != "own":
        errors.add(f"unknown inflow profile {out['inflow_profile']!r}; available: {', '.join(PROFILES)}, own",
                   "inflow_profile")
    ty = v.get("trend_years", 10)
    out["trend_years"] = int(ty) if isinstance(ty, int) and not isinstance(ty, bool) and ty >= 3 else 10
    if out["trend_years"] != ty:
        errors.add(f"expected a whole number of years of at least 3, got {_as_written(ty)}", "trend_years")
    for key in ("source", "source_lt", "source_en"):
        out[key] = str(v.get(key) or "")
    return out


def _own_values(value: Any, errors: _Errors, i: int) -> dict[int, float] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        errors.add(f"expected a mapping of year: value, got {_as_written(value)}", "values", i)
        return None
    out = {}
    for k, x in value.items():
        y, n = _year(k), _number(x)
        if y is None or n is None:
            errors.add(f"expected year: number pairs, got {k!r}: {x!r}", "values", i)
            return None
        out[y] = n
    return out


def _criterion_fields(raw: RawPlan, i: int, errors: _Errors, seen: set[str]) -> dict[str, Any] | None:
    """The typed fields of criterion ``i`` (None when a required one is unusable)."""
    c = raw.criteria[i]
    n0 = len(errors.items)
    for key, msg in _unknown_keys(list(c), CRITERION_KEYS):
        errors.add(msg, key, i)
    for key in _REQUIRED:
        if c.get(key) in (None, ""):
            errors.add("required key is missing", key, i)
    out: dict[str, Any] = {"id": str(c.get("id", "")).strip(), "name_lt": str(c.get("name_lt") or ""),
                           "source": str(c.get("source") or "")}
    out["name_en"] = str(c.get("name_en") or out["name_lt"])
    if out["id"] and out["id"] in seen:
        errors.add(f"duplicate criterion id {out['id']!r}", "id", i)
    seen.add(out["id"])
    for key in ("base_year", "target_year"):
        if c.get(key) not in (None, ""):
            out[key] = _year(c[key])
            if out[key] is None:
                errors.add(f"expected a year (1900-2100), got {_as_written(c[key])}", key, i)
    for key in ("target_value", "base_value", "tolerance", "base_value_tolerance"):
        out[key] = None
        if c.get(key) not in (None, ""):
            out[key] = _number(c[key])
            if out[key] is None:
                errors.add(_not_a_number(c[key]), key, i)
            elif key in ("tolerance", "base_value_tolerance") and out[key] < 0:
                # a negative tolerance made a 'reach' target unreachable and a base value always a warning
                errors.add(f"expected a tolerance of zero or more, got {_as_written(c[key])}", key, i)
    if out.get("base_year") and out.get("target_year") and out["target_year"] <= out["base_year"]:
        errors.add(f"target year {out['target_year']} is not after the base year {out['base_year']}",
                   "target_year", i)
    if c.get("direction") not in (None, ""):
        out["direction"] = _direction(c["direction"])
        if out["direction"] is None:
            errors.add(f"expected one of {', '.join(DIRECTIONS)}, got {_as_written(c['direction'])}", "direction", i)
    out["values"] = _own_values(c.get("values"), errors, i)
    out["indicator"] = str(c.get("indicator") or "").strip()
    out["unit"] = c.get("unit")
    return out if len(errors.items) == n0 else None


def _indicator_entry(cid: str, fields: dict[str, Any], published: Sequence[str], errors: _Errors, i: int):
    """The catalogue entry of a criterion's indicator (None for an own indicator or an error)."""
    from ..indicators import CATALOGUE, get_indicator
    from ..indicators.catalogue import close_indicator_ids

    ind = fields["indicator"]
    if ind in CATALOGUE or ind in published:
        return get_indicator(ind)
    if fields["values"] is not None:
        return None  # own indicator, values typed in the plan
    close = close_indicator_ids(ind, published)
    hint = f"; closest ids: {', '.join(close)}" if close else ""
    errors.add(f"unknown indicator {ind!r}{hint} (see 'cityindicators indicators --list'; an own indicator needs "
               f"its 'values' in the plan)", "indicator", i)
    return None


def _published_ids(data_dir) -> list[str]:
    from .. import store
    from ..indicators.catalogue import PUBLISHED_PREFIX

    try:
        pub = store.load("published_indicators", data_dir=data_dir)
    except CityIndicatorsError:
        return []
    return sorted({PUBLISHED_PREFIX + str(x) for x in pub["indicator"].unique()})


def _observed(ids: Sequence[str], code: str, data_dir) -> pd.DataFrame:
    """``indicator, year, value`` of catalogue indicators for one territory (empty without data)."""
    from ..indicators import compute_indicators

    if not ids:
        return pd.DataFrame(columns=["indicator", "year", "value"])
    try:
        f = compute_indicators(list(ids), territories=code, data_dir=data_dir, dropna=True)
    except DatasetNotFoundError:
        raise  # nothing is built: one message says so, rather than one per criterion
    except CityIndicatorsError as exc:
        log.warning("indicators of %s could not be computed: %s", code, exc)
        return pd.DataFrame(columns=["indicator", "year", "value"])
    return f[["indicator", "year", "value"]]


def _base_value_warning(place: str, i: int, f: Mapping[str, Any], data_base: float, tol: float, lang: str) -> str:
    """The warning that criterion ``i``'s base value (fields ``f``) is more than ``tol`` per cent from the
    data's ``data_base``, in ``lang``; the numbers as the file has them (no thousands separator)."""

    def num(v: float) -> str:
        return f"{v:g}".replace(".", ",") if lang == "lt" else f"{v:g}"

    return plan_text("w_base_value", lang, place=place, n=i + 1, given=num(f["base_value"]), data=num(data_base),
                     indicator=f["indicator"], year=f["base_year"], tol=num(tol))


def _check_target_year(f: Mapping[str, Any], period: tuple[int, int] | None, errors: _Errors, i: int) -> None:
    """Refuse a target year after the last year of the plan's period: the plan does not monitor it
    (and a typo such as 2040 for 2030 is caught here rather than projected)."""
    if period is not None and f.get("target_year") and f["target_year"] > period[1]:
        errors.add(f"target year {f['target_year']} is after the plan's period {period[0]}-{period[1]}",
                   "target_year", i)


def _check_bounds(f: Mapping[str, Any], entry, errors: _Errors, i: int) -> None:
    """Refuse a base or target value the indicator cannot take (:attr:`Indicator.bounds`: a negative
    population, a share above 100 %); a balance such as net migration may be negative."""
    low, high = entry.bounds
    for key in ("base_value", "target_value"):
        value = f.get(key)
        if value is None:
            continue
        if low is not None and value < low:
            limit = "cannot be negative" if low == 0 else f"cannot be below {low:g}"
            errors.add(f"indicator {entry.id!r} ({entry.unit}) {limit}, got {value:g}", key, i)
        elif high is not None and value > high:
            what = "a share in percent" if entry.unit == "%" else entry.unit
            errors.add(f"indicator {entry.id!r} is {what} and cannot be above {high:g}, got {value:g}", key, i)


def _file_fields(raw: RawPlan, errors: _Errors, data_dir) -> tuple[dict[str, Any], list[tuple[int, dict[str, Any], Any]]]:
    """The plan's values and ``(index, fields, catalogue entry)`` of each usable criterion, checked
    as far as the file and the register, the catalogue and the published indicators of ``data_dir``
    allow (not against the data's values); each problem added to ``errors``."""
    top = _plan_values(raw, errors, data_dir)
    if not raw.criteria:
        errors.add("the plan needs at least one criterion", "criteria")
    published = _published_ids(data_dir)
    seen: set[str] = set()
    fields_list: list[tuple[int, dict[str, Any], Any]] = []
    for i in range(len(raw.criteria)):
        f = _criterion_fields(raw, i, errors, seen)
        if f is None:
            continue
        entry = _indicator_entry(f["id"], f, published, errors, i)
        if entry is not None:
            if f["unit"] in (None, ""):
                f["unit"] = entry.unit
            elif not entry.unit_matches(str(f["unit"])):
                errors.add(f"unit {f['unit']!r} is not the unit of indicator {entry.id!r} ({entry.unit!r})", "unit", i)
                continue
            else:
                f["unit"] = entry.unit
        elif f["unit"] in (None, "") and f["values"] is not None:
            errors.add("an own indicator needs its unit", "unit", i)
            continue
        n0 = len(errors.items)
        _check_target_year(f, top["period"], errors, i)
        if entry is not None:
            _check_bounds(f, entry, errors, i)
        if len(errors.items) == n0:
            fields_list.append((i, f, entry))
    return top, fields_list


def plan_file_problems(raw: RawPlan, data_dir: str | os.PathLike | None = None) -> list[str]:
    """What :func:`load_plan` would refuse in the plan file ``raw`` before reading the data's values
    (keys, values, the territory, the indicators and units, the scenarios), one message each, naming
    the file, the line or cell and the key; empty for a file that passes. ``plan workbook --from``
    says them, as a plan being drafted may still be converted."""
    from ..config import kept_data, resolve_data_dir

    errors = _Errors(raw)
    _file_fields(raw, errors, data_dir if kept_data(data_dir) is not None else resolve_data_dir(data_dir))
    return list(errors.items)


def load_plan(path: str | os.PathLike, data_dir: str | os.PathLike | None = None, lang: str = "en") -> Plan:
    """Read and validate a plan file (YAML or XLSX) and read its indicators from the data.

    Parameters
    ----------
    path
        The plan file.
    data_dir
        Data directory (default ``$CITYINDICATORS_DATA_DIR`` or ``./data``), or a
        :class:`~cityindicators.workspace.Workspace`: kept as the plan's ``data_dir``, so that
        the indicators here and the projections of :meth:`Plan.outlook` and
        :meth:`Plan.summary` use the tables and projection inputs it has read.
    lang
        Language of :attr:`Plan.warnings` (``"en"`` or ``"lt"``); errors are in English.

    Returns
    -------
    Plan
        With :attr:`Plan.warnings` for base values that disagree with the data by more than
        the stated tolerance (each quoting both values).

    Raises
    ------
    PlanError
        Every problem of the file, one a line, each naming the file, the line or cell and the
        key: a missing or unknown key, an unknown indicator (with the closest ids), a target
        year not after the base year or after the plan's period, a unit that is not the
        indicator's, a base or target value the indicator cannot take
        (:attr:`~cityindicators.indicators.catalogue.Indicator.bounds`: a negative population, a
        share above 100 %), a territory the register does not know, a base value that is omitted
        while the data have none.
    """
    from ..config import kept_data, resolve_data_dir

    # a workspace is kept as it is: the plan's indicators and its outlook's projections are
    # then computed on what it has read (a path is read afresh at each call)
    ddir = data_dir if kept_data(data_dir) is not None else resolve_data_dir(data_dir)
    raw = read_plan_file(path)
    errors = _Errors(raw)
    top, fields_list = _file_fields(raw, errors, ddir)
    errors.raise_if_any()
    terr: Territory = top["territory"]
    catalogue_ids = sorted({f["indicator"] for _, f, e in fields_list if e is not None})
    try:
        obs = _observed(catalogue_ids, terr.code, ddir)
    except DatasetNotFoundError as exc:
        raise PlanError(f"{raw.path}: cannot check the plan against the data: {exc}") from None
    criteria, actual_parts, warnings = [], [], []
    for i, f, entry in fields_list:
        if entry is not None:
            series = obs[obs["indicator"] == f["indicator"]].set_index("year")["value"].dropna()
        else:
            series = pd.Series(f["values"], dtype=float).sort_index()
        data_base = float(series.get(f["base_year"], np.nan))
        base_from_data = f["base_value"] is None
        if base_from_data:
            if np.isnan(data_base):
                errors.add(f"no base value given and the data have no value of {f['indicator']!r} for "
                           f"{terr.name_lt} in {f['base_year']}", "base_value", i)
                continue
            f["base_value"] = data_base
        elif not np.isnan(data_base):
            tol = f["base_value_tolerance"] if f["base_value_tolerance"] is not None else top["base_value_tolerance"]
            diff = abs(f["base_value"] - data_base)
            if diff > tol / 100.0 * max(abs(data_base), 1e-12):
                warnings.append(_base_value_warning(raw.place("base_value", i, lang), i, f, data_base, tol, lang))
        criteria.append(Criterion(
            id=f["id"], name_lt=f["name_lt"], name_en=f["name_en"], indicator=f["indicator"], unit=str(f["unit"]),
            base_year=f["base_year"], base_value=float(f["base_value"]), target_year=f["target_year"],
            target_value=float(f["target_value"]), direction=f["direction"], source=f["source"],
            tolerance=f["tolerance"], base_from_data=base_from_data, values=f["values"]))
        actual_parts.append(pd.DataFrame({"criterion": f["id"], "year": series.index.astype("int64"),
                                          "value": series.to_numpy(dtype=float)}))
    errors.raise_if_any()
    for w in warnings:
        log.warning(w)
    actuals = (pd.concat(actual_parts, ignore_index=True) if actual_parts
               else pd.DataFrame(columns=["criterion", "year", "value"]))
    return Plan(
        path=Path(path), name_lt=top["name_lt"], name_en=top["name_en"], territory=terr, period=top["period"],
        criteria=criteria, actuals=actuals, data_dir=ddir, source=top["source"], source_lt=top["source_lt"],
        source_en=top["source_en"], scenarios=top["scenarios"],
        inflow_profile=top["inflow_profile"], trend_years=top["trend_years"], warnings=warnings,
    )
