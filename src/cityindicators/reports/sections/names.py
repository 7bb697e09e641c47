"""Display names and units of catalogue indicators."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ...exceptions import CityIndicatorsError

#: Catalogue units a report shows in another scale, with the factor: a published fraction of the
#: population (the cross-section's net migration, -0.030) is shown per 1,000 residents as the
#: report's own rates are (-30.0 ‰), with one decimal, beside the computed net migration rate.
SHOWN_AS: dict[str, tuple[str, float]] = {"fraction of population": ("per 1000", 1000.0)}

#: Catalogue units whose values a report shows as whole numbers (counts of persons, euros); every
#: other unit (rates, shares, ages, coefficients) takes one decimal.
WHOLE_UNITS = ("persons", "EUR")


def shown_unit(unit: str) -> str:
    """The catalogue unit ``unit`` as a report shows it (:data:`SHOWN_AS`; most are shown as they are)."""
    return SHOWN_AS.get(unit, (unit, 1.0))[0]


def shown_values(values, units) -> np.ndarray:
    """``values`` (one per row) in the units a report shows (:func:`shown_unit`), ``units`` being
    each row's catalogue unit."""
    factor = np.array([SHOWN_AS.get(str(u), ("", 1.0))[1] for u in units], dtype=float)
    values = np.asarray(values, dtype=float)
    # rescaled to as many places as the published figure had (-0.03 x 1000 is -30.000000000000004)
    return np.where(factor == 1.0, values, np.round(values * factor, 9))


def shown_decimals(units) -> np.ndarray:
    """Decimals of each row's value as a report shows it: 0 for :data:`WHOLE_UNITS`, else 1."""
    return np.array([0 if shown_unit(str(u)) in WHOLE_UNITS else 1 for u in units], dtype=int)


def _catalogue_names(ids: Iterable[str], lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """Names and units of catalogue indicators in ``lang`` (the catalogue's units: the tables that
    rescale a unit, :func:`shown_unit`, label their rows themselves)."""
    from ...indicators.catalogue import get_indicator

    labels, units = {}, {}
    for i in ids:
        try:
            ind = get_indicator(i)
            labels[i], units[i] = ind.name(lang), _unit(ind.unit, lang)
        except CityIndicatorsError:
            labels[i], units[i] = i, ""
    return labels, units


def _unit(unit: str, lang: str) -> str:
    from ...indicators.catalogue import unit_label

    return unit_label(unit, lang)

