"""Domain exceptions. Each carries its HTTP status and stable `code`; `problem()` is the one place they become HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the API reports to the client as problem+json."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class NotFound(DomainError):
    status, code, title = 404, "not_found", "Not found"


class RouteNotFound(NotFound):
    pass


class InvalidCursor(DomainError):
    status, code, title = 400, "invalid_cursor", "Invalid cursor"


class InvalidRequest(DomainError):
    status, code, title = 422, "validation_error", "Invalid request"


class MalformedBody(DomainError):
    status, code, title = 400, "malformed_json", "Malformed JSON body"


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "Unauthorized"


class NotInTrash(DomainError):
    status, code, title = 409, "not_in_trash", "Asset is not in the trash"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class NotReady(DomainError):
    status, code, title = 409, "not_stored", "The asset has no stored original yet"


class NotFailed(DomainError):
    status, code, title = 409, "not_failed", "Only a failed asset can be reprocessed"


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


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> dict[str, Any]:
    """An RFC 9457 problem document with our stable `code`."""
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, "code": code, **extra}


def problem_for(error: DomainError) -> dict[str, Any]:
    return problem(error.status, error.title, error.detail, error.code)


def problem_codes() -> dict[str, tuple[int, str]]:
    """Every stable `code` a problem can carry, with its status and title: each DomainError loaded, 503 and 500."""
    codes = {"unavailable": (503, "Service unavailable"), "internal_error": (500, "Internal error")}
    pending = list(DomainError.__subclasses__())
    while pending:
        kind = pending.pop()
        pending.extend(kind.__subclasses__())
        codes.setdefault(kind.code, (kind.status, kind.title))
    return dict(sorted(codes.items()))
