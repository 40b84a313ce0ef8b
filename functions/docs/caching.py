"""A fixed body served gzip-compressed when the client accepts it, with a strong ETag, so a repeat visit is a 304."""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import Response

# The document changes only with a deployment; five minutes of reuse, then a revalidation that costs a 304.
CACHE_CONTROL = "public, max-age=300"


def documented_responses(content_type: str, schema: dict[str, Any]) -> dict[int, Any]:
    """The route's 200 and 304 for the OpenAPI document, with the caching headers both carry."""
    headers = {
        "ETag": {"description": "strong validator of this representation", "schema": {"type": "string"}},
        "Cache-Control": {"description": CACHE_CONTROL, "schema": {"type": "string"}},
        "Vary": {"description": "Accept-Encoding", "schema": {"type": "string"}},
    }
    encoding = {"description": "`gzip` when `Accept-Encoding` allows it", "schema": {"type": "string"}}
    return {
        200: {
            "description": "The body, gzip-compressed when the client accepts it",
            "headers": {**headers, "Content-Encoding": encoding},
            "content": {content_type: {"schema": schema}},
        },
        304: {"description": "Not modified: `If-None-Match` names this representation's ETag", "headers": headers},
    }


def _etag(data: bytes) -> str:
    return f'"{hashlib.sha256(data).hexdigest()[:32]}"'


@dataclass(frozen=True)
class CachedBody:
    """One body in both representations; each has its own strong ETag, since their bytes differ (RFC 9110 §8.8.3)."""

    content_type: str
    text: str
    gzipped: bytes
    gzipped_base64: str
    identity_etag: str
    gzip_etag: str

    @classmethod
    def of(cls, text: str, content_type: str) -> CachedBody:
        identity = text.encode("utf-8")
        # mtime=0: the same bytes, hence the same ETag, from every execution environment.
        gzipped = gzip.compress(identity, compresslevel=9, mtime=0)
        return cls(content_type, text, gzipped, base64.b64encode(gzipped).decode(), _etag(identity), _etag(gzipped))


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether `Accept-Encoding` allows gzip: named with q > 0, or not named and `*` allowed."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, parameters = item.strip().partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        weights[coding.strip().lower()] = quality
    if "gzip" in weights or "x-gzip" in weights:
        return max(weights.get("gzip", 0.0), weights.get("x-gzip", 0.0)) > 0
    return weights.get("*", 0.0) > 0


def _matches(if_none_match: str, etag: str) -> bool:
    # If-None-Match compares weakly (RFC 9110 §13.1.2): a `W/` prefix does not prevent a match.
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def cached_response(body: CachedBody, headers: Mapping[str, str]) -> Response[str]:
    """200 with the representation the client accepts, or 304 without a body when it already holds that one."""
    compressed = accepts_gzip(headers.get("accept-encoding", ""))
    etag = body.gzip_etag if compressed else body.identity_etag
    # Vary: a shared cache must not hand the gzip bytes to a client that did not ask for them.
    common = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if _matches(headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=common)
    if compressed:
        # Encoded once, here, not by Powertools on each request (it would also serialize bytes labelled JSON).
        # isBase64Encoded: API Gateway decodes the body and sends the client the gzip bytes.
        response = Response(
            status_code=200,
            content_type=body.content_type,
            body=body.gzipped_base64,
            headers={**common, "Content-Encoding": "gzip"},
        )
        response.base64_encoded = True
        return response
    return Response(status_code=200, content_type=body.content_type, body=body.text, headers=common)
