"""An outflow larger than the population: the engine keeps every age group at zero or above, counts
what it kept from leaving (the migration shortfall), a projection reports it by scenario, territory
and year, the command line warns of it, and an added outflow in persons too large for a territory is
refused as implausible unless the scenario allows it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cityindicators.cli import main
from cityindicators.exceptions import ConfigError
from cityindicators.projection import cohort_component, load_scenario, project
from cityindicators.projection.bounds import check_added_inflow


def test_the_engine_counts_the_persons_its_lower_bound_kept_from_leaving():
    # one territory, ages 0 and 1+ (open), no deaths, no births: hand-worked
    P0 = np.array([[[10.0, 5.0], [4.0, 2.0]]])  # [T=1, sex, age]
    S = np.ones((2, 1, 2, 1))
    Sb = np.ones((2, 1, 2))
    asfr = np.zeros((2, 1, 2))
    male = np.full((2, 1), 0.5)
    rate = np.zeros((2, 1, 2, 2))
    count = np.zeros((2, 1, 2, 2))
    count[0, 0, 0, 1] = -20.0  # year 0, men 1+: survivors 10 + 5 = 15; 20 asked to leave, 5 cannot
    count[0, 0, 1, 0] = -3.0  # year 0, girls born: none born, so 3 cannot leave
    count[1, 0, 1, 1] = -4.0  # year 1, women 1+: 4 + 2 = 6 there, 4 leave: no shortfall
    res = cohort_component(P0, S, Sb, asfr, male, rate, count)
    np.testing.assert_allclose(res.migration_shortfall, [[8.0], [0.0]])
    np.testing.assert_allclose(res.population[1, 0], [[0.0, 0.0], [0.0, 6.0]])  # men emptied, not negative
    np.testing.assert_allclose(res.net_migration[0, 0, 0], [0.0, -15.0])
    np.testing.assert_allclose(res.population[2, 0, 1], [0.0, 2.0])


def test_a_plausible_projection_reports_no_shortfall(demo_dir):
    res = project("X13", to_year=2040, scenario=["baseline", "zero-migration"], data_dir=demo_dir)
    assert res.migration_shortfall.empty
    assert list(res.migration_shortfall.columns) == ["scenario", "territory_code", "year", "persons"]


def _exodus(persons: float, allow: bool = True):
    sc = load_scenario("baseline")
    return replace(sc, name="exodus", allow_implausible=allow,
                   migration=replace(sc.migration, added_inflow=replace(sc.migration.added_inflow, persons=persons)))


def test_an_outflow_larger_than_the_town_is_reported_before_the_age_structure_combination_hides_it(demo_dir):
    base = project("X13", to_year=2030, data_dir=demo_dir).totals()
    pop0 = float(base.loc[base["year"] == base["year"].min(), "value"].iloc[0])
    res = project("X13", to_year=2030, scenario=_exodus(-10 * pop0), data_dir=demo_dir)
    short = res.migration_shortfall
    assert set(short["scenario"]) == {"exodus"} and set(short["territory_code"]) == {"X13"}
    first = short.loc[short["year"] == res.base_year, "persons"].iloc[0]
    # ten times the residents asked to leave in the first year; at most all of them can (plus the year's
    # births and the baseline's own inflow), so most of the outflow did not leave
    assert first > 8 * pop0
    assert (res.totals()["value"] >= 0).all()


def test_an_added_outflow_in_persons_too_large_for_the_territory_is_refused_unless_allowed(demo_dir):
    with pytest.raises(ConfigError, match=r"key 'migration.added_inflow.persons': -50,000 persons a year is "
                                          r"-[\d,.]+ per 1,000 residents of .+ outside the plausible range -30 to 30 "
                                          r".*allow_implausible: true"):
        project("X13", to_year=2030, scenario=_exodus(-50_000, allow=False), data_dir=demo_dir)
    project("X13", to_year=2030, scenario=_exodus(-50_000, allow=True), data_dir=demo_dir)  # allowed: runs
    project("X13", to_year=2030, scenario=_exodus(-1, allow=False), data_dir=demo_dir)  # plausible: runs


def test_the_plausibility_of_an_inflow_in_persons_is_judged_per_1000_of_each_territory():
    sc = _exodus(-300.0, allow=False)
    check_added_inflow(sc, np.array([-300.0, -300.0]), np.array([10_000.0, 20_000.0]), ["a", "b"], 2018)  # -30, -15
    with pytest.raises(ConfigError, match=r"-30.3 per 1,000 residents of b in 2018 \(9,900 residents\)"):
        check_added_inflow(sc, np.array([-300.0, -300.0]), np.array([10_000.0, 9_900.0]), ["a", "b"], 2018)
    check_added_inflow(replace(sc, allow_implausible=True), np.array([-300.0]), np.array([100.0]), ["a"], 2018)


def test_the_command_line_warns_of_an_outflow_that_did_not_leave(demo_dir, tmp_path, capsys):
    path = tmp_path / "exodus.yaml"
    path.write_text("name: exodus\nextends: baseline\nallow_implausible: true\n"
                    "migration:\n  added_inflow:\n    persons: -1000000\n", encoding="utf-8")
    assert main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--to", "2030",
                 "--scenario", str(path), "--scenario", "baseline", "--output", str(tmp_path / "p.csv")]) == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, err  # the baseline has none
    assert warnings[0].startswith("warning: scenario 'exodus', ")
    assert "the net outflow asked for in " in warnings[0] and " persons of it did not leave" in warnings[0]


@pytest.mark.parametrize("lang", ["lt", "en"])
def test_the_scenario_report_says_how_many_of_the_outflow_did_not_leave(demo_dir, tmp_path, lang, monkeypatch):
    import shutil

    from cityindicators.reports import sections
    from cityindicators.reports.sections import display

    data = tmp_path / "data"  # a copy: the user's scenario goes into its scenarios folder
    shutil.copytree(demo_dir, data, symlinks=True)
    (data / "scenarios").mkdir(exist_ok=True)
    (data / "scenarios" / "exodus.yaml").write_text(
        "name: exodus\nextends: baseline\nallow_implausible: true\nmigration:\n  added_inflow:\n    persons: -1000000\n",
        encoding="utf-8")
    shown = []
    monkeypatch.setattr(display, "_display", lambda obj, **kw: shown.append(obj))
    c = sections.setup_scenarios("X13", scenarios=["baseline", "exodus"], horizon=2035, language=lang,
                                 data_dir=data, trajectories=0, show=False)
    sections.assumptions(c)
    # the page binds a year to its "m." with a no-break space
    bullets = [b.replace("\xa0", " ") for b in shown[-1].data.split("\n") if b.startswith("- ")]
    short = c.projection.migration_shortfall
    said = sections.shortfall_findings(c, "exodus")[0]
    assert said.values["persons"] == pytest.approx(short["persons"].sum())
    assert (said.values["first"], said.values["last"]) == (c.projection.base_year, 2034)
    assert bullets[1].endswith(" " + said.text) and said.text not in bullets[0]
    assert sections.shortfall_findings(c, "baseline") == []
