"""Target seeking: the constant annual net inflow that meets a population target.

Given a territory, a scenario, an age-sex profile of the added migrants and a target for year
``T``, find the smallest constant annual added net inflow ``x`` (persons a year, from the base
year on, on top of the scenario's migration) such that

* ``population``: the population at 1 January ``T`` is at least ``N``; or
* ``working_age``: the working-age population (16 to the statutory pension age of year ``T``,
  :func:`cityindicators.indicators.working_age_weights`, fractional cohorts counted
  proportionally) is at least ``N``; or
* ``max_old_age_dependency``: the old-age dependency ratio ``P_{65+} / P_{15-64} * 100`` (as
  :func:`cityindicators.indicators.structure.old_age_dependency_ratio`) is at most ``R``.

The gap ``g(x) = metric(x) - N`` (or ``R - ratio(x)``) is evaluated by running the projection
and its root is found with Brent's method (:func:`scipy.optimize.brentq`) inside the bounds.
When ``g`` is already non-negative at the lower bound, the target is met without (more)
inflow; when it is negative at the upper bound, no inflow within the bounds meets it and the
result says so plainly (``status = "unreachable"``) instead of raising.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Mapping, NamedTuple, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from ..exceptions import ProjectionError
from .api import ProjectionResult, check_last_year, project, reference_rates, resolve_territories
from .data import ProjectionData
from .engine import EngineResult
from .base_rates import BaseRates
from .settings import EstimationSettings
from .scenarios import Scenario, load_scenario
from .schedule import ScenarioSchedule, build_schedules

__all__ = ["TargetResult", "TrajectoryInputs", "find_inflow", "unit_schedule", "unit_schedules", "project_trajectories", "TARGET_KINDS",
           "working_age_total", "old_age_dependency"]

log = logging.getLogger(__name__)

TARGET_KINDS = ("population", "working_age", "max_old_age_dependency")


def working_age_total(pop: np.ndarray, year: int) -> np.ndarray:
    """Working-age residents of ``pop[..., 2, A]`` at 1 January ``year`` (package rule of :mod:`indicators.working_age`)."""
    from ..indicators.working_age import working_age_weights

    w = working_age_weights(np.array([year]), np.arange(pop.shape[-1]))[0]  # [2, A]
    return (pop * w).sum(axis=(-2, -1))


def old_age_dependency(pop: np.ndarray) -> np.ndarray:
    """Old-age dependency ratio ``P_{65+} / P_{15-64} * 100`` of ``pop[..., 2, A]``."""
    p = pop.sum(-2)
    return p[..., 65:].sum(-1) / np.maximum(p[..., 15:65].sum(-1), 1e-9) * 100.0


class TrajectoryInputs(NamedTuple):
    """What :attr:`TargetResult.projection` projects: the territory's ``rates``, the ``scenario``
    with the inflow found and the ``data_dir`` of its scenario files."""

    rates: BaseRates
    scenario: Scenario
    data_dir: str | os.PathLike | None


@dataclass
class TargetResult:
    """Outcome of :func:`find_inflow`.

    Attributes
    ----------
    status
        ``met`` (an inflow inside the bounds meets the target exactly), ``met_at_lower_bound``
        (met already with the lower bound, usually no added inflow) or ``unreachable``.
    inflow
        Constant added net inflow in persons a year (``None`` when unreachable).
    achieved, without
        Value of the target metric in ``year`` with that inflow and with none.
    at_upper_bound
        The metric with the largest inflow allowed (shows how far an unreachable target is).
    projection
        The trajectory with the inflow found (with the upper bound when unreachable), projected
        on first use (a property) from :attr:`trajectory_inputs`: a report draws it only where an
        inflow meets the target, a plan's outlook never, and it is a projection with its own
        schedule, about as costly as the search.
    """

    territory_code: str
    kind: str
    year: int
    target: float
    status: str
    inflow: float | None
    achieved: float
    without: float
    at_upper_bound: float
    bounds: tuple[float, float]
    profile: str
    scenario: str
    message: str
    #: What :attr:`projection` projects (:func:`project_trajectories` projects several together).
    trajectory_inputs: TrajectoryInputs = field(repr=False, compare=False)
    _projection: ProjectionResult | None = field(default=None, repr=False, compare=False)

    @property
    def projection(self) -> ProjectionResult:
        """The trajectory with the inflow found (see the class's docstring)."""
        if self._projection is None:
            self._projection = self.project_trajectory()
        return self._projection

    def project_trajectory(self) -> ProjectionResult:
        """The trajectory of :attr:`trajectory_inputs` projected alone (a new projection at every call)."""
        rates, scenario, data_dir = self.trajectory_inputs
        return project(rates=rates, to_year=self.year, scenario=scenario, data_dir=data_dir)

    def to_frame(self) -> pd.DataFrame:
        """One-row summary frame (for reports)."""
        return pd.DataFrame([{k: getattr(self, k) for k in (
            "territory_code", "kind", "year", "target", "status", "inflow", "achieved", "without",
            "at_upper_bound", "profile", "scenario", "message")}])


def check_target_year(year: int, base_year: int) -> None:
    """Refuse a target year that is not after the projection's base year."""
    if int(year) <= int(base_year):
        raise ProjectionError(f"target year {year} must be after the base year {base_year}")


def unit_schedule(rates: BaseRates, scenario: Scenario, profile: str | Mapping[str, float], year: int) -> ScenarioSchedule:
    """The schedule :func:`find_inflow` searches on: ``scenario`` with an added inflow of one
    person a year of ``profile`` (replacing its own) to ``year``, for the one territory of
    ``rates``; the search scales its added inflow."""
    return unit_schedules(rates, [scenario], profile, year)[0]


def unit_schedules(rates: BaseRates, scenarios: Sequence[Scenario], profile: str | Mapping[str, float],
                   year: int) -> list[ScenarioSchedule]:
    """:func:`unit_schedule` of every scenario, built together (:func:`~.schedule.build_schedules`:
    their age-structure adjustments solved at once); each is the one built alone."""
    check_target_year(year, rates.base_year)  # (a year before it built arrays of negative length)
    return build_schedules([(rates, sc.with_added_inflow(1.0, profile)) for sc in scenarios], int(year))


def project_trajectories(results: Sequence["TargetResult"]) -> None:
    """Project the :attr:`~TargetResult.projection` of every result that has none yet, those of the
    same rates (one object), target year and data directory in one :func:`~.api.project` of their
    scenarios (their age-structure adjustments solved together): a report shows the trajectory of
    every scenario whose target an inflow meets. Each is the projection it would have alone."""
    groups: dict[tuple, list[list[TargetResult]]] = {}
    for r in results:
        if r._projection is not None:
            continue
        rates, sc, data_dir = r.trajectory_inputs
        chunks = groups.setdefault((id(rates), r.year, str(data_dir)), [])
        # one projection's scenarios have distinct names: a second target of one scenario goes in another
        free = next((c for c in chunks if sc.name not in {x.trajectory_inputs.scenario.name for x in c}), None)
        if free is None:
            chunks.append([r])
        else:
            free.append(r)
    for chunks in groups.values():
        for chunk in chunks:
            rates, _, data_dir = chunk[0].trajectory_inputs
            together = project(rates=rates, to_year=chunk[0].year,
                               scenario=[r.trajectory_inputs.scenario for r in chunk], data_dir=data_dir)
            for r in chunk:
                r._projection = _one_scenario(together, r.trajectory_inputs.scenario.name)


def _one_scenario(result: ProjectionResult, name: str) -> ProjectionResult:
    """The projection of scenario ``name`` alone out of ``result`` (a projection of pre-estimated rates:
    no groups, national control or stochastic part), as :func:`~.api.project` of that scenario gives it."""
    # the frame is the scenarios' tidy frames one after another, each as many rows as its array has cells:
    # the scenario's block taken by position (a comparison of the string column costs more than the rest)
    sizes = [a.population.size for a in result.arrays.values()]
    start = sum(sizes[:list(result.arrays).index(name)])
    return ProjectionResult(
        population=result.population.iloc[start:start + result.arrays[name].population.size].reset_index(drop=True),
        scenarios={name: result.scenarios[name]}, base_year=result.base_year, to_year=result.to_year,
        open_age=result.open_age, rates=result.rates, arrays={name: result.arrays[name]},
        schedules={name: result.schedules[name]})


def _metric(kind: str, pop: np.ndarray, year: int) -> float:
    if kind == "population":
        return float(pop.sum())
    if kind == "working_age":
        return float(working_age_total(pop, year))
    return float(old_age_dependency(pop))


def find_inflow(
    territory: str,
    base_year: int | None = None,
    year: int = 2040,
    *,
    population: float | None = None,
    working_age: float | None = None,
    max_old_age_dependency: float | None = None,
    profile: str | Mapping[str, float] = "young_families",
    scenario: str | Scenario = "baseline",
    bounds: tuple[float | None, float | None] | None = None,
    data: ProjectionData | None = None,
    data_dir: str | os.PathLike | None = None,
    settings: EstimationSettings | None = None,
    rates: BaseRates | None = None,
    xtol: float = 0.5,
    schedule: ScenarioSchedule | None = None,
) -> TargetResult:
    """Find the constant annual net inflow with ``profile`` that meets one target in ``year``.

    Parameters
    ----------
    territory
        One territory (name or code).
    base_year, year
        Base year of the projection and the target year.
    population, working_age, max_old_age_dependency
        Exactly one target: at least ``N`` residents, at least ``N`` working-age residents, or an
        old-age dependency ratio (per 100) of at most ``R``.
    profile
        Age-sex profile of the added migrants (:data:`~cityindicators.projection.scenarios.PROFILES`
        name, ``own``, or a mapping of age bands to shares).
    scenario
        The scenario the inflow is added to (its own added inflow is replaced).
    bounds
        Inflow search range in persons a year; default ``(0, 10 % of the base population)``, and
        a bound given as ``None`` takes its default.
    xtol
        Tolerance of the root in persons a year.
    schedule
        The search's schedule when the caller has it from :func:`unit_schedule` (``rates``,
        ``scenario``, ``profile`` and ``year`` the same): a report seeks several targets of one
        scenario and year, and the schedule (with its age-structure adjustment) is the costly
        part of the set-up. It is not changed.

    Returns
    -------
    TargetResult
    """
    given = {k: v for k, v in (("population", population), ("working_age", working_age),
                               ("max_old_age_dependency", max_old_age_dependency)) if v is not None}
    if len(given) != 1:
        raise ProjectionError(f"give exactly one target of {', '.join(TARGET_KINDS)}; got {sorted(given) or 'none'}")
    kind, target = next(iter(given.items()))
    target = float(target)
    if not np.isfinite(target) or target <= 0:  # (a negative population was "met" at no inflow)
        raise ProjectionError(f"the {kind} target must be a positive number, got {target:g}")
    check_last_year(year, "target year")
    from ..geography import get_register

    register = get_register(data_dir)
    if str(territory).strip().startswith("G:"):
        raise ProjectionError(f"target seeking works on one territory, not on the group {territory!r}: "
                              "give a municipality (or a county or the country with data of its own)")
    sc = load_scenario(scenario, data_dir)
    if rates is None:
        if data is None:
            data = ProjectionData.from_store(None, data_dir=data_dir)  # all of it: see project()
        codes = resolve_territories([territory], data, register)
        if base_year is None:
            pop = data.population
            base_year = int(pop.loc[pop["territory_code"].isin(codes), "year"].max())
        rates = reference_rates(data, codes, int(base_year), settings, register).subset(codes)
    else:
        code = register.resolve(territory).code
        # (the rates of that territory alone kept as they are: the trajectories of several searches on
        # them are then projected together, project_trajectories)
        rates = rates if list(rates.codes) == [code] else rates.subset([code])
    code = rates.codes[0]
    who = f"{register.get(code).name_lt} ({code})"  # the messages name the territory as the CLI tables do
    Y = rates.base_year
    check_target_year(year, Y)
    P0 = float(rates.population.sum())
    lo, hi = bounds if bounds is not None else (None, None)
    # a bound left out (None) takes its default: a lower bound alone was ignored with the upper one's default
    lo, hi = 0.0 if lo is None else float(lo), 0.10 * P0 if hi is None else float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)):  # a NaN bound made every comparison false: "met at no inflow"
        raise ProjectionError(f"inflow bounds must be finite numbers of persons a year, got {(lo, hi)}")
    if lo >= hi:
        raise ProjectionError(f"inflow bounds must be increasing, got ({lo:g}, {hi:g})"
                              + (" (the upper bound's default is 10 % of the base population)" if bounds is None
                                 or bounds[1] is None else ""))
    if schedule is None:
        schedule = unit_schedule(rates, sc, profile, int(year))
    elif list(schedule.rates.codes) != [code] or schedule.rates.base_year != Y or len(schedule.years) != int(year) - Y:
        raise ProjectionError(f"the schedule given is not of {code} from {Y} to {year}")
    sch = schedule
    base_added = sch.added  # 1 person a year from the start year on
    h = int(year) - Y

    from .engine import cohort_component

    def run(x: float) -> EngineResult:
        S, Sb, asfr, male, rate, count = sch.engine_inputs(sch.tfr, sch.e0, sch.mig_shift, base_added * x)
        return cohort_component(rates.population, S, Sb, asfr, male, rate, count)

    metrics: dict[float, float] = {}

    def metric(x: float) -> float:
        """The metric in the target year with ``x`` a year; each inflow projected once (the
        search, the figure without inflow and the one at the bound ask for some twice)."""
        if x not in metrics:
            metrics[x] = _metric(kind, run(x).population[h, 0], int(year))
        return metrics[x]

    def gap(x: float) -> float:
        m = metric(x)
        return (target - m) if kind == "max_old_age_dependency" else (m - target)

    g_lo, g_hi = gap(lo), gap(hi)
    without = metric(0.0)
    at_hi = metric(hi)
    prof_name = profile if isinstance(profile, str) else ", ".join(f"{k}: {v:g}" for k, v in profile.items())
    what = {"population": f"population of at least {target:,.0f}",
            "working_age": f"working-age population of at least {target:,.0f}",
            "max_old_age_dependency": f"old-age dependency ratio of at most {target:g} per 100"}[kind]
    if g_lo >= 0:
        status, x = "met_at_lower_bound", lo
        msg = (f"{who}: the {what} in {year} is met with an added inflow of {lo:,.0f} a year "
               f"(the lower bound); value {metric(lo):,.1f}")
    elif g_hi < 0:
        status, x = "unreachable", None
        msg = (f"{who}: no constant added inflow between {lo:,.0f} and {hi:,.0f} persons a year "
               f"({prof_name}) reaches a {what} in {year}; the largest allowed inflow gives {at_hi:,.1f}")
    else:
        x = float(brentq(gap, lo, hi, xtol=xtol))
        status = "met"
        msg = (f"{who}: a constant added net inflow of {x:,.0f} persons a year ({prof_name}) from {Y} "
               f"gives a {what} in {year}")
    log.info(msg)
    final_sc = sc.with_added_inflow(x if x is not None else hi, profile)
    achieved = metric(x if x is not None else hi)
    return TargetResult(
        territory_code=code, kind=kind, year=int(year), target=target, status=status, inflow=x,
        achieved=achieved, without=without, at_upper_bound=at_hi, bounds=(float(lo), float(hi)),
        profile=prof_name, scenario=sc.name, message=msg,
        trajectory_inputs=TrajectoryInputs(rates, final_sc, data_dir),
    )
