"""Indicators: catalogue, computation for every territory and year, changes, ranks, comparisons.

Main entry points
-----------------
- :func:`compute_indicators` - tidy frame ``indicator, territory_code, year, value, unit``;
- :func:`comparison_table` - a municipality against the country, its county, peers and all
  municipalities (value, rank, percentile, z-score; also for changes between two years);
- :func:`indicator_changes` and :func:`rank_table` - the change view and rankings;
- :func:`similar_municipalities` - k nearest neighbours on standardised indicators;
- :data:`CATALOGUE`, :func:`catalogue_frame`, :func:`get_indicator` - ids, Lithuanian and
  English names, units, definitions, polarity and input datasets;
- :func:`cohort_net_migration` - net migration by age and sex (cohort-residual method);
- :func:`pension_age`, :func:`working_age_weights` - the legal working age;
- :func:`build_counts` - the dense count arrays (:class:`Counts`) every function above accepts
  as ``data``: build them once when making many calls on the same data.
"""

from __future__ import annotations

from ._counts import Counts, build_counts
from .catalogue import CATALOGUE, POLARITIES, Indicator, catalogue_frame, get_indicator, indicator_ids
from .change import indicator_changes, percentile_values, rank_table, rank_values, ranking_universe
from .compare import DEFAULT_SIMILARITY_FEATURES, comparison_table, peer_group, similar_municipalities
from .compute import cohort_net_migration, compute_indicators, load_data
from .structure import mean_age_of, median_age_of
from .working_age import pension_age, pension_age_weights, working_age_weights

__all__ = [
    "CATALOGUE",
    "POLARITIES",
    "Indicator",
    "catalogue_frame",
    "get_indicator",
    "indicator_ids",
    "compute_indicators",
    "cohort_net_migration",
    "load_data",
    "build_counts",
    "Counts",
    "indicator_changes",
    "rank_table",
    "rank_values",
    "percentile_values",
    "ranking_universe",
    "comparison_table",
    "peer_group",
    "similar_municipalities",
    "DEFAULT_SIMILARITY_FEATURES",
    "median_age_of",
    "mean_age_of",
    "pension_age",
    "working_age_weights",
    "pension_age_weights",
]
