"""Work for tests/integration/test_instruction_counts.py to count under callgrind (kept apart so the interpreter under
valgrind imports nothing but this)."""

from __future__ import annotations

from functools import partial

from bench.instructions import counted


def _loop(iterations: int) -> int:
    total = 0
    for number in range(iterations):
        total += number & 7
    return total


def loops(sizes: list[int]) -> list[int]:
    """Each loop counted, with a larger uncounted loop before it."""
    _loop(1000)
    for size in sizes:
        _loop(50_000)
        counted(partial(_loop, size))
    return sizes
