"""How a fetch of a remote URL fails: what the ingest worker turns into a retry or the asset's failure."""

from __future__ import annotations

from functions.ingest.urls import UrlRefused


class FetchBlocked(Exception):
    """The URL or an address it resolves to is not allowed. One message for every case."""

    MESSAGE = UrlRefused.MESSAGE

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGE)
        self.reason = reason  # logged, never shown


class SourceNotReady(Exception):
    """The source answered "not yet" (404, 202, 425, 429, 5xx); `retry_after` is its hint in seconds."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"source answered {status}")
        self.status = status
        self.retry_after = retry_after


class SourceUnreachable(Exception):
    """Network failure (`retryable`) or an answer that will never become an image (not retryable)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class SourceTooLarge(Exception):
    """The body is over the byte cap."""


class SourceTimeout(Exception):
    """The total deadline passed while fetching."""
