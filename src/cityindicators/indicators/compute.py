"""One call for many indicators: :func:`compute_indicators`.

The computation is pure: canonical frames in (``data``: dataset -> frame), a tidy frame out.
When ``data`` is not given, the processed tables are read from the data directory with
:func:`load_data` (datasets that are not built are skipped: what can be computed is, the rest
is missing).

Territories may be OSP codes or names in any form the register resolves, the country and
counties (taken from the data, or added up from their municipalities when absent), named
groups (``"G:VIZA"``, ``"VIZA"``), group specifications (``"county:Utena"``,
``"type:city"``) or :class:`~cityindicators.geography.Group` objects. A group's indicators are
computed from the *sums of its members' counts* (code ``G:<id>``), never by averaging rates.
"""

from __future__ import annotations

import logging
import os
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..config import kept_data
from ..cube import SEXES_AND_TOTAL
from ..exceptions import ConfigError, DatasetNotFoundError, UnknownTerritoryError
from ..geography import Group, Register, get_register
from ..schema import SPLIT_SEXES
from . import labour, migration, structure, vital, working_age
from ._counts import Counts, build_counts, ratio
from .catalogue import CATALOGUE, PUBLISHED_PREFIX, Indicator, close_indicator_ids, get_indicator

__all__ = [
    "DATASETS",
    "FUNCTIONS",
    "load_data",
    "counts_for",
    "resolve_territories",
    "compute_indicators",
    "cohort_net_migration",
    "available_indicators",
    "indicator_arrays",
    "needed_datasets",
]

log = logging.getLogger(__name__)

#: Canonical datasets the indicators read (with an age-resolved one, :func:`load_data` also reads its
#: all-ages table: ``population_total``, ``deaths_total``, ``migration_total``).
DATASETS = ("population", "births", "deaths", "migration", "labour", "published_indicators", "life_expectancy",
            "median_age", "density", "urban_rural")


def _urban_share(c: Counts) -> np.ndarray:
    if c.urban is None:
        return c.empty()
    return ratio(c.urban[..., 0], c.urban[..., 1], 100.0)


def _passthrough(name: str):
    def f(c: Counts) -> np.ndarray:
        arr = c.passthrough.get(name)
        return c.empty() if arr is None else arr.copy()

    return f


#: indicator id -> function(Counts) -> [territory, year]
FUNCTIONS = {
    **structure.FUNCTIONS,
    **working_age.FUNCTIONS,
    **vital.FUNCTIONS,
    **migration.FUNCTIONS,
    **labour.FUNCTIONS,
    "urban_share": _urban_share,
    **{name: _passthrough(name) for name in ("life_expectancy", "median_age_published", "population_density")},
}


def _function(indicator_id: str, counts: Counts):
    if indicator_id in FUNCTIONS:
        return FUNCTIONS[indicator_id]
    if indicator_id in counts.passthrough or indicator_id in CATALOGUE:
        return _passthrough(indicator_id)
    if indicator_id.startswith(PUBLISHED_PREFIX):
        raise _unknown_published_indicator_error(indicator_id, counts)
    get_indicator(indicator_id)  # raises with suggestions when unknown
    return _passthrough(indicator_id)


def _unknown_published_indicator_error(indicator_id: str, counts: Counts) -> ConfigError:
    """The error for a published-indicator id (``pub_...``) that neither the catalogue nor the
    published indicators imported into ``counts`` have.

    :func:`~cityindicators.indicators.catalogue.get_indicator` describes any ``pub_`` id, because
    a published indicator the catalogue does not know is described from the imported table; only
    the data can tell that a mistyped one does not exist. Without this error it gave rows without
    values, and a rank said that the (imported) dataset was needed.
    """
    imported = sorted(counts.extra_catalogue)
    close = close_indicator_ids(indicator_id, imported)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    if imported:
        where = f"neither the catalogue nor the {len(imported)} imported published indicators have it"
    else:
        where = "the catalogue does not have it, and no published indicators are imported"
    return ConfigError(f"unknown indicator {indicator_id!r}: {where}.{hint} "
                       "See 'cityindicators indicators --list'.")


def load_data(datasets: Iterable[str] | None = None, data_dir: str | os.PathLike | None = None,
              territories=None) -> dict[str, pd.DataFrame]:
    """Read the processed tables the indicators need; datasets not built are skipped (logged).

    An age-resolved dataset comes with its all-ages table (``population`` with
    ``population_total``...), and a dataset with a ``sex`` key at both levels, each a frame of
    its own (:func:`cityindicators.store.load`): ``data["births"]`` the two sexes,
    ``data[both_sexes_key("births")]`` (``"births:both_sexes"``) the both-sexes figures. Every
    frame holds one value per key, single ages only, and sums correctly by any key.
    From a :class:`~cityindicators.workspace.Workspace` (``data_dir``) each table is read once
    (:meth:`~cityindicators.workspace.Workspace.table`) and cut by :func:`~cityindicators.store.load`.

    Raises
    ------
    DatasetNotFoundError
        None of the datasets is built.
    """
    from .. import store
    from ..schema import age_resolved_pairs, both_sexes_key, dataset_spec

    out: dict[str, pd.DataFrame] = {}
    wanted = list(datasets or DATASETS)
    wanted += [totals for singles, totals in age_resolved_pairs().items() if singles in wanted and totals not in wanted]
    for name in wanted:
        try:
            if "sex" in dataset_spec(name).keys:
                out[name], out[both_sexes_key(name)] = store.load_levels(name, territories, data_dir)
            else:
                out[name] = store.load(name, territories=territories, data_dir=data_dir)
        except DatasetNotFoundError:
            log.info("dataset %s is not built; indicators that need it are missing", name)
    if not out:
        raise DatasetNotFoundError(
            f"none of the datasets {', '.join(wanted)} is built in the data directory; run "
            "'cityindicators demo', 'cityindicators import ...' or 'cityindicators fetch', then 'cityindicators build'"
        )
    return out


def counts_of(data: Mapping[str, pd.DataFrame] | Counts | None, data_dir: str | os.PathLike | None = None,
              datasets: Iterable[str] | None = None) -> Counts:
    """The count arrays every indicator is computed on: ``data`` itself when it is
    :class:`Counts`, else built from the frames ``data``, else from the processed tables
    ``datasets`` (all when ``None``) of ``data_dir``. A workspace (``data_dir``) builds them
    once per build of its tables, from all of them, and shares them between calls."""
    if isinstance(data, Counts):
        return data
    if data is None:
        kept = kept_data(data_dir)
        if kept is not None:
            return kept.counts()
        data = load_data(datasets, data_dir)
    return build_counts(data)


def needed_datasets(ids: Sequence[str] | None) -> list[str]:
    """Canonical datasets needed for the indicators ``ids`` (all when ``None``)."""
    if ids is None:
        return list(DATASETS)
    need: set[str] = {"population"}
    for i in ids:
        try:
            need.update(get_indicator(i).datasets)
        except ConfigError:
            pass
    if "earnings_relative_to_country" in ids:
        need.add("published_indicators")
    return [d for d in DATASETS if d in need]


def resolve_territories(
    territories: str | Group | Iterable[str | Group] | None,
    data_codes: Sequence[str],
    register: Register | None = None,
) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """Resolve requested territories to codes, and the aggregates that must be made.

    Returns
    -------
    (codes, aggregates)
        ``codes`` in the requested order; ``aggregates`` maps codes that are not in the data
        (groups, or a country/county absent from the data) to their member codes.
    """
    reg = register or get_register()
    present = set(data_codes)
    if territories is None:
        return sorted(present), {}
    if isinstance(territories, (str, Group)):
        territories = [territories]
    codes: list[str] = []
    aggregates: dict[str, tuple[str, ...]] = {}
    for item in territories:
        if isinstance(item, Group):
            codes.append(item.code)
            aggregates[item.code] = tuple(item.members)
            continue
        text = str(item).strip()
        if text.startswith("G:"):
            g = reg.group(text[2:])
            codes.append(g.code)
            aggregates[g.code] = tuple(g.members)
            continue
        try:
            t = reg.resolve(text)
        except UnknownTerritoryError as exc:
            try:
                g = reg.group(text)
            except (UnknownTerritoryError, ConfigError):
                raise exc from None
            codes.append(g.code)
            aggregates[g.code] = tuple(g.members)
            continue
        codes.append(t.code)
        if t.code not in present and t.kind in ("country", "county"):
            if t.kind == "county":
                members = tuple(m.code for m in reg if m.kind == "municipality" and m.county_code == t.code)
            else:
                members = tuple(m.code for m in reg.municipalities(synthetic=t.synthetic))
            log.info("%s (%s) is not in the data: adding up its %d municipalities", t.code, t.name_lt, len(members))
            aggregates[t.code] = members
    return list(dict.fromkeys(codes)), aggregates


def counts_for(
    data: Mapping[str, pd.DataFrame] | Counts,
    territories=None,
    register: Register | None = None,
) -> tuple[Counts, list[str]]:
    """Count arrays with the aggregates the requested territories need, and their codes."""
    counts = data if isinstance(data, Counts) else build_counts(data)
    codes, aggregates = resolve_territories(territories, counts.codes, register)
    for code in codes:
        if code not in counts.codes and code not in aggregates:
            log.warning("territory %s is not in the data; its indicators are missing", code)
            aggregates[code] = ()
    return counts.with_aggregates(aggregates), codes


def available_indicators(counts: Counts) -> list[str]:
    """Catalogue ids plus the published indicators present in ``counts``."""
    ids = list(CATALOGUE)
    ids += [k for k in counts.passthrough if k not in CATALOGUE]
    return ids


def _years_list(years) -> list[int] | None:
    if years is None:
        return None
    if isinstance(years, (int, np.integer)):
        return [int(years)]
    return [int(y) for y in years]


def indicator_arrays(counts: Counts, ids: Sequence[str]) -> dict[str, np.ndarray]:
    """``{id: [territory, year] array}`` for ``ids`` on all territories of ``counts``."""
    out = {}
    for i in ids:
        with np.errstate(divide="ignore", invalid="ignore"):
            arr = np.asarray(_function(i, counts)(counts), dtype=float)
        arr[~np.isfinite(arr)] = np.nan  # a zero denominator is a missing value, never infinity
        out[i] = arr
    return out


def _catalogue_entry(i: str, counts: Counts) -> Indicator:
    return counts.extra_catalogue.get(i) or get_indicator(i)


def compute_indicators(
    indicators: str | Iterable[str] | None = None,
    territories=None,
    years: int | Iterable[int] | None = None,
    data: Mapping[str, pd.DataFrame] | Counts | None = None,
    data_dir: str | os.PathLike | None = None,
    *,
    dropna: bool = False,
) -> pd.DataFrame:
    """Compute indicators for territories and years, in one tidy frame.

    Parameters
    ----------
    indicators
        Catalogue ids (see :data:`~cityindicators.indicators.catalogue.CATALOGUE`); default all,
        including the published indicators present in the data.
    territories
        Codes, names, groups (see the module docstring); default every territory in the data.
    years
        Years to report; default all. Rates of year t use 1 January t+1, so all years of the
        data are used in the computation whatever is reported.
    data
        ``{dataset: canonical frame}``; default: the processed tables of ``data_dir``. May also
        be the :class:`Counts` of :func:`build_counts`, built once and reused across calls
        (results shared between indicators, such as the cohort residuals, are cached on it).
    data_dir
        Data directory (default ``$CITYINDICATORS_DATA_DIR`` or ``./data``).
    dropna
        Drop rows with a missing value. By default a row is reported when it has a value or
        when every dataset the indicator needs has data for that territory and year; its
        value is then NaN when it cannot be computed (zero denominator, missing age detail or
        next year's population) or is not defined (a median age in the open age group).

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, territory_code, year, value, unit``, sorted by indicator (catalogue
        order), territory (requested order) and year.

    Examples
    --------
    >>> compute_indicators(["share_65_plus", "median_age"], "Visaginas", 2015)  # doctest: +SKIP
    """
    ids = [indicators] if isinstance(indicators, str) else (list(indicators) if indicators is not None else None)
    if ids is not None:
        for i in ids:
            if i not in FUNCTIONS:
                get_indicator(i)  # unknown ids raise ConfigError with suggestions
    data = counts_of(data, data_dir, needed_datasets(ids))
    counts, codes = counts_for(data, territories, get_register(data_dir) if data_dir is not None else None)
    if ids is None:
        ids = available_indicators(counts)
    arrays = indicator_arrays(counts, ids)
    return _to_frame(arrays, counts, codes, _years_list(years), dropna)


def _to_frame(arrays: dict[str, np.ndarray], counts: Counts, codes: Sequence[str], years: list[int] | None,
              dropna: bool) -> pd.DataFrame:
    cols = ["indicator", "territory_code", "year", "value", "unit"]
    if not arrays or not len(counts.years):
        return pd.DataFrame(columns=cols)
    rows = counts.index(codes)
    yi = np.arange(len(counts.years))
    if years is not None:
        yi = yi[np.isin(counts.years, years)]
    ids = list(arrays)
    cube = np.stack([arrays[i][rows][:, yi] for i in ids])  # [I, T, Y]
    entries = [_catalogue_entry(i, counts) for i in ids]
    mask = ~np.isnan(cube)
    if not dropna:
        for k, e in enumerate(entries):
            inputs = np.ones(counts.shape, dtype=bool)
            for ds in e.datasets:
                inputs &= counts.present(ds)
            mask[k] |= inputs[rows][:, yi]
    ii, ti, yy = np.nonzero(mask)
    units = np.array([e.unit for e in entries], dtype=object)
    frame = pd.DataFrame({
        "indicator": np.array(ids, dtype=object)[ii],
        "territory_code": np.array(codes, dtype=object)[ti],
        "year": counts.years[yi][yy].astype("int64"),
        "value": cube[ii, ti, yy],
        "unit": units[ii],
    })
    return frame.reset_index(drop=True)


def cohort_net_migration(
    territories=None,
    years: int | Iterable[int] | None = None,
    data: Mapping[str, pd.DataFrame] | Counts | None = None,
    data_dir: str | os.PathLike | None = None,
    survival: np.ndarray | None = None,
    sex: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Net migration by age and sex by the cohort-residual method (see :mod:`.migration`).

    ``sex`` as in :func:`cityindicators.store.load`: ``None`` men and women, ``"total"`` both
    sexes (their sum), ``("male", "female", "total")`` all three, told apart by ``sex``.

    Returns
    -------
    pandas.DataFrame
        Columns ``territory_code, year, sex, age, open_age, value`` (persons): ``year`` t is the
        period 1 January t -> 1 January t+1, ``age`` the age at 1 January t+1 (the last an open
        group), ``sex`` one level, ``male``/``female`` or ``total``.
    """
    wanted = list(SPLIT_SEXES) if sex is None else [sex] if isinstance(sex, str) else list(sex)
    unknown = sorted(set(wanted) - set(SEXES_AND_TOTAL))
    if unknown:
        raise ConfigError(f"cohort_net_migration: unknown sex {unknown}; allowed: male, female, total (both sexes)")
    data = counts_of(data, data_dir, ("population", "births", "deaths"))
    counts, codes = counts_for(data, territories)
    R = migration.cohort_residuals(counts, survival)  # [T, Y, 2, A]
    R = np.concatenate([R, R.sum(axis=2, keepdims=True)], axis=2)[counts.index(codes)]
    sexes = [s for s in SEXES_AND_TOTAL if s in wanted]
    R = R[:, :, [SEXES_AND_TOTAL.index(s) for s in sexes]]
    yi = np.arange(len(counts.years))
    yl = _years_list(years)
    if yl is not None:
        yi = yi[np.isin(counts.years, yl)]
    R = R[:, yi]
    keep = ~np.isnan(R).all(axis=(0, 2, 3))
    R, yi = R[:, keep], yi[keep]
    T, Y, S, A = R.shape
    idx = np.indices(R.shape).reshape(4, -1)
    top = A - 1
    return pd.DataFrame({
        "territory_code": np.array(codes, dtype=object)[idx[0]],
        "year": counts.years[yi][idx[1]].astype("int64"),
        "sex": np.array(sexes, dtype=object)[idx[2]],
        "age": pd.array(idx[3], dtype="Int64"),
        "open_age": idx[3] == top,
        "value": R.reshape(-1),
    })
