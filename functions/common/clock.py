"""The clock collaborator: logic functions take `clock`, tests pass a fixed one; and the one epoch-ms conversion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime; naive times are refused so no timezone can shift them."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return int(moment.timestamp() * 1000)
