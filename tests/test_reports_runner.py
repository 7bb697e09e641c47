"""The report runner on a tiny throwaway notebook: parameter checks, execution, HTML export,
manifest, skip-if-unchanged, failed runs, batches in processes and on a local Dask cluster."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cityindicators import ReportParameterError
from cityindicators.reports import runner

PARAMS = (
    'territory: str = "X13"  # municipality name or code\n'
    'language: str = "lt"  # report language: lt or en\n'
    'years: list[int] = [2001, 2015]  # first and last year\n'
    'fail_on: str = ""  # territory code for which the notebook fails on purpose\n'
    'data_dir: str = ""  # data directory'
)


def make_notebook(path: Path) -> Path:
    """A small template: notes, a parameters cell, a heading, a chart and a failure switch."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_markdown_cell("# Analyst note: not in the report", metadata={"tags": ["notes"]}),
        new_code_cell(PARAMS, metadata={"tags": ["parameters"]}),
        new_code_cell(
            "import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt\n"
            "from IPython.display import display, Markdown\n"
            "display(Markdown(f'## Report {territory} {language} {years[0]}-{years[1]}'))"
        ),
        new_code_cell(
            "from cityindicators.reports.sections import show_figure\n"
            "fig, ax = plt.subplots(figsize=(4, 3))\nax.plot([1, 2, 3])\nfig.set_label('line')\nshow_figure(fig, 'a line')"
        ),
        new_code_cell("if territory == fail_on:\n    raise ValueError('deliberate failure')"),
    ]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return make_notebook(tmp_path_factory.mktemp("nb") / "tiny.ipynb")


# -- parameters (no kernel) --------------------------------------------------------------------


def test_read_parameters(tiny):
    specs = runner.read_parameters(tiny)
    assert list(specs) == ["territory", "language", "years", "fail_on", "data_dir"]
    assert specs["years"].annotation == "list[int]"
    assert specs["years"].default == [2001, 2015]
    assert specs["language"].comment == "report language: lt or en"


def test_validate_fills_defaults_and_normalises(tiny, demo_dir):
    values = runner.validate_parameters(tiny, {"territory": "Eglyno sav.", "years": "2005,2010",
                                               "data_dir": str(demo_dir)})
    assert values["territory"] == "X13"
    assert values["years"] == [2005, 2010]
    assert values["language"] == "lt"
    assert Path(values["data_dir"]).is_absolute()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"colour": "red"}, "unknown parameter(s) colour"),
        ({"language": "de"}, "'language'"),
        ({"territory": "Atlantis"}, "unknown territory"),
        ({"territory": "X01"}, "is a county"),
        ({"years": [2015, 2001]}, "first year must be before"),
        ({"years": [2001]}, "expected [first, last]"),
        ({"years": "soon"}, "years must be list[int]"),
        ({"data_dir": "/nonexistent/place"}, "no processed tables in"),
    ],
)
def test_invalid_parameters_raise(tiny, params, message):
    with pytest.raises(ReportParameterError) as exc:
        runner.validate_parameters(tiny, params)
    assert message in str(exc.value)


def test_parameters_cell_must_be_literal(tmp_path):
    nb = new_notebook()
    nb.cells = [new_code_cell("x = compute()", metadata={"tags": ["parameters"]})]
    nbformat.write(nb, tmp_path / "bad.ipynb")
    with pytest.raises(ReportParameterError, match="literal"):
        runner.read_parameters(tmp_path / "bad.ipynb")


def test_unknown_template():
    with pytest.raises(ReportParameterError, match="unknown report template"):
        runner.template_path("no_such_report")


def test_unknown_parameter_refused_before_running(tiny, demo_dir, tmp_path):
    with pytest.raises(ReportParameterError):
        runner.run_report(tiny, "X13", {"horizon": 2040}, output_dir=tmp_path / "r", data_dir=demo_dir)
    assert not (tmp_path / "r" / "tiny").exists() or not any((tmp_path / "r" / "tiny").iterdir())


def test_report_dir_naming():
    # absolute, since a warm kernel's working directory is not the caller's
    assert runner.report_dir("situation_analysis", "X13", "out") == Path("out/situation_analysis/X13-eglynas").absolute()


# -- one report (runs a kernel) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def first_run(tiny, demo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = runner.run_report(tiny, "Eglyno sav.", language="en", output_dir=out, data_dir=demo_dir)
    return out, result


def test_report_outputs(first_run, demo_dir, tiny):
    out, result = first_run
    assert result.status == "ok", result.error
    folder = Path(result.output_dir)
    assert folder == out / "tiny" / "X13-eglynas"
    assert (folder / "tiny.ipynb").exists()
    html = (folder / "tiny.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "Report X13 en 2001-2015" in html
    assert "Analyst note" not in html  # notes cells are left out
    assert 'class="jp-InputArea' not in html and "show_figure" not in html  # no code
    assert "data:image/png;base64," in html  # embedded image
    assert 'src="http' not in html and "<script src=" not in html  # nothing from the network
    assert "@media print" in html
    assert 'alt="a line"' in html
    charts = sorted((folder / "charts").glob("*.png"))
    assert [c.name for c in charts] == ["01_line.png", "01_line_300dpi.png"]
    assert (folder / "charts" / "01_line.svg").exists()
    assert charts[0].read_bytes()[:4] == b"\x89PNG"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "ok"
    assert manifest["parameters"]["territory"] == "X13"
    assert manifest["parameters"]["data_dir"] == str(demo_dir.resolve())
    assert manifest["package_version"]
    assert manifest["data"]["population"]["sha256"]
    assert manifest["data"]["population"]["synthetic"] is True
    assert manifest["timings"]["execute_s"] > 0
    assert "charts/01_line.png" in manifest["files"]
    # the footer tells the reader the day and the data, not the run's hash (kept in the manifest)
    footer = html.split('<footer class="ci-report-footer">', 1)[1].split("</footer>", 1)[0]
    assert footer.startswith(f"Prepared on {manifest['started_at'][:10]} · Data: synthetic demonstration data, 2001–")
    assert manifest["fingerprint"][:12] not in html and manifest["fingerprint"][:8] not in footer
    # executed notebook keeps the injected parameters
    nb = nbformat.read(folder / "tiny.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    # ...but names no path of this machine: the data directory, the template and the staging
    # folder were published with the report (they stay in the manifest)
    text = (folder / "tiny.ipynb").read_text(encoding="utf-8")
    for local in (str(demo_dir.resolve()), str(out), str(tiny.parent)):
        assert local not in text
    assert nb.metadata.papermill.input_path == "tiny.ipynb" and nb.metadata.papermill.parameters.data_dir == ""


def test_rerun_skips_when_unchanged_and_force_reruns(first_run, tiny, demo_dir):
    out, first = first_run
    again = runner.run_report(tiny, "X13", language="en", output_dir=out, data_dir=demo_dir)
    assert again.status == "skipped"
    changed = runner.run_report(tiny, "X13", language="en", parameters={"years": [2002, 2015]},
                                output_dir=out, data_dir=demo_dir)
    assert changed.status == "ok"  # new parameters: a new run
    forced = runner.run_report(tiny, "X13", language="en", parameters={"years": [2002, 2015]},
                               output_dir=out, data_dir=demo_dir, force=True)
    assert forced.status == "ok"


def test_failed_run_keeps_previous_report(tiny, demo_dir, tmp_path):
    good = runner.run_report(tiny, "X13", output_dir=tmp_path, data_dir=demo_dir)
    assert good.status == "ok"
    before = (Path(good.output_dir) / "manifest.json").read_bytes()
    bad = runner.run_report(tiny, "X13", {"fail_on": "X13"}, output_dir=tmp_path, data_dir=demo_dir)
    assert bad.status == "failed"
    assert "ValueError: deliberate failure" in bad.error
    assert (Path(good.output_dir) / "manifest.json").read_bytes() == before  # untouched
    failed_nb = nbformat.read(bad.failed_notebook, as_version=4)
    text = json.dumps(failed_nb)
    assert "papermill-error-cell-tag" in text or "An Exception was encountered" in text
    failed_manifest = json.loads((Path(bad.failed_notebook).parent / "manifest.json").read_text())
    assert failed_manifest["status"] == "failed"
    assert not list(Path(good.output_dir).parent.glob(".staging-*"))
    # a later good run clears the failure
    again = runner.run_report(tiny, "X13", output_dir=tmp_path, data_dir=demo_dir, force=True)
    assert again.status == "ok"
    assert not Path(bad.failed_notebook).parent.exists()


def test_report_run_alone_is_printed_while_its_workbook_is_written(tiny, demo_dir, tmp_path, monkeypatch):
    """The PDF is started before the tables are written and waited for only after them; its file
    is one of the report's, hashed, and the page for the printer is gone."""
    from concurrent.futures import Future

    from cityindicators.reports import exports, pdf

    events = []

    def start(html, target):
        events.append(("print started", Path(html).name))
        done: Future = Future()
        Path(target).write_bytes(b"%PDF-1.4 printed")
        done.set_result([])
        return done

    real_tables = exports.write_tables

    def tables(folder, template):
        events.append(("tables", template))
        return real_tables(folder, template)

    monkeypatch.setattr(pdf, "pdf_unavailable", lambda: "")
    monkeypatch.setattr(pdf, "start_pdf", start)
    monkeypatch.setattr(exports, "write_tables", tables)
    res = runner.run_report(tiny, "X11", output_dir=tmp_path, data_dir=demo_dir, force=True)
    assert res.status == "ok", res.error
    assert events == [("print started", ".tiny.print.html"), ("tables", "tiny")]
    manifest = json.loads((Path(res.output_dir) / "manifest.json").read_text(encoding="utf-8"))
    assert "tiny.pdf" in manifest["files"] and "tiny.pdf" in manifest["file_hashes"] and "pdf" not in manifest
    assert (Path(res.output_dir) / "tiny.pdf").read_bytes() == b"%PDF-1.4 printed"
    assert not list(Path(res.output_dir).glob(".*.print.html"))


def test_report_printed_later_is_put_in_place_by_finish_report(tiny, demo_dir, tmp_path):
    res = runner.run_report(tiny, "X12", output_dir=tmp_path, data_dir=demo_dir, print_later=True)
    assert res.status == "ok" and res.pending is not None
    final, staging = Path(res.output_dir), Path(res.pending.staging)
    assert not final.exists() and (staging / "tiny.html").exists()  # written up to its PDF, not in place
    assert (staging / res.pending.print_html).exists()  # the page for the printer, charts read from charts/
    done = runner.finish_report(res)
    assert done.pending is None and not staging.exists()
    assert not list(final.glob(".*.print.html"))  # a scratch file, not one of the report
    manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "ok" and set(manifest["file_hashes"]) == set(manifest["files"])
    assert all((final / f).exists() for f in manifest["files"])
    assert {"kernel_s", "execute_s", "html_s", "tables_s", "hashes_s", "pdf_s"} <= set(manifest["timings"]["steps"])
    # the same inputs: the report is unchanged for the next run
    assert runner.run_report(tiny, "X12", output_dir=tmp_path, data_dir=demo_dir).status == "skipped"


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name a descriptor's file")
def test_report_files_are_flushed_once_all_before_the_folder_is_published(tiny, demo_dir, tmp_path, monkeypatch):
    """The runner writes a report's files without flushing each; the report is put in place only
    once every file and folder of it is on disk (one pass), and the rename itself is flushed."""
    import os

    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src, dst) -> None:
        events.append(("replace", str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    res = runner.run_report(tiny, "X14", output_dir=tmp_path, data_dir=demo_dir, print_later=True)
    assert res.status == "ok" and res.pending is not None
    assert [e for e in events if e[0] == "fsync"] == []  # the runner's files so far: none flushed
    staging = Path(res.pending.staging)
    monkeypatch.setattr(os, "replace", replace)
    final = Path(runner.finish_report(res).output_dir)
    manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
    published = next(i for i, e in enumerate(events) if e == ("replace", str(final)))
    before = [path for kind, path in events[:published] if kind == "fsync"]
    wanted = {str(staging / f) for f in manifest["files"] + ["manifest.json"]} | {str(staging), str(staging / "charts")}
    assert wanted <= set(before)
    assert len(before) == len(set(before))  # each once
    assert ("fsync", str(final.parent)) in events[published:]  # the rename on disk


# -- batches -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_batch_processes_carries_on_and_summarises(tiny, demo_dir, tmp_path):
    summary = runner.run_batch(["X11", "X12", "X13"], [str(tiny)], language="lt", parameters={"fail_on": "X12"},
                               jobs=2, output_dir=tmp_path, data_dir=demo_dir, progress=False)
    assert [r.status for r in summary.results] == ["ok", "failed", "ok"]
    assert not summary.ok
    assert "FAILED tiny X12" in summary.text()
    assert json.loads((tmp_path / "batch-summary.json").read_text())["counts"] == {"ok": 2, "skipped": 0, "failed": 1, "stopped": 0}
    # second run: the two good ones are unchanged, the failed one runs (and fails) again
    again = runner.run_batch(["X11", "X12", "X13"], [str(tiny)], parameters={"fail_on": "X12"}, language="lt",
                             jobs=2, output_dir=tmp_path, data_dir=demo_dir, progress=False)
    assert [r.status for r in again.results] == ["skipped", "failed", "skipped"]


@pytest.mark.slow
def test_batch_all_on_local_dask_cluster(tiny, demo_dir, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                  processes=True) as cluster:
        summary = runner.run_batch("all", [str(tiny)], language="en", scheduler=cluster.scheduler_address,
                                   output_dir=tmp_path, data_dir=demo_dir, progress=False)
    assert len(summary.results) == 8  # the eight demo municipalities
    assert summary.ok, summary.text()
    assert sorted(p.name for p in (tmp_path / "tiny").iterdir()) == sorted(
        runner.report_dir("tiny", c, tmp_path).name for c in runner.batch_territories("all", demo_dir))


def test_batch_tells_unchanged_reports_without_starting_a_worker(tiny, demo_dir, tmp_path, monkeypatch):
    from cityindicators.reports import batch

    first = runner.run_batch(["X12", "X13"], [str(tiny)], jobs=1, output_dir=tmp_path, data_dir=demo_dir, progress=False)
    assert [r.status for r in first.results] == ["ok", "ok"]
    ran = []

    def fake_run(job):
        ran.append(job.territory)
        return runner.ReportResult("tiny", job.territory, job.territory, "ok", "")

    monkeypatch.setattr(batch, "_run_job", fake_run)
    monkeypatch.setattr(batch, "_run_pool", lambda *a: pytest.fail("a worker pool was started"))
    again = runner.run_batch(["X12", "X13"], [str(tiny)], jobs=2, output_dir=tmp_path, data_dir=demo_dir, progress=False)
    assert [r.status for r in again.results] == ["skipped", "skipped"] and ran == []
    assert [r.output_dir for r in again.results] == [r.output_dir for r in first.results]
    # a report whose folder lost a file is not unchanged: that one (and only that one) runs
    (Path(first.results[0].output_dir) / "tiny.html").unlink()
    third = runner.run_batch(["X12", "X13"], [str(tiny)], jobs=1, output_dir=tmp_path, data_dir=demo_dir,
                             progress=False)
    assert [r.status for r in third.results] == ["ok", "skipped"] and ran == ["X12"]


def test_batch_starts_the_longest_reports_first(tiny, demo_dir, tmp_path):
    """Known lengths (the previous manifests' total_s) first, longest first; a report without one
    counts as its template's mean; a template with no known run after them, by its code cells."""
    from cityindicators.reports import batch

    other = tmp_path / "other.ipynb"  # one code cell more than tiny: taken as the longer unknown template
    nb = nbformat.read(tiny, as_version=4)
    nb.cells.append(new_code_cell("pass"))
    nbformat.write(nb, other)
    out = tmp_path / "r"
    for code, seconds in (("X11", 2.0), ("X12", 6.0)):
        folder = runner.report_dir("tiny", code, out, workspace=demo_dir)
        folder.mkdir(parents=True)
        (folder / runner.MANIFEST).write_text(json.dumps({"timings": {"total_s": seconds}}), encoding="utf-8")

    def job(tpl, code):
        return batch._Job(str(tpl), code, {}, "lt", str(out), str(demo_dir), False, None, {})

    todo = {0: job(tiny, "X11"), 1: job(other, "X11"), 2: job(tiny, "X12"), 3: job(other, "X12"),
            4: job(tiny, "X13"), 5: job(tiny, "X14")}
    # X12 6 s, X13 and X14 the mean 4 s (ties in the batch's order), X11 2 s; then the unknown template
    assert list(batch._longest_first(todo)) == [2, 4, 5, 0, 1, 3]
    assert list(batch._longest_first({1: todo[1], 0: todo[0]})) == [0, 1]  # a known length before an unknown one
    todo_unknown = {0: job(tiny, "X15"), 1: job(other, "X15"), 2: job(tiny, "X16"), 3: job(other, "X16")}
    for code in ("X11", "X12"):
        (runner.report_dir("tiny", code, out, workspace=demo_dir) / runner.MANIFEST).unlink()
    assert list(batch._longest_first(todo_unknown)) == [1, 3, 0, 2]  # more code cells first


def test_batch_runs_the_other_templates_while_the_first_report_computes_what_its_template_shares(demo_dir, tmp_path):
    """After the first job, the jobs of the other templates, then the rest of the first one's
    template (each part in its order); one template: the order as it is."""
    from cityindicators.reports import batch

    def job(tpl, code):
        return batch._Job(tpl, code, {}, "lt", str(tmp_path), str(demo_dir), False, None, {})

    order = {3: job("scen", "X11"), 0: job("scen", "X12"), 5: job("sit", "X12"), 1: job("scen", "X13"),
             2: job("sit", "X11"), 4: job("mon", "X11")}
    assert list(batch._other_templates_meanwhile(order)) == [3, 5, 2, 4, 0, 1]
    one = {2: job("sit", "X12"), 0: job("sit", "X11"), 1: job("sit", "X13")}
    assert list(batch._other_templates_meanwhile(one)) == [2, 0, 1]
    assert batch._other_templates_meanwhile({}) == {}


def test_unchanged_jobs_give_the_previous_lengths_read_once(tiny, demo_dir, tmp_path, monkeypatch):
    """The batch's ordering uses the lengths the check for unchanged reports read from the
    manifests (each manifest read once in all)."""
    from cityindicators.reports import batch, run

    out = tmp_path / "r"
    for code, total in (("X11", 2.0), ("X12", 6.5)):
        folder = runner.report_dir("tiny", code, out, workspace=demo_dir)
        folder.mkdir(parents=True)
        (folder / runner.MANIFEST).write_text(json.dumps({"status": "ok", "fingerprint": "old",
                                                          "timings": {"total_s": total}}), encoding="utf-8")
    jobs = [batch._Job(str(tiny), code, {}, "lt", str(out), str(demo_dir), False, None, {})
            for code in ("X11", "X12", "X13")]
    reads: list[Path] = []
    read = run._read_manifest
    monkeypatch.setattr(batch, "_read_manifest", lambda f: reads.append(f) or read(f))
    todo, seconds = batch._unchanged_jobs(jobs, {})
    assert list(todo) == [0, 1, 2] and seconds == {0: 2.0, 1: 6.5, 2: None}
    assert len(reads) == 3
    assert list(batch._longest_first(todo, seconds)) == [1, 2, 0]  # X13 unknown: the mean, 4.25 s
    assert len(reads) == 3  # the lengths handed in: no manifest read again


def test_batch_rejects_parameters_no_template_declares(tiny, demo_dir, tmp_path):
    with pytest.raises(ReportParameterError, match="declared by none"):
        runner.run_batch("X13", [str(tiny)], parameters={"horizon": 2040}, output_dir=tmp_path, data_dir=demo_dir,
                         progress=False)


def test_cli_report_unknown_language_is_usage_error(capsys):
    from cityindicators.cli import main

    with pytest.raises(SystemExit):
        main(["report", "--territory", "X13", "--lang", "de"])


def test_cli_report_runs_and_exit_code(tiny, demo_dir, tmp_path, capsys):
    from cityindicators.cli import main

    code = main(["--data-dir", str(demo_dir), "report", "--territory", "X13", "--template", str(tiny),
                 "--output-dir", str(tmp_path), "--no-progress", "-p", "fail_on=X13"])
    assert code == 1
    assert "FAILED tiny X13" in capsys.readouterr().err
    code = main(["--data-dir", str(demo_dir), "report", "--territory", "X13", "--template", str(tiny),
                 "--output-dir", str(tmp_path), "--no-progress"])
    assert code == 0
    code = main(["--data-dir", str(demo_dir), "report", "--territory", "X13", "--template", str(tiny),
                 "--output-dir", str(tmp_path), "--no-progress", "-p", "colour=red"])
    assert code == 1
    assert "colour" in capsys.readouterr().err


@pytest.mark.parametrize("param, option", [("territory=X01", "--territory"), ("language=en", "--lang"),
                                           ("data_dir=/elsewhere", "--data-dir")])
def test_cli_report_refuses_a_parameter_that_an_option_gives(demo_dir, tmp_path, capsys, param, option):
    """-p territory=X01 beside --territory X13 was dropped without a word (the report was X13's), and
    -p data_dir=... beside --data-dir won: each has one way to be given."""
    from cityindicators.cli import main

    code = main(["--data-dir", str(demo_dir), "report", "--territory", "X13", "--output-dir", str(tmp_path),
                 "--no-progress", "-p", param])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and err[0].startswith(f"error: report: -p {param}: give the ")
    assert err[0].endswith(f" with {option}, not as a template parameter") and not any(tmp_path.iterdir())


def test_cli_report_into_a_file_is_one_error_before_anything_runs(demo_dir, tmp_path, capsys):
    from cityindicators.cli import main

    afile = tmp_path / "afile"
    afile.write_text("kept", encoding="utf-8")
    for out, said in ((afile, "is a file"), (afile / "sub", f"lies under {afile}, which is a file")):
        code = main(["--data-dir", str(demo_dir), "report", "--territory", "X13", "--output-dir", str(out),
                     "--no-progress"])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and err == [f"error: report: --output-dir {out}: {said}, not a folder"]
    assert afile.read_text(encoding="utf-8") == "kept"


def test_batch_on_a_full_disk_names_each_failed_report_and_why(tiny, demo_dir, tmp_path, monkeypatch):
    """X12's run fails, and then the disk is full: neither the keeping of its failed notebook nor the
    batch summary file can be written. The summary still names the failed report with the run's own
    error and the disk's, one line each, and leaves no half-kept folder."""
    import errno
    import os

    from cityindicators import _io

    write = _io.atomic_write_bytes

    def full_disk_for_the_failure_and_the_summary(target, data, durable=True):
        target = Path(target)
        if target.parent.name.endswith(".failed") or target.name == "batch-summary.json":
            raise _io.storage_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), target, "write")
        return write(target, data, durable=durable)

    monkeypatch.setattr(_io, "atomic_write_bytes", full_disk_for_the_failure_and_the_summary)
    summary = runner.run_batch(["X12", "X13"], [str(tiny)], parameters={"fail_on": "X12"}, output_dir=tmp_path,
                               data_dir=demo_dir, progress=False)  # returns: the disk's error is not raised
    assert [r.status for r in summary.results] == ["failed", "ok"] and summary.exit_code == 1
    text = summary.text()
    assert text.startswith("2 report(s) in ") and ": 1 written, 0 unchanged (skipped), 1 failed\n" in text
    failed = [line for line in text.splitlines() if line.startswith("  FAILED")]
    assert len(failed) == 1 and failed[0].startswith("  FAILED tiny X12 ")
    assert "ValueError: deliberate failure (cell " in failed[0]  # the run's own error, then the disk's
    assert failed[0].endswith("; the failed notebook could not be kept: "
                              f"{tmp_path / 'tiny' / 'X12-berzynas.failed' / 'manifest.json'}: cannot write: "
                              "no space left on the device")
    assert text.splitlines()[-1] == (f"  the batch summary file was not written: {tmp_path / 'batch-summary.json'}: "
                                    "cannot write: no space left on the device")
    assert not (tmp_path / "tiny" / "X12-berzynas.failed").exists() and not (tmp_path / "batch-summary.json").exists()


def test_kernel_managers_keep_their_ipc_sockets_apart(tmp_path, monkeypatch):
    # jupyter_client's default names IPC sockets "kernel-ipc-<n>" in the working directory, so two
    # kernels started at once by parallel workers could bind the same sockets
    monkeypatch.chdir(tmp_path)
    a, b = runner.LocalKernelManager(), runner.LocalKernelManager()
    assert a.transport == b.transport == "ipc"
    assert a.ip != b.ip
    for km in (a, b):
        folder = Path(km.ip).parent
        assert folder.is_dir() and not folder.is_relative_to(tmp_path)
        assert folder.stat().st_mode & 0o077 == 0  # private to this user
        import shutil

        shutil.rmtree(folder)


def test_without_local_paths_names_files_and_empties_the_data_dir():
    from cityindicators.reports.provenance import without_local_paths

    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"input_path": "/home/ana/tpl/scenarios.ipynb", "output_path": "/srv/out/.staging-x/s.ipynb",
                                "parameters": {"territory": "30", "data_dir": "/home/ana/data", "seed": 1,
                                               "plan": "/home/ana/plans/v.yaml", "scenarios": ["baseline", "/home/ana/my.yaml"]}}
    cell = nbformat.v4.new_code_cell('# Parameters\nterritory = "30"\ndata_dir = "/home/ana/data"\nseed = 1\n'
                                     'plan = "/home/ana/plans/v.yaml"\nscenarios = ["baseline", "/home/ana/my.yaml"]\n')
    cell.metadata["tags"] = ["injected-parameters"]
    other = nbformat.v4.new_code_cell('data_dir = "/home/ana/data"')  # a cell of the template: left as written
    nb.cells = [cell, other]
    without_local_paths(nb)
    meta = nb.metadata["papermill"]
    assert (meta["input_path"], meta["output_path"]) == ("scenarios.ipynb", "s.ipynb")
    assert meta["parameters"] == {"territory": "30", "data_dir": "", "seed": 1, "plan": "v.yaml",
                                  "scenarios": ["baseline", "my.yaml"]}
    assert cell.source.splitlines() == [
        "# Parameters", 'territory = "30"',
        'data_dir = ""  # the data directory of this run is in manifest.json (parameters.data_dir)', "seed = 1",
        'plan = "v.yaml"', 'scenarios = ["baseline", "my.yaml"]']
    assert other.source == 'data_dir = "/home/ana/data"'


def test_footer_names_the_day_the_sources_and_the_years_in_the_reports_language():
    from cityindicators import __version__
    from cityindicators.reports.provenance import data_sources, report_footer

    snap = {"population": {"sha256": "ab" * 32, "inputs": [{"source": "osp-extract"}, {"source": "demo"}]},
            "births": {"inputs": [{"source": "osp"}]},
            "published_indicators": {"inputs": [{"source": "indicators"}]}}
    # demo and real data in one directory: a real municipality's footer names no synthetic data, and back
    assert data_sources(snap, synthetic=False) == ["indicators", "osp", "osp-extract"]
    assert data_sources(snap, synthetic=True) == ["demo"]
    lt = report_footer("lt", "2026-12-03T18:40:36+00:00", data_sources(snap, False), (2001, 2018))
    assert lt == ("Parengta 2026-12-03 · Duomenys: Lietuvos statistika, paskelbtų savivaldybių rodiklių lentelė, "
                  "2001–2018 m. · cityindicators " + __version__)
    en = report_footer("en", "2026-12-03", ["demo"], (2025, 2025))
    assert en.startswith("Prepared on 2026-12-03 · Data: synthetic demonstration data, 2025 · cityindicators")
    assert "ab" * 6 not in lt + en
    assert report_footer("en", "2026-12-03", [], None).startswith("Prepared on 2026-12-03 · Data: not stated ·")


@pytest.mark.parametrize("content, said", [
    (b"", "Notebook does not appear to be JSON"),
    (b'{"cells": 5}', "not a Jupyter notebook ("),
    (b"PK\x03\x04\x9b\x00 an xlsx renamed", "not a Jupyter notebook (not UTF-8 text)"),
    (b'{"cells": [{"cell_type": "code"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "not a Jupyter notebook ("),
], ids=["empty", "cells-not-a-list", "not-utf8", "cell-without-source"])
def test_a_template_that_is_no_notebook_is_one_line_naming_it(tmp_path, capsys, content, said):
    # they were internal errors (NotJSONError, TypeError) or an input file "not UTF-8" without its name
    template = tmp_path / "mine.ipynb"
    template.write_bytes(content)
    with pytest.raises(ReportParameterError, match="mine.ipynb: not a Jupyter notebook"):
        runner.read_parameters(template)
    from cityindicators.cli import main

    assert main(["report", "--territory", "X13", "--template", str(template), "--output-dir", str(tmp_path / "out"),
                 "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {template}: not a Jupyter notebook") and said in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()
