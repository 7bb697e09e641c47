"""Crashes, full disks and read-only folders: a build publishes everything or nothing.

A command is run in a subprocess; ``CITYINDICATORS_FAULT_AT`` makes it kill itself (SIGKILL, as
``kill -9`` or the OOM killer would) at a chosen step. Disk-full cases put the data directory on
a small tmpfs (root only); read-only cases bind-mount it read-only (root) or chmod it.
"""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pandas as pd
import pytest

from conftest import (
    assert_clean_error,
    assert_unchanged,
    fill_disk,
    read_only,
    run_cli,
    store_state,
    write_extract,
)

pytestmark = pytest.mark.slow  # every case runs the command line in subprocesses

FAULT = "CITYINDICATORS_FAULT_AT"
BIRTHS_FIX = "territory,year,sex,value\nZarasų r. sav.,2014,total,151\n"
POP_FIX = "territory,year,sex,age,value\nZarasų r. sav.,2016,total,total,2400\n"


def _stage_new_inputs(data: Path, tmp_path: Path) -> None:
    """Snapshots that change both built tables on the next build."""
    from cityindicators.sources.files import import_tidy

    (tmp_path / "b.csv").write_text(BIRTHS_FIX, encoding="utf-8")
    (tmp_path / "p.csv").write_text(POP_FIX, encoding="utf-8")
    import_tidy(tmp_path / "b.csv", "births", data_dir=data)
    import_tidy(tmp_path / "p.csv", "population", data_dir=data)


def _is_new_build(data: Path) -> bool:
    from cityindicators import store

    births = store.load("births", territories="Zarasai", years=2014, sex="total", data_dir=data)["value"].item()
    pop = store.load("population_total", territories="Zarasai", years=2016, sex="total",
                     data_dir=data)  # POP_FIX: all ages, both sexes
    return births == 151 and len(pop) == 1


def _no_leftovers(data: Path) -> None:
    gens = data / "generations"
    assert not list(gens.glob(".tmp-*")), "an unfinished build folder was left"
    assert not list(data.glob(".processed-*")) and not list((data / "raw").rglob(".*.tmp"))
    assert len([g for g in gens.iterdir() if g.is_dir()]) <= 2  # the current build and the one before


@pytest.mark.parametrize("step", ["build.parsed", "build.table-written:1", "build.table-written:2",
                                  "build.generation-complete"])
def test_build_killed_before_the_switch_publishes_nothing(step, built_store, tmp_path):
    _stage_new_inputs(built_store, tmp_path)
    before = store_state(built_store)
    res = run_cli(["build"], built_store, env={FAULT: step})
    assert res.returncode == -signal.SIGKILL, res.output
    assert_unchanged(before, built_store)  # readers still see the whole previous build
    # the next build cleans up after the killed one and publishes everything
    res = run_cli(["build"], built_store)
    assert res.returncode == 0, res.output
    assert _is_new_build(built_store)
    _no_leftovers(built_store)


def test_build_killed_after_the_switch_has_published_everything(built_store, tmp_path):
    _stage_new_inputs(built_store, tmp_path)
    res = run_cli(["build"], built_store, env={FAULT: "build.switched"})
    assert res.returncode == -signal.SIGKILL
    assert _is_new_build(built_store)
    from cityindicators import store

    sides = store.processed_provenance(built_store)
    assert len({s["built_at"] for s in sides.values()}) == 1  # the tables and sidecars of one build
    assert run_cli(["build"], built_store).returncode == 0
    _no_leftovers(built_store)


def test_import_killed_between_file_and_sidecar_stores_nothing(built_store, tmp_path):
    (tmp_path / "b.csv").write_text(BIRTHS_FIX, encoding="utf-8")
    before = store_state(built_store)
    res = run_cli(["import", "tidy", tmp_path / "b.csv", "--dataset", "births"], built_store,
                  env={FAULT: "snapshot.data-written"})
    assert res.returncode == -signal.SIGKILL
    from cityindicators import store

    assert not [s for s in store.list_snapshots(built_store) if "tidy" in s.parts]  # no snapshot without sidecar
    assert run_cli(["build"], built_store).returncode == 0  # the next writer removes the orphan file
    assert_unchanged(before, built_store)
    res = run_cli(["import", "tidy", tmp_path / "b.csv", "--dataset", "births"], built_store)
    assert res.returncode == 0 and res.stdout.startswith("imported 1 file(s)")


def test_legacy_processed_folder_with_debris_is_adopted(built_store, tmp_path):
    """A data directory of an older version: processed/ is a real folder with a killed build's temp file."""
    from cityindicators import store

    current = store.current_tables(built_store)
    proc = built_store / "processed"
    proc.unlink()
    proc.mkdir()
    for table in current.values():
        for f in (table, table.with_name(table.name + ".meta.json")):
            shutil.copy2(f, proc / f.name)
    (proc / ".population.parquet.abcd1234.parquet").write_bytes(b"half a table")
    before = store_state(built_store)
    fp = run_cli(["datasets", "--format", "json"], built_store)
    assert fp.returncode == 0 and ".population" not in fp.stdout
    res = run_cli(["build"], built_store)
    assert res.returncode == 0, res.output
    assert proc.is_symlink() and not list(proc.glob(".*"))
    assert_unchanged(before, built_store)  # the same inputs give the same tables


# -- full disk -------------------------------------------------------------------------------
@pytest.mark.parametrize("leave", [0, 6_000, 40_000], ids=["nothing-free", "one-table-fits", "some-room"])
def test_build_on_a_full_disk(leave, built_store, small_disk, tmp_path):
    data = small_disk / "data"
    shutil.copytree(built_store, data, symlinks=True)
    _stage_new_inputs(data, tmp_path)
    before = store_state(data)
    filler = fill_disk(small_disk, leave=leave)
    res = run_cli(["build"], data)
    if res.returncode == 0:  # with some room the build may fit: then it must be whole
        assert leave > 0 and _is_new_build(data)
    else:
        assert_clean_error(res, r"(cannot write|cannot start a new build|cannot publish).*no space left on the device", code=1)
        assert_unchanged(before, data)
        assert not list((data / "generations").glob(".tmp-*"))
    filler.unlink()
    res = run_cli(["build"], data)
    assert res.returncode == 0, res.output
    assert _is_new_build(data)
    _no_leftovers(data)


def test_import_on_a_full_disk(built_store, small_disk, tmp_path):
    data = small_disk / "data"
    shutil.copytree(built_store, data, symlinks=True)
    big = tmp_path / "b.csv"
    big.write_text("territory,year,sex,value\n" + "".join(f"Zarasų r. sav.,{y},total,{y}\n" for y in range(1950, 2100)) * 1,
                   encoding="utf-8")
    before = store_state(data)
    fill_disk(small_disk, leave=0)
    res = run_cli(["import", "tidy", big, "--dataset", "births"], data)
    assert_clean_error(res, r"raw/tidy/births/.*: cannot write: no space left on the device", code=1)
    assert_unchanged(before, data)
    assert not list((data / "raw").rglob(".*.tmp"))


# -- read-only data directory ------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [["build"], ["import", "osp-extract", "{extract}"], ["import", "tidy", "{tidy}", "--dataset", "births"], ["demo"]],
    ids=["build", "import-extract", "import-tidy", "demo"],
)
def test_writing_to_a_read_only_data_directory(args, built_store, tmp_path):
    extract = write_extract(tmp_path / "x", births="Territory;Year;Total;Boys;Girls\nZarasai d. mun.;2016;1;;\n")
    (tmp_path / "b.csv").write_text(BIRTHS_FIX, encoding="utf-8")
    before = store_state(built_store)
    with read_only(built_store):
        res = run_cli([a.format(extract=extract, tidy=tmp_path / "b.csv") for a in args], built_store)
    assert_clean_error(res, rf"{built_store}.*: cannot (write|start).*(read-only|permission denied)", code=1)
    assert_unchanged(before, built_store)


def test_reading_a_read_only_data_directory_works(built_store):
    with read_only(built_store):
        res = run_cli(["datasets", "--format", "csv"], built_store)
        assert res.returncode == 0, res.output
        assert pd.read_csv(__import__("io").StringIO(res.stdout))["dataset"].tolist() == ["births", "population",
                                                                                            "population_total"]


def test_shared_results_of_a_read_only_build_are_read_or_computed_without_being_kept(built_store):
    # the scenario report failed on a read-only data directory: the lock beside a kept result
    # could not be created ("Read-only file system: .../derived/shared/reference-rates....lock")
    from cityindicators import build_cache

    build_cache.clear()
    build_cache.computed_once(("kept-before",), built_store, lambda: 41, on_disk=True)  # written while writable
    build_cache.clear()
    calls = []
    with read_only(built_store):
        kept = build_cache.computed_once(("kept-before",), built_store, lambda: calls.append(1) or 0, on_disk=True)
        new = build_cache.computed_once(("new",), built_store, lambda: calls.append(2) or 42, on_disk=True)
    build_cache.clear()
    assert (kept, new, calls) == (41, 42, [2])
    assert not list(build_cache.disk_folder(built_store).glob("new-*"))
