"""The errors AWS answers a refused call with, raised through the calling client's own exception classes."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from devserver.iam.operations import ACCOUNT
from devserver.iam.policy import Request

# (error code, HTTP status) of an identity-policy denial, per service.
_ACCESS_DENIED = {
    "s3": ("AccessDenied", 403),
    "dynamodb": ("AccessDeniedException", 400),
    "lambda": ("AccessDeniedException", 403),
    "sqs": ("AccessDenied", 403),
}


def principal_arn(function: str) -> str:
    """The assumed-role session a function's calls are made as (role and session both named after it)."""
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{function}/{function}"


def denied_message(function: str, request: Request) -> str:
    return (
        f"User: {principal_arn(function)} is not authorized to perform: {request.action} on resource: "
        f"{request.resource} because no identity-based policy allows the {request.action} action"
    )


def client_error(client: Any, operation: str, code: str, message: str, status: int) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    error: ClientError = client.exceptions.from_code(code)(response, operation)
    return error


def _head_forbidden(client: Any) -> ClientError:
    # A HEAD response has no body: botocore reports any HEAD error by its status alone.
    return client_error(client, "HeadObject", "403", "Forbidden", 403)


def access_denied(client: Any, operation: str, function: str, request: Request) -> ClientError:
    """What AWS answers when no statement of the function's policy allows `request`."""
    service = client.meta.service_model.service_name
    if service == "s3" and operation == "HeadObject":
        return _head_forbidden(client)
    code, status = _ACCESS_DENIED.get(service, ("AccessDenied", 403))
    return client_error(client, operation, code, denied_message(function, request), status)


def missing_key_forbidden(client: Any, operation: str) -> ClientError:
    """S3's answer to a read of a missing key by a caller that may not list the bucket: 403, never 404."""
    if operation == "HeadObject":
        return _head_forbidden(client)
    return client_error(client, operation, "AccessDenied", "Access Denied", 403)


def validation_exception(client: Any, operation: str, message: str) -> ClientError:
    return client_error(client, operation, "ValidationException", message, 400)
