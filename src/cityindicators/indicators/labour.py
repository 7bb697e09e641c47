"""Labour-market indicators from the ``labour`` dataset (and the working-age population).

Recognised ``labour`` indicator ids (sex ``total`` rows are used):

==============================  =====================================================  ========
labour ``indicator``            meaning                                                unit
==============================  =====================================================  ========
``registered_unemployed``       registered unemployed persons                          persons
``registered_unemployed_ratio`` registered unemployed / working-age population x 100   %
``employed``                    employed persons                                       persons
``employed_industry``           employed persons in industry (NACE B-E)                persons
``average_monthly_earnings``    average monthly earnings (the first of this list      EUR
``average_earnings``            present is used)
``average_earnings_gross``
``average_earnings_net``
==============================  =====================================================  ========

Counts are added over territories for aggregates; the published ratio and earnings are not
(a group's earnings are missing unless published for it).

Registered-unemployed ratio: computed as registered unemployed / working-age population at
1 January x 100 (legal working age, :mod:`~cityindicators.indicators.working_age`) where both
counts exist, so that aggregates come from counts; otherwise the published ratio. Employment
rate = employed / working-age population x 100; employed share = employed / population x 100;
industry share = employed in industry / employed x 100. Earnings relative to the country =
earnings / Lithuania's earnings of the same year x 100 (needs the country row, code ``00``, or
the demo country ``X00`` for demo territories).
"""

from __future__ import annotations

import numpy as np

from ._counts import TOTAL, Counts, ratio
from .working_age import working_age_population

__all__ = ["EARNINGS_IDS", "FUNCTIONS"]

#: Labour indicator ids accepted as average earnings, in order of preference.
EARNINGS_IDS = ("average_monthly_earnings", "average_earnings", "average_earnings_gross", "average_earnings_net")


def _get(c: Counts, name: str) -> np.ndarray:
    arr = c.labour.get(name)
    return c.empty() if arr is None else arr.copy()


def registered_unemployed(c: Counts) -> np.ndarray:
    return _get(c, "registered_unemployed")


def registered_unemployed_ratio(c: Counts) -> np.ndarray:
    computed = ratio(registered_unemployed(c), working_age_population(c), 100.0)
    return np.where(np.isnan(computed), _get(c, "registered_unemployed_ratio"), computed)


def employed(c: Counts) -> np.ndarray:
    return _get(c, "employed")


def employment_rate(c: Counts) -> np.ndarray:
    return ratio(employed(c), working_age_population(c), 100.0)


def employed_share(c: Counts) -> np.ndarray:
    return ratio(employed(c), c.pop_all[:, :, TOTAL], 100.0)


def industry_employment_share(c: Counts) -> np.ndarray:
    return ratio(_get(c, "employed_industry"), employed(c), 100.0)


def average_earnings(c: Counts) -> np.ndarray:
    out = c.empty()
    for name in EARNINGS_IDS:
        if name in c.labour:
            out = np.where(np.isnan(out), c.labour[name], out)
    return out


def _country_row(c: Counts) -> np.ndarray:
    """Index of each territory's country row (``00``, or ``X00`` for demo codes); -1 if absent."""
    pos = {code: i for i, code in enumerate(c.codes)}
    real, demo = pos.get("00", -1), pos.get("X00", -1)
    return np.array([demo if code.startswith("X") else real for code in c.codes], dtype=int)


def earnings_relative_to_country(c: Counts) -> np.ndarray:
    earn = average_earnings(c)
    if "pub_average_net_monthly_earnings" in c.passthrough:
        earn = np.where(np.isnan(earn), c.passthrough["pub_average_net_monthly_earnings"], earn)
    rows = _country_row(c)
    country = np.where(rows[:, None] >= 0, earn[np.maximum(rows, 0)], np.nan)
    return ratio(earn, country, 100.0)


#: indicator id -> function(Counts) -> [territory, year]
FUNCTIONS = {
    f.__name__: f
    for f in (registered_unemployed, registered_unemployed_ratio, employed, employment_rate, employed_share,
              industry_employment_share, average_earnings, earnings_relative_to_country)
}
