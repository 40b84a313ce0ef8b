"""The enforcement: every botocore call (pynamodb's too) is authorized against the current principal's policy.

`install()` patches `BaseClient._make_api_call` (and presigning) once per process. With no principal a call
goes through unrestricted: test set-up and the local server's own housekeeping. A refused call raises what AWS
raises; an operation the table does not know raises `UnmappedOperation` and is recorded, so a broad `except`
in our code cannot hide it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore import signers
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from devserver import dynamodb_limits
from devserver.iam import denials, usage
from devserver.iam.operations import Arns, UnmappedOperation, implicit_listing, requests_for
from devserver.iam.policies import REGION, REVOKE_VARIABLE, LocalNames, local_policies, parse_revocations
from devserver.iam.policy import Request, allowing_statement
from devserver.iam.principal import acting_as, current_principal, set_principal
from functions.common import read_urls
from infra.capabilities import StatementSpec

__all__ = ["UnmappedOperation", "acting_as", "enforcing", "install", "set_principal", "uninstall"]

_MISSING = ("404", "NoSuchKey", "NotFound")


@dataclass(frozen=True)
class _Enforcement:
    policies: Mapping[str, list[StatementSpec]]
    infer_from_stack: bool


_active: _Enforcement | None = None
_originals: dict[str, Callable[..., Any]] = {}


def install(names: LocalNames, *, infer_from_stack: bool = False, revoke: str | None = None) -> None:
    """Enforce the functions' policies (less `LOCAL_IAM_REVOKE`, or `revoke`) on every later call of this process."""
    global _active
    revoked = parse_revocations(os.environ.get(REVOKE_VARIABLE) if revoke is None else revoke)
    _active = _Enforcement(policies=local_policies(names, revoked), infer_from_stack=infer_from_stack)
    if not _originals:
        _originals["call"] = BaseClient._make_api_call
        _originals["url"] = signers.generate_presigned_url
        _originals["post"] = signers.generate_presigned_post
        _originals["read_url"] = read_urls.ReadUrls.sign
        BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]
        # Client classes take these from the module when they are built, so clients made after install see them.
        signers.generate_presigned_url = _generate_presigned_url
        signers.generate_presigned_post = _generate_presigned_post
        # Our own read URLs (functions/common/read_urls.py) skip botocore's presigning: checked the same way.
        read_urls.ReadUrls.sign = _sign_read_url  # type: ignore[method-assign]


def uninstall() -> None:
    """Stop enforcing (the patch stays, passing every call through)."""
    global _active
    _active = None


@contextmanager
def enforcing(names: LocalNames, *, infer_from_stack: bool = False) -> Iterator[None]:
    install(names, infer_from_stack=infer_from_stack)
    try:
        yield
    finally:
        uninstall()


def _principal() -> tuple[str, list[StatementSpec]] | None:
    enforcement = _active
    if enforcement is None:
        return None
    function = current_principal(infer=enforcement.infer_from_stack)
    return None if function is None else (function, enforcement.policies.get(function, []))


def _requests(client: Any, operation: str, params: Mapping[str, Any], function: str) -> list[Request]:
    service = client.meta.service_model.service_name
    try:
        arns = Arns(client.meta.region_name or REGION, endpoint=client.meta.endpoint_url)
        return requests_for(service, operation, params, arns)
    except UnmappedOperation:
        usage.record("unmapped", function, f"{service}:{operation}")
        raise


def _authorize(
    client: Any, operation: str, params: Mapping[str, Any], function: str, policy: list[StatementSpec]
) -> tuple[list[Request], list[StatementSpec]]:
    """The call's requests and the statement allowing each; raises AWS's denial for the first refused one."""
    requests = _requests(client, operation, params, function)
    allowed = []
    for request in requests:
        statement = allowing_statement(policy, request)
        if statement is None:
            usage.record("denied", function, request.action)
            raise denials.access_denied(client, operation, function, request)
        allowed.append(statement)
    return requests, allowed


def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
    original = _originals["call"]
    principal = _principal()
    if principal is None:
        return original(self, operation_name, api_params)
    function, policy = principal
    service = self.meta.service_model.service_name
    if (service, operation_name) == ("s3", "DeleteObjects"):
        return _delete_objects(self, api_params, function, policy)
    requests, allowed = _authorize(self, operation_name, api_params, function, policy)
    if service == "dynamodb":
        message = dynamodb_limits.validation_error(operation_name, api_params)
        if message:
            raise denials.validation_exception(self, operation_name, message)
    for statement in allowed:
        usage.record("allowed", function, statement.sid)
    try:
        return original(self, operation_name, api_params)
    except ClientError as error:
        if service == "s3" and operation_name in ("HeadObject", "GetObject"):
            _forbid_unlistable_miss(self, operation_name, error, requests[0], api_params, function, policy)
        raise


def _forbid_unlistable_miss(
    client: Any,
    operation: str,
    error: ClientError,
    read: Request,
    params: Mapping[str, Any],
    function: str,
    policy: list[StatementSpec],
) -> None:
    """S3 tells a missing key (404) only to a caller that may list the bucket (see `implicit_listing`)."""
    if error.response.get("Error", {}).get("Code") not in _MISSING:
        return
    listing = allowing_statement(policy, implicit_listing(params["Bucket"], params["Key"], read.context))
    if listing is None:
        usage.record("denied", function, "s3:ListBucket")
        raise denials.missing_key_forbidden(client, operation) from None
    usage.record("allowed", function, listing.sid)


def _delete_objects(client: Any, params: dict[str, Any], function: str, policy: list[StatementSpec]) -> Any:
    """S3 authorizes DeleteObjects per key: refused keys come back as `AccessDenied` errors, the rest are deleted."""
    kept, errors = [], []
    requests = _requests(client, "DeleteObjects", params, function)
    for entry, request in zip(params["Delete"]["Objects"], requests, strict=True):
        statement = allowing_statement(policy, request)
        if statement is None:
            usage.record("denied", function, request.action)
            message = denials.denied_message(function, request)
            errors.append({"Key": entry["Key"], "Code": "AccessDenied", "Message": message})
        else:
            usage.record("allowed", function, statement.sid)
            kept.append(entry)
    if not errors:
        return _originals["call"](client, "DeleteObjects", params)
    response: dict[str, Any] = {"ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}}
    if kept:
        narrowed = {**params, "Delete": {**params["Delete"], "Objects": kept}}
        response = _originals["call"](client, "DeleteObjects", narrowed)
    response["Errors"] = [*response.get("Errors", []), *errors]
    return response


def _presign_check(client: Any, operation: str, params: Mapping[str, Any]) -> None:
    # S3 signs anything and refuses the URL when it is used; locally the refusal comes at signing, where a test sees it.
    principal = _principal()
    if principal is not None:
        function, policy = principal
        _, allowed = _authorize(client, operation, params, function, policy)
        for statement in allowed:
            usage.record("allowed", function, statement.sid)


def _generate_presigned_url(self: Any, ClientMethod: str, Params: Any = None, *args: Any, **kwargs: Any) -> Any:
    operation = self._PY_TO_OP_NAME.get(ClientMethod)
    if operation is not None:
        _presign_check(self, operation, Params or {})
    return _originals["url"](self, ClientMethod, Params, *args, **kwargs)


def _sign_read_url(self: read_urls.ReadUrls, key: str, **kwargs: Any) -> Any:
    version = kwargs.get("version_id")
    params = {"Bucket": self.bucket, "Key": key} | ({"VersionId": version} if version else {})
    _presign_check(self.client, "GetObject", params)
    return _originals["read_url"](self, key, **kwargs)


def _generate_presigned_post(self: Any, Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:
    _presign_check(self, "PutObject", {"Bucket": Bucket, "Key": Key})
    return _originals["post"](self, Bucket, Key, *args, **kwargs)
