"""Parsing of OSP SDMX messages (SDMX-ML GenericData and SDMX-JSON) into canonical frames."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cityindicators.exceptions import ParseError
from cityindicators.sources import osp
from cityindicators.sources.sdmx_parse import (
    CONFIDENTIAL,
    annualise,
    detect_roles,
    parse_age_code,
    parse_period,
    parse_structure,
    read_sdmx,
    sniff_format,
    to_canonical,
)

SPEC = Path(__file__).parent / "specimens" / "osp"
REAL = "osp-specimens"


def _entry(name: str, **over) -> osp.CatalogueEntry:
    e = osp.load_catalogue(path=None, data_dir=SPEC / "no-such-dir")[name].as_dict()
    e.update(over)
    e.pop("name")
    return osp.CatalogueEntry.from_dict(name, e)


def _canon(family: str, fmt: str, entry: osp.CatalogueEntry) -> pd.DataFrame:
    path = SPEC / f"{family}.{fmt}"
    return osp.canonical_frames(path.read_bytes(), entry, origin=str(path))[entry.table]


# -- code lists ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code, expected",
    [
        ("0", (0, False, 1)),
        ("84", (84, False, 1)),
        ("g085", (85, True, None)),
        ("g085g999", (85, True, None)),
        ("g000g999", (None, False, None)),
        ("g000g004", (0, False, 5)),
        ("g080g084", (80, False, 5)),
        ("gxxx", None),
    ],
)
def test_age_codes(code, expected):
    assert parse_age_code(code) == expected


def test_bad_age_code():
    with pytest.raises(ValueError, match="unknown age code 'abc'"):
        parse_age_code("abc")


@pytest.mark.parametrize(
    "code, expected",
    [("2024", (2024, None)), ("2026K2", (2026, "2026-Q2")), ("2026M07", (2026, "2026-07")), ("2026-Q3", (2026, "2026-Q3"))],
)
def test_periods(code, expected):
    assert parse_period(code) == expected


def test_roles_are_case_insensitive_and_overridable():
    roles = detect_roles(["savivaldybesRegdb", "lytis", "Demogr_amziaus_grM1412", "MATVNT", "LAIKOTARPIS"])
    assert roles == {"time": "LAIKOTARPIS", "territory": "savivaldybesRegdb", "sex": "lytis",
                     "age": "Demogr_amziaus_grM1412", "unit": "MATVNT"}
    roles = detect_roles(["TERR", "LYTIS", "Laikotarpis"], {"territory": "terr"})
    assert roles["territory"] == "TERR" and roles["sex"] == "LYTIS" and roles["time"] == "Laikotarpis"
    with pytest.raises(ParseError, match="no time dimension"):
        detect_roles(["savivaldybesRegdb", "Lytis"])


def test_sniff():
    assert sniff_format(b"  <?xml version='1.0'?><a/>") == "xml"
    assert sniff_format(b"\xef\xbb\xbf{\"a\": 1}") == "json"
    assert sniff_format(b"<!DOCTYPE html><html>") == "html"
    assert sniff_format(b"") == "empty"


# -- every family: XML and JSON give the same frame --------------------------------------
FAMILIES = [
    ("population", "population", {}),
    ("births", "births", {}),
    ("deaths", "deaths", {}),
    ("emigrants", "emigrants", {}),
    ("net_internal", "net_internal_migration", {}),
    ("unemployed_ratio", "unemployed_ratio", {"unit": "proc"}),
    ("earnings", "earnings", {"filters": {"EVRK2M3060322": "VISO", "bruto_neto": "bruto"}}),
    ("median_age", "median_age", {}),
]


@pytest.mark.parametrize("family, dataset, over", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_xml_and_json_give_the_same_frame(family, dataset, over):
    entry = _entry(dataset, **over)
    x = _canon(family, "xml", entry)
    j = _canon(family, "json", entry)
    assert len(x) > 0
    pd.testing.assert_frame_equal(x, j)
    assert set(x["territory_code"]) <= {"00", "13", "30"}
    assert x["year"].dtype == "int64" and x["value"].dtype == "float64"
    if "sex" in x:
        assert set(x["sex"]) <= {"total", "male", "female"}


def test_population_codes():
    x = _canon("population", "xml", _entry("population"))
    # legacy 51 and NUTS-2 LT01 dropped; gxxx dropped
    assert sorted(x["territory_code"].unique()) == ["00", "30"]
    assert list(x.columns) == ["territory_code", "year", "sex", "age", "open_age", "value", "status"]
    assert str(x["age"].dtype) == "Int64"
    vis = x[(x.territory_code == "30") & (x.year == 2024)]
    assert set(vis["age"].dropna()) == {0, 1, 85}
    assert vis.loc[vis["age"] == 85, "open_age"].all()
    assert not vis.loc[vis["age"] < 85, "open_age"].any()
    total = vis[vis["age"].isna()]
    assert len(total) == 3 and not total["open_age"].any()
    # invented numbers add up: male + female = total, ages add to all ages
    w = vis.pivot_table(index="age", columns="sex", values="value", dropna=False)
    assert (w["male"] + w["female"] == w["total"]).all()
    assert vis[(vis.sex == "male") & vis.age.notna()]["value"].sum() == total[total.sex == "male"]["value"].iloc[0]


def test_population_logs_dropped_codes(caplog):
    with caplog.at_level(logging.INFO, logger="cityindicators"):
        _canon("population", "json", _entry("population"))
    text = caplog.text
    assert "legacy territory code '51'" in text
    assert "NUTS-2 region code(s) ['LT01']" in text
    assert "unknown age (gxxx)" in text


def test_confidential_and_status_cells_are_missing_not_zero():
    for fmt in ("xml", "json"):
        b = _canon("births", fmt, _entry("births"))
        cell = b[(b.territory_code == "30") & (b.year == 2025)].set_index("sex")
        assert np.isnan(cell.loc["male", "value"]) and cell.loc["male", "status"] == "nebuvo"
        assert np.isnan(cell.loc["female", "value"]) and cell.loc["female", "status"] == CONFIDENTIAL
        assert cell.loc["total", "value"] == 4300 and cell.loc["total", "status"] is None
        assert (b["value"] != 0).all()


def test_deaths_five_year_groups():
    data = read_sdmx(SPEC / "deaths.xml")
    raw = to_canonical(data, "deaths")
    assert "age_span" in raw
    assert set(raw["age_span"].dropna()) == {5}
    canon = _canon("deaths", "xml", _entry("deaths"))
    assert "age_span" not in canon
    # only the all-ages rows and the open group 85+ survive
    assert set(canon["age"].dropna()) == {85}
    assert canon["age"].isna().sum() == 2 * 3 * 2


def test_migration_has_flow_and_signed_values():
    e = _canon("emigrants", "xml", _entry("emigrants"))
    assert set(e["flow"]) == {"emigrants"}
    assert list(e.columns)[:5] == ["territory_code", "year", "flow", "sex", "age"]
    n = _canon("net_internal", "json", _entry("net_internal_migration"))
    assert set(n["sex"]) == {"total"} and n["age"].isna().all()
    assert (n.loc[n.territory_code == "30", "value"] == -111).all()


def test_labour_has_indicator_and_unit():
    u = _canon("unemployed_ratio", "xml", _entry("unemployed_ratio", unit="proc"))
    assert set(u["indicator"]) == {"registered_unemployed_ratio"} and set(u["unit"]) == {"proc"}
    with pytest.raises(ParseError, match=r"unit 'asmenys' not in the response; its MATVNT codes are \['proc'\]"):
        _canon("unemployed_ratio", "xml", _entry("unemployed_ratio", unit="asmenys"))


def test_earnings_needs_filters_and_averages_quarters():
    with pytest.raises(ParseError, match="dimension 'EVRK2M3060322' has 2 codes .*add a filter"):
        _canon("earnings", "json", _entry("earnings"))
    entry = _entry("earnings", filters={"evrk2m3060322": "VISO", "BRUTO_NETO": "bruto"})
    e = _canon("earnings", "xml", entry)
    # 2024 complete (4 quarters) -> mean of 1600,1700,1800,1900 = 1750; 2025 has one quarter -> dropped
    assert sorted(e["year"].unique()) == [2024]
    assert e.loc[e.territory_code == "00", "value"].iloc[0] == 1750
    assert set(e["status"]) == {"mean-of-periods"}
    raw = to_canonical(read_sdmx(SPEC / "earnings.xml"), "labour", indicator="x",
                       filters={"EVRK2M3060322": "VISO", "Bruto_neto": "neto"})
    assert "period" in raw and raw["period"].str.match(r"^\d{4}-Q[1-4]$").all()
    assert len(annualise(raw, "last")) == 4


def test_bad_filter_is_named():
    with pytest.raises(ParseError, match="filter on dimension 'NOPE'"):
        _canon("median_age", "xml", _entry("median_age", filters={"NOPE": "1"}))
    with pytest.raises(ParseError, match=r"filter Lytis=\['9'\] matches nothing"):
        _canon("median_age", "xml", _entry("median_age", filters={"Lytis": "9"}))


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_territory_is_a_clear_error(fmt):
    with pytest.raises(ParseError, match=r"unknown territory code\(s\) \['99'\]") as info:
        _canon("unknown_territory", fmt, _entry("median_age"))
    assert f"unknown_territory.{fmt}" in str(info.value)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_truncated_body(fmt):
    with pytest.raises(ParseError, match="malformed or truncated at line"):
        read_sdmx(SPEC / f"truncated.{fmt}")


def test_html_and_error_messages():
    with pytest.raises(ParseError, match="HTML page .'502 Bad Gateway'"):
        read_sdmx(SPEC / "error_page.html")
    with pytest.raises(ParseError, match="SDMX error message: 100: No Results Found"):
        read_sdmx(SPEC / "error_404.xml")
    with pytest.raises(ParseError, match="empty response body"):
        read_sdmx(b"   ")
    with pytest.raises(ParseError, match="not an SDMX message"):
        read_sdmx(b"hello")
    with pytest.raises(ParseError, match="root element is 'foo'"):
        read_sdmx(b"<foo/>")


def test_json_key_out_of_range():
    text = (SPEC / "median_age.json").read_text(encoding="utf-8").replace('"0:0:0:0"', '"9:0:0:0"', 1)
    with pytest.raises(ParseError, match="points past the 3 values of dimension 'savivaldybesRegdb'"):
        read_sdmx(text)


def test_non_numeric_value():
    text = (SPEC / "median_age.xml").read_text(encoding="utf-8").replace('ObsValue value="42.5"', 'ObsValue value="abc"', 1)
    with pytest.raises(ParseError, match="observation value 'abc' is not a number"):
        read_sdmx(text)


def test_structure_message():
    s = parse_structure(SPEC / "datastructure_M3010217.xml")
    assert [d[1] for d in s["dimensions"]["M3010217"]] == ["savivaldybesRegdb", "Lytis", "LAIKOTARPIS"]
    assert s["codelists"]["Lytis"]["codes"]["2"] == {"lt": "Moterys", "en": "Females"}
    flows = parse_structure(SPEC / "dataflows.xml")["dataflows"]
    assert flows["S3R180_M3010501_1"]["name"]["en"] == "S3R180 - Live births"
    assert flows["S3R629_M3010217"]["dsd"] == "M3010217"


# -- real recorded responses -------------------------------------------------------------
@pytest.mark.realdata
def test_real_median_age_xml_and_json_agree(shared_data, caplog):
    d = shared_data / REAL
    entry = _entry("median_age")
    with caplog.at_level(logging.INFO, logger="cityindicators"):
        x = osp.canonical_frames((d / "S3R629_M3010217_2023-2025.generic.xml").read_bytes(), entry, origin="xml")["median_age"]
        j = osp.canonical_frames((d / "S3R629_M3010217_2023-2025.json").read_bytes(), entry, origin="json")["median_age"]
    pd.testing.assert_frame_equal(x, j)
    # 74 codes in the response: 71 territories of the register, legacy 51 and NUTS-2 LT01/LT02 dropped
    raw = read_sdmx(d / "S3R629_M3010217_2023-2025.json")
    assert raw.frame["savivaldybesRegdb"].nunique() == 74
    assert x["territory_code"].nunique() == 71
    assert {"51", "LT01", "LT02"}.isdisjoint(set(x["territory_code"]))
    assert set(x["sex"]) == {"total", "male", "female"}
    assert sorted(x["year"].unique()) == [2023, 2024, 2025]
    assert len(x) == 71 * 3 * 3
    assert "legacy territory code '51'" in caplog.text and "LT01" in caplog.text


@pytest.mark.realdata
def test_real_xml_parser_agrees_with_sdmx1(shared_data):
    sdmx = pytest.importorskip("sdmx")
    path = shared_data / REAL / "S3R629_M3010217_2023-2025.generic.xml"
    ours = read_sdmx(path).frame
    theirs = sdmx.to_pandas(sdmx.read_sdmx(path).data[0]).reset_index()
    dims = ["savivaldybesRegdb", "Lytis", "MATVNT", "LAIKOTARPIS"]
    merged = ours.merge(theirs, on=dims, suffixes=("", "_sdmx1"))
    assert len(merged) == len(ours) == len(theirs)
    np.testing.assert_array_equal(merged["value"].to_numpy(), merged["value_sdmx1"].to_numpy())


@pytest.mark.realdata
def test_real_dataflow_names(shared_data):
    s = parse_structure(shared_data / REAL / "dataflow_S3R629_M3010217.xml")
    flow = s["dataflows"]["S3R629_M3010217"]
    assert flow["name"]["lt"].startswith("S3R629 - Medianinis gyventojų amžius")
    assert flow["name"]["en"] == "S3R629 - Median age of the population at the beginning of the year"
    assert flow["dsd"] == "M3010217"
    assert "Administrative territory | Sex" in flow["description"]["en"]


def test_age_dimension_in_a_table_without_age_keeps_all_ages():
    # emigrants specimen has an age dimension; read as labour (no age column) -> all-ages rows only
    data = read_sdmx(SPEC / "emigrants.xml")
    out = to_canonical(data, "labour", indicator="emigrants_all_ages")
    assert len(out) == 2 * 3 * 2 and set(out["unit"]) == {"asmenys"}
    assert "age" not in out
