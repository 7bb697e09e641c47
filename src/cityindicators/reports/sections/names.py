"""Display names and units of catalogue indicators."""

from __future__ import annotations

from typing import Iterable

from ...exceptions import CityIndicatorsError


def _catalogue_names(ids: Iterable[str], lang: str) -> tuple[dict[str, str], dict[str, str]]:
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

