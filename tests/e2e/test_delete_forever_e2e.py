"""Delete forever through the local server leaves no version of the bytes in its versioned bucket.

The local bucket is versioned as the deployed one is (devserver/aws.py); the test reads its versions with the
emulator's own key, which a deployed stack does not have.
"""

from __future__ import annotations

import hashlib
import io
import time
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import httpx
import pytest
from PIL import Image

from devserver.config import MEDIA_BUCKET, REGION
from tests.e2e.targets import Target

pytestmark = [pytest.mark.e2e, pytest.mark.local_only("reads the local bucket's versions with the emulator's key")]


def stored_png(color: tuple[int, int, int]) -> bytes:
    """An uncompressed PNG: the same size whatever the colour, so one presigned POST takes either."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="PNG", compress_level=0)
    return out.getvalue()


def wait_for(client: httpx.Client, asset_id: str, sha256: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        asset = client.get(f"/assets/{asset_id}").json()
        if asset["status"] == "ready" and asset["sha256"] == sha256:
            return dict(asset)
        time.sleep(0.2)
    raise AssertionError(f"asset {asset_id} never became ready with {sha256}")


def uploaded_twice(client: httpx.Client, first: bytes, second: bytes) -> tuple[dict[str, Any], str]:
    """An asset whose original was uploaded, then replaced through the same slot: two versions of each object."""
    signed = client.post("/uploads/sign", json={"contentType": "image/png", "size": len(first), "filename": "a.png"})
    assert signed.status_code == 201, signed.text
    asset_id, slot = signed.json()["asset"]["id"], signed.json()["upload"]
    for data in (first, second):
        posted = httpx.post(slot["url"], data=slot["fields"], files={"file": ("a.png", data, "image/png")})
        assert posted.status_code in (200, 201, 204), posted.text
        # Wait until the thumbnail function has handled this version, so no event is still on its way
        asset = wait_for(client, asset_id, hashlib.sha256(data).hexdigest())
    return asset, slot["url"]


def thumb_key(asset: dict[str, Any]) -> str:
    """The thumbnail's object key, read from its signed URL (random: it names neither the owner nor the asset)."""
    return "thumbs/" + unquote(urlsplit(asset["thumbUrl"]).path).rsplit("/thumbs/", 1)[1]


def versions(s3: Any, *names: str) -> list[tuple[str, str]]:
    """Every version and delete marker of any object whose key holds one of `names` (asset ids, thumbnail keys)."""
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=MEDIA_BUCKET):
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            if any(name in item["Key"] for name in names):
                found.append((item["Key"], item["VersionId"]))
    return found


def test_delete_forever_and_empty_trash_leave_no_version_behind(server: Target) -> None:
    # Given henry's two assets, each uploaded then replaced: two versions of the original, and a new thumbnail at a
    # new key (the thumbnail function deleted the replaced one)
    henry = server.client("henry")
    one, slot_url = uploaded_twice(henry, stored_png((200, 0, 0)), stored_png((0, 200, 0)))
    other, _ = uploaded_twice(henry, stored_png((0, 0, 200)), stored_png((200, 200, 0)))
    endpoint = "{0.scheme}://{0.netloc}".format(urlsplit(slot_url))
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="local", aws_secret_access_key="local"
    )
    names = (one["id"], other["id"], thumb_key(one), thumb_key(other))
    assert len(versions(s3, *names)) == 6

    # When he trashes both, deletes one forever and empties the trash of the other
    for asset in (one, other):
        assert henry.patch(f"/assets/{asset['id']}", json={"trashed": True}).status_code == 200
    assert henry.delete(f"/assets/{one['id']}").status_code == 204
    assert henry.post("/trash/empty").json() == {"deleted": 1}

    # Then not one version or delete marker of his objects is left in the bucket
    assert versions(s3, *names) == []
