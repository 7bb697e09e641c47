"""Shared test fixtures.

No test touches the network: sockets to anything but loopback are refused for the whole run
(``cityindicators.testing.block_network``, the helper consultants use in their own tests).
Real-data tests find ../shared/data (or $CITYINDICATORS_SHARED_DATA) and skip with a reason
when it is absent.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from cityindicators.testing import block_network, demo_data_dir

#: ``pytester`` runs a consultant's conftest in a test (tests/test_testing.py).
pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path:
    env = os.environ.get("CITYINDICATORS_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


SHARED_DATA = _shared_data_dir()


@pytest.fixture(autouse=True, scope="session")
def _block_network():
    with block_network():
        yield


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test leaves open. pyplot keeps every figure until it is closed, so a
    test that does not close its own (or fails before it does) held their memory for the rest of
    the run and made a later test warn that more than 20 figures were open. matplotlib is not
    imported here for a test that did not import it (tests/test_deferred_imports.py)."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real shared data folder; skips the test when it is absent."""
    if not (SHARED_DATA / "lt-osp" / "population.csv").exists():
        pytest.skip(f"real data folder not found at {SHARED_DATA} (set CITYINDICATORS_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """An empty data directory."""
    d = tmp_path / "data"
    (d / "raw").mkdir(parents=True)
    (d / "processed").mkdir()
    return d


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    """A data directory with the synthetic demo store built (one per test module, so a module
    that writes into it cannot disturb another)."""
    return demo_data_dir(tmp_path_factory.mktemp("demo") / "data")


@pytest.fixture(scope="session")
def real_data_dir(shared_data, tmp_path_factory) -> Path:
    """A data directory with the real lt-osp extract imported and built (once per session; the
    tests that use it only read it)."""
    import subprocess
    import sys

    d = tmp_path_factory.mktemp("real") / "data"
    cmd = [sys.executable, "-m", "cityindicators", "--data-dir", str(d)]
    subprocess.run(cmd + ["import", "osp-extract", str(shared_data / "lt-osp")], check=True, capture_output=True)
    subprocess.run(cmd + ["build"], check=True, capture_output=True)
    return d


@pytest.fixture(scope="session")
def quick_backtest_errors(tmp_path_factory):
    """Out-of-sample back-test errors of the demo data from a one-candidate nested back-test
    (seconds, where the shipped protocol's candidates take minutes): what the calibrated
    stochastic band and the empirical intervals of a report need, for tests about the report,
    not the protocol."""
    from cityindicators.projection import EstimationSettings, ProjectionData
    from cityindicators.projection.backtest import Candidate, out_of_sample_errors

    data = ProjectionData.from_store(data_dir=demo_data_dir(tmp_path_factory.mktemp("demo-errors") / "data"))
    return out_of_sample_errors(data, candidates=(Candidate("w5", EstimationSettings()),))


def seed_backtest_errors(data_dir, errors) -> Path:
    """Keep ``errors`` as the back-test errors of ``data_dir``'s build, where
    :func:`~cityindicators.projection.build_intervals.backtest_errors_of_build` reads them (so that a
    report kernel reads them instead of running the protocol); returns the folder of the build's
    results."""
    from cityindicators import build_cache
    from cityindicators.projection.build_intervals import ERRORS_KEY

    folder = build_cache.disk_folder(data_dir)
    for old in folder.glob("*.pickle"):  # errors seeded before, and what was computed from them
        old.unlink()
    build_cache.clear()
    build_cache.computed_once(ERRORS_KEY, data_dir, lambda: errors, on_disk=True)
    return folder


@pytest.fixture(scope="module")
def demo_dir_backtested(demo_dir, quick_backtest_errors) -> Path:
    """:func:`demo_dir` with the quick back-test errors kept with its build (:func:`seed_backtest_errors`)."""
    seed_backtest_errors(demo_dir, quick_backtest_errors)
    return demo_dir


@pytest.fixture(scope="session")
def real_data_dir_backtested(real_data_dir) -> Path:
    """:func:`real_data_dir` with the errors of a one-candidate nested back-test of the real data kept
    with its build (:func:`seed_backtest_errors`): reports calibrate their stochastic band to them
    without running the shipped protocol's candidates (minutes)."""
    from cityindicators.projection import EstimationSettings, ProjectionData
    from cityindicators.projection.backtest import Candidate, out_of_sample_errors

    data = ProjectionData.from_store(data_dir=real_data_dir)
    seed_backtest_errors(real_data_dir, out_of_sample_errors(data, candidates=(Candidate("w5", EstimationSettings()),)))
    return real_data_dir


#: A name typed by a user with every Markdown and HTML hazard of issue 12: emphasis, a heading, a link,
#: a script, a code span and a table pipe.
HOSTILE_NAME = "*a* _b_ # [x](y) <script>x</script> `c` | d"


@pytest.fixture
def hostile_name() -> str:
    """:data:`HOSTILE_NAME` (a fixture: test modules cannot import this conftest by name, tests/reliability
    has one of its own)."""
    return HOSTILE_NAME


@pytest.fixture
def hostile_demo_dir(demo_dir, tmp_path) -> Path:
    """A copy of the demo data directory with a user's scenario ``mine`` (extends the baseline) and a group
    ``hostile`` (X11-X13) whose labels and names carry :data:`HOSTILE_NAME`."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data, symlinks=True)
    (data / "scenarios").mkdir(exist_ok=True)
    (data / "scenarios" / "mine.yaml").write_text(
        f"name: mine\nextends: baseline\nlabel_en: 'Mine {HOSTILE_NAME}'\nlabel_lt: 'Mano {HOSTILE_NAME}'\n",
        encoding="utf-8")
    (data / "groups.yaml").write_text(
        f"groups:\n  hostile:\n    name_lt: 'Grupė {HOSTILE_NAME}'\n    name_en: 'Group {HOSTILE_NAME}'\n"
        "    members: [X11, X12, X13]\n", encoding="utf-8")
    return data
