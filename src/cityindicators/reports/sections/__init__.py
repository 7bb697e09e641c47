"""One short call per notebook section.

A template notebook calls :func:`setup` (or :func:`setup_scenarios`) once with its parameters,
then one function of this package per section. Each section function displays its heading,
chart or table and sentences in the report language, and returns what it showed (a figure, a
frame, findings) so that an analyst in JupyterLab can look further. Numbers come from the
indicator and projection libraries; the charts from :mod:`cityindicators.plotting`.

The modules, by job (each section function is re-exported here, so notebooks import this
package alone):

- :mod:`.display`: showing Markdown, charts and tables (charts are saved by the runner);
- :mod:`.context`: :class:`ReportContext` and :func:`setup`, what every section reads;
- :mod:`.situation`: the situation analysis's sections; :mod:`.compare` its comparison table;
  :mod:`.breaks` series breaks; :mod:`.names` indicator names; :mod:`.data_sources` the sources;
- :mod:`.scenarios`: :func:`setup_scenarios` and the scenario chapter's sections;
  :mod:`.targets` the inflow a target needs; :mod:`.accuracy_table` the back-test;
  :mod:`.planner` service age groups, the working-age target and the annex.
"""

from __future__ import annotations

from .accuracy_table import accuracy, accuracy_context
from .breaks import series_breaks
from .compare import (compare_in_years, comparison, comparison_breaks, latest_years, published_indicators,
                      similarity_statement)
from .context import (AGEING_INDICATORS, COMPARISON_INDICATORS, LABOUR_INDICATORS, SITUATION_INDICATORS,
                      ReportContext, setup)
from .data_sources import source_date, source_label, sources
from .display import show_figure, show_markdown, show_table
from .planner import annex, service_groups, working_age_target
from .scenarios import (assumption_findings, assumptions, beyond_backtest_finding, broad_groups, dependency, fan_chart,
                        observed_tfr, outflow_findings, shortfall_findings, projected_indicators, scenario_population, scenario_pyramids, setup_scenarios,
                        tfr_bounds_applied)
from .situation import (ageing, change_ranks, components, key_findings, labour, migration, peers_statement,
                        population_trend, pyramid, situation_findings, working_age)
from .targets import inflows_by_scenario, target, target_line

__all__ = [
    # set-up and display
    "ReportContext", "setup", "setup_scenarios", "show_figure", "show_markdown", "show_table",
    "AGEING_INDICATORS", "COMPARISON_INDICATORS", "LABOUR_INDICATORS", "SITUATION_INDICATORS",
    # situation analysis
    "key_findings", "situation_findings", "change_ranks", "population_trend", "pyramid", "components", "ageing",
    "peers_statement", "working_age", "migration", "labour", "published_indicators", "comparison",
    "compare_in_years", "comparison_breaks", "latest_years", "similarity_statement", "series_breaks",
    "sources", "source_date", "source_label",
    # scenarios
    "assumptions", "assumption_findings", "outflow_findings", "shortfall_findings", "observed_tfr", "tfr_bounds_applied", "scenario_population", "beyond_backtest_finding", "broad_groups", "scenario_pyramids",
    "projected_indicators", "dependency", "fan_chart", "target", "inflows_by_scenario", "target_line",
    "accuracy", "accuracy_context", "service_groups", "working_age_target", "annex",
]
