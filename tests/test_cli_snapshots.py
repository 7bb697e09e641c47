"""``cityindicators snapshots list`` / ``snapshots remove``: the raw store seen and mended from
the command line, and the build's errors naming the snapshot to remove."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cityindicators import store
from cityindicators.cli import main
from cityindicators.sources.files import import_tidy
from cityindicators.testing import demo_data_dir

BIRTHS = "territory,year,sex,value\nVisaginas,2020,total,120\nVisaginas,2021,total,110\n"
DEATHS = "territory,year,sex,age,value\nVisaginas,2020,total,total,300\n"  # all ages: deaths_total


def _run(capsys, data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _listed(capsys, data_dir: Path) -> list[dict]:
    code, out, _ = _run(capsys, data_dir, "snapshots", "list", "--format", "json")
    assert code == 0
    return json.loads(out)


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (links not followed) by its relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): (p.read_bytes() if not p.is_symlink() else os.readlink(p).encode())
            for p in sorted(root.rglob("*")) if p.is_file() or p.is_symlink()}


def _import(data_dir: Path, tmp_path: Path, name: str, text: str, dataset: str) -> str:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    path = import_tidy(f, dataset, data_dir=data_dir).snapshots[0]
    return store.snapshot_id(path)


@pytest.fixture
def two_snapshots(data_dir, tmp_path) -> tuple[Path, str, str]:
    """A built data directory of two tidy snapshots: (data dir, births id, deaths id)."""
    births = _import(data_dir, tmp_path, "births.csv", BIRTHS, "births")
    deaths = _import(data_dir, tmp_path, "deaths.csv", DEATHS, "deaths")
    store.build(data_dir)
    return data_dir, births, deaths


def test_list_gives_every_demo_snapshot_with_an_id_that_names_its_file(capsys, tmp_path):
    data = demo_data_dir(tmp_path / "data")
    rows = _listed(capsys, data)
    raw = sorted(p for p in (data / "raw").rglob("*") if p.is_file() and not p.name.endswith(".meta.json"))
    assert sorted(data / r["id"] for r in rows) == raw and len(rows) == 6
    assert {r["dataset"] for r in rows} == {"population", "births", "deaths", "migration", "labour", "life_expectancy"}
    for r in rows:
        assert set(r) == {"id", "source", "dataset", "date", "rows", "size", "origin"}
        assert r["id"] == f"raw/demo/{r['dataset']}/{Path(r['id']).name}" and r["source"] == "demo"
        assert r["date"] == Path(r["id"]).name[:10] and r["size"] == (data / r["id"]).stat().st_size
    # rows: what each snapshot gave the build (a population file: single ages and all-ages rows)
    prov = store.processed_provenance(data)
    pop = next(r for r in rows if r["dataset"] == "population")
    assert pop["rows"] == prov["population"]["rows"] + prov["population_total"]["rows"]
    births = next(r for r in rows if r["dataset"] == "births")
    assert births["rows"] == prov["births"]["rows"]
    # the same rows as CSV and as the aligned table
    code, out, _ = _run(capsys, data, "snapshots", "list", "--format", "csv")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "id,source,dataset,date,rows,size,origin" and len(lines) == 7
    code, out, _ = _run(capsys, data, "snapshots", "list")
    assert code == 0 and out.split()[:3] == ["id", "source", "dataset"]
    assert f"{pop['rows']:,}" in out and all(r["id"] in out for r in rows)


def test_list_of_an_empty_store_and_of_a_snapshot_not_yet_built(capsys, data_dir, tmp_path):
    assert _listed(capsys, data_dir) == []
    code, out, _ = _run(capsys, data_dir, "snapshots", "list")
    assert code == 0 and out == "(no rows)\n"
    sid = _import(data_dir, tmp_path, "births.csv", BIRTHS, "births")
    [row] = _listed(capsys, data_dir)
    assert row["id"] == sid and row["rows"] is None and row["origin"] == str((tmp_path / "births.csv").resolve())


def test_a_bad_tidy_file_is_named_by_the_build_removed_by_its_id_and_the_build_works_again(capsys, tmp_path):
    data = demo_data_dir(tmp_path / "data")
    good = _listed(capsys, data)
    bad = tmp_path / "bad_pop.csv"  # imports alone, conflicts with the demo's all-ages population
    bad.write_text("territory,year,sex,age,value\nX01,2020,male,3,99999\n", encoding="utf-8")
    assert _run(capsys, data, "import", "tidy", str(bad), "--dataset", "population")[0] == 0
    [bad_id] = [r["id"] for r in _listed(capsys, data) if r["source"] == "tidy"]
    published = _files(data / "processed")
    code, _, err = _run(capsys, data, "build")
    assert code == 1 and "Traceback" not in err
    assert bad_id in err and "cityindicators snapshots remove" in err  # the build names the id to remove
    before = _files(data / "raw")
    code, out, err = _run(capsys, data, "snapshots", "remove", bad_id)
    assert code == 0 and err == ""
    assert f"removed {bad_id}" in out and "cityindicators build" in out
    after = _files(data / "raw")
    gone = {bad_id.removeprefix("raw/"), bad_id.removeprefix("raw/") + ".meta.json"}
    assert set(before) - set(after) == gone and {k: before[k] for k in after} == after  # nothing else touched
    assert not (data / "raw" / "tidy").exists()  # its emptied folders went with it
    assert _files(data / "processed") == published  # the published build is the build's to change
    assert _listed(capsys, data) == good
    code, out, _ = _run(capsys, data, "build")
    assert code == 0 and "from 6 snapshot(s)" in out


def test_a_snapshot_can_be_named_by_the_path_the_build_quotes(capsys, two_snapshots):
    data, births, deaths = two_snapshots
    code, out, _ = _run(capsys, data, "snapshots", "remove", str((data / deaths).resolve()), births)
    assert code == 0 and f"removed {deaths}" in out and f"removed {births}" in out
    assert _listed(capsys, data) == []


@pytest.mark.parametrize("bad_id", [
    "raw/tidy/births/2020-01-01-0000000000.csv",  # no such snapshot
    "births",
    "raw/tidy/births",  # a folder of the store
    "{births}.meta.json",  # a sidecar, not a snapshot
    "raw/tidy/births/../../../groups.yaml",  # path traversal out of raw/
    "raw/../groups.yaml",
    "../outside/x.csv",  # a file with a sidecar beside it, outside the data directory
    "{outside}",
    "",
])
def test_an_id_that_is_no_snapshot_is_refused_in_one_line_and_nothing_is_removed(bad_id, capsys, two_snapshots,
                                                                               tmp_path):
    data, births, deaths = two_snapshots
    (data / "groups.yaml").write_text("groups: {}\n", encoding="utf-8")
    outside = tmp_path / "outside" / "x.csv"
    outside.parent.mkdir()
    outside.write_text(BIRTHS, encoding="utf-8")
    (tmp_path / "outside" / "x.csv.meta.json").write_text('{"parser": "tidy", "source": "tidy"}', encoding="utf-8")
    bad_id = bad_id.format(births=births, outside=outside)
    before = _files(tmp_path)
    # beside a good id: one unknown id removes nothing at all
    code, out, err = _run(capsys, data, "snapshots", "remove", deaths, bad_id)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
    assert repr(bad_id) in err and "snapshots list" in err
    assert _files(tmp_path) == before
    assert [r["id"] for r in _listed(capsys, data)] == [births, deaths]


def test_a_source_folder_linked_outside_raw_is_never_removed_from(capsys, two_snapshots, tmp_path):
    data, births, _ = two_snapshots
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "births").mkdir(parents=True)
    (elsewhere / "births" / "2020-01-01-abcdef0123.csv").write_text(BIRTHS, encoding="utf-8")
    (elsewhere / "births" / "2020-01-01-abcdef0123.csv.meta.json").write_text('{"parser": "tidy"}', encoding="utf-8")
    (data / "raw" / "linked").symlink_to(elsewhere, target_is_directory=True)
    linked = "raw/linked/births/2020-01-01-abcdef0123.csv"
    assert linked in [r["id"] for r in _listed(capsys, data)]  # the listing shows it, so that it can be named
    before = _files(tmp_path)
    code, out, err = _run(capsys, data, "snapshots", "remove", births, linked)
    assert code == 1 and out == "" and linked in err and "outside" in err and err.count("\n") == 1
    assert _files(tmp_path) == before


def test_a_removal_killed_between_sidecar_and_file_leaves_no_snapshot_and_no_debris(two_snapshots, capsys):
    data, births, deaths = two_snapshots
    env = {**os.environ, "CITYINDICATORS_FAULT_AT": "snapshot.sidecar-removed"}
    proc = subprocess.run([sys.executable, "-m", "cityindicators", "--data-dir", str(data), "snapshots", "remove",
                           births], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert (data / births).exists() and not (data / f"{births}.meta.json").exists()
    assert [r["id"] for r in _listed(capsys, data)] == [deaths]  # a snapshot exists only with its sidecar
    code, out, _ = _run(capsys, data, "build")  # the next writer removes the file left alone
    assert code == 0 and not (data / births).exists()


def test_a_table_whose_snapshots_were_removed_is_not_carried_into_the_next_build(capsys, two_snapshots):
    data, births, _ = two_snapshots
    assert store.available_datasets(data) == ["births", "deaths_total"]
    assert _run(capsys, data, "snapshots", "remove", births)[0] == 0
    code, out, _ = _run(capsys, data, "build")
    assert code == 0 and "births: no longer published" in out
    assert store.available_datasets(data) == ["deaths_total"]


def test_the_build_names_a_snapshot_that_fails_alone_and_one_with_a_damaged_sidecar(capsys, two_snapshots):
    data, births, deaths = two_snapshots
    (data / births).write_text(BIRTHS + "Visaginas,2022,total,1\n", encoding="utf-8")  # edited after it was stored
    (data / f"{deaths}.meta.json").write_text("{not json", encoding="utf-8")
    code, out, err = _run(capsys, data, "build")
    assert code == 1 and "Traceback" not in err and "internal error" not in err
    assert f"- snapshot {births}: " in err and "changed after it was stored" in err
    assert f"- snapshot {deaths}: " in err and "sidecar" in err
    assert "cityindicators snapshots remove" in err
    assert [r["id"] for r in _listed(capsys, data)] == [births, deaths]  # the listing goes on past the sidecar
    code, out, err = _run(capsys, data, "snapshots", "remove", births, deaths)
    assert code == 0 and _listed(capsys, data) == []
