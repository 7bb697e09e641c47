"""The public test helpers of ``cityindicators.testing``."""

from __future__ import annotations

import socket
import threading

import numpy as np
import pandas as pd
import pytest

from cityindicators import store
from cityindicators.testing import NetworkBlockedError, assert_tidy_equal, block_network


# -- block_network -------------------------------------------------------------------------------
def test_block_network_refuses_outside_addresses_and_restores():
    before = socket.socket.connect
    with block_network():
        for address in (("192.0.2.1", 80), ("10.0.0.1", 443), ("example.org", 80)):
            with socket.socket() as s, pytest.raises(NetworkBlockedError, match="reach the network"):
                s.connect(address)
        with socket.socket() as s, pytest.raises(NetworkBlockedError):
            s.connect_ex(("192.0.2.1", 80))
    assert socket.socket.connect is before


def test_block_network_lets_loopback_through():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    accepted = []
    t = threading.Thread(target=lambda: accepted.append(server.accept()[0]))
    t.start()
    with block_network(), socket.socket() as client:
        client.connect(server.getsockname())  # no error: a local test server is allowed
    t.join(5)
    accepted[0].close()
    server.close()
    assert accepted


# -- demo_data_dir -------------------------------------------------------------------------------
def test_demo_data_dir_builds_a_store(demo_dir):
    # the project's demo_dir fixture is demo_data_dir(tmp / "data")
    pop = store.load("population", data_dir=demo_dir)
    assert demo_dir.name == "data" and len(pop) and pop["territory_code"].str.startswith("X").all()


# -- assert_tidy_equal ---------------------------------------------------------------------------
def _frame():
    return pd.DataFrame({
        "territory_code": ["30", "30", "30", "41"],
        "year": [2015, 2015, 2015, 2015],
        "sex": ["total", "male", "female", "total"],
        "age": pd.array([pd.NA, 5, 5, pd.NA], dtype="Int64"),
        "value": [100.0, 3.0, 4.0, 50.0],
        "source": ["a", "a", "a", "b"],
    })


def test_equal_in_any_row_and_column_order():
    left = _frame()
    right = left.iloc[[3, 1, 0, 2], ::-1].reset_index(drop=True)
    right["age"] = right["age"].astype(object)  # another dtype of the same keys (NA included)
    assert_tidy_equal(left, right)
    right.loc[0, "value"] += 1e-12  # within the default tolerance
    assert_tidy_equal(left, right)


def test_value_difference_is_listed_with_its_keys():
    right = _frame()
    right.loc[1, "value"] = 3.5
    with pytest.raises(AssertionError) as err:
        assert_tidy_equal(_frame(), right)
    msg = str(err.value)
    assert "column 'value': 1 of 4 matched rows differ" in msg
    assert "male" in msg and "3.0" in msg and "3.5" in msg
    assert_tidy_equal(_frame(), right, atol=0.6)  # within an absolute tolerance


def test_nan_values_equal_each_other_but_not_numbers():
    left, right = _frame(), _frame()
    left.loc[0, "value"] = right.loc[0, "value"] = np.nan
    assert_tidy_equal(left, right)
    right.loc[0, "value"] = 0.0
    with pytest.raises(AssertionError, match="column 'value'"):
        assert_tidy_equal(left, right)


def test_text_columns_compared_exactly():
    right = _frame()
    right.loc[3, "source"] = "c"
    with pytest.raises(AssertionError, match="column 'source': 1 of 4"):
        assert_tidy_equal(_frame(), right)


def test_missing_and_extra_keys_are_listed():
    left = _frame()
    right = pd.concat([left.iloc[1:], left.iloc[[0]].assign(territory_code="99")], ignore_index=True)
    with pytest.raises(AssertionError) as err:
        assert_tidy_equal(left, right)
    msg = str(err.value)
    assert "1 keys only in left" in msg and "1 keys only in right" in msg and "99" in msg


def test_duplicate_keys_and_column_mismatch_are_errors():
    left = _frame()
    with pytest.raises(AssertionError, match="2 rows of right share their keys"):
        assert_tidy_equal(left, pd.concat([left, left.iloc[[1]]], ignore_index=True))
    with pytest.raises(AssertionError, match=r"only in right \['unit'\]"):
        assert_tidy_equal(left, left.assign(unit="persons"))
    with pytest.raises(AssertionError, match="not in the frames"):
        assert_tidy_equal(left, left, keys=["scenario"])


def test_explicit_keys():
    left = pd.DataFrame({"code": ["a", "b"], "n": [1, 2]})
    assert_tidy_equal(left, left.iloc[::-1], keys=["code"])
    with pytest.raises(AssertionError, match="no key columns"):
        assert_tidy_equal(left, left)


@pytest.mark.slow
def test_the_plugin_fixtures(pytester):
    # a consultant's test suite: the plugin blocks the network and gives a demo data directory
    pytester.makeconftest('pytest_plugins = ["cityindicators.testing"]\n')
    pytester.makepyfile(
        """
        import socket, pytest
        from cityindicators import store
        from cityindicators.testing import NetworkBlockedError

        def test_blocked():
            with socket.socket() as s, pytest.raises(NetworkBlockedError):
                s.connect(("192.0.2.1", 80))

        def test_demo(ci_demo_data_dir):
            assert len(store.load("births", data_dir=ci_demo_data_dir))
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
