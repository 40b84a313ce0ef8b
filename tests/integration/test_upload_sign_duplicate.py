"""POST /uploads/sign with a declared sha256 the caller already stored: the existing asset, no upload slot."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.api_events import FakeContext, decoded, http_event, multipart
from tests.imagegen import png_bytes


@pytest.fixture
def handlers(api_environment: None) -> tuple[Any, Any]:
    from functions.sign import handler as sign
    from functions.upload import handler as upload

    return upload.handler, sign.handler


def sign_request(handler: Any, **body: Any) -> tuple[int, dict[str, Any]]:
    import json

    event = http_event("POST", "/uploads/sign", body=json.dumps(body), headers={"content-type": "application/json"})
    return decoded(handler(event, FakeContext()))


def test_declared_sha256_of_a_stored_image_returns_it_without_a_slot(handlers: tuple[Any, Any]) -> None:
    # Given an image the user already uploaded
    upload, sign = handlers
    data = png_bytes(20, 20)
    body, header = multipart({}, {"file": ("a.png", data, "image/png")})
    _, stored = decoded(
        upload(http_event("POST", "/uploads", body=body, headers={"content-type": header}, binary=True), FakeContext())
    )
    # When the user asks to sign an upload of the same bytes
    sha = hashlib.sha256(data).hexdigest()
    status, answer = sign_request(sign, contentType="image/png", size=len(data), sha256=sha)
    # Then
    assert status == 200
    assert answer["upload"] is None
    assert answer["asset"]["id"] == stored["id"]
    assert answer["asset"]["duplicate"] is True


def test_declared_sha256_of_new_bytes_gets_a_slot_requiring_that_checksum(handlers: tuple[Any, Any]) -> None:
    # Given / When
    _, sign = handlers
    status, answer = sign_request(sign, contentType="image/png", size=100, sha256="ab" * 32)
    # Then
    assert status == 201
    assert answer["upload"]["fields"]["x-amz-checksum-sha256"]
    assert answer["asset"]["duplicate"] is None
