"""Fetching OSP datasets into raw snapshots, the store parser, the catalogue and the CLI."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cityindicators import store
from cityindicators._io import read_sidecar
from cityindicators.cli import main
from cityindicators.exceptions import ConfigError, DatasetNotFoundError, FetchError
from cityindicators.sources import osp
from test_osp_client import SPEC, XML_CT, Reply, make_client, osp_server, spec  # noqa: F401  (fixture)

TODAY = dt.date.today().isoformat()
CUR = "ords/ipospp/ospp/rest_xml/"
JCUR = "ords/ipospp/ospp/rest_json/"


def _serve(srv, flow: str, body: bytes, base: str = CUR, **headers) -> None:
    srv.add(f"{base}data/{flow}", Reply(200, body, {"Content-Type": XML_CT, **headers}))
    srv.add(f"{base}dataflow/LSD/{flow}/latest", Reply(200, spec("dataflows.xml")))


def _data_requests(srv) -> int:
    return sum("/data/" in p for p in srv.paths())


# -- catalogue ---------------------------------------------------------------------------
def test_packaged_catalogue_matches_data_sources(tmp_path):
    cat = osp.load_catalogue(tmp_path)
    expected = {
        "population": ("S3R167_M3010202", "population", True),
        "births": ("S3R180_M3010501_1", "births", False),
        "deaths": ("S3R304_M3010601_1", "deaths", False),
        "emigrants": ("S3R106_M3020102_1", "migration", False),
        "immigrants": ("S3R198_M3020102_1", "migration", False),
        "net_international_migration": ("S3R363_M3020102_1", "migration", False),
        "internal_arrivals": ("S3R0064_M3020122", "migration", False),
        "internal_departures": ("S3R0065_M3020122", "migration", False),
        "unemployed_ratio": ("S3R421_M3050101_2", "labour", False),
        "registered_unemployed": ("S3R813_M3050101_1", "labour", False),
        "employed": (None, "labour", False),
        "earnings": ("S3R0050_M3060322", "labour", True),
        "median_age": ("S3R629_M3010217", "median_age", True),
    }
    for name, (flow_id, table, confirmed) in expected.items():
        e = cat[name]
        assert (e.flow_id, e.table, e.confirmed) == (flow_id, table, confirmed), name
        assert e.note
    assert not cat["employed"].resolved
    assert {cat[n].flow for n in cat if cat[n].table == "migration"} >= {"emigrants", "immigrants", "net_international",
                                                                         "internal_arrivals", "internal_departures"}
    assert all(cat[n].indicator for n in cat if cat[n].table == "labour")


def test_user_catalogue_is_merged_over_the_packaged_one(tmp_path):
    (tmp_path / "catalogue.yaml").write_text(
        "datasets:\n"
        "  employed:\n    flow_id: S3R532_M3030101_2\n    filters: {EVRK: TOTAL}\n"
        "  my_flow:\n    table: median_age\n    flow_id: S3R999_M1\n    confirmed: false\n",
        encoding="utf-8",
    )
    cat = osp.load_catalogue(tmp_path)
    assert cat["employed"].flow_id == "S3R532_M3030101_2" and cat["employed"].resolved
    assert cat["employed"].indicator == "employed" and dict(cat["employed"].filters) == {"EVRK": "TOTAL"}
    assert cat["my_flow"].table == "median_age"
    assert cat["population"].flow_id == "S3R167_M3010202"


@pytest.mark.parametrize(
    "text, match",
    [
        ("datasets:\n  x:\n    table: nope\n    confirmed: true\n", r"dataset 'x': 'table' is 'nope'"),
        ("datasets:\n  x:\n    table: migration\n    confirmed: true\n", r"needs 'flow'"),
        ("datasets:\n  median_age:\n    colour: red\n", r"unknown key\(s\) \['colour'\]"),
        ("datasets:\n  x:\n    table: births\n    confirmed: maybe\n", r"'confirmed' must be true or false"),
        ("datasets: [1, 2]\n", r"top-level key 'datasets'"),
        ("datasets:\n  x: [\n", r"not valid YAML"),
        # read by yaml.safe_load alone: the second entry replaced the first without a word
        ("datasets:\n  births: {}\n  births: {}\n", r"not valid YAML \(line 3, column 3\): key 'births' appears twice"),
        ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
         "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\ndatasets: {x: *e}\n",
         r"line 5: the catalogue cannot be read: its anchors and aliases expand to more than 100,000 values"),
    ],
)
def test_bad_user_catalogue(tmp_path, text, match):
    (tmp_path / "catalogue.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match) as info:
        osp.load_catalogue(tmp_path)
    assert "catalogue.yaml" in str(info.value)


# -- fetch -------------------------------------------------------------------------------
def test_fetch_writes_snapshot_with_provenance(osp_server, data_dir):
    _serve(osp_server, "S3R629_M3010217", spec("median_age.xml"))
    client, _ = make_client(osp_server)
    [res] = osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=client)
    assert res.action == "fetched" and res.rows and res.rows > 0
    assert res.path.parent == data_dir / "raw" / "osp" / "median_age"
    assert res.path.name.startswith(f"{TODAY}-") and res.path.suffix == ".xml"  # date plus a short content hash
    assert res.path.read_bytes() == spec("median_age.xml")
    meta = read_sidecar(res.path)
    assert meta["url"] == f"{osp_server.base()}data/S3R629_M3010217?startPeriod=2024&endPeriod=2025"
    assert meta["query"] == {"startPeriod": "2024", "endPeriod": "2025"}
    assert meta["http_status"] == 200 and meta["content_type"] == XML_CT
    assert meta["flow_id"] == "S3R629_M3010217"
    assert meta["flow_name"] == "S3R629 - Median age of the population at the beginning of the year"
    assert meta["flow_name_lt"].startswith("S3R629 - Medianinis")
    assert meta["licence"] == osp.LICENCE_NOTE
    assert meta["parser"] == "osp-sdmx" and meta["table"] == "median_age" and meta["source"] == "osp"
    assert meta["size"] == len(spec("median_age.xml")) and len(meta["sha256"]) == 64 and meta["retrieved_at"]
    assert meta["catalogue_entry"]["flow_id"] == "S3R629_M3010217"


def test_same_day_reuse_force_and_offline(osp_server, data_dir):
    _serve(osp_server, "S3R629_M3010217", spec("median_age.xml"))
    client, _ = make_client(osp_server)
    first = osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=client)[0]
    again = osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=client)[0]
    assert again.action == "reused" and again.path == first.path
    assert _data_requests(osp_server) == 1
    forced = osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=client, force=True)[0]
    assert forced.action == "fetched" and _data_requests(osp_server) == 2
    off = osp.fetch(["median_age"], data_dir=data_dir, offline=True)[0]
    assert off.action == "offline" and off.path == first.path
    assert _data_requests(osp_server) == 2


def test_offline_without_snapshot_fails_clearly(data_dir):
    with pytest.raises(DatasetNotFoundError, match=r"--offline: no snapshot of osp/births under .*raw/osp"):
        osp.fetch(["births"], data_dir=data_dir, offline=True)


@pytest.mark.parametrize("body, match", [
    ("unknown_territory.xml", r"nothing was stored: .*unknown territory code\(s\) \['99'\]"),
    ("truncated.xml", "nothing was stored: .*truncated"),
])
def test_unusable_response_stores_nothing(osp_server, data_dir, body, match):
    _serve(osp_server, "S3R629_M3010217", spec(body))
    client, _ = make_client(osp_server)
    with pytest.raises(FetchError, match=match):
        osp.fetch(["median_age"], start=2024, end=2024, data_dir=data_dir, client=client)
    assert store.latest_snapshot("osp", "median_age", data_dir) is None
    assert not (data_dir / "raw" / "osp" / "median_age").exists() or not any((data_dir / "raw" / "osp" / "median_age").iterdir())


def test_html_page_stores_nothing(osp_server, data_dir):
    osp_server.add(f"{CUR}data/S3R629_M3010217", Reply(200, spec("error_page.html"), {"Content-Type": "text/html"}))
    client, _ = make_client(osp_server)
    with pytest.raises(FetchError, match="HTML page"):
        osp.fetch(["median_age"], start=2024, end=2024, data_dir=data_dir, client=client)
    assert store.latest_snapshot("osp", "median_age", data_dir) is None


def test_flow_name_lookup_failure_is_not_fatal(osp_server, data_dir, caplog):
    osp_server.add(f"{CUR}data/S3R180_M3010501_1", Reply(200, spec("births.xml")))
    client, _ = make_client(osp_server)
    res = osp.fetch(["births"], start=2024, end=2025, data_dir=data_dir, client=client)[0]
    assert read_sidecar(res.path)["flow_name"] == "Live births"  # catalogue title
    assert "could not read the names of flow S3R180_M3010501_1" in caplog.text


def test_unknown_and_unresolved_datasets(data_dir, osp_server):
    with pytest.raises(DatasetNotFoundError, match=r"unknown OSP dataset\(s\) \['nope'\]"):
        osp.fetch(["nope"], data_dir=data_dir, client=make_client(osp_server)[0])
    with pytest.raises(ConfigError, match="'employed' has no flow_id"):
        osp.fetch(["employed"], data_dir=data_dir, client=make_client(osp_server)[0])


def test_fetch_all_skips_unresolved(osp_server, data_dir, caplog):
    cat = osp.load_catalogue(data_dir)
    small = {"median_age": cat["median_age"], "employed": cat["employed"]}
    _serve(osp_server, "S3R629_M3010217", spec("median_age.xml"))
    res = osp.fetch(None, start=2024, end=2025, data_dir=data_dir, client=make_client(osp_server)[0], catalogue=small)
    assert [r.dataset for r in res] == ["median_age"]
    assert "skipping employed" in caplog.text


# every catalogue family, fetched in XML and in JSON, builds the same canonical table
FAMILIES = [
    ("population", "S3R167_M3010202", "population", ""),
    ("births", "S3R180_M3010501_1", "births", ""),
    ("deaths", "S3R304_M3010601_1", "deaths", ""),
    ("emigrants", "S3R106_M3020102_1", "emigrants", ""),
    ("net_internal", "S3R0066_M3020122", "net_internal_migration", ""),
    ("unemployed_ratio", "S3R421_M3050101_2", "unemployed_ratio", "  unemployed_ratio:\n    unit: proc\n"),
    ("earnings", "S3R0050_M3060322", "earnings",
     "  earnings:\n    filters: {EVRK2M3060322: VISO, Bruto_neto: bruto}\n"),
    ("median_age", "S3R629_M3010217", "median_age", ""),
]


@pytest.mark.parametrize("family, flow, dataset, override", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_fetch_and_parse_every_family_in_both_formats(osp_server, tmp_path, family, flow, dataset, override):
    frames = {}
    for fmt, base in (("xml", CUR), ("json", JCUR)):
        d = tmp_path / fmt
        d.mkdir()
        if override:
            (d / "catalogue.yaml").write_text("datasets:\n" + override, encoding="utf-8")
        _serve(osp_server, flow, spec(f"{family}.{fmt}"), base=base)
        client, _ = make_client(osp_server, osp_server.base(base.rstrip("/")), fmt=fmt)
        [res] = osp.fetch([dataset], start=2024, end=2025, data_dir=d, client=client)
        assert res.path.name.startswith(f"{TODAY}-") and res.path.name.endswith(f".{fmt}")
        parsed = store.parse_snapshot(res.path)  # the store's own tidy() + validate()
        table = osp.load_catalogue(d)[dataset].table
        # an age-resolved table's all-ages rows are a table of their own (migration_total ...)
        assert set(parsed) <= {table, f"{table}_total"} and parsed
        frames[fmt] = {name: frame.drop(columns="source") for name, frame in parsed.items()}
    assert frames["xml"].keys() == frames["json"].keys()
    for name in frames["xml"]:
        pd.testing.assert_frame_equal(frames["xml"][name], frames["json"][name])
        assert len(frames["xml"][name]) > 0


def test_build_from_fetched_snapshots(osp_server, data_dir):
    _serve(osp_server, "S3R629_M3010217", spec("median_age.xml"))
    _serve(osp_server, "S3R167_M3010202", spec("population.xml"))
    client, _ = make_client(osp_server)
    osp.fetch(["median_age", "population"], start=2024, end=2025, data_dir=data_dir, client=client)
    report = store.build(data_dir)
    assert set(report.tables) == {"median_age", "population", "population_total"}
    pop = store.load("population", territories="Visaginas", years=2024, sex="total", data_dir=data_dir)
    total = store.load("population_total", territories="Visaginas", years=2024, sex="total", data_dir=data_dir)
    assert total["value"].item() == 2 * (100 + 200 + 300) + 30  # invented figures
    assert pop["age"].notna().all() and pop.loc[pop["age"] == 85, "open_age"].all()
    med = store.load("median_age", sex=("male", "female", "total"), data_dir=data_dir)
    gap = med[(med.territory_code == "30") & (med.year == 2025)]
    assert len(gap) == 3
    assert len(store.load("median_age", territories="30", years=2025, data_dir=data_dir)) == 2  # men, women


def test_parse_snapshot_uses_the_catalogue_when_sidecar_lacks_entry(tmp_path):
    p = tmp_path / "x.xml"
    p.write_bytes(spec("median_age.xml"))
    frames = osp.parse_snapshot(p, {"dataset": "median_age", "parser": "osp-sdmx"})
    assert list(frames) == ["median_age"]
    assert "osp-sdmx" in store.PARSERS


# -- CLI ---------------------------------------------------------------------------------
def test_cli_fetch_and_offline(osp_server, data_dir, capsys):
    _serve(osp_server, "S3R629_M3010217", spec("median_age.xml"))
    rc = main(["--data-dir", str(data_dir), "fetch", "median_age", "--from", "2024", "--to", "2025",
               "--base-url", osp_server.base()])
    out = capsys.readouterr().out
    assert rc == 0 and out.startswith("median_age\tfetched\t") and f"{TODAY}-" in out
    rc = main(["--data-dir", str(data_dir), "fetch", "median_age", "--offline"])
    assert rc == 0 and "\toffline\t" in capsys.readouterr().out
    rc = main(["--data-dir", str(data_dir), "fetch", "births", "--offline"])
    err = capsys.readouterr().err
    assert rc == 1 and "no snapshot of osp/births" in err


def test_cli_fetch_list(capsys, data_dir):
    assert main(["--data-dir", str(data_dir), "fetch", "--list"]) == 0
    out = capsys.readouterr().out
    assert "median_age\tS3R629_M3010217\tmedian_age\tconfirmed" in out
    assert "employed\t-\tlabour\tunresolved" in out


def test_cli_search_saved_lists(capsys):
    assert main(["osp", "search", "live", "births", "--catalogue", str(SPEC / "dataflows.xml"), "--lang", "en"]) == 0
    assert capsys.readouterr().out == "S3R180_M3010501_1\tS3R180 - Live births\n"
    assert main(["osp", "search", "zzzz", "--catalogue", str(SPEC / "dataflows.xml")]) == 1


def test_cli_search_live(osp_server, capsys):
    osp_server.add(f"{CUR}dataflow/", Reply(200, spec("dataflows.xml"), {"Content-Type": XML_CT}))
    assert main(["osp", "search", "gyventoj", "--base-url", osp_server.base(), "--limit", "1"]) == 0
    assert capsys.readouterr().out == "S3R167_M3010202\tS3R167 - Nuolatinių gyventojų skaičius metų pradžioje\n"


@pytest.mark.realdata
def test_cli_search_real_catalogue(shared_data, capsys):
    path = shared_data / "osp-specimens" / "dataflow_catalog.json"
    assert main(["osp", "search", "median", "age", "--catalogue", str(path), "--lang", "en", "--limit", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "S3R629_M3010217\tS3R629 - Median age of the population at the beginning of the year" in lines
    assert all("median age" in line.lower() for line in lines)
    assert main(["osp", "search", "medianinis", "amžius", "--catalogue", str(path), "--limit", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    flows = osp.load_dataflow_list(path)
    assert len(flows) == 9425


def test_progress_bar_runs(osp_server, data_dir, capsys):
    _serve(osp_server, "S3R629_M3010217", spec("median_age.xml"))
    client, _ = make_client(osp_server)
    osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=client, progress=True)
    err = capsys.readouterr().err
    assert "OSP fetch" in err and "1/1" in err
    assert client.progress is None


def test_catalogue_correction_applies_to_existing_snapshots(osp_server, data_dir):
    _serve(osp_server, "S3R629_M3010217", spec("median_age.xml"))
    [res] = osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=make_client(osp_server)[0])
    assert set(store.parse_snapshot(res.path)["median_age"]["sex"]) == {"total", "male", "female"}
    (data_dir / "catalogue.yaml").write_text("datasets:\n  median_age:\n    filters: {Lytis: '0'}\n", encoding="utf-8")
    assert set(store.parse_snapshot(res.path)["median_age"]["sex"]) == {"total"}
