"""Stage 4 of the estimation: fertility by single age of the mother, and the TFR history.

The standard Hadwiger pattern (:func:`..model_schedules.hadwiger`) scaled to the observed
births of the last ``fertility_window`` years: ``TFR = sum_y B_y / sum_{y,x} h(x) W_{y,x}``
with ``W`` the mid-year women; each event year's own ratio is the TFR history. Age-specific
rates given in ``ProjectionData.asfr`` replace the pattern for their territory.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    of each event year ``tfr_history`` ``[T, y]`` (NaN without births or women) and the record of
    methods (``fertility``)."""

    asfr: np.ndarray
    tfr: np.ndarray
    tfr_history: np.ndarray
    notes: dict[str, dict[str, object]]


def estimate_fertility(asfr_given: pd.DataFrame, inp: EstimationInputs, st: EstimationSettings) -> Fertility:
    """Fertility of the territories of ``inp``; ``asfr_given`` the optional age-specific rates.

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
    tfr = np.where(okfw, B_tot, 0).sum(1) / np.maximum(np.where(okfw, expo_std, 0).sum(1), 1e-9)
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
    return Fertility(asfr=asfr, tfr=tfr, tfr_history=tfr_hist_ev, notes=notes)
