"""The workspace (one data directory, what is derived from it computed once) and a report run
that reads its inputs once: the count arrays built once, the territory's name resolved once, the
template's parameters cell parsed once."""

from __future__ import annotations

import collections
import contextlib
import io
import os
from pathlib import Path

import matplotlib
import nbformat
import pytest

from cityindicators import geography, store
from cityindicators.workspace import Workspace, as_workspace

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _as_after_a_new_build(demo_dir):
    """Each test starts as a new process does after a new build: what a workspace keeps with the build
    (the tables, the counts: Workspace._kept_with_build) neither on disk nor in this process's memory."""
    from cityindicators import build_cache

    for kept in build_cache.disk_folder(demo_dir).glob("workspace_*"):
        kept.unlink()
    build_cache.clear()
    yield
    build_cache.clear()


def test_a_workspace_is_its_folder(demo_dir, tmp_path):
    ws = Workspace(demo_dir)
    assert os.fspath(ws) == str(Path(demo_dir).resolve())
    assert ws.paths.processed == Path(demo_dir).resolve() / "processed"
    # accepted wherever a data directory is: functions below the workspace take it as a path
    assert store.load("population", territories="X13", data_dir=ws).equals(
        store.load("population", territories="X13", data_dir=demo_dir))
    assert ws.register.resolve("Eglyno sav.").code == "X13"
    assert "baseline" in ws.scenarios()
    assert "share_65_plus" in set(ws.catalogue["id"])
    # one workspace per folder in a process; a workspace given is returned as it is
    assert as_workspace(demo_dir) is as_workspace(str(demo_dir))
    assert as_workspace(ws) is ws


def test_derived_values_are_kept_until_the_tables_change(demo_dir, tmp_path):
    ws = Workspace(demo_dir)
    calls = []
    first = ws.derived("answer", lambda: calls.append(1) or [42])
    assert ws.derived("answer", lambda: calls.append(1) or [43]) is first
    assert ws.counts() is ws.counts() and ws.tables() is ws.tables()
    assert len(calls) == 1
    # a new build (here: a table rewritten) is a new version of the data: computed afresh
    table = ws.paths.processed_table("population")
    stat = table.stat()
    os.utime(table, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        assert ws.derived("answer", lambda: calls.append(1) or [44]) == [44]
        assert len(calls) == 2
    finally:
        os.utime(table, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_report_dir_names_the_territory_by_the_workspace_register(demo_dir, tmp_path):
    from cityindicators.reports.run import report_dir

    ws = Workspace(demo_dir)
    expected = tmp_path / "situation_analysis" / "X13-eglynas"
    assert report_dir("situation_analysis", "X13", tmp_path, workspace=ws) == expected
    assert report_dir("situation_analysis", "X13", tmp_path, workspace=demo_dir) == expected


def test_setup_resolves_the_territory_name_once(demo_dir, monkeypatch):
    from cityindicators.reports import sections

    names = []
    real = geography.Register.resolve
    monkeypatch.setattr(geography.Register, "resolve", lambda self, name, *a, **k: names.append(name) or real(self, name, *a, **k))
    ctx = sections.setup("Eglyno sav.", language="en", data_dir=demo_dir, show=False, indicators=None)
    assert ctx.code == "X13" and ctx.workspace == as_workspace(demo_dir)
    assert names.count("Eglyno sav.") == 1, names


def _run_in_process(template: str, territory: str, data_dir: Path, **params) -> collections.Counter:
    """Execute a template's cells here (as the kernel would) and count the work it does."""
    import cityindicators.indicators._counts as counts_module
    from cityindicators import workspace
    from cityindicators.indicators import change, compare, compute
    from cityindicators.reports import parameters, shared, template as tpl

    calls: collections.Counter = collections.Counter()
    real_build, real_resolve, real_read = counts_module.build_counts, geography.Register.resolve, tpl.read_parameters

    def build_counts(data, *a, **k):
        # the loaded tables, or a projected population alone (the scenario sections' indicators)
        calls["build_counts" if set(data) != {"population"} else "build_counts of a projection"] += 1
        return real_build(data, *a, **k)

    def resolve(self, name, *a, **k):
        calls[f"resolve {name}"] += 1
        return real_resolve(self, name, *a, **k)

    def read_parameters(*a, **k):
        calls["read_parameters"] += 1
        return real_read(*a, **k)

    mp = pytest.MonkeyPatch()
    try:
        for module in (counts_module, compute, change, compare):  # every module that builds count arrays
            if hasattr(module, "build_counts"):
                mp.setattr(module, "build_counts", build_counts)
        mp.setattr(geography.Register, "resolve", resolve)
        mp.setattr(tpl, "read_parameters", read_parameters)
        mp.setattr(tpl, "_SPECS_CACHE", {})
        mp.setattr(workspace, "_WORKSPACES", {})  # a fresh process: nothing computed yet
        shared.clear()
        values = parameters.validate_parameters(template, {"territory": territory, "data_dir": str(data_dir),
                                                           "language": "en", **params})
        nb = nbformat.read(tpl.template_path(template), as_version=4)
        namespace = dict(values)
        with contextlib.redirect_stdout(io.StringIO()):
            for cell in nb.cells:
                if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
                    exec(cell.source, namespace)
    finally:
        mp.undo()
        shared.clear()
    return calls


@pytest.mark.slow
def test_a_situation_report_builds_its_counts_once(demo_dir):
    calls = _run_in_process("situation_analysis", "Eglyno sav.", demo_dir)
    assert calls["build_counts"] == 1, calls
    assert calls["resolve Eglyno sav."] == 1, calls  # the runner's check; the notebook gets the code
    assert calls["read_parameters"] == 1, calls


@pytest.mark.slow
def test_a_scenarios_report_builds_its_counts_once(demo_dir_backtested):
    demo_dir = demo_dir_backtested
    calls = _run_in_process("scenarios", "Eglyno sav.", demo_dir, trajectories=50)
    assert calls["build_counts"] == 1, calls
    # the projected populations' count arrays come from the engine's arrays, not from their frames
    # (reports/sections/scenarios.py: _projected_counts)
    assert calls["build_counts of a projection"] == 0, calls
    assert calls["resolve Eglyno sav."] == 1, calls
    assert calls["read_parameters"] == 1, calls


def test_a_workspace_travels_to_a_worker_as_its_folder(demo_dir):
    import pickle

    ws = Workspace(demo_dir)
    ws.counts()
    back = pickle.loads(pickle.dumps(ws))
    assert back == ws and str(back) == str(Path(demo_dir).resolve()) and back._derived == {}


def test_library_functions_take_a_workspace_for_data_dir(demo_dir):
    from cityindicators.indicators import compute_indicators
    from cityindicators.projection import project

    ws = Workspace(demo_dir)
    by_path = compute_indicators(["share_65_plus"], ["X13"], [2010], data_dir=demo_dir)
    assert compute_indicators(["share_65_plus"], ["X13"], [2010], data_dir=ws).equals(by_path)
    res = project("X13", to_year=2030, data_dir=ws)
    assert res.population.equals(project("X13", to_year=2030, data=ws.projection_data(), data_dir=ws).population)


def test_library_calls_handed_a_workspace_read_each_table_once(demo_dir, monkeypatch):
    """A consultant's notebook: ``ws = Workspace(path)``, then several calls of the store, the
    indicators, the comparisons and the projection. Each table is read once, the count arrays
    built once, the projection inputs read once; the figures are those of ``data_dir=path``."""
    import pandas as pd

    import cityindicators.indicators._counts as counts_module
    from cityindicators.indicators import comparison_table, compute, compute_indicators, indicator_changes, rank_table
    from cityindicators.projection import ProjectionData, project

    ws = Workspace(demo_dir)
    reads: collections.Counter = collections.Counter()
    builds: list = []
    real_read, real_build = pd.read_parquet, counts_module.build_counts
    monkeypatch.setattr(store, "_CACHE", {})  # the store's own cache of parquet reads: empty, as in a new process
    monkeypatch.setattr(pd, "read_parquet", lambda path, *a, **k: reads.update([Path(path).name]) or real_read(path, *a, **k))
    for module in (counts_module, compute):
        monkeypatch.setattr(module, "build_counts", lambda data: builds.append(1) or real_build(data))

    x13 = store.load("population", territories="X13", years=[2010], data_dir=ws)
    store.load("population", territories="Eglyno sav.", data_dir=ws)
    shares = compute_indicators(["share_65_plus"], "X13", data_dir=ws)
    compute_indicators(["crude_birth_rate", "median_age"], ["X13", "X12"], data_dir=ws)
    table = comparison_table("X13", 2020, data_dir=ws)
    ranks = rank_table("population", 2020, data_dir=ws)
    indicator_changes(["population"], 2010, 2020, data_dir=ws)
    res = project("X13", to_year=2030, data_dir=ws)
    project("X12", to_year=2030, data_dir=ws)

    assert reads and max(reads.values()) == 1, reads
    assert len(builds) == 1
    assert ProjectionData.from_store(data_dir=ws) is ws.projection_data()
    # the same figures as from the folder (which reads and builds afresh at each call)
    assert x13.equals(store.load("population", territories="X13", years=[2010], data_dir=demo_dir))
    assert len(x13) and (x13["year"] == 2010).all()
    assert shares.equals(compute_indicators(["share_65_plus"], "X13", data_dir=demo_dir))
    assert table.equals(comparison_table("X13", 2020, data_dir=demo_dir))
    assert ranks.equals(rank_table("population", 2020, data_dir=demo_dir))
    assert res.population.equals(project("X13", to_year=2030, data_dir=demo_dir).population)
    assert len(builds) > 1  # by path: built again


def test_a_plan_loaded_with_a_workspace_computes_on_what_it_has_read(demo_dir, monkeypatch):
    """``load_plan(path, data_dir=ws)`` keeps the workspace: a second plan's indicators use the
    same count arrays and its outlook the same projection inputs; the figures are those of the
    folder."""
    import cityindicators.indicators._counts as counts_module
    from cityindicators.indicators import compute
    import pandas.testing as pdt

    from cityindicators.plans import load_plan

    example = Path(__file__).resolve().parents[1] / "examples" / "plans" / "eglynas.yaml"
    ws = Workspace(demo_dir)
    builds: list = []
    inputs: list = []
    real_build, real_levels = counts_module.build_counts, store.load_levels
    for module in (counts_module, compute):  # noted: builds from the store (the outlook's own from projections are not)
        monkeypatch.setattr(module, "build_counts", lambda data: ("births" in data and builds.append(1)) or real_build(data))
    monkeypatch.setattr(store, "load_levels", lambda *a, **k: inputs.append(a) or real_levels(*a, **k))

    first = load_plan(example, data_dir=ws)
    assert first.data_dir is ws
    out = first.outlook(scenarios=["baseline"], trajectories=20, seed=3)
    read_once = len(inputs)
    second = load_plan(example, data_dir=ws)
    second.outlook(scenarios=["baseline"], trajectories=20, seed=3)
    assert len(builds) == 1 and len(inputs) == read_once > 0

    by_path = load_plan(example, data_dir=demo_dir)
    assert by_path.actuals.equals(first.actuals)
    pdt.assert_frame_equal(by_path.outlook(scenarios=["baseline"], trajectories=20, seed=3), out)
    assert len(builds) > 1 and len(inputs) > read_once  # by path: built and read again


def test_checking_the_plans_of_several_reports_builds_the_counts_once(demo_dir, monkeypatch):
    """A batch checks the parameters of every report in its own process: the plan check of each
    monitoring report computes the plan's indicators on the folder's workspace, built once."""
    import cityindicators.indicators._counts as counts_module
    from cityindicators.indicators import compute
    from cityindicators.reports.parameters import validate_parameters

    builds: list = []
    real_build = counts_module.build_counts
    for module in (counts_module, compute):
        monkeypatch.setattr(module, "build_counts", lambda data: builds.append(1) or real_build(data))
    monkeypatch.setattr("cityindicators.workspace._WORKSPACES", {})  # no workspace of the folder yet
    for language in ("lt", "en"):
        values = validate_parameters("monitoring", {"territory": "X13", "language": language, "data_dir": str(demo_dir)})
        assert values["plan"].endswith("eglynas.yaml")
    assert len(builds) == 1


def test_the_tables_and_counts_are_kept_with_the_build_for_the_next_process(demo_dir, monkeypatch):
    """A report's kernel is a new process: it reads the tables and the count arrays that an earlier
    process kept with the build (one file each) instead of reading and splitting every table; a new
    build is read afresh."""
    import pandas as pd

    import cityindicators.indicators._counts as counts_module
    from cityindicators import build_cache

    first = Workspace(demo_dir)
    tables, counts = first.tables(), first.counts()
    kept = sorted(p.name.split("_")[1] for p in build_cache.disk_folder(demo_dir).glob("workspace_*.pickle"))
    assert kept[:2] == ["counts", "tables"]
    # the next process: nothing in memory, no table read, no count array built
    build_cache.clear()
    monkeypatch.setattr(store, "_CACHE", {})
    monkeypatch.setattr(pd, "read_parquet", lambda *a, **k: pytest.fail("a table was read"))
    monkeypatch.setattr(counts_module, "build_counts", lambda *a, **k: pytest.fail("the counts were built"))
    second = Workspace(demo_dir)
    again = second.tables()
    assert again is not tables and set(again) == set(tables) and all(again[k].equals(tables[k]) for k in tables)
    import numpy as np

    read = second.counts()
    assert read.codes == counts.codes and np.array_equal(read.pop, counts.pop, equal_nan=True)
    monkeypatch.undo()
    # a new build (a table rewritten) is read from its files, not from what the old one kept
    table = first.paths.processed_table("population")
    stat = table.stat()
    frame = pd.read_parquet(table)
    try:
        frame.assign(value=frame["value"] + 1).to_parquet(table)
        build_cache.clear()
        fresh = Workspace(demo_dir).tables()["population"]
        assert (fresh["value"].to_numpy() == tables["population"]["value"].to_numpy() + 1).all()
    finally:
        frame.to_parquet(table)
        os.utime(table, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        build_cache.clear()


def test_a_data_directory_without_a_build_gets_no_cache_folder(tmp_path):
    from cityindicators.exceptions import CityIndicatorsError

    with pytest.raises(CityIndicatorsError):
        Workspace(tmp_path / "empty").tables()
    assert not (tmp_path / "empty" / "processed").exists()


def test_years_and_ages_are_the_distinct_pairs_of_a_stored_table(demo_dir):
    ws = Workspace(demo_dir)
    pairs = ws.years_and_ages("population")
    full = store.stored_table("population", data_dir=demo_dir)
    assert list(pairs.columns) == ["year", "age"] and not pairs.duplicated().any()
    assert set(map(tuple, pairs.to_numpy().tolist())) == set(map(tuple, full[["year", "age"]].drop_duplicates().to_numpy().tolist()))
    assert list(ws.years_and_ages("births").columns) == ["year"]


def test_population_year_spans_are_each_territorys_first_and_last_year_kept_with_the_build(demo_dir, monkeypatch):
    import pandas as pd

    from cityindicators import build_cache

    pop = Workspace(demo_dir).table("population")
    spans = Workspace(demo_dir).population_year_spans()
    years = pop.groupby("territory_code")["year"]
    assert spans == {str(c): (int(years.min()[c]), int(years.max()[c])) for c in years.groups}
    assert Workspace(demo_dir).latest_population_years() == {c: last for c, (_, last) in spans.items()}
    # the next process (a report's command writing the footer) reads them without reading the table
    build_cache.clear()
    monkeypatch.setattr(store, "_CACHE", {})
    monkeypatch.setattr(pd, "read_parquet", lambda *a, **k: pytest.fail("a table was read"))
    assert Workspace(demo_dir).population_year_spans() == spans
