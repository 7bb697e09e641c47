"""What the reports of a batch share: computed once per batch (kept on disk in the build's
generation folder for the other workers), noted in each report's manifest, and the reports the
same as when run one by one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cityindicators.reports import exports, shared


@pytest.fixture()
def fresh(demo_dir, monkeypatch):
    """No shared result kept in memory or on disk for the demo build."""
    import shutil

    shared.clear()
    shutil.rmtree(shared.disk_folder(demo_dir), ignore_errors=True)
    yield demo_dir
    shared.clear()


def test_computed_once_on_disk_serves_other_processes(fresh, tmp_path, monkeypatch):
    monkeypatch.setenv(exports.EXPORT_ENV, str(tmp_path))  # as in a report's kernel
    calls = []

    def compute():
        calls.append(1)
        return {"value": [1.5, 2.5]}

    assert shared.computed_once(("thing", 2015), fresh, compute, on_disk=True) == {"value": [1.5, 2.5]}
    shared.write_uses()  # the kernel, at the end of a report
    assert shared.read_uses(tmp_path) == {"thing 2015": "computed"}
    assert shared.computed_once(("thing", 2015), fresh, compute, on_disk=True) == {"value": [1.5, 2.5]}
    shared.write_uses()
    assert shared.read_uses(tmp_path) == {"thing 2015": "kept"}
    shared.clear()  # another process: nothing in memory, the build's file is there
    assert shared.computed_once(("thing", 2015), fresh, compute, on_disk=True) == {"value": [1.5, 2.5]}
    shared.write_uses()
    assert shared.read_uses(tmp_path) == {"thing 2015": "read"}
    assert len(calls) == 1
    assert not (tmp_path / shared.USES_FILE).exists()  # read_uses takes the note away
    # another key is another result
    shared.computed_once(("thing", 2016), fresh, compute, on_disk=True)
    assert len(calls) == 2
    files = sorted(p.name for p in shared.disk_folder(fresh).glob("*.pickle"))
    assert len(files) == 2 and files[0].startswith("thing_2015-")


def test_damaged_disk_result_is_computed_again(fresh):
    shared.computed_once("frame", fresh, lambda: 1, on_disk=True)
    (path,) = shared.disk_folder(fresh).glob("frame-*.pickle")
    path.write_bytes(b"not a pickle")
    shared.clear()
    assert shared.computed_once("frame", fresh, lambda: 2, on_disk=True) == 2
    shared.clear()
    assert shared.computed_once("frame", fresh, lambda: 3, on_disk=True) == 2  # rewritten


def test_uses_are_not_noted_outside_a_report(fresh, monkeypatch, tmp_path):
    monkeypatch.delenv(exports.EXPORT_ENV, raising=False)
    assert shared.computed_once("x", fresh, lambda: 1) == 1
    shared.write_uses()
    assert shared.read_uses(tmp_path) == {}


def test_uses_are_written_once_at_the_end_and_those_of_a_failed_report_dropped(fresh, monkeypatch, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    monkeypatch.setenv(exports.EXPORT_ENV, str(first))
    shared.computed_once("a", fresh, lambda: 1)
    shared.computed_once("b", fresh, lambda: 2)
    assert not (first / shared.USES_FILE).exists()  # nothing written while the cells run
    monkeypatch.setenv(exports.EXPORT_ENV, str(second))  # the first report failed: never written
    shared.computed_once("b", fresh, lambda: 2)
    shared.write_uses()
    assert shared.read_uses(second) == {"b": "kept"} and shared.read_uses(first) == {}
    shared.write_uses()  # written once: nothing noted since
    assert not (second / shared.USES_FILE).exists()


def test_batch_reference_rates_are_the_projections_own(demo_dir):
    """The rates a report projects from (all municipalities estimated once, the report's first)
    give the projection a territory's own estimate gives, to far below a person."""
    import numpy as np

    from cityindicators.projection.api import project
    from cityindicators.reports.sections import scenarios as sc
    from cityindicators.reports.sections.context import ReportContext
    from cityindicators.workspace import as_workspace

    ws = as_workspace(demo_dir)
    data = ws.projection_data()
    ctx = ReportContext(ws.register.get("X13"), "en", (2001, 2015), "all", ws.root, [], "", [], {}, workspace=ws)
    ref = sc.batch_reference(ctx, data)
    assert ref.codes[0] == "X13" and len(ref.codes) == len(set(ref.codes)) > 1
    own = project("X13", to_year=2040, scenario=["baseline", "zero-migration"], data=data, data_dir=demo_dir)
    batch = project("X13", to_year=2040, scenario=["baseline", "zero-migration"], data=data, data_dir=demo_dir,
                    reference=ref)
    assert list(batch.reference.codes) == list(own.reference.codes)
    diff = np.abs(batch.population["value"].to_numpy() - own.population["value"].to_numpy())
    assert diff.max() < 1e-6


def _shared_uses(results) -> dict[str, list[str]]:
    """``key -> [how, ...]`` over the manifests of the reports written."""
    out: dict[str, list[str]] = {}
    for r in results:
        manifest = json.loads((Path(r.output_dir) / "manifest.json").read_text(encoding="utf-8"))
        for key, how in manifest["shared"].items():
            out.setdefault(key, []).append(how)
    return out


def _tables(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((folder / "tables").glob("*.csv"))}


def _workbook_values(path: Path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


MINI_PARAMS = (
    'territory: str = "X13"  # municipality\n'
    'scenarios: list[str] = ["baseline", "zero-migration"]  # scenario names\n'
    'language: str = "en"  # report language: lt or en\n'
    'data_dir: str = ""  # data directory'
)


def mini_scenarios(path: Path) -> Path:
    """The scenario report's set-up and its two sections of tables (assumptions, accuracy):
    the shared inputs of a scenario report without the cost of its charts."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_code_cell(MINI_PARAMS, metadata={"tags": ["parameters"]}),
        new_code_cell("from cityindicators.reports import sections as s\n"
                      "ctx = s.setup_scenarios(territory, scenarios=scenarios, horizon=2030, language=language, "
                      "data_dir=data_dir, trajectories=0)"),
        new_code_cell("s.assumptions(ctx);"),
        new_code_cell("s.accuracy(ctx);"),
    ]
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_batch_computes_shared_inputs_once_and_matches_single_reports(fresh, tmp_path):
    from cityindicators.reports import kernels, runner

    template = str(mini_scenarios(tmp_path / "mini.ipynb"))
    summary = runner.run_batch(["X12", "X13"], [template], jobs=2, output_dir=tmp_path / "batch", data_dir=fresh,
                               progress=False)
    assert summary.ok, summary.text()
    uses = _shared_uses(summary.results)
    heavy = [k for k in uses if k.startswith(("backtest-all", "reference-rates"))]
    assert len(heavy) == 2, uses
    for key in heavy:  # two reports, one computation: the other report read it (or kept it, in the same worker)
        assert len(uses[key]) == 2 and uses[key].count("computed") == 1, (key, uses[key])
    # the same report run alone, in a fresh kernel and with nothing kept: it computes everything itself
    kernels.close_kernels()
    shared.clear()
    import shutil

    shutil.rmtree(shared.disk_folder(fresh))
    alone = runner.run_report(template, "X13", output_dir=tmp_path / "alone", data_dir=fresh)
    assert alone.status == "ok", alone.error
    assert all(v == ["computed"] for v in _shared_uses([alone]).values())
    batch_folder = Path(summary.results[1].output_dir)
    assert len(_tables(batch_folder)) >= 2
    assert _tables(Path(alone.output_dir)) == _tables(batch_folder)
    assert _workbook_values(Path(alone.output_dir) / "mini.xlsx") == _workbook_values(batch_folder / "mini.xlsx")


def test_more_jobs_than_processors_start_one_worker_per_processor(demo_dir, tmp_path, monkeypatch, caplog):
    # --jobs 1000 started a worker (and its kernel) for every report of the batch until the memory ran out
    import os

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from cityindicators.reports import batch, runner

    nb = new_notebook(cells=[new_code_cell('territory = "X13"\ndata_dir = ""\nlanguage = "lt"')])
    nb.cells[0].metadata["tags"] = ["parameters"]
    template = tmp_path / "t.ipynb"
    nbformat.write(nb, template)
    started = []
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    monkeypatch.setattr(batch, "_run_pool", lambda todo, jobs, bar, results: started.append((len(todo), jobs)))
    runner.run_batch(["X12", "X13", "X14", "X15"], [str(template)], jobs=1000, output_dir=tmp_path / "out",
                     data_dir=demo_dir, progress=False)
    assert started == [(4, 3)]
    assert "--jobs 1000 is more than the 3 processors of this machine: running 3 worker processes" in caplog.text
    started.clear()
    runner.run_batch(["X12", "X13"], [str(template)], jobs=3, output_dir=tmp_path / "out", data_dir=demo_dir,
                     progress=False)
    assert started == [(2, 3)]


@pytest.mark.parametrize("address, pattern", [
    ("nonsense", r"--scheduler nonsense: not a Dask scheduler address \(missing port number in address 'nonsense'\); "
                 r"give one such as tcp://127.0.0.1:8786"),
    # the address was quoted with its password, and as an internal error
    ("tcp://user:s3cret@127.0.0.1:1", r"--scheduler tcp://\*\*\*@127.0.0.1:1: not a Dask scheduler address"),
])
def test_a_bad_scheduler_address_is_a_parameter_error_without_its_credentials(address, pattern, demo_dir, tmp_path):
    from cityindicators.exceptions import ReportParameterError
    from cityindicators.reports import runner

    with pytest.raises(ReportParameterError, match=pattern) as caught:
        runner.run_batch(["X13"], ["situation_analysis"], scheduler=address, output_dir=tmp_path, data_dir=demo_dir,
                         progress=False)
    assert "s3cret" not in str(caught.value)
