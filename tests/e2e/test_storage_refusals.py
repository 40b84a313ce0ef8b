"""Storage refuses what S3 refuses: a presigned POST used for other bytes, another key or another type, and reads
without a signature, with S3's XML error and the CORS headers the web app needs to show it. The same answers come
from the local server's S3 gate and from a deployed bucket."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Target
from tests.imagegen import png_bytes

pytestmark = pytest.mark.e2e


def sign(client: httpx.Client, data: bytes, **extra: Any) -> tuple[str, dict[str, Any]]:
    signed = client.post("/uploads/sign", json={"contentType": "image/png", "size": len(data), **extra})
    assert signed.status_code == 201, signed.text
    return signed.json()["asset"]["id"], signed.json()["upload"]


def post(slot: dict[str, Any], fields: dict[str, str], data: bytes, origin: str) -> httpx.Response:
    return httpx.post(
        slot["url"], data=fields, files={"file": ("a.png", data, "image/png")}, headers={"Origin": origin}
    )


def s3_error(response: httpx.Response) -> tuple[int, str, str]:
    root = ET.fromstring(response.text)  # noqa: S314 - the storage service's own error document
    return response.status_code, root.findtext("Code", ""), root.findtext("Message", "")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"key": "originals/mallory/01AAAAAAAAAAAAAAAAAAAAAAAA"},
            "Invalid according to Policy: Policy Condition failed",
        ),
        ({"Content-Type": "text/html"}, "Invalid according to Policy: Policy Condition failed"),
        ({"x-amz-meta-note": "hi"}, "Invalid according to Policy: Extra input fields"),
    ],
)
def test_a_slot_used_for_another_key_type_or_field_is_refused(
    server: Target, change: dict[str, str], expected: str
) -> None:
    # Given a slot for one PNG
    frank = server.client("frank")
    data = png_bytes(30, 30)
    asset_id, slot = sign(frank, data)

    # When the form is changed before it is posted
    response = post(slot, {**slot["fields"], **change}, data, server.allowed_origin)

    # Then S3's 403 comes back readable by the web app, and the asset is still waiting for its bytes
    status, code, message = s3_error(response)
    assert (status, code) == (403, "AccessDenied") and message.startswith(expected), response.text
    assert response.headers["access-control-allow-origin"] == server.allowed_origin
    assert frank.get(f"/assets/{asset_id}").json()["status"] == "pending"


def test_bytes_of_another_size_are_refused(server: Target) -> None:
    frank = server.client("frank")
    data = png_bytes(30, 30)
    asset_id, slot = sign(frank, data)

    response = post(slot, slot["fields"], data + b"\0", server.allowed_origin)

    assert s3_error(response)[:2] == (400, "EntityTooLarge")
    assert frank.get(f"/assets/{asset_id}").json()["status"] == "pending"


def test_bytes_other_than_the_declared_sha256_are_refused(server: Target) -> None:
    # Given a slot declaring one image's sha256
    frank = server.client("frank")
    declared = png_bytes(30, 30)
    other = declared[:20] + bytes([declared[20] ^ 1]) + declared[21:]
    asset_id, slot = sign(frank, declared, sha256=hashlib.sha256(declared).hexdigest())

    # When other bytes of the same size and type are posted
    response = post(slot, slot["fields"], other, server.allowed_origin)

    # Then S3 checks the bytes against the checksum and refuses them
    assert s3_error(response)[:2] == (400, "BadDigest")
    assert frank.get(f"/assets/{asset_id}").json()["status"] == "pending"


def test_an_original_cannot_be_read_without_its_signature(server: Target) -> None:
    # Given a stored image and its signed URL
    frank = server.client("frank")
    data = png_bytes(32, 32)
    _, slot = sign(frank, data)
    assert post(slot, slot["fields"], data, server.allowed_origin).status_code in (200, 201, 204)
    url = slot["url"].rstrip("/") + "/" + slot["fields"]["key"]

    # When it is read without the signature, Then S3 denies it
    assert s3_error(httpx.get(url))[:2] == (403, "AccessDenied")
