"""The docs routes send gzip to clients that accept it, with a strong ETag, and a repeat visit costs a 304."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from functions.docs import handler as docs
from functions.docs.caching import CACHE_CONTROL, accepts_gzip
from tests.api_events import FakeContext, http_event

ROUTES = ["/openapi.json", "/docs"]


def _get(path: str, **headers: str) -> dict[str, Any]:
    return docs.handler(http_event("GET", path, sub="", headers=headers), FakeContext())


def _body(response: dict[str, Any]) -> bytes:
    raw = response["body"] or ""
    return base64.b64decode(raw) if response["isBase64Encoded"] else raw.encode()


@pytest.mark.parametrize("path", ROUTES)
def test_a_client_that_accepts_gzip_gets_the_same_body_compressed(path: str) -> None:
    # Given the body a client without compression gets
    plain = _get(path)

    # When a client that accepts gzip asks
    packed = _get(path, **{"Accept-Encoding": "gzip, deflate, br"})

    # Then it gets far fewer bytes, base64 for API Gateway to decode, which inflate to the very same body
    assert packed["statusCode"] == 200 and packed["isBase64Encoded"] is True
    assert packed["headers"]["Content-Encoding"] == "gzip"
    assert gzip.decompress(_body(packed)) == _body(plain)
    assert len(_body(packed)) * 3 < len(_body(plain))
    # And both say how to cache them, each with its own strong ETag
    assert plain["isBase64Encoded"] is False and "Content-Encoding" not in plain["headers"]
    for response in (plain, packed):
        assert response["headers"]["Cache-Control"] == CACHE_CONTROL
        assert response["headers"]["Vary"] == "Accept-Encoding"
        assert response["headers"]["ETag"].startswith('"') and response["headers"]["ETag"].endswith('"')
    assert plain["headers"]["ETag"] != packed["headers"]["ETag"]


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("encoding", ["gzip", ""])
def test_a_repeat_visit_with_the_etag_is_a_304_without_a_body(path: str, encoding: str) -> None:
    # Given the ETag of the representation a client already holds
    first = _get(path, **{"Accept-Encoding": encoding})
    etag = first["headers"]["ETag"]

    # When it asks again with If-None-Match (alone, among others, or weak as some proxies make it)
    for condition in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        again = _get(path, **{"Accept-Encoding": encoding, "If-None-Match": condition})

        # Then it is a 304 with no body that keeps the caching headers
        assert again["statusCode"] == 304, condition
        assert not again["body"] and "Content-Encoding" not in again["headers"]
        assert again["headers"]["ETag"] == etag and again["headers"]["Cache-Control"] == CACHE_CONTROL


@pytest.mark.parametrize("path", ROUTES)
def test_a_stale_or_other_representations_etag_gets_the_full_body(path: str) -> None:
    # Given the ETag of the uncompressed body
    plain_etag = _get(path)["headers"]["ETag"]

    # When a gzip client sends it, or an ETag that matches nothing
    for condition in (plain_etag, '"stale"'):
        response = _get(path, **{"Accept-Encoding": "gzip", "If-None-Match": condition})

        # Then it gets the full (compressed) body: the bytes it holds are not these
        assert response["statusCode"] == 200 and response["headers"]["Content-Encoding"] == "gzip"


def test_the_json_body_is_the_document() -> None:
    # When /openapi.json is fetched compressed, Then it inflates to the document
    packed = _get("/openapi.json", **{"Accept-Encoding": "gzip"})
    assert json.loads(gzip.decompress(_body(packed))) == json.loads(docs.OPENAPI_JSON)


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("*", True),
        ("br, *;q=0.1", True),
        ("", False),
        ("identity", False),
        ("br, deflate", False),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("*;q=0", False),
        ("gzip;q=bad", False),
    ],
)
def test_accept_encoding_is_read_with_its_weights(header: str, accepted: bool) -> None:
    # When / Then gzip is chosen only when the header allows it
    assert accepts_gzip(header) is accepted
