"""The data layer's translation of pynamodb failures into domain errors (no I/O)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import GetError, PutError, UpdateError

from functions.common.errors import Conflict
from functions.common.failures import PermanentError, TransientError
from functions.common.repository.errors import raise_domain


def client_error(code: str, message: str = "refused") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "PutItem")


# DynamoDB refusals in the data layer


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (PutError(cause=client_error("ValidationException", "Item size has exceeded")), PermanentError),
        (PutError(cause=client_error("AccessDeniedException")), PermanentError),
        (GetError(cause=client_error("ResourceNotFoundException")), PermanentError),
        (PutError(cause=client_error("ConditionalCheckFailedException")), Conflict),
        (PutError(cause=client_error("ProvisionedThroughputExceededException")), TransientError),
        (UpdateError(cause=client_error("ThrottlingException")), TransientError),
        (PutError(cause=client_error("InternalServerError")), TransientError),
        (PutError(cause=ConnectionError("reset")), TransientError),
    ],
)
def test_pynamodb_errors_map_to_what_a_retry_can_fix(error: Exception, expected: type[Exception]) -> None:
    # Given / When / Then
    with pytest.raises(expected):
        raise_domain(error)  # type: ignore[arg-type]


def test_a_validation_exception_keeps_dynamodbs_message_for_the_log() -> None:
    # Given / When
    with pytest.raises(PermanentError) as raised:
        raise_domain(PutError(cause=client_error("ValidationException", "Item size has exceeded the maximum")))
    # Then
    assert "ValidationException" in str(raised.value) and "Item size has exceeded" in str(raised.value)
