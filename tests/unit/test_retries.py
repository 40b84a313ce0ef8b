"""The one retry of optimistic writes: how often it tries again, and what it raises when it gives up."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from functions.common.errors import Conflict
from functions.common.retries import FinalConflict, retry_on_conflict


def losing(times: int, calls: list[int]) -> Callable[[], str]:
    """An attempt that loses to a concurrent write `times` times, then succeeds."""

    def attempt() -> str:
        calls.append(len(calls))
        if len(calls) <= times:
            raise Conflict(f"lost {len(calls)}")
        return "written"

    return attempt


def test_an_attempt_that_loses_is_made_again_up_to_the_limit() -> None:
    # Given an attempt that loses twice
    calls: list[int] = []
    # When it may be made three times
    result = retry_on_conflict(losing(2, calls), attempts=3)
    # Then the third write holds
    assert (result, len(calls)) == ("written", 3)


def test_giving_up_raises_the_callers_conflict_or_the_last_one() -> None:
    # Given attempts that always lose
    named: list[int] = []
    plain: list[int] = []
    # When the limit is reached, with and without a message of the caller's
    with pytest.raises(Conflict, match="kept changing") as with_message:
        retry_on_conflict(losing(9, named), attempts=5, gave_up="kept changing")
    with pytest.raises(Conflict, match="lost 2"):
        retry_on_conflict(losing(9, plain), attempts=2)
    # Then each tried exactly its limit, and the caller's conflict carries the last one as its cause
    assert (len(named), len(plain)) == (5, 2)
    assert str(with_message.value.__cause__) == "lost 5"


def test_a_final_conflict_is_raised_at_once() -> None:
    # Given an attempt that knows a re-read cannot help
    calls: list[int] = []

    def attempt() -> str:
        calls.append(1)
        raise FinalConflict(Conflict("being deleted"))

    # When / Then it is made once, and its conflict is what the caller sees
    with pytest.raises(Conflict, match="being deleted"):
        retry_on_conflict(attempt, attempts=3)
    assert calls == [1]
