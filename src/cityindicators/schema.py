"""Canonical datasets: their key columns, and the validation at stage boundaries.

Every processed table is tidy: one row per key, a ``value`` column, and the common columns
``territory_code``, ``year``, ``status`` and ``source``. :func:`tidy` puts a frame in that shape
(column order, dtypes, sorted rows); :func:`validate` runs the named checks and raises
:class:`DataValidationError` quoting the first offending rows, the file and the field.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .exceptions import DataValidationError
from .geography import get_register

log = logging.getLogger(__name__)

__all__ = ["DatasetSpec", "DATASETS", "SEXES", "MIGRATION_FLOWS", "tidy", "validate", "dataset_spec"]

SEXES = ("total", "male", "female")
MIGRATION_FLOWS = (
    "emigrants",
    "immigrants",
    "net_international",
    "internal_arrivals",
    "internal_departures",
    "net_internal",
)
#: Years outside this range are implausible for these statistics.
YEAR_RANGE = (1950, 2100)
#: Column with the source file's own line numbers, carried from a parser through :func:`tidy`
#: to :func:`validate` so that messages quote them; the store drops it before writing a table.
LINE = "_line"


@dataclass(frozen=True)
class DatasetSpec:
    """What a canonical dataset looks like."""

    name: str
    keys: tuple[str, ...]  # besides territory_code and year
    extra: tuple[str, ...] = ()  # descriptive columns carried along (not keys)
    counts: bool = True  # values are counts of people or events (non-negative, additive)
    signed: bool = False  # counts that may be negative (net flows)
    description: str = ""

    @property
    def key_columns(self) -> tuple[str, ...]:
        return ("territory_code", "year", *self.keys)

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.key_columns, *self.extra, "value", "status", "source")


DATASETS: dict[str, DatasetSpec] = {
    s.name: s
    for s in (
        DatasetSpec("population", ("sex", "age"), ("open_age",), description="residents at 1 January"),
        DatasetSpec("births", ("sex",), description="live births in the calendar year"),
        DatasetSpec("deaths", ("sex", "age"), description="deaths in the calendar year (age 0 = infant deaths)"),
        DatasetSpec("migration", ("flow", "sex", "age"), signed=True, description="migration flows"),
        DatasetSpec("labour", ("indicator", "sex"), ("unit",), counts=False, description="labour-market figures"),
        DatasetSpec("median_age", ("sex",), counts=False, description="published median age, years"),
        DatasetSpec("life_expectancy", ("sex",), counts=False, description="life expectancy at birth, years"),
        DatasetSpec("urban_rural", ("area",), description="residents by urban/rural area"),
        DatasetSpec("density", (), counts=False, description="persons per km2"),
        DatasetSpec(
            "published_indicators",
            ("indicator",),
            ("unit", "name_lt", "name_en"),
            counts=False,
            description="published indicator cross-sections",
        ),
    )
}


def dataset_spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except KeyError:
        raise DataValidationError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


def tidy(frame: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Return ``frame`` in the canonical shape of ``dataset``.

    Adds missing optional columns (``status``, ``source``, ``open_age``), casts dtypes
    (``territory_code``/text keys as ``str``, ``year`` int64, ``age`` nullable Int64,
    ``value`` float64), orders columns and sorts rows by the key. A :data:`LINE` column (the
    source file's line numbers) is kept, last, for the messages of :func:`validate`.
    """
    spec = dataset_spec(dataset)
    optional = {"status": None, "source": None, **({"open_age": False} if "open_age" in spec.extra else {})}
    missing = [c for c in spec.columns if c not in frame.columns and c not in optional]
    if missing:
        raise DataValidationError(f"{dataset}: missing column(s) {missing}; expected {list(spec.columns)}")
    # one copy of the frame (tables can have millions of rows): the selection, then in-place casts
    df = frame.loc[:, [c for c in (*spec.columns, LINE) if c in frame.columns]]
    for col, default in optional.items():
        if col not in df:
            df[col] = default
    df = df.loc[:, list(spec.columns) + ([LINE] if LINE in df.columns else [])]
    df["territory_code"] = df["territory_code"].astype(str)
    df["year"] = pd.to_numeric(df["year"], errors="raise").astype("int64")
    if "age" in df:
        df["age"] = pd.to_numeric(df["age"], errors="raise").astype("Int64")
    if "open_age" in df:
        df["open_age"] = df["open_age"].fillna(False).astype(bool)
    for col in spec.keys:
        if col != "age":
            df[col] = df[col].astype(str)
    df["value"] = pd.to_numeric(df["value"], errors="raise").astype("float64")
    df["status"] = df["status"].astype("string")
    df["source"] = df["source"].astype("string")
    sort_cols = list(spec.key_columns)
    df = df.sort_values(sort_cols, kind="mergesort", na_position="first").reset_index(drop=True)
    return df


def _where(frame: pd.DataFrame, index) -> str:
    """Where a failing value is: the source file's line when known, else the row of the table."""
    if index is None or (isinstance(index, float) and np.isnan(index)):
        return "whole column"
    if LINE in frame.columns and index in frame.index:
        return f"row {frame.at[index, LINE]}"
    return f"record {int(index) + 1} of the table"


def _quote(rows: pd.DataFrame, n: int = 5) -> str:
    shown = rows.head(n).to_string(index=False)
    more = f"\n... and {len(rows) - n} more row(s)" if len(rows) > n else ""
    return f"\n{shown}{more}"


def _pandera_schema(spec: DatasetSpec) -> pa.DataFrameSchema:
    cols: dict[str, pa.Column] = {
        "territory_code": pa.Column(str, nullable=False),
        "year": pa.Column("int64", pa.Check.in_range(*YEAR_RANGE), nullable=False),
        "value": pa.Column("float64", nullable=True),
    }
    if "sex" in spec.keys:
        cols["sex"] = pa.Column(str, pa.Check.isin(SEXES))
    if "age" in spec.keys:
        cols["age"] = pa.Column("Int64", pa.Check.in_range(0, 130), nullable=True)
    if "flow" in spec.keys:
        cols["flow"] = pa.Column(str, pa.Check.isin(MIGRATION_FLOWS))
    # inf passes every comparison a count is put to, and NaN is "missing", so both are caught here
    checks = [pa.Check(lambda v: ~np.isinf(v), element_wise=False, name="finite")]
    if spec.counts:
        checks.append(pa.Check(lambda v: v.isna() | (v == np.round(v)), name="whole-number"))
    if spec.counts and not spec.signed:
        checks.append(pa.Check.ge(0))
    cols["value"] = pa.Column("float64", checks, nullable=True)
    return pa.DataFrameSchema(cols, strict=False, coerce=False)


def validate(
    frame: pd.DataFrame,
    dataset: str,
    *,
    origin: str = "input",
    sum_tolerance: float = 0.5,
    strict: bool = False,
) -> pd.DataFrame:
    """Run the boundary checks on a canonical frame; return it when it passes.

    Checks, each named in the error: ``columns``, ``dtypes-and-ranges`` (pandera: known sexes
    and flows, plausible years, ages 0-130, finite values, counts whole and non-negative), ``unique-keys``,
    ``known-territories``, ``sexes-add-up`` (male + female = total where all three are given)
    and ``ages-add-up`` (single ages add to the all-ages row where both are given).

    Parameters
    ----------
    origin
        The file or snapshot the frame came from, quoted in every message.
    sum_tolerance
        Largest accepted absolute difference in the adding-up checks (counts are integers; a
        rounding tolerance of 0.5 accepts only exact sums).
    strict
        Whether a failed adding-up check is an error. Published tables carry a few
        inconsistencies of a person or two (Statistics Lithuania's own rounding and revisions),
        so by default a small mismatch (at most :data:`MISMATCH_ERROR_SHARE` of the rows checked,
        each within :data:`MISMATCH_ERROR_RELATIVE` of its total) is *reported*: logged as a
        warning, listed in ``frame.attrs["validation_warnings"]`` and in the build sidecar.
        Larger or more frequent mismatches mean a damaged file and always raise.
    """
    spec = dataset_spec(dataset)
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise DataValidationError(f"{origin}: {dataset}: check 'columns' failed: missing {missing}")
    try:
        _pandera_schema(spec).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        lines = []
        for _, r in fc.head(8).iterrows():
            lines.append(f"column {r.get('column')!r} check {r.get('check')!r} value {r.get('failure_case')!r} "
                         f"({_where(frame, r.get('index'))})")
        raise DataValidationError(
            f"{origin}: {dataset}: check 'dtypes-and-ranges' failed in {len(fc)} case(s):\n  " + "\n  ".join(lines)
        ) from None
    keys = list(spec.key_columns)
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        raise DataValidationError(
            f"{origin}: {dataset}: check 'unique-keys' failed: {int(dup.sum())} rows share a key {keys}:"
            + _quote(frame.loc[dup, ([LINE] if LINE in frame else []) + keys + ['value']])
        )
    register = get_register()
    codes = pd.Series(frame["territory_code"].unique())
    unknown = codes[~codes.isin([t.code for t in register]) & ~codes.str.startswith("G:")]
    if len(unknown):
        raise DataValidationError(
            f"{origin}: {dataset}: check 'known-territories' failed: unknown territory code(s) {sorted(unknown)[:10]}"
        )
    warnings: list[str] = []
    if spec.counts and "sex" in spec.keys:
        warnings += _check_sum(frame, spec, "sex", ("male", "female"), "total", origin, sum_tolerance, "sexes-add-up", strict)
    if spec.counts and "age" in spec.keys:
        warnings += _check_age_sum(frame, spec, origin, sum_tolerance, strict)
    for w in warnings:
        log.info(w)
    frame.attrs["validation_warnings"] = warnings
    return frame


#: Adding-up mismatches are errors when more than this share of the checked rows fail ...
MISMATCH_ERROR_SHARE = 0.001
#: ... or when any differs from its total by more than this fraction.
MISMATCH_ERROR_RELATIVE = 0.02


def _mismatch(rows: pd.DataFrame, checked: int, total_col: str, origin: str, dataset: str, name: str,
              what: str, strict: bool) -> list[str]:
    msg = f"{origin}: {dataset}: check '{name}' failed: {what} in {len(rows)} of {checked} row(s):" + _quote(rows)
    rel = (rows["difference"].abs() / rows[total_col].abs().clip(lower=1)).max()
    if strict or len(rows) > max(1, MISMATCH_ERROR_SHARE * checked) or rel > MISMATCH_ERROR_RELATIVE:
        raise DataValidationError(msg)
    return [msg.replace("failed", "reported a small inconsistency", 1)]


def _check_sum(frame, spec, col, parts: Iterable[str], total: str, origin, tol, name, strict) -> list[str]:
    other = [k for k in spec.key_columns if k != col]
    sub = frame[frame[col].isin([*parts, total])]
    if sub.empty:
        return []
    wide = sub.pivot_table(index=other, columns=col, values="value", aggfunc="first", dropna=False)
    parts = list(parts)
    if not all(c in wide.columns for c in [*parts, total]):
        return []
    complete = wide[[*parts, total]].notna().all(axis=1)
    diff = (wide[parts].sum(axis=1) - wide[total]).where(complete)
    bad = diff.abs() > tol
    if bad.any():
        rows = wide.loc[bad, [*parts, total]].assign(difference=diff[bad]).reset_index()
        return _mismatch(rows, int(complete.sum()), total, origin, spec.name, name, f"{' + '.join(parts)} != {total}", strict)
    return []


def _check_age_sum(frame, spec, origin, tol, strict) -> list[str]:
    other = [k for k in spec.key_columns if k != "age"]
    is_all = frame["age"].isna()
    if not is_all.any() or is_all.all():
        return []
    totals = frame[is_all].set_index(other)["value"]
    singles = frame[~is_all]
    # Only where the age detail is complete enough to add up: the single ages start at 0 and
    # run without gaps up to an open group (or, for deaths, where only infant deaths are given,
    # nothing is checked).
    grp = singles.groupby(other, dropna=False)
    stats = grp["age"].agg(["min", "max", "count"])
    has_open = grp["open_age"].any() if "open_age" in singles else pd.Series(False, index=stats.index)
    full = (stats["min"] == 0) & (stats["count"] == stats["max"] + 1) & has_open.reindex(stats.index).fillna(False)
    sums = grp["value"].sum(min_count=1)[full]
    joined = pd.concat({"sum_of_ages": sums, "all_ages": totals}, axis=1, join="inner").dropna()
    diff = joined["sum_of_ages"] - joined["all_ages"]
    bad = diff.abs() > tol
    if bad.any():
        rows = joined[bad].assign(difference=diff[bad]).reset_index()
        return _mismatch(rows, len(joined), "all_ages", origin, spec.name, "ages-add-up",
                         "single ages do not add to the all-ages value", strict)
    return []
