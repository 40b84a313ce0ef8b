"""Helpers for the thumbnail tests: assets, S3 notification events as S3 sends them, and image bytes."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

from PIL import Image

from functions.common.models import Asset, AssetStatus
from tests import builders


def new_asset(owner: str, asset_id: str, *, now: datetime, status: AssetStatus = AssetStatus.PENDING) -> Asset:
    return builders.new_asset(owner=owner, asset_id=asset_id, created_at=now, status=status)


def created_event(bucket: str, key: str, etag: str, *, event_time: str = "2026-11-21T12:00:00.000Z") -> dict[str, Any]:
    """An `ObjectCreated:Put` notification as S3 delivers it: the key URL-encoded, the eTag unquoted."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": event_time,
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "originals",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": quote_plus(key), "size": 1, "eTag": etag.strip('"')},
                },
            }
        ]
    }


def image_bytes(image: Image.Image, fmt: str, **params: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def quadrants(width: int = 120, height: int = 80) -> Image.Image:
    """An asymmetric picture: four differently coloured quadrants, so any flip or rotation shows."""
    image = Image.new("RGB", (width, height))
    colours = [(220, 30, 30), (30, 200, 30), (30, 30, 220), (240, 240, 40)]
    half_w, half_h = width // 2, height // 2
    for index, (left, top) in enumerate([(0, 0), (half_w, 0), (0, half_h), (half_w, half_h)]):
        image.paste(colours[index], (left, top, left + half_w, top + half_h))
    return image
