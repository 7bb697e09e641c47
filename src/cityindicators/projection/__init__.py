"""Population projections: cohort-component engine, rates, scenarios, targets, uncertainty, back-tests.

Main entry points
-----------------
- :func:`project` - estimate rates from the data, apply one or more scenarios and return a
  :class:`ProjectionResult` (tidy ``population``, ``components``, ``assumptions``,
  ``estimates``; helpers ``totals()``, ``broad_groups()``, ``balance()``, ``scenario_table()``;
  with ``stochastic=N`` also ``quantiles`` / ``quantiles_for()`` / ``quantiles_wide()`` for fan
  charts; with ``interval_errors`` also ``intervals`` / ``intervals_for()``, the empirical
  80 % intervals). Each frame holds one sex level and one age level, so it sums correctly by any key.
- National control (:mod:`.control`): ``project(..., national="engine" | path)``.
- :func:`find_inflow` - the constant annual net inflow with a chosen age profile that meets a
  population, working-age or old-age-dependency target (:class:`TargetResult`).
- :func:`backtest` / :func:`backtest_grid` - errors of the default method and naive baselines.
- :func:`load_scenario`, :func:`list_scenarios`, :func:`dump_scenario`, :class:`Scenario` -
  YAML scenarios (shipped under ``cityindicators/resources/scenarios``, user ones under
  ``<data-dir>/scenarios``).
- Lower level: :func:`estimate_rates` (:class:`BaseRates`, :class:`EstimationSettings`),
  :func:`cohort_component` / :func:`project_step` (the pure engine), :func:`simulate`
  (stochastic trajectories), :func:`split_open_age`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import make_lazy

#: Public name -> the submodule that defines it, imported on first use (PEP 562), so that
#: ``cityindicators scenarios --list`` reads scenario files without importing the engine.
_LAZY: dict[str, str] = {
    "ProjectionResult": "api",
    "project": "api",
    "BacktestResult": "backtest",
    "backtest": "backtest",
    "backtest_grid": "backtest",
    "ProjectionData": "data",
    "EngineResult": "engine",
    "cohort_component": "engine",
    "project_step": "engine",
    "E0Scaler": "lifetable",
    "life_expectancy": "lifetable",
    "life_table": "lifetable",
    "survival_ratios": "lifetable",
    "split_open_age": "openage",
    "BROAD_AGE_GROUPS": "agegroups",
    "BaseRates": "base_rates",
    "EstimationSettings": "settings",
    "estimate_rates": "estimation",
    "PROFILES": "scenarios",
    "Scenario": "scenarios",
    "dump_scenario": "scenarios",
    "list_scenarios": "scenarios",
    "load_scenario": "scenarios",
    "StochasticResult": "stochastic",
    "StochasticSettings": "stochastic",
    "fit_stochastic_model": "stochastic",
    "simulate": "stochastic",
    "TargetResult": "target",
    "find_inflow": "target",
}

__all__ = [
    "project",
    "ProjectionResult",
    "ProjectionData",
    "find_inflow",
    "TargetResult",
    "backtest",
    "backtest_grid",
    "BacktestResult",
    "Scenario",
    "PROFILES",
    "load_scenario",
    "list_scenarios",
    "dump_scenario",
    "estimate_rates",
    "BaseRates",
    "EstimationSettings",
    "BROAD_AGE_GROUPS",
    "cohort_component",
    "project_step",
    "EngineResult",
    "simulate",
    "StochasticSettings",
    "StochasticResult",
    "fit_stochastic_model",
    "life_table",
    "life_expectancy",
    "survival_ratios",
    "E0Scaler",
    "split_open_age",
]

make_lazy(__name__)

if TYPE_CHECKING:  # the names as eager imports, for type checkers and IDEs
    from .api import ProjectionResult, project
    from .backtest import BacktestResult, backtest, backtest_grid
    from .data import ProjectionData
    from .engine import EngineResult, cohort_component, project_step
    from .lifetable import E0Scaler, life_expectancy, life_table, survival_ratios
    from .openage import split_open_age
    from .agegroups import BROAD_AGE_GROUPS
    from .base_rates import BaseRates
    from .estimation import estimate_rates
    from .settings import EstimationSettings
    from .scenarios import PROFILES, Scenario, dump_scenario, list_scenarios, load_scenario
    from .stochastic import StochasticResult, StochasticSettings, fit_stochastic_model, simulate
    from .target import TargetResult, find_inflow
