"""The error catalogue: every error the API reports, with its HTTP status and stable `code`, and the problem builder.

Each `DomainError` is one row of the contract (README, "Errors"); `problem_for` is the one place an error becomes an
RFC 9457 body and functions/common/api.py the one place a raised error becomes an HTTP answer. A route declares
the errors it can raise (`problems(...)` in its decorator): the OpenAPI document lists them per route and, under
`STRICT_PROBLEMS`, raising an undeclared one is a 500 so that tests catch it.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error the API reports to the client as problem+json."""

    status = 400
    code = "bad_request"
    title = "Bad request"
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class NotFound(DomainError):
    status, code, title = 404, "not_found", "Not found"


class RouteNotFound(NotFound):
    """No route matches the method and path (any route's 404, so never declared by one)."""


class InvalidCursor(DomainError):
    status, code, title = 400, "invalid_cursor", "Invalid cursor"


class InvalidRequest(DomainError):
    """A request that does not match the route's schema; `errors` lists each field as {field, message}."""

    status, code, title = 422, "validation_error", "Invalid request"


class MalformedJson(DomainError):
    status, code, title = 400, "malformed_json", "Malformed JSON body"


class ExpectedJson(DomainError):
    status, code, title = 415, "expected_json", "Expected application/json"


class MalformedMultipart(DomainError):
    status, code, title = 400, "malformed_multipart", "Malformed multipart body"


class ExpectedMultipart(DomainError):
    status, code, title = 415, "expected_multipart", "Expected multipart/form-data"


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


class UnsupportedMediaType(DomainError):
    """The bytes are an image format we do not accept (the request's own Content-Type is `expected_*`)."""

    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class ImageTooLarge(DomainError):
    status, code, title = 422, "image_too_large", "Image too large"


class InvalidImage(DomainError):
    status, code, title = 422, "invalid_image", "Invalid image"


class ImageTooComplex(DomainError):
    """An image whose decoding would cost far more than its pixel count warrants (e.g. a JPEG of very many scans)."""

    status, code, title = 422, "image_too_complex", "Image too complex"


class UseSignedUpload(DomainError):
    status, code, title = 413, "use_signed_upload", "Payload too large"


class UploadIncomplete(DomainError):
    """Completing a multipart upload while parts are missing; `detail` names them."""

    status, code, title = 409, "upload_incomplete", "Upload incomplete"


class UploadMismatch(DomainError):
    """A multipart upload's part, or its total, is not the size the upload declared."""

    status, code, title = 409, "upload_mismatch", "Upload does not match its declaration"


class NotMultipart(DomainError):
    """Parts, complete or abort on an asset that is not a pending multipart upload (e.g. already completed)."""

    status, code, title = 409, "not_multipart", "Not a pending multipart upload"


class UrlNotAllowed(DomainError):
    status, code, title = 422, "url_not_allowed", "URL not allowed"


class IdempotencyKeyReused(DomainError):
    status, code, title = 409, "idempotency_key_reused", "Idempotency key reused"


class IdempotencyInProgress(DomainError):
    status, code, title = 409, "idempotency_in_progress", "Request with this key in progress"


class TooManyIngests(DomainError):
    """The caller already has as many ingests in flight as one user may (`INGEST_MAX_IN_FLIGHT`)."""

    status, code, title = 429, "too_many_ingests", "Too many ingests in flight"
    headers: ClassVar[dict[str, str]] = {"Retry-After": "5"}


class QuotaExceeded(DomainError):
    """The caller is at or over `USER_QUOTA_MB` or `USER_QUOTA_ASSETS`: nothing new is created until it deletes some."""

    status, code, title = 409, "quota_exceeded", "Quota exceeded"


class FolderNotFound(DomainError):
    """No folder of the caller's has this id (another user's folder is unknown too)."""

    status, code, title = 404, "folder_not_found", "Folder not found"


class FolderNotEmpty(DomainError):
    """A folder still holding assets (the trash included) is deleted only with `moveAssetsOut=true`."""

    status, code, title = 409, "folder_not_empty", "Folder not empty"


class TooManyFolders(DomainError):
    """The caller already has `MAX_FOLDERS` folders."""

    status, code, title = 409, "too_many_folders", "Too many folders"


class PasswordRequired(DomainError):
    """A password share answers nothing else until it is unlocked (`X-Share-Access` with the unlock's token)."""

    status, code, title = 401, "password_required", "Password required"


class WrongPassword(DomainError):
    status, code, title = 401, "wrong_password", "Wrong password"


class TooManyAttempts(DomainError):
    """Too many wrong passwords for this share lately; `Retry-After` says when to try again."""

    status, code, title = 429, "too_many_attempts", "Too many attempts"
    headers: ClassVar[dict[str, str]] = {"Retry-After": "900"}


class Unavailable(DomainError):
    """What a `TransientError` answers: the client may retry."""

    status, code, title = 503, "unavailable", "Service unavailable"
    headers: ClassVar[dict[str, str]] = {"Retry-After": "1"}


class InternalError(DomainError):
    """What any other failure answers (its cause is logged, never shown)."""

    status, code, title = 500, "internal_error", "Internal error"


# Every route may answer these: a storage service is busy, or we failed.
ANY_ROUTE: tuple[type[DomainError], ...] = (Unavailable, InternalError)
# A route behind the JWT authorizer may also answer 401 (a token without a usable `sub`).
AUTHENTICATED: tuple[type[DomainError], ...] = (Unauthorized, *ANY_ROUTE)
# A route that reads a JSON body or parameters.
JSON_BODY: tuple[type[DomainError], ...] = (MalformedJson, ExpectedJson, InvalidRequest)
PROBLEM_CODES_EXTENSION = "x-problem-codes"
PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> dict[str, Any]:
    """An RFC 9457 problem document with our stable `code` (the local server's own answers use it too)."""
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, "code": code, **extra}


def problem_for(error: DomainError, **extra: Any) -> dict[str, Any]:
    return problem(error.status, error.title, error.detail, error.code, **error.extra, **extra)


def problems(*errors: type[DomainError], public: bool = False) -> dict[str, Any]:
    """A route's declaration of the errors it can raise (`openapi_extensions=`), those every route can raise added."""
    declared = (*errors, *(ANY_ROUTE if public else AUTHENTICATED))
    return {PROBLEM_CODES_EXTENSION: sorted({error.code for error in declared})}


def catalogue() -> dict[str, type[DomainError]]:
    """Every stable `code` with the error that carries it (a subclass sharing its parent's code is the parent)."""
    codes: dict[str, type[DomainError]] = {}
    pending = list(DomainError.__subclasses__())
    while pending:
        kind = pending.pop(0)
        pending.extend(kind.__subclasses__())
        codes.setdefault(kind.code, kind)
    return dict(sorted(codes.items()))


def problem_codes() -> dict[str, tuple[int, str]]:
    """Every stable `code` a problem can carry, with its status and title."""
    return {code: (kind.status, kind.title) for code, kind in catalogue().items()}
