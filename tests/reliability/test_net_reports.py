"""Report runs under signals and kills, their debris, their data fingerprint and template paths.

Signals go to a real ``cityindicators report --territory all`` batch on the demo data, run
with a tiny template whose one cell sleeps (so that the signal lands while kernels run): after
SIGTERM or SIGINT no process of the batch is left, every previous good report is intact, no
staging folder remains, the summary says what happened and the exit code is 128 + signal.
Kills (SIGKILL at named points of a run) leave debris that the next run removes.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from cityindicators.reports import runner
from conftest import CliResult, assert_clean_error, run_cli

TEMPLATE = "tiny_report"


def _tiny_template(folder: Path, name: str = TEMPLATE) -> Path:
    """A template with the runner's usual parameters and one cell that sleeps ``nap`` seconds."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'territory: str = "X13"  # municipality\n'
        'language: str = "en"  # lt or en\n'
        'data_dir: str = ""  # data directory\n'
        "nap: float = 0.0  # seconds the report sleeps\n"
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import time\ntime.sleep(nap)\nprint(territory)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def good_batch(demo_dir, tmp_path_factory):
    """Demo data, the tiny template and a first batch of good reports for every municipality."""
    root = tmp_path_factory.mktemp("reports")
    tpl = _tiny_template(root / "templates")
    out = root / "good"
    args = ["report", "--territory", "all", "--template", str(tpl), "--output-dir", out, "--jobs", "2", "--no-progress"]
    # On a crowded machine a kernel may miss papermill's 60 s start timeout; the batch then
    # reports that one as failed, and running it again redoes only the failed ones.
    for _ in range(3):
        res = run_cli(args, demo_dir, timeout=600)
        if res.returncode == 0:
            break
    assert res.returncode == 0, res.output
    return demo_dir, tpl, out


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "batch-summary.json"}


def _copy(src: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(src, dest)
    return dest


def _report_folders(out: Path) -> list[Path]:
    return sorted(p for p in (out / TEMPLATE).iterdir() if p.is_dir() and not p.name.startswith("."))


def _assert_reports_whole(out: Path, before: dict[str, str]) -> None:
    """Each report folder is either exactly the previous good one or a complete new good one."""
    after = _tree_digest(out)
    for folder in _report_folders(out):
        rel = str(folder.relative_to(out))
        mine = {k: v for k, v in after.items() if k.startswith(rel + "/")}
        old = {k: v for k, v in before.items() if k.startswith(rel + "/")}
        if mine == old:
            continue
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["status"] == "ok", rel
        for f, sha in manifest["file_hashes"].items():
            assert hashlib.sha256((folder / f).read_bytes()).hexdigest() == sha, f"{rel}/{f} is not whole"
    assert len(_report_folders(out)) == len({k.split("/")[1] for k in before if k.count("/") >= 2})


def _descendants(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.Error:
        return []


def _alive(procs: list[psutil.Process]) -> list[str]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(f"{p.pid} {' '.join(p.cmdline())[:80]}")
        except psutil.Error:
            pass
    return out


def _start_batch(data_dir: Path, tpl: Path, out: Path, jobs: int) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """Start a batch whose reports sleep, and wait until its kernels run; return it and its
    processes at that moment."""
    cmd = [sys.executable, "-m", "cityindicators", "--data-dir", str(data_dir), "report", "--territory", "all",
           "--template", str(tpl), "--output-dir", str(out), "--jobs", str(jobs), "--force", "--no-progress",
           "-p", "nap=60"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    ps = psutil.Process(proc.pid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        kids = _descendants(ps)
        kernels = [k for k in kids if "ipykernel" in " ".join(_cmdline(k))]
        if len(kernels) >= jobs and list((out / TEMPLATE).glob(".staging-*")):
            time.sleep(1.0)  # let the kernels reach the sleeping cell
            return proc, _descendants(ps)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"the batch did not start its kernels:\n{proc.communicate()[1]}")


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("sig, jobs", [(signal.SIGTERM, 2), (signal.SIGINT, 2), (signal.SIGTERM, 1), (signal.SIGINT, 1)],
                         ids=["SIGTERM-jobs2", "SIGINT-jobs2", "SIGTERM-jobs1", "SIGINT-jobs1"])
def test_signal_stops_the_batch_its_workers_and_kernels(good_batch, tmp_path, sig, jobs):
    data_dir, tpl, good = good_batch
    out = _copy(good, tmp_path / "out")
    before = _tree_digest(out)
    proc, procs = _start_batch(data_dir, tpl, out, jobs)
    assert any("ipykernel" in " ".join(_cmdline(p)) for p in procs)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    res = CliResult(proc.returncode, stdout, stderr)
    assert res.returncode == 128 + sig, res.output
    assert "Traceback" not in res.output, res.output
    name = signal.Signals(sig).name
    assert f"batch stopped by {name}: " in res.stderr and "not finished (their previous reports are kept)" in res.stderr
    end = time.monotonic() + 10  # the resource tracker leaves once the batch is gone
    while _alive(procs) and time.monotonic() < end:
        time.sleep(0.2)
    assert _alive(procs) == [], "processes of the batch live on"
    assert not list(out.rglob(".staging-*")), "staging folders left behind"
    _assert_reports_whole(out, before)
    summary = json.loads((out / "batch-summary.json").read_text(encoding="utf-8"))
    assert summary["stopped_by"] == name and summary["counts"]["stopped"] >= 1


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("point", ["report.executed", "report.exported", "report.replacing"])
def test_killed_report_run_leaves_the_previous_report_and_its_debris_goes_next_time(good_batch, tmp_path, point):
    data_dir, tpl, good = good_batch
    out = _copy(good, tmp_path / "out")
    before = _tree_digest(out)
    args = ["report", "--territory", "X13", "--template", str(tpl), "--output-dir", out, "--no-progress"]
    killed = run_cli(args + ["--force"], data_dir, env={"CITYINDICATORS_FAULT_AT": point}, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.output
    debris = [p.name for p in (out / TEMPLATE).iterdir() if p.name.startswith(".")]
    assert debris, "a killed run leaves its staging (or aside) folder"
    visible = {k: v for k, v in _tree_digest(out).items() if "/." not in "/" + k}
    if point != "report.replacing":  # (there, the old report waits aside until the next run)
        assert visible == before, "the previous report changed"
    # the next run (here without --force: the inputs are those of the good report, so it is
    # skipped) clears the debris first, putting back a report left aside by the cut replace
    again = run_cli(args, data_dir, timeout=300)
    assert again.returncode == 0 and again.stdout.startswith("skipped "), again.output
    assert [p.name for p in (out / TEMPLATE).iterdir() if p.name.startswith(".")] == []
    _assert_reports_whole(out, before)


# -- debris, fingerprints and paths (library level, fast) --------------------------------------
def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_next_run_removes_staging_of_dead_runs_and_keeps_live_ones(tmp_path):
    from cityindicators._debris import owner_tag

    host = owner_tag().split(".")[0]
    folder = tmp_path / "situation_analysis"
    final = folder / "X13-eglynas"
    (final).mkdir(parents=True)
    (final / "manifest.json").write_text("{}")
    dead = folder / f".staging-X13-eglynas.{host}.{_dead_pid()}.0123abcd"
    live = folder / f".staging-X14-zalgiriai.{host}.{os.getppid()}.0123abcd"
    old_done = folder / ".X13-eglynas.old-89abcdef"
    for d in (dead, live, old_done):
        d.mkdir()
        (d / "x.html").write_text("partial")
    runner._recover(final)
    assert not dead.exists() and not old_done.exists()
    assert live.exists() and (final / "manifest.json").exists()


def test_old_staging_is_removed_whoever_owned_it(tmp_path):
    folder = tmp_path / "t"
    final = folder / "X13-eglynas"
    old = folder / f".staging-X13-eglynas.otherhost.{os.getpid() + 1}.0123abcd"
    old.mkdir(parents=True)
    two_days = time.time() - 2 * 86400
    os.utime(old, (two_days, two_days))
    runner._recover(final)
    assert not old.exists()


def test_interrupted_replace_is_put_back(tmp_path):
    folder = tmp_path / "t"
    aside = folder / ".X13-eglynas.old-0123abcd"
    aside.mkdir(parents=True)
    (aside / "manifest.json").write_text('{"status": "ok"}')
    final = folder / "X13-eglynas"
    runner._recover(final)
    assert (final / "manifest.json").read_text() == '{"status": "ok"}' and not aside.exists()


def test_fingerprint_lists_only_the_published_tables(demo_dir):
    from cityindicators import store

    tables = store.current_tables(demo_dir)
    before = runner.data_snapshot(demo_dir)
    assert sorted(before) == sorted(tables)
    folder = next(iter(tables.values())).parent
    debris = [folder / ".population.parquet.k2j3.parquet", folder / ".staging-x", folder / "notes.parquet"]
    debris[0].write_bytes(b"PAR1 half a table")
    debris[1].mkdir()
    debris[2].write_bytes(b"PAR1 not a dataset")
    try:
        assert runner.data_snapshot(demo_dir) == before
    finally:
        debris[0].unlink()
        debris[1].rmdir()
        debris[2].unlink()


@pytest.mark.parametrize("stem", ["..", "."])
def test_report_dir_refuses_a_template_name_that_leaves_the_output_folder(tmp_path, stem):
    from cityindicators._io import UnsafePathError

    with pytest.raises(UnsafePathError, match=r"report template name '\.+' cannot be used .*only of dots"):
        runner.report_dir(f"{stem}.ipynb", "X13", tmp_path / "out")


def test_cli_template_named_dots_ipynb_writes_nothing_outside(demo_dir, tmp_path):
    tpl = _tiny_template(tmp_path / "templates", name="..")  # the file "...ipynb"
    assert tpl.name == "...ipynb"
    out = tmp_path / "work" / "out"
    out.mkdir(parents=True)
    res = run_cli(["report", "--territory", "X13", "--template", str(tpl), "--output-dir", out, "--no-progress"],
                  demo_dir)
    assert_clean_error(res, r"report template name '\.\.' cannot be used as a file or folder name", code=1)
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["out"] and not any(out.iterdir())


def test_cli_template_from_the_notebooks_folder_named_dots(demo_dir, tmp_path):
    folder = tmp_path / "templates"
    _tiny_template(folder, name="..")
    out = tmp_path / "work" / "out"
    res = run_cli(["report", "--territory", "X13", "--template", "..", "--output-dir", out, "--no-progress"],
                  demo_dir, env={"CITYINDICATORS_NOTEBOOKS": str(folder)})
    assert_clean_error(res, r"report template name '\.\.' cannot be used", code=1)
    assert not (tmp_path / "work").exists() or sorted(p.name for p in (tmp_path / "work").iterdir()) in ([], ["out"])


def test_batch_summary_exit_codes():
    ok = runner.BatchSummary([runner.ReportResult("t", "X13", "E", "ok", "")])
    failed = runner.BatchSummary([runner.ReportResult("t", "X13", "E", "failed", "", error="boom")])
    stopped = runner.BatchSummary([runner.ReportResult("t", "X13", "E", "stopped", "")], stopped_by="SIGTERM")
    assert (ok.exit_code, failed.exit_code, stopped.exit_code) == (0, 1, 143)
    assert runner.BatchSummary(stopped_by="SIGINT").exit_code == 130
    assert stopped.text().startswith("batch stopped by SIGTERM: 1 report(s)") and not stopped.ok
