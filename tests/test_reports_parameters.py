"""Parameter checks registered by the modules that own the parameter."""

from __future__ import annotations

import importlib

import pytest

from cityindicators.exceptions import ReportParameterError
from cityindicators.parameter_checks import CHECKS, register_check
from cityindicators.reports import parameters


def test_every_owned_parameter_is_checked_by_its_owner():
    for name, module in parameters.PARAMETER_OWNERS.items():
        importlib.import_module(module)
        assert CHECKS[name].__module__ in (module, "cityindicators.parameter_checks"), name  # the owner's, or a helper it made
    assert CHECKS["scenarios"].__module__ == "cityindicators.projection.parameters"
    assert CHECKS["plan"].__module__ == "cityindicators.plans.parameters"
    assert CHECKS["territory"].__module__ == "cityindicators.reports.parameters"


def test_owners_checks_refuse_bad_values(demo_dir):
    with pytest.raises(ReportParameterError, match="unknown scenario"):
        parameters.validate_parameters("scenarios", {"territory": "X13", "scenarios": ["utopia"], "data_dir": str(demo_dir)})
    with pytest.raises(ReportParameterError, match="parameter 'base_year': 1800"):
        parameters.validate_parameters("scenarios", {"territory": "X13", "base_year": 1800, "data_dir": str(demo_dir)})
    with pytest.raises(ReportParameterError, match="parameter 'trajectories': must be zero or positive"):
        parameters.validate_parameters("scenarios", {"territory": "X13", "trajectories": -1, "data_dir": str(demo_dir)})
    assert parameters.validate_parameters("scenarios", {"territory": "X13", "base_year": 0,
                                                        "data_dir": str(demo_dir)})["base_year"] == 0


def test_a_parameter_has_one_owner():
    def other(value, params, data_dir):
        return value

    with pytest.raises(ValueError, match="has a check already"):
        register_check("territory", other)


def test_a_target_year_not_after_the_base_year_is_refused_before_the_report_runs(demo_dir):
    for target_year in (2010, 2015):
        with pytest.raises(ReportParameterError, match=f"target_year {target_year} must be after the base_year 2015"):
            parameters.validate_parameters("scenarios", {"territory": "X13", "base_year": 2015, "target_year": target_year,
                                                         "data_dir": str(demo_dir)})
    assert parameters.validate_parameters("scenarios", {"territory": "X13", "base_year": 2015, "target_year": 2016,
                                                        "data_dir": str(demo_dir)})["target_year"] == 2016


def test_a_pyramid_year_not_after_the_base_year_is_refused_before_the_report_runs(demo_dir):
    # the section drew the base year alone, leaving the year asked for out without a word
    with pytest.raises(ReportParameterError, match=r"pyramid_years \[2010, 2015\] must be after the base_year 2015"):
        parameters.validate_parameters("scenarios", {"territory": "X13", "base_year": 2015, "target_year": 2030,
                                                     "pyramid_years": [2010, 2015, 2040], "data_dir": str(demo_dir)})


def test_a_pyramid_or_target_year_not_after_the_base_year_found_in_the_data_is_refused(demo_dir):
    # base_year 0 is the territory's latest population year (the demo's 2025, the projection's base):
    # a pyramid year before it was dropped from the chart without a word
    with pytest.raises(ReportParameterError,
                       match=r"pyramid_years \[2020\] must be after the base_year 2025 \(the latest year of the "
                             r"territory's population data; base_year 0\)"):
        parameters.validate_parameters("scenarios", {"territory": "X13", "pyramid_years": [2020, 2040],
                                                     "data_dir": str(demo_dir)})
    with pytest.raises(ReportParameterError, match=r"target_year 2025 must be after the base_year 2025"):
        parameters.validate_parameters("scenarios", {"territory": "X13", "target_year": 2025, "data_dir": str(demo_dir)})
    kept = parameters.validate_parameters("scenarios", {"territory": "X13", "pyramid_years": [2026, 2040],
                                                        "target_year": 2026, "data_dir": str(demo_dir)})
    assert kept["base_year"] == 0 and kept["pyramid_years"] == [2026, 2040]


def test_latest_population_year_is_the_projections_base(demo_dir):
    from cityindicators.projection.api import project
    from cityindicators.workspace import as_workspace

    ws = as_workspace(demo_dir)
    assert parameters.latest_population_year("X13", ws) == project("X13", to_year=2030, data_dir=demo_dir).base_year
    assert parameters.latest_population_year("LT999", ws) == 0 and parameters.latest_population_year(None, ws) == 0


def test_a_repeated_scenario_or_too_many_trajectories_is_refused_before_the_report_runs(demo_dir):
    # both were found only by the projection in the notebook's setup cell, as a failed report
    with pytest.raises(ReportParameterError, match=r"parameter 'scenarios': 'baseline' given more than once"):
        parameters.validate_parameters("scenarios", {"territory": "X13", "scenarios": ["baseline", "trend", "baseline"],
                                                     "data_dir": str(demo_dir)})
    with pytest.raises(ReportParameterError,
                       match=r"template 'scenarios': parameter 'trajectories': 1,000,000,000,000 stochastic trajectories "
                             r"of 1 territory over 25 years would need about .* GiB of memory"):
        parameters.validate_parameters("scenarios", {"territory": "X13", "trajectories": 10**12, "horizon": 2050,
                                                     "data_dir": str(demo_dir)})
    kept = parameters.validate_parameters("scenarios", {"territory": "X13", "trajectories": 1000, "data_dir": str(demo_dir)})
    assert kept["trajectories"] == 1000
