"""Empirical 80 % prediction intervals and their out-of-sample coverage (issue 9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cityindicators.exceptions import ProjectionError
from cityindicators.projection import EstimationSettings, ProjectionData, project
from cityindicators.projection.backtest import Candidate
from cityindicators.projection.intervals import (
    apply_intervals, fit_interval_model, interval_coverage, size_class,
)


def _errors(rows):
    return pd.DataFrame(rows, columns=["base_year", "horizon", "log_error"]).assign(
        group="total", size_class="under 20,000")


def test_widths_pool_horizons_as_error_per_year_hand_worked():
    e = _errors([(2000, 1, v) for v in (0.01, -0.02, 0.03, -0.04)] + [(2000, 2, v) for v in (0.02, 0.04, -0.06, 0.08)])
    m = fit_interval_model(e, 2002, level=0.5, min_errors=2, calibrate=False)
    # |e| / h = .01 .02 .03 .04 (h = 1) and .01 .02 .03 .04 (h = 2): the median is 0.025
    assert m.widths.set_index("size_class").loc["under 20,000", "q"] == pytest.approx(0.025)
    assert m.half_width(["total"], ["under 20,000"], [3])[0] == pytest.approx(0.075)  # grows with the horizon
    # the bounds are F e^{-/+ k q h}
    out = apply_intervals(pd.DataFrame({"group": ["total"], "size_class": ["under 20,000"], "horizon": [2],
                                        "value": [1000.0]}), m)
    assert out["lower"].iloc[0] == pytest.approx(1000 * np.exp(-0.05))
    assert out["upper"].iloc[0] == pytest.approx(1000 * np.exp(0.05))
    with pytest.raises(ProjectionError, match="no back-test errors observable by 2000"):
        fit_interval_model(e, 2000, level=0.5, min_errors=2)


def test_recalibration_factor_uses_only_earlier_intervals_hand_worked():
    e = _errors([(2000, 1, v) for v in (0.01, -0.02, 0.03, -0.04)] + [(2000, 2, v) for v in (0.02, 0.04, -0.06, 0.08)]
                + [(2001, 1, v) for v in (0.05, -0.025, 0.0125, 0.1)])
    m = fit_interval_model(e, 2003, level=0.5, min_errors=2)
    # the interval made at 2001 had q = 0.025 (the 2000 + 1 errors known then); its 2001 + 1 cases
    # needed |e| / q = 2, 1, 0.5, 4 -> k = median = 1.5
    assert m.factors["total"] == pytest.approx(1.5)
    # widths at 2003: the median of .01 .01 .0125 .02 .02 .025 .03 .03 .04 .04 .05 .1 = 0.0275
    assert m.widths["q"].iloc[0] == pytest.approx(0.0275)
    assert m.half_width(["total"], ["under 20,000"], [2])[0] == pytest.approx(1.5 * 0.0275 * 2)
    # only cases whose outcome is known by the origin count: at 2001 the 2001 + 1 errors are not
    early = fit_interval_model(e, 2001, level=0.5, min_errors=2)
    assert early.widths["n"].iloc[0] == 4 and early.factors["total"] == 1.0


def test_size_classes():
    assert list(size_class([2_403, 19_999, 20_000, 39_999.5, 40_000, 543_191])) == [
        "under 20,000", "under 20,000", "20,000-39,999", "20,000-39,999", "40,000 and over", "40,000 and over"]


@pytest.fixture(scope="module")
def demo_nested(demo_dir):
    from cityindicators.projection.backtest import nested_backtest

    data = ProjectionData.from_store(data_dir=demo_dir)
    # one candidate: the nested choice among several adds run time, not honesty, to this check
    return data, nested_backtest(data, candidates=(Candidate("w5", EstimationSettings()),))


@pytest.fixture(scope="module")
def demo_errors(demo_nested):
    data, nested = demo_nested
    return data, nested.out_of_sample_errors()  # what out_of_sample_errors(data, candidates=...) gives


@pytest.mark.slow
def test_coverage_of_the_80_percent_interval_on_the_demo_back_test(demo_errors):
    data, errors = demo_errors
    by, cases = interval_coverage(errors, data.population, level=0.8)
    cov = by.pivot(index="horizon", columns="group", values="coverage")
    # out of sample (intervals for origin Y from errors known by Y): near 80 % at horizons 1-5 (the
    # demo's 65+ is covered about 0.70 at one of them since the age-structure combination)
    assert cov.loc[1:5].min().min() >= 0.65 and cov.loc[1:5].max().max() <= 0.92, cov
    assert 0.75 <= cases.query("horizon <= 5 and group == 'total'")["inside"].mean() <= 0.88
    # each case says how many earlier errors, of how many origins, its interval was built on
    assert (cases["origins_behind"] >= 1).all() and (cases["errors_behind"] >= 20).all()
    # ... only of origins before its own
    assert (cases["origins_behind"] <= cases["base_year"] - int(errors["base_year"].min())).all()
    # without the recalibration factor the same errors would cover less
    from cityindicators.projection.intervals import log_errors

    le = log_errors(errors, data.population)
    Y = int(le["base_year"].max())
    raw = fit_interval_model(le, Y, calibrate=False)
    cal = fit_interval_model(le, Y)
    assert (raw.factors == 1).all() and cal.factors["total"] > 1


@pytest.mark.slow
def test_nested_choice_of_the_variant_on_the_demo_back_test(demo_errors):
    from cityindicators.projection.intervals import INTERVAL_VARIANTS, nested_interval_coverage, select_interval_variant

    data, errors = demo_errors
    variants = {n: INTERVAL_VARIANTS[n] for n in ("k-linear", "raw-linear-t")}
    nested = nested_interval_coverage(errors, data.population, variants=variants)
    sel = nested.selection.set_index("base_year")
    assert sel["variant"].iloc[0] == "k-linear" and sel["cells"].iloc[0] == 0  # nothing scored yet: the prior
    assert sel.index[-1] == int(errors["base_year"].max()) + 1 and nested.chosen == sel["variant"].iloc[-1]
    own = {n: c for n, (_, c) in nested.variants.items()}
    for Y, row in sel.iloc[:-1].iterrows():
        # each origin is scored with the variant chosen from the cases known by it, and only with those
        assert select_interval_variant(own, Y)[0] == row["variant"]
        mine = nested.cases[nested.cases["base_year"] == Y].reset_index(drop=True)
        theirs = own[row["variant"]]
        pd.testing.assert_frame_equal(mine, theirs[theirs["base_year"] == Y].reset_index(drop=True))
    total = nested.by_horizon.query("group == 'total'").set_index("horizon")["coverage"]
    assert total.loc[1] == pytest.approx(nested.cases.query("group == 'total' and horizon == 1")["inside"].mean())


@pytest.mark.slow
def test_project_with_empirical_intervals(demo_dir, demo_errors):
    _, errors = demo_errors
    res = project("X13", to_year=2035, data_dir=demo_dir, interval_errors=errors)
    tot = res.intervals.sort_values("year")  # all ages only: one row per scenario, territory and year
    assert set(tot.columns) >= {"scenario", "territory_code", "year", "age_group", "horizon", "size_class",
                                "value", "lower", "upper", "level"}
    assert set(tot["age_group"]) == {"total"} and not tot.duplicated(["scenario", "territory_code", "year"]).any()
    iv = res.intervals_for(None)  # every level, labelled
    assert set(iv["age_group"]) == {"total", "0-14", "15-64", "65+", "median_age"}
    persons = res.intervals_for(["0-14", "15-64", "65+"]).groupby("year")["value"].sum()
    assert persons.to_numpy() == pytest.approx(tot.set_index("year")["value"].loc[persons.index].to_numpy())
    assert (tot["lower"] < tot["value"]).all() and (tot["value"] < tot["upper"]).all()
    width = np.log(tot["upper"] / tot["lower"]).to_numpy()
    assert (np.diff(width) > 0).all()  # wider with every year of horizon
    assert (iv["level"] == 0.8).all()
    # the bounds are those of the shipped variant, the model whose coverage docs/INTERVALS.md reports
    from cityindicators.projection.intervals import log_errors, shipped_interval_model

    model = shipped_interval_model(log_errors(errors, ProjectionData.from_store(data_dir=demo_dir).population),
                                   res.base_year)
    lo, hi = model.bounds(tot["age_group"], tot["size_class"], tot["horizon"])
    assert np.log(tot["value"] / tot["upper"]).to_numpy() == pytest.approx(lo)
    assert np.log(tot["value"] / tot["lower"]).to_numpy() == pytest.approx(hi)
    # the median age (years) with the band of its own past errors
    med = res.intervals_for("median_age").sort_values("year")
    assert len(med) == len(tot) and (med["lower"] < med["value"]).all() and (med["value"] < med["upper"]).all()
    from cityindicators.projection.intervals import median_ages

    own = median_ages(res.population.query("year > @res.base_year")).sort_values("year")
    assert med["value"].to_numpy() == pytest.approx(own["value"].to_numpy())
    # ... with the median age's own variant (MEDIAN_AGE_VARIANT), fitted on its errors alone
    from cityindicators.projection.intervals import shipped_median_age_model

    own_model = shipped_median_age_model(log_errors(errors, ProjectionData.from_store(data_dir=demo_dir).population),
                                         res.base_year)
    assert set(own_model.widths["group"]) == {"median_age"}
    lo, hi = own_model.bounds(med["age_group"], med["size_class"], med["horizon"])
    assert np.log(med["value"] / med["lower"]).to_numpy() == pytest.approx(hi)
    assert med["upper"].to_numpy() == pytest.approx(np.minimum(med["value"] * np.exp(-lo), res.open_age))
    assert not np.allclose(hi, model.bounds(tot["age_group"], tot["size_class"], tot["horizon"])[1])


def test_median_ages_of_a_population_frame_hand_worked():
    from cityindicators.projection.intervals import median_ages

    rows = [("s", "A", 2020, sex, age, v) for sex, counts in (("male", (1, 1, 2)), ("female", (1, 1, 2)))
            for age, v in enumerate(counts)]
    rows += [("s", "A", 2021, "male", 0, 3.0), ("s", "A", 2021, "female", 1, 1.0)]  # age 2 absent: no one
    pop = pd.DataFrame(rows, columns=["scenario", "territory_code", "year", "sex", "age", "value"])
    out = median_ages(pop).set_index("year")["value"]
    # 2020: both sexes 2, 2, 4 by age; half of 8 is 4, reached at the end of age 1 -> 1 + (4 - 2) / 2 = 2
    # 2021: 3, 1, 0; half of 4 is 2, reached within age 0 -> 0 + 2 / 3
    assert out.loc[2020] == pytest.approx(2.0)
    assert out.loc[2021] == pytest.approx(2 / 3)


def test_growth_exponent_and_asymmetric_bounds_hand_worked():
    from cityindicators.projection.intervals import growth_exponents

    # |e| quantiles 0.01 at h = 1 and 0.04 at h = 2: log Q = log 0.01 + b log h with b = 2
    e = _errors([(2000, 1, v) for v in (0.01, -0.01, 0.01, -0.01)] + [(2000, 2, v) for v in (0.04, -0.04, 0.04, -0.04)])
    assert growth_exponents(e, level=0.5, min_errors=2)["total"] == pytest.approx(2.0)
    assert growth_exponents(e[e["horizon"] == 1], level=0.5, min_errors=2)["total"] == 1.0  # one horizon: b = 1
    m = fit_interval_model(e, 2002, level=0.5, min_errors=2, calibrate=False, growth="fitted")
    # z = e / h^2 = +-0.01 for all eight errors: q = 0.01, the half-width at h = 3 is 0.01 * 9
    assert m.half_width(["total"], ["under 20,000"], [3])[0] == pytest.approx(0.09)
    # asymmetric: quantiles 0.25 / 0.5 / 0.75 of the signed errors (h = 1) -0.02, -0.01, 0, 0.04
    e1 = _errors([(2000, 1, v) for v in (-0.02, -0.01, 0.0, 0.04)])
    a = fit_interval_model(e1, 2001, level=0.5, min_errors=2, calibrate=False, asymmetric=("total",))
    lo, hi = a.bounds(["total"], ["under 20,000"], [2])
    # np.quantile: 0.25 -> -0.0125, 0.5 -> -0.005, 0.75 -> 0.01; times h = 2
    assert (lo[0], hi[0]) == (pytest.approx(-0.025), pytest.approx(0.02))
    out = apply_intervals(pd.DataFrame({"group": ["total"], "size_class": ["under 20,000"], "horizon": [2],
                                        "value": [1000.0]}), a)
    # e = log(F/A) in [lo, hi]  <=>  A in [F e^-hi, F e^-lo]
    assert out["lower"].iloc[0] == pytest.approx(1000 * np.exp(-0.02))
    assert out["upper"].iloc[0] == pytest.approx(1000 * np.exp(0.025))
    with pytest.raises(ProjectionError, match="growth must be"):
        fit_interval_model(e1, 2001, growth="square")


def test_growth_laws_fast_and_at_least_proportional_hand_worked():
    from cityindicators.projection.intervals import MEDIAN_AGE_VARIANTS, INTERVAL_VARIANTS

    # |e| quantiles 0.02 at h = 1 and at h = 4: the fitted slope is 0 (errors that do not grow)
    e = _errors([(2000, 1, v) for v in (0.02, -0.02, 0.02, -0.02)] + [(2000, 4, v) for v in (0.02, -0.02, 0.02, -0.02)])
    fitted = fit_interval_model(e, 2004, level=0.5, min_errors=2, calibrate=False, growth="fitted")
    assert fitted.exponents["total"] == 0.5  # clipped at the lower bound of EXPONENT_BOUNDS
    at_least = fit_interval_model(e, 2004, level=0.5, min_errors=2, calibrate=False, growth="fitted-min1")
    assert at_least.exponents["total"] == 1.0
    # b = 1: z = 0.02 (h = 1) and 0.005 (h = 4), the median of |z| 0.0125; at h = 9 the half-width 0.0125 * 9
    assert at_least.half_width(["total"], ["under 20,000"], [9])[0] == pytest.approx(0.1125)
    fast = fit_interval_model(e, 2004, level=0.5, min_errors=2, calibrate=False, growth="fast")
    # b = 1.5: z = 0.02 (h = 1) and 0.02 / 8 = 0.0025 (h = 4), median 0.01125; at h = 9: 0.01125 * 27
    assert fast.exponents["total"] == 1.5
    assert fast.half_width(["total"], ["under 20,000"], [9])[0] == pytest.approx(0.30375)
    # the median age's choice: the shipped variants and the same with the two laws
    assert len(MEDIAN_AGE_VARIANTS) == 2 * len(INTERVAL_VARIANTS)  # two growth laws more
    assert MEDIAN_AGE_VARIANTS["k-fast-t"] == {"calibrate": True, "growth": "fast", "small_sample": True, "common": False}
    assert all(MEDIAN_AGE_VARIANTS[n] == o for n, o in INTERVAL_VARIANTS.items())


def test_asymmetric_recalibration_measures_each_case_on_its_own_side():
    # the interval made at 2001 from the 2000 + 1 errors: z quantiles (level 0.5) -0.0125 / -0.005 / 0.01;
    # the 2001 + 1 cases 0.025 (above: (0.025 + 0.005) / 0.015 = 2) and -0.0125 (below: 0.0075 / 0.0075 = 1)
    e = _errors([(2000, 1, v) for v in (-0.02, -0.01, 0.0, 0.04)] + [(2001, 1, 0.025), (2001, 1, -0.0125)])
    m = fit_interval_model(e, 2002, level=0.5, min_errors=2, asymmetric=("total",))
    assert m.factors["total"] == pytest.approx(1.5)  # the median of 2 and 1


@pytest.mark.slow
def test_cli_empirical_interval(demo_dir, demo_errors, monkeypatch, tmp_path, capsys):
    import importlib

    from cityindicators.cli import main

    backtest = importlib.import_module("cityindicators.projection.backtest")  # the module, not the function
    _, errors = demo_errors
    monkeypatch.setattr(backtest, "out_of_sample_errors", lambda data, **kw: errors)
    out = tmp_path / "iv.csv"
    rc = main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--to", "2032",
               "--interval", "empirical", "--output", str(out)])
    assert rc == 0
    f = pd.read_csv(out)
    assert {"territory", "year", "age_group", "value", "lower", "upper", "level"} <= set(f.columns)
    assert set(f["age_group"]) == {"total", "0-14", "15-64", "65+", "median_age"}
    assert ((f["lower"] < f["value"]) & (f["value"] < f["upper"])).all() and (f["level"] == 0.8).all()
    # too little history before the base year: one line naming the option, no traceback
    rc = main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--base-year",
               str(int(errors["base_year"].min())), "--to", "2032", "--interval", "empirical"])
    err = capsys.readouterr().err
    assert rc != 0 and "--interval empirical" in err and "too little history" in err and "Traceback" not in err
    rc = main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--to", "2032",
               "--interval", "empirical", "--stochastic", "10"])
    assert rc != 0 and "two different bands" in capsys.readouterr().err


def test_small_sample_factor_hand_worked():
    from cityindicators.projection.intervals import small_sample_factor

    # Student's t 0.9 quantiles 3.0777 (1 df), 1.8856 (2), 1.3722 (10) over the normal's 1.2816
    assert small_sample_factor(1, 0.8) == pytest.approx(3.0777 / 1.2816, rel=1e-3)
    assert small_sample_factor(2, 0.8) == pytest.approx(1.8856 / 1.2816, rel=1e-3)
    assert small_sample_factor(10, 0.8) == pytest.approx(1.3722 / 1.2816, rel=1e-3)
    e = _errors([(2000, 1, v) for v in (0.01, -0.02, 0.03, -0.04)])
    plain = fit_interval_model(e, 2001, level=0.5, min_errors=2)
    wide = fit_interval_model(e, 2001, level=0.5, min_errors=2, small_sample=True)
    ratio = wide.half_width(["total"], ["under 20,000"], [1])[0] / plain.half_width(["total"], ["under 20,000"], [1])[0]
    assert ratio == pytest.approx(small_sample_factor(1, 0.5))  # one origin behind the errors


def test_coverage_diagnosis_hand_worked():
    from cityindicators.projection.intervals import coverage_diagnosis

    # five cases at horizon 1, all with the interval [-0.1, 0.1]: e = log(F/A) of -0.2 (the published
    # value above the interval), 0.15 and 0.3 (below it), 0 and 0.05 (inside)
    e = np.array([-0.2, 0.15, 0.3, 0.0, 0.05])
    cases = pd.DataFrame({"group": "total", "horizon": 1, "log_error": e, "lo": -0.1, "hi": 0.1, "half_width": 0.1,
                          "inside": np.abs(e) <= 0.1, "errors_behind": [10, 10, 10, 30, 30],
                          "origins_behind": [1, 1, 1, 3, 3]})
    d = coverage_diagnosis(cases, level=0.8).iloc[0]
    assert d["coverage"] == pytest.approx(0.4) and d["above"] == pytest.approx(0.2) and d["below"] == pytest.approx(0.4)
    # the 0.8 quantile of |e| = 0, .05, .15, .2, .3 is 0.2 + 0.2 * 0.1 = 0.22; over the half-width 0.1
    assert d["scale"] == pytest.approx(2.2)
    assert d["errors_behind"] == 10 and d["origins_behind"] == 1
    assert d["verdict"] == "too narrow"  # misses 0.6, but 0.4 below is only twice 0.2 above
    lean = coverage_diagnosis(cases.assign(log_error=np.abs(e), inside=np.abs(e) <= 0.1), level=0.8).iloc[0]
    assert lean["above"] == 0 and lean["verdict"] == "off-centre"
    wide = coverage_diagnosis(cases.assign(log_error=0.0, inside=True), level=0.8).iloc[0]
    assert wide["verdict"] == "too wide" and wide["scale"] == 0


def test_common_shock_bounds_hand_worked():
    from cityindicators.projection.intervals import common_shocks, small_sample_factor

    # two origins, horizon 1: the cells' common shocks are the means 0.02 and -0.02, the own parts +-0.01
    e = _errors([(2000, 1, 0.01), (2000, 1, 0.03), (2001, 1, -0.01), (2001, 1, -0.03)])
    d, q_c = common_shocks(e.assign(z=e["log_error"]), level=0.8)
    assert d == pytest.approx([-0.01, 0.01, 0.01, -0.01])
    # root mean square of the shocks 0.02, times Student's t 0.9 quantile with 2 df (1.8856)
    assert q_c == pytest.approx(1.885618 * 0.02, rel=1e-5)
    m = fit_interval_model(e, 2002, level=0.8, min_errors=2, calibrate=False, common=True)
    # the own parts' 0.8 quantile of |d| is 0.01: q = sqrt(0.01^2 + 0.037712^2)
    assert m.widths["q"].iloc[0] == pytest.approx(np.hypot(0.01, 1.885618 * 0.02), rel=1e-5)
    assert m.half_width(["total"], ["under 20,000"], [3])[0] == pytest.approx(3 * np.hypot(0.01, 1.885618 * 0.02),
                                                                             rel=1e-5)
    # with the small-sample widening only the own parts are widened again (the shock has its t already)
    w = fit_interval_model(e, 2002, level=0.8, min_errors=2, calibrate=False, common=True, small_sample=True)
    c = small_sample_factor(2, 0.8)
    assert w.widths["q"].iloc[0] == pytest.approx(np.hypot(c * 0.01, 1.885618 * 0.02), rel=1e-5)
    assert (w.widths["inflation"] == 1).all()
    with pytest.raises(ProjectionError, match="common .* cannot be combined with asymmetric"):
        fit_interval_model(e, 2002, common=True, asymmetric=("total",))


def test_variant_choice_uses_only_cases_known_at_the_origin_hand_worked():
    from cityindicators.projection.intervals import select_interval_variant

    def cases(rows):
        return pd.DataFrame([(y, h, "total", v) for y, h, flags in rows for v in flags],
                            columns=["base_year", "horizon", "group", "inside"])

    a = cases([(2000, 1, [1, 1, 1, 0]), (2000, 2, [1, 1, 1, 1]), (2001, 1, [0, 0, 0, 0])]).astype({"inside": bool})
    b = cases([(2000, 1, [1, 1, 1, 1]), (2000, 2, [1, 1, 1, 0]), (2001, 1, [1, 1, 1, 1])]).astype({"inside": bool})
    # nothing known by 2000: the prior
    name, score, cells = select_interval_variant({"a": a, "b": b}, 2000, prior="a")
    assert (name, cells) == ("a", 0) and np.isnan(score)
    # by 2001 only 2000 + 1 is known: a covered 0.75 (off by 0.05), b 1.0 (off by 0.2)
    assert select_interval_variant({"a": a, "b": b}, 2001, rule="closest") == ("a", pytest.approx(0.05), 1)
    # by 2002: horizon 1 pools 2000 and 2001 (a 3/8, b 8/8), horizon 2 a 1.0, b 0.75;
    # a: (0.425 + 0.2) / 2 = 0.3125, b: (0.2 + 0.05) / 2 = 0.125
    assert select_interval_variant({"a": a, "b": b}, 2002, rule="closest") == ("b", pytest.approx(0.125), 2)
    # ties go to the earlier variant
    assert select_interval_variant({"b": b, "b2": b.copy()}, 2002, rule="closest")[0] == "b"
    with pytest.raises(ProjectionError, match="selection rule"):
        select_interval_variant({"a": a}, 2002, rule="best")


def test_cautious_variant_choice_hand_worked():
    from cityindicators.projection.intervals import select_interval_variant

    def cases(rows):
        return pd.DataFrame([(y, 1, "total", bool(v)) for y, flags in rows for v in flags],
                            columns=["base_year", "horizon", "group", "inside"])

    a = cases([(2000, [1, 0, 1, 0]), (2001, [1, 1, 1, 1])])
    b = cases([(2000, [1, 1, 1, 0]), (2001, [1, 1, 1, 1])])
    c = cases([(2000, [1, 1, 1, 1]), (2001, [1, 1, 1, 1])])
    v = {"a": a, "b": b, "c": c}
    # by 2001 one origin is scored (a 0.5, b 0.75, c 1.0): b is closest to 0.8, but with one origin
    # there is no standard error, every variant is within, and c covered the most
    assert select_interval_variant(v, 2001, rule="closest")[0] == "b"
    assert select_interval_variant(v, 2001) == ("c", pytest.approx(0.2), 1)
    # by 2002: a covered 6/8 (score 0.05), b 7/8 (0.075), c 8/8 (0.2); a's score origin by origin is
    # |0.5 - 0.8| = 0.3 and |1 - 0.8| = 0.2: sd 0.0707, standard error 0.0707 / sqrt(2) = 0.05, so
    # b (0.075 <= 0.05 + 0.05) is as good as a, c is not; b covered more than a
    assert select_interval_variant(v, 2002, rule="closest")[0] == "a"
    assert select_interval_variant(v, 2002) == ("b", pytest.approx(0.075), 1)


def test_small_sample_widening_by_the_origins_that_reached_the_horizon_hand_worked():
    from cityindicators.projection.intervals import small_sample_factor

    # by 2003: origin 2000 is known at horizons 1 and 2, origin 2001 at horizon 1
    e = _errors([(2000, 1, v) for v in (0.01, -0.02, 0.03, -0.04)] + [(2000, 2, v) for v in (0.02, 0.04, -0.06, 0.08)]
                + [(2001, 1, v) for v in (0.025, -0.025, 0.025, -0.025)])
    m = fit_interval_model(e, 2003, level=0.5, min_errors=2, calibrate=False, small_sample="horizon")
    # |e| / h: .01 .02 .03 .04 twice and .025 four times: the median q is 0.025
    assert m.widths["q"].iloc[0] == pytest.approx(0.025) and sorted(m.reach) == [1, 2]
    hw = m.half_width(["total"] * 3, ["under 20,000"] * 3, [1, 2, 3])
    # two origins reached horizon 1, one horizon 2, none horizon 3 (counted as one):
    # Student's t 0.75 quantile 0.8165 (2 df) and 1 (1 df) over the normal's 0.6745
    assert small_sample_factor(1, 0.5) == pytest.approx(1 / 0.674490, rel=1e-5)
    assert hw == pytest.approx([0.025 * small_sample_factor(2, 0.5), 0.05 * small_sample_factor(1, 0.5),
                                0.075 * small_sample_factor(1, 0.5)])
    assert small_sample_factor(2, 0.5) == pytest.approx(0.816497 / 0.674490, rel=1e-5)
    with pytest.raises(ProjectionError, match="small_sample must be"):
        fit_interval_model(e, 2003, small_sample="origins")


@pytest.mark.slow
def test_calibrated_stochastic_band_on_the_demo_back_test(demo_nested):
    from cityindicators.projection.intervals import INTERVAL_VARIANTS, nested_interval_coverage
    from cityindicators.projection.stochastic_coverage import BANDS, median_factor_by_horizon, stochastic_coverage

    data, nested = demo_nested
    errors = nested.out_of_sample_errors()
    variants = {n: INTERVAL_VARIANTS[n] for n in ("k-linear", "raw-linear-t")}
    iv = nested_interval_coverage(errors, data.population, variants=variants)
    cov = stochastic_coverage(data, nested, iv, n=60, seed=5, bands=("uncalibrated", "calibrated"))
    cases = cov.cases
    # the origins whose intervals were scored, each with the variant and the candidate chosen at it
    assert sorted(cases["base_year"].unique()) == sorted(iv.cases["base_year"].unique())
    chosen = iv.selection.set_index("base_year")["variant"]
    assert all(chosen.loc[r.base_year] == r.variant for r in cov.origins.itertuples())
    assert set(cases["band"]) == set(BANDS[:2]) and set(cases["group"]) == {"total", "0-14", "15-64", "65+"}
    # the band is centred near the back-test's own projection of that origin
    off = (cases["median"] / cases["forecast"] - 1).abs()
    assert off.median() < 0.005 and off.max() < 0.15, off.describe()
    # calibrated, the band of the total covers about as often as the empirical interval of the same cases
    both = cases[cases["band"] == "calibrated"].merge(
        iv.cases[["base_year", "horizon", "territory_code", "group", "inside"]],
        on=["base_year", "horizon", "territory_code", "group"], suffixes=("", "_interval"))
    assert len(both) == (cases["band"] == "calibrated").sum()
    by_group = both.groupby("group")[["inside", "inside_interval"]].mean()
    assert (by_group["inside"] - by_group["inside_interval"]).abs().max() < 0.08, by_group
    pooled = cov.pooled()
    assert 0.65 <= pooled.loc["calibrated", "total"] <= 0.95, pooled
    factors = median_factor_by_horizon(cov)
    assert list(factors.index) == sorted(factors.index) and (factors.to_numpy() > 0).all()


@pytest.mark.slow
def test_project_with_the_calibrated_stochastic_band(demo_dir, demo_errors, monkeypatch, tmp_path, capsys):
    import importlib

    from cityindicators.cli import main

    data, errors = demo_errors
    res = project("X13", to_year=2035, data=data, data_dir=demo_dir, stochastic=200, seed=3, interval_errors=errors,
                  calibrate_stochastic=True)
    assert res.stochastic_band.startswith("calibrated to the empirical 80 % interval")
    q = res.quantiles.pivot_table(index="year", columns="quantile", values="value")
    iv = res.intervals.set_index("year")
    later = q.index > res.base_year
    # as wide as the empirical interval of the shipped variant (centred on the trajectories' median,
    # the interval on the deterministic projection: the two agree to well within a per cent)
    ratio = (q[0.9] - q[0.1])[later] / (iv["upper"] - iv["lower"]).loc[q.index[later]]
    assert ratio.between(0.98, 1.02).all(), ratio
    assert set(res.stochastic_factors["group"]) == {"total", "0-14", "15-64", "65+"}
    plain = project("X13", to_year=2035, data=data, data_dir=demo_dir, stochastic=20, seed=3)
    assert plain.stochastic_band.startswith("not calibrated") and plain.stochastic_factors is None
    with pytest.raises(ProjectionError, match="back-test errors"):
        project("X13", to_year=2035, data=data, data_dir=demo_dir, stochastic=20, calibrate_stochastic=True)
    # the command line says which band it prints
    backtest = importlib.import_module("cityindicators.projection.backtest")  # the module, not the function
    monkeypatch.setattr(backtest, "out_of_sample_errors", lambda data, **kw: errors)
    out = tmp_path / "q.csv"
    assert main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--to", "2032", "--stochastic", "50",
                 "--seed", "2", "--calibrate", "--output", str(out)]) == 0
    assert "stochastic band: calibrated to the empirical 80 % interval" in capsys.readouterr().err
    assert {"q10", "q50", "q90"} <= set(pd.read_csv(out).columns)
    assert main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--to", "2032", "--calibrate"]) != 0
    err = capsys.readouterr().err
    assert "--calibrate scales the stochastic band" in err and "Traceback" not in err
