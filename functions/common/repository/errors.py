"""pynamodb failures as domain exceptions."""

from __future__ import annotations

from typing import NoReturn

from pynamodb.exceptions import PynamoDBException

from functions.common.errors import Conflict
from functions.common.failures import PermanentError, TransientError, is_retryable

CONDITION_FAILED = "ConditionalCheckFailedException"


def error_code(error: PynamoDBException) -> str | None:
    """DynamoDB's error code, None when there was no answer at all (connection, timeout)."""
    return getattr(error, "cause_response_code", None)


def raise_domain(error: PynamoDBException) -> NoReturn:
    """Turn a pynamodb failure into a domain exception: a failed condition is a conflict; throttling, DynamoDB's
    own 5xx and no answer at all (connection, timeout: no code) are transient; any other code refuses the
    request itself (ValidationException, AccessDeniedException, ResourceNotFoundException, ...), which the
    same request can never get past, so it is permanent, never retried as if DynamoDB were busy.
    """
    code = error_code(error)
    if code == CONDITION_FAILED:
        raise Conflict("The asset changed meanwhile.") from error
    if is_retryable(code):
        raise TransientError(f"DynamoDB failed: {error}") from error
    message = getattr(error, "cause_response_message", None) or str(error)
    raise PermanentError(f"DynamoDB refused the request ({code}): {message}") from error
