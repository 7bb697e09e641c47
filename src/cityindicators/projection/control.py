r"""National control: the municipalities' projections made to add up to a national projection.

Projected independently, the 60 municipalities need not sum to any projection of the country
(internal migration estimated in each of them does not net out, small-area rates drift). The
control scales them, *proportionally by sex and single year of age*, to a national projection
``N``: in projection year ``t`` every municipality ``i`` gets

.. math::  P^{c}_{i,t,s,x} = P_{i,t,s,x}\, f_{t,s,x}, \qquad
           f_{t,s,x} = \frac{N_{t,s,x}}{\sum_j P_{j,t,s,x}} ,

the sum over all municipalities of the data ``j`` (the uncontrolled projections of the same
scenario), so the controlled municipalities add up to ``N`` in every sex and age and each keeps
its share of the country's residents of that sex and age. A municipality's total then moves by
the national factors weighted by its own age structure. The base year is data and keeps
``f = 1``. This is the proportional ("prorating") adjustment of Smith, Tayman & Swanson (2013,
*A Practitioner's Guide to State and Local Population Projections*, ch. 10); raking to
independently projected municipal totals is not done.

The national projection is either

* ``"engine"``: the engine's own projection of the country (its own rates, the same scenario), or
* imported (Statistics Lithuania's, Eurostat's ...): a tidy CSV (or frame) with columns
  ``year, sex, age, value``, ``sex`` male/female, single ages whose highest is an open group
  (``100`` = 100 and over; a lower top such as 85 controls the projection's ages 85+ as one group,
  scaled by one factor). Projection years between the base year and a year of the file get
  factors interpolated linearly from 1 at the base year to the file's factors; years after the
  file's last keep its last factors. An imported projection controls every scenario of the run:
  use it with the scenario whose assumptions match it.

Components of change, balances and stochastic quantiles stay uncontrolled; the uncontrolled
population stays available (:attr:`ProjectionResult.uncontrolled`) beside the factors
(:attr:`ProjectionResult.national`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import ProjectionError

__all__ = ["read_national_projection", "national_array", "control_factors"]

_COLUMNS = ("year", "sex", "age", "value")


def read_national_projection(source: "str | os.PathLike | pd.DataFrame") -> pd.DataFrame:
    """A national projection as a frame ``year, sex, age, value`` (validated).

    Raises
    ------
    ProjectionError
        Unreadable file, a missing column, a bad value (the message names the file, the line and
        the field) or a duplicate cell.
    """
    name = "national projection" if isinstance(source, pd.DataFrame) else str(source)
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    else:
        path = Path(source)
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
        except FileNotFoundError:
            raise ProjectionError(f"{name}: national projection file not found") from None
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise ProjectionError(f"{name}: cannot read the national projection: {exc}") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise ProjectionError(f"{name}: missing column(s) {missing}; expected columns {list(_COLUMNS)}")
    out = {}
    for col in ("year", "age", "value"):
        vals = pd.to_numeric(frame[col].astype(str).str.strip(), errors="coerce")
        bad = ~np.isfinite(vals.to_numpy(dtype=float)) | ((vals < 0) if col != "year" else False)
        if col in ("year", "age"):
            bad = bad | (vals.fillna(0.5) % 1 != 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ProjectionError(f"{name}: line {i + 2}: field {col!r}: {frame[col].iloc[i]!r} is not a "
                                  f"{'non-negative number' if col == 'value' else 'whole number'}")
        out[col] = vals.astype("int64" if col != "value" else float)
    sex = frame["sex"].astype(str).str.strip().str.lower()
    keep = sex.isin(["male", "female"])
    bad = ~keep & (sex != "total")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ProjectionError(f"{name}: line {i + 2}: field 'sex': {frame['sex'].iloc[i]!r} is not male, female or total")
    tidy = pd.DataFrame({"year": out["year"], "sex": sex, "age": out["age"], "value": out["value"]})[keep.to_numpy()]
    if tidy.empty:
        raise ProjectionError(f"{name}: no rows for sex male or female")
    dup = tidy.duplicated(["year", "sex", "age"])
    if dup.any():
        r = tidy[dup].iloc[0]
        raise ProjectionError(f"{name}: line {int(tidy.index[dup][0]) + 2}: duplicate cell year {r['year']}, "
                              f"sex {r['sex']}, age {r['age']}")
    return tidy.reset_index(drop=True)


def national_array(national: pd.DataFrame, open_age: int, name: str = "national projection"
                   ) -> tuple[np.ndarray, np.ndarray, int]:
    """``(years, values[Y, 2, k + 1], k)``: the national projection on ages ``0..k`` (``k`` open,
    the file's top age, at most ``open_age``; ages above ``open_age`` fold into it).

    Raises
    ------
    ProjectionError
        A year lacks an age or a sex (the message names the first missing cell).
    """
    top = int(national["age"].max())
    k = min(top, int(open_age))
    years = np.array(sorted(national["year"].unique()), dtype=int)
    vals = np.zeros((len(years), 2, k + 1))
    seen = np.zeros(vals.shape, dtype=bool)
    yi = pd.Index(years).get_indexer(national["year"])
    si = (national["sex"] == "female").to_numpy().astype(int)
    ai = np.minimum(national["age"].to_numpy(dtype=int), k)
    np.add.at(vals, (yi, si, ai), national["value"].to_numpy(dtype=float))
    seen[yi, si, ai] = True
    if not seen.all():
        y, s, a = (int(v[0]) for v in np.nonzero(~seen))
        raise ProjectionError(f"{name}: no value for year {years[y]}, sex {('male', 'female')[s]}, age {a}; "
                              f"every year needs every age 0-{k} of both sexes")
    return years, vals, k


def control_factors(total: np.ndarray, base_year: int, national_years: np.ndarray, national: np.ndarray,
                    k: int) -> np.ndarray:
    """Factors ``f[n, 2, A]`` that scale the municipalities' sum ``total[n, 2, A]`` (projection
    years ``base_year .. base_year + n - 1``) to the national projection ``national[Y, 2, k + 1]``
    of ``national_years`` (ages ``k..`` one open group); see the module docstring.

    The base year keeps ``f = 1``; years between the base and the file's years are interpolated
    linearly, years after its last keep the last factors. Cells whose sum is zero get ``f = 1``.
    """
    n, _, A = total.shape
    if k >= A:
        raise ProjectionError(f"national projection's top age {k} is above the projection's open age {A - 1}")
    grouped = np.concatenate([total[..., :k], total[..., k:].sum(-1, keepdims=True)], axis=-1)  # [n, 2, k+1]
    years = np.arange(base_year, base_year + n)
    ok = (national_years > base_year) & (national_years <= years[-1])
    if not ok.any():
        raise ProjectionError(f"national projection has no year within {base_year + 1}-{years[-1]} "
                              f"(its years: {national_years.min()}-{national_years.max()})")
    ny, nv = national_years[ok], national[ok]
    at = np.searchsorted(years, ny)
    f_at = np.where(grouped[at] > 0, nv / np.where(grouped[at] > 0, grouped[at], 1.0), 1.0)  # [m, 2, k+1]
    # linear in time between (base, 1) and the file's years, held after the last
    px = np.concatenate([[base_year], ny]).astype(float)
    py = np.concatenate([np.ones((1,) + f_at.shape[1:]), f_at])
    f = np.empty((n, 2, k + 1))
    flat_py = py.reshape(len(px), -1)
    for c in range(flat_py.shape[1]):
        f.reshape(n, -1)[:, c] = np.interp(years, px, flat_py[:, c])
    return np.concatenate([f[..., :k], np.repeat(f[..., k:], A - k, axis=-1)], axis=-1)
