"""Multipart uploads (#16) over HTTP: a 17 MB image in three parts PUT through their presigned URLs ends `ready` by
way of the thumbnail function; wrong part size, missing part, abort and another user's id on the way.

A URL's expiry and a total unlike the declaration need a clock or S3 access a client has not: they are proven in
tests/integration/test_s3gate_multipart.py and tests/integration/test_multipart_api.py.
"""

from __future__ import annotations

import hashlib
import io
import random
import time
from typing import Any

import httpx
import pytest
from PIL import Image

from functions.system import MULTIPART_MIN_PART_BYTES
from tests.e2e.targets import Target

pytestmark = pytest.mark.e2e

PART = MULTIPART_MIN_PART_BYTES


@pytest.fixture(scope="module")
def big_png() -> bytes:
    """A PNG of noise just over two parts: it does not compress, so three parts of it reach S3."""
    noise = random.Random(16).randbytes(2400 * 2400 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (2400, 2400), noise).save(out, format="PNG", compress_level=1)
    data = out.getvalue()
    assert 2 * PART < len(data) < 25 * 1024 * 1024
    return data


def start(client: httpx.Client, data: bytes, **extra: Any) -> dict[str, Any]:
    body = {"contentType": "image/png", "size": len(data), "filename": "big.png", **extra}
    response = client.post("/uploads/multipart", json=body)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def chunk(data: bytes, number: int) -> bytes:
    return data[(number - 1) * PART : number * PART]


def put_parts(client: httpx.Client, asset_id: str, data: bytes, numbers: list[int]) -> None:
    signed = client.post(f"/uploads/multipart/{asset_id}/parts", json={"partNumbers": numbers})
    assert signed.status_code == 200, signed.text
    for number in numbers:
        response = httpx.put(signed.json()["urls"][str(number)], content=chunk(data, number), timeout=60)
        assert response.status_code == 200, response.text


def finished(client: httpx.Client, asset_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        asset = client.get(f"/assets/{asset_id}").json()
        if asset["status"] in ("ready", "failed"):
            return dict(asset)
        time.sleep(0.3)
    raise AssertionError(f"asset {asset_id} never finished")


def test_a_large_image_uploaded_in_parts_becomes_ready(server: Target, big_png: bytes) -> None:
    # Given an upload of three parts
    alice = server.client("mp-alice")
    started = start(alice, big_png)
    asset_id = started["asset"]["id"]
    assert (started["partSize"], started["partCount"], started["asset"]["status"]) == (PART, 3, "pending")

    # When the parts are PUT in any order through their URLs and the upload is completed
    put_parts(alice, asset_id, big_png, [3, 1, 2])
    done = alice.post(f"/uploads/multipart/{asset_id}/complete")

    # Then the original is stored whole and the thumbnail function makes the asset ready
    assert done.status_code == 200, done.text
    assert done.json()["asset"]["status"] in ("processing", "ready")
    assert httpx.get(done.json()["asset"]["url"], timeout=60).content == big_png
    asset = finished(alice, asset_id)
    assert asset["status"] == "ready", asset
    assert (asset["width"], asset["height"], asset["size"], asset["mime"]) == (2400, 2400, len(big_png), "image/png")
    assert asset["kind"] == "image"
    # And completing again answers the same asset, while its parts are refused
    again = alice.post(f"/uploads/multipart/{asset_id}/complete")
    assert again.status_code == 200 and again.json()["asset"]["id"] == asset_id
    refused = alice.post(f"/uploads/multipart/{asset_id}/parts", json={"partNumbers": [1]})
    assert (refused.status_code, refused.json()["code"]) == (409, "not_multipart")
    # And the same bytes declared again are the existing asset, with its thumbnail, and no upload
    duplicate = start(alice, big_png, sha256=hashlib.sha256(big_png).hexdigest())
    assert duplicate["asset"]["id"] == asset_id and duplicate["asset"]["duplicate"] is True
    assert duplicate["uploadId"] is None and httpx.get(duplicate["asset"]["thumbUrl"]).status_code == 200


def test_a_part_of_another_size_is_refused_by_s3_and_a_missing_part_by_complete(server: Target, big_png: bytes) -> None:
    # Given an upload
    bea = server.client("mp-bea")
    asset_id = start(bea, big_png)["asset"]["id"]
    signed = bea.post(f"/uploads/multipart/{asset_id}/parts", json={"partNumbers": [1, 2]}).json()

    # When part 1 is sent one byte short, and only part 2 as signed
    short = httpx.put(signed["urls"]["1"], content=chunk(big_png, 1)[:-1], timeout=60)
    whole = httpx.put(signed["urls"]["2"], content=chunk(big_png, 2), timeout=60)
    complete = bea.post(f"/uploads/multipart/{asset_id}/complete")

    # Then S3 refuses the short part (its size is signed), and completing names the missing parts
    assert short.status_code == 403 and "SignatureDoesNotMatch" in short.text
    assert whole.status_code == 200
    assert (complete.status_code, complete.json()["code"]) == (409, "upload_incomplete")
    assert "1, 3 (of 3)" in complete.json()["detail"]
    assert bea.get(f"/assets/{asset_id}").json()["status"] == "pending"


def test_an_aborted_upload_is_gone_and_others_cannot_touch_one(server: Target, big_png: bytes) -> None:
    # Given cleo's upload with a part sent
    cleo, dan = server.client("mp-cleo"), server.client("mp-dan")
    asset_id = start(cleo, big_png)["asset"]["id"]
    put_parts(cleo, asset_id, big_png, [1])
    usage = cleo.get("/usage").json()["assets"]

    # When dan tries its routes with her id / Then it does not exist for him
    for method, path, body in (
        ("POST", f"/uploads/multipart/{asset_id}/parts", {"partNumbers": [2]}),
        ("POST", f"/uploads/multipart/{asset_id}/complete", None),
        ("DELETE", f"/uploads/multipart/{asset_id}", None),
    ):
        response = dan.request(method, path, json=body)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), (method, path)

    # When she aborts it
    aborted = cleo.delete(f"/uploads/multipart/{asset_id}")

    # Then it is gone, uncounted, and its routes answer 404
    assert aborted.status_code == 204
    assert cleo.get(f"/assets/{asset_id}").status_code == 404
    assert cleo.get("/usage").json()["assets"] == usage - 1
    assert cleo.post(f"/uploads/multipart/{asset_id}/complete").status_code == 404
