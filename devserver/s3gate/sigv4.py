"""SigV4 pieces shared by browser-form POSTs and presigned URLs: the credential scope and the signing key."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from devserver.s3gate.errors import S3Error

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
TERMINAL = "aws4_request"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Scope:
    """`<access key>/<yyyymmdd>/<region>/s3/aws4_request`, checked against the endpoint and the request's date."""

    access_key: str
    date: str
    region: str

    @property
    def text(self) -> str:
        return f"{self.date}/{self.region}/{SERVICE}/{TERMINAL}"


def parse_amz_date(raw: str, error: Callable[[str], S3Error]) -> datetime:
    try:
        return datetime.strptime(raw, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"") from None


def parse_scope(raw: str, *, region: str, amz_date: str, error: Callable[[str], S3Error]) -> Scope:
    """The credential's scope, refused as S3 words it when malformed or meant for another region or service."""
    parts = raw.split("/")
    if len(parts) != 5 or not parts[0]:
        raise error(
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
            'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
        )
    access_key, date, scope_region, service, terminal = parts
    prefix = "Error parsing the X-Amz-Credential parameter; "
    if len(date) != 8 or not date.isdigit():
        raise error(
            f'{prefix}incorrect date format "{date}". This date in the credential must be in the format "yyyyMMdd".'
        )
    if scope_region != region:
        raise error(f"{prefix}the region '{scope_region}' is wrong; expecting '{region}'")
    if service != SERVICE:
        raise error(f"{prefix}incorrect service '{service}'. This endpoint belongs to '{SERVICE}'.")
    if terminal != TERMINAL:
        raise error(f"{prefix}incorrect terminal '{terminal}'. This endpoint uses '{TERMINAL}'.")
    if amz_date[:8] != date:
        raise error(f'Invalid credential date "{date}". This date is not the same as X-Amz-Date: "{amz_date[:8]}".')
    return Scope(access_key=access_key, date=date, region=scope_region)


def signing_key(secret: str, scope: Scope) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (scope.date, scope.region, SERVICE, TERMINAL):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature(secret: str, scope: Scope, string_to_sign: str) -> str:
    return hmac.new(signing_key(secret, scope), string_to_sign.encode(), hashlib.sha256).hexdigest()


def same_signature(expected: str, provided: str) -> bool:
    return hmac.compare_digest(expected.encode(), provided.encode())
