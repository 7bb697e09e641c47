"""Dense count arrays built once from the canonical frames, and their aggregation.

Every indicator is computed from these arrays, vectorised over territories, years, sexes and
ages. Aggregates (country, counties, user groups) are made here by adding *counts* of their
members; rates are then computed from the added counts, never by averaging members' rates.

Axes: ``[territory, year, sex(, age)]``; sex index 0 = male, 1 = female, 2 = total; years are
the contiguous range from the first to the last year in any input, so ``t + 1`` is the next
index; ages run 0..``open_age``, the last an open group. Missing cells are NaN.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..cube import DIMS, SEXES_AND_TOTAL, Cube
from ..exceptions import DataValidationError
from ..schema import age_resolved_pairs, both_sexes, both_sexes_key, require_single_ages, split_sexes
from .catalogue import PUBLISHED_PREFIX, Indicator, published_indicator

__all__ = ["Counts", "build_counts", "SEX_INDEX", "ratio", "next_year", "average_population"]

log = logging.getLogger(__name__)

SEX_INDEX = {sex: i for i, sex in enumerate(SEXES_AND_TOTAL)}  # male 0, female 1, total 2
MALE, FEMALE, TOTAL = 0, 1, 2

#: Labour indicators that are counts (added over territories); the rest are published rates/levels.
LABOUR_COUNTS = ("registered_unemployed", "employed", "employed_industry")


def ratio(num: np.ndarray, den: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """``num / den * scale`` with NaN (never infinity) where ``den`` is zero or missing."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / np.where(den == 0, np.nan, den) * scale
    return out


def next_year(arr: np.ndarray) -> np.ndarray:
    """Values of the next year (axis 1): ``out[:, t] = arr[:, t + 1]``; NaN for the last year."""
    out = np.full_like(arr, np.nan, dtype=float)
    out[:, :-1] = arr[:, 1:]
    return out


def average_population(p_jan1: np.ndarray) -> np.ndarray:
    """Average population of year t: mean of 1 January t and 1 January t+1 (axis 1 = year)."""
    return (p_jan1 + next_year(p_jan1)) / 2.0


#: Copies with aggregates (:meth:`Counts.with_aggregates`) kept per count arrays, the latest.
AGGREGATES_KEPT = 4


@dataclass
class Counts:
    """Count arrays of many territories and years (see the module docstring for the axes)."""

    codes: tuple[str, ...]
    years: np.ndarray
    open_age: int | None
    pop: np.ndarray  # [T, Y, 3, A] single-year ages; A = 0 when no age detail
    pop_all: np.ndarray  # [T, Y, 3] all-ages residents (published totals, else the sum of ages)
    births: np.ndarray  # [T, Y, 3]
    deaths: np.ndarray  # [T, Y, 3]
    infant_deaths: np.ndarray  # [T, Y, 3]
    flows: dict[str, np.ndarray] = field(default_factory=dict)  # flow -> [T, Y, 3]
    labour: dict[str, np.ndarray] = field(default_factory=dict)  # labour indicator -> [T, Y] (sex total)
    labour_units: dict[str, str] = field(default_factory=dict)
    passthrough: dict[str, np.ndarray] = field(default_factory=dict)  # indicator id -> [T, Y], not additive
    urban: np.ndarray | None = None  # [T, Y, 2] urban, total residents (urban_rural dataset)
    deaths_age: np.ndarray | None = None  # [T, Y, 3, A] deaths by single age (age at death), if given
    extra_catalogue: dict[str, Indicator] = field(default_factory=dict)
    #: results shared between indicators (e.g. the cohort residuals); not copied by ``replace``
    cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- shape helpers -----------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.codes), len(self.years))

    def empty(self) -> np.ndarray:
        return np.full(self.shape, np.nan)

    @property
    def has_ages(self) -> bool:
        return self.pop.shape[-1] > 0

    @cached_property
    def ages(self) -> np.ndarray:
        return np.arange(self.pop.shape[-1])

    def cube(self, name: str = "pop") -> Cube:
        """The count array ``name`` (``pop``, ``pop_all``, ``births``, ``deaths``, ``infant_deaths``,
        ``deaths_age``) as a :class:`~cityindicators.cube.Cube` (a view: nothing copied)."""
        values = getattr(self, name)
        dims = ("territory", "year", "sex", "age")[: values.ndim]
        coords = {"territory": self.codes, "year": self.years, "sex": SEXES_AND_TOTAL, "age": self.ages}
        return Cube(values, dims, {d: coords[d] for d in dims})

    def age_sum(self, lo: int, hi: int | None = None, sex: int = TOTAL) -> np.ndarray:
        """Residents aged ``lo``..``hi`` inclusive (``hi=None``: ``lo`` and over) ``[T, Y]``.

        NaN when any needed single age is missing or the band cuts through the open group.
        """
        if not self.has_ages:
            return self.empty()
        top = self.open_age
        if hi is None:
            if lo > top:  # the band starts inside the open group
                return self.empty()
            return self.pop[:, :, sex, lo:].sum(axis=-1)
        if hi >= top:  # the band ends inside the open group
            return self.empty()
        return self.pop[:, :, sex, lo:hi + 1].sum(axis=-1)

    @cached_property
    def pop_sum(self) -> np.ndarray:
        """Sum over single ages ``[T, Y, 3]`` (NaN if any age is missing): denominators of shares."""
        if not self.has_ages:
            return np.full(self.shape + (3,), np.nan)
        return self.pop.sum(axis=-1)

    def present(self, dataset: str) -> np.ndarray:
        """``[T, Y]`` bool: whether ``dataset`` has data for the territory and year."""
        key = ("present", dataset)
        if key in self.cache:
            return self.cache[key]
        if dataset == "population":
            out = ~np.isnan(self.pop_all[:, :, TOTAL])
        elif dataset == "births":
            out = ~np.isnan(self.births[:, :, TOTAL])
        elif dataset == "deaths":
            out = ~np.isnan(self.deaths[:, :, TOTAL]) | ~np.isnan(self.infant_deaths[:, :, TOTAL])
        elif dataset == "migration":
            out = np.zeros(self.shape, dtype=bool)
            for arr in self.flows.values():
                out |= ~np.isnan(arr).all(axis=-1)
        elif dataset == "labour":
            out = np.zeros(self.shape, dtype=bool)
            for arr in self.labour.values():
                out |= ~np.isnan(arr)
        elif dataset == "urban_rural":
            out = np.zeros(self.shape, dtype=bool) if self.urban is None else ~np.isnan(self.urban[..., 1])
        else:  # published series: present where any of them has a value
            names = {"life_expectancy": ["life_expectancy"], "median_age": ["median_age_published"],
                     "density": ["population_density"]}.get(
                dataset, [k for k in self.passthrough if k.startswith(PUBLISHED_PREFIX)])
            out = np.zeros(self.shape, dtype=bool)
            for n in names:
                if n in self.passthrough:
                    out |= ~np.isnan(self.passthrough[n])
        self.cache[key] = out
        return out

    def index(self, codes: Sequence[str]) -> np.ndarray:
        """Row positions of ``codes`` (all must be present)."""
        if "_positions" not in self.cache:  # asked for often (a report: some 30 times)
            self.cache["_positions"] = {c: i for i, c in enumerate(self.codes)}
        pos = self.cache["_positions"]
        idx = np.array([pos.get(c, -1) for c in codes], dtype=np.intp)
        if (idx < 0).any():
            missing = [c for c, i in zip(codes, idx) if i < 0]
            raise DataValidationError(f"territory code(s) {missing} not in the data")
        return idx

    # -- aggregation -------------------------------------------------------------------------
    def with_aggregates(self, groups: Mapping[str, Sequence[str]]) -> "Counts":
        """A copy with one extra territory per entry of ``groups`` (code -> member codes).

        Counts are added over the members; an aggregate is missing (NaN) in a cell where any
        member is missing or a member is absent from the data. Published (non-additive) values
        are missing for new aggregates.
        """
        groups = {k: list(v) for k, v in groups.items() if k not in self.codes}
        if not groups:
            return self
        # kept: a report asks for the same aggregates (its county, its peers) several times, and
        # what the copy's own cache then holds (the cohort residuals) is computed once too
        key = tuple((k, tuple(v)) for k, v in groups.items())
        kept = self.cache.setdefault("_with_aggregates", {})
        if key not in kept:
            if len(kept) >= AGGREGATES_KEPT:  # a batch's reports each have their own peers
                kept.pop(next(iter(kept)))
            kept[key] = self._aggregated(groups)
        return kept[key]

    def _aggregated(self, groups: dict[str, list[str]]) -> "Counts":
        """:meth:`with_aggregates` computed."""
        pos = pd.Index(self.codes)
        G, T = len(groups), len(self.codes)
        member = np.zeros((G, T))
        incomplete = np.zeros(G, dtype=bool)
        for g, members in enumerate(groups.values()):
            idx = pos.get_indexer(members)
            if not len(members):  # a territory without data: all missing
                incomplete[g] = True
            elif (idx < 0).any():
                missing = [m for m, i in zip(members, idx) if i < 0]
                log.warning("aggregate %s: member(s) %s absent from the data; its counts are missing",
                            list(groups)[g], missing)
                incomplete[g] = True
            member[g, idx[idx >= 0]] = 1.0

        def agg(arr: np.ndarray | None, additive: bool = True) -> np.ndarray | None:
            if arr is None:
                return None
            flat = arr.reshape(T, -1)
            if additive:
                nan = np.isnan(flat)
                total = member @ np.where(nan, 0.0, flat)
                total[(member @ nan) > 0] = np.nan
                total[incomplete] = np.nan
            else:
                total = np.full((G, flat.shape[1]), np.nan)
            return np.concatenate([arr, total.reshape((G,) + arr.shape[1:])], axis=0)

        return replace(
            self,
            codes=self.codes + tuple(groups),
            pop=agg(self.pop),
            pop_all=agg(self.pop_all),
            births=agg(self.births),
            deaths=agg(self.deaths),
            infant_deaths=agg(self.infant_deaths),
            flows={k: agg(v) for k, v in self.flows.items()},
            labour={k: agg(v, k in LABOUR_COUNTS) for k, v in self.labour.items()},
            passthrough={k: agg(v, False) for k, v in self.passthrough.items()},
            urban=agg(self.urban),
            deaths_age=agg(self.deaths_age),
        )


# -- building ------------------------------------------------------------------------------
def _fill_total_sex(arr: np.ndarray) -> np.ndarray:
    """Where the total is missing but both sexes are given, total = male + female."""
    tot = arr[:, :, TOTAL]
    both = arr[:, :, MALE] + arr[:, :, FEMALE]
    arr[:, :, TOTAL] = np.where(np.isnan(tot), both, tot)
    return arr


class _Axes:
    """The territories and years of the count arrays being built."""

    def __init__(self, codes: Sequence[str], years: np.ndarray):
        self.codes = tuple(codes)
        self.years = years

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.codes), len(self.years))

    def array(self, frame: pd.DataFrame, dims: Sequence[str], top: int | None = None) -> np.ndarray:
        """The cells of ``frame`` on these axes (a subset of territory, year, sex, age; ages
        0..``top``), missing cells NaN: :meth:`Cube.from_tidy`, the one tidy-to-array conversion."""
        coords = {"territory": self.codes, "year": self.years, "sex": SEXES_AND_TOTAL,
                  "age": np.arange((top if top is not None else -1) + 1)}
        if frame["territory_code"].dtype.kind in "iuf":  # a caller's frame with numeric codes: the labels are text
            frame = frame.assign(territory_code=frame["territory_code"].astype(str))
        return Cube.from_tidy(frame, dims, {d: coords[d] for d in dims}).values


class _Levels:
    """A dataset's two sex levels: ``split`` (male, female) and ``both`` (the both-sexes figure),
    each a frame with one row per key (either may be empty)."""

    def __init__(self, split: pd.DataFrame, both: pd.DataFrame):
        self.split, self.both = split, both

    @classmethod
    def of(cls, frames: Mapping[str, pd.DataFrame], name: str) -> "_Levels | None":
        """The levels of ``frames[name]``: its both-sexes frame from ``frames`` (as
        :func:`~cityindicators.indicators.load_data` gives it), else derived from the frame
        (a caller's own frame may hold both levels, or the two sexes only)."""
        frame, both = frames.get(name), frames.get(both_sexes_key(name))
        if frame is None and both is None:
            return None
        if frame is None:  # given for both sexes only (the male/female frame is empty)
            return cls(both.iloc[:0], both)
        if "sex" not in frame:  # a table without a sex split: all of it is both sexes
            return cls(frame.iloc[:0].assign(sex=pd.Series(dtype=str)), frame.assign(sex="total"))
        return cls(split_sexes(frame), both if both is not None else both_sexes(frame, name))

    def where(self, mask) -> "_Levels":
        """Both levels filtered by ``mask(frame) -> bool Series``."""
        return _Levels(self.split[mask(self.split)], self.both[mask(self.both)])

    def frame(self) -> pd.DataFrame:
        return pd.concat([self.split, self.both], ignore_index=True)


def _by_sex(levels: _Levels | None, ax: _Axes) -> np.ndarray:
    """``[T, Y, 3]`` array of a dataset's levels (one row per territory, year, sex)."""
    if levels is None:
        return np.full(ax.shape + (3,), np.nan)
    return _fill_total_sex(ax.array(levels.frame(), ("territory", "year", "sex")))


def _plain(frame: pd.DataFrame | None, ax: _Axes) -> np.ndarray:
    if frame is None or frame.empty:
        return np.full(ax.shape, np.nan)
    return ax.array(frame, ("territory", "year"))


def _population(levels: _Levels | None, published: _Levels | None,
                ax: _Axes) -> tuple[np.ndarray, np.ndarray, int | None]:
    """Single ages ``[T, Y, 3, A]``, all-ages ``[T, Y, 3]`` (published totals, else the sum of the
    ages) and the open age, from the ``population`` and ``population_total`` tables."""
    totals = _by_sex(published, ax)
    singles = levels.frame() if levels is not None else None
    if singles is None or singles.empty:
        return np.full(ax.shape + (3, 0), np.nan), totals, None
    ages = singles["age"].to_numpy(dtype=int)
    if "open_age" in singles and singles["open_age"].any():
        top = int(singles.loc[singles["open_age"].to_numpy(dtype=bool), "age"].min())
    else:
        top = int(ages.max())
        log.debug("population: no open age group flagged; taking age %d as the open group", top)
    if (ages > top).any():
        # harmonise sources with different open groups: collapse everything above into `top`
        singles = singles.assign(age=np.minimum(ages, top))
        singles = singles.groupby(["territory_code", "year", "sex", "age"], as_index=False)["value"].sum(min_count=1)
        ages = singles["age"].to_numpy(dtype=int)
    cube = ax.array(singles, DIMS, top)
    tot = cube[:, :, TOTAL, :]
    cube[:, :, TOTAL, :] = np.where(np.isnan(tot), cube[:, :, MALE, :] + cube[:, :, FEMALE, :], tot)
    summed = cube.sum(axis=-1)
    totals = np.where(np.isnan(totals), summed, totals)
    return cube, totals, top


def _flows(by_age: _Levels | None, all_ages: _Levels | None, ax: _Axes) -> dict[str, np.ndarray]:
    """``{flow: [T, Y, 3]}`` all-ages flows from ``migration_total``, else the sum of ``migration``'s ages."""
    levels = [lv for lv in (all_ages, by_age) if lv is not None]
    frames = [f for lv in levels for f in (lv.split, lv.both) if not f.empty]
    if not frames:
        return {}
    out: dict[str, np.ndarray] = {}
    for flow in pd.unique(pd.concat([f["flow"] for f in frames])):
        def of_flow(f, flow=flow):
            return f["flow"] == flow
        rows = all_ages.where(of_flow) if all_ages is not None else None
        if rows is None or (rows.split.empty and rows.both.empty):  # only age detail: add it up
            ages = by_age.where(of_flow)  # (missing if any age is missing)
            rows = _Levels(*(f.groupby(["territory_code", "year", "sex"], as_index=False)["value"].sum(min_count=1)
                             for f in (ages.split, ages.both)))
        out[str(flow)] = _by_sex(rows, ax)
    for net, (inflow, outflow) in {"net_international": ("immigrants", "emigrants"),
                                   "net_internal": ("internal_arrivals", "internal_departures")}.items():
        if inflow in out and outflow in out:
            computed = out[inflow] - out[outflow]
            out[net] = computed if net not in out else np.where(np.isnan(out[net]), computed, out[net])
    return out


def build_counts(data: Mapping[str, pd.DataFrame | None]) -> Counts:
    """Dense count arrays from canonical frames ``{dataset: frame}`` (missing datasets allowed).

    Territories are the union of the codes in all frames, years the contiguous range of all
    years. Frames may carry extra columns (``status``, ``source``); only the canonical key and
    ``value`` columns are read. The all-ages figures come from ``population_total``,
    ``deaths_total`` and ``migration_total`` (else the sum of the single ages); an age-resolved
    frame with all-ages rows (a missing ``age``) is an error. The both-sexes figures come from
    the frames under :func:`~cityindicators.schema.both_sexes_key` (as ``load_data`` gives them),
    else from the dataset's own frame (published ``total`` rows, else male + female).
    """
    frames = {k: v for k, v in data.items() if v is not None and len(v)}
    for name in age_resolved_pairs():
        if name in frames:
            require_single_ages(frames[name], name, origin="build_counts")
    codes: list[str] = []
    years: list[int] = []
    for f in frames.values():
        codes.extend(pd.unique(f["territory_code"].astype(str)))
        years.extend(pd.unique(f["year"]).astype(int))
    codes = sorted(set(codes))
    yrs = np.arange(min(years), max(years) + 1) if years else np.arange(0)
    ax = _Axes(codes, yrs)

    def levels(name: str) -> _Levels | None:
        return _Levels.of(frames, name)

    pop, pop_all, top = _population(levels("population"), levels("population_total"), ax)
    births = _by_sex(levels("births"), ax)
    deaths_lv = levels("deaths")
    deaths = _by_sex(levels("deaths_total"), ax)
    deaths_age = None
    if deaths_lv is None:
        infant = _by_sex(None, ax)
    else:
        infant = _by_sex(deaths_lv.where(lambda f: f["age"] == 0), ax)
        by_age = deaths_lv.frame()
        if top is not None and len(by_age) and (by_age["age"] > 0).any():
            ages = np.minimum(by_age["age"].to_numpy(dtype=int), top)
            if len(np.unique(ages)) < by_age["age"].nunique():  # ages above the open group: add them up
                by_age = by_age.assign(age=ages).groupby(["territory_code", "year", "sex", "age"], as_index=False)[
                    "value"].sum(min_count=1)
                ages = by_age["age"].to_numpy(dtype=int)
            deaths_age = ax.array(by_age.assign(age=ages), DIMS, top)
            tot = deaths_age[:, :, TOTAL]
            deaths_age[:, :, TOTAL] = np.where(np.isnan(tot), deaths_age[:, :, MALE] + deaths_age[:, :, FEMALE], tot)
            deaths = np.where(np.isnan(deaths), deaths_age.sum(-1), deaths)
    flows = _flows(levels("migration"), levels("migration_total"), ax)

    labour: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    lab = levels("labour")
    if lab is not None:
        lab = lab.both  # the labour indicators are read for both sexes
        for ind, rows in lab.groupby("indicator", sort=False):
            labour[str(ind)] = _plain(rows, ax)
            if "unit" in rows and len(rows):
                units[str(ind)] = str(rows["unit"].iloc[0])

    passthrough: dict[str, np.ndarray] = {}
    extra: dict[str, Indicator] = {}
    pub = frames.get("published_indicators")
    if pub is not None:
        for ind, rows in pub.groupby("indicator", sort=False):
            first = rows.iloc[0]
            entry = published_indicator(str(ind), str(first.get("unit", "") or ""), str(first.get("name_lt", "") or ""),
                                        str(first.get("name_en", "") or ""))
            passthrough[entry.id] = _plain(rows, ax)
            extra[entry.id] = entry
    for ds, ind in (("life_expectancy", "life_expectancy"), ("median_age", "median_age_published")):
        f = levels(ds)
        if f is not None:
            passthrough[ind] = _plain(f.both, ax)
    if frames.get("density") is not None:
        passthrough["population_density"] = _plain(frames["density"], ax)
    urban = None
    ur = frames.get("urban_rural")
    if ur is not None:
        urban = np.stack([_plain(ur[ur["area"] == "urban"], ax), _plain(ur[ur["area"] == "total"], ax)], axis=-1)

    return Counts(
        codes=tuple(codes), years=yrs, open_age=top, pop=pop, pop_all=pop_all, births=births, deaths=deaths,
        infant_deaths=infant, flows=flows, labour=labour, labour_units=units, passthrough=passthrough,
        urban=urban, deaths_age=deaths_age, extra_catalogue=extra,
    )
