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


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> dict[str, Any]:
    """An RFC 9457 problem document with our stable `code`."""
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, "code": code, **extra}


def problem_for(error: DomainError) -> dict[str, Any]:
    return problem(error.status, error.title, error.detail, error.code)
