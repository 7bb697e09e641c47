"""The stochastic mode refuses a run that cannot fit in memory and a seed numpy cannot take, with
one line that says why (issue 9; the brief: bad input gets a clear error, no traceback)."""

from __future__ import annotations

import numpy as np
import pytest

from cityindicators.exceptions import ProjectionError
from cityindicators.projection.stochastic import (BYTES_PER_TRAJECTORY_YEAR, MEMORY_SHARE, _entropy, check_memory,
                                                  memory_needed)


def test_memory_needed_by_hand():
    # 1,000 trajectories x 32 years x 60 territories x 160 bytes
    assert BYTES_PER_TRAJECTORY_YEAR == 160
    assert memory_needed(1000, 32, 60) == 307_200_000
    assert memory_needed(1, 0, 0) == 160  # a run projects at least one year of one territory


def test_check_memory_refuses_and_says_how_many_fit():
    gib = 2 ** 30
    check_memory(1000, 32, 60, available=gib)  # 0.29 GiB of a budget of 0.8 GiB: runs
    with pytest.raises(ProjectionError) as err:
        check_memory(10_000, 32, 60, available=gib)  # 2.9 GiB
    # 0.8 GiB / (32 x 60 x 160 bytes) = 2,796.2 -> 2,796 trajectories
    assert int(MEMORY_SHARE * gib // (32 * 60 * 160)) == 2796
    assert str(err.value) == ("10,000 stochastic trajectories of 60 territories over 32 years would need about "
                              "2.9 GiB of memory and 1.0 GiB is available: at most 2,796 trajectories fit")
    with pytest.raises(ProjectionError, match="of 1 territory over 1 year would"):
        check_memory(10 ** 9, 1, 1, available=gib)


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_a_seed_that_is_no_whole_number_of_0_or_more_is_refused(seed):
    with pytest.raises(ProjectionError, match="random seed must be a whole number of 0 or more"):
        _entropy(seed)


@pytest.mark.parametrize("seed", [0, 5, np.int64(5), 2 ** 70, None, np.random.SeedSequence(3)])
def test_seeds_numpy_takes_are_taken(seed):
    assert _entropy(seed) >= 0
    if seed is not None and not isinstance(seed, np.random.SeedSequence):
        assert _entropy(seed) == int(seed)


def test_the_command_refuses_both_in_one_line(demo_dir, capsys):
    from cityindicators.cli import main

    base = ["--data-dir", str(demo_dir), "project", "--territory", "X13", "--to", "2030"]
    assert main(base + ["--stochastic", "10", "--seed", "-1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: the random seed must be a whole number of 0 or more, got -1"]
    assert main(base + ["--stochastic", str(10 ** 12)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: 1,000,000,000,000 stochastic trajectories of 1 territory")
    assert err[0].endswith("trajectories fit")
