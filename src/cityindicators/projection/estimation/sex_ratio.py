"""Stage 2 of the estimation: the share of boys among births, shrunk towards the country's.

``p = (b + k p_ref) / (b + g + k)`` with the territory's boys ``b`` and girls ``g`` of all
event years and a prior of ``k = srb_prior_births`` births at the reference share ``p_ref``:
the country's (else all rows of the births table pooled, else the standard 1.055 boys per girl).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..settings import EstimationSettings
from .inputs import EstimationInputs

__all__ = ["SexRatio", "sex_ratio_at_birth"]


@dataclass(frozen=True)
class SexRatio:
    """Share of boys among births ``[T]`` and the record of how each was found."""

    male_share: np.ndarray
    notes: dict[str, dict[str, object]]


def sex_ratio_at_birth(births: pd.DataFrame, inp: EstimationInputs, st: EstimationSettings) -> SexRatio:
    """The share of boys among births of each territory of ``inp`` (see the module docstring)."""
    boys_all = births.loc[births["sex"] == "male", "value"].sum()  # (ProjectionData holds the two sexes)
    girls_all = births.loc[births["sex"] == "female", "value"].sum()
    nat = births[births["territory_code"].astype(str) == str(inp.country_code)]
    nb, ng = nat.loc[nat["sex"] == "male", "value"].sum(), nat.loc[nat["sex"] == "female", "value"].sum()
    if nb + ng > 0:
        p_ref, how = nb / (nb + ng), "country"
    elif boys_all + girls_all > 0:
        p_ref, how = boys_all / (boys_all + girls_all), "pooled"
    else:
        p_ref, how = 1.055 / 2.055, "standard 1.055"
    bm = np.nansum(inp.births_male, axis=1)
    bf = np.nansum(inp.births_female, axis=1)
    male_share = (bm + st.srb_prior_births * p_ref) / (bm + bf + st.srb_prior_births)
    notes: dict[str, dict[str, object]] = {c: {} for c in inp.codes}
    for i, c in enumerate(inp.codes):
        notes[c]["srb"] = f"own births by sex shrunk to {how} share" if bm[i] + bf[i] > 0 else f"{how} share"
    return SexRatio(male_share=male_share, notes=notes)
