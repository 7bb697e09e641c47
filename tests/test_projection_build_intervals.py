"""The back-test errors of a data build, computed once per build for every process, or None with
the reason logged (projection/build_intervals.py: the helper of the scenario report and the plans)."""

from __future__ import annotations

import importlib
import logging
import shutil

import pandas as pd
import pytest

from cityindicators import build_cache
from cityindicators.exceptions import ProjectionError
from cityindicators.projection import ProjectionData
from cityindicators.projection.build_intervals import backtest_errors_of_build
from cityindicators.testing import demo_data_dir

backtest = importlib.import_module("cityindicators.projection.backtest")  # the module, not the function


@pytest.fixture()
def fresh(demo_dir):
    """The demo build with nothing kept for it in memory or on disk."""
    build_cache.clear()
    shutil.rmtree(build_cache.disk_folder(demo_dir), ignore_errors=True)
    yield demo_dir
    build_cache.clear()
    shutil.rmtree(build_cache.disk_folder(demo_dir), ignore_errors=True)


def test_errors_computed_once_per_build_for_every_process(fresh, monkeypatch):
    calls = []
    frame = pd.DataFrame({"method": ["default"], "horizon": [1], "forecast": [101.0], "actual": [100.0]})

    def protocol(data):
        calls.append(data)
        return frame

    monkeypatch.setattr(backtest, "out_of_sample_errors", protocol)
    data = ProjectionData.from_store(data_dir=fresh)
    pd.testing.assert_frame_equal(backtest_errors_of_build(data, fresh), frame)
    pd.testing.assert_frame_equal(backtest_errors_of_build(data, fresh), frame)  # kept in memory
    build_cache.clear()  # another process on the same build: read from its disk cache
    pd.testing.assert_frame_equal(backtest_errors_of_build(data, fresh), frame)
    assert calls == [data]


def test_too_short_data_give_none_with_the_reason_or_the_error_when_required(fresh, monkeypatch, caplog):
    def too_short(data):
        raise ProjectionError("too little history for a back-test")

    monkeypatch.setattr(backtest, "out_of_sample_errors", too_short)
    data = ProjectionData.from_store(data_dir=fresh)
    with caplog.at_level(logging.WARNING, logger="cityindicators.projection.build_intervals"):
        assert backtest_errors_of_build(data, fresh, purpose="the probability's band") is None
    assert caplog.messages == ["the probability's band is not calibrated: no back-test on this data "
                               "(too little history for a back-test)"]
    with pytest.raises(ProjectionError, match="too little history"):
        backtest_errors_of_build(data, fresh, required=True)
    assert not list(build_cache.disk_folder(fresh).glob("*.pickle"))  # nothing kept of a failure


def _files(folder):
    """Every file under ``folder`` but the locks (one per result, empty: they are not results)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".lock")


def test_errors_are_one_file_of_the_build_and_go_when_it_is_rebuilt(tmp_path, monkeypatch):
    """The errors are kept once, in the build's folder: a second build, or another version of the
    code on the same build, replaces the file instead of adding one beside it."""
    from cityindicators.store import build

    d = demo_data_dir(tmp_path / "data")
    frame = pd.DataFrame({"method": ["default"], "horizon": [1], "forecast": [101.0], "actual": [100.0]})
    monkeypatch.setattr(backtest, "out_of_sample_errors", lambda data: frame)
    gens = d / "generations"
    before = _files(gens)  # the tables and their sidecars
    build_cache.clear()
    backtest_errors_of_build(ProjectionData.from_store(data_dir=d), d)
    (kept,) = set(_files(gens)) - set(before)
    assert kept.parent == build_cache.disk_folder(d) and kept.name.startswith("backtest-errors-")
    # the same build read by an edited checkout: its result replaces the other code's
    monkeypatch.setattr(build_cache, "_CODE_VERSION", ["0123456789abcdef"])
    build_cache.clear()
    backtest_errors_of_build(ProjectionData.from_store(data_dir=d), d)
    (other,) = set(_files(gens)) - set(before)
    assert other != kept and other.parent == kept.parent
    # a new build: the previous build's results go as it is published
    build(d)
    tables = _files(gens)
    assert not [p for p in tables if "derived" in p.parts]
    build_cache.clear()
    pd.testing.assert_frame_equal(backtest_errors_of_build(ProjectionData.from_store(data_dir=d), d), frame)
    (again,) = set(_files(gens)) - set(tables)
    assert again.parent == build_cache.disk_folder(d) != kept.parent
    build_cache.clear()
