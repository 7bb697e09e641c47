"""Shared fixtures of the reliability suite: hostile input, crashes, full disks, read-only folders.

Every case runs a real ``cityindicators`` command (in a subprocess, as a user or cron would)
and asserts three things: the message (one clear line naming the path or field, never a
Python traceback), the exit code, and that nothing stored changed (raw snapshots compared by
bytes, processed tables by content).

Helpers here are shared by the data cases (``test_data_*.py``) and the network/signal cases
(``test_net_*.py``); every test in this folder is marked ``reliability``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).resolve().parent == HERE:
            item.add_marker(pytest.mark.reliability)


# -- running the command line ------------------------------------------------------------------
@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(args: Sequence[str], data_dir: Path | None = None, *, env: dict | None = None, timeout: float = 120,
            cwd: Path | None = None) -> CliResult:
    """Run ``python -m cityindicators [--data-dir D] ARGS`` in a subprocess."""
    cmd = [sys.executable, "-m", "cityindicators"]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    cmd += [str(a) for a in args]
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout, cwd=cwd)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def run_main(args: Sequence[str], data_dir: Path | None = None) -> CliResult:
    """Run the command line in this process (fast; for cases that need no separate process)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from cityindicators.cli import main

    argv = (["--data-dir", str(data_dir)] if data_dir is not None else []) + [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    return CliResult(int(code or 0), out.getvalue(), err.getvalue())


def assert_clean_error(result: CliResult, pattern: str | None = None, *, code: int | None = None) -> None:
    """A failed command: non-zero exit (``code`` if given), no traceback, an ``error:`` line
    matching ``pattern`` (a regular expression, searched in stderr)."""
    import re

    assert result.returncode != 0, f"expected a failure, got exit 0:\n{result.output}"
    if code is not None:
        assert result.returncode == code, f"exit {result.returncode}, expected {code}:\n{result.output}"
    assert "Traceback" not in result.output, f"a traceback reached the user:\n{result.output}"
    assert result.stderr.startswith("error: "), f"no 'error:' line:\n{result.output}"
    if pattern:
        assert re.search(pattern, result.stderr, re.S), f"message does not match {pattern!r}:\n{result.stderr}"


# -- what is stored ----------------------------------------------------------------------------
@dataclass
class StoreState:
    """Everything stored in a data directory that must survive a failed command unchanged."""

    raw: dict[str, str]  # relative path -> sha256 of every raw file (snapshots and sidecars)
    tables: dict[str, pd.DataFrame]  # dataset -> processed table, read by the library
    other: dict[str, str]  # other files outside processed/ (groups.yaml, scenarios ...)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def store_state(data_dir: Path) -> StoreState:
    from cityindicators import store

    raw_root = data_dir / "raw"
    raw = {str(p.relative_to(data_dir)): _sha(p) for p in sorted(raw_root.rglob("*")) if p.is_file()} if raw_root.exists() else {}
    tables = {}
    if (data_dir / "processed").exists():
        for name in store.available_datasets(data_dir):
            tables[name] = pd.read_parquet(data_dir / "processed" / f"{name}.parquet")
    other = {
        str(p.relative_to(data_dir)): _sha(p)
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and p.parts[len(data_dir.parts)] not in ("raw", "processed", "generations") and not p.name.startswith(".")
    } if data_dir.exists() else {}
    return StoreState(raw, tables, other)


def assert_unchanged(before: StoreState, data_dir: Path) -> None:
    """Nothing stored changed: the same raw files byte for byte, the same tables by content."""
    after = store_state(data_dir)
    assert after.raw == before.raw, f"raw store changed: added {sorted(set(after.raw) - set(before.raw))}, " \
        f"removed {sorted(set(before.raw) - set(after.raw))}"
    assert sorted(after.tables) == sorted(before.tables), f"tables {sorted(before.tables)} -> {sorted(after.tables)}"
    for name, frame in before.tables.items():
        pd.testing.assert_frame_equal(after.tables[name], frame, obj=f"processed table {name}")
    assert after.other == before.other


# -- a small real-shaped store -----------------------------------------------------------------
POP_HEADER = "Territory;Year;Age;Total;Men;Women\n"
BIRTHS = "Territory;Year;Total;Boys;Girls\nZarasai d. mun.;2014;150;80;70\nZarasai d. mun.;2013;140;;\n"


def pop_lines(territory: str = "Zarasai d. mun.", year: int = 2015, top: int = 85) -> list[str]:
    """Rows of a population extract whose single ages add up (invented numbers)."""
    men = {a: 10 + a % 7 for a in range(top + 1)}
    women = {a: 12 + a % 5 for a in range(top + 1)}
    tm, tw = sum(men.values()), sum(women.values())
    rows = [f"{territory};{year};-1;{tm + tw};{tm};{tw}"]
    rows += [f"{territory};{year};{a};{men[a] + women[a]};{men[a]};{women[a]}" for a in range(top + 1)]
    return rows


def write_extract(folder: Path, population: str | None = None, births: str | None = BIRTHS) -> Path:
    """An extract folder (population.csv and births.csv unless given otherwise)."""
    folder.mkdir(parents=True, exist_ok=True)
    if population is None:
        population = POP_HEADER + "\n".join(pop_lines() + pop_lines(year=2014)) + "\n"
    (folder / "population.csv").write_text(population, encoding="utf-8")
    if births is not None:
        (folder / "births.csv").write_text(births, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def _built_template(tmp_path_factory) -> Path:
    from cityindicators import store
    from cityindicators.sources.extract import import_osp_extract

    root = tmp_path_factory.mktemp("reliability-template")
    data = root / "data"
    import_osp_extract(write_extract(root / "extract"), data_dir=data)
    store.build(data)
    return data


@pytest.fixture
def built_store(_built_template, tmp_path) -> Path:
    """A data directory with a small extract imported and built (a fresh copy per test)."""
    dest = tmp_path / "data"
    shutil.copytree(_built_template, dest, symlinks=True)
    return dest


# -- file-system faults ------------------------------------------------------------------------
def _can_mount() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount") is not None


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "4m") -> Iterator[Path]:
    """Mount a small tmpfs at ``path`` (root only) and unmount it afterwards, whatever happens."""
    path.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs at {path}: {res.stderr.strip() or res.returncode}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 4 MB file system (a tmpfs; needs root, skipped with a reason otherwise)."""
    if not _can_mount():
        pytest.skip("disk-full cases mount a small tmpfs, which needs root")
    with tmpfs(tmp_path / "disk") as mnt:
        yield mnt


def fill_disk(mount: Path, leave: int = 0) -> Path:
    """Fill the file system at ``mount`` so that only about ``leave`` bytes are free."""
    filler = mount / ".filler"
    st = os.statvfs(mount)
    free = st.f_bavail * st.f_frsize - leave
    with open(filler, "wb") as fh:
        block = b"\0" * 65536
        while free > 0:
            try:
                fh.write(block[: min(len(block), free)])
                fh.flush()
            except OSError:
                break
            free -= len(block)
    return filler


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """Make ``folder`` read-only for this process: a read-only bind mount as root (root ignores
    permission bits), ``chmod`` otherwise; restored afterwards."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        res = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True, text=True)
        if res.returncode != 0:
            pytest.skip(f"cannot bind-mount {folder} read-only: {res.stderr.strip()}")
        try:
            res = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True, text=True)
            if res.returncode != 0:
                pytest.skip(f"cannot remount {folder} read-only: {res.stderr.strip()}")
            yield folder
        finally:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
    else:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")] if p.is_dir()}
        for p in modes:
            p.chmod(0o555)
        try:
            yield folder
        finally:
            for p, m in modes.items():
                p.chmod(m)
