"""The back-test errors and the interval models of a data build, computed once per build.

The calibrated stochastic band (the scenario report's fan chart, a plan's probability of
reaching its target, ``project --calibrate``) and the empirical intervals need the
out-of-sample back-test errors of the data
(:func:`~cityindicators.projection.backtest.out_of_sample_errors`: the whole nested protocol,
minutes on the lt-osp extract) and the interval models fitted on the errors observable by the
base year (:func:`~cityindicators.projection.api.shipped_model_at` for the total and the
broad groups, :func:`~cityindicators.projection.api.shipped_median_age_model_at` for the median
age: about a second each). All three are the same for every territory of the data, so they are
computed once per build of the processed tables and kept in memory and in the build's folder for
every process (:func:`cityindicators.build_cache.computed_once`): the workers of a report batch,
the plans' outlooks and the command line share them. This is the one place that keeps the errors:
one file per build, which goes with its build. Callers must treat what they get as read-only.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from ..build_cache import computed_once
from ..exceptions import CityIndicatorsError

if TYPE_CHECKING:  # pragma: no cover - types only
    import pandas as pd

    from .data import ProjectionData

__all__ = ["INTERVAL_LEVEL", "ERRORS_KEY", "backtest_errors_of_build", "interval_model_of_build",
           "median_age_model_of_build"]

log = logging.getLogger(__name__)

#: Level of the empirical intervals and of the calibrated stochastic band (80 %).
INTERVAL_LEVEL = 0.8
#: The key of the back-test errors in the build cache.
ERRORS_KEY = ("backtest-errors",)


def backtest_errors_of_build(data: "ProjectionData", data_dir: str | os.PathLike, required: bool = False,
                             purpose: str = "the stochastic band") -> "pd.DataFrame | None":
    """The out-of-sample back-test errors of the build ``data_dir`` (``data``: its projection
    inputs), or ``None`` when the data are too short for a back-test and nothing ``required``
    them; the warning then says that ``purpose`` is not calibrated and why.

    Raises
    ------
    CityIndicatorsError
        With ``required``, what kept the back-test from running.
    """
    def protocol():
        from .backtest import out_of_sample_errors

        return out_of_sample_errors(data)

    try:
        # on disk under the shared lock, so that the workers of a batch on a new build do not each
        # run the whole protocol: one computes, the others wait and read
        return computed_once(ERRORS_KEY, data_dir, protocol, on_disk=True)
    except CityIndicatorsError as exc:
        if required:
            raise
        log.warning("%s is not calibrated: no back-test on this data (%s)", purpose, exc)
        return None


def interval_model_of_build(errors: "pd.DataFrame", data: "ProjectionData", data_dir: str | os.PathLike,
                            base_year: int, level: float = INTERVAL_LEVEL):
    """The shipped interval model (:func:`~cityindicators.projection.api.shipped_model_at`) fitted on
    the back-test ``errors`` of the build observable by ``base_year``, behind the calibrated band and
    the intervals of the total and the broad groups (``project(interval_model=...)``)."""
    from . import api

    return computed_once(("interval-model", int(base_year), float(level)), data_dir,
                         lambda: api.shipped_model_at(errors, data, int(base_year), float(level)), on_disk=True)


def median_age_model_of_build(errors: "pd.DataFrame", data: "ProjectionData", data_dir: str | os.PathLike,
                              base_year: int, level: float = INTERVAL_LEVEL):
    """The median age's interval model (:func:`~cityindicators.projection.api.shipped_median_age_model_at`)
    fitted on the back-test ``errors`` of the build observable by ``base_year``, behind the median
    age's empirical interval (``project(median_age_model=...)``)."""
    from . import api

    return computed_once(("median-age-model", int(base_year), float(level)), data_dir,
                         lambda: api.shipped_median_age_model_at(errors, data, int(base_year), float(level)),
                         on_disk=True)
