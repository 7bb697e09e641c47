"""The back-test errors of a data build, computed once per build for every process, or None with
the reason logged (projection/build_intervals.py: the helper of the scenario report and the plans)."""

from __future__ import annotations

import logging
import shutil

import pandas as pd
import pytest

from cityindicators import build_cache
from cityindicators.exceptions import ProjectionError
from cityindicators.projection import ProjectionData, intervals
from cityindicators.projection.build_intervals import backtest_errors_of_build


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

    def protocol(data, data_dir=None):
        calls.append(data_dir)
        return frame

    monkeypatch.setattr(intervals, "out_of_sample_errors_cached", protocol)
    data = ProjectionData.from_store(data_dir=fresh)
    pd.testing.assert_frame_equal(backtest_errors_of_build(data, fresh), frame)
    pd.testing.assert_frame_equal(backtest_errors_of_build(data, fresh), frame)  # kept in memory
    build_cache.clear()  # another process on the same build: read from its disk cache
    pd.testing.assert_frame_equal(backtest_errors_of_build(data, fresh), frame)
    assert calls == [fresh]


def test_too_short_data_give_none_with_the_reason_or_the_error_when_required(fresh, monkeypatch, caplog):
    def too_short(data, data_dir=None):
        raise ProjectionError("too little history for a back-test")

    monkeypatch.setattr(intervals, "out_of_sample_errors_cached", too_short)
    data = ProjectionData.from_store(data_dir=fresh)
    with caplog.at_level(logging.WARNING, logger="cityindicators.projection.build_intervals"):
        assert backtest_errors_of_build(data, fresh, purpose="the probability's band") is None
    assert caplog.messages == ["the probability's band is not calibrated: no back-test on this data "
                               "(too little history for a back-test)"]
    with pytest.raises(ProjectionError, match="too little history"):
        backtest_errors_of_build(data, fresh, required=True)
    assert not list(build_cache.disk_folder(fresh).glob("*.pickle"))  # nothing kept of a failure
