"""The rate estimation under its former name: a thin re-export, so callers and notebooks keep working.

The code lives in its own modules: settings in :mod:`.settings`, the result type in
:mod:`.base_rates`, the model schedules in :mod:`.model_schedules`, age groups in
:mod:`.agegroups`, and the estimator with the description of its methods in :mod:`.estimation`
(one module per stage: inputs, sex ratio, mortality, fertility, migration, history).
New code imports from those modules.
"""

from __future__ import annotations

from .agegroups import BROAD_AGE_GROUPS, FEMALE, SEXES
from .base_rates import BaseRates
from .base_rates import first_year_survivors as _first_year_survivors
from .estimation import estimate_rates
from .estimation import reference_pool as _reference_pool
from .estimation.common import ols_slope as _ols_slope
from .estimation.common import population_array as _population_array
from .estimation.common import series as _series
from .estimation.history import TOTAL_TREND_YEARS
from .estimation.mortality import aggregate_open as _aggregate_open
from .estimation.mortality import estimate_gompertz_slope as _estimate_gompertz_slope
from .model_schedules import calibrate_mortality, hadwiger, model_mortality
from .settings import CONVERGENCE_TARGETS, EstimationSettings

__all__ = [
    "EstimationSettings",
    "BaseRates",
    "estimate_rates",
    "model_mortality",
    "calibrate_mortality",
    "hadwiger",
    "BROAD_AGE_GROUPS",
]

# names of the former module kept importable for code written against it
_FORMER_NAMES = (SEXES, FEMALE, TOTAL_TREND_YEARS, CONVERGENCE_TARGETS, _first_year_survivors, _reference_pool,
                 _ols_slope, _population_array, _series, _aggregate_open, _estimate_gompertz_slope)
