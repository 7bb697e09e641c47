"""The projection CLI commands on the synthetic demo store."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from cityindicators.cli import main


def test_scenarios_list_and_show(capsys):
    assert main(["scenarios", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("baseline", "trend", "zero-migration", "low-emigration", "attraction", "revival"):
        assert name in out
    assert main(["scenarios", "--show", "attraction"]) == 0
    assert "added_inflow" in capsys.readouterr().out


def test_project_writes_csv_atomically(demo_dir, tmp_path, capsys):
    out = tmp_path / "proj.csv"
    rc = main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--base-year", "2020", "--to", "2030",
               "--scenario", "baseline", "--scenario", "attraction", "--output", str(out)])
    assert rc == 0
    frame = pd.read_csv(out, dtype={"territory_code": str})
    assert list(frame.columns) == ["scenario", "territory_code", "territory", "year", "sex", "age", "population"]
    assert set(frame["scenario"]) == {"baseline", "attraction"} and frame["year"].max() == 2030
    assert not list(tmp_path.glob(".proj.csv.*"))  # no temporary file left


def test_project_stochastic_quantile_columns(demo_dir, capsys):
    rc = main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--base-year", "2020", "--to", "2025",
               "--stochastic", "30", "--seed", "3"])
    assert rc == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert {"q10", "q50", "q90", "age_group", "territory"} <= set(frame.columns)
    # every level, labelled (the both-sexes quantile beside the sexes', the all-ages beside the groups')
    assert set(frame["sex"]) == {"male", "female", "total"}
    assert set(frame["age_group"]) == {"total", "0-14", "15-64", "65+"}
    assert not frame.duplicated(["scenario", "territory_code", "year", "sex", "age_group"]).any()


def test_project_table_prints_whole_persons(demo_dir, capsys):
    args = ["--data-dir", str(demo_dir), "project", "--territory", "X13", "--base-year", "2020", "--to", "2025",
            "--stochastic", "30", "--seed", "3"]
    assert main(args) == 0
    exact = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert (exact["q50"] % 1 != 0).any()  # the machine output keeps the fractional persons
    assert main(args + ["--format", "table"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert [r[-1] for r in rows] == [str(round(v)) for v in exact["q90"]]
    assert main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--base-year", "2020", "--to", "2022",
                 "--format", "table"]) == 0
    assert all("." not in line.split()[-1] for line in capsys.readouterr().out.splitlines()[1:])


def test_target_and_unreachable_exit_code(demo_dir, capsys):
    rc = main(["--data-dir", str(demo_dir), "target", "--territory", "X13", "--base-year", "2020", "--year", "2030",
               "--population", "21000"])
    out = capsys.readouterr().out
    assert rc == 0 and out.startswith("Eglyno sav. (X13): a constant added net inflow of ") and "2030" in out
    rc = main(["--data-dir", str(demo_dir), "target", "--territory", "X13", "--base-year", "2020", "--year", "2030",
               "--population", "1e8", "--max-inflow", "100"])
    assert rc == 3 and "no constant added inflow" in capsys.readouterr().out


def test_target_table_writes_whole_persons(demo_dir, capsys):
    # the table printed "22788.0": persons are written as whole persons in every command's table
    rc = main(["--data-dir", str(demo_dir), "target", "--territory", "X13", "--base-year", "2020", "--year", "2030",
               "--population", "21000"])
    lines = capsys.readouterr().out.splitlines()
    assert rc == 0 and lines[1].split() == ["year", "total", "0-14", "15-64", "65+"]
    assert all(cell.isdigit() for line in lines[2:] for cell in line.split()), lines[2:4]
    help_text = " ".join(main_help("target").split())
    assert "table (default; for reading:" in help_text and "csv or json (for programs" in help_text


def main_help(command: str) -> str:
    """The ``--help`` text of ``command``."""
    import contextlib

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit):
        main([command, "--help"])
    return buf.getvalue()


def test_backtest_table(demo_dir, capsys):
    rc = main(["--data-dir", str(demo_dir), "backtest", "--base-year", "2018", "--horizon", "3", "--format", "csv"])
    captured = capsys.readouterr()
    assert rc == 0
    frame = pd.read_csv(io.StringIO(captured.out))
    assert set(frame["method"]) == {"cohort-component", "constant", "linear", "exponential", "hamilton-perry"}
    assert set(frame["group"]) == {"total", "0-14", "15-64", "65+", "median_age"}  # the protocol's measures
    assert "baseline" in captured.err
    assert "not out of sample" in captured.err  # the shipped settings were chosen on back-tests like this one


def test_unknown_scenario_is_a_clean_error(demo_dir, capsys):
    rc = main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--to", "2030", "--scenario", "nope"])
    assert rc == 1 and "unknown scenario" in capsys.readouterr().err


def test_project_a_group(demo_dir, capsys):
    rc = main(["--data-dir", str(demo_dir), "project", "--territory", "G:demo_north", "--base-year", "2020", "--to",
               "2022"])
    assert rc == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"territory_code": str})
    assert set(frame["territory_code"]) == {"X11", "X12", "X13", "G:demo_north"}
    assert frame.loc[frame["territory_code"] == "G:demo_north", "territory"].iloc[0] == "Demonstracinė grupė (sintetiniai duomenys)"
    tot = frame.groupby(["territory_code", "year"])["population"].sum().unstack()
    assert tot.loc["G:demo_north"].tolist() == pytest.approx(tot.loc[["X11", "X12", "X13"]].sum().tolist())


def test_backtest_needs_both_or_neither_of_base_year_and_horizon(demo_dir, capsys):
    rc = main(["--data-dir", str(demo_dir), "backtest", "--base-year", "2018"])
    err = capsys.readouterr().err
    assert rc != 0 and "both --base-year and --horizon" in err and "Traceback" not in err


def test_project_sets_the_long_run_rule_and_the_combinations(demo_dir, capsys):
    def totals(*extra):
        rc = main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--base-year", "2010", "--to", "2040",
                   *extra])
        assert rc == 0
        frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
        return frame.groupby("year")["population"].sum()

    default = totals()
    held = totals("--migration-convergence", "none")
    same = totals("--migration-convergence", "zero", "--migration-convergence-start", "12",
                  "--migration-convergence-years", "28", "--age-structure-weight", "0.5", "--age-structure-years", "10",
                  "--total-combination-weight", "0")
    pd.testing.assert_series_equal(same, default)  # the defaults spelled out
    assert (held.loc[:2022] == default.loc[:2022]).all() and held.loc[2040] != pytest.approx(default.loc[2040])
    for bad, flag in ((["--migration-convergence", "half"], "--migration-convergence"),
                      (["--migration-convergence-start", "-1"], "--migration-convergence-start"),
                      (["--age-structure-weight", "2"], "--age-structure-weight")):
        assert totals_rc(demo_dir, bad) == 1
        err = capsys.readouterr().err
        assert flag in err and "Traceback" not in err


def totals_rc(demo_dir, extra):
    return main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--base-year", "2010", "--to", "2015",
                 *extra])


def target_run(demo_dir, capsys, *extra):
    """``target`` for X13 from 2020 to a population of 21,000 in 2030: exit code, printed message, trajectory."""
    rc = main(["--data-dir", str(demo_dir), "target", "--territory", "X13", "--base-year", "2020", "--year", "2030",
               "--population", "21000", "--format", "csv", *extra])
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    return rc, lines[0] if lines else "", captured.out, captured.err


def test_target_takes_the_projection_flags_of_project(demo_dir, capsys):
    rc, message, out, _ = target_run(demo_dir, capsys)
    assert rc == 0
    spelled = target_run(demo_dir, capsys, "--migration-convergence", "zero", "--migration-convergence-start", "12",
                         "--migration-convergence-years", "28", "--age-structure-weight", "0.5",
                         "--age-structure-years", "10", "--total-combination-weight", "0")
    assert spelled[:3] == (0, message, out)  # the defaults spelled out
    # net migration at zero from the first year on: the inflow the target needs changes
    early = target_run(demo_dir, capsys, "--migration-convergence-start", "0", "--migration-convergence-years", "1")
    assert early[0] == 0 and early[1] != message
    for bad, flag in ((["--migration-convergence", "half"], "--migration-convergence"),
                      (["--total-combination-weight", "1.5"], "--total-combination-weight"),
                      (["--age-structure-years", "0"], "--age-structure-years")):
        rc, _, _, err = target_run(demo_dir, capsys, *bad)
        assert rc == 1 and flag in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_scenarios_show_prints_the_effective_long_run_keys(tmp_path, capsys):
    import yaml

    assert main(["--data-dir", str(tmp_path), "scenarios", "--show", "baseline", "--base-year", "2018"]) == 0
    out = capsys.readouterr().out
    assert "#   migration.convergence_target: zero  # the shipped default" in out
    assert "#   migration.convergence_start_year: 2030  # the shipped default" in out  # 12 years held
    assert "#   migration.convergence_year: 2058  # the shipped default" in out  # zero 40 years after the base
    assert "#   combination.total_weight: 0  # the shipped default" in out
    assert "#   combination.age_structure_weight: 0.5  # the shipped default" in out
    assert yaml.safe_load(out)["name"] == "baseline"  # still YAML: the values are comments
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.yaml").write_text(
        "name: mine\nmigration:\n  convergence_target: own_mean\n  convergence_start_year: 2025\n"
        "combination:\n  total_weight: 0.3\n", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "scenarios", "--show", "mine", "--base-year", "2018"]) == 0
    out = capsys.readouterr().out
    assert "#   migration.convergence_target: own_mean  # the scenario's" in out
    assert "#   migration.convergence_start_year: 2025  # the scenario's" in out
    assert "#   migration.convergence_year: 2053  # the shipped default" in out  # 28 years after its start
    assert "#   combination.total_weight: 0.3  # the scenario's" in out
    # no base year and no data: the years relative to the base year
    assert main(["--data-dir", str(tmp_path), "scenarios", "--show", "baseline"]) == 0
    assert "#   migration.convergence_start_year: base year + 12" in capsys.readouterr().out


@pytest.mark.parametrize("flag", ["--migration-convergence-start", "--migration-convergence-years",
                                  "--age-structure-years"])
def test_a_span_of_years_beyond_any_projection_is_one_line_naming_its_option(demo_dir, capsys, flag):
    # 10**20 years did not fit numpy's integers: an internal error (OverflowError) after the rates were estimated
    for value in ("201", str(10**20)):
        assert totals_rc(demo_dir, [flag, value]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"error: {flag} {value}: ") and "at most 200 years" in err
        assert "internal error" not in err and len(err.splitlines()) == 1
    assert totals_rc(demo_dir, [flag, "200"]) == 0  # the longest span allowed runs
    capsys.readouterr()


def test_round_digits_out_of_range_or_without_round_is_refused_and_in_range_rounds(demo_dir, capsys):
    for extra, said in ((["--round", "--round-digits", "400"], "from 0 to 10, got 400"),
                        (["--round", "--round-digits", "-3"], "from 0 to 10, got -3"),
                        (["--round-digits", "0"], "give it with --round")):
        assert totals_rc(demo_dir, extra) == 1  # 400 wrote every population empty, -3 printed 0.0
        assert said in capsys.readouterr().err
    assert totals_rc(demo_dir, ["--round", "--round-digits", "0"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert frame["population"].notna().all() and (frame["population"] == frame["population"].round()).all()


def test_target_min_inflow_alone_is_the_lower_bound_and_a_nan_bound_is_refused(demo_dir, capsys):
    rc, message, _, _ = target_run(demo_dir, capsys)
    assert rc == 0 and "194 persons a year" in message  # the search from 0 finds an inflow below 500
    rc, message, _, _ = target_run(demo_dir, capsys, "--min-inflow", "500")
    assert rc == 0 and "an added inflow of 500 a year (the lower bound)" in message  # it was ignored without --max-inflow
    rc, _, _, err = target_run(demo_dir, capsys, "--max-inflow", "nan")
    assert rc == 1 and err == "error: inflow bounds must be finite numbers of persons a year, got (0.0, nan)\n"
    rc, _, _, err = target_run(demo_dir, capsys, "--min-inflow", "5000")
    assert rc == 1 and "must be increasing, got (5000, 2278.8) (the upper bound's default is 10 % of the base" in err


@pytest.mark.parametrize("extra, said", [
    (["--national-method", "raking"], "--national-method raking says how to meet a national projection: give it "
                                      "with --national-control engine|FILE"),
    (["--seed", "3"], "--seed sets the random draws of --stochastic N: give it with --stochastic"),
])
def test_an_option_that_only_qualifies_another_is_refused_alone(demo_dir, capsys, extra, said):
    # each was ignored: an uncontrolled or deterministic projection, exit code 0 and nothing said
    assert totals_rc(demo_dir, extra) == 1
    assert capsys.readouterr().err == f"error: {said}\n"


def test_scenarios_base_year_needs_show_and_a_year_of_the_tables(capsys):
    from cityindicators.cli.projection import FIRST_YEAR, LAST_YEAR
    from cityindicators.schema import YEAR_RANGE

    assert (FIRST_YEAR, LAST_YEAR) == YEAR_RANGE
    assert main(["scenarios", "--base-year", "2020"]) == 1  # the list was printed, the year ignored
    assert "give it with --show" in capsys.readouterr().err
    assert main(["scenarios", "--show", "baseline", "--base-year", "1700"]) == 1  # "convergence_start_year: 1712"
    assert capsys.readouterr().err == "error: scenarios --base-year 1700: expected a year 1950-2100\n"
    assert main(["scenarios", "--show", "baseline", "--base-year", "2020"]) == 0
    assert "migration.convergence_start_year: 2032" in capsys.readouterr().out


def test_target_with_an_unknown_profile_names_the_option(demo_dir, capsys):
    rc, _, _, err = target_run(demo_dir, capsys, "--profile", "aliens")
    assert rc == 1 and err.startswith("error: --profile 'aliens': unknown profile; allowed: young_families, ")
    rc, _, _, _ = target_run(demo_dir, capsys, "--profile", "own")
    assert rc == 0


def test_backtest_verdict_names_the_measures_ahead_and_behind():
    from cityindicators.cli.projection import _backtest_verdict

    wins = pd.DataFrame({"beats_all": [True, True, False]}, index=["total", "0-14", "median_age"])
    line = _backtest_verdict(wins, 2010, 5)
    assert line.startswith("default method beats every baseline on total and 0-14 but does NOT beat every "
                           "baseline on the median age (base 2010, horizon 5;")
    assert "\n" not in line
    everywhere = _backtest_verdict(wins.assign(beats_all=True), 2010, 5)
    assert "beats every baseline on total, 0-14 and the median age (" in everywhere and "NOT" not in everywhere


def test_single_backtest_of_one_territory_is_its_row_of_all(demo_dir, capsys):
    args = ["--data-dir", str(demo_dir), "backtest", "--base-year", "2018", "--horizon", "3", "--format", "csv"]
    assert main(args) == 0
    every = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert main(args + ["--territory", "Eglyno sav."]) == 0
    one = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert set(one["n"]) == {1} and min(every["n"]) > 1
    from cityindicators.projection import ProjectionData, backtest

    errors = backtest(ProjectionData.from_store(data_dir=demo_dir), 2018, 3).errors
    x13 = errors[errors["territory_code"] == "X13"].set_index(["method", "group"])["error_pct"]
    got = one.set_index(["method", "group"])
    assert got["mape"].to_numpy() == pytest.approx(x13.abs().loc[got.index].round(2).to_numpy(), abs=1e-9)
    assert got["bias"].to_numpy() == pytest.approx(x13.loc[got.index].round(2).to_numpy(), abs=1e-9)
