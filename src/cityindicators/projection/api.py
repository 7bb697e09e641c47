"""``project()``: the one call that estimates rates, applies scenarios and runs the engine.

Example
-------
>>> from cityindicators.projection import project
>>> res = project("Visaginas", base_year=2015, to_year=2050, scenario=["baseline", "attraction"])  # doctest: +SKIP
>>> res.totals().query("year == 2050")      # both sexes, all ages: one row per scenario and territory # doctest: +SKIP
>>> res.broad_groups()            # 0-14 / 15-64 / 65+ of both sexes by scenario, territory, year      # doctest: +SKIP
>>> res.broad_groups(sex=None)    # the same of men and women                                         # doctest: +SKIP
>>> res.assumptions               # TFR, e0 of men and of women, net migration: one column each        # doctest: +SKIP

Every frame of a :class:`ProjectionResult` holds one level of each key, so it sums correctly by
any key: ``population`` men and women by single age; ``totals()`` and ``broad_groups()`` both
sexes unless ``sex=`` asks for another level (``None`` men and women, as
:func:`cityindicators.store.load` gives them), ``broad_groups()`` without the all-ages group
unless ``all_ages=True``; ``quantiles`` the both-sexes, all-ages quantiles, other levels by
:meth:`ProjectionResult.quantiles_for` (quantiles do not add: the both-sexes quantile is that of
the both-sexes trajectories, not the sum of the men's and the women's); ``intervals`` the
all-ages empirical intervals, the broad groups and the median age (years) by
:meth:`ProjectionResult.intervals_for`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..cube import SEXES, Cube
from ..exceptions import DataValidationError, ProjectionError
from ..schema import BOTH_SEXES, YEAR_RANGE, requested_sexes
from .agegroups import BROAD_AGE_GROUPS, group_sums
from .base_rates import BaseRates
from .data import ProjectionData
from .engine import EngineResult
from .estimation import estimate_rates
from .estimation import reference_pool as _reference_pool
from .scenarios import Scenario, load_scenario
from .bounds import check_added_inflow
from .schedule import ScenarioSchedule, added_inflow_per_year, build_schedule, build_schedules, run_schedule
from .settings import EstimationSettings

__all__ = ["ProjectionResult", "project", "reference_rates", "resolve_territories", "resolve_projection_targets", "group_sums",
           "tidy_population", "population_totals"]

log = logging.getLogger(__name__)

SEX_LABELS = np.array(SEXES)
#: The ``age_group`` label of all ages together (:func:`.agegroups.group_sums`), beside the broad groups.
ALL_AGES = "total"
#: The ``age_group`` labels of the stochastic quantiles: all ages and the broad groups.
QUANTILE_AGE_GROUPS = (ALL_AGES, *BROAD_AGE_GROUPS)
#: The ``age_group`` label of the projected median age (years) among the empirical intervals.
MEDIAN_AGE = "median_age"
#: The ``age_group`` levels of the empirical intervals: all ages, the broad groups (persons) and the median age (years).
INTERVAL_AGE_GROUPS = (*QUANTILE_AGE_GROUPS, MEDIAN_AGE)


def _territory_name(register, code: str) -> str:
    """``code``'s name in the register, as the command line's tables write it (the code itself for
    rates of a territory the register lacks)."""
    try:
        return register.name(code)
    except Exception:  # rates built by hand may carry any code
        return str(code)


def resolve_territories(territories: str | Sequence[str] | None, data: ProjectionData, register) -> list[str]:
    """Codes of ``territories``: names/codes in any form, ``"all"``/None = every municipality in the data;
    a group (``G:VIZA``, ``G:county:Utenos apskritis``, ``G:municipalities``) stands for its members."""
    return resolve_projection_targets(territories, data, register)[0]


def resolve_projection_targets(territories: str | Sequence[str] | None, data: ProjectionData,
                               register) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """Codes to project and the groups to add up: ``(codes, {group code: member codes})``.

    Raises
    ------
    ProjectionError
        A territory or group member has no single-age population data.
    """
    available = set(data.codes())
    if territories is None or (isinstance(territories, str) and territories.strip().lower() == "all"):
        munis = [t.code for t in register.municipalities() if t.code in available]
        if not munis:
            munis = [t.code for t in register.municipalities(synthetic=True) if t.code in available]
        if not munis:
            raise ProjectionError("no municipality has single-age population data")
        return munis, {}
    items, groups = _expand_groups(territories, register)
    codes = [register.resolve(item).code for item in items]
    missing = [c for c in codes if c not in available]
    if missing:
        raise ProjectionError(f"no single-age population data for territory code(s) {sorted(set(missing))}")
    return list(dict.fromkeys(codes)), groups


def _expand_groups(territories: str | Sequence[str], register) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """``territories`` with every group (``G:...``) replaced by its member codes, and the groups."""
    items: list[str] = []
    groups: dict[str, tuple[str, ...]] = {}
    for item in [territories] if isinstance(territories, str) else territories:
        if str(item).strip().startswith("G:"):
            g = register.group(str(item).strip())
            if not g.members:
                raise ProjectionError(f"group {g.code} has no members")
            groups[g.code] = tuple(g.members)
            items.extend(g.members)
        else:
            items.append(str(item))
    return items, groups


def _add_groups(frame: pd.DataFrame, groups: Mapping[str, Sequence[str]], keys: Sequence[str]) -> pd.DataFrame:
    """``frame`` with one block of rows per group: ``value`` summed over the members by ``keys``."""
    if not groups:
        return frame
    parts = [frame]
    for code, members in groups.items():
        sub = frame[frame["territory_code"].isin(list(members))]
        g = sub.groupby(list(keys), sort=False, dropna=False)["value"].sum().reset_index()
        g["territory_code"] = code
        parts.append(g[list(frame.columns)])
    return pd.concat(parts, ignore_index=True)


def tidy_population(arr: np.ndarray, codes: Sequence[str], years: Sequence[int], scenario: str,
                    value: str = "value") -> pd.DataFrame:
    """Tidy frame from the engine's ``arr[year, territory, sex, age]`` (:meth:`Cube.to_tidy`), with ``scenario``."""
    cube = Cube(arr, ("year", "territory", "sex", "age"),
                {"year": np.asarray(years, dtype="int64"), "territory": tuple(codes), "sex": SEXES,
                 "age": np.arange(arr.shape[-1], dtype="int64")})
    return cube.to_tidy(value, ["scenario", "territory_code", "year", "sex", "age", value], scenario=scenario)


def _strings(labels: Sequence[str], idx: np.ndarray) -> pd.Series:
    """A string column ``labels[idx]`` built without a per-row Python object pass."""
    return pd.Series(pd.array([str(v) for v in labels], dtype="str").take(idx))  # take: no per-row string pass


#: Persons of a year's migration shortfall below which :attr:`ProjectionResult.migration_shortfall`
#: leaves the year out: floating-point rounding of a group emptied exactly, not an outflow refused.
SHORTFALL_REPORTED = 0.01


@dataclass
class ProjectionResult:
    """The outcome of :func:`project`.

    Attributes
    ----------
    population
        Tidy frame ``scenario, territory_code, year, sex, age, value``: residents at 1 January
        by sex (male/female) and single year of age; the top age (:attr:`open_age`) is open.
    components
        ``scenario, territory_code, year, component, sex, age, value``: ``births``, ``deaths``
        and ``net_migration`` by sex and age at the end of the year (births at age 0, the
        newborns' age then; deaths at age 0 are theirs); the events of calendar year ``year``
        (between 1 January ``year`` and ``year + 1``). Add over ``component`` only with signs
        (population of ``year + 1`` = population aged one less + births - deaths + net migration).
    assumptions
        One row per ``scenario, territory_code, year`` (the events of the year), one column per
        assumption: ``tfr`` (children per woman), ``e0_male``, ``e0_female`` (life expectancy
        at birth, years), ``net_migration`` (persons of both sexes, result of the year),
        ``net_migration_rate`` (per 1,000 residents at 1 January), ``added_inflow`` (persons).
        No ``sex`` column: a both-sexes figure cannot be added to a sex's by mistake.
    estimates
        The base estimates (:meth:`BaseRates.report`): TFR, e0, sex ratio at birth, SMR, net
        migration by broad age, each with the method that produced it.
    scenarios
        The :class:`Scenario` objects by name.
    quantiles
        With ``stochastic`` (else None): ``scenario, territory_code, year, sex, age_group,
        quantile, value`` of the both-sexes (``sex`` total), all-ages (``age_group`` total)
        population; the sexes and the broad age groups by :meth:`quantiles_for`.
    groups
        Groups asked for (``G:`` codes) and their members: the population, components and
        quantiles carry a block of rows per group, the sum of its members (the assumptions and
        the estimates are per projected territory only).
    uncontrolled
        With a national control (:func:`project` ``national``): the population before it (same
        columns as :attr:`population`); else None.
    national
        With a national control: ``scenario, year, sex, age, national, municipalities, factor``,
        the national projection the municipalities are scaled to (in the base year, and in years
        between those of an imported projection, the sum the factors give), the uncontrolled sum
        of all municipalities and the factor applied (ages of the national projection, its top
        one open; see :mod:`.control`).
    intervals
        With ``interval_errors`` (else None): empirical prediction intervals (:mod:`.intervals`),
        ``scenario, territory_code, year, horizon, age_group, size_class, value, lower, upper,
        level`` of the all-ages population (``age_group`` total), one row per scenario,
        territory and year: the band that would have contained the later population in
        ``level`` (80 %) of the method's past out-of-sample projections of this size class and
        horizon. The broad groups 0-14, 15-64, 65+ (persons) and ``median_age`` (years: the
        projected median age, :func:`~cityindicators.projection.intervals.median_ages`, and the
        band of the median age's own past errors, its upper bound at most the open age) by
        :meth:`intervals_for`.
    reference
        The rates of the reference set (the territories and every municipality of the data) the
        projection was estimated with (``None`` with pre-estimated ``rates``): hand it to another
        :func:`project` of the same data, base year and settings (``reference=``) to skip
        estimating them again.
    """

    population: pd.DataFrame
    scenarios: dict[str, Scenario]
    base_year: int
    to_year: int
    open_age: int
    rates: BaseRates
    arrays: dict[str, EngineResult] = field(repr=False, default_factory=dict)
    schedules: dict[str, ScenarioSchedule] = field(repr=False, default_factory=dict)
    # every level of the stochastic quantiles (sex total/male/female, age group total/broad):
    # read through quantiles / quantiles_for, which give one level
    _quantiles: pd.DataFrame | None = field(repr=False, default=None)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uncontrolled: pd.DataFrame | None = None
    national: pd.DataFrame | None = None
    # every level of the empirical intervals (all ages, broad groups, median age): read through
    # intervals / intervals_for, which give the levels asked for
    _intervals: pd.DataFrame | None = field(repr=False, default=None)
    reference: BaseRates | None = field(repr=False, default=None)
    _cache: dict[str, pd.DataFrame] = field(repr=False, default_factory=dict)
    #: With ``stochastic``: one sentence saying whether the band is calibrated to the method's past
    #: errors, and to what (:meth:`~cityindicators.projection.stochastic.StochasticResult.describe`).
    stochastic_band: str | None = None
    #: With ``calibrate_stochastic``: the calibration factors by territory and year (see :mod:`.calibration`).
    stochastic_factors: pd.DataFrame | None = field(repr=False, default=None)

    @property
    def gross_outflow(self) -> dict[str, str]:
        """By projected territory, what the outflow of its migration schedule is, the part a scenario's
        ``migration.outflow_scale`` scales: ``"used"``, the gross emigration and departures of the data's
        ``migration`` table (``migration_model='rate'``); ``"unused"``, gross flows in the data but the
        model's outflow the net losses; ``"absent"``, only net migration known (population, births and
        deaths: the balancing equation), the outflow the negative net migration rates by age and sex.
        Rates built by hand: ``"absent"``."""
        return {c: str(self.rates.details.get(c, {}).get("gross_outflow", "absent")) for c in self.rates.codes}

    @property
    def migration_from_net_only(self) -> bool:
        """Whether every projected territory's outflow is its net losses (:attr:`gross_outflow` not
        ``"used"``): ``outflow_scale: 0.5`` then halves the negative net migration rates, not an
        observed emigration."""
        return all(v != "used" for v in self.gross_outflow.values())

    # the component and assumption tables are built on first use (they are large)
    @property
    def components(self) -> pd.DataFrame:
        if "components" not in self._cache:
            comp = pd.concat(
                [_components_frame(arr, list(self.rates.codes), self.base_year, name) for name, arr in self.arrays.items()],
                ignore_index=True)
            self._cache["components"] = _add_groups(comp, self.groups, ["scenario", "year", "component", "sex", "age"])
        return self._cache["components"]

    @property
    def assumptions(self) -> pd.DataFrame:
        if "assumptions" not in self._cache:
            self._cache["assumptions"] = pd.concat(
                [_assumptions_frame(self.schedules[name], arr) for name, arr in self.arrays.items()], ignore_index=True)
        return self._cache["assumptions"]

    @property
    def migration_shortfall(self) -> pd.DataFrame:
        """``scenario, territory_code, year, persons``: the years in which a scenario asked for more
        net emigrants than a territory's age groups had, and how many persons of the outflow asked
        for did not leave (the engine keeps every group at zero or above; see
        :mod:`~cityindicators.projection.engine`). Empty for any plausible scenario; rows of less
        than a hundredth of a person are left out (rounding). The events of ``year`` (to 1 January
        ``year + 1``), before a national control, per projected territory (not per group)."""
        if "migration_shortfall" not in self._cache:
            codes = list(self.rates.codes)
            rows = []
            for name, arr in self.arrays.items():
                sch = self.schedules.get(name)
                # before the age-structure combination, whose migrants make up for what did not leave
                before = sch.shortfall_before_combination if sch is not None else None
                short = before if before is not None else arr.migration_shortfall
                if short is None:
                    continue
                short = short.reshape(short.shape[0], -1)
                for t, i in zip(*np.nonzero(short >= SHORTFALL_REPORTED)):
                    rows.append((name, codes[i], self.base_year + int(t), float(short[t, i])))
            self._cache["migration_shortfall"] = pd.DataFrame(
                rows, columns=["scenario", "territory_code", "year", "persons"]).astype(
                {"scenario": str, "territory_code": str, "year": "int64", "persons": float})
        return self._cache["migration_shortfall"]

    @property
    def estimates(self) -> pd.DataFrame:
        if "estimates" not in self._cache:
            self._cache["estimates"] = self.rates.report()
        return self._cache["estimates"]

    def totals(self, sex: "str | Sequence[str] | None" = BOTH_SEXES) -> pd.DataFrame:
        """All ages: ``scenario, territory_code, year, sex, value`` at the sex level ``sex``.

        ``"total"`` (the default): both sexes, one row per scenario, territory and year;
        ``None`` (as :func:`cityindicators.store.load`) or ``("male", "female")``: men and
        women; ``"male"`` or ``"female"``: that sex. Both levels come back only when asked for,
        e.g. ``("male", "female", "total")``, told apart by ``sex``: add over ``sex`` only after
        choosing one.
        """
        fast = self._age_sums({ALL_AGES: (0, None)}, sex, "totals()")
        return population_totals(self.population, sex) if fast is None else fast[0]

    def _age_sums(self, groups: Mapping[str, tuple[int, int | None]], sex, what: str) -> list[pd.DataFrame] | None:
        """Per age group ``{label: (lowest age, highest or None)}``: the frame ``scenario,
        territory_code, year, sex, value`` of :meth:`totals` summed over its ages, taken from the
        engine's arrays instead of the population frame (a group-by of its string keys is most of a
        report's time in these sums): the same rows, order and types, the sums equal to about 1e-12
        of a person (numpy adds pairwise, the group-by with a compensated running sum), or ``None``
        where the frame is not the arrays' (groups' rows are sums of members, a national control
        scales it)."""
        if not self._population_is_the_arrays():
            return None
        wanted = _sex_labels(sex, what)
        keys = self._array_keys()
        return [_at_sex_level_of_arrays(keys, self._sums_by_sex(lo, hi), wanted) for lo, hi in groups.values()]

    def _population_is_the_arrays(self) -> bool:
        """Whether :attr:`population` holds the engine's arrays cell for cell: no groups' rows, no
        national control, every age to the open one."""
        return bool(self.arrays) and not self.groups and self.uncontrolled is None and all(
            a.population.shape[-1] == self.open_age + 1 for a in self.arrays.values())

    def _array_keys(self) -> dict[str, "pd.Series | np.ndarray"]:
        """The columns ``scenario, territory_code, year`` of every (scenario, year, territory) cell
        of the arrays, in the order of :attr:`population`'s rows without their sex and age: scenario
        by scenario, within one year by year, within a year territory by territory."""
        codes = list(self.rates.codes)
        years = [a.population.shape[0] for a in self.arrays.values()]  # each scenario's, base year first
        scenario = np.repeat(np.arange(len(years)), [n * len(codes) for n in years])
        territory = np.concatenate([np.tile(np.arange(len(codes)), n) for n in years])
        year = np.concatenate([np.repeat(self.base_year + np.arange(n), len(codes)) for n in years])
        return {"scenario": _strings(list(self.arrays), scenario), "territory_code": _strings(codes, territory),
                "year": year.astype("int64")}

    def _sums_by_sex(self, lo: int, hi: int | None) -> np.ndarray:
        """``[cell, sex]``: the men and women aged ``lo`` to ``hi`` (None: to the open age) in each
        cell of :meth:`_array_keys`, in its order."""
        ages = slice(lo, None if hi is None else hi + 1)
        return np.concatenate([a.population[..., ages].sum(-1).reshape(-1, len(SEXES)) for a in self.arrays.values()])

    def broad_groups(self, groups: Mapping[str, tuple[int, int | None]] | None = None,
                     sex: "str | Sequence[str] | None" = BOTH_SEXES, all_ages: bool = False) -> pd.DataFrame:
        """``scenario, territory_code, year, sex, age_group, value``: the population of age
        ``groups`` (``{label: (lowest age, highest or None)}``, default 0-14, 15-64, 65+) at the
        sex level ``sex`` (as :meth:`totals`: default both sexes, ``None`` men and women).

        ``all_ages=True`` adds the group ``"total"`` (every age) after them: it holds the
        others' people again, so add over ``age_group`` only after choosing.
        """
        groups = dict(groups or BROAD_AGE_GROUPS)
        if all_ages:
            groups[ALL_AGES] = (0, None)
        keys = ["scenario", "territory_code", "year"]
        fast = self._age_sums(groups, sex, "broad_groups()")
        if fast is not None:
            return pd.concat([f.assign(age_group=label) for f, label in zip(fast, groups)],
                             ignore_index=True)[[*keys, "sex", "age_group", "value"]]
        pop = self.population
        frames = []
        for label, (lo, hi) in groups.items():
            sel = pop[(pop["age"] >= lo) & ((pop["age"] <= hi) if hi is not None else True)]
            g = sel.groupby([*keys, "sex"], sort=False)["value"].sum().reset_index()
            frames.append(_at_sex_level(g, keys, sex, "broad_groups()").assign(age_group=label))
        return pd.concat(frames, ignore_index=True)[[*keys, "sex", "age_group", "value"]]

    @property
    def quantiles(self) -> pd.DataFrame | None:
        """The stochastic quantiles of the both-sexes, all-ages population (None without
        ``stochastic``): :meth:`quantiles_for` with its defaults."""
        return None if self._quantiles is None else self.quantiles_for()

    def quantiles_for(self, sex: "str | Sequence[str] | None" = BOTH_SEXES,
                      age_group: "str | Sequence[str] | None" = ALL_AGES) -> pd.DataFrame:
        """The stochastic quantiles ``scenario, territory_code, year, sex, age_group, quantile,
        value`` at one level: ``sex`` as in :meth:`totals` (default both sexes, ``None`` men and
        women), ``age_group`` ``"total"`` (all ages, the default), one of 0-14, 15-64, 65+, a
        sequence of them, or ``None`` for the three broad groups.

        Quantiles do not add: the both-sexes (all-ages) quantile is the quantile of the
        trajectories of both sexes (all ages), not the sum of the men's and women's quantiles.
        """
        if self._quantiles is None:
            raise ProjectionError("this projection was not run with stochastic trajectories (project(..., stochastic=N))")
        groups = _age_group_labels(age_group, QUANTILE_AGE_GROUPS, BROAD_AGE_GROUPS, "quantiles_for()")
        q = self._quantiles
        keep = q["sex"].isin(_sex_labels(sex, "quantiles_for()")) & q["age_group"].isin(groups)
        return q[keep.to_numpy(bool)].reset_index(drop=True)

    @property
    def intervals(self) -> pd.DataFrame | None:
        """The empirical intervals of the all-ages population (None without ``interval_errors``):
        :meth:`intervals_for` with its default."""
        return None if self._intervals is None else self.intervals_for()

    def intervals_for(self, age_group: "str | Sequence[str] | None" = ALL_AGES) -> pd.DataFrame:
        """The empirical intervals ``scenario, territory_code, year, horizon, age_group, size_class,
        value, lower, upper, level`` of ``age_group``: ``"total"`` (all ages, the default), one of
        0-14, 15-64, 65+ (persons) or ``"median_age"`` (years), a sequence of them, or ``None``
        for every level, told apart by ``age_group``.

        Choose one level before adding ``value``: the all-ages rows hold the broad groups' people
        again, the median age is in years; ``lower``/``upper`` are bounds, they never add.
        """
        if self._intervals is None:
            raise ProjectionError("this projection was not run with empirical intervals "
                                  "(project(..., interval_errors=...))")
        groups = _age_group_labels(age_group, INTERVAL_AGE_GROUPS, INTERVAL_AGE_GROUPS, "intervals_for()")
        iv = self._intervals
        return iv[iv["age_group"].isin(groups).to_numpy(bool)].reset_index(drop=True)

    def balance(self) -> pd.DataFrame:
        """Per scenario, territory and year: ``population``, ``births``, ``deaths``, ``net_migration``,
        ``next_population`` and ``residual`` = next - (population + births - deaths + net migration)."""
        rows = []
        for name, arr in self.arrays.items():
            codes = list(self.rates.codes)
            n = arr.births.shape[0]
            years = np.arange(self.base_year, self.base_year + n)
            p = arr.population.sum(axis=(-2, -1))
            b = arr.births.sum(-1)
            d = arr.deaths.sum(axis=(-2, -1))
            m = arr.net_migration.sum(axis=(-2, -1))
            f = pd.DataFrame({
                "scenario": name, "territory_code": np.tile(codes, n), "year": np.repeat(years, len(codes)),
                "population": p[:-1].ravel(), "births": b.ravel(), "deaths": d.ravel(),
                "net_migration": m.ravel(), "next_population": p[1:].ravel(),
            })
            f["residual"] = f["next_population"] - (f["population"] + f["births"] - f["deaths"] + f["net_migration"])
            rows.append(f)
        return pd.concat(rows, ignore_index=True)

    def change_by_period(self, split_year: int | None = None) -> pd.DataFrame:
        """The population's change split into natural change and migration, over the years the
        back-test scores and the years beyond them.

        One row per scenario, territory and period: ``scenario, territory_code, period`` (``tested``:
        from the base year to ``split_year``, by default the base year plus
        :data:`~.settings.LONGEST_BACKTESTED_HORIZON`, the longest horizon whose accuracy the back-test
        measures; ``beyond``: from there to the last year, absent when the projection ends first),
        ``first_year, last_year`` (1 January of both), ``population_start``, ``births``, ``deaths``,
        ``natural_change`` (births less deaths), ``net_migration`` (with the combinations carried as
        migration) and ``population_end``; ``population_end - population_start`` is
        ``natural_change + net_migration`` (:meth:`balance`, whose residual is rounding). A group
        asked for has its members' sums."""
        from .settings import LONGEST_BACKTESTED_HORIZON

        split = self.base_year + LONGEST_BACKTESTED_HORIZON if split_year is None else int(split_year)
        split = min(max(split, self.base_year + 1), self.to_year)
        periods = [("tested", self.base_year, split)] + ([("beyond", split, self.to_year)] if split < self.to_year else [])
        bal = self.balance()
        keys = ["scenario", "territory_code"]
        out = []
        for name, first, last in periods:
            part = bal[(bal["year"] >= first) & (bal["year"] < last)]
            g = part.groupby(keys, sort=False)
            f = g[["births", "deaths", "net_migration"]].sum()
            f["population_start"] = part[part["year"] == first].set_index(keys)["population"]
            f["population_end"] = part[part["year"] == last - 1].set_index(keys)["next_population"]
            f["natural_change"] = f["births"] - f["deaths"]
            out.append(f.reset_index().assign(period=name, first_year=first, last_year=last))
        cols = keys + ["period", "first_year", "last_year", "population_start", "births", "deaths", "natural_change",
                       "net_migration", "population_end"]
        frame = pd.concat(out, ignore_index=True)[cols]
        sums = ["population_start", "births", "deaths", "natural_change", "net_migration", "population_end"]
        parts = [frame] + [
            frame[frame["territory_code"].isin(list(members))].groupby(
                ["scenario", "period", "first_year", "last_year"], sort=False)[sums].sum().reset_index()
            .assign(territory_code=code)[cols] for code, members in self.groups.items()]
        return pd.concat(parts, ignore_index=True)

    def scenario_table(self) -> pd.DataFrame:
        """One row per scenario: ``scenario, label_en, label_lt, fertility, mortality, migration`` (plain text)."""
        return pd.DataFrame([
            {"scenario": n, "label_en": s.label_en, "label_lt": s.label_lt, **s.summary(self.schedules[n].rates.settings)}
            for n, s in self.scenarios.items()
        ])

    def quantiles_wide(self, sex: "str | Sequence[str] | None" = BOTH_SEXES,
                       age_group: "str | Sequence[str] | None" = ALL_AGES) -> pd.DataFrame:
        """The stochastic quantiles of :meth:`quantiles_for` (same arguments) with one column per
        quantile (``q10``, ``q50``, ``q90`` ...)."""
        q = self.quantiles_for(sex, age_group)
        q["quantile"] = "q" + (q["quantile"] * 100).round(1).map(lambda v: f"{v:g}")
        wide = q.pivot_table(index=["scenario", "territory_code", "year", "sex", "age_group"], columns="quantile",
                             values="value", sort=False).reset_index()
        wide.columns.name = None
        return wide


def _age_group_labels(age_group: "str | Sequence[str] | None", allowed: Sequence[str], every: Sequence[str],
                      caller: str) -> list[str]:
    """The ``age_group`` labels asked for: one label, a sequence of them, or None for ``every``;
    a label outside ``allowed`` is an error naming the allowed ones."""
    groups = list(every) if age_group is None else [age_group] if isinstance(age_group, str) else list(age_group)
    unknown = sorted(set(groups) - set(allowed))
    if unknown:
        raise ProjectionError(f"{caller}: unknown age group {unknown}; allowed: {', '.join(allowed)}")
    return groups


def _components_frame(arr: EngineResult, codes, base_year: int, scenario: str) -> pd.DataFrame:
    n = arr.births.shape[0]
    years = np.arange(base_year, base_year + n)
    nt = len(codes)
    births = pd.DataFrame({
        "scenario": scenario, "territory_code": np.tile(np.repeat(np.asarray(codes, dtype=object), 2), n),
        "year": np.repeat(years, nt * 2), "component": "births", "sex": np.tile(SEX_LABELS, n * nt),
        # the newborns' age at the end of the year, as the deaths and migrants beside them are
        # counted (age 0: born in the year): no missing key for a sum by age to drop
        "age": pd.array(np.zeros(n * nt * 2, dtype="int64"), dtype="Int64"), "value": arr.births.reshape(-1),
    })
    parts = [births]
    for comp in ("deaths", "net_migration"):
        f = tidy_population(getattr(arr, comp), codes, years, scenario)
        f.insert(3, "component", comp)
        f["age"] = f["age"].astype("Int64")
        parts.append(f)
    return pd.concat(parts, ignore_index=True)


def _assumptions_frame(sch: ScenarioSchedule, arr: EngineResult) -> pd.DataFrame:
    """One row per territory and year of events, one column per assumption (:attr:`ProjectionResult.assumptions`)."""
    codes = list(sch.rates.codes)
    n, T = sch.tfr.shape
    nm = arr.net_migration.sum(axis=(-2, -1))  # [n, T]
    pop = arr.population[:-1].sum(axis=(-2, -1))
    return pd.DataFrame({
        "scenario": sch.scenario.name, "territory_code": np.tile(codes, n), "year": np.repeat(sch.years, T),
        "tfr": sch.tfr.ravel(), "e0_male": sch.e0[..., 0].ravel(), "e0_female": sch.e0[..., 1].ravel(),
        "net_migration": nm.ravel(), "net_migration_rate": (1000 * nm / np.maximum(pop, 1e-9)).ravel(),
        "added_inflow": sch.added.ravel(),
    })


def population_totals(population: pd.DataFrame, sex: "str | Sequence[str] | None" = BOTH_SEXES) -> pd.DataFrame:
    """:meth:`ProjectionResult.totals` of a projected ``population`` frame (of one result, or of
    several concatenated, told apart by ``scenario``: each group is summed alike)."""
    by_sex = population.groupby(["scenario", "territory_code", "year", "sex"], sort=False)["value"].sum()
    return _at_sex_level(by_sex.reset_index(), ["scenario", "territory_code", "year"], sex, "totals()")


def _sex_labels(sex: "str | Sequence[str] | None", what: str) -> list[str]:
    """:func:`cityindicators.schema.requested_sexes` with the error of the projection."""
    try:
        return requested_sexes(sex, what)
    except DataValidationError as exc:
        raise ProjectionError(str(exc)) from None


def _at_sex_level(by_sex: pd.DataFrame, keys: list[str], sex: "str | Sequence[str] | None", what: str) -> pd.DataFrame:
    """``keys, sex, value`` at the sex level(s) asked for (:meth:`ProjectionResult.totals`) from
    ``by_sex`` (``keys, sex, value`` of men and women): both sexes is their sum, first when asked
    for beside them."""
    wanted = _sex_labels(sex, what)
    parts = []
    if BOTH_SEXES in wanted:
        both = by_sex.groupby(keys, sort=False)["value"].sum().reset_index()
        parts.append(both.assign(sex=BOTH_SEXES))
    split = [s for s in wanted if s != BOTH_SEXES]
    if split:
        parts.append(by_sex[by_sex["sex"].isin(split)])
    return pd.concat(parts, ignore_index=True)[[*keys, "sex", "value"]]


def _at_sex_level_of_arrays(keys: Mapping[str, "pd.Series | np.ndarray"], by_sex: np.ndarray,
                            wanted: Sequence[str]) -> pd.DataFrame:
    """What :func:`_at_sex_level` gives from the frame of ``keys`` (columns, one row per cell) and
    ``by_sex`` (``[cell, sex]``, men and women): the both-sexes rows first when ``wanted``, each the
    sum of the two in order (men + women); then the sexes ``wanted``, men before women within a cell."""
    parts = []
    if BOTH_SEXES in wanted:
        parts.append(pd.DataFrame({**keys, "sex": _strings([BOTH_SEXES], np.zeros(len(by_sex), int)),
                                   "value": by_sex[:, 0] + by_sex[:, 1]}))
    split = [i for i, s in enumerate(SEXES) if s in wanted]  # the columns of by_sex asked for
    if split:
        cell = np.repeat(np.arange(len(by_sex)), len(split))  # each cell's row once per sex asked for
        columns = {k: v.take(cell).reset_index(drop=True) if isinstance(v, pd.Series) else v[cell]
                   for k, v in keys.items()}
        parts.append(pd.DataFrame({**columns, "sex": _strings(list(SEXES), np.tile(split, len(by_sex))),
                                   "value": by_sex[:, split].reshape(-1)}))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def reference_rates(data: ProjectionData, codes: Sequence[str], base_year: int,
                    settings: EstimationSettings | None, register) -> BaseRates:
    """Rates of ``codes`` plus every municipality of the data with a base population (the reference
    set), in that order. Estimating the fixed reference set once keeps every pooled quantity, and
    so each territory's projection, the same whatever else is projected (``subset`` picks the
    territories asked for)."""
    pool = _reference_pool(data, register, list(codes), int(base_year))
    return estimate_rates(data, list(dict.fromkeys([*codes, *pool])), int(base_year), settings, register=register)


def _national_control(national, data: ProjectionData, reference: BaseRates, codes: Sequence[str],
                      scens: Sequence[Scenario], to_year: int, settings, register, pops: list[pd.DataFrame],
                      years: np.ndarray, method: str = "proportional") -> tuple[list[pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    """Controlled population frames (one per scenario), the uncontrolled ones and the national frame."""
    from .control import municipal_factors, national_array, read_national_projection

    Y = reference.base_year
    munis = list(_reference_pool(data, register, list(codes), Y))
    if not munis:
        raise ProjectionError("national control: no municipality of the data has a base population")
    m_idx = [reference.codes.index(c) for c in munis]
    ctl = [i for i, c in enumerate(codes) if c in munis]  # counties or the country asked for stay uncontrolled
    ctl_pos = [munis.index(codes[i]) for i in ctl]
    imported = None
    if not (isinstance(national, str) and national == "engine"):
        imported = national_array(read_national_projection(national), reference.open_age,
                                  name="national projection" if isinstance(national, pd.DataFrame) else str(national))
    else:
        country = register.country(synthetic=str(munis[0]).startswith("X")).code
        nat_rates = estimate_rates(data, [country], Y, settings, register=register)
    out, nat_rows = [], []
    for sc, frame in zip(scens, pops):
        sc_ref = _scenario_rates(sc, reference, data, settings, register)
        all_munis = run_schedule(build_schedule(sc_ref, sc, to_year)).population[:, m_idx]  # [n, I, 2, A]
        total = all_munis.sum(1)  # [n, 2, A]
        if imported is None:
            nat_sc = _scenario_rates(sc, nat_rates, data, settings, register)
            nat_pop = run_schedule(build_schedule(nat_sc, sc, to_year)).population[:, 0]  # [n, 2, A]
            nyears, nvals, k = years, nat_pop, reference.open_age
        else:
            nyears, nvals, k = imported
        f, target = municipal_factors(all_munis, Y, nyears, nvals, k, method)  # [n, I, 2, A], [n, 2, k + 1]
        arr = frame["value"].to_numpy().reshape(len(years), len(codes), 2, -1).copy()
        arr[:, ctl] *= f[:, ctl_pos]
        out.append(frame.assign(value=arr.reshape(-1)))
        grouped = np.concatenate([total[..., :k], total[..., k:].sum(-1, keepdims=True)], axis=-1)
        nat = tidy_population(target[:, None], ["national"], years, sc.name, value="national")
        nat["municipalities"] = grouped.reshape(-1)
        nat["factor"] = np.where(grouped > 0, target / np.where(grouped > 0, grouped, 1.0), 1.0).reshape(-1)
        nat_rows.append(nat.drop(columns=["territory_code"]))
    return out, pd.concat(pops, ignore_index=True), pd.concat(nat_rows, ignore_index=True)


def shipped_model_at(errors: pd.DataFrame, data: ProjectionData, base_year: int, level: float = 0.8):
    """The shipped interval model (:func:`~cityindicators.projection.intervals.shipped_interval_model`)
    fitted on the back-test ``errors`` observable by 1 January ``base_year``: what the empirical
    intervals and the calibration of the stochastic band of a projection from ``base_year`` use."""
    from .intervals import log_errors, shipped_interval_model

    return shipped_interval_model(log_errors(errors, data.population), int(base_year), level)


def shipped_median_age_model_at(errors: pd.DataFrame, data: ProjectionData, base_year: int, level: float = 0.8):
    """The median age's interval model (:func:`~cityindicators.projection.intervals.shipped_median_age_model`:
    its own variant, from its own errors) fitted on the back-test ``errors`` observable by 1 January
    ``base_year``: what the median age's empirical interval of a projection from ``base_year`` uses."""
    from .intervals import log_errors, shipped_median_age_model

    own = errors[errors["group"] == MEDIAN_AGE]
    return shipped_median_age_model(log_errors(own, data.population), int(base_year), level)


def empirical_intervals(result: ProjectionResult, errors: pd.DataFrame, data: ProjectionData,
                        level: float = 0.8, model=None, median_age_model=None) -> pd.DataFrame:
    """The empirical intervals of :meth:`ProjectionResult.intervals_for` at every level (territories,
    not groups) of every scenario of ``result``, from the back-test ``errors`` observable by its base year (the shipped
    variant, :func:`~cityindicators.projection.intervals.shipped_interval_model`): the total and broad
    age groups (persons) and the median age (``age_group`` ``median_age``, years, bounded by the
    median age's own past errors with its own variant,
    :func:`~cityindicators.projection.intervals.shipped_median_age_model`). ``model`` and
    ``median_age_model``: the shipped models already fitted (:func:`shipped_model_at`,
    :func:`shipped_median_age_model_at`), so that they are not fitted again."""
    from .intervals import apply_intervals, median_ages, size_class

    if model is None:
        model = shipped_model_at(errors, data, result.base_year, level)
    # the median age's band: its own variant (intervals.MEDIAN_AGE_VARIANT), from its own errors
    median_model = median_age_model
    if median_model is None:
        median_model = shipped_median_age_model_at(errors, data, result.base_year, level)
    codes = list(result.rates.codes)
    bg = result.broad_groups(all_ages=True).query("year > @result.base_year")
    bg = bg[bg["territory_code"].isin(codes)]
    pop = result.population
    med = median_ages(pop[pop["territory_code"].isin(codes) & (pop["year"] > result.base_year)])
    bg = pd.concat([bg, med.assign(age_group=MEDIAN_AGE)], ignore_index=True)
    sizes = dict(zip(codes, size_class(result.rates.population.sum(axis=(1, 2)))))
    f = bg.assign(horizon=bg["year"] - result.base_year, group=bg["age_group"],
                  size_class=bg["territory_code"].map(sizes))
    med_rows = (f["group"] == MEDIAN_AGE).to_numpy()
    out = pd.concat([apply_intervals(f[~med_rows], model), apply_intervals(f[med_rows], median_model)]).sort_index()
    out = out.assign(level=level)
    # a band of log errors grows without end; a median age cannot leave the ages projected
    med_rows = out["age_group"] == MEDIAN_AGE
    out.loc[med_rows, "upper"] = out.loc[med_rows, "upper"].clip(upper=float(result.open_age))
    return out[["scenario", "territory_code", "year", "horizon", "age_group", "size_class", "value", "lower",
                "upper", "level"]].reset_index(drop=True)


def stochastic_calibration(errors: pd.DataFrame, data: ProjectionData, base_year: int, level: float = 0.8,
                           model=None):
    """The :class:`~.calibration.StochasticCalibration` of a projection from ``base_year``: the shipped
    interval variant fitted on the back-test ``errors`` observable by then (the intervals of
    :func:`empirical_intervals`; ``model``: that model already fitted, :func:`shipped_model_at`)."""
    from .calibration import StochasticCalibration
    from .intervals import DEFAULT_VARIANT

    if model is None:
        model = shipped_model_at(errors, data, base_year, level)
    return StochasticCalibration(model, DEFAULT_VARIANT)


def _scenario_rates(sc: Scenario, rates: BaseRates, data: ProjectionData | None,
                    settings: EstimationSettings | None, register) -> BaseRates:
    """``rates``, or rates re-estimated with the migration window / excluded years ``sc`` sets, with
    the combination settings it sets (they act on the schedule only)."""
    overrides = sc.migration.estimation_overrides()
    if not overrides:
        schedule = sc.schedule_overrides()
        return replace(rates, settings=replace(rates.settings, **schedule)) if schedule else rates
    if data is None:
        raise ProjectionError(f"scenario {sc.name!r} sets migration.{'window' if 'migration_window' in overrides else 'excluded_years'}:"
                              " it needs the data, not pre-estimated rates")
    st = replace(settings or rates.settings, **overrides, **sc.schedule_overrides())
    return reference_rates(data, list(rates.codes), rates.base_year, st, register).subset(list(rates.codes))


#: The last year a projection runs to: the last year the store's tables accept (a later ``to_year``,
#: such as a mistyped 20500, would run for hours before anything said so).
LAST_PROJECTION_YEAR = YEAR_RANGE[1]


def check_last_year(year: int, what: str = "to_year") -> None:
    """Refuse a projection year after :data:`LAST_PROJECTION_YEAR`, before any work is done."""
    if int(year) > LAST_PROJECTION_YEAR:
        raise ProjectionError(f"{what} ({year}) is after {LAST_PROJECTION_YEAR}, the last year a projection runs to")


def project(
    territories: str | Sequence[str] | None = "all",
    base_year: int | None = None,
    to_year: int = 2050,
    scenario: "str | Scenario | Sequence[str | Scenario]" = "baseline",
    *,
    data: ProjectionData | None = None,
    data_dir: str | os.PathLike | None = None,
    settings: EstimationSettings | None = None,
    rates: BaseRates | None = None,
    stochastic: int | None = None,
    seed: int | None = None,
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
    stochastic_settings: Any = None,
    aggregates: Mapping[str, Sequence[str]] | None = None,
    national: "str | os.PathLike | pd.DataFrame | None" = None,
    national_method: str = "proportional",
    interval_errors: pd.DataFrame | None = None,
    interval_level: float = 0.8,
    reference: BaseRates | None = None,
    calibrate_stochastic: bool = False,
    interval_model: Any = None,
    median_age_model: Any = None,
) -> ProjectionResult:
    """Project the population of territories under one or more scenarios.

    Parameters
    ----------
    territories
        Names or codes in any form the register resolves, or ``"all"`` (every municipality
        with data). A group code (``G:VIZA``, ``G:county:Utenos apskritis``,
        ``G:municipalities``, user groups of ``<data-dir>/groups.yaml``) projects its members and
        adds the group as the sum of their projections (:attr:`ProjectionResult.groups`).
    base_year
        Year of the base population (1 January); default the latest year in the data. Rates
        use data up to this year only.
    to_year
        Last year of the projection (population at 1 January ``to_year``).
    scenario
        Scenario name(s) (shipped or in ``<data-dir>/scenarios``), path(s) or :class:`Scenario`.
    data
        Input frames; default loaded from the processed store of ``data_dir``.
    settings
        Estimation choices (:class:`EstimationSettings`).
    rates
        Pre-estimated base rates (skips estimation; ``territories``/``base_year`` then come from them).
    stochastic
        Number of trajectories for probabilistic quantiles (e.g. 1000); None = deterministic only.
    seed
        Seed of the random generator (stochastic mode).
    quantiles
        Probabilities of the reported quantiles.
    stochastic_settings
        :class:`~cityindicators.projection.stochastic.StochasticSettings` (scale of the variation).
    aggregates
        Stochastic mode: sums of projected territories whose quantiles to add, ``{code: member
        codes}``, e.g. ``{"G:ALL": result_codes}`` (see :func:`~cityindicators.projection.simulate`).
    national
        National control (:mod:`.control`): ``"engine"`` scales the municipalities, by sex and
        age, to the engine's own projection of the country under the same scenario; a path or
        frame (``year, sex, age, value``) to an imported national projection. The
        municipalities then add up to it; :attr:`ProjectionResult.uncontrolled` keeps the result
        before the control. Components and stochastic quantiles stay uncontrolled.
    national_method
        ``"proportional"`` (each municipality keeps its share of every sex and age) or
        ``"raking"`` (also each municipality's own projected share of the national total;
        iterative proportional fitting, see :mod:`.control`).
    interval_errors, interval_level
        Back-test errors (:func:`~cityindicators.projection.backtest.out_of_sample_errors` of the
        same data): adds :attr:`ProjectionResult.intervals` (all ages; other levels by
        :meth:`~ProjectionResult.intervals_for`) at ``interval_level``, built from the
        errors observable by the base year (:mod:`.intervals`).
    reference
        :attr:`ProjectionResult.reference` of an earlier projection of the same territories,
        data and settings (e.g. the deterministic one before a stochastic run): its rates are used
        instead of being estimated again (about half a second on the lt-osp extract), with the
        same result. Ignored with ``rates``.
    calibrate_stochastic
        With ``stochastic`` and ``interval_errors``: the stochastic band of each territory scaled,
        year by year, to the width of the empirical interval at ``interval_level`` (the shipped
        variant, from the errors observable by the base year; :mod:`.calibration`).
        :attr:`ProjectionResult.stochastic_band` says what the band is, calibrated or not.
    interval_model
        The shipped interval model of the intervals and the calibration already fitted
        (:func:`shipped_model_at` of the same back-test errors, data, base year and
        ``interval_level``): not fitted again (about a second on the lt-osp extract, the same for
        every territory; a batch of reports fits it once,
        :func:`~cityindicators.projection.build_intervals.interval_model_of_build`). With it,
        ``calibrate_stochastic`` needs no ``interval_errors`` (given, they still add the intervals).
    median_age_model
        With ``interval_errors``: the median age's interval model already fitted
        (:func:`shipped_median_age_model_at` of the same errors, data, base year and level; once
        per batch, :func:`~cityindicators.projection.build_intervals.median_age_model_of_build`).

    Returns
    -------
    ProjectionResult

    Raises
    ------
    ProjectionError, ConfigError, UnknownTerritoryError
    """
    from ..geography import get_register

    check_last_year(to_year)
    register = get_register(data_dir)
    scen_list = [scenario] if isinstance(scenario, (str, Scenario, os.PathLike)) else list(scenario)
    scens = [load_scenario(s, data_dir) for s in scen_list]
    names = [s.name for s in scens]
    if len(set(names)) != len(names):
        raise ProjectionError(f"scenario names must be distinct, got {names}")
    if rates is None:
        if data is None:
            # every territory's data, not only the requested ones: the pooled quantities (children's
            # migration shares, the in-migrant pool, the stochastic model) are estimated over all
            # municipalities, so a territory's projection does not depend on its companions
            data = ProjectionData.from_store(None, data_dir=data_dir)
        codes, groups = resolve_projection_targets(territories, data, register)
        if reference is not None:
            # the reference set a fresh estimate would have: these territories first, then the pool
            if list(reference.codes[:len(codes)]) != list(codes) or (
                    base_year is not None and int(base_year) != reference.base_year):
                raise ProjectionError(
                    f"the reference rates given (base year {reference.base_year}, territories "
                    f"{list(reference.codes[:len(codes)])}...) are not those of {codes}"
                    + (f" in {base_year}" if base_year is not None else ""))
        else:
            if base_year is None:
                pop = data.population
                base_year = int(pop.loc[pop["territory_code"].isin(codes), "year"].max())
            reference = reference_rates(data, codes, int(base_year), settings, register)
        rates = reference.subset(codes)
    else:
        groups, reference = {}, None  # pre-estimated rates: no reference set
    base_year = rates.base_year
    if int(to_year) <= base_year:
        raise ProjectionError(f"to_year ({to_year}) must be after the base year ({base_year})")
    codes = list(rates.codes)
    years = np.arange(base_year, int(to_year) + 1)
    pops, arrays, schedules = [], {}, {}
    # an added inflow given in persons is judged against each territory's size (a file's per_1000 was
    # judged when it was read), before any schedule is built
    base_totals = rates.population.sum((1, 2))
    for sc in scens:
        check_added_inflow(sc, added_inflow_per_year(sc.migration.added_inflow, base_totals), base_totals,
                           [_territory_name(register, c) for c in codes], base_year)
    # every scenario's schedule at once: their age-structure adjustments are solved together
    built = build_schedules([(_scenario_rates(sc, rates, data, settings, register), sc) for sc in scens], int(to_year))
    for sc, sch in zip(scens, built):
        arr = run_schedule(sch)
        arrays[sc.name], schedules[sc.name] = arr, sch
        pops.append(tidy_population(arr.population, codes, years, sc.name))
    uncontrolled = nat_frame = None
    if national is not None:
        if reference is None:
            raise ProjectionError("national control needs the data (not pre-estimated rates): it projects every "
                                  "municipality of the data")
        pops, uncontrolled, nat_frame = _national_control(national, data, reference, codes, scens, int(to_year),
                                                          settings, register, pops, years, national_method)
        uncontrolled = _add_groups(uncontrolled, groups, ["scenario", "year", "sex", "age"])
    population = _add_groups(pd.concat(pops, ignore_index=True), groups, ["scenario", "year", "sex", "age"])
    result = ProjectionResult(
        population=population, scenarios={s.name: s for s in scens}, base_year=base_year,
        to_year=int(to_year), open_age=rates.open_age, rates=rates, arrays=arrays, schedules=schedules,
        groups=dict(groups), uncontrolled=uncontrolled, national=nat_frame, reference=reference,
    )
    if calibrate_stochastic and not stochastic:
        raise ProjectionError("calibrate_stochastic needs stochastic trajectories (stochastic=N)")
    model = interval_model  # the interval model, fitted (once) for the intervals and the calibration
    if interval_errors is not None:
        if data is None:
            raise ProjectionError("empirical intervals need the data (for the size classes of the back-test)")
        if model is None:
            model = shipped_model_at(interval_errors, data, base_year, float(interval_level))
        result._intervals = empirical_intervals(result, interval_errors, data, float(interval_level), model=model,
                                                median_age_model=median_age_model)
    if stochastic:
        from .stochastic import simulate

        calibration = None
        if calibrate_stochastic:
            if model is None and (interval_errors is None or data is None):
                raise ProjectionError("calibrating the stochastic band needs the back-test errors (interval_errors=) "
                                      "and the data, or the fitted interval model (interval_model=)")
            calibration = stochastic_calibration(interval_errors, data, base_year, float(interval_level), model=model)
        runs = [simulate(schedules[sc.name].rates, sc, int(to_year), int(stochastic), seed=seed, quantiles=quantiles,
                         settings=stochastic_settings, aggregates={**groups, **dict(aggregates or {})},
                         reference=reference, calibration=calibration, schedule=schedules[sc.name])
                for sc in scens]
        result._quantiles = pd.concat([r.quantiles for r in runs], ignore_index=True)
        result.stochastic_band = runs[0].describe()
        if calibration is not None:
            result.stochastic_factors = pd.concat([r.factors.assign(scenario=sc.name) for r, sc in zip(runs, scens)],
                                                  ignore_index=True)
    log.info("projected %d territories %d-%d under %s", len(codes), base_year, to_year, ", ".join(names))
    return result
