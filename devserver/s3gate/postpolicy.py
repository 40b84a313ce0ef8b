"""Browser-form POST uploads (PostObject) checked as S3 checks them: SigV4 of the policy, expiry, every condition.

S3's rules (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html): the signature is
the SigV4 HMAC of the base64 policy; the policy must not have expired; every condition must hold; every form field
but `x-amz-signature`, `file`, `policy` and `x-ignore-*` must be named by a condition; the file is the last field
that counts (fields after it are ignored). No I/O here: the gate hands in the parsed form and the time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from devserver.s3gate import sigv4
from devserver.s3gate.errors import (
    S3Error,
    access_denied,
    invalid_access_key,
    invalid_argument,
    policy_refused,
    signature_mismatch,
    unsupported_signature,
)

_SIGNATURE_FIELDS = ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy")
_NEVER_IN_POLICY = {"x-amz-signature", "file", "policy"}
_FIELD_NAMES = {"policy": "Policy", "x-amz-algorithm": "X-Amz-Algorithm", "x-amz-credential": "X-Amz-Credential"}
_FIELD_NAMES |= {"x-amz-date": "X-Amz-Date", "x-amz-signature": "X-Amz-Signature"}


@dataclass(frozen=True)
class Part:
    name: str
    headers: Headers
    data: bytes


@dataclass(frozen=True)
class PostForm:
    """The parts S3 acts on: every field up to and including the file, in order."""

    parts: tuple[Part, ...]

    @property
    def file(self) -> bytes | None:
        return next((part.data for part in self.parts if part.name.lower() == "file"), None)

    @property
    def fields(self) -> dict[str, str]:
        """Text fields by lower-cased name (form field names are case-insensitive); the first of a name counts."""
        found: dict[str, str] = {}
        for part in self.parts:
            if part.name.lower() != "file":
                found.setdefault(part.name.lower(), part.data.decode("utf-8", "replace"))
        return found

    def encode(self, boundary: str) -> bytes:
        """The form as moto must see it: only what S3 acts on, so moto cannot act on fields S3 ignores."""
        chunks: list[bytes] = []
        for part in self.parts:
            head = "".join(f"{name}: {value}\r\n" for name, value in part.headers.items())
            chunks.append(f"--{boundary}\r\n{head}\r\n".encode() + part.data + b"\r\n")
        chunks.append(f"--{boundary}--\r\n".encode())
        return b"".join(chunks)


@dataclass(frozen=True)
class AcceptedPost:
    """Who signed an upload the policy allows, and what it writes."""

    access_key: str
    key: str
    signed_at: datetime


def malformed_post() -> S3Error:
    return S3Error(400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")


def boundary_of(content_type: str) -> str | None:
    kind, options = parse_options_header(content_type)
    return options.get("boundary") if kind == "multipart/form-data" else None


def parse_form(body: bytes, boundary: str) -> PostForm:
    """The parts up to and including `file`; S3 ignores whatever follows it."""
    decoder = MultipartDecoder(boundary.encode())
    decoder.receive_data(body)
    decoder.receive_data(None)
    parts: list[Part] = []
    current: tuple[str, Headers] | None = None
    data = bytearray()
    try:
        while True:
            event = decoder.next_event()
            if isinstance(event, Field | File):
                current, data = (event.name, event.headers), bytearray()
            elif isinstance(event, Data) and current is not None:
                data.extend(event.data)
                if not event.more_data:
                    parts.append(Part(name=current[0], headers=current[1], data=bytes(data)))
                    if current[0].lower() == "file":
                        break
                    current = None
            elif isinstance(event, Epilogue | NeedData):
                break
    except ValueError:
        raise malformed_post() from None
    return PostForm(parts=tuple(parts))


def _condition_text(condition: Any) -> str:
    return json.dumps(condition, separators=(", ", ": "))


def _invalid_policy(message: str) -> S3Error:
    return S3Error(400, "InvalidPolicyDocument", f"Invalid Policy: {message}")


def _decode_policy(policy: str) -> dict[str, Any]:
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
    except (binascii.Error, ValueError):
        raise _invalid_policy("Invalid JSON.") from None
    if not isinstance(document, dict):
        raise _invalid_policy("Invalid JSON.")
    if "expiration" not in document:
        raise _invalid_policy("Policy missing expiration.")
    if not isinstance(document.get("conditions"), list):
        raise _invalid_policy("Policy missing conditions.")
    return document


def _expiration(raw: object) -> datetime:
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise _invalid_policy(f"Invalid 'expiration' value: '{raw}'") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _content_length_range(condition: list[Any], size: int) -> None:
    try:
        low, high = int(condition[1]), int(condition[2])
    except (TypeError, ValueError):
        raise _invalid_policy(f"Invalid content-length-range: {_condition_text(condition)}") from None
    if size < low:
        raise S3Error(
            400,
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed size",
            ProposedSize=size,
            MinSizeAllowed=low,
        )
    if size > high:
        raise S3Error(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            ProposedSize=size,
            MaxSizeAllowed=high,
        )


def _starts_with(name: str, actual: str, prefix: str) -> bool:
    # Content-Type may list several types; each must start with the prefix.
    values = [value.strip() for value in actual.split(",")] if name == "content-type" else [actual]
    return all(value.startswith(prefix) for value in values)


def _holds(condition: Any, fields: Mapping[str, str], bucket: str, size: int) -> tuple[bool, str | None]:
    """Whether one condition holds, and the form field it names (which the policy thereby allows)."""
    if isinstance(condition, dict):
        if len(condition) != 1:
            raise _invalid_policy(
                "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."
            )
        ((name, expected),) = condition.items()
        name = str(name).lower()
        actual = bucket if name == "bucket" else fields.get(name)
        return actual == expected, name
    if not isinstance(condition, list) or len(condition) != 3:
        raise _invalid_policy(f"Invalid Condition: {_condition_text(condition)}")
    operator = str(condition[0]).lower()
    if operator == "content-length-range":
        _content_length_range(condition, size)
        return True, None
    target, expected = condition[1], condition[2]
    if operator not in ("eq", "starts-with") or not isinstance(target, str) or not target.startswith("$"):
        raise _invalid_policy(f"Invalid Condition: {_condition_text(condition)}")
    name = target[1:].lower()
    actual = bucket if name == "bucket" else fields.get(name, "")
    if operator == "eq":
        return actual == expected, name
    return _starts_with(name, actual, str(expected)), name


def check_post(form: PostForm, *, bucket: str, region: str, secrets: Mapping[str, str], now: datetime) -> AcceptedPost:
    """The signer and key of an upload S3 would accept, or the S3Error S3 would answer."""
    fields, file = form.fields, form.file
    if file is None:
        raise invalid_argument("POST requires exactly one file upload per request.", "file", "0")
    if "key" not in fields:
        raise invalid_argument(
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
            "key",
        )
    if "awsaccesskeyid" in fields or "signature" in fields:
        raise unsupported_signature()
    if not any(name in fields for name in _SIGNATURE_FIELDS):
        raise access_denied()  # anonymous: the bucket is not publicly writable
    for name in _SIGNATURE_FIELDS:
        if name not in fields:
            raise invalid_argument(
                f"Bucket POST must contain a field named '{_FIELD_NAMES[name]}'.  "
                "If it is specified, please check the order of the fields.",
                _FIELD_NAMES[name],
            )
    if fields["x-amz-algorithm"] != sigv4.ALGORITHM:
        raise invalid_argument(
            f'X-Amz-Algorithm only supports "{sigv4.ALGORITHM}"', "X-Amz-Algorithm", fields["x-amz-algorithm"]
        )

    def scope_error(message: str) -> S3Error:
        return invalid_argument(message, "X-Amz-Credential", fields["x-amz-credential"])

    def date_error(message: str) -> S3Error:
        return invalid_argument(message, "X-Amz-Date", fields["x-amz-date"])

    signed_at = sigv4.parse_amz_date(fields["x-amz-date"], date_error)
    scope = sigv4.parse_scope(
        fields["x-amz-credential"], region=region, amz_date=fields["x-amz-date"], error=scope_error
    )
    secret = secrets.get(scope.access_key)
    if secret is None:
        raise invalid_access_key(scope.access_key)
    policy = fields["policy"]
    if not sigv4.same_signature(sigv4.signature(secret, scope, policy), fields["x-amz-signature"]):
        raise signature_mismatch(scope.access_key, policy, fields["x-amz-signature"])

    document = _decode_policy(policy)
    if _expiration(document["expiration"]) <= now:
        raise policy_refused("Policy expired.")
    allowed: set[str] = set()
    for condition in document["conditions"]:
        holds, named = _holds(condition, fields, bucket, len(file))
        if not holds:
            raise policy_refused(f"Policy Condition failed: {_condition_text(condition)}")
        if named:
            allowed.add(named)
    extra = [name for name in fields if name not in allowed | _NEVER_IN_POLICY and not name.startswith("x-ignore-")]
    if extra:
        raise policy_refused(f"Extra input fields: {', '.join(extra)}")
    return AcceptedPost(access_key=scope.access_key, key=fields["key"], signed_at=signed_at)


def check_checksum(form: PostForm) -> None:
    """S3 computes the declared checksum of the bytes it stores and refuses them if it differs (BadDigest)."""
    declared = form.fields.get("x-amz-checksum-sha256")
    if declared is None or form.file is None:
        return
    try:
        digest = base64.b64decode(declared, validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != hashlib.sha256().digest_size:
        raise S3Error(400, "InvalidRequest", "Value for x-amz-checksum-sha256 header is invalid.")
    if digest != hashlib.sha256(form.file).digest():
        raise S3Error(400, "BadDigest", "The sha256 you specified did not match the calculated checksum.")
