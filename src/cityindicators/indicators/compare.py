"""Compare a municipality with the country, its county, its peers and all municipalities.

:func:`comparison_table` gives, for each indicator, the municipality's value, the country and
county values, the peer group's value (computed from the members' added counts) and median
(of the members' own values), the rank among the municipalities (1 = best by polarity, ties
share the minimum rank), the percentile rank (100 = best, ties counted half) and the z-score
((value - mean) / standard deviation over the municipalities, population standard deviation;
its sign follows the value, not the polarity; a municipality's value across its own break in the
series (:mod:`cityindicators.indicators.breaks`) is left out of the mean and deviation and gets
no z-score; column ``break`` names the breaks that affect each row). With ``year_from`` every
figure is the change
``year - year_from`` and the ranks are ranks of the change.

Municipalities are ranked among those present in the data: the 60 real ones, or the
synthetic demonstration set on demo data.

Peer groups (``peers``): ``"similar"`` (default; also ``"similar:K"``) - the K most similar
municipalities (:func:`similar_municipalities`); ``"county"``, ``"type"``, ``"size"`` - the
municipality's own county, type (city/district/municipality) or size class; any group the
register knows (``"VIZA"``, ``"county:Kauno apskritis"``, ``"type:city"``, ``"size:small"``);
a list of municipality names; or a :class:`~cityindicators.geography.Group`.

Most similar municipalities: k nearest neighbours on standardised indicators. Each feature is
taken in the comparison year (or, where missing, the nearest year with data, earlier years
preferred), standardised to z-scores over the municipalities, and the distance is
``sqrt(sum_i w_i (z_i - z_i(target))^2)`` with user weights ``w_i`` (default 1). Population
size enters as log10(population), since sizes span two orders of magnitude. Default features:
population, share 65+, crude net migration rate, registered unemployed ratio (when no
municipality has the latter, the published unemployment rate of the 2016 cross-section
``pub_unemployment_rate`` stands in). A feature missing for the target is dropped (logged);
municipalities missing a remaining feature are left out of the neighbours.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..exceptions import ConfigError, DataValidationError
from ..grammar import count_phrase
from ..geography import Group, Register, Territory, get_register, size_class
from ._counts import Counts
from .catalogue import get_indicator
from .breaks import break_notes, own_break_mask
from .change import check_change_years, ranking_universe
from .compute import available_indicators, counts_of, indicator_arrays

__all__ = [
    "DEFAULT_SIMILARITY_FEATURES",
    "FEATURE_FALLBACKS",
    "similar_municipalities",
    "peer_group",
    "comparison_table",
]

log = logging.getLogger(__name__)

#: Default features (indicator id -> weight) of the "most similar municipalities".
DEFAULT_SIMILARITY_FEATURES: dict[str, float] = {
    "population": 1.0,
    "share_65_plus": 1.0,
    "crude_net_migration_rate": 1.0,
    "registered_unemployed_ratio": 1.0,
}
#: A feature without any data is replaced by this one.
FEATURE_FALLBACKS = {"registered_unemployed_ratio": "pub_unemployment_rate"}
#: Features standardised on a log10 scale.
LOG_FEATURES = ("population", "working_age_population", "births", "deaths")
DEFAULT_K = 5


def _register(data_dir) -> Register:
    return get_register(data_dir) if data_dir is not None else get_register()


def _target(territory: str, reg: Register, counts: Counts) -> Territory:
    t = reg.resolve(territory)
    if t.kind != "municipality":
        raise ConfigError(f"{t.name_lt} ({t.code}) is a {t.kind}; comparisons are made for a municipality")
    if t.code not in counts.codes:
        raise DataValidationError(f"{t.name_lt} ({t.code}) is not in the data")
    return t


def _year_index(counts: Counts, year: int) -> int:
    years = list(counts.years)
    if int(year) not in years:
        span = f"{years[0]}-{years[-1]}" if years else "none"
        raise DataValidationError(f"year {year} is not in the data (years: {span})")
    return years.index(int(year))


def _nearest_year(arr: np.ndarray, years: np.ndarray, year: int) -> tuple[np.ndarray, np.ndarray]:
    """Value of each row in ``year`` or the nearest year with data (earlier preferred)."""
    dist = np.abs(years - year) + 0.5 * (years > year)
    dist = np.where(np.isnan(arr), np.inf, dist[None, :])
    j = np.argmin(dist, axis=1)
    ok = np.isfinite(dist[np.arange(len(arr)), j])
    vals = np.where(ok, arr[np.arange(len(arr)), j], np.nan)
    used = np.where(ok, years[j], -1)
    return vals, used


def similar_municipalities(
    territory: str,
    year: int,
    k: int = DEFAULT_K,
    features: Sequence[str] | Mapping[str, float] | None = None,
    weights: Mapping[str, float] | None = None,
    data: Mapping[str, pd.DataFrame] | Counts | None = None,
    data_dir: str | os.PathLike | None = None,
    lang: str = "lt",
) -> pd.DataFrame:
    """The ``k`` municipalities most similar to ``territory`` (see the module docstring).

    Parameters
    ----------
    features
        Indicator ids, or a mapping id -> weight; default :data:`DEFAULT_SIMILARITY_FEATURES`.
    weights
        Weights overriding those of ``features`` (id -> non-negative number).

    Returns
    -------
    pandas.DataFrame
        Columns ``rank, territory_code, territory, distance`` and one column per feature used
        (its value, unstandardised), nearest first. ``attrs``: ``target`` (code), ``features``
        (id -> weight), ``target_values``, ``feature_years`` (year used for the target),
        ``dropped_features``, ``excluded`` (municipalities left out for missing values).
    """
    if int(k) < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    counts = counts_of(data, data_dir)  # all tables: a comparison reads several
    reg = _register(data_dir)
    target = _target(territory, reg, counts)
    universe = ranking_universe(counts.codes, target.synthetic, reg)
    feats = dict(DEFAULT_SIMILARITY_FEATURES) if features is None else (
        {f: 1.0 for f in features} if not isinstance(features, Mapping) else dict(features))
    feats.update(weights or {})
    for f, w in feats.items():
        if f not in counts.extra_catalogue:
            get_indicator(f)  # unknown ids raise with suggestions
        if not np.isfinite(w) or w < 0:
            raise ConfigError(f"weight of feature {f!r} must be a non-negative number, got {w!r}")
    rows = counts.index(universe)
    tpos = universe.index(target.code)
    columns: dict[str, np.ndarray] = {}
    used_years: dict[str, int] = {}
    dropped: list[str] = []
    arrays = indicator_arrays(counts, list(feats) + [FEATURE_FALLBACKS[f] for f in feats if f in FEATURE_FALLBACKS])
    final: dict[str, float] = {}
    for f, w in feats.items():
        name = f
        vals, yrs = _nearest_year(arrays[f][rows], counts.years, int(year))
        if np.isnan(vals).all() and f in FEATURE_FALLBACKS:
            name = FEATURE_FALLBACKS[f]
            vals, yrs = _nearest_year(arrays[name][rows], counts.years, int(year))
            if not np.isnan(vals).all():
                log.info("similarity feature %s has no data; using %s instead", f, name)
        if np.isnan(vals[tpos]) or w == 0:
            dropped.append(f)
            # no data at all is expected (e.g. labour not imported); a gap for the target is not
            level = logging.INFO if (w == 0 or np.isnan(vals).all()) else logging.WARNING
            log.log(level, "similarity feature %s dropped: %s", f,
                    "weight 0" if w == 0 else f"no value for {target.name_lt} ({target.code})")
            continue
        columns[name] = vals
        used_years[name] = int(yrs[tpos])
        final[name] = float(w)
    if not columns:
        raise DataValidationError(f"no similarity feature has a value for {target.name_lt} around {year}")
    X = np.column_stack(list(columns.values()))
    Z = X.copy()
    for j, name in enumerate(columns):
        if name in LOG_FEATURES:
            with np.errstate(divide="ignore", invalid="ignore"):
                Z[:, j] = np.log10(np.where(X[:, j] > 0, X[:, j], np.nan))
    complete = ~np.isnan(Z).any(axis=1)
    excluded = [c for c, ok in zip(universe, complete) if not ok]
    if excluded:
        log.info("similarity: %d municipality(ies) left out for missing values: %s", len(excluded), excluded)
    mean = np.nanmean(Z[complete], axis=0)
    std = np.nanstd(Z[complete], axis=0)
    std = np.where(std > 0, std, np.nan)
    Zs = np.nan_to_num((Z - mean) / std)  # a constant feature adds nothing to distances
    w = np.array(list(final.values()))
    dist = np.sqrt(((Zs - Zs[tpos]) ** 2 * w).sum(axis=1))
    dist[~complete] = np.nan
    out = pd.DataFrame({"territory_code": universe, "distance": dist})
    for name, vals in columns.items():
        out[name] = vals
    out = out.drop(index=tpos).dropna(subset=["distance"])
    out["_key"] = out["distance"].round(9)  # equal distances up to rounding: ties broken by code
    out = out.sort_values(["_key", "territory_code"], kind="mergesort").drop(columns="_key")
    out = out.head(int(k)).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out.insert(2, "territory", [reg.name(c, lang) for c in out["territory_code"]])
    out.attrs.update({
        "target": target.code, "year": int(year), "features": final,
        "target_values": {n: float(v[tpos]) for n, v in columns.items()}, "feature_years": used_years,
        "dropped_features": dropped, "excluded": excluded,
    })
    return out


def peer_group(
    territory: str,
    year: int,
    peers: str | Group | Sequence[str] | None = None,
    data: Mapping[str, pd.DataFrame] | Counts | None = None,
    data_dir: str | os.PathLike | None = None,
    k: int = DEFAULT_K,
    features: Sequence[str] | Mapping[str, float] | None = None,
    weights: Mapping[str, float] | None = None,
    lang: str = "lt",
) -> tuple[Group, pd.DataFrame | None]:
    """The peer :class:`Group` of ``territory`` for ``peers`` (see the module docstring).

    Returns
    -------
    (group, neighbours)
        ``neighbours`` is the :func:`similar_municipalities` table for similarity peers (its
        ``territory`` names in ``lang``), else ``None``.
    """
    counts = counts_of(data, data_dir)  # all tables: a comparison reads several
    reg = _register(data_dir)
    t = _target(territory, reg, counts)
    if isinstance(peers, Group):
        return peers, None
    if peers is not None and not isinstance(peers, str):
        members = tuple(reg.resolve(m).code for m in peers)
        return Group("peers", "Palyginimo grupė", "Peer group", members, kind="user"), None
    spec = (peers or "similar").strip()
    low = spec.lower()
    if low in ("similar", "knn") or low.startswith(("similar:", "knn:")):
        _, _, kk = low.partition(":")
        if kk and not kk.strip().isdigit():
            raise ConfigError(f"peer group {spec!r}: after 'similar:' give the number of municipalities "
                              f"(a whole number of 1 or more), got {kk!r}")
        kk = int(kk) if kk else k
        nb = similar_municipalities(t.code, year, kk, features, weights, counts, data_dir, lang)
        n = len(nb)  # as many as there are, when more are asked for than the data hold
        return Group(f"similar:{t.code}", count_phrase(str(n), n, "most_similar_municipality", "lt"),
                     count_phrase(str(n), n, "most_similar_municipality", "en"),
                     tuple(nb["territory_code"]), kind="similar"), nb
    universe = ranking_universe(counts.codes, t.synthetic, reg)
    pop_arr = indicator_arrays(counts, ["population"])["population"][counts.index(universe), _year_index(counts, year)]
    population = {c: float(p) for c, p in zip(universe, pop_arr) if np.isfinite(p)}
    if low == "county":
        spec = f"county:{t.county_code}"
    elif low == "type":
        if not t.type:
            raise ConfigError(f"{t.name_lt} has no municipality type in the register")
        spec = f"type:{t.type}"
    elif low == "size":
        if t.code not in population:
            raise DataValidationError(f"{t.name_lt} has no population in {year}: size class unknown")
        spec = f"size:{size_class(population[t.code])}"
    group = reg.group(spec, population=population)
    if spec.startswith(("type:", "size:")) and t.synthetic:
        # type groups list real municipalities; on demo data compare within the demo set
        members = tuple(c for c in universe if c in population and (
            (spec.startswith("type:") and reg.get(c).type == spec[5:]) or
            (spec.startswith("size:") and size_class(population[c]) == spec[5:])))
        group = Group(group.id, group.name_lt, group.name_en, members, kind=group.kind)
    return group, None


def _stats(V: np.ndarray, sign: np.ndarray, tpos: int, breaks: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Rank, percentile and z-score of column ``tpos`` within each row of ``V`` [I, U].

    ``breaks`` [I, U] marks values across a territory's own break in the series: they are left
    out of the mean and standard deviation, and the target's z-score is missing when its own
    value is marked (see :mod:`cityindicators.indicators.breaks`).
    """
    good = pd.DataFrame(V * sign[:, None])
    rank = good.rank(axis=1, method="min", ascending=False, na_option="keep").iloc[:, tpos].to_numpy()
    avg = good.rank(axis=1, method="average", ascending=True, na_option="keep").iloc[:, tpos].to_numpy()
    n = np.isfinite(V).sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(n > 1, (avg - 1) / (n - 1) * 100.0, np.nan)
        Vz = V if breaks is None else np.where(breaks, np.nan, V)
        nz = np.isfinite(Vz).sum(axis=1)
        mean = np.nanmean(np.where(nz[:, None] > 0, Vz, 0.0), axis=1)
        std = np.nanstd(np.where(nz[:, None] > 0, Vz, 0.0), axis=1)
        z = np.where(std > 0, (Vz[:, tpos] - mean) / std, np.nan)
    return {"rank": rank, "n": n, "percentile": pct, "z_score": z}


def comparison_table(
    territory: str,
    year: int,
    peers: str | Group | Sequence[str] | None = None,
    year_from: int | None = None,
    indicators: str | Iterable[str] | None = None,
    data: Mapping[str, pd.DataFrame] | Counts | None = None,
    data_dir: str | os.PathLike | None = None,
    k: int = DEFAULT_K,
    features: Sequence[str] | Mapping[str, float] | None = None,
    weights: Mapping[str, float] | None = None,
    lang: str = "lt",
) -> pd.DataFrame:
    """Comparison table of a municipality in ``year`` (or of its change since ``year_from``).

    Parameters
    ----------
    territory
        A municipality (any name or code the register resolves).
    year
        Comparison year (``year_to`` when ``year_from`` is given).
    peers
        Peer group (see the module docstring); default the ``k`` most similar municipalities.
    year_from
        If given, every figure is the change ``year - year_from``.
    indicators
        Indicator ids; default every indicator with a value for the municipality.
    k, features, weights
        Similarity peers: number of neighbours, features and weights.
    lang
        Language of the ``name`` column (``lt`` or ``en``).

    Returns
    -------
    pandas.DataFrame
        One row per indicator, columns ``indicator, name, unit, polarity, value, country,
        county, peers (the group as one territory: counts added), peer_median, peer_mean (median
        and mean of the members' own values), rank, n, percentile, z_score`` (with ``year_from`` also
        ``value_from, value_to``). ``attrs``: territory_code, territory, year, year_from,
        country_code, county_code, peer_group (id, name, members), neighbours (the similarity
        table as records, for similarity peers).
    """
    if year_from is not None:
        check_change_years(year_from, year)
    counts = counts_of(data, data_dir)  # all tables: a comparison reads several
    reg = _register(data_dir)
    t = _target(territory, reg, counts)
    group, neighbours = peer_group(t.code, year, peers, counts, data_dir, k, features, weights, lang)
    country = reg.country_of(t.code)
    county = reg.get(t.county_code) if t.county_code else None
    aggregates: dict[str, tuple[str, ...]] = {group.code: tuple(group.members)}
    if country.code not in counts.codes:
        aggregates[country.code] = tuple(m.code for m in reg.municipalities(synthetic=t.synthetic))
    if county is not None and county.code not in counts.codes:
        aggregates[county.code] = tuple(m.code for m in reg if m.kind == "municipality" and m.county_code == county.code)
    full = counts.with_aggregates(aggregates)
    universe = ranking_universe(counts.codes, t.synthetic, reg)
    ids = ([indicators] if isinstance(indicators, str) else list(indicators)) if indicators is not None \
        else available_indicators(full)
    arrays = indicator_arrays(full, ids)
    yb = _year_index(full, year)
    ya = _year_index(full, year_from) if year_from is not None else None

    def at(codes: Sequence[str]) -> np.ndarray:  # [I, len(codes)] value or change
        rows = full.index(codes)
        cube = np.stack([arrays[i][rows] for i in ids])  # [I, n, Y]
        return cube[:, :, yb] - cube[:, :, ya] if ya is not None else cube[:, :, yb]

    V = at(universe)
    tpos = universe.index(t.code)
    entries = [full.extra_catalogue.get(i) or get_indicator(i) for i in ids]
    sign = np.array([-1.0 if e.polarity == "lower_better" else 1.0 for e in entries])
    own_breaks = own_break_mask(ids, universe, year_from if year_from is not None else year,
                                year if year_from is not None else None)
    stats = _stats(V, sign, tpos, own_breaks)
    member_codes = [m for m in group.members if m in full.codes]
    members = at(member_codes) if member_codes else np.full((len(ids), 1), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN
        med = np.nanmedian(members, axis=1)
        mean = np.nanmean(members, axis=1)  # of the members' own values: comparable for counts too
    out = pd.DataFrame({
        "indicator": ids,
        "name": [e.name(lang) for e in entries],
        "unit": [e.unit for e in entries],
        "polarity": [e.polarity for e in entries],
        "value": V[:, tpos],
        "country": at([country.code])[:, 0],
        "county": at([county.code])[:, 0] if county is not None else np.nan,
        "peers": at([group.code])[:, 0],
        "peer_median": med,
        "peer_mean": mean,
        "rank": pd.array(stats["rank"], dtype="Float64").astype("Int64"),
        "n": stats["n"].astype(int),
        "percentile": stats["percentile"],
        "z_score": stats["z_score"],
    })
    y_first = year_from if year_from is not None else year
    y_last = year if year_from is not None else None
    out["break"] = ["; ".join(n for _, n in break_notes([i], t.code, y_first, y_last, lang)) for i in ids]
    if ya is not None:
        rows = full.index([t.code])
        out.insert(5, "value_from", [arrays[i][rows[0], ya] for i in ids])
        out.insert(6, "value_to", [arrays[i][rows[0], yb] for i in ids])
    if indicators is None:
        out = out[out["value"].notna()].reset_index(drop=True)
    out.attrs.update({
        "territory_code": t.code, "territory": t.name(lang), "year": int(year),
        "year_from": None if year_from is None else int(year_from),
        "country_code": country.code, "county_code": county.code if county is not None else None,
        "peer_group": {"id": group.id, "code": group.code, "name": group.name(lang), "members": list(group.members)},
        "neighbours": neighbours.to_dict("records") if neighbours is not None else None,
    })
    return out
