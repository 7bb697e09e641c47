"""Ranks, percentiles, z-scores, peers, k nearest neighbours, changes and the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from _indicator_frames import cat, deaths, events, pop_rows, tables
from cityindicators.cli import main
from cityindicators.exceptions import ConfigError, DataValidationError
from cityindicators.indicators import (
    comparison_table,
    indicator_changes,
    percentile_values,
    rank_table,
    rank_values,
    ranking_universe,
    similar_municipalities,
)
from cityindicators.schema import tidy

# The six municipalities of Utena county (09), 100 residents each at 1 January 2014:
# code: (boys aged 10, men aged 40, women aged 70) -> share 65+ = the last number.
UTENA = {"30": (20, 60, 20), "34": (10, 60, 30), "43": (30, 60, 10), "45": (20, 60, 20), "62": (25, 50, 25),
         "82": (15, 80, 5)}
SHARES = np.array([20, 30, 10, 20, 25, 5], dtype=float)
SIGMA = float(np.std(SHARES))  # population standard deviation, 8.498


def _pop(code, year, young, mid, old):
    return pop_rows(code, year, {10: young, 40: mid}, {70: old})


@pytest.fixture
def utena():
    frames = []
    for code, (y, m, o) in UTENA.items():
        frames.append(_pop(code, 2014, y, m, o))
        # 2015: Visaginas (30) gains 10 women aged 70 (71 now), the rest unchanged
        frames.append(pop_rows(code, 2015, {11: y, 41: m}, {71: o + (10 if code == "30" else 0)}))
    frames.append(pop_rows("00", 2014, {10: 1000, 40: 3000}, {70: 1000}))
    frames.append(pop_rows("00", 2015, {11: 1000, 41: 3000}, {71: 1000}))
    births = cat(*[events(c, 2014, 1) for c in UTENA])
    dths = cat(*[deaths(c, 2014, 0, infant=0) for c in UTENA])
    return tables(population=cat(*frames), births=births, deaths=dths)


def test_rank_values_ties_and_polarity():
    v = pd.Series([3.0, 5.0, 5.0, np.nan, 1.0])
    assert rank_values(v, "higher_better").tolist()[:3] == [3.0, 1.0, 1.0]
    assert math.isnan(rank_values(v, "higher_better")[3])
    assert rank_values(v, "lower_better").tolist() == [2.0, 3.0, 3.0, pytest.approx(np.nan, nan_ok=True), 1.0]
    assert rank_values(v, "neutral").tolist()[:3] == [3.0, 1.0, 1.0]  # neutral: highest first
    assert rank_values(v, "lower_better", order="descending").tolist()[:3] == [3.0, 1.0, 1.0]
    with pytest.raises(ConfigError):
        rank_values(v, "neutral", order="sideways")
    # percentile: share of the other values that are worse, ties counted half
    p = percentile_values(pd.Series([1.0, 2.0, 2.0, 4.0]), "higher_better")
    assert p.tolist() == pytest.approx([0.0, 50.0, 50.0, 100.0])
    assert percentile_values(pd.Series([1.0, 4.0]), "lower_better").tolist() == [100.0, 0.0]


def test_ranking_universe_real_or_demo():
    assert ranking_universe(["00", "30", "09", "X13", "45"]) == ["30", "45"]
    assert ranking_universe(["X00", "X13", "X11"]) == ["X13", "X11"]
    assert ranking_universe(["30", "X13"], synthetic=True) == ["X13"]


def test_comparison_table_hand_worked(utena):
    t = comparison_table("Visaginas", 2014, peers="VIZA", data=utena, indicators=["share_65_plus", "population"])
    row = t.set_index("indicator").loc["share_65_plus"]
    assert row["value"] == pytest.approx(20.0)
    assert row["country"] == pytest.approx(20.0)             # 1000 / 5000
    assert row["county"] == pytest.approx(110 / 600 * 100)   # added up from the six municipalities
    assert row["peers"] == pytest.approx(50 / 300 * 100)     # VIZA = 30, 45, 43 from counts
    assert row["peer_median"] == pytest.approx(20.0)         # median of 20, 20, 10
    assert row["rank"] == 3 and row["n"] == 6                # 5, 10, then 20 and 20 share rank 3
    assert row["percentile"] == pytest.approx(50.0)          # 2 worse, 1 tied of 5 others
    assert row["z_score"] == pytest.approx((20 - SHARES.mean()) / SIGMA)
    pop = t.set_index("indicator").loc["population"]
    assert pop["rank"] == 1 and pop["percentile"] == pytest.approx(50.0)  # all tied at 100
    assert math.isnan(pop["z_score"])  # no spread: z-score not defined
    assert t.attrs["territory_code"] == "30" and t.attrs["county_code"] == "09"
    assert t.attrs["peer_group"]["members"] == ["30", "45", "43"]


def test_comparison_of_change(utena):
    t = comparison_table("30", 2015, peers="county", year_from=2014, data=utena, indicators=["share_65_plus"])
    row = t.iloc[0]
    assert row["value_from"] == pytest.approx(20.0)
    assert row["value_to"] == pytest.approx(30 / 110 * 100)
    assert row["value"] == pytest.approx(30 / 110 * 100 - 20)
    assert row["rank"] == 6  # the others did not change; more ageing is worse
    assert row["county"] == pytest.approx(120 / 610 * 100 - 110 / 600 * 100)
    assert row["country"] == pytest.approx(0.0)


def test_similar_municipalities_hand_worked(utena):
    nb = similar_municipalities("Visaginas", 2014, k=3, features=["share_65_plus"], data=utena)
    assert nb["territory_code"].tolist() == ["45", "62", "34"]  # 34 and 43 tie; code order breaks it
    assert nb["distance"].tolist() == pytest.approx([0.0, 5 / SIGMA, 10 / SIGMA])
    assert nb["rank"].tolist() == [1, 2, 3]
    heavy = similar_municipalities("30", 2014, k=3, features={"share_65_plus": 4.0}, data=utena)
    assert heavy["distance"].tolist() == pytest.approx([0.0, 10 / SIGMA, 20 / SIGMA])  # sqrt(4) x
    # default features: those without data are dropped (here net migration of 2014 exists,
    # unemployment does not)
    default = similar_municipalities("30", 2014, data=utena)
    assert "registered_unemployed_ratio" in default.attrs["dropped_features"]
    assert "30" not in default["territory_code"].tolist() and len(default) == 5
    with pytest.raises(ConfigError):
        similar_municipalities("30", 2014, k=0, data=utena)


def test_similarity_peers_in_comparison(utena):
    t = comparison_table("30", 2014, peers="similar:2", data=utena, indicators=["share_65_plus"],
                         features=["share_65_plus"])
    assert t.attrs["peer_group"]["members"] == ["45", "62"]
    assert t.iloc[0]["peers"] == pytest.approx(45 / 200 * 100)
    assert [r["territory_code"] for r in t.attrs["neighbours"]] == ["45", "62"]


def test_similarity_peers_are_named_by_how_many_there_are_in_agreeing_words(utena):
    one = comparison_table("30", 2014, peers="similar:1", data=utena, indicators=["share_65_plus"],
                           features=["share_65_plus"])
    assert one.attrs["peer_group"]["name"] == "1 panašiausia savivaldybė"
    everyone = comparison_table("30", 2014, peers="similar:1000", data=utena, indicators=["share_65_plus"],
                                features=["share_65_plus"], lang="en")
    n = len(everyone.attrs["peer_group"]["members"])
    assert n < 1000 and everyone.attrs["peer_group"]["name"] == f"{n} most similar municipalities"
    two = comparison_table("30", 2014, peers="similar:2", data=utena, indicators=["share_65_plus"],
                           features=["share_65_plus"])
    assert two.attrs["peer_group"]["name"] == "2 panašiausios savivaldybės"


@pytest.mark.parametrize("spec", ["similar:abc", "similar:2.5", "similar:-3"])
def test_a_similarity_peer_count_that_is_no_whole_number_is_an_error_naming_the_group(utena, spec):
    with pytest.raises(ConfigError, match=r"after 'similar:'|at least 1"):
        comparison_table("30", 2014, peers=spec, data=utena, indicators=["share_65_plus"])


def test_peer_specs(utena):
    for spec in ("county", "type", "size", "county:Utenos apskritis", ["Visaginas", "Zarasai"]):
        t = comparison_table("30", 2014, peers=spec, data=utena, indicators=["population"])
        assert len(t) == 1
    with pytest.raises(ConfigError):
        comparison_table("Utenos apskritis", 2014, data=utena)
    with pytest.raises(DataValidationError):
        comparison_table("30", 1999, peers="county", data=utena)


def test_changes_and_rank_table(utena):
    ch = indicator_changes(["population", "share_65_plus"], 2014, 2015, ["30", "09"], data=utena)
    pop = ch[(ch.indicator == "population") & (ch.territory_code == "30")].iloc[0]
    assert pop["difference"] == 10 and pop["percent_change"] == pytest.approx(10.0)
    assert pop["average_annual_growth"] == pytest.approx(10.0)
    assert pop["rank"] == 1
    sh = ch[(ch.indicator == "share_65_plus") & (ch.territory_code == "30")].iloc[0]
    assert sh["rank"] == 6 and math.isnan(sh["percent_change"])
    assert ch[ch.territory_code == "09"]["rank"].isna().all()
    rt = rank_table("share_65_plus", 2014, data=utena)
    assert list(rt.columns) == ["rank", "territory_code", "territory", "value"]
    assert rt["territory_code"].tolist()[:2] == ["82", "43"]
    assert rt["rank"].tolist() == [1, 2, 3, 3, 5, 6]
    rc = rank_table("share_65_plus", 2015, year_from=2014, data=utena, order="descending")
    assert rc.iloc[0]["territory_code"] == "30"  # the fastest-ageing
    with pytest.raises(ConfigError):
        indicator_changes(["population"], 2014, 2014, data=utena)


# -- CLI --------------------------------------------------------------------------------------
@pytest.fixture
def utena_dir(tmp_path, utena):
    proc = tmp_path / "data" / "processed"
    proc.mkdir(parents=True)
    for name, frame in utena.items():
        tidy(frame, name).to_parquet(proc / f"{name}.parquet")
    return tmp_path / "data"


def test_cli_indicators(utena_dir, capsys):
    assert main(["--data-dir", str(utena_dir), "indicators", "--territory", "Visaginas", "--year", "2014",
                 "--indicator", "population", "share_65_plus", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "indicator,territory_code,territory,year,value,unit"
    assert out[1].startswith("population,30,Visagino sav.,2014,100.0,persons")
    assert main(["--data-dir", str(utena_dir), "indicators", "-t", "30", "-y", "2014", "-i", "median_age",
                 "--format", "json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec[0]["indicator"] == "median_age" and rec[0]["territory"] == "Visagino sav."
    assert main(["--data-dir", str(utena_dir), "indicators", "--list"]) == 0
    assert "old_age_dependency_ratio" in capsys.readouterr().out
    assert main(["--data-dir", str(utena_dir), "indicators", "-t", "30", "-y", "2014", "-i", "nope"]) == 1
    assert "unknown indicator" in capsys.readouterr().err
    # a year without data: one line that says what was asked, like every other error
    assert main(["--data-dir", str(utena_dir), "indicators", "-t", "Visaginas", "-y", "2090", "-i", "population"]) == 1
    assert capsys.readouterr().err == "error: no data of population for Visaginas in 2090\n"


def test_cli_compare_and_rank(utena_dir, capsys):
    assert main(["--data-dir", str(utena_dir), "compare", "--territory", "Visaginas", "--year", "2014",
                 "--peers", "VIZA", "-i", "share_65_plus"]) == 0
    out = capsys.readouterr().out
    assert "VIZA" in out and "share_65_plus" in out
    assert main(["--data-dir", str(utena_dir), "compare", "-t", "30", "-y", "2015", "--from", "2014",
                 "-i", "share_65_plus", "-f", "csv"]) == 0
    assert "value_from" in capsys.readouterr().out
    assert main(["--data-dir", str(utena_dir), "rank", "--indicator", "share_65_plus", "--year", "2014",
                 "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "rank,territory_code,territory,value" and len(lines) == 7
    assert lines[1].startswith("1,82,")
    assert main(["--data-dir", str(utena_dir), "rank", "-i", "share_65_plus", "-y", "2015",
                 "--change-from", "2014", "-f", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("6,30,")


@pytest.mark.parametrize("first", [2015, 2016])
def test_a_change_from_a_year_not_before_the_last_is_refused_by_changes_ranks_and_comparisons(utena, first):
    with pytest.raises(ConfigError, match=f"a change from {first} to 2015: its first year must be before its last"):
        indicator_changes(["population"], first, 2015, data=utena)
    with pytest.raises(ConfigError, match="first year must be before its last"):
        rank_table("population", 2015, year_from=first, data=utena)
    with pytest.raises(ConfigError, match="first year must be before its last"):
        comparison_table("30", 2015, peers="county", year_from=first, data=utena, indicators=["population"])


def test_cli_rank_and_compare_with_a_first_year_after_the_last_is_one_line_and_exit_one(utena_dir, capsys):
    assert main(["--data-dir", str(utena_dir), "rank", "-i", "population", "-y", "2014", "--change-from", "2015"]) == 1
    assert capsys.readouterr().err == ("error: a change from 2015 to 2014: its first year must be before its last "
                                       "(give a first year before 2014)\n")
    assert main(["--data-dir", str(utena_dir), "compare", "-t", "30", "-y", "2014", "--from", "2014"]) == 1
    assert "a change from 2014 to 2014" in capsys.readouterr().err


def test_cli_rank_change_without_change_from_is_refused(utena_dir, capsys):
    # the level was ranked under the header of the year, and --change said nothing
    assert main(["--data-dir", str(utena_dir), "rank", "-i", "population", "-y", "2015", "--change", "absolute"]) == 1
    assert capsys.readouterr().err == ("error: --change absolute says how to measure a change: give it with "
                                       "--change-from Y0\n")
    assert main(["--data-dir", str(utena_dir), "rank", "-i", "population", "-y", "2015", "--change-from", "2014",
                 "--change", "absolute", "-f", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "rank,territory_code,territory,value"


def test_the_neighbours_of_a_comparison_are_named_in_its_language(utena):
    # compare --lang en printed "most similar (distance): Visagino sav. ..." under English names
    en = comparison_table("30", 2014, peers="similar:2", data=utena, indicators=["share_65_plus"],
                          features=["share_65_plus"], lang="en")
    lt = comparison_table("30", 2014, peers="similar:2", data=utena, indicators=["share_65_plus"],
                          features=["share_65_plus"])
    from cityindicators.geography import get_register

    reg = get_register()
    assert [r["territory"] for r in en.attrs["neighbours"]] == [reg.name(c, "en") for c in ("45", "62")]
    assert [r["territory"] for r in lt.attrs["neighbours"]] == [reg.name(c, "lt") for c in ("45", "62")]


def test_cli_compare_k_with_peers_other_than_the_similar_ones_is_refused(utena_dir, capsys):
    # --k 3 --peers county compared the county's members and said nothing of the 3
    assert main(["--data-dir", str(utena_dir), "compare", "-t", "30", "-y", "2014", "--peers", "county", "--k", "3"]) == 1
    assert capsys.readouterr().err.startswith("error: --k sets how many most similar municipalities are the peers: "
                                              "it applies with --peers similar (default), not with --peers county")
    assert main(["--data-dir", str(utena_dir), "compare", "-t", "30", "-y", "2014", "--k", "2",
                 "-i", "share_65_plus"]) == 0
    assert "2 panašiausios savivaldybės" in capsys.readouterr().out
