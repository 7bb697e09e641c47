"""Helpers the estimation stages share: tidy frames to arrays, and a NaN-aware trend slope."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ...cube import Cube
from ...exceptions import ProjectionError

__all__ = ["ols_slope", "series", "population_array"]


def ols_slope(y: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Slope per row of ``y[..., H]`` against ``years`` ignoring NaNs (0 when under 3 points)."""
    ok = np.isfinite(y)
    n = ok.sum(-1)
    xm = np.where(ok, years, 0).sum(-1) / np.maximum(n, 1)
    ym = np.where(ok, y, 0).sum(-1) / np.maximum(n, 1)
    dx = np.where(ok, years - xm[..., None], 0)
    dy = np.where(ok, y - ym[..., None], 0)
    sxx = (dx**2).sum(-1)
    slope = (dx * dy).sum(-1) / np.where(sxx == 0, 1, sxx)
    return np.where(n >= 3, slope, 0.0)


def series(frame: pd.DataFrame, codes: Sequence[str], years: Sequence[int], sex: str | None = None,
           age: int | None = None) -> np.ndarray:
    """``[T, Y]`` array of ``value`` of ``frame`` (one sex level: :meth:`ProjectionData.total` or the
    two sexes), for one sex when given (and one age, when given)."""
    f = frame
    if sex is not None and "sex" in f.columns:
        f = f[f["sex"] == sex]
    if age is not None and "age" in f.columns:
        f = f[f["age"] == age]
    if f.empty:
        return np.full((len(codes), len(years)), np.nan)
    f = f.assign(territory_code=f["territory_code"].astype(str))
    return Cube.from_tidy(f, ("territory", "year"), {"territory": tuple(codes), "year": list(years)}).values


def population_array(frame: pd.DataFrame):
    """:func:`cityindicators.store.population_array` (imported here, on first use: the store loads pandera)."""
    try:
        from ...store import population_array as build
    except ImportError:  # pragma: no cover - store is part of the package
        raise ProjectionError("cityindicators.store is not available") from None
    return build(frame)
