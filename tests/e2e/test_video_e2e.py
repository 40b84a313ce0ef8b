"""A video uploaded through a presigned POST becomes a ready video asset with a poster, through the S3 event path."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.targets import Target
from tests.videogen import mp4_bytes

pytestmark = pytest.mark.e2e


def settled(client: httpx.Client, asset_id: str, seconds: float = 60) -> dict[str, Any]:
    """The asset once the video function has finished with it (ready or failed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        asset: dict[str, Any] = client.get(f"/assets/{asset_id}").json()
        if asset["status"] in ("ready", "failed"):
            return asset
        time.sleep(0.2)
    raise AssertionError(f"asset {asset_id} never finished")


def test_a_presigned_mp4_upload_becomes_a_ready_video_with_a_poster(server: Target) -> None:
    # Given a small MP4, signed as a video and posted straight to the bucket
    data = mp4_bytes()
    with server.client("vera") as vera:
        signed = vera.post(
            "/uploads/sign", json={"contentType": "video/mp4", "size": len(data), "filename": "clip.mp4"}
        )
        assert signed.status_code == 201, signed.text
        slot = signed.json()["upload"]
        posted = httpx.post(slot["url"], data=slot["fields"], files={"file": ("clip.mp4", data, "video/mp4")})
        assert posted.status_code in (200, 201, 204), posted.text

        # When the bucket's ObjectCreated under videos/ has reached the video function
        asset = settled(vera, signed.json()["asset"]["id"])

        # Then the asset is a ready video with its facts, and its thumbnail URL serves the WebP poster
        assert asset["status"] == "ready", asset
        assert (asset["kind"], asset["mime"], asset["width"], asset["height"]) == ("video", "video/mp4", 64, 48)
        assert 1900 <= asset["durationMs"] <= 2100
        assert (asset["videoCodec"], asset["hasAudio"], asset["playable"]) == ("h264", True, True)
        poster = httpx.get(asset["thumbUrl"])
        assert poster.status_code == 200
        assert Image.open(io.BytesIO(poster.content)).format == "WEBP"
        # And its preview (#17) is the same frame at PREVIEW_SIZE, never enlarged: the 64x48 video's size
        with Image.open(io.BytesIO(httpx.get(asset["previewUrl"]).content)) as preview:
            assert (preview.format, preview.size) == ("WEBP", (64, 48))
        # And the original is the uploaded file, served to a <video> element by ranges
        head = httpx.get(asset["url"], headers={"Range": "bytes=0-15"})
        assert head.status_code == 206 and head.content == data[:16]
