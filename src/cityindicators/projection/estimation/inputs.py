"""Stage 1 of the estimation: the arrays every later stage reads, and the split of the base population.

:func:`read_inputs` turns the tidy frames into the single-age population ``[T, Yh, 2, k+1]``
up to the base year, the births and deaths by event year and the mid-year exposure
``E_y = (P_y + P_{y+1}) / 2``. :func:`split_base_population` splits the data's open age group
of the base population into single ages up to the projection's open age (it needs the
mortality stage's schedule, so it runs after it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ...exceptions import ProjectionError
from ..agegroups import FEMALE
from ..data import ProjectionData
from ..openage import split_open_age
from ..settings import EstimationSettings
from .common import population_array, series

__all__ = ["EstimationInputs", "BasePopulation", "read_inputs", "split_base_population"]


@dataclass(frozen=True)
class EstimationInputs:
    """The data of the estimation as arrays over territories ``codes`` (in that order).

    Attributes
    ----------
    codes, base_year
        Territories and the base year ``Y``.
    years, year_index
        Years of population (1 January) up to ``Y`` and ``{year: position}`` in them.
    population
        Single-age population ``[T, Yh, 2, k+1]`` (``NaN`` where a year is missing).
    data_open_age
        ``k``, the data's open age group (85 = 85+).
    event_years
        Calendar years of events ``years[0] .. Y - 1``.
    births_total, births_male, births_female, deaths_total, deaths_infant
        Events ``[T, y]`` by event year (``NaN`` = not published); ``births_total`` falls back on
        male + female.
    exposure
        Mid-year population ``[T, y, 2, k+1]`` of each event year with both populations, else NaN.
    country_code
        The register's country (the reference of the sex ratio at birth), None without one.
    """

    codes: tuple[str, ...]
    base_year: int
    years: np.ndarray
    year_index: dict[int, int]
    population: np.ndarray
    data_open_age: int
    event_years: list[int]
    births_total: np.ndarray
    births_male: np.ndarray
    births_female: np.ndarray
    deaths_total: np.ndarray
    deaths_infant: np.ndarray
    exposure: np.ndarray
    country_code: str | None


def read_inputs(data: ProjectionData, codes: Sequence[str], Y: int, st: EstimationSettings,
                register) -> EstimationInputs:
    """The arrays of the estimation for ``codes`` from data up to base year ``Y``.

    Raises
    ------
    ProjectionError
        A territory without single-age population, no population at 1 January ``Y``, ages or
        sexes missing in it, or a data open age above the projection's.
    """
    codes = tuple(codes)
    omega = st.open_age
    pop = data.population
    own = pop[pop["territory_code"].astype(str).isin(codes)]
    pop = own[own["year"].astype(int) <= Y]
    if pop.empty and not own.empty:  # a base year before the data: say so, not that the frame is empty
        years = own["year"].astype(int)
        raise ProjectionError(f"no population at 1 January {Y} (years available: {years.min()}-{years.max()})")
    pa = population_array(pop)
    missing = [c for c in codes if c not in pa.codes]
    if missing:
        raise ProjectionError(f"no single-age population for territory code(s) {missing} up to {Y}")
    if Y not in pa.years:
        raise ProjectionError(f"no population at 1 January {Y} (years available: {pa.years[0]}-{pa.years[-1]})")
    order = [pa.codes.index(c) for c in codes]
    years = np.array(pa.years)
    P = pa.values[order]  # [T, Yh, 2, k+1]
    k = pa.open_age
    if k > omega:
        raise ProjectionError(f"data open age {k}+ is above the projection open age {omega}+")
    if np.isnan(P[:, years == Y]).any():
        bad = [codes[i] for i in np.where(np.isnan(P[:, years == Y]).any(axis=(1, 2, 3)))[0]]
        raise ProjectionError(f"base population {Y} has missing ages/sexes for {bad}")
    T = len(codes)

    ev_years = list(range(int(years[0]), Y))
    B_tot = series(data.total("births"), codes, ev_years)  # published, else boys + girls
    B_m = series(data.births, codes, ev_years, "male")
    B_f = series(data.births, codes, ev_years, "female")
    D_tot = series(data.total("deaths_total"), codes, ev_years)
    D_inf = series(data.total("deaths"), codes, ev_years, age=0)
    # mid-year exposure [T, y, 2, k+1] for event years with both populations
    yi = {int(y): i for i, y in enumerate(years)}
    E = np.full((T, len(ev_years), 2, k + 1), np.nan)
    for j, y in enumerate(ev_years):
        if y in yi and y + 1 in yi:
            E[:, j] = 0.5 * (P[:, yi[y]] + P[:, yi[y + 1]])

    country_code = None
    try:
        country_code = register.country(synthetic=codes[0].startswith("X")).code
    except Exception:  # pragma: no cover
        pass
    return EstimationInputs(
        codes=codes, base_year=Y, years=years, year_index=yi, population=P, data_open_age=k, event_years=ev_years,
        births_total=B_tot, births_male=B_m, births_female=B_f, deaths_total=D_tot, deaths_infant=D_inf,
        exposure=E, country_code=country_code,
    )


@dataclass(frozen=True)
class BasePopulation:
    """The base population ``[T, 2, omega+1]`` with the open group split, and its record of methods."""

    population: np.ndarray
    notes: dict[str, dict[str, object]]


def split_base_population(inp: EstimationInputs, m: np.ndarray, st: EstimationSettings) -> BasePopulation:
    """Split the data's open group ``k+`` of the base population into ages ``k..omega``.

    Stable-population split: the person-years ``L_x`` of the schedule ``m`` ``[T, 2, omega+1]``
    discounted by the open group's own annual growth ``r`` over the last
    ``open_age_growth_years`` (``exp(-r (x - k))``, Preston, Heuveline & Guillot 2001, ch. 7;
    ``r`` bounded to +-0.1); ``r = 0`` (``open_age_split='stationary'``, or no earlier year) is
    the stationary split.
    """
    P, yi, k, Y, codes = inp.population, inp.year_index, inp.data_open_age, inp.base_year, inp.codes
    r_open = None
    y0 = min((y for y in yi if Y - st.open_age_growth_years <= y <= Y), default=Y)
    if st.open_age_split == "stable" and y0 < Y:
        now, then = P[:, yi[Y], :, k], P[:, yi[y0], :, k]
        ok = np.isfinite(then) & (then > 0) & (now > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r_open = np.where(ok, np.clip(np.log(now / np.where(ok, then, 1.0)) / (Y - y0), -0.1, 0.1), 0.0)
    P0 = split_open_age(P[:, yi[Y]], m, FEMALE[None, :], growth=r_open)
    notes: dict[str, dict[str, object]] = {c: {} for c in codes}
    for i, c in enumerate(codes):
        notes[c]["open_age"] = (f"{k}+ split by the stable population, growth of {k}+ {y0}-{Y}"
                                if r_open is not None else f"{k}+ split by the stationary population (growth 0)")
        notes[c]["open_age_growth"] = tuple(float(v) for v in (r_open[i] if r_open is not None else (0.0, 0.0)))
    return BasePopulation(population=P0, notes=notes)
