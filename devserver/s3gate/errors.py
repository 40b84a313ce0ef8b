"""S3's error documents: the code, status and message S3 answers, with the extra elements it adds for each."""

from __future__ import annotations

import secrets
from xml.sax.saxutils import escape


class S3Error(Exception):
    """A refusal as S3 words it: `<Error><Code>…</Code><Message>…</Message>…</Error>` with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, **details: object) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = {name: str(value) for name, value in details.items()}

    def to_xml(self) -> bytes:
        extra = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in self.details.items())
        request_id = secrets.token_hex(8).upper()
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{escape(self.message)}</Message>{extra}"
            f"<RequestId>{request_id}</RequestId><HostId>{secrets.token_urlsafe(48)}</HostId></Error>"
        ).encode()


def access_denied(message: str = "Access Denied", **details: object) -> S3Error:
    return S3Error(403, "AccessDenied", message, **details)


def policy_refused(reason: str) -> S3Error:
    return access_denied(f"Invalid according to Policy: {reason}")


def invalid_access_key(access_key: str) -> S3Error:
    return S3Error(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        AWSAccessKeyId=access_key,
    )


def signature_mismatch(access_key: str, string_to_sign: str, provided: str, canonical_request: str = "") -> S3Error:
    details: dict[str, object] = {
        "AWSAccessKeyId": access_key,
        "StringToSign": string_to_sign,
        "SignatureProvided": provided,
        "StringToSignBytes": string_to_sign.encode().hex(" ", 1),
    }
    if canonical_request:
        details["CanonicalRequest"] = canonical_request
        details["CanonicalRequestBytes"] = canonical_request.encode().hex(" ", 1)
    return S3Error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        **details,
    )


def invalid_argument(message: str, name: str, value: str = "") -> S3Error:
    return S3Error(400, "InvalidArgument", message, ArgumentName=name, ArgumentValue=value)


def query_parameters_error(message: str) -> S3Error:
    return S3Error(400, "AuthorizationQueryParametersError", message)


def unsupported_signature() -> S3Error:
    return S3Error(
        400,
        "InvalidRequest",
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
    )
