"""Failures of the services we call, never shown as the client's fault: worth retrying, or our bug.

The API answers them in one place (functions/common/api.py): a `TransientError` is a 503 `unavailable` with
`Retry-After`, a `PermanentError` a 500 `internal_error`.
"""

from __future__ import annotations


class TransientError(Exception):
    """A failure worth retrying (throttling, timeouts); never shown to clients as their fault."""


class PermanentError(Exception):
    """A storage service refused a request that no retry can fix (e.g. DynamoDB's ValidationException).

    The API bounds every input that reaches a key or an item first, so such a refusal is our bug: a 500
    `internal_error`, logged with its cause; never a 503 that invites the client to retry the same request.
    """


# AWS error codes of a request that may succeed if sent again: throttling, the service's own 5xx, conflicts in flight.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)


def is_retryable(code: str | None) -> bool:
    """No code means no answer (connection lost, timeout): retry; any other code outside the set refuses the request."""
    return code is None or code in RETRYABLE_CODES
