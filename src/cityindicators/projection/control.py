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
*A Practitioner's Guide to State and Local Population Projections*, ch. 10), ``method="proportional"``.

``method="raking"`` controls to two margins at once: the national projection by sex and age
*and* each municipality's total. The municipal totals are the municipalities' own projected
totals scaled by one factor so that they add up to the national total,
``M_{i,t} = T_{i,t} \sum N_t / \sum_j T_{j,t}`` (each keeps its share of the country's
residents as its own projection has it, where the proportional control lets a municipality's
total move with its age structure). Iterative proportional fitting (Deming & Stephan 1940)
alternates the two scalings

.. math::  P \leftarrow P \frac{N_{t,s,x}}{\sum_i P_{i,t,s,x}}, \qquad
           P \leftarrow P \frac{M_{i,t}}{\sum_{s,x} P_{i,t,s,x}}

until both margins hold to a relative tolerance (:data:`RAKING_TOLERANCE`, 1e-10 of each cell
and total), so the result has the form ``P_{i,s,x} a_{s,x} b_i``. Because both margins add up to
the same national total the iteration converges; a cell the municipalities do not populate at
all (a zero column sum) is left at zero.

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

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .._io import os_error_reason
from ..exceptions import ProjectionError

__all__ = ["CONTROL_METHODS", "RAKING_TOLERANCE", "read_national_projection", "national_array", "control_factors",
           "rake", "municipal_factors"]

_COLUMNS = ("year", "sex", "age", "value")

#: The two controls (see the module docstring).
CONTROL_METHODS = ("proportional", "raking")
#: Relative tolerance to which raking meets both margins.
RAKING_TOLERANCE = 1e-10


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
            if path.is_file() and path.stat().st_size == 0:  # the delimiter sniffer's error was an internal one
                raise ProjectionError(f"{name}: the national projection file is empty; expected columns "
                                      f"{', '.join(_COLUMNS)}")
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
        except FileNotFoundError:
            raise ProjectionError(f"{name}: national projection file not found") from None
        except csv.Error as exc:  # no delimiter to be found: one column, or not a table at all
            raise ProjectionError(f"{name}: cannot read the national projection as a table ({exc}); expected "
                                  f"columns {', '.join(_COLUMNS)} separated by commas or semicolons") from None
        except OSError as exc:
            raise ProjectionError(f"{name}: cannot read the national projection: {os_error_reason(exc)}") from None
        except (UnicodeDecodeError, pd.errors.ParserError) as exc:
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
    grouped = _grouped(total, k)  # [n, 2, k+1]
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
    return _expanded(f, k, A)


def rake(cells: np.ndarray, national: np.ndarray, totals: np.ndarray, tol: float = RAKING_TOLERANCE,
         max_iter: int = 1000) -> np.ndarray:
    """Iterative proportional fitting of ``cells[..., I, C]`` (municipality ``i``, cell ``c`` = sex x
    age) to the column sums ``national[..., C]`` and the row sums ``totals[..., I]``.

    Returns the raked cells (``cells * a[c] * b[i]``). Both margins must add up to the same total
    (to ``tol``); the iteration stops when every column and row sum is within ``tol`` (relative)
    of its target.

    Raises
    ------
    ProjectionError
        Margins that do not add up to the same total, a negative value, or no convergence within
        ``max_iter`` rounds (the message gives the remaining discrepancy).
    """
    x = np.asarray(cells, dtype=float).copy()
    col_t = np.asarray(national, dtype=float)
    row_t = np.asarray(totals, dtype=float)
    if (x < 0).any() or (col_t < 0).any() or (row_t < 0).any():
        raise ProjectionError("raking needs non-negative cells and margins")
    sum_c, sum_r = col_t.sum(-1), row_t.sum(-1)
    if not np.allclose(sum_c, sum_r, rtol=tol * 10, atol=0):
        raise ProjectionError(f"raking: the national total ({float(np.max(sum_c)):,.1f}) and the sum of the "
                              f"municipal totals ({float(np.max(sum_r)):,.1f}) differ")
    occupied = x.sum(-2) > 0  # [..., C]: cells no municipality has stay empty
    gap = np.inf
    for _ in range(max_iter):
        cs = x.sum(-2)
        x *= np.where(occupied, col_t / np.where(occupied, cs, 1.0), 1.0)[..., None, :]
        rs = x.sum(-1)
        x *= np.where(rs > 0, row_t / np.where(rs > 0, rs, 1.0), 1.0)[..., None]
        cs = x.sum(-2)
        gap = float(np.max(np.abs(cs - col_t) / np.maximum(col_t, 1e-300), where=occupied, initial=0.0))
        if gap <= tol:
            return x
    raise ProjectionError(f"raking did not converge in {max_iter} rounds (largest relative gap {gap:.2e})")


def _grouped(arr: np.ndarray, k: int) -> np.ndarray:
    """``arr[..., A]`` with ages ``k..`` summed into one open group: ``[..., k + 1]``."""
    return np.concatenate([arr[..., :k], arr[..., k:].sum(-1, keepdims=True)], axis=-1)


def _expanded(arr: np.ndarray, k: int, A: int) -> np.ndarray:
    """``arr[..., k + 1]`` with the open group's value repeated over ages ``k..A-1``: ``[..., A]``."""
    return np.concatenate([arr[..., :k], np.repeat(arr[..., k:], A - k, axis=-1)], axis=-1)


def municipal_factors(municipalities: np.ndarray, base_year: int, national_years: np.ndarray,
                      national: np.ndarray, k: int, method: str = "proportional") -> tuple[np.ndarray, np.ndarray]:
    """Control factors of each municipality and the controlled national cells.

    ``municipalities[n, I, 2, A]`` are the uncontrolled projections (years ``base_year ..``) of all
    municipalities of the data; ``national[Y, 2, k + 1]`` the national projection of
    ``national_years`` (see :func:`control_factors`, whose interpolated factors define the national
    target of every year). Returns ``(factors[n, I, 2, A], target[n, 2, k + 1])``: the factors
    by which to multiply each municipality's cells (the same for all municipalities with
    ``"proportional"``; ``a[s, x] b[i]`` with ``"raking"``, see the module docstring) and the
    national cells they then add up to.

    Raises
    ------
    ProjectionError
        An unknown method, or raking that does not converge.
    """
    if method not in CONTROL_METHODS:
        raise ProjectionError(f"national control method {method!r} is not one of {', '.join(CONTROL_METHODS)}")
    n, I, _, A = municipalities.shape
    total = municipalities.sum(1)  # [n, 2, A]
    f = control_factors(total, base_year, national_years, national, k)  # [n, 2, A]
    target = _grouped(total, k) * f[..., : k + 1]
    if method == "proportional":
        return np.broadcast_to(f[:, None], municipalities.shape), target
    cells = _grouped(municipalities, k)  # [n, I, 2, k + 1]
    own = municipalities.sum((-2, -1))  # [n, I]
    share = own / np.where(own.sum(1, keepdims=True) > 0, own.sum(1, keepdims=True), 1.0)
    totals = share * target.sum((-2, -1))[:, None]  # own shares of the national total
    fac = np.ones(cells.shape)
    # the base year (row 0) is data and keeps factor 1 exactly: raked, it would come back with rounding noise
    raked = rake(cells[1:].reshape(n - 1, I, -1), target[1:].reshape(n - 1, -1), totals[1:]).reshape(cells[1:].shape)
    fac[1:] = np.where(cells[1:] > 0, raked / np.where(cells[1:] > 0, cells[1:], 1.0), f[1:, None, :, : k + 1])
    return _expanded(fac, k, A), target
