"""POST /uploads through the real handler on moto: formats from the bytes, limits, duplicates."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from functions.system import DIRECT_UPLOAD_MAX_BYTES
from tests.api_events import FakeContext, decoded, http_event, multipart
from tests.conftest import BUCKET
from tests.imagegen import jpeg_bytes, png_bytes


@pytest.fixture
def upload_handler(api_environment: None) -> Any:
    from functions.upload import handler

    return handler.handler


def post_file(
    handler: Any, data: bytes, filename: str = "cat.png", content_type: str = "image/png", **fields: str
) -> tuple[int, dict[str, Any]]:
    body, header = multipart(fields, {"file": (filename, data, content_type)})
    event = http_event("POST", "/uploads", body=body, headers={"content-type": header}, binary=True)
    return decoded(handler(event, FakeContext()))


def test_small_png_becomes_an_asset_with_facts_from_the_bytes(upload_handler: Any, s3_client: Any) -> None:
    # Given a PNG sent with a misleading Content-Type and name
    data = png_bytes(64, 48)
    # When
    status, body = post_file(upload_handler, data, filename="photo.jpg", content_type="image/jpeg", prompt="a cat")
    # Then the format, size and dimensions come from the bytes, and the original is stored
    assert status == 201
    assert (body["mime"], body["width"], body["height"], body["size"]) == ("image/png", 64, 48, len(data))
    assert body["status"] == "processing"
    assert body["url"]
    assert body["filename"] == "photo.jpg"
    assert body["prompt"] == "a cat"
    stored = s3_client.get_object(Bucket=BUCKET, Key=f"originals/alice/{body['id']}")
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "image/png"


def test_same_bytes_twice_return_the_existing_asset(upload_handler: Any, s3_client: Any) -> None:
    # Given an uploaded image
    data = jpeg_bytes()
    _, first = post_file(upload_handler, data, filename="a.jpg")
    # When the same user uploads the same bytes again
    status, second = post_file(upload_handler, data, filename="b.jpg")
    # Then the existing asset comes back, marked as a duplicate, and no second object is stored
    assert status == 201
    assert second["id"] == first["id"]
    assert second["duplicate"] is True
    assert s3_client.list_objects_v2(Bucket=BUCKET, Prefix="originals/")["KeyCount"] == 1


def test_html_named_png_is_refused(upload_handler: Any) -> None:
    # Given
    html = b"<!doctype html><html><script>alert(1)</script></html>"
    # When
    status, body = post_file(upload_handler, html, filename="cat.png")
    # Then
    assert (status, body["code"]) == (415, "unsupported_media_type")


def test_svg_is_refused(upload_handler: Any) -> None:
    # Given / When
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    status, body = post_file(upload_handler, svg, filename="x.svg", content_type="image/svg+xml")
    # Then
    assert (status, body["code"]) == (415, "unsupported_media_type")


def test_ten_thousand_pixel_wide_small_png_is_too_large(upload_handler: Any) -> None:
    # Given a 10,000-px-wide PNG of a few dozen KB (a decompression bomb in miniature)
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG", optimize=True)
    data = out.getvalue()
    assert len(data) < 64 * 1024
    # When
    status, body = post_file(upload_handler, data)
    # Then
    assert (status, body["code"]) == (422, "image_too_large")


def test_truncated_image_is_invalid(upload_handler: Any) -> None:
    # Given a JPEG cut in half
    data = jpeg_bytes(400, 300)
    # When
    status, body = post_file(upload_handler, data[: len(data) // 2])
    # Then
    assert (status, body["code"]) == (422, "invalid_image")


def test_over_the_direct_limit_asks_for_a_signed_upload(upload_handler: Any) -> None:
    # Given a body just over the direct-upload limit
    data = png_bytes() + b"\0" * DIRECT_UPLOAD_MAX_BYTES
    # When
    status, body = post_file(upload_handler, data)
    # Then
    assert (status, body["code"]) == (413, "use_signed_upload")
    assert "/uploads/sign" in body["detail"]


def test_json_body_is_refused_as_not_multipart(upload_handler: Any) -> None:
    # Given / When
    event = http_event("POST", "/uploads", body='{"file": "x"}', headers={"content-type": "text/plain"})
    status, body = decoded(upload_handler(event, FakeContext()))
    # Then
    assert (status, body["code"]) == (415, "expected_multipart")


def test_multipart_without_boundary_is_a_clear_400(upload_handler: Any) -> None:
    # Given / When
    event = http_event("POST", "/uploads", body=b"junk", headers={"content-type": "multipart/form-data"}, binary=True)
    status, body = decoded(upload_handler(event, FakeContext()))
    # Then
    assert (status, body["code"]) == (400, "malformed_multipart")


def test_bad_params_json_is_a_validation_error(upload_handler: Any) -> None:
    # Given / When
    status, body = post_file(upload_handler, png_bytes(), params="{not json")
    # Then
    assert (status, body["code"]) == (422, "validation_error")
