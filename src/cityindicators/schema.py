"""Canonical datasets: their key columns, and the validation at stage boundaries.

Every processed table is tidy: one row per key, a ``value`` column, and the common columns
``territory_code``, ``year``, ``status`` and ``source``. :func:`tidy` puts a frame in that shape
(column order, dtypes, sorted rows); :func:`validate` runs the named checks and raises
:class:`DataValidationError` quoting the first offending rows, the file and the field.

One population shape: an age-resolved table (``population``, ``deaths``, ``migration``) holds
single ages only, never a missing ``age``, so that it sums correctly by any of its keys; the
published all-ages figures go to a table of their own (``population_total``, ``deaths_total``,
``migration_total``: :attr:`DatasetSpec.totals`). Parsers may return all-ages rows with
``age`` missing; :func:`canonical` splits them off (:func:`split_all_ages`), validates both
tables and checks that the single ages add up to the all-ages figure
(:func:`check_ages_add_up`), which the build repeats on the merged tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .exceptions import DataValidationError
from .geography import get_register

log = logging.getLogger(__name__)

__all__ = ["DatasetSpec", "DATASETS", "SEXES", "SPLIT_SEXES", "BOTH_SEXES", "MIGRATION_FLOWS", "tidy", "validate",
           "dataset_spec", "canonical", "split_all_ages", "split_tables", "check_ages_add_up", "check_open_ages", "require_single_ages",
           "age_resolved_pairs", "both_sexes", "both_sexes_key", "split_sexes", "sex_level", "requested_sexes", "key_codes"]

#: The labels a stored table's ``sex`` column may hold: the published both-sexes figure and the split.
SEXES = ("total", "male", "female")
#: The two sexes: a frame of these rows sums over ``sex`` to the both-sexes figure.
SPLIT_SEXES = ("male", "female")
#: The label of the both-sexes figure (published, or male + female).
BOTH_SEXES = "total"
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
#: A person's age in years, both bounds excluded: the plausible range of a median age or a life expectancy.
AGE_YEARS = (0.0, 120.0)
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
    #: for an age-resolved table: the table of its published all-ages figures (same keys but ``age``)
    totals: str = ""
    #: bounds (both excluded) outside which a value is implausible, e.g. a life expectancy of
    #: 20249 years (thousands run together); ``None``: no bounds but those of ``counts``
    plausible: tuple[float, float] | None = None

    @property
    def key_columns(self) -> tuple[str, ...]:
        return ("territory_code", "year", *self.keys)

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.key_columns, *self.extra, "value", "status", "source")


DATASETS: dict[str, DatasetSpec] = {
    s.name: s
    for s in (
        DatasetSpec("population", ("sex", "age"), ("open_age",), description="residents at 1 January, by single age",
                    totals="population_total"),
        DatasetSpec("population_total", ("sex",), description="residents at 1 January, all ages (as published)"),
        DatasetSpec("births", ("sex",), description="live births in the calendar year"),
        DatasetSpec("deaths", ("sex", "age"), ("open_age",),
                    description="deaths in the calendar year by age (age 0 = infant deaths)", totals="deaths_total"),
        DatasetSpec("deaths_total", ("sex",), description="deaths in the calendar year, all ages (as published)"),
        DatasetSpec("migration", ("flow", "sex", "age"), ("open_age",), signed=True,
                    description="migration flows by age", totals="migration_total"),
        DatasetSpec("migration_total", ("flow", "sex"), signed=True, description="migration flows, all ages"),
        DatasetSpec("labour", ("indicator", "sex"), ("unit",), counts=False, description="labour-market figures"),
        DatasetSpec("median_age", ("sex",), counts=False, description="published median age, years",
                    plausible=AGE_YEARS),
        DatasetSpec("life_expectancy", ("sex",), counts=False, description="life expectancy at birth, years",
                    plausible=AGE_YEARS),
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


def age_resolved_pairs() -> dict[str, str]:
    """``{age-resolved table: its all-ages table}``, e.g. ``population -> population_total``."""
    return {name: spec.totals for name, spec in DATASETS.items() if spec.totals}


def dataset_spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except KeyError:
        raise DataValidationError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


def tidy(frame: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Return ``frame`` in the canonical shape of ``dataset``.

    Adds missing optional columns (``status``, ``source``, ``open_age``), casts dtypes
    (``territory_code``/text keys as ``str``, ``year`` int64, ``age`` Int64, never missing in a
    canonical table, ``value`` float64), orders columns and sorts rows by the key. A :data:`LINE` column (the
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


def _pandera_schema(spec: DatasetSpec):
    import pandera.pandas as pa  # here, not at the top: the count arrays use this module without validating

    cols: dict[str, pa.Column] = {
        "territory_code": pa.Column(str, nullable=False),
        "year": pa.Column("int64", pa.Check.in_range(*YEAR_RANGE), nullable=False),
        "value": pa.Column("float64", nullable=True),
    }
    if "sex" in spec.keys:
        cols["sex"] = pa.Column(str, pa.Check.isin(SEXES))
    if "age" in spec.keys:  # all-ages figures live in the table of spec.totals, never as a missing age
        cols["age"] = pa.Column("Int64", pa.Check.in_range(0, 130), nullable=False)
    if "flow" in spec.keys:
        cols["flow"] = pa.Column(str, pa.Check.isin(MIGRATION_FLOWS))
    # inf passes every comparison a count is put to, and NaN is "missing", so both are caught here
    checks = [pa.Check(lambda v: ~np.isinf(v), element_wise=False, name="finite")]
    if spec.counts:
        checks.append(pa.Check(lambda v: v.isna() | (v == np.round(v)), name="whole-number"))
    if spec.counts and not spec.signed:
        checks.append(pa.Check.ge(0))
    if spec.plausible is not None:
        low, high = spec.plausible
        checks.append(pa.Check(lambda v: v.isna() | ((v > low) & (v < high)),
                               name=f"plausible: more than {low:g} and less than {high:g}"))
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

    Checks, each named in the error: ``columns``, ``single-ages`` (no missing ``age`` in an
    age-resolved table), ``dtypes-and-ranges`` (pandera: known sexes and flows, plausible years,
    ages 0-130, finite values, counts whole and non-negative, a median age or life expectancy
    within :data:`AGE_YEARS`), ``unique-keys`` (one value per
    key), ``known-territories`` and ``sexes-add-up`` (male + female = total where all three are
    given). Whether single ages add up to the all-ages table is a check between two tables:
    :func:`check_ages_add_up`.

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
    require_single_ages(frame, dataset, origin)
    import pandera.pandas as pa

    try:
        _pandera_schema(spec).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        lines = []
        for _, r in fc.head(8).iterrows():
            lines.append(f"column {r.get('column')!r} check {r.get('check')!r} value {r.get('failure_case')!r} "
                         f"({_where(frame, r.get('index'))})")
        more = f"; and {len(fc) - len(lines)} more" if len(fc) > len(lines) else ""
        raise DataValidationError(  # one line, as every input error
            f"{origin}: {dataset}: check 'dtypes-and-ranges' failed in {len(fc)} case(s): " + "; ".join(lines) + more
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
    for w in warnings:
        log.info(w)
    frame.attrs["validation_warnings"] = warnings
    return frame


#: Adding-up mismatches are errors when more than this share of the checked rows fail ...
MISMATCH_ERROR_SHARE = 0.001
#: ... or when any differs from its total by more than this fraction.
MISMATCH_ERROR_RELATIVE = 0.02


def _mismatch(rows: pd.DataFrame, checked: int, total_col: str, origin: str, dataset: str, name: str,
              what: str, strict: bool, warn_only: bool = False) -> list[str]:
    """The mismatch of a check as an error when large (or ``strict``), else as a warning; with
    ``warn_only`` a large one is a warning too, saying that the sources disagree."""
    rel = (rows["difference"].abs() / rows[total_col].abs().clip(lower=1)).max()
    large = strict or len(rows) > max(1, MISMATCH_ERROR_SHARE * checked) or rel > MISMATCH_ERROR_RELATIVE
    if not large:
        verdict = "reported a small inconsistency"
    else:
        verdict = "found the sources disagreeing" if warn_only else "failed"
    msg = f"{origin}: {dataset}: check '{name}' {verdict}: {what} in {len(rows)} of {checked} row(s):" + _quote(rows)
    if verdict == "failed":
        raise DataValidationError(msg)
    return [msg]


def _check_sum(frame, spec, col, parts: Iterable[str], total: str, origin, tol, name, strict,
               warn_only: bool = False) -> list[str]:
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
        return _mismatch(rows, int(complete.sum()), total, origin, spec.name, name, f"{' + '.join(parts)} != {total}",
                         strict, warn_only)
    return []


def sexes_add_up_warnings(frame: pd.DataFrame, dataset: str, origin: str = "build",
                          sum_tolerance: float = 0.5) -> list[str]:
    """The ``sexes-add-up`` check of a table merged from several snapshots, as warnings: male and
    female from one file and the total from another (a user's births of one sex over the extract's)
    pass each file's own check and disagree only here. A warning, not an error: every build would
    fail until the snapshot was removed by hand, while the table's figures stay each source's own."""
    spec = dataset_spec(dataset)
    if not (spec.counts and "sex" in spec.keys and "sex" in frame.columns and "source" in frame.columns):
        return []
    # the rows whose sexes come from more than one source: one file's own were checked as it was read
    other = [k for k in spec.key_columns if k != "sex"]
    sexed = frame[frame["sex"].isin(("male", "female", "total"))]
    mixed = sexed.groupby(other, sort=False, dropna=False)["source"].transform("nunique") > 1
    if not mixed.any():
        return []
    return _check_sum(sexed[mixed], spec, "sex", ("male", "female"), "total", origin, sum_tolerance, "sexes-add-up",
                      False, warn_only=True)


def require_single_ages(frame: pd.DataFrame, dataset: str, origin: str = "input") -> None:
    """Raise unless every row of an age-resolved ``frame`` has an ``age`` (check ``single-ages``).

    A missing age used to mean "all ages"; such rows belong in the table :attr:`DatasetSpec.totals`
    (:func:`split_all_ages` moves them), because beside single ages they double any sum.
    """
    spec = dataset_spec(dataset)
    if "age" not in spec.keys or "age" not in frame.columns:
        return
    n = int(frame["age"].isna().sum())
    if n:
        raise DataValidationError(
            f"{origin}: {dataset}: check 'single-ages' failed: {n} row(s) without an age (all-ages rows); "
            f"all-ages figures belong in {spec.totals!r} (cityindicators.schema.split_tables separates them)"
        )


def split_all_ages(frame: pd.DataFrame, dataset: str) -> dict[str, pd.DataFrame]:
    """``{dataset: single-age rows, spec.totals: all-ages rows}`` of a parser's frame.

    Parsers mark a published all-ages figure with a missing ``age``; here those rows become the
    all-ages table (without ``age`` and ``open_age``). A table that is not age-resolved, or holds
    no all-ages rows, comes back as it is; an empty part is left out.
    """
    spec = dataset_spec(dataset)
    if not spec.totals or "age" not in frame.columns:
        return {dataset: frame}
    is_all = pd.to_numeric(frame["age"], errors="raise").isna().to_numpy()
    if not is_all.any():
        return {dataset: frame}
    out = {}
    if not is_all.all():
        out[dataset] = frame.loc[~is_all]
    out[spec.totals] = frame.loc[is_all].drop(columns=[c for c in ("age", "open_age") if c in frame.columns])
    return out


def split_tables(frames: "dict[str, pd.DataFrame]") -> dict[str, pd.DataFrame]:
    """``frames`` with every age-resolved frame's all-ages rows moved to their own table
    (:func:`split_all_ages`); for frames of the older shape, e.g. ``{"population": ...}`` with
    ``age`` missing on the all-ages rows. Frames are not validated; an all-ages table already
    given is kept and the split-off rows are added to it.
    """
    out: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        parts = split_all_ages(frame, name) if name in DATASETS and frame is not None else {name: frame}
        for part, rows in parts.items():
            out[part] = rows if part not in out else pd.concat([out[part], rows], ignore_index=True)
    return out


def canonical(frames: dict[str, pd.DataFrame], origin: str, *, check_totals: bool = True,
              sum_tolerance: float = 0.5, strict: bool = False) -> dict[str, pd.DataFrame]:
    """Canonical, validated tables from a parser's ``{dataset: frame}``.

    All-ages rows are split off into their own table (:func:`split_all_ages`); each table is
    put in shape (:func:`tidy`) and validated (:func:`validate`); with ``check_totals``, the
    single ages are checked against the all-ages table (:func:`check_ages_add_up`; its
    warnings are added to the all-ages table's ``attrs["validation_warnings"]``).
    """
    out = {name: validate(tidy(frame, name), name, origin=origin, sum_tolerance=sum_tolerance, strict=strict)
           for name, frame in split_tables(frames).items()}
    for name, frame in out.items():
        check_open_ages(frame, name, origin)
    if check_totals:
        for singles, totals in age_resolved_pairs().items():
            if singles in out and totals in out:
                found = check_ages_add_up(out[singles], out[totals], singles, origin, sum_tolerance, strict)
                out[totals].attrs["validation_warnings"] = out[totals].attrs.get("validation_warnings", []) + found
    return out


def check_open_ages(frame: pd.DataFrame, dataset: str, origin: str = "input") -> None:
    """No single age above the open age group of its territory, year (and sex, flow).

    The open group (85+) already counts everyone of that age and older: a single age 90 beside
    it, from another snapshot or the same file, would count those people twice in every sum
    over ages. The message names the first such territory-year, its ages, and where the ages
    and the open group came from (the file's row, or the snapshot, when known).
    """
    if "open_age" not in frame.columns or "age" not in frame.columns or not frame["open_age"].any():
        return
    other = [k for k in dataset_spec(dataset).key_columns if k != "age"]
    opened = frame.loc[frame["open_age"].astype(bool)].groupby(other, sort=False)["age"].min().rename("_open")
    joined = frame.join(opened, on=other, how="inner")
    above = joined[joined["age"].notna() & (joined["age"] > joined["_open"])]
    if above.empty:
        return
    first = above.iloc[0]
    same = (frame[other] == first[other]).all(axis=1)
    group = above[(above[other] == first[other]).all(axis=1)]
    open_row = frame[same & frame["open_age"].astype(bool) & (frame["age"] == first["_open"])].iloc[0]

    def whence(row) -> str:
        if LINE in row.index and pd.notna(row[LINE]):
            return f"row {int(row[LINE])}"
        return f"{row['source']}" if "source" in row.index and isinstance(row["source"], str) else "the table"

    ages = ", ".join(f"{int(r['age'])} ({whence(r)})" for _, r in group.head(5).iterrows())
    what = ", ".join(f"{k} {first[k]}" for k in other if k != "territory_code")
    more = f" (and {len(above) - len(group)} more such row(s))" if len(above) > len(group) else ""
    raise DataValidationError(
        f"{origin}: {dataset}: territory {first['territory_code']}, {what}: age(s) {ages} above the open age group "
        f"{int(first['_open'])}+ ({whence(open_row)}), which already counts them{more}; "
        "give single ages only up to the open group"
    )


def check_ages_add_up(singles: pd.DataFrame, totals: pd.DataFrame, dataset: str, origin: str = "input",
                      tol: float = 0.5, strict: bool = False) -> list[str]:
    """Check ``ages-add-up``: the single ages of ``dataset`` add up to its all-ages table.

    Checked only where the age detail is complete: single ages from 0 without gaps up to a
    flagged open group (``open_age``). Real data (where only infant deaths are given beside
    the total, say) is not checked. The tolerance is :func:`validate`'s: ``tol`` (0.5: exact
    sums of whole numbers), and a small share of small mismatches (published rounding and
    revisions, :data:`MISMATCH_ERROR_SHARE`, :data:`MISMATCH_ERROR_RELATIVE`) is reported
    rather than refused unless ``strict``. The message names territory, year, sex (and flow)
    with both figures and where the all-ages figure came from.
    """
    spec = dataset_spec(dataset)
    if not spec.counts or singles.empty or totals.empty or "open_age" not in singles:
        return []
    other = [k for k in spec.key_columns if k != "age"]
    # which key groups have a complete age detail: ages 0..top without gaps, the top one open
    grp = singles.groupby(other, sort=False)
    stats = grp["age"].agg(["min", "max", "count"])
    has_open = grp["open_age"].any()
    full = (stats["min"] == 0) & (stats["count"] == stats["max"] + 1) & has_open
    if not full.any():
        return []
    sums = grp["value"].sum(min_count=1)[full]
    tot = totals.set_index(other)
    joined = pd.concat({"sum_of_ages": sums, "all_ages": tot["value"]}, axis=1, join="inner").dropna()
    diff = joined["sum_of_ages"] - joined["all_ages"]
    bad = diff.abs() > tol
    if not bad.any():
        return []
    rows = joined[bad].assign(difference=diff[bad]).reset_index()
    first = rows.iloc[0]
    key = tuple(first[c] for c in other)
    where = ""
    if "source" in tot.columns and key in tot.index:
        src = tot.loc[key, "source"]
        where = f" (first: all-ages figure from {src})" if isinstance(src, str) else ""
    return _mismatch(rows, len(joined), "all_ages", origin, f"{dataset} vs {spec.totals}", "ages-add-up",
                     f"single ages do not add up to the all-ages value{where}", strict)


# -- one sex level per frame ---------------------------------------------------------------
def both_sexes_key(dataset: str) -> str:
    """The key of ``dataset``'s both-sexes frame in a mapping of loaded frames
    (:func:`cityindicators.indicators.load_data`): ``"births"`` holds male and female,
    ``"births:both_sexes"`` the both-sexes figures (``sex = "total"``)."""
    return f"{dataset}:both_sexes"


def split_sexes(frame: pd.DataFrame) -> pd.DataFrame:
    """The ``male`` and ``female`` rows of ``frame`` (all of it when it has no ``sex`` column).

    Beside them a stored table may hold the published both-sexes figure (``sex = "total"``),
    which would count everyone twice in a sum over ``sex``; :func:`both_sexes` gives that level.
    """
    if "sex" not in frame.columns:
        return frame
    return frame[frame["sex"].isin(SPLIT_SEXES)]


def both_sexes(frame: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """One both-sexes row (``sex = "total"``) per key of ``frame``, in the canonical shape.

    The published both-sexes figure where ``frame`` has one (with a value); else, for a table of
    counts, male + female where both are given (a missing sex leaves the key out, or keeps the
    published row with its missing value: half a sum is no total).
    Published levels (median age, life expectancy, labour rates) are not additive, so only the
    published figure counts. The published figure wins because Statistics Lithuania's totals
    may differ from the sum of the sexes by a person or two (the build reports it: check
    ``sexes-add-up``), and every figure computed so far used the published one. Summed rows
    take the other columns of the male row (``status`` only where both sexes agree).
    """
    spec = dataset_spec(dataset)
    if "sex" not in spec.keys or "sex" not in frame.columns:
        return frame
    def of_sex(label: str) -> np.ndarray:  # compared in pandas: the column is Arrow text
        return (frame["sex"] == label).to_numpy(bool)

    published = of_sex(BOTH_SEXES)
    if not spec.counts:
        return frame[published].reset_index(drop=True)
    key = key_codes(frame, [k for k in spec.key_columns if k != "sex"])
    value = frame["value"].to_numpy(dtype=float)
    given = ~np.isnan(value)
    male, female = of_sex("male") & given, of_sex("female") & given
    # keys with both sexes and no published figure with a value (keys are unique per sex)
    summable = np.setdiff1d(np.intersect1d(key[male], key[female], assume_unique=True), key[published & given],
                            assume_unique=True)
    if not len(summable):
        return frame[published].reset_index(drop=True)
    is_summed = np.isin(key, summable)
    summed = frame[male & is_summed].copy()
    fem = np.flatnonzero(female & is_summed)
    fem = fem[np.argsort(key[fem])]  # the female row of each summed key, in the male rows' order
    fem = fem[np.searchsorted(key[fem], key[male & is_summed])]
    summed["value"] = summed["value"].to_numpy() + value[fem]
    if "status" in summed.columns:
        ours, theirs = (pd.Series(col, dtype="string").reset_index(drop=True)
                        for col in (summed["status"], frame["status"].iloc[fem]))
        agree = (ours == theirs).fillna(False).to_numpy(bool)  # (a missing status agrees with none)
        summed["status"] = summed["status"].where(agree)
    summed["sex"] = BOTH_SEXES
    out = pd.concat([frame[published & ~is_summed], summed], ignore_index=True)
    return out.sort_values(list(spec.key_columns), kind="mergesort").reset_index(drop=True)


def key_codes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """One int64 per row that is equal exactly where the rows' ``columns`` are (each column
    factorised, the codes combined in mixed radix): a fast, exact key for set operations."""
    code = np.zeros(len(frame), dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(frame[col], use_na_sentinel=False)
        code = code * (len(uniques) + 1) + codes
    return code


def requested_sexes(sex: "str | Iterable[str] | None", what: str) -> list[str]:
    """The sex labels a ``sex=`` argument asks for: ``None`` the two sexes (``male``, ``female``),
    a label itself, or the labels of a sequence; an unknown label is an error naming ``what``
    (a dataset or a result frame) and the allowed ones."""
    wanted = list(SPLIT_SEXES) if sex is None else [sex] if isinstance(sex, str) else list(sex)
    unknown = sorted(set(wanted) - set(SEXES))
    if unknown:
        raise DataValidationError(f"{what}: unknown sex {unknown}; allowed: male, female, total (both sexes)")
    return wanted


def sex_level(frame: pd.DataFrame, dataset: str, sex: "str | Iterable[str] | None" = None) -> pd.DataFrame:
    """The rows of ``frame`` at the sex level asked for, one value per key.

    ``None`` (the default) or ``("male", "female")``: the two sexes (:func:`split_sexes`);
    ``"total"``: the both-sexes figure (:func:`both_sexes`); one sex: its rows. Asked for
    explicitly, e.g. ``("male", "female", "total")``, both levels come back, told apart by the
    ``sex`` label (add over ``sex`` only after choosing one). Tables without ``sex`` come back
    as they are. An unknown label is an error naming the allowed ones.
    """
    spec = dataset_spec(dataset)
    if "sex" not in spec.keys or "sex" not in frame.columns:
        return frame
    wanted = requested_sexes(sex, dataset)
    sexes = [s for s in wanted if s != BOTH_SEXES]
    parts = [frame[frame["sex"].isin(sexes)]] if sexes else []
    if BOTH_SEXES in wanted:
        parts.append(both_sexes(frame, dataset))
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(list(spec.key_columns), kind="mergesort").reset_index(drop=True)
