"""Vital events: births, deaths, natural change and their rates.

Events are those of calendar year t; rates relate them to the average population of year t,
the mean of the populations at 1 January t and 1 January t+1 (Eurostat convention), per 1,000.
A rate is missing when either population is missing (e.g. the last year of the population
series) or the denominator is zero. Definitions: Eurostat *demo_gind*, *demo_frate*; the
child-woman ratio after Shryock & Siegel, *Methods and Materials of Demography*.
"""

from __future__ import annotations

import numpy as np

from ._counts import FEMALE, TOTAL, Counts, average_population, next_year, ratio

__all__ = ["FUNCTIONS", "average_population_of"]


def average_population_of(c: Counts) -> np.ndarray:
    """Average population of year t ``[territory, year]``: (P(1 Jan t) + P(1 Jan t+1)) / 2."""
    return average_population(c.pop_all[:, :, TOTAL])


def births(c: Counts) -> np.ndarray:
    return c.births[:, :, TOTAL].copy()


def deaths(c: Counts) -> np.ndarray:
    return c.deaths[:, :, TOTAL].copy()


def infant_deaths(c: Counts) -> np.ndarray:
    return c.infant_deaths[:, :, TOTAL].copy()


def natural_change(c: Counts) -> np.ndarray:
    return births(c) - deaths(c)


def crude_birth_rate(c: Counts) -> np.ndarray:
    return ratio(births(c), average_population_of(c), 1000.0)


def crude_death_rate(c: Counts) -> np.ndarray:
    return ratio(deaths(c), average_population_of(c), 1000.0)


def crude_natural_change_rate(c: Counts) -> np.ndarray:
    return ratio(natural_change(c), average_population_of(c), 1000.0)


def general_fertility_rate(c: Counts) -> np.ndarray:
    women = c.age_sum(15, 49, FEMALE)
    return ratio(births(c), (women + next_year(women)) / 2.0, 1000.0)


def child_woman_ratio(c: Counts) -> np.ndarray:
    return ratio(c.age_sum(0, 4), c.age_sum(15, 49, FEMALE), 1000.0)


def infant_mortality_rate(c: Counts) -> np.ndarray:
    return ratio(infant_deaths(c), births(c), 1000.0)


#: indicator id -> function(Counts) -> [territory, year]
FUNCTIONS = {
    f.__name__: f
    for f in (births, deaths, infant_deaths, natural_change, crude_birth_rate, crude_death_rate,
              crude_natural_change_rate, general_fertility_rate, child_woman_ratio, infant_mortality_rate)
}
