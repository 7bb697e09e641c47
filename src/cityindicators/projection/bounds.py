"""Documented limits of projection assumptions: the life-expectancy ceiling and plausible ranges.

Life expectancy
    Gains slow as life expectancy rises and stop at a ceiling ``C`` (by sex). A scenario's
    annual gain ``g`` (fixed, or the bounded trend of the history) is the gain of the first
    projection year; after that the gain is proportional to the remaining distance to the ceiling,

    .. math::  e_{j+1} = e_j + g \\frac{C - e_j}{C - e_0}
               \\quad\\Longleftrightarrow\\quad
               C - e_j = (C - e_0) \\left(1 - \\frac{g}{C - e_0}\\right)^j ,

    so the gap closes geometrically: a territory far below the ceiling keeps most of its gain for
    decades, one close to it gains little. The ceiling, :data:`E0_CEILING` = 82 years for men and
    87 for women, lies a little above the highest national life expectancy at birth in Europe in
    2017 (Eurostat, *Life expectancy by age and sex*, table ``demo_mlexpec``: women 86.1 in Spain,
    men 81.6 in Switzerland, 80.6-80.9 in Spain, Italy and Sweden), the best levels observed
    when the data of this tool end. A territory already at or above its ceiling keeps its level;
    a negative gain (a scenario of worsening mortality) is not limited by the ceiling.
    ``mortality.e0_ceiling`` of a scenario overrides the ceiling.

Fertility trend
    A ``trend`` of the TFR is the damped continuation of its recent slope ``s``, limited in two
    ways so that it cannot run for decades (:func:`tfr_path`):

    .. math::  T_j = \\operatorname{clip}\\Big((1 - \\lambda_j)\\big(T_0 + \\operatorname{clip}(s \\textstyle\\sum_{i=1}^{j} d^i,
               -M, M)\\big) + \\lambda_j L,\\ \\text{lower},\\ \\text{upper}\\Big),
               \\qquad \\lambda_j = \\min(j / N, 1),

    the change the trend adds is at most :data:`TFR_TREND_MAX_CHANGE` ``M`` = 0.3 children per
    woman either way over the whole projection (Lithuania's own TFR, estimated as this tool does,
    rose by about 0.4 in its fastest ten years of the data, 2005-2015, a recovery from a record
    low; a municipality's ten-year slope of a few hundred births a year is noisier than the
    country's, not more informative), and with
    ``convergence_years: N`` the path moves linearly to the long-run level ``L`` in ``N`` years
    and stays there. ``L`` is the TFR of all municipalities of the data together over the
    fertility window (the country's level at the origin, estimated like each territory's own).
    Eurostat's EUROPOP2008 convergence scenario lets every country's fertility converge to the
    level of the "forerunner" countries by one convergence year (2150; Eurostat's metadata of
    proj_08c); a municipality's TFR pulled towards the country's by a stated year has that form.

    The bounds ``lower``/``upper`` (the scenario's, 1.0-2.1 shipped) apply to every year, from
    the first, unless the scenario sets ``bounds_entry_years: K``. Then a base TFR outside them
    starts from its observed level and the bound it lies beyond moves linearly to the scenario's
    in ``K`` years, the same form as the long-run convergence:

    .. math::  \\text{upper}_j = \\text{upper} + (1 - \\mu_j) \\max(T_0 - \\text{upper}, 0), \\quad
               \\text{lower}_j = \\text{lower} - (1 - \\mu_j) \\max(\\text{lower} - T_0, 0), \\quad
               \\mu_j = \\min(j / K, 1),

    and ``T_j`` is clipped to ``[lower_j, upper_j]``. So the first projected year's births follow the
    observed TFR instead of falling abruptly to the bound (with a base TFR of 2.4 and an upper bound of
    2.1 the first year's births are 2.4 / 2.1 times those the bound would give), and plausibility
    still holds: the scenario's range holds from year ``K`` on, and a base TFR within the range is
    bounded exactly as without the option (its bounds never widen).

Plausible ranges of a scenario (:data:`PLAUSIBLE`)
    A user scenario with a value outside these ranges is refused with an error naming the key,
    unless it sets ``allow_implausible: true``. They are wide: they exclude only what no European
    population has sustained, not what is unlikely.

    * TFR (``fertility.path`` values, ``fertility.bounds``): 0.9-2.5 children per woman. No
      European country has had a TFR below about 1.1 for long or above 2.1 since the 1990s;
      municipalities vary more than countries, hence the margins.
    * Largest change of a TFR trend (``fertility.max_change``): 0-1 children per woman.
    * Years in which a base TFR outside the bounds moves into them (``fertility.bounds_entry_years``):
      1-20, so that the range holds over most of a projection to 2050 from the data's last years.
    * Annual gain of life expectancy (``mortality.e0_gain_per_year``, ``mortality.bounds``):
      -0.1 to 0.5 years a year. Record (best-practice) life expectancy has risen by about 0.25
      years a year for 160 years (Oeppen & Vaupel 2002, *Science* 296); catching-up countries
      gain more for a while, rarely above 0.5 for decades.
    * Ceiling of life expectancy (``mortality.e0_ceiling``): 75-90 men, 80-95 women.
    * Migration scalings (``migration.level``, ``outflow_scale``, ``inflow_scale``, the values of
      ``migration.path``): 0-3.
    * Crude net migration rate of a trend (``migration.bounds``): -50 to +50 per 1,000 a year.
    * Added inflow (``migration.added_inflow.per_1000``): -30 to +30 per 1,000 residents a year,
      a tenth of the population every three years at the limit. An inflow given in ``persons``
      is judged by the same range once the territory's base population is known
      (:func:`check_added_inflow`): -50,000 persons a year is a policy for a city, not for a town
      of 18,000, whose age groups it would empty in months.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..exceptions import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from .scenarios import Scenario

__all__ = ["E0_CEILING", "TFR_TREND_MAX_CHANGE", "PLAUSIBLE", "e0_path", "tfr_path", "check_plausible",
           "implausible_values", "check_added_inflow"]

#: Ceiling of life expectancy at birth (male, female), years; see the module docstring.
E0_CEILING: tuple[float, float] = (82.0, 87.0)

#: Largest total change (children per woman, either way) a damped TFR trend may add; see the module docstring.
TFR_TREND_MAX_CHANGE = 0.3

#: Plausible range of each scenario value: key -> (lower, upper, what it is).
PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "fertility.tfr": (0.9, 2.5, "children per woman"),
    "fertility.max_change": (0.0, 1.0, "children per woman"),
    "fertility.bounds_entry_years": (1.0, 20.0, "years"),
    "mortality.gain": (-0.1, 0.5, "years of life expectancy a year"),
    "mortality.e0_ceiling.male": (75.0, 90.0, "years"),
    "mortality.e0_ceiling.female": (80.0, 95.0, "years"),
    "migration.scale": (0.0, 3.0, "times the estimated flows"),
    "migration.rate": (-0.05, 0.05, "crude net migration rate per person a year"),
    "migration.per_1000": (-30.0, 30.0, "persons per 1,000 residents a year"),
}


def e0_path(e0: np.ndarray, gain: np.ndarray, n: int, ceiling: tuple[float, float] = E0_CEILING) -> np.ndarray:
    """Life expectancy ``[n, ..., 2]`` for projection years ``j = 0..n-1`` from ``e0[..., 2]`` with
    first-year gains ``gain[..., 2]``, slowing towards ``ceiling`` (male, female); see the module docstring."""
    import numpy as np  # here, not at the top: scenario files are read without numpy (CLI start)

    e0 = np.asarray(e0, dtype=float)
    gain = np.broadcast_to(np.asarray(gain, dtype=float), e0.shape)
    c = np.broadcast_to(np.asarray(ceiling, dtype=float), e0.shape)
    j = np.arange(n, dtype=float).reshape((n,) + (1,) * e0.ndim)
    gap0 = c - e0
    # positive gains below the ceiling: the gap shrinks by the factor (1 - g / gap0) a year
    factor = np.clip(1.0 - gain / np.where(gap0 > 0, gap0, 1.0), 0.0, 1.0)
    towards = c - gap0 * factor ** j
    linear = e0 + gain * j  # negative gains (worsening mortality) are linear
    up = (gain > 0) & (gap0 > 0)
    return np.where(up, towards, np.where(gain > 0, e0, linear))


def tfr_path(tfr0: np.ndarray, slope: np.ndarray, damping: float, n: int, bounds: tuple[float, float],
             max_change: float = TFR_TREND_MAX_CHANGE, longrun: np.ndarray | None = None,
             convergence_years: int | None = None, entry_years: int | None = None) -> np.ndarray:
    """TFR ``[n, ...]`` of projection years ``j = 0..n-1`` of a damped, bounded trend from ``tfr0[...]``
    with slope ``slope[...]`` (per year), converging to ``longrun[...]`` in ``convergence_years`` when
    both are given, within ``bounds`` from the first year, or, with ``entry_years``, within bounds that
    move from a base outside them to ``bounds`` in that many years; see "Fertility trend" in the module
    docstring."""
    import numpy as np

    tfr0 = np.asarray(tfr0, dtype=float)
    j = np.arange(n, dtype=float).reshape((n,) + (1,) * tfr0.ndim)
    d = float(damping)
    cum = d * (1 - d**j) / (1 - d) if d != 1.0 else j  # sum_{i=1..j} d^i
    path = tfr0 + np.clip(np.nan_to_num(slope) * cum, -max_change, max_change)
    if longrun is not None and convergence_years:
        lam = np.minimum(j / float(convergence_years), 1.0)
        path = (1.0 - lam) * path + lam * np.asarray(longrun, dtype=float)
    lower, upper = (float(b) for b in bounds)
    if not entry_years:
        return np.clip(path, lower, upper)
    # the bound a base TFR lies beyond starts at that TFR and reaches the scenario's in entry_years
    left = 1.0 - np.minimum(j / float(entry_years), 1.0)
    return np.clip(path, lower - left * np.maximum(lower - tfr0, 0.0), upper + left * np.maximum(tfr0 - upper, 0.0))


def implausible_values(sc: "Scenario") -> list[tuple[str, float, tuple[float, float, str]]]:
    """``(key, value, (lower, upper, unit))`` of every value of ``sc`` outside :data:`PLAUSIBLE`."""
    out = []

    def check(key: str, value: float, kind: str) -> None:
        lo, hi, _ = PLAUSIBLE[kind]
        if not lo <= float(value) <= hi:
            out.append((key, float(value), PLAUSIBLE[kind]))

    # every value, whatever the mode: a file's value its mode does not use is refused before this
    # (scenarios.MODE_KEYS), but a Scenario built in code may hold one
    f, mo, mi = sc.fertility, sc.mortality, sc.migration
    for y, v in f.path:
        check(f"fertility.path.{y}", v, "fertility.tfr")
    for v in f.bounds:
        check("fertility.bounds", v, "fertility.tfr")
    check("fertility.max_change", f.max_change, "fertility.max_change")
    if f.bounds_entry_years is not None:
        check("fertility.bounds_entry_years", f.bounds_entry_years, "fertility.bounds_entry_years")
    check("mortality.e0_gain_per_year", mo.e0_gain_per_year, "mortality.gain")
    for v in mo.bounds:
        check("mortality.bounds", v, "mortality.gain")
    for v, sex in zip(mo.e0_ceiling, ("male", "female")):
        check("mortality.e0_ceiling", v, f"mortality.e0_ceiling.{sex}")
    for name in ("level", "outflow_scale", "inflow_scale"):
        check(f"migration.{name}", getattr(mi, name), "migration.scale")
    for y, v in getattr(mi, "path", ()):  # a scaling of net migration by year
        check(f"migration.path.{y}", v, "migration.scale")
    for v in mi.bounds:
        check("migration.bounds", v, "migration.rate")
    check("migration.added_inflow.per_1000", mi.added_inflow.per_1000, "migration.per_1000")
    return out


def check_plausible(sc: "Scenario", source: str = "scenario") -> None:
    """Raise :class:`ConfigError` naming the first implausible key of ``sc`` unless it allows them."""
    if sc.allow_implausible:
        return
    bad = implausible_values(sc)
    if bad:
        key, value, (lo, hi, unit) = bad[0]
        raise ConfigError(f"{source}: key {key!r}: value {value:g} is outside the plausible range {lo:g} to {hi:g} "
                          f"({unit}); set 'allow_implausible: true' in the scenario to use it anyway")


def check_added_inflow(sc: "Scenario", per_year, population, names, base_year: int) -> None:
    """Raise :class:`ConfigError` when the added inflow of ``sc`` (``per_year[T]`` persons a year, its
    ``persons`` and ``per_1000`` together) is outside the plausible range of
    ``migration.added_inflow.per_1000`` for a territory (named in ``names[T]``) of base population
    ``population[T]``, unless the scenario allows implausible values. The key named is the
    scenario's ``persons`` (a ``per_1000`` alone was judged when the file was read)."""
    import numpy as np

    if sc.allow_implausible or not sc.migration.added_inflow.persons:
        return
    lo, hi, unit = PLAUSIBLE["migration.per_1000"]
    pop = np.asarray(population, dtype=float)
    rate = np.asarray(per_year, dtype=float) * 1000.0 / np.where(pop > 0, pop, np.nan)
    bad = np.flatnonzero(np.isfinite(rate) & ((rate < lo) | (rate > hi)))
    if bad.size:
        i = int(bad[0])
        raise ConfigError(
            f"{sc.source or sc.name}: key 'migration.added_inflow.persons': {sc.migration.added_inflow.persons:,.0f} "
            f"persons a year is {rate[i]:,.1f} per 1,000 residents of {names[i]} in {base_year} "
            f"({pop[i]:,.0f} residents), outside the plausible range {lo:g} to {hi:g} ({unit}); set "
            "'allow_implausible: true' in the scenario to use it anyway")
