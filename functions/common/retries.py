"""Optimistic writes: read, decide, write on condition; a concurrent write that got there first means again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from functions.common.errors import Conflict

T = TypeVar("T")


class FinalConflict(Exception):
    """Raised by an attempt whose `Conflict` no re-read can change: the helper re-raises the conflict at once."""

    def __init__(self, conflict: Conflict) -> None:
        super().__init__(str(conflict))
        self.conflict = conflict


def retry_on_conflict(attempt: Callable[[], T], *, attempts: int, gave_up: str | None = None) -> T:
    """`attempt()` (which reads afresh each time) until no `Conflict`, at most `attempts` times.

    After the last conflict: `Conflict(gave_up)`, or that conflict itself when `gave_up` is None.
    """
    for left in reversed(range(attempts)):
        try:
            return attempt()
        except FinalConflict as final:
            raise final.conflict from None
        except Conflict as conflict:
            if left:
                continue
            if gave_up is None:
                raise
            raise Conflict(gave_up) from conflict
    raise ValueError("attempts must be at least 1")
