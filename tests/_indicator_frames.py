"""Tiny literal canonical frames for the indicator tests (hand-worked examples)."""

from __future__ import annotations

import pandas as pd

from cityindicators.schema import split_tables

TOP = 85  # open age group 85+


def pop_rows(code: str, year: int, male: dict[int, float], female: dict[int, float], top: int = TOP,
             totals: bool = True) -> pd.DataFrame:
    """Population rows for every single age 0..top (zeros where not given), both sexes,
    the total sex, and (``totals``) the all-ages rows."""
    rows = []
    for sex, counts in (("male", male), ("female", female)):
        for a in range(top + 1):
            rows.append((code, year, sex, a, a == top, float(counts.get(a, 0.0))))
    df = pd.DataFrame(rows, columns=["territory_code", "year", "sex", "age", "open_age", "value"])
    tot = df.groupby(["territory_code", "year", "age", "open_age"], as_index=False)["value"].sum().assign(sex="total")
    df = pd.concat([df, tot], ignore_index=True)
    if totals:
        all_ages = df.groupby(["territory_code", "year", "sex"], as_index=False)["value"].sum()
        all_ages["age"] = pd.NA
        all_ages["open_age"] = False
        df = pd.concat([df, all_ages], ignore_index=True)
    df["age"] = df["age"].astype("Int64")
    return df


def totals_only(code: str, year: int, total: float) -> pd.DataFrame:
    return pd.DataFrame({"territory_code": [code], "year": [year], "sex": ["total"],
                         "age": pd.array([pd.NA], dtype="Int64"), "open_age": [False], "value": [float(total)]})


def events(code: str, year: int, total: float, **by_sex: float) -> pd.DataFrame:
    rows = [(code, year, "total", float(total))] + [(code, year, s, float(v)) for s, v in by_sex.items()]
    return pd.DataFrame(rows, columns=["territory_code", "year", "sex", "value"])


def deaths(code: str, year: int, total: float, infant: float | None = None) -> pd.DataFrame:
    rows = [(code, year, "total", pd.NA, float(total))]
    if infant is not None:
        rows.append((code, year, "total", 0, float(infant)))
    df = pd.DataFrame(rows, columns=["territory_code", "year", "sex", "age", "value"])
    df["age"] = df["age"].astype("Int64")
    return df


def tables(**frames: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``{dataset: frame}`` in the canonical shape: the all-ages rows the helpers above write
    (``age`` missing) moved to ``population_total`` / ``deaths_total`` / ``migration_total``."""
    return split_tables(frames)


def cat(*frames: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)


def value(frame: pd.DataFrame, indicator: str, code: str, year: int) -> float:
    sel = frame[(frame["indicator"] == indicator) & (frame["territory_code"] == code) & (frame["year"] == year)]
    assert len(sel) == 1, f"{indicator} {code} {year}: {len(sel)} rows"
    return float(sel["value"].iloc[0])
