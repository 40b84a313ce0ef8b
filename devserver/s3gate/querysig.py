"""Presigned URLs (query-string SigV4) checked as S3 checks them: parameters, scope, signature, expiry.

The canonical request is botocore's own (`S3SigV4QueryAuth`), rebuilt from what arrived: the path exactly as sent,
the query without `X-Amz-Signature`, the headers the URL says were signed, and the URL's own timestamp.
No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from devserver.s3gate import sigv4
from devserver.s3gate.errors import (
    S3Error,
    access_denied,
    invalid_access_key,
    query_parameters_error,
    signature_mismatch,
    unsupported_signature,
)

V4_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)
V2_PARAMETERS = ("AWSAccessKeyId", "Signature", "Expires")
MAX_EXPIRES_SECONDS = 604800
_UNSIGNED_ALLOWED = {"x-amz-content-sha256"}


@dataclass(frozen=True)
class QueryRequest:
    """A request as it arrived: method, Host, the raw (still percent-encoded) path, decoded query pairs, headers."""

    method: str
    host: str
    raw_path: str
    query: Sequence[tuple[str, str]]
    headers: Mapping[str, str]  # lower-case names


@dataclass(frozen=True)
class AcceptedQuery:
    access_key: str
    signed_at: datetime


def is_presigned(query: Sequence[tuple[str, str]]) -> bool:
    names = {name for name, _ in query}
    return any(name in names for name in (*V4_PARAMETERS, *V2_PARAMETERS))


def canonical_parts(request: QueryRequest, secret: str, access_key: str, region: str) -> tuple[str, str, str]:
    """botocore's canonical request, string to sign and signature for `request` as signed by `access_key`."""
    params = dict(request.query)
    signed = params["X-Amz-SignedHeaders"].split(";")
    signer = S3SigV4QueryAuth(ReadOnlyCredentials(access_key, secret, None), "s3", region)
    aws_request = AWSRequest(
        method=request.method,
        url=f"http://{request.host}{request.raw_path}",
        headers={name: request.headers[name] for name in signed if name in request.headers},
        params=[(name, value) for name, value in request.query if name != "X-Amz-Signature"],
    )
    aws_request.context["timestamp"] = params["X-Amz-Date"]
    canonical = signer.canonical_request(aws_request)
    string_to_sign = signer.string_to_sign(aws_request, canonical)
    return canonical, string_to_sign, signer.signature(string_to_sign, aws_request)


def check_presigned(request: QueryRequest, *, region: str, secrets: Mapping[str, str], now: datetime) -> AcceptedQuery:
    """Who signed a presigned request S3 would serve, or the S3Error S3 would answer."""
    params = dict(request.query)
    if not any(name in params for name in V4_PARAMETERS):
        raise unsupported_signature()
    if not all(name in params for name in V4_PARAMETERS):
        raise query_parameters_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
        )
    if params["X-Amz-Algorithm"] != sigv4.ALGORITHM:
        raise query_parameters_error(f'X-Amz-Algorithm only supports "{sigv4.ALGORITHM}"')
    signed_at = sigv4.parse_amz_date(params["X-Amz-Date"], query_parameters_error)
    raw_expires = params["X-Amz-Expires"]
    if not raw_expires.lstrip("-").isdigit():
        raise query_parameters_error("X-Amz-Expires should be a number")
    expires = int(raw_expires)
    if expires < 0:
        raise query_parameters_error("X-Amz-Expires must be non-negative")
    if expires > MAX_EXPIRES_SECONDS:
        raise query_parameters_error(
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES_SECONDS}"
        )
    scope = sigv4.parse_scope(
        params["X-Amz-Credential"], region=region, amz_date=params["X-Amz-Date"], error=query_parameters_error
    )
    secret = secrets.get(scope.access_key)
    if secret is None:
        raise invalid_access_key(scope.access_key)
    signed_headers = set(params["X-Amz-SignedHeaders"].split(";"))
    unsigned = sorted(
        name
        for name in request.headers
        if name.startswith("x-amz-") and name not in signed_headers and name not in _UNSIGNED_ALLOWED
    )
    if unsigned:
        raise access_denied(
            "There were headers present in the request which were not signed", HeadersNotSigned=", ".join(unsigned)
        )
    canonical, string_to_sign, expected = canonical_parts(request, secret, scope.access_key, region)
    if not sigv4.same_signature(expected, params["X-Amz-Signature"]):
        raise signature_mismatch(scope.access_key, string_to_sign, params["X-Amz-Signature"], canonical)
    expiry = signed_at + timedelta(seconds=expires)
    if now > expiry:
        raise access_denied(
            "Request has expired",
            **{"X-Amz-Expires": expires},
            Expires=expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ServerTime=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    return AcceptedQuery(access_key=scope.access_key, signed_at=signed_at)


__all__ = ["AcceptedQuery", "QueryRequest", "S3Error", "check_presigned", "is_presigned"]
