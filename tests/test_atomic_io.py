"""Atomic writes with and without their own flushes, and the flush of a whole folder at once
(:mod:`cityindicators._io`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cityindicators import _io


@pytest.fixture
def flushed(monkeypatch) -> list[str]:
    """The paths ``os.fsync`` is called on, in order (the real flush is still done)."""
    seen: list[str] = []
    real = os.fsync

    def record(fd: int) -> None:
        seen.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", record)
    return seen


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name a descriptor's file")
def test_durable_write_flushes_the_file_and_its_folder(tmp_path, flushed):
    target = tmp_path / "a.txt"
    _io.atomic_write_text(target, "seven")
    assert target.read_text() == "seven"
    # the temporary file (renamed since) first, then the folder holding the new name
    assert len(flushed) == 2 and Path(flushed[0]).name.startswith(".a.txt.") and flushed[1] == str(tmp_path)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name a descriptor's file")
def test_write_without_flush_is_still_whole_and_leaves_no_temporary_file(tmp_path, flushed):
    target = tmp_path / "b.json"
    target.write_text("old")
    _io.atomic_write_json(target, {"n": 3}, durable=False)
    assert target.read_text() == '{\n  "n": 3\n}\n'
    assert flushed == []
    assert [p.name for p in tmp_path.iterdir()] == ["b.json"]


def test_failed_write_without_flush_keeps_the_previous_file(tmp_path):
    target = tmp_path / "c.txt"
    target.write_text("previous")
    with pytest.raises(RuntimeError):
        with _io.atomic_path(target, durable=False) as tmp:
            tmp.write_text("half")
            raise RuntimeError("the writer failed")
    assert target.read_text() == "previous" and [p.name for p in tmp_path.iterdir()] == ["c.txt"]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name a descriptor's file")
@pytest.mark.parametrize("threads", [1, 4])
def test_fsync_tree_flushes_every_file_and_folder_once_the_top_last(tmp_path, flushed, threads):
    top = tmp_path / "report"
    (top / "charts").mkdir(parents=True)
    (top / "tables" / "deep").mkdir(parents=True)
    for rel in ("a.html", "charts/01_x.png", "charts/01_x.svg", "tables/deep/t.csv"):
        (top / rel).write_text(rel)
    # 4 files and 3 folders below the top, and the top itself
    assert _io.fsync_tree(top, threads=threads) == 8
    expected = {str(top / rel) for rel in ("a.html", "charts/01_x.png", "charts/01_x.svg", "tables/deep/t.csv",
                                           "charts", "tables", "tables/deep")} | {str(top)}
    assert sorted(flushed) == sorted(expected)
    assert flushed[-1] == str(top)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name a descriptor's file")
def test_fsync_tree_of_an_empty_folder_flushes_the_folder(tmp_path, flushed):
    assert _io.fsync_tree(tmp_path) == 1
    assert flushed == [str(tmp_path)]


def test_fsync_tree_raises_when_a_file_cannot_be_flushed(tmp_path, monkeypatch):
    (tmp_path / "x.txt").write_text("x")

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError):
        _io.fsync_tree(tmp_path)
