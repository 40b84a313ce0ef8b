"""SigV4 query signing of S3 GET URLs without botocore's request pipeline: the same URL, a fraction of the CPU.

botocore builds, serializes and signs a whole request for each presigned URL (about 0.3 ms); a listing presigns two
per item. The URL is a pure function of key, parameters, credentials, region and instant, so this signer produces it
directly, deriving the signing key once per day and credentials. Where the URL points (endpoint, addressing style)
is learned from botocore once, so it is exactly what `generate_presigned_url("get_object", …)` returns
(`tests/unit/test_url_signing.py` holds it to that).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

_ALGORITHM = "AWS4-HMAC-SHA256"
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_PROBE_KEY = "signing-probe"
# botocore serializes GetObject's query members in the order of the operation's input shape.
_QUERY_ORDER = (
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "versionId",
    "partNumber",
)


class SigningCredentials(Protocol):
    access_key: str
    secret_key: str
    token: str | None


def _quote(value: str, safe: str = "-_.~") -> str:
    return quote(value.encode("utf-8"), safe=safe)


# Names and X-Amz-* values recur on every URL (the credential and token for hours): quoting was half the cost.
_quote_recurring = lru_cache(maxsize=256)(_quote)


@dataclass(frozen=True)
class ObjectUrls:
    """Where a bucket's objects are addressed: `{origin}{path_prefix}{quoted key}`, and the host header it signs."""

    origin: str
    path_prefix: str
    host: str

    @classmethod
    def learned_from(cls, s3_client: Any, bucket: str, key: str = _PROBE_KEY) -> ObjectUrls:
        """Ask botocore once where it points GET URLs of `bucket` (endpoint, region, path or virtual-host style).

        `key`: the probe's, best one the caller may read (the local IAM judges every presigned URL as it is made).
        """
        url = s3_client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
        parts = urlsplit(url)
        quoted = _quote(key, safe="/~")
        if not parts.path.endswith(quoted):
            raise ValueError(f"unexpected presigned URL shape: {parts.path}")
        host = parts.hostname or ""
        default_port = {"http": 80, "https": 443}.get(parts.scheme)
        if parts.port is not None and parts.port != default_port:
            host = f"{host}:{parts.port}"
        return cls(f"{parts.scheme}://{parts.netloc}", parts.path[: -len(quoted)], host)


class QueryUrlSigner:
    """Presigned GET URLs of one bucket, byte for byte what botocore's S3 SigV4 query auth makes."""

    def __init__(
        self, *, urls: ObjectUrls, region: str, credentials: Callable[[], SigningCredentials], service: str = "s3"
    ) -> None:
        self._urls = urls
        self._region = region
        self._service = service
        self._credentials = credentials
        self._signing_key: tuple[tuple[str, str], bytes] | None = None

    def _key_for(self, secret_key: str, date: str) -> bytes:
        cached = self._signing_key
        if cached is not None and cached[0] == (secret_key, date):
            return cached[1]
        key = hmac.new(f"AWS4{secret_key}".encode(), date.encode(), hashlib.sha256).digest()
        for part in (self._region, self._service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        self._signing_key = ((secret_key, date), key)
        return key

    def sign_get(self, key: str, *, signed_at: datetime, expires_seconds: int, query: Mapping[str, str] = {}) -> str:
        """The URL of `key` signed at `signed_at` (UTC), valid `expires_seconds`, with S3's response overrides."""
        credentials = self._credentials()
        stamp = signed_at.strftime("%Y%m%dT%H%M%SZ")
        date = stamp[:8]
        scope = f"{date}/{self._region}/{self._service}/aws4_request"
        pairs = [(name, query[name]) for name in _QUERY_ORDER if name in query]
        overrides = len(pairs)
        pairs += [
            ("X-Amz-Algorithm", _ALGORITHM),
            ("X-Amz-Credential", f"{credentials.access_key}/{scope}"),
            ("X-Amz-Date", stamp),
            ("X-Amz-Expires", str(expires_seconds)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if credentials.token is not None:
            pairs.append(("X-Amz-Security-Token", credentials.token))
        encoded = [
            (_quote_recurring(name), _quote(value) if index < overrides else _quote_recurring(value))
            for index, (name, value) in enumerate(pairs)
        ]
        path = self._urls.path_prefix + _quote(key, safe="/~")
        canonical_query = "&".join(f"{name}={value}" for name, value in sorted(encoded))
        canonical = f"GET\n{path}\n{canonical_query}\nhost:{self._urls.host}\n\nhost\n{_UNSIGNED_PAYLOAD}"
        to_sign = f"{_ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._key_for(credentials.secret_key, date), to_sign.encode(), hashlib.sha256).hexdigest()
        query_string = "&".join(f"{name}={value}" for name, value in encoded)
        return f"{self._urls.origin}{path}?{query_string}&X-Amz-Signature={signature}"


# S3 refuses a presigned URL valid for more than seven days.
MAX_EXPIRES_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class StableSigning:
    """When a cache-stable URL is signed, how long it is valid, and how long a cache may keep what it fetched."""

    signed_at: datetime
    expires_seconds: int
    max_age_seconds: int

    @property
    def expires_at(self) -> datetime:
        return self.signed_at + timedelta(seconds=self.expires_seconds)


def stable_signing(now: datetime, *, ttl_seconds: int, window_seconds: int) -> StableSigning:
    """Sign at the start of `now`'s window, valid for the window plus `ttl_seconds`: the same URL all window long, and
    at least `ttl_seconds` of life left whenever it is handed out. A cache may keep the response `ttl_seconds`,
    the least life any copy of the URL has left, so nothing is served from cache past the URL's expiry."""
    if window_seconds <= 0:
        return StableSigning(now.replace(microsecond=0), ttl_seconds, ttl_seconds)
    epoch = int(now.timestamp())
    start = epoch - epoch % window_seconds
    expires = min(ttl_seconds + window_seconds, MAX_EXPIRES_SECONDS)
    return StableSigning(datetime.fromtimestamp(start, tz=now.tzinfo), expires, ttl_seconds)
