"""Changes of indicators between two years, ranks among municipalities, and rank tables.

Ranks are among the municipalities present in the data: the 60 real ones, or the synthetic
demonstration set on demo data (never mixed). Rank 1 is the best by the indicator's polarity
(highest value for ``higher_better``, lowest for ``lower_better``; ``neutral`` indicators are
ranked from the highest value down); tied values share the best (minimum) rank, and missing
values get no rank. For a change, the polarity applies to the difference: for
``share_65_plus`` (lower is better) rank 1 is the smallest increase, so the fastest-ageing
municipality has the last rank (or rank 1 with ``order="descending"``).
"""

from __future__ import annotations

import os
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..exceptions import ConfigError, DataValidationError
from ..geography import Register, get_register
from ._counts import Counts, ratio
from .catalogue import get_indicator
from .compute import available_indicators, counts_for, counts_of, indicator_arrays, needed_datasets

__all__ = ["ORDERS", "rank_values", "percentile_values", "ranking_universe", "indicator_changes", "rank_table"]

#: Orders a ranking may use: by polarity (1 = best), or by value.
ORDERS = ("polarity", "descending", "ascending")
#: Units of levels whose change :func:`rank_table` ranks relatively by default (sizes differ).
RELATIVE_CHANGE_UNITS = ("persons", "EUR")


def _ascending(polarity: str, order: str = "polarity") -> bool:
    if order not in ORDERS:
        raise ConfigError(f"order must be one of {ORDERS}, got {order!r}")
    if order == "ascending":
        return True
    if order == "descending":
        return False
    return polarity == "lower_better"


def rank_values(values: pd.Series | np.ndarray, polarity: str, order: str = "polarity") -> pd.Series:
    """Ranks 1..n of ``values`` (1 = best by ``polarity``; ties share the minimum rank; NaN unranked).

    Examples
    --------
    >>> rank_values(pd.Series([3.0, 5.0, 5.0, np.nan]), "higher_better").tolist()
    [3.0, 1.0, 1.0, nan]
    """
    s = pd.Series(values, dtype=float)
    return s.rank(method="min", ascending=_ascending(polarity, order), na_option="keep")


def percentile_values(values: pd.Series | np.ndarray, polarity: str) -> pd.Series:
    """Percentile rank (0-100) by polarity: the share of the *other* ranked values that are
    worse, ties counted half (100 = best, 0 = worst; neutral: 100 = highest)."""
    s = pd.Series(values, dtype=float)
    asc_good = polarity != "lower_better"  # rank 1 = worst
    r = s.rank(method="average", ascending=asc_good, na_option="keep")
    n = s.notna().sum()
    return (r - 1) / (n - 1) * 100.0 if n > 1 else r * np.nan


def ranking_universe(codes: Iterable[str], synthetic: bool | None = None,
                     register: Register | None = None) -> list[str]:
    """Municipality codes among ``codes`` that are ranked together.

    ``synthetic=None``: the real municipalities if any is present, else the demo set.
    """
    reg = register or get_register()
    munis = [c for c in codes if c in reg and reg.get(c).kind == "municipality"]
    if synthetic is None:
        synthetic = not any(not reg.get(c).synthetic for c in munis)
    return [c for c in munis if reg.get(c).synthetic == synthetic]


def _ids(indicators) -> list[str] | None:
    if indicators is None:
        return None
    return [indicators] if isinstance(indicators, str) else list(indicators)


def check_change_years(year_from: int, year_to: int) -> tuple[int, int]:
    """``(year_from, year_to)`` as integers, or a :class:`ConfigError` when the change would run
    backwards or over no time: a change "from 2021 to 2020" is the later change read with the
    wrong sign, and one from a year to itself is zero for every territory (a ranking of ties)."""
    year_from, year_to = int(year_from), int(year_to)
    if year_from >= year_to:
        raise ConfigError(f"a change from {year_from} to {year_to}: its first year must be before its last "
                          f"(give a first year before {year_to})")
    return year_from, year_to


def indicator_changes(
    indicators: str | Iterable[str] | None = None,
    year_from: int = None,
    year_to: int = None,
    territories=None,
    data: Mapping[str, pd.DataFrame] | Counts | None = None,
    data_dir: str | os.PathLike | None = None,
    order: str = "polarity",
) -> pd.DataFrame:
    """Change of indicators between ``year_from`` (A) and ``year_to`` (B).

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, territory_code, year_from, year_to, value_from, value_to,
        difference`` (B - A, in the indicator's unit; percentage points for shares),
        ``percent_change`` and ``average_annual_growth`` (%, for counts such as population
        only: ``(B/A)^(1/(year_to-year_from)) - 1``), ``rank`` (rank of the difference among the
        municipalities, see the module docstring; missing for other territories), ``unit``.
    """
    if year_from is None or year_to is None:
        raise ConfigError("indicator_changes needs year_from and year_to")
    year_from, year_to = check_change_years(year_from, year_to)
    ids = _ids(indicators)
    base = counts_of(data, data_dir, needed_datasets(ids))
    universe = ranking_universe(base.codes)
    counts, codes = counts_for(base, territories)
    ids = ids or available_indicators(counts)
    arrays = indicator_arrays(counts, ids)
    years = list(counts.years)
    for y in (year_from, year_to):
        if y not in years:
            raise DataValidationError(f"year {y} is not in the data (years {years[0]}-{years[-1]})" if years
                                      else "the data has no years")
    ya, yb = years.index(year_from), years.index(year_to)
    rows = counts.index(codes)
    uni_rows = counts.index(universe)
    frames = []
    span = year_to - year_from
    for i in ids:
        entry = counts.extra_catalogue.get(i) or get_indicator(i)
        a, b = arrays[i][rows, ya], arrays[i][rows, yb]
        diff = b - a
        pct = ratio(diff, a, 100.0) if entry.additive else np.full_like(diff, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            growth = (np.power(ratio(b, a), 1.0 / span) - 1.0) * 100.0 if entry.additive else np.full_like(diff, np.nan)
        uni_diff = pd.Series(arrays[i][uni_rows, yb] - arrays[i][uni_rows, ya], index=universe)
        ranks = rank_values(uni_diff, entry.polarity, order)
        frames.append(pd.DataFrame({
            "indicator": i, "territory_code": codes, "year_from": year_from, "year_to": year_to,
            "value_from": a, "value_to": b, "difference": diff, "percent_change": pct,
            "average_annual_growth": growth,
            "rank": pd.Series(codes).map(ranks).to_numpy(dtype=float), "unit": entry.unit,
        }))
    out = pd.concat(frames, ignore_index=True)
    out = out[~(out["value_from"].isna() & out["value_to"].isna())].reset_index(drop=True)
    out["rank"] = out["rank"].astype("Int64")
    return out


def rank_table(
    indicator: str,
    year: int,
    year_from: int | None = None,
    data: Mapping[str, pd.DataFrame] | Counts | None = None,
    data_dir: str | os.PathLike | None = None,
    order: str = "polarity",
    lang: str = "lt",
    synthetic: bool | None = None,
    change: str = "auto",
) -> pd.DataFrame:
    """All municipalities ranked by an indicator in ``year`` (or by its change since ``year_from``).

    Parameters
    ----------
    change
        With ``year_from``: ``relative`` ranks the percent change ``(B - A) / |A| x 100``,
        ``absolute`` the difference ``B - A``; ``auto`` (default) takes the relative change for
        levels whose size differs between municipalities (counts of persons, amounts in EUR),
        where an absolute change mostly measures size, and the difference for rates and shares.

    Returns
    -------
    pandas.DataFrame
        Columns ``rank, territory_code, territory, value`` (``value`` is the change used for
        the rank when ``year_from`` is given; then also ``value_from`` and ``value_to``), sorted
        by rank, unranked (missing) municipalities last. ``attrs``: indicator, unit (of
        ``value``: ``%`` for a relative change), polarity, year, year_from, order, change.

    Raises
    ------
    DataValidationError
        No municipality has a value of the indicator in the year(s) asked for.
    """
    if change not in ("auto", "relative", "absolute"):
        raise ConfigError(f"change must be auto, relative or absolute, got {change!r}")
    if year_from is not None:
        check_change_years(year_from, year)
    entry = get_indicator(indicator)
    counts = counts_of(data, data_dir, needed_datasets([indicator]))
    reg = get_register(data_dir) if data_dir is not None else get_register()
    universe = ranking_universe(counts.codes, synthetic, reg)
    if not universe:
        raise DataValidationError("the data has no municipalities to rank")
    entry = counts.extra_catalogue.get(indicator) or entry
    arr = indicator_arrays(counts, [indicator])[indicator]
    years = list(counts.years)
    need = [year] + ([year_from] if year_from is not None else [])
    for y in need:
        if int(y) not in years:
            raise DataValidationError(f"year {y} is not in the data (years {years[0]}-{years[-1]})")
    rows = counts.index(universe)
    v_to = arr[rows, years.index(int(year))]
    out = pd.DataFrame({"territory_code": universe})
    if not np.isfinite(v_to).any() or (year_from is not None and not np.isfinite(arr[rows, years.index(int(year_from))]).any()):
        when = f"{year_from} and {year}" if year_from is not None else str(year)
        raise DataValidationError(f"{indicator}: no municipality has a value in {when} "
                                  f"(it needs the dataset(s) {', '.join(entry.datasets) or 'published_indicators'})")
    unit = entry.unit
    if change == "auto":
        change = "relative" if entry.unit in RELATIVE_CHANGE_UNITS else "absolute"
    if year_from is not None:
        v_from = arr[rows, years.index(int(year_from))]
        if change == "relative":
            with np.errstate(divide="ignore", invalid="ignore"):
                out["value"] = np.where(v_from != 0, (v_to - v_from) / np.abs(v_from) * 100.0, np.nan)
            unit = "%"
        else:
            out["value"] = v_to - v_from
        out["value_from"], out["value_to"] = v_from, v_to
    else:
        out["value"] = v_to
        change = None
    out["rank"] = rank_values(out["value"], entry.polarity, order).astype("Int64")
    out["territory"] = [reg.name(c, lang) for c in universe]
    cols = ["rank", "territory_code", "territory", "value"] + (["value_from", "value_to"] if year_from is not None else [])
    out = out.sort_values(["rank", "territory_code"], na_position="last", kind="mergesort")[cols].reset_index(drop=True)
    out.attrs.update({"indicator": indicator, "unit": unit, "polarity": entry.polarity, "year": int(year),
                      "year_from": None if year_from is None else int(year_from), "order": order,
                      "change": change})
    return out
