"""The benchmarks' instruction counter (bench/instructions.py) under valgrind: one count per counted action, in order,
counting the action's work and nothing around it."""

from __future__ import annotations

import pytest

from bench.instructions import available, in_callgrind

pytestmark = pytest.mark.skipif(not available(), reason="valgrind is not installed")


def test_each_counted_action_gets_its_own_count_in_proportion_to_its_work() -> None:
    # Given loops of 20,000, 40,000 and again 20,000 iterations, with a larger uncounted loop before each
    sizes = [20_000, 40_000, 20_000]

    # When they run under callgrind
    returned, counts = in_callgrind("tests.instruction_workload:loops", sizes=sizes)

    # Then there is one count per counted loop, in order: the same loop counts the same, twice the work about twice,
    # and the uncounted loops (more than twice the largest) are in none of them
    assert returned == sizes
    assert len(counts) == 3
    assert abs(counts[2] - counts[0]) / counts[0] < 0.01
    assert 1.9 < counts[1] / counts[0] < 2.1
    assert counts[0] > 20_000 * 10
