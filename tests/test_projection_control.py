"""National control of the municipalities' projections (issue 9), hand-worked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cityindicators.cli import main
from cityindicators.exceptions import ProjectionError
from cityindicators.projection import project
from cityindicators.projection.control import (
    control_factors, municipal_factors, national_array, rake, read_national_projection,
)


def test_control_factors_hand_worked():
    # two sexes, ages 0, 1, 2 (2 open); base year 2020, projection years 2020-2022
    total = np.zeros((3, 2, 3))
    total[2, 0] = [100.0, 30.0, 20.0]  # men in 2022: 100 aged 0, 50 aged 1+
    total[2, 1] = [80.0, 40.0, 40.0]   # women: 80 aged 0, 80 aged 1+
    total[1] = 1.0
    # the national projection has 2022 only, on ages 0 and 1+ (its top age 1 is open)
    nat = np.array([[[90.0, 60.0], [80.0, 100.0]]])
    f = control_factors(total, 2020, np.array([2022]), nat, 1)
    assert f.shape == (3, 2, 3)
    np.testing.assert_allclose(f[0], 1.0)  # the base year is data
    np.testing.assert_allclose(f[2, 0], [0.9, 1.2, 1.2])  # 90/100; 60/50 for every age of the open group
    np.testing.assert_allclose(f[2, 1], [1.0, 1.25, 1.25])  # 80/80; 100/80
    np.testing.assert_allclose(f[1, 0], [0.95, 1.1, 1.1])  # half-way from 1 in 2020 to 2022's factors
    # scaled, the sum meets the national projection by sex and (grouped) age
    scaled = total[2] * f[2]
    np.testing.assert_allclose(np.c_[scaled[:, :1], scaled[:, 1:].sum(1)], nat[0])


def test_control_factors_hold_after_the_last_year_and_need_a_year_in_range():
    total = np.ones((4, 2, 2))
    f = control_factors(total, 2020, np.array([2021]), np.full((1, 2, 2), 2.0), 1)
    np.testing.assert_allclose(f[1:], 2.0)
    with pytest.raises(ProjectionError, match="no year within 2021-2023"):
        control_factors(total, 2020, np.array([2030]), np.full((1, 2, 2), 2.0), 1)


def test_national_file_is_validated_naming_line_and_field(tmp_path):
    p = tmp_path / "nat.csv"
    p.write_text("year,sex,age,value\n2030,male,0,10\n2030,female,0,abc\n", encoding="utf-8")
    with pytest.raises(ProjectionError, match=r"nat.csv: line 3: field 'value'"):
        read_national_projection(p)
    p.write_text("year,sex,value\n2030,male,10\n", encoding="utf-8")
    with pytest.raises(ProjectionError, match=r"missing column\(s\) \['age'\]"):
        read_national_projection(p)
    p.write_text("year,sex,age,value\n2030,male,0,10\n2030,male,0,11\n", encoding="utf-8")
    with pytest.raises(ProjectionError, match="line 3: duplicate cell year 2030, sex male, age 0"):
        read_national_projection(p)
    p.write_text("year,sex,age,value\n2030,man,0,10\n", encoding="utf-8")
    with pytest.raises(ProjectionError, match="line 2: field 'sex'"):
        read_national_projection(p)
    with pytest.raises(ProjectionError, match="not found"):
        read_national_projection(tmp_path / "none.csv")
    p.write_text("year,sex,age,value\n2030,male,0,10\n2030,male,1,5\n2030,female,0,9\n2030,total,0,19\n",
                 encoding="utf-8")
    with pytest.raises(ProjectionError, match="no value for year 2030, sex female, age 1"):
        national_array(read_national_projection(p), 100)


def _sum_by_cell(frame: pd.DataFrame, k: int) -> pd.Series:
    f = frame.assign(age=frame["age"].clip(upper=k))
    return f.groupby(["year", "sex", "age"])["value"].sum()


def test_engine_control_makes_the_municipalities_add_up_to_the_country(demo_dir):
    res = project("all", to_year=2040, data_dir=demo_dir, national="engine")
    nat = res.national.set_index(["year", "sex", "age"])["national"]
    got = _sum_by_cell(res.population, res.open_age)
    np.testing.assert_allclose(got.loc[nat.index].to_numpy(), nat.to_numpy(), rtol=1e-9)
    # the uncontrolled result stays available and differs; the base year is untouched
    unc = _sum_by_cell(res.uncontrolled, res.open_age)
    assert not np.allclose(unc.loc[2040].to_numpy(), got.loc[2040].to_numpy())
    np.testing.assert_allclose(unc.loc[res.base_year].to_numpy(), got.loc[res.base_year].to_numpy())
    # the national projection is the engine's own projection of the country
    # (after the base year, which is the municipalities' data: the country's own 85+ split may differ)
    country = project("X00", to_year=2040, data_dir=demo_dir)
    later = nat[nat.index.get_level_values("year") > res.base_year]
    np.testing.assert_allclose(_sum_by_cell(country.population, res.open_age).loc[later.index].to_numpy(),
                               later.to_numpy(), rtol=1e-9)
    # one municipality asked alone gets exactly its share of the controlled run
    one = project("X13", to_year=2040, data_dir=demo_dir, national="engine")
    a = one.totals().query("sex == 'total' and year == 2040")["value"].iloc[0]
    b = res.totals().query("sex == 'total' and year == 2040 and territory_code == 'X13'")["value"].iloc[0]
    assert a == pytest.approx(b, abs=1e-6)


def test_imported_control_by_sex_and_age_with_an_open_top_group(demo_dir, tmp_path):
    free = project("all", to_year=2035, data_dir=demo_dir)
    # an "imported" projection: 5 % fewer men and 2 % more women than the free sum, ages 0..84, 85+
    s = _sum_by_cell(free.population, 85).reset_index()
    s = s[s["year"].isin([2030, 2035])]
    s["value"] *= np.where(s["sex"] == "male", 0.95, 1.02)
    path = tmp_path / "national.csv"
    s[["year", "sex", "age", "value"]].to_csv(path, index=False)
    res = project("all", to_year=2035, data_dir=demo_dir, national=path)
    got = _sum_by_cell(res.population, 85)
    want = s.set_index(["year", "sex", "age"])["value"]
    np.testing.assert_allclose(got.loc[want.index].to_numpy(), want.to_numpy(), rtol=1e-9)
    fac = res.national.query("year == 2030")
    np.testing.assert_allclose(fac.loc[fac["sex"] == "male", "factor"], 0.95)
    # 2026-2029 lie between the base year (factor 1) and 2030: linear
    y = res.base_year
    f_mid = res.national.query("year == @y + 2 and sex == 'female'")["factor"]
    np.testing.assert_allclose(f_mid, 1 + 0.02 * 2 / (2030 - y))


def test_cli_national_control(demo_dir, tmp_path, capsys):
    out = tmp_path / "p.csv"
    rc = main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--to", "2030",
               "--national-control", "engine", "--output", str(out)])
    assert rc == 0 and out.exists()
    rc = main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--to", "2030",
               "--national-control", "engine", "--national-method", "raking", "--output", str(out)])
    assert rc == 0 and pd.read_csv(out)["population"].gt(0).all()
    bad = tmp_path / "bad.csv"
    bad.write_text("year,sex,age,value\n2030,male,x,1\n", encoding="utf-8")
    rc = main(["--data-dir", str(demo_dir), "project", "--territory", "X13", "--to", "2030",
               "--national-control", str(bad)])
    err = capsys.readouterr().err
    assert rc != 0 and "line 2: field 'age'" in err and "Traceback" not in err


def test_raking_2x2x2_hand_worked():
    # two municipalities x two sexes x two ages; cells in the order (men 0, men 1, women 0, women 1)
    cells = np.array([[1.0, 1.0, 1.0, 1.0],    # A
                      [1.0, 1.0, 3.0, 3.0]])   # B: three times A's women
    national = np.array([12.0, 12.0, 10.0, 10.0])
    totals = np.array([28.0, 16.0])
    # the raked table is cells * a[c] * b[i]; with b_B = 1 and t = b_A the rows need
    # 2 * 12 t / (t + 1) + 2 * 10 t / (t + 3) = 28, met by t = 3: a_men = 12 / (3 + 1) = 3, a_women = 10 / (3 + 3)
    # -> A: 9 9 5 5 (28), B: 3 3 5 5 (16); the columns give 12 12 10 10
    got = rake(cells, national, totals)
    np.testing.assert_allclose(got, [[9.0, 9.0, 5.0, 5.0], [3.0, 3.0, 5.0, 5.0]], rtol=1e-9)
    # proportional control alone (columns only) would leave A at 6 + 6 + 2.5 + 2.5 = 17, not 28
    prop = cells * national / cells.sum(0)
    assert prop[0].sum() == pytest.approx(17.0)
    with pytest.raises(ProjectionError, match="differ"):
        rake(cells, national, np.array([28.0, 17.0]))
    with pytest.raises(ProjectionError, match="did not converge"):
        rake(cells, national, totals, max_iter=1)


def test_municipal_factors_raking_keeps_own_shares_of_the_national_total():
    # base year and one projection year; municipalities A, B; sexes; ages 0, 1
    mun = np.ones((2, 2, 2, 2))
    mun[1, 1] = [[1.0, 1.0], [3.0, 3.0]]  # B in the projection year: 8 of 12 residents
    national = np.array([[[12.0, 12.0], [10.0, 10.0]]])  # the projection year's national cells
    f, target = municipal_factors(mun, 2020, np.array([2021]), national, 1, method="raking")
    assert (f[0] == 1.0).all()  # the base year is data: exactly, not to rounding
    ctl = mun * f
    np.testing.assert_allclose(ctl[1].sum(0), national[0])  # national cells met
    np.testing.assert_allclose(ctl[1].sum((1, 2)), [44 * 4 / 12, 44 * 8 / 12])  # own shares 1/3, 2/3 of 44
    np.testing.assert_allclose(target[1], national[0])
    fp, _ = municipal_factors(mun, 2020, np.array([2021]), national, 1)
    np.testing.assert_allclose((mun * fp)[1].sum(0), national[0])  # proportional meets the cells too ...
    assert (mun * fp)[1, 0].sum() == pytest.approx(17.0)  # ... but A's total moves with B's age-sex mix
    with pytest.raises(ProjectionError, match="not one of proportional, raking"):
        municipal_factors(mun, 2020, np.array([2021]), national, 1, method="rank")
    # uneven cells: raked, the base year's factors would come back 1 +- 2e-16, and its counts off the data
    uneven = np.random.default_rng(3).uniform(1, 300, size=(3, 7, 2, 5))
    for method in ("raking", "proportional"):
        f, _ = municipal_factors(uneven, 2020, np.array([2021, 2022]), uneven.sum(1)[1:] * 1.1, 4, method=method)
        assert (f[0] == 1.0).all(), method


def test_engine_raking_meets_both_margins_and_stays_independent(demo_dir):
    res = project("all", to_year=2035, data_dir=demo_dir, national="engine", national_method="raking")
    nat = res.national.set_index(["year", "sex", "age"])["national"]
    got = _sum_by_cell(res.population, res.open_age)
    np.testing.assert_allclose(got.loc[nat.index].to_numpy(), nat.to_numpy(), rtol=1e-8)
    tot = res.population.groupby(["year", "territory_code"])["value"].sum().unstack()
    unc = res.uncontrolled.groupby(["year", "territory_code"])["value"].sum().unstack()
    np.testing.assert_allclose(tot.div(tot.sum(axis=1), axis=0), unc.div(unc.sum(axis=1), axis=0), rtol=1e-8)
    prop = project("all", to_year=2035, data_dir=demo_dir, national="engine")
    pt = prop.population.groupby(["year", "territory_code"])["value"].sum().unstack()
    assert not np.allclose(pt.loc[2035], tot.loc[2035])  # the proportional control moves the shares
    base = res.population["year"] == res.population["year"].min()  # data, to the person under either control
    assert (res.population[base]["value"].to_numpy() == res.uncontrolled[base]["value"].to_numpy()).all()
    one = project("X13", to_year=2035, data_dir=demo_dir, national="engine", national_method="raking")
    a = one.totals().query("sex == 'total' and year == 2035")["value"].iloc[0]
    assert a == pytest.approx(tot.loc[2035, "X13"], abs=1e-6)


def test_engine_control_uses_the_scenarios_own_migration_window(demo_dir, tmp_path):
    sc = tmp_path / "short-window.yaml"
    sc.write_text("name: short-window\nlabel_en: Short window\nlabel_lt: Trumpas langas\n"
                  "migration:\n  window: 2\n", encoding="utf-8")
    res = project("all", to_year=2032, data_dir=demo_dir, scenario=sc, national="engine")
    country = project("X00", to_year=2032, data_dir=demo_dir, scenario=sc)
    nat = res.national.set_index(["year", "sex", "age"])["national"]
    later = nat[nat.index.get_level_values("year") > res.base_year]
    np.testing.assert_allclose(_sum_by_cell(country.population, res.open_age).loc[later.index].to_numpy(),
                               later.to_numpy(), rtol=1e-9)
    default = project("X00", to_year=2032, data_dir=demo_dir)
    assert not np.allclose(_sum_by_cell(default.population, res.open_age).loc[later.index].to_numpy(),
                           later.to_numpy(), rtol=1e-6)


def test_a_national_file_that_is_empty_blank_or_a_folder_is_one_line_naming_it(tmp_path):
    # an empty file was an internal error (csv.Error: Could not determine delimiter), a folder "[Errno 21] ..."
    p = tmp_path / "nat.csv"
    p.write_bytes(b"")
    with pytest.raises(ProjectionError, match=r"nat.csv: the national projection file is empty; expected columns year"):
        read_national_projection(p)
    p.write_bytes(b"\n \n")
    with pytest.raises(ProjectionError, match=r"nat.csv: cannot read the national projection as a table"):
        read_national_projection(p)
    with pytest.raises(ProjectionError, match=r": cannot read the national projection: it is a folder, where a file"):
        read_national_projection(tmp_path)
