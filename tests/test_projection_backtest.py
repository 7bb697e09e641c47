"""The out-of-sample back-test protocol: median age, nested selection, the tidy error frame (demo data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cityindicators.projection import EstimationSettings, ProjectionData
from cityindicators.projection.backtest import (BASELINES, SELECTED, SELECTED_EQUAL, SELECTED_MIN, Candidate, cell_weights,
                                                 census_breaks, future_break_weight, median_age, nested_backtest, ranked_candidates,
                                                 select_candidate)


def test_median_age_hand_worked():
    # ages 0, 1, 2 with 10, 20, 10 people (men only): half is 20, reached within age 1 where
    # 10 are below: 1 + (20 - 10) / 20 = 1.5
    pop = np.array([[10.0, 20.0, 10.0], [0.0, 0.0, 0.0]])
    assert median_age(pop) == pytest.approx(1.5)
    # both sexes add up: 4 people at age 0 and 4 at age 3 -> half (4) is reached at the end of age 0
    two = np.array([[2.0, 0, 0, 2.0], [2.0, 0, 0, 2.0]])
    assert median_age(two) == pytest.approx(1.0)
    # vectorised over leading axes
    assert median_age(np.stack([pop, two[:, :3] + 1])).shape == (2,)


def _scores(rows):
    idx = pd.MultiIndex.from_tuples([(y, h) for y, h, _, _ in rows], names=["base_year", "horizon"])
    return pd.DataFrame({"a": [a for *_, a, _ in rows], "b": [b for *_, b in rows]}, index=idx)


def test_selection_uses_only_back_tests_observed_by_the_origin():
    # a is better at 2006+1 (observed by 2007); b is much better at 2006+2 and 2007+1 (observed by 2008)
    scores = _scores([(2006, 1, -0.1, 0.1), (2006, 2, 0.3, -0.3), (2007, 1, 0.2, -0.2)])
    assert select_candidate(scores, 2006, ["a", "b"]) == ("a", 0)  # nothing observed: the prior (first) candidate
    assert select_candidate(scores, 2007, ["a", "b"], rule="min") == ("a", 1)
    assert select_candidate(scores, 2008, ["a", "b"], rule="min") == ("b", 3)
    assert select_candidate(scores, 2008, ["b", "a"], rule="min") == ("b", 3)
    # one-standard-error rule: b leaves the prior a only when its mean cell difference, here
    # (0.2 - 0.6 - 0.4) / 3 = -0.267 with standard error sd(0.2, -0.6, -0.4) / sqrt(3) = 0.240, is
    # below minus one standard error (it is); at 2007 one cell gives no standard error: keep the prior
    assert select_candidate(scores, 2008, ["a", "b"], rule="one-se") == ("b", 3)
    close = _scores([(2006, 1, -0.1, 0.1), (2006, 2, 0.3, -0.3), (2007, 1, -0.2, 0.2), (2007, 2, 0.1, -0.2)])
    # mean difference (0.2 - 0.6 + 0.4 - 0.3) / 4 = -0.075, standard error 0.229: not enough evidence
    assert select_candidate(close, 2009, ["a", "b"], rule="min") == ("b", 4)
    assert select_candidate(close, 2009, ["a", "b"], rule="one-se") == ("a", 4)


def test_cells_across_the_census_break_are_down_weighted_hand_worked():
    assert census_breaks() == (2011,)  # the level break of every territory's population in the register
    idx = pd.MultiIndex.from_tuples([(2009, 1), (2010, 1), (2011, 1), (2009, 2)], names=["base_year", "horizon"])
    # 2009+1 ends in 2010 (before), 2010+1 and 2009+2 end in 2011 (projected across the revision), 2011+1 starts after it
    assert cell_weights(idx, (2011,), 0.25).tolist() == [1.0, 0.25, 1.0, 0.25]
    assert cell_weights(idx, (), 0.25).tolist() == [1.0] * 4
    # a future cell of horizon h crosses a ten-yearly census with chance min(h / 10, 1): mean f =
    # (0.1 + 0.1 + 0.1 + 0.2) / 4 = 0.125; here c = 2 / 4 cross: w = 0.125 * 0.5 / (0.5 * 0.875) = 1 / 7,
    # and the crossing cells' weighted share (2 / 7) / (2 / 7 + 2) = 1 / 8 = f
    assert future_break_weight(idx, (2011,)) == pytest.approx(1 / 7)
    assert future_break_weight(idx, (2005,)) == 1.0  # no cell crosses: nothing to weigh
    long = pd.MultiIndex.from_tuples([(2009, 12), (2011, 11)], names=["base_year", "horizon"])
    assert future_break_weight(long, (2011,)) == 1.0  # c = 0.5 <= f = 1: never up-weighted


def test_weighted_one_se_rule_hand_worked():
    # differences b - a: -0.4 (2009+1, weight 1), +0.2 (2011+1, weight 1), -0.6 (2009+2, weight 0.25)
    scores = _scores([(2009, 1, 0.2, -0.2), (2011, 1, -0.1, 0.1), (2009, 2, 0.3, -0.3)])
    w = cell_weights(scores.index, (2011,), 0.25)
    # equal weights: mean -0.2667, se = sd(-0.4, 0.2, -0.6) / sqrt(3) = 0.2404: b leaves the prior
    assert select_candidate(scores, 2012, ["a", "b"]) == ("b", 3)
    assert select_candidate(scores, 2012, ["a", "b"], weights=cell_weights(scores.index, (2011,), 1.0)) == ("b", 3)
    # weighted: mean = (-0.4 + 0.2 - 0.25 * 0.6) / 2.25 = -0.1556; weighted variance
    # 1.5 * (0.2444^2 + 0.3556^2 + 0.25 * 0.4444^2) / 2.25 = 0.1570, se = 0.3963 * sqrt(2.0625) / 2.25
    # = 0.2529 > 0.1556: not enough evidence, the prior a stays; b is still the better mean
    assert select_candidate(scores, 2012, ["a", "b"], weights=w) == ("a", 3)
    assert select_candidate(scores, 2012, ["a", "b"], rule="min", weights=w) == ("b", 3)
    assert ranked_candidates(scores, 2012, ["a", "b"], w) == ["b", "a"]
    assert ranked_candidates(scores, 2010, ["a", "b"], w) == ["b", "a"]  # only 2009+1 is observed by 2010
    assert ranked_candidates(scores.iloc[:0], 2012, ["a", "b"]) == ["a", "b"]  # nothing observed: the given order


def test_one_se_tie_keeps_the_prior():
    # b - a = (0, -0.3, 0): mean -0.1, se = sd / sqrt(3) = (0.3 / sqrt(3)) / sqrt(3) = 0.1: exactly one
    # standard error below zero, a tie, whichever way the rounding of the scores falls; more evidence decides
    for shift in (0.0, 1e-15, -1e-15, 0.123456789):
        scores = _scores([(2006, 1, shift, shift), (2006, 2, 0.15 + shift, -0.15 + shift), (2007, 1, shift, shift)])
        assert select_candidate(scores, 2008, ["a", "b"]) == ("a", 3), shift
    clear = _scores([(2006, 1, 0.0, 0.0), (2006, 2, 0.15, -0.15), (2007, 1, 0.01, -0.01)])
    assert select_candidate(clear, 2008, ["a", "b"]) == ("b", 3)


@pytest.fixture(scope="module")
def demo_nested(demo_dir):
    data = ProjectionData.from_store(data_dir=demo_dir)
    cands = (Candidate("w5", EstimationSettings()),
             Candidate("w3-zero", EstimationSettings(migration_window=3, migration_convergence="zero",
                                                     migration_convergence_years=5)),
             Candidate("w5-e0", EstimationSettings(), e0_gain=0.15))
    last = int(data.population["year"].max())
    return nested_backtest(data, candidates=cands, base_years=range(last - 3, last), combine=(2, 5)), last


def test_nested_backtest_default_is_the_candidate_chosen_before_each_origin(demo_nested):
    nb, last = demo_nested
    e = nb.errors
    assert nb.break_weight == 1.0 and last - 3 > 2011  # no cell of these origins crosses the 2011 census: equal weights
    assert set(e["method"]) == {"w5", "w3-zero", "w5-e0", SELECTED, SELECTED_MIN, "top2", *BASELINES}
    assert SELECTED_EQUAL not in set(e["method"])
    origins = sorted(nb.selection["base_year"])
    assert origins == list(range(last - 3, last))
    for _, row in nb.selection.iterrows():
        Y = row["base_year"]
        # cells observed by Y: origins Y' >= the first one with Y' + h' <= Y
        assert row["cells"] == sum(1 for y in origins for h in range(1, last - y + 1) if y + h <= Y)
        d = e[(e["method"] == SELECTED) & (e["base_year"] == Y)].reset_index(drop=True)
        c = e[(e["method"] == row["selected"]) & (e["base_year"] == Y)].reset_index(drop=True)
        assert np.array_equal(d["forecast"].to_numpy(), c["forecast"].to_numpy())
    assert nb.selection.iloc[0]["selected"] == "w5" and nb.selection.iloc[0]["cells"] == 0
    assert nb.chosen.name in {"w5", "w3-zero", "w5-e0"}


def test_combination_averages_the_populations_of_the_best_candidates_before_each_origin(demo_nested):
    nb, last = demo_nested
    e = nb.errors.set_index(["base_year", "horizon", "territory_code", "group"])
    comb = nb.combinations
    assert list(comb["k"].unique()) == [2]  # a combination of 5 of 3 candidates is left out
    first = comb.iloc[0]
    assert first["members"] == ("w5", "w3-zero")  # nothing observed yet: the first two in the given order
    for _, row in comb.iterrows():
        Y, members = row["base_year"], list(row["members"])
        expected = ranked_candidates(nb.scores[nb.scores.index.get_level_values("base_year") < Y], Y,
                                     [c.name for c in nb.candidates])[:2]
        assert members == expected
        top = e[e["method"] == "top2"].loc[Y]
        parts = [e[e["method"] == m].loc[Y] for m in members]
        lin = top.index.get_level_values("group") != "median_age"
        # totals and age groups of the mean population are the means of the members' ...
        np.testing.assert_allclose(top["forecast"][lin], (parts[0]["forecast"][lin] + parts[1]["forecast"][lin]) / 2)
        # ... the median age of the mixture lies between the members' median ages
        med = ~lin
        lo = np.minimum(parts[0]["forecast"][med], parts[1]["forecast"][med])
        hi = np.maximum(parts[0]["forecast"][med], parts[1]["forecast"][med])
        assert ((top["forecast"][med] >= lo - 1e-9) & (top["forecast"][med] <= hi + 1e-9)).all()
    assert set(nb.ranked) == {c.name for c in nb.candidates}


def test_out_of_sample_errors_are_tidy_and_signed(demo_nested):
    nb, last = demo_nested
    oos = nb.out_of_sample_errors()
    assert set(oos["method"]) == {SELECTED, *BASELINES}
    assert {"base_year", "horizon", "territory_code", "group", "forecast", "actual", "error", "error_pct"} <= set(oos)
    assert (oos["base_year"] + oos["horizon"] <= last).all()
    assert np.allclose(oos["error"], oos["forecast"] - oos["actual"])
    assert np.allclose(oos["error_pct"], 100 * oos["error"] / oos["actual"])
    assert set(oos["group"]) == {"total", "0-14", "15-64", "65+", "median_age"}
    const = oos[(oos["method"] == "constant") & (oos["group"] == "total")]
    first = const.groupby(["base_year", "territory_code"])["forecast"].nunique()
    assert (first == 1).all()  # the constant baseline repeats the base population at every horizon
    table = nb.summary()
    assert {"mape", "bias", "p90", "origins"} <= set(table)
    assert (table["p90"] >= 0).all()
    assert list(nb.pooled().index) == ["total", "0-14", "15-64", "65+", "median_age"]


def test_worst_territories_are_only_those_with_errors_when_the_columns_are_categorical(demo_nested):
    # categorical columns with an unused territory and group: pandas before 3.0 grouped them with
    # observed=False by default and gave the unused pairs as rows without a MAPE (and a warning)
    import dataclasses

    nb, _ = demo_nested
    errors = nb.errors.copy()
    codes = sorted(errors["territory_code"].unique())
    errors["territory_code"] = pd.Categorical(errors["territory_code"], categories=[*codes, "X99"])
    errors["group"] = pd.Categorical(errors["group"], categories=[*errors["group"].unique(), "unused"])
    worst = dataclasses.replace(nb, errors=errors).worst(SELECTED, n=len(codes) + 1)
    assert worst["mape"].notna().all() and "X99" not in set(worst["territory_code"])
    assert len(worst) == 5 * len(codes)  # every territory in each of the five measures, once
    top = worst.groupby("group", observed=True).head(1).set_index("group")["mape"]
    assert (top == worst.groupby("group", observed=True)["mape"].max()).all()


def test_backtest_report_script_writes_the_doc_on_demo_data(demo_dir, tmp_path):
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("backtest_report", root / "scripts" / "backtest_report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "BACKTEST.md"
    last = int(ProjectionData.from_store(data_dir=demo_dir).population["year"].max())
    args = ["--data-dir", str(demo_dir), "--output", str(out), "--candidates", "2", "--origins", f"{last - 2}-{last - 1}"]
    assert mod.main(args) == 0
    text = out.read_text(encoding="utf-8")
    assert "generated by `scripts/backtest_report.py`" in text
    for heading in ("## The protocol", "### Pooled over horizons", "#### median age", "### The nested choice by origin",
                    "### Worst municipalities", "### Beyond the back-tested horizons"):
        assert heading in text
    assert mod.main(args + ["--check"]) == 0  # the same code and data write the same page
    out.write_text(text.replace("| total |", "| TOTAL |", 1), encoding="utf-8")
    assert mod.main(args + ["--check"]) == 1
    assert mod.main(["--data-dir", str(tmp_path / "nowhere"), "--output", str(out)]) == 2


def test_out_of_sample_result_is_the_protocols_cell_as_a_back_test():
    """One origin and horizon of the protocol's errors as ``backtest`` gives them: the nested default under
    the default method's name, the baselines and no candidate, the median age too; hand-worked MAPE and bias."""
    from cityindicators.projection.backtest import DEFAULT_METHOD, out_of_sample_result

    rows = []
    for y0, h, method, errs in [(2010, 5, SELECTED, (2.0, -4.0)), (2010, 5, "hamilton-perry", (1.0, 1.0)),
                                (2010, 5, "constant", (-6.0, 10.0)), (2010, 5, "w5-some-candidate", (0.0, 0.0)),
                                (2011, 5, SELECTED, (9.0, 9.0)), (2010, 4, SELECTED, (9.0, 9.0))]:
        for code, e in zip(("01", "02"), errs):
            for group in ("total", "median_age"):
                rows.append({"base_year": y0, "horizon": h, "territory_code": code, "group": group, "method": method,
                             "forecast": 100.0 + e, "actual": 100.0, "error": e, "error_pct": e})
    errors = pd.DataFrame(rows).astype({"method": "category", "group": "category"})
    r = out_of_sample_result(errors, 2010, 5)
    assert (r.base_year, r.horizon) == (2010, 5)
    assert set(r.errors["method"]) == {DEFAULT_METHOD, "hamilton-perry", "constant"}
    assert set(r.errors["group"]) == {"total", "median_age"}
    t = r.table[r.table["group"] == "total"].set_index("method")
    assert t.loc[DEFAULT_METHOD, "mape"] == pytest.approx(3.0) and t.loc[DEFAULT_METHOD, "bias"] == pytest.approx(-1.0)
    assert t.loc[DEFAULT_METHOD, "p90"] == pytest.approx(2.0 + 0.9 * (4.0 - 2.0))  # |2|, |-4|: linear between them
    assert t.loc[DEFAULT_METHOD, "n"] == 2
    assert list(r.wins().index) == ["total", "median_age"]  # the measures the errors have, in the protocol's order
    w = r.wins().loc["total"]
    assert w["best_baseline"] == "hamilton-perry" and w["best_baseline_mape"] == pytest.approx(1.0)
    assert not w["beats_all"]
    assert out_of_sample_result(errors, 2012, 5) is None  # an origin the protocol did not score


def test_early_convergence_twins_converge_the_trend_candidates_from_the_origin():
    from dataclasses import replace

    from cityindicators.projection.backtest import default_candidates, early_convergence_twins
    from cityindicators.projection.schedule import convergence_weights

    cands = default_candidates()
    twins = early_convergence_twins()
    trend = [c for c in cands if c.migration_trend is not None]
    assert len(twins) == len(trend) == 12
    for c, t in zip(trend, twins):
        assert t.name == c.name + "-zero40" and t.scenario() == c.scenario()
        assert replace(t.settings, migration_convergence_start=c.settings.migration_convergence_start,
                       migration_convergence_years=c.settings.migration_convergence_years) == c.settings
        assert (t.settings.migration_convergence, t.settings.migration_convergence_start,
                t.settings.migration_convergence_years) == ("zero", 0, 40)
    # the weight of the window's schedule (its trend too) in year Y + j: 1 - j / 40, zero from j = 40 on
    recent, _ = convergence_weights(45, "zero", 40, 0)
    np.testing.assert_allclose(recent[[0, 1, 12, 39, 40, 44]], [1, 39 / 40, 28 / 40, 1 / 40, 0, 0])
    # the shipped rule for comparison: held for 12 years, then 28 to zero, the same end point
    held, _ = convergence_weights(45, "zero", 28, 12)
    np.testing.assert_allclose(held[[0, 12, 13, 40]], [1, 1, 27 / 28, 0])


def test_single_back_test_scores_the_median_age_as_the_protocol_does(demo_dir):
    """``backtest`` scores the median age beside the groups: the forecast of each method is the median age
    of its projected population (the trends extrapolate the median age's own series), the actual that of
    the published population, the error in per cent of it; and ``wins`` says where the default is behind."""
    from cityindicators.projection import project
    from cityindicators.projection.backtest import DEFAULT_METHOD, backtest
    from cityindicators.projection.estimation.common import population_array

    data = ProjectionData.from_store(data_dir=demo_dir)
    y0, h = int(data.population["year"].max()) - 3, 3
    r = backtest(data, y0, h, territories=["X13", "X12"])
    e = r.errors[r.errors["group"] == "median_age"].set_index(["method", "territory_code"])
    pa = population_array(data.population[data.population["territory_code"].isin(["X13"])])
    ages = lambda year: pa.values[0, pa.years.index(year)]  # [sex, age] of X13
    assert e.loc[("constant", "X13"), "forecast"] == pytest.approx(float(median_age(ages(y0))))
    assert e.loc[("constant", "X13"), "actual"] == pytest.approx(float(median_age(ages(y0 + h))))
    series = np.array([float(median_age(ages(y))) for y in range(y0 - 5, y0 + 1)])
    slope, icpt = np.polyfit(np.arange(y0 - 5, y0 + 1), np.log(series), 1)
    assert e.loc[("exponential", "X13"), "forecast"] == pytest.approx(np.exp(icpt + slope * (y0 + h)))
    cc = project("X13", base_year=y0, to_year=y0 + h, data_dir=demo_dir).population
    cc = cc[cc["year"] == y0 + h].pivot_table(index="sex", columns="age", values="value", aggfunc="sum")
    assert e.loc[(DEFAULT_METHOD, "X13"), "forecast"] == pytest.approx(float(median_age(cc.loc[["male", "female"]].to_numpy())))
    row = e.loc[(DEFAULT_METHOD, "X13")]
    assert row["error_pct"] == pytest.approx((row["forecast"] - row["actual"]) / row["actual"] * 100)
    w = r.wins()
    assert list(w.index) == ["total", "0-14", "15-64", "65+", "median_age"]
    mape = r.table[r.table["group"] == "median_age"].set_index("method")["mape"]
    assert w.loc["median_age", "beats_all"] == (mape[DEFAULT_METHOD] < mape.drop(DEFAULT_METHOD).min())


def test_error_summary_and_pooled_mape_hand_worked():
    from cityindicators.projection.backtest import error_summary, pooled_mape

    rows = [(2010, 1, "A", 2.0), (2010, 1, "B", -4.0), (2011, 1, "A", 6.0), (2010, 2, "A", -1.0)]
    errors = pd.DataFrame([{"base_year": y, "horizon": h, "territory_code": t, "group": "total", "method": SELECTED,
                            "error_pct": e} for y, h, t, e in rows])
    s = error_summary(errors, methods=(SELECTED,)).set_index("horizon")
    # horizon 1: |2|, |-4|, |6| -> MAPE 4, bias 4/3, P90 between the 2nd and 3rd largest: 4 + 0.8 * (6 - 4) = 5.6
    assert s.loc[1, "mape"] == pytest.approx(4.0) and s.loc[1, "bias"] == pytest.approx(4 / 3)
    assert s.loc[1, "p90"] == pytest.approx(5.6) and s.loc[1, "origins"] == 2
    assert s.loc[2, "mape"] == pytest.approx(1.0) and s.loc[2, "origins"] == 1
    p = pooled_mape(error_summary(errors, methods=(SELECTED,)), horizons=(1, 2), methods=(SELECTED,))
    assert p.loc["total", SELECTED] == pytest.approx((4.0 + 1.0) / 2)  # each horizon weighs the same
    assert np.isnan(p.loc["median_age", SELECTED])  # a measure without errors stays a row, empty
