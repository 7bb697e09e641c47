"""Stage 4 of the estimation: fertility by single age of the mother, and the TFR history.

The standard Hadwiger pattern (:func:`..model_schedules.hadwiger`) scaled to the observed
births of the last ``fertility_window`` years: ``TFR = sum_y B_y / sum_{y,x} h(x) W_{y,x}``
with ``W`` the mid-year women; each event year's own ratio is the TFR history. Age-specific
rates given in ``ProjectionData.asfr`` replace the pattern for their territory. The same ratio
over the births and women of all municipalities of the reference pool is the reference TFR, the
long-run level a converging TFR trend moves to (:func:`..bounds.tfr_path`); it is the same for
every territory whatever else is projected with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ...exceptions import ProjectionError
from ..model_schedules import hadwiger
from ..settings import EstimationSettings
from .inputs import EstimationInputs

__all__ = ["Fertility", "estimate_fertility"]


@dataclass(frozen=True)
class Fertility:
    """Age-specific fertility ``[T, omega+1]`` (per woman-year), its sum ``tfr`` ``[T]``, the TFR
    of each event year ``tfr_history`` ``[T, y]`` (NaN without births or women), the reference
    TFR ``tfr_reference`` ``[T]`` (the pool's, the same value for all) and the record of methods
    (``fertility``)."""

    asfr: np.ndarray
    tfr: np.ndarray
    tfr_history: np.ndarray
    notes: dict[str, dict[str, object]]
    tfr_reference: np.ndarray | None = None


def estimate_fertility(asfr_given: pd.DataFrame, inp: EstimationInputs, st: EstimationSettings,
                       pool: Sequence[str] = ()) -> Fertility:
    """Fertility of the territories of ``inp``; ``asfr_given`` the optional age-specific rates; ``pool``
    the territories whose births and women give the reference TFR (all of ``inp`` when empty).

    Raises
    ------
    ProjectionError
        A territory without births and women in the fertility window.
    """
    codes, Y, k, E, B_tot = inp.codes, inp.base_year, inp.data_open_age, inp.exposure, inp.births_total
    ev_years, T = inp.event_years, len(inp.codes)
    omega = st.open_age
    A = omega + 1
    notes: dict[str, dict[str, object]] = {c: {} for c in codes}
    std = hadwiger(st.hadwiger_h, st.hadwiger_r, k)  # on the data grid (ages <= 49 < k)
    fw = np.isin(ev_years, list(range(Y - st.fertility_window, Y)))
    expo_std = np.einsum("tyx,x->ty", np.nan_to_num(E[:, :, 1]), std)  # [T, y]
    okf = np.isfinite(B_tot) & np.isfinite(E[:, :, 1]).all(-1)
    tfr_hist_ev = np.where(okf, B_tot / np.where(expo_std > 0, expo_std, np.nan), np.nan)
    okfw = okf & fw
    births_w, expected_w = np.where(okfw, B_tot, 0).sum(1), np.where(okfw, expo_std, 0).sum(1)
    tfr = births_w / np.maximum(expected_w, 1e-9)
    ref = [codes.index(c) for c in pool if c in codes] or list(range(T))
    tfr_reference = np.full(T, births_w[ref].sum() / max(expected_w[ref].sum(), 1e-9))
    asfr = np.zeros((T, A))
    asfr[:, : k + 1] = tfr[:, None] * std[None, :]
    for i, c in enumerate(codes):
        notes[c]["fertility"] = "standard Hadwiger pattern scaled to observed births"
        if not okfw[i].any():
            raise ProjectionError(f"territory {c!r}: no births with population in {Y - st.fertility_window}-{Y - 1}")
    if not asfr_given.empty:
        af = asfr_given
        for i, c in enumerate(codes):
            rows = af[af["territory_code"].astype(str) == c]
            if rows.empty:
                continue
            a = np.zeros(A)
            ages = rows["age"].astype(int).to_numpy()
            a[np.clip(ages, 0, omega)] = rows["value"].to_numpy(dtype=float)
            asfr[i] = a
            tfr[i] = a.sum()
            notes[c]["fertility"] = "age-specific rates given"
    return Fertility(asfr=asfr, tfr=tfr, tfr_history=tfr_hist_ev, notes=notes, tfr_reference=tfr_reference)
